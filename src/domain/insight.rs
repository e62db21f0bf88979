//! The domain types behind the insight screens: CI state, commit signatures, branch protection,
//! pull-request review state and repository statistics. Plain data, like the rest of `domain`;
//! the GitHub layer fills them from GraphQL/REST and the store keeps them with bincode.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The combined CI state of a commit: GitHub's `statusCheckRollup` (check runs and commit
/// statuses together). `None` = the commit has no checks at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CiState {
    #[default]
    None,
    Pending,
    Success,
    Failure,
}

impl CiState {
    /// Every state's name, as `--json`, filters (`ci:failing` reads "failure") and the store use it.
    pub const NAMES: [&'static str; 4] = ["none", "pending", "success", "failure"];

    pub fn as_str(self) -> &'static str {
        match self {
            CiState::None => "none",
            CiState::Pending => "pending",
            CiState::Success => "success",
            CiState::Failure => "failure",
        }
    }
}

/// One check run or commit status of a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The check run's name or the status's context (untrusted text: sanitize before display).
    pub name: String,
    pub state: CiState,
    /// GitHub's own word for the outcome when it says more than `state` (`timed_out`,
    /// `cancelled`, `action_required`, `skipped`, `neutral`, `error` ...), lower case.
    pub conclusion: Option<String>,
    pub url: Option<String>,
}

/// The CI of one commit with its checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiStatus {
    /// The commit the state belongs to.
    pub sha: String,
    pub state: CiState,
    /// Failing checks first, then pending, then the rest; capped by the fetch.
    pub checks: Vec<Check>,
}

impl CiStatus {
    /// Names of the failing checks.
    pub fn failing(&self) -> impl Iterator<Item = &str> {
        self.checks
            .iter()
            .filter(|c| c.state == CiState::Failure)
            .map(|c| c.name.as_str())
    }
}

/// A commit's signature, as GitHub verified it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verification {
    #[default]
    Unsigned,
    Verified,
    /// Signed, but GitHub could not verify it; `reason` is GitHub's word (`unknown_key`,
    /// `bad_email`, `expired_key`, ...), lower case.
    Unverified {
        reason: String,
    },
}

/// What protects a branch (GitHub's branch protection rule matching it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Protection {
    /// Approving reviews required before merging; `None` = reviews not required.
    pub required_reviews: Option<u32>,
    /// Status checks that must pass before merging.
    pub required_checks: Vec<String>,
    pub enforce_admins: bool,
    pub allow_force_pushes: bool,
    pub allow_deletions: bool,
    pub linear_history: bool,
    pub signed_commits: bool,
}

/// A pull request's review decision (`reviewDecision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewDecision {
    Approved,
    ChangesRequested,
    ReviewRequired,
}

impl ReviewDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approved => "approved",
            ReviewDecision::ChangesRequested => "changes_requested",
            ReviewDecision::ReviewRequired => "review_required",
        }
    }
}

/// Whether a pull request can be merged as GitHub last computed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mergeable {
    #[default]
    Unknown,
    Mergeable,
    Conflicting,
}

/// How a pull request that left the open list ended, as GitHub says (never guessed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrEnd {
    Merged,
    Closed,
}

/// A repository's statistics (GitHub's `stats/participation` and `stats/contributors`), fetched
/// lazily and stored apart from the details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoStats {
    /// Commits per week to the default branch, oldest first, the last 52 weeks.
    pub weekly_commits: Vec<u32>,
    /// Top contributors by commits, most first.
    pub contributors: Vec<Contributor>,
    pub fetched_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contributor {
    pub login: String,
    /// Commits over the repository's whole history.
    pub commits: u64,
    /// Commits in the last 4 weeks.
    pub recent: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_state_names_follow_variant_order() {
        let all = [
            CiState::None,
            CiState::Pending,
            CiState::Success,
            CiState::Failure,
        ];
        let names: Vec<_> = all.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, CiState::NAMES);
    }

    #[test]
    fn failing_lists_only_failed_checks() {
        let ci = CiStatus {
            sha: "abc".into(),
            state: CiState::Failure,
            checks: vec![
                Check {
                    name: "lint".into(),
                    state: CiState::Failure,
                    ..Check::default()
                },
                Check {
                    name: "test".into(),
                    state: CiState::Success,
                    ..Check::default()
                },
            ],
        };
        assert_eq!(ci.failing().collect::<Vec<_>>(), ["lint"]);
    }
}
