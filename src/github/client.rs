//! `GithubClient`: octocrab configured for trust (retries off, timeouts, the token as a secret
//! exposed in one place) and the request pipeline every call goes through: scheduler permit ->
//! send (`User-Agent: repodeck/<version>`, which octocrab follows with its own `octocrab`) ->
//! rate headers -> classify -> retry with full-jitter backoff.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http::{HeaderMap, HeaderValue, Method};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use secrecy::SecretString;
use tokio::sync::watch;

use super::error::{GithubError, RedirectRefusal};
use super::rate_limit::{Limited, RateState, bucket_from_headers, classify_limit};
use super::scheduler::{FailureClass, Lane, Scheduler, Timing, backoff_ceiling, full_jitter};
use super::{AuditSink, EtagCache};
use crate::config::{Config, Reserve};
use crate::domain::{Priority, RequestOutcome, RequestRecord, TokenKind, WaitReason};
use crate::secrets::{TokenId, TokenSource};

/// Everything needed to build a client.
#[derive(Clone)]
pub struct ClientOptions {
    pub api_url: String,
    pub graphql_url: String,
    /// Trimmed inside; `None` = anonymous.
    pub token: Option<SecretString>,
    /// Where `token` came from, named when GitHub rejects it; `None` for a token given directly.
    pub token_source: Option<TokenSource>,
    pub max_concurrency: usize,
    pub reserve: Reserve,
    pub etags: Option<Arc<dyn EtagCache>>,
    /// Page cap for `Link` pagination (default 100).
    pub max_pages: usize,
    /// Timeouts and waits; `Timing::default()` in production, scaled in tests.
    pub timing: Timing,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            api_url: "https://api.github.com".to_string(),
            graphql_url: "https://api.github.com/graphql".to_string(),
            token: None,
            token_source: None,
            max_concurrency: 4,
            reserve: Reserve::Fraction(0.10),
            etags: None,
            max_pages: 100,
            timing: Timing::default(),
        }
    }
}

impl ClientOptions {
    /// Options from the validated configuration.
    pub fn from_config(
        config: &Config,
        token: Option<SecretString>,
        etags: Option<Arc<dyn EtagCache>>,
    ) -> Self {
        Self {
            api_url: config.github.api_url.clone(),
            graphql_url: config.github.graphql_url.clone(),
            token,
            max_concurrency: config.github.max_concurrency,
            reserve: config.github.reserve,
            etags,
            timing: build_timing(),
            ..Self::default()
        }
    }
}

/// `Timing::default()`; debug builds (the test binaries) scale it by `REPODECK_TIME_SCALE`
/// (0 < f <= 1) so end-to-end fault tests run GitHub's minutes in seconds.
fn build_timing() -> Timing {
    let timing = Timing::default();
    if !cfg!(debug_assertions) {
        return timing;
    }
    match std::env::var("REPODECK_TIME_SCALE")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|f| *f > 0.0 && *f < 1.0)
    {
        Some(f) => timing.scaled_by(f),
        None => timing,
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_url", &self.api_url)
            .field("graphql_url", &self.graphql_url)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("token_source", &self.token_source)
            .field("max_concurrency", &self.max_concurrency)
            .field("reserve", &self.reserve)
            .field("etags", &self.etags.as_ref().map(|_| "EtagCache"))
            .field("max_pages", &self.max_pages)
            .field("timing", &self.timing)
            .finish()
    }
}

/// Counters for the sync summary and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Requests that reached GitHub (every attempt).
    pub requests: u64,
    pub by_route: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    /// 304 answers: they cost nothing.
    pub not_modified: u64,
    pub retries: u64,
    /// Points spent per bucket: 1 per REST request that is not a 304, GraphQL's reported cost.
    pub points: BTreeMap<String, u64>,
}

/// An absolute origin (`scheme://host:port`) and the path prefix of an endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub origin: String,
    pub host: String,
    pub prefix: String,
}

impl Endpoint {
    fn parse(raw: &str) -> Result<Self, GithubError> {
        let url = url::Url::parse(raw.trim())
            .map_err(|e| GithubError::Network(format!("invalid GitHub URL '{raw}': {e}")))?;
        let host = url.host_str().unwrap_or_default().to_string();
        let origin = match url.port() {
            Some(p) => format!("{}://{}:{p}", url.scheme(), host),
            None => format!("{}://{}", url.scheme(), host),
        };
        Ok(Self {
            origin,
            host,
            prefix: url.path().trim_end_matches('/').to_string(),
        })
    }
}

/// One request as the pipeline sees it.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub method: Method,
    /// Path and query below the endpoint prefix, starting with `/` (or a full path when `absolute`).
    pub path: String,
    pub graphql: bool,
    pub body: Option<Vec<u8>>,
    pub lane: Lane,
    pub prio: Priority,
    pub etag: Option<String>,
    /// Route label for accounting (`/repos/{o}/{r}/branches`), never with ids or tokens.
    pub route: &'static str,
    /// Retry server/network/timeout failures here (false when the caller adapts instead).
    pub retry: bool,
    /// The audit log's repo for a request not under `/repos/{o}/{r}` (a GraphQL batch of one).
    pub repo: Option<String>,
    /// Repositories in a GraphQL batch, for the audit log; 0 for REST.
    pub repos: u32,
}

impl Req {
    pub fn get(path: String, route: &'static str, lane: Lane, prio: Priority) -> Self {
        Self {
            method: Method::GET,
            path,
            graphql: false,
            body: None,
            lane,
            prio,
            etag: None,
            route,
            retry: true,
            repo: None,
            repos: 0,
        }
    }

    /// A POST of `body` to the GraphQL endpoint (retried like a GET unless the caller says not).
    pub fn graphql(body: Vec<u8>, prio: Priority) -> Self {
        Self {
            method: Method::POST,
            graphql: true,
            body: Some(body),
            ..Self::get(String::new(), "/graphql", Lane::Graphql, prio)
        }
    }
}

/// A whole response: status, headers, collected body.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// What the pipeline does after one answer.
enum Next {
    /// Hand this to the caller.
    Done(Result<Resp, GithubError>),
    /// A rate limit paused the gate: send again once it opens (not counted as an attempt).
    AfterPause,
    /// May succeed when tried again (a server error).
    Retry(GithubError),
}

pub(crate) struct Inner {
    pub rest: Octocrab,
    pub gql: Octocrab,
    pub api: Endpoint,
    pub graphql: Endpoint,
    /// The URLs as configured (trimmed, without a trailing `/`).
    pub api_url: String,
    pub graphql_url: String,
    pub token_id: Option<TokenId>,
    pub token_source: Option<TokenSource>,
    pub etags: Option<Arc<dyn EtagCache>>,
    pub max_pages: usize,
    pub sched: Arc<Scheduler>,
    pub accounting: Mutex<Accounting>,
    pub auth_failed: AtomicBool,
    /// The REST endpoint answered like GitHub's API (so its 404s are about repositories).
    pub verified: AtomicBool,
    pub verify_lock: tokio::sync::Mutex<()>,
    pub probe_k: AtomicUsize,
    pub detail_k: AtomicUsize,
    pub user_agent: String,
    /// The token-use audit log, when wired; with the token's id and source it records.
    pub audit: Option<Arc<dyn AuditSink>>,
    pub audit_token: Option<Arc<str>>,
    pub audit_source: TokenKind,
}

/// The GitHub client: cheap to clone, one per process.
#[derive(Clone)]
pub struct GithubClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("api", &self.inner.api.origin)
            .field("token", &self.inner.token_id)
            .finish_non_exhaustive()
    }
}

pub(crate) const PROBE_MAX: usize = 100;
/// The largest detail batch: GitHub bills the detail fragment's 10 connections once per repo,
/// divides by 100 and rounds to the nearest point, so 24 repos (240 requests) cost 2 points where
/// 25 (250) would cost 3 (see `graphql::DETAIL_CONNECTIONS`).
pub(crate) const DETAIL_MAX: usize = 24;

/// The single place the token is exposed: trimmed, checked, and given its [`TokenId`]. `None`
/// when it is empty or not printable ASCII (it cannot go in a header).
fn prepare_token(token: &SecretString) -> Option<(SecretString, TokenId)> {
    let trimmed = crate::secrets::expose(token, |raw| {
        let raw = raw.trim();
        let usable = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_graphic());
        usable.then(|| SecretString::from(raw.to_string()))
    })?;
    let id = TokenId::of(&trimmed);
    Some((trimmed, id))
}

fn build_octocrab(
    origin: &str,
    token: Option<&SecretString>,
    timing: &Timing,
) -> Result<Octocrab, GithubError> {
    let mut b = Octocrab::builder()
        .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
        .set_connect_timeout(Some(timing.connect_timeout))
        .set_read_timeout(Some(timing.read_timeout))
        .set_write_timeout(Some(timing.read_timeout))
        .base_uri(origin)
        .map_err(|e| GithubError::Network(format!("invalid GitHub URL '{origin}': {e}")))?;
    if let Some(t) = token {
        b = b.personal_token(t.clone());
    }
    b.build()
        .map_err(|e| GithubError::Network(format!("could not set up the HTTP client: {e}")))
}

impl GithubClient {
    /// Builds the client. Must be called inside a tokio runtime.
    pub fn new(opts: ClientOptions) -> Result<Self, GithubError> {
        Self::with_audit(opts, None)
    }

    /// Builds the client with every request it sends recorded in `audit` (the token-use audit
    /// log). Must be called inside a tokio runtime.
    pub fn with_audit(
        opts: ClientOptions,
        audit: Option<Arc<dyn AuditSink>>,
    ) -> Result<Self, GithubError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GithubError::Network(
                "the GitHub client must be created inside the tokio runtime (internal error)"
                    .into(),
            ));
        }
        let api = Endpoint::parse(&opts.api_url)?;
        let graphql = Endpoint::parse(&opts.graphql_url)?;
        let (token, token_id) = match &opts.token {
            Some(t) => {
                let (t, id) = prepare_token(t).ok_or_else(|| GithubError::Unauthorized {
                    origin: opts.token_source.clone(),
                    id: None,
                })?;
                (Some(t), Some(id))
            }
            None => (None, None),
        };
        let rest = build_octocrab(&api.origin, token.as_ref(), &opts.timing)?;
        let gql = if graphql.origin == api.origin {
            rest.clone()
        } else {
            build_octocrab(&graphql.origin, token.as_ref(), &opts.timing)?
        };
        let sched = Scheduler::new(opts.timing.clone(), opts.max_concurrency, opts.reserve);
        let audit_source = match (&token_id, &opts.token_source) {
            (None, _) => TokenKind::Anonymous,
            (Some(_), None) => TokenKind::Given,
            (Some(_), Some(TokenSource::Global)) => TokenKind::VaultGlobal,
            (Some(_), Some(TokenSource::Repo(_))) => TokenKind::VaultRepo,
            (Some(_), Some(TokenSource::Env(_))) => TokenKind::Env,
        };
        let audit_token = token_id.as_ref().map(|id| Arc::from(id.to_string()));
        Ok(Self {
            inner: Arc::new(Inner {
                rest,
                gql,
                api,
                graphql,
                api_url: opts.api_url.trim().trim_end_matches('/').to_string(),
                graphql_url: opts.graphql_url.trim().trim_end_matches('/').to_string(),
                token_id,
                token_source: opts.token_source,
                etags: opts.etags,
                max_pages: opts.max_pages.max(1),
                sched,
                accounting: Mutex::new(Accounting::default()),
                auth_failed: AtomicBool::new(false),
                verified: AtomicBool::new(false),
                verify_lock: tokio::sync::Mutex::new(()),
                probe_k: AtomicUsize::new(PROBE_MAX),
                detail_k: AtomicUsize::new(DETAIL_MAX),
                user_agent: format!("repodeck/{}", env!("CARGO_PKG_VERSION")),
                audit,
                audit_token,
                audit_source,
            }),
        })
    }

    /// Which token this client sends (`ghp_…a1f3`, as `repodeck token list` shows it); `None`
    /// when anonymous.
    /// The REST API URL as configured (trimmed, without a trailing `/`).
    pub fn api_url(&self) -> &str {
        &self.inner.api_url
    }

    /// The GraphQL URL as configured.
    pub fn graphql_url(&self) -> &str {
        &self.inner.graphql_url
    }

    pub fn token_id(&self) -> Option<TokenId> {
        self.inner.token_id.clone()
    }

    pub fn is_authenticated(&self) -> bool {
        self.inner.token_id.is_some()
    }

    /// The 401 answer for this client's token: names where the token came from.
    fn unauthorized(&self) -> GithubError {
        GithubError::Unauthorized {
            origin: self.inner.token_source.clone(),
            id: self.inner.token_id.clone(),
        }
    }

    /// Buckets, the current pause and the circuit breaker, updated after every response.
    pub fn rate_state(&self) -> watch::Receiver<RateState> {
        self.inner.sched.subscribe()
    }

    pub fn accounting(&self) -> Accounting {
        self.inner
            .accounting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Cancels the current pause waits; they return `GithubError::Cancelled`.
    pub fn cancel_waits(&self) {
        self.inner.sched.cancel_waits();
    }

    /// The REST endpoint's circuit opened in the current failure streak: GitHub, not one
    /// request, is failing (the breaker soon lets a probe succeed or declares it unavailable).
    pub fn failing(&self) -> bool {
        self.inner.sched.tripped(&self.inner.api.host)
    }

    /// Waits longer than this are said to the user: 2 s, scaled like every other wait.
    pub fn wait_notice_threshold(&self) -> std::time::Duration {
        self.inner.sched.scaled(std::time::Duration::from_secs(2))
    }

    /// Current adaptive batch sizes: (probe, detail).
    pub fn batch_sizes(&self) -> (usize, usize) {
        (
            self.inner.probe_k.load(Ordering::Relaxed),
            self.inner.detail_k.load(Ordering::Relaxed),
        )
    }

    /// The key ETags are stored under for this token: its [`TokenId::key`].
    pub(crate) fn etag_key(&self) -> &str {
        self.inner
            .token_id
            .as_ref()
            .map_or("anonymous", TokenId::key)
    }

    pub(crate) fn account(&self, f: impl FnOnce(&mut Accounting)) {
        f(&mut self
            .inner
            .accounting
            .lock()
            .unwrap_or_else(|p| p.into_inner()));
    }

    /// Sends one attempt and collects the whole body, bounded by `request_timeout`.
    async fn send_once(&self, req: &Req) -> Result<Resp, GithubError> {
        let (crab, ep) = if req.graphql {
            (&self.inner.gql, &self.inner.graphql)
        } else {
            (&self.inner.rest, &self.inner.api)
        };
        let path = if req.graphql {
            ep.prefix.clone()
        } else {
            format!("{}{}", ep.prefix, req.path)
        };
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(path)
            .header(http::header::USER_AGENT, self.inner.user_agent.as_str())
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        if let Some(etag) = &req.etag
            && let Ok(v) = HeaderValue::from_str(etag)
        {
            builder = builder.header(http::header::IF_NONE_MATCH, v);
        }
        let body = match &req.body {
            Some(b) => {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
                octocrab::OctoBody::from(b.clone())
            }
            None => octocrab::OctoBody::empty(),
        };
        let request = builder
            .body(body)
            .map_err(|e| GithubError::Network(format!("could not build the request: {e}")))?;
        let attempt = async {
            let resp = crab.execute(request).await.map_err(map_transport)?;
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map_err(map_transport)?
                .to_bytes()
                .to_vec();
            Ok::<_, GithubError>(Resp {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(self.inner.sched.timing.request_timeout, attempt).await {
            Ok(r) => r,
            Err(_) => Err(GithubError::Timeout),
        }
    }

    /// The pipeline: permit, send, rate headers, classification, retries. Returns 2xx and 304.
    pub(crate) async fn execute(&self, req: &Req) -> Result<Resp, GithubError> {
        if self.inner.auth_failed.load(Ordering::Relaxed) {
            return Err(self.unauthorized());
        }
        let sched = &self.inner.sched;
        let host = self.endpoint_of(req).host.clone();
        let idempotent = req.retry && (req.method == Method::GET || req.graphql);
        let mutating = !(req.method == Method::GET || req.graphql);
        let max_attempts = if idempotent {
            sched.timing.max_attempts.max(1)
        } else {
            1
        };
        let mut attempt = 0u32;
        let mut limit_hits = 0u32;
        loop {
            attempt += 1;
            let permit = match sched.acquire(req.lane, req.prio, mutating, &host).await {
                Ok(p) => p,
                Err(GithubError::Unavailable { cause, .. }) => {
                    return Err(GithubError::Unavailable {
                        url: self.url_of(req).to_string(),
                        cause,
                    });
                }
                Err(e) => return Err(e),
            };
            if self.inner.auth_failed.load(Ordering::Relaxed) {
                return Err(self.unauthorized());
            }
            let sent = (permit.epoch, permit.sent);
            let result = self.send_once(req).await;
            // A 401 closes the gate before the permit goes: a request waiting for this permit
            // must not reach GitHub with the rejected token.
            if matches!(&result, Ok(r) if r.status == 401)
                && !self.inner.auth_failed.swap(true, Ordering::Relaxed)
            {
                tracing::warn!(
                    route = req.route,
                    "github: token rejected (401); no further requests"
                );
            }
            drop(permit);
            match &result {
                // A GraphQL answer is recorded with its cost once read (`graphql::post_query`).
                Ok(r) if req.graphql && (200..300).contains(&r.status) => {}
                Ok(r) => {
                    // GitHub charges neither a 304 nor `GET /rate_limit` against the limit.
                    let free = r.status == 304 || req.path.split('?').next() == Some("/rate_limit");
                    let points = u32::from(!req.graphql && !free);
                    self.audit(req, RequestOutcome::Status(r.status), points);
                }
                Err(e) if e.is_retryable() => {
                    self.audit(req, RequestOutcome::Failed(e.kind()), 0);
                }
                Err(_) => {}
            }
            let err = match result {
                Ok(resp) => match self.answer(req, resp, &host, &mut limit_hits, sent) {
                    Next::Done(Err(GithubError::NotFound { what }))
                        if !req.graphql && req.route != CHECK_RATE_LIMIT =>
                    {
                        // A 404 says something about a repository only from a GitHub API.
                        Box::pin(self.check_endpoint()).await?;
                        return Err(GithubError::NotFound { what });
                    }
                    Next::Done(r) => return r,
                    Next::AfterPause => {
                        attempt -= 1;
                        continue;
                    }
                    Next::Retry(e) => e,
                },
                Err(e) => {
                    if e.is_retryable() {
                        self.account(|a| {
                            a.requests += 1;
                            *a.by_route.entry(req.route.to_string()).or_default() += 1;
                        });
                        let (class, cause) = failure_of(&e);
                        sched.failure(&host, class, sent.1, &cause);
                    }
                    e
                }
            };
            // Out of attempts, but connections to the endpoint fail: the breaker decides (it
            // declares the endpoint down within `breaker_give_up`, or lets a probe succeed).
            let out_of_attempts = attempt >= max_attempts && !sched.holds_retries(&host);
            if !err.is_retryable() || out_of_attempts {
                tracing::warn!(route = req.route, error = %err, attempt, "github: request failed");
                return Err(err);
            }
            self.back_off(req, &err, attempt).await?;
        }
    }

    /// Hands one sent request to the audit log (when wired): never the token, only its id.
    pub(crate) fn audit(&self, req: &Req, outcome: RequestOutcome, points: u32) {
        let Some(sink) = &self.inner.audit else {
            return;
        };
        sink.record(RequestRecord {
            at: chrono::Utc::now(),
            token: self.inner.audit_token.clone(),
            source: self.inner.audit_source,
            repo: req.repo.clone().or_else(|| repo_of(&req.path)),
            repos: req.repos,
            class: std::borrow::Cow::Borrowed(req.route),
            method: method_name(&req.method),
            outcome,
            points,
        });
    }

    /// A GraphQL batch that failed every try with a server error, a reset or a timeout: the
    /// GraphQL endpoint is unavailable (said once, naming its URL), not each repository.
    pub(crate) fn graphql_unavailable(&self, e: GithubError) -> GithubError {
        match e {
            GithubError::Server { .. }
            | GithubError::Network(_)
            | GithubError::Timeout
            | GithubError::Truncated { .. } => {
                let (_, cause) = failure_of(&e);
                GithubError::Unavailable {
                    url: self.inner.graphql_url.clone(),
                    cause,
                }
            }
            other => other,
        }
    }

    /// The endpoint's URL as configured, named in endpoint-wide errors.
    fn url_of(&self, req: &Req) -> &str {
        if req.graphql {
            &self.inner.graphql_url
        } else {
            &self.inner.api_url
        }
    }

    fn endpoint_of(&self, req: &Req) -> &Endpoint {
        if req.graphql {
            &self.inner.graphql
        } else {
            &self.inner.api
        }
    }

    /// Checks once that the REST endpoint answers like GitHub's API (`GET /rate_limit` with its
    /// `resources`, else the root document); a 404 from anything else says nothing about a
    /// repository. Refreshes the buckets when `/rate_limit` answered. `NotGithub` when the
    /// endpoint answers otherwise; the request's own error when it does not answer.
    pub async fn check_endpoint(&self) -> Result<(), GithubError> {
        if self.inner.verified.load(Ordering::Relaxed) {
            return Ok(());
        }
        let _one = self.inner.verify_lock.lock().await;
        if self.inner.verified.load(Ordering::Relaxed) {
            return Ok(());
        }
        let get = |path: &str, route| Req::get(path.to_string(), route, Lane::Core, Priority::User);
        let resp = self.execute(&get("/rate_limit", CHECK_RATE_LIMIT)).await?;
        if let Ok(rl) =
            super::convert::decode::<super::convert::WireRateLimit>("/rate_limit", &resp.body)
            && rl.resources.contains_key("core")
        {
            for b in rl.buckets() {
                self.inner.sched.update_bucket(b);
            }
            self.inner.verified.store(true, Ordering::Relaxed);
            return Ok(());
        }
        // GitHub Enterprise answers 404 here when it has no rate limits: its root document says
        // it is GitHub.
        let root = self.execute(&get("/", CHECK_ROOT)).await?;
        let is_root = serde_json::from_slice::<serde_json::Value>(&root.body)
            .is_ok_and(|v| v.get("current_user_url").is_some());
        if root.status == 200 && is_root {
            self.inner.verified.store(true, Ordering::Relaxed);
            return Ok(());
        }
        Err(GithubError::NotGithub {
            url: self.inner.api_url.clone(),
            answered: format!(
                "GET {}/rate_limit answered {}",
                self.inner.api.prefix,
                describe_answer(&resp)
            ),
        })
    }

    /// Accounts one answer, publishes its rate headers and decides what the pipeline does next.
    /// `sent`: the request's secondary-limit epoch and when it left.
    fn answer(
        &self,
        req: &Req,
        resp: Resp,
        host: &str,
        limit_hits: &mut u32,
        sent: (u64, tokio::time::Instant),
    ) -> Next {
        let sched = &self.inner.sched;
        self.account(|a| {
            a.requests += 1;
            *a.by_route.entry(req.route.to_string()).or_default() += 1;
            *a.by_status.entry(resp.status).or_default() += 1;
            if resp.status == 304 {
                a.not_modified += 1;
            } else if !req.graphql {
                *a.points.entry(req.lane.bucket().to_string()).or_default() += 1;
            }
        });
        if let Some(bucket) = bucket_from_headers(&resp.headers, req.lane.bucket()) {
            sched.update_bucket(bucket);
        }
        let checking = req.route == CHECK_RATE_LIMIT || req.route == CHECK_ROOT;
        match resp.status {
            200..=299 | 304 => {
                sched.success(host);
                Next::Done(Ok(resp))
            }
            401 => {
                if !self.inner.auth_failed.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        route = req.route,
                        "github: token rejected (401); no further requests"
                    );
                }
                Next::Done(Err(self.unauthorized()))
            }
            403 | 429 => {
                sched.success(host);
                self.limited(req, &resp, limit_hits, sent.0)
            }
            s @ 500..=599 => {
                sched.failure(host, FailureClass::Answer, sent.1, &format!("HTTP {s}"));
                Next::Retry(GithubError::Server { status: s })
            }
            // The endpoint check judges every other answer itself.
            _ if checking => {
                sched.success(host);
                Next::Done(Ok(resp))
            }
            404 | 410 if req.graphql => Next::Done(Err(GithubError::NotGithub {
                url: self.inner.graphql_url.clone(),
                answered: format!("POST answered {}", describe_answer(&resp)),
            })),
            404 | 410 => {
                sched.success(host);
                Next::Done(Err(GithubError::NotFound {
                    what: describe(req),
                }))
            }
            s @ (301 | 302 | 303 | 307 | 308) => {
                // Never followed here (octocrab's follow-redirect is off): `rest` follows
                // same-origin GETs itself, so the token never leaves the API's origin.
                let location = resp
                    .headers
                    .get(http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| clean(l, 2000))
                    .unwrap_or_default();
                let why = match (req.graphql, location.is_empty()) {
                    (true, _) => RedirectRefusal::Graphql,
                    (false, true) => RedirectRefusal::NoLocation,
                    (false, false) => RedirectRefusal::NotFollowed,
                };
                Next::Done(Err(GithubError::Redirected {
                    endpoint: req.route.to_string(),
                    status: s,
                    location,
                    why,
                }))
            }
            s => {
                sched.success(host);
                Next::Done(Err(GithubError::UnexpectedStatus {
                    endpoint: req.route.to_string(),
                    status: s,
                    message: github_message(&resp.body),
                }))
            }
        }
    }

    /// A 403 or 429: a rate limit pauses the gate and the request goes again (a few times at
    /// most); anything else is a refusal.
    fn limited(&self, req: &Req, resp: &Resp, limit_hits: &mut u32, epoch: u64) -> Next {
        let sched = &self.inner.sched;
        match classify_limit(resp.status, &resp.headers, &resp.body, req.lane.bucket()) {
            Some(Limited::Secondary { retry_after }) => {
                let wait = sched.secondary(retry_after, epoch);
                *limit_hits += 1;
                if *limit_hits > 3 {
                    return Next::Done(Err(GithubError::SecondaryRateLimited {
                        retry_after: wait,
                    }));
                }
                Next::AfterPause
            }
            Some(Limited::Primary { bucket, reset }) => {
                sched.exhausted(&bucket, reset);
                *limit_hits += 1;
                if *limit_hits > 2 {
                    return Next::Done(Err(GithubError::PrimaryRateLimited { bucket, reset }));
                }
                Next::AfterPause
            }
            None => Next::Done(Err(forbidden(&resp.headers))),
        }
    }

    /// Logs a failed attempt and waits before the next one.
    async fn back_off(
        &self,
        req: &Req,
        err: &GithubError,
        attempt: u32,
    ) -> Result<(), GithubError> {
        tracing::info!(route = req.route, error = %err, attempt, "github: retrying");
        self.wait_to_retry(attempt).await
    }

    /// Counts a retry and waits a full-jitter backoff before attempt `failed + 1` (cancellable).
    pub(crate) async fn wait_to_retry(&self, failed: u32) -> Result<(), GithubError> {
        let sched = &self.inner.sched;
        if sched.tripped(&self.inner.api.host) || sched.tripped(&self.inner.graphql.host) {
            // The open circuit spaces the attempts (one probe at a time); a long backoff on
            // top would only stretch an outage past the breaker's bound.
            self.account(|a| a.retries += 1);
            return Ok(());
        }
        let ceiling = backoff_ceiling(failed, sched.timing.backoff_base, sched.timing.backoff_cap);
        let delay = sched.scaled(full_jitter(ceiling, &mut rand::thread_rng()));
        self.account(|a| a.retries += 1);
        tracing::debug!(
            delay_ms = delay.as_millis() as u64,
            "github: waiting to retry"
        );
        sched
            .wait(
                tokio::time::Instant::now() + delay,
                WaitReason::Retry {
                    attempt: failed + 1,
                },
            )
            .await
    }

    pub(crate) fn sched(&self) -> &Arc<Scheduler> {
        &self.inner.sched
    }

    pub(crate) fn api(&self) -> &Endpoint {
        &self.inner.api
    }

    pub(crate) fn max_pages(&self) -> usize {
        self.inner.max_pages
    }

    pub(crate) fn etags(&self) -> Option<&Arc<dyn EtagCache>> {
        self.inner.etags.as_ref()
    }

    pub(crate) fn batch_k(&self, detail: bool) -> &AtomicUsize {
        if detail {
            &self.inner.detail_k
        } else {
            &self.inner.probe_k
        }
    }
}

/// Route labels of the endpoint check: their answers are judged by `check_endpoint`.
const CHECK_RATE_LIMIT: &str = "/rate_limit (endpoint check)";
const CHECK_ROOT: &str = "/ (endpoint check)";

/// An answer in a few words for a message: status, content type, GitHub's `message`.
fn describe_answer(resp: &Resp) -> String {
    let ctype = resp
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|c| clean(c.split(';').next().unwrap_or_default(), 60))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "no content type".into());
    let msg = github_message(&resp.body);
    if msg.is_empty() {
        format!("HTTP {} ({ctype})", resp.status)
    } else {
        format!("HTTP {} ({ctype}, \"{msg}\")", resp.status)
    }
}

/// How a retryable failure counts for the breaker, and its cause in a few words.
fn failure_of(e: &GithubError) -> (FailureClass, String) {
    match e {
        GithubError::Server { status } => (FailureClass::Answer, format!("HTTP {status}")),
        GithubError::Timeout => (FailureClass::Endpoint, "requests timed out".into()),
        GithubError::Network(text) => {
            let t = text.to_ascii_lowercase();
            if t.contains("refused") {
                (FailureClass::Endpoint, "connection refused".into())
            } else if t.contains("dns") || t.contains("resolve") {
                (
                    FailureClass::Endpoint,
                    "the host name does not resolve".into(),
                )
            } else if t.contains("(connect)") || t.contains("tcp connect") {
                (FailureClass::Endpoint, "cannot connect".into())
            } else {
                (
                    FailureClass::Answer,
                    "connections closed before a complete answer".into(),
                )
            }
        }
        other => (FailureClass::Answer, other.kind().to_string()),
    }
}

/// `owner/name` of a `/repos/{owner}/{name}/...` path, sanitized and bounded.
fn repo_of(path: &str) -> Option<String> {
    let rest = path.split('?').next()?.strip_prefix("/repos/")?;
    let mut it = rest.split('/');
    match (it.next(), it.next()) {
        (Some(o), Some(n)) if !o.is_empty() && !n.is_empty() => {
            Some(format!("{}/{}", clean(o, 100), clean(n, 100)))
        }
        _ => None,
    }
}

/// The method's name, without allocating for the ones GitHub's API uses.
fn method_name(m: &Method) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow;
    match m.as_str() {
        "GET" => Cow::Borrowed("GET"),
        "POST" => Cow::Borrowed("POST"),
        "PATCH" => Cow::Borrowed("PATCH"),
        "PUT" => Cow::Borrowed("PUT"),
        "DELETE" => Cow::Borrowed("DELETE"),
        "HEAD" => Cow::Borrowed("HEAD"),
        other => Cow::Owned(other.to_string()),
    }
}

fn describe(req: &Req) -> String {
    let path = req.path.split('?').next().unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/repos/") {
        let mut it = rest.split('/');
        if let (Some(o), Some(n)) = (it.next(), it.next()) {
            return format!("repository {}/{}", clean(o, 100), clean(n, 100));
        }
    }
    clean(path, 200)
}

fn forbidden(headers: &HeaderMap) -> GithubError {
    let accepted = headers
        .get("x-accepted-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let have: Vec<&str> = headers
        .get("x-oauth-scopes")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .collect();
    let scope = accepted
        .split(',')
        .map(str::trim)
        .find(|s| !s.is_empty() && !have.contains(s))
        .map(|s| clean(s, 100));
    GithubError::Forbidden { scope }
}

/// GitHub's `message`, short and sanitized, for error details.
pub(crate) fn github_message(body: &[u8]) -> String {
    let msg = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    clean(&msg, 200)
}

/// Sanitized for a terminal and cut to `max` characters.
pub(crate) fn clean(s: &str, max: usize) -> String {
    crate::sanitize::line(s).chars().take(max).collect()
}

/// Transport errors: timeouts vs. other network failures, described without headers.
fn map_transport(e: octocrab::Error) -> GithubError {
    let mut text = String::new();
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    let mut timed_out = false;
    while let Some(s) = src {
        let t = s.to_string();
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            timed_out = true;
        }
        if t.to_ascii_lowercase().contains("timed out")
            || t.to_ascii_lowercase().contains("timeout")
        {
            timed_out = true;
        }
        if !text.contains(&t) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&t);
        }
        src = s.source();
    }
    if timed_out {
        return GithubError::Timeout;
    }
    GithubError::Network(clean(&text, 300))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn fingerprint_hides_the_token() {
        let tok = SecretString::from("ghp_abcdefghijklmnopqrstuvwxyz0123456789\n".to_string());
        let (t, id) = prepare_token(&tok).unwrap();
        let fp = id.to_string();
        // The same id `repodeck token list` shows, computed by `secrets` from the trimmed token.
        assert_eq!(fp, "ghp_…6789");
        assert_eq!(id, TokenId::of(&t));
        assert_eq!(
            t.expose_secret(),
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789"
        );
        assert!(fp.starts_with("ghp_…") && fp.len() < 20, "{fp}");
        assert!(!fp.contains("abcdef"));
        assert!(prepare_token(&SecretString::from("a b".to_string())).is_none());
        assert!(prepare_token(&SecretString::from("  ".to_string())).is_none());
    }

    #[test]
    fn forbidden_names_the_missing_scope() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-accepted-oauth-scopes",
            HeaderValue::from_static("repo, read:org"),
        );
        h.insert("x-oauth-scopes", HeaderValue::from_static("repo"));
        assert_eq!(
            forbidden(&h),
            GithubError::Forbidden {
                scope: Some("read:org".into())
            }
        );
        assert_eq!(
            forbidden(&HeaderMap::new()),
            GithubError::Forbidden { scope: None }
        );
    }

    #[tokio::test]
    async fn debug_output_never_shows_the_token() {
        let opts = ClientOptions {
            api_url: "http://127.0.0.1:9".into(),
            graphql_url: "http://127.0.0.1:9/graphql".into(),
            token: Some(SecretString::from("ghp_SECRETSECRET".to_string())),
            ..ClientOptions::default()
        };
        assert!(!format!("{opts:?}").contains("SECRET"));
        let c = GithubClient::new(opts).unwrap();
        assert!(!format!("{c:?}").contains("SECRET"));
        assert!(c.is_authenticated());
    }
}
