//! Tracking and untracking repos in the store, reported as `SyncEvent`s: the one implementation
//! the engine runs for `SyncCommand::Track` / `Untrack` (in `engine.rs`, which also queues and
//! cancels jobs around it) and a front end without a running engine runs on its own.

use super::SyncEvent;
use crate::domain::{LocalId, RepoKey};
use crate::store::{Added, Store};

/// Adds `keys` to the store: emits an `Error` for each one that cannot be added, then `Tracked`
/// with the repos that are new (already tracked ones are left out). Returns the new repos' ids.
pub fn track(store: &Store, keys: &[RepoKey], mut emit: impl FnMut(SyncEvent)) -> Vec<LocalId> {
    let mut tracked = Vec::new();
    for key in keys {
        match store.add(key) {
            Ok(Added::New(local)) => {
                if let Ok(Some(r)) = store.get(local) {
                    tracked.push(r);
                }
            }
            Ok(Added::Exists(_)) => {}
            Err(e) => emit(SyncEvent::Error {
                message: e.to_string(),
            }),
        }
    }
    let ids = tracked.iter().map(|r| r.local).collect();
    emit(SyncEvent::Tracked { repos: tracked });
    ids
}

/// Removes one repo and what is stored for it: `Untracked` (also when it was already gone), or
/// `Error` when the store refuses.
pub fn untrack(store: &Store, id: LocalId) -> SyncEvent {
    let removed = match store.get(id) {
        Ok(Some(r)) => store.remove(&r.key).map(|_| ()),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    match removed {
        Ok(()) => SyncEvent::Untracked { id },
        Err(e) => SyncEvent::Error {
            message: e.to_string(),
        },
    }
}
