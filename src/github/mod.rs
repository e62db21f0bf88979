//! The GitHub access layer: the only module that talks to GitHub (through octocrab), with one
//! request scheduler, ETags, a rate gate, GraphQL batches and honest errors.
//!
//! Layout: `client` (the client and its request pipeline), `scheduler` (gate, concurrency,
//! breaker, backoff), `rate_limit` (header parsing, published state), `rest` (conditional GETs,
//! `Link` pagination), `graphql` (batched probe and detail queries), `convert` (wire -> domain),
//! `error` (the taxonomy), `diagnose` (doctor's questions: the server's clock, a
//! GraphQL `rateLimit` query), `meta` (`GET /meta`, GitHub's webhook ranges), `stats` (the lazily
//! fetched statistics: commits per week, top contributors; 202 while GitHub computes them),
//! `attention` (the attention queue's one GraphQL search query). Every request sent
//! is handed to an [`AuditSink`] when one is wired (the token-use audit log).

pub mod attention;
mod client;
pub mod convert;
pub mod diagnose;
mod error;
pub mod events;
pub mod graphql;
pub mod hooks;
pub mod insight;
pub mod items;
mod meta;
pub mod rate_limit;
pub mod rest;
mod scheduler;
pub mod stats;

pub use client::{Accounting, ClientOptions, GithubClient};
pub use error::{GithubError, RedirectRefusal};
pub use rate_limit::{CircuitState, Pause, RateState};
pub use rest::Conditional;
pub use scheduler::Timing;
pub use stats::StatsAnswer;

use chrono::{DateTime, Utc};

use crate::domain::{RepoId, RepoKey, RequestRecord};

/// Persistent ETag storage keyed by (token fingerprint, URL); implemented over the store.
/// The body is opaque to the implementor (the client stores what it needs to rebuild a 304).
pub trait EtagCache: Send + Sync + 'static {
    fn get(&self, token_fp: &str, url: &str) -> Option<(String, Vec<u8>)>;
    fn put(&self, token_fp: &str, url: &str, etag: &str, body: &[u8]);
}

/// Where the client hands one [`RequestRecord`] per request it sent (the token-use audit log).
/// `record` must return at once and never fail the request: the session's implementation queues
/// the record for a writer that stores them in batches.
pub trait AuditSink: Send + Sync + 'static {
    fn record(&self, record: RequestRecord);
}

/// How a repository is addressed: by node id once synced (follows renames), by name before.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RepoTarget {
    Node(String),
    Name(RepoKey),
}

impl std::fmt::Display for RepoTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoTarget::Node(id) => write!(f, "repository node {id}"),
            RepoTarget::Name(key) => write!(f, "repository {key}"),
        }
    }
}

/// One repository of an org/user listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRepo {
    pub key: RepoKey,
    pub id: RepoId,
    pub fork: bool,
    pub archived: bool,
}

/// What `GET /user` says about the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub login: String,
    /// `X-OAuth-Scopes` (classic tokens); `None` for fine-grained tokens, which send no scopes.
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// The answer's `Date` header: the server's clock.
    pub server_date: Option<DateTime<Utc>>,
}
