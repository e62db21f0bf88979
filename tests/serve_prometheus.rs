//! `repodeck serve`'s observability against the real thing: the `/metrics` exposition after a real
//! sync against fakehub (every family present, `promtool check metrics` clean, no token in any
//! label), `/healthz` and `/readyz` verdicts, and a REAL Prometheus (Debian's `prometheus`)
//! scraping the metrics router, loading `assets/prometheus/repodeck.rules.yml` and answering every
//! Grafana panel and alert expression of `assets/` through its query API.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

#[path = "fakehub_support/mod.rs"]
mod fakehub_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use repodeck::config::Config;
use repodeck::domain::{FailureKind, LocalId, RepoKey, WaitReason};
use repodeck::fakehub::{self, FakehubConfig, Handle};
use repodeck::github::{ClientOptions, GithubClient};
use repodeck::serve::health::Health;
use repodeck::serve::metrics::{DeliveryResult, Metrics, bucket_label, event_label};
use repodeck::store::Store;
use repodeck::sync::engine::{self, EngineOptions};
use repodeck::sync::etags::StoreEtags;
use repodeck::sync::{
    EngineHandle, ImportOptions, ImportSource, JobCost, Outcome, Priority, SyncCommand, SyncEvent,
};
use secrecy::SecretString;
use serde_json::Value;

/// A token whose every part is distinctive, so a leak of any slice of it is found.
const TOKEN: &str = "ghp_QzXvKpWmRtYbNcLdHfJgSaPeUoIuTyReWqZX";

/// Every family `/metrics` exports, as Prometheus names them.
const FAMILIES: &[&str] = &[
    "repodeck_github_requests_total",
    "repodeck_github_responses_total",
    "repodeck_github_not_modified_total",
    "repodeck_graphql_points_total",
    "repodeck_rate_limit_remaining",
    "repodeck_rate_limit_limit",
    "repodeck_rate_limit_reset_timestamp_seconds",
    "repodeck_rate_limit_reserve",
    "repodeck_syncs_total",
    "repodeck_sync_passes_total",
    "repodeck_sync_duration_seconds",
    "repodeck_sync_pass_duration_seconds",
    "repodeck_webhook_deliveries_total",
    "repodeck_errors_total",
    "repodeck_queue_depth",
    "repodeck_sync_jobs_running",
    "repodeck_tracked_repos",
    "repodeck_last_successful_pass_timestamp_seconds",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Env {
    _dir: tempfile::TempDir,
    _hub: Handle,
    store: Arc<Store>,
    client: GithubClient,
    engine: EngineHandle,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

/// fakehub with `repos` repos, the org imported, one repo that does not exist tracked too (its
/// sync fails with not_found), the engine started (REST with ETags when `rest`, else the GraphQL
/// probe and detail queries), metrics and health fed by the test.
async fn env(repos: usize, config: Config, rest: bool) -> Env {
    let hub = fakehub::spawn(FakehubConfig {
        repos,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await
    .expect("fakehub starts");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap().0);
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let cache: Arc<dyn repodeck::github::EtagCache> = etags.clone();
    let client = GithubClient::new(ClientOptions {
        api_url: hub.url().to_string(),
        graphql_url: format!("{}/graphql", hub.url()),
        token: Some(SecretString::from(TOKEN.to_string())),
        etags: Some(cache),
        ..ClientOptions::default()
    })
    .unwrap();
    let opts = ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    };
    engine::import(&client, &store, &opts).await.unwrap();
    store
        .add(&RepoKey::parse("octo-org/no-such-repo").unwrap())
        .unwrap();
    let metrics = Arc::new(Metrics::new(vec![client.clone()], &config));
    let health = Health::new(store.clone(), &config, true);
    let mut engine_config = config.clone();
    engine_config.sync.min_interval = Duration::ZERO;
    engine_config.sync.interval = None;
    let engine = engine::start_with(
        store.clone(),
        client.clone(),
        engine_config,
        EngineOptions {
            force_rest: rest,
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    metrics.set_tracked(store.len());
    Env {
        _dir: dir,
        _hub: hub,
        store,
        client,
        engine,
        metrics,
        health,
    }
}

impl Env {
    /// One forced pass over every repo, every event fed to metrics and health as `serve` does.
    async fn pass(&mut self) -> Vec<SyncEvent> {
        self.engine
            .commands
            .send(SyncCommand::SyncAll {
                force: true,
                priority: Priority::User,
            })
            .unwrap();
        let mut seen = Vec::new();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(60), self.engine.events.recv())
                .await
                .expect("engine answers")
                .expect("engine alive");
            self.metrics.observe(&ev);
            self.health.observe(&ev);
            let done = matches!(ev, SyncEvent::PassFinished { .. });
            seen.push(ev);
            if done {
                return seen;
            }
        }
    }

    /// One delivery of each result, as the webhook receiver counts them.
    fn deliveries(&self) {
        for (event, result) in [
            ("ping", DeliveryResult::Ping),
            ("push", DeliveryResult::Processed),
            ("push", DeliveryResult::Duplicate),
            ("issues", DeliveryResult::BadSignature),
            ("release", DeliveryResult::TooLarge),
            ("star", DeliveryResult::RefusedIp),
            ("fork", DeliveryResult::Untracked),
            ("check_suite", DeliveryResult::Ignored),
            ("pull_request", DeliveryResult::Malformed),
        ] {
            self.metrics.delivery(event, result);
        }
    }
}

/// The value of the sample `line_start` (a name with its labels, as the exposition writes it).
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

fn families_in(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_string)
        .collect()
}

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when the machine lacks `tool`: prints why the test is skipped, or fails when CI asked
/// for the real thing (`REPODECK_REQUIRE_PROMETHEUS=1`, set by `.ci/run` after installing it).
fn skip_without(tool: &str) -> bool {
    if have(tool) {
        return false;
    }
    assert!(
        std::env::var_os("REPODECK_REQUIRE_PROMETHEUS").is_none(),
        "`{tool}` is required (REPODECK_REQUIRE_PROMETHEUS is set) but not on PATH: apt-get install prometheus"
    );
    eprintln!(
        "NOTICE: `{tool}` is not installed (Debian package `prometheus`); this check is SKIPPED, not passed. `.ci/run` installs it."
    );
    true
}

/// `promtool check metrics` on `text`: its whole output when it finds anything.
fn promtool_check_metrics(text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(said)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_is_exported_after_a_real_sync_and_promtool_finds_nothing() {
    let mut e = env(6, Config::default(), true).await;
    let first = e.pass().await;
    let second = e.pass().await;
    e.deliveries();
    let text = e.metrics.encode().unwrap();

    let missing: Vec<_> = FAMILIES
        .iter()
        .filter(|f| !families_in(&text).contains(**f))
        .collect();
    assert!(missing.is_empty(), "families missing: {missing:?}\n{text}");
    let extra: Vec<_> = families_in(&text)
        .into_iter()
        .filter(|f| !FAMILIES.contains(&f.as_str()))
        .collect();
    assert!(extra.is_empty(), "families not in the list: {extra:?}");

    let events: Vec<SyncEvent> = first.into_iter().chain(second).collect();
    assert_engine_counts(&text, &events, e.store.len());
    assert_client_counts(&text, &e.client);

    if !skip_without("promtool") {
        promtool_check_metrics(&text).unwrap_or_else(|said| panic!("promtool: {said}\n{text}"));
    }
}

/// The engine families count exactly what the engine reported over two passes.
fn assert_engine_counts(text: &str, events: &[SyncEvent], tracked: usize) {
    let finished = |evs: &[SyncEvent], f: fn(&Outcome) -> bool| {
        evs.iter()
            .filter(|ev| matches!(ev, SyncEvent::Finished { outcome, .. } if f(outcome)))
            .count() as f64
    };
    let synced = finished(events, |o| matches!(o, Outcome::Synced { .. }));
    let failed = finished(events, |o| matches!(o, Outcome::Failed { .. }));
    assert!(synced >= 6.0 && failed >= 2.0, "{events:?}");
    assert_eq!(
        sample(text, "repodeck_syncs_total{outcome=\"synced\"}"),
        Some(synced)
    );
    assert_eq!(
        sample(text, "repodeck_syncs_total{outcome=\"failed\"}"),
        Some(failed)
    );
    assert_eq!(
        sample(text, "repodeck_errors_total{kind=\"not_found\"}"),
        Some(failed),
        "the missing repo fails as not_found:\n{text}"
    );
    assert_eq!(sample(text, "repodeck_tracked_repos"), Some(tracked as f64));
    assert_eq!(sample(text, "repodeck_queue_depth"), Some(0.0));
    assert_eq!(sample(text, "repodeck_sync_jobs_running"), Some(0.0));
    assert_eq!(
        sample(text, "repodeck_sync_passes_total{result=\"ok\"}"),
        Some(2.0)
    );
    assert_eq!(
        sample(text, "repodeck_sync_pass_duration_seconds_count"),
        Some(2.0)
    );
    assert_eq!(
        sample(text, "repodeck_sync_duration_seconds_count"),
        Some(synced + failed)
    );
}

/// The GitHub families read exactly what the client accounted.
fn assert_client_counts(text: &str, client: &GithubClient) {
    let acc = client.accounting();
    assert!(acc.not_modified > 0, "the second pass got 304s: {acc:?}");
    assert_eq!(
        sample(text, "repodeck_github_not_modified_total"),
        Some(acc.not_modified as f64)
    );
    let by_status: u64 = acc.by_status.values().sum();
    let exported: f64 = text
        .lines()
        .filter(|l| l.starts_with("repodeck_github_responses_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(exported, by_status as f64);
    assert_eq!(
        sample(
            text,
            "repodeck_webhook_deliveries_total{event=\"other\",result=\"ignored\"}"
        ),
        Some(1.0),
        "an unknown event is counted as other"
    );
    let fingerprint = client.token_id().unwrap().to_string();
    let remaining =
        format!("repodeck_rate_limit_remaining{{bucket=\"core\",token=\"{fingerprint}\"}}");
    let core = client.rate_state().borrow().buckets["core"].remaining as f64;
    assert_eq!(sample(text, &remaining), Some(core), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_part_of_one_reaches_a_label() {
    let mut e = env(3, Config::default(), true).await;
    e.pass().await;
    // A sender controls X-GitHub-Event: whatever it says, the label is a known name or `other`.
    e.metrics.delivery(
        &format!("push\"}} {TOKEN} {{"),
        DeliveryResult::BadSignature,
    );
    e.metrics.delivery(TOKEN, DeliveryResult::BadSignature);
    let text = e.metrics.encode().unwrap();
    let secret = TOKEN.trim_start_matches("ghp_");
    for window in secret.as_bytes().windows(6) {
        let part = std::str::from_utf8(window).unwrap();
        assert!(
            !text.contains(part),
            "a slice of the token ({part}) is in the exposition:\n{text}"
        );
    }
    let fingerprint = e.client.token_id().unwrap().to_string();
    assert!(text.contains(&format!("token=\"{fingerprint}\"")), "{text}");
    assert_eq!(
        sample(
            &text,
            "repodeck_webhook_deliveries_total{event=\"other\",result=\"bad_signature\"}"
        ),
        Some(2.0),
        "{text}"
    );
}

#[test]
fn label_values_are_bounded() {
    assert_eq!(event_label("push"), "push");
    assert_eq!(event_label(" Pull_Request "), "pull_request");
    assert_eq!(event_label("workflow_run"), "other");
    assert_eq!(event_label(&"x".repeat(10_000)), "other");
    assert_eq!(event_label("push\n# HELP"), "other");
    assert_eq!(bucket_label("core"), "core");
    assert_eq!(bucket_label("code_search"), "code_search");
    assert_eq!(bucket_label("Core\"} 1\nfake 2"), "other");
    assert_eq!(bucket_label(&"a".repeat(33)), "other");
    assert_eq!(bucket_label(""), "other");
}

#[tokio::test]
async fn a_fresh_exposition_is_complete_for_the_engine_and_promtool_clean() {
    let text = Metrics::new(Vec::new(), &Config::default())
        .encode()
        .unwrap();
    // Before any GitHub answer or delivery: the engine families, at zero.
    for family in [
        "repodeck_syncs_total",
        "repodeck_errors_total",
        "repodeck_sync_duration_seconds",
        "repodeck_queue_depth",
        "repodeck_tracked_repos",
        "repodeck_last_successful_pass_timestamp_seconds",
    ] {
        assert!(families_in(&text).contains(family), "{family}:\n{text}");
    }
    if !skip_without("promtool") {
        promtool_check_metrics(&text).unwrap_or_else(|said| panic!("promtool: {said}\n{text}"));
    }
}

#[tokio::test]
async fn queue_depth_follows_jobs_and_errors_map_every_failure_kind() {
    let metrics = Metrics::new(Vec::new(), &Config::default());
    for id in 1..=3 {
        metrics.observe(&SyncEvent::Queued { id: LocalId(id) });
    }
    metrics.observe(&SyncEvent::Started { id: LocalId(1) });
    let text = metrics.encode().unwrap();
    assert_eq!(sample(&text, "repodeck_queue_depth"), Some(2.0));
    assert_eq!(sample(&text, "repodeck_sync_jobs_running"), Some(1.0));
    for (n, kind) in FailureKind::ALL.into_iter().enumerate() {
        metrics.observe(&SyncEvent::Finished {
            id: LocalId(100 + n as u64),
            outcome: Outcome::Failed {
                kind,
                message: "x".into(),
            },
            cost: JobCost::default(),
            duration_ms: 0,
            repo: None,
        });
    }
    // A job refused before it started took no time: no duration observed.
    let text = metrics.encode().unwrap();
    assert_eq!(
        sample(&text, "repodeck_sync_duration_seconds_count"),
        Some(0.0)
    );
    let expected = [
        ("auth", 2.0),
        ("not_found", 2.0),
        ("primary_limit", 1.0),
        ("secondary_limit", 1.0),
        ("server", 2.0),
        ("network", 3.0),
        ("decode", 3.0),
        ("other", 9.0),
    ];
    for (kind, n) in expected {
        assert_eq!(
            sample(&text, &format!("repodeck_errors_total{{kind=\"{kind}\"}}")),
            Some(n),
            "{kind}"
        );
    }
    metrics.observe(&SyncEvent::Finished {
        id: LocalId(1),
        outcome: Outcome::Unchanged,
        cost: JobCost::default(),
        duration_ms: 1500,
        repo: None,
    });
    metrics.observe(&SyncEvent::Finished {
        id: LocalId(2),
        outcome: Outcome::Cancelled,
        cost: JobCost::default(),
        duration_ms: 0,
        repo: None,
    });
    let text = metrics.encode().unwrap();
    assert_eq!(sample(&text, "repodeck_queue_depth"), Some(1.0));
    assert_eq!(sample(&text, "repodeck_sync_jobs_running"), Some(0.0));
    assert_eq!(
        sample(&text, "repodeck_sync_duration_seconds_count"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "repodeck_sync_duration_seconds_sum"),
        Some(1.5)
    );
    // A repo queued again while its job runs stays queued when the running job ends; an
    // untracked repo leaves the queue.
    metrics.observe(&SyncEvent::Started { id: LocalId(3) });
    metrics.observe(&SyncEvent::Queued { id: LocalId(3) });
    metrics.observe(&SyncEvent::Finished {
        id: LocalId(3),
        outcome: Outcome::Unchanged,
        cost: JobCost::default(),
        duration_ms: 500,
        repo: None,
    });
    metrics.observe(&SyncEvent::Queued { id: LocalId(4) });
    metrics.observe(&SyncEvent::Untracked { id: LocalId(4) });
    let text = metrics.encode().unwrap();
    assert_eq!(sample(&text, "repodeck_queue_depth"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "repodeck_sync_jobs_running"), Some(0.0));
    // An all-failed pass is not a success.
    let before = sample(&text, "repodeck_last_successful_pass_timestamp_seconds").unwrap();
    assert!(before > 1.7e9, "the start time until a pass succeeds");
    metrics.observe(&SyncEvent::PassFinished {
        synced: 0,
        unchanged: 0,
        failed: 3,
        skipped: 0,
        cancelled: 0,
    });
    let text = metrics.encode().unwrap();
    assert_eq!(
        sample(&text, "repodeck_last_successful_pass_timestamp_seconds"),
        Some(before)
    );
    assert_eq!(
        sample(&text, "repodeck_sync_passes_total{result=\"failed\"}"),
        Some(1.0)
    );
}

// ---- /healthz and /readyz ----

fn health_config(interval_secs: u64) -> Config {
    let mut c = Config::default();
    c.sync.interval = Some(Duration::from_secs(interval_secs));
    c
}

fn open_store(dir: &Path) -> Arc<Store> {
    Arc::new(Store::open(dir).unwrap().0)
}

#[test]
fn readyz_wants_a_pass_within_three_sync_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let now = Instant::now();
    let wall = Utc::now();

    let h = Health::new(store, &health_config(60), true);
    assert!(
        h.readiness_at(now, wall).ready,
        "ready during the grace period"
    );
    // 3 x 60 s without a pass.
    let late = h.readiness_at(now + Duration::from_secs(181), wall);
    assert!(!late.ready);
    assert!(
        late.reasons[0].contains("no sync pass has finished"),
        "{late:?}"
    );
    h.observe(&SyncEvent::PassFinished {
        synced: 1,
        unchanged: 0,
        failed: 0,
        skipped: 0,
        cancelled: 0,
    });
    let after = h.readiness_at(Instant::now() + Duration::from_secs(179), wall);
    assert!(after.ready && after.last_pass.is_some(), "{after:?}");
    let stale = h.readiness_at(Instant::now() + Duration::from_secs(200), wall);
    assert!(
        stale.reasons[0].contains("the last sync pass finished"),
        "{stale:?}"
    );

    // Periodic sync off: the pass age is not checked.
    let mut off = Config::default();
    off.sync.interval = None;
    let dir2 = tempfile::tempdir().unwrap();
    let h = Health::new(open_store(dir2.path()), &off, true);
    assert!(
        h.readiness_at(now + Duration::from_secs(86_400 * 30), wall)
            .ready
    );
}

#[test]
fn readyz_fails_while_an_exhausted_limit_pauses_requests() {
    let dir = tempfile::tempdir().unwrap();
    let h = Health::new(open_store(dir.path()), &health_config(60), true);
    let wall = Utc::now();
    // Paused on an exhausted limit until its reset; other pauses do not count.
    let until = wall + chrono::Duration::minutes(30);
    h.observe(&SyncEvent::Paused {
        reason: WaitReason::Exhausted {
            bucket: "core".into(),
        },
        until,
    });
    let paused = h.readiness_at(Instant::now(), wall);
    assert!(!paused.ready);
    assert!(
        paused.reasons[0].contains("core rate limit is used up"),
        "{paused:?}"
    );
    assert!(
        h.readiness_at(Instant::now(), until + chrono::Duration::seconds(1))
            .ready
    );
    h.observe(&SyncEvent::Resumed);
    assert!(h.readiness_at(Instant::now(), wall).ready);
    h.observe(&SyncEvent::Paused {
        reason: WaitReason::SecondaryLimit,
        until,
    });
    assert!(h.readiness_at(Instant::now(), wall).ready);
}

#[test]
fn readyz_fails_on_a_rejected_or_missing_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let h = Health::new(store.clone(), &health_config(60), true);
    let wall = Utc::now();
    // A rejected token until a sync succeeds again.
    let failed = |kind| SyncEvent::Finished {
        id: LocalId(1),
        outcome: Outcome::Failed {
            kind,
            message: "401".into(),
        },
        cost: JobCost::default(),
        duration_ms: 5,
        repo: None,
    };
    h.observe(&failed(FailureKind::Unauthorized));
    let rejected = h.readiness_at(Instant::now(), wall);
    assert!(
        rejected.reasons[0].contains("rejected the token"),
        "{rejected:?}"
    );
    h.observe(&failed(FailureKind::NotFound));
    assert!(!h.readiness_at(Instant::now(), wall).ready);
    h.observe(&SyncEvent::Finished {
        id: LocalId(1),
        outcome: Outcome::Unchanged,
        cost: JobCost::default(),
        duration_ms: 5,
        repo: None,
    });
    assert!(h.readiness_at(Instant::now(), wall).ready);

    // No token at all.
    let anon = Health::new(store, &health_config(60), false).readiness();
    assert!(
        !anon.ready && anon.reasons[0].contains("no GitHub token"),
        "{anon:?}"
    );
}

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_readyz_answer_over_http_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let store = open_store(&data);
    let h = Health::new(store, &health_config(900), true);
    let base = serve(h.clone().router()).await;

    let ok = fakehub_support::get_with(&base, "/healthz", &[]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["status"], "ok");
    let ready = fakehub_support::get_with(&base, "/readyz", &[]).await;
    assert_eq!(
        ready.status,
        200,
        "{}",
        String::from_utf8_lossy(&ready.body)
    );
    assert_eq!(ready.json()["ready"], true);

    h.observe(&SyncEvent::Paused {
        reason: WaitReason::Exhausted {
            bucket: "graphql".into(),
        },
        until: Utc::now() + chrono::Duration::minutes(5),
    });
    let busy = fakehub_support::get_with(&base, "/readyz", &[]).await;
    assert_eq!(busy.status, 503);
    let body = busy.json();
    assert_eq!(body["ready"], false);
    assert!(
        body["reasons"][0]
            .as_str()
            .unwrap()
            .contains("graphql rate limit"),
        "{body}"
    );
    h.observe(&SyncEvent::Resumed);

    // The data directory removed under the daemon.
    std::fs::remove_dir_all(&data).unwrap();
    let gone = fakehub_support::get_with(&base, "/readyz", &[]).await;
    assert_eq!(gone.status, 503);
    assert!(
        gone.json()["reasons"][0]
            .as_str()
            .unwrap()
            .contains("data directory"),
        "{}",
        gone.json()
    );
    let alive = fakehub_support::get_with(&base, "/healthz", &[]).await;
    assert_eq!(alive.status, 200, "the process still answers");
}

// ---- assets/: the systemd unit ----

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    let unit = std::fs::read_to_string(root().join("assets/repodeck.service")).unwrap();
    let active: Vec<&str> = unit
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    for needed in [
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "StateDirectory=repodeck",
        "ExecStart=/usr/local/bin/repodeck --data-dir %S/repodeck serve --log-stderr",
        "LoadCredential=identity:/etc/repodeck/identity",
        "Environment=REPODECK_IDENTITY=%d/identity",
    ] {
        assert!(active.contains(&needed), "the unit lacks `{needed}`");
    }
    if !have("systemd-analyze") {
        eprintln!("NOTICE: systemd-analyze is not installed; `systemd-analyze verify` is SKIPPED");
        return;
    }
    // Verified with ExecStart pointing at the binary this build made.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("repodeck.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/repodeck", env!("CARGO_BIN_EXE_repodeck")),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && !said.contains("repodeck.service"),
        "systemd-analyze verify: {said}"
    );
}

// ---- a real Prometheus ----

/// A Prometheus process, killed on drop.
struct Prometheus {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `prometheus` on loopback, scraping `target` (host:port) every second and evaluating
/// the repository's alert rules every second.
fn start_prometheus(target: &str) -> Prometheus {
    let dir = tempfile::tempdir().unwrap();
    let rules = root().join("assets/prometheus/repodeck.rules.yml");
    let config = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules}\nscrape_configs:\n  - job_name: repodeck\n    static_configs:\n      - targets: ['{target}']\n",
        rules = rules.display()
    );
    let config_path = dir.path().join("prometheus.yml");
    std::fs::write(&config_path, config).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("prometheus.log")).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config_path.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("prometheus starts");
    Prometheus {
        child,
        base: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

impl Prometheus {
    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// GET `path` on Prometheus's HTTP API: (status, JSON body).
    async fn api(&self, path: &str) -> (u16, Value) {
        match fakehub_support::request(&self.base, "GET", path, &[], None).await {
            Ok(r) => {
                let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                (r.status, body)
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// An instant query: Prometheus's answer (`status`, `data` or `error`).
    async fn query(&self, promql: &str) -> (u16, Value) {
        let q: String = url::form_urlencoded::byte_serialize(promql.as_bytes()).collect();
        self.api(&format!("/api/v1/query?query={q}")).await
    }

    /// Waits until `check` holds, failing with Prometheus's log after `secs`.
    async fn wait_for(&mut self, what: &str, secs: u64, check: impl AsyncCheck) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if check.holds(self).await {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "prometheus exited ({status}) while waiting for {what}:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "prometheus: no {what} within {secs}s\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// A condition on Prometheus's state, polled by [`Prometheus::wait_for`].
trait AsyncCheck {
    async fn holds(&self, p: &Prometheus) -> bool;
}

/// Prometheus is ready and has scraped the target at least `n` times with success.
struct Scraped(u64);
impl AsyncCheck for Scraped {
    async fn holds(&self, p: &Prometheus) -> bool {
        let (status, body) = p
            .query(
                "sum(count_over_time(up{job=\"repodeck\"}[5m])) and min(up{job=\"repodeck\"}) == 1",
            )
            .await;
        status == 200
            && body["data"]["result"][0]["value"][1]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
                .is_some_and(|n| n >= self.0 as f64)
    }
}

/// Every loaded alert rule has been evaluated at least once.
struct RulesEvaluated;
impl AsyncCheck for RulesEvaluated {
    async fn holds(&self, p: &Prometheus) -> bool {
        let (_, body) = p.api("/api/v1/rules").await;
        let rules = rules_of(&body);
        !rules.is_empty() && rules.iter().all(|r| r["health"] != "unknown")
    }
}

fn rules_of(body: &Value) -> Vec<Value> {
    body["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Every `repodeck_...` metric name an expression mentions.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
            i += 1;
        }
        if i > start {
            let word = &expr[start..i];
            let boundary = start == 0 || !matches!(b[start - 1], b'"' | b'$');
            if boundary && word.starts_with("repodeck") {
                out.push(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Every Grafana panel's expressions: (panel title, expression with `$__rate_interval` as 1m,
/// what Grafana substitutes at this scrape interval).
fn dashboard_expressions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("assets/grafana/repodeck.json")).unwrap();
    let dash: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().expect("panels") {
        let targets = panel["targets"].as_array().expect("each panel has targets");
        assert!(!targets.is_empty(), "panel {} has no query", panel["title"]);
        for t in targets {
            let expr = t["expr"]
                .as_str()
                .expect("expr")
                .replace("$__rate_interval", "1m");
            out.push((panel["title"].as_str().unwrap_or("?").to_string(), expr));
        }
    }
    out
}

fn promtool_check_rules() {
    let rules = root().join("assets/prometheus/repodeck.rules.yml");
    let check = Command::new("promtool")
        .args(["check", "rules"])
        .arg(&rules)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "promtool check rules: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Every metric name Prometheus stored from the scrapes.
async fn stored_names(prom: &Prometheus) -> BTreeSet<String> {
    let (_, names) = prom.api("/api/v1/label/__name__/values").await;
    names["data"]
        .as_array()
        .expect("metric names")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// The alert rules as Prometheus loaded them (all four, each evaluated without error), then every
/// dashboard panel's expression: (what, expression, must return data).
async fn all_expressions(prom: &Prometheus) -> Vec<(String, String, bool)> {
    let (_, body) = prom.api("/api/v1/rules").await;
    let loaded = rules_of(&body);
    assert_eq!(loaded.len(), 4, "{body}");
    let mut out: Vec<(String, String, bool)> = loaded
        .iter()
        .map(|r| {
            assert_eq!(
                r["health"], "ok",
                "alert {} fails: {}",
                r["name"], r["lastError"]
            );
            (
                format!("alert {}", r["name"].as_str().unwrap_or("?")),
                r["query"].as_str().unwrap().to_string(),
                false,
            )
        })
        .collect();
    out.extend(
        dashboard_expressions()
            .into_iter()
            .map(|(title, expr)| (format!("panel {title}"), expr, true)),
    );
    out
}

/// One expression: it names only exported metrics, Prometheus parses and runs it, and (for a
/// panel) it returns data.
async fn check_expression(
    prom: &Prometheus,
    exported: &BTreeSet<String>,
    what: &str,
    expr: &str,
    must_have_data: bool,
) {
    let names = metric_names(expr);
    assert!(
        !names.is_empty(),
        "{what}: `{expr}` names no repodeck metric"
    );
    for name in &names {
        assert!(
            exported.contains(name),
            "{what}: `{expr}` names `{name}`, which repodeck does not export"
        );
    }
    let (status, answer) = prom.query(expr).await;
    assert!(
        status == 200 && answer["status"] == "success",
        "{what}: Prometheus refused `{expr}`: {answer}"
    );
    if must_have_data {
        assert!(
            answer["data"]["result"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{what}: `{expr}` returned no data after two passes: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_loads_the_rules_and_answers_every_panel_and_alert() {
    if skip_without("prometheus") || skip_without("promtool") {
        return;
    }
    promtool_check_rules();

    // The exporter: the metrics router on loopback, fed by a real sync against fakehub.
    let mut e = env(5, Config::default(), false).await;
    e.pass().await;
    e.deliveries();
    let base = serve(e.metrics.clone().router()).await;
    let target = base.trim_start_matches("http://").to_string();
    let mut prom = start_prometheus(&target);
    prom.wait_for("first scrapes", 60, Scraped(2)).await;
    // More activity between scrapes, so every rate() has two different samples.
    e.pass().await;
    e.deliveries();
    prom.wait_for("more scrapes", 60, Scraped(6)).await;
    prom.wait_for("rule evaluation", 30, RulesEvaluated).await;

    let exported = stored_names(&prom).await;
    for family in FAMILIES {
        let stored = [*family, &format!("{family}_count")];
        assert!(
            stored.iter().any(|n| exported.contains(*n)),
            "Prometheus stored no {family}: {exported:?}"
        );
    }
    for (what, expr, must_have_data) in all_expressions(&prom).await {
        check_expression(&prom, &exported, &what, &expr, must_have_data).await;
    }
    // The GraphQL sync spent points, and Prometheus has the graphql bucket per token.
    for expr in [
        "repodeck_graphql_points_total > 0",
        "repodeck_rate_limit_remaining{bucket=\"graphql\"} < repodeck_rate_limit_limit",
    ] {
        check_expression(&prom, &exported, "graphql", expr, true).await;
    }

    // And the check itself catches a name the exporter lacks and an expression that does not parse.
    let (status, bad) = prom.query("sum(rate(repodeck_syncs_total[1m])").await;
    assert!(status == 400 && bad["status"] == "error", "{bad}");
    assert!(!exported.contains("repodeck_sync_total"));
    assert_eq!(
        metric_names("rate(repodeck_x_total{a=\"repodeck_y\"}[1m]) / repodeck_z"),
        ["repodeck_x_total", "repodeck_z"]
    );
}
