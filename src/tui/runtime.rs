//! The runtime: one `select!` loop over crossterm's `EventStream`, a tick, the sync engine's
//! events and store reads finished in the background. Each input becomes an `Action` for
//! `App::update`; the returned effects are carried out here (engine commands, store reads on a
//! blocking thread, browser, OSC 52, suspend). Draws only when something changed; bursts (resize
//! storms, a thousand sync events) are drained before one draw.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::{FutureExt, StreamExt};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::action::{Action, Effect};
use super::app::App;
use super::view;
use crate::domain::{LocalId, RepoKey};
use crate::session::EngineStart;
use crate::store::Store;
use crate::sync::{EngineHandle, SyncCommand, SyncEvent};

/// Tick period: the clock the UI sees (countdowns, relative times).
pub const TICK: Duration = Duration::from_millis(500);
/// At most this many queued inputs are applied before a draw.
pub const BURST: usize = 512;

/// Turns a terminal event into an action (key presses only; releases are ignored).
pub fn map_event(app: &App, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => app.keymap.action_for(app.mode(), &k),
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::ScrollDown(3)),
            MouseEventKind::ScrollUp => Some(Action::ScrollUp(3)),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click { row: m.row }),
            _ => None,
        },
        _ => None,
    }
}

struct Ctx {
    store: Arc<Store>,
    engine: Option<mpsc::UnboundedSender<SyncCommand>>,
    loads: mpsc::UnboundedSender<Action>,
    /// Set while the vault is locked: the passphrase dialog's answer goes here.
    unlocker: Option<crate::session::Unlocker>,
    unlocked: mpsc::UnboundedSender<Result<EngineHandle, crate::session::UnlockError>>,
}

/// Runs the loop until the user quits.
pub async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    store: Arc<Store>,
    engine: EngineStart,
    mouse: bool,
) -> io::Result<()> {
    let (loads_tx, mut loads) = mpsc::unbounded_channel::<Action>();
    let (unlocked_tx, mut unlocked) = mpsc::unbounded_channel();
    let (commands, mut engine_events, unlocker) = match engine {
        EngineStart::Running(h) => (Some(h.commands), Some(h.events), None),
        EngineStart::Offline => (None, None, None),
        EngineStart::Locked(u) => (None, None, Some(u)),
    };
    let locked = unlocker.is_some();
    let mut ctx = Ctx {
        store,
        engine: commands,
        loads: loads_tx,
        unlocker,
        unlocked: unlocked_tx,
    };
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let size = terminal.size()?;
    app.update(Action::Resize {
        width: size.width,
        height: size.height,
    });
    // The first screenful straight from the name index (a few records), then the whole list
    // in the background: the first frame does not wait for 10,000 records.
    if let Ok(first) = ctx.store.first_by_name(size.height as usize) {
        app.update(Action::ReposPreview(first));
    }
    run_effects(&ctx, app, terminal, mouse, vec![Effect::LoadRepos])?;
    if locked {
        app.update(Action::Engine(Box::new(SyncEvent::PassphraseNeeded {
            retry: false,
        })));
    }
    loop {
        if app.dirty {
            terminal.draw(|f| view::render(app, f))?;
            app.dirty = false;
            crate::logging::panic_point("tui-frame");
        }
        if app.quit {
            return Ok(());
        }
        let first = tokio::select! {
            ev = input.next() => match ev {
                Some(Ok(ev)) => Some(Input::Term(ev)),
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            _ = tick.tick() => Some(Input::Action(Action::Tick { now: Utc::now() })),
            ev = next_engine_event(&mut engine_events) => match ev {
                Some(ev) => Some(Input::Action(Action::Engine(Box::new(ev)))),
                None => {
                    engine_events = None;
                    app.env.engine = false;
                    Some(Input::Action(Action::Failed { message: "The sync engine stopped; the data shown is what was last synced. Restart repodeck to sync again (the log file says why).".into() }))
                }
            },
            Some(a) = loads.recv() => Some(Input::Action(a)),
            Some(r) = unlocked.recv() => match r {
                Ok(h) => {
                    ctx.engine = Some(h.commands);
                    engine_events = Some(h.events);
                    ctx.unlocker = None;
                    Some(Input::Action(Action::Unlocked))
                }
                Err(crate::session::UnlockError::WrongPassphrase) => Some(Input::Action(Action::Engine(
                    Box::new(SyncEvent::PassphraseNeeded { retry: true }),
                ))),
                Err(crate::session::UnlockError::Failed(message)) => {
                    ctx.unlocker = None;
                    Some(Input::Action(Action::Failed { message }))
                }
            },
        };
        let mut batch: Vec<Input> = first.into_iter().collect();
        // Drain what is already waiting, so bursts cost one draw.
        while batch.len() < BURST {
            if let Some(Some(Ok(ev))) = input.next().now_or_never() {
                batch.push(Input::Term(ev));
                continue;
            }
            if let Some(rx) = engine_events.as_mut()
                && let Ok(ev) = rx.try_recv()
            {
                batch.push(Input::Action(Action::Engine(Box::new(ev))));
                continue;
            }
            if let Ok(a) = loads.try_recv() {
                batch.push(Input::Action(a));
                continue;
            }
            break;
        }
        for item in batch {
            // A key typed after q must not act.
            if app.quit {
                break;
            }
            // Keys are mapped one by one, in the mode the previous key left the app in.
            let action = match item {
                Input::Term(ev) => map_event(app, ev),
                Input::Action(a) => Some(a),
            };
            if let Some(action) = action {
                let fx = app.update(action);
                run_effects(&ctx, app, terminal, mouse, fx)?;
            }
        }
    }
}

/// One thing that arrived: a terminal event (mapped late) or a ready action.
enum Input {
    Term(Event),
    Action(Action),
}

async fn next_engine_event(
    rx: &mut Option<mpsc::UnboundedReceiver<SyncEvent>>,
) -> Option<SyncEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn blocking<F>(ctx: &Ctx, f: F)
where
    F: FnOnce(&Store) -> Action + Send + 'static,
{
    let store = ctx.store.clone();
    let tx = ctx.loads.clone();
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(f(&store));
    });
}

fn failed(what: &str, e: impl std::fmt::Display) -> Action {
    Action::Failed {
        message: format!("{what}: {e}"),
    }
}

fn run_effects(
    ctx: &Ctx,
    app: &mut App,
    terminal: &mut DefaultTerminal,
    mouse: bool,
    fx: Vec<Effect>,
) -> io::Result<()> {
    for effect in fx {
        match effect {
            Effect::Quit => app.quit = true,
            Effect::Engine(SyncCommand::Unlock(pass)) if ctx.unlocker.is_some() => {
                if let Some(unlock) = ctx.unlocker.clone() {
                    let tx = ctx.unlocked.clone();
                    // The key derivation takes a while on purpose: off the UI task.
                    tokio::task::spawn_blocking(move || {
                        let _ = tx.send(unlock(pass.0));
                    });
                }
            }
            Effect::Engine(cmd) => match &ctx.engine {
                Some(tx) => {
                    if tx.send(cmd).is_err() {
                        app.update(Action::Failed {
                            message: "The sync engine is not running; restart repodeck to sync."
                                .into(),
                        });
                    }
                }
                None => offline_command(ctx, app, cmd),
            },
            Effect::LoadRepos => blocking(ctx, |s| match s.list() {
                Ok(repos) => Action::ReposLoaded(repos),
                Err(e) => {
                    // The next start checks every record and rebuilds a damaged store.
                    s.request_check();
                    failed(
                        "cannot read the tracked repositories (quit and start repodeck again: it checks the store and rebuilds it from its backup)",
                        e,
                    )
                }
            }),
            Effect::LoadDetails(local) => blocking(ctx, move |s| match s.details(local) {
                Ok(d) => Action::DetailsLoaded {
                    local,
                    details: Box::new(d),
                },
                Err(e) => failed("cannot read this repository's details", e),
            }),
            Effect::LoadActivity(repo) => {
                blocking(ctx, move |s| match s.activity(repo, None, 1000) {
                    Ok(entries) => Action::ActivityLoaded { repo, entries },
                    Err(e) => failed("cannot read the activity feed", e),
                })
            }
            Effect::LoadReleases => blocking(ctx, |s| match all_releases(s) {
                Ok(rows) => Action::ReleasesLoaded(rows),
                Err(e) => failed("cannot read releases", e),
            }),
            Effect::MarkRead(repo) => {
                let store = ctx.store.clone();
                let tx = ctx.loads.clone();
                tokio::task::spawn_blocking(move || {
                    if let Err(e) = store.mark_read(repo) {
                        let _ = tx.send(failed("cannot mark activity read", e));
                    }
                });
            }
            Effect::OpenUrl(url) => {
                if let Err(e) = open_url(&url) {
                    app.update(Action::Failed {
                        message: format!("could not open a browser ({e}). The URL: {url}"),
                    });
                }
            }
            Effect::Copy(text) => {
                let mut out = io::stdout();
                out.write_all(osc52(&text).as_bytes())?;
                out.flush()?;
            }
            Effect::Suspend => {
                let size = suspend(terminal, mouse)?;
                // The terminal may have been resized while stopped; everything is drawn anew.
                app.update(Action::Resize {
                    width: size.width,
                    height: size.height,
                });
                app.dirty = true;
            }
        }
    }
    Ok(())
}

/// Without an engine, adding and removing still work on the local store.
fn offline_command(ctx: &Ctx, app: &mut App, cmd: SyncCommand) {
    match cmd {
        SyncCommand::Track(keys) => blocking(ctx, move |s| track_locally(s, &keys)),
        SyncCommand::Untrack(local) => blocking(ctx, move |s| untrack_locally(s, local)),
        _ => {
            app.update(Action::Failed { message: "The sync engine is not running, so nothing can be fetched from GitHub right now.".into() });
        }
    }
}

fn track_locally(s: &Store, keys: &[RepoKey]) -> Action {
    let mut repos = Vec::new();
    for k in keys {
        match s.add(k).and_then(|_| s.find(k)) {
            Ok(Some(r)) => repos.push(r),
            Ok(None) => {}
            Err(e) => return failed(&format!("cannot add {k}"), e),
        }
    }
    Action::Engine(Box::new(SyncEvent::Tracked { repos }))
}

fn untrack_locally(s: &Store, local: LocalId) -> Action {
    match s.get(local) {
        Ok(Some(r)) => match s.remove(&r.key) {
            Ok(_) => Action::Engine(Box::new(SyncEvent::Untracked { id: local })),
            Err(e) => failed(&format!("cannot remove {}", r.key), e),
        },
        Ok(None) => Action::Engine(Box::new(SyncEvent::Untracked { id: local })),
        Err(e) => failed("cannot remove the repository", e),
    }
}

/// Every stored release across all repos, newest first (at most 1,000).
pub fn all_releases(s: &Store) -> crate::store::Result<Vec<(String, crate::domain::Release)>> {
    let mut out = Vec::new();
    for r in s.list()? {
        if let Some(d) = s.details(r.local)? {
            out.extend(d.releases.into_iter().map(|rel| (r.key.to_string(), rel)));
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.1.published_at));
    out.truncate(1000);
    Ok(out)
}

/// The OSC 52 sequence that asks the terminal to put `text` on the clipboard (works over SSH,
/// and in tmux with `set-clipboard on`).
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    format!(
        "\u{1b}]52;c;{}\u{7}",
        base64::engine::general_purpose::STANDARD.encode(text)
    )
}

/// Whether a browser can be opened from here: `BROWSER` is set, or there is a desktop session.
pub fn can_open_browser() -> bool {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    if set("BROWSER") {
        return true;
    }
    if cfg!(target_os = "macos") || cfg!(windows) {
        return !set("SSH_CONNECTION") && !set("SSH_TTY");
    }
    set("DISPLAY") || set("WAYLAND_DISPLAY")
}

fn open_url(url: &str) -> io::Result<()> {
    use std::process::{Command, Stdio};
    let browser = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty());
    let mut cmd = match browser {
        // BROWSER may be a list (a:b); the first is used. Its output must not reach the screen.
        Some(b) => {
            let first = b.split(':').next().unwrap_or(&b).to_string();
            let mut parts = first.split_whitespace();
            let mut c = Command::new(parts.next().unwrap_or("xdg-open"));
            c.args(parts);
            c
        }
        None if cfg!(target_os = "macos") => Command::new("open"),
        None if cfg!(windows) => {
            let mut c = Command::new("cmd");
            c.args(["/C", "start", ""]);
            c
        }
        None => Command::new("xdg-open"),
    };
    cmd.arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    Ok(())
}

/// ctrl+z: give the terminal back, stop, and take it again when resumed; returns the size then.
fn suspend(terminal: &mut DefaultTerminal, mouse: bool) -> io::Result<ratatui::layout::Size> {
    super::restore_terminal();
    #[cfg(unix)]
    {
        // SAFETY: raise() only sends a signal to this process; SIGTSTP's default action stops it
        // until the shell resumes it with SIGCONT.
        unsafe {
            libc::raise(libc::SIGTSTP);
        }
    }
    super::enter_terminal(mouse)?;
    // Not `terminal.clear()`: it asks the terminal for the cursor position, and that answer
    // races the input stream's reader. `resize` clears the screen and forgets the last frame
    // without asking anything.
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok(size)
}
