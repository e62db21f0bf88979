//! The sync engine: background tokio tasks that keep the store's copy of every tracked repo fresh
//! at the lowest rate-limit cost, detect changes and report by `SyncEvent`. No UI types here.

pub mod command;
pub mod diff;
pub mod engine;
pub mod etags;
pub mod event;
pub mod job;
pub mod scheduler;
pub mod tracking;

pub use crate::domain::{ImportOptions, ImportSource, Priority, SearchHit, WaitReason};
pub use command::SyncCommand;
pub use event::{JobCost, Outcome, SyncEvent};

use tokio::sync::mpsc;

/// The two ends the UI or CLI holds of a running engine: commands in, events out.
/// Built by the engine's start function; the TUI drives it without knowing how syncing works.
#[derive(Debug)]
pub struct EngineHandle {
    pub commands: mpsc::UnboundedSender<SyncCommand>,
    pub events: mpsc::UnboundedReceiver<SyncEvent>,
}

impl EngineHandle {
    /// A handle wired to nothing but the returned ends, for tests and offline use: the caller
    /// plays the engine.
    pub fn detached() -> (
        Self,
        mpsc::UnboundedReceiver<SyncCommand>,
        mpsc::UnboundedSender<SyncEvent>,
    ) {
        let (ctx, crx) = mpsc::unbounded_channel();
        let (etx, erx) = mpsc::unbounded_channel();
        (
            Self {
                commands: ctx,
                events: erx,
            },
            crx,
            etx,
        )
    }
}
