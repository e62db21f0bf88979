//! Home: the repo list. Status glyph, name, stars (+delta), forks, PRs, issues, language, last
//! push, head commit, synced; wide terminals add the head's CI state, an archived column and the
//! description. Virtualized: only the rows on screen are built. Narrow terminals drop
//! DESCRIPTION, the archived column, CI, HEAD, then LANG, then FORKS...; REPO, stars and SYNCED
//! always stay.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::domain::{SyncStatus, TrackedRepo};
use crate::fmt::{relative, thousands};
use crate::sanitize;
use crate::tui::app::{App, JobState};
use crate::tui::widgets::ago_short;
use crate::tui::widgets::table::{self, Col};

use super::{key_name, message, title};
use crate::tui::action::Action;
use crate::tui::keymap::Mode;

/// Columns; `keep` orders what survives narrow widths. The stars columns take their titles from
/// the theme's glyphs (set in `render`). Up to 100 columns the table is the classic one; wider
/// terminals add the head's CI state, the archived mark as a column and the description, and
/// REPO stops growing at 32 columns so the width goes to text worth reading.
pub const COLS: [Col; 14] = [
    Col::left("", 2, u8::MAX),
    Col::flex("REPO", 18, u8::MAX).capped(32),
    Col::left("", 10, 2),
    Col::left("CI", 9, 3),
    Col::right("", 7, u8::MAX),
    Col::right("", 5, 7),
    Col::right("FORKS", 6, 6),
    Col::right("PRS", 4, 9),
    Col::right("ISSUES", 6, 10),
    Col::left("LANG", 10, 5),
    Col::left("PUSHED", 8, 8),
    Col::flex("HEAD", 16, 4),
    Col::flex("DESCRIPTION", 20, 1),
    Col::right("SYNCED", 8, u8::MAX),
];

/// Index of the archived column in [`COLS`]: when it is shown, the name goes without the glyph.
const ARCHIVED_COL: usize = 2;

/// The status glyph, its word for the SYNCED column, and its style.
pub fn status(app: &App, r: &TrackedRepo) -> (&'static str, String, Style) {
    let t = app.theme();
    let g = &t.glyphs;
    if let Some(job) = app.job(r.local) {
        match &job.state {
            JobState::Running { .. } => return (g.syncing, "syncing".into(), t.accent),
            JobState::Queued => return (g.queued, "queued".into(), t.dim),
            JobState::Waiting { .. } => return (g.waiting, "waiting".into(), t.warn),
            _ => {}
        }
    }
    match r.status {
        SyncStatus::Failed => (g.failed, "failed".into(), t.error),
        SyncStatus::Inaccessible => (g.failed, "gone".into(), t.error),
        SyncStatus::Never => (g.never, "never".into(), t.dim),
        SyncStatus::Synced if app.is_stale(r) => (
            g.stale,
            r.last_synced_at
                .map(|at| ago_short(at, app.now()))
                .unwrap_or_default(),
            t.warn,
        ),
        SyncStatus::Synced => (
            g.synced,
            r.last_synced_at
                .map(|at| ago_short(at, app.now()))
                .unwrap_or_default(),
            t.ok,
        ),
    }
}

/// The REPO cell: `owner/name`, and the archived glyph after an archived repo's name (unless
/// the archived column says it).
fn name(app: &App, r: &TrackedRepo, archived_col: bool) -> String {
    if !archived_col && r.meta.as_ref().is_some_and(|m| m.archived) {
        format!("{} {}", r.key, app.theme().glyphs.archived)
    } else {
        r.key.to_string()
    }
}

/// The wide list's flags column: archived or disabled on GitHub.
fn flags(app: &App, r: &TrackedRepo) -> table::Cell {
    let t = app.theme();
    let word = match r.meta.as_ref() {
        Some(m) if m.disabled => "disabled",
        Some(m) if m.archived => "archived",
        _ => "",
    };
    let glyph = if word.is_empty() {
        ""
    } else {
        t.glyphs.archived
    };
    (format!("{glyph} {word}").trim().to_string(), t.warn)
}

/// The head commit's CI state as a mark and a word; the dash when not known.
fn ci(app: &App, r: &TrackedRepo) -> table::Cell {
    let t = app.theme();
    match r.head.as_ref().and_then(|c| c.ci) {
        Some(state) => {
            let (mark, word, style) = t.ci(state);
            (format!("{mark} {word}"), style)
        }
        None => (t.glyphs.dash.to_string(), t.dim),
    }
}

fn row(app: &App, r: &TrackedRepo, archived_col: bool) -> (Vec<table::Cell>, Style) {
    let t = app.theme();
    let dash = t.glyphs.dash;
    let (glyph, synced, st) = status(app, r);
    let marked = app.marked().contains(&r.local);
    let lead = format!("{}{}", if marked { t.glyphs.mark } else { " " }, glyph);
    let m = r.meta.as_ref();
    let num = |v: Option<u64>| v.map(thousands).unwrap_or_else(|| dash.to_string());
    let delta = match r.stars_delta {
        0 => String::new(),
        d => format!("{d:+}"),
    };
    let name_style = if marked { t.marked } else { Style::default() };
    let cells = vec![
        (lead, if marked { t.marked } else { st }),
        (name(app, r, archived_col), name_style),
        flags(app, r),
        ci(app, r),
        (num(m.map(|m| m.stars)), Style::default()),
        (delta, if r.stars_delta > 0 { t.ok } else { t.warn }),
        (num(m.map(|m| m.forks)), Style::default()),
        (num(m.map(|m| m.open_prs)), Style::default()),
        (num(m.map(|m| m.open_issues)), Style::default()),
        (
            m.and_then(|m| m.language.as_deref())
                .map(|l| sanitize::line(l).into_owned())
                .unwrap_or_else(|| dash.into()),
            t.dim,
        ),
        (
            m.and_then(|m| m.pushed_at)
                .map(|p| relative(p, app.now()))
                .unwrap_or_else(|| dash.into()),
            t.dim,
        ),
        (
            r.head
                .as_ref()
                .map(|c| sanitize::line(c.headline()).into_owned())
                .unwrap_or_else(|| dash.into()),
            Style::default(),
        ),
        (
            m.and_then(|m| m.description.as_deref())
                .map(|d| sanitize::line(d).into_owned())
                .unwrap_or_default(),
            t.dim,
        ),
        (synced, st),
    ];
    let row_style = if r.unread > 0 {
        t.unread
    } else {
        Style::default()
    };
    (cells, row_style)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let g = &t.glyphs;
    let arrow = if app.sort_rev() {
        g.arrow_up
    } else {
        g.arrow_down
    };
    let mut info = format!("sort: {} {arrow}", app.sort().name());
    if !app.filter().value().is_empty() {
        info.push_str(&format!(
            "   filter: {}",
            sanitize::line(app.filter().value())
        ));
    }
    if !app.marked().is_empty() {
        info.push_str(&format!("   {} marked", app.marked().len()));
    }
    let body = title(buf, area, "Repositories", &info, t);
    if app.loading() && app.repos().is_empty() {
        let text = format!("Loading the store{}", t.glyphs.more);
        message(buf, body, &[(&text, t.dim)]);
        return;
    }
    if app.repos().is_empty() {
        let add = key_name(app, Mode::List, &Action::Add).unwrap_or_else(|| ":add".into());
        message(
            buf,
            body,
            &[
                ("No repositories tracked yet.", t.header),
                ("", t.base),
                (
                    &format!(
                        "Press {add} to add one (OWNER/NAME or a GitHub URL), : then `import org NAME` to import an organization, or quit and run `repodeck demo` to try it out."
                    ),
                    t.base,
                ),
            ],
        );
        return;
    }
    if app.view().is_empty() {
        message(
            buf,
            body,
            &[(
                &format!(
                    "No repository matches \"{}\". Press esc to clear the filter.",
                    sanitize::line(app.filter().value())
                ),
                t.base,
            )],
        );
        return;
    }
    let rows = body.height.saturating_sub(1) as usize;
    let off = app.list().visible_offset(app.view().len(), rows);
    let mut cols = COLS.clone();
    cols[4].title = g.star;
    cols[5].title = g.star_delta;
    let archived_col = table::layout(&cols, body.width)
        .iter()
        .any(|(i, _)| *i == ARCHIVED_COL);
    let visible = app.view()[off..(off + rows).min(app.view().len())]
        .iter()
        .map(|i| row(app, &app.repos()[*i], archived_col));
    table::draw(buf, body, &cols, t, visible, Some(app.list().sel - off));
}
