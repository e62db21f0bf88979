//! The attention queue's pure parts: the store's rows, the search's rows, the order and the
//! one-row-per-PR rule.

use super::*;
use crate::domain::{
    Commit, LocalId, PullRequest, Release, RepoDetails, RepoKey, Signature, TrackedRepo,
};

fn at(days_ago: i64) -> DateTime<Utc> {
    now() - Duration::days(days_ago)
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap()
}

fn tracked(local: u64, name: &str) -> TrackedRepo {
    TrackedRepo::new(LocalId(local), RepoKey::parse(name).unwrap(), at(100))
}

fn pr(number: u64, updated_days_ago: i64) -> PullRequest {
    PullRequest {
        number,
        title: format!("PR {number}"),
        url: format!("https://github.com/o/r/pull/{number}"),
        updated_at: Some(at(updated_days_ago)),
        ..PullRequest::default()
    }
}

fn release(tag: &str, days_ago: i64, draft: bool) -> Release {
    Release {
        tag: tag.into(),
        name: None,
        published_at: Some(at(days_ago)),
        prerelease: false,
        draft,
        url: format!("https://github.com/o/r/releases/tag/{tag}"),
    }
}

fn searched(repo: &str, number: u64) -> SearchedPr {
    SearchedPr {
        repo: repo.into(),
        number,
        title: format!("{repo}#{number}"),
        url: format!("https://github.com/{repo}/pull/{number}"),
        updated_at: Some(at(1)),
        draft: false,
        review_decision: None,
        ci: CiState::Success,
    }
}

#[test]
fn store_rows_are_failing_heads_new_releases_and_idle_prs() {
    let mut r = tracked(1, "o/r");
    r.head = Some(Commit {
        sha: "abcdef1234".into(),
        message: "break the build\n\nbody".into(),
        committer: Signature {
            date: Some(at(2)),
            ..Signature::default()
        },
        ci: Some(CiState::Failure),
        ..Commit::default()
    });
    let d = RepoDetails {
        pulls: vec![pr(1, 3), pr(2, 31), pr(3, 45)],
        releases: vec![
            release("v3", 1, false),
            release("v2-draft", 1, true),
            release("v1", 20, false),
        ],
        ..RepoDetails::default()
    };
    let rows = repo_rows(&r, Some(&d), at(5), now());
    let kinds: Vec<_> = rows.iter().map(|i| (i.reason, i.subject.clone())).collect();
    assert_eq!(
        kinds,
        vec![
            (
                AttentionReason::HeadFailing,
                AttentionSubject::Commit {
                    sha: "abcdef1234".into()
                }
            ),
            (
                AttentionReason::NewRelease,
                AttentionSubject::Release { tag: "v3".into() }
            ),
            (
                AttentionReason::Stale,
                AttentionSubject::PullRequest { number: 2 }
            ),
            (
                AttentionReason::Stale,
                AttentionSubject::PullRequest { number: 3 }
            ),
        ]
    );
    assert_eq!(rows[0].title, "break the build");
    assert!(rows.iter().all(|i| i.local == Some(LocalId(1))));
}

#[test]
fn a_passing_head_and_no_details_give_nothing() {
    let mut r = tracked(1, "o/r");
    r.head = Some(Commit {
        ci: Some(CiState::Success),
        ..Commit::default()
    });
    assert!(repo_rows(&r, None, at(5), now()).is_empty());
}

#[test]
fn never_looked_means_a_week_of_releases() {
    assert_eq!(cutoff(None, now()), at(NEW_RELEASE_DAYS));
    assert_eq!(cutoff(Some(at(1)), now()), at(1));
}

#[test]
fn search_rows_keep_review_requests_and_own_prs_that_need_work() {
    let mut changes = searched("me/app", 7);
    changes.review_decision = Some(ReviewDecision::ChangesRequested);
    let mut red = searched("Me/App", 8);
    red.ci = CiState::Failure;
    let fine = searched("me/app", 9);
    let s = AttentionSearch {
        login: "me".into(),
        review_requested: vec![searched("other/lib", 3)],
        authored: vec![changes, red, fine],
        ..AttentionSearch::default()
    };
    let rows = search_rows(&s, &[tracked(4, "me/app")]);
    let got: Vec<_> = rows.iter().map(|i| (i.reason, i.local)).collect();
    assert_eq!(
        got,
        vec![
            (AttentionReason::ReviewRequested, None),
            (AttentionReason::ChangesRequested, Some(LocalId(4))),
            (AttentionReason::CiFailing, Some(LocalId(4))),
        ],
        "tracked by name whatever its case; a fine own PR is not listed"
    );
}

#[test]
fn order_groups_by_reason_tracked_first_and_one_row_per_pr() {
    let s = AttentionSearch {
        review_requested: vec![searched("x/untracked", 1), searched("o/r", 2)],
        ..AttentionSearch::default()
    };
    let mut items = search_rows(&s, &[tracked(1, "o/r")]);
    // The same PR also idle in the store: listed once, as the review request.
    let r = tracked(1, "o/r");
    let d = RepoDetails {
        pulls: vec![pr(2, 40), pr(5, 60), pr(6, 35)],
        ..RepoDetails::default()
    };
    items.extend(repo_rows(&r, Some(&d), at(5), now()));
    let out = order(items);
    let got: Vec<_> = out
        .iter()
        .map(|i| (i.reason, i.repo.as_str(), i.subject.clone()))
        .collect();
    let pr_ = |n| AttentionSubject::PullRequest { number: n };
    assert_eq!(
        got,
        vec![
            (AttentionReason::ReviewRequested, "o/r", pr_(2)),
            (AttentionReason::ReviewRequested, "x/untracked", pr_(1)),
            (AttentionReason::Stale, "o/r", pr_(5)),
            (AttentionReason::Stale, "o/r", pr_(6)),
        ]
    );
}

#[test]
fn an_anonymous_client_is_told_to_set_a_token() {
    let state = search_failure(&GithubError::Unauthorized {
        origin: None,
        id: None,
    });
    let AttentionSearchState::Unavailable { message } = state else {
        panic!("{state:?}")
    };
    assert!(message.contains("repodeck token set"), "{message}");
}

#[test]
fn the_store_part_reads_every_tracked_repo() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(dir.path()).unwrap();
    store.add(&RepoKey::parse("o/r").unwrap()).unwrap();
    let (items, repos) = from_store(&store, at(5), now()).unwrap();
    assert!(items.is_empty());
    assert_eq!(repos.len(), 1);
    let SyncEvent::AttentionLoaded { search, seen, .. } = load_offline(&store, now(), "offline")
    else {
        panic!("no queue")
    };
    assert_eq!(seen, None);
    assert_eq!(
        search,
        AttentionSearchState::Unavailable {
            message: "offline".into()
        }
    );
}
