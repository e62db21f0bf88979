//! The sync engine: background tokio tasks that keep the store's copy of every tracked repo fresh
//! at the lowest rate-limit cost, detect changes and report by `SyncEvent`. No UI types here.

pub mod attention;
pub mod command;
pub mod diff;
mod ends;
pub mod engine;
pub mod etags;
pub mod event;
pub mod freshness;
pub mod hints;
pub mod items;
pub mod job;
pub mod scheduler;
pub mod stats;
pub mod tracking;

pub use crate::domain::{ImportOptions, ImportSource, Priority, SearchHit, WaitReason};
pub use command::SyncCommand;
pub use event::{JobCost, Outcome, SyncEvent};

use tokio::sync::mpsc;

/// The two ends the UI or CLI holds of a running engine: commands in, events out.
/// Built by [`engine::start_with`]; the TUI and the CLI drive it without knowing how syncing works.
#[derive(Debug)]
pub struct EngineHandle {
    pub commands: mpsc::UnboundedSender<SyncCommand>,
    pub events: mpsc::UnboundedReceiver<SyncEvent>,
}
