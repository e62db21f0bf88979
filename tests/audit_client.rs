//! The client's audit records against fakehub: one per attempt that reached GitHub (retries after
//! a 500 and a connection reset included, with the failure kind when no answer came), the token's
//! id and source (never the token), the repository of a REST request, a GraphQL batch as one
//! record with its repository count and reported cost.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use repodeck::config::Reserve;
use repodeck::domain::{FailureKind, RepoKey, RequestOutcome, RequestRecord, TokenKind};
use repodeck::fakehub::{self, FakehubConfig, FaultRule};
use repodeck::github::{AuditSink, ClientOptions, GithubClient, RepoTarget, Timing};
use repodeck::secrets::TokenSource;
use repodeck::sync::Priority;
use secrecy::SecretString;
use serde_json::json;

const TOKEN: &str = "ghp_AUDITclient0123456789abcdefghijklmnop";

#[derive(Default)]
struct Capture(Mutex<Vec<RequestRecord>>);

impl AuditSink for Capture {
    fn record(&self, record: RequestRecord) {
        self.0.lock().unwrap().push(record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_is_recorded_with_its_outcome_and_points() {
    let h = fakehub::spawn(FakehubConfig {
        repos: 5,
        tokens: vec![TOKEN.to_string()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let sink = Arc::new(Capture::default());
    let c = GithubClient::with_audit(
        ClientOptions {
            api_url: h.url().to_string(),
            graphql_url: format!("{}/graphql", h.url()),
            token: Some(SecretString::from(TOKEN.to_string())),
            token_source: Some(TokenSource::Env("GITHUB_TOKEN")),
            reserve: Reserve::Absolute(0),
            timing: Timing {
                scale: 0.001,
                ..Timing::default()
            },
            ..ClientOptions::default()
        },
        Some(sink.clone() as Arc<dyn AuditSink>),
    )
    .unwrap();
    let key = RepoKey::parse("octo-org/repo-0001").unwrap();
    let rules: Vec<FaultRule> = serde_json::from_value(json!([
        { "route": "/repos/*/*", "kind": "status", "status": 500, "next": 1 },
        { "route": "/repos/*/*/branches", "kind": "reset", "next": 1 }
    ]))
    .unwrap();
    h.set_faults(rules);
    c.rest_snapshot(&key, Priority::User).await.unwrap();
    h.set_faults(Vec::new());
    let targets: Vec<RepoTarget> = (0..3)
        .map(|i| RepoTarget::Name(RepoKey::parse(&format!("octo-org/repo-{i:04}")).unwrap()))
        .collect();
    c.probe(&targets, Priority::User).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let recs = sink.0.lock().unwrap().clone();
    let stats = h.stats();
    assert_eq!(
        recs.len() as u64,
        stats.requests,
        "one record per request served"
    );
    assert_eq!(recs.len() as u64, c.accounting().requests);
    for r in &recs {
        assert_eq!(r.source, TokenKind::Env);
        assert_eq!(r.token.as_deref(), Some("ghp_…mnop"));
        assert!(!format!("{r:?}").contains(&TOKEN[4..12]));
    }
    let rest: Vec<_> = recs.iter().filter(|r| r.class != "/graphql").collect();
    assert!(
        rest.iter()
            .any(|r| r.outcome == RequestOutcome::Status(500) && r.points == 1),
        "the 500 is recorded: {rest:?}"
    );
    assert!(
        rest.iter()
            .any(|r| r.outcome == RequestOutcome::Failed(FailureKind::Network) && r.points == 0),
        "the reset is recorded as a network failure: {rest:?}"
    );
    assert!(
        rest.iter()
            .filter(|r| r.class.starts_with("/repos/"))
            .all(|r| r.repo.as_deref() == Some("octo-org/repo-0001") && r.method == "GET"),
        "{rest:?}"
    );
    let gql: Vec<_> = recs.iter().filter(|r| r.class == "/graphql").collect();
    assert_eq!(gql.len(), 1, "one record per batch: {gql:?}");
    assert_eq!((gql[0].repos, gql[0].repo.as_deref()), (3, None));
    assert_eq!(u64::from(gql[0].points), stats.graphql_cost);
    assert_eq!(gql[0].method, "POST");
    h.shutdown().await;
}
