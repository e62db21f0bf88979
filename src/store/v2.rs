//! Schema 2's layouts of the records schema 3 changed, read once by the migration
//! ([`super::Store`]'s `migrate`) and turned into today's types. Schema 3 added CI state, signature
//! verification, branch protection and pull-request review fields to the stored commits, branches,
//! pull requests, issues and details; a schema-2 record has none of them, so each comes back as
//! "not fetched" (`None` / empty) until the next sync fills it. Bincode is positional: these
//! structs must keep schema 2's field order exactly.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::domain::{
    self, CommitFile, CommitStats, LocalId, Release, RepoId, RepoKey, RepoMeta, Signature,
    SyncError, SyncStatus, TrackedRepo,
};

#[derive(Deserialize)]
pub struct Commit {
    sha: String,
    message: String,
    author: Signature,
    committer: Signature,
    parents: Vec<String>,
    stats: Option<CommitStats>,
    files: Option<Vec<CommitFile>>,
}

impl From<Commit> for domain::Commit {
    fn from(c: Commit) -> Self {
        domain::Commit {
            sha: c.sha,
            message: c.message,
            author: c.author,
            committer: c.committer,
            parents: c.parents,
            stats: c.stats,
            files: c.files,
            verification: None,
            ci: None,
        }
    }
}

#[derive(Deserialize)]
pub struct Branch {
    name: String,
    head_sha: String,
    protected: bool,
}

#[derive(Deserialize)]
pub struct PullRequest {
    number: u64,
    title: String,
    author: Option<String>,
    draft: bool,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    labels: Vec<String>,
    url: String,
}

#[derive(Deserialize)]
pub struct Issue {
    number: u64,
    title: String,
    author: Option<String>,
    created_at: Option<DateTime<Utc>>,
    updated_at: Option<DateTime<Utc>>,
    labels: Vec<String>,
    url: String,
}

#[derive(Deserialize)]
pub struct RepoDetails {
    commits: Vec<Commit>,
    branches: Vec<Branch>,
    pulls: Vec<PullRequest>,
    issues: Vec<Issue>,
    releases: Vec<Release>,
}

impl From<RepoDetails> for domain::RepoDetails {
    fn from(d: RepoDetails) -> Self {
        domain::RepoDetails {
            commits: d.commits.into_iter().map(Into::into).collect(),
            branches: d
                .branches
                .into_iter()
                .map(|b| domain::Branch {
                    name: b.name,
                    head_sha: b.head_sha,
                    protected: b.protected,
                    ..domain::Branch::default()
                })
                .collect(),
            pulls: d
                .pulls
                .into_iter()
                .map(|p| domain::PullRequest {
                    number: p.number,
                    title: p.title,
                    author: p.author,
                    draft: p.draft,
                    created_at: p.created_at,
                    updated_at: p.updated_at,
                    labels: p.labels,
                    url: p.url,
                    ..domain::PullRequest::default()
                })
                .collect(),
            issues: d
                .issues
                .into_iter()
                .map(|i| domain::Issue {
                    number: i.number,
                    title: i.title,
                    author: i.author,
                    created_at: i.created_at,
                    updated_at: i.updated_at,
                    labels: i.labels,
                    url: i.url,
                    ..domain::Issue::default()
                })
                .collect(),
            releases: d.releases,
            ci: None,
        }
    }
}

#[derive(Deserialize)]
pub struct Tracked {
    local: LocalId,
    key: RepoKey,
    id: Option<RepoId>,
    added_at: DateTime<Utc>,
    status: SyncStatus,
    last_synced_at: Option<DateTime<Utc>>,
    details_at: Option<DateTime<Utc>>,
    last_error: Option<SyncError>,
    meta: Option<RepoMeta>,
    head: Option<Commit>,
    latest_release: Option<String>,
    stars_delta: i64,
    unread: u32,
}

impl From<Tracked> for TrackedRepo {
    fn from(t: Tracked) -> Self {
        TrackedRepo {
            local: t.local,
            key: t.key,
            id: t.id,
            added_at: t.added_at,
            status: t.status,
            last_synced_at: t.last_synced_at,
            details_at: t.details_at,
            last_error: t.last_error,
            meta: t.meta,
            head: t.head.map(Into::into),
            latest_release: t.latest_release,
            stars_delta: t.stars_delta,
            unread: t.unread,
        }
    }
}
