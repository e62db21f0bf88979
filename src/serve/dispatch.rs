//! From webhook hints to engine work. Deliveries arriving together are coalesced: a hint waits
//! until no new one came for [`QUIET`] (or the oldest waited [`MAX_WAIT`]), then every repo
//! hinted goes to the engine in ONE `SyncRepos` batch (forced: a delivery says the repo changed,
//! so neither the throttle nor the probe should hide it), which the engine fetches in detail
//! queries of 25 repos. So a burst of N deliveries for M repos costs ceil(M/25) detail queries.
//!
//! Each repo a delivery named stays "pending" in the store until a job queued after that delivery
//! has finished, so a stop (or a crash) between the 202 and the sync loses nothing: the next
//! start queues what is still pending. The engine's events tell this module when that happened:
//! `Queued` (our batch was taken), then `Started`, then `Finished` of the same repo.
//!
//! Neighbours: `webhook` sends the hints, `mod.rs` runs the loop and feeds every engine event
//! here, `sync` runs the batch, `store` keeps the pending set.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::domain::{LocalId, Priority, RepoId};
use crate::store::Store;
use crate::sync::{Outcome, SyncCommand, SyncEvent};

/// A batch is sent once no new delivery came for this long...
pub const QUIET: Duration = Duration::from_millis(200);
/// ...or once its oldest delivery waited this long.
pub const MAX_WAIT: Duration = Duration::from_millis(1000);

/// One delivery's request: sync this tracked repo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hint {
    pub local: LocalId,
    pub id: RepoId,
}

/// Where a sent repo is in the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// In a batch sent to the engine, not acknowledged yet.
    Sent,
    /// The engine queued it (`Queued`).
    Acked,
    /// A job queued after the delivery started.
    Running,
}

pub struct Dispatcher {
    store: Arc<Store>,
    commands: mpsc::UnboundedSender<SyncCommand>,
    waiting: BTreeMap<LocalId, RepoId>,
    first: Option<Instant>,
    last: Option<Instant>,
    sent: HashMap<LocalId, (RepoId, Stage)>,
    /// Batches sent so far (for the log and the tests).
    pub batches: u64,
}

impl Dispatcher {
    pub fn new(store: Arc<Store>, commands: mpsc::UnboundedSender<SyncCommand>) -> Self {
        Dispatcher {
            store,
            commands,
            waiting: BTreeMap::new(),
            first: None,
            last: None,
            sent: HashMap::new(),
            batches: 0,
        }
    }

    pub fn hint(&mut self, h: Hint, now: Instant) {
        self.waiting.insert(h.local, h.id);
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    /// When the waiting hints are due to be sent, if any wait.
    pub fn due(&self) -> Option<Instant> {
        match (self.first, self.last) {
            (Some(first), Some(last)) => Some((last + QUIET).min(first + MAX_WAIT)),
            _ => None,
        }
    }

    /// Sends every waiting repo to the engine in one batch.
    pub fn flush(&mut self) {
        self.first = None;
        self.last = None;
        if self.waiting.is_empty() {
            return;
        }
        let waiting = std::mem::take(&mut self.waiting);
        let ids: Vec<LocalId> = waiting.keys().copied().collect();
        for (local, id) in waiting {
            self.sent.insert(local, (id, Stage::Sent));
        }
        self.batches += 1;
        tracing::debug!(repos = ids.len(), "webhook batch sent to the engine");
        let _ = self.commands.send(SyncCommand::SyncRepos {
            ids,
            force: true,
            priority: Priority::User,
        });
    }

    /// Follows one engine event: a sent repo is done once a job queued after its delivery ends
    /// (cancelled jobs stay pending for the next start).
    pub fn on_event(&mut self, ev: &SyncEvent) {
        match ev {
            SyncEvent::Queued { id } => self.advance(*id, Stage::Sent, Stage::Acked),
            SyncEvent::Started { id } => self.advance(*id, Stage::Acked, Stage::Running),
            SyncEvent::Finished { id, outcome, .. } => {
                let Some((gid, Stage::Running)) = self.sent.get(id).copied() else {
                    return;
                };
                self.sent.remove(id);
                if *outcome == Outcome::Cancelled {
                    return;
                }
                if let Err(e) = self.store.webhook_pending_done(gid) {
                    tracing::warn!(error = %e, "cannot clear a pending webhook sync");
                }
            }
            SyncEvent::Untracked { id } => {
                if let Some((gid, _)) = self.sent.remove(id) {
                    let _ = self.store.webhook_pending_done(gid);
                }
            }
            _ => {}
        }
    }

    fn advance(&mut self, id: LocalId, from: Stage, to: Stage) {
        if let Some(entry) = self.sent.get_mut(&id)
            && entry.1 == from
        {
            entry.1 = to;
        }
    }

    /// How many repos are tracked (for the metrics).
    pub fn tracked(&self) -> usize {
        self.store.len()
    }

    /// Repos hinted and not done yet (waiting or in the engine).
    pub fn in_flight(&self) -> usize {
        self.waiting.len() + self.sent.len()
    }

    /// The repos deliveries asked for before the last stop, as hints (untracked ones are
    /// dropped from the pending set).
    pub fn recover(&mut self, now: Instant) -> usize {
        let pending = match self.store.webhook_pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the pending webhook syncs");
                return 0;
            }
        };
        let mut n = 0;
        for id in pending {
            match self.store.find_by_id(id) {
                Ok(Some(repo)) => {
                    self.hint(
                        Hint {
                            local: repo.local,
                            id,
                        },
                        now,
                    );
                    n += 1;
                }
                _ => {
                    let _ = self.store.webhook_pending_done(id);
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::JobCost;

    fn finished(id: u64, outcome: Outcome) -> SyncEvent {
        SyncEvent::Finished {
            id: LocalId(id),
            outcome,
            cost: JobCost::default(),
            duration_ms: 0,
            repo: None,
        }
    }

    #[test]
    fn a_burst_becomes_one_batch_and_pending_clears_only_after_a_later_job() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let store = Arc::new(store);
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut d = Dispatcher::new(store.clone(), tx);
        let t0 = Instant::now();
        for i in 0..1000u64 {
            let id = RepoId(100 + i % 100);
            store.webhook_pending_add(id, chrono::Utc::now()).unwrap();
            d.hint(
                Hint {
                    local: LocalId(i % 100),
                    id,
                },
                t0 + Duration::from_micros(i * 300),
            );
        }
        assert!(d.due().unwrap() <= t0 + MAX_WAIT);
        d.flush();
        let Ok(SyncCommand::SyncRepos { ids, force, .. }) = rx.try_recv() else {
            panic!("one batch")
        };
        assert_eq!(ids.len(), 100);
        assert!(force);
        assert!(rx.try_recv().is_err(), "only one batch");
        // The job that was running before the delivery ends: not done yet.
        d.on_event(&finished(0, Outcome::Unchanged));
        assert_eq!(store.webhook_pending().unwrap().len(), 100);
        // Ours: queued, started, finished.
        d.on_event(&SyncEvent::Queued { id: LocalId(0) });
        d.on_event(&SyncEvent::Started { id: LocalId(0) });
        d.on_event(&finished(0, Outcome::Unchanged));
        assert_eq!(store.webhook_pending().unwrap().len(), 99);
        // Cancelled by a stop: still pending, recovered at the next start.
        d.on_event(&SyncEvent::Queued { id: LocalId(1) });
        d.on_event(&SyncEvent::Started { id: LocalId(1) });
        d.on_event(&finished(1, Outcome::Cancelled));
        assert_eq!(store.webhook_pending().unwrap().len(), 99);
        assert_eq!(d.in_flight(), 98);
    }
}
