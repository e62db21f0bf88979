//! fakehub: a faithful fake GitHub (REST, GraphQL, webhooks, rate limits, faults) on loopback for tests, benchmarks and the demo; the other side of the wire, so it uses nothing else from this crate.

pub mod bodies;
pub mod data;
pub mod etag;
pub mod events;
pub mod faults;
pub mod graphql;
pub mod hooks;
pub mod insight;
pub mod meta;
pub mod profile;
pub mod ratelimit;
pub mod repo_stats;
pub mod rest;
pub mod stats;
pub mod tokens;
pub mod webhooks;

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{
    HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode, header,
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use data::{Applied, MutateError, Mutation, MutationKind, World};
pub use faults::{FaultKind, FaultRule};
pub use profile::MutateProfile;
pub use ratelimit::Bucket;
pub use stats::{Points, Stats};
pub use tokens::TokenProfile;

/// How a fakehub instance behaves. `Default` is GitHub's defaults on a free loopback port.
#[derive(Clone, Debug)]
pub struct FakehubConfig {
    /// Must be a loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    pub repos: usize,
    pub seed: u64,
    pub latency_ms: u64,
    pub jitter_ms: u64,
    /// Accepted tokens; empty = any token is accepted.
    pub tokens: Vec<String>,
    pub core_limit: u64,
    pub search_limit: u64,
    pub graphql_limit: u64,
    pub anonymous_core_limit: u64,
    pub anonymous_search_limit: u64,
    pub secondary_concurrency: u64,
    pub secondary_rest_points_per_minute: u64,
    pub secondary_graphql_points_per_minute: u64,
    /// `retry-after` seconds sent with secondary limits; `None` sends no header.
    pub secondary_retry_after: Option<u64>,
    pub faults: Vec<FaultRule>,
    /// Background mutations (for the demo).
    pub mutate_every: Option<Duration>,
    /// Simulated GraphQL server time per node returned.
    pub graphql_ms_per_node: f64,
    /// GitHub cuts GraphQL queries off after 10 s.
    pub graphql_timeout: Duration,
    /// Scopes and expiry of particular tokens (others report `tokens::DEFAULT_SCOPES`).
    pub token_profiles: Vec<TokenProfile>,
    /// Seconds the `Date` header runs ahead of the real clock (negative: behind).
    pub clock_skew_secs: i64,
    /// Hot and dormant repos mutating on a schedule (`--mutate-profile`), in real time.
    pub mutate_profile: Option<MutateProfile>,
    /// Seconds before a mutation's event shows in the events feeds.
    pub events_lag_secs: u64,
    /// `X-Poll-Interval` of the events feeds (GitHub: 60).
    pub events_poll_interval: u64,
    /// "Now" of the generated world (Unix seconds): `None` is the fixed 2025-01-01 that makes
    /// every seed's bodies reproducible; the demo passes the current time.
    pub epoch: Option<i64>,
    /// Requests per repo (and per statistics endpoint, counted again after a push) that answer
    /// `202 Accepted` before `/stats/participation` and `/stats/contributors` answer with data,
    /// as GitHub does while it computes them. 0: data at once.
    pub stats_compute_polls: u32,
}

impl Default for FakehubConfig {
    fn default() -> Self {
        FakehubConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            repos: 50,
            seed: 1,
            latency_ms: 0,
            jitter_ms: 0,
            tokens: Vec::new(),
            core_limit: 5000,
            search_limit: 30,
            graphql_limit: 5000,
            anonymous_core_limit: 60,
            anonymous_search_limit: 10,
            secondary_concurrency: 100,
            secondary_rest_points_per_minute: 900,
            secondary_graphql_points_per_minute: 2000,
            secondary_retry_after: Some(60),
            faults: Vec::new(),
            mutate_every: None,
            graphql_ms_per_node: 0.0,
            graphql_timeout: Duration::from_secs(10),
            token_profiles: Vec::new(),
            clock_skew_secs: 0,
            events_lag_secs: 0,
            mutate_profile: None,
            events_poll_interval: 60,
            epoch: None,
            stats_compute_polls: 0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("fakehub only listens on loopback addresses, not {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn now_epoch() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Everything the request handlers share.
pub(crate) struct Shared {
    pub config: FakehubConfig,
    pub base: String,
    world: RwLock<Arc<World>>,
    pub limiter: Mutex<ratelimit::RateLimiter>,
    pub stats: Mutex<Stats>,
    pub faults: Mutex<faults::Faults>,
    in_flight: AtomicU64,
    seq: AtomicU64,
    pub shutdown: CancellationToken,
    pub schema: graphql::FakeSchema,
    pub rt: tokio::runtime::Handle,
    /// Recent webhook deliveries, oldest first, for `POST /_fakehub/redeliver`.
    pub deliveries: Mutex<std::collections::VecDeque<webhooks::PastDelivery>>,
    /// Token scopes and expiry, the clock's skew.
    pub tokens: Mutex<tokens::TokenState>,
    /// The events feeds' events.
    pub events: Mutex<events::Feed>,
    /// Statistics requests seen per repo, for the 202s of `stats_compute_polls`.
    pub stats_polls: Mutex<repo_stats::Polls>,
}

impl Shared {
    /// The next number of the process-wide sequence (request ids, delivery GUIDs).
    pub fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// A consistent snapshot of the world; the lock is held only to clone the `Arc`.
    pub fn world(&self) -> Arc<World> {
        self.world
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn apply(self: &Arc<Self>, m: &Mutation) -> Result<Applied, MutateError> {
        let (applied, world) = {
            let mut guard = self.world.write().unwrap_or_else(PoisonError::into_inner);
            let w = Arc::make_mut(&mut guard);
            let applied = w.mutate(m, now_epoch())?;
            (applied, guard.clone())
        };
        lock(&self.events).record(&applied, now_epoch(), self.config.events_lag_secs as i64);
        webhooks::deliver_all(self, &world, &applied);
        Ok(applied)
    }

    pub fn next_hook_id(&self) -> u64 {
        let mut guard = self.world.write().unwrap_or_else(PoisonError::into_inner);
        let w = Arc::make_mut(&mut guard);
        w.next_hook_id += 1;
        w.next_hook_id
    }

    pub fn request_id(&self) -> String {
        let n = self.next_seq();
        let h = data::mix(n ^ self.config.seed);
        format!(
            "{:04X}:{:05X}:{:07X}:{:07X}:{:08X}",
            h & 0xFFFF,
            (h >> 16) & 0xFFFFF,
            n & 0xFFF_FFFF,
            (h >> 36) & 0xFFF_FFFF,
            now_epoch() as u64 & 0xFFFF_FFFF
        )
    }
}

/// A running fakehub. Dropping it does not stop the server; call [`Handle::shutdown`].
pub struct Handle {
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Handle {
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
    pub fn stats(&self) -> Stats {
        lock(&self.shared.stats).clone()
    }
    pub fn reset_stats(&self) {
        *lock(&self.shared.stats) = Stats::default();
    }
    pub fn mutate(&self, m: Mutation) -> Result<Applied, MutateError> {
        self.shared.apply(&m)
    }
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        lock(&self.shared.faults).replace(rules);
    }
    /// The current world (read-only snapshot), e.g. to look up ids in tests.
    pub fn world(&self) -> Arc<World> {
        self.shared.world()
    }
    /// Stops accepting, ends open connections (hung ones too) and waits for the server task.
    pub async fn shutdown(self) {
        self.shared.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

/// Parses `127.0.0.1:PORT`, `[::1]:PORT` or `localhost:PORT` and refuses anything not loopback.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = if let Some(port) = s.strip_prefix("localhost:") {
        let port: u16 = port.parse().map_err(|_| format!("bad port in {s:?}"))?;
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    } else {
        s.parse()
            .map_err(|_| format!("{s:?} is not an address like 127.0.0.1:PORT"))?
    };
    if !addr.ip().is_loopback() {
        return Err(format!(
            "fakehub only listens on loopback addresses (127.0.0.1, ::1), not {}",
            addr.ip()
        ));
    }
    Ok(addr)
}

/// Starts fakehub on loopback and returns once it accepts connections.
pub async fn spawn(config: FakehubConfig) -> Result<Handle, SpawnError> {
    if !config.listen.ip().is_loopback() {
        return Err(SpawnError::NotLoopback(config.listen));
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| SpawnError::Bind(config.listen, e))?;
    let local = listener
        .local_addr()
        .map_err(|e| SpawnError::Bind(config.listen, e))?;
    let base = format!("http://{local}");
    let world = match config.epoch {
        Some(epoch) => World::generate_at(config.seed, config.repos, epoch),
        None => World::generate(config.seed, config.repos),
    };
    let limits = ratelimit::Limits {
        core: config.core_limit,
        search: config.search_limit,
        graphql: config.graphql_limit,
        anonymous_core: config.anonymous_core_limit,
        anonymous_search: config.anonymous_search_limit,
        secondary_concurrency: config.secondary_concurrency,
        secondary_rest_per_minute: config.secondary_rest_points_per_minute,
        secondary_graphql_per_minute: config.secondary_graphql_points_per_minute,
    };
    let shared = Arc::new(Shared {
        base: base.clone(),
        world: RwLock::new(Arc::new(world)),
        limiter: Mutex::new(ratelimit::RateLimiter::new(limits)),
        stats: Mutex::new(Stats::default()),
        faults: Mutex::new(faults::Faults::new(config.seed, config.faults.clone())),
        in_flight: AtomicU64::new(0),
        seq: AtomicU64::new(0),
        shutdown: CancellationToken::new(),
        schema: graphql::build_schema(),
        rt: tokio::runtime::Handle::current(),
        deliveries: Mutex::new(std::collections::VecDeque::new()),
        events: Mutex::new(events::Feed::default()),
        stats_polls: Mutex::new(repo_stats::Polls::default()),
        tokens: Mutex::new(tokens::TokenState::new(
            &config.token_profiles,
            config.clock_skew_secs,
        )),
        config,
    });
    if let Some(every) = shared.config.mutate_every {
        tokio::spawn(background_mutations(shared.clone(), every));
    }
    if let Some(profile) = shared.config.mutate_profile {
        tokio::spawn(profile_mutations(shared.clone(), profile));
    }
    let task = tokio::spawn(accept_loop(listener, shared.clone()));
    Ok(Handle {
        url: base,
        shared,
        task,
    })
}

/// `--mutate-profile`: pushes to hot and dormant repos on the profile's schedule, hour after hour.
async fn profile_mutations(shared: Arc<Shared>, profile: MutateProfile) {
    let start = tokio::time::Instant::now();
    for hour in 0u64.. {
        let schedule = profile.schedule(
            shared.config.repos,
            shared.config.seed.wrapping_add(hour),
            Duration::from_secs(3600),
        );
        for (at, i) in schedule {
            let when = start + Duration::from_secs(hour * 3600) + at;
            tokio::select! {
                _ = shared.shutdown.cancelled() => return,
                () = tokio::time::sleep_until(when) => {}
            }
            let m = Mutation::new(format!("octo-org/repo-{i:04}"), MutationKind::Push);
            let _ = shared.apply(&m);
        }
    }
}

async fn background_mutations(shared: Arc<Shared>, every: Duration) {
    const KINDS: &[MutationKind] = &[
        MutationKind::Push,
        MutationKind::Push,
        MutationKind::Push,
        MutationKind::Star,
        MutationKind::Star,
        MutationKind::Release,
        MutationKind::OpenIssue,
        MutationKind::OpenPr,
        MutationKind::MergePr,
        MutationKind::CloseIssue,
        MutationKind::EditDescription,
        MutationKind::Fork,
    ];
    let mut rng = data::Rng::new(shared.config.seed, 0xD3_30, 0);
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let world = shared.world();
        let live: Vec<String> = world
            .repos
            .iter()
            .filter(|r| !r.deleted && r.owner == data::ORG && !r.hostile)
            .take(shared.config.repos.clamp(1, 60))
            .map(|r| world.full_name(r))
            .collect();
        if live.is_empty() {
            continue;
        }
        let repo = rng.pick(&live).clone();
        let kind = *rng.pick(KINDS);
        let m = Mutation {
            repo,
            kind,
            count: Some(1 + rng.below(2) as u32),
            to: None,
        };
        let _ = shared.apply(&m);
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let (stream, peer) = tokio::select! {
            _ = shared.shutdown.cancelled() => return,
            acc = listener.accept() => match acc {
                Ok(x) => x,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        tokio::spawn(async move {
            let svc_shared = shared.clone();
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let shared = svc_shared.clone();
                async move { handle(shared, peer, req).await }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = shared.shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(1), conn.as_mut()).await;
                }
            }
        });
    }
}

/// Returned by the service to make hyper drop the connection without an answer (`reset` fault).
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

/// Who is calling.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    /// Rate-limit key: token fingerprint or `anon:IP`.
    pub key: String,
    /// Stats key: token fingerprint or `anonymous`.
    pub fingerprint: String,
    pub authed: bool,
}

pub(crate) enum Auth {
    Anonymous,
    Token(String),
    Bad,
}

fn parse_auth(headers: &HeaderMap) -> Auth {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Auth::Anonymous;
    };
    let Ok(v) = v.to_str() else {
        return Auth::Bad;
    };
    let v = v.trim();
    let (scheme, rest) = v.split_once(' ').unwrap_or((v, ""));
    let token = rest.trim();
    if (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        && !token.is_empty()
    {
        Auth::Token(token.to_string())
    } else {
        Auth::Bad
    }
}

pub(crate) fn fingerprint(token: &str) -> String {
    let h = Sha256::digest(token.as_bytes());
    format!("tok_{}", hex::encode(&h[..6]))
}

/// What a route handler answers, before the pipeline adds ETag, rate headers and faults.
pub(crate) struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
    pub headers: Vec<(HeaderName, String)>,
    /// Whether the answer is a paginated list (where `link_*` faults apply).
    pub paginated: bool,
    /// Points this request costs in its bucket (REST: 1, `/rate_limit`: 0; GraphQL charges itself).
    pub cost: u64,
    /// Rate state after charging, when the handler charged itself (GraphQL).
    pub snapshot: Option<ratelimit::Snapshot>,
    /// SHA-256 of `body` when already known (cached bodies), to derive the ETag cheaply.
    pub digest: Option<[u8; 32]>,
}

impl Reply {
    pub fn json(status: StatusCode, v: &Value) -> Reply {
        Reply {
            status,
            body: Bytes::from(serde_json::to_vec(v).unwrap_or_default()),
            headers: Vec::new(),
            paginated: false,
            cost: 1,
            snapshot: None,
            digest: None,
        }
    }
    pub fn ok(v: &Value) -> Reply {
        Reply::json(StatusCode::OK, v)
    }
    pub fn error(status: StatusCode, message: &str) -> Reply {
        Reply::json(status, &error_body(status, message))
    }
    pub fn not_found() -> Reply {
        Reply::error(StatusCode::NOT_FOUND, "Not Found")
    }
    /// An error body that links the endpoint's own documentation.
    pub fn documented(status: StatusCode, message: &str, documentation_url: &str) -> Reply {
        Reply::json(
            status,
            &json!({"message": message, "documentation_url": documentation_url, "status": status.as_str()}),
        )
    }
}

pub(crate) fn error_body(status: StatusCode, message: &str) -> Value {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.as_str()})
}

fn secondary_body(rid: &str) -> Value {
    json!({
        "message": format!("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID {rid}."),
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
        "status": "403",
    })
}

/// Every accepted token acts as `octocat`.
const OCTOCAT_ID: u64 = 583_231;

fn primary_body(caller: &Caller, peer: &SocketAddr, rid: &str) -> Value {
    let ts = bodies::iso(now_epoch()).replace('T', " ").replace('Z', "");
    let message = if caller.authed {
        format!(
            "API rate limit exceeded for user ID {OCTOCAT_ID}. If you reach out to GitHub Support for help, please include the request ID {rid} and timestamp {ts} UTC."
        )
    } else {
        format!(
            "API rate limit exceeded for {}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.) If you reach out to GitHub Support for help, please include the request ID {rid} and timestamp {ts} UTC.",
            peer.ip()
        )
    };
    json!({"message": message, "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit", "status": "403"})
}

/// Route template (for stats) and rate-limit bucket of a request.
pub(crate) fn classify(method: &Method, path: &str) -> (String, Bucket) {
    if path == "/graphql" {
        return (format!("{method} /graphql"), Bucket::Graphql);
    }
    let bucket = if path.starts_with("/search/") {
        Bucket::Search
    } else {
        Bucket::Core
    };
    (format!("{method} {}", rest::template(path)), bucket)
}

/// Decrements the in-flight counters however the request ends (also when a hung request is dropped).
struct InFlight {
    shared: Arc<Shared>,
    key: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
        lock(&self.shared.limiter).leave(&self.key);
    }
}

async fn handle(
    shared: Arc<Shared>,
    peer: SocketAddr,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, ResetConnection> {
    let path = req.uri().path().to_string();
    if let Some(admin_path) = path.strip_prefix("/_fakehub/") {
        let admin_path = admin_path.to_string();
        return Ok(admin(&shared, &admin_path, req).await);
    }
    let (parts, body) = req.into_parts();
    let body = match http_body_util::Limited::new(body, 10 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    api(shared, peer, parts, body).await
}

/// A request taken apart once, for every stage of the pipeline.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: String,
    /// Route template, for stats.
    pub template: String,
    pub bucket: Bucket,
    pub is_graphql: bool,
    pub rid: String,
    pub caller: Caller,
    pub peer: SocketAddr,
}

impl Req {
    fn new(
        shared: &Shared,
        peer: SocketAddr,
        parts: &axum::http::request::Parts,
        auth: &Auth,
    ) -> Req {
        let method = parts.method.clone();
        let path = parts.uri.path().to_string();
        let (template, bucket) = classify(&method, &path);
        let caller = match auth {
            Auth::Token(t) => Caller {
                key: fingerprint(t),
                fingerprint: fingerprint(t),
                authed: true,
            },
            _ => Caller {
                key: format!("anon:{}", peer.ip()),
                fingerprint: "anonymous".into(),
                authed: false,
            },
        };
        Req {
            is_graphql: bucket == Bucket::Graphql && method == Method::POST,
            query: parts.uri.query().unwrap_or("").to_string(),
            rid: shared.request_id(),
            method,
            path,
            template,
            bucket,
            caller,
            peer,
        }
    }
}

async fn api(
    shared: Arc<Shared>,
    peer: SocketAddr,
    parts: axum::http::request::Parts,
    body: Bytes,
) -> Result<Response<Body>, ResetConnection> {
    let auth = parse_auth(&parts.headers);
    let req = Req::new(&shared, peer, &parts, &auth);
    let n = shared.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
    // Concurrency counts from arrival, so slow (latency, hang) requests hold their slot.
    let within_concurrency = lock(&shared.limiter).begin(&req.caller.key);
    let _guard = InFlight {
        shared: shared.clone(),
        key: req.caller.key.clone(),
    };
    {
        let mut st = lock(&shared.stats);
        st.max_in_flight = st.max_in_flight.max(n);
        let agents: Vec<_> = parts
            .headers
            .get_all(axum::http::header::USER_AGENT)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()))
            .collect();
        *st.user_agents.entry(agents.join(", ")).or_default() += 1;
    }
    simulate_latency(&shared).await;
    let now = now_epoch();
    let mut out = Outcome::default();
    let reply = match early_faults(&shared, &req, now, &mut out).await? {
        Some(r) => r,
        None => admit(&shared, &req, &auth, within_concurrency, &body, &mut out).await,
    };
    let response = finish(&shared, &req, &parts.headers, reply, &mut out, now);
    let status = response.status().as_u16();
    record(&shared, &req.template, status, &req.caller, &out);
    Ok(response)
}

/// The configured latency plus a seeded jitter.
async fn simulate_latency(shared: &Shared) {
    let cfg = &shared.config;
    if cfg.latency_ms > 0 || cfg.jitter_ms > 0 {
        let jitter = if cfg.jitter_ms > 0 {
            data::mix(shared.seq.load(Ordering::Relaxed) ^ cfg.seed) % (cfg.jitter_ms + 1)
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(cfg.latency_ms + jitter)).await;
    }
}

/// Applies the faults selected for the request before it is served: some wait or drop the
/// connection, some only mark `out` for later stages, the others answer in the server's place
/// (the first of those wins, but each still counts and charges).
async fn early_faults(
    shared: &Shared,
    req: &Req,
    now: i64,
    out: &mut Outcome,
) -> Result<Option<Reply>, ResetConnection> {
    let selected = lock(&shared.faults).select(req.method.as_str(), &req.path);
    if !selected.is_empty() {
        lock(&shared.stats).faults_applied += selected.len() as u64;
    }
    let mut early: Option<Reply> = None;
    for f in &selected {
        match f {
            FaultKind::Latency { ms } => tokio::time::sleep(Duration::from_millis(*ms)).await,
            FaultKind::Hang => {
                shared.shutdown.cancelled().await;
                return Err(ResetConnection);
            }
            FaultKind::Reset => {
                record(shared, &req.template, 0, &req.caller, out);
                return Err(ResetConnection);
            }
            FaultKind::SlowBody { .. } | FaultKind::Truncate => out.body_fault = Some(f.clone()),
            FaultKind::LinkForeign | FaultKind::LinkLoop | FaultKind::LinkMalformed => {
                out.link_fault = Some(f.clone())
            }
            FaultKind::GraphqlPartial { fraction } => out.partial = Some(*fraction),
            _ => {
                if let Some(r) = fault_reply(shared, req, f, now) {
                    early.get_or_insert(r);
                }
            }
        }
    }
    Ok(early)
}

/// The answer a fault gives in place of the server's, for the faults that answer.
fn fault_reply(shared: &Shared, req: &Req, f: &FaultKind, now: i64) -> Option<Reply> {
    match f {
        FaultKind::Status { status } => {
            let s = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let msg = match s.as_u16() {
                500 | 502 => "Server Error",
                _ => s.canonical_reason().unwrap_or("Error"),
            };
            Some(Reply::error(s, msg))
        }
        FaultKind::PrimaryLimit { bucket } => {
            let b = bucket.unwrap_or(req.bucket);
            let caller = &req.caller;
            let snap = lock(&shared.limiter).exhaust(&caller.key, b, caller.authed, now);
            Some(primary_limited(shared, req, snap))
        }
        FaultKind::SecondaryLimit { retry_after } => {
            let retry_after = retry_after.or(shared.config.secondary_retry_after);
            Some(secondary_limited(shared, &req.rid, retry_after))
        }
        FaultKind::BadCredentials => Some(Reply::error(StatusCode::UNAUTHORIZED, "Bad credentials")),
        FaultKind::GraphqlResourceLimits => req.is_graphql.then(|| {
            Reply::ok(&json!({
                "data": null,
                "errors": [{"type": "RESOURCE_LIMITS_EXCEEDED", "message": "Resource limits for this query exceeded."}]
            }))
        }),
        FaultKind::Redirect { status, to } => Some(redirect(shared, req, *status, to.as_deref())),
        FaultKind::Latency { .. }
        | FaultKind::Hang
        | FaultKind::Reset
        | FaultKind::SlowBody { .. }
        | FaultKind::Truncate
        | FaultKind::LinkForeign
        | FaultKind::LinkLoop
        | FaultKind::LinkMalformed
        | FaultKind::GraphqlPartial { .. } => None,
    }
}

/// The `redirect` fault's answer: `status` to `to` (fakehub's own base when absent) plus the
/// request's path and query, with a body like GitHub's 301.
fn redirect(shared: &Shared, req: &Req, status: u16, to: Option<&str>) -> Reply {
    let base = to.unwrap_or(&shared.base).trim_end_matches('/');
    let sep = if req.query.is_empty() { "" } else { "?" };
    let loc = format!("{base}{}{sep}{}", req.path, req.query);
    let s = StatusCode::from_u16(status)
        .ok()
        .filter(StatusCode::is_redirection)
        .unwrap_or(StatusCode::FOUND);
    let mut r = Reply::json(
        s,
        &json!({"message": "Moved", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects"}),
    );
    r.headers.push((header::LOCATION, loc));
    r
}

/// A primary rate limit answer (403 with GitHub's message) carrying the exhausted bucket's state.
fn primary_limited(shared: &Shared, req: &Req, snap: ratelimit::Snapshot) -> Reply {
    lock(&shared.stats).primary_limit_hits += 1;
    let mut r = Reply::json(
        StatusCode::FORBIDDEN,
        &primary_body(&req.caller, &req.peer, &req.rid),
    );
    r.snapshot = Some(snap);
    r
}

/// A secondary rate limit answer (403), with `retry-after` when given.
fn secondary_limited(shared: &Shared, rid: &str, retry_after: Option<u64>) -> Reply {
    lock(&shared.stats).secondary_limit_hits += 1;
    let mut r = Reply::json(StatusCode::FORBIDDEN, &secondary_body(rid));
    if let Some(secs) = retry_after {
        r.headers.push((header::RETRY_AFTER, secs.to_string()));
    }
    r
}

/// Past the faults: the token, then the secondary limits, then the server.
async fn admit(
    shared: &Arc<Shared>,
    req: &Req,
    auth: &Auth,
    within_concurrency: bool,
    body: &Bytes,
    out: &mut Outcome,
) -> Reply {
    let cfg = &shared.config;
    let bad_token = match auth {
        Auth::Bad => true,
        Auth::Token(t) => !cfg.tokens.is_empty() && !cfg.tokens.iter().any(|x| x == t),
        Auth::Anonymous => false,
    };
    let expired = lock(&shared.tokens).expired(&req.caller.fingerprint, now_epoch());
    if bad_token || (req.caller.authed && expired) {
        return Reply::error(StatusCode::UNAUTHORIZED, "Bad credentials");
    }
    if req.is_graphql && !req.caller.authed {
        return Reply::documented(
            StatusCode::UNAUTHORIZED,
            "This endpoint requires you to be authenticated.",
            "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql",
        );
    }
    // Secondary limits: concurrency and points per minute (GET 1, other methods 5; GraphQL 1 per query).
    let points = if req.is_graphql || req.method == Method::GET || req.method == Method::HEAD {
        1
    } else {
        5
    };
    let verdict = if within_concurrency {
        lock(&shared.limiter).points(&req.caller.key, points, req.is_graphql, Instant::now())
    } else {
        ratelimit::Secondary::PointsPerMinute
    };
    match verdict {
        ratelimit::Secondary::Ok => serve(shared, req, body, out).await,
        ratelimit::Secondary::PointsPerMinute => {
            secondary_limited(shared, &req.rid, cfg.secondary_retry_after)
        }
    }
}

/// Per-request bookkeeping threaded through the pipeline.
#[derive(Default)]
pub(crate) struct Outcome {
    pub charged: Option<(Bucket, u64)>,
    pub not_modified: bool,
    pub graphql_cost: Option<u64>,
    pub body_fault: Option<FaultKind>,
    pub link_fault: Option<FaultKind>,
    pub partial: Option<f64>,
}

async fn serve(shared: &Arc<Shared>, req: &Req, body: &Bytes, out: &mut Outcome) -> Reply {
    if req.is_graphql {
        return graphql::execute(shared, &req.caller, body, out).await;
    }
    let now = now_epoch();
    let caller = &req.caller;
    // Primary limit: refuse when the bucket is already empty (charging happens once we know about 304s).
    let snap = lock(&shared.limiter).snapshot(&caller.key, req.bucket, caller.authed, now);
    if snap.remaining == 0 && req.path != "/rate_limit" {
        return primary_limited(shared, req, snap);
    }
    let world = shared.world();
    let ctx = rest::RestCtx {
        shared,
        world: &world,
        caller,
        method: &req.method,
        path: &req.path,
        query: &req.query,
        body,
    };
    rest::route(&ctx)
}

/// Turns a reply into the response: ETag and 304, rate charge and headers, link and body faults.
fn finish(
    shared: &Arc<Shared>,
    req: &Req,
    headers: &HeaderMap,
    reply: Reply,
    out: &mut Outcome,
    now: i64,
) -> Response<Body> {
    let etag = etag_for(req, headers, &reply, out);
    let snap = match reply.snapshot {
        Some(s) => s,
        None => charge(shared, req, &reply, out, now),
    };
    let status = if out.not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        reply.status
    };
    let mut builder = Response::builder().status(status);
    if let Some(hm) = builder.headers_mut() {
        let mut put = |k: HeaderName, v: &str| {
            if let Ok(v) = HeaderValue::from_str(v) {
                hm.insert(k, v);
            }
        };
        for (k, v) in standard_headers(req, &snap, etag.as_deref(), out.not_modified) {
            put(k, &v);
        }
        for (k, v) in &reply.headers {
            if *k == header::LINK && out.link_fault.is_some() {
                continue;
            }
            put(k.clone(), v);
        }
        if reply.paginated
            && let Some(f) = &out.link_fault
        {
            put(header::LINK, &faulty_link(shared, req, &reply, f));
        }
        token_headers(shared, req, hm, now);
    }
    if out.not_modified {
        return builder.body(Body::empty()).unwrap_or_default();
    }
    let mut body = reply.body;
    if let Some(frac) = out.partial {
        body = graphql::partial(&body, frac, shared.config.seed);
    }
    match out.body_fault.take() {
        Some(FaultKind::Truncate) if !body.is_empty() => {
            builder = builder.header(header::CONTENT_LENGTH, body.len().to_string());
            builder.body(truncated(body)).unwrap_or_default()
        }
        Some(FaultKind::SlowBody { bytes_per_sec }) => {
            builder.body(slow(body, bytes_per_sec)).unwrap_or_default()
        }
        _ => builder.body(Body::from(body)).unwrap_or_default(),
    }
}

/// The ETag of a successful GET; marks `out.not_modified` when `If-None-Match` matches it.
fn etag_for(req: &Req, headers: &HeaderMap, reply: &Reply, out: &mut Outcome) -> Option<String> {
    // GitHub's 202 ("computing") is no answer to cache: it gets no ETag.
    if req.method != Method::GET
        || !reply.status.is_success()
        || reply.status == StatusCode::ACCEPTED
    {
        return None;
    }
    let fp = &req.caller.fingerprint;
    let tag = match &reply.digest {
        Some(d) => etag::compute(fp, d),
        None => etag::compute(fp, &Sha256::digest(&reply.body)),
    };
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        && etag::matches(inm, &tag)
    {
        out.not_modified = true;
    }
    Some(tag)
}

/// Charges a reply that did not charge itself, unless it is free: authenticated 304s, cost 0,
/// 401s, secondary limits and server errors. Returns the bucket's state after.
fn charge(
    shared: &Shared,
    req: &Req,
    reply: &Reply,
    out: &mut Outcome,
    now: i64,
) -> ratelimit::Snapshot {
    let (caller, bucket) = (&req.caller, req.bucket);
    let mut lim = lock(&shared.limiter);
    let free = (out.not_modified && caller.authed)
        || reply.cost == 0
        || reply.status == StatusCode::UNAUTHORIZED
        || secondary_hit(reply)
        || reply.status.is_server_error();
    if free {
        return lim.snapshot(&caller.key, bucket, caller.authed, now);
    }
    match lim.charge(&caller.key, bucket, caller.authed, reply.cost, now) {
        Ok(s) => {
            out.charged = Some((bucket, reply.cost));
            s
        }
        Err(s) => s,
    }
}

/// The headers GitHub sends with every answer: media type, request id, rate state, CORS,
/// OAuth scopes for token callers and the caching headers when there is an ETag.
fn standard_headers(
    req: &Req,
    snap: &ratelimit::Snapshot,
    etag: Option<&str>,
    not_modified: bool,
) -> Vec<(HeaderName, String)> {
    let named = HeaderName::from_static;
    let mut v = Vec::with_capacity(18);
    if !not_modified {
        v.push((
            header::CONTENT_TYPE,
            "application/json; charset=utf-8".into(),
        ));
    }
    v.extend([
        (
            named("x-github-media-type"),
            "github.v3; format=json".into(),
        ),
        (named("x-github-request-id"), req.rid.clone()),
        (named("x-ratelimit-limit"), snap.limit.to_string()),
        (named("x-ratelimit-remaining"), snap.remaining.to_string()),
        (named("x-ratelimit-used"), snap.used.to_string()),
        (named("x-ratelimit-reset"), snap.reset.to_string()),
        (named("x-ratelimit-resource"), snap.bucket.name().into()),
        (
            named("access-control-expose-headers"),
            EXPOSED_HEADERS.into(),
        ),
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".into()),
        (named("x-content-type-options"), "nosniff".into()),
    ]);
    if req.caller.authed {
        // `x-oauth-scopes` and the expiry come from the token's profile (`token_headers`).
        v.push((named("x-accepted-oauth-scopes"), "repo".into()));
    }
    if let Some(tag) = etag {
        v.extend([
            (header::ETAG, tag.to_string()),
            (
                header::CACHE_CONTROL,
                "private, max-age=60, s-maxage=60".into(),
            ),
            (
                header::VARY,
                "Accept, Authorization, Cookie, X-GitHub-OTP".into(),
            ),
        ]);
    }
    v
}

/// A token caller's `x-oauth-scopes` (none for a fine-grained token) and expiry, and the `Date`
/// header when the clock is skewed (hyper sends the real one otherwise).
fn token_headers(shared: &Shared, req: &Req, hm: &mut HeaderMap, now: i64) {
    let state = lock(&shared.tokens);
    if req.caller.authed {
        let (scopes, expiry) = state.headers(&req.caller.fingerprint);
        for (name, value) in [
            ("x-oauth-scopes", scopes),
            ("github-authentication-token-expiration", expiry),
        ] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                hm.insert(HeaderName::from_static(name), v);
            }
        }
    }
    if state.skew_secs != 0
        && let Some(v) =
            tokens::http_date(now + state.skew_secs).and_then(|d| HeaderValue::from_str(&d).ok())
    {
        hm.insert(header::DATE, v);
    }
}

const EXPOSED_HEADERS: &str = "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset";

/// The `Link` header a `link_*` fault sends instead of the real one.
fn faulty_link(shared: &Shared, req: &Req, reply: &Reply, f: &FaultKind) -> String {
    let (base, path, query) = (&shared.base, &req.path, &req.query);
    match f {
        FaultKind::LinkForeign => {
            let existing = reply
                .headers
                .iter()
                .find(|(k, _)| *k == header::LINK)
                .map(|(_, v)| v.clone());
            match existing {
                Some(l) => l.replace(base.as_str(), "https://api.github.com.evil.example"),
                None => {
                    format!("<https://api.github.com.evil.example{path}?page=2>; rel=\"next\"")
                }
            }
        }
        FaultKind::LinkLoop => {
            let own = format!(
                "{base}{path}{}{query}",
                if query.is_empty() { "" } else { "?" }
            );
            format!("<{own}>; rel=\"next\", <{own}>; rel=\"last\"")
        }
        _ => format!("<{base}{path}?page=2; rel=next, <<>>; rel=\"last"),
    }
}

/// The `truncate` fault's body: the head and half the body reach the client, then the
/// connection is aborted.
fn truncated(body: Bytes) -> Body {
    let half = body.slice(..body.len() / 2);
    let stream = futures::stream::unfold(0u8, move |step| {
        let half = half.clone();
        async move {
            match step {
                0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                1 => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "truncated by fault injection",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Body::from_stream(stream)
}

/// The `slow_body` fault's body: a tenth of `bytes_per_sec` every 100 ms.
fn slow(body: Bytes, bytes_per_sec: u64) -> Body {
    let chunk = (bytes_per_sec / 10).max(1) as usize;
    let stream = futures::stream::unfold(body, move |b| async move {
        if b.is_empty() {
            return None;
        }
        let n = chunk.min(b.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
        Some((Ok::<Bytes, Infallible>(b.slice(..n)), b.slice(n..)))
    });
    Body::from_stream(stream)
}

fn secondary_hit(reply: &Reply) -> bool {
    reply.status == StatusCode::FORBIDDEN
        && reply.body.windows(18).any(|w| w == b"secondary rate lim")
}

fn record(shared: &Shared, template: &str, status: u16, caller: &Caller, out: &Outcome) {
    let mut st = lock(&shared.stats);
    st.requests += 1;
    *st.by_route.entry(template.to_string()).or_default() += 1;
    let key = if status == 0 {
        "reset".to_string()
    } else {
        status.to_string()
    };
    *st.by_status.entry(key).or_default() += 1;
    if out.not_modified {
        st.not_modified += 1;
    }
    if let Some((b, n)) = out.charged {
        st.points.add(b, n);
        st.points_by_token
            .entry(caller.fingerprint.clone())
            .or_default()
            .add(b, n);
    }
    if let Some(c) = out.graphql_cost {
        st.graphql_queries += 1;
        st.graphql_cost += c;
    }
}

async fn admin(
    shared: &Arc<Shared>,
    path: &str,
    req: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let method = req.method().clone();
    let body = match http_body_util::Limited::new(req.into_body(), 10 << 20)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let json_resp = |status: StatusCode, v: Value| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .body(Body::from(serde_json::to_vec(&v).unwrap_or_default()))
            .unwrap_or_default()
    };
    match (method.as_str(), path) {
        ("GET", "stats") => json_resp(
            StatusCode::OK,
            serde_json::to_value(lock(&shared.stats).clone()).unwrap_or_default(),
        ),
        ("POST", "reset-stats") => {
            *lock(&shared.stats) = Stats::default();
            json_resp(StatusCode::OK, json!({"ok": true}))
        }
        ("GET", "faults") => json_resp(
            StatusCode::OK,
            serde_json::to_value(lock(&shared.faults).rules()).unwrap_or_default(),
        ),
        ("POST", "faults") => match faults::parse_rules(&String::from_utf8_lossy(&body)) {
            Ok(rules) => {
                let n = rules.len();
                lock(&shared.faults).replace(rules);
                json_resp(StatusCode::OK, json!({"ok": true, "rules": n}))
            }
            Err(e) => json_resp(StatusCode::UNPROCESSABLE_ENTITY, json!({"message": e})),
        },
        ("POST", "mutate") => {
            let (status, v) = admin_mutate(shared, &body);
            json_resp(status, v)
        }
        ("POST", "tokens" | "clock") => {
            let mut state = lock(&shared.tokens);
            let r = if path == "tokens" {
                tokens::admin_tokens(&mut state, &body)
            } else {
                tokens::admin_clock(&mut state, &body)
            };
            match r {
                Ok(v) => json_resp(StatusCode::OK, v),
                Err(m) => json_resp(StatusCode::UNPROCESSABLE_ENTITY, json!({"message": m})),
            }
        }
        ("GET", "deliveries") => {
            let kept: Vec<Value> = lock(&shared.deliveries)
                .iter()
                .map(|d| json!({"guid": d.guid, "event": d.event, "hook_id": d.hook_id, "url": d.url}))
                .collect();
            json_resp(StatusCode::OK, Value::Array(kept))
        }
        ("POST", "redeliver") => {
            let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let guid = v.get("guid").and_then(Value::as_str);
            if webhooks::redeliver(shared, guid) {
                json_resp(StatusCode::ACCEPTED, json!({"ok": true}))
            } else {
                json_resp(
                    StatusCode::NOT_FOUND,
                    json!({"message": "no such delivery (fakehub keeps the last 1000)"}),
                )
            }
        }
        _ => json_resp(
            StatusCode::NOT_FOUND,
            json!({"message": "Not Found", "admin": ["GET stats", "POST reset-stats", "POST mutate", "GET|POST faults", "GET deliveries", "POST redeliver", "POST tokens", "POST clock"]}),
        ),
    }
}

/// `POST /_fakehub/mutate`: one mutation or a list, applied in order until one fails.
fn admin_mutate(shared: &Arc<Shared>, body: &[u8]) -> (StatusCode, Value) {
    let parsed: Result<Vec<Mutation>, _> = match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Array(_)) => serde_json::from_value(v),
        Ok(v) => serde_json::from_value(v).map(|m| vec![m]),
        Err(e) => Err(e),
    };
    let ms = match parsed {
        Ok(ms) => ms,
        Err(e) => {
            let message = format!("bad mutation: {e}");
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": message}),
            );
        }
    };
    let mut applied = Vec::new();
    for m in &ms {
        match shared.apply(m) {
            Ok(a) => applied.push(serde_json::to_value(&a).unwrap_or_default()),
            Err(e @ MutateError::NoRepo(_)) => {
                return (StatusCode::NOT_FOUND, json!({"message": e.to_string()}));
            }
            Err(e) => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    json!({"message": e.to_string()}),
                );
            }
        }
    }
    (StatusCode::OK, json!({"ok": true, "applied": applied}))
}
