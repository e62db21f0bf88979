//! `/metrics` for `repodeck serve`: every metric family Prometheus scrapes, through
//! `prometheus-client` (never hand-formatted), in the Prometheus text format (0.0.4).
//!
//! Engine metrics (syncs, durations, errors, queue depth, the last successful pass) are fed by
//! [`Metrics::observe`] with every `SyncEvent`; webhook deliveries by [`Metrics::delivery`]. GitHub
//! request counts and rate limits are read from the clients at scrape time (`accounting()` and
//! `rate_state()`), so they are never stale. Every label value is bounded: a fixed set, a route
//! template from the code, an HTTP status, a sanitized bucket name or a token's display id
//! (`ghp_…a1f3`, never the token).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Instant;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::config::{Config, Reserve};
use crate::domain::{FailureKind, LocalId};
use crate::github::GithubClient;
use crate::sync::{Outcome, SyncEvent};

/// How the daemon answered one webhook delivery (the `result` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryResult {
    /// Verified and queued (or coalesced into) a targeted sync.
    Processed,
    /// A `X-GitHub-Delivery` seen before (a redelivery or a replay): answered, not processed.
    Duplicate,
    /// `X-Hub-Signature-256` missing or wrong: 401.
    BadSignature,
    /// Larger than `serve.max_body`: 413.
    TooLarge,
    /// The sender's address is outside `serve.allow_ips`: 403.
    RefusedIp,
    /// A repository repodeck does not track.
    Untracked,
    /// An event repodeck does not act on.
    Ignored,
    /// Signed correctly but not a JSON payload repodeck can read.
    Malformed,
    /// GitHub's `ping` after a hook is created.
    Ping,
}

impl DeliveryResult {
    pub const ALL: [DeliveryResult; 9] = [
        DeliveryResult::Processed,
        DeliveryResult::Duplicate,
        DeliveryResult::BadSignature,
        DeliveryResult::TooLarge,
        DeliveryResult::RefusedIp,
        DeliveryResult::Untracked,
        DeliveryResult::Ignored,
        DeliveryResult::Malformed,
        DeliveryResult::Ping,
    ];

    /// The `result` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryResult::Processed => "processed",
            DeliveryResult::Duplicate => "duplicate",
            DeliveryResult::BadSignature => "bad_signature",
            DeliveryResult::TooLarge => "too_large",
            DeliveryResult::RefusedIp => "refused_ip",
            DeliveryResult::Untracked => "untracked",
            DeliveryResult::Ignored => "ignored",
            DeliveryResult::Malformed => "malformed",
            DeliveryResult::Ping => "ping",
        }
    }
}

/// `X-GitHub-Event` names kept as label values besides the events repodeck acts on
/// (`domain::WEBHOOK_EVENTS`); anything else is `other`, so a sender cannot grow the number of
/// series.
pub const OTHER_LABELLED_EVENTS: [&str; 2] = ["ping", "watch"];

/// The `event` label for an `X-GitHub-Event` header: a known event's name, or `other`.
pub fn event_label(event: &str) -> &'static str {
    let event = event.trim();
    crate::domain::WEBHOOK_EVENTS
        .iter()
        .chain(OTHER_LABELLED_EVENTS.iter())
        .find(|known| known.eq_ignore_ascii_case(event))
        .copied()
        .unwrap_or("other")
}

/// The `kind` label of `repodeck_errors_total` for a failed sync.
pub fn error_kind(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Unauthorized | FailureKind::Forbidden => "auth",
        FailureKind::NotFound | FailureKind::PartNotFound => "not_found",
        FailureKind::RateLimited => "primary_limit",
        FailureKind::SecondaryRateLimited => "secondary_limit",
        FailureKind::Server | FailureKind::ResourceLimits => "server",
        FailureKind::Network | FailureKind::Timeout | FailureKind::Unavailable => "network",
        FailureKind::Decode | FailureKind::UnexpectedStatus | FailureKind::NotGithub => "decode",
        FailureKind::Moved
        | FailureKind::Redirected
        | FailureKind::BadLink
        | FailureKind::Cancelled
        | FailureKind::Budget
        | FailureKind::Untracked
        | FailureKind::Store
        | FailureKind::QueueFull
        | FailureKind::Internal => "other",
    }
}

/// Every `kind` label value, exported from the start at 0 so `rate()` has a baseline.
pub const ERROR_KINDS: [&str; 8] = [
    "auth",
    "not_found",
    "primary_limit",
    "secondary_limit",
    "server",
    "network",
    "decode",
    "other",
];

/// Every `outcome` label value of `repodeck_syncs_total`.
pub const OUTCOMES: [&str; 5] = ["synced", "unchanged", "failed", "skipped", "cancelled"];

fn outcome_label(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Synced { .. } => "synced",
        Outcome::Unchanged => "unchanged",
        Outcome::Failed { .. } => "failed",
        Outcome::Skipped => "skipped",
        Outcome::Cancelled => "cancelled",
    }
}

/// A rate-limit bucket name as GitHub sent it (`x-ratelimit-resource`), kept only when it is a
/// short lower-case identifier (`core`, `graphql`, `code_search`); anything else is `other`.
pub fn bucket_label(name: &str) -> String {
    let ok = !name.is_empty()
        && name.len() <= 32
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        name.to_string()
    } else {
        "other".to_string()
    }
}

type Labels1 = [(&'static str, &'static str); 1];
type Labels2 = [(&'static str, &'static str); 2];

/// Per-job duration buckets, in seconds.
const JOB_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];
/// Whole-pass duration buckets, in seconds.
const PASS_BUCKETS: [f64; 10] = [
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// What the engine events say about jobs in flight.
#[derive(Debug, Default)]
struct JobBook {
    queued: HashSet<LocalId>,
    running: HashSet<LocalId>,
    pass_started: Option<Instant>,
}

/// The process's metrics: registered once, shared as `Arc<Metrics>`.
pub struct Metrics {
    registry: Registry,
    clients: Arc<RwLock<Vec<GithubClient>>>,
    deliveries: Family<Labels2, Counter>,
    syncs: Family<Labels1, Counter>,
    errors: Family<Labels1, Counter>,
    sync_duration: Histogram,
    pass_duration: Histogram,
    queue_depth: Gauge,
    running: Gauge,
    tracked: Gauge,
    last_success: Gauge<f64, AtomicU64>,
    passes: Family<Labels1, Counter>,
    book: Mutex<JobBook>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Registers every family. `clients` are read at each scrape (one per token in use).
    pub fn new(clients: Vec<GithubClient>, config: &Config) -> Self {
        let clients = Arc::new(RwLock::new(clients));
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ClientCollector {
            clients: clients.clone(),
            reserve: config.github.reserve,
        }));
        let m = Self {
            registry: Registry::default(),
            clients,
            deliveries: Family::default(),
            syncs: Family::default(),
            errors: Family::default(),
            sync_duration: Histogram::new(JOB_BUCKETS),
            pass_duration: Histogram::new(PASS_BUCKETS),
            queue_depth: Gauge::default(),
            running: Gauge::default(),
            tracked: Gauge::default(),
            last_success: Gauge::default(),
            passes: Family::default(),
            book: Mutex::new(JobBook::default()),
        };
        for outcome in OUTCOMES {
            drop(m.syncs.get_or_create(&[("outcome", outcome)]));
        }
        for kind in ERROR_KINDS {
            drop(m.errors.get_or_create(&[("kind", kind)]));
        }
        for result in ["ok", "failed"] {
            drop(m.passes.get_or_create(&[("result", result)]));
        }
        // Until a pass succeeds, "the last success" is the start: an alert on its age then fires
        // one hour after a start that never managed a pass.
        m.last_success.set(now_unix());
        m.register_engine(&mut registry);
        Self { registry, ..m }
    }

    fn register_engine(&self, r: &mut Registry) {
        r.register(
            "repodeck_webhook_deliveries",
            "Webhook deliveries received, by X-GitHub-Event (known events, else other) and how they were answered",
            self.deliveries.clone(),
        );
        r.register(
            "repodeck_syncs",
            "Repository sync jobs finished, by outcome",
            self.syncs.clone(),
        );
        r.register(
            "repodeck_errors",
            "Failed repository syncs by cause",
            self.errors.clone(),
        );
        r.register(
            "repodeck_sync_passes",
            "Sync passes finished: ok when at least one repository synced or none failed",
            self.passes.clone(),
        );
        r.register_with_unit(
            "repodeck_sync_duration",
            "Time one repository sync job took",
            Unit::Seconds,
            self.sync_duration.clone(),
        );
        r.register_with_unit(
            "repodeck_sync_pass_duration",
            "Time from the first job of a sync pass starting to the pass finishing",
            Unit::Seconds,
            self.pass_duration.clone(),
        );
        r.register(
            "repodeck_queue_depth",
            "Sync jobs queued and not yet started",
            self.queue_depth.clone(),
        );
        r.register(
            "repodeck_sync_jobs_running",
            "Sync jobs started and not yet finished",
            self.running.clone(),
        );
        r.register(
            "repodeck_tracked_repos",
            "Repositories tracked",
            self.tracked.clone(),
        );
        r.register_with_unit(
            "repodeck_last_successful_pass_timestamp",
            "Unix time the last successful sync pass finished (the process start until one does)",
            Unit::Seconds,
            self.last_success.clone(),
        );
    }

    /// Counts one webhook delivery.
    pub fn delivery(&self, event: &str, result: DeliveryResult) {
        self.deliveries
            .get_or_create(&[("event", event_label(event)), ("result", result.as_str())])
            .inc();
    }

    /// Feeds one engine event.
    pub fn observe(&self, event: &SyncEvent) {
        let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        match event {
            SyncEvent::Queued { id } => {
                book.queued.insert(*id);
            }
            SyncEvent::Started { id } => {
                book.queued.remove(id);
                book.running.insert(*id);
                book.pass_started.get_or_insert_with(Instant::now);
            }
            SyncEvent::Finished {
                id,
                outcome,
                duration_ms,
                ..
            } => {
                // A running job that ends leaves a newer queued one for its repo in the queue.
                let ran = book.running.remove(id);
                if !ran {
                    book.queued.remove(id);
                }
                self.finished(outcome, *duration_ms, ran);
            }
            SyncEvent::Untracked { id } => {
                book.queued.remove(id);
            }
            SyncEvent::PassFinished {
                synced,
                unchanged,
                failed,
                ..
            } => {
                if let Some(started) = book.pass_started.take() {
                    self.pass_duration.observe(started.elapsed().as_secs_f64());
                }
                let ok = *failed == 0 || synced + unchanged > 0;
                self.passes
                    .get_or_create(&[("result", if ok { "ok" } else { "failed" })])
                    .inc();
                if ok {
                    self.last_success.set(now_unix());
                }
            }
            _ => return,
        }
        self.queue_depth.set(gauge_value(book.queued.len()));
        self.running.set(gauge_value(book.running.len()));
    }

    fn finished(&self, outcome: &Outcome, duration_ms: u64, ran: bool) {
        self.syncs
            .get_or_create(&[("outcome", outcome_label(outcome))])
            .inc();
        if let Outcome::Failed { kind, .. } = outcome {
            self.errors
                .get_or_create(&[("kind", error_kind(*kind))])
                .inc();
        }
        // Jobs refused or cancelled before they started did not take any time.
        if ran && !matches!(outcome, Outcome::Cancelled) {
            self.sync_duration.observe(duration_ms as f64 / 1000.0);
        }
    }

    /// The number of tracked repositories.
    pub fn set_tracked(&self, n: usize) {
        self.tracked.set(gauge_value(n));
    }

    /// Replaces the clients read at scrape time (after a token is added or removed).
    pub fn set_clients(&self, clients: Vec<GithubClient>) {
        *self.clients.write().unwrap_or_else(PoisonError::into_inner) = clients;
    }

    /// The whole exposition in the Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    /// `GET /metrics`.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(self)
    }
}

async fn scrape(axum::extract::State(m): axum::extract::State<Arc<Metrics>>) -> Response {
    match m.encode() {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            )],
            body,
        )
            .into_response(),
        Err(_) => {
            tracing::warn!("metrics: encoding the exposition failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "encoding the metrics failed\n",
            )
                .into_response()
        }
    }
}

fn gauge_value(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// One rate-limit bucket of one token, as scraped.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSample {
    pub limit: u64,
    pub remaining: u64,
    pub reset_unix: i64,
    pub reserve: u64,
}

/// What the clients report at one scrape, summed over clients and keyed by label values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClientSnapshot {
    /// Requests (every attempt) by endpoint route class.
    pub by_class: BTreeMap<String, u64>,
    /// Answers by HTTP status.
    pub by_status: BTreeMap<String, u64>,
    pub not_modified: u64,
    pub graphql_points: u64,
    /// (bucket, token id) -> the bucket.
    pub buckets: BTreeMap<(String, String), BucketSample>,
}

impl ClientSnapshot {
    /// Reads every client's accounting and rate state.
    pub fn of(clients: &[GithubClient], reserve: Reserve) -> Self {
        let mut s = Self::default();
        for client in clients {
            let acc = client.accounting();
            for (route, n) in acc.by_route {
                *s.by_class.entry(route).or_default() += n;
            }
            for (status, n) in acc.by_status {
                *s.by_status.entry(status.to_string()).or_default() += n;
            }
            s.not_modified += acc.not_modified;
            s.graphql_points += acc.points.get("graphql").copied().unwrap_or(0);
            let token = client
                .token_id()
                .map_or_else(|| "anonymous".to_string(), |t| t.to_string());
            let state = client.rate_state().borrow().clone();
            for bucket in state.buckets.values() {
                let sample = BucketSample {
                    limit: bucket.limit,
                    remaining: bucket.remaining,
                    reset_unix: bucket.reset.timestamp(),
                    reserve: reserve.of(bucket.limit),
                };
                // Two clients on one token: keep the lower remaining (the later answer).
                s.buckets
                    .entry((bucket_label(&bucket.name), token.clone()))
                    .and_modify(|old| {
                        if sample.remaining < old.remaining {
                            *old = sample.clone();
                        }
                    })
                    .or_insert(sample);
            }
        }
        s
    }
}

/// Reads the GitHub clients at scrape time.
#[derive(Debug)]
struct ClientCollector {
    clients: Arc<RwLock<Vec<GithubClient>>>,
    reserve: Reserve,
}

impl Collector for ClientCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let snap = {
            let clients = self.clients.read().unwrap_or_else(PoisonError::into_inner);
            ClientSnapshot::of(&clients, self.reserve)
        };
        counters(
            &mut enc,
            "repodeck_github_requests",
            "Requests sent to GitHub (every attempt), by endpoint route class.",
            "class",
            &snap.by_class,
        )?;
        counters(
            &mut enc,
            "repodeck_github_responses",
            "Answers received from GitHub, by HTTP status.",
            "status",
            &snap.by_status,
        )?;
        single_counter(
            &mut enc,
            "repodeck_github_not_modified",
            "GitHub answers 304 Not Modified (ETag cache hits; they cost no rate limit).",
            snap.not_modified,
        )?;
        single_counter(
            &mut enc,
            "repodeck_graphql_points",
            "GraphQL rate-limit points spent, as GitHub reports each query's cost.",
            snap.graphql_points,
        )?;
        encode_buckets(&mut enc, &snap.buckets)
    }
}

fn counters(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    label: &'static str,
    values: &BTreeMap<String, u64>,
) -> Result<(), std::fmt::Error> {
    if values.is_empty() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, n) in values {
        let labels = [(label, value.as_str())];
        ConstCounter::new(*n).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

fn single_counter(
    enc: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    n: u64,
) -> Result<(), std::fmt::Error> {
    let metric = ConstCounter::new(n);
    metric.encode(enc.encode_descriptor(name, help, None, metric.metric_type())?)
}

type BucketMap = BTreeMap<(String, String), BucketSample>;

/// One per-bucket gauge family: its name, help, unit and the value it reads from a bucket.
struct BucketGauge {
    name: &'static str,
    help: &'static str,
    unit: Option<Unit>,
    value: fn(&BucketSample) -> i64,
}

fn encode_buckets(
    enc: &mut DescriptorEncoder<'_>,
    buckets: &BucketMap,
) -> Result<(), std::fmt::Error> {
    if buckets.is_empty() {
        return Ok(());
    }
    let gauges = [
        BucketGauge {
            name: "repodeck_rate_limit_remaining",
            help: "Requests or points left in a GitHub rate-limit bucket, per token.",
            unit: None,
            value: |b| i64::try_from(b.remaining).unwrap_or(i64::MAX),
        },
        BucketGauge {
            name: "repodeck_rate_limit_limit",
            help: "Size of a GitHub rate-limit bucket, per token.",
            unit: None,
            value: |b| i64::try_from(b.limit).unwrap_or(i64::MAX),
        },
        BucketGauge {
            name: "repodeck_rate_limit_reset_timestamp",
            help: "Unix time a GitHub rate-limit bucket refills, per token.",
            unit: Some(Unit::Seconds),
            value: |b| b.reset_unix,
        },
        BucketGauge {
            name: "repodeck_rate_limit_reserve",
            help: "Part of a bucket background sync leaves for what you ask for (github.reserve), per token.",
            unit: None,
            value: |b| i64::try_from(b.reserve).unwrap_or(i64::MAX),
        },
    ];
    for g in &gauges {
        let mut family =
            enc.encode_descriptor(g.name, g.help, g.unit.as_ref(), MetricType::Gauge)?;
        for ((bucket, token), sample) in buckets {
            let labels = [("bucket", bucket.as_str()), ("token", token.as_str())];
            ConstGauge::new((g.value)(sample)).encode(family.encode_family(&labels)?)?;
        }
    }
    Ok(())
}
