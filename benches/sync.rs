//! Sync cost and speed against an in-process fakehub: requests, 304s, points per bucket and wall
//! time for the GraphQL path and the REST+ETag path, at 100 and 1,000 repos, at 0 and 100 ms
//! latency; then secondary-limit hits while syncing 10,000 repos. Prints tables; asserts nothing.
//!
//! `cargo bench --bench sync` (`BENCH_SECONDARY_ONLY=1` runs only the 10,000-repo part; set `BENCH_QUICK=1` to skip the 10,000-repo run and REST at 100 ms
//! for 1,000 repos, which takes minutes by design: that is the point of the GraphQL path).
#![expect(
    clippy::expect_used,
    reason = "a benchmark harness: a failed setup aborts the run with its message"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use repodeck::config::Config;
use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::etags::StoreEtags;
use repodeck::sync::{EngineHandle, ImportOptions, ImportSource, Priority, SyncCommand, SyncEvent};
use secrecy::SecretString;

#[derive(Clone, Copy, Default)]
struct Row {
    requests: u64,
    not_modified: u64,
    core: u64,
    graphql: u64,
    search: u64,
    ms: u128,
    changed: usize,
}

struct Run {
    _dir: tempfile::TempDir,
    hub: Handle,
    engine: EngineHandle,
    store: Arc<Store>,
}

async fn setup(repos: usize, latency_ms: u64, rest: bool) -> Run {
    let fh = FakehubConfig {
        repos,
        latency_ms,
        // The REST path needs ~6 requests a repo: lift the hourly core limit and the per-minute
        // secondary limit so it finishes at all (GitHub would make it wait; see the note).
        core_limit: if rest { 1_000_000 } else { 5_000 },
        secondary_rest_points_per_minute: if rest { 1_000_000 } else { 900 },
        ..FakehubConfig::default()
    };
    let hub = fakehub::spawn(fh).await.expect("fakehub");
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Arc::new(Store::open(dir.path()).expect("store").0);
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let cache: Arc<dyn repodeck::github::EtagCache> = etags.clone();
    let client = GithubClient::new(ClientOptions {
        api_url: hub.url().to_string(),
        graphql_url: format!("{}/graphql", hub.url()),
        token: Some(SecretString::from(
            "ghp_bench00000000000000000000000000000000".to_string(),
        )),
        etags: Some(cache),
        max_concurrency: 8,
        ..ClientOptions::default()
    })
    .expect("client");
    let opts = ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    };
    engine::import(&client, &store, &opts)
        .await
        .expect("import");
    let mut config = Config::default();
    config.sync.min_interval = Duration::ZERO;
    config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        client,
        config,
        EngineOptions {
            force_rest: rest,
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    Run {
        _dir: dir,
        hub,
        engine,
        store,
    }
}

async fn sync_all(run: &mut Run) -> Row {
    run.hub.reset_stats();
    let t = Instant::now();
    run.engine
        .commands
        .send(SyncCommand::SyncAll {
            force: false,
            priority: Priority::User,
        })
        .expect("engine");
    let mut changed = 0;
    loop {
        match run.engine.events.recv().await {
            Some(SyncEvent::Finished {
                outcome: repodeck::sync::Outcome::Synced { changes },
                ..
            }) if !changes.is_empty() => changed += 1,
            Some(SyncEvent::PassFinished { .. }) | None => break,
            _ => {}
        }
    }
    let ms = t.elapsed().as_millis();
    let s = run.hub.stats();
    Row {
        requests: s.requests,
        not_modified: s.not_modified,
        core: s.points.core,
        graphql: s.points.graphql,
        search: s.points.search,
        ms,
        changed,
    }
}

fn mutate_share(hub: &Handle, repos: usize, every: usize) -> usize {
    let mut n = 0;
    for i in (0..repos).step_by(every) {
        if hub
            .mutate(Mutation::new(format!("octo-org/repo-{i:04}"), MutationKind::Push).count(2))
            .is_ok()
        {
            n += 1;
        }
    }
    n
}

/// initial, unchanged, 5% changed
async fn scenario(repos: usize, latency: u64, rest: bool) -> [Row; 3] {
    let mut run = setup(repos, latency, rest).await;
    let initial = sync_all(&mut run).await;
    let unchanged = sync_all(&mut run).await;
    mutate_share(&run.hub, repos, 20);
    let changed = sync_all(&mut run).await;
    let _ = run.engine.commands.send(SyncCommand::Shutdown);
    drop(run.store);
    [initial, unchanged, changed]
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!("repodeck sync benchmark (in-process fakehub, release build)\n");
    // BENCH_SECONDARY_ONLY=1: only the 10,000-repo secondary-limit run.
    let tables = std::env::var_os("BENCH_SECONDARY_ONLY").is_none();
    println!(
        "| path | repos | scenario | requests | 304s | core pts | graphql pts | search pts | changed seen | wall @0 ms | wall @100 ms |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for rest in [false, true] {
        for repos in [100usize, 1000].into_iter().filter(|_| tables) {
            let at0 = rt.block_on(scenario(repos, 0, rest));
            let skip100 = quick && rest && repos >= 1000;
            let at100 = if skip100 {
                None
            } else {
                Some(rt.block_on(scenario(repos, 100, rest)))
            };
            for (i, name) in [
                "initial full sync",
                "re-sync, nothing changed",
                "re-sync, 5% changed",
            ]
            .iter()
            .enumerate()
            {
                let r = at0[i];
                let slow = at100
                    .map(|a| format!("{:.2} s", a[i].ms as f64 / 1000.0))
                    .unwrap_or_else(|| "skipped".into());
                println!(
                    "| {} | {repos} | {name} | {} | {} | {} | {} | {} | {} | {:.2} s | {slow} |",
                    if rest { "REST+ETag" } else { "GraphQL" },
                    r.requests,
                    r.not_modified,
                    r.core,
                    r.graphql,
                    r.search,
                    if i == 2 {
                        r.changed.to_string()
                    } else {
                        "-".into()
                    },
                    r.ms as f64 / 1000.0,
                );
            }
        }
    }
    if quick {
        println!("\n(10,000-repo secondary-limit run skipped: BENCH_QUICK)");
        return;
    }
    // 10,000 repos with GitHub's documented secondary limits enforced (fakehub defaults: 100
    // concurrent requests, 900 REST / 2,000 GraphQL points per minute).
    let row = rt.block_on(async {
        let mut run = setup(10_000, 0, false).await;
        let first = sync_all(&mut run).await;
        let s1 = run.hub.stats().secondary_limit_hits;
        let second = sync_all(&mut run).await;
        let s2 = run.hub.stats().secondary_limit_hits;
        (first, s1, second, s2)
    });
    println!(
        "\n| 10,000 repos (GraphQL, secondary limits enforced) | requests | graphql pts | secondary-limit hits | wall |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| initial full sync | {} | {} | {} | {:.2} s |",
        row.0.requests,
        row.0.graphql,
        row.1,
        row.0.ms as f64 / 1000.0
    );
    println!(
        "| re-sync, nothing changed | {} | {} | {} | {:.2} s |",
        row.2.requests,
        row.2.graphql,
        row.3,
        row.2.ms as f64 / 1000.0
    );
}
