//! `SyncCommand`: what callers (the CLI and the TUI) may ask of the sync engine (imperative names).

use serde::{Deserialize, Serialize};

use crate::domain::{ImportOptions, LocalId, Priority, RepoKey};

/// Serde: the same commands reach a host from attached clients (`host::protocol`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncCommand {
    /// Sync one tracked repo. `force` ignores `sync.min_interval` and refetches details.
    SyncRepo {
        id: LocalId,
        force: bool,
        priority: Priority,
    },
    /// Sync several tracked repos as one batch: queued together, so one pass (and one detail
    /// query per 25 repos) serves them all. `serve` coalesces webhook deliveries into this.
    SyncRepos {
        ids: Vec<LocalId>,
        force: bool,
        priority: Priority,
    },
    /// Sync every tracked repo.
    SyncAll { force: bool, priority: Priority },
    /// Fetch one commit's stats and files on demand (REST, with ETag).
    FetchCommit { id: LocalId, sha: String },
    /// A repo's statistics for its Overview: the stored ones at once, then, when they are older
    /// than a day (or missing), GitHub's (REST, with ETags): `StatsFetched`, `StatsComputing`
    /// (GitHub answered 202; ask again later) or `StatsFailed`.
    FetchStats(LocalId),
    /// A repo's pull requests or issues are being looked at: fetch their labels, assignees,
    /// comment counts, requested reviewers and PR checks (one GraphQL query) when some open
    /// item has none that are current. `ItemsFetched` (read the details again) or `ItemsFailed`;
    /// nothing when nothing was needed.
    FetchItems(LocalId),
    /// Start tracking repos (validated names) and sync them.
    Track(Vec<RepoKey>),
    /// Stop tracking a repo and delete what is stored for it.
    Untrack(LocalId),
    /// List an org's, a user's or the viewer's repos, track them all and sync them.
    Import(ImportOptions),
    /// Search GitHub's repositories (search bucket, spaced requests).
    Search { query: String, limit: usize },
    /// Cancel the pending or running job of one repo.
    Cancel(LocalId),
    /// Cancel every pending and running job, and any rate-limit wait.
    CancelAll,
    /// Stop the engine.
    Shutdown,
    /// The repo open in the TUI's detail view (`None`: none): the freshness scheduler probes it
    /// at its fastest cadence.
    Focus(Option<LocalId>),
    /// Build the attention queue: the store's rows and one GraphQL search (review requests, the
    /// user's own PRs); answered by `SyncEvent::AttentionLoaded` or `AttentionFailed`.
    Attention,
    /// The user looked at the attention queue at `at`: releases up to then are no longer new.
    AttentionSeen { at: chrono::DateTime<chrono::Utc> },
}
