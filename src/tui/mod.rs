//! The terminal UI: the ONLY module that names `ratatui`, `crossterm` or `tui_input`.
//! This is the minimal home screen (tracked repos, j/k, q); the full command center grows here.

use std::io;
use std::time::Duration;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph};
use ratatui::{DefaultTerminal, Frame};

use crate::commands::Context;
use crate::domain::TrackedRepo;
use crate::sanitize;
use crate::store::Store;

/// Leaves the alternate screen and raw mode; safe to call when the terminal was never set up.
pub fn restore_terminal() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        crossterm::terminal::LeaveAlternateScreen,
        crossterm::cursor::Show
    );
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

struct Home {
    repos: Vec<TrackedRepo>,
    state: ListState,
}

/// Runs the TUI until the user quits.
pub fn run(_ctx: &Context, store: Store) -> io::Result<()> {
    let repos = store.list().map_err(io::Error::other)?;
    let mut home = Home {
        repos,
        state: ListState::default().with_selected(Some(0)),
    };
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &mut home);
    ratatui::restore();
    result
}

fn event_loop(terminal: &mut DefaultTerminal, home: &mut Home) -> io::Result<()> {
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|f| render(f, home))?;
            dirty = false;
        }
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        match event::read()? {
            Event::Key(k) if k.kind == KeyEventKind::Press => {
                let n = home.repos.len();
                match k.code {
                    KeyCode::Char('q') => return Ok(()),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(());
                    }
                    KeyCode::Char('j') | KeyCode::Down if n > 0 => {
                        let i = home.state.selected().unwrap_or(0);
                        home.state.select(Some((i + 1).min(n - 1)));
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        let i = home.state.selected().unwrap_or(0);
                        home.state.select(Some(i.saturating_sub(1)));
                    }
                    _ => continue,
                }
                dirty = true;
            }
            Event::Resize(..) => dirty = true,
            _ => {}
        }
    }
}

fn render(f: &mut Frame, home: &mut Home) {
    let area = f.area();
    if area.width < 20 || area.height < 5 {
        f.render_widget(Paragraph::new("terminal too small (need 20x5)"), area);
        return;
    }
    let [main, hint] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let items: Vec<ListItem> = home
        .repos
        .iter()
        .map(|r| {
            let desc = r
                .meta
                .as_ref()
                .and_then(|m| m.description.as_deref())
                .unwrap_or("");
            ListItem::new(Line::from(format!("{}  {}", r.key, sanitize::line(desc))))
        })
        .collect();
    let title = format!(" Repositories ({}) ", home.repos.len());
    if items.is_empty() {
        f.render_widget(
            Paragraph::new("No repositories yet. Quit (q) and run `repodeck add OWNER/NAME`.")
                .block(Block::default().borders(Borders::ALL).title(title)),
            main,
        );
    } else {
        let list = List::new(items)
            .block(Block::default().borders(Borders::ALL).title(title))
            .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
        f.render_stateful_widget(list, main, &mut home.state);
    }
    f.render_widget(Paragraph::new(" j/k move  q quit"), hint);
}
