//! Item extras on demand (`SyncCommand::FetchItems`): when a repo's pull requests or issues are
//! looked at, the labels, assignees, comment counts, requested reviewers and PR checks that the
//! bulk detail fetch leaves out are asked for in one GraphQL query (`github::items`, about 4
//! points), but only when some open item has none that are current or they are older than
//! [`MAX_AGE`], and at most once a minute per repo. Answers `ItemsFetched` (the store's details now carry them) or `ItemsFailed`;
//! nothing to do answers nothing. Without a token, or with `--rest` (whose sync fills these
//! fields itself), nothing is asked.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::SyncEvent;
use super::job::Ctx;
use crate::domain::{LocalId, Priority};

/// The least time between two fetches of one repo's extras (a sync that has not caught up with
/// an item yet would otherwise make every tab switch ask again).
pub const MIN_GAP: Duration = Duration::from_secs(60);

/// Extras older than this are asked again when looked at: a label or an assignee changes only the
/// item, which no probe sees, so without a refresh they would stay as first fetched.
pub const MAX_AGE: chrono::Duration = chrono::Duration::minutes(10);

/// The fetches running and when each repo's last one ended.
#[derive(Debug, Default)]
pub struct ItemFetches {
    state: Mutex<HashMap<LocalId, Option<Instant>>>,
}

impl ItemFetches {
    /// Claims a fetch of `id`: false while one runs or within [`MIN_GAP`] of the last.
    fn begin(&self, id: LocalId, now: Instant) -> bool {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match s.get(&id) {
            Some(None) => false,
            Some(Some(ended)) if now.duration_since(*ended) < MIN_GAP => false,
            _ => {
                s.insert(id, None);
                true
            }
        }
    }

    fn end(&self, id: LocalId) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.insert(id, Some(Instant::now()));
    }
}

/// Serves `FetchItems`; `emit` gets the answer, if any.
pub async fn fetch_items(
    ctx: &Ctx,
    fetches: &ItemFetches,
    id: LocalId,
    prio: Priority,
    emit: impl Fn(SyncEvent),
) {
    let failed = |message: String| SyncEvent::ItemsFailed { id, message };
    let repo = match ctx.store.get(id) {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => return emit(failed(e.to_string())),
    };
    let client = ctx.client_for(&repo.key);
    if ctx.force_rest || !client.is_authenticated() {
        return;
    }
    let now = Utc::now();
    let wanted = ctx.store.details_bare(id).and_then(|d| {
        let x = ctx.store.items_get(id)?;
        let old = x
            .as_ref()
            .is_some_and(|x| x.fetched_at.is_none_or(|at| now - at >= MAX_AGE));
        Ok(d.is_some_and(|d| {
            let any = !d.pulls.is_empty() || !d.issues.is_empty();
            d.extras_missing(x.as_ref()) || (old && any)
        }))
    });
    match wanted {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => return emit(failed(e.to_string())),
    }
    if !fetches.begin(id, Instant::now()) {
        return;
    }
    let event = match client.item_extras(&repo.key, prio).await {
        Ok(mut x) => {
            x.fetched_at = Some(now);
            match ctx.store.items_put(id, &x) {
                Ok(true) => Some(SyncEvent::ItemsFetched { id }),
                Ok(false) => None,
                Err(e) => Some(failed(e.to_string())),
            }
        }
        Err(e) => Some(failed(e.to_string())),
    };
    fetches.end(id);
    if let Some(e) = event {
        emit(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fetch_at_a_time_and_a_minute_apart() {
        let f = ItemFetches::default();
        let (a, b) = (LocalId(1), LocalId(2));
        let now = Instant::now();
        assert!(f.begin(a, now));
        assert!(!f.begin(a, now), "running");
        assert!(f.begin(b, now), "another repo");
        f.end(a);
        assert!(!f.begin(a, Instant::now()), "within the gap");
        assert!(f.begin(a, Instant::now() + MIN_GAP), "after the gap");
    }
}
