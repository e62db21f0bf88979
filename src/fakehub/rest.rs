//! REST routes: repository, branches, commits, pulls, issues, releases, ... with GitHub's pagination (`Link`), redirects for renamed repos and error bodies; bodies come from bodies.rs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, header};
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::bodies::Ctx;
use super::data::{AccountKind, Commit, Detail, OCTOCAT, ORG, Repo, World};
use super::{Caller, Reply, Shared, now_epoch};

pub(crate) struct RestCtx<'a> {
    pub shared: &'a Arc<Shared>,
    pub world: &'a Arc<World>,
    pub caller: &'a Caller,
    pub method: &'a Method,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a Bytes,
}

const REPO_SUBROUTES: &[&str] = &[
    "branches",
    "commits",
    "pulls",
    "issues",
    "releases",
    "languages",
    "topics",
    "contributors",
    "events",
    "hooks",
    "tags",
];

/// The route template of a path, for stats (`/repos/{owner}/{repo}/branches/{branch}`).
pub fn template(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let sub = |rest: &[&str]| -> String {
        match rest {
            [] => String::new(),
            ["branches", _] => "/branches/{branch}".into(),
            ["commits", _] => "/commits/{ref}".into(),
            ["releases", "latest"] => "/releases/latest".into(),
            ["stats", "participation"] => "/stats/participation".into(),
            ["stats", "contributors"] => "/stats/contributors".into(),
            ["hooks", _] => "/hooks/{id}".into(),
            ["hooks", _, "pings"] => "/hooks/{id}/pings".into(),
            ["events"] => "/events".into(),
            [x] if REPO_SUBROUTES.contains(x) => format!("/{x}"),
            _ => "/{unknown}".into(),
        }
    };
    match segs.as_slice() {
        ["repos", _, _, rest @ ..] => format!("/repos/{{owner}}/{{repo}}{}", sub(rest)),
        ["repositories", _, rest @ ..] => format!("/repositories/{{id}}{}", sub(rest)),
        ["users", _, "repos"] => "/users/{username}/repos".into(),
        ["users", _, "events"] => "/users/{username}/events".into(),
        ["orgs", _, "events"] => "/orgs/{org}/events".into(),
        ["user", _, "repos"] => "/user/{id}/repos".into(),
        ["orgs", _, "repos"] => "/orgs/{org}/repos".into(),
        ["orgs", _, "hooks"] => "/orgs/{org}/hooks".into(),
        ["orgs", _, "hooks", _] => "/orgs/{org}/hooks/{id}".into(),
        ["orgs", _, "hooks", _, "pings"] => "/orgs/{org}/hooks/{id}/pings".into(),
        ["organizations", _, "repos"] => "/organizations/{id}/repos".into(),
        ["user"]
        | ["user", "repos"]
        | ["rate_limit"]
        | ["meta"]
        | ["search", "repositories"]
        | [] => path.to_string(),
        _ => "/{unknown}".into(),
    }
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl RestCtx<'_> {
    fn params(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .into_owned()
            .collect()
    }

    fn param(&self, k: &str) -> Option<String> {
        self.params()
            .into_iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
    }

    fn bodies(&self) -> Ctx<'_> {
        Ctx {
            base: &self.shared.base,
            world: self.world,
            authed: self.caller.authed,
        }
    }

    /// Slices `total` items into the requested page and builds GitHub's `Link` header
    /// (`next`, `last`, `first`, `prev`; none on a single page) under `link_path`.
    fn page(&self, total: usize, link_path: &str) -> (std::ops::Range<usize>, Option<String>) {
        let params = self.params();
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let per_page = get("per_page").map(|n| n.clamp(1, 100)).unwrap_or(30);
        let page = get("page").unwrap_or(1).max(1);
        let last = total.div_ceil(per_page).max(1);
        let start = ((page - 1) * per_page).min(total);
        let end = (start + per_page).min(total);
        if last <= 1 {
            return (start..end, None);
        }
        let mut kept: Vec<(String, String)> =
            params.into_iter().filter(|(k, _)| k != "page").collect();
        let url = |p: usize, kept: &mut Vec<(String, String)>| {
            kept.push(("page".into(), p.to_string()));
            let q = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept.iter())
                .finish();
            kept.pop();
            format!("{}{link_path}?{q}", self.shared.base)
        };
        let mut links = Vec::new();
        if page > 1 {
            links.push(format!(
                "<{}>; rel=\"prev\"",
                url((page - 1).min(last), &mut kept)
            ));
        }
        if page < last {
            links.push(format!("<{}>; rel=\"next\"", url(page + 1, &mut kept)));
            links.push(format!("<{}>; rel=\"last\"", url(last, &mut kept)));
        }
        if page > 1 {
            links.push(format!("<{}>; rel=\"first\"", url(1, &mut kept)));
        }
        (start..end, Some(links.join(", ")))
    }

    /// One page of `items` as a JSON list with its `Link` header, each rendered by `render`.
    fn paged<T>(&self, items: &[T], link_path: &str, render: impl FnMut(&T) -> Value) -> Reply {
        let (range, link) = self.page(items.len(), link_path);
        self.list(items[range].iter().map(render).collect(), link)
    }

    fn list(&self, items: Vec<Value>, link: Option<String>) -> Reply {
        let mut r = Reply::ok(&Value::Array(items));
        r.paginated = true;
        if let Some(l) = link {
            r.headers.push((header::LINK, l));
        }
        r
    }

    /// Runs `serve` for authenticated callers; anonymous ones get GitHub's 401.
    fn authed_only(&self, serve: impl FnOnce() -> Reply) -> Reply {
        if self.caller.authed {
            serve()
        } else {
            Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication")
        }
    }

    fn visible(&self, r: &Repo) -> bool {
        !r.deleted && (!r.private || self.caller.authed)
    }
}

/// Serves one REST request against a world snapshot.
pub(crate) fn route(ctx: &RestCtx<'_>) -> Reply {
    let segs: Vec<String> = ctx
        .path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let get = *ctx.method == Method::GET || *ctx.method == Method::HEAD;
    let w = ctx.world;
    let of_kind = |a: Option<usize>, kind: AccountKind| a.filter(|a| w.accounts[*a].kind == kind);
    let (user, org) = (AccountKind::User, AccountKind::Organization);
    match segs.as_slice() {
        ["user"] if get => ctx.authed_only(|| Reply::ok(&ctx.bodies().authenticated_user())),
        ["user", "repos"] if get => ctx.authed_only(|| own_repos(ctx)),
        ["users", login, "repos"] if get => {
            of_kind(w.account(login), user).map_or_else(Reply::not_found, |a| user_repos(ctx, a))
        }
        ["user", id, "repos"] if get => {
            account_by_id(w, id).map_or_else(Reply::not_found, |a| user_repos(ctx, a))
        }
        ["orgs", login, "repos"] if get => {
            of_kind(w.account(login), org).map_or_else(Reply::not_found, |a| org_repos(ctx, a))
        }
        ["organizations", id, "repos"] if get => {
            of_kind(account_by_id(w, id), org).map_or_else(Reply::not_found, |a| org_repos(ctx, a))
        }
        ["orgs", login, "hooks", rest @ ..] => of_kind(w.account(login), org)
            .map_or_else(Reply::not_found, |a| {
                super::hooks::route(ctx, super::hooks::Owner::Org(a), rest)
            }),
        ["orgs", login, "events"] if get => of_kind(w.account(login), org)
            .map_or_else(Reply::not_found, |_| {
                events_feed(ctx, |r| super::events::owned_by(r, login))
            }),
        ["users", login, "events"] if get => w.account(login).map_or_else(Reply::not_found, |_| {
            events_feed(ctx, |r| super::events::owned_by(r, login))
        }),
        ["search", "repositories"] if get => search(ctx),
        ["rate_limit"] if get => rate_limit(ctx),
        ["meta"] if get => super::meta::meta(),
        ["repos", owner, name, rest @ ..] => repo_by_name(ctx, owner, name, rest),
        ["repositories", id, rest @ ..] => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| w.find_id(id))
            .filter(|r| ctx.visible(r))
        {
            Some(r) => repo_route(ctx, &r, rest),
            None => Reply::not_found(),
        },
        _ => Reply::not_found(),
    }
}

/// An events feed page: the visible events whose repo `pick` accepts.
fn events_feed(ctx: &RestCtx<'_>, pick: impl Fn(&str) -> bool) -> Reply {
    let now = super::now_epoch();
    let page = super::lock(&ctx.shared.events).page(now, |e| pick(&e.repo));
    super::events::reply(
        &ctx.shared.base,
        &page,
        ctx.shared.config.events_poll_interval,
    )
}

fn account_by_id(w: &World, id: &str) -> Option<usize> {
    let id = id.parse::<u64>().ok()?;
    w.accounts.iter().position(|a| a.id == id)
}

/// `/repos/{owner}/{name}/...`: the repo, or a 301 to `/repositories/{id}/...` if it was renamed.
fn repo_by_name(ctx: &RestCtx<'_>, owner: &str, name: &str, rest: &[&str]) -> Reply {
    let w = ctx.world;
    if let Some(r) = w.find(owner, name).filter(|r| ctx.visible(r)) {
        return repo_route(ctx, &r, rest);
    }
    let Some(r) = w.find_renamed(owner, name).filter(|r| ctx.visible(r)) else {
        return Reply::not_found();
    };
    let mut loc = format!("{}/repositories/{}", ctx.shared.base, r.id);
    for s in rest {
        loc.push('/');
        loc.push_str(s);
    }
    if !ctx.query.is_empty() {
        loc.push('?');
        loc.push_str(ctx.query);
    }
    let mut reply = Reply::json(
        StatusCode::MOVED_PERMANENTLY,
        &json!({"message": "Moved Permanently", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects"}),
    );
    reply.headers.push((header::LOCATION, loc));
    reply
}

/// `GET /user/repos`: the authenticated user's repos, octocat's and the org's.
fn own_repos(ctx: &RestCtx<'_>) -> Reply {
    let repos: Vec<&Arc<Repo>> = ctx
        .world
        .repos
        .iter()
        .filter(|r| !r.deleted && (r.owner == OCTOCAT || r.owner == ORG))
        .collect();
    repo_list(ctx, repos, "full_name", "/user/repos".into())
}

/// A user's public repos (`/users/{login}/repos`, `/user/{id}/repos`); links use the id.
fn user_repos(ctx: &RestCtx<'_>, user: usize) -> Reply {
    let w = ctx.world;
    let repos = w
        .repos
        .iter()
        .filter(|r| r.owner == user && !r.deleted && !r.private)
        .collect();
    repo_list(
        ctx,
        repos,
        "full_name",
        format!("/user/{}/repos", w.accounts[user].id),
    )
}

fn sort_repos(ctx: &RestCtx<'_>, repos: &mut [&Arc<Repo>], default_sort: &str) {
    let w = ctx.world;
    let sort = ctx
        .param("sort")
        .unwrap_or_else(|| default_sort.to_string());
    let default_dir = if sort == "full_name" { "asc" } else { "desc" };
    let desc = ctx
        .param("direction")
        .unwrap_or_else(|| default_dir.to_string())
        == "desc";
    match sort.as_str() {
        "created" => repos.sort_by_key(|r| (r.created_at, r.id)),
        "updated" => repos.sort_by_key(|r| (r.updated_at, r.id)),
        "pushed" => repos.sort_by_key(|r| (r.pushed_at, r.id)),
        _ => repos.sort_by(|a, b| {
            (
                w.accounts[a.owner].login.to_ascii_lowercase(),
                a.name.to_ascii_lowercase(),
            )
                .cmp(&(
                    w.accounts[b.owner].login.to_ascii_lowercase(),
                    b.name.to_ascii_lowercase(),
                ))
        }),
    }
    if desc {
        repos.reverse();
    }
}

fn repo_list(
    ctx: &RestCtx<'_>,
    mut repos: Vec<&Arc<Repo>>,
    default_sort: &str,
    link_path: String,
) -> Reply {
    sort_repos(ctx, &mut repos, default_sort);
    let b = ctx.bodies();
    ctx.paged(&repos, &link_path, |r| b.repo_listed(r))
}

fn org_repos(ctx: &RestCtx<'_>, org: usize) -> Reply {
    let w = ctx.world;
    let kind = ctx.param("type").unwrap_or_else(|| "all".into());
    let repos = w
        .repos
        .iter()
        .filter(|r| r.owner == org && ctx.visible(r))
        .filter(|r| match kind.as_str() {
            "public" => !r.private,
            "private" => r.private,
            "forks" => r.parent.is_some(),
            "sources" => r.parent.is_none(),
            _ => true,
        })
        .collect();
    repo_list(
        ctx,
        repos,
        "created",
        format!("/organizations/{}/repos", w.accounts[org].id),
    )
}

/// GitHub-like search over the world: qualifiers `org:`, `user:`, `topic:`, `language:`,
/// `archived:`, `fork:`, `is:`, `stars:` and `forks:` (GitHub's `N`, `>N`, `>=N`, `<N`, `<=N`,
/// `N..M`, `N..*`, `*..M` forms) and free text.
pub fn search_repos(world: &World, q: &str, authed: bool) -> Vec<Arc<Repo>> {
    let mut text = Vec::new();
    let mut quals: Vec<(String, String)> = Vec::new();
    for term in q.split_whitespace() {
        match term.split_once(':') {
            Some((k, v)) if !k.is_empty() => {
                quals.push((k.to_ascii_lowercase(), v.to_ascii_lowercase()))
            }
            _ => text.push(term.to_lowercase()),
        }
    }
    let mut out: Vec<Arc<Repo>> = world
        .repos
        .iter()
        .filter(|r| !r.deleted && (!r.private || authed))
        .filter(|r| {
            let owner = world.accounts[r.owner].login.to_ascii_lowercase();
            quals.iter().all(|(k, v)| match k.as_str() {
                "org" | "user" | "owner" => owner == *v,
                "repo" => format!("{owner}/{}", r.name.to_ascii_lowercase()) == *v,
                "topic" => r.topics.iter().any(|t| t.eq_ignore_ascii_case(v)),
                "language" => r.language.is_some_and(|l| l.eq_ignore_ascii_case(v)),
                "archived" => r.archived == (v == "true"),
                "fork" => {
                    v == "true"
                        || v == "only" && r.parent.is_some()
                        || v == "false" && r.parent.is_none()
                }
                "is" => match v.as_str() {
                    "public" => !r.private,
                    "private" => r.private,
                    "archived" => r.archived,
                    _ => true,
                },
                "stars" => count_matches(v, r.stars),
                "forks" => count_matches(v, r.forks),
                "in" | "sort" => true,
                _ => false,
            })
        })
        .filter(|r| {
            text.iter().all(|t| {
                r.name.to_lowercase().contains(t)
                    || r.description
                        .as_deref()
                        .is_some_and(|d| d.to_lowercase().contains(t))
                    || r.topics.iter().any(|x| x.to_lowercase() == *t)
            })
        })
        .filter(|r| r.parent.is_none() || quals.iter().any(|(k, _)| k == "fork"))
        .cloned()
        .collect();
    out.sort_by(|a, b| b.stars.cmp(&a.stars).then(a.id.cmp(&b.id)));
    out
}

/// Whether `value` satisfies a numeric search qualifier (`100`, `>100`, `>=100`, `<100`, `<=100`,
/// `10..50`, `10..*`, `*..50`). An unparsable range matches nothing, as GitHub's does.
fn count_matches(spec: &str, value: u32) -> bool {
    let num = |s: &str| s.parse::<u32>().ok();
    if let Some((lo, hi)) = spec.split_once("..") {
        let lo_ok = lo == "*" || num(lo).is_some_and(|lo| value >= lo);
        let hi_ok = hi == "*" || num(hi).is_some_and(|hi| value <= hi);
        return lo_ok && hi_ok;
    }
    if let Some(n) = spec.strip_prefix(">=") {
        return num(n).is_some_and(|n| value >= n);
    }
    if let Some(n) = spec.strip_prefix("<=") {
        return num(n).is_some_and(|n| value <= n);
    }
    if let Some(n) = spec.strip_prefix('>') {
        return num(n).is_some_and(|n| value > n);
    }
    if let Some(n) = spec.strip_prefix('<') {
        return num(n).is_some_and(|n| value < n);
    }
    num(spec) == Some(value)
}

fn search(ctx: &RestCtx<'_>) -> Reply {
    let Some(q) = ctx.param("q").filter(|q| !q.trim().is_empty()) else {
        return Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "Search", "field": "q", "code": "missing"}], "documentation_url": "https://docs.github.com/v3/search", "status": "422"}),
        );
    };
    let mut found = search_repos(ctx.world, &q, ctx.caller.authed);
    match ctx.param("sort").as_deref() {
        Some("updated") => found.sort_by_key(|r| std::cmp::Reverse(r.updated_at)),
        Some("forks") => found.sort_by_key(|r| std::cmp::Reverse(r.forks)),
        _ => {}
    }
    if ctx.param("order").as_deref() == Some("asc") && ctx.param("sort").is_some() {
        found.reverse();
    }
    let total = found.len();
    found.truncate(1000);
    let (range, link) = ctx.page(found.len(), "/search/repositories");
    let b = ctx.bodies();
    let items: Vec<Value> = found[range]
        .iter()
        .map(|r| {
            let mut v = b.repo(r, false);
            v["score"] = json!(1.0);
            v
        })
        .collect();
    let mut reply =
        Reply::ok(&json!({"total_count": total, "incomplete_results": false, "items": items}));
    reply.paginated = true;
    if let Some(l) = link {
        reply.headers.push((header::LINK, l));
    }
    reply
}

fn rate_limit(ctx: &RestCtx<'_>) -> Reply {
    let now = now_epoch();
    let mut lim = super::lock(&ctx.shared.limiter);
    let mut res = Map::new();
    for b in [
        super::Bucket::Core,
        super::Bucket::Search,
        super::Bucket::Graphql,
    ] {
        let s = lim.snapshot(&ctx.caller.key, b, ctx.caller.authed, now);
        res.insert(
            b.name().into(),
            json!({"limit": s.limit, "used": s.used, "remaining": s.remaining, "reset": s.reset}),
        );
    }
    drop(lim);
    for (name, limit) in [
        ("integration_manifest", 5000),
        ("source_import", 100),
        ("actions_runner_registration", 10000),
        ("scim", 15000),
        ("dependency_snapshots", 100),
        ("code_search", 10),
        ("code_scanning_autofix", 10),
    ] {
        res.insert(
            name.into(),
            json!({"limit": limit, "used": 0, "remaining": limit, "reset": now + 3600}),
        );
    }
    let rate = res.get("core").cloned().unwrap_or(Value::Null);
    let mut r = Reply::ok(&json!({"resources": res, "rate": rate}));
    r.cost = 0;
    r
}

fn repo_route(ctx: &RestCtx<'_>, r: &Arc<Repo>, rest: &[&str]) -> Reply {
    let q = RepoReq {
        ctx,
        r,
        detail: ctx.world.detail(r),
        b: ctx.bodies(),
    };
    let (b, d) = (&q.b, &q.detail);
    let get = *ctx.method == Method::GET || *ctx.method == Method::HEAD;
    match rest {
        [] if get && r.parent.is_none() => q.cached_repo(),
        [] if get => Reply::ok(&b.repo(r, true)),
        ["branches"] if get => q.branches(),
        ["branches", name] if get => q.branch(name),
        ["commits"] if get => q.commits(),
        ["commits", reference] if get => q.commit(reference),
        ["pulls"] if get => q.pulls(),
        ["issues"] if get => q.issues(),
        ["releases"] if get => q.paged(&releases_newest_first(d), "releases", |rel| {
            b.release(r, rel)
        }),
        ["releases", "latest"] if get => q.latest_release(),
        ["tags"] if get => q.tags(),
        ["languages"] if get => Reply::ok(&Value::Object(
            d.languages
                .iter()
                .map(|(name, bytes)| ((*name).to_string(), json!(bytes)))
                .collect(),
        )),
        ["topics"] if get => Reply::ok(&json!({"names": r.topics})),
        ["contributors"] if get => q.paged(&d.contributors, "contributors", |(u, n)| {
            let mut v = b.user(*u);
            v["contributions"] = json!(n);
            v
        }),
        ["stats", "participation"] if get => q.stats(super::repo_stats::Endpoint::Participation),
        ["stats", "contributors"] if get => q.stats(super::repo_stats::Endpoint::Contributors),
        ["events"] if get => q.paged(&d.events, "events", |e| b.event(r, e)),
        ["hooks", rest @ ..] => super::hooks::route(ctx, super::hooks::Owner::Repo(r.idx), rest),
        _ => Reply::not_found(),
    }
}

/// One request on one repository: what the `/repos/{owner}/{repo}/...` handlers share.
struct RepoReq<'a> {
    ctx: &'a RestCtx<'a>,
    r: &'a Arc<Repo>,
    detail: Arc<Detail>,
    b: Ctx<'a>,
}

impl RepoReq<'_> {
    fn seed(&self) -> u64 {
        self.ctx.world.seed
    }

    fn commit_at(&self, pos: u32) -> Option<Commit> {
        self.r
            .commit_at(self.seed(), self.ctx.world.accounts.len(), pos)
    }

    /// Where a sub-list links to: `/repositories/{id}/{sub}`, as GitHub does.
    fn link_path(&self, sub: &str) -> String {
        format!("/repositories/{}/{sub}", self.r.id)
    }

    fn paged<T>(&self, items: &[T], sub: &str, render: impl FnMut(&T) -> Value) -> Reply {
        self.ctx.paged(items, &self.link_path(sub), render)
    }

    /// `GET /repos/{o}/{r}`, the hot path of every poller: serialized once per repo version and
    /// caller kind. (Forks embed their parent, which can change on its own, so they are not cached.)
    fn cached_repo(&self) -> Reply {
        let slot = &self.r.body_cache[usize::from(self.ctx.caller.authed)];
        let (body, digest) = slot
            .get_or_init(|| {
                let bytes =
                    Bytes::from(serde_json::to_vec(&self.b.repo(self.r, true)).unwrap_or_default());
                let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
                (bytes, digest)
            })
            .clone();
        let mut reply = Reply::ok(&Value::Null);
        reply.body = body;
        reply.digest = Some(digest);
        reply
    }

    /// A statistics endpoint: 202 for the first `stats_compute_polls` requests, then the data.
    fn stats(&self, ep: super::repo_stats::Endpoint) -> Reply {
        let polls = self.ctx.shared.config.stats_compute_polls;
        let computing = super::lock(&self.ctx.shared.stats_polls).computing(self.r, ep, polls);
        let now = self.ctx.world.epoch;
        super::repo_stats::reply(ep, computing, self.r, &self.detail, &self.b, now)
    }

    fn branches(&self) -> Reply {
        let protected_only = self.ctx.param("protected").as_deref() == Some("true");
        let mut branches: Vec<_> = self
            .detail
            .branches
            .iter()
            .filter(|x| !protected_only || x.protected)
            .collect();
        branches.sort_by(|a, b| a.name.cmp(&b.name));
        self.paged(&branches, "branches", |br| {
            let sha = self
                .r
                .sha_at(self.seed(), self.r.branch_head(br))
                .unwrap_or_default();
            self.b.branch_short(self.r, &br.name, &sha, br.protected)
        })
    }

    fn branch(&self, name: &str) -> Reply {
        let Some(br) = self.detail.branches.iter().find(|x| x.name == name) else {
            return Reply::documented(
                StatusCode::NOT_FOUND,
                "Branch not found",
                "https://docs.github.com/rest/branches/branches#get-a-branch",
            );
        };
        match self.commit_at(self.r.branch_head(br)) {
            Some(c) => Reply::ok(&self.b.branch_full(self.r, &br.name, &c, br.protected)),
            None => Reply::not_found(),
        }
    }

    /// `GET /commits`: newest first from `sha` (default: the tip), within `since`..`until`.
    fn commits(&self) -> Reply {
        let r = self.r;
        let head = match self.ctx.param("sha") {
            Some(s) => match r.resolve_ref(self.seed(), &self.detail, &s) {
                Some(p) => p,
                None => {
                    return Reply::documented(
                        StatusCode::NOT_FOUND,
                        "Not Found",
                        "https://docs.github.com/rest/commits/commits#list-commits",
                    );
                }
            },
            None => r.total_commits().saturating_sub(1),
        };
        let since = self.ctx.param("since").and_then(|s| parse_time(&s));
        let until = self.ctx.param("until").and_then(|s| parse_time(&s));
        let positions: Vec<u32> = (0..=head)
            .rev()
            .filter(|p| {
                let c_time = commit_time(r, *p);
                since.is_none_or(|s| c_time >= s) && until.is_none_or(|u| c_time <= u)
            })
            .collect();
        let (range, link) = self.ctx.page(positions.len(), &self.link_path("commits"));
        let items = positions[range]
            .iter()
            .filter_map(|p| self.commit_at(*p))
            .map(|c| self.b.commit(r, &c, false))
            .collect();
        self.ctx.list(items, link)
    }

    fn commit(&self, reference: &str) -> Reply {
        match self
            .r
            .resolve_ref(self.seed(), &self.detail, reference)
            .and_then(|p| self.commit_at(p))
        {
            Some(c) => Reply::ok(&self.b.commit(self.r, &c, true)),
            None => Reply::documented(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("No commit found for SHA: {reference}"),
                "https://docs.github.com/rest/commits/commits#get-a-commit",
            ),
        }
    }

    fn pulls(&self) -> Reply {
        let state = self.ctx.param("state").unwrap_or_else(|| "open".into());
        let mut items: Vec<_> = self
            .detail
            .items
            .iter()
            .filter(|i| i.is_pr && state_ok(&state, i.open))
            .collect();
        sort_items(self.ctx, &mut items);
        self.paged(&items, "pulls", |it| self.b.pull(self.r, it))
    }

    /// `GET /issues`: issues and pull requests alike, as GitHub lists them.
    fn issues(&self) -> Reply {
        let state = self.ctx.param("state").unwrap_or_else(|| "open".into());
        let since = self.ctx.param("since").and_then(|s| parse_time(&s));
        let mut items: Vec<_> = self
            .detail
            .items
            .iter()
            .filter(|i| state_ok(&state, i.open) && since.is_none_or(|s| i.updated_at >= s))
            .collect();
        sort_items(self.ctx, &mut items);
        self.paged(&items, "issues", |it| self.b.issue(self.r, it))
    }

    fn latest_release(&self) -> Reply {
        match latest_release(&self.detail) {
            Some(rel) => Reply::ok(&self.b.release(self.r, rel)),
            None => Reply::documented(
                StatusCode::NOT_FOUND,
                "Not Found",
                "https://docs.github.com/rest/releases/releases#get-the-latest-release",
            ),
        }
    }

    /// `GET /tags`: one tag per release, all on the mainline tip.
    fn tags(&self) -> Reply {
        // Release tags newest first, then the lightweight ones (`create_tag`).
        let mut tags: Vec<(&str, u64)> = releases_newest_first(&self.detail)
            .iter()
            .map(|rel| (rel.tag.as_str(), rel.id))
            .collect();
        let base_id = self.r.id * 1000 + 900;
        tags.extend(
            self.detail
                .tags
                .iter()
                .enumerate()
                .map(|(i, t)| (t.as_str(), base_id + i as u64)),
        );
        let api = self.b.repo_api(self.r);
        let sha = self.r.tip_sha(self.seed());
        self.paged(&tags, "tags", |(tag, id)| {
            json!({
                "name": tag, "commit": {"sha": sha, "url": format!("{api}/commits/{sha}")},
                "zipball_url": format!("{api}/zipball/refs/tags/{tag}"),
                "tarball_url": format!("{api}/tarball/refs/tags/{tag}"),
                "node_id": super::data::node_id("REF_kwDO", *id),
            })
        })
    }
}

fn commit_time(r: &Repo, pos: u32) -> i64 {
    r.history
        .iter()
        .find(|s| pos >= s.start && pos < s.start + s.len)
        .map(|s| s.t0 + i64::from(pos - s.start + 1) * s.step)
        .unwrap_or(0)
}

fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.timestamp())
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc().timestamp())
        })
}

fn state_ok(state: &str, open: bool) -> bool {
    match state {
        "closed" => !open,
        "all" => true,
        _ => open,
    }
}

fn sort_items(ctx: &RestCtx<'_>, items: &mut Vec<&super::data::Item>) {
    let sort = ctx.param("sort").unwrap_or_else(|| "created".into());
    match sort.as_str() {
        "updated" => items.sort_by_key(|i| (i.updated_at, i.number)),
        "comments" => items.sort_by_key(|i| (i.comments, i.number)),
        _ => items.sort_by_key(|i| (i.created_at, i.number)),
    }
    if ctx.param("direction").as_deref() != Some("asc") {
        items.reverse();
    }
}

pub fn releases_newest_first(d: &Detail) -> Vec<&super::data::Release> {
    let mut v: Vec<_> = d.releases.iter().collect();
    v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    v
}

pub fn latest_release(d: &Detail) -> Option<&super::data::Release> {
    releases_newest_first(d)
        .into_iter()
        .find(|r| !r.draft && !r.prerelease)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert_eq!(template("/repos/a/b"), "/repos/{owner}/{repo}");
        assert_eq!(
            template("/repos/a/b/branches/main"),
            "/repos/{owner}/{repo}/branches/{branch}"
        );
        assert_eq!(
            template("/repositories/9/issues"),
            "/repositories/{id}/issues"
        );
        assert_eq!(template("/x/y/z"), "/{unknown}");
        assert_eq!(template("/rate_limit"), "/rate_limit");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%e6%97%a5"), "日");
    }

    #[test]
    fn search_qualifiers() {
        let w = World::generate(1, 20);
        let all = search_repos(&w, "org:octo-org", true);
        assert_eq!(all.len(), 21);
        let hostile = search_repos(&w, "org:octo-org hostile", true);
        assert_eq!(hostile.len(), 1);
        assert!(search_repos(&w, "user:nobody", true).is_empty());
        let private = search_repos(&w, "user:octocat", false);
        assert!(private.iter().all(|r| !r.private));
    }

    #[test]
    fn numeric_qualifiers_follow_githubs_range_syntax() {
        let w = World::generate(1, 40);
        let all = search_repos(&w, "org:octo-org", true);
        let stars: Vec<u32> = all.iter().map(|r| r.stars).collect();
        let pivot = stars[stars.len() / 2];
        let count = |q: &str| search_repos(&w, &format!("org:octo-org {q}"), true).len();
        let by = |f: &dyn Fn(u32) -> bool| stars.iter().filter(|s| f(**s)).count();
        assert_eq!(count(&format!("stars:>{pivot}")), by(&|s| s > pivot));
        assert_eq!(count(&format!("stars:>={pivot}")), by(&|s| s >= pivot));
        assert_eq!(count(&format!("stars:<{pivot}")), by(&|s| s < pivot));
        assert_eq!(count(&format!("stars:<={pivot}")), by(&|s| s <= pivot));
        assert_eq!(count(&format!("stars:{pivot}")), by(&|s| s == pivot));
        assert_eq!(
            count(&format!("stars:10..{pivot}")),
            by(&|s| (10..=pivot).contains(&s))
        );
        assert_eq!(count(&format!("stars:{pivot}..*")), by(&|s| s >= pivot));
        assert_eq!(count(&format!("stars:*..{pivot}")), by(&|s| s <= pivot));
        assert!(
            count("stars:>1000") < all.len(),
            "the big repos are a minority"
        );
        assert!(count("stars:>1000") > 0, "the demo world has big repos");
        assert_eq!(count("stars:lots"), 0);
        assert_eq!(count("forks:>=0"), all.len());
    }
}
