//! `repodeck activity --follow [--json]`: prints new changes as the engine detects them, like
//! `tail -f`, until Ctrl-C (exit 0). On its own it owns the store, runs the engine's periodic
//! sync (`sync.interval`, one background pass at start) and hosts the data directory, so `sync`
//! and the TUI attach to it; attached to a running repodeck (the TUI, `serve`) it prints the
//! host's pushed `SyncEvent::Activity`. The `[[notify]]` rules ring this terminal (stderr when
//! stdout carries `--json`); their commands run where the engine runs (here when local).

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use chrono::Local;

use super::{CliError, Status};
use crate::domain::ActivityEntry;
use crate::host::client::AttachedSource;
use crate::host::{Host, HostKind};
use crate::notify::{self, Sink};
use crate::sanitize;
use crate::session::{Clients, Context};
use crate::store::Store;
use crate::sync::{EngineHandle, Priority, SyncCommand, SyncEvent};

/// How often the notifier's rate-cap windows are checked for a summary.
const NOTIFY_TICK: Duration = Duration::from_secs(5);

/// What `activity --follow` prints.
#[derive(Debug, Clone)]
pub struct FollowArgs {
    /// Only this repository's changes (`owner/name`, any case).
    pub repo: Option<String>,
    pub json: bool,
}

/// Alone: the engine is this process's (and hosted for others).
pub fn run_local(
    ctx: &Context,
    store: Store,
    args: &FollowArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    check_repo(args)?;
    let store = Arc::new(store);
    let rt = crate::session::runtime()?;
    let result = rt.block_on(async {
        let clients = Clients::from_env(ctx, &store)?;
        let client = clients.client.clone();
        let engine = clients.start_engine(store.clone(), ctx.config.clone(), false);
        // Hosting is what lets `sync` and the TUI work while this runs; without it, it follows
        // alone.
        let (_host, engine) = match Host::start(&ctx.data_dir, store.clone(), HostKind::Follow) {
            Ok(h) => {
                let e = h.adopt(engine, Some(client));
                (Some(h), e)
            }
            Err(e) => {
                tracing::warn!(error = %e, "not hosting attached views");
                (None, engine)
            }
        };
        let _ = engine.commands.send(SyncCommand::SyncAll {
            force: false,
            priority: Priority::Background,
        });
        let every = match ctx.config.sync.interval {
            Some(d) => format!("syncing every {}", crate::config::format_duration(d)),
            None => "one pass now; sync.interval is off, so later changes appear when `repodeck sync` runs".into(),
        };
        let _ = writeln!(err, "following activity ({every}); Ctrl-C stops");
        let sink = Sink::new(&ctx.config.notify, args.json, true);
        let commands = engine.commands.clone();
        let ended = "the sync engine stopped; run `repodeck activity --follow` again".to_string();
        let end = follow(engine, sink, args, None, ended, out).await;
        let _ = commands.send(SyncCommand::Shutdown);
        end
    });
    if let Err(e) = store.flush() {
        tracing::warn!(error = %e, "final store flush failed");
    }
    // Requests still in flight to GitHub are cut off, not awaited.
    rt.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Attached: the host's engine syncs; its events are printed here.
pub fn run_attached(
    ctx: &Context,
    src: &AttachedSource,
    args: &FollowArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    check_repo(args)?;
    let conn = src.conn();
    let _ = writeln!(
        err,
        "following activity, attached to {}; Ctrl-C stops",
        conn.info()
    );
    // The host runs the notify commands; this view rings its own terminal.
    let sink = Sink::new(&ctx.config.notify, args.json, false);
    let ended = format!(
        "the repodeck hosting this data directory ({}) stopped; run `repodeck activity --follow` again",
        conn.info()
    );
    // Subscribing spawns the connection's command task: inside the runtime.
    src.block_on(async {
        let engine = conn.engine().ok_or_else(|| {
            CliError::Failed("internal: the host's engine was taken twice".into())
        })?;
        follow(engine, sink, args, Some(conn.gone()), ended, out).await
    })
}

fn check_repo(args: &FollowArgs) -> Result<(), CliError> {
    if let Some(r) = &args.repo {
        crate::domain::RepoKey::parse(r).map_err(|e| CliError::Input(e.to_string()))?;
    }
    Ok(())
}

/// Prints activity until Ctrl-C (Ok), or the engine's or the host's end (`ended`, exit 1).
async fn follow(
    mut engine: EngineHandle,
    mut sink: Sink,
    args: &FollowArgs,
    gone: Option<tokio_util::sync::CancellationToken>,
    ended: String,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let mut interrupt = Box::pin(tokio::signal::ctrl_c());
    let gone = gone.unwrap_or_default();
    let mut tick = tokio::time::interval(NOTIFY_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = &mut interrupt => return Ok(Status::Ok),
            () = gone.cancelled() => return Err(CliError::Failed(ended)),
            _ = tick.tick() => sink.tick(),
            ev = engine.events.recv() => match ev {
                Some(SyncEvent::Activity(entries)) => {
                    let entries: Vec<ActivityEntry> = entries
                        .into_iter()
                        .filter(|e| wanted(args, e))
                        .collect();
                    if print(&entries, args.json, out).is_err() {
                        // stdout closed (`| head`): nothing left to follow for.
                        return Ok(Status::Ok);
                    }
                    sink.activity(&entries);
                }
                Some(_) => {}
                None => return Err(CliError::Failed(ended)),
            },
        }
    }
}

fn wanted(args: &FollowArgs, e: &ActivityEntry) -> bool {
    args.repo
        .as_deref()
        .is_none_or(|r| r.eq_ignore_ascii_case(&e.full_name))
}

/// One line per change: JSON lines (as `activity --json` prints each entry), or local time,
/// repository and change.
fn print(entries: &[ActivityEntry], json: bool, out: &mut dyn Write) -> std::io::Result<()> {
    for e in entries {
        if json {
            writeln!(out, "{}", notify::entry_json(e))?;
        } else {
            writeln!(
                out,
                "{} {:<40} {}",
                e.at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S"),
                sanitize::truncate_chars(&sanitize::line(&e.full_name), 40),
                sanitize::line(&e.change.to_string()),
            )?;
        }
    }
    out.flush()
}
