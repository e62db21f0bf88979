//! Our own plain data types (repos, commits, branches, PRs, issues, releases, changes, failure
//! kinds, rate limits, and the sync requests' priority, wait reasons, search hits and import
//! sources), shared by every layer above: `github/` converts wire JSON into them, `store/` keeps
//! them, `sync/` moves them, the front ends show them.
//!
//! Nothing here knows about HTTP, sled or the terminal. Times are UTC.

mod attention;
mod insight;
mod items;
pub use attention::{
    AttentionItem, AttentionReason, AttentionSearch, AttentionSearchState, AttentionSubject,
    NEW_RELEASE_DAYS, STALE_DAYS, SearchedPr,
};
pub use insight::{
    Check, CiState, CiStatus, Contributor, Mergeable, PrEnd, Protection, RepoStats, ReviewDecision,
    Verification,
};
pub use items::{ItemExtra, ItemExtras};

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// GitHub's numeric repository id (`databaseId` in GraphQL): stable across renames.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct RepoId(pub u64);

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `owner/name`, validated against GitHub's naming rules. Comparison is case-insensitive,
/// as it is on GitHub; the spelling given first is kept for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoKey {
    owner: String,
    name: String,
}

impl PartialEq for RepoKey {
    fn eq(&self, other: &Self) -> bool {
        self.owner.eq_ignore_ascii_case(&other.owner) && self.name.eq_ignore_ascii_case(&other.name)
    }
}
impl Eq for RepoKey {}
impl std::hash::Hash for RepoKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.owner.to_ascii_lowercase().hash(state);
        self.name.to_ascii_lowercase().hash(state);
    }
}
impl PartialOrd for RepoKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RepoKey {
    /// The order of `lower()`, without allocating (sorting 10,000 repos compares a lot).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        fn bytes(k: &RepoKey) -> impl Iterator<Item = u8> + '_ {
            k.owner
                .bytes()
                .chain(std::iter::once(b'/'))
                .chain(k.name.bytes())
                .map(|b| b.to_ascii_lowercase())
        }
        bytes(self).cmp(bytes(other))
    }
}

/// Why a repository reference was rejected; the message names the bad part and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepoKeyError {
    #[error(
        "'{input}' is not a repository: expected OWNER/NAME, https://github.com/OWNER/NAME or git@github.com:OWNER/NAME.git"
    )]
    Shape { input: String },
    #[error(
        "owner '{owner}' in '{input}' is invalid: an owner is 1-39 letters, digits or single hyphens, and cannot start or end with a hyphen"
    )]
    Owner { input: String, owner: String },
    #[error(
        "name '{name}' in '{input}' is invalid: a repository name is 1-100 letters, digits, '.', '-' or '_', and cannot be '.' or '..'"
    )]
    Name { input: String, name: String },
}

impl RepoKey {
    /// Parses `OWNER/NAME`, `https://github.com/OWNER/NAME[.git][/]`, `http://...`, `github.com/OWNER/NAME`
    /// or `git@github.com:OWNER/NAME.git`, then checks GitHub's naming rules.
    pub fn parse(input: &str) -> Result<Self, RepoKeyError> {
        let raw = input.trim();
        let shape = || RepoKeyError::Shape { input: shown(raw) };
        let mut rest = raw;
        for prefix in [
            "https://github.com/",
            "http://github.com/",
            "https://www.github.com/",
            "github.com/",
        ] {
            if let Some(r) = strip_prefix_ci(rest, prefix) {
                rest = r;
                break;
            }
        }
        if let Some(r) = strip_prefix_ci(rest, "git@github.com:") {
            rest = r;
        } else if let Some(r) = strip_prefix_ci(rest, "ssh://git@github.com/") {
            rest = r;
        }
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let rest = rest.strip_suffix(".git").unwrap_or(rest);
        let (owner, name) = rest.split_once('/').ok_or_else(shape)?;
        if owner.is_empty() && name.is_empty() {
            return Err(shape());
        }
        if !valid_owner(owner) {
            return Err(RepoKeyError::Owner {
                input: shown(raw),
                owner: shown(owner),
            });
        }
        if !valid_name(name) {
            return Err(RepoKeyError::Name {
                input: shown(raw),
                name: shown(name),
            });
        }
        Ok(Self {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }

    /// Builds a key from parts known to be valid (from GitHub's own answers); still checked.
    pub fn new(owner: &str, name: &str) -> Result<Self, RepoKeyError> {
        Self::parse(&format!("{owner}/{name}"))
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Lower-cased `owner/name`, used as the lookup key in the store.
    pub fn lower(&self) -> String {
        format!(
            "{}/{}",
            self.owner.to_ascii_lowercase(),
            self.name.to_ascii_lowercase()
        )
    }
    pub fn html_url(&self) -> String {
        format!("https://github.com/{}/{}", self.owner, self.name)
    }
}

/// User input as an error message may show it: control characters (ESC included) and bidi
/// controls are written as visible escapes (`\u{1b}`), so a typed escape sequence is seen, not
/// run by the terminal.
fn shown(s: &str) -> String {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
    };
    if !s.chars().any(unsafe_char) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

fn valid_owner(owner: &str) -> bool {
    !owner.is_empty()
        && owner.len() <= 39
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !owner.starts_with('-')
        && !owner.ends_with('-')
        && !owner.contains("--")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl fmt::Display for RepoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl FromStr for RepoKey {
    type Err = RepoKeyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A person as a commit records them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    pub email: String,
    /// GitHub login when the email maps to an account.
    pub login: Option<String>,
    pub date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitStats {
    pub additions: u64,
    pub deletions: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitFile {
    pub filename: String,
    pub status: String,
    pub additions: u64,
    pub deletions: u64,
    pub changes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: Signature,
    pub committer: Signature,
    pub parents: Vec<String>,
    /// Filled when fetched (REST `/commits/{ref}` or GraphQL additions/deletions).
    pub stats: Option<CommitStats>,
    /// Filled only by the on-demand REST fetch.
    pub files: Option<Vec<CommitFile>>,
    /// The signature as GitHub verified it; `None` = not fetched.
    pub verification: Option<Verification>,
    /// CI state of this commit where known (`None` = not fetched).
    pub ci: Option<CiState>,
}

impl Commit {
    /// First line of the message.
    pub fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub name: String,
    pub head_sha: String,
    pub protected: bool,
    /// The rule protecting it, when the token may read it.
    pub protection: Option<Protection>,
    /// The head commit's committed date.
    pub head_date: Option<DateTime<Utc>>,
    /// The head commit's CI state.
    pub ci: Option<CiState>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    pub author: Option<String>,
    pub draft: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub url: String,
    pub assignees: Vec<String>,
    pub comments: u64,
    pub review_decision: Option<ReviewDecision>,
    /// Logins (users) and slugs (teams) asked to review.
    pub requested_reviewers: Vec<String>,
    /// CI of the head commit.
    pub ci: Option<CiStatus>,
    pub mergeable: Mergeable,
    /// Base branch name.
    pub base: String,
    /// Head branch name (`owner:branch` when it comes from a fork).
    pub head: String,
    pub head_sha: String,
    pub additions: u64,
    pub deletions: u64,
    pub changed_files: u64,
    /// The description as GitHub stores it (markdown, untrusted), cut to a bounded length.
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub author: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub labels: Vec<String>,
    pub url: String,
    pub assignees: Vec<String>,
    pub comments: u64,
    /// The description as GitHub stores it (markdown, untrusted), cut to a bounded length.
    pub body: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    pub tag: String,
    pub name: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub prerelease: bool,
    pub draft: bool,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Language {
    pub name: String,
    pub bytes: u64,
}

/// What a change probe sees of a repository: cheap fields that move when anything we store moves.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub id: Option<RepoId>,
    pub node_id: String,
    pub full_name: String,
    pub pushed_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub stars: u64,
    pub forks: u64,
    pub archived: bool,
    pub private: bool,
    pub disabled: bool,
    pub open_issues: u64,
    pub open_prs: u64,
    pub default_branch: Option<String>,
    pub head_sha: Option<String>,
    pub latest_release: Option<String>,
    /// The head's CI state (`statusCheckRollup { state }`, free: an object, not a connection), so
    /// a head turning red or green is fetched although nothing else moved. `None` = not known.
    #[serde(default)]
    pub head_ci: Option<CiState>,
}

impl Probe {
    /// What a probe answers for a repository with this metadata, head commit and latest release.
    pub fn of(meta: &RepoMeta, head: Option<&Commit>, latest_release: Option<&str>) -> Probe {
        Probe {
            id: Some(meta.id),
            node_id: meta.node_id.clone(),
            full_name: meta.full_name.clone(),
            pushed_at: meta.pushed_at,
            updated_at: meta.updated_at,
            stars: meta.stars,
            forks: meta.forks,
            archived: meta.archived,
            private: meta.private,
            disabled: meta.disabled,
            open_issues: meta.open_issues,
            open_prs: meta.open_prs,
            default_branch: Some(meta.default_branch.clone()),
            head_sha: head.map(|c| c.sha.clone()),
            latest_release: latest_release.map(str::to_string),
            head_ci: head.and_then(|c| c.ci),
        }
    }
}

/// Repository metadata as the store keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoMeta {
    pub id: RepoId,
    pub node_id: String,
    pub full_name: String,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub html_url: String,
    pub clone_url: String,
    pub ssh_url: String,
    pub default_branch: String,
    pub private: bool,
    pub fork: bool,
    pub archived: bool,
    pub disabled: bool,
    pub stars: u64,
    pub forks: u64,
    pub watchers: u64,
    /// Open issues excluding pull requests.
    pub open_issues: u64,
    pub open_prs: u64,
    pub language: Option<String>,
    pub languages: Vec<Language>,
    pub topics: Vec<String>,
    pub license: Option<String>,
    /// Size in KiB, as GitHub reports it.
    pub size_kb: u64,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub pushed_at: Option<DateTime<Utc>>,
}

/// Everything one detail fetch returns about one repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoSnapshot {
    pub meta: RepoMeta,
    pub head: Option<Commit>,
    pub latest_release: Option<String>,
    pub details: RepoDetails,
    /// How the pull requests that left the stored open list ended, as GitHub said in a follow-up
    /// fetch (only those PRs; never stored). A PR missing here is not reported merged or closed.
    #[serde(default)]
    pub pr_ends: Vec<(u64, PrEnd)>,
}

impl RepoSnapshot {
    /// What a cheap probe of this snapshot would say.
    pub fn probe(&self) -> Probe {
        Probe::of(
            &self.meta,
            self.head.as_ref(),
            self.latest_release.as_deref(),
        )
    }
}

/// Where a repo stands with the sync engine, as persisted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncStatus {
    /// Tracked, never synced.
    #[default]
    Never,
    Synced,
    Failed,
    /// GitHub no longer shows it to us (deleted, made private, access lost). Kept, never deleted.
    Inaccessible,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Never => "never",
            SyncStatus::Synced => "synced",
            SyncStatus::Failed => "failed",
            SyncStatus::Inaccessible => "inaccessible",
        }
    }
}

/// The store's own stable number for a tracked repository, assigned when it is added.
/// It never changes, even before GitHub's id is known or across renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalId(pub u64);

impl fmt::Display for LocalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A tracked repository: what the user asked for plus the last good summary of GitHub's state.
/// The bulky lists (commits, branches, PRs, issues, releases) live in [`RepoDetails`], stored apart
/// so that listing 10,000 repos stays cheap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackedRepo {
    pub local: LocalId,
    /// The name as the user added it, or as last seen on GitHub (renames update it).
    pub key: RepoKey,
    /// GitHub's id, known after the first sync.
    pub id: Option<RepoId>,
    pub added_at: DateTime<Utc>,
    pub status: SyncStatus,
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When details (not just the probe) were last fetched.
    pub details_at: Option<DateTime<Utc>>,
    pub last_error: Option<SyncError>,
    pub meta: Option<RepoMeta>,
    pub head: Option<Commit>,
    pub latest_release: Option<String>,
    /// Star count change seen by the last sync that changed it, for the list's delta column.
    pub stars_delta: i64,
    /// Activity entries not yet read.
    pub unread: u32,
}

impl TrackedRepo {
    pub fn new(local: LocalId, key: RepoKey, now: DateTime<Utc>) -> Self {
        Self {
            local,
            key,
            id: None,
            added_at: now,
            status: SyncStatus::Never,
            last_synced_at: None,
            details_at: None,
            last_error: None,
            meta: None,
            head: None,
            latest_release: None,
            stars_delta: 0,
            unread: 0,
        }
    }

    /// The probe our stored copy would answer; `None` before the first sync.
    pub fn probe(&self) -> Option<Probe> {
        let meta = self.meta.as_ref()?;
        Some(Probe::of(
            meta,
            self.head.as_ref(),
            self.latest_release.as_deref(),
        ))
    }
}

/// The commit window as a literal, for query text built with `concat!` (see [`COMMIT_WINDOW`]).
macro_rules! commit_window {
    () => {
        30
    };
}
pub(crate) use commit_window;

/// The webhook events repodeck acts on (`hook create`'s default subscription; `serve` syncs the
/// repository each one names).
pub const WEBHOOK_EVENTS: [&str; 12] = [
    "push",
    "create",
    "delete",
    "release",
    "pull_request",
    "issues",
    "repository",
    "star",
    "fork",
    "public",
    "branch_protection_rule",
    "member",
];

/// How many recent commits of the default branch a sync fetches and keeps: the GraphQL detail
/// query's `history(first: ..)`, the REST path's `per_page` and the stored list all use it, and
/// change detection knows a list this long may not reach back to the last head it saw.
pub const COMMIT_WINDOW: usize = commit_window!();

/// The lists fetched with a repository's details, stored apart from the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoDetails {
    /// Newest first, at most [`COMMIT_WINDOW`].
    pub commits: Vec<Commit>,
    pub branches: Vec<Branch>,
    /// Open pull requests.
    pub pulls: Vec<PullRequest>,
    /// Open issues, pull requests excluded.
    pub issues: Vec<Issue>,
    /// Newest first, at most 10.
    pub releases: Vec<Release>,
    /// CI of the default branch's head, with its checks.
    pub ci: Option<CiStatus>,
}

/// Why a repository's sync failed: from the GitHub error taxonomy, or from the engine itself.
/// The CLI's JSON, the store and the UI all use its snake_case name ([`FailureKind::as_str`]);
/// it is stored as that string, so stores written when the kind was a plain string stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum FailureKind {
    /// GitHub rejected the token (401).
    Unauthorized,
    /// GitHub refused access (403 without a rate limit, GraphQL `FORBIDDEN`).
    Forbidden,
    NotFound,
    /// A primary rate limit was used up.
    RateLimited,
    SecondaryRateLimited,
    /// GitHub answered 5xx.
    Server,
    Network,
    Timeout,
    /// GitHub's answer could not be read.
    Decode,
    /// A redirect GitHub answered before repodeck followed its own redirects (older stores only).
    Moved,
    Cancelled,
    /// Background work stopped at the rate-limit reserve.
    Budget,
    /// The repository was untracked while its job waited.
    Untracked,
    /// The store could not be read or written.
    Store,
    /// The sync queue was full.
    QueueFull,
    /// A bug (a panic during the pass).
    Internal,
    /// A part of a repository (commits, branches, a page) answered 404; the repository did not.
    PartNotFound,
    /// GraphQL `RESOURCE_LIMITS_EXCEEDED` even for one repository.
    ResourceLimits,
    /// A redirect repodeck does not follow (another origin, a loop, a GraphQL query).
    Redirected,
    /// A next-page `Link` repodeck refuses to follow.
    BadLink,
    /// An HTTP status GitHub does not send there (often a proxy's).
    UnexpectedStatus,
    /// The whole API endpoint could not be used (unreachable, timing out, failing).
    Unavailable,
    /// The configured API URL does not answer like GitHub's API.
    NotGithub,
}

impl FailureKind {
    /// Every kind, for exhaustive checks.
    pub const ALL: [FailureKind; 23] = [
        FailureKind::Unauthorized,
        FailureKind::Forbidden,
        FailureKind::NotFound,
        FailureKind::RateLimited,
        FailureKind::SecondaryRateLimited,
        FailureKind::Server,
        FailureKind::Network,
        FailureKind::Timeout,
        FailureKind::Decode,
        FailureKind::Moved,
        FailureKind::Cancelled,
        FailureKind::Budget,
        FailureKind::Untracked,
        FailureKind::Store,
        FailureKind::QueueFull,
        FailureKind::Internal,
        FailureKind::PartNotFound,
        FailureKind::ResourceLimits,
        FailureKind::Redirected,
        FailureKind::BadLink,
        FailureKind::UnexpectedStatus,
        FailureKind::Unavailable,
        FailureKind::NotGithub,
    ];

    /// The stable snake_case name printed by `--json` outputs and kept in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::Forbidden => "forbidden",
            FailureKind::NotFound => "not_found",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::SecondaryRateLimited => "secondary_rate_limited",
            FailureKind::Server => "server",
            FailureKind::Network => "network",
            FailureKind::Timeout => "timeout",
            FailureKind::Decode => "decode",
            FailureKind::Moved => "moved",
            FailureKind::Cancelled => "cancelled",
            FailureKind::Budget => "budget",
            FailureKind::Untracked => "untracked",
            FailureKind::Store => "store",
            FailureKind::QueueFull => "queue_full",
            FailureKind::Internal => "internal",
            FailureKind::PartNotFound => "part_not_found",
            FailureKind::ResourceLimits => "resource_limits",
            FailureKind::Redirected => "redirected",
            FailureKind::BadLink => "bad_link",
            FailureKind::UnexpectedStatus => "unexpected_status",
            FailureKind::Unavailable => "unavailable",
            FailureKind::NotGithub => "not_github",
        }
    }

    /// The kind with this name; `None` for a name no build of repodeck wrote.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<FailureKind> for String {
    fn from(k: FailureKind) -> Self {
        k.as_str().to_string()
    }
}

impl From<String> for FailureKind {
    /// Reading a stored kind never fails: a name this build does not know (only a newer build
    /// could have written one) reads as `Internal` rather than making the record unreadable.
    fn from(name: String) -> Self {
        Self::parse(&name).unwrap_or(FailureKind::Internal)
    }
}

impl PartialEq<str> for FailureKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for FailureKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A failure kept with the repo so the UI can explain it later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncError {
    pub kind: FailureKind,
    /// What happened and what to do, never containing a token.
    pub message: String,
    pub at: DateTime<Utc>,
}

/// One detected difference between two snapshots of a repository.
/// Stored externally tagged (bincode cannot read internally tagged enums); the CLI builds its flat
/// `{"kind": ..., fields}` form (`commands::sync::change_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    NewCommits {
        count: u64,
        head: String,
    },
    ForcePushed {
        old_head: String,
        new_head: String,
    },
    Stars {
        delta: i64,
    },
    Forks {
        delta: i64,
    },
    DescriptionChanged {
        old: Option<String>,
        new: Option<String>,
    },
    TopicsChanged {
        added: Vec<String>,
        removed: Vec<String>,
    },
    DefaultBranchChanged {
        old: String,
        new: String,
    },
    Archived,
    Unarchived,
    VisibilityChanged {
        private: bool,
    },
    NewRelease {
        tag: String,
    },
    PrOpened {
        number: u64,
        title: String,
    },
    PrClosed {
        number: u64,
        title: String,
    },
    PrMerged {
        number: u64,
        title: String,
    },
    IssueOpened {
        number: u64,
        title: String,
    },
    IssueClosed {
        number: u64,
        title: String,
    },
    Renamed {
        old: String,
        new: String,
    },
    Inaccessible,
    /// A repository marked inaccessible answered again.
    Accessible,
    // Appended after the rest: stored activity keeps its variant numbers.
    BranchCreated {
        name: String,
    },
    BranchDeleted {
        name: String,
    },
    /// A branch became protected (or stopped being).
    BranchProtection {
        name: String,
        protected: bool,
    },
    /// The rule of a protected branch changed (reviews, required checks, ...).
    ProtectionChanged {
        name: String,
        old: Protection,
        new: Protection,
    },
    /// The default branch's head turned red.
    CiFailed {
        sha: String,
        checks: Vec<String>,
    },
    /// The default branch's head is green again after a failure.
    CiRecovered {
        sha: String,
    },
}

impl Change {
    /// Every [`Change::kind`] name, in variant order (config's `[[notify]] kinds` are checked
    /// against it).
    pub const KINDS: &'static [&'static str] = &[
        "new_commits",
        "force_pushed",
        "stars",
        "forks",
        "description_changed",
        "topics_changed",
        "default_branch_changed",
        "archived",
        "unarchived",
        "visibility_changed",
        "new_release",
        "pr_opened",
        "pr_closed",
        "pr_merged",
        "issue_opened",
        "issue_closed",
        "renamed",
        "inaccessible",
        "accessible",
        "branch_created",
        "branch_deleted",
        "branch_protection",
        "protection_changed",
        "ci_failed",
        "ci_recovered",
    ];

    /// The snake_case name of the variant, as `--json` outputs print it.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::NewCommits { .. } => "new_commits",
            Change::ForcePushed { .. } => "force_pushed",
            Change::Stars { .. } => "stars",
            Change::Forks { .. } => "forks",
            Change::DescriptionChanged { .. } => "description_changed",
            Change::TopicsChanged { .. } => "topics_changed",
            Change::DefaultBranchChanged { .. } => "default_branch_changed",
            Change::Archived => "archived",
            Change::Unarchived => "unarchived",
            Change::VisibilityChanged { .. } => "visibility_changed",
            Change::NewRelease { .. } => "new_release",
            Change::PrOpened { .. } => "pr_opened",
            Change::PrClosed { .. } => "pr_closed",
            Change::PrMerged { .. } => "pr_merged",
            Change::IssueOpened { .. } => "issue_opened",
            Change::IssueClosed { .. } => "issue_closed",
            Change::Renamed { .. } => "renamed",
            Change::Inaccessible => "inaccessible",
            Change::Accessible => "accessible",
            Change::BranchCreated { .. } => "branch_created",
            Change::BranchDeleted { .. } => "branch_deleted",
            Change::BranchProtection { .. } => "branch_protection",
            Change::ProtectionChanged { .. } => "protection_changed",
            Change::CiFailed { .. } => "ci_failed",
            Change::CiRecovered { .. } => "ci_recovered",
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::NewCommits { count, head } => {
                write!(
                    f,
                    "{count} new commit{} (head {})",
                    if *count == 1 { "" } else { "s" },
                    short_sha(head)
                )
            }
            Change::ForcePushed { old_head, new_head } => {
                write!(
                    f,
                    "force-pushed {} -> {}",
                    short_sha(old_head),
                    short_sha(new_head)
                )
            }
            Change::Stars { delta } => write!(f, "stars {delta:+}"),
            Change::Forks { delta } => write!(f, "forks {delta:+}"),
            Change::DescriptionChanged { .. } => write!(f, "description changed"),
            Change::TopicsChanged { added, removed } => {
                write!(f, "topics changed (+{} -{})", added.len(), removed.len())
            }
            Change::DefaultBranchChanged { old, new } => write!(f, "default branch {old} -> {new}"),
            Change::Archived => write!(f, "archived"),
            Change::Unarchived => write!(f, "unarchived"),
            Change::VisibilityChanged { private } => {
                write!(f, "now {}", if *private { "private" } else { "public" })
            }
            Change::NewRelease { tag } => write!(f, "new release {tag}"),
            Change::PrOpened { number, title } => write!(f, "PR #{number} opened: {title}"),
            Change::PrClosed { number, title } => write!(f, "PR #{number} closed: {title}"),
            Change::PrMerged { number, title } => write!(f, "PR #{number} merged: {title}"),
            Change::IssueOpened { number, title } => write!(f, "issue #{number} opened: {title}"),
            Change::IssueClosed { number, title } => write!(f, "issue #{number} closed: {title}"),
            Change::Renamed { old, new } => write!(f, "renamed {old} -> {new}"),
            Change::Inaccessible => write!(f, "no longer accessible"),
            Change::Accessible => write!(f, "accessible again"),
            Change::BranchCreated { name } => write!(f, "branch {name} created"),
            Change::BranchDeleted { name } => write!(f, "branch {name} deleted"),
            Change::BranchProtection { name, protected } => write!(
                f,
                "branch {name} {}",
                if *protected {
                    "protected"
                } else {
                    "no longer protected"
                }
            ),
            Change::ProtectionChanged { name, .. } => {
                write!(f, "branch {name} protection rule changed")
            }
            Change::CiFailed { sha, checks } => {
                write!(f, "CI failing on {}", short_sha(sha))?;
                if !checks.is_empty() {
                    write!(f, ": {}", checks.join(", "))?;
                }
                Ok(())
            }
            Change::CiRecovered { sha } => write!(f, "CI passing again on {}", short_sha(sha)),
        }
    }
}

/// First seven characters of a commit id.
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

/// An entry of the activity feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityEntry {
    /// Monotonic sequence number assigned by the store; orders the feed.
    pub seq: u64,
    pub repo: RepoId,
    pub full_name: String,
    pub at: DateTime<Utc>,
    pub change: Change,
    pub read: bool,
}

/// One rate-limit bucket (`core`, `graphql`, `search`, ...), from headers or `GET /rate_limit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBucket {
    pub name: String,
    pub limit: u64,
    pub remaining: u64,
    pub used: u64,
    pub reset: DateTime<Utc>,
}

impl RateBucket {
    /// Remaining as a fraction of the limit (1.0 when the limit is unknown or zero).
    pub fn fraction(&self) -> f64 {
        if self.limit == 0 {
            1.0
        } else {
            self.remaining as f64 / self.limit as f64
        }
    }
}

// ---- Sync requests: shared by the engine (`sync`) and the GitHub layer that schedules them ----

/// Who asked: user-triggered work runs before background work and may use the rate-limit reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Priority {
    Background,
    User,
}

/// Where `Import` lists repositories from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportSource {
    Org(String),
    User(String),
    /// The authenticated user's own repositories.
    Mine,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportOptions {
    pub source: ImportSource,
    pub include_forks: bool,
    pub include_archived: bool,
}

/// Why work is waiting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitReason {
    /// GitHub's secondary rate limit: every request is paused.
    SecondaryLimit,
    /// A bucket ran out; its requests wait for the reset.
    Exhausted { bucket: String },
    /// Background work stops below `github.reserve`.
    Reserve { bucket: String },
    /// Too many consecutive failures: the circuit breaker is open.
    CircuitOpen,
    /// Waiting before a retry after a server or network error.
    Retry { attempt: u32 },
}

impl std::fmt::Display for WaitReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitReason::SecondaryLimit => write!(f, "secondary rate limit: all requests paused"),
            WaitReason::Exhausted { bucket } => {
                write!(f, "{bucket} rate limit used up: waiting for the reset")
            }
            WaitReason::Reserve { bucket } => {
                write!(f, "{bucket} budget at the reserve: background sync paused")
            }
            WaitReason::CircuitOpen => {
                write!(f, "GitHub is failing: requests paused (circuit open)")
            }
            WaitReason::Retry { attempt } => write!(f, "retrying (attempt {attempt})"),
        }
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub key: RepoKey,
    pub description: Option<String>,
    pub stars: u64,
    pub language: Option<String>,
}

/// Where the token of a request to GitHub came from, as the audit log records it (the token
/// itself never: only its [`RequestRecord::token`] id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// No token: GitHub's anonymous limits.
    Anonymous,
    /// The vault's global token.
    VaultGlobal,
    /// The vault's token for one repository.
    VaultRepo,
    /// `GITHUB_TOKEN` or `GH_TOKEN`.
    Env,
    /// A token handed to the client directly (the demo's, `token set`'s live check).
    Given,
}

impl TokenKind {
    /// Every kind, in the order of their stored code.
    pub const ALL: [TokenKind; 5] = [
        TokenKind::Anonymous,
        TokenKind::VaultGlobal,
        TokenKind::VaultRepo,
        TokenKind::Env,
        TokenKind::Given,
    ];

    /// The stable name `repodeck audit` prints and `--json` carries.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Anonymous => "anonymous",
            TokenKind::VaultGlobal => "vault-global",
            TokenKind::VaultRepo => "vault-repo",
            TokenKind::Env => "env",
            TokenKind::Given => "given",
        }
    }

    /// The kind with this name; `None` for one no build wrote.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one request to GitHub ended: the HTTP status it answered, or why no answer came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    Status(u16),
    /// A transport failure (`network`, `timeout`): no status.
    Failed(FailureKind),
}

impl RequestOutcome {
    /// A failure, a 4xx or a 5xx (a 304 is a success that costs nothing).
    pub fn is_error(self) -> bool {
        match self {
            RequestOutcome::Status(s) => s >= 400,
            RequestOutcome::Failed(_) => true,
        }
    }
}

impl fmt::Display for RequestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestOutcome::Status(s) => write!(f, "{s}"),
            RequestOutcome::Failed(k) => f.write_str(k.as_str()),
        }
    }
}

/// One request to GitHub as the token-use audit log keeps it (every attempt, 304s and failures
/// included). Never the token: `token` is its id (`ghp_…a1f3`, as `repodeck token list` shows
/// it). Built by the GitHub client for every request, kept by the store, shown by `repodeck
/// audit` and the TUI's rate panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub at: DateTime<Utc>,
    /// The token's id; `None` when anonymous.
    pub token: Option<std::sync::Arc<str>>,
    pub source: TokenKind,
    /// `owner/name` when the request was for one repository (REST, or a GraphQL batch of one
    /// repository named by name).
    pub repo: Option<String>,
    /// Repositories in a GraphQL batch (one entry per batch); 0 for REST.
    pub repos: u32,
    /// The endpoint class the metrics count by (`/repos/{o}/{r}/branches`, `/graphql`).
    pub class: std::borrow::Cow<'static, str>,
    pub method: std::borrow::Cow<'static, str>,
    pub outcome: RequestOutcome,
    /// Rate-limit points: 1 per REST request GitHub answered (0 for a 304 or no answer), the
    /// reported cost of a GraphQL query.
    pub points: u32,
}

impl RequestRecord {
    /// The token's id, or `anonymous`.
    pub fn token_label(&self) -> &str {
        self.token.as_deref().unwrap_or("anonymous")
    }
}

/// What one token did over a period: the audit log's per-token summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    /// The token's id, or `anonymous`.
    pub token: String,
    pub source: TokenKind,
    pub requests: u64,
    pub points: u64,
    /// Failures, 4xx and 5xx answers.
    pub errors: u64,
}

/// Sums records per token (and source), most requests first.
pub fn token_use<'a>(records: impl IntoIterator<Item = &'a RequestRecord>) -> Vec<TokenUse> {
    let mut by: std::collections::BTreeMap<(&str, TokenKind), TokenUse> = Default::default();
    for r in records {
        let u = by
            .entry((r.token_label(), r.source))
            .or_insert_with(|| TokenUse {
                token: r.token_label().to_string(),
                source: r.source,
                requests: 0,
                points: 0,
                errors: 0,
            });
        u.requests += 1;
        u.points += u64::from(r.points);
        u.errors += u64::from(r.outcome.is_error());
    }
    let mut out: Vec<TokenUse> = by.into_values().collect();
    out.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.token.cmp(&b.token)));
    out
}

/// A freshness cadence class: how often the scheduler probes a repo, by how recently it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CadenceClass {
    /// Open in the TUI's detail view: the fastest cadence.
    Focus,
    /// At least two changes within the last hour (the freshness scheduler's `HOT_CHANGES` in
    /// its `HOT_WINDOW`): one change says little about the next.
    Hot,
    /// Last changed within the last day, without the two changes in the hour that make it hot
    /// (a single recent change is warm).
    Warm,
    /// Changed within the last week.
    Cool,
    /// No change seen for a week or more: probed at `sync.interval`.
    Dormant,
}

impl CadenceClass {
    pub const ALL: [CadenceClass; 5] = [
        CadenceClass::Focus,
        CadenceClass::Hot,
        CadenceClass::Warm,
        CadenceClass::Cool,
        CadenceClass::Dormant,
    ];

    pub fn label(self) -> &'static str {
        match self {
            CadenceClass::Focus => "focus",
            CadenceClass::Hot => "hot",
            CadenceClass::Warm => "warm",
            CadenceClass::Cool => "cool",
            CadenceClass::Dormant => "dormant",
        }
    }
}

/// One cadence class of the plan: its probe interval and how many repos are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CadenceRow {
    pub class: CadenceClass,
    pub every_secs: u64,
    pub repos: usize,
}

/// The freshness scheduler's plan as last published (rate panel `L`, `repodeck status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreshnessPlan {
    pub at: DateTime<Utc>,
    /// GraphQL points per hour background probes may spend.
    pub budget_points: u64,
    /// Points spent in the last hour (all GraphQL work of the engine).
    pub spent_last_hour: u64,
    pub classes: Vec<CadenceRow>,
    /// When the next background probe is due; `None` when nothing is tracked.
    pub next_probe: Option<DateTime<Utc>>,
    /// Mean time since each repo was last probed or synced.
    pub mean_age_secs: Option<u64>,
    /// Owners whose events feeds are watched for hints.
    pub hint_feeds: usize,
    /// Event-hint polls so far, and how many were answered 304 (free).
    pub hint_polls: u64,
    pub hint_not_modified: u64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_characters_typed_in_a_name_are_shown_escaped() {
        for input in [
            "\u{1b}[31mred/repo",
            "own\u{1b}]0;x\u{7}er/repo",
            "a/b\u{202e}c",
            "\u{9b}2J",
        ] {
            let err = super::RepoKey::parse(input).unwrap_err().to_string();
            assert!(
                !err.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{err:?}"
            );
            assert!(err.contains("\\u{"), "{err:?}");
        }
    }

    use super::*;

    #[test]
    fn parses_the_accepted_shapes() {
        for input in [
            "octocat/hello-world",
            "https://github.com/octocat/hello-world",
            "https://github.com/octocat/hello-world/",
            "https://github.com/octocat/hello-world.git",
            "git@github.com:octocat/hello-world.git",
            "  octocat/hello-world  ",
        ] {
            let key = RepoKey::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(key.to_string(), "octocat/hello-world", "{input}");
        }
    }

    #[test]
    fn rejects_bad_names_naming_the_part() {
        let cases = [
            ("bad//name", "name '/name'"),
            ("-bad/x", "owner"),
            ("bad-/x", "owner"),
            ("a--b/x", "owner"),
            (&format!("{}/x", "a".repeat(40)), "owner"),
            ("o/.", "name"),
            ("o/..", "name"),
            ("o/has space", "name"),
            (&format!("o/{}", "a".repeat(101)), "name"),
            ("justone", "not a repository"),
            ("o/", "not a repository"),
            ("/n", "owner"),
        ];
        for (input, part) in cases {
            let err = RepoKey::parse(input).expect_err(input).to_string();
            assert!(err.contains(part), "{input}: {err}");
        }
        assert!(RepoKey::parse(&format!("{}/{}", "a".repeat(39), "b".repeat(100))).is_ok());
        assert!(RepoKey::parse("o/a.b_c-d").is_ok());
    }

    #[test]
    fn failure_kind_names_round_trip_and_compare_with_strings() {
        let mut names = std::collections::HashSet::new();
        for k in FailureKind::ALL {
            assert!(names.insert(k.as_str()), "duplicate name {k}");
            assert_eq!(FailureKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert!(FailureKind::Unauthorized == "unauthorized");
        assert_eq!(FailureKind::parse("nope"), None);
    }

    #[test]
    fn key_order_is_the_order_of_the_lowercase_names() {
        let names = [
            "a-b/x", "a/x", "A/y", "ab/c", "a1/c", "a/X-1", "a/_z", "Zed/a", "zed/B", "a/x.y",
        ];
        let mut keys: Vec<RepoKey> = names.iter().map(|n| RepoKey::parse(n).unwrap()).collect();
        keys.sort();
        let mut lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        lower.sort();
        assert_eq!(keys.iter().map(RepoKey::lower).collect::<Vec<_>>(), lower);
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let a = RepoKey::parse("Octocat/Hello-World").unwrap();
        let b = RepoKey::parse("octocat/hello-world").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.lower(), "octocat/hello-world");
        assert_eq!(a.to_string(), "Octocat/Hello-World");
    }
}
