//! Home: the repo list. Status glyph, name, stars (+delta), forks, PRs, issues, language, last
//! push, head commit, synced. Virtualized: only the rows on screen are built. Narrow terminals
//! drop HEAD, then LANG, then FORKS...; REPO, stars and SYNCED always stay.

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
/// the theme's glyphs (set in `render`).
pub const COLS: [Col; 11] = [
    Col::left("", 2, u8::MAX),
    Col::flex("REPO", 18, u8::MAX),
    Col::right("", 7, u8::MAX),
    Col::right("", 5, 4),
    Col::right("FORKS", 6, 3),
    Col::right("PRS", 4, 6),
    Col::right("ISSUES", 6, 7),
    Col::left("LANG", 10, 2),
    Col::left("PUSHED", 8, 5),
    Col::flex("HEAD", 16, 1),
    Col::right("SYNCED", 8, u8::MAX),
];

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

/// The REPO cell: `owner/name`, and the archived glyph after an archived repo's name.
fn name(app: &App, r: &TrackedRepo) -> String {
    if r.meta.as_ref().is_some_and(|m| m.archived) {
        format!("{} {}", r.key, app.theme().glyphs.archived)
    } else {
        r.key.to_string()
    }
}

fn row(app: &App, r: &TrackedRepo) -> (Vec<table::Cell>, Style) {
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
        (name(app, r), name_style),
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
    let visible = app.view()[off..(off + rows).min(app.view().len())]
        .iter()
        .map(|i| row(app, &app.repos()[*i]));
    let mut cols = COLS.clone();
    cols[2].title = g.star;
    cols[3].title = g.star_delta;
    table::draw(buf, body, &cols, t, visible, Some(app.list().sel - off));
}
