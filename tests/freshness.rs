//! Freshness against an in-process fakehub and the real binary: event hints (an unchanged feed
//! answers 304 and costs nothing, polls wait for `X-Poll-Interval`, a new event names its repo),
//! the engine's own background probes and published plan, and `repodeck status` (text, JSON).
//! The planner's cadence classes and budget over a simulated hour are unit-tested in
//! `src/sync/freshness.rs`.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use repodeck::config::Config;
use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::hints::Hints;
use repodeck::sync::{ImportOptions, ImportSource, SyncEvent};
use secrecy::SecretString;

async fn hub(poll: u64) -> (Handle, GithubClient) {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 20,
        events_poll_interval: poll,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let client = GithubClient::new(ClientOptions {
        api_url: hub.url().to_string(),
        graphql_url: format!("{}/graphql", hub.url()),
        token: Some(SecretString::from(
            "ghp_freshness000000000000000000000000000".to_string(),
        )),
        ..ClientOptions::default()
    })
    .unwrap();
    (hub, client)
}

#[tokio::test]
async fn event_hints_cost_nothing_when_unchanged_and_wait_for_the_poll_interval() {
    let (hub, client) = hub(120).await;
    let mut hints = Hints::default();
    let t0 = Instant::now();
    hints.set_owners(["Octo-Org".to_string()], t0);
    // The first answer is old news: nothing is hinted.
    assert!(hints.poll_due(&client, t0).await.is_empty());
    assert_eq!(hints.stats().polls, 1);
    hub.reset_stats();
    // X-Poll-Interval is 120 s: not polled again before then.
    assert!(
        hints
            .poll_due(&client, t0 + Duration::from_secs(119))
            .await
            .is_empty()
    );
    assert_eq!(hints.stats().polls, 1, "no poll before X-Poll-Interval");
    assert_eq!(hub.stats().requests, 0);
    // After it: a conditional poll, answered 304, free.
    assert!(
        hints
            .poll_due(&client, t0 + Duration::from_secs(120))
            .await
            .is_empty()
    );
    let s = hub.stats();
    assert_eq!((s.requests, s.not_modified), (1, 1));
    assert_eq!(s.points.core + s.points.graphql, 0, "a 304 costs nothing");
    assert_eq!(hints.stats().not_modified, 1);
    // A push makes an event that names its repo at the next poll.
    hub.mutate(Mutation::new("octo-org/repo-0003", MutationKind::Push))
        .unwrap();
    let named = hints.poll_due(&client, t0 + Duration::from_secs(240)).await;
    assert_eq!(named, vec!["octo-org/repo-0003".to_string()]);
    // A description edit is no event on GitHub: nothing new, 304 again.
    hub.mutate(Mutation::new(
        "octo-org/repo-0004",
        MutationKind::EditDescription,
    ))
    .unwrap();
    assert!(
        hints
            .poll_due(&client, t0 + Duration::from_secs(360))
            .await
            .is_empty()
    );
    assert_eq!(hints.stats().not_modified, 2);
    hub.shutdown().await;
}

#[tokio::test]
async fn an_owner_that_is_not_an_organization_is_polled_through_the_user_feed() {
    let (hub, client) = hub(60).await;
    let mut hints = Hints::default();
    let t0 = Instant::now();
    hints.set_owners(["octocat".to_string()], t0);
    hints.poll_due(&client, t0).await;
    hints.poll_due(&client, t0).await;
    let by_route = hub.stats().by_route;
    assert!(
        by_route.contains_key("GET /users/{username}/events"),
        "fell back to the user feed: {by_route:?}"
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn the_engine_probes_in_the_background_and_publishes_its_plan() {
    let (hub, client) = hub(60).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let opts = ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    };
    let imported = engine::import(&client, &store, &opts).await.unwrap();
    let mut config = Config::default();
    config.sync.min_interval = Duration::ZERO;
    config.sync.interval = Some(Duration::from_secs(600));
    let mut engine = engine::start_with(store.clone(), client, config, EngineOptions::default());
    // Plans are published every 30 s; the one after the first hint poll names the feed.
    let mut plan: Option<Box<repodeck::domain::FreshnessPlan>> = None;
    let mut finished = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while plan.as_ref().is_none_or(|p| p.hint_feeds == 0) || finished < imported.added {
        let ev = tokio::time::timeout_at(deadline, engine.events.recv())
            .await
            .expect("a plan and a background round within 60 s")
            .unwrap();
        match ev {
            SyncEvent::Plan(p) => plan = Some(p),
            SyncEvent::Finished { .. } => finished += 1,
            _ => {}
        }
    }
    let plan = plan.unwrap();
    assert_eq!(plan.budget_points, 500, "10% of the GraphQL bucket");
    let counted: usize = plan.classes.iter().map(|c| c.repos).sum();
    assert_eq!(counted, imported.added);
    assert!(plan.classes.iter().all(|c| c.every_secs <= 600));
    assert_eq!(plan.hint_feeds, 1, "the org's events feed");
    let saved = store.freshness_plan().unwrap().unwrap();
    assert_eq!(saved.budget_points, 500);
    hub.shutdown().await;
}

fn rd(data: &std::path::Path, config: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::cargo_bin("repodeck").unwrap();
    c.arg("--data-dir").arg(data);
    c.env("REPODECK_CONFIG", config)
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("HOME", data.join("home"))
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("RUST_LOG");
    c
}

#[test]
fn status_shows_the_plan_as_text_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[sync]\nbudget = 300\ninterval = \"10m\"\n").unwrap();
    let data = tmp.path().join("data");
    rd(&data, &config)
        .args(["add", "octo-org/one", "octo-org/two"])
        .assert()
        .success();
    let out = rd(&data, &config).arg("status").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("computed from the store"), "{text}");
    assert!(text.contains("300 GraphQL points/hour"), "{text}");
    assert!(text.contains("dormant 2 every 10m"), "{text}");
    assert!(text.contains("at least every 10m"), "{text}");
    let out = rd(&data, &config)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["budget_points"], 300);
    assert_eq!(v["interval_secs"], 600);
    assert_eq!(v["source"], "computed");
    let dormant = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["class"] == "Dormant")
        .unwrap();
    assert_eq!(dormant["repos"], 2);
    assert_eq!(dormant["every_secs"], 600);
    // A bad budget is a config error (exit 2) that names the key.
    std::fs::write(&config, "[sync]\nbudget = \"lots\"\n").unwrap();
    let out = rd(&data, &config).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sync.budget"));
}
