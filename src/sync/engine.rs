//! The running engine: a command task (SyncCommand in), a worker that runs passes of jobs from the
//! scheduler, the freshness task (background probes within `sync.budget`, see `freshness.rs`), an
//! observer that feeds every job's outcome and cost to the freshness planner on its way out, and a
//! rate-limit forwarder, all reporting by `SyncEvent`. Started through [`start_with`] (by `session`, for the CLI and the TUI); driven by
//! [`EngineHandle`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::etags::StoreEtags;
use super::freshness::Planner;
use super::hints::Hints;
use super::job::{self, Ctx, PassEnd, Tally};
use super::scheduler::{Enqueued, Scheduler, limits};
use super::stats;
use super::tracking;
use super::{EngineHandle, ImportOptions, JobCost, Outcome, Priority, SyncCommand, SyncEvent};
use crate::config::Config;
use crate::domain::{FailureKind, LocalId, RepoKey};
use crate::github::{GithubClient, GithubError};
use crate::store::{Store, StoreError};

/// Engine settings beyond the config file.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Use REST with ETags even with a token (`sync --rest`).
    pub force_rest: bool,
    /// The ETag cache the client was built with, so ETags are written with their repo's batch.
    pub etags: Option<Arc<StoreEtags>>,
    /// Clients for repos with their own vault token, by lowercase `owner/name`; every other repo
    /// goes through the main client.
    pub repo_clients: HashMap<String, GithubClient>,
}

/// Starts the engine: commands are read until `Shutdown` or until the handle's sender is dropped.
/// Must be called inside a tokio runtime.
pub fn start_with(
    store: Arc<Store>,
    client: GithubClient,
    config: Config,
    opts: EngineOptions,
) -> EngineHandle {
    let (ctx_tx, ctx_rx) = mpsc::unbounded_channel();
    let (out_tx, ev_rx) = mpsc::unbounded_channel();
    let (ev_tx, inner_rx) = mpsc::unbounded_channel();
    let slowest = config.sync.interval.unwrap_or(Duration::from_secs(900));
    let plan = Arc::new(Mutex::new(Planner::new(
        config.sync.budget.of(DEFAULT_GRAPHQL_LIMIT),
        slowest.max(limits::MIN_PERIODIC),
    )));
    tokio::spawn(observe(inner_rx, out_tx, plan.clone(), store.clone()));
    let _ = ev_tx.send(SyncEvent::TokenInUse {
        token: client.token_id(),
        per_repo: opts.repo_clients.len(),
    });
    let shared = Arc::new(Shared {
        sched: Mutex::new(Scheduler::new()),
        wake: Notify::new(),
        stop: CancellationToken::new(),
        ctx: Ctx {
            store,
            client,
            etags: opts.etags,
            repo_clients: opts.repo_clients,
            min_interval: config.sync.min_interval,
            force_rest: opts.force_rest,
        },
        events: ev_tx,
        asked: AtomicBool::new(false),
        ended: Mutex::new(Tally::default()),
        plan,
        nudge: Notify::new(),
        stats: stats::StatsFetches::default(),
        items: super::items::ItemFetches::default(),
    });
    tokio::spawn(worker(shared.clone()));
    tokio::spawn(rate_forwarder(shared.clone()));
    if config.sync.interval.is_some() {
        tokio::spawn(freshness(shared.clone(), config.sync.budget));
        if config.sync.event_hints && shared.ctx.client.is_authenticated() {
            tokio::spawn(hint_task(shared.clone()));
        }
        tokio::spawn(stats_sweep(shared.clone()));
    }
    tokio::spawn(commands(shared, ctx_rx));
    EngineHandle {
        commands: ctx_tx,
        events: ev_rx,
    }
}

struct Shared {
    sched: Mutex<Scheduler>,
    wake: Notify,
    stop: CancellationToken,
    ctx: Ctx,
    events: mpsc::UnboundedSender<SyncEvent>,
    /// Work was asked for since the last `PassFinished` (even if it was all cancelled before it ran):
    /// the worker reports a pass end for it, so callers waiting for one are never left hanging.
    asked: AtomicBool,
    /// Jobs ended outside a pass (cancelled while queued, refused by a full queue), counted into
    /// the next `PassFinished` so its counts add up to every `Finished` sent. Added to under the
    /// scheduler lock, so the worker's empty take cannot slip between a job's removal and its count.
    ended: Mutex<Tally>,
    /// The freshness planner (shared with the observer task).
    plan: Arc<Mutex<Planner>>,
    /// Wakes the freshness task early (a focus change, an event hint).
    nudge: Notify,
    /// Statistics fetches running (`stats.rs`).
    stats: stats::StatsFetches,
    items: super::items::ItemFetches,
}

impl Shared {
    fn ended(&self) -> MutexGuard<'_, Tally> {
        self.ended.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sched(&self) -> MutexGuard<'_, Scheduler> {
        self.sched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn emit(&self, e: SyncEvent) {
        let _ = self.events.send(e);
    }

    /// Queues jobs; every refused one still gets its `Finished`, so callers can count.
    fn enqueue(&self, ids: &[LocalId], force: bool, priority: Priority) {
        let mut refused = Vec::new();
        {
            let mut s = self.sched();
            for &id in ids {
                match s.enqueue(id, force, priority) {
                    Enqueued::Queued | Enqueued::Replaced => self.emit(SyncEvent::Queued { id }),
                    Enqueued::Covered => {}
                    Enqueued::Full => refused.push(id),
                }
            }
            self.ended().failed += refused.len();
            // Set under the scheduler lock, so the worker's take-and-clear cannot interleave and
            // report a second, empty pass end for work it already took.
            self.asked.store(true, Ordering::SeqCst);
            // Sent under the lock too, so no pass end is reported before them.
            for id in refused {
                self.emit(SyncEvent::Finished {
                    id,
                    outcome: Outcome::Failed {
                        kind: FailureKind::QueueFull,
                        message: format!(
                            "the sync queue is full ({} jobs); try again when it drains",
                            limits::MAX_PENDING
                        ),
                    },
                    cost: JobCost::default(),
                    duration_ms: 0,
                    repo: None,
                });
            }
        }
        self.wake.notify_one();
    }

    fn all_ids(&self) -> Vec<LocalId> {
        match self.ctx.store.list() {
            Ok(repos) => repos.into_iter().map(|r| r.local).collect(),
            Err(e) => {
                self.emit(SyncEvent::Error {
                    message: e.to_string(),
                });
                Vec::new()
            }
        }
    }

    fn cancelled_pending(&self, ids: Vec<LocalId>) {
        self.wake.notify_one();
        for id in ids {
            self.emit(SyncEvent::Finished {
                id,
                outcome: Outcome::Cancelled,
                cost: JobCost::default(),
                duration_ms: 0,
                repo: None,
            });
        }
    }
}

async fn commands(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<SyncCommand>) {
    loop {
        let cmd = tokio::select! {
            c = rx.recv() => c,
            () = shared.stop.cancelled() => None,
        };
        let Some(cmd) = cmd else { break };
        match cmd {
            SyncCommand::SyncRepo {
                id,
                force,
                priority,
            } => shared.enqueue(&[id], force, priority),
            SyncCommand::SyncRepos {
                ids,
                force,
                priority,
            } => shared.enqueue(&ids, force, priority),
            SyncCommand::SyncAll { force, priority } => {
                let ids = shared.all_ids();
                shared.enqueue(&ids, force, priority);
            }
            SyncCommand::Cancel(id) => shared.cancel(id),
            SyncCommand::CancelAll => shared.cancel_all(),
            SyncCommand::FetchCommit { id, sha } => {
                tokio::spawn(shared.clone().fetch_commit(id, sha));
            }
            SyncCommand::FetchStats(id) => {
                tokio::spawn(shared.clone().fetch_stats(id, Priority::User));
            }
            SyncCommand::FetchItems(id) => {
                tokio::spawn(shared.clone().fetch_items(id, Priority::User));
            }
            SyncCommand::Track(keys) => shared.track(keys),
            SyncCommand::Untrack(id) => shared.untrack(id),
            SyncCommand::Import(opts) => {
                tokio::spawn(shared.clone().import(opts));
            }
            SyncCommand::Search { query, limit } => {
                tokio::spawn(shared.clone().search(query, limit));
            }
            SyncCommand::Attention => {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let ctx = &shared.ctx;
                    let ev = super::attention::load(&ctx.store, &ctx.client, chrono::Utc::now());
                    shared.emit(ev.await);
                });
            }
            SyncCommand::AttentionSeen { at } => super::attention::mark_seen(&shared.ctx.store, at),
            SyncCommand::Focus(id) => {
                lock(&shared.plan).set_focus(id);
                shared.nudge.notify_one();
            }
            SyncCommand::Shutdown => {
                shared.cancel_all();
                break;
            }
        }
    }
    shared.stop.cancel();
    shared.wake.notify_one();
}

/// The commands' work, one method per command that does more than queue jobs.
impl Shared {
    fn emit_error(&self, message: impl std::fmt::Display) {
        self.emit(SyncEvent::Error {
            message: message.to_string(),
        });
    }

    /// The `Finished` of a job cancelled while queued is sent under the scheduler lock, like its
    /// count: the worker cannot report the pass end between the two.
    fn cancel(&self, id: LocalId) {
        let mut s = self.sched();
        if s.cancel(id).pending {
            self.ended().cancelled += 1;
            self.cancelled_pending(vec![id]);
        }
    }

    /// Cancels every job and any rate-limit wait.
    fn cancel_all(&self) {
        {
            let mut s = self.sched();
            let ids = s.cancel_all();
            self.ended().cancelled += ids.len();
            self.cancelled_pending(ids);
        }
        self.ctx.client.cancel_waits();
    }

    async fn fetch_commit(self: Arc<Self>, id: LocalId, sha: String) {
        match job::fetch_commit(&self.ctx, id, &sha).await {
            Ok(commit) => self.emit(SyncEvent::CommitFetched {
                id,
                commit: Box::new(commit),
            }),
            Err(e) => self.emit(SyncEvent::CommitFailed {
                id,
                sha,
                message: e.to_string(),
            }),
        }
    }

    async fn fetch_stats(self: Arc<Self>, id: LocalId, prio: Priority) {
        let emit = |e| self.emit(e);
        stats::fetch_stats(&self.ctx, &self.stats, id, prio, emit).await;
    }

    async fn fetch_items(self: Arc<Self>, id: LocalId, prio: Priority) {
        let emit = |e| self.emit(e);
        super::items::fetch_items(&self.ctx, &self.items, id, prio, emit).await;
    }

    fn track(&self, keys: Vec<RepoKey>) {
        let ids = tracking::track(&self.ctx.store, &keys, |ev| self.emit(ev));
        self.enqueue(&ids, false, Priority::User);
    }

    fn untrack(&self, id: LocalId) {
        self.cancel(id);
        self.emit(tracking::untrack(&self.ctx.store, id));
    }

    async fn import(self: Arc<Self>, opts: ImportOptions) {
        match import(&self.ctx.client, &self.ctx.store, &opts).await {
            Ok(r) => {
                self.emit(SyncEvent::Imported {
                    added: r.added,
                    total: r.listed,
                });
                let ids: Vec<LocalId> = r
                    .keys
                    .iter()
                    .filter_map(|k| self.ctx.store.find(k).ok().flatten().map(|t| t.local))
                    .collect();
                self.enqueue(&ids, false, Priority::User);
            }
            Err(e) => self.emit_error(e),
        }
    }

    async fn search(self: Arc<Self>, query: String, limit: usize) {
        match self.ctx.client.search_repos(&query, limit).await {
            Ok(hits) => self.emit(SyncEvent::SearchResults { query, hits }),
            Err(e) => self.emit_error(format!("search failed: {e}")),
        }
    }

    /// After a rejected token or an endpoint failing as a whole: fails every job still waiting
    /// (no point asking GitHub again).
    fn fail_waiting(&self, tally: &mut Tally, kind: FailureKind, message: String) {
        let ids = self.sched().cancel_all();
        tally.failed += ids.len();
        for id in ids {
            self.emit(SyncEvent::Finished {
                id,
                outcome: Outcome::Failed {
                    kind,
                    message: message.clone(),
                },
                cost: JobCost::default(),
                duration_ms: 0,
                repo: None,
            });
        }
        self.emit(SyncEvent::Error { message });
    }
}

async fn worker(shared: Arc<Shared>) {
    let mut tally = Tally::default();
    let mut busy = false;
    loop {
        let (jobs, asked) = {
            let mut s = shared.sched();
            let jobs = s.take(limits::PASS_MAX);
            // Cleared with the take, under the lock `enqueue` sets it under.
            (jobs, shared.asked.swap(false, Ordering::SeqCst))
        };
        if jobs.is_empty() {
            if busy || asked {
                busy = false;
                tally.merge(std::mem::take(&mut *shared.ended()));
                shared.emit(SyncEvent::PassFinished {
                    synced: tally.synced,
                    unchanged: tally.unchanged,
                    failed: tally.failed,
                    skipped: tally.skipped,
                    cancelled: tally.cancelled,
                });
                tally = Tally::default();
            }
            if shared.stop.is_cancelled() {
                break;
            }
            tokio::select! {
                () = shared.wake.notified() => {}
                () = shared.stop.cancelled() => {}
            }
            continue;
        }
        busy = true;
        let ids: Vec<LocalId> = jobs.iter().map(|j| j.id).collect();
        // A panic in a pass ends its jobs as failed (the pass's own drop reports them) and the
        // engine keeps serving; the panic hook has logged it.
        let end = match std::panic::AssertUnwindSafe(job::run_pass(
            &shared.ctx,
            jobs,
            &shared.events,
            &mut tally,
        ))
        .catch_unwind()
        .await
        {
            Ok(end) => end,
            Err(_) => {
                shared.emit(SyncEvent::Error {
                    message: "repodeck hit an internal error during a sync pass; the affected repositories are marked failed and the log file has the details".into(),
                });
                PassEnd::Completed
            }
        };
        {
            let mut s = shared.sched();
            for id in &ids {
                s.finish(*id);
            }
        }
        if let Err(e) = shared.ctx.store.write_deferred_backup() {
            tracing::warn!(error = %e, "writing the tracked-list backup failed; it is retried after the next pass");
        }
        match end {
            PassEnd::Unauthorized(message) => {
                shared.fail_waiting(&mut tally, FailureKind::Unauthorized, message)
            }
            PassEnd::Stopped { kind, message } => shared.fail_waiting(&mut tally, kind, message),
            PassEnd::Completed => {}
        }
    }
}

/// The GraphQL bucket's hourly limit assumed until GitHub reports the real one.
const DEFAULT_GRAPHQL_LIMIT: u64 = 5000;
/// How often the freshness task looks for due repos.
const FRESHNESS_TICK: Duration = Duration::from_secs(5);
/// How often the plan is published (event and store) and the tracked list re-read.
const PLAN_EVERY: Duration = Duration::from_secs(30);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The freshness task: every few seconds, queues the planner's next round as background jobs
/// (when the previous one is done), accounts the points spent and publishes the plan.
async fn freshness(shared: Arc<Shared>, budget: crate::config::Reserve) {
    let mut tick = tokio::time::interval(FRESHNESS_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spent_before = graphql_points(&shared.ctx.client);
    let mut last_plan: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shared.nudge.notified() => {}
            () = shared.stop.cancelled() => break,
        }
        let now = chrono::Utc::now();
        let publish = last_plan.is_none_or(|at| at.elapsed() >= PLAN_EVERY);
        if publish {
            refresh_repos(&shared);
            last_plan = Some(std::time::Instant::now());
        }
        let spent = graphql_points(&shared.ctx.client);
        let limit = graphql_limit(&shared.ctx.client);
        let round = {
            let mut plan = lock(&shared.plan);
            plan.spent(now, spent.saturating_sub(spent_before));
            plan.set_budget(budget.of(limit));
            if shared.sched().pending_len() == 0 {
                plan.next_round(now)
            } else {
                Vec::new()
            }
        };
        spent_before = spent;
        if !round.is_empty() {
            shared.enqueue(&round, false, Priority::Background);
        }
        if publish {
            let summary = lock(&shared.plan).summary(now);
            if let Err(e) = shared.ctx.store.freshness_plan_put(&summary) {
                tracing::warn!(error = %e, "saving the freshness plan failed");
            }
            shared.emit(SyncEvent::Plan(Box::new(summary)));
        }
    }
}

/// Polls the owners' events feeds (see `hints.rs`) and hands new events to the planner.
async fn hint_task(shared: Arc<Shared>) {
    let mut hints = Hints::default();
    let mut names: HashMap<String, LocalId> = HashMap::new();
    let mut refreshed: Option<std::time::Instant> = None;
    let mut tick = tokio::time::interval(FRESHNESS_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shared.stop.cancelled() => break,
        }
        if refreshed.is_none_or(|at| at.elapsed() >= PLAN_EVERY) {
            refreshed = Some(std::time::Instant::now());
            if let Ok(repos) = shared.ctx.store.list() {
                names = repos.iter().map(|r| (r.key.lower(), r.local)).collect();
                let owners = repos.iter().map(|r| r.key.owner().to_lowercase());
                hints.set_owners(owners, std::time::Instant::now());
            }
        }
        let named = tokio::select! {
            n = hints.poll_due(&shared.ctx.client, std::time::Instant::now()) => n,
            () = shared.stop.cancelled() => break,
        };
        let mut any = false;
        {
            let mut plan = lock(&shared.plan);
            for name in &named {
                if let Some(id) = names.get(name) {
                    any |= plan.hint(*id);
                }
            }
            plan.set_hint_stats(hints.stats());
        }
        if any {
            shared.nudge.notify_one();
        }
    }
}

/// Once an hour, refreshes (in the background, one at a time) the statistics that were fetched
/// before and are older than a day: repos whose Overview was opened. Unchanged ones are 304s.
async fn stats_sweep(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(stats::SWEEP_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Not at start: opening an Overview refreshes its repo's statistics anyway.
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = shared.stop.cancelled() => break,
        }
        for id in stats::due(&shared.ctx.store, chrono::Utc::now()) {
            if shared.stop.is_cancelled() {
                return;
            }
            shared.clone().fetch_stats(id, Priority::Background).await;
        }
    }
}

/// Re-reads the tracked list (with each repo's last change and last sync) into the planner.
fn refresh_repos(shared: &Shared) {
    let repos = match shared.ctx.store.list() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "freshness: reading the tracked list failed");
            return;
        }
    };
    let changes = shared.ctx.store.last_changes().unwrap_or_default();
    lock(&shared.plan).set_repos(repos.into_iter().map(|r| {
        let change = changes.get(&r.local).copied();
        (r.local, change, r.last_synced_at)
    }));
}

fn graphql_points(client: &GithubClient) -> u64 {
    client
        .accounting()
        .points
        .get("graphql")
        .copied()
        .unwrap_or(0)
}

fn graphql_limit(client: &GithubClient) -> u64 {
    let state = client.rate_state().borrow().clone();
    state
        .buckets
        .get("graphql")
        .map(|b| b.limit)
        .filter(|l| *l > 0)
        .unwrap_or(DEFAULT_GRAPHQL_LIMIT)
}

/// Passes every event on, and feeds each finished job to the freshness planner (a change moves
/// the repo to the hot class, and is recorded in the store so a restart keeps it).
async fn observe(
    mut rx: mpsc::UnboundedReceiver<SyncEvent>,
    out: mpsc::UnboundedSender<SyncEvent>,
    plan: Arc<Mutex<Planner>>,
    store: Arc<Store>,
) {
    while let Some(ev) = rx.recv().await {
        if let SyncEvent::Finished { id, outcome, .. } = &ev {
            let changed = matches!(outcome, Outcome::Synced { changes } if !changes.is_empty());
            let probed = matches!(outcome, Outcome::Synced { .. } | Outcome::Unchanged);
            let now = chrono::Utc::now();
            if probed {
                lock(&plan).observed(*id, changed, now);
            } else {
                lock(&plan).finished(*id);
            }
            if changed && let Err(e) = store.last_change_put(*id, now) {
                tracing::warn!(error = %e, "recording a repo's last change failed");
            }
        }
        if out.send(ev).is_err() {
            break;
        }
    }
}

async fn rate_forwarder(shared: Arc<Shared>) {
    let mut rx = shared.ctx.client.rate_state();
    // The pause last reported: a new reason or a later end is reported again, so every wait is
    // said with what it waits for and until when.
    let mut reported: Option<crate::github::Pause> = None;
    loop {
        tokio::select! {
            r = rx.changed() => if r.is_err() { break },
            () = shared.stop.cancelled() => break,
        }
        let state = rx.borrow_and_update().clone();
        shared.emit(SyncEvent::RateLimits(
            state.buckets.values().cloned().collect(),
        ));
        match (&state.pause, &reported) {
            (Some(p), last) if last.as_ref() != Some(p) => {
                reported = Some(p.clone());
                shared.emit(SyncEvent::Paused {
                    reason: p.reason.clone(),
                    until: p.until,
                });
                shared.emit(SyncEvent::Waiting {
                    id: None,
                    reason: p.reason.clone(),
                    until: p.until,
                });
            }
            (None, Some(_)) => {
                reported = None;
                shared.emit(SyncEvent::Resumed);
            }
            _ => {}
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// Repos the listing returned.
    pub listed: usize,
    /// Kept after the fork/archive filters.
    pub keys: Vec<RepoKey>,
    /// Newly tracked.
    pub added: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("import failed: {0}")]
    Github(GithubError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lists an org's / user's / the viewer's repos (paginated by the client), applies the filters and
/// tracks them all in one batch. Shared by the CLI and the engine.
pub async fn import(
    client: &GithubClient,
    store: &Store,
    opts: &ImportOptions,
) -> Result<Imported, ImportError> {
    let listed = client
        .list_repos(&opts.source, Priority::User)
        .await
        .map_err(ImportError::Github)?;
    let keys: Vec<RepoKey> = listed
        .iter()
        .filter(|r| (opts.include_forks || !r.fork) && (opts.include_archived || !r.archived))
        .map(|r| r.key.clone())
        .collect();
    let before = store.len();
    store.add_many(&keys)?;
    let added = store.len().saturating_sub(before);
    Ok(Imported {
        listed: listed.len(),
        keys,
        added,
    })
}
