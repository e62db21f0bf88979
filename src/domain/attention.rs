//! The attention queue's plain types: one row of "what needs the user" across repositories (a
//! review asked of them, their own pull request with failing CI or changes requested, a default
//! branch whose head fails CI, a new release, a pull request idle for 30 days), and what the
//! GitHub search part of it cost. `github::attention` fills the search rows, `sync::attention`
//! adds the store's rows and merges them; the TUI's Attention screen shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CiState, LocalId, ReviewDecision};

/// Why a row is in the queue, in the order the screen groups them (most pressing first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AttentionReason {
    /// A pull request asks the user for a review.
    ReviewRequested,
    /// The user's own pull request: a reviewer requested changes.
    ChangesRequested,
    /// The user's own pull request: its head's CI fails.
    CiFailing,
    /// A tracked repository's default-branch head fails CI.
    HeadFailing,
    /// A release published since the user last looked at the queue.
    NewRelease,
    /// An open pull request in a tracked repository with no activity for [`STALE_DAYS`] days.
    Stale,
}

/// Days without activity after which an open pull request counts as stale.
pub const STALE_DAYS: i64 = 30;

/// When the user never looked at the queue, releases of this many days count as new.
pub const NEW_RELEASE_DAYS: i64 = 7;

impl AttentionReason {
    pub const ALL: [AttentionReason; 6] = [
        AttentionReason::ReviewRequested,
        AttentionReason::ChangesRequested,
        AttentionReason::CiFailing,
        AttentionReason::HeadFailing,
        AttentionReason::NewRelease,
        AttentionReason::Stale,
    ];

    /// The group's heading on the screen.
    pub fn title(self) -> &'static str {
        match self {
            AttentionReason::ReviewRequested => "Review requested",
            AttentionReason::ChangesRequested => "Changes requested on your PRs",
            AttentionReason::CiFailing => "CI failing on your PRs",
            AttentionReason::HeadFailing => "Default branch failing CI",
            AttentionReason::NewRelease => "New releases",
            AttentionReason::Stale => "No activity for 30 days",
        }
    }

    /// Whether the row comes from GitHub's search (costs points) rather than the store (free).
    pub fn from_search(self) -> bool {
        matches!(
            self,
            AttentionReason::ReviewRequested
                | AttentionReason::ChangesRequested
                | AttentionReason::CiFailing
        )
    }
}

/// What a row is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttentionSubject {
    PullRequest {
        number: u64,
    },
    /// The default branch's head commit.
    Commit {
        sha: String,
    },
    Release {
        tag: String,
    },
}

/// One row of the queue. Text fields are GitHub's (untrusted: sanitize before display).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionItem {
    pub reason: AttentionReason,
    /// `owner/name` as GitHub spells it.
    pub repo: String,
    /// The tracked repository it belongs to; `None` when the search found it in a repository
    /// that is not tracked.
    pub local: Option<LocalId>,
    pub subject: AttentionSubject,
    /// PR title, commit headline or release name.
    pub title: String,
    pub url: String,
    /// Last activity (PR), commit date (head) or publication (release).
    pub at: Option<DateTime<Utc>>,
    pub draft: bool,
}

/// One pull request as the attention search found it (wire -> domain in `github::attention`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchedPr {
    /// `owner/name`.
    pub repo: String,
    pub number: u64,
    pub title: String,
    pub url: String,
    pub updated_at: Option<DateTime<Utc>>,
    pub draft: bool,
    pub review_decision: Option<ReviewDecision>,
    /// The head commit's `statusCheckRollup` state.
    pub ci: CiState,
}

/// What the attention search answered: who the token is, the PRs asking for their review, their
/// own open PRs, and what the query cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttentionSearch {
    pub login: String,
    pub review_requested: Vec<SearchedPr>,
    pub authored: Vec<SearchedPr>,
    /// Points the query cost (GraphQL `rateLimit.cost`).
    pub cost: u64,
    /// Points left in the GraphQL bucket after it, when GitHub said.
    pub remaining: Option<u64>,
    /// More matched than one page holds (50 per kind).
    pub truncated: bool,
}

/// How the search part of a refresh went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttentionSearchState {
    /// Searched: its cost and what was left.
    Done {
        login: String,
        cost: u64,
        remaining: Option<u64>,
        truncated: bool,
    },
    /// Not searched (no engine, no token): the message says why and what to do.
    Unavailable { message: String },
    /// GitHub refused or failed: the message says why and what to do.
    Failed { message: String },
}
