//! fakehub's secondary limits at GitHub's documented thresholds, and every fault kind as a client observes it.

mod fakehub_support;

use std::time::{Duration, Instant};

use fakehub_support::*;
use repodeck::fakehub::{FakehubConfig, FaultKind, FaultRule, Handle};
use serde_json::json;

async fn with_faults(rules: Vec<FaultRule>) -> Handle {
    start(FakehubConfig {
        repos: 40,
        tokens: vec![TOKEN.into()],
        faults: rules,
        ..FakehubConfig::default()
    })
    .await
}

#[tokio::test]
async fn secondary_limit_at_900_rest_points_per_minute() {
    let h = start_default().await;
    for i in 0..900 {
        let r = get(&h.url, "/repos/octo-org/repo-0001/topics").await;
        assert_eq!(r.status, 200, "request {i} of 900 is within the limit");
    }
    let over = get(&h.url, "/repos/octo-org/repo-0001/topics").await;
    assert_eq!(over.status, 403);
    assert!(over.json()["message"].as_str().is_some_and(|m| m.starts_with("You have exceeded a secondary rate limit. Please wait a few minutes before you try again")));
    assert_eq!(over.header("retry-after"), Some("60"));
    assert_eq!(h.stats().secondary_limit_hits, 1);
    // GraphQL has its own budget
    assert_eq!(
        graphql(&h.url, "query { viewer { login } }").await.status,
        200
    );
    h.shutdown().await;
}

#[tokio::test]
async fn secondary_limit_at_2000_graphql_points_per_minute_without_retry_after() {
    let h = start(FakehubConfig {
        repos: 2,
        tokens: vec![TOKEN.into()],
        secondary_retry_after: None,
        ..FakehubConfig::default()
    })
    .await;
    for i in 0..2000 {
        assert_eq!(
            graphql(&h.url, "query { viewer { login } }").await.status,
            200,
            "query {i}"
        );
    }
    let over = graphql(&h.url, "query { viewer { login } }").await;
    assert_eq!(over.status, 403);
    assert!(
        over.header("retry-after").is_none(),
        "--secondary-retry-after none"
    );
    assert_eq!(h.stats().secondary_limit_hits, 1);
    h.shutdown().await;
}

#[tokio::test]
async fn secondary_limit_on_concurrency() {
    let h = start(FakehubConfig {
        repos: 2,
        tokens: vec![TOKEN.into()],
        secondary_concurrency: 2,
        latency_ms: 300,
        ..FakehubConfig::default()
    })
    .await;
    let url = h.url.clone();
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { get(&url, "/repos/octo-org/repo-0001").await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    statuses.sort();
    assert_eq!(statuses, [200, 200, 403]);
    let st = h.stats();
    assert_eq!(st.secondary_limit_hits, 1);
    assert!(st.max_in_flight >= 3);
    h.shutdown().await;
}

#[tokio::test]
async fn status_next_and_bad_credentials_after() {
    let h = with_faults(vec![
        FaultRule {
            next: Some(2),
            ..FaultRule::new("/repos/*/*/branches", FaultKind::Status { status: 502 })
        },
        FaultRule {
            after: Some(3),
            ..FaultRule::new("/repos/*/*", FaultKind::BadCredentials)
        },
    ])
    .await;
    let statuses = [
        get(&h.url, "/repos/octo-org/repo-0001/branches")
            .await
            .status,
        get(&h.url, "/repos/octo-org/repo-0001/branches")
            .await
            .status,
        get(&h.url, "/repos/octo-org/repo-0001/branches")
            .await
            .status,
    ];
    assert_eq!(statuses, [502, 502, 200]);
    let mut repo = Vec::new();
    for _ in 0..5 {
        repo.push(get(&h.url, "/repos/octo-org/repo-0001").await.status);
    }
    assert_eq!(repo, [200, 200, 200, 401, 401]);
    let st = h.stats();
    assert_eq!(st.status(401), 2);
    assert_eq!(st.status(502), 2);
    assert_eq!(st.points.core, 4, "5xx and 401 cost nothing");
    h.shutdown().await;
}

#[tokio::test]
async fn latency_hang_reset_truncate_slow_body() {
    let h = with_faults(vec![
        FaultRule::new("/repos/*/repo-0001", FaultKind::Latency { ms: 250 }),
        FaultRule::new("/repos/*/repo-0002", FaultKind::Hang),
        FaultRule::new("/repos/*/repo-0003", FaultKind::Reset),
        FaultRule::new("/repos/*/repo-0004", FaultKind::Truncate),
        FaultRule::new(
            "/repos/*/repo-0005/topics",
            FaultKind::SlowBody { bytes_per_sec: 100 },
        ),
    ])
    .await;
    let t = Instant::now();
    assert_eq!(get(&h.url, "/repos/octo-org/repo-0001").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(250));
    let hung = tokio::time::timeout(
        Duration::from_millis(400),
        get(&h.url, "/repos/octo-org/repo-0002"),
    )
    .await;
    assert!(hung.is_err(), "a hung request never answers");
    let auth = format!("Bearer {TOKEN}");
    let reset = request(
        &h.url,
        "GET",
        "/repos/octo-org/repo-0003",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert!(
        reset.is_err(),
        "reset drops the connection without an answer: {reset:?}"
    );
    let cut = request(
        &h.url,
        "GET",
        "/repos/octo-org/repo-0004",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .expect("head sent");
    assert_eq!(cut.status, 200);
    assert!(
        !cut.complete,
        "truncated body is shorter than content-length"
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&cut.body).is_err());
    let t = Instant::now();
    let slow = get(&h.url, "/repos/octo-org/repo-0005/topics").await;
    assert!(slow.complete);
    let n = slow.body.len() as u64;
    assert!(
        t.elapsed() >= Duration::from_millis(100 * (n / 10).saturating_sub(1)),
        "{n} bytes at 100 B/s took {:?}",
        t.elapsed()
    );
    assert!(slow.json()["names"].is_array());
    h.shutdown().await;
}

#[tokio::test]
async fn primary_and_secondary_limit_faults() {
    let h = with_faults(vec![
        FaultRule {
            next: Some(1),
            ..FaultRule::new(
                "/repos/*/repo-0001",
                FaultKind::PrimaryLimit { bucket: None },
            )
        },
        FaultRule {
            next: Some(1),
            ..FaultRule::new(
                "/graphql",
                FaultKind::SecondaryLimit {
                    retry_after: Some(3),
                },
            )
        },
    ])
    .await;
    let p = get(&h.url, "/repos/octo-org/repo-0001").await;
    assert_eq!(p.status, 403);
    assert_eq!(p.num("x-ratelimit-remaining"), 0);
    assert!(
        p.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("API rate limit exceeded"))
    );
    // the bucket really is empty now
    assert_eq!(get(&h.url, "/repos/octo-org/repo-0002").await.status, 403);
    let s = graphql(&h.url, "query { viewer { login } }").await;
    assert_eq!(s.status, 403);
    assert_eq!(s.header("retry-after"), Some("3"));
    assert_eq!(
        graphql(&h.url, "query { viewer { login } }").await.status,
        200
    );
    h.shutdown().await;
}

#[tokio::test]
async fn graphql_partial_and_resource_limits() {
    let h = with_faults(vec![FaultRule {
        next: Some(1),
        ..FaultRule::new("/graphql", FaultKind::GraphqlPartial { fraction: 1.0 })
    }])
    .await;
    let q = "query { a: repository(owner: \"octo-org\", name: \"repo-0001\") { id } b: repository(owner: \"octo-org\", name: \"repo-0002\") { id } rateLimit { cost } }";
    let v = graphql(&h.url, q).await.json();
    assert!(v["data"]["a"].is_null() && v["data"]["b"].is_null());
    assert_eq!(v["data"]["rateLimit"]["cost"], 1);
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(2));
    let v = graphql(&h.url, q).await.json();
    assert!(
        v["data"]["a"]["id"].is_string(),
        "next: 1 only hits the first query"
    );
    let rules = json!([{"route": "/graphql", "kind": "graphql_resource_limits"}]);
    assert_eq!(
        admin(&h.url, "POST", "/_fakehub/faults", &rules)
            .await
            .status,
        200
    );
    let v = graphql(&h.url, q).await.json();
    assert_eq!(v["errors"][0]["type"], "RESOURCE_LIMITS_EXCEEDED");
    h.shutdown().await;
}

#[tokio::test]
async fn link_faults() {
    let h = with_faults(vec![]).await;
    let path = "/orgs/octo-org/repos?per_page=5";
    let normal = get(&h.url, path).await;
    assert!(normal.header("link").is_some_and(|l| l.contains(&h.url)));
    h.set_faults(vec![FaultRule::new("/orgs/**", FaultKind::LinkForeign)]);
    let foreign = get(&h.url, path).await;
    let link = foreign.header("link").expect("link");
    assert!(
        !link.contains(&h.url) && link.contains("https://"),
        "{link}"
    );
    h.set_faults(vec![FaultRule::new("/orgs/**", FaultKind::LinkLoop)]);
    let looped = get(&h.url, path).await;
    assert!(
        looped
            .header("link")
            .is_some_and(|l| l.starts_with(&format!("<{}{path}>; rel=\"next\"", h.url)))
    );
    h.set_faults(vec![FaultRule::new("/orgs/**", FaultKind::LinkMalformed)]);
    let bad = get(&h.url, path).await;
    let l = bad.header("link").expect("link");
    assert!(
        l.split(", ")
            .any(|p| !p.starts_with('<') || !p.contains(">; rel=")),
        "{l}"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn probability_is_deterministic_under_the_seed() {
    let run = |seed| async move {
        let h = start(FakehubConfig {
            repos: 3,
            seed,
            faults: vec![FaultRule {
                probability: Some(0.3),
                ..FaultRule::new("**", FaultKind::Status { status: 500 })
            }],
            ..FakehubConfig::default()
        })
        .await;
        let mut out = Vec::new();
        for _ in 0..40 {
            out.push(get(&h.url, "/repos/octo-org/repo-0001/topics").await.status);
        }
        h.shutdown().await;
        out
    };
    let a = run(5).await;
    assert_eq!(a, run(5).await);
    let fails = a.iter().filter(|s| **s == 500).count();
    assert!((4..=20).contains(&fails), "{fails} of 40 at p=0.3");
}
