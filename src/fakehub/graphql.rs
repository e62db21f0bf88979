//! GraphQL at POST /graphql: a strict subset of GitHub's schema served by async-graphql, GitHub's cost formula, errors reshaped like GitHub's (`type`, `path`, `locations`), server time per node and the 10 s cut-off.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, Error, ErrorExtensions, ID, InputObject,
    InputValueError, InputValueResult, Interface, Object, Scalar, ScalarType, Schema, SimpleObject,
    Union, Value as GqlValue,
};
use axum::body::Bytes;
use axum::http::StatusCode;
use base64::Engine;
use serde_json::{Value, json};

use super::bodies::iso;
use super::data::{self, AccountKind, Detail, LICENSES, Repo, World, node_id, parse_node_id};
use super::ratelimit::Bucket;
use super::{Caller, Outcome, Reply, Shared, lock, now_epoch};

pub(super) mod search_prs;

pub type FakeSchema = Schema<Query, EmptyMutation, EmptySubscription>;

pub fn build_schema() -> FakeSchema {
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(64)
        .finish()
}

/// The SDL of fakehub's schema (for the subset test against GitHub's).
pub fn sdl() -> String {
    build_schema().sdl()
}

macro_rules! string_scalar {
    ($t:ident, $name:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $t(pub String);

        #[Scalar(name = $name)]
        impl ScalarType for $t {
            fn parse(value: GqlValue) -> InputValueResult<Self> {
                match value {
                    GqlValue::String(s) => Ok($t(s)),
                    other => Err(InputValueError::expected_type(other)),
                }
            }
            fn to_value(&self) -> GqlValue {
                GqlValue::String(self.0.clone())
            }
        }
    };
}

string_scalar!(DateTime, "DateTime");
string_scalar!(Uri, "URI");
string_scalar!(GitObjectId, "GitObjectID");
string_scalar!(GitSshRemote, "GitSSHRemote");
string_scalar!(GitTimestamp, "GitTimestamp");

fn dt(t: i64) -> DateTime {
    DateTime(iso(t))
}

/// Per-request data handed to the resolvers.
pub struct GqlData {
    pub world: Arc<World>,
    pub rate: RateLimit,
}

fn gd<'a>(ctx: &Context<'a>) -> &'a GqlData {
    // The data is always inserted by `execute`; a schema used without it is a programming error
    // caught by the tests, but never panic on a request.
    static EMPTY: OnceLock<GqlData> = OnceLock::new();
    ctx.data::<GqlData>().unwrap_or_else(|_| {
        EMPTY.get_or_init(|| GqlData {
            world: Arc::new(World::generate(0, 0)),
            rate: RateLimit {
                cost: 0,
                limit: 0,
                node_count: 0,
                remaining: 0,
                reset_at: dt(0),
                used: 0,
            },
        })
    })
}

fn typed(ty: &'static str, msg: impl Into<String>) -> Error {
    Error::new(msg.into()).extend_with(|_, e| e.set("type", ty))
}

/// Records an error for this field (optionally one slot of a list) without failing its siblings:
/// GitHub keeps the good aliases' data next to the errors.
fn soft_error(ctx: &Context<'_>, err: Error, index: Option<usize>) {
    let mut e = ctx.set_error_path(err.into_server_error(ctx.item.pos));
    if let Some(i) = index {
        e.path.push(async_graphql::PathSegment::Index(i));
    }
    ctx.add_error(e);
}

/// GitHub's error for an id that names no node (in `node`, or slot `index` of `nodes`).
fn node_not_found(ctx: &Context<'_>, id: &ID, index: Option<usize>) {
    let message = format!(
        "Could not resolve to a node with the global id of '{}'",
        id.0
    );
    soft_error(ctx, typed("NOT_FOUND", message), index);
}

const HTML: &str = "https://github.com";

// ---------- enums and inputs (names and values as in GitHub's schema) ----------

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IssueState {
    Open,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PullRequestState {
    Open,
    Closed,
    Merged,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StatusState {
    Error,
    Expected,
    Failure,
    Pending,
    Success,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CheckStatusState {
    Completed,
    InProgress,
    Pending,
    Queued,
    Requested,
    Waiting,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CheckConclusionState {
    ActionRequired,
    Cancelled,
    Failure,
    Neutral,
    Skipped,
    Stale,
    StartupFailure,
    Success,
    TimedOut,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum GitSignatureState {
    Valid,
    UnknownKey,
    Unsigned,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PullRequestReviewDecision {
    Approved,
    ChangesRequested,
    ReviewRequired,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum MergeableState {
    Conflicting,
    Mergeable,
    Unknown,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum OrderDirection {
    Asc,
    Desc,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum IssueOrderField {
    CreatedAt,
    UpdatedAt,
    Comments,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ReleaseOrderField {
    CreatedAt,
    Name,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum LanguageOrderField {
    Size,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum RefOrderField {
    Alphabetical,
    TagCommitDate,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SearchType {
    Discussion,
    Issue,
    Repository,
    User,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct IssueOrder {
    pub field: IssueOrderField,
    pub direction: OrderDirection,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct ReleaseOrder {
    pub field: ReleaseOrderField,
    pub direction: OrderDirection,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct LanguageOrder {
    pub field: LanguageOrderField,
    pub direction: OrderDirection,
}

#[derive(InputObject, Clone, Copy, Debug)]
pub struct RefOrder {
    pub field: RefOrderField,
    pub direction: OrderDirection,
}

// ---------- pagination ----------

#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    pub end_cursor: Option<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
}

fn cursor(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("cursor:{offset}"))
}

fn decode_cursor(c: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD.decode(c).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("cursor:")?
        .parse()
        .ok()
}

/// The arguments of every connection field.
struct Args {
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
}

impl Args {
    fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Args {
            first,
            after,
            last,
            before,
        }
    }
}

/// GitHub's connection rules: `first`/`last` in 0..=100, required when nodes or edges are asked for.
fn paginate<T>(
    ctx: &Context<'_>,
    conn: &str,
    all: Vec<T>,
    a: Args,
) -> async_graphql::Result<(Vec<(String, T)>, PageInfo)> {
    for (n, which) in [(a.first, "first"), (a.last, "last")] {
        if let Some(n) = n
            && !(0..=100).contains(&n)
        {
            return Err(typed(
                "EXCESSIVE_PAGINATION",
                format!(
                    "Requesting {n} records on the `{conn}` connection exceeds the `{which}` limit of 100 records."
                ),
            ));
        }
    }
    let look = ctx.look_ahead();
    let wants_items = look.field("nodes").exists() || look.field("edges").exists();
    if a.first.is_none() && a.last.is_none() && wants_items {
        return Err(typed(
            "MISSING_PAGINATION_BOUNDARIES",
            format!(
                "You must provide a `first` or `last` value to properly paginate the `{conn}` connection."
            ),
        ));
    }
    let len = all.len();
    let lo = a
        .after
        .as_deref()
        .and_then(decode_cursor)
        .map(|o| o + 1)
        .unwrap_or(0)
        .min(len);
    let hi = a
        .before
        .as_deref()
        .and_then(decode_cursor)
        .unwrap_or(len)
        .min(len)
        .max(lo);
    let (mut start, mut end) = (lo, hi);
    if let Some(f) = a.first {
        end = end.min(start + f as usize);
    }
    if let Some(l) = a.last {
        start = start.max(end.saturating_sub(l as usize));
    }
    if a.first.is_none() && a.last.is_none() {
        end = start;
    }
    let page_info = PageInfo {
        start_cursor: (start < end).then(|| cursor(start)),
        end_cursor: (start < end).then(|| cursor(end - 1)),
        has_next_page: end < hi,
        has_previous_page: start > lo,
    };
    let items = all
        .into_iter()
        .enumerate()
        .skip(start)
        .take(end - start)
        .map(|(i, t)| (cursor(i), t))
        .collect();
    Ok((items, page_info))
}

/// A connection's `edges` and `nodes`.
type EdgesAndNodes<E, N> = (Option<Vec<Option<E>>>, Option<Vec<Option<N>>>);

/// The `edges` (built by `edge` from the cursor and the item) and `nodes` of a page.
fn edges_and_nodes<T, E, N>(
    items: Vec<(String, T)>,
    edge: impl Fn(String, &T) -> E,
    node: impl Fn(T) -> N,
) -> EdgesAndNodes<E, N> {
    let edges = items
        .iter()
        .map(|(c, t)| Some(edge(c.clone(), t)))
        .collect();
    let nodes = items.into_iter().map(|(_, t)| Some(node(t))).collect();
    (Some(edges), Some(nodes))
}

/// A connection type with `edges`, `nodes`, `pageInfo` and `totalCount`.
trait Connection: Sized {
    type Node;
    fn from_page(items: Vec<(String, Self::Node)>, page_info: PageInfo, total: usize) -> Self;
}

/// The page of `all` that `a` asks for, as the connection `conn` (its `totalCount` is `all.len()`).
fn connect<C: Connection>(
    ctx: &Context<'_>,
    conn: &str,
    all: Vec<C::Node>,
    a: Args,
) -> async_graphql::Result<C> {
    let total = all.len();
    connect_with(ctx, conn, all, total, a, Some)
}

/// Like [`connect`], but the items become nodes only once paged (`node` may drop one) and
/// `totalCount` is `total`.
fn connect_with<C: Connection, T>(
    ctx: &Context<'_>,
    conn: &str,
    all: Vec<T>,
    total: usize,
    a: Args,
    node: impl Fn(T) -> Option<C::Node>,
) -> async_graphql::Result<C> {
    let (items, page_info) = paginate(ctx, conn, all, a)?;
    let items = items
        .into_iter()
        .filter_map(|(c, t)| node(t).map(|n| (c, n)))
        .collect();
    Ok(C::from_page(items, page_info, total))
}

macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        #[derive(SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: Option<$node>,
        }

        connection!(@conn $conn, $edge, $node);
    };
    (@conn $(#[$attr:meta])* $conn:ident, $edge:ident, $node:ty) => {
        $(#[$attr])*
        #[derive(SimpleObject)]
        pub struct $conn {
            pub edges: Option<Vec<Option<$edge>>>,
            pub nodes: Option<Vec<Option<$node>>>,
            pub page_info: PageInfo,
            pub total_count: i32,
        }

        impl Connection for $conn {
            type Node = $node;
            fn from_page(items: Vec<(String, $node)>, page_info: PageInfo, total: usize) -> Self {
                let (edges, nodes) = edges_and_nodes(
                    items,
                    |cursor, n: &$node| $edge {
                        cursor,
                        node: Some(n.clone()),
                    },
                    |n| n,
                );
                $conn {
                    edges,
                    nodes,
                    page_info,
                    total_count: total as i32,
                }
            }
        }
    };
}

connection!(IssueConnection, IssueEdge, Issue);
connection!(
    StatusCheckRollupContextConnection,
    StatusCheckRollupContextEdge,
    StatusCheckRollupContext
);
connection!(PullRequestConnection, PullRequestEdge, PullRequest);
connection!(ReleaseConnection, ReleaseEdge, Release);
connection!(RefConnection, RefEdge, Ref);
connection!(UserConnection, UserEdge, User);
connection!(LabelConnection, LabelEdge, items::Label);
connection!(
    ReviewRequestConnection,
    ReviewRequestEdge,
    items::ReviewRequest
);

mod items;
connection!(CommitHistoryConnection, CommitEdge, Commit);
connection!(
    RepositoryTopicConnection,
    RepositoryTopicEdge,
    RepositoryTopic
);
connection!(
    @conn
    /// `Commit.parents` is a `CommitConnection` sharing `CommitEdge` with the history.
    CommitConnection,
    CommitEdge,
    Commit
);

// ---------- leaf objects ----------

#[derive(SimpleObject, Clone)]
pub struct RateLimit {
    pub cost: i32,
    pub limit: i32,
    pub node_count: i32,
    pub remaining: i32,
    pub reset_at: DateTime,
    pub used: i32,
}

#[derive(SimpleObject, Clone)]
pub struct License {
    pub id: ID,
    pub key: String,
    pub name: String,
    pub spdx_id: Option<String>,
    pub url: Option<Uri>,
}

#[derive(SimpleObject, Clone)]
pub struct Language {
    pub id: ID,
    pub name: String,
    pub color: Option<String>,
}

#[derive(SimpleObject, Clone)]
pub struct LanguageEdge {
    pub cursor: String,
    pub node: Language,
    pub size: i32,
}

#[derive(SimpleObject)]
pub struct LanguageConnection {
    pub edges: Option<Vec<Option<LanguageEdge>>>,
    pub nodes: Option<Vec<Option<Language>>>,
    pub page_info: PageInfo,
    pub total_count: i32,
    pub total_size: i32,
}

/// Languages page as (name, bytes); `totalSize` is filled in by the resolver.
impl Connection for LanguageConnection {
    type Node = (&'static str, u64);
    fn from_page(items: Vec<(String, Self::Node)>, page_info: PageInfo, total: usize) -> Self {
        let (edges, nodes) = edges_and_nodes(
            items,
            |cursor, (n, s)| LanguageEdge {
                cursor,
                node: language(n),
                size: *s as i32,
            },
            |(n, _)| language(n),
        );
        LanguageConnection {
            edges,
            nodes,
            page_info,
            total_count: total as i32,
            total_size: 0,
        }
    }
}

#[derive(SimpleObject, Clone)]
pub struct Topic {
    pub id: ID,
    pub name: String,
}

#[derive(SimpleObject, Clone)]
pub struct RepositoryTopic {
    pub id: ID,
    pub resource_path: Uri,
    pub topic: Topic,
    pub url: Uri,
}

#[derive(SimpleObject, Clone)]
pub struct BranchProtectionRule {
    pub id: ID,
    pub pattern: String,
    pub required_approving_review_count: Option<i32>,
    pub requires_approving_reviews: bool,
    pub required_status_check_contexts: Option<Vec<Option<String>>>,
    pub is_admin_enforced: bool,
    pub allows_force_pushes: bool,
    pub allows_deletions: bool,
    pub requires_linear_history: bool,
    pub requires_commit_signatures: bool,
}

/// GitHub's `GitSignature` interface; fakehub signs with GPG only.
#[derive(Interface, Clone)]
#[graphql(
    field(name = "is_valid", ty = "bool"),
    field(name = "state", ty = "GitSignatureState"),
    field(name = "email", ty = "String")
)]
pub enum GitSignature {
    GpgSignature(GpgSignature),
}

#[derive(Clone)]
pub struct GpgSignature {
    pub is_valid: bool,
    pub state: GitSignatureState,
    pub email: String,
    pub was_signed_by_git_hub: bool,
    pub key_id: Option<String>,
}

#[Object]
impl GpgSignature {
    async fn is_valid(&self) -> bool {
        self.is_valid
    }
    async fn state(&self) -> GitSignatureState {
        self.state
    }
    async fn email(&self) -> String {
        self.email.clone()
    }
    async fn was_signed_by_git_hub(&self) -> bool {
        self.was_signed_by_git_hub
    }
    async fn key_id(&self) -> Option<String> {
        self.key_id.clone()
    }
}

#[derive(SimpleObject, Clone)]
pub struct CheckRun {
    pub id: ID,
    pub name: String,
    pub status: CheckStatusState,
    pub conclusion: Option<CheckConclusionState>,
    pub details_url: Option<Uri>,
}

#[derive(SimpleObject, Clone)]
pub struct StatusContext {
    pub id: ID,
    pub context: String,
    pub state: StatusState,
    pub target_url: Option<Uri>,
    pub description: Option<String>,
}

#[derive(Union, Clone)]
pub enum StatusCheckRollupContext {
    CheckRun(CheckRun),
    StatusContext(StatusContext),
}

/// A commit's (or a pull request head's) combined CI.
#[derive(Clone)]
pub struct StatusCheckRollup {
    id: u64,
    ci: super::insight::FakeCi,
    url: String,
}

#[Object]
impl StatusCheckRollup {
    async fn id(&self) -> ID {
        ID(node_id("SCR_kwDO", self.id))
    }
    async fn state(&self) -> StatusState {
        status_state(self.ci.state)
    }
    async fn contexts(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<StatusCheckRollupContextConnection> {
        use super::insight::FakeCheck;
        let all: Vec<StatusCheckRollupContext> = self
            .ci
            .checks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let id = ID(node_id("CR_kwDO", self.id.wrapping_mul(10) + i as u64));
                match c {
                    FakeCheck::Run {
                        name,
                        status,
                        conclusion,
                    } => StatusCheckRollupContext::CheckRun(CheckRun {
                        id,
                        name: (*name).into(),
                        status: match *status {
                            "COMPLETED" => CheckStatusState::Completed,
                            "IN_PROGRESS" => CheckStatusState::InProgress,
                            _ => CheckStatusState::Queued,
                        },
                        conclusion: conclusion.map(|c| match c {
                            "SUCCESS" => CheckConclusionState::Success,
                            "SKIPPED" => CheckConclusionState::Skipped,
                            "NEUTRAL" => CheckConclusionState::Neutral,
                            "TIMED_OUT" => CheckConclusionState::TimedOut,
                            "CANCELLED" => CheckConclusionState::Cancelled,
                            _ => CheckConclusionState::Failure,
                        }),
                        details_url: Some(Uri(format!("{}/checks?name={name}", self.url))),
                    }),
                    FakeCheck::Status { context, state } => {
                        StatusCheckRollupContext::StatusContext(StatusContext {
                            id,
                            context: (*context).into(),
                            state: status_state(state),
                            target_url: Some(Uri(format!("{}/status/{context}", self.url))),
                            description: None,
                        })
                    }
                }
            })
            .collect();
        connect(ctx, "contexts", all, Args::new(first, after, last, before))
    }
}

fn status_state(s: &str) -> StatusState {
    match s {
        "FAILURE" => StatusState::Failure,
        "ERROR" => StatusState::Error,
        "PENDING" => StatusState::Pending,
        "EXPECTED" => StatusState::Expected,
        _ => StatusState::Success,
    }
}

#[derive(SimpleObject, Clone)]
pub struct GitActor {
    pub date: Option<GitTimestamp>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub user: Option<User>,
}

// ---------- accounts ----------

#[derive(Clone)]
pub struct User {
    w: Arc<World>,
    idx: usize,
}

#[derive(Clone)]
pub struct Organization {
    w: Arc<World>,
    idx: usize,
}

fn avatar(id: u64, size: Option<i32>) -> Uri {
    match size {
        Some(s) => Uri(format!(
            "https://avatars.githubusercontent.com/u/{id}?s={s}&v=4"
        )),
        None => Uri(format!("https://avatars.githubusercontent.com/u/{id}?v=4")),
    }
}

macro_rules! account_fields {
    ($t:ident) => {
        #[Object]
        impl $t {
            async fn id(&self) -> ID {
                ID(self.w.accounts[self.idx].node_id())
            }
            async fn database_id(&self) -> Option<i32> {
                i32::try_from(self.w.accounts[self.idx].id).ok()
            }
            async fn login(&self) -> String {
                self.w.accounts[self.idx].login.clone()
            }
            async fn name(&self) -> Option<String> {
                Some(self.w.accounts[self.idx].name.clone())
            }
            async fn url(&self) -> Uri {
                Uri(format!("{HTML}/{}", self.w.accounts[self.idx].login))
            }
            async fn avatar_url(&self, size: Option<i32>) -> Uri {
                avatar(self.w.accounts[self.idx].id, size)
            }
        }
    };
}

account_fields!(User);
account_fields!(Organization);

#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "login", ty = "String"),
    field(name = "url", ty = "self::Uri"),
    field(
        name = "avatar_url",
        ty = "Uri",
        arg(name = "size", ty = "Option<i32>")
    )
)]
pub enum RepositoryOwner {
    User(User),
    Organization(Organization),
}

#[derive(Interface, Clone)]
#[graphql(
    field(name = "login", ty = "String"),
    field(name = "url", ty = "self::Uri"),
    field(
        name = "avatar_url",
        ty = "Uri",
        arg(name = "size", ty = "Option<i32>")
    )
)]
pub enum Actor {
    User(User),
    Organization(Organization),
}

fn actor(w: &Arc<World>, idx: usize) -> Actor {
    let idx = idx.min(w.accounts.len() - 1);
    match w.accounts[idx].kind {
        AccountKind::User => Actor::User(User { w: w.clone(), idx }),
        AccountKind::Organization => Actor::Organization(Organization { w: w.clone(), idx }),
    }
}

fn git_actor(w: &Arc<World>, idx: usize, t: i64) -> GitActor {
    let idx = idx.min(w.accounts.len() - 1);
    let a = &w.accounts[idx];
    GitActor {
        date: Some(GitTimestamp(iso(t))),
        email: Some(a.email.clone()),
        name: Some(a.name.clone()),
        user: Some(User { w: w.clone(), idx }),
    }
}

// ---------- repository ----------

#[derive(Clone)]
pub struct Repository {
    w: Arc<World>,
    r: Arc<Repo>,
    detail: Arc<OnceLock<Arc<Detail>>>,
}

impl Repository {
    fn new(w: &Arc<World>, r: Arc<Repo>) -> Self {
        Repository {
            w: w.clone(),
            r,
            detail: Arc::new(OnceLock::new()),
        }
    }
    fn d(&self) -> &Detail {
        self.detail.get_or_init(|| self.w.detail(&self.r))
    }
    fn full_name(&self) -> String {
        self.w.full_name(&self.r)
    }
    fn commit(&self, pos: u32) -> Option<Commit> {
        self.r
            .commit_at(self.w.seed, self.w.accounts.len(), pos)
            .map(|c| Commit {
                repo: self.clone(),
                c,
            })
    }
    fn make_ref(&self, name: &str, head: u32, protected: bool, prefix: &str) -> Ref {
        Ref {
            repo: self.clone(),
            name: name.to_string(),
            head,
            protected,
            prefix: prefix.to_string(),
        }
    }
    /// The CI of commit `sha`, or none when it has no checks.
    fn rollup(&self, sha: &str) -> Option<StatusCheckRollup> {
        let ci = super::insight::ci(self.w.seed, &self.r, self.d(), sha)?;
        Some(StatusCheckRollup {
            id: u64::from_str_radix(sha.get(..12).unwrap_or("0"), 16).unwrap_or(0),
            ci,
            url: format!("{HTML}/{}/commit/{sha}", self.full_name()),
        })
    }
    fn owner_value(&self) -> RepositoryOwner {
        let idx = self.r.owner;
        match self.w.accounts[idx].kind {
            AccountKind::User => RepositoryOwner::User(User {
                w: self.w.clone(),
                idx,
            }),
            AccountKind::Organization => RepositoryOwner::Organization(Organization {
                w: self.w.clone(),
                idx,
            }),
        }
    }
    fn item(&self, it: &data::Item) -> Issue {
        Issue {
            repo: self.clone(),
            it: it.clone(),
        }
    }
}

impl Repository {
    /// The repo's issues or pull requests (`prs`) with one of `labels` (if given) that `keep`
    /// accepts, in `order`.
    fn items_where(
        &self,
        prs: bool,
        labels: Option<&[String]>,
        order: Option<IssueOrder>,
        keep: impl Fn(&data::Item) -> bool,
    ) -> Vec<data::Item> {
        let mut items: Vec<data::Item> = self
            .d()
            .items
            .iter()
            .filter(|i| i.is_pr == prs && has_label(i, labels) && keep(i))
            .cloned()
            .collect();
        issue_sort(&mut items, order);
        items
    }
}

fn has_label(it: &data::Item, labels: Option<&[String]>) -> bool {
    labels.is_none_or(|ls| {
        it.labels.iter().any(|l| {
            ls.iter()
                .any(|x| x == data::LABELS[*l % data::LABELS.len()].0)
        })
    })
}

fn issue_sort(items: &mut [data::Item], order: Option<IssueOrder>) {
    let o = order.unwrap_or(IssueOrder {
        field: IssueOrderField::CreatedAt,
        direction: OrderDirection::Asc,
    });
    match o.field {
        IssueOrderField::CreatedAt => items.sort_by_key(|i| (i.created_at, i.number)),
        IssueOrderField::UpdatedAt => items.sort_by_key(|i| (i.updated_at, i.number)),
        IssueOrderField::Comments => items.sort_by_key(|i| (i.comments, i.number)),
    }
    if o.direction == OrderDirection::Desc {
        items.reverse();
    }
}

#[Object]
impl Repository {
    async fn id(&self) -> ID {
        ID(self.r.node_id())
    }
    async fn database_id(&self) -> Option<i32> {
        i32::try_from(self.r.id).ok()
    }
    async fn name(&self) -> String {
        self.r.name.clone()
    }
    async fn name_with_owner(&self) -> String {
        self.full_name()
    }
    async fn owner(&self) -> RepositoryOwner {
        self.owner_value()
    }
    /// One pull request by number (an object, not a connection: GitHub bills it nothing extra).
    async fn pull_request(&self, number: i32) -> Option<PullRequest> {
        let it = self
            .d()
            .items
            .iter()
            .find(|i| i.is_pr && i64::from(i.number) == i64::from(number))?;
        Some(PullRequest(self.item(it)))
    }
    async fn description(&self) -> Option<String> {
        self.r.description.clone()
    }
    async fn homepage_url(&self) -> Option<Uri> {
        self.r.homepage.clone().map(Uri)
    }
    async fn url(&self) -> Uri {
        Uri(format!("{HTML}/{}", self.full_name()))
    }
    async fn ssh_url(&self) -> GitSshRemote {
        GitSshRemote(format!("git@github.com:{}.git", self.full_name()))
    }
    async fn is_private(&self) -> bool {
        self.r.private
    }
    async fn is_fork(&self) -> bool {
        self.r.parent.is_some()
    }
    async fn is_archived(&self) -> bool {
        self.r.archived
    }
    async fn is_disabled(&self) -> bool {
        self.r.disabled
    }
    async fn stargazer_count(&self) -> i32 {
        self.r.stars as i32
    }
    async fn fork_count(&self) -> i32 {
        self.r.forks as i32
    }
    async fn disk_usage(&self) -> Option<i32> {
        Some(self.r.size_kb as i32)
    }
    async fn created_at(&self) -> DateTime {
        dt(self.r.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        dt(self.r.updated_at)
    }
    async fn pushed_at(&self) -> Option<DateTime> {
        Some(dt(self.r.pushed_at))
    }
    async fn parent(&self) -> Option<Repository> {
        let p = self.r.parent?;
        let r = self.w.repos.get(p)?.clone();
        (!r.deleted).then(|| Repository::new(&self.w, r))
    }
    async fn watchers(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        let total = self.r.watchers as usize;
        let people = self.w.accounts.len() - 1;
        let all: Vec<User> = (0..total.min(100))
            .map(|i| User {
                w: self.w.clone(),
                idx: 1 + i % people,
            })
            .collect();
        let args = Args::new(first, after, last, before);
        connect_with(ctx, "watchers", all, total, args, Some)
    }
    async fn license_info(&self) -> Option<License> {
        let l = LICENSES.get(self.r.license?)?;
        Some(License {
            id: ID(node_id(
                "L_kgDO",
                l.key.len() as u64 * 7 + l.spdx.len() as u64,
            )),
            key: l.key.into(),
            name: l.name.into(),
            spdx_id: Some(l.spdx.into()),
            url: Some(Uri(format!(
                "http://choosealicense.com/licenses/{}/",
                l.key
            ))),
        })
    }
    async fn primary_language(&self) -> Option<Language> {
        self.r.language.map(language)
    }
    async fn languages(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<LanguageOrder>,
    ) -> async_graphql::Result<Option<LanguageConnection>> {
        let mut langs = self.d().languages.clone();
        langs.sort_by_key(|l| std::cmp::Reverse(l.1));
        if order_by.is_some_and(|o| o.direction == OrderDirection::Asc) {
            langs.reverse();
        }
        let total_size: u64 = langs.iter().map(|l| l.1).sum();
        let mut conn: LanguageConnection = connect(
            ctx,
            "languages",
            langs,
            Args::new(first, after, last, before),
        )?;
        conn.total_size = total_size as i32;
        Ok(Some(conn))
    }
    async fn repository_topics(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<RepositoryTopicConnection> {
        let all: Vec<RepositoryTopic> = self
            .r
            .topics
            .iter()
            .enumerate()
            .map(|(i, t)| RepositoryTopic {
                id: ID(node_id("RT_kwDO", self.r.id * 100 + i as u64)),
                resource_path: Uri(format!("/topics/{t}")),
                topic: Topic {
                    id: ID(node_id("TO_kwDO", t.len() as u64)),
                    name: t.clone(),
                },
                url: Uri(format!("{HTML}/topics/{t}")),
            })
            .collect();
        connect(
            ctx,
            "repositoryTopics",
            all,
            Args::new(first, after, last, before),
        )
    }
    async fn default_branch_ref(&self) -> Option<Ref> {
        let total = self.r.total_commits();
        if total == 0 {
            return None;
        }
        let protected = self
            .d()
            .branches
            .iter()
            .find(|b| b.name == self.r.default_branch)
            .is_some_and(|b| b.protected);
        Some(self.make_ref(&self.r.default_branch, total - 1, protected, "refs/heads/"))
    }
    #[graphql(name = "ref")]
    async fn ref_(&self, qualified_name: String) -> Option<Ref> {
        let name = qualified_name
            .strip_prefix("refs/heads/")
            .unwrap_or(&qualified_name);
        let b = self.d().branches.iter().find(|b| b.name == name)?;
        Some(self.make_ref(&b.name, self.r.branch_head(b), b.protected, "refs/heads/"))
    }
    #[expect(clippy::too_many_arguments, reason = "GitHub's argument list")]
    async fn refs(
        &self,
        ctx: &Context<'_>,
        ref_prefix: String,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        direction: Option<OrderDirection>,
        order_by: Option<RefOrder>,
        query: Option<String>,
    ) -> async_graphql::Result<Option<RefConnection>> {
        let tip = self.r.total_commits().saturating_sub(1);
        let mut all: Vec<Ref> = match ref_prefix.as_str() {
            "refs/heads/" => self
                .d()
                .branches
                .iter()
                .map(|b| self.make_ref(&b.name, self.r.branch_head(b), b.protected, "refs/heads/"))
                .collect(),
            "refs/tags/" => self
                .d()
                .releases
                .iter()
                .map(|rel| rel.tag.as_str())
                .chain(self.d().tags.iter().map(String::as_str))
                .map(|tag| self.make_ref(tag, tip, false, "refs/tags/"))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(q) = query {
            all.retain(|r| r.name.contains(&q));
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        let desc = order_by.map(|o| o.direction).or(direction) == Some(OrderDirection::Desc);
        if desc {
            all.reverse();
        }
        connect(ctx, "refs", all, Args::new(first, after, last, before)).map(Some)
    }
    #[expect(clippy::too_many_arguments, reason = "GitHub's argument list")]
    async fn pull_requests(
        &self,
        ctx: &Context<'_>,
        states: Option<Vec<PullRequestState>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IssueOrder>,
        labels: Option<Vec<String>>,
        head_ref_name: Option<String>,
        base_ref_name: Option<String>,
    ) -> async_graphql::Result<PullRequestConnection> {
        let items = self.items_where(true, labels.as_deref(), order_by, |i| {
            states.as_ref().is_none_or(|s| {
                s.iter().any(|st| match st {
                    PullRequestState::Open => i.open,
                    PullRequestState::Closed => !i.open && !i.merged,
                    PullRequestState::Merged => i.merged,
                })
            }) && head_ref_name.as_ref().is_none_or(|h| *h == i.head_branch)
                && base_ref_name
                    .as_ref()
                    .is_none_or(|b| *b == self.r.default_branch)
        });
        let all = items.iter().map(|it| PullRequest(self.item(it))).collect();
        connect(
            ctx,
            "pullRequests",
            all,
            Args::new(first, after, last, before),
        )
    }
    #[expect(clippy::too_many_arguments, reason = "GitHub's argument list")]
    async fn issues(
        &self,
        ctx: &Context<'_>,
        states: Option<Vec<IssueState>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<IssueOrder>,
        labels: Option<Vec<String>>,
    ) -> async_graphql::Result<IssueConnection> {
        let items = self.items_where(false, labels.as_deref(), order_by, |i| {
            states
                .as_ref()
                .is_none_or(|s| s.iter().any(|st| (*st == IssueState::Open) == i.open))
        });
        let all = items.iter().map(|it| self.item(it)).collect();
        connect(ctx, "issues", all, Args::new(first, after, last, before))
    }
    async fn releases(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<ReleaseOrder>,
    ) -> async_graphql::Result<ReleaseConnection> {
        let latest = super::rest::latest_release(self.d()).map(|r| r.id);
        let mut rels: Vec<data::Release> = self.d().releases.clone();
        let o = order_by.unwrap_or(ReleaseOrder {
            field: ReleaseOrderField::CreatedAt,
            direction: OrderDirection::Asc,
        });
        match o.field {
            ReleaseOrderField::CreatedAt => rels.sort_by_key(|r| (r.created_at, r.id)),
            ReleaseOrderField::Name => rels.sort_by(|a, b| a.name.cmp(&b.name)),
        }
        if o.direction == OrderDirection::Desc {
            rels.reverse();
        }
        let all: Vec<Release> = rels
            .into_iter()
            .map(|rel| Release {
                is_latest: Some(rel.id) == latest,
                repo: self.clone(),
                rel,
            })
            .collect();
        connect(ctx, "releases", all, Args::new(first, after, last, before))
    }
    async fn latest_release(&self) -> Option<Release> {
        let rel = super::rest::latest_release(self.d())?.clone();
        Some(Release {
            repo: self.clone(),
            rel,
            is_latest: true,
        })
    }
}

fn language(name: &str) -> Language {
    let color = match name {
        "Rust" => "#dea584",
        "Go" => "#00ADD8",
        "TypeScript" => "#3178c6",
        "Python" => "#3572A5",
        "C" => "#555555",
        "Shell" => "#89e051",
        "Ruby" => "#701516",
        "Java" => "#b07219",
        "Kotlin" => "#A97BFF",
        _ => "#5e5086",
    };
    Language {
        id: ID(node_id(
            "LA_kgDO",
            name.len() as u64 * 31 + name.as_bytes()[0] as u64,
        )),
        name: name.into(),
        color: Some(color.into()),
    }
}

// ---------- git ----------

#[derive(Clone)]
pub struct Commit {
    repo: Repository,
    c: data::Commit,
}

#[Object]
impl Commit {
    async fn id(&self) -> ID {
        ID(node_id(
            "C_kwDO",
            u64::from_str_radix(self.c.sha.get(..15).unwrap_or("0"), 16).unwrap_or(0),
        ))
    }
    async fn oid(&self) -> GitObjectId {
        GitObjectId(self.c.sha.clone())
    }
    async fn abbreviated_oid(&self) -> String {
        self.c.sha.chars().take(7).collect()
    }
    async fn message(&self) -> String {
        self.c.message.clone()
    }
    async fn message_headline(&self) -> String {
        self.c.headline().to_string()
    }
    async fn committed_date(&self) -> DateTime {
        dt(self.c.time)
    }
    async fn authored_date(&self) -> DateTime {
        dt(self.c.time)
    }
    async fn additions(&self) -> i32 {
        self.c.additions as i32
    }
    async fn deletions(&self) -> i32 {
        self.c.deletions as i32
    }
    async fn changed_files_if_available(&self) -> Option<i32> {
        Some(self.c.files.len() as i32)
    }
    async fn author(&self) -> Option<GitActor> {
        Some(git_actor(&self.repo.w, self.c.author, self.c.time))
    }
    async fn committer(&self) -> Option<GitActor> {
        Some(git_actor(&self.repo.w, self.c.committer, self.c.time))
    }
    async fn signature(&self) -> Option<GitSignature> {
        let state = super::insight::signature(self.repo.w.seed, &self.c.sha)?;
        let email = self.repo.w.accounts[self.c.committer.min(self.repo.w.accounts.len() - 1)]
            .email
            .clone();
        Some(GitSignature::GpgSignature(GpgSignature {
            is_valid: state == "VALID",
            state: if state == "VALID" {
                GitSignatureState::Valid
            } else {
                GitSignatureState::UnknownKey
            },
            email,
            was_signed_by_git_hub: false,
            key_id: Some(format!("{:016X}", data::mix(self.c.committer as u64))),
        }))
    }
    async fn status_check_rollup(&self) -> Option<StatusCheckRollup> {
        self.repo.rollup(&self.c.sha)
    }
    async fn url(&self) -> Uri {
        Uri(format!(
            "{HTML}/{}/commit/{}",
            self.repo.full_name(),
            self.c.sha
        ))
    }
    async fn parents(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<CommitConnection> {
        let all: Vec<Commit> = self
            .c
            .position
            .checked_sub(1)
            .and_then(|p| self.repo.commit(p))
            .into_iter()
            .collect();
        connect(ctx, "parents", all, Args::new(first, after, last, before))
    }
    #[expect(clippy::too_many_arguments, reason = "GitHub's argument list")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        since: Option<GitTimestamp>,
        until: Option<GitTimestamp>,
        path: Option<String>,
    ) -> async_graphql::Result<CommitHistoryConnection> {
        let _ = path;
        let parse = |t: Option<GitTimestamp>| {
            t.and_then(|t| chrono::DateTime::parse_from_rfc3339(&t.0).ok())
                .map(|d| d.timestamp())
        };
        let (since, until) = (parse(since), parse(until));
        // Positions newest first; commits are only materialised for the requested page.
        let positions: Vec<u32> = (0..=self.c.position)
            .rev()
            .filter(|p| {
                if since.is_none() && until.is_none() {
                    return true;
                }
                let t = self.repo.commit(*p).map(|c| c.c.time).unwrap_or(0);
                since.is_none_or(|s| t >= s) && until.is_none_or(|u| t <= u)
            })
            .collect();
        let total = positions.len();
        let args = Args::new(first, after, last, before);
        connect_with(ctx, "history", positions, total, args, |p| {
            self.repo.commit(p)
        })
    }
}

#[derive(Interface, Clone)]
#[graphql(
    field(name = "id", ty = "ID"),
    field(name = "oid", ty = "GitObjectId"),
    field(name = "abbreviated_oid", ty = "String")
)]
pub enum GitObject {
    Commit(Commit),
}

#[derive(Clone)]
pub struct Ref {
    repo: Repository,
    name: String,
    head: u32,
    protected: bool,
    prefix: String,
}

#[Object]
impl Ref {
    async fn id(&self) -> ID {
        ID(node_id(
            "REF_kwDO",
            self.repo
                .r
                .id
                .wrapping_mul(1000)
                .wrapping_add(data::mix(self.name.len() as u64) % 1000),
        ))
    }
    async fn name(&self) -> String {
        self.name.clone()
    }
    async fn prefix(&self) -> String {
        self.prefix.clone()
    }
    async fn target(&self) -> Option<GitObject> {
        self.repo.commit(self.head).map(GitObject::Commit)
    }
    async fn branch_protection_rule(&self) -> Option<BranchProtectionRule> {
        if !self.protected {
            return None;
        }
        let rule = super::insight::rule(&self.repo.r, self.repo.d(), &self.name);
        Some(BranchProtectionRule {
            id: ID(node_id("BPR_kwDO", self.repo.r.id)),
            pattern: if self.name.starts_with("release") {
                "release-*".into()
            } else {
                self.name.clone()
            },
            required_approving_review_count: rule.required_reviews,
            requires_approving_reviews: rule.required_reviews.is_some(),
            required_status_check_contexts: Some(
                rule.required_checks.into_iter().map(Some).collect(),
            ),
            is_admin_enforced: rule.admin_enforced,
            allows_force_pushes: rule.force_pushes,
            allows_deletions: rule.deletions,
            requires_linear_history: rule.linear_history,
            requires_commit_signatures: rule.signatures,
        })
    }
    async fn repository(&self) -> Repository {
        self.repo.clone()
    }
}

// ---------- issues, pulls, releases ----------

#[derive(Clone)]
pub struct Issue {
    repo: Repository,
    it: data::Item,
}

impl Issue {
    fn db_id(&self) -> u64 {
        self.repo.r.id * 10_000 + u64::from(self.it.number)
    }
}

#[Object]
impl Issue {
    async fn id(&self) -> ID {
        ID(node_id("I_kwDO", self.db_id()))
    }
    async fn database_id(&self) -> Option<i32> {
        i32::try_from(self.db_id()).ok()
    }
    async fn number(&self) -> i32 {
        self.it.number as i32
    }
    async fn title(&self) -> String {
        self.it.title.clone()
    }
    async fn body(&self) -> String {
        self.it.body.clone().unwrap_or_default()
    }
    async fn created_at(&self) -> DateTime {
        dt(self.it.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        dt(self.it.updated_at)
    }
    async fn closed_at(&self) -> Option<DateTime> {
        self.it.closed_at.map(dt)
    }
    async fn closed(&self) -> bool {
        !self.it.open
    }
    async fn state(&self) -> IssueState {
        if self.it.open {
            IssueState::Open
        } else {
            IssueState::Closed
        }
    }
    async fn url(&self) -> Uri {
        Uri(format!(
            "{HTML}/{}/issues/{}",
            self.repo.full_name(),
            self.it.number
        ))
    }
    async fn author(&self) -> Option<Actor> {
        Some(actor(&self.repo.w, self.it.user))
    }
    async fn labels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<LabelConnection>> {
        items::labels(
            ctx,
            &self.repo,
            &self.it,
            Args::new(first, after, last, before),
        )
        .map(Some)
    }
    async fn assignees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        items::assignees(
            ctx,
            &self.repo,
            &self.it,
            Args::new(first, after, last, before),
        )
    }
    async fn comments(&self) -> items::IssueCommentConnection {
        items::comments(&self.it)
    }
}

#[derive(Clone)]
pub struct PullRequest(Issue);

#[Object]
impl PullRequest {
    async fn id(&self) -> ID {
        ID(node_id("PR_kwDO", self.0.db_id()))
    }
    async fn database_id(&self) -> Option<i32> {
        i32::try_from(self.0.db_id()).ok()
    }
    async fn number(&self) -> i32 {
        self.0.it.number as i32
    }
    async fn title(&self) -> String {
        self.0.it.title.clone()
    }
    async fn body(&self) -> String {
        self.0.it.body.clone().unwrap_or_default()
    }
    async fn is_draft(&self) -> bool {
        self.0.it.draft
    }
    async fn created_at(&self) -> DateTime {
        dt(self.0.it.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        dt(self.0.it.updated_at)
    }
    async fn closed_at(&self) -> Option<DateTime> {
        self.0.it.closed_at.map(dt)
    }
    async fn merged_at(&self) -> Option<DateTime> {
        self.0.it.merged_at.map(dt)
    }
    async fn closed(&self) -> bool {
        !self.0.it.open
    }
    async fn merged(&self) -> bool {
        self.0.it.merged
    }
    async fn state(&self) -> PullRequestState {
        if self.0.it.open {
            PullRequestState::Open
        } else if self.0.it.merged {
            PullRequestState::Merged
        } else {
            PullRequestState::Closed
        }
    }
    async fn head_ref_name(&self) -> String {
        self.0.it.head_branch.clone()
    }
    async fn base_ref_name(&self) -> String {
        self.0.repo.r.default_branch.clone()
    }
    async fn head_ref_oid(&self) -> GitObjectId {
        GitObjectId(super::insight::head_sha(
            self.0.repo.w.seed,
            &self.0.repo.r,
            &self.0.it,
        ))
    }
    async fn head_repository_owner(&self) -> Option<RepositoryOwner> {
        // Every fake pull request comes from a branch of the repository itself.
        Some(self.0.repo.owner_value())
    }
    async fn review_decision(&self) -> Option<PullRequestReviewDecision> {
        super::insight::review_decision(&self.0.repo.r, &self.0.it).map(|d| match d {
            "APPROVED" => PullRequestReviewDecision::Approved,
            "CHANGES_REQUESTED" => PullRequestReviewDecision::ChangesRequested,
            _ => PullRequestReviewDecision::ReviewRequired,
        })
    }
    async fn mergeable(&self) -> MergeableState {
        if !self.0.it.open {
            return MergeableState::Unknown;
        }
        match super::insight::mergeable(&self.0.repo.r, &self.0.it) {
            "CONFLICTING" => MergeableState::Conflicting,
            "MERGEABLE" => MergeableState::Mergeable,
            _ => MergeableState::Unknown,
        }
    }
    async fn additions(&self) -> i32 {
        super::insight::size(&self.0.repo.r, &self.0.it).0
    }
    async fn deletions(&self) -> i32 {
        super::insight::size(&self.0.repo.r, &self.0.it).1
    }
    async fn changed_files(&self) -> i32 {
        super::insight::size(&self.0.repo.r, &self.0.it).2
    }
    async fn status_check_rollup(&self) -> Option<StatusCheckRollup> {
        let sha = super::insight::head_sha(self.0.repo.w.seed, &self.0.repo.r, &self.0.it);
        self.0.repo.rollup(&sha)
    }
    async fn url(&self) -> Uri {
        Uri(format!(
            "{HTML}/{}/pull/{}",
            self.0.repo.full_name(),
            self.0.it.number
        ))
    }
    async fn author(&self) -> Option<Actor> {
        Some(actor(&self.0.repo.w, self.0.it.user))
    }
    async fn labels(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<LabelConnection>> {
        items::labels(
            ctx,
            &self.0.repo,
            &self.0.it,
            Args::new(first, after, last, before),
        )
        .map(Some)
    }
    async fn assignees(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<UserConnection> {
        items::assignees(
            ctx,
            &self.0.repo,
            &self.0.it,
            Args::new(first, after, last, before),
        )
    }
    async fn comments(&self) -> items::IssueCommentConnection {
        items::comments(&self.0.it)
    }
    async fn review_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Option<ReviewRequestConnection>> {
        items::review_requests(
            ctx,
            &self.0.repo,
            &self.0.it,
            Args::new(first, after, last, before),
        )
        .map(Some)
    }
    async fn repository(&self) -> Repository {
        self.0.repo.clone()
    }
}

#[derive(Clone)]
pub struct Release {
    repo: Repository,
    rel: data::Release,
    is_latest: bool,
}

#[Object]
impl Release {
    async fn id(&self) -> ID {
        ID(node_id("RE_kwDO", self.rel.id))
    }
    async fn database_id(&self) -> Option<i32> {
        i32::try_from(self.rel.id).ok()
    }
    async fn tag_name(&self) -> String {
        self.rel.tag.clone()
    }
    async fn name(&self) -> Option<String> {
        self.rel.name.clone()
    }
    async fn description(&self) -> Option<String> {
        Some(self.rel.body.clone())
    }
    async fn created_at(&self) -> DateTime {
        dt(self.rel.created_at)
    }
    async fn published_at(&self) -> Option<DateTime> {
        self.rel.published_at.map(dt)
    }
    async fn is_prerelease(&self) -> bool {
        self.rel.prerelease
    }
    async fn is_draft(&self) -> bool {
        self.rel.draft
    }
    async fn is_latest(&self) -> bool {
        self.is_latest
    }
    async fn url(&self) -> Uri {
        Uri(format!(
            "{HTML}/{}/releases/tag/{}",
            self.repo.full_name(),
            self.rel.tag
        ))
    }
}

#[derive(Interface, Clone)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Repository(Repository),
    User(User),
    Organization(Organization),
    Commit(Commit),
    Issue(Issue),
    PullRequest(PullRequest),
    Release(Release),
    Ref(Ref),
}

#[derive(Union, Clone)]
pub enum SearchResultItem {
    Repository(Repository),
    PullRequest(PullRequest),
}

#[derive(SimpleObject)]
pub struct SearchResultItemEdge {
    pub cursor: String,
    pub node: Option<SearchResultItem>,
}

#[derive(SimpleObject)]
pub struct SearchResultItemConnection {
    pub code_count: i32,
    pub discussion_count: i32,
    pub issue_count: i32,
    pub repository_count: i32,
    pub user_count: i32,
    pub wiki_count: i32,
    pub edges: Option<Vec<Option<SearchResultItemEdge>>>,
    pub nodes: Option<Vec<Option<SearchResultItem>>>,
    pub page_info: PageInfo,
}

/// Only repositories are searched: the total is `repositoryCount`.
impl Connection for SearchResultItemConnection {
    type Node = SearchResultItem;
    fn from_page(items: Vec<(String, Self::Node)>, page_info: PageInfo, total: usize) -> Self {
        let (edges, nodes) = edges_and_nodes(
            items,
            |cursor, n| SearchResultItemEdge {
                cursor,
                node: Some(n.clone()),
            },
            |n| n,
        );
        SearchResultItemConnection {
            code_count: 0,
            discussion_count: 0,
            issue_count: 0,
            repository_count: total as i32,
            user_count: 0,
            wiki_count: 0,
            edges,
            nodes,
            page_info,
        }
    }
}

// ---------- root ----------

pub struct Query;

fn resolve_node(w: &Arc<World>, id: &str) -> Option<Node> {
    let (prefix, n) = parse_node_id(id)?;
    match prefix {
        "R_kgDO" => w
            .find_id(n)
            .map(|r| Node::Repository(Repository::new(w, r))),
        "U_kgDO" | "O_kgDO" => {
            let idx = w.accounts.iter().position(|a| a.id == n)?;
            Some(match w.accounts[idx].kind {
                AccountKind::User => Node::User(User { w: w.clone(), idx }),
                AccountKind::Organization => Node::Organization(Organization { w: w.clone(), idx }),
            })
        }
        "I_kwDO" | "PR_kwDO" => {
            let repo = Repository::new(w, w.find_id(n / 10_000)?);
            let it = repo
                .d()
                .items
                .iter()
                .find(|i| u64::from(i.number) == n % 10_000)?
                .clone();
            match (prefix, it.is_pr) {
                ("I_kwDO", false) => Some(Node::Issue(repo.item(&it))),
                ("PR_kwDO", true) => Some(Node::PullRequest(PullRequest(repo.item(&it)))),
                _ => None,
            }
        }
        "RE_kwDO" => {
            let repo = Repository::new(w, w.find_id(n / 1000)?);
            let rel = repo.d().releases.iter().find(|r| r.id == n)?.clone();
            let is_latest = super::rest::latest_release(repo.d()).is_some_and(|l| l.id == rel.id);
            Some(Node::Release(Release {
                repo,
                rel,
                is_latest,
            }))
        }
        _ => None,
    }
}

#[Object]
impl Query {
    async fn repository(
        &self,
        ctx: &Context<'_>,
        owner: String,
        name: String,
        #[graphql(default_with = "Some(true)")] follow_renames: Option<bool>,
    ) -> async_graphql::Result<Option<Repository>> {
        let w = &gd(ctx).world;
        let found = w.find(&owner, &name).or_else(|| {
            if follow_renames.unwrap_or(true) {
                w.find_renamed(&owner, &name)
            } else {
                None
            }
        });
        match found {
            Some(r) => Ok(Some(Repository::new(w, r))),
            None => {
                soft_error(
                    ctx,
                    typed(
                        "NOT_FOUND",
                        format!(
                            "Could not resolve to a Repository with the name '{owner}/{name}'."
                        ),
                    ),
                    None,
                );
                Ok(None)
            }
        }
    }

    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        let n = resolve_node(&gd(ctx).world, &id);
        if n.is_none() {
            node_not_found(ctx, &id, None);
        }
        Ok(n)
    }

    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > 100 {
            return Err(typed(
                "EXCESSIVE_PAGINATION",
                format!(
                    "You may not request more than 100 ids, but provided {}.",
                    ids.len()
                ),
            ));
        }
        let data = gd(ctx);
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let n = resolve_node(&data.world, id);
            if n.is_none() {
                node_not_found(ctx, id, Some(i));
            }
            out.push(n);
        }
        Ok(out)
    }

    #[expect(clippy::too_many_arguments, reason = "GitHub's argument list")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        #[graphql(name = "type")] kind: SearchType,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<SearchResultItemConnection> {
        let w = &gd(ctx).world;
        let args = Args::new(first, after, last, before);
        if kind == SearchType::Issue {
            // Pull requests only (`search_prs`); the total is `issueCount`.
            let mut all = search_prs::search(w, &query);
            let count = all.len();
            all.truncate(1000);
            let mut conn: SearchResultItemConnection =
                connect_with(ctx, "search", all, count, args, Some)?;
            conn.issue_count = std::mem::take(&mut conn.repository_count);
            return Ok(conn);
        }
        let found = if kind == SearchType::Repository {
            super::rest::search_repos(w, &query, true)
        } else {
            Vec::new()
        };
        let count = found.len();
        let all: Vec<SearchResultItem> = found
            .into_iter()
            .take(1000)
            .map(|r| SearchResultItem::Repository(Repository::new(w, r)))
            .collect();
        connect_with(ctx, "search", all, count, args, Some)
    }

    async fn viewer(&self, ctx: &Context<'_>) -> User {
        User {
            w: gd(ctx).world.clone(),
            idx: data::OCTOCAT,
        }
    }

    async fn rate_limit(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "Some(false)")] dry_run: Option<bool>,
    ) -> Option<RateLimit> {
        let _ = dry_run;
        Some(gd(ctx).rate.clone())
    }
}

// ---------- cost ----------

const CONNECTIONS: &[&str] = &[
    "watchers",
    "languages",
    "repositoryTopics",
    "parents",
    "history",
    "refs",
    "pullRequests",
    "issues",
    "releases",
    "search",
    "contexts",
    "labels",
    "assignees",
    "comments",
    "reviewRequests",
];

/// GitHub's cost inputs for a query: (connection requests, node count).
/// Each connection counts one request per parent object it is evaluated on; `first`/`last` of a
/// connection multiplies its children, and `nodes(ids:)` multiplies by the number of ids.
pub fn estimate(
    doc: &ExecutableDocument,
    variables: &async_graphql::Variables,
    operation: Option<&str>,
) -> (u64, u64) {
    let op = match &doc.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(map) => match operation {
            Some(name) => map
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map(|(_, v)| &v.node),
            None => map.values().next().map(|v| &v.node),
        },
    };
    let Some(op) = op else { return (0, 0) };
    let mut acc = (0u64, 0u64);
    walk(doc, variables, &op.selection_set.node, 1, &mut acc, 0);
    acc
}

fn int_arg(
    field: &async_graphql::parser::types::Field,
    name: &str,
    vars: &async_graphql::Variables,
) -> Option<u64> {
    let v = field.get_argument(name)?;
    let c = v
        .node
        .clone()
        .into_const_with(|var| Ok::<_, ()>(vars.get(&var).cloned().unwrap_or(GqlValue::Null)))
        .ok()?;
    match c {
        GqlValue::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn walk(
    doc: &ExecutableDocument,
    vars: &async_graphql::Variables,
    set: &SelectionSet,
    mult: u64,
    acc: &mut (u64, u64),
    depth: u32,
) {
    if depth > 32 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let f = &f.node;
                let name = f.name.node.as_str();
                let mut child = mult;
                if name == "nodes" {
                    if let Some(ids) = f.get_argument("ids") {
                        let n = match ids.node.clone().into_const_with(|var| {
                            Ok::<_, ()>(vars.get(&var).cloned().unwrap_or(GqlValue::Null))
                        }) {
                            Ok(GqlValue::List(l)) => l.len() as u64,
                            _ => 1,
                        };
                        child = mult.saturating_mul(n.max(1));
                        acc.1 += child;
                    }
                } else if name == "repository" && depth == 0 {
                    acc.1 += 1;
                } else if CONNECTIONS.contains(&name) {
                    acc.0 = acc.0.saturating_add(mult);
                    let page = int_arg(f, "first", vars).or_else(|| int_arg(f, "last", vars));
                    acc.1 = acc.1.saturating_add(mult.saturating_mul(page.unwrap_or(0)));
                    child = mult.saturating_mul(page.unwrap_or(1).max(1));
                }
                walk(doc, vars, &f.selection_set.node, child, acc, depth + 1);
            }
            Selection::FragmentSpread(s) => {
                if let Some(frag) = doc.fragments.get(&s.node.fragment_name.node) {
                    walk(
                        doc,
                        vars,
                        &frag.node.selection_set.node,
                        mult,
                        acc,
                        depth + 1,
                    );
                }
            }
            Selection::InlineFragment(i) => {
                walk(doc, vars, &i.node.selection_set.node, mult, acc, depth + 1)
            }
        }
    }
}

/// GitHub's rule: requests / 100, rounded to nearest, at least 1.
pub fn cost_of(requests: u64) -> u64 {
    ((requests + 50) / 100).max(1)
}

fn count_objects(v: &Value, top: bool) -> u64 {
    match v {
        Value::Object(m) => {
            let own = u64::from(!top);
            own + m
                .iter()
                .filter(|(k, _)| !(top && k.as_str() == "rateLimit"))
                .map(|(_, v)| count_objects(v, false))
                .sum::<u64>()
        }
        Value::Array(a) => a.iter().map(|v| count_objects(v, false)).sum(),
        _ => 0,
    }
}

fn reshape_error(e: &async_graphql::ServerError) -> Value {
    let mut m = serde_json::Map::new();
    if let Some(GqlValue::String(t)) = e.extensions.as_ref().and_then(|x| x.get("type")) {
        m.insert("type".into(), json!(t));
    }
    if !e.path.is_empty() {
        m.insert(
            "path".into(),
            serde_json::to_value(&e.path).unwrap_or_default(),
        );
    }
    if !e.locations.is_empty() {
        m.insert(
            "locations".into(),
            Value::Array(
                e.locations
                    .iter()
                    .map(|p| json!({"line": p.line, "column": p.column}))
                    .collect(),
            ),
        );
    }
    m.insert("message".into(), json!(e.message));
    Value::Object(m)
}

/// Runs a GraphQL request: cost, charge, execute, reshape errors, simulate server time.
pub(crate) async fn execute(
    shared: &Arc<Shared>,
    caller: &Caller,
    body: &Bytes,
    out: &mut Outcome,
) -> Reply {
    let Ok(req) = serde_json::from_slice::<async_graphql::Request>(body) else {
        return Reply::documented(
            StatusCode::BAD_REQUEST,
            "Problems parsing JSON",
            "https://docs.github.com/graphql",
        );
    };
    let (requests, node_count) = match async_graphql::parser::parse_query(&req.query) {
        Ok(doc) => estimate(&doc, &req.variables, req.operation_name.as_deref()),
        Err(_) => (0, 0),
    };
    if node_count > 500_000 {
        return Reply::ok(
            &json!({"errors": [{"type": "MAX_NODE_LIMIT_EXCEEDED", "message": format!("This query requests up to {node_count} possible nodes which exceeds the maximum limit of 500,000.")}]}),
        );
    }
    let cost = cost_of(requests);
    let charged =
        lock(&shared.limiter).charge(&caller.key, Bucket::Graphql, true, cost, now_epoch());
    let snap = match charged {
        Ok(s) => s,
        Err(s) => {
            lock(&shared.stats).primary_limit_hits += 1;
            let mut r = Reply::ok(&json!({
                "data": null,
                "errors": [{"type": "RATE_LIMITED", "message": "API rate limit already exceeded for user ID 583231.".to_string()}]
            }));
            r.snapshot = Some(s);
            return r;
        }
    };
    out.charged = Some((Bucket::Graphql, cost));
    out.graphql_cost = Some(cost);
    let data = GqlData {
        world: shared.world(),
        rate: RateLimit::charged(cost, node_count, &snap),
    };
    let resp = shared.schema.execute(req.data(data)).await;
    let (body, data_v) = response_body(&resp);
    let mut r = match server_time(shared, count_objects(&data_v, true)).await {
        Some(timed_out) => timed_out,
        None => Reply::ok(&Value::Object(body)),
    };
    r.snapshot = Some(snap);
    r
}

impl RateLimit {
    /// The `rateLimit` object of a query that cost `cost`, as the bucket is after charging it.
    fn charged(cost: u64, node_count: u64, snap: &super::ratelimit::Snapshot) -> RateLimit {
        RateLimit {
            cost: cost as i32,
            limit: snap.limit as i32,
            node_count: node_count.min(i32::MAX as u64) as i32,
            remaining: snap.remaining as i32,
            reset_at: dt(snap.reset),
            used: snap.used as i32,
        }
    }
}

/// The body GitHub answers with, and the `data` alone: `data` is null rather than absent when a
/// typed error stopped the query; errors are reshaped like GitHub's.
fn response_body(resp: &async_graphql::Response) -> (serde_json::Map<String, Value>, Value) {
    let errors: Vec<Value> = resp.errors.iter().map(reshape_error).collect();
    let data_v = serde_json::to_value(&resp.data).unwrap_or(Value::Null);
    let mut body = serde_json::Map::new();
    if !data_v.is_null() {
        body.insert("data".into(), data_v.clone());
    } else if errors.iter().any(|e| e.get("type").is_some()) {
        body.insert("data".into(), Value::Null);
    }
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    (body, data_v)
}

/// Simulates the server time for `touched` objects; past the time-out, GitHub's 502 instead.
async fn server_time(shared: &Shared, touched: u64) -> Option<Reply> {
    let ms = touched as f64 * shared.config.graphql_ms_per_node;
    let limit = shared.config.graphql_timeout;
    if ms > 0.0 {
        let wanted = Duration::from_secs_f64(ms / 1000.0);
        if wanted > limit {
            tokio::time::sleep(limit).await;
            let rid = shared.request_id();
            return Some(Reply::json(
                StatusCode::BAD_GATEWAY,
                &json!({"data": null, "errors": [{"message": format!("Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `{rid}` when reporting this issue.")}]}),
            ));
        }
        tokio::time::sleep(wanted).await;
    }
    None
}

/// The `graphql_partial` fault: nulls a deterministic `fraction` of the top-level results.
pub(crate) fn partial(body: &Bytes, fraction: f64, seed: u64) -> Bytes {
    let Ok(mut v) = serde_json::from_slice::<Value>(body) else {
        return body.clone();
    };
    let mut errors = Vec::new();
    let roll = |key: &str, i: u64| {
        let h = key
            .bytes()
            .fold(seed ^ i, |a, b| data::mix(a ^ u64::from(b)));
        (h % 10_000) as f64 / 10_000.0 < fraction
    };
    let message = "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug.";
    if let Some(Value::Object(m)) = v.get_mut("data") {
        for (k, val) in m.iter_mut() {
            if k == "rateLimit" {
                continue;
            }
            match val {
                Value::Array(items) => {
                    for (i, slot) in items.iter_mut().enumerate() {
                        if !slot.is_null() && roll(k, i as u64 + 1) {
                            *slot = Value::Null;
                            errors.push(json!({"type": "SERVICE_UNAVAILABLE", "path": [k, i], "message": message}));
                        }
                    }
                }
                Value::Null => {}
                _ => {
                    if roll(k, 0) {
                        *val = Value::Null;
                        errors.push(
                            json!({"type": "SERVICE_UNAVAILABLE", "path": [k], "message": message}),
                        );
                    }
                }
            }
        }
    } else {
        return body.clone();
    }
    if !errors.is_empty()
        && let Some(obj) = v.as_object_mut()
    {
        let list = obj
            .entry("errors")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = list {
            a.extend(errors);
        }
    }
    Bytes::from(serde_json::to_vec(&v).unwrap_or_default())
}

/// Rate-limit key -> nothing; exposed for tests of the estimator.
pub fn estimate_query(query: &str) -> Option<(u64, u64)> {
    let doc = async_graphql::parser::parse_query(query).ok()?;
    Some(estimate(&doc, &async_graphql::Variables::default(), None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_rounding() {
        assert_eq!(cost_of(0), 1);
        assert_eq!(cost_of(149), 1);
        assert_eq!(cost_of(150), 2);
        assert_eq!(cost_of(200), 2);
        assert_eq!(cost_of(900), 9);
    }

    #[test]
    fn probe_of_100_aliases_costs_2() {
        let mut q = String::from("query {");
        for i in 0..100 {
            q.push_str(&format!(
                " r{i}: repository(owner: \"o\", name: \"n{i}\") {{ ...Probe }}"
            ));
        }
        q.push_str(" rateLimit { cost } } fragment Probe on Repository { id issues(states: OPEN) { totalCount } pullRequests(states: OPEN) { totalCount } defaultBranchRef { name } }");
        let (req, _) = estimate_query(&q).expect("parse");
        assert_eq!(req, 200);
        assert_eq!(cost_of(req), 2);
    }

    #[test]
    fn nodes_ids_multiply_and_nested_first_multiplies() {
        let ids: Vec<String> = (0..50).map(|i| format!("\"id{i}\"")).collect();
        let q = format!(
            "query {{ nodes(ids: [{}]) {{ ... on Repository {{ issues(first: 10) {{ nodes {{ title }} }} }} }} }}",
            ids.join(",")
        );
        assert_eq!(estimate_query(&q).map(|x| x.0), Some(50));
        let q = "query { repository(owner:\"o\", name:\"n\") { pullRequests(first: 50) { nodes { id } } defaultBranchRef { target { ... on Commit { history(first: 30) { nodes { parents(first: 5) { totalCount } } } } } } } }";
        // pullRequests 1 + history 1 + parents 30
        assert_eq!(estimate_query(q).map(|x| x.0), Some(32));
    }

    #[test]
    fn partial_fault_nulls_some_aliases() {
        let body = Bytes::from(serde_json::to_vec(&json!({"data": {"r0": {"a":1}, "r1": {"a":1}, "r2": {"a":1}, "r3": {"a":1}, "rateLimit": {"cost": 1}}})).unwrap_or_default());
        let out: Value = serde_json::from_slice(&partial(&body, 1.0, 1)).unwrap_or_default();
        assert!(out["data"]["r0"].is_null());
        assert_eq!(out["errors"].as_array().map(Vec::len), Some(4));
        assert_eq!(out["data"]["rateLimit"]["cost"], 1);
        let none: Value = serde_json::from_slice(&partial(&body, 0.0, 1)).unwrap_or_default();
        assert!(none.get("errors").is_none());
    }
}
