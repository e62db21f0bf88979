//! Wire types (GitHub's JSON, REST and GraphQL) and their conversion into domain types.
//! Missing optional fields never fail a decode (every field defaults, nulls included, and a
//! malformed timestamp becomes `None`); unknown enum values are kept as "other".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};

use crate::domain::SearchHit;
use crate::domain::{
    Branch, COMMIT_WINDOW, Commit, CommitFile, CommitStats, Issue, Language, Probe, PullRequest,
    RateBucket, Release, RepoDetails, RepoId, RepoKey, RepoMeta, RepoSnapshot, Signature,
};

use super::{GithubError, ListedRepo};

/// A field that may be missing or null: the type's default.
fn nd<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A timestamp that may be missing, null or malformed: `None` rather than a failed decode.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(v.and_then(|v| {
        v.as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    })
    .map(|t| t.with_timezone(&Utc)))
}

/// Decodes `bytes` as `T`, naming the endpoint on failure.
pub fn decode<T: for<'de> Deserialize<'de>>(
    endpoint: &str,
    bytes: &[u8],
) -> Result<T, GithubError> {
    serde_json::from_slice(bytes).map_err(|e| decode_err(endpoint, &e))
}

/// Decodes a JSON value as `T`, naming the endpoint on failure.
pub fn decode_value<T: for<'de> Deserialize<'de>>(
    endpoint: &str,
    v: serde_json::Value,
) -> Result<T, GithubError> {
    serde_json::from_value(v).map_err(|e| decode_err(endpoint, &e))
}

fn decode_err(endpoint: &str, e: &serde_json::Error) -> GithubError {
    GithubError::Decode {
        endpoint: endpoint.to_string(),
        detail: super::client::clean(&e.to_string(), 200),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// Known commit-file statuses; anything else is "other".
fn file_status(s: &str) -> String {
    match s {
        "added" | "removed" | "modified" | "renamed" | "copied" | "changed" | "unchanged" => {
            s.to_string()
        }
        _ => "other".to_string(),
    }
}

// ---------------------------------------------------------------- REST wire types

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireLogin {
    #[serde(default, deserialize_with = "nd")]
    pub login: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireLicense {
    #[serde(default)]
    pub spdx_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

impl WireLicense {
    fn label(self) -> Option<String> {
        non_empty(self.spdx_id.filter(|s| s != "NOASSERTION"))
            .or(non_empty(self.name))
            .or(non_empty(self.key))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireRepo {
    #[serde(default, deserialize_with = "nd")]
    pub id: u64,
    #[serde(default, deserialize_with = "nd")]
    pub node_id: String,
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub full_name: String,
    #[serde(default)]
    pub owner: Option<WireLogin>,
    #[serde(default, deserialize_with = "nd")]
    pub private: bool,
    #[serde(default, deserialize_with = "nd")]
    pub fork: bool,
    #[serde(default, deserialize_with = "nd")]
    pub archived: bool,
    #[serde(default, deserialize_with = "nd")]
    pub disabled: bool,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub homepage: Option<String>,
    #[serde(default, deserialize_with = "nd")]
    pub html_url: String,
    #[serde(default, deserialize_with = "nd")]
    pub clone_url: String,
    #[serde(default, deserialize_with = "nd")]
    pub ssh_url: String,
    #[serde(default, deserialize_with = "nd")]
    pub default_branch: String,
    #[serde(default, deserialize_with = "nd")]
    pub stargazers_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub forks_count: u64,
    #[serde(default)]
    pub subscribers_count: Option<u64>,
    #[serde(default, deserialize_with = "nd")]
    pub watchers_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub open_issues_count: u64,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default, deserialize_with = "nd")]
    pub topics: Vec<String>,
    #[serde(default)]
    pub license: Option<WireLicense>,
    #[serde(default, deserialize_with = "nd")]
    pub size: u64,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub pushed_at: Option<DateTime<Utc>>,
}

impl WireRepo {
    /// Metadata; `open_prs` comes from the pulls listing (REST counts PRs among open issues).
    pub fn into_meta(self, open_prs: u64, languages: Vec<Language>) -> RepoMeta {
        RepoMeta {
            id: RepoId(self.id),
            node_id: self.node_id,
            full_name: self.full_name,
            description: non_empty(self.description),
            homepage: non_empty(self.homepage),
            html_url: self.html_url,
            clone_url: self.clone_url,
            ssh_url: self.ssh_url,
            default_branch: self.default_branch,
            private: self.private,
            fork: self.fork,
            archived: self.archived,
            disabled: self.disabled,
            stars: self.stargazers_count,
            forks: self.forks_count,
            watchers: self.subscribers_count.unwrap_or(self.watchers_count),
            open_issues: self.open_issues_count.saturating_sub(open_prs),
            open_prs,
            language: non_empty(self.language),
            languages,
            topics: self.topics,
            license: self.license.and_then(WireLicense::label),
            size_kb: self.size,
            created_at: self.created_at,
            updated_at: self.updated_at,
            pushed_at: self.pushed_at,
        }
    }

    /// The listing entry; `None` when GitHub's name does not parse as a repository key.
    pub fn into_listed(self) -> Option<ListedRepo> {
        let key = RepoKey::parse(&self.full_name).ok()?;
        Some(ListedRepo {
            key,
            id: RepoId(self.id),
            fork: self.fork,
            archived: self.archived,
        })
    }

    pub fn into_hit(self) -> Option<SearchHit> {
        let key = RepoKey::parse(&self.full_name).ok()?;
        Some(SearchHit {
            key,
            description: non_empty(self.description),
            stars: self.stargazers_count,
            language: non_empty(self.language),
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireGitPerson {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub email: String,
    #[serde(default, deserialize_with = "time")]
    pub date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireGitCommit {
    #[serde(default, deserialize_with = "nd")]
    pub message: String,
    #[serde(default)]
    pub author: Option<WireGitPerson>,
    #[serde(default)]
    pub committer: Option<WireGitPerson>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireSha {
    #[serde(default, deserialize_with = "nd")]
    pub sha: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireStats {
    #[serde(default, deserialize_with = "nd")]
    pub additions: u64,
    #[serde(default, deserialize_with = "nd")]
    pub deletions: u64,
    #[serde(default, deserialize_with = "nd")]
    pub total: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireFile {
    #[serde(default, deserialize_with = "nd")]
    pub filename: String,
    #[serde(default, deserialize_with = "nd")]
    pub status: String,
    #[serde(default, deserialize_with = "nd")]
    pub additions: u64,
    #[serde(default, deserialize_with = "nd")]
    pub deletions: u64,
    #[serde(default, deserialize_with = "nd")]
    pub changes: u64,
}

/// A commit from `/commits` (list) or `/commits/{ref}` (with stats and files).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireCommit {
    #[serde(default, deserialize_with = "nd")]
    pub sha: String,
    #[serde(default)]
    pub commit: WireGitCommit,
    #[serde(default)]
    pub author: Option<WireLogin>,
    #[serde(default)]
    pub committer: Option<WireLogin>,
    #[serde(default, deserialize_with = "nd")]
    pub parents: Vec<WireSha>,
    #[serde(default)]
    pub stats: Option<WireStats>,
    #[serde(default)]
    pub files: Option<Vec<WireFile>>,
}

fn signature(p: Option<WireGitPerson>, login: Option<WireLogin>) -> Signature {
    let p = p.unwrap_or_default();
    Signature {
        name: p.name,
        email: p.email,
        login: login.map(|l| l.login).filter(|l| !l.is_empty()),
        date: p.date,
    }
}

impl From<WireCommit> for Commit {
    fn from(w: WireCommit) -> Self {
        Commit {
            sha: w.sha,
            message: w.commit.message,
            author: signature(w.commit.author, w.author),
            committer: signature(w.commit.committer, w.committer),
            parents: w.parents.into_iter().map(|p| p.sha).collect(),
            stats: w.stats.map(|s| CommitStats {
                additions: s.additions,
                deletions: s.deletions,
                total: s.total,
            }),
            files: w.files.map(|fs| {
                fs.into_iter()
                    .map(|f| CommitFile {
                        status: file_status(&f.status),
                        filename: f.filename,
                        additions: f.additions,
                        deletions: f.deletions,
                        changes: f.changes,
                    })
                    .collect()
            }),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireBranch {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub commit: WireSha,
    #[serde(default, deserialize_with = "nd")]
    pub protected: bool,
}

impl From<WireBranch> for Branch {
    fn from(w: WireBranch) -> Self {
        Branch {
            name: w.name,
            head_sha: w.commit.sha,
            protected: w.protected,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireLabel {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
}

/// An item of `/pulls` or `/issues` (the latter includes PRs, marked by `pull_request`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireIssue {
    #[serde(default, deserialize_with = "nd")]
    pub number: u64,
    #[serde(default, deserialize_with = "nd")]
    pub title: String,
    #[serde(default)]
    pub user: Option<WireLogin>,
    #[serde(default, deserialize_with = "nd")]
    pub draft: bool,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub labels: Vec<WireLabel>,
    #[serde(default, deserialize_with = "nd")]
    pub html_url: String,
    #[serde(default)]
    pub pull_request: Option<serde_json::Value>,
}

impl WireIssue {
    pub fn is_pull(&self) -> bool {
        self.pull_request.is_some()
    }
    pub fn into_pull(self) -> PullRequest {
        PullRequest {
            number: self.number,
            title: self.title,
            author: self.user.map(|u| u.login),
            draft: self.draft,
            created_at: self.created_at,
            updated_at: self.updated_at,
            labels: self.labels.into_iter().map(|l| l.name).collect(),
            url: self.html_url,
        }
    }
    pub fn into_issue(self) -> Issue {
        Issue {
            number: self.number,
            title: self.title,
            author: self.user.map(|u| u.login),
            created_at: self.created_at,
            updated_at: self.updated_at,
            labels: self.labels.into_iter().map(|l| l.name).collect(),
            url: self.html_url,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireRelease {
    #[serde(default, deserialize_with = "nd")]
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "time")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub prerelease: bool,
    #[serde(default, deserialize_with = "nd")]
    pub draft: bool,
    #[serde(default, deserialize_with = "nd")]
    pub html_url: String,
}

impl From<WireRelease> for Release {
    fn from(w: WireRelease) -> Self {
        Release {
            tag: w.tag_name,
            name: non_empty(w.name),
            published_at: w.published_at.or(w.created_at),
            prerelease: w.prerelease,
            draft: w.draft,
            url: w.html_url,
        }
    }
}

/// `/languages`: name -> bytes, returned largest first.
pub fn languages(map: BTreeMap<String, serde_json::Value>) -> Vec<Language> {
    let mut v: Vec<Language> = map
        .into_iter()
        .map(|(name, b)| Language {
            name,
            bytes: b.as_u64().unwrap_or_default(),
        })
        .collect();
    v.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    v
}

/// The newest published release that is neither a draft nor a prerelease.
pub fn latest_release(releases: &[Release]) -> Option<String> {
    releases
        .iter()
        .find(|r| !r.draft && !r.prerelease)
        .map(|r| r.tag.clone())
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireSearch {
    #[serde(default, deserialize_with = "nd")]
    pub total_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub items: Vec<WireRepo>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireRate {
    #[serde(default, deserialize_with = "nd")]
    pub limit: u64,
    #[serde(default, deserialize_with = "nd")]
    pub remaining: u64,
    #[serde(default, deserialize_with = "nd")]
    pub used: u64,
    #[serde(default, deserialize_with = "nd")]
    pub reset: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireRateLimit {
    #[serde(default, deserialize_with = "nd")]
    pub resources: BTreeMap<String, WireRate>,
}

impl WireRateLimit {
    pub fn buckets(self) -> Vec<RateBucket> {
        self.resources
            .into_iter()
            .map(|(name, r)| RateBucket {
                name,
                limit: r.limit,
                remaining: r.remaining,
                used: r.used,
                reset: super::rate_limit::epoch_to_utc(r.reset).unwrap_or_else(Utc::now),
            })
            .collect()
    }
}

// ---------------------------------------------------------------- GraphQL wire types

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GCount {
    #[serde(default, rename = "totalCount", deserialize_with = "nd")]
    pub total_count: u64,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GOid {
    #[serde(default, deserialize_with = "nd")]
    pub oid: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GRef {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub target: Option<GOid>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GTag {
    #[serde(default, rename = "tagName", deserialize_with = "nd")]
    pub tag_name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GProbe {
    #[serde(default, deserialize_with = "nd")]
    pub id: String,
    #[serde(default)]
    pub database_id: Option<u64>,
    #[serde(default, deserialize_with = "nd")]
    pub name_with_owner: String,
    #[serde(default, deserialize_with = "time")]
    pub pushed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub stargazer_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub fork_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub is_archived: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_private: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_disabled: bool,
    #[serde(default, deserialize_with = "nd")]
    pub issues: GCount,
    #[serde(default, deserialize_with = "nd")]
    pub pull_requests: GCount,
    #[serde(default)]
    pub default_branch_ref: Option<GRef>,
    #[serde(default)]
    pub latest_release: Option<GTag>,
}

impl From<GProbe> for Probe {
    fn from(g: GProbe) -> Self {
        let (default_branch, head_sha) = match g.default_branch_ref {
            Some(r) => (
                Some(r.name),
                r.target.map(|t| t.oid).filter(|o| !o.is_empty()),
            ),
            None => (None, None),
        };
        Probe {
            id: g.database_id.map(RepoId),
            node_id: g.id,
            full_name: g.name_with_owner,
            pushed_at: g.pushed_at,
            updated_at: g.updated_at,
            stars: g.stargazer_count,
            forks: g.fork_count,
            archived: g.is_archived,
            private: g.is_private,
            disabled: g.is_disabled,
            open_issues: g.issues.total_count,
            open_prs: g.pull_requests.total_count,
            default_branch,
            head_sha,
            latest_release: g
                .latest_release
                .map(|t| t.tag_name)
                .filter(|t| !t.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GName {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GPerson {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default, deserialize_with = "nd")]
    pub email: String,
    #[serde(default, deserialize_with = "time")]
    pub date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub user: Option<WireLogin>,
}

impl From<Option<GPerson>> for Signature {
    fn from(p: Option<GPerson>) -> Self {
        let p = p.unwrap_or_default();
        Signature {
            name: p.name,
            email: p.email,
            login: p.user.map(|u| u.login).filter(|l| !l.is_empty()),
            date: p.date,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
pub struct GNodes<T> {
    #[serde(default = "Vec::new", deserialize_with = "nd_vec")]
    pub nodes: Vec<Option<T>>,
}

fn nd_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<Option<T>>, D::Error> {
    Ok(Option::<Vec<Option<T>>>::deserialize(d)?.unwrap_or_default())
}

impl<T> GNodes<T> {
    fn items(self) -> impl Iterator<Item = T> {
        self.nodes.into_iter().flatten()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GHistoryCommit {
    #[serde(default, deserialize_with = "nd")]
    pub oid: String,
    #[serde(default, deserialize_with = "nd")]
    pub message_headline: String,
    #[serde(default, deserialize_with = "time")]
    pub committed_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub author: Option<GPerson>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GHeadCommit {
    #[serde(default, deserialize_with = "nd")]
    pub oid: String,
    #[serde(default, deserialize_with = "nd")]
    pub message: String,
    #[serde(default, deserialize_with = "time")]
    pub committed_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub additions: Option<u64>,
    #[serde(default)]
    pub deletions: Option<u64>,
    #[serde(default)]
    pub author: Option<GPerson>,
    #[serde(default)]
    pub committer: Option<GPerson>,
    #[serde(default)]
    pub parents: Option<GNodes<GOid>>,
    #[serde(default)]
    pub history: Option<GNodes<GHistoryCommit>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GDefaultRef {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub target: Option<GHeadCommit>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GBranch {
    #[serde(default, deserialize_with = "nd")]
    pub name: String,
    #[serde(default)]
    pub target: Option<GOid>,
    #[serde(default)]
    pub branch_protection_rule: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GItem {
    #[serde(default, deserialize_with = "nd")]
    pub number: u64,
    #[serde(default, deserialize_with = "nd")]
    pub title: String,
    #[serde(default, deserialize_with = "nd")]
    pub is_draft: bool,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub url: String,
    #[serde(default)]
    pub author: Option<WireLogin>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GRelease {
    #[serde(default, deserialize_with = "nd")]
    pub tag_name: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "time")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub is_prerelease: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_draft: bool,
    #[serde(default, deserialize_with = "nd")]
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GLangEdge {
    #[serde(default, deserialize_with = "nd")]
    pub size: u64,
    #[serde(default)]
    pub node: Option<GName>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GLanguages {
    #[serde(default, deserialize_with = "nd")]
    pub edges: Vec<Option<GLangEdge>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GTopic {
    #[serde(default)]
    pub topic: Option<GName>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GLicense {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub spdx_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", bound(deserialize = "T: Deserialize<'de>"))]
pub struct GConn<T> {
    #[serde(default)]
    pub total_count: Option<u64>,
    #[serde(default = "Vec::new", deserialize_with = "nd_vec")]
    pub nodes: Vec<Option<T>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GDetail {
    #[serde(default, deserialize_with = "nd")]
    pub id: String,
    #[serde(default)]
    pub database_id: Option<u64>,
    #[serde(default, deserialize_with = "nd")]
    pub name_with_owner: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub homepage_url: Option<String>,
    #[serde(default, deserialize_with = "nd")]
    pub url: String,
    #[serde(default, deserialize_with = "nd")]
    pub ssh_url: String,
    #[serde(default, deserialize_with = "nd")]
    pub is_private: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_fork: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_archived: bool,
    #[serde(default, deserialize_with = "nd")]
    pub is_disabled: bool,
    #[serde(default, deserialize_with = "nd")]
    pub stargazer_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub fork_count: u64,
    #[serde(default, deserialize_with = "nd")]
    pub disk_usage: u64,
    #[serde(default, deserialize_with = "time")]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "time")]
    pub pushed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nd")]
    pub watchers: GCount,
    #[serde(default)]
    pub license_info: Option<GLicense>,
    #[serde(default)]
    pub primary_language: Option<GName>,
    #[serde(default)]
    pub languages: Option<GLanguages>,
    #[serde(default)]
    pub repository_topics: Option<GNodes<GTopic>>,
    #[serde(default)]
    pub default_branch_ref: Option<GDefaultRef>,
    #[serde(default)]
    pub refs: Option<GConn<GBranch>>,
    #[serde(default)]
    pub pull_requests: Option<GConn<GItem>>,
    #[serde(default)]
    pub issues: Option<GConn<GItem>>,
    #[serde(default)]
    pub releases: Option<GConn<GRelease>>,
    #[serde(default)]
    pub latest_release: Option<GTag>,
}

impl From<GDetail> for RepoSnapshot {
    fn from(g: GDetail) -> Self {
        let (default_branch, target) = match g.default_branch_ref {
            Some(r) => (r.name, r.target),
            None => (String::new(), None),
        };
        let (head, mut commits) = match target {
            Some(t) => {
                let stats = match (t.additions, t.deletions) {
                    (Some(a), Some(d)) => Some(CommitStats {
                        additions: a,
                        deletions: d,
                        total: a + d,
                    }),
                    _ => None,
                };
                let head = Commit {
                    sha: t.oid.clone(),
                    message: t.message,
                    author: Signature::from(t.author),
                    committer: Signature::from(t.committer),
                    parents: t
                        .parents
                        .map(|p| p.items().map(|o| o.oid).collect())
                        .unwrap_or_default(),
                    stats,
                    files: None,
                };
                let history: Vec<Commit> = t
                    .history
                    .map(|h| {
                        h.items()
                            .map(|c| {
                                let author = Signature::from(c.author);
                                Commit {
                                    sha: c.oid,
                                    message: c.message_headline,
                                    committer: Signature {
                                        date: c.committed_date,
                                        ..author.clone()
                                    },
                                    author,
                                    parents: Vec::new(),
                                    stats: None,
                                    files: None,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (Some(head), history)
            }
            None => (None, Vec::new()),
        };
        // The head in the list carries the full message, parents and stats.
        if let (Some(h), Some(first)) = (&head, commits.first_mut())
            && first.sha == h.sha
        {
            *first = h.clone();
        }
        let refs = g.refs.unwrap_or_default();
        let pulls = g.pull_requests.unwrap_or_default();
        let issues = g.issues.unwrap_or_default();
        let releases: Vec<Release> = g
            .releases
            .unwrap_or_default()
            .nodes
            .into_iter()
            .flatten()
            .map(|r| Release {
                tag: r.tag_name,
                name: non_empty(r.name),
                published_at: r.published_at.or(r.created_at),
                prerelease: r.is_prerelease,
                draft: r.is_draft,
                url: r.url,
            })
            .collect();
        let open_prs = pulls.total_count.unwrap_or(pulls.nodes.len() as u64);
        let open_issues = issues.total_count.unwrap_or(issues.nodes.len() as u64);
        let languages = g
            .languages
            .map(|l| {
                l.edges
                    .into_iter()
                    .flatten()
                    .filter_map(|e| {
                        Some(Language {
                            name: e.node?.name,
                            bytes: e.size,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let topics = g
            .repository_topics
            .map(|t| t.items().filter_map(|t| t.topic.map(|n| n.name)).collect())
            .unwrap_or_default();
        let license = g.license_info.and_then(|l| {
            WireLicense {
                spdx_id: l.spdx_id,
                name: l.name,
                key: l.key,
            }
            .label()
        });
        let meta = RepoMeta {
            id: RepoId(g.database_id.unwrap_or_default()),
            node_id: g.id,
            full_name: g.name_with_owner,
            description: non_empty(g.description),
            homepage: non_empty(g.homepage_url),
            clone_url: if g.url.is_empty() {
                String::new()
            } else {
                format!("{}.git", g.url)
            },
            html_url: g.url,
            ssh_url: g.ssh_url,
            default_branch,
            private: g.is_private,
            fork: g.is_fork,
            archived: g.is_archived,
            disabled: g.is_disabled,
            stars: g.stargazer_count,
            forks: g.fork_count,
            watchers: g.watchers.total_count,
            open_issues,
            open_prs,
            language: g.primary_language.map(|l| l.name).filter(|n| !n.is_empty()),
            languages,
            topics,
            license,
            size_kb: g.disk_usage,
            created_at: g.created_at,
            updated_at: g.updated_at,
            pushed_at: g.pushed_at,
        };
        let item = |i: GItem| {
            (
                i.number,
                i.title,
                i.author.map(|a| a.login),
                i.is_draft,
                i.created_at,
                i.updated_at,
                i.url,
            )
        };
        RepoSnapshot {
            meta,
            head,
            latest_release: g
                .latest_release
                .map(|t| t.tag_name)
                .filter(|t| !t.is_empty()),
            details: RepoDetails {
                commits: {
                    commits.truncate(COMMIT_WINDOW);
                    commits
                },
                branches: refs
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(|b| Branch {
                        name: b.name,
                        head_sha: b.target.map(|t| t.oid).unwrap_or_default(),
                        protected: b.branch_protection_rule.is_some_and(|r| !r.is_null()),
                    })
                    .collect(),
                pulls: pulls
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(item)
                    .map(
                        |(number, title, author, draft, created_at, updated_at, url)| PullRequest {
                            number,
                            title,
                            author,
                            draft,
                            created_at,
                            updated_at,
                            labels: Vec::new(),
                            url,
                        },
                    )
                    .collect(),
                issues: issues
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(item)
                    .map(
                        |(number, title, author, _, created_at, updated_at, url)| Issue {
                            number,
                            title,
                            author,
                            created_at,
                            updated_at,
                            labels: Vec::new(),
                            url,
                        },
                    )
                    .collect(),
                releases,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Vec<u8> {
        let p = format!(
            "{}/tests/fixtures/github/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    fn recorded(name: &str, index: usize) -> Vec<u8> {
        let v: serde_json::Value =
            serde_json::from_slice(&fixture(&format!("recorded/{name}.json"))).unwrap();
        serde_json::to_vec(&v[index]["response"]).unwrap()
    }

    #[test]
    fn full_repository_from_openapi_and_recorded() {
        let r: WireRepo = decode("repos-get", &fixture("openapi/repos-get.json")).unwrap();
        let m = r.into_meta(2, Vec::new());
        assert_eq!(m.full_name, "octocat/Hello-World");
        assert_eq!(m.id, RepoId(1296269));
        assert_eq!(m.default_branch, "master");
        assert!(m.pushed_at.is_some());
        assert_eq!(m.license.as_deref(), Some("MIT"));
        assert_eq!(m.open_prs, 2);
        let r: WireRepo = decode("repos-get", &recorded("get-repository", 0)).unwrap();
        assert_eq!(r.full_name, "octokit-fixture-org/hello-world");
        let r: WireRepo = decode("repositories", &recorded("rename-repository", 2)).unwrap();
        assert_eq!(r.full_name, "octokit-fixture-org/rename-repository-newname");
    }

    #[test]
    fn lists_from_openapi() {
        let repos: Vec<WireRepo> =
            decode("list", &fixture("openapi/repos-list-for-org.json")).unwrap();
        let listed: Vec<ListedRepo> = repos
            .into_iter()
            .filter_map(WireRepo::into_listed)
            .collect();
        assert_eq!(listed[0].key.to_string(), "octocat/Hello-World");
        let branches: Vec<WireBranch> =
            decode("branches", &fixture("openapi/repos-list-branches.json")).unwrap();
        let b = Branch::from(branches[0].clone());
        assert_eq!(b.name, "master");
        assert_eq!(b.head_sha.len(), 40);
        let issues: Vec<WireIssue> =
            decode("issues", &fixture("openapi/issues-list-for-repo.json")).unwrap();
        assert!(
            issues[0].is_pull(),
            "the example issue carries pull_request"
        );
        let i = issues[0].clone().into_issue();
        assert_eq!((i.number, i.author.as_deref()), (1347, Some("octocat")));
        assert_eq!(i.labels, vec!["bug".to_string()]);
        let pulls: Vec<WireIssue> = decode("pulls", &fixture("openapi/pulls-list.json")).unwrap();
        assert_eq!(pulls[0].clone().into_pull().number, 1347);
        let rel: Vec<WireRelease> =
            decode("releases", &fixture("openapi/repos-list-releases.json")).unwrap();
        let rel: Vec<Release> = rel.into_iter().map(Release::from).collect();
        assert_eq!(rel[0].tag, "v1.0.0");
        assert_eq!(latest_release(&rel).as_deref(), Some("v1.0.0"));
        let langs: BTreeMap<String, serde_json::Value> =
            decode("languages", &fixture("openapi/repos-list-languages.json")).unwrap();
        let langs = languages(langs);
        assert_eq!(langs[0].name, "C");
        assert!(langs[0].bytes >= langs[1].bytes);
        let s: WireSearch = decode("search", &fixture("openapi/search-repos.json")).unwrap();
        assert_eq!(
            s.items.into_iter().filter_map(WireRepo::into_hit).count(),
            1
        );
        let rl: WireRateLimit =
            decode("rate_limit", &fixture("openapi/rate-limit-get.json")).unwrap();
        let b = rl.buckets();
        assert!(b.iter().any(|b| b.name == "core" && b.limit == 5000));
        assert!(b.iter().any(|b| b.name == "graphql"));
    }

    #[test]
    fn commits_from_openapi() {
        let c: WireCommit = decode("commit", &fixture("openapi/repos-get-commit.json")).unwrap();
        let c = Commit::from(c);
        assert_eq!(
            c.stats,
            Some(CommitStats {
                additions: 104,
                deletions: 4,
                total: 108
            })
        );
        assert_eq!(
            c.files.as_ref().map(|f| f[0].status.as_str()),
            Some("modified")
        );
        assert_eq!(c.author.login.as_deref(), Some("octocat"));
        assert_eq!(c.headline(), "Fix all the bugs");
        let list: Vec<WireCommit> =
            decode("commits", &fixture("openapi/repos-list-commits.json")).unwrap();
        let c = Commit::from(list[0].clone());
        assert!(c.stats.is_none() && c.files.is_none());
        assert_eq!(c.parents.len(), 1);
    }

    #[test]
    fn missing_fields_and_unknown_values_do_not_fail() {
        let r: WireRepo = decode(
            "repo",
            br#"{"full_name":"o/n","size":null,"pushed_at":"not a date"}"#,
        )
        .unwrap();
        assert_eq!((r.size, r.pushed_at), (0, None));
        let c: WireCommit = decode(
            "commit",
            br#"{"sha":"abc","files":[{"filename":"x","status":"teleported"}]}"#,
        )
        .unwrap();
        assert_eq!(Commit::from(c).files.unwrap()[0].status, "other");
        let p: GProbe = decode(
            "probe",
            br#"{"id":"R_1","nameWithOwner":"o/n","defaultBranchRef":null}"#,
        )
        .unwrap();
        let p = Probe::from(p);
        assert_eq!((p.head_sha, p.default_branch), (None, None));
        let d: GDetail = decode(
            "detail",
            br#"{"id":"R_1","nameWithOwner":"o/n","refs":{"nodes":null}}"#,
        )
        .unwrap();
        let s = RepoSnapshot::from(d);
        assert!(s.head.is_none() && s.details.branches.is_empty());
        assert!(decode::<WireRepo>("repo", br#"{"full_name": "o/n", "#).is_err());
    }

    #[test]
    fn detail_converts_every_part() {
        let d: GDetail = serde_json::from_value(serde_json::json!({
            "id": "R_1", "databaseId": 7, "nameWithOwner": "o/n", "url": "https://github.com/o/n",
            "homepageUrl": "", "watchers": {"totalCount": 3},
            "licenseInfo": {"key": "mit", "name": "MIT License", "spdxId": "MIT"},
            "primaryLanguage": {"name": "Rust"},
            "languages": {"totalSize": 10, "edges": [{"size": 10, "node": {"name": "Rust"}}]},
            "repositoryTopics": {"nodes": [{"topic": {"name": "cli"}}]},
            "defaultBranchRef": {"name": "main", "target": {
                "oid": "h1", "message": "Head\n\nbody", "messageHeadline": "Head", "additions": 3, "deletions": 1,
                "author": {"name": "A", "email": "a@x", "date": "2024-01-01T00:00:00Z", "user": {"login": "a"}},
                "parents": {"nodes": [{"oid": "p1"}]},
                "history": {"nodes": [
                    {"oid": "h1", "messageHeadline": "Head", "committedDate": "2024-01-01T00:00:00Z", "author": null},
                    {"oid": "p1", "messageHeadline": "Before", "committedDate": "2023-12-31T00:00:00Z", "author": {"name": "B", "user": null}}
                ]}}},
            "refs": {"totalCount": 2, "nodes": [
                {"name": "main", "target": {"oid": "h1"}, "branchProtectionRule": {"pattern": "main"}},
                {"name": "dev", "target": {"oid": "d1"}, "branchProtectionRule": null}]},
            "pullRequests": {"totalCount": 51, "nodes": [{"number": 5, "title": "PR", "isDraft": true, "url": "u", "author": {"login": "x"}}]},
            "issues": {"totalCount": 1, "nodes": [{"number": 6, "title": "Bug", "url": "u", "author": null}]},
            "releases": {"nodes": [{"tagName": "v2", "isPrerelease": true}, {"tagName": "v1"}]},
            "latestRelease": {"tagName": "v1"}
        }))
        .unwrap();
        let s = RepoSnapshot::from(d);
        assert_eq!(s.meta.id, RepoId(7));
        assert_eq!(s.meta.homepage, None);
        assert_eq!(s.meta.clone_url, "https://github.com/o/n.git");
        assert_eq!(
            (s.meta.open_prs, s.meta.open_issues, s.meta.watchers),
            (51, 1, 3)
        );
        assert_eq!(s.meta.topics, vec!["cli".to_string()]);
        assert_eq!(s.meta.license.as_deref(), Some("MIT"));
        let head = s.head.unwrap();
        assert_eq!(
            (head.parents.clone(), head.stats.clone().map(|x| x.total)),
            (vec!["p1".to_string()], Some(4))
        );
        assert_eq!(s.details.commits.len(), 2);
        assert_eq!(
            s.details.commits[0], head,
            "the head entry carries the full commit"
        );
        assert!(s.details.branches[0].protected && !s.details.branches[1].protected);
        assert!(s.details.pulls[0].draft);
        assert_eq!(s.details.issues[0].author, None);
        assert_eq!(s.details.releases.len(), 2);
        assert_eq!(s.latest_release.as_deref(), Some("v1"));
    }
}
