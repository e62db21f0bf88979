//! `SyncEvent`: what the sync engine reports (past tense), with owned data, to the CLI and the TUI.

use chrono::{DateTime, Utc};

use crate::domain::{ActivityEntry, Change, Commit, LocalId, RateBucket, RepoKey, TrackedRepo};

/// Why work is waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitReason {
    /// GitHub's secondary rate limit: every request is paused.
    SecondaryLimit,
    /// A bucket ran out; its requests wait for the reset.
    Exhausted { bucket: String },
    /// Background work stops below `github.reserve`.
    Reserve { bucket: String },
    /// Too many consecutive failures: the circuit breaker is open.
    CircuitOpen,
    /// Waiting before a retry after a server or network error.
    Retry { attempt: u32 },
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitReason::SecondaryLimit => write!(f, "secondary rate limit: all requests paused"),
            WaitReason::Exhausted { bucket } => {
                write!(f, "{bucket} rate limit used up: waiting for the reset")
            }
            WaitReason::Reserve { bucket } => {
                write!(f, "{bucket} budget at the reserve: background sync paused")
            }
            WaitReason::CircuitOpen => {
                write!(f, "GitHub is failing: requests paused (circuit open)")
            }
            WaitReason::Retry { attempt } => write!(f, "retrying (attempt {attempt})"),
        }
    }
}

/// How one repo's sync ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Synced {
        changes: Vec<Change>,
    },
    Unchanged,
    /// Skipped by the throttle (`sync.min_interval`).
    Skipped,
    Cancelled,
    Failed {
        kind: String,
        message: String,
    },
}

/// Per-job cost, for the jobs screen and the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobCost {
    pub requests: u64,
    pub not_modified: u64,
    pub points: u64,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub key: RepoKey,
    pub description: Option<String>,
    pub stars: u64,
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncEvent {
    Queued {
        id: LocalId,
    },
    Started {
        id: LocalId,
    },
    Waiting {
        id: Option<LocalId>,
        reason: WaitReason,
        until: DateTime<Utc>,
    },
    Progress {
        id: LocalId,
        step: String,
    },
    Finished {
        id: LocalId,
        outcome: Outcome,
        cost: JobCost,
        duration_ms: u64,
        repo: Option<Box<TrackedRepo>>,
    },
    /// New activity written to the store.
    Activity(Vec<ActivityEntry>),
    /// A commit fetched on demand.
    CommitFetched {
        id: LocalId,
        commit: Box<Commit>,
    },
    CommitFailed {
        id: LocalId,
        sha: String,
        message: String,
    },
    Tracked {
        repos: Vec<TrackedRepo>,
    },
    Untracked {
        id: LocalId,
    },
    Imported {
        added: usize,
        total: usize,
    },
    SearchResults {
        query: String,
        hits: Vec<SearchHit>,
    },
    /// A command failed as a whole (auth, network, invalid input): shown as a notice with advice.
    Error {
        message: String,
    },
    /// All requests paused (secondary limit, exhausted bucket, circuit) / resumed.
    Paused {
        reason: WaitReason,
        until: DateTime<Utc>,
    },
    Resumed,
    RateLimits(Vec<RateBucket>),
    /// Which token the engine's requests use, as a fingerprint (never the token); `None` is
    /// anonymous. `per_repo` repos use a token of their own.
    TokenInUse {
        fingerprint: Option<String>,
        per_repo: usize,
    },
    /// The token vault is locked: the UI asks for the passphrase and answers `SyncCommand::Unlock`.
    /// `retry` is true after a wrong passphrase.
    PassphraseNeeded {
        retry: bool,
    },
    /// A full pass over the tracked repos finished.
    PassFinished {
        synced: usize,
        unchanged: usize,
        failed: usize,
        skipped: usize,
    },
}
