//! REST calls: conditional GETs (If-None-Match from the ETag cache keyed by URL and token
//! fingerprint; 304 -> `Unchanged` from the cached body) and `Link` pagination parsed by our own
//! code (rel="next" only, same host only, page cap, loop detection).

use crate::domain::{Commit, RepoKey, RepoSnapshot};
use crate::sync::{ImportSource, Priority, SearchHit};

use super::{GithubClient, GithubError, ListedRepo, TokenInfo};

/// A conditional answer: `Unchanged` carries the value rebuilt from the cached bodies (304s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditional<T> {
    Changed(T),
    Unchanged(T),
}

impl<T> Conditional<T> {
    pub fn into_inner(self) -> T {
        match self {
            Conditional::Changed(t) | Conditional::Unchanged(t) => t,
        }
    }
    pub fn is_changed(&self) -> bool {
        matches!(self, Conditional::Changed(_))
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Conditional<U> {
        match self {
            Conditional::Changed(t) => Conditional::Changed(f(t)),
            Conditional::Unchanged(t) => Conditional::Unchanged(f(t)),
        }
    }
}

fn todo_err() -> GithubError {
    GithubError::Network("not implemented yet".into())
}

impl GithubClient {
    /// `GET /rate_limit` (free): refreshes every bucket.
    pub async fn refresh_rate_limit(&self) -> Result<(), GithubError> {
        Err(todo_err())
    }

    /// `GET /user`: login, scopes and token expiry.
    pub async fn viewer(&self) -> Result<TokenInfo, GithubError> {
        Err(todo_err())
    }

    /// REST snapshot with ETags on every endpoint; all 304 -> `Unchanged`.
    pub async fn rest_snapshot(
        &self,
        key: &RepoKey,
        prio: Priority,
    ) -> Result<Conditional<RepoSnapshot>, GithubError> {
        let _ = (key, prio);
        Err(todo_err())
    }

    /// `GET /repos/{o}/{r}/commits/{sha}` with stats and files.
    pub async fn commit(&self, key: &RepoKey, sha: &str) -> Result<Commit, GithubError> {
        let _ = (key, sha);
        Err(todo_err())
    }

    /// Lists an org's, a user's or the viewer's repositories (all pages).
    pub async fn list_repos(
        &self,
        source: &ImportSource,
        prio: Priority,
    ) -> Result<Vec<ListedRepo>, GithubError> {
        let _ = (source, prio);
        Err(todo_err())
    }

    /// `GET /search/repositories`, up to `limit` hits (search bucket, spaced requests).
    pub async fn search_repos(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, GithubError> {
        let _ = (query, limit);
        Err(todo_err())
    }
}
