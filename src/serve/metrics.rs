//! PLACEHOLDER until the metrics branch (wt-metrics) is merged: the agreed API of `serve`'s
//! Prometheus metrics with no-op bodies, so the daemon builds and its tests run. The lead's merge
//! replaces this whole file with the real module; nothing here is meant to survive it.

use std::sync::Arc;

/// How one webhook delivery was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    Processed,
    Duplicate,
    BadSignature,
    TooLarge,
    RefusedIp,
    Untracked,
    Ignored,
    Malformed,
    Ping,
}

/// The metrics registry (placeholder: records nothing).
pub struct Metrics;

impl Metrics {
    pub fn new(
        _clients: Vec<crate::github::GithubClient>,
        _reserve: crate::config::Reserve,
    ) -> Self {
        Metrics
    }

    pub fn delivery(&self, _event: &str, _result: DeliveryResult) {}

    pub fn observe(&self, _event: &crate::sync::SyncEvent) {}

    pub fn set_tracked(&self, _n: usize) {}

    /// `GET /metrics` (placeholder: no route).
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new()
    }
}
