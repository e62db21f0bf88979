//! The sync engine against an in-process fakehub: what the first sync stores, what a re-sync
//! costs, which Change each mutation yields, throttle and force, cancel, a 401 mid-sync, renames
//! followed by id and deleted repos marked inaccessible.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use repodeck::config::Config;
use repodeck::domain::{Change, LocalId, RepoKey, SyncStatus};
use repodeck::fakehub::{
    self, FakehubConfig, FaultKind, FaultRule, Handle, Mutation, MutationKind,
};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::etags::StoreEtags;
use repodeck::sync::{
    EngineHandle, ImportOptions, ImportSource, JobCost, Outcome, Priority, SyncCommand, SyncEvent,
};
use secrecy::SecretString;

const MAIN_TOKEN: &str = "ghp_enginetest0000000000000000000000000";

struct Env {
    _dir: tempfile::TempDir,
    hub: Handle,
    store: Arc<Store>,
    client: GithubClient,
    engine: EngineHandle,
}

async fn env_with(repos: usize, fh: FakehubConfig, min_interval: Duration, rest: bool) -> Env {
    let hub = fakehub::spawn(FakehubConfig { repos, ..fh })
        .await
        .expect("fakehub starts");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let cache: Arc<dyn repodeck::github::EtagCache> = etags.clone();
    let client = GithubClient::new(ClientOptions {
        api_url: hub.url().to_string(),
        graphql_url: format!("{}/graphql", hub.url()),
        token: Some(SecretString::from(MAIN_TOKEN.to_string())),
        etags: Some(cache),
        ..ClientOptions::default()
    })
    .unwrap();
    let opts = ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    };
    let imported = engine::import(&client, &store, &opts).await.unwrap();
    assert!(
        imported.added >= repos.min(1),
        "import tracked the org's repos"
    );
    let mut config = Config::default();
    config.sync.min_interval = min_interval;
    config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        client.clone(),
        config,
        EngineOptions {
            force_rest: rest,
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    Env {
        _dir: dir,
        hub,
        store,
        client,
        engine,
    }
}

async fn env(repos: usize) -> Env {
    env_with(repos, FakehubConfig::default(), Duration::ZERO, false).await
}

type Finished = HashMap<LocalId, (Outcome, JobCost)>;

/// Sends `cmd` and collects every `Finished` until the engine reports the pass done.
async fn run(engine: &mut EngineHandle, cmd: SyncCommand) -> Finished {
    engine.commands.send(cmd).unwrap();
    collect(engine).await
}

async fn collect(engine: &mut EngineHandle) -> Finished {
    let mut out = HashMap::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), engine.events.recv())
            .await
            .expect("engine answers")
            .expect("engine alive");
        match ev {
            SyncEvent::Finished {
                id, outcome, cost, ..
            } => {
                assert!(
                    out.insert(id, (outcome, cost)).is_none(),
                    "one Finished per job"
                );
            }
            SyncEvent::PassFinished { .. } => return out,
            _ => {}
        }
    }
}

/// The `PassFinished` counts: synced, unchanged, failed, skipped, cancelled.
type PassCounts = [usize; 5];

/// Like `collect`, with the pass end's counts.
async fn collect_counted(engine: &mut EngineHandle) -> (Finished, PassCounts) {
    let mut out = HashMap::new();
    loop {
        let ev = tokio::time::timeout(Duration::from_secs(60), engine.events.recv())
            .await
            .expect("engine answers")
            .expect("engine alive");
        match ev {
            SyncEvent::Finished {
                id, outcome, cost, ..
            } => {
                out.insert(id, (outcome, cost));
            }
            SyncEvent::PassFinished {
                synced,
                unchanged,
                failed,
                skipped,
                cancelled,
            } => return (out, [synced, unchanged, failed, skipped, cancelled]),
            _ => {}
        }
    }
}

fn all(force: bool) -> SyncCommand {
    SyncCommand::SyncAll {
        force,
        priority: Priority::User,
    }
}

fn count(f: &Finished, pred: impl Fn(&Outcome) -> bool) -> usize {
    f.values().filter(|(o, _)| pred(o)).count()
}

fn local(store: &Store, name: &str) -> LocalId {
    store
        .find(&RepoKey::parse(name).unwrap())
        .unwrap()
        .unwrap_or_else(|| panic!("{name} tracked"))
        .local
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_stores_every_field_and_second_costs_only_the_probe() {
    let mut e = env(12).await;
    let n = e.store.len();
    let first = run(&mut e.engine, all(false)).await;
    assert_eq!(first.len(), n);
    assert_eq!(
        count(
            &first,
            |o| matches!(o, Outcome::Synced { changes } if changes.is_empty())
        ),
        n,
        "{first:?}"
    );

    let world = e.hub.world();
    let mut seen_lists = [0usize; 5];
    for r in e.store.list().unwrap() {
        let m = r.meta.as_ref().expect("meta stored");
        assert_eq!(r.status, SyncStatus::Synced);
        assert!(r.last_synced_at.is_some() && r.details_at.is_some());
        assert!(r.id.is_some_and(|i| i.0 > 0) && !m.node_id.is_empty());
        assert_eq!(m.full_name, r.key.to_string());
        assert!(
            m.html_url.ends_with(&m.full_name)
                && m.clone_url.ends_with(".git")
                && !m.ssh_url.is_empty()
        );
        assert!(!m.default_branch.is_empty());
        assert!(m.created_at.is_some() && m.updated_at.is_some() && m.pushed_at.is_some());
        let truth = world
            .find(r.key.owner(), r.key.name())
            .expect("repo in fakehub");
        assert_eq!(m.stars, u64::from(truth.stars));
        assert_eq!(m.forks, u64::from(truth.forks));
        assert_eq!(m.description, truth.description);
        assert_eq!(m.topics, truth.topics);
        assert_eq!(m.archived, truth.archived);
        assert_eq!(m.default_branch, truth.default_branch);
        let head = r.head.as_ref().expect("head commit");
        assert_eq!(head.sha.len(), 40);
        assert!(
            !head.message.is_empty()
                && !head.author.name.is_empty()
                && head.committer.date.is_some()
        );
        let d = e.store.details(r.local).unwrap().expect("details stored");
        assert!(!d.commits.is_empty() && d.commits.len() <= 30);
        assert_eq!(d.commits[0].sha, head.sha);
        assert!(d.releases.len() <= 10);
        assert!(
            d.branches
                .iter()
                .any(|b| b.name == m.default_branch && b.head_sha == head.sha)
        );
        assert_eq!(d.pulls.len() as u64, m.open_prs.min(50));
        assert_eq!(d.issues.len() as u64, m.open_issues.min(50));
        for (i, len) in [
            d.commits.len(),
            d.branches.len(),
            d.pulls.len(),
            d.issues.len(),
            d.releases.len(),
        ]
        .into_iter()
        .enumerate()
        {
            seen_lists[i] += len;
        }
        if !m.languages.is_empty() {
            assert!(m.language.is_some());
        }
    }
    assert!(
        seen_lists.iter().all(|n| *n > 0),
        "every list kind stored somewhere: {seen_lists:?}"
    );

    e.hub.reset_stats();
    let second = run(&mut e.engine, all(false)).await;
    assert_eq!(
        count(&second, |o| *o == Outcome::Unchanged),
        n,
        "{second:?}"
    );
    let stats = e.hub.stats();
    assert_eq!(stats.requests, 1, "only the probe: {:?}", stats.by_route);
    assert_eq!(stats.graphql_queries, 1);
    // The one probe's cost is shared by every job: whole shares add up to it, and no job's exact
    // share reads 0 (the jobs screen shows those).
    assert_eq!(second.values().map(|(_, c)| c.requests).sum::<u64>(), 1);
    assert!(
        second
            .values()
            .all(|(_, c)| c.requests_milli > 0 && c.points_milli > 0),
        "{second:?}"
    );
    assert!(
        e.store.activity(None, None, 100).unwrap().is_empty(),
        "no activity without changes"
    );
}

/// (mutation, repo index, the change kind expected)
fn cases() -> Vec<(MutationKind, &'static str)> {
    use MutationKind as K;
    vec![
        (K::Push, "new_commits"),
        (K::ForcePush, "force_pushed"),
        (K::Star, "stars"),
        (K::Unstar, "stars"),
        (K::Fork, "forks"),
        (K::Release, "new_release"),
        (K::OpenPr, "pr_opened"),
        (K::MergePr, "pr_merged"),
        (K::ClosePr, "pr_closed"),
        (K::OpenIssue, "issue_opened"),
        (K::CloseIssue, "issue_closed"),
        (K::EditDescription, "description_changed"),
        (K::EditTopics, "topics_changed"),
        (K::Archive, "archived"),
        (K::Rename, "renamed"),
        (K::Delete, "inaccessible"),
        (K::DefaultBranch, "default_branch_changed"),
        (K::SetCi, "ci_failed"),
        (K::EditProtection, "protection_changed"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mutation_yields_its_change_exactly_once() {
    let mut e = env(30).await;
    run(&mut e.engine, all(false)).await;
    // Pick, for each mutation, an untouched repo where it applies (some need open PRs, issues,
    // stars or a second branch).
    let mut used = std::collections::HashSet::new();
    let mut applied = Vec::new();
    let repos = e.store.list().unwrap();
    for (kind, expect) in cases() {
        let mut done = false;
        for r in &repos {
            if used.contains(&r.local) || r.meta.as_ref().is_some_and(|m| m.archived) {
                continue;
            }
            let m = Mutation {
                repo: r.key.to_string(),
                kind,
                count: Some(1),
                to: None,
            };
            if e.hub.mutate(m).is_ok() {
                used.insert(r.local);
                applied.push((r.local, r.id.unwrap(), kind, expect));
                done = true;
                break;
            }
        }
        assert!(done, "no repo accepts {kind:?}");
    }
    let finished = run(&mut e.engine, all(false)).await;
    for (local, id, kind, expect) in &applied {
        let (outcome, _) = &finished[local];
        let Outcome::Synced { changes } = outcome else {
            panic!("{kind:?}: {outcome:?}")
        };
        let n = changes.iter().filter(|c| c.kind() == *expect).count();
        assert_eq!(n, 1, "{kind:?} -> {expect} once, got {changes:?}");
        let feed = e.store.activity(Some(*id), None, 100).unwrap();
        assert_eq!(
            feed.iter().filter(|a| a.change.kind() == *expect).count(),
            1,
            "{kind:?} in the feed once: {feed:?}"
        );
        if *kind == MutationKind::MergePr {
            assert!(
                changes
                    .iter()
                    .any(|c| matches!(c, Change::NewCommits { count: 1, .. })),
                "{changes:?}"
            );
        }
    }
    let untouched = count(&finished, |o| *o == Outcome::Unchanged);
    assert_eq!(
        untouched,
        finished.len() - applied.len(),
        "the rest unchanged"
    );

    // Unarchive, on the repo archived above; then nothing repeats.
    let (archived, _, _, _) = applied
        .iter()
        .find(|a| a.2 == MutationKind::Archive)
        .unwrap();
    let name = e.store.get(*archived).unwrap().unwrap().key.to_string();
    e.hub
        .mutate(Mutation::new(name, MutationKind::Unarchive))
        .unwrap();
    let again = run(&mut e.engine, all(false)).await;
    assert_eq!(
        again[archived].0,
        Outcome::Synced {
            changes: vec![Change::Unarchived]
        }
    );
    assert_eq!(
        count(&again, |o| matches!(o, Outcome::Synced { .. })),
        1,
        "{again:?}"
    );
    let total = e.store.activity(None, None, 1000).unwrap().len();
    run(&mut e.engine, all(false)).await;
    assert_eq!(
        e.store.activity(None, None, 1000).unwrap().len(),
        total,
        "no change reported twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_is_followed_by_id_and_delete_marks_inaccessible() {
    let mut e = env(6).await;
    run(&mut e.engine, all(false)).await;
    let a = local(&e.store, "octo-org/repo-0001");
    let b = local(&e.store, "octo-org/repo-0002");
    let b_before = e.store.get(b).unwrap().unwrap();
    let m = Mutation {
        repo: "octo-org/repo-0001".into(),
        kind: MutationKind::Rename,
        count: None,
        to: Some("shiny-new".into()),
    };
    e.hub.mutate(m).unwrap();
    e.hub
        .mutate(Mutation::new("octo-org/repo-0002", MutationKind::Delete))
        .unwrap();
    let f = run(&mut e.engine, all(false)).await;
    assert_eq!(
        f[&a].0,
        Outcome::Synced {
            changes: vec![Change::Renamed {
                old: "octo-org/repo-0001".into(),
                new: "octo-org/shiny-new".into()
            }]
        }
    );
    let renamed = e
        .store
        .find(&RepoKey::parse("octo-org/shiny-new").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(renamed.local, a);
    assert!(
        e.store
            .find(&RepoKey::parse("octo-org/repo-0001").unwrap())
            .unwrap()
            .is_none()
    );
    assert_eq!(
        e.store
            .find_by_id(renamed.id.unwrap())
            .unwrap()
            .unwrap()
            .local,
        a
    );

    assert_eq!(
        f[&b].0,
        Outcome::Synced {
            changes: vec![Change::Inaccessible]
        }
    );
    let gone = e.store.get(b).unwrap().unwrap();
    assert_eq!(gone.status, SyncStatus::Inaccessible);
    assert_eq!(gone.meta, b_before.meta, "the last good data is kept");
    assert!(e.store.details(b).unwrap().is_some());
    let again = run(&mut e.engine, all(false)).await;
    assert!(
        !matches!(&again[&b].0, Outcome::Synced { changes } if !changes.is_empty()),
        "reported once: {:?}",
        again[&b]
    );
    assert_eq!(e.store.activity(gone.id, None, 10).unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttle_skips_recent_repos_and_force_refetches() {
    let mut e = env_with(
        5,
        FakehubConfig::default(),
        Duration::from_secs(3600),
        false,
    )
    .await;
    let n = e.store.len();
    let first = run(&mut e.engine, all(false)).await;
    assert_eq!(
        count(&first, |o| matches!(o, Outcome::Synced { .. })),
        n,
        "never-synced repos are not throttled"
    );
    e.hub.reset_stats();
    let second = run(&mut e.engine, all(false)).await;
    assert_eq!(count(&second, |o| *o == Outcome::Skipped), n);
    assert_eq!(e.hub.stats().requests, 0, "a throttled repo costs nothing");
    let forced = run(&mut e.engine, all(true)).await;
    assert_eq!(
        count(&forced, |o| matches!(o, Outcome::Synced { .. })),
        n,
        "{forced:?}"
    );
    let stats = e.hub.stats();
    assert!(
        stats.graphql_queries >= 1 && stats.by_route.keys().any(|k| k.contains("graphql")),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_drops_pending_and_running_jobs_without_writing() {
    // Every request takes 1.5 s, so the cancels below reach jobs that are still queued or
    // running even on a loaded machine (300 ms was not enough under a parallel CI build).
    let fh = FakehubConfig {
        latency_ms: 1500,
        ..FakehubConfig::default()
    };
    let mut e = env_with(4, fh, Duration::ZERO, false).await;
    let a = local(&e.store, "octo-org/repo-0000");
    e.engine.commands.send(all(false)).unwrap();
    e.engine.commands.send(SyncCommand::Cancel(a)).unwrap();
    let (f, counts) = collect_counted(&mut e.engine).await;
    assert_eq!(f[&a].0, Outcome::Cancelled);
    // The pass summary counts the cancelled job as cancelled, and its counts add up.
    assert_eq!(counts, [f.len() - 1, 0, 0, 0, 1], "{f:?}");
    let r = e.store.get(a).unwrap().unwrap();
    assert_eq!(
        r.status,
        SyncStatus::Never,
        "a cancelled job writes nothing"
    );
    assert!(e.store.details(a).unwrap().is_none());
    assert_eq!(
        count(&f, |o| matches!(o, Outcome::Synced { .. })),
        f.len() - 1
    );

    e.engine.commands.send(all(true)).unwrap();
    e.engine.commands.send(SyncCommand::CancelAll).unwrap();
    let (f, counts) = collect_counted(&mut e.engine).await;
    assert_eq!(f.len(), e.store.len());
    assert!(f.values().all(|(o, _)| *o == Outcome::Cancelled), "{f:?}");
    // Jobs cancelled while queued never reach a pass, and still count.
    assert_eq!(counts, [0, 0, 0, 0, f.len()], "{f:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_mid_sync_stops_and_keeps_stored_data() {
    let mut e = env(130).await;
    let n = e.store.len();
    run(&mut e.engine, all(false)).await;
    let before: Vec<_> = e.store.list().unwrap();
    let details_before: Vec<_> = before
        .iter()
        .map(|r| e.store.details(r.local).unwrap())
        .collect();
    // The first forced detail query succeeds, every later request is refused.
    let mut rule = FaultRule::new("/graphql", FaultKind::BadCredentials);
    rule.after = Some(1);
    e.hub.set_faults(vec![rule]);
    e.hub.reset_stats();
    e.engine.commands.send(all(true)).unwrap();
    let mut errors = Vec::new();
    let mut f = HashMap::new();
    loop {
        match tokio::time::timeout(Duration::from_secs(60), e.engine.events.recv())
            .await
            .unwrap()
            .unwrap()
        {
            SyncEvent::Finished { id, outcome, .. } => {
                f.insert(id, outcome);
            }
            SyncEvent::Error { message } => errors.push(message),
            SyncEvent::PassFinished { .. } => break,
            _ => {}
        }
    }
    assert_eq!(f.len(), n);
    let unauthorized = f
        .values()
        .filter(|o| matches!(o, Outcome::Failed { kind, .. } if kind == "unauthorized"))
        .count();
    assert!(unauthorized > 0, "the run stopped: {f:?}");
    assert!(errors.iter().any(|m| m.contains("token")), "{errors:?}");
    let stats = e.hub.stats();
    assert!(
        stats.status(401) <= 2,
        "no retry storm: {:?}",
        stats.by_status
    );
    assert!(
        stats.graphql_queries < 6,
        "stopped instead of asking for every batch: {stats:?}"
    );
    let after = e.store.list().unwrap();
    for (i, r) in after.iter().enumerate() {
        let old = &before[i];
        assert_eq!(r.meta, old.meta, "data intact for {}", r.key);
        assert_eq!(r.head, old.head);
        assert_eq!(e.store.details(r.local).unwrap(), details_before[i]);
        assert_eq!(r.status, SyncStatus::Synced);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_path_detects_changes_and_uses_etags() {
    let mut e = env_with(4, FakehubConfig::default(), Duration::ZERO, true).await;
    let n = e.store.len();
    run(&mut e.engine, all(false)).await;
    e.hub.reset_stats();
    let second = run(&mut e.engine, all(false)).await;
    assert_eq!(
        count(&second, |o| *o == Outcome::Unchanged),
        n,
        "{second:?}"
    );
    let stats = e.hub.stats();
    assert_eq!(
        stats.not_modified, stats.requests,
        "every request a 304: {stats:?}"
    );
    assert!(e.client.accounting().not_modified > 0);
    e.hub
        .mutate(Mutation::new("octo-org/repo-0001", MutationKind::Star).count(3))
        .unwrap();
    let third = run(&mut e.engine, all(false)).await;
    let a = local(&e.store, "octo-org/repo-0001");
    assert_eq!(
        third[&a].0,
        Outcome::Synced {
            changes: vec![Change::Stars { delta: 3 }]
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_repo_tokens_route_their_repos_and_a_rejected_one_fails_only_its_repo() {
    const OWN: &str = "ghp_perrepo0000000000000000000000000000";
    const REVOKED: &str = "ghp_revoked0000000000000000000000000000";
    let e = env_with(
        5,
        FakehubConfig {
            tokens: vec![MAIN_TOKEN.into(), OWN.into()],
            ..FakehubConfig::default()
        },
        Duration::ZERO,
        false,
    )
    .await;
    let etags = Arc::new(StoreEtags::new(e.store.clone()));
    let client = |token: &str| {
        let cache: Arc<dyn repodeck::github::EtagCache> = etags.clone();
        GithubClient::new(ClientOptions {
            api_url: e.hub.url().to_string(),
            graphql_url: format!("{}/graphql", e.hub.url()),
            token: Some(SecretString::from(token.to_string())),
            etags: Some(cache),
            ..ClientOptions::default()
        })
        .unwrap()
    };
    let own = client(OWN);
    let revoked = client(REVOKED);
    let mut config = Config::default();
    config.sync.min_interval = Duration::ZERO;
    config.sync.interval = None;
    let mut engine = engine::start_with(
        e.store.clone(),
        e.client.clone(),
        config,
        EngineOptions {
            etags: Some(etags.clone()),
            repo_clients: HashMap::from([
                ("octo-org/repo-0001".to_string(), own.clone()),
                ("octo-org/repo-0002".to_string(), revoked.clone()),
            ]),
            ..EngineOptions::default()
        },
    );
    let main_before = e.client.accounting().requests;
    let finished = run(&mut engine, all(false)).await;
    assert_eq!(finished.len(), e.store.len());
    let own_id = local(&e.store, "octo-org/repo-0001");
    let revoked_id = local(&e.store, "octo-org/repo-0002");
    assert!(
        matches!(finished[&own_id].0, Outcome::Synced { .. }),
        "{:?}",
        finished[&own_id]
    );
    assert!(
        matches!(&finished[&revoked_id].0, Outcome::Failed { kind, .. } if kind == "unauthorized"),
        "{:?}",
        finished[&revoked_id]
    );
    for (id, (outcome, _)) in &finished {
        if *id != revoked_id {
            assert!(matches!(outcome, Outcome::Synced { .. }), "{outcome:?}");
        }
    }
    // Each token carried its own repos: the per-repo clients made requests, and the main one
    // synced the other three in its own batch.
    assert!(own.accounting().requests >= 1);
    assert!(
        revoked
            .accounting()
            .by_status
            .get(&401)
            .copied()
            .unwrap_or(0)
            >= 1
    );
    assert!(e.client.accounting().requests > main_before);
    // As with the main token, a rejected token leaves the stored data as it was.
    let stored = e.store.get(revoked_id).unwrap().unwrap();
    assert_eq!(stored.status, SyncStatus::Never);
    assert!(stored.meta.is_none());
}
