//! Freshness: how soon a change on GitHub reaches the store, and at what cost, for a fixed
//! interval and for the freshness scheduler. An in-process fakehub with 1,000 repos (50 hot ones
//! changing about every 4 minutes, 5% of the others once an hour: `MutateProfile::default()`),
//! 100 ms injected latency, one simulated hour after a 30-minute warm-up.
//!
//! Each run starts after a first full sync (setup, not measured). Time is simulated in 5 s steps:
//! each step applies the mutations due, asks the schedule which repos to probe and runs that
//! round through the real engine (real HTTP to fakehub, real sled); a mutation's delay runs from
//! its scheduled time to the end of the round that stored its change (the round's real duration
//! is added). Points, requests and 304s are fakehub's own counts for the measured hour only.
//! The "same points" fixed row uses the interval whose predicted points (its probe rounds in the
//! measured hour plus the detail fetch of what changed between two rounds) come closest to what
//! the scheduler spent; the predicted and measured figures are printed under the table. Prints a
//! table; asserts nothing.
//!
//! Event hints poll the org's events feed (fakehub shows events at once; GitHub's lag of 30 s
//! to hours would add to the hinted delays, never beyond the probe cadence), every
//! `X-Poll-Interval` (60 s) of simulated time.
//!
//! `cargo bench --bench freshness` (`BENCH_QUICK=1`: 100 repos, 5 hot).
#![expect(
    clippy::expect_used,
    reason = "a benchmark harness: a failed setup aborts the run with its message"
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use repodeck::config::Config;
use repodeck::domain::LocalId;
use repodeck::fakehub::{self, FakehubConfig, Handle, MutateProfile, Mutation, MutationKind};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::etags::StoreEtags;
use repodeck::sync::freshness::{self, Planner};
use repodeck::sync::hints::Hints;
use repodeck::sync::{
    EngineHandle, ImportOptions, ImportSource, Outcome, Priority, SyncCommand, SyncEvent,
};
use secrecy::SecretString;

const STEP: Duration = Duration::from_secs(5);
const WARMUP: Duration = Duration::from_secs(1800);
const HOUR: Duration = Duration::from_secs(3600);
const INTERVAL: Duration = Duration::from_secs(900);
const BUDGET: u64 = 500;

struct Run {
    _dir: tempfile::TempDir,
    hub: Handle,
    engine: EngineHandle,
    store: Arc<Store>,
    client: GithubClient,
    /// fakehub repo index -> the store's id
    ids: HashMap<usize, LocalId>,
    by_id: HashMap<LocalId, usize>,
}

async fn setup(repos: usize) -> Run {
    let hub = fakehub::spawn(FakehubConfig {
        repos,
        latency_ms: 100,
        ..FakehubConfig::default()
    })
    .await
    .expect("fakehub");
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
    let mut ids = HashMap::new();
    for r in store.list().expect("list") {
        if let Some(i) = r
            .key
            .to_string()
            .strip_prefix("octo-org/repo-")
            .and_then(|n| n.parse::<usize>().ok())
        {
            ids.insert(i, r.local);
        }
    }
    let by_id = ids.iter().map(|(i, id)| (*id, *i)).collect();
    let mut config = Config::default();
    config.sync.min_interval = Duration::ZERO;
    config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        client.clone(),
        config,
        EngineOptions {
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    let mut run = Run {
        _dir: dir,
        hub,
        engine,
        store,
        client,
        ids,
        by_id,
    };
    // The first full sync (every detail) is setup, not the steady state being measured.
    let all: Vec<LocalId> = run.ids.values().copied().collect();
    round(&mut run, all).await;
    run
}

/// Runs one round; returns the repos (fakehub indexes) that came back changed.
async fn round(run: &mut Run, ids: Vec<LocalId>) -> Vec<usize> {
    let n = ids.len();
    run.engine
        .commands
        .send(SyncCommand::SyncRepos {
            ids,
            force: false,
            priority: Priority::Background,
        })
        .expect("engine");
    let mut changed = Vec::new();
    let mut finished = 0;
    while finished < n {
        match run.engine.events.recv().await {
            Some(SyncEvent::Finished { id, outcome, .. }) => {
                finished += 1;
                if matches!(outcome, Outcome::Synced { ref changes } if !changes.is_empty())
                    && let Some(i) = run.by_id.get(&id)
                {
                    changed.push(*i);
                }
            }
            None => break,
            _ => {}
        }
    }
    changed
}

#[derive(Clone, Copy)]
enum Schedule {
    Fixed(Duration),
    Scheduler,
    /// The scheduler with event hints (the org's feed, polled every `X-Poll-Interval`).
    Hinted,
}

#[derive(Default)]
struct Row {
    points: u64,
    core: u64,
    requests: u64,
    not_modified: u64,
    hot: Vec<f64>,
    all: Vec<f64>,
    mutations: usize,
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((s.len() - 1) as f64 * p).round() as usize]
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

async fn simulate(repos: usize, profile: MutateProfile, schedule: Schedule) -> Row {
    let mut run = setup(repos).await;
    let total = WARMUP + HOUR;
    let muts = profile.schedule(repos, 42, total);
    let mut next_mut = 0;
    let mut pending: HashMap<usize, Vec<Duration>> = HashMap::new();
    let start = DateTime::<Utc>::from_timestamp(1_900_000_000, 0).expect("time");
    let mut planner = Planner::new(BUDGET, INTERVAL);
    planner.set_repos(run.ids.values().map(|id| (*id, None, Some(start))));
    let mut next_fixed = Duration::ZERO;
    let mut row = Row::default();
    let mut measuring = false;
    let mut spent_before = 0;
    let mut hints = Hints::default();
    let base = Instant::now();
    hints.set_owners(["octo-org".to_string()], base);
    let mut t = Duration::ZERO;
    while t < total {
        if !measuring && t >= WARMUP {
            measuring = true;
            run.hub.reset_stats();
            spent_before = 0;
        }
        while next_mut < muts.len() && muts[next_mut].0 <= t {
            let (at, i) = muts[next_mut];
            next_mut += 1;
            let m = Mutation::new(format!("octo-org/repo-{i:04}"), MutationKind::Push);
            if run.hub.mutate(m).is_ok() {
                pending.entry(i).or_default().push(at);
                if at >= WARMUP {
                    row.mutations += 1;
                }
            }
        }
        let now = start + chrono::Duration::from_std(t).expect("duration");
        let ids = match schedule {
            Schedule::Fixed(every) if t >= next_fixed => {
                next_fixed += every;
                run.ids.values().copied().collect()
            }
            Schedule::Fixed(_) => Vec::new(),
            Schedule::Scheduler => planner.next_round(now),
            Schedule::Hinted => {
                for name in hints.poll_due(&run.client, base + t).await {
                    let i = name
                        .strip_prefix("octo-org/repo-")
                        .and_then(|n| n.parse::<usize>().ok());
                    if let Some(id) = i.and_then(|i| run.ids.get(&i)) {
                        planner.hint(*id);
                    }
                }
                planner.next_round(now)
            }
        };
        if !ids.is_empty() {
            let probed = ids.clone();
            let began = Instant::now();
            let changed = round(&mut run, ids).await;
            let took = began.elapsed();
            for i in &changed {
                for at in pending.remove(i).unwrap_or_default() {
                    if at >= WARMUP {
                        let d = (t + took - at).as_secs_f64();
                        row.all.push(d);
                        if profile.is_hot(*i, repos) {
                            row.hot.push(d);
                        }
                    }
                }
            }
            for id in probed {
                let changed = run.by_id.get(&id).is_some_and(|i| changed.contains(i));
                planner.observed(id, changed, now);
            }
            let spent = run.hub.stats().points.graphql;
            planner.spent(now, spent.saturating_sub(spent_before));
            spent_before = spent;
        }
        t += STEP;
    }
    let s = run.hub.stats();
    row.points = s.points.graphql;
    row.core = s.points.core;
    row.requests = s.requests;
    row.not_modified = s.not_modified;
    // Mutations of the measured hour not seen by its end count with their age at the end.
    for (i, ats) in pending {
        for at in ats.into_iter().filter(|at| *at >= WARMUP) {
            let d = (total - at).as_secs_f64();
            row.all.push(d);
            if profile.is_hot(i, repos) {
                row.hot.push(d);
            }
        }
    }
    let _ = run.engine.commands.send(SyncCommand::Shutdown);
    drop(run.store);
    row
}

/// Ten polls of a feed with nothing happening: what they cost.
async fn quiet_hints() -> (u64, u64, u64) {
    let run = setup(10).await;
    let mut hints = Hints::default();
    let base = Instant::now();
    hints.set_owners(["octo-org".to_string()], base);
    let _ = hints.poll_due(&run.client, base).await;
    run.hub.reset_stats();
    for k in 1..=10u64 {
        let _ = hints
            .poll_due(&run.client, base + Duration::from_secs(61 * k))
            .await;
    }
    let s = run.hub.stats();
    (s.requests, s.not_modified, s.points.core + s.points.graphql)
}

/// GraphQL points a fixed interval `every` spends in the measured hour: each round probes every
/// repo and fetches the details of those that changed since the round before.
fn predict_fixed(repos: usize, muts: &[(Duration, usize)], every: Duration) -> u64 {
    let mut points = 0;
    let mut prev = Duration::ZERO;
    let mut at = Duration::ZERO;
    while at < WARMUP + HOUR {
        if at >= WARMUP {
            let changed: std::collections::HashSet<usize> = muts
                .iter()
                .filter(|(t, _)| *t > prev && *t <= at)
                .map(|(_, i)| *i)
                .collect();
            points += freshness::round_cost(repos) + freshness::detail_cost(changed.len());
        }
        prev = at;
        at += every;
    }
    points
}

fn print(name: &str, r: &Row) {
    println!(
        "| {name} | {} | {} | {} | {} | {:.0} s | {:.0} s | {:.0} s | {:.0} s | {:.0} s | {} |",
        r.points,
        r.core,
        r.requests,
        r.not_modified,
        mean(&r.hot),
        pct(&r.hot, 0.5),
        pct(&r.all, 0.5),
        pct(&r.all, 0.99),
        pct(&r.all, 1.0),
        r.mutations,
    );
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let (repos, profile) = if quick {
        (
            100,
            MutateProfile {
                hot: 5,
                ..MutateProfile::default()
            },
        )
    } else {
        (1000, MutateProfile::default())
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "repodeck freshness benchmark: {repos} repos ({} hot, changing about every {} s; {:.0}% of the rest once an hour), 100 ms latency, budget {BUDGET} points/h, sync.interval {} s, one simulated hour after a {} min warm-up\n",
        profile.hot,
        profile.hot_every.as_secs(),
        profile.dormant_share * 100.0,
        INTERVAL.as_secs(),
        WARMUP.as_secs() / 60
    );
    println!(
        "| schedule | GraphQL points/h | core requests/h | requests/h | 304s | hot mean delay | hot p50 | all p50 | all p99 | all max | mutations |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let fixed = rt.block_on(simulate(repos, profile, Schedule::Fixed(INTERVAL)));
    print("fixed 15 min interval", &fixed);
    let sched = rt.block_on(simulate(repos, profile, Schedule::Scheduler));
    // The fixed interval that spends what the scheduler spent: the one whose predicted points
    // (its probe rounds in the measured hour, and the detail fetch of the repos that changed
    // between two rounds, priced as the planner prices them) come closest; then run it.
    let muts = profile.schedule(repos, 42, WARMUP + HOUR);
    let predicted_15 = predict_fixed(repos, &muts, INTERVAL);
    let equal = (6..=180)
        .map(|k| STEP * k)
        .min_by_key(|t| predict_fixed(repos, &muts, *t).abs_diff(sched.points))
        .unwrap_or(INTERVAL);
    let eq = rt.block_on(simulate(repos, profile, Schedule::Fixed(equal)));
    print(
        &format!("fixed {} s interval (same points)", equal.as_secs()),
        &eq,
    );
    print("freshness scheduler", &sched);
    let hinted = rt.block_on(simulate(repos, profile, Schedule::Hinted));
    print("scheduler + event hints", &hinted);
    println!(
        "\nfixed intervals: points predicted / measured: 15 min {predicted_15} / {}, {} s {} / {} (the scheduler spent {})",
        fixed.points,
        equal.as_secs(),
        predict_fixed(repos, &muts, equal),
        eq.points,
        sched.points
    );
    let (polls, not_modified, points) = rt.block_on(quiet_hints());
    println!(
        "\nevent hints with nothing changing: {polls} polls, {not_modified} answered 304, {points} points (core + GraphQL)"
    );
    println!(
        "\nhot mean delay: fixed at equal points / scheduler = {:.1}x",
        mean(&eq.hot) / mean(&sched.hot).max(0.001)
    );
}
