//! Primary (per token and bucket, hourly/minutely windows) and secondary (concurrency, points per minute) rate limits, as GitHub documents them.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Core,
    Search,
    Graphql,
}

impl Bucket {
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Core => "core",
            Bucket::Search => "search",
            Bucket::Graphql => "graphql",
        }
    }
    pub fn window_secs(self) -> i64 {
        match self {
            Bucket::Search => 60,
            _ => 3600,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub core: u64,
    pub search: u64,
    pub graphql: u64,
    pub anonymous_core: u64,
    pub anonymous_search: u64,
    pub secondary_concurrency: u64,
    pub secondary_rest_per_minute: u64,
    pub secondary_graphql_per_minute: u64,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub used: u64,
    pub reset: i64,
}

/// The state of one bucket as reported in `x-ratelimit-*` headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub bucket: Bucket,
    pub limit: u64,
    pub used: u64,
    pub remaining: u64,
    pub reset: i64,
}

#[derive(Default)]
struct Client {
    windows: HashMap<Bucket, Window>,
    recent: VecDeque<(Instant, u64, bool)>,
    in_flight: u64,
}

pub struct RateLimiter {
    limits: Limits,
    clients: HashMap<String, Client>,
}

pub enum Secondary {
    Ok,
    PointsPerMinute,
}

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        RateLimiter {
            limits,
            clients: HashMap::new(),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn limit_for(&self, bucket: Bucket, authed: bool) -> u64 {
        match (bucket, authed) {
            (Bucket::Core, true) => self.limits.core,
            (Bucket::Core, false) => self.limits.anonymous_core,
            (Bucket::Search, true) => self.limits.search,
            (Bucket::Search, false) => self.limits.anonymous_search,
            (Bucket::Graphql, _) => self.limits.graphql,
        }
    }

    fn window(&mut self, client: &str, bucket: Bucket, now: i64) -> &mut Window {
        let c = self.clients.entry(client.to_string()).or_default();
        let w = c.windows.entry(bucket).or_default();
        if w.reset == 0 || now >= w.reset {
            w.used = 0;
            w.reset = now + bucket.window_secs();
        }
        w
    }

    pub fn snapshot(&mut self, client: &str, bucket: Bucket, authed: bool, now: i64) -> Snapshot {
        let limit = self.limit_for(bucket, authed);
        let w = *self.window(client, bucket, now);
        Snapshot {
            bucket,
            limit,
            used: w.used,
            remaining: limit.saturating_sub(w.used),
            reset: w.reset,
        }
    }

    /// Charges `n` points if they fit; `Err` with the unchanged snapshot if the bucket is exhausted.
    pub fn charge(
        &mut self,
        client: &str,
        bucket: Bucket,
        authed: bool,
        n: u64,
        now: i64,
    ) -> Result<Snapshot, Snapshot> {
        let limit = self.limit_for(bucket, authed);
        let w = self.window(client, bucket, now);
        if w.used + n > limit || (n == 0 && w.used >= limit) {
            let w = *w;
            return Err(Snapshot {
                bucket,
                limit,
                used: w.used,
                remaining: limit.saturating_sub(w.used),
                reset: w.reset,
            });
        }
        w.used += n;
        let w = *w;
        Ok(Snapshot {
            bucket,
            limit,
            used: w.used,
            remaining: limit.saturating_sub(w.used),
            reset: w.reset,
        })
    }

    /// Forces a bucket to exhaustion (the `primary_limit` fault).
    pub fn exhaust(&mut self, client: &str, bucket: Bucket, authed: bool, now: i64) -> Snapshot {
        let limit = self.limit_for(bucket, authed);
        let w = self.window(client, bucket, now);
        w.used = w.used.max(limit);
        let w = *w;
        Snapshot {
            bucket,
            limit,
            used: w.used,
            remaining: 0,
            reset: w.reset,
        }
    }

    /// Starts a request: `false` when the caller already has too many requests in flight.
    /// Every `begin` must be paired with a [`RateLimiter::leave`].
    pub fn begin(&mut self, client: &str) -> bool {
        let limit = self.limits.secondary_concurrency;
        let c = self.clients.entry(client.to_string()).or_default();
        c.in_flight += 1;
        c.in_flight <= limit
    }

    /// Checks the per-minute secondary limit and records the request's points.
    pub fn points(&mut self, client: &str, points: u64, graphql: bool, at: Instant) -> Secondary {
        let limits = self.limits;
        let c = self.clients.entry(client.to_string()).or_default();
        while let Some((t, _, _)) = c.recent.front() {
            if at.duration_since(*t) >= Duration::from_secs(60) {
                c.recent.pop_front();
            } else {
                break;
            }
        }
        let used: u64 = c
            .recent
            .iter()
            .filter(|(_, _, g)| *g == graphql)
            .map(|(_, p, _)| *p)
            .sum();
        let cap = if graphql {
            limits.secondary_graphql_per_minute
        } else {
            limits.secondary_rest_per_minute
        };
        if used + points > cap {
            return Secondary::PointsPerMinute;
        }
        c.recent.push_back((at, points, graphql));
        Secondary::Ok
    }

    pub fn leave(&mut self, client: &str) {
        if let Some(c) = self.clients.get_mut(client) {
            c.in_flight = c.in_flight.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            core: 3,
            search: 2,
            graphql: 10,
            anonymous_core: 1,
            anonymous_search: 1,
            secondary_concurrency: 2,
            secondary_rest_per_minute: 4,
            secondary_graphql_per_minute: 5,
        }
    }

    #[test]
    fn primary_window_charges_and_refuses() {
        let mut r = RateLimiter::new(limits());
        for used in 1..=3 {
            assert_eq!(
                r.charge("t", Bucket::Core, true, 1, 100).map(|s| s.used),
                Ok(used)
            );
        }
        let err = r
            .charge("t", Bucket::Core, true, 1, 100)
            .expect_err("exhausted");
        assert_eq!(err.remaining, 0);
        assert_eq!(err.reset, 100 + 3600);
        // a new window after the reset
        assert!(r.charge("t", Bucket::Core, true, 1, 100 + 3600).is_ok());
        // other tokens are independent
        assert!(r.charge("u", Bucket::Core, true, 1, 100).is_ok());
    }

    #[test]
    fn secondary_points_per_minute() {
        let mut r = RateLimiter::new(limits());
        let t0 = Instant::now();
        for _ in 0..4 {
            assert!(matches!(r.points("t", 1, false, t0), Secondary::Ok));
        }
        assert!(matches!(
            r.points("t", 1, false, t0),
            Secondary::PointsPerMinute
        ));
        // GraphQL points are counted apart
        assert!(matches!(r.points("t", 1, true, t0), Secondary::Ok));
        assert!(matches!(
            r.points("t", 1, false, t0 + Duration::from_secs(61)),
            Secondary::Ok
        ));
    }

    #[test]
    fn secondary_concurrency() {
        let mut r = RateLimiter::new(limits());
        assert!(r.begin("t"));
        assert!(r.begin("t"));
        assert!(!r.begin("t"));
        r.leave("t");
        r.leave("t");
        assert!(r.begin("t"));
        assert!(r.begin("u"), "other callers have their own slots");
    }
}
