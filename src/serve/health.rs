//! PLACEHOLDER until the metrics branch (wt-metrics) is merged: `/healthz` answers that the
//! process is up, so scripts can wait for `serve`; the real module (with `/readyz` and its
//! reasons) replaces this whole file at the lead's merge.

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;

/// Health endpoints (placeholder).
pub struct Health;

impl Health {
    pub fn new(
        _store: Arc<crate::store::Store>,
        _client: crate::github::GithubClient,
        _interval: Option<Duration>,
    ) -> Arc<Self> {
        Arc::new(Health)
    }

    /// `GET /healthz`.
    pub fn router(self: Arc<Self>) -> axum::Router {
        axum::Router::new().route("/healthz", get(|| async { "ok\n" }))
    }
}
