//! The attention queue (`SyncCommand::Attention`): the store's rows at no cost (default-branch
//! heads failing CI, releases since the last look, open pull requests idle for 30 days) merged
//! with GitHub's search (`github::attention`: review requests, the user's own PRs with failing CI
//! or changes requested; 1 point). Tracked repositories come first in each group; rows of
//! repositories that are not tracked are kept and marked (`local: None`): a review request is
//! the user's business wherever it is. One row per pull request, under its most pressing reason.
//!
//! Run by the engine (sharing its client and rate budget, also for attached views) and, without
//! an engine, by the TUI's runtime for the store's rows alone.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use super::SyncEvent;
use crate::domain::{
    AttentionItem, AttentionReason, AttentionSearch, AttentionSearchState, AttentionSubject,
    CiState, NEW_RELEASE_DAYS, ReviewDecision, STALE_DAYS, SearchedPr, TrackedRepo,
};
use crate::github::{GithubClient, GithubError};
use crate::store::{Store, StoreError};

/// Releases newer than this are new: the last look, or [`NEW_RELEASE_DAYS`] before `now`.
pub fn cutoff(seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
    seen.unwrap_or(now - Duration::days(NEW_RELEASE_DAYS))
}

/// The store's rows for one repository (its details may be missing: never synced).
pub fn repo_rows(
    r: &TrackedRepo,
    details: Option<&crate::domain::RepoDetails>,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<AttentionItem> {
    let repo = r.key.to_string();
    let row = |reason, subject, title: &str, url: String, at| AttentionItem {
        reason,
        repo: repo.clone(),
        local: Some(r.local),
        subject,
        title: title.to_string(),
        url,
        at,
        draft: false,
    };
    let base = r.key.html_url();
    let mut out = Vec::new();
    if let Some(head) = r.head.as_ref().filter(|h| h.ci == Some(CiState::Failure)) {
        out.push(row(
            AttentionReason::HeadFailing,
            AttentionSubject::Commit {
                sha: head.sha.clone(),
            },
            head.headline(),
            format!("{base}/commit/{}", head.sha),
            head.committer.date.or(head.author.date),
        ));
    }
    let Some(d) = details else { return out };
    for rel in &d.releases {
        if rel.draft || rel.published_at.is_none_or(|p| p <= since) {
            continue;
        }
        out.push(row(
            AttentionReason::NewRelease,
            AttentionSubject::Release {
                tag: rel.tag.clone(),
            },
            rel.name
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(&rel.tag),
            rel.url.clone(),
            rel.published_at,
        ));
    }
    let stale = now - Duration::days(STALE_DAYS);
    for p in &d.pulls {
        if p.updated_at.is_some_and(|u| u < stale) {
            out.push(AttentionItem {
                draft: p.draft,
                ..row(
                    AttentionReason::Stale,
                    AttentionSubject::PullRequest { number: p.number },
                    &p.title,
                    p.url.clone(),
                    p.updated_at,
                )
            });
        }
    }
    out
}

/// Every tracked repository's rows from the store (zero requests).
pub fn from_store(
    store: &Store,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(Vec<AttentionItem>, Vec<TrackedRepo>), StoreError> {
    let repos = store.list()?;
    let mut out = Vec::new();
    for r in &repos {
        let d = store.details(r.local)?;
        out.extend(repo_rows(r, d.as_ref(), since, now));
    }
    Ok((out, repos))
}

/// The search's pull requests as rows: every review request; the user's own only when changes
/// were requested or its CI fails.
pub fn search_rows(s: &AttentionSearch, tracked: &[TrackedRepo]) -> Vec<AttentionItem> {
    let names: HashMap<String, crate::domain::LocalId> =
        tracked.iter().map(|r| (r.key.lower(), r.local)).collect();
    let row = |reason, p: &SearchedPr| AttentionItem {
        reason,
        repo: p.repo.clone(),
        local: names.get(&p.repo.to_lowercase()).copied(),
        subject: AttentionSubject::PullRequest { number: p.number },
        title: p.title.clone(),
        url: p.url.clone(),
        at: p.updated_at,
        draft: p.draft,
    };
    let mut out: Vec<AttentionItem> = s
        .review_requested
        .iter()
        .map(|p| row(AttentionReason::ReviewRequested, p))
        .collect();
    for p in &s.authored {
        if p.review_decision == Some(ReviewDecision::ChangesRequested) {
            out.push(row(AttentionReason::ChangesRequested, p));
        } else if p.ci == CiState::Failure {
            out.push(row(AttentionReason::CiFailing, p));
        }
    }
    out
}

/// The queue in screen order: by reason, tracked repositories first, then the newest (the
/// stale group: the longest idle first); one row per pull request (its first reason).
pub fn order(mut items: Vec<AttentionItem>) -> Vec<AttentionItem> {
    items.sort_by(|a, b| {
        let when = if a.reason == AttentionReason::Stale {
            a.at.cmp(&b.at)
        } else {
            b.at.cmp(&a.at)
        };
        a.reason
            .cmp(&b.reason)
            .then(a.local.is_none().cmp(&b.local.is_none()))
            .then(when)
            .then(a.repo.cmp(&b.repo))
    });
    let mut seen = HashSet::new();
    items.retain(|i| match &i.subject {
        AttentionSubject::PullRequest { number } => seen.insert((i.repo.to_lowercase(), *number)),
        _ => true,
    });
    items
}

/// What to tell the user when the search failed (the store's rows are shown anyway).
pub fn search_failure(e: &GithubError) -> AttentionSearchState {
    match e {
        GithubError::Unauthorized { id: None, .. } => AttentionSearchState::Unavailable {
            message: "the search needs a token (GitHub's GraphQL API refuses anonymous callers): run `repodeck token set`".into(),
        },
        other => AttentionSearchState::Failed {
            message: format!("search failed: {other}"),
        },
    }
}

/// The whole refresh as the engine runs it: the store's rows, then the search.
pub async fn load(store: &Store, client: &GithubClient, now: DateTime<Utc>) -> SyncEvent {
    let seen = match store.attention_seen() {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let (mut items, repos) = match from_store(store, cutoff(seen, now), now) {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let search = match client.attention_search().await {
        Ok(s) => {
            items.extend(search_rows(&s, &repos));
            AttentionSearchState::Done {
                login: s.login,
                cost: s.cost,
                remaining: s.remaining,
                truncated: s.truncated,
            }
        }
        Err(e) => search_failure(&e),
    };
    SyncEvent::AttentionLoaded {
        items: order(items),
        search,
        seen,
    }
}

/// The store's rows alone (no engine: offline, or the vault still locked).
pub fn load_offline(store: &Store, now: DateTime<Utc>, why: &str) -> SyncEvent {
    let seen = match store.attention_seen() {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    match from_store(store, cutoff(seen, now), now) {
        Ok((items, _)) => SyncEvent::AttentionLoaded {
            items: order(items),
            search: AttentionSearchState::Unavailable {
                message: why.to_string(),
            },
            seen,
        },
        Err(e) => failed(&e),
    }
}

fn failed(e: &StoreError) -> SyncEvent {
    SyncEvent::AttentionFailed {
        message: format!("cannot read the store for the attention queue: {e}"),
    }
}

/// `SyncCommand::AttentionSeen`: records the look; a failure is logged (the next look simply
/// shows the same releases again).
pub fn mark_seen(store: &Store, at: DateTime<Utc>) {
    if let Err(e) = store.attention_seen_put(at) {
        tracing::warn!(error = %e, "recording the attention queue's last look failed");
    }
}

#[cfg(test)]
mod tests;
