//! `/healthz` and `/readyz` for `repodeck serve`.
//!
//! `/healthz` answers 200 whenever the process answers. `/readyz` answers 200 only when the
//! store answers a read, a usable token is configured (and GitHub has not rejected it), the last
//! sync pass finished less than 3 x `sync.interval` ago (counted from the start until the first
//! pass) and requests are not paused on an exhausted rate limit; otherwise 503. Both carry a JSON
//! body whose `reasons` say, in plain words, what is wrong and what to do.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::domain::{FailureKind, WaitReason};
use crate::store::Store;
use crate::sync::scheduler::limits::MIN_PERIODIC;
use crate::sync::{Outcome, SyncEvent};

/// What the engine events told us.
#[derive(Debug, Default)]
struct Seen {
    last_pass: Option<(Instant, DateTime<Utc>)>,
    /// GitHub answered 401 for the token, and no sync succeeded since.
    token_rejected: bool,
    /// Requests wait for an exhausted bucket: (bucket, until).
    exhausted: Option<(String, DateTime<Utc>)>,
}

/// Readiness state, shared as `Arc<Health>`.
#[derive(Debug)]
pub struct Health {
    store: Arc<Store>,
    has_token: bool,
    /// 3 x the effective `sync.interval`; `None` when periodic sync is off.
    max_pass_age: Option<Duration>,
    started: Instant,
    seen: Mutex<Seen>,
}

/// One `/readyz` verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Readiness {
    pub ready: bool,
    /// Why not, one sentence each (empty when ready).
    pub reasons: Vec<String>,
    /// When the last sync pass finished (RFC 3339), if one did.
    pub last_pass: Option<String>,
}

impl Health {
    pub fn new(store: Arc<Store>, config: &Config, has_token: bool) -> Arc<Self> {
        Arc::new(Self {
            store,
            has_token,
            max_pass_age: config
                .sync
                .interval
                .map(|every| every.max(MIN_PERIODIC).saturating_mul(3)),
            started: Instant::now(),
            seen: Mutex::new(Seen::default()),
        })
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Feeds one engine event: pass ends, a rejected token, pauses on exhausted limits.
    pub fn observe(&self, event: &SyncEvent) {
        let mut seen = self.seen();
        match event {
            SyncEvent::PassFinished { .. } => seen.last_pass = Some((Instant::now(), Utc::now())),
            SyncEvent::Finished { outcome, .. } => match outcome {
                Outcome::Failed {
                    kind: FailureKind::Unauthorized,
                    ..
                } => seen.token_rejected = true,
                Outcome::Synced { .. } | Outcome::Unchanged => seen.token_rejected = false,
                _ => {}
            },
            SyncEvent::Paused {
                reason: WaitReason::Exhausted { bucket },
                until,
            } => seen.exhausted = Some((bucket.clone(), *until)),
            SyncEvent::Paused { .. } | SyncEvent::Resumed => seen.exhausted = None,
            _ => {}
        }
    }

    /// The verdict now.
    pub fn readiness(&self) -> Readiness {
        self.readiness_at(Instant::now(), Utc::now())
    }

    /// The verdict at `now` (monotonic, for the pass age) and `wall` (for pause ends).
    pub fn readiness_at(&self, now: Instant, wall: DateTime<Utc>) -> Readiness {
        let mut reasons = Vec::new();
        if let Some(why) = self.store_problem() {
            reasons.push(why);
        }
        let seen = self.seen();
        if !self.has_token {
            reasons.push(
                "no GitHub token: anonymous access (60 requests an hour) cannot keep a daemon fresh; store one with `repodeck token set`".into(),
            );
        } else if seen.token_rejected {
            reasons.push(
                "GitHub rejected the token (401): replace it with `repodeck token set` and restart"
                    .into(),
            );
        }
        if let Some(max) = self.max_pass_age {
            let since = seen.last_pass.map_or(self.started, |(at, _)| at);
            let age = now.saturating_duration_since(since);
            if age > max {
                reasons.push(match seen.last_pass {
                    Some(_) => format!(
                        "the last sync pass finished {}s ago, more than 3 x sync.interval ({}s): the engine is stuck or GitHub is unreachable",
                        age.as_secs(),
                        max.as_secs()
                    ),
                    None => format!(
                        "no sync pass has finished since the start {}s ago (limit: 3 x sync.interval = {}s)",
                        age.as_secs(),
                        max.as_secs()
                    ),
                });
            }
        }
        if let Some((bucket, until)) = &seen.exhausted
            && *until > wall
        {
            reasons.push(format!(
                "the {bucket} rate limit is used up: requests are paused until {}",
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        Readiness {
            ready: reasons.is_empty(),
            reasons,
            last_pass: seen
                .last_pass
                .map(|(_, at)| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        }
    }

    /// `None` when the store answers a read and its directory is still there.
    fn store_problem(&self) -> Option<String> {
        if !self.store.dir().is_dir() {
            return Some(format!(
                "the data directory {} is gone: restart repodeck serve to rebuild the store",
                self.store.dir().display()
            ));
        }
        self.store
            .first_by_name(1)
            .err()
            .map(|e| format!("the store does not answer a read: {e}"))
    }

    /// `GET /healthz` and `GET /readyz`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(self)
    }
}

async fn healthz() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn readyz(axum::extract::State(h): axum::extract::State<Arc<Health>>) -> Response {
    // The store read may touch the disk: keep it off the async workers.
    let verdict = match tokio::task::spawn_blocking(move || h.readiness()).await {
        Ok(v) => v,
        Err(_) => Readiness {
            ready: false,
            reasons: vec!["the readiness check failed (internal error; see the log)".into()],
            last_pass: None,
        },
    };
    let status = if verdict.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(verdict)).into_response()
}
