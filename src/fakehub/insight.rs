//! The insight data of the fake world, derived deterministically from the seed, the repository and
//! the commit or branch (so no existing draw order changes): commit signatures, CI of a commit
//! (check runs and commit statuses), branch protection rules and pull-request review state; plus
//! what the `set_ci` and `edit_protection` mutations override. Served by GraphQL and REST alike.

use super::data::{Detail, Item, Repo, mix};

/// A commit's signature: `None` = unsigned, else GitHub's `GitSignatureState`.
pub fn signature(seed: u64, sha: &str) -> Option<&'static str> {
    match mix(seed ^ hash(sha) ^ 0x5167) % 10 {
        0..=3 => None,
        4..=8 => Some("VALID"),
        _ => Some("UNKNOWN_KEY"),
    }
}

/// The REST `verification` object of a commit.
pub fn verification(seed: u64, sha: &str) -> serde_json::Value {
    match signature(seed, sha) {
        None => {
            serde_json::json!({"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null})
        }
        Some(state) => serde_json::json!({
            "verified": state == "VALID",
            "reason": if state == "VALID" { "valid".to_string() } else { state.to_ascii_lowercase() },
            "signature": "-----BEGIN PGP SIGNATURE-----\n\nwsBcBAABCAAQBQJfake\n-----END PGP SIGNATURE-----\n",
            "payload": format!("tree {sha}\n"),
            "verified_at": null,
        }),
    }
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// One check of a commit: a check run (`status`, `conclusion`) or a commit status (`state`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FakeCheck {
    Run {
        name: &'static str,
        status: &'static str,
        conclusion: Option<&'static str>,
    },
    Status {
        context: &'static str,
        state: &'static str,
    },
}

/// A commit's CI: the rollup state (`SUCCESS`, `FAILURE`, `PENDING`) and its checks; `None` =
/// no checks at all (GitHub's rollup is null).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeCi {
    pub state: &'static str,
    pub checks: Vec<FakeCheck>,
}

/// The checks every CI'd repo runs, in this order.
const RUNS: [&str; 3] = ["build", "test", "lint"];

/// The CI of commit `sha` of `repo`: an override set by `set_ci` for that commit, else derived
/// (about 1 commit in 8 fails, 1 in 12 is pending, 1 in 5 has no checks).
pub fn ci(seed: u64, repo: &Repo, detail: &Detail, sha: &str) -> Option<FakeCi> {
    let word = match detail.ci.iter().rev().find(|(s, _)| s == sha) {
        Some((_, w)) => *w,
        None => match mix(seed ^ repo.id ^ hash(sha)) % 24 {
            0..=2 => "FAILURE",
            3..=4 => "PENDING",
            5..=9 => "NONE",
            _ => "SUCCESS",
        },
    };
    let run = |name, status, conclusion| FakeCheck::Run {
        name,
        status,
        conclusion,
    };
    let checks = match word {
        "NONE" => return None,
        "FAILURE" => vec![
            run(RUNS[0], "COMPLETED", Some("SUCCESS")),
            run(RUNS[1], "COMPLETED", Some("FAILURE")),
            run(RUNS[2], "COMPLETED", Some("SUCCESS")),
            FakeCheck::Status {
                context: "ci/coverage",
                state: "ERROR",
            },
        ],
        "PENDING" => vec![
            run(RUNS[0], "COMPLETED", Some("SUCCESS")),
            run(RUNS[1], "IN_PROGRESS", None),
            run(RUNS[2], "QUEUED", None),
        ],
        _ => vec![
            run(RUNS[0], "COMPLETED", Some("SUCCESS")),
            run(RUNS[1], "COMPLETED", Some("SUCCESS")),
            run(RUNS[2], "COMPLETED", Some("SKIPPED")),
            FakeCheck::Status {
                context: "ci/coverage",
                state: "SUCCESS",
            },
        ],
    };
    let state = match word {
        "FAILURE" => "FAILURE",
        "PENDING" => "PENDING",
        _ => "SUCCESS",
    };
    Some(FakeCi { state, checks })
}

/// A protection rule's settings (GitHub's `BranchProtectionRule` fields repodeck reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRule {
    pub required_reviews: Option<i32>,
    pub required_checks: Vec<String>,
    pub admin_enforced: bool,
    pub force_pushes: bool,
    pub deletions: bool,
    pub linear_history: bool,
    pub signatures: bool,
}

/// The rule of a protected branch `name`: derived from the repo and branch, each
/// `edit_protection` on it requiring one more approving review.
pub fn rule(repo: &Repo, detail: &Detail, name: &str) -> FakeRule {
    let h = mix(repo.id ^ hash(name));
    let edits = detail
        .rule_edits
        .iter()
        .filter(|(b, _)| b == name)
        .map(|(_, n)| *n)
        .sum::<u32>();
    let reviews = (h % 3) as i32 + edits as i32;
    FakeRule {
        required_reviews: (reviews > 0).then_some(reviews),
        required_checks: if h.is_multiple_of(2) {
            vec!["build".into(), "test".into()]
        } else {
            Vec::new()
        },
        admin_enforced: h.is_multiple_of(5),
        force_pushes: false,
        deletions: false,
        linear_history: h.is_multiple_of(4),
        signatures: h.is_multiple_of(7),
    }
}

/// A pull request's review decision (`None` for about a third: no review required).
pub fn review_decision(repo: &Repo, it: &Item) -> Option<&'static str> {
    match mix(repo.id ^ u64::from(it.number) ^ 0x7265) % 6 {
        0 | 1 => None,
        2 => Some("APPROVED"),
        3 => Some("CHANGES_REQUESTED"),
        _ => Some("REVIEW_REQUIRED"),
    }
}

/// Whose review an open pull request requests (account indexes, not yet clamped): the viewer on
/// the PRs the attention search finds (`graphql::search_prs`), and one maintainer on every open
/// PR. REST's `requested_reviewers` and GraphQL's `reviewRequests` serve the same.
pub fn review_requests(repo: &Repo, it: &Item) -> Vec<usize> {
    if !it.open || !it.is_pr {
        return Vec::new();
    }
    let mut who: Vec<usize> = super::graphql::search_prs::requested_reviewer(repo.id, it)
        .into_iter()
        .collect();
    let maintainer = 2 + it.number as usize % 3;
    if !who.contains(&maintainer) {
        who.push(maintainer);
    }
    who
}

/// Whether an open pull request also asks the `core` team (every even-numbered one).
pub fn requests_team(it: &Item) -> bool {
    it.open && it.is_pr && it.number.is_multiple_of(2)
}

/// A pull request's mergeability.
pub fn mergeable(repo: &Repo, it: &Item) -> &'static str {
    match mix(repo.id ^ u64::from(it.number) ^ 0x6d65) % 8 {
        0 => "CONFLICTING",
        1 => "UNKNOWN",
        _ => "MERGEABLE",
    }
}

/// A pull request's size: (additions, deletions, changed files).
pub fn size(repo: &Repo, it: &Item) -> (i32, i32, i32) {
    let h = mix(repo.id ^ u64::from(it.number) ^ 0x7369);
    (
        (h % 400) as i32,
        ((h >> 16) % 200) as i32,
        ((h >> 32) % 20) as i32 + 1,
    )
}

/// The sha a pull request's head branch points at (its own, stable per PR).
pub fn head_sha(seed: u64, repo: &Repo, it: &Item) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        mix(seed ^ repo.id ^ u64::from(it.number)),
        mix(repo.id.wrapping_mul(31) ^ u64::from(it.number)),
        it.number
    )
}
