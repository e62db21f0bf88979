//! The job scheduler: which repos to sync next. At most one pending job per repo (a newer request
//! replaces it), user work before background work, a bound on what may wait, cancellation of pending
//! and running jobs. Every policy constant of the engine is named in [`limits`].
//!
//! Pure bookkeeping, no I/O: `engine.rs` owns one and feeds the jobs it hands out to `job.rs`.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use tokio_util::sync::CancellationToken;

use super::Priority;
use crate::domain::LocalId;

/// The engine's policy constants, in one place.
pub mod limits {
    use std::time::Duration;

    /// Jobs that may wait at once; requests beyond it are refused (and reported) instead of queued.
    pub const MAX_PENDING: usize = 100_000;
    /// Jobs taken into one pass. A pass probes and fetches in batches; user jobs that arrive during
    /// a pass run at the start of the next one.
    pub const PASS_MAX: usize = 10_000;
    /// Repos per GraphQL change probe (GitHub's `nodes(ids:)` takes at most 100).
    pub const PROBE_BATCH: usize = 100;
    /// The largest probe that costs a single GraphQL point: GitHub charges each of the probe's two
    /// connections once per repo, divides by 100 and rounds to the nearest point (74 x 2 = 148 -> 1).
    pub const PROBE_CHEAP_BATCH: usize = 74;
    /// Repos handed to one detail-fetch call; the client splits them into its own adaptive batches
    /// of at most 24 (2 points each): 96 = 4 x 24 leaves no small, badly rounded batch behind.
    pub const DETAIL_CHUNK: usize = 96;
    /// Most REST snapshots in flight at once (the client's own limit may be lower).
    pub const REST_PARALLEL: usize = 8;
    /// Activity entries `repodeck activity` reads at most.
    pub const ACTIVITY_LIMIT: usize = 10_000;
    /// Shortest periodic interval accepted, so a typo cannot hammer the API.
    pub const MIN_PERIODIC: Duration = Duration::from_secs(30);
}

/// Sizes of the probe batches for `n` repos: as few queries as possible (ceil(n / 100)), and within
/// that as many one-point batches (<= [`limits::PROBE_CHEAP_BATCH`]) as fit. 1,000 repos: 10 x 100 =
/// 20 points; 1,001 repos: 8 x 100 + 3 x 67 = 19 points instead of 10 x 100 + 1 = 21.
pub fn probe_batches(n: usize) -> Vec<usize> {
    use limits::{PROBE_BATCH as FULL, PROBE_CHEAP_BATCH as CHEAP};
    if n == 0 {
        return Vec::new();
    }
    let queries = n.div_ceil(FULL);
    let cheap = ((queries * FULL - n) / (FULL - CHEAP)).min(queries);
    let full = queries - cheap;
    let in_full = (n.saturating_sub(cheap * CHEAP)).min(full * FULL);
    let mut sizes = Vec::with_capacity(queries);
    // Spread evenly within each group.
    for i in 0..full {
        sizes.push(in_full / full + usize::from(i < in_full % full));
    }
    let rest = n - in_full;
    for i in 0..cheap {
        sizes.push(rest / cheap + usize::from(i < rest % cheap));
    }
    sizes.retain(|s| *s > 0);
    sizes
}

/// One repo's pending or running sync.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: LocalId,
    /// Ignore `sync.min_interval` and refetch details even when the probe sees nothing new.
    pub force: bool,
    pub priority: Priority,
    /// Cancelled by `Cancel(id)` / `CancelAll` while running.
    pub cancel: CancellationToken,
    seq: u64,
}

/// What `enqueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Queued,
    /// A pending job for the repo was replaced by this newer one.
    Replaced,
    /// A pending user job already covers it; this background request was dropped.
    Covered,
    /// The queue is at [`limits::MAX_PENDING`].
    Full,
}

/// What `cancel` found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cancelled {
    pub pending: bool,
    pub running: bool,
}

type QueueKey = (Reverse<Priority>, u64, LocalId);

#[derive(Debug, Default)]
pub struct Scheduler {
    pending: HashMap<LocalId, Job>,
    queue: BTreeSet<QueueKey>,
    running: HashMap<LocalId, CancellationToken>,
    next_seq: u64,
    max_pending: usize,
}

impl Scheduler {
    pub fn new() -> Self {
        Self::with_capacity(limits::MAX_PENDING)
    }

    pub fn with_capacity(max_pending: usize) -> Self {
        Scheduler {
            max_pending,
            ..Scheduler::default()
        }
    }

    /// Queues a sync of `id`. A newer request replaces a pending one, keeping the stronger of the
    /// two (user priority, force) so that nothing the user asked for is lost.
    pub fn enqueue(&mut self, id: LocalId, force: bool, priority: Priority) -> Enqueued {
        if let Some(old) = self.pending.get(&id) {
            if priority < old.priority {
                return Enqueued::Covered;
            }
            let old_key = (Reverse(old.priority), old.seq, id);
            let force = force || old.force;
            let seq = if priority == old.priority {
                old.seq
            } else {
                self.bump()
            };
            self.queue.remove(&old_key);
            self.queue.insert((Reverse(priority), seq, id));
            self.pending.insert(
                id,
                Job {
                    id,
                    force,
                    priority,
                    cancel: CancellationToken::new(),
                    seq,
                },
            );
            return Enqueued::Replaced;
        }
        if self.pending.len() >= self.max_pending {
            return Enqueued::Full;
        }
        let seq = self.bump();
        self.queue.insert((Reverse(priority), seq, id));
        self.pending.insert(
            id,
            Job {
                id,
                force,
                priority,
                cancel: CancellationToken::new(),
                seq,
            },
        );
        Enqueued::Queued
    }

    fn bump(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Hands out up to `max` jobs, user work first, oldest first; a repo already running keeps its
    /// pending job for later. Taken jobs count as running until [`Scheduler::finish`].
    pub fn take(&mut self, max: usize) -> Vec<Job> {
        let mut out = Vec::new();
        let keys: Vec<QueueKey> = self.queue.iter().copied().collect();
        for key in keys {
            if out.len() >= max {
                break;
            }
            let id = key.2;
            if self.running.contains_key(&id) {
                continue;
            }
            self.queue.remove(&key);
            if let Some(job) = self.pending.remove(&id) {
                self.running.insert(id, job.cancel.clone());
                out.push(job);
            }
        }
        out
    }

    /// The highest priority waiting, if any.
    pub fn next_priority(&self) -> Option<Priority> {
        self.queue.iter().next().map(|k| k.0.0)
    }

    pub fn finish(&mut self, id: LocalId) {
        self.running.remove(&id);
    }

    /// Drops the pending job of `id` and cancels its running one.
    pub fn cancel(&mut self, id: LocalId) -> Cancelled {
        let mut found = Cancelled::default();
        if let Some(job) = self.pending.remove(&id) {
            self.queue.remove(&(Reverse(job.priority), job.seq, id));
            found.pending = true;
        }
        if let Some(token) = self.running.get(&id) {
            token.cancel();
            found.running = true;
        }
        found
    }

    /// Drops every pending job (returned, to report them) and cancels every running one.
    pub fn cancel_all(&mut self) -> Vec<LocalId> {
        for token in self.running.values() {
            token.cancel();
        }
        self.queue.clear();
        let mut ids: Vec<LocalId> = self.pending.drain().map(|(id, _)| id).collect();
        ids.sort();
        ids
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    pub fn running_len(&self) -> usize {
        self.running.len()
    }

    pub fn is_idle(&self) -> bool {
        self.pending.is_empty() && self.running.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BG: Priority = Priority::Background;
    const USER: Priority = Priority::User;

    fn ids(jobs: &[Job]) -> Vec<u64> {
        jobs.iter().map(|j| j.id.0).collect()
    }

    /// GitHub's probe cost: two connections per repo, /100, rounded to nearest, at least 1.
    fn cost(n: usize) -> usize {
        ((2 * n) as f64 / 100.0).round().max(1.0) as usize
    }

    #[test]
    fn probe_batches_use_the_fewest_queries_then_the_fewest_points() {
        for n in [
            1, 50, 74, 75, 100, 101, 250, 999, 1000, 1001, 1005, 1050, 10_000,
        ] {
            let b = probe_batches(n);
            assert_eq!(b.iter().sum::<usize>(), n, "{n}: {b:?}");
            assert_eq!(b.len(), n.div_ceil(100), "{n}: fewest queries");
            assert!(b.iter().all(|s| *s <= 100), "{n}: {b:?}");
        }
        let points = |n: usize| probe_batches(n).into_iter().map(cost).sum::<usize>();
        assert_eq!(points(1000), 20);
        assert_eq!(points(1001), 19);
        assert_eq!(points(101), 2);
        assert_eq!(points(60), 1);
        assert!(probe_batches(0).is_empty());
    }

    #[test]
    fn one_pending_job_per_repo_newest_wins_and_keeps_force() {
        let mut s = Scheduler::new();
        assert_eq!(s.enqueue(LocalId(1), true, BG), Enqueued::Queued);
        assert_eq!(s.enqueue(LocalId(1), false, BG), Enqueued::Replaced);
        assert_eq!(s.pending_len(), 1);
        let jobs = s.take(10);
        assert_eq!(ids(&jobs), vec![1]);
        assert!(
            jobs[0].force,
            "a forced request is not lost to a later plain one"
        );
    }

    #[test]
    fn user_work_runs_before_background_work() {
        let mut s = Scheduler::new();
        for i in 1..=3 {
            s.enqueue(LocalId(i), false, BG);
        }
        s.enqueue(LocalId(9), false, USER);
        s.enqueue(LocalId(2), false, USER);
        assert_eq!(s.next_priority(), Some(USER));
        assert_eq!(ids(&s.take(10)), vec![9, 2, 1, 3]);
    }

    #[test]
    fn background_request_does_not_downgrade_a_user_job() {
        let mut s = Scheduler::new();
        s.enqueue(LocalId(1), false, USER);
        assert_eq!(s.enqueue(LocalId(1), false, BG), Enqueued::Covered);
        assert_eq!(s.take(1)[0].priority, USER);
    }

    #[test]
    fn running_repo_keeps_its_next_job_pending() {
        let mut s = Scheduler::new();
        s.enqueue(LocalId(1), false, BG);
        let first = s.take(10);
        assert_eq!(ids(&first), vec![1]);
        s.enqueue(LocalId(1), true, USER);
        assert!(s.take(10).is_empty(), "not twice at once");
        s.finish(LocalId(1));
        let next = s.take(10);
        assert_eq!(ids(&next), vec![1]);
        assert!(next[0].force);
    }

    #[test]
    fn bounded_and_take_respects_max() {
        let mut s = Scheduler::with_capacity(2);
        assert_eq!(s.enqueue(LocalId(1), false, BG), Enqueued::Queued);
        assert_eq!(s.enqueue(LocalId(2), false, BG), Enqueued::Queued);
        assert_eq!(s.enqueue(LocalId(3), false, BG), Enqueued::Full);
        assert_eq!(ids(&s.take(1)), vec![1]);
        assert_eq!(s.pending_len(), 1);
        assert_eq!(s.running_len(), 1);
    }

    #[test]
    fn cancel_pending_and_running() {
        let mut s = Scheduler::new();
        s.enqueue(LocalId(1), false, BG);
        s.enqueue(LocalId(2), false, BG);
        let running = s.take(1);
        assert_eq!(
            s.cancel(LocalId(2)),
            Cancelled {
                pending: true,
                running: false
            }
        );
        assert_eq!(
            s.cancel(LocalId(1)),
            Cancelled {
                pending: false,
                running: true
            }
        );
        assert!(running[0].cancel.is_cancelled());
        assert!(s.take(10).is_empty());
        s.finish(LocalId(1));
        assert!(s.is_idle());
    }

    #[test]
    fn cancel_all_reports_pending_and_cancels_running() {
        let mut s = Scheduler::new();
        for i in 1..=4 {
            s.enqueue(LocalId(i), false, BG);
        }
        let running = s.take(2);
        assert_eq!(
            s.cancel_all().into_iter().map(|i| i.0).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(running.iter().all(|j| j.cancel.is_cancelled()));
        assert_eq!(s.pending_len(), 0);
    }
}
