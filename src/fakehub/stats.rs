//! Request accounting for the admin API (`/_fakehub/stats`): counts per route and status, points per bucket and token, concurrency peaks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Points charged per bucket. Only numbers, so a check can sum the values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Points {
    pub core: u64,
    pub graphql: u64,
    pub search: u64,
}

impl Points {
    pub fn add(&mut self, bucket: super::ratelimit::Bucket, n: u64) {
        use super::ratelimit::Bucket;
        match bucket {
            Bucket::Core => self.core += n,
            Bucket::Graphql => self.graphql += n,
            Bucket::Search => self.search += n,
        }
    }
    pub fn total(&self) -> u64 {
        self.core + self.graphql + self.search
    }
}

/// A snapshot of what fakehub has served since start or the last reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub requests: u64,
    /// `"GET /repos/{owner}/{repo}"` -> count.
    pub by_route: BTreeMap<String, u64>,
    /// `"200"`, `"304"`, ... -> count.
    pub by_status: BTreeMap<String, u64>,
    pub not_modified: u64,
    pub points: Points,
    /// Token fingerprint (never the token) or `anonymous` -> points.
    pub points_by_token: BTreeMap<String, Points>,
    pub max_in_flight: u64,
    pub secondary_limit_hits: u64,
    pub primary_limit_hits: u64,
    pub graphql_queries: u64,
    pub graphql_cost: u64,
    pub webhook_deliveries: u64,
    pub webhook_failures: u64,
    pub faults_applied: u64,
    /// Each request's `User-Agent` values (joined by ", " when a client sends several) -> count.
    #[serde(default)]
    pub user_agents: BTreeMap<String, u64>,
}

impl Stats {
    pub fn count(&self, route: &str) -> u64 {
        self.by_route.get(route).copied().unwrap_or(0)
    }
    pub fn status(&self, status: u16) -> u64 {
        self.by_status
            .get(&status.to_string())
            .copied()
            .unwrap_or(0)
    }
}
