//! Dialogs over the current screen, one function each: help (generated from the keymap), add
//! repo (validates as you type), confirm remove, import, search GitHub, notices with advice, the
//! passphrase prompt, and the `:` command line (drawn on the bottom row, vim style). Each places
//! its rows with `Layout` (through `widgets::dialog`) and draws every symbol from the theme.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use tui_input::Input;

use crate::domain::{RepoKey, SearchHit};
use crate::fmt::thousands;
use crate::sanitize::line as clean;
use crate::tui::action::Action;
use crate::tui::app::{App, COMMANDS, Dialog, Level, validate_keys};
use crate::tui::keymap::Mode;
use crate::tui::screens::key_name;
use crate::tui::theme::{Glyphs, Theme};
use crate::tui::widgets::dialog::{frame, keys, lines, stack};
use crate::tui::widgets::{fill_row, fit, put, put_line, width, wrap};

/// Where the text cursor goes, for dialogs with an input.
type Cursor = Option<(u16, u16)>;

/// Draws the dialog; returns the text cursor position when it has an input.
pub fn render(app: &App, d: &Dialog, area: Rect, buf: &mut Buffer) -> Cursor {
    let t = app.theme();
    // Most dialogs are as wide as the screen less a margin, at most 64 columns.
    let dw = area.width.saturating_sub(4).min(64);
    match d {
        Dialog::Help { mode, scroll } => {
            help(app, *mode, *scroll, area, buf);
            None
        }
        Dialog::Add { input, error } => add(app, input, error.as_deref(), (area, dw), buf),
        Dialog::ConfirmRemove { names, .. } => {
            confirm_remove(t, names, (area, dw.min(56)), buf);
            None
        }
        Dialog::Import { input, error } => import(t, input, error.as_deref(), (area, dw), buf),
        Dialog::Search {
            input,
            hits,
            cursor,
            searching,
            sent,
        } => search(
            app,
            (input, hits, *cursor),
            (*searching, sent.is_some()),
            (area, dw),
            buf,
        ),
        Dialog::Notice {
            title,
            body,
            level,
            url,
        } => {
            let take_over = (app.host_gone() && !app.taking_over())
                .then(|| key_name(app, Mode::Notice, &Action::TakeOver))
                .flatten();
            notice(
                t,
                (title, body),
                (*level, url.is_some(), take_over),
                (area, dw.min(60)),
                buf,
            );
            None
        }
        Dialog::Passphrase { input, retry } => {
            passphrase(t, input, *retry, (area, dw.min(50)), buf)
        }
        Dialog::Command { input, hint, .. } => command_line(t, input, hint.as_deref(), area, buf),
    }
}

/// Key hints joined by the theme's separator ("enter add · esc cancel").
fn key_list(g: &Glyphs, hints: &[&str]) -> String {
    hints.join(&g.sep())
}

fn add(
    app: &App,
    input: &Input,
    error: Option<&str>,
    (area, w): (Rect, u16),
    buf: &mut Buffer,
) -> Cursor {
    let t = app.theme();
    let (verdict, style) = add_verdict(app, input.value().trim(), error);
    let text_w = w.saturating_sub(2) as usize;
    let about = wrap(
        "OWNER/NAME or a GitHub URL; several: separate with spaces",
        text_w,
    );
    let verdict = wrap(&verdict, text_w);
    let h = (about.len() + verdict.len() + 4) as u16;
    let inner = frame(buf, area, (w, h), "Add repository", t.dialog, t);
    let [about_rows, _, input_row, verdict_rows] =
        stack(inner, [about.len() as u16, 1, 1, verdict.len() as u16]);
    lines(buf, about_rows, 1, &about, t.dim);
    let cur = input_line(buf, input_row, input, t.input, None);
    lines(buf, verdict_rows, 1, &verdict, style);
    keys(
        buf,
        inner,
        &key_list(&t.glyphs, &["enter add", "esc cancel"]),
        t.dim,
    );
    cur
}

/// What the add dialog says about its input: the error, nothing yet, or the keys it would add.
fn add_verdict(app: &App, value: &str, error: Option<&str>) -> (String, Style) {
    let t = app.theme();
    match error {
        Some(e) => (format!("{} {}", t.glyphs.failed, e), t.error),
        None if value.is_empty() => (String::new(), t.dim),
        None => {
            let keys: Vec<String> = validate_keys(value)
                .unwrap_or_default()
                .iter()
                .map(RepoKey::to_string)
                .collect();
            let tracked = keys
                .iter()
                .filter(|k| {
                    app.repos()
                        .iter()
                        .any(|r| r.key.to_string().eq_ignore_ascii_case(k))
                })
                .count();
            let extra = if tracked > 0 {
                format!(" ({tracked} already tracked)")
            } else {
                String::new()
            };
            (format!("ok: {}{extra}", keys.join(", ")), t.ok)
        }
    }
}

fn confirm_remove(t: &Theme, names: &[String], (area, w): (Rect, u16), buf: &mut Buffer) {
    let shown = names.len().min(6);
    let inner = frame(buf, area, (w, shown as u16 + 4), "Remove", t.dialog, t);
    let question = if names.len() == 1 {
        "Stop tracking this repository and delete what is stored for it?".to_string()
    } else {
        format!(
            "Stop tracking these {} repositories and delete what is stored?",
            names.len()
        )
    };
    let mut question = wrap(&question, inner.width.saturating_sub(2) as usize);
    question.truncate(2);
    let more = names.len() - shown;
    let [question_rows, name_rows, more_row] = stack(
        inner,
        [question.len() as u16, shown as u16, u16::from(more > 0)],
    );
    lines(buf, question_rows, 1, &question, t.base);
    let shown: Vec<_> = names[..shown].iter().map(|n| clean(n)).collect();
    lines(buf, name_rows, 3, &shown, t.header);
    lines(buf, more_row, 3, &[format!("and {more} more")], t.dim);
    keys(
        buf,
        inner,
        &key_list(&t.glyphs, &["y remove", "n keep"]),
        t.warn,
    );
}

fn import(
    t: &Theme,
    input: &Input,
    error: Option<&str>,
    (area, w): (Rect, u16),
    buf: &mut Buffer,
) -> Cursor {
    let g = &t.glyphs;
    let inner = frame(buf, area, (w, 6), "Import repositories", t.dialog, t);
    let [about_row, _, input_row, error_row] = stack(inner, [1; 4]);
    let about = key_list(
        g,
        &[
            "org NAME",
            "user NAME",
            "mine",
            "forks skipped, archived tracked",
        ],
    );
    lines(buf, about_row, 1, &[about], t.dim);
    let cur = input_line(buf, input_row, input, t.input, None);
    if let Some(e) = error {
        lines(buf, error_row, 1, &[format!("{} {e}", g.failed)], t.error);
    }
    keys(
        buf,
        inner,
        &key_list(g, &["enter import", "esc cancel"]),
        t.dim,
    );
    cur
}

/// The query line, then the results (`cursor` selects one) or what the search is doing.
fn search(
    app: &App,
    (input, hits, cursor): (&Input, &[SearchHit], usize),
    (searching, sent): (bool, bool),
    (area, w): (Rect, u16),
    buf: &mut Buffer,
) -> Cursor {
    let t = app.theme();
    let g = &t.glyphs;
    let h = area
        .height
        .saturating_sub(4)
        .min(hits.len().max(1) as u16 + 4);
    let inner = frame(buf, area, (w, h), "Search GitHub", t.dialog, t);
    let [input_row, _, list, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let cur = input_line(buf, input_row, input, t.input, None);
    if searching {
        let text = format!("searching{} (search requests are spaced out)", g.more);
        lines(buf, list, 1, &[text], t.dim);
    } else if hits.is_empty() {
        let text = if sent {
            "No results."
        } else {
            "Type a query (e.g. language:rust tui) and press enter."
        };
        lines(buf, list, 1, &[text], t.dim);
    }
    let off = cursor.saturating_sub((list.height as usize).saturating_sub(1));
    let rows = (list.top()..list.bottom())
        .zip(off..)
        .zip(&hits[off.min(hits.len())..]);
    for ((y, i), hit) in rows {
        let text = fit(
            &hit_line(app, hit),
            list.width.saturating_sub(2) as usize,
            g.ellipsis,
        );
        put(buf, list, list.x + 1, y, &text, list.width as usize, t.base);
        if i == cursor {
            fill_row(buf, list, y, t.selected);
        }
    }
    let pick = format!("{}{} pick", g.arrow_up, g.arrow_down);
    keys(
        buf,
        inner,
        &key_list(g, &["enter search/add", &pick, "esc close"]),
        t.dim,
    );
    cur
}

/// One search result: tracked mark, name, stars and description.
fn hit_line(app: &App, hit: &SearchHit) -> String {
    let g = &app.theme().glyphs;
    let tracked = if app.repos().iter().any(|r| r.key == hit.key) {
        format!("{} ", g.check)
    } else {
        "  ".into()
    };
    format!(
        "{tracked}{} {} {}  {}",
        hit.key,
        g.star,
        thousands(hit.stars),
        clean(hit.description.as_deref().unwrap_or(""))
    )
}

fn notice(
    t: &Theme,
    (title, body): (&str, &str),
    (level, copyable, take_over): (Level, bool, Option<String>),
    (area, w): (Rect, u16),
    buf: &mut Buffer,
) {
    let text = wrap(body, w.saturating_sub(2) as usize);
    let h = (text.len() as u16 + 2).min(area.height.saturating_sub(2));
    let style = match level {
        Level::Info => t.dialog,
        Level::Warn => t.warn,
        Level::Error => t.error,
    };
    let inner = frame(buf, area, (w, h), title, style, t);
    let [text_rows, _] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    lines(buf, text_rows, 1, &text, t.base);
    let take_over = take_over.map(|k| format!("{k} take over"));
    let mut hints: Vec<&str> = take_over.iter().map(String::as_str).collect();
    if copyable {
        hints.push("y copy");
    }
    hints.push("esc close");
    let close = key_list(&t.glyphs, &hints);
    keys(buf, inner, &close, t.dim);
}

fn passphrase(
    t: &Theme,
    input: &Input,
    retry: bool,
    (area, w): (Rect, u16),
    buf: &mut Buffer,
) -> Cursor {
    let text_w = w.saturating_sub(2) as usize;
    let mut text = wrap("The token vault needs its passphrase.", text_w);
    if retry {
        text.extend(wrap("Wrong passphrase, try again.", text_w));
    }
    let inner = frame(
        buf,
        area,
        (w, text.len() as u16 + 4),
        "Unlock tokens",
        t.dialog,
        t,
    );
    let [first_row, rest_rows, _, input_row] =
        stack(inner, [1, (text.len() as u16).saturating_sub(1), 1, 1]);
    lines(buf, first_row, 1, &text[..1], t.base);
    let rest_style = if retry { t.error } else { t.base };
    lines(buf, rest_rows, 1, &text[1..], rest_style);
    let cur = input_line(buf, input_row, input, t.input, Some(t.glyphs.secret));
    keys(
        buf,
        inner,
        &key_list(&t.glyphs, &["enter unlock", "esc skip"]),
        t.dim,
    );
    cur
}

/// The `:` line on the screen's last row with its hint (or the usage of the command typed so
/// far) on the row above.
fn command_line(
    t: &Theme,
    input: &Input,
    hint: Option<&str>,
    area: Rect,
    buf: &mut Buffer,
) -> Cursor {
    let g = &t.glyphs;
    let [_, hint_row, row] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    blank(buf, row, t.base);
    let [colon, field] =
        Layout::horizontal([Constraint::Length(1), Constraint::Fill(1)]).areas(row);
    put(buf, colon, colon.x, colon.y, ":", 1, t.key);
    let cur = input_line(buf, field, input, t.base, None);
    let history = format!("{}{} history", g.arrow_up, g.arrow_down);
    let hint = match hint {
        Some(h) => h.to_string(),
        None => COMMANDS
            .iter()
            .find(|(c, _)| input.value().split_whitespace().next() == Some(*c))
            .map(|(_, usage)| usage.to_string())
            .unwrap_or_else(|| key_list(g, &["tab completes", &history, "esc cancel"])),
    };
    blank(buf, hint_row, t.dim);
    let w = hint_row.width as usize;
    let hint = fit(&clean(&hint), w.saturating_sub(2), g.ellipsis);
    put(buf, hint_row, hint_row.x + 1, hint_row.y, &hint, w, t.dim);
    cur
}

/// Clears a one-row area to spaces in `style`.
fn blank(buf: &mut Buffer, row: Rect, style: Style) {
    fill_row(buf, row, row.y, style);
    buf.set_string(row.x, row.y, " ".repeat(row.width as usize), style);
}

/// One input line in `row` (one column in from each side), scrolled to the cursor; `mask` stands
/// for each character of a hidden input.
fn input_line(
    buf: &mut Buffer,
    row: Rect,
    input: &Input,
    style: Style,
    mask: Option<&str>,
) -> Cursor {
    let w = row.width.saturating_sub(2) as usize;
    if w == 0 || row.height == 0 {
        return None;
    }
    let value: String = match mask {
        Some(m) => m.repeat(input.value().chars().count()),
        None => clean(input.value()).into_owned(),
    };
    let scroll = input.visual_scroll(w);
    let shown = skip_columns(&value, scroll);
    buf.set_string(row.x + 1, row.y, " ".repeat(w), style);
    put(buf, row, row.x + 1, row.y, &shown, w, style);
    let cx = row.x + 1 + (input.visual_cursor().saturating_sub(scroll)).min(w) as u16;
    Some((cx, row.y))
}

/// `s` without its first `columns` columns.
fn skip_columns(s: &str, columns: usize) -> String {
    let mut skipped = 0;
    let mut out = String::new();
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if skipped < columns {
            skipped += cw;
            continue;
        }
        out.push(c);
    }
    out
}

/// The help dialog: every key of `mode` and the modes it falls back to, in two columns when
/// the screen is wide enough.
fn help(app: &App, mode: Mode, scroll: usize, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let g = &t.glyphs;
    let (lines, key_w) = help_lines(app, mode);
    let col_w = key_w as u16 + 22;
    let two = area.width >= col_w * 2 + 6;
    let per_col = if two {
        lines.len().div_ceil(2)
    } else {
        lines.len()
    }
    .max(1);
    let inner_w = if two {
        col_w * 2 + 2
    } else {
        col_w.min(area.width.saturating_sub(4))
    };
    let h = (per_col as u16).min(area.height.saturating_sub(4)).max(1);
    let title = format!(
        "{} {} keys (remaps underlined){}esc close",
        mode.title(),
        g.dash,
        g.sep()
    );
    let inner = frame(buf, area, (inner_w, h), &title, t.dialog, t);
    let columns = if two {
        let [left, _, right] = Layout::horizontal([
            Constraint::Length(col_w),
            Constraint::Length(2),
            Constraint::Length(col_w),
        ])
        .areas(inner);
        [left, right]
    } else {
        [inner, inner]
    };
    for (i, l) in lines.iter().enumerate() {
        let (col, row) = (i / per_col, i % per_col);
        let Some(y) = row
            .checked_sub(scroll)
            .filter(|y| *y < inner.height as usize)
        else {
            continue;
        };
        // Clipped by the dialog, not the column: a long description runs on to the right.
        put_line(buf, inner, columns[col].x, inner.y + y as u16, l);
    }
}

/// The help's lines (a title per mode, then its keys and what they do) and the keys' width.
fn help_lines(app: &App, mode: Mode) -> (Vec<Line<'static>>, usize) {
    let t = app.theme();
    let sections = app.keymap().help(mode);
    let key_w = sections
        .iter()
        .flat_map(|(_, e)| e)
        .map(|e| width(&e.keys))
        .max()
        .unwrap_or(4)
        .min(20);
    let mut lines: Vec<Line<'_>> = Vec::new();
    for (m, entries) in &sections {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(m.title().to_string(), t.title));
        // `t` is offered only when there is a store to take over.
        let take_over = Action::TakeOver.describe();
        for e in entries
            .iter()
            .filter(|e| e.what != take_over || app.host_gone())
        {
            let ks = if e.remapped { t.key_remapped } else { t.key };
            let keys = t.glyphs.swap_symbols(&e.keys);
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<key_w$}"), ks),
                Span::raw(format!("  {}", e.what)),
            ]));
        }
    }
    // `[[commands]]` that work on the screen under the help.
    let commands = app.commands_here();
    if !commands.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("Your commands".to_string(), t.title));
        for (key, what) in commands {
            let key = t.glyphs.swap_symbols(&key);
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<key_w$}"), t.key),
                Span::raw(format!("  {}", clean(&what))),
            ]));
        }
    }
    if sections.iter().any(|(m, _)| *m == Mode::List) {
        lines.extend(list_notes(app));
    }
    lines.push(Line::default());
    lines.extend(legend(app, key_w));
    if matches!(mode, Mode::Detail | Mode::Commit | Mode::Item) {
        lines.push(Line::default());
        lines.extend(marks_legend(app, key_w));
    }
    (lines, key_w)
}

/// The marks of the repo screen: CI states, commit signatures, protected branches.
fn marks_legend(app: &App, key_w: usize) -> Vec<Line<'static>> {
    use crate::domain::{CiState, Verification};
    let t = app.theme();
    let mut rows: Vec<(&'static str, Style, String)> = Vec::new();
    for state in [
        CiState::Success,
        CiState::Failure,
        CiState::Pending,
        CiState::None,
    ] {
        let (mark, word, style) = t.ci(state);
        let what = if state == CiState::None {
            word.to_string()
        } else {
            format!("CI {word}")
        };
        rows.push((mark, style, what));
    }
    for v in [
        Verification::Verified,
        Verification::Unverified {
            reason: String::new(),
        },
        Verification::Unsigned,
    ] {
        let (mark, word, style) = t.signature(&v);
        rows.push((mark, style, format!("SIG {word}")));
    }
    rows.push((t.glyphs.protected, t.warn, "protected branch".into()));
    let mut lines = vec![Line::styled("Marks".to_string(), t.title)];
    for (glyph, style, what) in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("  {glyph:<key_w$}"), style),
            Span::raw(format!("  {what}")),
        ]));
    }
    lines
}

/// `30 min`, `2 h`, `1 h 30 min`, `45 s`.
fn span_words(d: chrono::Duration) -> String {
    let (h, m, s) = (d.num_hours(), d.num_minutes() % 60, d.num_seconds() % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The glyphs of the list and the jobs screen, and what each means.
fn legend(app: &App, key_w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let g = &t.glyphs;
    let stale = match app.env().stale_after {
        Some(d) => format!("stale: >{}", span_words(d)),
        None => "stale (never now)".into(),
    };
    let rows: [(&str, Style, String); 10] = [
        (g.synced, t.ok, "synced".into()),
        (g.syncing, t.accent, "syncing".into()),
        (g.queued, t.dim, "queued".into()),
        (g.waiting, t.warn, "waiting".into()),
        (g.failed, t.error, "failed or gone".into()),
        (g.never, t.dim, "never synced".into()),
        (g.stale, t.warn, stale),
        (
            g.archived,
            Style::default(),
            "archived (after the name)".into(),
        ),
        (g.mark, t.marked, "marked (space)".into()),
        ("bold", t.unread, "unread changes".into()),
    ];
    let mut lines = vec![Line::styled("Glyphs".to_string(), t.title)];
    for (glyph, style, what) in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("  {glyph:<key_w$}"), style),
            Span::raw(format!("  {what}")),
        ]));
    }
    lines
}

/// What the list's header count and star column count from.
fn list_notes(app: &App) -> Vec<Line<'static>> {
    let t = app.theme();
    vec![
        Line::default(),
        Line::styled("What the numbers mean".to_string(), t.title),
        Line::raw("  N changed since read: repos".to_string()),
        Line::raw("    with changes not yet read".to_string()),
        Line::raw(format!(
            "  {}: stars gained or lost at",
            t.glyphs.star_delta
        )),
        Line::raw("    the last sync that saw them".to_string()),
    ]
}
