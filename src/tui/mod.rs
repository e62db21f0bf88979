//! The terminal UI: the ONLY module that names `ratatui`, `crossterm` or `tui_input`.
//! `runtime` runs the loop, `app/` holds the state and the pure `update`, `view` and `screens/`
//! render it, `keymap` maps keys to `action`s, `theme` holds every style. It talks to the sync
//! engine only through `crate::sync`'s commands and events, unlocks the vault through
//! `crate::session::Unlocker`, and reads the local store.

pub mod action;
pub mod app;
pub mod headless;
pub mod keymap;
pub mod runtime;
pub mod screens;
pub mod theme;
pub mod view;
pub mod widgets;

#[cfg(test)]
mod attention_tests;
#[cfg(test)]
mod overview_tests;
#[cfg(test)]
mod tests;

use std::io;
use std::sync::Arc;

use chrono::Utc;

use crate::host::HostInfo;
use crate::host::client::{Attached, AttachedSource};
use crate::session::{Context, EngineStart};
use crate::store::Store;

use app::{App, Env};
use keymap::Keymap;
use theme::Theme;

/// Set while the TUI owns the terminal, so the panic hook touches the terminal only then.
static TERMINAL_TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Leaves the alternate screen, mouse capture and raw mode; does nothing when the TUI does not
/// hold the terminal (a CLI command's panic prints plainly).
pub fn restore_terminal() {
    if !TERMINAL_TAKEN.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        crossterm::event::DisableMouseCapture,
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Raw mode, alternate screen, and mouse capture when asked for.
pub fn enter_terminal(mouse: bool) -> io::Result<()> {
    TERMINAL_TAKEN.store(true, std::sync::atomic::Ordering::SeqCst);
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    if mouse {
        crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture)?;
    }
    Ok(())
}

/// Installs color-eyre's panic and error hooks so that the terminal is restored before anything
/// is printed.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        tracing::error!("panic: {info}");
        panic_hook(info);
    }));
    Ok(())
}

/// Checks config `[keys]` the way the TUI will read it (unknown actions, bad keys, conflicts), so
/// a bad entry is a config error for every command, not a surprise when the TUI starts.
pub fn check_keys(
    keys: &std::collections::BTreeMap<String, String>,
) -> Result<(), keymap::KeyConfigError> {
    Keymap::with_overrides(keys).map(|_| ())
}

/// Checks `[[commands]]` keys the way the TUI will bind them (a key that does not parse, one a
/// built-in action or another command already has on that screen), so a bad entry is a config
/// error for every command. The message names the entry and the fix.
pub fn check_commands(config: &crate::config::Config) -> Result<(), String> {
    let keymap = Keymap::with_overrides(&config.keys).map_err(|e| e.to_string())?;
    app::bind_commands(&config.commands, &keymap).map(|_| ())
}

/// Builds the app from the configuration (keymap errors surface here, before the terminal is
/// taken).
pub fn build_app(ctx: &Context, engine: bool) -> io::Result<App> {
    let keymap = Keymap::with_overrides(&ctx.config.keys).map_err(io::Error::other)?;
    let commands = app::bind_commands(&ctx.config.commands, &keymap).map_err(io::Error::other)?;
    let ui = &ctx.config.ui;
    let theme = Theme::new(&ui.theme, Theme::no_color_from_env(), ui.ascii);
    let env = Env {
        can_browse: runtime::can_open_browser(),
        stale_after: app::stale_after(ctx.config.sync.interval),
        engine,
        reserve: ctx.config.github.reserve.to_string(),
        host: None,
        utc_offset: chrono::Local::now().offset().local_minus_utc(),
    };
    Ok(App::new(Utc::now(), theme, keymap, env).with_commands(commands))
}

/// Runs the TUI until the user quits, inside the caller's tokio runtime (so the engine shares
/// it). `engine` says whether a sync engine runs, the vault waits for a passphrase, or the store
/// is browsed offline (adding and removing still work).
pub async fn run(ctx: &Context, store: Arc<Store>, engine: EngineStart) -> io::Result<()> {
    let mut app = build_app(ctx, matches!(engine, EngineStart::Running(_)))?;
    for notice in store.take_notices() {
        app.store_notice(&notice);
    }
    run_app(ctx, &mut app, (store, engine), None, true).await
}

/// Runs the TUI attached to the repodeck that hosts the data dir: it reads through the host's
/// socket, the host's engine runs its work keys, and the header says whose store it is. When the
/// host goes away, `t` runs `takeover` (open the store here and host it).
pub async fn run_attached(
    ctx: &Context,
    conn: Arc<Attached>,
    takeover: runtime::TakeOver,
) -> io::Result<()> {
    let mut app = build_app(ctx, true)?;
    app.set_host(Some(host_label(conn.info())));
    let engine = match conn.engine() {
        Some(h) => EngineStart::Running(h),
        None => EngineStart::Offline,
    };
    let source: runtime::Source = Arc::new(AttachedSource::in_runtime(conn));
    run_app(ctx, &mut app, (source, engine), Some(takeover), false).await
}

/// The header's words for the host: `attached to serve, pid N` (`, live` for a daemon that
/// receives webhooks).
pub fn host_label(info: &HostInfo) -> String {
    let live = if info.live { ", live" } else { "" };
    format!("attached to {info}{live}")
}

async fn run_app(
    ctx: &Context,
    app: &mut App,
    (source, engine): (runtime::Source, EngineStart),
    takeover: Option<runtime::TakeOver>,
    hosted: bool,
) -> io::Result<()> {
    let mouse = ctx.config.ui.mouse;
    let notify = runtime::Notify {
        notifier: crate::notify::Notifier::from_env(&ctx.config.notify),
        commands: hosted,
    };
    TERMINAL_TAKEN.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut terminal = ratatui::init();
    if mouse {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::EnableMouseCapture);
    }
    let result = runtime::event_loop(
        &mut terminal,
        app,
        (source, engine),
        mouse,
        takeover,
        notify,
    )
    .await;
    // Only this: `ratatui::restore()` as well would leave the alternate screen a second time,
    // and terminals such as tmux then restore a cursor saved before a suspend and a resize.
    restore_terminal();
    result
}
