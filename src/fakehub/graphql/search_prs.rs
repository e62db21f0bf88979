//! `search(type: ISSUE)` for pull requests, as GitHub answers the attention queue's query: the
//! qualifiers `is:pr`, `is:open` / `is:closed`, `review-requested:@me|LOGIN`, `author:@me|LOGIN`,
//! `archived:false|true` and `repo:OWNER/NAME`; `@me` is the viewer (octocat). Only pull requests
//! are returned (a query without `is:pr` still finds only them). Newest activity first.
//!
//! Deterministic data beside the seeded world (derived from the repository id and PR number, so
//! every run and every seed agrees): whose review a PR requests (about one PR in four, never its
//! own author's). Review decisions and CI rollups are the detail fetch's own (`fakehub::insight`). A child module of `graphql` so it
//! builds the parent's node types directly.

use std::sync::Arc;

use super::data::{self, OCTOCAT, World};
use super::{PullRequest, Repository, SearchResultItem};

/// splitmix64 of a PR's identity: the seed-independent dice of this module.
fn dice(repo_id: u64, number: u32, salt: u64) -> u64 {
    let mut z = repo_id
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(u64::from(number))
        .wrapping_add(salt.wrapping_mul(0xBF58_476D_1CE4_E5B9));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The account whose review the PR requests, if any: the viewer for about one PR in four (never
/// on their own PRs), otherwise nobody.
pub fn requested_reviewer(repo_id: u64, it: &data::Item) -> Option<usize> {
    (it.is_pr && it.user != OCTOCAT && dice(repo_id, it.number, 1).is_multiple_of(4))
        .then_some(OCTOCAT)
}

/// The qualifiers understood; anything else (free text) must appear in the title.
#[derive(Default)]
struct Qualifiers {
    open: Option<bool>,
    archived: Option<bool>,
    author: Option<usize>,
    reviewer: Option<usize>,
    repo: Option<String>,
    words: Vec<String>,
    /// A login that names nobody: nothing matches (GitHub answers an empty result).
    unknown_login: bool,
}

fn parse(w: &World, query: &str) -> Qualifiers {
    let mut q = Qualifiers::default();
    let login = |v: &str, q: &mut Qualifiers| {
        if v == "@me" {
            Some(OCTOCAT)
        } else {
            let found = w.account(v);
            q.unknown_login |= found.is_none();
            found
        }
    };
    for word in query.split_whitespace() {
        match word.split_once(':') {
            Some(("is", "open")) => q.open = Some(true),
            Some(("is", "closed")) => q.open = Some(false),
            Some(("is", _)) => {}
            Some(("archived", v)) => q.archived = Some(v == "true"),
            Some(("author", v)) => q.author = login(v, &mut q),
            Some(("review-requested", v)) => q.reviewer = login(v, &mut q),
            Some(("repo", v)) => q.repo = Some(v.to_ascii_lowercase()),
            _ => q.words.push(word.to_lowercase()),
        }
    }
    q
}

/// Every pull request `query` matches, newest activity first.
pub fn search(w: &Arc<World>, query: &str) -> Vec<SearchResultItem> {
    let q = parse(w, query);
    if q.unknown_login {
        return Vec::new();
    }
    let mut found: Vec<(i64, u64, u32, SearchResultItem)> = Vec::new();
    for r in &w.repos {
        if q.archived.is_some_and(|a| a != r.archived) {
            continue;
        }
        let repo = Repository::new(w, r.clone());
        if q.repo
            .as_ref()
            .is_some_and(|n| *n != repo.full_name().to_ascii_lowercase())
        {
            continue;
        }
        for it in repo.d().items.iter().filter(|i| i.is_pr) {
            let title = it.title.to_lowercase();
            let keep = q.open.is_none_or(|o| o == it.open)
                && q.author.is_none_or(|a| a == it.user)
                && q.reviewer
                    .is_none_or(|rv| it.open && requested_reviewer(r.id, it) == Some(rv))
                && q.words.iter().all(|w| title.contains(w.as_str()));
            if keep {
                let node = SearchResultItem::PullRequest(PullRequest(repo.item(it)));
                found.push((it.updated_at, r.id, it.number, node));
            }
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    found.into_iter().map(|(_, _, _, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_viewer_is_asked_for_reviews_and_authors_prs_needing_work() {
        let w = Arc::new(World::generate(7, 40));
        let review = search(&w, "is:pr is:open review-requested:@me archived:false");
        let mine = search(&w, "is:pr is:open author:@me archived:false");
        assert!(!review.is_empty(), "some PRs request octocat's review");
        assert!(!mine.is_empty(), "octocat authors some open PRs");
        let pr = |n: &SearchResultItem| match n {
            SearchResultItem::PullRequest(p) => p.clone(),
            SearchResultItem::Repository(_) => panic!("a repository in a PR search"),
        };
        for p in mine.iter().map(pr) {
            assert_eq!(p.0.it.user, OCTOCAT);
            assert!(p.0.it.open);
        }
        for p in review.iter().map(pr) {
            assert_ne!(p.0.it.user, OCTOCAT, "nobody reviews their own PR");
        }
        // Review decisions and CI come from the same place the detail fetch reads them.
        let needs_work = mine.iter().map(pr).filter(|p| {
            let (repo, it) = (&p.0.repo, &p.0.it);
            let seed = repo.w.seed;
            let head = crate::fakehub::insight::head_sha(seed, &repo.r, it);
            crate::fakehub::insight::review_decision(&repo.r, it) == Some("CHANGES_REQUESTED")
                || crate::fakehub::insight::ci(seed, &repo.r, repo.d(), &head)
                    .is_some_and(|c| c.state == "FAILURE")
        });
        assert!(
            needs_work.count() > 0,
            "some own PRs fail CI or have changes requested"
        );
        assert!(search(&w, "is:pr author:nobody-at-all").is_empty());
    }
}
