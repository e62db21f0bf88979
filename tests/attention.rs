//! The attention queue below the TUI: the search answer's conversion (a GitHub-shaped fixture),
//! the client's one query against fakehub (what it finds, what it costs), and the engine's
//! `Attention` / `AttentionSeen` commands over a real store.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::sync::Arc;
use std::time::Duration;

use repodeck::config::Config;
use repodeck::domain::{
    AttentionReason, AttentionSearchState, AttentionSubject, CiState, ReviewDecision,
};
use repodeck::fakehub::{self, FakehubConfig, Handle};
use repodeck::github::{ClientOptions, GithubClient, GithubError};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::{EngineHandle, ImportOptions, ImportSource, SyncCommand, SyncEvent};
use secrecy::SecretString;

const TOKEN: &str = "ghp_attentiontest00000000000000000000000";

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github/graphql/attention-search.json"
    ))
    .unwrap();
    serde_json::from_str(&text).unwrap()
}

async fn hub() -> Handle {
    fakehub::spawn(FakehubConfig {
        repos: 60,
        ..FakehubConfig::default()
    })
    .await
    .expect("fakehub starts")
}

fn client(h: &Handle, token: Option<&str>) -> GithubClient {
    GithubClient::new(ClientOptions {
        api_url: h.url().to_string(),
        graphql_url: format!("{}/graphql", h.url()),
        token: token.map(|t| SecretString::from(t.to_string())),
        ..ClientOptions::default()
    })
    .unwrap()
}

#[test]
fn the_search_answer_converts_to_the_domain() {
    let mut v = fixture();
    let s = repodeck::github::attention::convert(v["data"].take()).unwrap();
    assert_eq!(s.login, "octocat");
    assert_eq!(s.cost, 1);
    assert_eq!(s.remaining, Some(4999));
    assert!(s.truncated, "issueCount 51 > the 3 nodes of the page");
    assert_eq!(
        s.review_requested.len(),
        1,
        "`{{}}` and null nodes are skipped"
    );
    let r = &s.review_requested[0];
    assert_eq!(
        (r.repo.as_str(), r.number, r.ci, r.review_decision),
        (
            "Codertocat/Hello-World",
            2,
            CiState::Pending,
            Some(ReviewDecision::ReviewRequired)
        )
    );
    assert_eq!(
        r.updated_at.unwrap().to_rfc3339(),
        "2019-05-15T15:20:33+00:00"
    );
    let mine = &s.authored;
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].number, 1347);
    assert_eq!(mine[0].ci, CiState::Failure, "ERROR fails");
    assert_eq!(
        mine[0].review_decision,
        Some(ReviewDecision::ChangesRequested)
    );
    assert_eq!((mine[1].draft, mine[1].ci), (true, CiState::None));
    assert_eq!(mine[1].title, "The doors don’t open");
}

#[test]
fn an_answer_without_the_searches_is_a_decode_error_not_an_empty_queue() {
    let err = repodeck::github::attention::convert(serde_json::json!({"viewer": {"login": "x"}}))
        .unwrap_err();
    assert!(matches!(err, GithubError::Decode { .. }), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_query_finds_review_requests_and_own_prs_for_one_point() {
    let h = hub().await;
    let c = client(&h, Some(TOKEN));
    let before = h.stats();
    let s = c.attention_search().await.unwrap();
    let after = h.stats();
    assert_eq!(s.login, "octocat");
    assert!(
        !s.review_requested.is_empty(),
        "fakehub asks octocat for reviews"
    );
    assert!(!s.authored.is_empty(), "octocat has open PRs");
    assert!(
        s.authored.iter().any(|p| p.ci == CiState::Failure
            || p.review_decision == Some(ReviewDecision::ChangesRequested)),
        "some own PRs need work"
    );
    assert_eq!(after.requests - before.requests, 1, "one request");
    assert_eq!(
        s.cost, 1,
        "GitHub's formula: 2 connections / 100, at least 1"
    );
    assert_eq!(after.points.graphql - before.points.graphql, 1);
    assert_eq!(c.accounting().points.get("graphql"), Some(&1));
    let bucket = c.rate_state().borrow().buckets.get("graphql").cloned();
    assert_eq!(bucket.map(|b| b.remaining), s.remaining);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_nothing_is_sent() {
    let h = hub().await;
    let c = client(&h, None);
    let err = c.attention_search().await.unwrap_err();
    assert!(matches!(err, GithubError::Unauthorized { .. }), "{err:?}");
    assert_eq!(h.stats().requests, 0);
    h.shutdown().await;
}

struct Env {
    _dir: tempfile::TempDir,
    hub: Handle,
    store: Arc<Store>,
    engine: EngineHandle,
}

async fn env(token: Option<&str>) -> Env {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let importer = client(&hub, Some(TOKEN));
    let opts = ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    };
    engine::import(&importer, &store, &opts).await.unwrap();
    let mut config = Config::default();
    config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        client(&hub, token),
        config,
        EngineOptions::default(),
    );
    Env {
        _dir: dir,
        hub,
        store,
        engine,
    }
}

async fn next_attention(engine: &mut EngineHandle) -> SyncEvent {
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
            .await
            .expect("an answer in time")
            .expect("engine running");
        if matches!(
            ev,
            SyncEvent::AttentionLoaded { .. } | SyncEvent::AttentionFailed { .. }
        ) {
            return ev;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_answers_the_queue_and_records_the_last_look() {
    let mut e = env(Some(TOKEN)).await;
    e.engine.commands.send(SyncCommand::Attention).unwrap();
    let SyncEvent::AttentionLoaded {
        items,
        search,
        seen,
    } = next_attention(&mut e.engine).await
    else {
        panic!("the queue failed")
    };
    assert_eq!(seen, None, "never looked");
    let AttentionSearchState::Done { login, cost, .. } = search else {
        panic!("{search:?}")
    };
    assert_eq!((login.as_str(), cost), ("octocat", 1));
    let review: Vec<_> = items
        .iter()
        .filter(|i| i.reason == AttentionReason::ReviewRequested)
        .collect();
    assert!(!review.is_empty());
    for i in &review {
        assert_eq!(
            i.local.is_some(),
            i.repo.starts_with("octo-org/"),
            "the org's repos are tracked here, the users' are not: {}",
            i.repo
        );
    }
    let first_untracked = review.iter().position(|i| i.local.is_none());
    if let Some(n) = first_untracked {
        assert!(
            review[n..].iter().all(|i| i.local.is_none()),
            "tracked repos first"
        );
    }
    assert!(
        items
            .iter()
            .all(|i| matches!(i.subject, AttentionSubject::PullRequest { .. })),
        "nothing synced yet: only the search's rows"
    );
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_900_000_000, 0).unwrap();
    e.engine
        .commands
        .send(SyncCommand::AttentionSeen { at })
        .unwrap();
    e.engine.commands.send(SyncCommand::Attention).unwrap();
    let SyncEvent::AttentionLoaded { seen, .. } = next_attention(&mut e.engine).await else {
        panic!("the queue failed")
    };
    assert_eq!(seen, Some(at), "the look was stored before the next queue");
    assert_eq!(e.store.attention_seen().unwrap(), Some(at));
    e.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_engine_still_answers_the_stores_part() {
    let mut e = env(None).await;
    let before = e.hub.stats().requests;
    e.engine.commands.send(SyncCommand::Attention).unwrap();
    let SyncEvent::AttentionLoaded { items, search, .. } = next_attention(&mut e.engine).await
    else {
        panic!("the queue failed")
    };
    assert!(items.is_empty(), "nothing synced, nothing searched");
    let AttentionSearchState::Unavailable { message } = search else {
        panic!("{search:?}")
    };
    assert!(message.contains("repodeck token set"), "{message}");
    assert_eq!(e.hub.stats().requests, before, "no request sent");
    e.hub.shutdown().await;
}

#[test]
fn the_command_and_the_queue_cross_the_host_socket() {
    use repodeck::host::protocol::{ClientMsg, HostMsg, decode, encode};
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(1_900_000_000, 0).unwrap();
    for c in [SyncCommand::Attention, SyncCommand::AttentionSeen { at }] {
        let back: ClientMsg = decode(&encode(&ClientMsg::Command(c.clone())).unwrap()).unwrap();
        assert!(matches!(back, ClientMsg::Command(x) if x == c));
    }
    let mut v = fixture();
    let s = repodeck::github::attention::convert(v["data"].take()).unwrap();
    let items = repodeck::sync::attention::order(repodeck::sync::attention::search_rows(&s, &[]));
    assert_eq!(
        items.len(),
        2,
        "the review request and the PR with changes requested"
    );
    let ev = SyncEvent::AttentionLoaded {
        items,
        search: AttentionSearchState::Done {
            login: s.login,
            cost: s.cost,
            remaining: s.remaining,
            truncated: s.truncated,
        },
        seen: Some(at),
    };
    let back: HostMsg = decode(&encode(&HostMsg::Event(ev.clone())).unwrap()).unwrap();
    assert!(matches!(back, HostMsg::Event(e) if e == ev));
}
