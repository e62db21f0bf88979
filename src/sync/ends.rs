//! Merged or closed, as GitHub says: after a detail fetch, the pull requests that left the stored
//! open list are looked up (one GraphQL query for a whole batch, or one REST request per PR on the
//! REST path) and their ends put on the snapshot for `diff`. Asked only when some PR left, so an
//! unchanged or a first sync costs nothing.

use std::collections::{HashMap, HashSet};

use crate::domain::{Priority, RepoKey, RepoSnapshot};
use crate::github::{GithubClient, GithubError, RepoTarget};

/// The stored open PR numbers of each repository about to be fetched, by its fetch target.
pub(super) type OpenPrs = HashMap<RepoTarget, HashSet<u64>>;

/// The PRs open before (`old`) that the fresh snapshot no longer lists, in order.
pub(super) fn left(old: Option<&HashSet<u64>>, snap: &RepoSnapshot) -> Vec<u64> {
    let Some(old) = old else {
        return Vec::new();
    };
    let now: HashSet<u64> = snap.details.pulls.iter().map(|p| p.number).collect();
    let mut gone: Vec<u64> = old.difference(&now).copied().collect();
    gone.sort_unstable();
    gone
}

/// The repository a snapshot is of, as GitHub named it (falling back to the target's name).
fn key_of(target: &RepoTarget, snap: &RepoSnapshot) -> Option<RepoKey> {
    RepoKey::parse(&snap.meta.full_name).ok().or(match target {
        RepoTarget::Name(k) => Some(k.clone()),
        RepoTarget::Node(_) => None,
    })
}

/// Fills `pr_ends` of every fetched snapshot that lost open PRs, in one GraphQL query. When that
/// query fails, those repositories fail with its error (nothing is recorded, the next pass asks
/// again): a merge is never guessed.
pub(super) async fn settle_graphql(
    client: &GithubClient,
    targets: &[RepoTarget],
    results: &mut [Result<RepoSnapshot, GithubError>],
    old: &OpenPrs,
    prio: Priority,
) {
    let mut asks = Vec::new();
    let mut at = Vec::new();
    for (i, (t, r)) in targets.iter().zip(results.iter()).enumerate() {
        let Ok(snap) = r else { continue };
        let gone = left(old.get(t), snap);
        if let (false, Some(key)) = (gone.is_empty(), key_of(t, snap)) {
            asks.push((key, gone));
            at.push(i);
        }
    }
    if asks.is_empty() {
        return;
    }
    match client.pr_ends(&asks, prio).await {
        Ok(ends) => {
            for (i, e) in at.into_iter().zip(ends) {
                if let Ok(snap) = &mut results[i] {
                    snap.pr_ends = e;
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, repos = at.len(), "sync: asking how pull requests ended failed");
            for i in at {
                results[i] = Err(e.clone());
            }
        }
    }
}

/// The REST path's [`settle_graphql`] for one repository.
pub(super) async fn settle_rest(
    client: &GithubClient,
    key: &RepoKey,
    snap: &mut RepoSnapshot,
    old: Option<&HashSet<u64>>,
    prio: Priority,
) -> Result<(), GithubError> {
    let gone = left(old, snap);
    if gone.is_empty() {
        return Ok(());
    }
    let key = RepoKey::parse(&snap.meta.full_name).unwrap_or_else(|_| key.clone());
    snap.pr_ends = client.rest_pr_ends(&key, &gone, prio).await?;
    Ok(())
}
