//! The token never leaks: absent from every error string (Display and Debug) and every log line
//! (tracing at TRACE, octocrab's own spans included), across failure paths against fakehub.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use repodeck::config::Reserve;
use repodeck::domain::RepoKey;
use repodeck::fakehub::{self, FakehubConfig, FaultRule};
use repodeck::github::{ClientOptions, GithubClient, RepoTarget, Timing};
use repodeck::secrets::TokenSource;
use repodeck::sync::{ImportSource, Priority};
use secrecy::SecretString;
use serde_json::json;

const TOKEN: &str = "ghp_LEAKCANARY0123456789abcdefghijklmnop";

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_absent_from_every_error_and_log_line() {
    let buf = Buf::default();
    let writer = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let h = fakehub::spawn(FakehubConfig {
        repos: 20,
        tokens: vec![TOKEN.to_string()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let c = GithubClient::new(ClientOptions {
        api_url: h.url().to_string(),
        graphql_url: format!("{}/graphql", h.url()),
        token: Some(SecretString::from(format!("  {TOKEN}\n"))),
        token_source: Some(TokenSource::Env("GITHUB_TOKEN")),
        max_concurrency: 4,
        reserve: Reserve::Absolute(0),
        etags: None,
        max_pages: 100,
        timing: Timing {
            read_timeout: Duration::from_millis(300),
            request_timeout: Duration::from_secs(2),
            scale: 0.001,
            ..Timing::default()
        },
    })
    .unwrap();
    let key = RepoKey::parse("octo-org/repo-0001").unwrap();
    let mut errors = Vec::new();
    let rules: Vec<FaultRule> = serde_json::from_value(json!([
        { "route": "/repos/*/*", "kind": "status", "status": 500, "next": 4 },
        { "route": "/repos/*/*/languages", "kind": "hang", "next": 4 },
        { "route": "/repos/*/*/branches", "kind": "secondary_limit", "retry_after": 1, "next": 1 },
        { "route": "/orgs/*/repos", "kind": "link_foreign" },
        { "route": "/graphql", "kind": "graphql_partial", "fraction": 0.5 }
    ]))
    .unwrap();
    h.set_faults(rules);
    errors.extend(c.rest_snapshot(&key, Priority::User).await.err());
    errors.extend(c.rest_snapshot(&key, Priority::User).await.err());
    errors.extend(
        c.list_repos(&ImportSource::Org("octo-org".into()), Priority::User)
            .await
            .err(),
    );
    let targets: Vec<RepoTarget> = (0..10)
        .map(|i| RepoTarget::Name(RepoKey::parse(&format!("octo-org/repo-{i:04}")).unwrap()))
        .collect();
    if let Ok(results) = c.probe(&targets, Priority::User).await {
        errors.extend(results.into_iter().filter_map(Result::err));
    }
    errors.extend(
        c.commit(&key, "0000000000000000000000000000000000000000")
            .await
            .err(),
    );
    h.set_faults(serde_json::from_value(json!([{ "kind": "bad_credentials" }])).unwrap());
    errors.extend(c.viewer().await.err());
    errors.extend(c.rest_snapshot(&key, Priority::User).await.err());
    assert!(errors.len() >= 4, "the failure paths ran: {errors:?}");
    let token_tail = &TOKEN[4..];
    for e in &errors {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(token_tail), "token in error: {text}");
        }
    }
    assert!(!format!("{c:?}").contains(token_tail));
    h.shutdown().await;
    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
    assert!(logs.lines().count() > 10, "logging was captured");
    for line in logs.lines() {
        assert!(!line.contains(token_tail), "token in a log line: {line}");
    }
}
