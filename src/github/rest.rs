//! REST calls: conditional GETs (If-None-Match from the ETag cache keyed by URL and token
//! fingerprint; 304 -> `Unchanged` from the cached body) and `Link` pagination parsed by our own
//! code (rel="next" only, same host only, page cap, loop detection, missing `Link` = one page).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use http::Method;

use crate::domain::{COMMIT_WINDOW, Commit, Issue, PullRequest, Release, RepoKey, RepoSnapshot};
use crate::domain::{ImportSource, Priority, SearchHit};

use super::client::clean;
use super::client::{Endpoint, Req};
use super::convert::{
    self, WireBranch, WireCommit, WireIssue, WireRateLimit, WireRelease, WireRepo, WireSearch,
};
use super::error::RedirectRefusal;
use super::scheduler::Lane;
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

/// Why a `Link` header, or the next page it names, was refused: the reason shown in
/// [`GithubError::BadLink`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the Link header is malformed: an entry does not start with '<'")]
    NoOpening,
    #[error("the Link header is malformed: a URL is not closed by '>'")]
    NotClosed,
    #[error("the Link header is malformed: junk after a URL")]
    Junk,
    #[error("the Link header is malformed: an entry has no rel")]
    NoRel,
    #[error("the Link header is malformed: an entry has an empty URL")]
    EmptyUrl,
    #[error("the next-page URL is invalid ({0})")]
    InvalidUrl(url::ParseError),
    #[error("it points at another host, where the token must not go")]
    OtherHost,
    #[error("it points outside the API")]
    OutsideApi,
    #[error("it points back to a page already read (a pagination loop)")]
    Loop,
}

/// Same-origin redirects followed in a row before giving up (GitHub sends one, for a rename).
pub const MAX_REDIRECTS: usize = 3;

/// Parses a `Link` header into (url, rel) pairs. Malformed input is an error, never a print.
pub fn parse_link(header: &str) -> Result<Vec<(String, String)>, LinkError> {
    let mut out = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        let r = rest.strip_prefix('<').ok_or(LinkError::NoOpening)?;
        let end = r.find('>').ok_or(LinkError::NotClosed)?;
        let url = r[..end].trim().to_string();
        let after = &r[end + 1..];
        let next = after.find(',').unwrap_or(after.len());
        let params = &after[..next];
        rest = after.get(next + 1..).unwrap_or("").trim_start();
        if !params.trim().is_empty() && !params.trim_start().starts_with(';') {
            return Err(LinkError::Junk);
        }
        let mut rel = None;
        for p in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            if let Some(v) = p.strip_prefix("rel=") {
                rel = Some(v.trim_matches('"').to_string());
            }
        }
        let rel = rel.ok_or(LinkError::NoRel)?;
        if url.is_empty() {
            return Err(LinkError::EmptyUrl);
        }
        out.push((url, rel));
    }
    Ok(out)
}

/// The path (below the API prefix) of the `rel="next"` page, refusing other hosts and loops.
pub(crate) fn next_path(
    link: Option<&str>,
    api: &Endpoint,
    seen: &HashSet<String>,
) -> Result<Option<String>, LinkError> {
    let Some(link) = link.filter(|l| !l.trim().is_empty()) else {
        return Ok(None);
    };
    let entries = parse_link(link)?;
    let Some((url, _)) = entries
        .iter()
        .find(|(_, rel)| rel.split_whitespace().any(|r| r == "next"))
    else {
        return Ok(None);
    };
    let parsed = url::Url::parse(url).map_err(LinkError::InvalidUrl)?;
    let full = below_api(&parsed, api)?;
    if seen.contains(&full) {
        return Err(LinkError::Loop);
    }
    Ok(Some(full))
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{}://{host}:{p}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The path and query of `url` below the API prefix, refusing other origins and other paths.
fn below_api(url: &url::Url, api: &Endpoint) -> Result<String, LinkError> {
    if !origin_of(url).eq_ignore_ascii_case(&api.origin) {
        return Err(LinkError::OtherHost);
    }
    let Some(below) = url
        .path()
        .strip_prefix(api.prefix.as_str())
        .filter(|b| b.starts_with('/'))
    else {
        return Err(LinkError::OutsideApi);
    };
    Ok(match url.query() {
        Some(q) => format!("{below}?{q}"),
        None => below.to_string(),
    })
}

/// Where a redirect from `from` (an absolute URL) to `location` goes, as a path below the API;
/// or why repodeck does not follow it.
pub(crate) fn redirect_path(
    location: &str,
    from: &str,
    api: &Endpoint,
) -> Result<String, RedirectRefusal> {
    let base = url::Url::parse(from).ok();
    let target = url::Url::options()
        .base_url(base.as_ref())
        .parse(location)
        .map_err(|_| RedirectRefusal::NoLocation)?;
    below_api(&target, api).map_err(|e| match e {
        LinkError::OtherHost => RedirectRefusal::OtherOrigin(origin_of(&target)),
        _ => RedirectRefusal::OutsideApi,
    })
}

/// Cached value: the `Link` header, a newline, the body.
fn envelope(link: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut v = link.unwrap_or_default().replace('\n', " ").into_bytes();
    v.push(b'\n');
    v.extend_from_slice(body);
    v
}

fn open_envelope(v: &[u8]) -> (Option<String>, Vec<u8>) {
    match v.iter().position(|b| *b == b'\n') {
        Some(i) => {
            let link = String::from_utf8_lossy(&v[..i]).to_string();
            (Some(link).filter(|l| !l.is_empty()), v[i + 1..].to_vec())
        }
        None => (None, v.to_vec()),
    }
}

fn parse_expiry(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().replace(" UTC", " +0000");
    DateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S %z")
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn is_empty_repo(e: &GithubError) -> bool {
    matches!(e, GithubError::UnexpectedStatus { status: 409, .. })
}

/// A 404 on a part of `repo` (the repository itself answered): that part failed, the repository
/// is not gone.
fn part_of(repo: &str, part: &str, e: GithubError) -> GithubError {
    match e {
        GithubError::NotFound { .. } => GithubError::PartNotFound {
            repo: repo.to_string(),
            part: part.to_string(),
        },
        other => other,
    }
}

fn combine<T>(parts: &[bool], value: T) -> Conditional<T> {
    if parts.iter().all(|changed| !changed) {
        Conditional::Unchanged(value)
    } else {
        Conditional::Changed(value)
    }
}

/// The REST lists of one repository, as fetched.
struct RestLists {
    commits: Conditional<Vec<WireCommit>>,
    branches: Conditional<Vec<WireBranch>>,
    pulls: Conditional<Vec<WireIssue>>,
    issues: Conditional<Vec<WireIssue>>,
    releases: Conditional<Vec<WireRelease>>,
    langs: Conditional<Vec<u8>>,
}

impl RestLists {
    fn changed(&self) -> [bool; 6] {
        [
            self.commits.is_changed(),
            self.branches.is_changed(),
            self.pulls.is_changed(),
            self.issues.is_changed(),
            self.releases.is_changed(),
            self.langs.is_changed(),
        ]
    }

    /// The snapshot of `repo` with these lists (the `/issues` listing's pull requests dropped).
    fn into_snapshot(self, repo: WireRepo) -> Result<RepoSnapshot, GithubError> {
        let langs: BTreeMap<String, serde_json::Value> =
            convert::decode("/repos/{o}/{r}/languages", &self.langs.into_inner())?;
        let commits: Vec<Commit> = into_all(self.commits);
        let (listed_pulls, listed_issues): (Vec<WireIssue>, Vec<WireIssue>) = self
            .issues
            .into_inner()
            .into_iter()
            .partition(WireIssue::is_pull);
        // `/pulls` has no comment count; the `/issues` listing does, for the PRs it holds.
        let comments: std::collections::HashMap<u64, u64> = listed_pulls
            .iter()
            .map(|i| (i.number, i.comments))
            .collect();
        let pulls: Vec<PullRequest> = self
            .pulls
            .into_inner()
            .into_iter()
            .map(|p| {
                let n = p.number;
                let mut pr = WireIssue::into_pull(p);
                pr.comments = comments.get(&n).copied().unwrap_or_default();
                pr
            })
            .collect();
        let issues: Vec<Issue> = listed_issues
            .into_iter()
            .map(WireIssue::into_issue)
            .collect();
        let releases: Vec<Release> = into_all(self.releases);
        let meta = repo.into_meta(pulls.len() as u64, convert::languages(langs));
        Ok(RepoSnapshot {
            head: commits.first().cloned(),
            latest_release: convert::latest_release(&releases),
            meta,
            details: crate::domain::RepoDetails {
                commits,
                branches: into_all(self.branches),
                pulls,
                issues,
                releases,
                ..Default::default()
            },
            pr_ends: Vec::new(),
        })
    }
}

/// Every item of a listing converted.
fn into_all<W, T: From<W>>(list: Conditional<Vec<W>>) -> Vec<T> {
    list.into_inner().into_iter().map(T::from).collect()
}

impl GithubClient {
    /// A GET that follows same-origin redirects (at most [`MAX_REDIRECTS`], each logged), with
    /// `If-None-Match` from the ETag stored for each URL when `conditional`. A redirect to
    /// another origin, outside the API or in a loop fails: the token never leaves the API's
    /// origin. Returns the answer, its URL and what was cached for that URL.
    pub(super) async fn get_following(
        &self,
        path: &str,
        route: &'static str,
        lane: Lane,
        prio: Priority,
        conditional: bool,
    ) -> Result<(super::client::Resp, String, Option<(String, Vec<u8>)>), GithubError> {
        let mut path = path.to_string();
        let mut hops = 0;
        loop {
            let url = format!("{}{}{}", self.api().origin, self.api().prefix, path);
            let cached = self
                .etags()
                .filter(|_| conditional)
                .and_then(|c| c.get(self.etag_key(), &url));
            let mut req = Req::get(path.clone(), route, lane, prio);
            req.etag = cached.as_ref().map(|(etag, _)| etag.clone());
            let (status, location) = match self.execute(&req).await {
                Ok(resp) => return Ok((resp, url, cached)),
                Err(GithubError::Redirected {
                    status,
                    location,
                    why: RedirectRefusal::NotFollowed,
                    ..
                }) => (status, location),
                Err(e) => return Err(e),
            };
            let refuse = |why| {
                let e = GithubError::Redirected {
                    endpoint: route.to_string(),
                    status,
                    location: location.clone(),
                    why,
                };
                tracing::warn!(route, status, error = %e, "github: redirect not followed");
                e
            };
            if hops >= MAX_REDIRECTS {
                return Err(refuse(RedirectRefusal::TooMany(MAX_REDIRECTS)));
            }
            let next = redirect_path(&location, &url, self.api()).map_err(refuse)?;
            tracing::info!(route, status, to = %next, "github: following a same-origin redirect");
            hops += 1;
            path = next;
        }
    }

    /// One conditional GET: `If-None-Match` when an ETag is stored; 304 -> the cached body.
    /// Returns the body and the `Link` header.
    pub(crate) async fn get_cond(
        &self,
        path: &str,
        route: &'static str,
        lane: Lane,
        prio: Priority,
    ) -> Result<(Conditional<Vec<u8>>, Option<String>), GithubError> {
        let (resp, url, cached) = self.get_following(path, route, lane, prio, true).await?;
        let link_header = resp
            .headers
            .get(http::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if resp.status == 304 {
            let Some((_, stored)) = cached else {
                return Err(GithubError::UnexpectedStatus {
                    endpoint: route.to_string(),
                    status: 304,
                    message: "Not Modified, to a request that sent no ETag".into(),
                });
            };
            let (link, body) = open_envelope(&stored);
            return Ok((Conditional::Unchanged(body), link_header.or(link)));
        }
        if let (Some(cache), Some(etag)) = (
            self.etags(),
            resp.headers
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok()),
        ) {
            cache.put(
                self.etag_key(),
                &url,
                etag,
                &envelope(link_header.as_deref(), &resp.body),
            );
        }
        Ok((Conditional::Changed(resp.body), link_header))
    }

    /// Every page of a listing (conditional each), up to `max_pages`.
    pub(crate) async fn get_pages(
        &self,
        path: &str,
        route: &'static str,
        lane: Lane,
        prio: Priority,
        max_pages: usize,
    ) -> Result<Conditional<Vec<Vec<u8>>>, GithubError> {
        let mut pages = Vec::new();
        let mut changed = Vec::new();
        let mut seen = HashSet::new();
        let mut next = Some(path.to_string());
        while let Some(p) = next.take() {
            if pages.len() >= max_pages.min(self.max_pages()) {
                tracing::warn!(
                    route,
                    pages = pages.len(),
                    "github: page cap reached, listing truncated"
                );
                break;
            }
            seen.insert(p.clone());
            let (body, link) = self.get_cond(&p, route, lane, prio).await?;
            changed.push(body.is_changed());
            pages.push(body.into_inner());
            next = next_path(link.as_deref(), self.api(), &seen).map_err(|e| {
                GithubError::BadLink {
                    endpoint: route.to_string(),
                    reason: e.to_string(),
                }
            })?;
        }
        Ok(combine(&changed, pages))
    }

    async fn list_items<T: for<'de> serde::Deserialize<'de>>(
        &self,
        path: &str,
        route: &'static str,
        lane: Lane,
        prio: Priority,
        max_pages: usize,
    ) -> Result<Conditional<Vec<T>>, GithubError> {
        let pages = self.get_pages(path, route, lane, prio, max_pages).await?;
        let changed = pages.is_changed();
        let mut items = Vec::new();
        for page in pages.into_inner() {
            items.extend(convert::decode::<Vec<T>>(route, &page)?);
        }
        Ok(if changed {
            Conditional::Changed(items)
        } else {
            Conditional::Unchanged(items)
        })
    }

    /// A plain GET the user is waiting for, of a fixed path that is also its route label.
    async fn get_now(&self, path: &'static str) -> Result<super::client::Resp, GithubError> {
        let (resp, _, _) = self
            .get_following(path, path, Lane::Core, Priority::User, false)
            .await?;
        Ok(resp)
    }

    /// `GET /rate_limit` (free): refreshes every bucket.
    pub async fn refresh_rate_limit(&self) -> Result<(), GithubError> {
        let resp = self.get_now("/rate_limit").await?;
        let rl: WireRateLimit = convert::decode("/rate_limit", &resp.body)?;
        for b in rl.buckets() {
            self.sched().update_bucket(b);
        }
        Ok(())
    }

    /// `GET /user`: login, scopes and token expiry.
    pub async fn viewer(&self) -> Result<TokenInfo, GithubError> {
        let resp = self.get_now("/user").await?;
        #[derive(serde::Deserialize)]
        struct User {
            #[serde(default)]
            login: String,
        }
        let user: User = convert::decode("/user", &resp.body)?;
        let header = |n: &str| {
            resp.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let scopes = header("x-oauth-scopes").map(|s| {
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
        });
        let expires_at =
            header("github-authentication-token-expiration").and_then(|s| parse_expiry(&s));
        Ok(TokenInfo {
            login: clean(&user.login, 100),
            scopes,
            expires_at,
            server_date: super::diagnose::date_of(&resp),
        })
    }

    /// REST snapshot with ETags on every endpoint; every part 304 -> `Unchanged`.
    pub async fn rest_snapshot(
        &self,
        key: &RepoKey,
        prio: Priority,
    ) -> Result<Conditional<RepoSnapshot>, GithubError> {
        let base = format!("/repos/{}/{}", key.owner(), key.name());
        let (repo_body, _) = self
            .get_cond(&base, "/repos/{o}/{r}", Lane::Core, prio)
            .await?;
        let repo_changed = repo_body.is_changed();
        let repo: WireRepo = convert::decode("/repos/{o}/{r}", &repo_body.into_inner())?;
        // Follow a rename once: later calls use the name GitHub answered with.
        let base = match RepoKey::parse(&repo.full_name) {
            Ok(k) if k != *key => {
                tracing::info!(old = %key, new = %k, "github: repository renamed");
                format!("/repos/{}/{}", k.owner(), k.name())
            }
            _ => base,
        };
        let lists = self.rest_lists(&base, &repo.full_name, prio).await?;
        let mut changed = vec![repo_changed];
        changed.extend(lists.changed());
        Ok(combine(&changed, lists.into_snapshot(repo)?))
    }

    /// How the pull requests `numbers` of `key` ended (`GET /repos/{o}/{r}/pulls/{n}`, one
    /// conditional request each; asked only for PRs that left the open list). An open PR has no
    /// end; a PR GitHub no longer has (404) is skipped.
    pub async fn rest_pr_ends(
        &self,
        key: &RepoKey,
        numbers: &[u64],
        prio: Priority,
    ) -> Result<Vec<(u64, crate::domain::PrEnd)>, GithubError> {
        #[derive(serde::Deserialize, Default)]
        #[serde(default)]
        struct PullState {
            state: String,
            merged: bool,
        }
        let mut ends = Vec::new();
        for &n in numbers {
            let path = format!("/repos/{}/{}/pulls/{n}", key.owner(), key.name());
            let body = match self
                .get_cond(&path, "/repos/{o}/{r}/pulls/{n}", Lane::Core, prio)
                .await
            {
                Ok((body, _)) => body.into_inner(),
                Err(GithubError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            let p: PullState = convert::decode("/repos/{o}/{r}/pulls/{n}", &body)?;
            if p.merged {
                ends.push((n, crate::domain::PrEnd::Merged));
            } else if p.state == "closed" {
                ends.push((n, crate::domain::PrEnd::Closed));
            }
        }
        Ok(ends)
    }

    /// A repository's lists (commit window, branches, open pulls and issues, releases,
    /// languages), fetched together, each conditional.
    async fn rest_lists(
        &self,
        base: &str,
        repo: &str,
        prio: Priority,
    ) -> Result<RestLists, GithubError> {
        let commits_path = format!("{base}/commits?per_page={COMMIT_WINDOW}");
        let branches_path = format!("{base}/branches?per_page=100");
        let pulls_path = format!("{base}/pulls?state=open&per_page=100");
        let issues_path = format!("{base}/issues?state=open&per_page=100");
        let releases_path = format!("{base}/releases?per_page=10");
        let langs_path = format!("{base}/languages");
        let core = Lane::Core;
        let (commits, branches, pulls, issues, releases, langs) = tokio::join!(
            self.list_items(&commits_path, "/repos/{o}/{r}/commits", core, prio, 1),
            self.list_items(&branches_path, "/repos/{o}/{r}/branches", core, prio, 10),
            self.list_items(&pulls_path, "/repos/{o}/{r}/pulls", core, prio, 10),
            self.list_items(&issues_path, "/repos/{o}/{r}/issues", core, prio, 10),
            self.list_items(&releases_path, "/repos/{o}/{r}/releases", core, prio, 1),
            self.get_cond(&langs_path, "/repos/{o}/{r}/languages", core, prio),
        );
        let repo = clean(repo, 200);
        let commits = match commits {
            Err(e) if is_empty_repo(&e) => Conditional::Changed(Vec::new()),
            other => other.map_err(|e| part_of(&repo, "commits", e))?,
        };
        Ok(RestLists {
            commits,
            branches: branches.map_err(|e| part_of(&repo, "branches", e))?,
            pulls: pulls.map_err(|e| part_of(&repo, "open pull requests", e))?,
            issues: issues.map_err(|e| part_of(&repo, "open issues", e))?,
            releases: releases.map_err(|e| part_of(&repo, "releases", e))?,
            langs: langs.map_err(|e| part_of(&repo, "languages", e))?.0,
        })
    }

    /// `GET /repos/{o}/{r}/commits/{sha}` with stats and files (ETag-cached: commits never change).
    pub async fn commit(&self, key: &RepoKey, sha: &str) -> Result<Commit, GithubError> {
        if sha.is_empty()
            || !sha
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(GithubError::NotFound {
                what: format!("commit '{}'", clean(sha, 60)),
            });
        }
        let path = format!("/repos/{}/{}/commits/{sha}", key.owner(), key.name());
        let (body, _) = self
            .get_cond(
                &path,
                "/repos/{o}/{r}/commits/{ref}",
                Lane::Core,
                Priority::User,
            )
            .await
            .map_err(|e| part_of(&key.to_string(), &format!("commit {}", clean(sha, 60)), e))?;
        let c: WireCommit = convert::decode("/repos/{o}/{r}/commits/{ref}", &body.into_inner())?;
        Ok(Commit::from(c))
    }

    /// Lists an org's, a user's or the viewer's repositories (all pages).
    pub async fn list_repos(
        &self,
        source: &ImportSource,
        prio: Priority,
    ) -> Result<Vec<ListedRepo>, GithubError> {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let (path, route) = match source {
            ImportSource::Org(o) => (
                format!("/orgs/{}/repos?per_page=100&type=all", enc(o)),
                "/orgs/{org}/repos",
            ),
            ImportSource::User(u) => (
                format!("/users/{}/repos?per_page=100&type=owner", enc(u)),
                "/users/{u}/repos",
            ),
            ImportSource::Mine => (
                "/user/repos?per_page=100&affiliation=owner,collaborator,organization_member"
                    .to_string(),
                "/user/repos",
            ),
        };
        let repos = self
            .list_items::<WireRepo>(&path, route, Lane::Core, prio, usize::MAX)
            .await?;
        Ok(repos
            .into_inner()
            .into_iter()
            .filter_map(WireRepo::into_listed)
            .collect())
    }

    /// `GET /search/repositories`, up to `limit` hits (search bucket, spaced requests).
    pub async fn search_repos(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>, GithubError> {
        let limit = limit.clamp(1, 1000);
        let q = url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>();
        let per_page = limit.min(100);
        let path = format!("/search/repositories?q={q}&per_page={per_page}");
        let max_pages = limit.div_ceil(per_page);
        let pages = self
            .get_pages(
                &path,
                "/search/repositories",
                Lane::Search,
                Priority::User,
                max_pages,
            )
            .await?
            .into_inner();
        let mut hits = Vec::new();
        for page in pages {
            let s: WireSearch = convert::decode("/search/repositories", &page)?;
            hits.extend(s.items.into_iter().filter_map(WireRepo::into_hit));
        }
        hits.truncate(limit);
        Ok(hits)
    }

    /// A non-GET REST call (mutations are spaced >= 1 s apart and never retried).
    pub(crate) async fn send_mutation(
        &self,
        method: Method,
        path: &str,
        route: &'static str,
        body: &serde_json::Value,
    ) -> Result<Vec<u8>, GithubError> {
        let mut req = Req::get(path.to_string(), route, Lane::Core, Priority::User);
        req.method = method;
        req.body = Some(serde_json::to_vec(body).map_err(|e| GithubError::Decode {
            endpoint: route.to_string(),
            detail: e.to_string(),
        })?);
        req.retry = false;
        Ok(self.execute(&req).await?.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Endpoint {
        Endpoint {
            origin: "http://127.0.0.1:8080".into(),
            host: "127.0.0.1".into(),
            prefix: String::new(),
        }
    }

    #[test]
    fn parses_githubs_link_header() {
        let h = r#"<https://api.github.com/repositories/1000/issues?per_page=3&page=2>; rel="next", <https://api.github.com/repositories/1000/issues?per_page=3&page=5>; rel="last""#;
        let l = parse_link(h).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].1, "next");
        assert!(l[1].0.ends_with("page=5"));
        for bad in [
            "https://x; rel=next",
            "<https://x; rel=next",
            "<https://x> junk",
            "<https://x>",
        ] {
            assert!(parse_link(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn follows_next_only_on_the_same_host_without_loops() {
        let mut seen = HashSet::new();
        seen.insert("/orgs/o/repos?page=1".to_string());
        let ok = r#"<http://127.0.0.1:8080/orgs/o/repos?page=2>; rel="next", <http://127.0.0.1:8080/orgs/o/repos?page=9>; rel="last""#;
        assert_eq!(
            next_path(Some(ok), &api(), &seen).unwrap().as_deref(),
            Some("/orgs/o/repos?page=2")
        );
        let last_only = r#"<http://127.0.0.1:8080/orgs/o/repos?page=1>; rel="prev""#;
        assert_eq!(next_path(Some(last_only), &api(), &seen).unwrap(), None);
        assert_eq!(next_path(None, &api(), &seen).unwrap(), None);
        let foreign = r#"<http://evil.example.com/orgs/o/repos?page=2>; rel="next""#;
        assert!(
            next_path(Some(foreign), &api(), &seen)
                .unwrap_err()
                .to_string()
                .contains("another host")
        );
        let other_port = r#"<http://127.0.0.1:9999/orgs/o/repos?page=2>; rel="next""#;
        assert!(next_path(Some(other_port), &api(), &seen).is_err());
        let looped = r#"<http://127.0.0.1:8080/orgs/o/repos?page=1>; rel="next""#;
        assert!(
            next_path(Some(looped), &api(), &seen)
                .unwrap_err()
                .to_string()
                .contains("loop")
        );
        assert!(next_path(Some("<<>>"), &api(), &seen).is_err());
        let ghe = Endpoint {
            prefix: "/api/v3".into(),
            ..api()
        };
        let inside = r#"<http://127.0.0.1:8080/api/v3/orgs/o/repos?page=2>; rel="next""#;
        assert_eq!(
            next_path(Some(inside), &ghe, &seen).unwrap().as_deref(),
            Some("/orgs/o/repos?page=2")
        );
        let outside = r#"<http://127.0.0.1:8080/elsewhere?page=2>; rel="next""#;
        assert!(next_path(Some(outside), &ghe, &seen).is_err());
    }

    #[test]
    fn redirects_are_followed_only_inside_the_api() {
        let from = "http://127.0.0.1:8080/repos/o/r?x=1";
        assert_eq!(
            redirect_path("http://127.0.0.1:8080/repositories/7?x=1", from, &api()).unwrap(),
            "/repositories/7?x=1"
        );
        assert_eq!(
            redirect_path("/repositories/7", from, &api()).unwrap(),
            "/repositories/7",
            "a relative Location is resolved against the request"
        );
        assert_eq!(
            redirect_path("https://evil.example/repos/o/r", from, &api()).unwrap_err(),
            RedirectRefusal::OtherOrigin("https://evil.example".into())
        );
        assert_eq!(
            redirect_path("http://127.0.0.1:9999/repos/o/r", from, &api()).unwrap_err(),
            RedirectRefusal::OtherOrigin("http://127.0.0.1:9999".into())
        );
        let ghe = Endpoint {
            prefix: "/api/v3".into(),
            ..api()
        };
        let from = "http://127.0.0.1:8080/api/v3/repos/o/r";
        assert_eq!(
            redirect_path("http://127.0.0.1:8080/api/v3/repositories/7", from, &ghe).unwrap(),
            "/repositories/7"
        );
        assert_eq!(
            redirect_path("http://127.0.0.1:8080/login", from, &ghe).unwrap_err(),
            RedirectRefusal::OutsideApi
        );
        assert_eq!(
            redirect_path("http://[bad", from, &ghe).unwrap_err(),
            RedirectRefusal::NoLocation
        );
    }

    #[test]
    fn a_404_on_a_part_is_not_the_repository_gone() {
        let e = part_of(
            "o/r",
            "branches",
            GithubError::NotFound {
                what: "repository o/r".into(),
            },
        );
        assert_eq!(
            e,
            GithubError::PartNotFound {
                repo: "o/r".into(),
                part: "branches".into()
            }
        );
        assert_eq!(
            part_of("o/r", "branches", GithubError::Timeout),
            GithubError::Timeout
        );
    }

    #[test]
    fn recorded_pagination_links_parse() {
        let v: serde_json::Value = serde_json::from_slice(
            &std::fs::read(format!(
                "{}/tests/fixtures/github/recorded/paginate-issues.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        let gh = Endpoint {
            origin: "https://api.github.com".into(),
            host: "api.github.com".into(),
            prefix: String::new(),
        };
        let mut nexts = 0;
        for ex in v.as_array().unwrap() {
            let link = ex["headers"]["link"].as_str();
            if next_path(link, &gh, &HashSet::new()).unwrap().is_some() {
                nexts += 1;
            }
        }
        assert_eq!(nexts, 4, "five pages, four next links");
    }

    #[test]
    fn envelope_round_trips_and_expiry_parses() {
        let e = envelope(Some("<x>; rel=\"next\""), b"{\n}");
        assert_eq!(
            open_envelope(&e),
            (Some("<x>; rel=\"next\"".to_string()), b"{\n}".to_vec())
        );
        assert_eq!(
            open_envelope(&envelope(None, b"[]")),
            (None, b"[]".to_vec())
        );
        assert_eq!(
            parse_expiry("2023-04-07 16:19:32 UTC")
                .unwrap()
                .to_rfc3339(),
            "2023-04-07T16:19:32+00:00"
        );
        assert!(parse_expiry("2023-04-07 16:19:32 -0700").is_some());
    }
}
