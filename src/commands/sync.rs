//! `repodeck sync`: drives the sync engine headless (cron-friendly), shows progress on stderr when
//! it is a terminal, and ends with a summary (human, or one JSON object with `--json`).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::{CliError, Status, github_error, parse_keys};
use chrono::{DateTime, Utc};

use crate::domain::{Change, FailureKind, LocalId, WaitReason};
use crate::github::{Accounting, GithubError};
use crate::host::client::{Attached, AttachedSource};
use crate::host::protocol::Reply;
use crate::host::source::DataSource;
use crate::host::{Host, HostKind};
use crate::sanitize;
use crate::session::{self, ANONYMOUS_NOTICE, Clients, Context};
use crate::store::Store;
use crate::sync::{EngineHandle, Outcome, Priority, SyncCommand, SyncEvent};

#[derive(Debug, Clone, Default)]
pub struct SyncArgs {
    pub repos: Vec<String>,
    pub all: bool,
    pub force: bool,
    pub rest: bool,
    pub json: bool,
    /// `sync.min_interval`, to say why repositories were skipped.
    pub min_interval: std::time::Duration,
}

/// Why repositories were skipped: each was synced less than `sync.min_interval` ago.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipReason {
    pub min_interval: std::time::Duration,
    /// The oldest and the newest last sync among the skipped repositories.
    pub oldest: DateTime<Utc>,
    pub newest: DateTime<Utc>,
    /// The command that syncs them anyway.
    pub force: String,
}

impl SkipReason {
    /// From the skipped repositories' last sync times (none known: no reason to give).
    pub fn new(
        min_interval: std::time::Duration,
        synced: &[DateTime<Utc>],
        args: &SyncArgs,
    ) -> Option<Self> {
        let oldest = *synced.iter().min()?;
        let newest = *synced.iter().max()?;
        let force = if args.all {
            "repodeck sync --all --force".to_string()
        } else {
            let names: Vec<String> = args
                .repos
                .iter()
                .map(|r| sanitize::line(r).into_owned())
                .collect();
            format!("repodeck sync --force {}", names.join(" "))
        };
        Some(SkipReason {
            min_interval,
            oldest,
            newest,
            force,
        })
    }

    /// When the oldest skipped repository may sync again without `--force`.
    pub fn next_due(&self) -> DateTime<Utc> {
        self.oldest + chrono::Duration::from_std(self.min_interval).unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "reason": "min_interval",
            "min_interval": crate::config::format_duration(self.min_interval),
            "min_interval_secs": self.min_interval.as_secs(),
            "oldest_synced_at": crate::fmt::rfc3339(self.oldest),
            "newest_synced_at": crate::fmt::rfc3339(self.newest),
            "next_due_at": crate::fmt::rfc3339(self.next_due()),
            "force": self.force,
        })
    }

    /// One line: why, since when, and how to force.
    pub fn line(&self, skipped: usize, now: DateTime<Utc>) -> String {
        let ago = |t: DateTime<Utc>| {
            let secs = u64::try_from((now - t).num_seconds()).unwrap_or(0);
            crate::config::format_duration(std::time::Duration::from_secs(secs))
        };
        let (newest, oldest) = (ago(self.newest), ago(self.oldest));
        let (who, when, due, them) = if skipped == 1 {
            ("it was", format!("{newest} ago"), "it is", "it")
        } else if newest == oldest {
            ("each was", format!("{newest} ago"), "the first is", "them")
        } else {
            (
                "each was",
                format!("between {newest} and {oldest} ago"),
                "the first is",
                "them",
            )
        };
        format!(
            "{skipped} skipped: {who} synced {when}, within sync.min_interval ({}); {due} due again at {}. Sync {them} now with `{}`",
            crate::config::format_duration(self.min_interval),
            self.next_due().format("%H:%M:%S UTC"),
            self.force,
        )
    }
}

/// The summary of one `sync` run; `to_json` gives the documented object.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub repos: usize,
    pub synced: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub requests: u64,
    pub not_modified: u64,
    pub points: [u64; 3],
    pub duration_ms: u64,
    pub changes: Vec<(String, Change)>,
    pub failures: Vec<(String, FailureKind, String)>,
    /// Why the run stopped before every repository was asked for: a rejected token, or the
    /// endpoint unavailable or not GitHub's API (said once, not per repository).
    pub stopped: Option<(FailureKind, String)>,
    /// ctrl+c stopped the run.
    pub interrupted: bool,
    /// The repositories the throttle skipped, and why (`skip_reason` in JSON).
    pub skipped_ids: Vec<LocalId>,
    pub skip: Option<SkipReason>,
}

impl Summary {
    pub fn to_json(&self) -> Value {
        json!({
            "repos": self.repos,
            "synced": self.synced,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "failed": self.failed,
            "skipped": self.skipped,
            "requests": self.requests,
            "not_modified": self.not_modified,
            "points": {"core": self.points[0], "graphql": self.points[1], "search": self.points[2]},
            "duration_ms": self.duration_ms,
            "stopped": self.interrupted || self.stopped.is_some(),
            "changes": self.changes.iter().map(|(repo, c)| change_json(repo, c)).collect::<Vec<_>>(),
            "failures": self.failures.iter().map(|(repo, kind, message)| json!({"repo": repo, "kind": kind, "message": message})).collect::<Vec<_>>(),
            "skip_reason": self.skip.as_ref().map(SkipReason::to_json),
        })
    }

    /// Counts how one repo's sync ended.
    fn record(&mut self, name: String, outcome: Outcome) {
        match outcome {
            Outcome::Synced { changes } => {
                self.synced += 1;
                if !changes.is_empty() {
                    self.changed += 1;
                }
                self.changes
                    .extend(changes.into_iter().map(|c| (name.clone(), c)));
            }
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Cancelled => {
                self.failed += 1;
                self.failures.push((
                    name,
                    FailureKind::Cancelled,
                    "the sync was cancelled".into(),
                ));
            }
            Outcome::Failed { kind, message } => {
                self.failed += 1;
                if is_stop(kind) && self.stopped.is_none() {
                    self.stopped = Some((kind, message.clone()));
                }
                self.failures.push((name, kind, message));
            }
        }
    }

    /// Says why the throttle skipped repositories, from their last sync times before the run.
    fn explain_skips(&mut self, synced_at: &SyncedAt, args: &SyncArgs) {
        let times: Vec<DateTime<Utc>> = self
            .skipped_ids
            .iter()
            .filter_map(|id| synced_at.get(id).copied())
            .collect();
        self.skip = SkipReason::new(args.min_interval, &times, args);
    }

    fn cost(&mut self, before: &Accounting, after: &Accounting) {
        self.requests = after.requests.saturating_sub(before.requests);
        self.not_modified = after.not_modified.saturating_sub(before.not_modified);
        for (i, bucket) in ["core", "graphql", "search"].iter().enumerate() {
            let get = |a: &Accounting| a.points.get(*bucket).copied().unwrap_or(0);
            self.points[i] = get(after).saturating_sub(get(before));
        }
    }
}

/// Failures of the token, the whole endpoint or the store (a full disk, an unwritable data
/// directory): the run stops, said once.
fn is_stop(kind: FailureKind) -> bool {
    matches!(
        kind,
        FailureKind::Unauthorized
            | FailureKind::Unavailable
            | FailureKind::NotGithub
            | FailureKind::Store
    )
}

/// One change as JSON: `{"repo", "kind", ...fields, "text"}`. (`Change` is externally tagged on
/// disk, since bincode cannot read internally tagged enums; the flat shape is built here.)
pub fn change_json(repo: &str, c: &Change) -> Value {
    crate::notify::change_json(repo, c)
}

pub fn run(
    ctx: &Context,
    store: Store,
    args: &SyncArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let store = Arc::new(store);
    let (targets, synced_at) = targets(store.as_ref(), args)?;
    if targets.is_empty() {
        return nothing_tracked(args, out);
    }
    let names: HashMap<LocalId, String> = targets.iter().cloned().collect();
    let rt = session::runtime()?;
    let mut summary = rt.block_on(drive(ctx, store, args, &targets, &names, err))?;
    summary.explain_skips(&synced_at, args);
    finish(&summary, args, out, err)
}

/// `sync` attached to a running host: the host's engine does the work (one scheduler, one rate
/// budget); the progress and the summary are the same as a local run's.
pub fn run_attached(
    src: &AttachedSource,
    args: &SyncArgs,
    api_url: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let info = src.conn().info().clone();
    if args.rest {
        return Err(CliError::Input(format!(
            "--rest cannot be used while {} holds the data directory: its sync engine chooses REST \
             or GraphQL for every sync it runs and cannot switch for one request. Run without \
             --rest, or stop it with `kill {}` and run this again. Nothing was synced",
            info.process(),
            info.pid
        )));
    }
    let (targets, synced_at) = targets(src, args)?;
    if targets.is_empty() {
        return nothing_tracked(args, out);
    }
    let names: HashMap<LocalId, String> = targets.iter().cloned().collect();
    let _ = writeln!(
        err,
        "note: attached to {info}: its sync engine runs this sync"
    );
    let waits = Waits::remote(src.conn(), api_url);
    let mut summary = src.block_on(drive_attached(
        src.conn(),
        args,
        &targets,
        &names,
        waits,
        err,
    ))?;
    summary.explain_skips(&synced_at, args);
    if src.conn().gone().is_cancelled()
        && summary.synced + summary.unchanged + summary.failed + summary.skipped < summary.repos
    {
        let _ = finish(&summary, args, out, err);
        return Err(CliError::Failed(format!(
            "the host ({info}) stopped during the sync; what it finished is stored. Run `repodeck sync` again"
        )));
    }
    finish(&summary, args, out, err)
}

/// When each target was last synced (what the throttle judges).
type SyncedAt = HashMap<LocalId, DateTime<Utc>>;

/// Which repos, validated before any request, and when each was last synced.
fn targets(
    src: &dyn DataSource,
    args: &SyncArgs,
) -> Result<(Vec<(LocalId, String)>, SyncedAt), CliError> {
    let mut synced_at = SyncedAt::new();
    let mut seen = |r: &crate::domain::TrackedRepo| {
        if let Some(t) = r.last_synced_at {
            synced_at.insert(r.local, t);
        }
        (r.local, r.key.to_string())
    };
    if args.all {
        let v = src.list()?.iter().map(&mut seen).collect();
        return Ok((v, synced_at));
    }
    let mut v = Vec::new();
    let mut missing = Vec::new();
    for key in parse_keys(&args.repos)? {
        match src.find(&key)? {
            Some(r) if !v.iter().any(|(l, _)| *l == r.local) => v.push(seen(&r)),
            Some(_) => {}
            None => missing.push(key.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::Input(format!(
            "not tracked: {}. Add with `repodeck add {}` first; nothing was synced",
            missing.join(", "),
            missing.join(" ")
        )));
    }
    Ok((v, synced_at))
}

fn nothing_tracked(args: &SyncArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    if args.json {
        let _ = writeln!(out, "{}", Summary::default().to_json());
    } else {
        let _ = writeln!(
            out,
            "No repositories tracked yet. Add one with `repodeck add OWNER/NAME` or `repodeck import --org ORG`."
        );
    }
    Ok(Status::Ok)
}

fn finish(
    summary: &Summary,
    args: &SyncArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    if args.json {
        let _ = writeln!(out, "{}", summary.to_json());
    } else {
        print_human(summary, out, err);
    }
    ending(summary, err)
}

/// The exit status and the closing message: a stop is said once, with what was stored before
/// it (exit 1), or as nothing changed (exit 2) when no repository was synced.
fn ending(summary: &Summary, err: &mut dyn Write) -> Result<Status, CliError> {
    let stored = summary.synced + summary.unchanged;
    if let Some((_, message)) = &summary.stopped {
        if stored == 0 {
            return Err(CliError::Input(format!(
                "sync stopped, nothing was changed: {message}"
            )));
        }
        let _ = writeln!(
            err,
            "error: sync stopped: {message}. {stored} of {} repositor{} synced and stored before that; the other {} were left as they were",
            summary.repos,
            if summary.repos == 1 {
                "y was"
            } else {
                "ies were"
            },
            summary.repos - stored,
        );
        return Ok(Status::Partial);
    }
    if summary.interrupted {
        let _ = writeln!(
            err,
            "interrupted: {stored} of {} repositories synced and stored; the others were left as they were",
            summary.repos
        );
    }
    Ok(if summary.failed > 0 || summary.interrupted {
        Status::Partial
    } else {
        Status::Ok
    })
}

async fn drive(
    ctx: &Context,
    store: Arc<Store>,
    args: &SyncArgs,
    targets: &[(LocalId, String)],
    names: &HashMap<LocalId, String>,
    err: &mut dyn Write,
) -> Result<Summary, CliError> {
    let started = Instant::now();
    let clients = Clients::from_env(ctx, &store)?;
    let client = clients.client.clone();
    let before = client.accounting();
    if !client.is_authenticated() {
        let _ = writeln!(err, "{}", ANONYMOUS_NOTICE);
    }
    // The free `GET /rate_limit` first: it shows the endpoint is GitHub's API (so its 404s mean
    // something) and tells the scheduler the budget before the first batch.
    let mut waits = Waits::new(&client, &ctx.config.github.api_url);
    let mut interrupts = Interrupts::new();
    let check = loop {
        let check = client.check_endpoint();
        tokio::pin!(check);
        let r = loop {
            tokio::select! {
                r = &mut check => break r,
                () = waits.changed(err) => {}
                () = interrupts.recv() => client.cancel_waits(),
            }
        };
        // While GitHub as a whole is failing, the breaker decides: a probe succeeds, or it
        // declares the endpoint unavailable (within `breaker_give_up`).
        match r {
            Err(e) if e.is_retryable() && client.failing() => continue,
            r => break r,
        }
    };
    match check {
        Ok(()) => {}
        Err(e) if e.is_unauthorized() => {
            return Err(github_error("GitHub rejected the token before syncing", &e));
        }
        Err(e) if e.stops_pass() => {
            return Err(CliError::Input(format!(
                "sync stopped before any repository was synced, nothing was changed: {e}"
            )));
        }
        Err(GithubError::Cancelled) => {
            return Err(CliError::Failed(
                "interrupted before any repository was synced; nothing was changed".into(),
            ));
        }
        Err(e) => tracing::warn!(error = %e, "reading the rate limit failed; syncing anyway"),
    }
    let mut config = ctx.config.clone();
    config.sync.interval = None;
    waits.watch_repo_clients(&clients.per_repo);
    let shared_clients = clients.clone();
    let engine = clients.start_engine(store.clone(), config, args.rest);
    // While it runs, this sync hosts the store: another `repodeck` attaches instead of failing.
    let host = match Host::start(&ctx.data_dir, store, HostKind::Sync) {
        Ok(h) => Some(h),
        Err(e) => {
            tracing::warn!(error = %e, "not hosting attached views");
            None
        }
    };
    let mut engine = match &host {
        Some(h) => {
            let engine = h.adopt(engine, Some(client.clone()));
            h.share_clients(shared_clients);
            engine
        }
        None => engine,
    };
    for c in sync_commands(args, targets) {
        engine
            .commands
            .send(c)
            .map_err(|_| CliError::Failed("the sync engine stopped unexpectedly".into()))?;
    }
    let mut summary = Summary {
        repos: targets.len(),
        ..Summary::default()
    };
    collect(
        &mut engine,
        names,
        &mut summary,
        (&mut waits, &mut interrupts),
        err,
        false,
    )
    .await;
    let _ = engine.commands.send(SyncCommand::Shutdown);
    summary.cost(&before, &client.accounting());
    summary.duration_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// The sync commands for the targets: one `SyncAll`, or the named repos.
fn sync_commands(args: &SyncArgs, targets: &[(LocalId, String)]) -> Vec<SyncCommand> {
    if args.all {
        vec![SyncCommand::SyncAll {
            force: args.force,
            priority: Priority::User,
        }]
    } else {
        targets
            .iter()
            .map(|(id, _)| SyncCommand::SyncRepo {
                id: *id,
                force: args.force,
                priority: Priority::User,
            })
            .collect()
    }
}

async fn drive_attached(
    conn: &Attached,
    args: &SyncArgs,
    targets: &[(LocalId, String)],
    names: &HashMap<LocalId, String>,
    mut waits: Waits,
    err: &mut dyn Write,
) -> Result<Summary, CliError> {
    let started = Instant::now();
    let before = conn.accounting().await?;
    let mut engine = conn
        .engine()
        .ok_or_else(|| CliError::Failed("internal: the host's engine was taken twice".into()))?;
    for c in sync_commands(args, targets) {
        conn.command(c)?;
    }
    let mut summary = Summary {
        repos: targets.len(),
        ..Summary::default()
    };
    let mut interrupts = Interrupts::new();
    collect(
        &mut engine,
        names,
        &mut summary,
        (&mut waits, &mut interrupts),
        err,
        true,
    )
    .await;
    if let (Some(b), Ok(Some(a))) = (before, conn.accounting().await) {
        summary.requests = a[0].saturating_sub(b[0]);
        summary.not_modified = a[1].saturating_sub(b[1]);
        for i in 0..3 {
            summary.points[i] = a[i + 2].saturating_sub(b[i + 2]);
        }
    }
    summary.duration_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// Says every wait longer than the notice threshold (2 s in production) on stderr, once per
/// wait: what it waits for and until when. The global client's waits and those of each
/// per-repo-token client (named by its repository).
struct Waits {
    /// Empty when attached: the host's waits come from `remote`.
    watched: Vec<Watched>,
    threshold: chrono::Duration,
    url: String,
    /// Attached: the host's waits (`Reply::Wait`), and the last line said per client.
    remote: Option<tokio::sync::mpsc::UnboundedReceiver<Reply>>,
    remote_said: HashMap<Option<String>, String>,
}

/// One client's rate state and the last wait said for it.
struct Watched {
    rx: tokio::sync::watch::Receiver<crate::github::RateState>,
    /// The repository whose own token the client uses; `None` for the global client.
    repo: Option<String>,
    said: Option<String>,
    /// The client is gone: its channel is no longer polled.
    closed: bool,
}

impl Waits {
    fn new(client: &crate::github::GithubClient, url: &str) -> Self {
        Waits {
            watched: vec![Watched {
                rx: client.rate_state(),
                repo: None,
                said: None,
                closed: false,
            }],
            threshold: chrono::Duration::from_std(client.wait_notice_threshold())
                .unwrap_or_else(|_| chrono::Duration::seconds(2)),
            url: sanitize::line(url).into_owned(),
            remote: None,
            remote_said: HashMap::new(),
        }
    }

    /// The waits of the host's clients (attached): said like a local run's own.
    fn remote(conn: &Attached, url: &str) -> Self {
        Waits {
            watched: Vec::new(),
            threshold: chrono::Duration::seconds(2),
            url: sanitize::line(url).into_owned(),
            remote: conn.waits().ok(),
            remote_said: HashMap::new(),
        }
    }

    /// Resolves after the host reported a wait, having said it when it is long; pends forever
    /// once the host is gone.
    async fn remote_changed(&mut self, err: &mut dyn Write) {
        let Some(rx) = self.remote.as_mut() else {
            return std::future::pending().await;
        };
        let Some(Reply::Wait {
            repo,
            wait,
            threshold_ms,
        }) = rx.recv().await
        else {
            self.remote = None;
            return;
        };
        let threshold = chrono::Duration::milliseconds(i64::try_from(threshold_ms).unwrap_or(2000));
        let Some((reason, until)) = wait else {
            return;
        };
        if until - Utc::now() <= threshold {
            return;
        }
        let line = self.line(&reason, until, repo.as_deref());
        if self.remote_said.get(&repo) != Some(&line) {
            let _ = writeln!(err, "\r\x1b[2K{line}");
            self.remote_said.insert(repo, line);
        }
    }

    /// `waiting: <what>[ (the token for <repo>)]; next try at <time>`.
    fn line(
        &self,
        reason: &WaitReason,
        until: chrono::DateTime<Utc>,
        repo: Option<&str>,
    ) -> String {
        let what = match reason {
            WaitReason::CircuitOpen => format!("GitHub at {} is failing", self.url),
            WaitReason::Retry { .. } => "retrying after a failed request".to_string(),
            other => other.to_string(),
        };
        let whose = match repo {
            Some(repo) => format!(" (the token for {})", sanitize::line(repo)),
            None => String::new(),
        };
        format!(
            "waiting: {what}{whose}; next try at {} (ctrl+c stops and prints what was done)",
            until.format("%H:%M:%S UTC")
        )
    }

    /// Also says the waits of the clients of repositories with their own token.
    fn watch_repo_clients(&mut self, per_repo: &HashMap<String, crate::github::GithubClient>) {
        let mut repos: Vec<&String> = per_repo.keys().collect();
        repos.sort();
        for repo in repos {
            self.watched.push(Watched {
                rx: per_repo[repo].rate_state(),
                repo: Some(sanitize::line(repo).into_owned()),
                said: None,
                closed: false,
            });
        }
    }

    /// Resolves after a rate state changed, having said a new long wait; pends forever once
    /// every client is gone.
    async fn changed(&mut self, err: &mut dyn Write) {
        if self.remote.is_some() {
            return self.remote_changed(err).await;
        }
        let i = loop {
            let open: Vec<usize> = (0..self.watched.len())
                .filter(|&i| !self.watched[i].closed)
                .collect();
            if open.is_empty() {
                std::future::pending::<()>().await;
            }
            let futs = self
                .watched
                .iter_mut()
                .filter(|w| !w.closed)
                .map(|w| Box::pin(w.rx.changed()));
            let (r, n, _) = futures::future::select_all(futs).await;
            let i = open[n];
            if r.is_ok() {
                break i;
            }
            self.watched[i].closed = true;
        };
        let pause = self.watched[i].rx.borrow_and_update().pause.clone();
        let Some(p) = pause else {
            return;
        };
        if p.until - Utc::now() <= self.threshold {
            return;
        }
        let line = self.line(&p.reason, p.until, self.watched[i].repo.as_deref());
        let w = &mut self.watched[i];
        if w.said.as_deref() != Some(line.as_str()) {
            let _ = writeln!(err, "\r\x1b[2K{line}");
            w.said = Some(line);
        }
    }
}

/// SIGINT (ctrl+c) as one stream for the whole run. A fresh `ctrl_c()` per `select!` misses a
/// signal that arrives between two of them, and once tokio's handler is installed the default
/// "terminate" no longer applies: the ctrl+c would be lost and the run go on waiting.
struct Interrupts {
    #[cfg(unix)]
    sig: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    fn new() -> Self {
        Interrupts {
            #[cfg(unix)]
            sig: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok(),
        }
    }

    /// Resolves at the next ctrl+c (one kept if it came while nobody was waiting); pends
    /// forever when signals cannot be watched.
    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some(sig) = &mut self.sig
            && sig.recv().await.is_some()
        {
            return;
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_ok() {
            return;
        }
        std::future::pending::<()>().await
    }
}

/// Reads the engine's events until every repo of the summary has finished, drawing progress on
/// stderr when it is a terminal and saying long waits. The first ctrl+c cancels what is left
/// (the summary follows); a second stops waiting for the engine.
async fn collect(
    engine: &mut EngineHandle,
    names: &HashMap<LocalId, String>,
    summary: &mut Summary,
    (waits, interrupts): (&mut Waits, &mut Interrupts),
    err: &mut dyn Write,
    shared: bool,
) {
    let progress = std::io::stderr().is_terminal();
    let total = summary.repos;
    let mut done = 0usize;
    let mut seen = std::collections::HashSet::new();
    let mut last_draw = Instant::now();
    while done < total {
        let event = tokio::select! {
            e = engine.events.recv() => e,
            () = waits.changed(err) => continue,
            () = interrupts.recv() => {
                if summary.interrupted {
                    break;
                }
                summary.interrupted = true;
                let _ = writeln!(err, "\r\x1b[2Kinterrupted: cancelling the sync (ctrl+c again to stop at once)");
                if shared {
                    // Only this run's repos: an attached run shares the host's engine.
                    for id in names.keys().filter(|id| !seen.contains(*id)) {
                        let _ = engine.commands.send(SyncCommand::Cancel(*id));
                    }
                } else {
                    let _ = engine.commands.send(SyncCommand::CancelAll);
                }
                continue;
            }
        };
        let Some(event) = event else {
            break;
        };
        if let SyncEvent::Finished {
            id, outcome, repo, ..
        } = event
            && names.contains_key(&id)
            && seen.insert(id)
        {
            // Names from the store after the sync, so renames show the new name.
            let name = repo
                .as_ref()
                .map(|r| r.key.to_string())
                .or_else(|| names.get(&id).cloned())
                .unwrap_or_else(|| id.to_string());
            done += 1;
            if outcome == Outcome::Skipped {
                summary.skipped_ids.push(id);
            }
            summary.record(name, outcome);
            if progress && (last_draw.elapsed().as_millis() >= 100 || done == total) {
                last_draw = Instant::now();
                let _ = write!(
                    err,
                    "\r\x1b[2Ksyncing {done}/{total}: {} changed, {} failed",
                    summary.changed, summary.failed
                );
            }
        }
    }
    if progress {
        let _ = writeln!(err);
    }
}

fn print_human(s: &Summary, out: &mut dyn Write, err: &mut dyn Write) {
    for (repo, change) in &s.changes {
        let _ = writeln!(
            out,
            "{}: {}",
            sanitize::line(repo),
            sanitize::line(&change.to_string())
        );
    }
    // One line per distinct failure; a stop (token, endpoint) is said once at the end instead.
    let mut groups: Vec<(FailureKind, &str, Vec<&str>)> = Vec::new();
    for (repo, kind, message) in &s.failures {
        if s.stopped.as_ref().is_some_and(|(k, _)| k == kind) {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(k, m, _)| k == kind && *m == message)
        {
            Some(g) => g.2.push(repo),
            None => groups.push((*kind, message, vec![repo])),
        }
    }
    for (kind, message, repos) in groups {
        let who = match repos.as_slice() {
            [one] => sanitize::line(one).into_owned(),
            many => {
                let shown: Vec<String> = many
                    .iter()
                    .take(3)
                    .map(|r| sanitize::line(r).into_owned())
                    .collect();
                let more = many.len().saturating_sub(3);
                let tail = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                format!("{} repositories ({}{tail})", many.len(), shown.join(", "))
            }
        };
        let _ = writeln!(err, "error: {who} ({kind}): {}", sanitize::line(message));
    }
    let _ = writeln!(
        out,
        "{} repositor{} in {:.1} s: {} synced ({} changed), {} unchanged, {} failed, {} skipped; \
         {} requests ({} not modified), points: core {}, graphql {}, search {}",
        s.repos,
        if s.repos == 1 { "y" } else { "ies" },
        s.duration_ms as f64 / 1000.0,
        s.synced,
        s.changed,
        s.unchanged,
        s.failed,
        s.skipped,
        s.requests,
        s.not_modified,
        s.points[0],
        s.points[1],
        s.points[2],
    );
    if let Some(skip) = &s.skip {
        let _ = writeln!(out, "{}", skip.line(s.skipped, Utc::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_json_has_the_documented_keys() {
        let s = Summary {
            repos: 2,
            changes: vec![("o/r".into(), Change::Stars { delta: 2 })],
            failures: vec![("o/x".into(), FailureKind::NotFound, "gone".into())],
            ..Summary::default()
        };
        let v = s.to_json();
        for key in [
            "repos",
            "synced",
            "unchanged",
            "changed",
            "failed",
            "skipped",
            "requests",
            "not_modified",
            "points",
            "duration_ms",
            "stopped",
            "changes",
            "failures",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["stopped"], false);
        let interrupted = Summary {
            interrupted: true,
            ..Summary::default()
        };
        assert_eq!(interrupted.to_json()["stopped"], true);
        let stopped = Summary {
            stopped: Some((FailureKind::Unauthorized, "rejected".into())),
            ..Summary::default()
        };
        assert_eq!(stopped.to_json()["stopped"], true);
        assert_eq!(v["points"].as_object().unwrap().len(), 3);
        assert_eq!(v["changes"][0]["repo"], "o/r");
        assert_eq!(v["changes"][0]["kind"], "stars");
        assert_eq!(v["changes"][0]["delta"], 2);
        assert_eq!(v["failures"][0]["kind"], "not_found");
    }

    #[test]
    fn change_json_is_flat_and_tagged() {
        let j = change_json(
            "o/r",
            &Change::NewCommits {
                count: 2,
                head: "abcdef123".into(),
            },
        );
        assert_eq!(j["kind"], "new_commits");
        assert_eq!(j["count"], 2);
        assert_eq!(j["text"], "2 new commits (head abcdef1)");
        assert_eq!(change_json("o/r", &Change::Archived)["kind"], "archived");
    }
}
