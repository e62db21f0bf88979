//! The one request scheduler every GitHub request passes through: the global pause gate (secondary
//! limits), per-bucket exhaustion waits, the budget reserve, adaptive REST concurrency, a single
//! GraphQL lane, search and mutation spacing, the per-host circuit breaker, and backoff math.
//! Every wait is published on the `RateState` watch channel and can be cancelled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::error::GithubError;
use super::rate_limit::{CircuitState, Pause, RateState};
use crate::config::Reserve;
use crate::domain::RateBucket;
use crate::domain::{Priority, WaitReason};

/// Every delay the scheduler uses. `scale` multiplies all waits (server-given ones included) so
/// tests can run GitHub's minutes in milliseconds; production uses `Timing::default()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// Upper bound for one attempt (send + whole body), a guard on top of the read timeout.
    pub request_timeout: Duration,
    pub scale: f64,
    /// Pause after a secondary limit without `retry-after`.
    pub secondary_min: Duration,
    /// Longest pause after repeated secondary limits.
    pub secondary_cap: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    pub max_attempts: u32,
    pub search_spacing: Duration,
    pub mutate_spacing: Duration,
    /// Consecutive failures that open a host's circuit.
    pub breaker_threshold: u32,
    pub breaker_cooldown: Duration,
    /// Successes at the current concurrency before it creeps back up by one.
    pub creep_after: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(90),
            scale: 1.0,
            secondary_min: Duration::from_secs(60),
            secondary_cap: Duration::from_secs(15 * 60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            max_attempts: 4,
            search_spacing: Duration::from_secs(2),
            mutate_spacing: Duration::from_secs(1),
            breaker_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            creep_after: 16,
        }
    }
}

/// Which lane and bucket a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Core,
    Search,
    Graphql,
}

impl Lane {
    pub fn bucket(self) -> &'static str {
        match self {
            Lane::Core => "core",
            Lane::Search => "search",
            Lane::Graphql => "graphql",
        }
    }
}

/// The upper bound of the full-jitter backoff before attempt `attempt + 1` (`attempt` >= 1).
pub fn backoff_ceiling(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    base.saturating_mul(1u32 << exp).min(cap)
}

/// Full jitter: a uniform delay in `[0, ceiling]`.
pub fn full_jitter(ceiling: Duration, rng: &mut impl rand::Rng) -> Duration {
    let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rng.gen_range(0..=ms))
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
    half_open: bool,
}

#[derive(Debug)]
struct Inner {
    pause_until: Option<Instant>,
    secondary_strikes: u32,
    exhausted: HashMap<String, Instant>,
    in_flight: usize,
    limit: usize,
    successes: u32,
    next_search: Option<Instant>,
    next_mutate: Option<Instant>,
    breakers: HashMap<String, Breaker>,
}

pub struct Scheduler {
    pub timing: Timing,
    max_concurrency: usize,
    reserve: Reserve,
    inner: Mutex<Inner>,
    slot_freed: Notify,
    graphql: Arc<Semaphore>,
    tx: watch::Sender<RateState>,
    cancel: Mutex<CancellationToken>,
}

/// Held while a request is in flight; frees its concurrency slot on drop.
pub struct Permit {
    _gql: Option<OwnedSemaphorePermit>,
    rest: Option<Arc<Scheduler>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(s) = self.rest.take() {
            {
                let mut inner = s.lock();
                inner.in_flight = inner.in_flight.saturating_sub(1);
            }
            s.slot_freed.notify_waiters();
        }
    }
}

fn to_utc(at: Instant) -> DateTime<Utc> {
    let d = at.saturating_duration_since(Instant::now());
    Utc::now() + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::zero())
}

impl Scheduler {
    pub fn new(timing: Timing, max_concurrency: usize, reserve: Reserve) -> Arc<Self> {
        let max_concurrency = max_concurrency.max(1);
        let (tx, _rx) = watch::channel(RateState {
            concurrency: max_concurrency,
            ..RateState::default()
        });
        Arc::new(Self {
            timing,
            max_concurrency,
            reserve,
            inner: Mutex::new(Inner {
                pause_until: None,
                secondary_strikes: 0,
                exhausted: HashMap::new(),
                in_flight: 0,
                limit: max_concurrency,
                successes: 0,
                next_search: None,
                next_mutate: None,
                breakers: HashMap::new(),
            }),
            slot_freed: Notify::new(),
            graphql: Arc::new(Semaphore::new(1)),
            tx,
            cancel: Mutex::new(CancellationToken::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(&self) -> watch::Receiver<RateState> {
        self.tx.subscribe()
    }

    #[cfg(test)]
    pub fn state(&self) -> RateState {
        self.tx.borrow().clone()
    }

    /// Scales a delay by `timing.scale`.
    pub fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.timing.scale.max(0.0))
    }

    /// Cancels every wait in progress (they return `Cancelled`); later waits are unaffected.
    pub fn cancel_waits(&self) {
        let mut guard = self.cancel.lock().unwrap_or_else(|p| p.into_inner());
        guard.cancel();
        *guard = CancellationToken::new();
    }

    fn cancel_token(&self) -> CancellationToken {
        self.cancel
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until `until`, published as `reason`; cancellable.
    pub async fn wait(&self, until: Instant, reason: WaitReason) -> Result<(), GithubError> {
        if until <= Instant::now() {
            return Ok(());
        }
        let token = self.cancel_token();
        let pause = Pause {
            reason,
            until: to_utc(until),
        };
        self.tx.send_modify(|s| s.pause = Some(pause.clone()));
        tracing::info!(reason = %pause.reason, until = %pause.until, "github: waiting");
        let out = tokio::select! {
            _ = tokio::time::sleep_until(until) => Ok(()),
            _ = token.cancelled() => Err(GithubError::Cancelled),
        };
        self.tx.send_if_modified(|s| {
            if s.pause.as_ref() == Some(&pause) {
                s.pause = None;
                true
            } else {
                false
            }
        });
        out
    }

    /// The first reason this request may not leave now, if any.
    fn blocked(&self, lane: Lane, host: &str) -> Option<(Instant, WaitReason)> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(until) = inner.pause_until {
            if until > now {
                return Some((until, WaitReason::SecondaryLimit));
            }
            inner.pause_until = None;
        }
        let bucket = lane.bucket();
        if let Some(&until) = inner.exhausted.get(bucket) {
            if until > now {
                return Some((
                    until,
                    WaitReason::Exhausted {
                        bucket: bucket.to_string(),
                    },
                ));
            }
            inner.exhausted.remove(bucket);
        }
        let breaker = inner.breakers.entry(host.to_string()).or_default();
        if let Some(until) = breaker.open_until {
            if until > now {
                return Some((until, WaitReason::CircuitOpen));
            }
            breaker.open_until = None;
            breaker.half_open = true;
            drop(inner);
            self.tx.send_modify(|s| s.circuit = CircuitState::HalfOpen);
        }
        None
    }

    fn check_reserve(&self, lane: Lane, prio: Priority) -> Result<(), GithubError> {
        if prio != Priority::Background {
            return Ok(());
        }
        let bucket = lane.bucket();
        let state = self.tx.borrow();
        if let Some(b) = state.buckets.get(bucket)
            && b.remaining < self.reserve.of(b.limit)
            && b.reset > Utc::now()
        {
            return Err(GithubError::Budget {
                bucket: bucket.to_string(),
            });
        }
        Ok(())
    }

    /// Reserves the next spaced slot for search or mutating requests and waits for it.
    async fn spacing(&self, lane: Lane, mutating: bool) -> Result<(), GithubError> {
        let now = Instant::now();
        let slot = {
            let mut inner = self.lock();
            let (next, gap) = if lane == Lane::Search {
                (&mut inner.next_search, self.timing.search_spacing)
            } else if mutating {
                (&mut inner.next_mutate, self.timing.mutate_spacing)
            } else {
                return Ok(());
            };
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.scaled(gap));
            slot
        };
        if slot > now {
            let token = self.cancel_token();
            tokio::select! {
                _ = tokio::time::sleep_until(slot) => {}
                _ = token.cancelled() => return Err(GithubError::Cancelled),
            }
        }
        Ok(())
    }

    async fn slot(self: &Arc<Self>, lane: Lane) -> Result<Permit, GithubError> {
        if lane == Lane::Graphql {
            let token = self.cancel_token();
            let permit = tokio::select! {
                p = self.graphql.clone().acquire_owned() => p.map_err(|_| GithubError::Cancelled)?,
                _ = token.cancelled() => return Err(GithubError::Cancelled),
            };
            return Ok(Permit {
                _gql: Some(permit),
                rest: None,
            });
        }
        loop {
            let notified = self.slot_freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.lock();
                if inner.in_flight < inner.limit {
                    inner.in_flight += 1;
                    return Ok(Permit {
                        _gql: None,
                        rest: Some(self.clone()),
                    });
                }
            }
            let token = self.cancel_token();
            tokio::select! {
                _ = &mut notified => {}
                _ = token.cancelled() => return Err(GithubError::Cancelled),
            }
        }
    }

    /// Waits until this request may leave: spacing, gate, reserve, breaker, concurrency.
    pub async fn acquire(
        self: &Arc<Self>,
        lane: Lane,
        prio: Priority,
        mutating: bool,
        host: &str,
    ) -> Result<Permit, GithubError> {
        self.check_reserve(lane, prio)?;
        self.spacing(lane, mutating).await?;
        loop {
            while let Some((until, reason)) = self.blocked(lane, host) {
                self.wait(until, reason).await?;
            }
            self.check_reserve(lane, prio)?;
            let permit = self.slot(lane).await?;
            // A pause may have started while we waited for a slot: nothing leaves while paused.
            if self.blocked(lane, host).is_none() {
                return Ok(permit);
            }
            drop(permit);
        }
    }

    /// Records a bucket from response headers or a body; an empty bucket blocks until its reset.
    pub fn update_bucket(&self, bucket: RateBucket) {
        if bucket.remaining == 0 {
            self.exhausted(&bucket.name, bucket.reset);
        }
        self.tx.send_modify(|s| {
            // Responses of one window may arrive out of order: remaining only goes down until the reset.
            let merged = match s.buckets.get(&bucket.name) {
                Some(old)
                    if old.reset == bucket.reset
                        && old.limit == bucket.limit
                        && old.remaining < bucket.remaining =>
                {
                    RateBucket {
                        remaining: old.remaining,
                        used: old.used.max(bucket.used),
                        ..bucket
                    }
                }
                _ => bucket,
            };
            s.buckets.insert(merged.name.clone(), merged);
        });
    }

    /// The bucket is used up: its requests wait until `reset` + 1 s (a past reset: a short wait).
    pub fn exhausted(&self, bucket: &str, reset: DateTime<Utc>) {
        let wait = (reset + chrono::Duration::seconds(1) - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .max(Duration::from_secs(1));
        let until = Instant::now() + self.scaled(wait);
        let mut inner = self.lock();
        let entry = inner.exhausted.entry(bucket.to_string()).or_insert(until);
        *entry = (*entry).max(until);
    }

    /// A secondary limit: pause everything, back off exponentially on repeats, halve concurrency.
    pub fn secondary(&self, retry_after: Option<Duration>) -> Duration {
        let (wait, limit) = {
            let mut inner = self.lock();
            inner.secondary_strikes = inner.secondary_strikes.saturating_add(1);
            let base = retry_after.unwrap_or(self.timing.secondary_min);
            let exp = (inner.secondary_strikes - 1).min(10);
            let wait = base
                .saturating_mul(1u32 << exp)
                .min(self.timing.secondary_cap.max(base));
            let until = Instant::now() + self.scaled(wait);
            inner.pause_until = Some(inner.pause_until.map_or(until, |u| u.max(until)));
            inner.limit = (inner.limit / 2).max(1);
            inner.successes = 0;
            (wait, inner.limit)
        };
        tracing::warn!(
            wait_s = wait.as_secs(),
            concurrency = limit,
            "github: secondary rate limit, pausing all requests"
        );
        self.tx.send_modify(|s| s.concurrency = limit);
        wait
    }

    /// A request succeeded: close the host's breaker, forget strikes, creep concurrency back.
    pub fn success(&self, host: &str) {
        let (grew, limit, closed) = {
            let mut inner = self.lock();
            inner.secondary_strikes = 0;
            let b = inner.breakers.entry(host.to_string()).or_default();
            let closed = b.failures > 0 || b.half_open;
            b.failures = 0;
            b.half_open = false;
            b.open_until = None;
            let mut grew = false;
            if inner.limit < self.max_concurrency {
                inner.successes += 1;
                if inner.successes >= self.timing.creep_after {
                    inner.successes = 0;
                    inner.limit += 1;
                    grew = true;
                }
            }
            (grew, inner.limit, closed)
        };
        if grew {
            self.slot_freed.notify_waiters();
        }
        if grew || closed {
            self.tx.send_if_modified(|s| {
                let changed = s.concurrency != limit || s.circuit != CircuitState::Closed;
                s.concurrency = limit;
                s.circuit = CircuitState::Closed;
                changed
            });
        }
    }

    /// A server, network or timeout failure: count it against the host's breaker.
    pub fn failure(&self, host: &str) {
        let opened = {
            let mut inner = self.lock();
            let threshold = self.timing.breaker_threshold.max(1);
            let cooldown = self.scaled(self.timing.breaker_cooldown);
            let b = inner.breakers.entry(host.to_string()).or_default();
            b.failures = b.failures.saturating_add(1);
            if b.half_open || b.failures >= threshold {
                b.half_open = false;
                let until = Instant::now() + cooldown;
                b.open_until = Some(until);
                Some(until)
            } else {
                None
            }
        };
        if let Some(until) = opened {
            tracing::warn!("github: circuit breaker open after repeated failures");
            self.tx.send_modify(|s| {
                s.circuit = CircuitState::Open {
                    until: to_utc(until),
                }
            });
        }
    }

    /// Current REST concurrency limit.
    #[cfg(test)]
    pub fn concurrency(&self) -> usize {
        self.lock().limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn sched() -> Arc<Scheduler> {
        Scheduler::new(Timing::default(), 4, Reserve::Absolute(10))
    }

    #[test]
    fn backoff_grows_and_caps() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(30);
        let got: Vec<u64> = (1..=7)
            .map(|a| backoff_ceiling(a, base, cap).as_secs())
            .collect();
        assert_eq!(got, vec![1, 2, 4, 8, 16, 30, 30]);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..100 {
            assert!(full_jitter(Duration::from_secs(4), &mut rng) <= Duration::from_secs(4));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn secondary_limit_pauses_everything_and_halves_concurrency() {
        let s = sched();
        let start = Instant::now();
        let wait = s.secondary(Some(Duration::from_secs(37)));
        assert_eq!(wait, Duration::from_secs(37));
        assert_eq!(s.concurrency(), 2);
        let rx = s.subscribe();
        let s2 = s.clone();
        let h = tokio::spawn(async move {
            s2.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .map(|_| Instant::now())
        });
        tokio::task::yield_now().await;
        assert!(matches!(
            rx.borrow().pause,
            Some(Pause {
                reason: WaitReason::SecondaryLimit,
                ..
            })
        ));
        let left = h.await.unwrap().unwrap();
        assert!(
            left - start >= Duration::from_secs(37),
            "{:?}",
            left - start
        );
        // A second hit without retry-after waits at least 60 s, doubled.
        assert_eq!(s.secondary(None), Duration::from_secs(120));
        assert_eq!(s.concurrency(), 1);
        s.success("h");
        assert_eq!(s.secondary(None), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn exhausted_bucket_waits_for_reset_and_past_reset_is_short() {
        let s = sched();
        let start = Instant::now();
        s.exhausted("core", Utc::now() + chrono::Duration::seconds(100));
        let _p = s
            .acquire(Lane::Core, Priority::User, false, "h")
            .await
            .unwrap();
        assert!(Instant::now() - start >= Duration::from_secs(100));
        // Other buckets are not held.
        let start = Instant::now();
        s.exhausted("search", Utc::now() + chrono::Duration::seconds(500));
        let _g = s
            .acquire(Lane::Graphql, Priority::User, false, "h")
            .await
            .unwrap();
        assert_eq!(Instant::now(), start);
        let start = Instant::now();
        s.exhausted("graphql", Utc::now() - chrono::Duration::seconds(500));
        drop(_g);
        let _g = s
            .acquire(Lane::Graphql, Priority::User, false, "h")
            .await
            .unwrap();
        let waited = Instant::now() - start;
        assert!(
            waited >= Duration::from_secs(1) && waited <= Duration::from_secs(2),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_are_cancellable() {
        let s = sched();
        s.secondary(None);
        let s2 = s.clone();
        let h = tokio::spawn(async move {
            s2.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .map(|_| ())
        });
        tokio::task::yield_now().await;
        s.cancel_waits();
        assert_eq!(h.await.unwrap().err(), Some(GithubError::Cancelled));
    }

    #[tokio::test(start_paused = true)]
    async fn reserve_refuses_background_only() {
        let s = sched();
        s.update_bucket(RateBucket {
            name: "core".into(),
            limit: 100,
            remaining: 5,
            used: 95,
            reset: Utc::now() + chrono::Duration::seconds(600),
        });
        let bg = s
            .acquire(Lane::Core, Priority::Background, false, "h")
            .await;
        assert_eq!(
            bg.err(),
            Some(GithubError::Budget {
                bucket: "core".into()
            })
        );
        assert!(
            s.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .is_ok()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped_and_search_is_spaced() {
        let s = sched();
        let mut permits = Vec::new();
        for _ in 0..4 {
            permits.push(
                s.acquire(Lane::Core, Priority::User, false, "h")
                    .await
                    .unwrap(),
            );
        }
        let s2 = s.clone();
        let fifth = tokio::spawn(async move {
            s2.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!fifth.is_finished());
        permits.pop();
        assert!(fifth.await.unwrap().is_ok());

        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..3 {
            drop(
                s.acquire(Lane::Search, Priority::User, false, "h")
                    .await
                    .unwrap(),
            );
            times.push(Instant::now() - start);
        }
        assert_eq!(
            times,
            vec![
                Duration::ZERO,
                Duration::from_secs(2),
                Duration::from_secs(4)
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn breaker_opens_and_half_opens() {
        let s = sched();
        for _ in 0..5 {
            s.failure("h");
        }
        assert!(matches!(s.state().circuit, CircuitState::Open { .. }));
        let start = Instant::now();
        let _p = s
            .acquire(Lane::Core, Priority::User, false, "h")
            .await
            .unwrap();
        assert!(Instant::now() - start >= Duration::from_secs(30));
        assert_eq!(s.state().circuit, CircuitState::HalfOpen);
        s.success("h");
        assert_eq!(s.state().circuit, CircuitState::Closed);
        // other hosts are unaffected
        for _ in 0..5 {
            s.failure("h");
        }
        let start = Instant::now();
        let _q = s
            .acquire(Lane::Core, Priority::User, false, "other")
            .await
            .unwrap();
        assert_eq!(Instant::now(), start);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_creeps_back() {
        let s = sched();
        s.secondary(Some(Duration::from_secs(1)));
        assert_eq!(s.concurrency(), 2);
        for _ in 0..(16 * 2) {
            s.success("h");
        }
        assert_eq!(s.concurrency(), 4);
        for _ in 0..100 {
            s.success("h");
        }
        assert_eq!(s.concurrency(), 4);
    }
}
