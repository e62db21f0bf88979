//! Repository statistics against an in-process fakehub (127.0.0.1 only), with the real client:
//! GitHub's 202 while it computes (never cached, never waited for), then 200; an unchanged repo
//! answered by 304s that cost nothing; a push makes GitHub compute again; errors mapped to the
//! taxonomy; and the engine's `FetchStats` (stored statistics first, a fetch when stale, the store
//! written with its ETags, nothing asked while they are fresh).
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use repodeck::config::Config;
use repodeck::domain::{LocalId, Priority, RepoKey, RepoStats};
use repodeck::fakehub::{
    self, FakehubConfig, FaultKind, FaultRule, Handle, Mutation, MutationKind,
};
use repodeck::github::{
    ClientOptions, Conditional, EtagCache, GithubClient, GithubError, StatsAnswer, Timing,
};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::etags::StoreEtags;
use repodeck::sync::{EngineHandle, SyncCommand, SyncEvent};
use secrecy::SecretString;

const TOKEN: &str = "ghp_statsTOKENvalue0123456789abcdefghijk";
const PARTICIPATION: &str = "GET /repos/{owner}/{repo}/stats/participation";
const CONTRIBUTORS: &str = "GET /repos/{owner}/{repo}/stats/contributors";

type EtagMap = HashMap<(String, String), (String, Vec<u8>)>;
/// What an error must look like.
type Expect = fn(&GithubError) -> bool;

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

async fn hub(polls: u32) -> Handle {
    fakehub::spawn(FakehubConfig {
        repos: 5,
        stats_compute_polls: polls,
        ..FakehubConfig::default()
    })
    .await
    .expect("fakehub starts")
}

fn client(h: &Handle, etags: Arc<dyn EtagCache>) -> GithubClient {
    GithubClient::new(ClientOptions {
        api_url: h.url().to_string(),
        graphql_url: format!("{}/graphql", h.url()),
        token: Some(SecretString::from(TOKEN.to_string())),
        etags: Some(etags),
        timing: Timing {
            scale: 0.001,
            ..Timing::default()
        },
        ..ClientOptions::default()
    })
    .expect("client")
}

fn key() -> RepoKey {
    RepoKey::parse("octo-org/repo-0001").unwrap()
}

fn ready(a: StatsAnswer) -> Conditional<RepoStats> {
    match a {
        StatsAnswer::Ready(s) => s,
        StatsAnswer::Computing => panic!("expected statistics, GitHub was still computing"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_202_is_reported_at_once_then_200_then_304s_cost_nothing() {
    let h = hub(2).await;
    let etags = Arc::new(MemEtags::default());
    let c = client(&h, etags.clone());
    for round in 0..2 {
        let a = c.repo_stats(&key(), Priority::User).await.unwrap();
        assert_eq!(
            a,
            StatsAnswer::Computing,
            "round {round}: 202 while computing"
        );
    }
    assert!(
        etags.0.lock().unwrap().is_empty(),
        "a 202 is never cached: {:?}",
        etags.0.lock().unwrap().keys()
    );
    assert_eq!(
        h.stats().status(202),
        4,
        "both endpoints answered 202 twice"
    );

    let first = ready(c.repo_stats(&key(), Priority::User).await.unwrap());
    assert!(first.is_changed());
    let stats = first.into_inner();
    assert_eq!(stats.weekly_commits.len(), 52);
    assert!(stats.weekly_commits.iter().any(|w| *w > 0));
    assert!(!stats.contributors.is_empty() && stats.contributors.len() <= 10);
    assert!(
        stats
            .contributors
            .windows(2)
            .all(|p| p[0].commits >= p[1].commits),
        "most commits first: {:?}",
        stats.contributors
    );
    assert_eq!(stats.fetched_at, None, "the caller dates them");
    assert_eq!(etags.0.lock().unwrap().len(), 2, "both 200s cached");

    let points = h.stats().points.core;
    let requests = h.stats().requests;
    let second = c.repo_stats(&key(), Priority::User).await.unwrap();
    assert_eq!(
        second,
        StatsAnswer::Ready(Conditional::Unchanged(stats.clone())),
        "the cached bodies rebuild the same statistics"
    );
    assert_eq!(h.stats().requests, requests + 2);
    assert_eq!(h.stats().points.core, points, "304s cost nothing");
    assert_eq!(h.stats().not_modified, 2);
    assert_eq!(h.stats().count(PARTICIPATION), 4);
    assert_eq!(h.stats().count(CONTRIBUTORS), 4);

    // A push: GitHub computes again (202 twice), then the new week's count is there.
    h.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Push))
        .unwrap();
    for _ in 0..2 {
        let a = c.repo_stats(&key(), Priority::User).await.unwrap();
        assert_eq!(a, StatsAnswer::Computing);
    }
    let after = ready(c.repo_stats(&key(), Priority::User).await.unwrap());
    assert!(after.is_changed());
    let after = after.into_inner();
    assert!(
        after.weekly_commits[51] > stats.weekly_commits[51],
        "the push counts in this week: {} -> {}",
        stats.weekly_commits[51],
        after.weekly_commits[51]
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_map_to_the_taxonomy_and_never_panic() {
    let h = hub(0).await;
    let cases: Vec<(FaultKind, Expect)> = vec![
        (FaultKind::Status { status: 422 }, |e| {
            matches!(e, GithubError::UnexpectedStatus { status: 422, .. })
        }),
        (
            FaultKind::Status { status: 404 },
            |e| matches!(e, GithubError::PartNotFound { part, .. } if part == "statistics"),
        ),
        (FaultKind::Status { status: 403 }, |e| {
            matches!(e, GithubError::Forbidden { .. })
        }),
        (FaultKind::Status { status: 502 }, |e| {
            matches!(
                e,
                GithubError::Server { status: 502 } | GithubError::Unavailable { .. }
            )
        }),
        // A body cut off mid-way (malformed JSON is `stats.rs`'s unit test).
        (FaultKind::Truncate, |e| {
            matches!(e, GithubError::Truncated { .. } | GithubError::Network(_))
        }),
    ];
    for (kind, want) in cases {
        let label = format!("{kind:?}");
        h.set_faults(vec![FaultRule::new("/repos/*/*/stats/contributors", kind)]);
        // A client each: the 502s would open the circuit breaker for the next case.
        let c = client(&h, Arc::new(MemEtags::default()));
        let e = c.repo_stats(&key(), Priority::User).await.unwrap_err();
        assert!(want(&e), "{label}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
    h.set_faults(Vec::new());
    let c = client(&h, Arc::new(MemEtags::default()));
    assert!(matches!(
        c.repo_stats(&key(), Priority::User).await.unwrap(),
        StatsAnswer::Ready(_)
    ));
    h.shutdown().await;
}

struct Env {
    _dir: tempfile::TempDir,
    hub: Handle,
    store: Arc<Store>,
    engine: EngineHandle,
}

async fn engine_env(polls: u32) -> Env {
    let hub = hub(polls).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let c = client(&hub, etags.clone());
    store.add(&key()).unwrap();
    let mut config = Config::default();
    config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        c,
        config,
        EngineOptions {
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    Env {
        _dir: dir,
        hub,
        store,
        engine,
    }
}

/// The next statistics event.
async fn stats_event(engine: &mut EngineHandle) -> SyncEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
            .await
            .expect("engine answers")
            .expect("engine alive");
        if matches!(
            ev,
            SyncEvent::StatsFetched { .. }
                | SyncEvent::StatsComputing { .. }
                | SyncEvent::StatsFailed { .. }
        ) {
            return ev;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_stats_reports_computing_then_stores_them_and_serves_fresh_ones_from_the_store() {
    let mut env = engine_env(1).await;
    let id = env.store.find(&key()).unwrap().unwrap().local;
    let ask = |e: &EngineHandle| e.commands.send(SyncCommand::FetchStats(id)).unwrap();

    ask(&env.engine);
    match stats_event(&mut env.engine).await {
        SyncEvent::StatsComputing {
            id: got,
            retry_secs,
        } => {
            assert_eq!(got, id);
            assert!(retry_secs > 0);
        }
        other => panic!("expected StatsComputing, got {other:?}"),
    }
    assert_eq!(env.store.stats_get(id).unwrap(), None, "nothing stored yet");

    ask(&env.engine);
    let SyncEvent::StatsFetched { id: got, stats } = stats_event(&mut env.engine).await else {
        panic!("expected StatsFetched");
    };
    assert_eq!(got, id);
    assert_eq!(stats.weekly_commits.len(), 52);
    assert!(stats.fetched_at.is_some());
    assert_eq!(env.store.stats_get(id).unwrap(), Some((*stats).clone()));
    let fp_urls = env.hub.stats().count(PARTICIPATION);

    // Fresh: answered from the store, no request.
    let requests = env.hub.stats().requests;
    ask(&env.engine);
    let SyncEvent::StatsFetched { stats: again, .. } = stats_event(&mut env.engine).await else {
        panic!("expected StatsFetched");
    };
    assert_eq!(again, stats);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        env.hub.stats().requests,
        requests,
        "fresh statistics cost no request"
    );
    assert_eq!(env.hub.stats().count(PARTICIPATION), fp_urls);

    // A day old: the stored ones at once, then a conditional refresh (304s, free).
    let mut old = (*stats).clone();
    old.fetched_at = Some(chrono::Utc::now() - chrono::Duration::hours(25));
    assert!(env.store.stats_put(id, &old, &[]).unwrap());
    let points = env.hub.stats().points.core;
    ask(&env.engine);
    let SyncEvent::StatsFetched { stats: first, .. } = stats_event(&mut env.engine).await else {
        panic!("expected the stored statistics first");
    };
    assert_eq!(first.fetched_at, old.fetched_at);
    let SyncEvent::StatsFetched { stats: fresh, .. } = stats_event(&mut env.engine).await else {
        panic!("expected the refreshed statistics");
    };
    assert!(fresh.fetched_at > old.fetched_at);
    assert_eq!(fresh.weekly_commits, stats.weekly_commits);
    assert_eq!(env.hub.stats().not_modified, 2, "both answered 304");
    assert_eq!(env.hub.stats().points.core, points, "and cost nothing");
    let _ = env.engine.commands.send(SyncCommand::Shutdown);
    env.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_stats_of_an_untracked_repo_fails_with_a_message() {
    let mut env = engine_env(0).await;
    env.engine
        .commands
        .send(SyncCommand::FetchStats(LocalId(999_999)))
        .unwrap();
    match stats_event(&mut env.engine).await {
        SyncEvent::StatsFailed { id, message } => {
            assert_eq!(id, LocalId(999_999));
            assert!(message.contains("no longer tracked"), "{message}");
        }
        other => panic!("expected StatsFailed, got {other:?}"),
    }
    assert_eq!(env.hub.stats().requests, 0);
    env.hub.shutdown().await;
}
