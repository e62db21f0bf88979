//! REST routes: repository, branches, commits, pulls, issues, releases, ... with GitHub's pagination (`Link`), redirects for renamed repos and error bodies; bodies come from bodies.rs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{Method, StatusCode, header};
use serde_json::{Map, Value, json};
use sha2::Digest;

use super::bodies::Ctx;
use super::data::{AccountKind, Detail, Hook, OCTOCAT, Repo, World};
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
            [x] if REPO_SUBROUTES.contains(x) => format!("/{x}"),
            _ => "/{unknown}".into(),
        }
    };
    match segs.as_slice() {
        ["repos", _, _, rest @ ..] => format!("/repos/{{owner}}/{{repo}}{}", sub(rest)),
        ["repositories", _, rest @ ..] => format!("/repositories/{{id}}{}", sub(rest)),
        ["users", _, "repos"] => "/users/{username}/repos".into(),
        ["user", _, "repos"] => "/user/{id}/repos".into(),
        ["orgs", _, "repos"] => "/orgs/{org}/repos".into(),
        ["organizations", _, "repos"] => "/organizations/{id}/repos".into(),
        ["user"] | ["user", "repos"] | ["rate_limit"] | ["search", "repositories"] | [] => {
            path.to_string()
        }
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

    fn list(&self, items: Vec<Value>, link: Option<String>) -> Reply {
        let mut r = Reply::ok(&Value::Array(items));
        r.paginated = true;
        if let Some(l) = link {
            r.headers.push((header::LINK, l));
        }
        r
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
    match segs.as_slice() {
        ["user"] if get => {
            if !ctx.caller.authed {
                return Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication");
            }
            Reply::ok(&ctx.bodies().authenticated_user())
        }
        ["user", "repos"] if get => {
            if !ctx.caller.authed {
                return Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication");
            }
            let repos: Vec<&Arc<Repo>> = w
                .repos
                .iter()
                .filter(|r| !r.deleted && (r.owner == OCTOCAT || r.owner == 0))
                .collect();
            repo_list(ctx, repos, "full_name", "/user/repos".into())
        }
        ["users", login, "repos"] if get => match w.account(login) {
            Some(a) if w.accounts[a].kind == AccountKind::User => {
                let repos = w
                    .repos
                    .iter()
                    .filter(|r| r.owner == a && !r.deleted && !r.private)
                    .collect();
                repo_list(
                    ctx,
                    repos,
                    "full_name",
                    format!("/user/{}/repos", w.accounts[a].id),
                )
            }
            _ => Reply::not_found(),
        },
        ["user", id, "repos"] if get => match id
            .parse::<u64>()
            .ok()
            .and_then(|id| w.accounts.iter().position(|a| a.id == id))
        {
            Some(a) => {
                let repos = w
                    .repos
                    .iter()
                    .filter(|r| r.owner == a && !r.deleted && !r.private)
                    .collect();
                repo_list(
                    ctx,
                    repos,
                    "full_name",
                    format!("/user/{}/repos", w.accounts[a].id),
                )
            }
            None => Reply::not_found(),
        },
        ["orgs", login, "repos"] if get => match w.account(login) {
            Some(a) if w.accounts[a].kind == AccountKind::Organization => org_repos(ctx, a),
            _ => Reply::not_found(),
        },
        ["organizations", id, "repos"] if get => {
            match id
                .parse::<u64>()
                .ok()
                .and_then(|id| w.accounts.iter().position(|a| a.id == id))
            {
                Some(a) if w.accounts[a].kind == AccountKind::Organization => org_repos(ctx, a),
                _ => Reply::not_found(),
            }
        }
        ["search", "repositories"] if get => search(ctx),
        ["rate_limit"] if get => rate_limit(ctx),
        ["repos", owner, name, rest @ ..] => match w.find(owner, name).filter(|r| ctx.visible(r)) {
            Some(r) => repo_route(ctx, &r, rest),
            None => match w.find_renamed(owner, name).filter(|r| ctx.visible(r)) {
                Some(r) => {
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
                None => Reply::not_found(),
            },
        },
        ["repositories", id, rest @ ..] => {
            match id
                .parse::<u64>()
                .ok()
                .and_then(|id| w.find_id(id))
                .filter(|r| ctx.visible(r))
            {
                Some(r) => repo_route(ctx, &r, rest),
                None => Reply::not_found(),
            }
        }
        _ => Reply::not_found(),
    }
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
    let (range, link) = ctx.page(repos.len(), &link_path);
    let b = ctx.bodies();
    let items = repos[range].iter().map(|r| list_repo(&b, r)).collect();
    ctx.list(items, link)
}

/// Repos in lists carry the full shape minus what only the single-repo GET has.
fn list_repo(b: &Ctx<'_>, r: &Repo) -> Value {
    b.repo_listed(r)
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

/// GitHub-like search over the world: qualifiers `org:`, `user:`, `topic:`, `language:`, `archived:`, `fork:`, `is:` and free text.
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
    let w = ctx.world;
    let seed = w.seed;
    let b = ctx.bodies();
    let get = *ctx.method == Method::GET || *ctx.method == Method::HEAD;
    let detail = w.detail(r);
    let sub_base = format!("/repositories/{}", r.id);
    let total = r.total_commits();
    match rest {
        [] if get && r.parent.is_none() => {
            // The hot path of every poller: serialize once per repo version and caller kind.
            // (Forks embed their parent, which can change on its own, so they are not cached.)
            let slot = &r.body_cache[usize::from(ctx.caller.authed)];
            let (body, digest) = slot
                .get_or_init(|| {
                    let bytes =
                        Bytes::from(serde_json::to_vec(&b.repo(r, true)).unwrap_or_default());
                    let digest: [u8; 32] = sha2::Sha256::digest(&bytes).into();
                    (bytes, digest)
                })
                .clone();
            let mut reply = Reply::ok(&Value::Null);
            reply.body = body;
            reply.digest = Some(digest);
            reply
        }
        [] if get => Reply::ok(&b.repo(r, true)),
        ["branches"] if get => {
            let protected_only = ctx.param("protected").as_deref() == Some("true");
            let mut branches: Vec<_> = detail
                .branches
                .iter()
                .filter(|x| !protected_only || x.protected)
                .collect();
            branches.sort_by(|a, b| a.name.cmp(&b.name));
            let (range, link) = ctx.page(branches.len(), &format!("{sub_base}/branches"));
            let items = branches[range]
                .iter()
                .map(|br| {
                    let sha = r.sha_at(seed, r.branch_head(br)).unwrap_or_default();
                    b.branch_short(r, &br.name, &sha, br.protected)
                })
                .collect();
            ctx.list(items, link)
        }
        ["branches", name] if get => match detail.branches.iter().find(|x| x.name == *name) {
            Some(br) => match r.commit_at(seed, w.accounts.len(), r.branch_head(br)) {
                Some(c) => Reply::ok(&b.branch_full(r, &br.name, &c, br.protected)),
                None => Reply::not_found(),
            },
            None => Reply::json(
                StatusCode::NOT_FOUND,
                &json!({"message": "Branch not found", "documentation_url": "https://docs.github.com/rest/branches/branches#get-a-branch", "status": "404"}),
            ),
        },
        ["commits"] if get => {
            let head = match ctx.param("sha") {
                Some(s) => match r.resolve_ref(seed, &detail, &s) {
                    Some(p) => p,
                    None => {
                        return Reply::json(
                            StatusCode::NOT_FOUND,
                            &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/commits/commits#list-commits", "status": "404"}),
                        );
                    }
                },
                None => total.saturating_sub(1),
            };
            let since = ctx.param("since").and_then(|s| parse_time(&s));
            let until = ctx.param("until").and_then(|s| parse_time(&s));
            let positions: Vec<u32> = (0..=head)
                .rev()
                .filter(|p| {
                    let c_time = commit_time(r, *p);
                    since.is_none_or(|s| c_time >= s) && until.is_none_or(|u| c_time <= u)
                })
                .collect();
            let (range, link) = ctx.page(positions.len(), &format!("{sub_base}/commits"));
            let items = positions[range]
                .iter()
                .filter_map(|p| r.commit_at(seed, w.accounts.len(), *p))
                .map(|c| b.commit(r, &c, false))
                .collect();
            ctx.list(items, link)
        }
        ["commits", reference] if get => match r
            .resolve_ref(seed, &detail, reference)
            .and_then(|p| r.commit_at(seed, w.accounts.len(), p))
        {
            Some(c) => Reply::ok(&b.commit(r, &c, true)),
            None => Reply::json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({"message": format!("No commit found for SHA: {reference}"), "documentation_url": "https://docs.github.com/rest/commits/commits#get-a-commit", "status": "422"}),
            ),
        },
        ["pulls"] if get => {
            let state = ctx.param("state").unwrap_or_else(|| "open".into());
            let mut items: Vec<_> = detail
                .items
                .iter()
                .filter(|i| i.is_pr && state_ok(&state, i.open))
                .collect();
            sort_items(ctx, &mut items);
            let (range, link) = ctx.page(items.len(), &format!("{sub_base}/pulls"));
            let base_sha = r.sha_at(seed, total.saturating_sub(1)).unwrap_or_default();
            let out = items[range]
                .iter()
                .map(|it| {
                    let head_sha =
                        super::data::commit_sha(seed, r.id ^ 0x5052, it.number, it.number);
                    b.pull(r, it, &head_sha, &base_sha)
                })
                .collect();
            ctx.list(out, link)
        }
        ["issues"] if get => {
            let state = ctx.param("state").unwrap_or_else(|| "open".into());
            let since = ctx.param("since").and_then(|s| parse_time(&s));
            let mut items: Vec<_> = detail
                .items
                .iter()
                .filter(|i| state_ok(&state, i.open) && since.is_none_or(|s| i.updated_at >= s))
                .collect();
            sort_items(ctx, &mut items);
            let (range, link) = ctx.page(items.len(), &format!("{sub_base}/issues"));
            let out = items[range].iter().map(|it| b.issue(r, it)).collect();
            ctx.list(out, link)
        }
        ["releases"] if get => {
            let rels = releases_newest_first(&detail);
            let (range, link) = ctx.page(rels.len(), &format!("{sub_base}/releases"));
            let out = rels[range].iter().map(|rel| b.release(r, rel)).collect();
            ctx.list(out, link)
        }
        ["releases", "latest"] if get => match latest_release(&detail) {
            Some(rel) => Reply::ok(&b.release(r, rel)),
            None => Reply::json(
                StatusCode::NOT_FOUND,
                &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/releases/releases#get-the-latest-release", "status": "404"}),
            ),
        },
        ["tags"] if get => {
            let rels = releases_newest_first(&detail);
            let (range, link) = ctx.page(rels.len(), &format!("{sub_base}/tags"));
            let api = b.repo_api(r);
            let out = rels[range]
                .iter()
                .map(|rel| {
                    let sha = r.sha_at(seed, total.saturating_sub(1)).unwrap_or_default();
                    json!({
                        "name": rel.tag, "commit": {"sha": sha, "url": format!("{api}/commits/{sha}")},
                        "zipball_url": format!("{api}/zipball/refs/tags/{}", rel.tag),
                        "tarball_url": format!("{api}/tarball/refs/tags/{}", rel.tag),
                        "node_id": super::data::node_id("REF_kwDO", rel.id),
                    })
                })
                .collect();
            ctx.list(out, link)
        }
        ["languages"] if get => {
            let mut m = Map::new();
            for (name, bytes) in &detail.languages {
                m.insert((*name).into(), json!(bytes));
            }
            Reply::ok(&Value::Object(m))
        }
        ["topics"] if get => Reply::ok(&json!({"names": r.topics})),
        ["contributors"] if get => {
            let (range, link) = ctx.page(
                detail.contributors.len(),
                &format!("{sub_base}/contributors"),
            );
            let out = detail.contributors[range]
                .iter()
                .map(|(u, n)| {
                    let mut v = b.user(*u);
                    v["contributions"] = json!(n);
                    v
                })
                .collect();
            ctx.list(out, link)
        }
        ["stats", "participation"] if get => Reply::ok(
            &json!({"all": detail.participation_all, "owner": detail.participation_owner}),
        ),
        ["events"] if get => {
            let (range, link) = ctx.page(detail.events.len(), &format!("{sub_base}/events"));
            let out = detail.events[range].iter().map(|e| b.event(r, e)).collect();
            ctx.list(out, link)
        }
        ["hooks"] if get => {
            if !ctx.caller.authed {
                return Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication");
            }
            let (range, link) = ctx.page(r.hooks.len(), &format!("{sub_base}/hooks"));
            let out = r.hooks[range].iter().map(|h| b.hook(r, h)).collect();
            ctx.list(out, link)
        }
        ["hooks"] if *ctx.method == Method::POST => create_hook(ctx, r),
        _ => Reply::not_found(),
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

fn create_hook(ctx: &RestCtx<'_>, r: &Arc<Repo>) -> Reply {
    if !ctx.caller.authed {
        return Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication");
    }
    let invalid = |message: &str| {
        Reply::json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({"message": "Validation Failed", "errors": [{"resource": "Hook", "code": "custom", "message": message}], "documentation_url": "https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook", "status": "422"}),
        )
    };
    let Ok(v) = serde_json::from_slice::<Value>(ctx.body) else {
        return Reply::json(
            StatusCode::BAD_REQUEST,
            &json!({"message": "Problems parsing JSON", "documentation_url": "https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook", "status": "400"}),
        );
    };
    let Some(url) = v.pointer("/config/url").and_then(Value::as_str) else {
        return invalid("Config must contain a url");
    };
    if !super::webhooks::is_loopback_url(url) {
        return invalid(
            "fakehub delivers webhooks to loopback URLs only (127.0.0.1, ::1, localhost)",
        );
    }
    let events: Vec<String> = v
        .get("events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .filter(|e: &Vec<String>| !e.is_empty())
        .unwrap_or_else(|| vec!["push".into()]);
    let hook = Hook {
        id: ctx.shared.next_hook_id(),
        url: url.to_string(),
        secret: v
            .pointer("/config/secret")
            .and_then(Value::as_str)
            .map(str::to_string),
        events,
        active: v.get("active").and_then(Value::as_bool).unwrap_or(true),
        created_at: now_epoch(),
    };
    let body = ctx.bodies().hook(r, &hook);
    ctx.shared.add_hook(r.idx, hook.clone());
    super::webhooks::ping(ctx.shared, r.idx, &hook);
    let mut reply = Reply::json(StatusCode::CREATED, &body);
    reply.headers.push((
        header::LOCATION,
        format!("{}/hooks/{}", ctx.bodies().repo_api(r), hook.id),
    ));
    reply
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
}
