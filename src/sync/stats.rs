//! Statistics on demand (`SyncCommand::FetchStats`): the stored ones are sent at once, and when
//! they are older than [`MAX_AGE`] (or missing) GitHub is asked (two conditional REST requests,
//! 304s free). A 202 (GitHub computing) is reported as `StatsComputing` with when to ask again;
//! nothing here waits or loops, and no sync pass is held up. Also the daily background refresh of
//! the statistics that were fetched before (repos whose Overview was opened), a few at a time.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

use super::SyncEvent;
use super::job::Ctx;
use crate::domain::{LocalId, Priority, RepoKey, RepoStats};
use crate::github::{GithubError, StatsAnswer};

/// Statistics younger than this are served from the store without a request.
pub const MAX_AGE: chrono::Duration = chrono::Duration::hours(24);
/// When to ask again after GitHub answered 202 (it usually has them within seconds).
pub const COMPUTING_RETRY_SECS: u64 = 15;
/// Statistics refreshed per background sweep (at most one sweep an hour).
pub const SWEEP_MAX: usize = 20;
/// How often the background sweep looks for statistics older than [`MAX_AGE`].
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The repos whose statistics are being fetched, so a second ask while one runs sends nothing.
#[derive(Debug, Default)]
pub struct StatsFetches {
    running: Mutex<HashSet<LocalId>>,
}

impl StatsFetches {
    fn begin(&self, id: LocalId) -> bool {
        self.lock().insert(id)
    }

    fn end(&self, id: LocalId) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<LocalId>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether statistics fetched at `at` are due for a refresh at `now`.
pub fn stale(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_none_or(|at| now - at >= MAX_AGE)
}

/// Serves `FetchStats`: the stored statistics first, then GitHub's when they are stale.
/// `emit` gets every event; a fetch of the same repo already running makes this one a no-op
/// after the stored answer.
pub async fn fetch_stats(
    ctx: &Ctx,
    fetches: &StatsFetches,
    id: LocalId,
    prio: Priority,
    emit: impl Fn(SyncEvent),
) {
    let failed = |message: String| SyncEvent::StatsFailed { id, message };
    let repo = match ctx.store.get(id) {
        Ok(Some(r)) => r,
        Ok(None) => return emit(failed("the repository is no longer tracked".into())),
        Err(e) => return emit(failed(e.to_string())),
    };
    let stored = match ctx.store.stats_get(id) {
        Ok(s) => s,
        Err(e) => return emit(failed(e.to_string())),
    };
    let now = Utc::now();
    let fresh = stored.as_ref().is_some_and(|s| !stale(s.fetched_at, now));
    if let Some(s) = stored {
        emit(SyncEvent::StatsFetched {
            id,
            stats: Box::new(s),
        });
    }
    if fresh || !fetches.begin(id) {
        return;
    }
    let answer = ctx.client_for(&repo.key).repo_stats(&repo.key, prio).await;
    let event = match answer {
        Ok(StatsAnswer::Ready(cond)) => {
            let stats = RepoStats {
                fetched_at: Some(Utc::now()),
                ..cond.into_inner()
            };
            match ctx.store.stats_put(id, &stats, &own_etags(ctx, &repo.key)) {
                Ok(true) => SyncEvent::StatsFetched {
                    id,
                    stats: Box::new(stats),
                },
                Ok(false) => failed("the repository is no longer tracked".into()),
                Err(e) => failed(e.to_string()),
            }
        }
        Ok(StatsAnswer::Computing) => {
            keep_etags(ctx, &repo.key);
            SyncEvent::StatsComputing {
                id,
                retry_secs: COMPUTING_RETRY_SECS,
            }
        }
        Err(e) => {
            keep_etags(ctx, &repo.key);
            failed(message(&repo.key, &e))
        }
    };
    fetches.end(id);
    emit(event);
}

fn is_stats_url(url: &str) -> bool {
    url.split('?').next().unwrap_or(url).contains("/stats/")
}

/// The ETags the statistics requests left held back for `key` (not a running sync's).
fn own_etags(ctx: &Ctx, key: &RepoKey) -> Vec<super::etags::Pending> {
    ctx.etags
        .as_ref()
        .map(|e| e.take_matching(key, is_stats_url))
        .unwrap_or_default()
}

/// Saves the ETag of an endpoint that answered when the other did not: its cached body is what
/// a later 304 rebuilds from, so it needs no data written with it.
fn keep_etags(ctx: &Ctx, key: &RepoKey) {
    for (fp, url, entry) in own_etags(ctx, key) {
        if let Err(e) = ctx.store.etag_put(&fp, &url, &entry) {
            tracing::warn!(error = %e, "saving a statistics ETag failed");
        }
    }
}

/// What the Overview says when the statistics could not be fetched: GitHub's error, which says
/// what to do, except for the 422 GitHub sends for repositories too large to count.
fn message(key: &RepoKey, e: &GithubError) -> String {
    match e {
        GithubError::UnexpectedStatus { status: 422, .. } => format!(
            "GitHub does not compute statistics for {key} (422: the repository is too large); the rest of the Overview is unaffected"
        ),
        other => other.to_string(),
    }
}

/// The background sweep's work: repos whose statistics were fetched before and are older than
/// [`MAX_AGE`], oldest first, at most [`SWEEP_MAX`].
pub fn due(store: &crate::store::Store, now: DateTime<Utc>) -> Vec<LocalId> {
    let mut due: Vec<(Option<DateTime<Utc>>, LocalId)> = match store.stats_ages() {
        Ok(all) => all
            .into_iter()
            .filter(|(_, at)| stale(*at, now))
            .map(|(id, at)| (at, id))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "reading the stored statistics failed");
            Vec::new()
        }
    };
    due.sort();
    due.into_iter().take(SWEEP_MAX).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_stale_after_a_day_or_when_never_fetched() {
        let now = Utc::now();
        assert!(stale(None, now));
        assert!(!stale(Some(now - chrono::Duration::hours(23)), now));
        assert!(stale(Some(now - chrono::Duration::hours(24)), now));
    }

    #[test]
    fn only_statistics_urls_are_taken() {
        assert!(is_stats_url("http://h/repos/o/r/stats/participation"));
        assert!(is_stats_url("http://h/repos/o/r/stats/contributors"));
        assert!(!is_stats_url("http://h/repos/o/r/commits?per_page=30"));
        assert!(!is_stats_url("http://h/repos/o/r/issues?q=/stats/"));
    }

    #[test]
    fn a_422_says_the_repository_is_too_large() {
        let key = RepoKey::parse("o/r").unwrap();
        let e = GithubError::UnexpectedStatus {
            endpoint: "x".into(),
            status: 422,
            message: String::new(),
        };
        assert!(message(&key, &e).contains("too large"));
        assert!(message(&key, &GithubError::Timeout).contains("in time"));
    }

    #[test]
    fn a_second_fetch_of_the_same_repo_waits_for_none() {
        let f = StatsFetches::default();
        assert!(f.begin(LocalId(1)));
        assert!(!f.begin(LocalId(1)));
        assert!(f.begin(LocalId(2)));
        f.end(LocalId(1));
        assert!(f.begin(LocalId(1)));
    }
}
