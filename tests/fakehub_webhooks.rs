//! fakehub's webhooks: deliveries reach a loopback receiver with GitHub's headers, verifiable signatures and GitHub-shaped payloads.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

mod fakehub_support;

use std::time::Duration;

use fakehub_support::*;
use hmac::{Hmac, Mac};
use repodeck::fakehub::{FakehubConfig, Mutation, MutationKind, webhooks};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

#[derive(Debug)]
struct Delivery {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Delivery {
    fn header(&self, k: &str) -> &str {
        self.headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("payload is JSON")
    }
}

async fn receiver() -> (String, mpsc::UnboundedReceiver<Delivery>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    let headers: Vec<(String, String)> = head
                        .split("\r\n")
                        .skip(1)
                        .filter_map(|l| {
                            l.split_once(':')
                                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        })
                        .collect();
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        let body = buf[end + 4..end + 4 + len].to_vec();
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                            .await;
                        let _ = tx.send(Delivery { headers, body });
                        return;
                    }
                }
            });
        }
    });
    (format!("http://127.0.0.1:{}/hook", addr.port()), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Delivery>) -> Delivery {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a delivery within 5 s")
        .expect("receiver alive")
}

fn verify(secret: &str, body: &[u8], sig: &str) -> bool {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    sig == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn fixture_for(event: &str, pick: impl Fn(&Value) -> bool) -> Value {
    fixture(&format!("webhooks/{event}.json"))
        .as_array()
        .and_then(|a| a.iter().find(|p| pick(p)).cloned())
        .unwrap_or_else(|| panic!("no {event} example"))
}

/// Chooses the fixture example a delivery is compared with.
type Picker = Box<dyn Fn(&Value) -> bool>;

/// A mutation (with its `to`), and the deliveries it causes, in order.
type Case<'a> = (MutationKind, Option<&'a str>, Vec<(&'a str, Picker)>);

#[test]
fn signer_reproduces_githubs_test_vector() {
    let sig = webhooks::sign("It's a Secret to Everybody", b"Hello, World!");
    assert_eq!(
        sig,
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    );
    assert!(verify("It's a Secret to Everybody", b"Hello, World!", &sig));
}

#[tokio::test]
async fn deliveries_are_signed_and_shaped_like_githubs() {
    let h = start(FakehubConfig {
        repos: 10,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await;
    let (url, mut rx) = receiver().await;
    let secret = "s3cr3t ✓";
    let body = serde_json::to_vec(&json!({"name": "web", "events": ["*"], "config": {"url": url, "content_type": "json", "secret": secret}})).expect("json");
    let auth = format!("Bearer {TOKEN}");
    let created = request(
        &h.url,
        "POST",
        "/repos/octo-org/repo-0003/hooks",
        &[("Authorization", &auth)],
        Some(&body),
    )
    .await
    .expect("answered");
    assert_eq!(created.status, 201);
    let hook_id = created.json()["id"].as_u64().expect("id");
    let ping = next(&mut rx).await;
    assert_eq!(ping.header("X-GitHub-Event"), "ping");
    assert_eq!(ping.json()["hook_id"].as_u64(), Some(hook_id));

    let cases: Vec<(MutationKind, &str, Picker)> = vec![
        (
            MutationKind::Push,
            "push",
            Box::new(|p: &Value| p["commits"].as_array().is_some_and(|c| !c.is_empty())),
        ),
        (
            MutationKind::Release,
            "release",
            Box::new(|p: &Value| p["action"] == "published"),
        ),
        (
            MutationKind::OpenPr,
            "pull_request",
            Box::new(|p: &Value| p["action"] == "opened"),
        ),
        (
            MutationKind::OpenIssue,
            "issues",
            Box::new(|p: &Value| p["action"] == "opened"),
        ),
        (
            MutationKind::Star,
            "star",
            Box::new(|p: &Value| p["action"] == "created"),
        ),
        (MutationKind::Fork, "fork", Box::new(|_: &Value| true)),
        (
            MutationKind::EditDescription,
            "repository",
            Box::new(|p: &Value| p["action"] == "edited"),
        ),
    ];
    for (kind, event, pick) in cases {
        h.mutate(Mutation::new("octo-org/repo-0003", kind))
            .expect("mutation");
        let mut got = next(&mut rx).await;
        if event == "star" {
            // a star is also a `watch` started; take the star delivery
            while got.header("X-GitHub-Event") != "star" {
                got = next(&mut rx).await;
            }
        }
        assert_eq!(got.header("X-GitHub-Event"), event);
        assert!(
            verify(secret, &got.body, got.header("X-Hub-Signature-256")),
            "{event} signature verifies"
        );
        assert!(!verify(
            "other",
            &got.body,
            got.header("X-Hub-Signature-256")
        ));
        let guid = got.header("X-GitHub-Delivery");
        assert_eq!(guid.len(), 36, "{guid}");
        assert_eq!(guid.matches('-').count(), 4);
        assert_eq!(got.header("X-GitHub-Hook-ID"), hook_id.to_string());
        assert!(got.header("User-Agent").starts_with("GitHub-Hookshot/"));
        let real = fixture_for(event, pick);
        let problems = shape_problems(
            &got.json(),
            &real,
            &[".installation", ".enterprise", ".changes"],
        );
        assert!(
            problems.is_empty(),
            "{event} payload differs from GitHub's:\n  {}",
            problems.join("\n  ")
        );
        while let Ok(extra) = rx.try_recv() {
            assert_eq!(
                extra.header("X-GitHub-Event"),
                "watch",
                "only a watch may follow a star"
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(h.stats().webhook_deliveries >= 8);
    h.shutdown().await;
}

#[tokio::test]
async fn only_loopback_receivers_are_accepted() {
    let h = start_default().await;
    let auth = format!("Bearer {TOKEN}");
    for url in ["http://10.1.2.3/hook", "https://example.com/hook"] {
        let body = serde_json::to_vec(&json!({"config": {"url": url}})).expect("json");
        let r = request(
            &h.url,
            "POST",
            "/repos/octo-org/repo-0001/hooks",
            &[("Authorization", &auth)],
            Some(&body),
        )
        .await
        .expect("answered");
        assert_eq!(r.status, 422, "{url}");
        assert_eq!(r.json()["message"], "Validation Failed");
    }
    h.shutdown().await;
}

/// The deliveries `serve` acts on beyond the common ones: branches and tags created and deleted,
/// visibility, collaborators, branch protection and transfers, each shaped like GitHub's example.
#[tokio::test]
async fn ref_visibility_member_protection_and_transfer_deliveries_match_githubs() {
    let h = start(FakehubConfig {
        repos: 6,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await;
    let (url, mut rx) = receiver().await;
    let secret = "another secret for these deliveries";
    let body = serde_json::to_vec(&json!({"name": "web", "events": ["*"], "config": {"url": url, "content_type": "json", "secret": secret}})).expect("json");
    let auth = format!("Bearer {TOKEN}");
    let created = request(
        &h.url,
        "POST",
        "/repos/octo-org/repo-0002/hooks",
        &[("Authorization", &auth)],
        Some(&body),
    )
    .await
    .expect("answered");
    assert_eq!(created.status, 201);
    assert_eq!(next(&mut rx).await.header("X-GitHub-Event"), "ping");
    let any = || -> Picker { Box::new(|_: &Value| true) };
    let action = |a: &'static str| -> Picker { Box::new(move |p: &Value| p["action"] == a) };
    let cases: Vec<Case<'_>> = vec![
        (
            MutationKind::CreateBranch,
            Some("hooked"),
            vec![("create", any())],
        ),
        (
            MutationKind::DeleteBranch,
            Some("hooked"),
            vec![("delete", any())],
        ),
        (
            MutationKind::CreateTag,
            Some("v7-light"),
            vec![("create", any())],
        ),
        (
            MutationKind::DeleteTag,
            Some("v7-light"),
            vec![("delete", any())],
        ),
        (
            MutationKind::Privatize,
            None,
            vec![("repository", action("privatized"))],
        ),
        (
            MutationKind::Publicize,
            None,
            vec![("repository", action("publicized")), ("public", any())],
        ),
        (
            MutationKind::AddMember,
            Some("hubot"),
            vec![("member", action("added"))],
        ),
        (
            MutationKind::ProtectBranch,
            Some("develop"),
            vec![("branch_protection_rule", action("created"))],
        ),
        (MutationKind::Unarchive, None, vec![("repository", any())]),
        (
            MutationKind::Transfer,
            Some("octocat"),
            vec![("repository", action("transferred"))],
        ),
    ];
    for (kind, to, expected) in cases {
        let mut m = Mutation::new("octo-org/repo-0002", kind);
        m.to = to.map(str::to_string);
        h.mutate(m).expect("mutation");
        for (event, pick) in expected {
            let got = next(&mut rx).await;
            assert_eq!(got.header("X-GitHub-Event"), event, "{kind:?}");
            assert!(verify(secret, &got.body, got.header("X-Hub-Signature-256")));
            let p = got.json();
            let problems = shape_problems(
                &p,
                &fixture_for(event, pick),
                &[".installation", ".enterprise", ".changes"],
            );
            assert!(
                problems.is_empty(),
                "{kind:?} {event} differs from GitHub's:\n  {}",
                problems.join("\n  ")
            );
            check_payload(kind, &p);
        }
    }
    api_shows_the_transfer_and_protection(&h, &auth).await;
    // A delete of a repo is heard by organization hooks only: its own hooks went with it.
    h.mutate(Mutation::new("octocat/repo-0002", MutationKind::Delete))
        .expect("delete");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        rx.try_recv().is_err(),
        "a deleted repo's own hook stays silent"
    );
    h.shutdown().await;
}

/// What each new kind's payload says beyond its shape.
fn check_payload(kind: MutationKind, p: &Value) {
    match kind {
        MutationKind::CreateBranch | MutationKind::DeleteBranch => {
            assert_eq!(
                (p["ref"].as_str(), p["ref_type"].as_str()),
                (Some("hooked"), Some("branch"))
            );
        }
        MutationKind::CreateTag | MutationKind::DeleteTag => {
            assert_eq!(
                (p["ref"].as_str(), p["ref_type"].as_str()),
                (Some("v7-light"), Some("tag"))
            );
        }
        MutationKind::Privatize => assert_eq!(p["repository"]["private"], true),
        MutationKind::Publicize => assert_eq!(p["repository"]["private"], false),
        MutationKind::AddMember => assert_eq!(p["member"]["login"], "hubot"),
        MutationKind::ProtectBranch => assert_eq!(p["rule"]["name"], "develop"),
        MutationKind::Transfer => {
            assert_eq!(p["repository"]["full_name"], "octocat/repo-0002");
            assert_eq!(
                p["changes"]["owner"]["from"]["organization"]["login"],
                "octo-org"
            );
        }
        _ => {}
    }
}

/// What the mutations did is what the API answers: the new owner, the old name redirecting, the
/// protected branch.
async fn api_shows_the_transfer_and_protection(h: &repodeck::fakehub::Handle, auth: &str) {
    let get = |path: &str| {
        let path = path.to_string();
        async move {
            request(&h.url, "GET", &path, &[("Authorization", auth)], None)
                .await
                .expect("answered")
        }
    };
    let moved = get("/repos/octocat/repo-0002").await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.json()["owner"]["login"], "octocat");
    assert_eq!(
        get("/repos/octo-org/repo-0002").await.status,
        301,
        "the old name redirects"
    );
    let branches = get("/repos/octocat/repo-0002/branches").await.json();
    let develop = branches
        .as_array()
        .expect("list")
        .iter()
        .find(|b| b["name"] == "develop")
        .cloned();
    assert_eq!(develop.expect("develop")["protected"], true);
}
