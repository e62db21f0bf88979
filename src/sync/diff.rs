//! Change detection: compares the stored copy of a repo with a fresh snapshot and emits the
//! [`Change`] records of the activity feed. Pure functions, no I/O; `job.rs` calls them and writes
//! the result in the same batch as the new snapshot.
//!
//! A repo's first sync yields no changes (everything would be "new"). Lists GitHub truncates
//! (open PRs and issues, the last commits and releases) are compared with care so that an item
//! falling out of the window is not reported as closed, nor one entering it as opened.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::domain::{
    Branch, COMMIT_WINDOW, Change, Issue, PullRequest, RepoDetails, RepoMeta, RepoSnapshot,
    TrackedRepo,
};

/// Every change between `old` (as stored, with its detail lists) and `new` (just fetched).
pub fn diff(
    old: &TrackedRepo,
    old_details: Option<&RepoDetails>,
    new: &RepoSnapshot,
) -> Vec<Change> {
    let Some(om) = old.meta.as_ref() else {
        return Vec::new();
    };
    let nm = &new.meta;
    let mut out = Vec::new();
    if old.status == crate::domain::SyncStatus::Inaccessible {
        out.push(Change::Accessible);
    }
    out.extend(meta_changes(om, nm));

    // Commits are compared on one branch only: after a default-branch switch the head moving is
    // the switch itself, already reported.
    let mut new_commits = 0u64;
    if om.default_branch == nm.default_branch {
        let commits = commit_change(old, new);
        if let Some(Change::NewCommits { count, .. }) = &commits {
            new_commits = *count;
        }
        out.extend(commits);
    }

    out.extend(new_releases(old, old_details, new));

    if let Some(od) = old_details {
        out.extend(pull_changes(od, om.open_prs, new, new_commits));
        out.extend(issue_changes(od, om.open_issues, new));
        out.extend(branch_changes(&od.branches, &new.details.branches));
    }

    let stars = nm.stars as i64 - om.stars as i64;
    if stars != 0 {
        out.push(Change::Stars { delta: stars });
    }
    let forks = nm.forks as i64 - om.forks as i64;
    if forks != 0 {
        out.push(Change::Forks { delta: forks });
    }
    out
}

/// Name, visibility, archiving, default branch, description and topics.
fn meta_changes(om: &RepoMeta, nm: &RepoMeta) -> Vec<Change> {
    let mut out = Vec::new();
    if om.full_name != nm.full_name && !nm.full_name.is_empty() {
        out.push(Change::Renamed {
            old: om.full_name.clone(),
            new: nm.full_name.clone(),
        });
    }
    if om.private != nm.private {
        out.push(Change::VisibilityChanged {
            private: nm.private,
        });
    }
    match (om.archived, nm.archived) {
        (false, true) => out.push(Change::Archived),
        (true, false) => out.push(Change::Unarchived),
        _ => {}
    }
    if om.default_branch != nm.default_branch {
        out.push(Change::DefaultBranchChanged {
            old: om.default_branch.clone(),
            new: nm.default_branch.clone(),
        });
    }
    if om.description != nm.description {
        out.push(Change::DescriptionChanged {
            old: om.description.clone(),
            new: nm.description.clone(),
        });
    }
    let old_topics: BTreeSet<&String> = om.topics.iter().collect();
    let new_topics: BTreeSet<&String> = nm.topics.iter().collect();
    if old_topics != new_topics {
        out.push(Change::TopicsChanged {
            added: new_topics
                .difference(&old_topics)
                .map(|s| (*s).clone())
                .collect(),
            removed: old_topics
                .difference(&new_topics)
                .map(|s| (*s).clone())
                .collect(),
        });
    }
    out
}

/// The fewest branches a fetch may cut a list at (GraphQL's `refs(first: 100)`).
const BRANCH_WINDOW: usize = 100;

/// Branches created, deleted, protected or unprotected. Only between complete lists: a list
/// as long as the fetch window may be cut, and an empty one (a repo without commits, or a
/// snapshot without its lists) says nothing, so neither is compared.
fn branch_changes(old: &[Branch], new: &[Branch]) -> Vec<Change> {
    let complete = |l: &[Branch]| !l.is_empty() && l.len() < BRANCH_WINDOW;
    if !complete(old) || !complete(new) {
        return Vec::new();
    }
    let before: HashMap<&str, bool> = old.iter().map(|b| (b.name.as_str(), b.protected)).collect();
    let after: HashMap<&str, bool> = new.iter().map(|b| (b.name.as_str(), b.protected)).collect();
    let mut out = Vec::new();
    for b in new {
        match before.get(b.name.as_str()) {
            None => out.push(Change::BranchCreated {
                name: b.name.clone(),
            }),
            Some(was) if *was != b.protected => out.push(Change::BranchProtection {
                name: b.name.clone(),
                protected: b.protected,
            }),
            Some(_) => {}
        }
    }
    out.extend(
        old.iter()
            .filter(|b| !after.contains_key(b.name.as_str()))
            .map(|b| Change::BranchDeleted {
                name: b.name.clone(),
            }),
    );
    out
}

/// Pull requests opened, merged and closed since the stored list (`old_open` open then).
fn pull_changes(
    od: &RepoDetails,
    old_open: u64,
    new: &RepoSnapshot,
    new_commits: u64,
) -> Vec<Change> {
    let nd = &new.details;
    let (opened, closed) = open_list_delta(
        &od.pulls,
        old_open,
        &nd.pulls,
        new.meta.open_prs,
        |p: &PullRequest| (p.number, p.updated_at),
    );
    let old_by_number: HashMap<u64, &PullRequest> =
        od.pulls.iter().map(|p| (p.number, p)).collect();
    let new_by_number: HashMap<u64, &PullRequest> =
        nd.pulls.iter().map(|p| (p.number, p)).collect();
    let mut out: Vec<Change> = opened
        .into_iter()
        .filter_map(|n| {
            new_by_number.get(&n).map(|p| Change::PrOpened {
                number: n,
                title: p.title.clone(),
            })
        })
        .collect();
    let merged = merged_prs(&closed, new_commits, new);
    for n in closed {
        if let Some(p) = old_by_number.get(&n) {
            let title = p.title.clone();
            out.push(if merged.contains(&n) {
                Change::PrMerged { number: n, title }
            } else {
                Change::PrClosed { number: n, title }
            });
        }
    }
    out
}

/// Issues opened and closed since the stored list (`old_open` open then).
fn issue_changes(od: &RepoDetails, old_open: u64, new: &RepoSnapshot) -> Vec<Change> {
    let nd = &new.details;
    let (opened, closed) = open_list_delta(
        &od.issues,
        old_open,
        &nd.issues,
        new.meta.open_issues,
        |i: &Issue| (i.number, i.updated_at),
    );
    let old_issues: HashMap<u64, &Issue> = od.issues.iter().map(|i| (i.number, i)).collect();
    let new_issues: HashMap<u64, &Issue> = nd.issues.iter().map(|i| (i.number, i)).collect();
    let opened = opened.into_iter().filter_map(|n| {
        new_issues.get(&n).map(|i| Change::IssueOpened {
            number: n,
            title: i.title.clone(),
        })
    });
    let closed = closed.into_iter().filter_map(|n| {
        old_issues.get(&n).map(|i| Change::IssueClosed {
            number: n,
            title: i.title.clone(),
        })
    });
    opened.chain(closed).collect()
}

/// The change a repo going missing makes: reported once, when it was still accessible before.
pub fn inaccessible(old: &TrackedRepo) -> Vec<Change> {
    if old.status == crate::domain::SyncStatus::Inaccessible || old.meta.is_none() {
        Vec::new()
    } else {
        vec![Change::Inaccessible]
    }
}

/// New commits on the default branch, or a force push when the old head is no longer an ancestor.
fn commit_change(old: &TrackedRepo, new: &RepoSnapshot) -> Option<Change> {
    let old_head = old.head.as_ref()?;
    let new_head = new.head.as_ref().or_else(|| new.details.commits.first())?;
    if old_head.sha == new_head.sha {
        return None;
    }
    let list = &new.details.commits;
    if let Some(pos) = list.iter().position(|c| c.sha == old_head.sha) {
        return Some(Change::NewCommits {
            count: pos as u64,
            head: new_head.sha.clone(),
        });
    }
    // Not in the window we see. If the window is the whole history, or it reaches back past the old
    // head's date, the old head was rewritten away; otherwise there are simply more new commits than
    // the window holds.
    let full_window = list.len() >= COMMIT_WINDOW;
    let oldest = list.last().and_then(|c| c.committer.date.or(c.author.date));
    let old_date = old_head.committer.date.or(old_head.author.date);
    let beyond_window = match (oldest, old_date) {
        (Some(oldest), Some(old_date)) => old_date < oldest,
        _ => false,
    };
    if full_window && beyond_window {
        Some(Change::NewCommits {
            count: list.len() as u64,
            head: new_head.sha.clone(),
        })
    } else {
        Some(Change::ForcePushed {
            old_head: old_head.sha.clone(),
            new_head: new_head.sha.clone(),
        })
    }
}

/// Releases present now and not before, oldest first. Drafts are not announced.
fn new_releases(
    old: &TrackedRepo,
    old_details: Option<&RepoDetails>,
    new: &RepoSnapshot,
) -> Vec<Change> {
    let known: HashSet<&str> = match old_details {
        Some(d) => d.releases.iter().map(|r| r.tag.as_str()).collect(),
        None => old.latest_release.iter().map(String::as_str).collect(),
    };
    let mut out: Vec<Change> = new
        .details
        .releases
        .iter()
        .filter(|r| !r.draft && !known.contains(r.tag.as_str()))
        .map(|r| Change::NewRelease { tag: r.tag.clone() })
        .collect();
    if old_details.is_none()
        && out.is_empty()
        && new.latest_release != old.latest_release
        && let Some(tag) = &new.latest_release
    {
        out.push(Change::NewRelease { tag: tag.clone() });
    }
    // Drop releases older than the window's edge when the old list was full: they fell out, they
    // are not new. With a list ordered newest first, only a prefix can be genuinely new.
    if let Some(d) = old_details
        && let Some(newest_known) = new
            .details
            .releases
            .iter()
            .position(|r| known.contains(r.tag.as_str()))
        && !d.releases.is_empty()
    {
        let fresh: HashSet<&str> = new.details.releases[..newest_known]
            .iter()
            .map(|r| r.tag.as_str())
            .collect();
        out.retain(|c| matches!(c, Change::NewRelease { tag } if fresh.contains(tag.as_str())));
    }
    out.reverse();
    out
}

/// Numbers opened and closed between two (possibly truncated) lists of open items.
///
/// Opened: absent before, and either the old list was complete or the number is higher than any
/// seen (numbers only grow, so a lower one merely moved into the window). Closed: absent now, and
/// either the new list is complete or the item was updated at least as recently as the oldest item
/// in the new window (an item that merely fell out of the window is older than all of it).
fn open_list_delta<T>(
    old: &[T],
    old_total: u64,
    new: &[T],
    new_total: u64,
    key: impl Fn(&T) -> (u64, Option<chrono::DateTime<chrono::Utc>>),
) -> (Vec<u64>, Vec<u64>) {
    let old_numbers: HashSet<u64> = old.iter().map(|i| key(i).0).collect();
    let new_numbers: HashSet<u64> = new.iter().map(|i| key(i).0).collect();
    let old_complete = old.len() as u64 >= old_total;
    let new_complete = new.len() as u64 >= new_total;
    let old_max = old_numbers.iter().copied().max().unwrap_or(0);
    let new_oldest_update = new.iter().filter_map(|i| key(i).1).min();
    let mut opened: Vec<u64> = new
        .iter()
        .map(|i| key(i).0)
        .filter(|n| !old_numbers.contains(n) && (old_complete || *n > old_max))
        .collect();
    let mut closed: Vec<u64> = old
        .iter()
        .filter(|i| {
            let (n, updated) = key(i);
            !new_numbers.contains(&n)
                && (new_complete
                    || match (updated, new_oldest_update) {
                        (Some(u), Some(edge)) => u >= edge,
                        _ => false,
                    })
        })
        .map(|i| key(i).0)
        .collect();
    opened.sort_unstable();
    closed.sort_unstable();
    (opened, closed)
}

/// Which closed PRs were merged. The open list alone cannot tell: a PR whose number a new commit
/// mentions (`#N`) was merged; failing any mention, PRs that closed while new commits arrived on the
/// default branch count as merged, and PRs that closed with no new commits as closed unmerged.
fn merged_prs(closed: &[u64], new_commits: u64, new: &RepoSnapshot) -> HashSet<u64> {
    if closed.is_empty() || new_commits == 0 {
        return HashSet::new();
    }
    let fresh = &new.details.commits[..(new_commits as usize).min(new.details.commits.len())];
    let mentioned: HashSet<u64> = closed
        .iter()
        .copied()
        .filter(|n| fresh.iter().any(|c| mentions(&c.message, *n)))
        .collect();
    if mentioned.is_empty() {
        closed.iter().copied().collect()
    } else {
        mentioned
    }
}

/// Whether `text` mentions `#n` as a whole number.
fn mentions(text: &str, n: u64) -> bool {
    let needle = format!("#{n}");
    text.match_indices(&needle).any(|(i, m)| {
        !text[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::{
        Commit, LocalId, Release, RepoId, RepoKey, RepoMeta, Signature, SyncStatus,
    };

    fn t(minute: i64) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).single().unwrap() + Duration::minutes(minute)
    }

    fn commit(sha: &str, minute: i64, message: &str) -> Commit {
        let sig = Signature {
            name: "a".into(),
            email: "a@x".into(),
            login: None,
            date: Some(t(minute)),
        };
        Commit {
            sha: sha.into(),
            message: message.into(),
            author: sig.clone(),
            committer: sig,
            ..Commit::default()
        }
    }

    fn pr(number: u64, minute: i64) -> PullRequest {
        PullRequest {
            number,
            title: format!("pr {number}"),
            updated_at: Some(t(minute)),
            ..PullRequest::default()
        }
    }

    fn issue(number: u64, minute: i64) -> Issue {
        Issue {
            number,
            title: format!("issue {number}"),
            updated_at: Some(t(minute)),
            ..Issue::default()
        }
    }

    fn release(tag: &str) -> Release {
        Release {
            tag: tag.into(),
            ..Release::default()
        }
    }

    /// A snapshot with three commits c3 (head), c2, c1, two open PRs, two open issues, one release.
    fn base() -> RepoSnapshot {
        let commits = vec![
            commit("c3", 3, "three"),
            commit("c2", 2, "two"),
            commit("c1", 1, "one"),
        ];
        RepoSnapshot {
            meta: RepoMeta {
                id: RepoId(7),
                node_id: "R_7".into(),
                full_name: "o/r".into(),
                description: Some("d".into()),
                default_branch: "main".into(),
                stars: 10,
                forks: 2,
                open_prs: 2,
                open_issues: 2,
                topics: vec!["a".into(), "b".into()],
                ..RepoMeta::default()
            },
            head: Some(commits[0].clone()),
            latest_release: Some("v1".into()),
            details: RepoDetails {
                commits,
                branches: vec![],
                pulls: vec![pr(1, 1), pr(2, 2)],
                issues: vec![issue(3, 1), issue(4, 2)],
                releases: vec![release("v1")],
                ..Default::default()
            },
        }
    }

    fn stored(s: &RepoSnapshot) -> (TrackedRepo, RepoDetails) {
        let mut r = TrackedRepo::new(LocalId(1), RepoKey::parse(&s.meta.full_name).unwrap(), t(0));
        r.id = Some(s.meta.id);
        r.status = SyncStatus::Synced;
        r.meta = Some(s.meta.clone());
        r.head = s.head.clone();
        r.latest_release = s.latest_release.clone();
        (r, s.details.clone())
    }

    fn changes(old: &RepoSnapshot, new: &RepoSnapshot) -> Vec<Change> {
        let (r, d) = stored(old);
        diff(&r, Some(&d), new)
    }

    fn push(s: &mut RepoSnapshot, shas: &[(&str, &str)]) {
        for (i, (sha, msg)) in shas.iter().enumerate() {
            s.details.commits.insert(0, commit(sha, 10 + i as i64, msg));
        }
        s.head = s.details.commits.first().cloned();
    }

    #[test]
    fn identical_snapshots_have_no_changes() {
        assert_eq!(changes(&base(), &base()), vec![]);
    }

    #[test]
    fn first_sync_has_no_changes() {
        let r = TrackedRepo::new(LocalId(1), RepoKey::parse("o/r").unwrap(), t(0));
        assert_eq!(diff(&r, None, &base()), vec![]);
    }

    #[test]
    fn new_commits_are_counted() {
        let mut new = base();
        push(&mut new, &[("c4", "four"), ("c5", "five")]);
        assert_eq!(
            changes(&base(), &new),
            vec![Change::NewCommits {
                count: 2,
                head: "c5".into()
            }]
        );
    }

    #[test]
    fn rewritten_head_is_a_force_push() {
        let mut new = base();
        new.details.commits.remove(0);
        push(&mut new, &[("x3", "rewritten")]);
        assert_eq!(
            changes(&base(), &new),
            vec![Change::ForcePushed {
                old_head: "c3".into(),
                new_head: "x3".into()
            }]
        );
    }

    #[test]
    fn more_new_commits_than_the_window_are_not_a_force_push() {
        let mut new = base();
        new.details.commits.clear();
        for i in 0..COMMIT_WINDOW {
            new.details
                .commits
                .insert(0, commit(&format!("n{i}"), 100 + i as i64, "n"));
        }
        new.head = new.details.commits.first().cloned();
        let got = changes(&base(), &new);
        assert_eq!(
            got,
            vec![Change::NewCommits {
                count: COMMIT_WINDOW as u64,
                head: "n29".into()
            }]
        );
    }

    #[test]
    fn stars_and_forks_deltas() {
        let mut new = base();
        new.meta.stars = 7;
        new.meta.forks = 5;
        assert_eq!(
            changes(&base(), &new),
            vec![Change::Stars { delta: -3 }, Change::Forks { delta: 3 }]
        );
    }

    #[test]
    fn description_change() {
        let mut new = base();
        new.meta.description = None;
        assert_eq!(
            changes(&base(), &new),
            vec![Change::DescriptionChanged {
                old: Some("d".into()),
                new: None
            }]
        );
    }

    #[test]
    fn topics_change_lists_added_and_removed() {
        let mut new = base();
        new.meta.topics = vec!["b".into(), "c".into()];
        assert_eq!(
            changes(&base(), &new),
            vec![Change::TopicsChanged {
                added: vec!["c".into()],
                removed: vec!["a".into()]
            }]
        );
        let mut reordered = base();
        reordered.meta.topics.reverse();
        assert_eq!(
            changes(&base(), &reordered),
            vec![],
            "order alone is no change"
        );
    }

    #[test]
    fn default_branch_change_does_not_report_commits() {
        let mut new = base();
        new.meta.default_branch = "dev".into();
        push(&mut new, &[("d1", "on dev")]);
        assert_eq!(
            changes(&base(), &new),
            vec![Change::DefaultBranchChanged {
                old: "main".into(),
                new: "dev".into()
            }]
        );
    }

    #[test]
    fn branches_created_deleted_and_protected_only_between_complete_lists() {
        let br = |name: &str, protected: bool| Branch {
            name: name.into(),
            head_sha: "c3".into(),
            protected,
            ..Default::default()
        };
        let mut old = base();
        old.details.branches = vec![br("main", false), br("develop", false), br("gone", false)];
        let mut new = old.clone();
        new.details.branches = vec![br("main", true), br("develop", false), br("feature", false)];
        assert_eq!(
            changes(&old, &new),
            vec![
                Change::BranchProtection {
                    name: "main".into(),
                    protected: true
                },
                Change::BranchCreated {
                    name: "feature".into()
                },
                Change::BranchDeleted {
                    name: "gone".into()
                },
            ]
        );
        // A list as long as the fetch window may be cut: nothing is concluded from it.
        let mut full = old.clone();
        full.details.branches = (0..100).map(|i| br(&format!("b{i:03}"), false)).collect();
        assert_eq!(changes(&old, &full), vec![]);
        assert_eq!(changes(&full, &old), vec![]);
        // Nor from an empty list (a snapshot without its lists).
        let mut empty = old.clone();
        empty.details.branches.clear();
        assert_eq!(changes(&old, &empty), vec![]);
    }

    #[test]
    fn archive_and_unarchive() {
        let mut new = base();
        new.meta.archived = true;
        assert_eq!(changes(&base(), &new), vec![Change::Archived]);
        assert_eq!(changes(&new, &base()), vec![Change::Unarchived]);
    }

    #[test]
    fn visibility_change() {
        let mut new = base();
        new.meta.private = true;
        assert_eq!(
            changes(&base(), &new),
            vec![Change::VisibilityChanged { private: true }]
        );
    }

    #[test]
    fn new_releases_oldest_first_and_drafts_skipped() {
        let mut new = base();
        new.details.releases.insert(0, release("v2"));
        new.details.releases.insert(
            0,
            Release {
                draft: true,
                ..release("v3-draft")
            },
        );
        new.details.releases.insert(0, release("v4"));
        new.latest_release = Some("v4".into());
        assert_eq!(
            changes(&base(), &new),
            vec![
                Change::NewRelease { tag: "v2".into() },
                Change::NewRelease { tag: "v4".into() }
            ]
        );
    }

    #[test]
    fn release_without_stored_details_uses_latest_tag() {
        let (r, _) = stored(&base());
        let mut new = base();
        new.details.releases.clear();
        new.latest_release = Some("v9".into());
        assert_eq!(
            diff(&r, None, &new),
            vec![Change::NewRelease { tag: "v9".into() }]
        );
    }

    #[test]
    fn pr_opened_and_closed_without_commits() {
        let mut new = base();
        new.details.pulls.retain(|p| p.number != 1);
        new.details.pulls.push(pr(9, 9));
        assert_eq!(
            changes(&base(), &new),
            vec![
                Change::PrOpened {
                    number: 9,
                    title: "pr 9".into()
                },
                Change::PrClosed {
                    number: 1,
                    title: "pr 1".into()
                }
            ]
        );
    }

    #[test]
    fn pr_closed_with_new_commits_is_merged() {
        let mut new = base();
        new.details.pulls.retain(|p| p.number != 2);
        new.meta.open_prs = 1;
        push(&mut new, &[("m1", "Merge branch patch")]);
        assert_eq!(
            changes(&base(), &new),
            vec![
                Change::NewCommits {
                    count: 1,
                    head: "m1".into()
                },
                Change::PrMerged {
                    number: 2,
                    title: "pr 2".into()
                }
            ]
        );
    }

    #[test]
    fn commit_mentions_decide_which_pr_merged() {
        let mut new = base();
        new.details.pulls.clear();
        new.meta.open_prs = 0;
        push(&mut new, &[("m1", "Merge pull request #2 from x/y")]);
        let got = changes(&base(), &new);
        assert!(
            got.contains(&Change::PrMerged {
                number: 2,
                title: "pr 2".into()
            }),
            "{got:?}"
        );
        assert!(
            got.contains(&Change::PrClosed {
                number: 1,
                title: "pr 1".into()
            }),
            "{got:?}"
        );
        assert!(mentions("fix (#12)", 12) && !mentions("fix #123", 12));
    }

    #[test]
    fn issues_opened_and_closed() {
        let mut new = base();
        new.details.issues.retain(|i| i.number != 3);
        new.details.issues.push(issue(10, 10));
        assert_eq!(
            changes(&base(), &new),
            vec![
                Change::IssueOpened {
                    number: 10,
                    title: "issue 10".into()
                },
                Change::IssueClosed {
                    number: 3,
                    title: "issue 3".into()
                }
            ]
        );
    }

    #[test]
    fn truncated_lists_do_not_invent_opens_or_closes() {
        // 60 open PRs, 50 in the window; PR 5 gets updated and enters it, PR 55 (old) falls out.
        let mut old = base();
        old.meta.open_prs = 60;
        old.details.pulls = (6..=55).map(|n| pr(n, n as i64)).collect();
        let mut new = old.clone();
        new.details.pulls = (5..=54)
            .map(|n| pr(n, if n == 5 { 100 } else { n as i64 + 1 }))
            .collect();
        // PR 6, the least recently updated, falls out of the window.
        new.details.pulls.retain(|p| p.number != 6);
        new.details.pulls.push(pr(55, 56));
        assert_eq!(
            changes(&old, &new),
            vec![],
            "moving in and out of the window is no change"
        );
    }

    #[test]
    fn rename_is_reported() {
        let mut new = base();
        new.meta.full_name = "o/renamed".into();
        assert_eq!(
            changes(&base(), &new),
            vec![Change::Renamed {
                old: "o/r".into(),
                new: "o/renamed".into()
            }]
        );
    }

    #[test]
    fn inaccessible_is_reported_once() {
        let (mut r, _) = stored(&base());
        assert_eq!(inaccessible(&r), vec![Change::Inaccessible]);
        r.status = SyncStatus::Inaccessible;
        assert_eq!(inaccessible(&r), vec![]);
        let never = TrackedRepo::new(LocalId(2), RepoKey::parse("o/x").unwrap(), t(0));
        assert_eq!(inaccessible(&never), vec![]);
    }
}
