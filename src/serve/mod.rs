//! `repodeck serve`: the headless daemon. The same engine as the TUI, started through `session`
//! with the vault unlocked from `--identity` / `REPODECK_PASSPHRASE` (never a prompt); a webhook
//! receiver that turns GitHub's deliveries into targeted, coalesced syncs; the background sync
//! every `sync.interval`; `/metrics`, `/healthz`, `/readyz`; a clean stop on SIGTERM / SIGINT
//! (stop accepting, finish what was accepted and the store batches in flight, exit 0 in 10 s).
//!
//! Layout: `webhook` (the receiver, GitHub's rules), `dispatch` (coalescing, pending syncs),
//! `allow` (the IP allowlist, `/meta`), `metrics` and `health` (the observability endpoints).
//! Every engine event passes [`fan_out`], which hands it to each observer; the routers are put
//! together in [`routers`] only.
//!
//! Neighbours: `session` (clients, engine), `secrets` (the webhook secret), `store`, `config`.
//! It never names `tui` or `commands`, and they never name it.

pub mod allow;
pub mod dispatch;
pub mod health;
pub mod metrics;
pub mod webhook;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use hmac::Mac;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::allow::Allow;
use self::dispatch::{Dispatcher, Hint};
use self::health::Health;
use self::metrics::Metrics;
use self::webhook::{Mac256, Receiver};
use crate::config::ServeConfig;
use crate::host::{Host, HostKind};
use crate::secrets::{self, KeySource, PassphraseSource, TokenVault, Tokens};
use crate::session::{Clients, Context, SessionError};
use crate::store::Store;
use crate::sync::{EngineHandle, SyncCommand, SyncEvent};

/// Command-line settings that win over `[serve]`.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
}

/// Why `serve` could not start or run. Every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Setup the user can fix (no secret, locked vault, a port in use): exit 2.
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The daemon failed while running: exit 1.
    #[error("{0}")]
    Failed(String),
}

/// The stop sequence's budget (SIGTERM to exit): systemd's default is 90 s, GitHub's patience 10.
const STOP_BUDGET: Duration = Duration::from_secs(9);
/// How long a stop waits for accepted deliveries' syncs before cancelling the rest (they stay
/// pending in the store and run at the next start).
const DRAIN_BUDGET: Duration = Duration::from_secs(6);
/// How often delivery GUIDs older than 3 days are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The key that unlocks the vault without ever prompting: `--identity` / `REPODECK_IDENTITY`,
/// else `REPODECK_PASSPHRASE`, else none (a vault that needs one is then an error).
fn headless_keys(ctx: &Context) -> KeySource {
    match &ctx.identity {
        Some(path) => KeySource::IdentityFile(path.clone()),
        None => KeySource::Passphrase(match std::env::var("REPODECK_PASSPHRASE") {
            Ok(p) => PassphraseSource::Given(secrecy::SecretString::from(p)),
            Err(_) => PassphraseSource::Unavailable,
        }),
    }
}

/// The HMAC key from the vault's webhook secret; the secret is read here only, once.
fn webhook_mac(store: &Store, keys: &KeySource) -> Result<Mac256, ServeError> {
    let missing = || {
        ServeError::Setup(
            "no webhook secret in the vault: run `repodeck hook secret generate` (or `hook secret set`), give the same secret to GitHub's webhook, then start `serve` again".into(),
        )
    };
    if secrets::webhook_secret_info(store)
        .map_err(|e| ServeError::Setup(e.to_string()))?
        .is_none()
    {
        return Err(missing());
    }
    let vault = TokenVault::open(store, keys, false)
        .map_err(|e| {
            ServeError::Setup(format!(
                "{e} (serve never prompts: set REPODECK_PASSPHRASE or pass --identity)"
            ))
        })?
        .ok_or_else(missing)?;
    let secret = vault
        .webhook_secret(store)
        .map_err(|e| ServeError::Setup(e.to_string()))?
        .ok_or_else(missing)?;
    secrets::expose(&secret, |s| Mac256::new_from_slice(s.as_bytes()))
        .map_err(|_| ServeError::Setup("the webhook secret cannot key HMAC-SHA256".into()))
}

/// Runs the daemon until SIGTERM / SIGINT. Blocks; builds its own runtime.
pub fn run(ctx: &Context, store: Store, opts: &ServeOptions) -> Result<(), ServeError> {
    let rt = crate::session::runtime()?;
    let store = Arc::new(store);
    let result = rt.block_on(serve(ctx, store.clone(), opts));
    if let Err(e) = store.flush() {
        tracing::warn!(error = %e, "final store flush failed");
    }
    // Requests still in flight to GitHub are cut off, not awaited: the budget is spent.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

/// The settings in force: the config's `[serve]` with the command line's addresses on top.
fn settings(ctx: &Context, opts: &ServeOptions) -> ServeConfig {
    let mut cfg = ctx.config.serve.clone();
    if let Some(l) = opts.listen {
        cfg.listen = l;
    }
    if let Some(m) = opts.metrics_listen {
        cfg.metrics_listen = Some(m);
    }
    cfg
}

async fn bind(addr: SocketAddr, what: &str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr).await.map_err(|e| {
        ServeError::Setup(format!(
            "cannot listen on {addr} for {what}: {e}. Choose another address with --listen / --metrics-listen or `[serve]` in the config"
        ))
    })
}

/// Warns about a listener others can reach with nothing in front of it.
fn warn_if_exposed(cfg: &ServeConfig, allow: &Allow) {
    if !cfg.listen.ip().is_loopback() && allow.is_any() {
        let msg = format!(
            "serve listens on {} (not loopback) and accepts deliveries from any address; set `serve.allow_ips` (e.g. \"github-meta\") and put a TLS reverse proxy in front (see README, \"Run it as a service\")",
            cfg.listen
        );
        tracing::warn!("{msg}");
        eprintln!("warning: {msg}");
    }
}

async fn serve(ctx: &Context, store: Arc<Store>, opts: &ServeOptions) -> Result<(), ServeError> {
    // The production checks `doctor` shows too; the file modes were checked before the store
    // opened (`main.rs`).
    if let Some(refusal) =
        crate::session::checks::refusal(&crate::session::checks::serve_ready(&store))
    {
        return Err(ServeError::Setup(refusal));
    }
    let cfg = settings(ctx, opts);
    let keys = headless_keys(ctx);
    let mac = webhook_mac(&store, &keys)?;
    let env = |name: &str| std::env::var(name).ok();
    let tokens = Tokens::load(&store, &keys, &env).map_err(|e| {
        ServeError::Setup(format!(
            "{e} (serve never prompts: set REPODECK_PASSPHRASE or pass --identity)"
        ))
    })?;
    let clients = Clients::from_tokens(&ctx.config, &store, &tokens)?;
    let client = clients.client.clone();
    let every_client: Vec<_> = std::iter::once(client.clone())
        .chain(clients.per_repo.values().cloned())
        .collect();
    let metrics = Arc::new(Metrics::new(every_client, &ctx.config));
    metrics.set_tracked(store.len());
    let health = Health::new(store.clone(), &ctx.config, client.is_authenticated());
    let allow = Arc::new(Allow::new(&cfg.allow_ips, &cfg.trusted_proxies));
    warn_if_exposed(&cfg, &allow);

    let main = bind(cfg.listen, "webhooks").await?;
    let side = match cfg.metrics_listen {
        Some(addr) => Some(bind(addr, "metrics").await?),
        None => None,
    };
    let shared_clients = clients.clone();
    let engine = clients.start_engine(store.clone(), ctx.config.clone(), false);
    // The host for attached views (the TUI, the CLI): they use this engine, its clients and
    // this store.
    let host = Host::start(&ctx.data_dir, store.clone(), HostKind::Serve)
        .map_err(|e| ServeError::Setup(e.to_string()))?;
    let engine = host.adopt(engine, Some(client.clone()));
    host.share_clients(shared_clients);
    let stop = CancellationToken::new();
    let (hint_tx, hint_rx) = mpsc::unbounded_channel();
    let receiver = Arc::new(Receiver {
        store: store.clone(),
        mac,
        max_body: cfg.max_body,
        allow: allow.clone(),
        hints: hint_tx,
        metrics: metrics.clone(),
    });
    if allow.uses_meta() {
        tokio::spawn(allow::refresh_meta(
            allow.clone(),
            store.clone(),
            client,
            stop.clone(),
        ));
    }
    tokio::spawn(prune(store.clone(), stop.clone()));
    let (main_app, side_app) = routers(
        &cfg,
        receiver,
        metrics.clone(),
        health.clone(),
        side.is_some(),
    );
    announce(&main, side.as_ref(), &cfg);
    let accepting = CancellationToken::new();
    let servers = spawn_servers(main, main_app, side, side_app, accepting.clone());
    let hub = Hub {
        // The daemon's terminal when it has one (a foreground run); commands always.
        notify: crate::notify::Sink::new(&ctx.config.notify, false, true),
        dispatcher: Dispatcher::new(store.clone(), engine.commands.clone()),
        metrics,
        health,
    };
    let hub_task = tokio::spawn(hub.run(engine, hint_rx, accepting.clone()));

    wait_for_signal().await?;
    let deadline = Instant::now() + STOP_BUDGET;
    tracing::info!("stopping: no new connections; finishing the deliveries already accepted");
    stop.cancel();
    accepting.cancel();
    for s in servers {
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left, s).await;
    }
    let left = deadline.saturating_duration_since(Instant::now());
    if tokio::time::timeout(left, hub_task).await.is_err() {
        tracing::warn!(
            "the engine did not stop in time; pending webhook syncs run at the next start"
        );
    }
    drop(host);
    tracing::info!("serve stopped");
    Ok(())
}

/// The routers: the webhook path on the main listener; `/metrics`, `/healthz`, `/readyz` on the
/// main listener too, or on their own (`metrics_listen`) when `separate`.
fn routers(
    cfg: &ServeConfig,
    receiver: Arc<Receiver>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
    separate: bool,
) -> (Router, Option<Router>) {
    let hooks = Router::new()
        .route(&cfg.webhook_path, post(webhook::receive))
        .with_state(receiver);
    let observe = metrics.router().merge(health.router());
    if separate {
        (hooks, Some(observe))
    } else {
        (hooks.merge(observe), None)
    }
}

/// The line scripts and tests wait for (stdout), with the real port when 0 was asked.
fn announce(main: &TcpListener, side: Option<&TcpListener>, cfg: &ServeConfig) {
    let addr = |l: &TcpListener| l.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let metrics = side.map_or_else(|| addr(main), addr);
    println!(
        "repodeck serve listening on http://{} (webhooks at {}, metrics at http://{metrics}/metrics)",
        addr(main),
        cfg.webhook_path
    );
    tracing::info!(listen = %addr(main), metrics = %metrics, path = %cfg.webhook_path, "serve started");
}

fn spawn_servers(
    main: TcpListener,
    main_app: Router,
    side: Option<TcpListener>,
    side_app: Option<Router>,
    accepting: CancellationToken,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut out = Vec::new();
    let pairs = std::iter::once((main, main_app)).chain(side.zip(side_app));
    for (listener, app) in pairs {
        let stop = accepting.clone();
        out.push(tokio::spawn(async move {
            let svc = app.into_make_service_with_connect_info::<SocketAddr>();
            let result = axum::serve(listener, svc)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
            if let Err(e) = result {
                tracing::error!(error = %e, "a serve listener failed");
            }
        }));
    }
    out
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn wait_for_signal() -> Result<(), ServeError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())
            .map_err(|e| ServeError::Failed(format!("cannot watch for SIGTERM: {e}")))?;
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            r = tokio::signal::ctrl_c() => { r.map_err(|e| ServeError::Failed(format!("cannot watch for Ctrl-C: {e}")))?; tracing::info!("SIGINT received"); }
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| ServeError::Failed(format!("cannot watch for Ctrl-C: {e}")))?;
    Ok(())
}

/// Forgets delivery GUIDs past GitHub's 3-day redelivery window, hourly.
async fn prune(store: Arc<Store>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        match store.deliveries_prune(chrono::Utc::now()) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(n, "forgot delivery GUIDs older than 3 days"),
            Err(e) => tracing::warn!(error = %e, "pruning delivery GUIDs failed"),
        }
    }
}

/// Every engine event, to every observer: the dispatcher (pending syncs), the metrics, health.
fn fan_out(ev: &SyncEvent, dispatcher: &mut Dispatcher, metrics: &Metrics, health: &Health) {
    metrics.observe(ev);
    health.observe(ev);
    dispatcher.on_event(ev);
    match ev {
        SyncEvent::Error { message } => tracing::warn!(%message, "sync engine"),
        SyncEvent::Finished {
            outcome: crate::sync::Outcome::Synced { changes },
            repo: Some(repo),
            duration_ms,
            ..
        } => {
            tracing::debug!(repo = %repo.key, changes = changes.len(), duration_ms, "repo synced and committed")
        }
        SyncEvent::PassFinished {
            synced,
            unchanged,
            failed,
            skipped,
            cancelled,
        } => tracing::info!(
            synced,
            unchanged,
            failed,
            skipped,
            cancelled,
            "sync pass finished"
        ),
        _ => {}
    }
}

/// How often the notifier's rate-cap windows are checked for a summary.
const NOTIFY_TICK: Duration = Duration::from_secs(5);

/// The loop between the receiver, the engine and the observers.
struct Hub {
    /// `[[notify]]` rules, for the activity the engine detects.
    notify: crate::notify::Sink,
    dispatcher: Dispatcher,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
}

impl Hub {
    /// Runs until the stop: then sends what waits, lets the engine finish it (up to
    /// [`DRAIN_BUDGET`]), shuts the engine down and waits for its last events.
    async fn run(
        mut self,
        mut engine: EngineHandle,
        mut hints: mpsc::UnboundedReceiver<Hint>,
        stopping: CancellationToken,
    ) {
        let recovered = self.dispatcher.recover(Instant::now());
        if recovered > 0 {
            tracing::info!(
                recovered,
                "syncing repos that deliveries asked for before the last stop"
            );
        }
        let mut tracked_dirty = false;
        let mut notify_tick = tokio::time::interval(NOTIFY_TICK);
        notify_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let due = self.dispatcher.due();
            let sleep = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(h) = hints.recv() => self.dispatcher.hint(h, Instant::now()),
                ev = engine.events.recv() => match ev {
                    Some(ev) => {
                        tracked_dirty |= matches!(ev, SyncEvent::Tracked { .. } | SyncEvent::Untracked { .. });
                        fan_out(&ev, &mut self.dispatcher, &self.metrics, &self.health);
                        if let SyncEvent::Activity(entries) = &ev {
                            self.notify.activity(entries);
                        }
                    }
                    None => return,
                },
                () = sleep => self.dispatcher.flush(),
                _ = notify_tick.tick() => self.notify.tick(),
                () = stopping.cancelled() => break,
            }
            if tracked_dirty {
                tracked_dirty = false;
                self.metrics.set_tracked(self.dispatcher.tracked());
            }
        }
        self.drain(engine, hints).await;
    }

    async fn drain(mut self, mut engine: EngineHandle, mut hints: mpsc::UnboundedReceiver<Hint>) {
        let started = Instant::now();
        // The servers stop accepting and finish the requests in flight; once they are gone the
        // channel closes, and every delivery answered 202 has been handed over.
        let until = started + Duration::from_secs(2);
        loop {
            tokio::select! {
                h = hints.recv() => match h {
                    Some(h) => self.dispatcher.hint(h, Instant::now()),
                    None => break,
                },
                () = tokio::time::sleep_until(until.into()) => break,
            }
        }
        self.dispatcher.flush();
        let drain_end = started + DRAIN_BUDGET;
        while self.dispatcher.in_flight() > 0 {
            tokio::select! {
                ev = engine.events.recv() => match ev {
                    Some(ev) => fan_out(&ev, &mut self.dispatcher, &self.metrics, &self.health),
                    None => return,
                },
                () = tokio::time::sleep_until(drain_end.into()) => break,
            }
        }
        let left = self.dispatcher.in_flight();
        if left > 0 {
            tracing::warn!(
                left,
                "stopping with webhook syncs unfinished; they run at the next start"
            );
        }
        let _ = engine.commands.send(SyncCommand::Shutdown);
        let end = started + DRAIN_BUDGET + Duration::from_secs(2);
        loop {
            tokio::select! {
                ev = engine.events.recv() => match ev {
                    Some(ev) => fan_out(&ev, &mut self.dispatcher, &self.metrics, &self.health),
                    None => return,
                },
                () = tokio::time::sleep_until(end.into()) => return,
            }
        }
    }
}
