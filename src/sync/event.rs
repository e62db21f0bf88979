//! `SyncEvent`: what the sync engine reports (past tense), with owned data, to the CLI and the TUI.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{
    ActivityEntry, Change, Commit, FailureKind, LocalId, RateBucket, RepoStats, SearchHit,
    TrackedRepo, WaitReason,
};
use crate::secrets::TokenId;

/// How one repo's sync ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Synced {
        changes: Vec<Change>,
    },
    Unchanged,
    /// Skipped by the throttle (`sync.min_interval`).
    Skipped,
    Cancelled,
    Failed {
        kind: FailureKind,
        message: String,
    },
}

/// Per-job cost, for the jobs screen and the summary. A GraphQL batch's requests and points are
/// shared by its jobs: `requests` and `points` are whole shares that add up exactly to what the
/// pass spent (the remainder goes to the first jobs, so most read 0), while `requests_milli` and
/// `points_milli` are each job's exact share in thousandths (1 request over 50 jobs: 20), which
/// the jobs screen shows so no job reads a false 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCost {
    pub requests: u64,
    pub not_modified: u64,
    pub points: u64,
    #[serde(default)]
    pub requests_milli: u64,
    #[serde(default)]
    pub points_milli: u64,
}

/// Serde: a host pushes the same events to its attached clients (`host::protocol`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A repo's statistics, stored or just fetched (`fetched_at` says when).
    StatsFetched {
        id: LocalId,
        stats: Box<RepoStats>,
    },
    /// GitHub is computing the repo's statistics (it answered 202): ask again in `retry_secs`.
    StatsComputing {
        id: LocalId,
        retry_secs: u64,
    },
    StatsFailed {
        id: LocalId,
        message: String,
    },
    /// A repo's item extras were fetched and stored: its details (read again) now carry them.
    ItemsFetched {
        id: LocalId,
    },
    ItemsFailed {
        id: LocalId,
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
    /// Which token the engine's requests use, by its id (never the token); `None` is anonymous.
    /// `per_repo` repos use a token of their own.
    TokenInUse {
        token: Option<TokenId>,
        per_repo: usize,
    },
    /// A full pass over the tracked repos finished. Every job that got a `Finished` since the
    /// last pass end is counted in exactly one field, so they add up to the jobs ended.
    PassFinished {
        synced: usize,
        unchanged: usize,
        failed: usize,
        skipped: usize,
        #[serde(default)]
        cancelled: usize,
    },
    /// The freshness scheduler's plan, published every 30 s (rate panel `L`).
    Plan(Box<crate::domain::FreshnessPlan>),
    /// The attention queue, in screen order; `search` says what the GitHub part cost or why it
    /// is missing; `seen` is the last look releases were compared with (`None`: never looked).
    AttentionLoaded {
        items: Vec<crate::domain::AttentionItem>,
        search: crate::domain::AttentionSearchState,
        seen: Option<DateTime<Utc>>,
    },
    /// The attention queue could not be built (the store could not be read).
    AttentionFailed {
        message: String,
    },
}
