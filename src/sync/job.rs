//! One pass of sync jobs: throttle, GraphQL change probe (by node id, so renames are followed),
//! detail fetch only for what changed / was never synced / is forced, diff, and ONE atomic store
//! batch per repo; or, anonymous or `--rest`, one conditional REST snapshot per repo.
//!
//! Neighbours: `scheduler.rs` hands out the jobs, `engine.rs` runs passes and forwards events,
//! `diff.rs` finds the changes, `store` persists, `github` fetches.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::etags::StoreEtags;
use super::scheduler::{Job, limits};
use super::{JobCost, Outcome, Priority, SyncEvent, diff};
use crate::domain::{
    Change, FailureKind, LocalId, Probe, RepoKey, RepoSnapshot, SyncError, SyncStatus, TrackedRepo,
};
use crate::github::{Accounting, Conditional, GithubClient, GithubError, RepoTarget};
use crate::store::{Store, StoreError, SyncWrite};

/// What a pass needs.
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<Store>,
    pub client: GithubClient,
    /// Clients for repos with their own token (per-repo > global > environment), by lowercase
    /// `owner/name`.
    pub repo_clients: std::collections::HashMap<String, GithubClient>,
    pub etags: Option<Arc<StoreEtags>>,
    pub min_interval: Duration,
    /// Use the REST + ETag path even with a token.
    pub force_rest: bool,
}

/// How a pass ended as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassEnd {
    Completed,
    /// The token was rejected: the pass stopped, nothing more was written.
    Unauthorized(String),
    /// The endpoint is unavailable or not GitHub's API: the pass stopped, nothing more was
    /// written.
    Stopped {
        kind: FailureKind,
        message: String,
    },
}

/// Totals of a pass, for `PassFinished`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub synced: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
    pub cancelled: usize,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Synced { .. } => self.synced += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Cancelled => self.cancelled += 1,
        }
    }

    /// Adds another tally's counts (jobs ended outside a pass: cancelled while queued, refused).
    pub fn merge(&mut self, o: Tally) {
        self.synced += o.synced;
        self.unchanged += o.unchanged;
        self.failed += o.failed;
        self.skipped += o.skipped;
        self.cancelled += o.cancelled;
    }

    /// Every job counted.
    pub fn total(&self) -> usize {
        self.synced + self.unchanged + self.failed + self.skipped + self.cancelled
    }
}

/// A job with the stored repo it is about.
struct Work {
    job: Job,
    repo: TrackedRepo,
    started: Instant,
    cost: JobCost,
}

/// Runs one pass over `jobs`, sending `Started` and exactly one `Finished` per job on `events`
/// and counting each outcome into `tally` (also when a panic cuts the pass short). Returns how
/// the pass ended.
pub async fn run_pass(
    ctx: &Ctx,
    jobs: Vec<Job>,
    events: &UnboundedSender<SyncEvent>,
    tally: &mut Tally,
) -> PassEnd {
    let mut pass = Pass {
        ctx,
        events,
        tally,
        pending: jobs.iter().map(|j| j.id).collect(),
    };
    let now = Utc::now();
    let mut works = Vec::new();
    for job in jobs {
        let _ = events.send(SyncEvent::Started { id: job.id });
        let started = Instant::now();
        match ctx.store.get(job.id) {
            Ok(Some(repo)) => {
                let w = Work {
                    job,
                    repo,
                    started,
                    cost: JobCost::default(),
                };
                if !w.job.force && throttled(&w.repo, ctx.min_interval, now) {
                    pass.finish(w, Outcome::Skipped, None);
                } else {
                    works.push(w);
                }
            }
            Ok(None) => pass.finish_job(
                job.id,
                started,
                JobCost::default(),
                failed(
                    FailureKind::Untracked,
                    "the repository is no longer tracked",
                ),
                None,
            ),
            Err(e) => pass.finish_job(
                job.id,
                started,
                JobCost::default(),
                failed(FailureKind::Store, &e.to_string()),
                None,
            ),
        }
    }
    crate::logging::panic_point("sync-pass");
    // Repos with their own token go through their own client, one group per token; a rejected
    // per-repo token fails only its repos.
    let mut own: std::collections::BTreeMap<String, Vec<Work>> = Default::default();
    let mut shared = Vec::new();
    for w in works {
        let k = w.repo.key.lower();
        if ctx.repo_clients.contains_key(&k) {
            own.entry(k).or_default().push(w);
        } else {
            shared.push(w);
        }
    }
    let end = pass.group(&ctx.client, shared).await;
    for (k, works) in own {
        let client = ctx.client_for_name(&k).clone();
        let _ = pass.group(&client, works).await;
    }
    end
}

impl Ctx {
    /// The client whose token `repo` uses: its own, else the main one.
    pub fn client_for(&self, repo: &RepoKey) -> &GithubClient {
        self.client_for_name(&repo.lower())
    }

    fn client_for_name(&self, lower: &str) -> &GithubClient {
        self.repo_clients.get(lower).unwrap_or(&self.client)
    }
}

/// Synced less than `min_interval` ago.
pub fn throttled(repo: &TrackedRepo, min_interval: Duration, now: DateTime<Utc>) -> bool {
    let Some(last) = repo.last_synced_at else {
        return false;
    };
    let min = chrono::Duration::from_std(min_interval).unwrap_or(chrono::Duration::MAX);
    now - last < min
}

/// A repository's 404 named by its full name: a synced repository is probed by node id, and
/// GitHub's answer (`repository node R_kgDO...`) would not say which repository is gone.
fn named_not_found(e: &GithubError, key: &RepoKey) -> Option<GithubError> {
    match e {
        GithubError::NotFound { what } if what != &format!("repository {key}") => {
            Some(GithubError::NotFound {
                what: format!("repository {key}"),
            })
        }
        _ => None,
    }
}

fn failed(kind: FailureKind, message: &str) -> Outcome {
    Outcome::Failed {
        kind,
        message: message.to_string(),
    }
}

fn failed_from(e: &GithubError) -> Outcome {
    failed(e.kind(), &e.to_string())
}

/// Whether a fresh probe shows anything the stored copy does not have.
pub fn probe_differs(stored: &Probe, fresh: &Probe) -> bool {
    let mut a = stored.clone();
    let mut b = fresh.clone();
    a.id = None;
    b.id = None;
    // A CI state not known on either side (stored before it was fetched, the REST path, an
    // unreadable rollup) is no reason to fetch: only a known state that moved is.
    if a.head_ci.is_none() || b.head_ci.is_none() {
        a.head_ci = None;
        b.head_ci = None;
    }
    a != b
}

fn delta(before: &Accounting, after: &Accounting) -> JobCost {
    let requests = after.requests.saturating_sub(before.requests);
    let points = after
        .points
        .values()
        .sum::<u64>()
        .saturating_sub(before.points.values().sum::<u64>());
    JobCost {
        requests,
        not_modified: after.not_modified.saturating_sub(before.not_modified),
        points,
        requests_milli: requests * 1000,
        points_milli: points * 1000,
    }
}

/// Spreads a batch's cost over its members: whole shares (the remainder goes to the first ones,
/// so they add up exactly) and each member's exact share in thousandths (never 0 for a batch
/// that cost something).
fn share(total: JobCost, n: usize, i: usize) -> JobCost {
    let n = n.max(1) as u64;
    let part = |v: u64| v / n + u64::from((i as u64) < v % n);
    let milli = |v: u64| {
        let m = v * 1000;
        if m == 0 { 0 } else { (m / n).max(1) }
    };
    JobCost {
        requests: part(total.requests),
        not_modified: part(total.not_modified),
        points: part(total.points),
        requests_milli: milli(total.requests),
        points_milli: milli(total.points),
    }
}

fn add_cost(a: &mut JobCost, b: JobCost) {
    a.requests += b.requests;
    a.not_modified += b.not_modified;
    a.points += b.points;
    a.requests_milli += b.requests_milli;
    a.points_milli += b.points_milli;
}

fn target_of(repo: &TrackedRepo) -> RepoTarget {
    match repo.meta.as_ref().filter(|m| !m.node_id.is_empty()) {
        Some(m) => RepoTarget::Node(m.node_id.clone()),
        None => RepoTarget::Name(repo.key.clone()),
    }
}

/// What one GraphQL batch call returns: one result per target, or a failure of the whole call.
type BatchResult<T> = Result<Vec<Result<T, GithubError>>, GithubError>;

/// The two stages of the GraphQL path.
#[derive(Debug, Clone, Copy)]
enum Stage {
    Probe,
    Detail,
}

impl Stage {
    /// Named in the error of a job whose result is missing from its batch's answer.
    fn endpoint(self) -> &'static str {
        match self {
            Stage::Probe => "graphql probe",
            Stage::Detail => "graphql details",
        }
    }

    /// The progress step reported for each job of a batch before it is sent.
    fn progress(self) -> Option<&'static str> {
        match self {
            Stage::Probe => None,
            Stage::Detail => Some("fetching details"),
        }
    }
}

/// A stage stopped by a rejected token, with the jobs it had not ended, in order.
struct Stopped {
    error: GithubError,
    /// The jobs of the batch in flight.
    unfinished: Vec<Work>,
    /// The batches not sent yet.
    queued: Vec<Work>,
}

struct Pass<'a> {
    ctx: &'a Ctx,
    events: &'a UnboundedSender<SyncEvent>,
    tally: &'a mut Tally,
    /// Jobs of this pass without their `Finished` yet.
    pending: std::collections::HashSet<LocalId>,
}

impl Drop for Pass<'_> {
    /// A pass cut short by a panic (caught by the engine) still ends every job it started, so no
    /// caller waits forever and the UI shows what happened.
    fn drop(&mut self) {
        for id in std::mem::take(&mut self.pending) {
            self.finish_job(
                id,
                Instant::now(),
                JobCost::default(),
                failed(
                    FailureKind::Internal,
                    "repodeck hit an internal error while syncing this repository (see the log file); the stored data was kept. Please report it",
                ),
                None,
            );
        }
    }
}

impl Pass<'_> {
    fn finish(&mut self, w: Work, outcome: Outcome, repo: Option<TrackedRepo>) {
        self.finish_job(w.job.id, w.started, w.cost, outcome, repo);
    }

    fn finish_job(
        &mut self,
        id: LocalId,
        started: Instant,
        cost: JobCost,
        outcome: Outcome,
        repo: Option<TrackedRepo>,
    ) {
        self.pending.remove(&id);
        self.tally.add(&outcome);
        let duration_ms = started.elapsed().as_millis() as u64;
        let _ = self.events.send(SyncEvent::Finished {
            id,
            outcome,
            cost,
            duration_ms,
            repo: repo.map(Box::new),
        });
    }

    fn drop_etags(&self, key: &RepoKey) {
        if let Some(etags) = &self.ctx.etags {
            etags.take(key);
        }
    }

    /// Ends every remaining job after the token was rejected or the endpoint failed as a whole
    /// ([`GithubError::stops_pass`]), without touching the store.
    fn stop_unauthorized(&mut self, rest: Vec<Work>, e: &GithubError) -> PassEnd {
        for w in rest {
            self.drop_etags(&w.repo.key);
            self.finish(w, failed_from(e), None);
        }
        if e.is_unauthorized() {
            PassEnd::Unauthorized(e.to_string())
        } else {
            PassEnd::Stopped {
                kind: e.kind(),
                message: e.to_string(),
            }
        }
    }

    /// Records a failure on the repo (status, last error) and reports it.
    fn fail(&mut self, w: Work, e: &GithubError) {
        let named = named_not_found(e, &w.repo.key);
        let e = named.as_ref().unwrap_or(e);
        self.drop_etags(&w.repo.key);
        let mut repo = w.repo.clone();
        let now = Utc::now();
        if let GithubError::NotFound { .. } = e
            && repo.meta.is_some()
        {
            // Deleted, made private or access lost: kept, marked, reported once.
            let changes = diff::inaccessible(&repo);
            repo.status = SyncStatus::Inaccessible;
            repo.last_synced_at = Some(now);
            repo.last_error = Some(SyncError {
                kind: e.kind(),
                message: e.to_string(),
                at: now,
            });
            // Already known to be gone: nothing new to report.
            let outcome = if changes.is_empty() {
                Outcome::Unchanged
            } else {
                Outcome::Synced {
                    changes: changes.clone(),
                }
            };
            self.write(w, repo, None, changes, now, outcome);
            return;
        }
        repo.status = SyncStatus::Failed;
        repo.last_error = Some(SyncError {
            kind: e.kind(),
            message: e.to_string(),
            at: now,
        });
        if let Err(se) = self.ctx.store.apply_sync(SyncWrite {
            repo: Some(repo.clone()),
            ..SyncWrite::default()
        }) {
            tracing::warn!(error = %se, "recording a sync failure failed");
        }
        self.finish(w, failed_from(e), Some(repo));
    }

    /// Writes one repo's result in one batch, then reports it.
    fn write(
        &mut self,
        w: Work,
        repo: TrackedRepo,
        details: Option<crate::domain::RepoDetails>,
        changes: Vec<Change>,
        at: DateTime<Utc>,
        outcome: Outcome,
    ) {
        if w.job.cancel.is_cancelled() {
            self.drop_etags(&w.repo.key);
            self.finish(w, Outcome::Cancelled, None);
            return;
        }
        let mut etags = Vec::new();
        if let Some(cache) = &self.ctx.etags {
            etags = cache.take(&w.repo.key);
            if repo.key != w.repo.key {
                etags.extend(cache.take(&repo.key));
            }
        }
        match self.ctx.store.apply_sync(SyncWrite {
            repo: Some(repo.clone()),
            details,
            changes,
            at: Some(at),
            etags,
            defer_backup: true,
        }) {
            Ok(entries) => {
                if !entries.is_empty() {
                    let _ = self.events.send(SyncEvent::Activity(entries.clone()));
                }
                let stored = self
                    .ctx
                    .store
                    .get(repo.local)
                    .ok()
                    .flatten()
                    .unwrap_or(repo);
                self.finish(w, outcome, Some(stored));
            }
            Err(e) => self.finish(w, failed(FailureKind::Store, &e.to_string()), None),
        }
    }

    /// Diffs and writes a fresh snapshot.
    fn apply_snapshot(&mut self, w: Work, snap: RepoSnapshot) {
        let now = Utc::now();
        let old_details = self.ctx.store.details_bare(w.repo.local).ok().flatten();
        let changes = diff::diff(&w.repo, old_details.as_ref(), &snap);
        let repo = merged_repo(&w.repo, &snap, now);
        let outcome = Outcome::Synced {
            changes: changes.clone(),
        };
        let mut details = snap.details;
        // Keep stats and files fetched on demand for commits we already had.
        if let Some(old) = &old_details {
            let known: HashMap<&str, &crate::domain::Commit> =
                old.commits.iter().map(|c| (c.sha.as_str(), c)).collect();
            for c in &mut details.commits {
                if let Some(o) = known.get(c.sha.as_str()) {
                    c.stats = c.stats.take().or_else(|| o.stats.clone());
                    c.files = c.files.take().or_else(|| o.files.clone());
                }
            }
        }
        self.write(w, repo, Some(details), changes, now, outcome);
    }

    /// Nothing changed: only the sync time and status move.
    fn unchanged(&mut self, w: Work) {
        let now = Utc::now();
        let mut repo = w.repo.clone();
        repo.last_synced_at = Some(now);
        repo.status = SyncStatus::Synced;
        repo.last_error = None;
        self.write(w, repo, None, Vec::new(), now, Outcome::Unchanged);
    }

    /// Ends a whole batch whose request failed (a rejected token is handled by the caller):
    /// cancelled jobs as cancelled, the rest failed, each with its share of the cost.
    fn batch_failed(&mut self, batch: Vec<Work>, cost: JobCost, e: &GithubError) {
        if *e == GithubError::Cancelled {
            for w in batch {
                self.finish(w, Outcome::Cancelled, None);
            }
            return;
        }
        let n = batch.len();
        for (i, mut w) in batch.into_iter().enumerate() {
            add_cost(&mut w.cost, share(cost, n, i));
            self.fail(w, e);
        }
    }

    /// Syncs `works` through `client`: GraphQL batches with a token, REST with ETags without
    /// one (or when asked).
    async fn group(&mut self, client: &GithubClient, works: Vec<Work>) -> PassEnd {
        if works.is_empty() {
            return PassEnd::Completed;
        }
        if self.ctx.force_rest || !client.is_authenticated() {
            self.rest(client.clone(), works).await
        } else {
            self.graphql(client.clone(), works).await
        }
    }

    /// The GraphQL path: a cheap probe of what was synced before, then the detail fetch of what
    /// changed, was never synced or is forced.
    async fn graphql(&mut self, client: GithubClient, works: Vec<Work>) -> PassEnd {
        let (probe, mut fetch): (Vec<Work>, Vec<Work>) = works.into_iter().partition(|w| {
            !w.job.force && w.repo.meta.is_some() && w.repo.status != SyncStatus::Never
        });
        let sizes = super::scheduler::probe_batches(probe.len())
            .into_iter()
            .chain(std::iter::repeat(limits::PROBE_BATCH));
        let probed = self
            .batches(
                &client,
                Stage::Probe,
                probe,
                sizes,
                |targets: Vec<RepoTarget>, prio| {
                    let client = client.clone();
                    async move { client.probe(&targets, prio).await }
                },
                |pass: &mut Self, w: Work, p: Probe| {
                    let same = w.repo.probe().is_some_and(|s| !probe_differs(&s, &p));
                    if same && w.repo.status == SyncStatus::Synced {
                        pass.unchanged(w);
                    } else {
                        fetch.push(w);
                    }
                },
            )
            .await;
        if let Err(stop) = probed {
            let mut left = stop.unfinished;
            left.extend(fetch);
            left.extend(stop.queued);
            return self.stop_unauthorized(left, &stop.error);
        }
        let open_prs = Arc::new(self.open_prs(&fetch));
        let fetched = self
            .batches(
                &client,
                Stage::Detail,
                fetch,
                std::iter::repeat(limits::DETAIL_CHUNK),
                |targets: Vec<RepoTarget>, prio| {
                    let client = client.clone();
                    let open_prs = open_prs.clone();
                    async move {
                        let mut results = client.details(&targets, prio).await?;
                        super::ends::settle_graphql(
                            &client,
                            &targets,
                            &mut results,
                            &open_prs,
                            prio,
                        )
                        .await;
                        Ok(results)
                    }
                },
                |pass: &mut Self, w: Work, snap: RepoSnapshot| pass.apply_snapshot(w, snap),
            )
            .await;
        match fetched {
            Ok(()) => PassEnd::Completed,
            Err(stop) => {
                let mut left = stop.unfinished;
                left.extend(stop.queued);
                self.stop_unauthorized(left, &stop.error)
            }
        }
    }

    /// Runs one stage of the GraphQL path over `queue`, in batches of the sizes `sizes` yields:
    /// cancelled jobs end as cancelled, each batch's cost is shared by its jobs, each result goes
    /// to `done` and each failure is recorded on its repo. A rejected token stops the stage and
    /// hands back every job not ended yet.
    async fn batches<T, F: Future<Output = BatchResult<T>>>(
        &mut self,
        client: &GithubClient,
        stage: Stage,
        mut queue: Vec<Work>,
        mut sizes: impl Iterator<Item = usize>,
        call: impl Fn(Vec<RepoTarget>, Priority) -> F,
        mut done: impl FnMut(&mut Self, Work, T),
    ) -> Result<(), Stopped> {
        while !queue.is_empty() {
            let size = sizes.next().unwrap_or(1).max(1);
            let rest = queue.split_off(queue.len().min(size));
            let batch = self.end_cancelled(std::mem::replace(&mut queue, rest));
            if batch.is_empty() {
                continue;
            }
            if let Some(step) = stage.progress() {
                for w in &batch {
                    let _ = self.events.send(SyncEvent::Progress {
                        id: w.job.id,
                        step: step.into(),
                    });
                }
            }
            let targets: Vec<RepoTarget> = batch.iter().map(|w| target_of(&w.repo)).collect();
            let prio = batch
                .iter()
                .map(|w| w.job.priority)
                .max()
                .unwrap_or(Priority::Background);
            let before = client.accounting();
            let result = call(targets, prio).await;
            let cost = delta(&before, &client.accounting());
            let results = match result {
                Ok(results) => results,
                Err(error) if error.stops_pass() => {
                    return Err(Stopped {
                        error,
                        unfinished: batch,
                        queued: queue,
                    });
                }
                Err(e) => {
                    self.batch_failed(batch, cost, &e);
                    continue;
                }
            };
            let n = batch.len();
            let mut results = results.into_iter();
            let mut jobs = batch.into_iter().enumerate();
            while let Some((i, mut w)) = jobs.next() {
                add_cost(&mut w.cost, share(cost, n, i));
                match results.next() {
                    Some(Ok(value)) => done(self, w, value),
                    Some(Err(error)) if error.is_unauthorized() => {
                        let mut unfinished = vec![w];
                        unfinished.extend(jobs.map(|(_, w)| w));
                        return Err(Stopped {
                            error,
                            unfinished,
                            queued: queue,
                        });
                    }
                    Some(Err(e)) => self.fail(w, &e),
                    None => self.fail(
                        w,
                        &GithubError::Decode {
                            endpoint: stage.endpoint().into(),
                            detail: "missing result".into(),
                        },
                    ),
                }
            }
        }
        Ok(())
    }

    /// Ends the cancelled jobs of `batch` as cancelled; returns the others.
    fn end_cancelled(&mut self, batch: Vec<Work>) -> Vec<Work> {
        let (live, cancelled): (Vec<Work>, Vec<Work>) = batch
            .into_iter()
            .partition(|w| !w.job.cancel.is_cancelled());
        for w in cancelled {
            self.finish(w, Outcome::Cancelled, None);
        }
        live
    }

    /// The stored open PR numbers of `works`, by fetch target (for [`super::ends`]).
    fn open_prs(&self, works: &[Work]) -> super::ends::OpenPrs {
        works
            .iter()
            .filter_map(|w| {
                let d = self.ctx.store.details(w.repo.local).ok().flatten()?;
                let open = d.pulls.iter().map(|p| p.number).collect();
                Some((target_of(&w.repo), open))
            })
            .collect()
    }

    async fn rest(&mut self, client: GithubClient, works: Vec<Work>) -> PassEnd {
        let open_prs = Arc::new(self.open_prs(&works));
        let mut stream = futures::stream::iter(works.into_iter().map(|w| {
            let client = client.clone();
            let open_prs = open_prs.clone();
            async move {
                if w.job.cancel.is_cancelled() {
                    return (w, None, JobCost::default());
                }
                let before = client.accounting();
                let key = w.repo.key.clone();
                let old = open_prs.get(&target_of(&w.repo));
                let prio = w.job.priority;
                let fetch = async {
                    let c = client.rest_snapshot(&key, prio).await?;
                    let changed = c.is_changed();
                    let mut snap = c.into_inner();
                    super::ends::settle_rest(&client, &key, &mut snap, old, prio).await?;
                    Ok(if changed {
                        Conditional::Changed(snap)
                    } else {
                        Conditional::Unchanged(snap)
                    })
                };
                let r = tokio::select! {
                    r = fetch => r,
                    () = w.job.cancel.cancelled() => Err(GithubError::Cancelled),
                };
                // Concurrent jobs share the counters: this is an estimate per job, exact in total.
                let cost = delta(&before, &client.accounting());
                (w, Some(r), cost)
            }
        }))
        .buffer_unordered(limits::REST_PARALLEL);
        let mut stop: Option<GithubError> = None;
        let mut left = Vec::new();
        while let Some((mut w, r, cost)) = stream.next().await {
            if stop.is_some() {
                left.push(w);
                continue;
            }
            add_cost(&mut w.cost, cost);
            match r {
                None | Some(Err(GithubError::Cancelled)) => {
                    self.drop_etags(&w.repo.key);
                    self.finish(w, Outcome::Cancelled, None);
                }
                Some(Err(e)) if e.stops_pass() => {
                    stop = Some(e);
                    left.push(w);
                }
                Some(Err(e)) => self.fail(w, &e),
                Some(Ok(c)) => {
                    let unchanged_on_wire = matches!(c, Conditional::Unchanged(_));
                    let snap = c.into_inner();
                    let same = w
                        .repo
                        .probe()
                        .is_some_and(|p| !probe_differs(&p, &snap.probe()));
                    // A 304 everywhere with the same summary is unchanged; anything else is diffed
                    // (new bodies may carry list changes the summary does not show).
                    if !w.job.force
                        && unchanged_on_wire
                        && same
                        && w.repo.status == SyncStatus::Synced
                    {
                        self.unchanged(w);
                    } else {
                        self.apply_snapshot(w, snap);
                    }
                }
            }
        }
        match stop {
            Some(e) => self.stop_unauthorized(left, &e),
            None => PassEnd::Completed,
        }
    }
}

/// The new stored summary: GitHub's new state on top of what the user added.
fn merged_repo(old: &TrackedRepo, snap: &RepoSnapshot, now: DateTime<Utc>) -> TrackedRepo {
    let mut repo = old.clone();
    if let Ok(key) = RepoKey::parse(&snap.meta.full_name) {
        repo.key = key;
    }
    repo.id = Some(snap.meta.id);
    repo.status = SyncStatus::Synced;
    repo.last_synced_at = Some(now);
    repo.details_at = Some(now);
    repo.last_error = None;
    if let Some(m) = &old.meta
        && m.stars != snap.meta.stars
    {
        repo.stars_delta = snap.meta.stars as i64 - m.stars as i64;
    }
    let mut head = snap
        .head
        .clone()
        .or_else(|| snap.details.commits.first().cloned());
    if let (Some(h), Some(o)) = (head.as_mut(), old.head.as_ref())
        && h.sha == o.sha
    {
        h.stats = h.stats.take().or_else(|| o.stats.clone());
        h.files = h.files.take().or_else(|| o.files.clone());
    }
    repo.head = head;
    repo.meta = Some(snap.meta.clone());
    repo.latest_release = snap.latest_release.clone();
    repo
}

/// Why an on-demand commit fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchCommitError {
    #[error("the repository is no longer tracked")]
    Untracked,
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Fetches one commit's stats and files (REST) and stores them with the repo.
pub async fn fetch_commit(
    ctx: &Ctx,
    id: LocalId,
    sha: &str,
) -> Result<crate::domain::Commit, FetchCommitError> {
    let repo = ctx.store.get(id)?.ok_or(FetchCommitError::Untracked)?;
    let commit = ctx.client_for(&repo.key).commit(&repo.key, sha).await?;
    let mut details = ctx.store.details_bare(id)?;
    if let Some(d) = details.as_mut() {
        for c in d.commits.iter_mut().filter(|c| c.sha == commit.sha) {
            c.stats = commit.stats.clone();
            c.files = commit.files.clone();
        }
    }
    let mut updated = repo.clone();
    if let Some(h) = updated.head.as_mut().filter(|h| h.sha == commit.sha) {
        h.stats = commit.stats.clone();
        h.files = commit.files.clone();
    }
    ctx.store.apply_sync(SyncWrite {
        repo: Some(updated),
        details,
        ..SyncWrite::default()
    })?;
    Ok(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_404_names_the_repository() {
        let key = RepoKey::parse("octo-org/repo-0002").unwrap();
        let e = GithubError::NotFound {
            what: "repository node R_kgDOAAAAAAABhqI".into(),
        };
        let named = named_not_found(&e, &key).unwrap();
        assert!(
            named
                .to_string()
                .starts_with("repository octo-org/repo-0002 was not found (404)"),
            "{named}"
        );
        let empty = GithubError::NotFound {
            what: String::new(),
        };
        assert!(
            named_not_found(&empty, &key)
                .unwrap()
                .to_string()
                .contains("octo-org/repo-0002")
        );
        assert_eq!(named_not_found(&named, &key), None);
        assert_eq!(named_not_found(&GithubError::Timeout, &key), None);
    }

    #[test]
    fn throttle_uses_min_interval() {
        let now = Utc::now();
        let mut r = TrackedRepo::new(LocalId(1), RepoKey::parse("o/r").unwrap(), now);
        assert!(
            !throttled(&r, Duration::from_secs(300), now),
            "never synced"
        );
        r.last_synced_at = Some(now - chrono::Duration::seconds(60));
        assert!(throttled(&r, Duration::from_secs(300), now));
        assert!(!throttled(&r, Duration::from_secs(30), now));
        assert!(!throttled(&r, Duration::ZERO, now));
    }

    #[test]
    fn cost_is_shared_exactly() {
        let total = JobCost {
            requests: 1,
            points: 5,
            ..JobCost::default()
        };
        let parts: Vec<JobCost> = (0..3).map(|i| share(total, 3, i)).collect();
        assert_eq!(parts.iter().map(|c| c.points).sum::<u64>(), 5);
        assert_eq!(parts.iter().map(|c| c.requests).sum::<u64>(), 1);
        // Each member's exact share: no member of a batch that cost something reads 0.
        let fifty: Vec<JobCost> = (0..50).map(|i| share(total, 50, i)).collect();
        assert!(
            fifty
                .iter()
                .all(|c| c.requests_milli == 20 && c.points_milli == 100)
        );
        assert_eq!(fifty.iter().filter(|c| c.requests == 0).count(), 49);
        assert_eq!(share(JobCost::default(), 50, 3), JobCost::default());
    }

    #[test]
    fn a_cancelled_job_is_counted_as_cancelled() {
        let mut t = Tally::default();
        t.add(&Outcome::Cancelled);
        t.add(&Outcome::Unchanged);
        t.add(&Outcome::Failed {
            kind: FailureKind::Server,
            message: "x".into(),
        });
        assert_eq!(
            (t.cancelled, t.failed, t.unchanged, t.total()),
            (1, 1, 1, 3)
        );
    }

    #[test]
    fn probe_comparison_ignores_the_missing_id() {
        let a = Probe {
            id: None,
            stars: 1,
            ..Probe::default()
        };
        let mut b = Probe {
            id: Some(crate::domain::RepoId(3)),
            stars: 1,
            ..Probe::default()
        };
        assert!(!probe_differs(&a, &b));
        b.head_sha = Some("x".into());
        assert!(probe_differs(&a, &b));
    }

    #[test]
    fn a_head_turning_red_is_a_probe_difference_but_unknown_ci_is_not() {
        use crate::domain::CiState;
        let green = Probe {
            head_sha: Some("h".into()),
            head_ci: Some(CiState::Success),
            ..Probe::default()
        };
        let red = Probe {
            head_ci: Some(CiState::Failure),
            ..green.clone()
        };
        let unknown = Probe {
            head_ci: None,
            ..green.clone()
        };
        assert!(probe_differs(&green, &red));
        assert!(!probe_differs(&unknown, &red));
        assert!(!probe_differs(&green, &unknown));
    }
}
