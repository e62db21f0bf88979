//! The runtime: one `select!` loop over crossterm's `EventStream`, a tick, the sync engine's
//! events, store reads finished in the background and the vault's unlock result. It only feeds
//! actions in and carries effects out: each input becomes an `Action` for `App::update`, and the
//! returned effects are carried out here (engine commands, unlocking through
//! `crate::session::Unlocker`, store reads on a blocking thread, browser, OSC 52, suspend); an
//! effect that answers with an action goes through `update` again (`apply`). Draws only when
//! something changed; bursts (resize storms, a thousand sync events) are drained before one draw.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, KeyEventKind, MouseButton, MouseEventKind};
use futures::{FutureExt, StreamExt};
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use super::action::{Action, Effect, Passphrase, UserRun, UserRunDone};
use super::app::App;
use super::view;
use crate::host::Host;
use crate::host::client::AttachedSource;
use crate::host::source::{DataSource, SourceError};
use crate::session::{EngineStart, UnlockError, Unlocker};
use crate::sync::{EngineHandle, SyncCommand, SyncEvent, tracking};

/// Tick period: the clock the UI sees (countdowns, relative times).
pub const TICK: Duration = Duration::from_millis(500);
/// At most this many queued inputs are applied before a draw.
pub const BURST: usize = 512;

/// Turns a terminal event into an action (key presses only; releases are ignored).
pub fn map_event(app: &App, ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            // A key no built-in action has here may be one of the user's `[[commands]]`.
            app.keymap().action_for(app.mode(), &k).or_else(|| {
                super::keymap::Key::from_event(&k).and_then(|key| app.command_for_key(key))
            })
        }
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

/// Carries out effects. `apply` hands each effect of an update here; an effect may answer with an
/// action (a failure to report, the terminal's size after a suspend), which goes back through
/// `update`, and the effects of that update are carried out in turn: none is dropped.
pub trait Runner {
    fn run(&mut self, effect: Effect) -> io::Result<Option<Action>>;
}

/// Applies `action` to `app` and carries out what it returns with `runner`.
pub fn apply(app: &mut App, action: Action, runner: &mut impl Runner) -> io::Result<()> {
    let fx = app.update(action);
    run_all(app, fx, runner)
}

/// Carries out `fx` in order; an action an effect answers with is applied before the next effect.
pub fn run_all(app: &mut App, fx: Vec<Effect>, runner: &mut impl Runner) -> io::Result<()> {
    for effect in fx {
        if let Some(next) = runner.run(effect)? {
            apply(app, next, runner)?;
        }
    }
    Ok(())
}

/// The store the TUI reads: the local one, or the host's it is attached to.
pub type Source = Arc<dyn DataSource + Send + Sync>;

/// What `t` got: the store opened here (this process hosts it now), or the view that took it
/// over first, attached to.
pub enum TakenOver {
    Local {
        store: Arc<crate::store::Store>,
        /// `None` when the socket could not be made: the TUI then runs alone.
        host: Option<Arc<Host>>,
        engine: EngineStart,
    },
    Attached(Arc<crate::host::client::Attached>),
}

/// Takes the store over once its host has gone (blocking: opening the store, waiting for a
/// winner's socket); called on a blocking thread inside the runtime. The error is the message
/// to show.
pub type TakeOver = Arc<dyn Fn() -> Result<TakenOver, String> + Send + Sync>;

/// What the loop holds to carry effects out: the terminal, the store, the engine's command
/// sender (none offline or while locked), the unlocker while the vault is locked, and the senders
/// background work answers on.
struct Runtime<'t> {
    terminal: &'t mut DefaultTerminal,
    mouse: bool,
    store: Source,
    engine: Option<mpsc::UnboundedSender<SyncCommand>>,
    loads: mpsc::UnboundedSender<Action>,
    /// Set while the vault is locked: the passphrase dialog's answer goes here.
    unlocker: Option<Unlocker>,
    unlocked: mpsc::UnboundedSender<Result<EngineHandle, UnlockError>>,
    /// An attached view's way to take the store over when its host has gone.
    takeover: Option<TakeOver>,
    took: mpsc::UnboundedSender<Result<TakenOver, String>>,
    /// The host this view became by taking over; kept while the loop runs.
    host: Option<Arc<Host>>,
    /// `Effect::Quit` was carried out.
    quit: bool,
    /// `[[notify]]`: bells and OSC notifications go to the terminal between frames.
    notify: Notify,
    /// A terminal-mode `[[commands]]` run waiting for the loop to hand the terminal over.
    handover: Option<UserRun>,
}

/// The TUI's notifications: the rules, and whether this process runs their commands (the one
/// that syncs does; an attached view only rings its own terminal).
pub struct Notify {
    pub notifier: crate::notify::Notifier,
    pub commands: bool,
}

/// Everything the loop waits on.
struct Inputs {
    /// `None` only while a `[[commands]]` program has the terminal.
    term: Option<EventStream>,
    tick: tokio::time::Interval,
    engine: Option<mpsc::UnboundedReceiver<SyncEvent>>,
    loads: mpsc::UnboundedReceiver<Action>,
    unlocked: mpsc::UnboundedReceiver<Result<EngineHandle, UnlockError>>,
    took: mpsc::UnboundedReceiver<Result<TakenOver, String>>,
}

/// One thing that arrived: a terminal event (mapped late) or a ready action.
enum Input {
    Term(Event),
    Action(Action),
}

/// Runs the loop until the user quits. `takeover` is an attached view's way to take the store
/// over once its host has gone (`t`).
pub async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    (store, engine): (Source, EngineStart),
    mouse: bool,
    takeover: Option<TakeOver>,
    notify: Notify,
) -> io::Result<()> {
    let (loads_tx, loads) = mpsc::unbounded_channel::<Action>();
    let (unlocked_tx, unlocked) = mpsc::unbounded_channel();
    let (took_tx, took) = mpsc::unbounded_channel();
    let (commands, events, unlocker) = match engine {
        EngineStart::Running(h) => (Some(h.commands), Some(h.events), None),
        EngineStart::Offline => (None, None, None),
        EngineStart::Locked(u) => (None, None, Some(u)),
    };
    let locked = unlocker.is_some();
    let mut rt = Runtime {
        terminal,
        mouse,
        store,
        engine: commands,
        loads: loads_tx,
        unlocker,
        unlocked: unlocked_tx,
        takeover,
        took: took_tx,
        host: None,
        quit: false,
        notify,
        handover: None,
    };
    let mut inputs = Inputs {
        term: Some(EventStream::new()),
        tick: tokio::time::interval(TICK),
        engine: events,
        loads,
        unlocked,
        took,
    };
    inputs
        .tick
        .set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    rt.start(app, locked)?;
    loop {
        if app.take_dirty() {
            rt.terminal.draw(|f| view::render(app, f))?;
            crate::logging::panic_point("tui-frame");
        }
        if rt.quit {
            return Ok(());
        }
        let Some(first) = inputs.next(&mut rt).await? else {
            return Ok(());
        };
        for item in inputs.drain(first) {
            // A key typed after q must not act.
            if rt.quit {
                break;
            }
            // Keys are mapped one by one, in the mode the previous key left the app in.
            let action = match item {
                Input::Term(ev) => map_event(app, ev),
                Input::Action(a) => Some(a),
            };
            if let Some(a) = &action {
                rt.notify(a);
            }
            if let Some(action) = action {
                apply(app, action, &mut rt)?;
            }
            if let Some(run) = rt.handover.take() {
                for a in hand_over(&mut rt, &mut inputs, run).await? {
                    apply(app, a, &mut rt)?;
                }
            }
        }
    }
}

impl Inputs {
    /// Waits for the next input; `None` when the terminal's event stream ended.
    async fn next(&mut self, rt: &mut Runtime<'_>) -> io::Result<Option<Input>> {
        let input = tokio::select! {
            ev = next_term_event(&mut self.term) => match ev {
                Some(Ok(ev)) => Input::Term(ev),
                Some(Err(e)) => return Err(e),
                None => return Ok(None),
            },
            _ = self.tick.tick() => Input::Action(Action::Tick { now: Utc::now() }),
            ev = next_engine_event(&mut self.engine) => match ev {
                Some(ev) => Input::Action(Action::Engine(Box::new(ev))),
                None => {
                    self.engine = None;
                    Input::Action(Action::EngineStopped)
                }
            },
            Some(a) = self.loads.recv() => Input::Action(a),
            Some(r) = self.unlocked.recv() => Input::Action(self.unlock_result(rt, r)),
            Some(r) = self.took.recv() => Input::Action(self.took_over(rt, r)),
        };
        Ok(Some(input))
    }

    /// What `t` got: the store and engine the loop uses from now on.
    fn took_over(&mut self, rt: &mut Runtime<'_>, result: Result<TakenOver, String>) -> Action {
        match result {
            Ok(TakenOver::Local {
                store,
                host,
                engine,
            }) => {
                let notices = store.take_notices();
                rt.store = store;
                rt.host = host;
                // This process syncs now: its `[[notify]]` commands run here.
                rt.notify.commands = true;
                let (running, locked) = match engine {
                    EngineStart::Running(h) => {
                        rt.engine = Some(h.commands);
                        self.engine = Some(h.events);
                        (true, false)
                    }
                    EngineStart::Locked(unlock) => {
                        rt.unlocker = Some(unlock);
                        (false, true)
                    }
                    EngineStart::Offline => (false, false),
                };
                Action::TookOver {
                    pid: std::process::id(),
                    engine: running,
                    locked,
                    notices,
                }
            }
            Ok(TakenOver::Attached(conn)) => {
                let host = super::host_label(conn.info());
                match conn.engine() {
                    Some(h) => {
                        rt.engine = Some(h.commands);
                        self.engine = Some(h.events);
                    }
                    None => rt.engine = None,
                }
                rt.store = Arc::new(AttachedSource::in_runtime(conn));
                Action::Reattached { host }
            }
            Err(message) => Action::TakeOverFailed { message },
        }
    }

    /// What unlocking gave: a running engine is attached; a wrong passphrase asks again.
    fn unlock_result(
        &mut self,
        rt: &mut Runtime<'_>,
        result: Result<EngineHandle, UnlockError>,
    ) -> Action {
        match result {
            Ok(h) => {
                rt.engine = Some(h.commands);
                self.engine = Some(h.events);
                rt.unlocker = None;
                Action::Unlocked
            }
            Err(UnlockError::WrongPassphrase) => Action::PassphraseNeeded { retry: true },
            Err(UnlockError::Failed(message)) => {
                rt.unlocker = None;
                Action::Failed { message }
            }
        }
    }

    /// `first` and what is already waiting behind it, so bursts cost one draw.
    fn drain(&mut self, first: Input) -> Vec<Input> {
        let mut batch = vec![first];
        while batch.len() < BURST {
            if let Some(Some(Ok(ev))) = self.term.as_mut().and_then(|t| t.next().now_or_never()) {
                batch.push(Input::Term(ev));
                continue;
            }
            if let Some(rx) = self.engine.as_mut()
                && let Ok(ev) = rx.try_recv()
            {
                batch.push(Input::Action(Action::Engine(Box::new(ev))));
                continue;
            }
            if let Ok(a) = self.loads.try_recv() {
                batch.push(Input::Action(a));
                continue;
            }
            break;
        }
        batch
    }
}

async fn next_term_event(term: &mut Option<EventStream>) -> Option<io::Result<Event>> {
    match term {
        Some(t) => t.next().await,
        None => std::future::pending().await,
    }
}

async fn next_engine_event(
    rx: &mut Option<mpsc::UnboundedReceiver<SyncEvent>>,
) -> Option<SyncEvent> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn failed(what: &str, e: impl std::fmt::Display) -> Action {
    Action::Failed {
        message: format!("{what}: {e}"),
    }
}

impl Runtime<'_> {
    /// The first frame's state: the terminal's size, the first screenful straight from the name
    /// index (a few records), then the whole list in the background, so the first frame does not
    /// wait for 10,000 records; and the passphrase dialog when the vault is locked.
    fn start(&mut self, app: &mut App, locked: bool) -> io::Result<()> {
        let size = self.terminal.size()?;
        let resize = Action::Resize {
            width: size.width,
            height: size.height,
        };
        apply(app, resize, self)?;
        // Straight from the local store; an attached view's reads block, so its first screenful
        // is asked for on a blocking thread, beside the whole list (a preview arriving after the
        // list is ignored).
        let rows = size.height as usize;
        match self.store.local().map(|s| s.first_by_name(rows)) {
            Some(Ok(first)) => apply(app, Action::ReposPreview(first), self)?,
            Some(Err(_)) => {}
            None => {
                let (store, tx) = (self.store.clone(), self.loads.clone());
                tokio::task::spawn_blocking(move || {
                    if let Ok(first) = store.first_by_name(rows) {
                        let _ = tx.send(Action::ReposPreview(first));
                    }
                });
            }
        }
        run_all(app, vec![Effect::LoadRepos], self)?;
        if locked {
            apply(app, Action::PassphraseNeeded { retry: false }, self)?;
        }
        Ok(())
    }

    /// Runs `f` over the store on a blocking thread; its actions come back through `loads`.
    /// Notifications for new activity (and a rate-cap summary on a tick), written through the
    /// backend's writer: between frames, never inside one.
    fn notify(&mut self, action: &Action) {
        if self.notify.notifier.is_empty() {
            return;
        }
        let (now, local) = crate::notify::clock();
        let due = match action {
            Action::Engine(ev) => match ev.as_ref() {
                SyncEvent::Activity(entries) => {
                    self.notify.notifier.on_activity(entries, now, local)
                }
                _ => return,
            },
            Action::Tick { .. } => self.notify.notifier.tick(now, local),
            _ => return,
        };
        let term: &mut dyn Write = self.terminal.backend_mut();
        crate::notify::deliver(due, Some(term), self.notify.commands);
    }

    fn blocking_many<F>(&self, f: F)
    where
        F: FnOnce(&dyn DataSource) -> Vec<Action> + Send + 'static,
    {
        let store = self.store.clone();
        let tx = self.loads.clone();
        tokio::task::spawn_blocking(move || {
            for a in f(store.as_ref()) {
                let _ = tx.send(a);
            }
        });
    }

    fn blocking<F>(&self, f: F)
    where
        F: FnOnce(&dyn DataSource) -> Action + Send + 'static,
    {
        self.blocking_many(move |s| vec![f(s)]);
    }

    fn send(&self, cmd: SyncCommand) -> Option<Action> {
        match &self.engine {
            Some(tx) => tx.send(cmd).is_err().then(|| Action::Failed {
                message: "The sync engine is not running; restart repodeck to sync.".into(),
            }),
            None => self.offline(cmd),
        }
    }

    /// Without an engine, adding and removing still work on the local store, through the same
    /// functions the engine runs.
    fn offline(&self, cmd: SyncCommand) -> Option<Action> {
        let event = |ev| Action::Engine(Box::new(ev));
        let no_store = || Action::Failed {
            message: "The store is not open here; restart repodeck.".into(),
        };
        match cmd {
            SyncCommand::Track(keys) => self.blocking_many(move |s| {
                let Some(s) = s.local() else {
                    return vec![no_store()];
                };
                let mut out = Vec::new();
                tracking::track(s, &keys, |ev| out.push(event(ev)));
                out
            }),
            SyncCommand::Untrack(id) => self.blocking(move |s| match s.local() {
                Some(s) => event(tracking::untrack(s, id)),
                None => no_store(),
            }),
            // The Overview shows the stored statistics; new ones need the engine.
            SyncCommand::FetchStats(id) => self.blocking(move |s| {
                let stored = s.local().map(|s| s.stats_get(id));
                event(match stored {
                    Some(Ok(Some(stats))) => SyncEvent::StatsFetched {
                        id,
                        stats: Box::new(stats),
                    },
                    _ => SyncEvent::StatsFailed {
                        id,
                        message: "statistics are fetched when the sync engine runs (unlock the token vault, or start repodeck online)".into(),
                    },
                })
            }),
            // The stored details already carry the extras fetched before; new ones need the
            // engine, and the lists show without them.
            SyncCommand::FetchItems(_) => {}
            // The store's rows still show without an engine; the search needs one.
            SyncCommand::Attention => self.blocking(move |s| match s.local() {
                Some(s) => event(crate::sync::attention::load_offline(
                    s,
                    chrono::Utc::now(),
                    "no sync engine runs here (no token, or the vault is still locked): run `repodeck token set` or unlock the vault, then press r",
                )),
                None => event(SyncEvent::AttentionFailed {
                    message: "the host this view was attached to has stopped: press t to take the store over".into(),
                }),
            }),
            SyncCommand::AttentionSeen { at } => self.blocking_many(move |s| {
                if let Some(s) = s.local() {
                    crate::sync::attention::mark_seen(s, at);
                }
                Vec::new()
            }),
            _ => {
                return Some(Action::Failed {
                    message: "The sync engine is not running, so nothing can be fetched from GitHub right now.".into(),
                });
            }
        }
        None
    }

    /// The passphrase dialog's answer: unlocking runs off the UI task (the key derivation takes
    /// a while on purpose) and answers through `unlocked`.
    fn unlock(&self, pass: Passphrase) -> Option<Action> {
        let Some(unlock) = self.unlocker.clone() else {
            return Some(Action::Failed {
                message: "the token vault is already unlocked".into(),
            });
        };
        let tx = self.unlocked.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(unlock(pass.0));
        });
        None
    }

    /// `t`: takes the store over on a blocking thread; the answer comes back through `took`.
    fn take_over(&self) -> Option<Action> {
        let Some(take) = self.takeover.clone() else {
            return Some(Action::TakeOverFailed {
                message: "this view cannot take the store over: quit and start repodeck again"
                    .into(),
            });
        };
        let tx = self.took.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(take());
        });
        None
    }

    fn load(&self, effect: Effect) {
        match effect {
            Effect::LoadRepos => self.blocking(|s| match s.list() {
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
            Effect::LoadDetails(local) => self.blocking(move |s| match s.details(local) {
                Ok(d) => Action::DetailsLoaded {
                    local,
                    details: Box::new(d),
                },
                Err(e) => failed("cannot read this repository's details", e),
            }),
            Effect::LoadActivity(repo) => {
                self.blocking(move |s| match s.activity(repo, None, 1000) {
                    Ok(entries) => Action::ActivityLoaded { repo, entries },
                    Err(e) => failed("cannot read the activity feed", e),
                })
            }
            Effect::LoadReleases => self.blocking(|s| match all_releases(s) {
                Ok(rows) => Action::ReleasesLoaded(rows),
                Err(e) => failed("cannot read releases", e),
            }),
            Effect::LoadTokenUse => self.blocking(|s| {
                let since = chrono::Utc::now() - chrono::Duration::hours(24);
                // The log is in the host's store; an attached view shows no per-token figures.
                let Some(store) = s.local() else {
                    return Action::TokenUseLoaded(crate::domain::token_use(&[]));
                };
                match store.audit_since(since) {
                    Ok(records) => Action::TokenUseLoaded(crate::domain::token_use(&records)),
                    Err(e) => failed("cannot read the token-use audit log", e),
                }
            }),
            Effect::MarkRead(repo) => self.blocking_many(move |s| match s.mark_read(repo) {
                Ok(_) => Vec::new(),
                Err(e) => vec![failed("cannot mark activity read", e)],
            }),
            _ => {}
        }
    }
}

impl Runner for Runtime<'_> {
    fn run(&mut self, effect: Effect) -> io::Result<Option<Action>> {
        let answer = match effect {
            Effect::Quit => {
                self.quit = true;
                None
            }
            Effect::Unlock(pass) => self.unlock(pass),
            Effect::TakeOver => self.take_over(),
            Effect::Engine(cmd) => self.send(cmd),
            Effect::OpenUrl(url) => open_url(&url).err().map(|e| Action::Failed {
                message: format!("could not open a browser ({e}). The URL: {url}"),
            }),
            Effect::Copy(text) => {
                let mut out = io::stdout();
                out.write_all(osc52(&text).as_bytes())?;
                out.flush()?;
                None
            }
            Effect::RunUserCommand(run) if run.background => {
                let tx = self.loads.clone();
                tokio::spawn(async move {
                    let done = run_captured(run).await;
                    let _ = tx.send(Action::UserCommandDone(Box::new(done)));
                });
                None
            }
            Effect::RunUserCommand(run) => {
                self.handover = Some(run);
                None
            }
            Effect::Suspend => {
                // The terminal may have been resized while stopped; everything is drawn anew.
                let size = suspend(self.terminal, self.mouse)?;
                Some(Action::Resize {
                    width: size.width,
                    height: size.height,
                })
            }
            load => {
                self.load(load);
                None
            }
        };
        Ok(answer)
    }
}

/// Every stored release across all repos, newest first (at most 1,000).
pub fn all_releases(
    s: &dyn DataSource,
) -> Result<Vec<(String, crate::domain::Release)>, SourceError> {
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
#[cfg_attr(
    unix,
    expect(
        unsafe_code,
        reason = "raise(SIGTSTP) is the one FFI call: ctrl+z stops the process"
    )
)]
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

/// Most of a background command's output kept (the end of it).
const OUTPUT_CAP: usize = 64 * 1024;

/// Runs a background `[[commands]]` program with stdin closed and its output captured: no shell,
/// each argument as given. Never touches the terminal.
pub(crate) async fn run_captured(run: UserRun) -> UserRunDone {
    let mut done = UserRunDone::new(run.label, true);
    let Some((program, args)) = run.argv.split_first() else {
        done.error = Some("no program to run".into());
        return done;
    };
    let out = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    match out {
        Ok(out) => {
            done.code = out.status.code();
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            let err = String::from_utf8_lossy(&out.stderr);
            if !err.trim().is_empty() {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&err);
            }
            if text.len() > OUTPUT_CAP {
                let mut cut = text.len() - OUTPUT_CAP;
                while !text.is_char_boundary(cut) {
                    cut += 1;
                }
                text.drain(..cut);
            }
            done.output = text;
        }
        Err(e) => done.error = Some(format!("{program}: {e}")),
    }
    done
}

/// A terminal-mode `[[commands]]` run: the terminal goes to the program as for ctrl+z (main
/// screen, cooked mode), the loop's key reader is stopped so it takes none of the program's
/// keys, and Enter after it exits brings the UI back. Returns the actions that follow: the size
/// now (everything is drawn anew) and how the run ended.
async fn hand_over(
    rt: &mut Runtime<'_>,
    inputs: &mut Inputs,
    run: UserRun,
) -> io::Result<Vec<Action>> {
    // Dropping the stream wakes its reader thread out of its wait and ends it. Only then may a
    // new one be made: making one takes the reader's lock, which that wait holds.
    inputs.term = None;
    super::restore_terminal();
    let done = run_in_terminal(run).await;
    inputs.term = Some(EventStream::new());
    super::enter_terminal(rt.mouse)?;
    let size = rt.terminal.size()?;
    rt.terminal
        .resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))?;
    Ok(vec![
        Action::Resize {
            width: size.width,
            height: size.height,
        },
        Action::UserCommandDone(Box::new(done)),
    ])
}

async fn run_in_terminal(run: UserRun) -> UserRunDone {
    let mut done = UserRunDone::new(run.label, false);
    let Some((program, args)) = run.argv.split_first() else {
        done.error = Some("no program to run".into());
        return done;
    };
    // ctrl+c and ctrl+\ in the program reach this process group too: listening for them keeps
    // repodeck alive (the program gets the default action back when it starts).
    #[cfg(unix)]
    let _guards = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::quit()).ok(),
        )
    };
    let status = tokio::process::Command::new(program)
        .args(args)
        .status()
        .await;
    let said = match status {
        Ok(s) => {
            done.code = s.code();
            match s.code() {
                Some(c) => format!("exited {c}"),
                None => "stopped by a signal".into(),
            }
        }
        Err(e) => {
            done.error = Some(format!("{program}: {e}"));
            format!("could not run {program}: {e}")
        }
    };
    let mut out = io::stdout();
    let _ = write!(out, "\n[repodeck] {said}; press Enter to return ");
    let _ = out.flush();
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        io::stdin().read_line(&mut line)
    })
    .await;
    done
}
