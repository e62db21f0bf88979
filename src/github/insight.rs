//! Wire -> domain for the insight fields: CI (`statusCheckRollup`, its check runs and commit
//! statuses), commit signatures (GraphQL `signature`, REST `verification`), branch protection
//! rules, pull-request review and merge state, and description bodies cut to a bounded length.
//! Decoded like every wire type in `convert` (nulls dropped first, every struct defaulted).

use serde::Deserialize;

use crate::domain::{
    Check, CiState, CiStatus, Mergeable, PrEnd, Protection, ReviewDecision, Verification,
};

/// The longest description body kept, in bytes (cut on a char boundary).
pub const BODY_MAX: usize = 8 * 1024;

/// `body` cut to at most [`BODY_MAX`] bytes, on a char boundary.
pub fn cut_body(mut body: String) -> String {
    if body.len() > BODY_MAX {
        let mut end = BODY_MAX;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    body
}

/// GitHub's `StatusState` (a rollup or a commit status) as a CI state.
pub fn status_state(s: &str) -> CiState {
    match s {
        "SUCCESS" | "success" => CiState::Success,
        "FAILURE" | "ERROR" | "failure" | "error" => CiState::Failure,
        "PENDING" | "EXPECTED" | "pending" | "expected" => CiState::Pending,
        _ => CiState::None,
    }
}

/// A check run's state from its `status` and `conclusion` (GraphQL's upper case or REST's lower).
pub fn check_run_state(status: &str, conclusion: Option<&str>) -> CiState {
    if !status.eq_ignore_ascii_case("COMPLETED") {
        return CiState::Pending;
    }
    match conclusion.map(str::to_ascii_uppercase).as_deref() {
        Some("SUCCESS" | "NEUTRAL" | "SKIPPED") => CiState::Success,
        Some(
            "FAILURE" | "TIMED_OUT" | "CANCELLED" | "ACTION_REQUIRED" | "STARTUP_FAILURE" | "STALE",
        ) => CiState::Failure,
        Some(_) => CiState::Failure,
        None => CiState::Pending,
    }
}

/// `statusCheckRollup { state }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GRollupState {
    pub state: String,
}

/// A commit's CI as far as fetched: `Some(None)` when GitHub has no rollup (no checks at all).
pub fn rollup_state(r: Option<GRollupState>) -> CiState {
    r.map_or(CiState::None, |r| status_state(&r.state))
}

/// One node of `contexts`: a `CheckRun` or a `StatusContext`, told apart by `__typename`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GContext {
    #[serde(rename = "__typename")]
    pub typename: String,
    pub name: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub details_url: Option<String>,
    pub context: String,
    pub state: String,
    pub target_url: Option<String>,
}

impl From<GContext> for Check {
    fn from(c: GContext) -> Self {
        if c.typename == "StatusContext" || (c.typename.is_empty() && !c.context.is_empty()) {
            let state = status_state(&c.state);
            let word = c.state.to_ascii_lowercase();
            Check {
                name: c.context,
                state,
                conclusion: matches!(word.as_str(), "error" | "expected").then_some(word),
                url: c.target_url,
            }
        } else {
            Check {
                state: check_run_state(&c.status, c.conclusion.as_deref()),
                name: c.name,
                conclusion: c.conclusion.map(|s| s.to_ascii_lowercase()),
                url: c.details_url,
            }
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GContexts {
    pub nodes: Vec<Option<GContext>>,
}

/// `statusCheckRollup { state contexts { nodes { ... } } }` of the default branch's head.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GRollup {
    pub state: String,
    pub contexts: Option<GContexts>,
}

/// Failing checks first, then pending, then the rest (stable within each).
pub fn sort_checks(checks: &mut [Check]) {
    let rank = |s: CiState| match s {
        CiState::Failure => 0,
        CiState::Pending => 1,
        _ => 2,
    };
    checks.sort_by_key(|c| rank(c.state));
}

/// The head's CI with its checks; a missing rollup is "no checks" (`CiState::None`).
pub fn ci_status(sha: &str, rollup: Option<GRollup>) -> CiStatus {
    let Some(r) = rollup else {
        return CiStatus {
            sha: sha.to_string(),
            ..CiStatus::default()
        };
    };
    let mut checks: Vec<Check> = r
        .contexts
        .map(|c| c.nodes.into_iter().flatten().map(Check::from).collect())
        .unwrap_or_default();
    sort_checks(&mut checks);
    CiStatus {
        sha: sha.to_string(),
        state: status_state(&r.state),
        checks,
    }
}

/// GraphQL `signature { isValid state }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GSignature {
    pub is_valid: bool,
    pub state: String,
}

/// A missing signature is unsigned; `VALID` is verified; any other state is GitHub's reason.
pub fn verification(s: Option<GSignature>) -> Verification {
    match s {
        None => Verification::Unsigned,
        Some(s) if s.is_valid || s.state == "VALID" => Verification::Verified,
        Some(s) => Verification::Unverified {
            reason: if s.state.is_empty() {
                "unknown".into()
            } else {
                s.state.to_ascii_lowercase()
            },
        },
    }
}

/// REST `commit.verification`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WireVerification {
    pub verified: bool,
    pub reason: String,
    pub signature: Option<String>,
}

impl From<WireVerification> for Verification {
    fn from(v: WireVerification) -> Self {
        if v.verified {
            Verification::Verified
        } else if v.reason == "unsigned" || (v.reason.is_empty() && v.signature.is_none()) {
            Verification::Unsigned
        } else {
            Verification::Unverified {
                reason: if v.reason.is_empty() {
                    "unknown".into()
                } else {
                    v.reason.to_ascii_lowercase()
                },
            }
        }
    }
}

/// GraphQL `branchProtectionRule { ... }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GProtectionRule {
    pub pattern: String,
    pub required_approving_review_count: Option<u32>,
    pub requires_approving_reviews: bool,
    pub required_status_check_contexts: Vec<Option<String>>,
    pub is_admin_enforced: bool,
    pub allows_force_pushes: bool,
    pub allows_deletions: bool,
    pub requires_linear_history: bool,
    pub requires_commit_signatures: bool,
}

impl From<GProtectionRule> for Protection {
    fn from(r: GProtectionRule) -> Self {
        Protection {
            required_reviews: r
                .requires_approving_reviews
                .then(|| r.required_approving_review_count.unwrap_or(0)),
            required_checks: r
                .required_status_check_contexts
                .into_iter()
                .flatten()
                .collect(),
            enforce_admins: r.is_admin_enforced,
            allow_force_pushes: r.allows_force_pushes,
            allow_deletions: r.allows_deletions,
            linear_history: r.requires_linear_history,
            signed_commits: r.requires_commit_signatures,
        }
    }
}

/// GitHub's `reviewDecision`; unknown words are no decision.
pub fn review_decision(s: Option<&str>) -> Option<ReviewDecision> {
    match s? {
        "APPROVED" => Some(ReviewDecision::Approved),
        "CHANGES_REQUESTED" => Some(ReviewDecision::ChangesRequested),
        "REVIEW_REQUIRED" => Some(ReviewDecision::ReviewRequired),
        _ => None,
    }
}

/// GitHub's `mergeable` (GraphQL `MergeableState`, or REST's `mergeable` boolean).
pub fn mergeable(s: Option<&str>) -> Mergeable {
    match s {
        Some("MERGEABLE") => Mergeable::Mergeable,
        Some("CONFLICTING") => Mergeable::Conflicting,
        _ => Mergeable::Unknown,
    }
}

/// `pullRequest(number: N) { number state }` of a pull request that left the open list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GPrState {
    pub number: u64,
    pub state: String,
}

/// How a pull request ended: `None` while it is open (it only left the fetched window).
pub fn pr_end(state: &str) -> Option<PrEnd> {
    match state {
        "MERGED" => Some(PrEnd::Merged),
        "CLOSED" => Some(PrEnd::Closed),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_cut_on_a_char_boundary() {
        let long = "é".repeat(BODY_MAX);
        let cut = cut_body(long);
        assert!(cut.len() <= BODY_MAX && cut.len() >= BODY_MAX - 1);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(cut_body("short".into()), "short");
    }

    #[test]
    fn check_runs_and_statuses_map_to_states() {
        assert_eq!(check_run_state("IN_PROGRESS", None), CiState::Pending);
        assert_eq!(
            check_run_state("COMPLETED", Some("SUCCESS")),
            CiState::Success
        );
        assert_eq!(
            check_run_state("COMPLETED", Some("TIMED_OUT")),
            CiState::Failure
        );
        assert_eq!(
            check_run_state("completed", Some("skipped")),
            CiState::Success
        );
        assert_eq!(status_state("ERROR"), CiState::Failure);
        assert_eq!(status_state("EXPECTED"), CiState::Pending);
        assert_eq!(rollup_state(None), CiState::None);
    }

    #[test]
    fn signatures_follow_githubs_states() {
        assert_eq!(verification(None), Verification::Unsigned);
        let valid = GSignature {
            is_valid: true,
            state: "VALID".into(),
        };
        assert_eq!(verification(Some(valid)), Verification::Verified);
        let bad = GSignature {
            is_valid: false,
            state: "UNKNOWN_KEY".into(),
        };
        assert_eq!(
            verification(Some(bad)),
            Verification::Unverified {
                reason: "unknown_key".into()
            }
        );
        let rest = WireVerification {
            verified: false,
            reason: "unsigned".into(),
            signature: None,
        };
        assert_eq!(Verification::from(rest), Verification::Unsigned);
    }
}
