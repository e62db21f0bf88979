//! What the bulk detail fetch leaves out of pull requests and issues (labels, assignees, comment
//! counts, requested reviewers, the PR head's checks): connections per item, so they are fetched
//! per repository on demand (`SyncCommand::FetchItems`) and stored apart from the details. Each
//! entry is keyed to the item's `updatedAt` (and a PR's checks to its head and CI state), so an
//! entry older than the item is never shown as current: [`RepoDetails::with_extras`] lays only
//! matching entries over the details, and [`RepoDetails::extras_missing`] says when to ask again.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{CiStatus, RepoDetails};

/// The extras of one open pull request or issue, as of its `updated_at`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemExtra {
    pub number: u64,
    /// The item's `updatedAt` when fetched: a label, an assignee or a comment moves it.
    pub updated_at: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub assignees: Vec<String>,
    pub comments: u64,
    /// Pull requests only: logins (users) and slugs (teams) asked to review.
    pub requested_reviewers: Vec<String>,
    /// Pull requests only: the head's CI with its checks (`sha` names the head).
    pub ci: Option<CiStatus>,
}

/// One repository's item extras and when they were fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemExtras {
    pub fetched_at: Option<DateTime<Utc>>,
    pub pulls: Vec<ItemExtra>,
    pub issues: Vec<ItemExtra>,
}

fn entry(list: &[ItemExtra], number: u64) -> Option<&ItemExtra> {
    list.iter().find(|x| x.number == number)
}

/// An entry is current when it was fetched at or after the item's stored `updated_at`: one
/// newer than the details (a label added since the last sync, which moves only the item) is
/// more current than they are, one older describes an item that changed since.
fn current(e: &ItemExtra, updated_at: Option<DateTime<Utc>>) -> bool {
    e.updated_at >= updated_at
}

/// The fetched checks belong to the stored head CI: same head, same state.
fn checks_match(stored: &CiStatus, fetched: &CiStatus) -> bool {
    stored.sha == fetched.sha && stored.state == fetched.state
}

impl RepoDetails {
    /// The details with every extra that is still current laid over them. Values the details
    /// already carry (a REST sync fills labels and assignees itself) are kept.
    pub fn with_extras(mut self, x: &ItemExtras) -> RepoDetails {
        for pr in &mut self.pulls {
            let Some(e) = entry(&x.pulls, pr.number).filter(|e| current(e, pr.updated_at)) else {
                continue;
            };
            if pr.labels.is_empty() {
                pr.labels.clone_from(&e.labels);
            }
            if pr.assignees.is_empty() {
                pr.assignees.clone_from(&e.assignees);
            }
            if pr.requested_reviewers.is_empty() {
                pr.requested_reviewers.clone_from(&e.requested_reviewers);
            }
            if pr.comments == 0 {
                pr.comments = e.comments;
            }
            if let (Some(ci), Some(fetched)) = (pr.ci.as_mut(), e.ci.as_ref())
                && ci.checks.is_empty()
                && checks_match(ci, fetched)
            {
                ci.checks.clone_from(&fetched.checks);
            }
        }
        for issue in &mut self.issues {
            let Some(e) = entry(&x.issues, issue.number).filter(|e| current(e, issue.updated_at))
            else {
                continue;
            };
            if issue.labels.is_empty() {
                issue.labels.clone_from(&e.labels);
            }
            if issue.assignees.is_empty() {
                issue.assignees.clone_from(&e.assignees);
            }
            if issue.comments == 0 {
                issue.comments = e.comments;
            }
        }
        self
    }

    /// Whether some open item has no current extras (never fetched, or changed since), or a PR
    /// head's CI moved since its checks were read: the per-repo fetch is worth its points.
    pub fn extras_missing(&self, x: Option<&ItemExtras>) -> bool {
        let Some(x) = x else {
            return !self.pulls.is_empty() || !self.issues.is_empty();
        };
        let pr_stale = self.pulls.iter().any(|pr| {
            entry(&x.pulls, pr.number).is_none_or(|e| {
                let ci_moved = match (pr.ci.as_ref(), e.ci.as_ref()) {
                    (Some(s), Some(f)) => s.sha == f.sha && s.state != f.state,
                    _ => false,
                };
                !current(e, pr.updated_at) || ci_moved
            })
        });
        pr_stale
            || self
                .issues
                .iter()
                .any(|i| entry(&x.issues, i.number).is_none_or(|e| !current(e, i.updated_at)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Check, CiState, Issue, PullRequest};

    fn at(s: i64) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(1_767_225_600 + s, 0)
    }

    fn ci(sha: &str, state: CiState, checks: usize) -> CiStatus {
        CiStatus {
            sha: sha.into(),
            state,
            checks: (0..checks)
                .map(|i| Check {
                    name: format!("check {i}"),
                    state,
                    ..Check::default()
                })
                .collect(),
        }
    }

    fn details() -> RepoDetails {
        RepoDetails {
            pulls: vec![PullRequest {
                number: 7,
                updated_at: at(10),
                head_sha: "aaa".into(),
                ci: Some(ci("aaa", CiState::Failure, 0)),
                ..PullRequest::default()
            }],
            issues: vec![Issue {
                number: 3,
                updated_at: at(20),
                ..Issue::default()
            }],
            ..RepoDetails::default()
        }
    }

    fn extras(pr_at: i64, issue_at: i64, pr_ci: CiStatus) -> ItemExtras {
        ItemExtras {
            fetched_at: at(30),
            pulls: vec![ItemExtra {
                number: 7,
                updated_at: at(pr_at),
                labels: vec!["bug".into()],
                assignees: vec!["octocat".into()],
                comments: 4,
                requested_reviewers: vec!["hubot".into(), "core".into()],
                ci: Some(pr_ci),
            }],
            issues: vec![ItemExtra {
                number: 3,
                updated_at: at(issue_at),
                labels: vec!["documentation".into()],
                assignees: vec!["monalisa".into()],
                comments: 2,
                ..ItemExtra::default()
            }],
        }
    }

    #[test]
    fn current_extras_are_laid_over_and_nothing_is_missing() {
        let x = extras(10, 20, ci("aaa", CiState::Failure, 2));
        let d = details().with_extras(&x);
        let pr = &d.pulls[0];
        assert_eq!(pr.labels, ["bug"]);
        assert_eq!(pr.assignees, ["octocat"]);
        assert_eq!(pr.requested_reviewers, ["hubot", "core"]);
        assert_eq!(pr.comments, 4);
        assert_eq!(pr.ci.as_ref().map(|c| c.checks.len()), Some(2));
        assert_eq!(d.issues[0].labels, ["documentation"]);
        assert_eq!(d.issues[0].comments, 2);
        assert!(!details().extras_missing(Some(&x)));
    }

    #[test]
    fn extras_older_than_the_item_are_not_shown_and_are_asked_again() {
        let x = extras(9, 19, ci("aaa", CiState::Failure, 2));
        let d = details().with_extras(&x);
        assert!(d.pulls[0].labels.is_empty());
        assert_eq!(d.pulls[0].comments, 0);
        assert!(d.issues[0].labels.is_empty());
        assert!(details().extras_missing(Some(&x)));
        assert!(details().extras_missing(None));
        assert!(!RepoDetails::default().extras_missing(None));
    }

    #[test]
    fn checks_of_another_head_or_state_are_not_shown() {
        for (stale, ask_again) in [
            // A newer head than the details know: the next sync brings it; asking again now
            // would fetch the same.
            (ci("bbb", CiState::Failure, 2), false),
            // The same head's CI moved since: its checks are worth reading again.
            (ci("aaa", CiState::Success, 2), true),
        ] {
            let x = extras(10, 20, stale);
            let d = details().with_extras(&x);
            assert_eq!(d.pulls[0].ci.as_ref().map(|c| c.checks.len()), Some(0));
            assert_eq!(d.pulls[0].labels, ["bug"], "the rest still applies");
            assert_eq!(details().extras_missing(Some(&x)), ask_again);
        }
    }

    #[test]
    fn extras_newer_than_the_details_are_shown() {
        // A label added since the last sync moves only the item, not the repository.
        let x = extras(15, 25, ci("aaa", CiState::Failure, 2));
        let d = details().with_extras(&x);
        assert_eq!(d.pulls[0].labels, ["bug"]);
        assert_eq!(d.issues[0].labels, ["documentation"]);
        assert!(!details().extras_missing(Some(&x)));
    }

    #[test]
    fn values_a_rest_sync_filled_are_kept() {
        let mut d = details();
        d.issues[0].labels = vec!["bug".into()];
        d.issues[0].comments = 9;
        let d = d.with_extras(&extras(10, 20, ci("aaa", CiState::Failure, 0)));
        assert_eq!(d.issues[0].labels, ["bug"]);
        assert_eq!(d.issues[0].comments, 9);
    }
}
