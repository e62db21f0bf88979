//! The GitHub layer against fakehub (in-process, 127.0.0.1 only): ETags and 304s, the pause gate,
//! concurrency, GraphQL batches and partial errors, retries, timeouts, auth failures, renames and
//! hostile `Link` headers. Waits are scaled (`Timing::scale`) so the suite stays fast.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use repodeck::config::Reserve;
use repodeck::domain::RepoKey;
use repodeck::fakehub::{self, FakehubConfig, FaultRule, Handle};
use repodeck::github::{
    ClientOptions, Conditional, EtagCache, GithubClient, GithubError, RepoTarget, Timing,
};
use repodeck::sync::{ImportSource, Priority, WaitReason};
use secrecy::SecretString;
use serde_json::json;

const TOKEN: &str = "ghp_testTOKENvalue0123456789abcdefghijkl";

type EtagMap = HashMap<(String, String), (String, Vec<u8>)>;

#[derive(Default)]
struct MemEtags(Mutex<EtagMap>);

impl EtagCache for MemEtags {
    fn get(&self, fp: &str, url: &str) -> Option<(String, Vec<u8>)> {
        self.0
            .lock()
            .unwrap()
            .get(&(fp.to_string(), url.to_string()))
            .cloned()
    }
    fn put(&self, fp: &str, url: &str, etag: &str, body: &[u8]) {
        self.0.lock().unwrap().insert(
            (fp.to_string(), url.to_string()),
            (etag.to_string(), body.to_vec()),
        );
    }
}

fn timing(scale: f64, read_timeout: Duration) -> Timing {
    Timing {
        connect_timeout: Duration::from_secs(2),
        read_timeout,
        request_timeout: read_timeout * 4,
        scale,
        ..Timing::default()
    }
}

fn faults(v: serde_json::Value) -> Vec<FaultRule> {
    serde_json::from_value(v).expect("fault rules")
}

async fn hub(tweak: impl FnOnce(&mut FakehubConfig)) -> Handle {
    let mut cfg = FakehubConfig {
        repos: 60,
        ..FakehubConfig::default()
    };
    tweak(&mut cfg);
    fakehub::spawn(cfg).await.expect("fakehub starts")
}

fn client(h: &Handle, scale: f64, etags: Option<Arc<MemEtags>>) -> GithubClient {
    client_with(h, scale, etags, Duration::from_secs(3))
}

fn client_with(
    h: &Handle,
    scale: f64,
    etags: Option<Arc<MemEtags>>,
    read_timeout: Duration,
) -> GithubClient {
    GithubClient::new(ClientOptions {
        api_url: h.url().to_string(),
        graphql_url: format!("{}/graphql", h.url()),
        token: Some(SecretString::from(format!("{TOKEN}\n"))),
        token_source: None,
        max_concurrency: 4,
        reserve: Reserve::Absolute(0),
        etags: etags.map(|e| e as Arc<dyn EtagCache>),
        max_pages: 100,
        timing: timing(scale, read_timeout),
    })
    .expect("client")
}

fn key(i: usize) -> RepoKey {
    RepoKey::parse(&format!("octo-org/repo-{i:04}")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etag_304_spends_no_budget_and_rate_headers_reach_the_channel() {
    let h = hub(|_| {}).await;
    let etags = Arc::new(MemEtags::default());
    let c = client(&h, 0.001, Some(etags));
    let rx = c.rate_state();
    let first = c.rest_snapshot(&key(1), Priority::User).await.unwrap();
    assert!(first.is_changed());
    let snap = first.into_inner();
    assert_eq!(snap.meta.full_name, "octo-org/repo-0001");
    assert!(!snap.details.commits.is_empty() && !snap.details.branches.is_empty());
    let core = rx
        .borrow()
        .buckets
        .get("core")
        .cloned()
        .expect("core bucket published");
    assert_eq!(core.limit, 5000);
    let points_before = h.stats().points.core;
    let second = c.rest_snapshot(&key(1), Priority::User).await.unwrap();
    let Conditional::Unchanged(again) = second else {
        panic!("expected Unchanged")
    };
    assert_eq!(again, snap, "the cached bodies rebuild the same snapshot");
    assert_eq!(h.stats().points.core, points_before, "304s cost nothing");
    assert!(c.accounting().not_modified >= 7, "{:?}", c.accounting());
    assert_eq!(
        rx.borrow().buckets["core"].remaining,
        core.remaining,
        "no budget spent by the 304s"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secondary_limit_pauses_every_request_for_retry_after() {
    let h = hub(|_| {}).await;
    // scale 0.02: the 37 s retry-after becomes 740 ms.
    let c = client(&h, 0.02, None);
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*", "kind": "secondary_limit", "retry_after": 37, "next": 1 }]),
    ));
    let mut rx = c.rate_state();
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.rest_snapshot(&key(i), Priority::User).await.map(|_| ()) })
        })
        .collect();
    let pause = loop {
        rx.changed().await.unwrap();
        let p = rx.borrow().pause.clone();
        if let Some(p) = p {
            break p;
        }
    };
    assert_eq!(pause.reason, WaitReason::SecondaryLimit);
    assert!(
        rx.borrow().concurrency < 4,
        "concurrency halved after a secondary limit"
    );
    // Requests that passed the gate before the pause may still arrive (late on a loaded
    // machine): wait until the count holds still for 100 ms, then nothing new may leave.
    let mut during = h.stats();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = h.stats();
        if now.requests == during.requests {
            break;
        }
        during = now;
    }
    let left = (pause.until - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(left.saturating_sub(Duration::from_millis(250))).await;
    let after = h.stats();
    assert!(
        chrono::Utc::now() < pause.until,
        "the check ran inside the pause"
    );
    assert_eq!(
        after.requests, during.requests,
        "no request leaves while paused: {:?} -> {:?}",
        during.by_route, after.by_route
    );
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(h.stats().secondary_limit_hits, 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_exhaustion_waits_for_the_reset() {
    let h = hub(|_| {}).await;
    // Unscaled: the wait runs until fakehub's real reset; the test cancels it.
    let c = client(&h, 1.0, None);
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*", "kind": "primary_limit", "next": 1 }]),
    ));
    let mut rx = c.rate_state();
    let c2 = c.clone();
    let call = tokio::spawn(async move { c2.rest_snapshot(&key(2), Priority::User).await });
    let pause = loop {
        rx.changed().await.unwrap();
        let p = rx.borrow().pause.clone();
        if let Some(p) = p {
            break p;
        }
    };
    assert_eq!(
        pause.reason,
        WaitReason::Exhausted {
            bucket: "core".into()
        }
    );
    let reset = rx.borrow().buckets["core"].reset;
    assert!(
        pause.until >= reset,
        "waits until the reset + 1 s: {} vs {reset}",
        pause.until
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        h.stats().requests,
        1,
        "nothing is sent while the bucket is empty"
    );
    c.cancel_waits();
    assert_eq!(call.await.unwrap().unwrap_err(), GithubError::Cancelled);
    assert_eq!(h.stats().primary_limit_hits, 1);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_never_exceeds_the_cap_and_search_is_spaced() {
    let h = hub(|c| c.latency_ms = 30).await;
    let c = client(&h, 0.05, None);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.rest_snapshot(&key(i), Priority::User).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let s = h.stats();
    assert!(
        s.max_in_flight <= 4 && s.max_in_flight >= 2,
        "max in flight {}",
        s.max_in_flight
    );
    // Search: three pages, spaced (2 s scaled to 100 ms) - fakehub's 30/min search limit is never hit.
    let hits = c.search_repos("repo", 250).await.unwrap();
    assert!(!hits.is_empty());
    assert_eq!(h.stats().primary_limit_hits, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_partial_errors_keep_the_good_repos() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    let mut targets: Vec<RepoTarget> = (0..49).map(|i| RepoTarget::Name(key(i))).collect();
    targets.insert(
        17,
        RepoTarget::Name(RepoKey::parse("octo-org/does-not-exist").unwrap()),
    );
    let out = c.probe(&targets, Priority::User).await.unwrap();
    assert_eq!(out.len(), 50);
    assert_eq!(out.iter().filter(|r| r.is_ok()).count(), 49);
    assert!(
        matches!(out[17], Err(GithubError::NotFound { .. })),
        "{:?}",
        out[17]
    );
    let p = out[18].as_ref().unwrap();
    assert_eq!(p.full_name, "octo-org/repo-0017");
    assert!(p.head_sha.is_some());
    assert_eq!(h.stats().graphql_queries, 1, "one query for 50 repos");
    assert!(c.accounting().points.get("graphql").copied().unwrap_or(0) >= 1);
    // Details by node id, following what the probe returned.
    let ids: Vec<RepoTarget> = out
        .iter()
        .flatten()
        .take(5)
        .map(|p| RepoTarget::Node(p.node_id.clone()))
        .collect();
    let details = c.details(&ids, Priority::User).await.unwrap();
    assert!(details.iter().all(|d| d.is_ok()), "{details:?}");
    assert!(details[0].as_ref().unwrap().head.is_some());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphql_batch_halves_on_502_and_grows_back() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    h.set_faults(faults(
        json!([{ "route": "/graphql", "kind": "status", "status": 502, "next": 2 }]),
    ));
    let targets: Vec<RepoTarget> = (0..30).map(|i| RepoTarget::Name(key(i))).collect();
    let out = c.details(&targets, Priority::User).await.unwrap();
    assert!(out.iter().all(|r| r.is_ok()));
    let (_, k) = c.batch_sizes();
    assert!(k > 6, "grew back after the halving, now {k}");
    assert!(
        h.stats().graphql_queries >= 4,
        "{}",
        h.stats().graphql_queries
    );
    h.set_faults(faults(
        json!([{ "route": "/graphql", "kind": "graphql_resource_limits", "next": 1 }]),
    ));
    let out = c.probe(&targets, Priority::User).await.unwrap();
    assert!(out.iter().all(|r| r.is_ok()));
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_then_succeed() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*/commits/*", "kind": "status", "status": 503, "next": 3 }]),
    ));
    let sha = c
        .probe(&[RepoTarget::Name(key(3))], Priority::User)
        .await
        .unwrap()[0]
        .as_ref()
        .unwrap()
        .head_sha
        .clone()
        .unwrap();
    let commit = c.commit(&key(3), &sha).await.unwrap();
    assert_eq!(commit.sha, sha);
    assert!(commit.stats.is_some() && commit.files.is_some());
    assert_eq!(c.accounting().retries, 3);
    // More failures than attempts: the error is surfaced, not retried forever.
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*/commits/*", "kind": "status", "status": 500 }]),
    ));
    assert_eq!(
        c.commit(&key(3), &sha).await.unwrap_err(),
        GithubError::Server { status: 500 }
    );
    assert_eq!(c.accounting().retries, 6, "4 attempts at most");
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_times_out_then_retries_and_reset_mid_body_retries() {
    let h = hub(|_| {}).await;
    // Scaled so the breaker's give-up window (20 s) stays well above the 500 ms read timeout:
    // one hung request is a retry, not an unavailable endpoint, even on a loaded machine.
    let c = client_with(&h, 0.1, None, Duration::from_millis(500));
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*/languages", "kind": "hang", "next": 1 }]),
    ));
    let snap = c
        .rest_snapshot(&key(4), Priority::User)
        .await
        .unwrap()
        .into_inner();
    assert!(!snap.meta.languages.is_empty());
    assert!(c.accounting().retries >= 1);
    h.set_faults(faults(
        json!([{ "route": "/repos/*/*/releases", "kind": "reset", "next": 1 }]),
    ));
    assert!(c.rest_snapshot(&key(5), Priority::User).await.is_ok());
    assert!(c.accounting().retries >= 2);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_is_a_decode_error_for_that_repo_only() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    h.set_faults(faults(
        json!([{ "route": "/repos/octo-org/repo-0006", "kind": "truncate" }]),
    ));
    let (k6, k7) = (key(6), key(7));
    let (a, b) = tokio::join!(
        c.rest_snapshot(&k6, Priority::User),
        c.rest_snapshot(&k7, Priority::User)
    );
    let err = a.unwrap_err();
    assert!(
        matches!(
            err,
            GithubError::Truncated { .. } | GithubError::NotJson { .. } | GithubError::Network(_)
        ),
        "{err:?}"
    );
    assert!(b.is_ok());
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_mid_run_is_surfaced_once_without_a_retry_storm() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    c.rest_snapshot(&key(1), Priority::User).await.unwrap();
    h.set_faults(faults(json!([{ "kind": "bad_credentials" }])));
    let before = h.stats().requests;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.rest_snapshot(&key(i), Priority::User).await })
        })
        .collect();
    for t in tasks {
        let e = t.await.unwrap().unwrap_err();
        assert!(matches!(e, GithubError::Unauthorized { .. }), "{e:?}");
    }
    let sent = h.stats().requests - before;
    assert!(
        sent <= 4,
        "at most the requests already in flight reached GitHub, got {sent}"
    );
    assert_eq!(c.accounting().retries, 0);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renamed_repository_is_followed() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, None);
    let m: fakehub::Mutation = serde_json::from_value(
        json!({"repo": "octo-org/repo-0008", "kind": "rename", "to": "renamed-0008"}),
    )
    .expect("rename mutation");
    h.mutate(m).expect("rename");
    let snap = c
        .rest_snapshot(&key(8), Priority::User)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        snap.meta.full_name.to_ascii_lowercase(),
        "octo-org/renamed-0008"
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_link_headers_are_refused() {
    let h = hub(|c| c.repos = 250).await;
    let c = client(&h, 0.001, None);
    let all = c
        .list_repos(&ImportSource::Org("octo-org".into()), Priority::User)
        .await
        .unwrap();
    assert!(all.len() >= 250, "three pages followed, got {}", all.len());
    for kind in ["link_foreign", "link_loop", "link_malformed"] {
        h.set_faults(faults(json!([{ "route": "/orgs/*/repos", "kind": kind }])));
        let before = h.stats().requests;
        let err = c
            .list_repos(&ImportSource::Org("octo-org".into()), Priority::User)
            .await
            .unwrap_err();
        assert!(
            matches!(err, GithubError::BadLink { .. }),
            "{kind}: {err:?}"
        );
        assert!(!err.to_string().contains("report it"), "{kind}: {err}");
        assert!(h.stats().requests - before <= 2, "{kind}: stopped early");
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_names_repodeck_as_its_user_agent() {
    let h = hub(|_| {}).await;
    let c = client(&h, 0.001, Some(Arc::new(MemEtags::default())));
    c.refresh_rate_limit().await.unwrap();
    c.rest_snapshot(&key(1), Priority::User).await.unwrap();
    let targets = vec![RepoTarget::Name(key(2))];
    c.probe(&targets, Priority::User).await.unwrap();
    c.details(&targets, Priority::User).await.unwrap();
    let stats = h.stats();
    let want = format!("repodeck/{}", env!("CARGO_PKG_VERSION"));
    // Ours is the first value. octocrab appends its own `octocrab` after it on every request and
    // has no setting to leave it out; the test accepts that second value, never a missing first.
    for agents in stats.user_agents.keys() {
        assert!(
            *agents == want || agents.starts_with(&format!("{want}, ")),
            "{agents:?}"
        );
    }
    assert_eq!(
        stats.user_agents.values().sum::<u64>(),
        stats.requests,
        "every REST and GraphQL request names repodeck"
    );
    assert!(stats.graphql_queries >= 2 && stats.requests > stats.graphql_queries);
}
