//! `repodeck hook create|list|delete|ping` as the real binary against fakehub's hooks API, with a
//! loopback receiver that checks every delivery's `X-Hub-Signature-256` against the vault's
//! secret: create is idempotent (a second run updates, never duplicates), the ping arrives signed,
//! list shows each hook's last delivery, delete removes them, and a missing secret or a bad URL
//! changes nothing.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use repodeck::fakehub::{self, FakehubConfig, Handle};
use serde_json::Value;
use sha2::Sha256;

const TOKEN: &str = "ghp_hooktest00000000000000000000000000000";
const PASS: &str = "hook-test-passphrase";
const SECRET: &str = "0123456789abcdef0123456789abcdef-hooks";

/// One delivery as the receiver saw it.
#[derive(Debug, Clone)]
struct Seen {
    event: String,
    guid: String,
    hook_id: String,
    target_type: String,
    signed_ok: bool,
}

/// A loopback webhook receiver answering 202 (or `status`) and recording what arrives.
fn receiver(status: u16) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/webhooks/github",
        listener.local_addr().unwrap().port()
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut headers = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                headers.push(line.trim_end().to_string());
            }
            let header = |name: &str| {
                headers
                    .iter()
                    .find_map(|h| {
                        let (k, v) = h.split_once(':')?;
                        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            let len: usize = header("content-length").parse().unwrap_or(0);
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(&body);
            let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
            log.lock().unwrap().push(Seen {
                event: header("x-github-event"),
                guid: header("x-github-delivery"),
                hook_id: header("x-github-hook-id"),
                target_type: header("x-github-hook-installation-target-type"),
                signed_ok: header("x-hub-signature-256") == want,
            });
            let answer =
                format!("HTTP/1.1 {status} OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (url, seen)
}

fn cmd(hub: &Handle, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, "").unwrap();
    c.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(hub.url())
        .env("REPODECK_CONFIG", &cfg)
        .env("GITHUB_TOKEN", TOKEN)
        .env("REPODECK_PASSPHRASE", PASS)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn rd(hub: &Handle, dir: &Path, args: &[&str]) -> Output {
    cmd(hub, dir).args(args).output().expect("repodeck runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn set_secret(hub: &Handle, dir: &Path) {
    let mut child = cmd(hub, dir)
        .args(["hook", "secret", "set"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(SECRET.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

fn list_json(hub: &Handle, dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["hook", "list", "--json"];
    args.extend_from_slice(extra);
    let out = rd(hub, dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn wait_for(seen: &Mutex<Vec<Seen>>, n: usize) -> Vec<Seen> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        let v = seen.lock().unwrap().clone();
        if v.len() >= n {
            return v;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    seen.lock().unwrap().clone()
}

async fn hub() -> Handle {
    fakehub::spawn(FakehubConfig {
        repos: 3,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await
    .expect("fakehub starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_is_idempotent_signed_listed_pinged_and_deleted() {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (url, seen) = receiver(202);
    let ok = rd(&hub, d, &["import", "--org", "octo-org"]);
    assert!(ok.status.success(), "{}", text(&ok));
    let listed: Value = serde_json::from_slice(&rd(&hub, d, &["list", "--json"]).stdout).unwrap();
    let n = listed.as_array().unwrap().len();
    assert!(n >= 3, "{listed}");

    // No secret yet: refused before anything is sent.
    let before = hub.stats().requests;
    let out = rd(&hub, d, &["hook", "create", "--all", "--url", &url]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("hook secret generate"),
        "{}",
        text(&out)
    );
    assert_eq!(hub.stats().requests, before, "nothing may reach GitHub");
    set_secret(&hub, d);

    let out = rd(&hub, d, &["hook", "create", "--all", "--url", &url]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).matches(": created hook").count(),
        n,
        "{}",
        text(&out)
    );
    // GitHub pings a new hook: one signed ping per repository.
    let pings = wait_for(&seen, n);
    assert_eq!(pings.len(), n, "{pings:?}");
    assert!(
        pings
            .iter()
            .all(|s| s.event == "ping" && s.signed_ok && !s.hook_id.is_empty())
    );
    assert!(pings.iter().all(|s| s.target_type == "repository"));

    // Again: updated in place, never a second hook.
    let out = rd(&hub, d, &["hook", "create", "--all", "--url", &url]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).matches(": updated hook").count(),
        n,
        "{}",
        text(&out)
    );
    let rows = list_json(&hub, d, &[]);
    assert_eq!(rows.len(), n);
    for row in &rows {
        let hooks = row["hooks"].as_array().unwrap();
        assert_eq!(hooks.len(), 1, "{row}");
        assert_eq!(hooks[0]["url"], url.as_str());
        assert_eq!(hooks[0]["last_delivery"]["state"], "ok", "{row}");
        assert!(hooks[0]["events"].as_array().unwrap().len() >= 10);
        // No serve of this repodeck received these deliveries (a plain receiver did).
        assert!(hooks[0]["seen_by_serve"].is_null(), "{row}");
        assert_eq!(row["seen_by_serve"], serde_json::json!([]), "{row}");
    }
    let out = rd(&hub, d, &["hook", "list"]);
    assert_eq!(
        text(&out).matches("never seen by serve").count(),
        n,
        "{}",
        text(&out)
    );

    // A real change is delivered, signed, to the repo's hook.
    let mutated = fakehub_mutate(&hub, "octo-org/repo-0001");
    assert!(mutated, "fakehub mutation");
    let all = wait_for(&seen, n + 1);
    let push = all
        .iter()
        .find(|s| s.event == "push" && s.signed_ok)
        .cloned();
    let push = push.unwrap_or_else(|| panic!("no signed push: {all:?}"));
    // Every delivery has its own GUID; a redelivery repeats it.
    let mut guids: Vec<&str> = all.iter().map(|s| s.guid.as_str()).collect();
    guids.sort_unstable();
    guids.dedup();
    assert_eq!(guids.len(), all.len(), "{all:?}");
    let redeliver = format!("{{\"guid\":\"{}\"}}", push.guid);
    assert!(admin_post(&hub, "redeliver", &redeliver));
    let all = wait_for(&seen, n + 2);
    assert_eq!(
        all.iter().filter(|s| s.guid == push.guid).count(),
        2,
        "{all:?}"
    );

    let out = rd(
        &hub,
        d,
        &["hook", "ping", "octo-org/repo-0000", "--url", &url],
    );
    assert!(out.status.success(), "{}", text(&out));
    let all = wait_for(&seen, n + 3);
    assert_eq!(
        all.iter().filter(|s| s.event == "ping").count(),
        n + 1,
        "{all:?}"
    );

    let out = rd(&hub, d, &["hook", "delete", "--all", "--url", &url]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        list_json(&hub, d, &[])
            .iter()
            .all(|r| r["hooks"].as_array().unwrap().is_empty())
    );
    let out = rd(&hub, d, &["hook", "list"]);
    assert_eq!(text(&out).matches(": none").count(), n, "{}", text(&out));
}

fn fakehub_mutate(hub: &Handle, repo: &str) -> bool {
    let body = serde_json::json!({"repo": repo, "kind": "push", "count": 1}).to_string();
    admin_post(hub, "mutate", &body)
}

fn admin_post(hub: &Handle, path: &str, body: &str) -> bool {
    let addr = hub.url().trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /_fakehub/{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_hook_covers_the_orgs_repos_and_a_failing_receiver_shows() {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (url, seen) = receiver(500);
    let ok = rd(&hub, d, &["import", "--org", "octo-org"]);
    assert!(ok.status.success(), "{}", text(&ok));
    set_secret(&hub, d);

    let out = rd(
        &hub,
        d,
        &[
            "hook",
            "create",
            "--org",
            "octo-org",
            "--url",
            &url,
            "--events",
            "push,release",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("org octo-org: created hook"),
        "{}",
        text(&out)
    );
    let pings = wait_for(&seen, 1);
    assert_eq!(pings[0].target_type, "organization");
    assert!(pings[0].signed_ok);
    assert!(fakehub_mutate(&hub, "octo-org/repo-0002"));
    let all = wait_for(&seen, 2);
    assert!(
        all.iter()
            .any(|s| s.event == "push" && s.target_type == "organization"),
        "{all:?}"
    );

    let out = rd(&hub, d, &["hook", "list", "--org", "octo-org"]);
    let t = text(&out);
    assert!(t.contains("FAILING: last delivery 500"), "{t}");
    assert!(t.contains("[push,release]"), "{t}");

    // Bad input changes nothing and says what to do.
    for (args, needle) in [
        (
            vec!["hook", "create", "--all", "--url", "ftp://x/y"],
            "http and https",
        ),
        (
            vec![
                "hook",
                "create",
                "--all",
                "--url",
                url.as_str(),
                "--events",
                "push,bogus",
            ],
            "bogus",
        ),
        (
            vec!["hook", "create", "--org=-bad-", "--url", url.as_str()],
            "organization name",
        ),
    ] {
        let out = rd(&hub, d, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(needle), "{args:?}: {}", text(&out));
    }
}
