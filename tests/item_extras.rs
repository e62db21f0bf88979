//! Item extras (labels, assignees, comment counts, requested reviewers, PR head checks): the
//! answer's conversion from a GitHub-shaped fixture, and the engine's `FetchItems` against an
//! in-process fakehub (127.0.0.1 only) over a real store: a GraphQL sync leaves them out, one
//! query fills them (its cost measured), the values agree with what REST serves, nothing is
//! asked while they are current, a label added on GitHub shows after the next sync and fetch,
//! `--rest` and a missing repository are handled.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

mod fakehub_support;

use std::sync::Arc;
use std::time::Duration;

use fakehub_support::{TOKEN, get};
use repodeck::config::Config;
use repodeck::domain::{CiState, LocalId, Priority, RepoDetails, RepoKey};
use repodeck::fakehub::{FakehubConfig, FaultRule, Handle, Mutation, MutationKind};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::{EngineHandle, SyncCommand, SyncEvent};
use secrecy::SecretString;
use serde_json::Value;

#[test]
fn the_fixture_answer_converts_to_the_domain() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github/graphql/item-extras.json"
    ))
    .unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let x = repodeck::github::items::convert(v["data"]["r0"].take()).unwrap();
    let pr = &x.pulls[0];
    assert_eq!(pr.number, 1347);
    assert_eq!(pr.labels, ["bug"]);
    assert_eq!(pr.assignees, ["octocat"]);
    assert_eq!(pr.requested_reviewers, ["other_user", "justice-league"]);
    let ci = pr.ci.as_ref().unwrap();
    assert_eq!(ci.sha, "6dcb09b5b57875f334f61aebed695e2e4193db5e");
    assert_eq!(ci.state, CiState::Failure);
    let names: Vec<&str> = ci.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["continuous-integration/jenkins", "mighty_readme"],
        "failing first"
    );
    let bare = &x.pulls[1];
    assert!(bare.labels.is_empty() && bare.requested_reviewers.is_empty());
    assert_eq!(bare.ci.as_ref().map(|c| c.state), Some(CiState::None));
    assert_eq!(x.issues[0].labels, ["bug"]);
    assert_eq!(x.issues[0].ci, None, "issues have no checks");
}

struct Env {
    _dir: tempfile::TempDir,
    hub: Handle,
    store: Arc<Store>,
    id: LocalId,
    repo: String,
}

/// The generated repo with the most open PRs and issues, at least one labelled of each.
async fn busiest(hub: &Handle) -> String {
    let mut best = (0, String::new());
    for n in 0..5 {
        let repo = format!("octo-org/repo-{n:04}");
        let path = format!("/repos/{repo}/issues?state=open&per_page=100");
        let items = get(hub.url(), &path).await.json();
        let items = items.as_array().cloned().unwrap_or_default();
        let labelled = |pr: bool| {
            items.iter().any(|i| {
                i.get("pull_request").is_some() == pr
                    && i["labels"].as_array().is_some_and(|l| !l.is_empty())
            })
        };
        let prs = items
            .iter()
            .filter(|i| i.get("pull_request").is_some())
            .count();
        let score = prs.min(items.len() - prs);
        if labelled(true) && labelled(false) && score > best.0 {
            best = (score, repo);
        }
    }
    assert!(
        best.0 > 0,
        "a generated repo has open, labelled PRs and issues"
    );
    best.1
}

async fn env() -> Env {
    let hub = fakehub_support::start(FakehubConfig {
        repos: 5,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await;
    let repo = busiest(&hub).await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let key = RepoKey::parse(&repo).unwrap();
    store.add(&key).unwrap();
    let id = store.find(&key).unwrap().unwrap().local;
    Env {
        _dir: dir,
        hub,
        store,
        id,
        repo,
    }
}

fn engine(env: &Env, force_rest: bool) -> EngineHandle {
    let client = GithubClient::new(ClientOptions {
        api_url: env.hub.url().to_string(),
        graphql_url: format!("{}/graphql", env.hub.url()),
        token: Some(SecretString::from(TOKEN.to_string())),
        ..ClientOptions::default()
    })
    .unwrap();
    let mut config = Config::default();
    config.sync.interval = None;
    engine::start_with(
        env.store.clone(),
        client,
        config,
        EngineOptions {
            force_rest,
            ..EngineOptions::default()
        },
    )
}

/// Sends `cmd` and returns the first event `want` accepts.
async fn ask(e: &mut EngineHandle, cmd: SyncCommand, want: fn(&SyncEvent) -> bool) -> SyncEvent {
    e.commands.send(cmd).unwrap();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), e.events.recv())
            .await
            .expect("engine answers")
            .expect("engine alive");
        if want(&ev) {
            return ev;
        }
    }
}

async fn sync(e: &mut EngineHandle, id: LocalId) {
    let cmd = SyncCommand::SyncRepo {
        id,
        force: true,
        priority: Priority::User,
    };
    let ev = ask(e, cmd, |e| matches!(e, SyncEvent::PassFinished { .. })).await;
    assert!(
        matches!(ev, SyncEvent::PassFinished { failed: 0, .. }),
        "{ev:?}"
    );
}

fn is_items(e: &SyncEvent) -> bool {
    matches!(
        e,
        SyncEvent::ItemsFetched { .. } | SyncEvent::ItemsFailed { .. }
    )
}

/// No items event within a second of asking.
async fn answers_nothing(e: &mut EngineHandle, id: LocalId) {
    e.commands.send(SyncCommand::FetchItems(id)).unwrap();
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    while let Ok(Some(ev)) = tokio::time::timeout_at(until, e.events.recv()).await {
        assert!(!is_items(&ev), "nothing was to be fetched: {ev:?}");
    }
}

fn names(v: &Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[field].as_str().unwrap().to_string())
        .collect()
}

/// The item numbered `number` of a REST list.
fn by_number(list: &Value, number: u64) -> &Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == number)
        .unwrap_or_else(|| panic!("#{number} is served by REST"))
}

/// Every open item's extras are what REST serves for it.
async fn agrees_with_rest(env: &Env, d: &RepoDetails) {
    let (base, repo) = (env.hub.url().to_string(), &env.repo);
    let issues = get(
        &base,
        &format!("/repos/{repo}/issues?state=open&per_page=100"),
    )
    .await;
    let issues = issues.json();
    for i in &d.issues {
        let rest = by_number(&issues, i.number);
        assert_eq!(
            i.labels,
            names(rest, "labels", "name"),
            "issue {}",
            i.number
        );
        assert_eq!(i.assignees, names(rest, "assignees", "login"));
        assert_eq!(Some(i.comments), rest["comments"].as_u64());
    }
    let pulls = get(
        &base,
        &format!("/repos/{repo}/pulls?state=open&per_page=100"),
    )
    .await;
    let pulls = pulls.json();
    for p in &d.pulls {
        let rest = by_number(&pulls, p.number);
        assert_eq!(p.labels, names(rest, "labels", "name"), "PR {}", p.number);
        assert_eq!(p.assignees, names(rest, "assignees", "login"));
        let mut reviewers = names(rest, "requested_reviewers", "login");
        reviewers.extend(names(rest, "requested_teams", "slug"));
        assert_eq!(p.requested_reviewers, reviewers, "PR {}", p.number);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_query_fills_what_the_graphql_sync_leaves_out_and_agrees_with_rest() {
    let env = env().await;
    let mut e = engine(&env, false);
    sync(&mut e, env.id).await;
    let bare = env.store.details(env.id).unwrap().unwrap();
    assert!(
        !bare.pulls.is_empty() && !bare.issues.is_empty(),
        "{bare:?}"
    );
    assert!(
        bare.issues.iter().all(|i| i.labels.is_empty())
            && bare.pulls.iter().all(|p| p.requested_reviewers.is_empty()),
        "the bulk GraphQL sync fetches no per-item connections"
    );

    let points = env.hub.stats().points.graphql;
    let ev = ask(&mut e, SyncCommand::FetchItems(env.id), is_items).await;
    assert!(
        matches!(ev, SyncEvent::ItemsFetched { id } if id == env.id),
        "{ev:?}"
    );
    let cost = env.hub.stats().points.graphql - points;
    assert_eq!(cost, 4, "one query: 403 connection requests");

    let d = env.store.details(env.id).unwrap().unwrap();
    assert!(
        d.issues.iter().any(|i| !i.labels.is_empty()),
        "{:?}",
        d.issues
    );
    assert!(d.pulls.iter().all(|p| !p.requested_reviewers.is_empty()));
    for p in &d.pulls {
        let ci = p.ci.as_ref().unwrap();
        assert_eq!(
            ci.checks.is_empty(),
            ci.state == CiState::None,
            "PR {} lists its head's checks: {ci:?}",
            p.number
        );
    }
    agrees_with_rest(&env, &d).await;

    // Current extras: nothing is asked, nothing is spent.
    let points = env.hub.stats().points.graphql;
    answers_nothing(&mut e, env.id).await;
    assert_eq!(env.hub.stats().points.graphql, points);

    // A label added on GitHub moves only the issue. The next sync brings its new `updatedAt`,
    // which hides the old extras of that issue (never shown as current), and the next fetch (a
    // new session: within a minute the same engine does not ask again) shows the label.
    let applied = env.hub.mutate(Mutation {
        repo: env.repo.clone(),
        kind: MutationKind::LabelIssue,
        count: None,
        to: Some("documentation".into()),
    });
    assert!(applied.is_ok(), "{applied:?}");
    sync(&mut e, env.id).await;
    let _ = e.commands.send(SyncCommand::Shutdown);
    let newest = env
        .store
        .details_bare(env.id)
        .unwrap()
        .unwrap()
        .issues
        .iter()
        .max_by_key(|i| i.updated_at)
        .map(|i| i.number)
        .unwrap();
    let labels_of = |d: &RepoDetails| {
        d.issues
            .iter()
            .find(|i| i.number == newest)
            .map(|i| i.labels.clone())
            .unwrap()
    };
    assert!(
        !labels_of(&env.store.details(env.id).unwrap().unwrap())
            .contains(&"documentation".to_string())
    );
    let mut e = engine(&env, false);
    let ev = ask(&mut e, SyncCommand::FetchItems(env.id), is_items).await;
    assert!(matches!(ev, SyncEvent::ItemsFetched { .. }), "{ev:?}");
    let d = env.store.details(env.id).unwrap().unwrap();
    assert!(
        labels_of(&d).contains(&"documentation".to_string()),
        "{d:?}"
    );
    agrees_with_rest(&env, &d).await;
    let _ = e.commands.send(SyncCommand::Shutdown);
    env.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_fills_them_itself_and_a_missing_repository_fails_with_a_message() {
    let env = env().await;
    let mut e = engine(&env, true);
    sync(&mut e, env.id).await;
    let d = env.store.details(env.id).unwrap().unwrap();
    assert!(
        d.issues.iter().any(|i| !i.labels.is_empty()),
        "REST fills labels"
    );
    let points = env.hub.stats().points.graphql;
    answers_nothing(&mut e, env.id).await;
    assert_eq!(
        env.hub.stats().points.graphql,
        points,
        "--rest asks nothing"
    );
    let _ = e.commands.send(SyncCommand::Shutdown);

    // GitHub fails the query half-way (its "Something went wrong" with the repository nulled):
    // a temporary failure, and nothing is stored as current.
    let mut e = engine(&env, false);
    let fault: FaultRule = serde_json::from_value(serde_json::json!(
        {"route": "/graphql", "kind": "graphql_partial", "fraction": 1.0, "next": 1}
    ))
    .unwrap();
    env.hub.set_faults(vec![fault]);
    let ev = ask(&mut e, SyncCommand::FetchItems(env.id), is_items).await;
    let SyncEvent::ItemsFailed { message, .. } = ev else {
        panic!("expected ItemsFailed, got {ev:?}");
    };
    assert!(message.contains("Something went wrong"), "{message}");
    assert_eq!(env.store.items_get(env.id).unwrap(), None);
    assert_eq!(env.store.details(env.id).unwrap().unwrap(), d);
    let _ = e.commands.send(SyncCommand::Shutdown);

    // Deleted on GitHub after the sync: the fetch fails with GitHub's not-found, and the stored
    // details stay as they were.
    let deleted = env.hub.mutate(Mutation {
        repo: env.repo.clone(),
        kind: MutationKind::Delete,
        count: None,
        to: None,
    });
    assert!(deleted.is_ok(), "{deleted:?}");
    let mut e = engine(&env, false);
    let ev = ask(&mut e, SyncCommand::FetchItems(env.id), is_items).await;
    let SyncEvent::ItemsFailed { id, message } = ev else {
        panic!("expected ItemsFailed, got {ev:?}");
    };
    assert_eq!(id, env.id);
    assert!(
        message.contains("not found") || message.contains("Not Found"),
        "{message}"
    );
    assert!(!message.contains(TOKEN));
    assert_eq!(env.store.details(env.id).unwrap().unwrap(), d);
    let _ = e.commands.send(SyncCommand::Shutdown);
    env.hub.shutdown().await;
}
