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
    /// Consecutive server, reset or truncation failures that open a host's circuit (a refused
    /// connection or a timeout opens it at once).
    pub breaker_threshold: u32,
    /// How long an endpoint declared down refuses requests before one is let through again.
    pub breaker_cooldown: Duration,
    /// First pause of an open circuit before one probe request; doubles per failed probe.
    pub breaker_retry: Duration,
    /// An endpoint failing for this long without one success is declared down: every waiting
    /// and later request fails at once with [`GithubError::Unavailable`].
    pub breaker_give_up: Duration,
    /// After a secondary limit, concurrency stays at the lowered level this long before it may
    /// creep back above it.
    pub secondary_memory: Duration,
    /// Successes at the current concurrency before it creeps back up by one.
    pub creep_after: u32,
}

impl Timing {
    /// Every duration multiplied by `factor` (timeouts included): for tests and the debug-build
    /// knob `REPODECK_TIME_SCALE`.
    pub fn scaled_by(mut self, factor: f64) -> Self {
        let f = factor.clamp(0.000_1, 1.0);
        for d in [
            &mut self.connect_timeout,
            &mut self.read_timeout,
            &mut self.request_timeout,
        ] {
            *d = d.mul_f64(f).max(Duration::from_millis(50));
        }
        self.scale *= f;
        self
    }
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            // GitHub stops processing a request after 10 s; 5 s more covers the network.
            read_timeout: Duration::from_secs(15),
            // A whole answer (a trickling body included) gets 10 s more than GitHub's limit.
            request_timeout: Duration::from_secs(20),
            scale: 1.0,
            secondary_min: Duration::from_secs(60),
            secondary_cap: Duration::from_secs(15 * 60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            max_attempts: 4,
            search_spacing: Duration::from_secs(2),
            mutate_spacing: Duration::from_secs(1),
            breaker_threshold: 3,
            breaker_cooldown: Duration::from_secs(30),
            breaker_retry: Duration::from_secs(1),
            breaker_give_up: Duration::from_secs(20),
            secondary_memory: Duration::from_secs(10 * 60),
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

/// One host's circuit breaker: consecutive failures open it; while open, requests wait and one
/// probe goes at a time (with doubling pauses); failing for `breaker_give_up` declares the
/// endpoint down, and then every request fails at once until `breaker_cooldown` has passed.
#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    /// When the oldest request of the current failure streak was sent.
    failing_since: Option<Instant>,
    /// Times the circuit opened in this streak.
    trips: u32,
    open_until: Option<Instant>,
    half_open: bool,
    /// The probe of a half-open circuit left at this time (others hold until it answers).
    probe_sent: Option<Instant>,
    /// Declared down until then, with the cause of the last failure.
    down: Option<(Instant, String)>,
    /// The cause of the last failure, for the message when the endpoint is declared down.
    cause: String,
    /// The last failure was the connection's (refused, timed out), not an answer's.
    endpoint_failure: bool,
}

/// Why a request may not leave now.
enum Block {
    /// A published wait (pause, exhausted bucket, open circuit).
    Wait(Instant, WaitReason),
    /// A half-open circuit's probe is out: hold quietly until it answers.
    Hold,
    /// The endpoint is down: fail at once.
    Refuse(GithubError),
}

/// What kind of failure a request had, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The connection could not be made, or no answer came in time: opens the circuit at once.
    Endpoint,
    /// A server error, a reset or a cut-short answer: counts towards `breaker_threshold`.
    Answer,
}

#[derive(Debug)]
struct Inner {
    pause_until: Option<Instant>,
    secondary_strikes: u32,
    /// Bumped by every secondary limit: a 403 on a request sent before the latest one began is
    /// the same episode, not a new strike.
    secondary_epoch: u64,
    /// Concurrency may not creep above this until `secondary_memory` after the last limit.
    ceiling: usize,
    last_secondary: Option<Instant>,
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
    /// The secondary-limit epoch when the request left.
    pub epoch: u64,
    /// When the request left, for the breaker.
    pub sent: Instant,
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
                secondary_epoch: 0,
                ceiling: max_concurrency,
                last_secondary: None,
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

    /// The first reason this request may not leave now, if any. `probe`: this request is the
    /// one a half-open circuit lets through (set when it is).
    fn blocked(&self, lane: Lane, host: &str, probe: &mut bool) -> Option<Block> {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some(until) = inner.pause_until {
            if until > now {
                return Some(Block::Wait(until, WaitReason::SecondaryLimit));
            }
            inner.pause_until = None;
        }
        let bucket = lane.bucket();
        if let Some(&until) = inner.exhausted.get(bucket) {
            if until > now {
                return Some(Block::Wait(
                    until,
                    WaitReason::Exhausted {
                        bucket: bucket.to_string(),
                    },
                ));
            }
            inner.exhausted.remove(bucket);
        }
        let stale = self.timing.request_timeout + Duration::from_secs(1);
        let breaker = inner.breakers.entry(host.to_string()).or_default();
        if let Some((until, cause)) = &breaker.down {
            if *until > now {
                return Some(Block::Refuse(GithubError::Unavailable {
                    url: host.to_string(),
                    cause: cause.clone(),
                }));
            }
            // The cool-down passed: one request may try again.
            breaker.down = None;
            breaker.half_open = true;
            breaker.failing_since = None;
            breaker.trips = 0;
        }
        if let Some(until) = breaker.open_until {
            if until > now {
                return Some(Block::Wait(until, WaitReason::CircuitOpen));
            }
            breaker.open_until = None;
            breaker.half_open = true;
        }
        if breaker.half_open && !*probe {
            if breaker.probe_sent.is_some_and(|t| now - t < stale) {
                return Some(Block::Hold);
            }
            breaker.probe_sent = Some(now);
            *probe = true;
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
        let token = self.cancel_token();
        // GraphQL goes one query at a time, and also takes a shared slot: after a secondary limit
        // the lowered concurrency bounds every request in flight.
        let gql = if lane == Lane::Graphql {
            Some(tokio::select! {
                p = self.graphql.clone().acquire_owned() => p.map_err(|_| GithubError::Cancelled)?,
                _ = token.cancelled() => return Err(GithubError::Cancelled),
            })
        } else {
            None
        };
        loop {
            let notified = self.slot_freed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.lock();
                if inner.in_flight < inner.limit {
                    inner.in_flight += 1;
                    return Ok(Permit {
                        _gql: gql,
                        rest: Some(self.clone()),
                        epoch: inner.secondary_epoch,
                        sent: Instant::now(),
                    });
                }
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = token.cancelled() => return Err(GithubError::Cancelled),
            }
        }
    }

    /// Waits until this request may leave: spacing, gate, reserve, breaker, concurrency. Fails
    /// at once with [`GithubError::Unavailable`] while the host is declared down.
    pub async fn acquire(
        self: &Arc<Self>,
        lane: Lane,
        prio: Priority,
        mutating: bool,
        host: &str,
    ) -> Result<Permit, GithubError> {
        self.check_reserve(lane, prio)?;
        self.spacing(lane, mutating).await?;
        let mut probe = false;
        loop {
            while let Some(block) = self.blocked(lane, host, &mut probe) {
                match block {
                    Block::Wait(until, reason) => self.wait(until, reason).await?,
                    Block::Hold => self.hold().await?,
                    Block::Refuse(e) => return Err(e),
                }
            }
            self.check_reserve(lane, prio)?;
            let permit = self.slot(lane).await?;
            // A pause may have started while we waited for a slot: nothing leaves while paused.
            if self.blocked(lane, host, &mut probe).is_none() {
                return Ok(permit);
            }
            drop(permit);
        }
    }

    /// A short quiet wait while a half-open circuit's probe is out.
    async fn hold(&self) -> Result<(), GithubError> {
        let token = self.cancel_token();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(25)) => Ok(()),
            () = token.cancelled() => Err(GithubError::Cancelled),
        }
    }

    /// Whether the host's circuit opened in the current failure streak (no success since).
    pub fn tripped(&self, host: &str) -> bool {
        self.lock().breakers.get(host).is_some_and(|b| b.trips > 0)
    }

    /// The circuit is open because connections fail (refused, timed out): no answer says
    /// anything about one request, so a request out of retries keeps waiting on the breaker,
    /// which bounds the whole outage. Failing answers (5xx, cut short) may be one resource's:
    /// those requests end after their own attempts.
    pub fn holds_retries(&self, host: &str) -> bool {
        self.lock()
            .breakers
            .get(host)
            .is_some_and(|b| b.trips > 0 && b.endpoint_failure)
    }

    /// The current secondary-limit epoch (see [`Permit::epoch`]).
    #[cfg(test)]
    pub fn epoch(&self) -> u64 {
        self.lock().secondary_epoch
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

    /// A secondary limit on a request sent in epoch `sent_epoch`: pause everything, back off
    /// exponentially on repeats, halve concurrency and keep it there (see
    /// `Timing::secondary_memory`). A request that was already in flight when an earlier limit
    /// hit is the same episode: it waits for the pause without another strike.
    pub fn secondary(&self, retry_after: Option<Duration>, sent_epoch: u64) -> Duration {
        let (wait, limit) = {
            let mut inner = self.lock();
            if sent_epoch < inner.secondary_epoch {
                let left = inner
                    .pause_until
                    .map(|u| u.saturating_duration_since(Instant::now()))
                    .unwrap_or(Duration::ZERO);
                return left;
            }
            inner.secondary_epoch += 1;
            inner.secondary_strikes = inner.secondary_strikes.saturating_add(1);
            let base = retry_after.unwrap_or(self.timing.secondary_min);
            let exp = (inner.secondary_strikes - 1).min(10);
            let wait = base
                .saturating_mul(1u32 << exp)
                .min(self.timing.secondary_cap.max(base));
            let until = Instant::now() + self.scaled(wait);
            inner.pause_until = Some(inner.pause_until.map_or(until, |u| u.max(until)));
            inner.limit = (inner.limit / 2).max(1);
            inner.ceiling = inner.limit;
            inner.last_secondary = Some(Instant::now());
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

    /// A request succeeded: close the host's breaker, forget strikes, creep concurrency back
    /// (not above the level a secondary limit left, until `secondary_memory` has passed).
    pub fn success(&self, host: &str) {
        let memory = self.scaled(self.timing.secondary_memory);
        let (grew, limit, closed) = {
            let mut inner = self.lock();
            inner.secondary_strikes = 0;
            let b = inner.breakers.entry(host.to_string()).or_default();
            let closed = b.failures > 0 || b.half_open || b.trips > 0;
            *b = Breaker::default();
            if inner.last_secondary.is_some_and(|t| t.elapsed() >= memory) {
                inner.ceiling = self.max_concurrency;
                inner.last_secondary = None;
            }
            let mut grew = false;
            if inner.limit < self.max_concurrency.min(inner.ceiling) {
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

    /// A server, network or timeout failure of a request sent at `sent`, described by `cause`
    /// ("connection refused", "HTTP 500"): counted against the host's breaker.
    pub fn failure(&self, host: &str, class: FailureClass, sent: Instant, cause: &str) {
        let now = Instant::now();
        let give_up = self.scaled(self.timing.breaker_give_up);
        let published = {
            let mut inner = self.lock();
            let threshold = self.timing.breaker_threshold.max(1);
            let retry = self.scaled(self.timing.breaker_retry);
            let cooldown = self.scaled(self.timing.breaker_cooldown);
            let b = inner.breakers.entry(host.to_string()).or_default();
            if b.down.is_some() {
                return;
            }
            b.failures = b.failures.saturating_add(1);
            b.cause = cause.to_string();
            b.endpoint_failure = class == FailureClass::Endpoint;
            let since = *b.failing_since.get_or_insert(sent);
            b.failing_since = Some(since.min(sent));
            let since = since.min(sent);
            let probe_failed = b.half_open;
            let opens = probe_failed || class == FailureClass::Endpoint || b.failures >= threshold;
            if !opens {
                return;
            }
            b.half_open = false;
            b.probe_sent = None;
            // Down only after a probe of the open circuit failed too: one slow request alone
            // never ends a run.
            if probe_failed && now.saturating_duration_since(since) >= give_up {
                let until = now + cooldown;
                b.down = Some((until, b.cause.clone()));
                b.open_until = None;
                Some((until, true))
            } else {
                b.trips += 1;
                let exp = (b.trips - 1).min(10);
                let until = (now + retry.saturating_mul(1u32 << exp)).min(since + give_up);
                b.open_until = Some(until.max(now));
                Some((until, false))
            }
        };
        if let Some((until, down)) = published {
            if down {
                tracing::warn!(host, cause, "github: endpoint failing, declared down");
            } else {
                tracing::warn!(host, cause, "github: circuit breaker open");
            }
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
        let wait = s.secondary(Some(Duration::from_secs(37)), s.epoch());
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
        assert_eq!(s.secondary(None, s.epoch()), Duration::from_secs(120));
        assert_eq!(s.concurrency(), 1);
        s.success("h");
        assert_eq!(s.secondary(None, s.epoch()), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn requests_in_flight_when_a_secondary_limit_hit_are_not_new_strikes() {
        let s = sched();
        let in_flight: Vec<Permit> = {
            let mut v = Vec::new();
            for _ in 0..4 {
                v.push(
                    s.acquire(Lane::Core, Priority::User, false, "h")
                        .await
                        .unwrap(),
                );
            }
            v
        };
        let epochs: Vec<u64> = in_flight.iter().map(|p| p.epoch).collect();
        drop(in_flight);
        // All four come back with a 403: one strike, one halving, one 60 s pause.
        let waits: Vec<Duration> = epochs.iter().map(|e| s.secondary(None, *e)).collect();
        assert_eq!(waits[0], Duration::from_secs(60));
        assert!(
            waits[1..].iter().all(|w| *w <= Duration::from_secs(60)),
            "{waits:?}"
        );
        assert_eq!(s.concurrency(), 2);
        // After the pause, the lowered concurrency holds: no creeping back above it soon.
        tokio::time::advance(Duration::from_secs(61)).await;
        for _ in 0..100 {
            s.success("h");
        }
        assert_eq!(s.concurrency(), 2);
        let p1 = s
            .acquire(Lane::Core, Priority::User, false, "h")
            .await
            .unwrap();
        let g = s
            .acquire(Lane::Graphql, Priority::User, false, "h")
            .await
            .unwrap();
        let s2 = s.clone();
        let third = tokio::spawn(async move {
            s2.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(
            !third.is_finished(),
            "GraphQL counts against the lowered concurrency"
        );
        drop((p1, g));
        assert!(third.await.unwrap().is_ok());
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
        s.secondary(None, s.epoch());
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

    fn fail(s: &Scheduler, host: &str, class: FailureClass) {
        s.failure(host, class, Instant::now(), "HTTP 500");
    }

    #[tokio::test(start_paused = true)]
    async fn breaker_opens_and_half_opens() {
        let s = sched();
        for _ in 0..3 {
            fail(&s, "h", FailureClass::Answer);
        }
        assert!(matches!(s.state().circuit, CircuitState::Open { .. }));
        assert!(s.tripped("h"));
        let start = Instant::now();
        let _p = s
            .acquire(Lane::Core, Priority::User, false, "h")
            .await
            .unwrap();
        assert!(Instant::now() - start >= Duration::from_secs(1));
        assert_eq!(s.state().circuit, CircuitState::HalfOpen);
        // Only the probe goes while the circuit is half-open.
        let s2 = s.clone();
        let other = tokio::spawn(async move {
            s2.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!other.is_finished());
        s.success("h");
        assert!(other.await.unwrap().is_ok());
        assert_eq!(s.state().circuit, CircuitState::Closed);
        assert!(!s.tripped("h"));
        // other hosts are unaffected
        for _ in 0..3 {
            fail(&s, "h", FailureClass::Answer);
        }
        let start = Instant::now();
        let _q = s
            .acquire(Lane::Core, Priority::User, false, "other")
            .await
            .unwrap();
        assert_eq!(Instant::now(), start);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_connection_opens_at_once_and_a_dead_endpoint_is_given_up_within_bounds() {
        let s = sched();
        let start = Instant::now();
        fail(&s, "h", FailureClass::Endpoint);
        assert!(s.tripped("h"), "one refused connection opens the circuit");
        // Every probe fails: the endpoint is declared down after `breaker_give_up`, and then
        // every request fails at once with the cause.
        let result = loop {
            match s.acquire(Lane::Core, Priority::User, false, "h").await {
                Ok(p) => {
                    drop(p);
                    s.failure(
                        "h",
                        FailureClass::Endpoint,
                        Instant::now(),
                        "connection refused",
                    );
                }
                Err(e) => break e,
            }
        };
        assert_eq!(
            result,
            GithubError::Unavailable {
                url: "h".into(),
                cause: "connection refused".into()
            }
        );
        let took = Instant::now() - start;
        assert!(
            took >= Duration::from_secs(20) && took <= Duration::from_secs(21),
            "{took:?}"
        );
        let again = Instant::now();
        assert!(
            s.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .is_err()
        );
        assert_eq!(Instant::now(), again, "refused at once while down");
        // After the cool-down one request may try again.
        tokio::time::advance(Duration::from_secs(31)).await;
        assert!(
            s.acquire(Lane::Core, Priority::User, false, "h")
                .await
                .is_ok()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_creeps_back() {
        let s = sched();
        s.secondary(Some(Duration::from_secs(1)), s.epoch());
        assert_eq!(s.concurrency(), 2);
        tokio::time::advance(Duration::from_secs(601)).await;
        for _ in 0..(16 * 2 + 1) {
            s.success("h");
        }
        assert_eq!(s.concurrency(), 4);
        for _ in 0..100 {
            s.success("h");
        }
        assert_eq!(s.concurrency(), 4);
    }
}
