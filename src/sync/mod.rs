//! The sync engine: background tokio tasks that keep the store's copy of every tracked repo fresh
//! at the lowest rate-limit cost, detect changes and report by `SyncEvent`. No UI types here.

pub mod command;
pub mod event;

pub use command::{ImportOptions, ImportSource, Priority, SyncCommand};
pub use event::{JobCost, Outcome, SearchHit, SyncEvent, WaitReason};
