//! One file per screen: each draws its part of `App` into the body area. Screen state lives in
//! `app.rs` (one owner, one `update`); these are pure renderers. Shared here: messages, title
//! rows and the cursor-scrolled table the list screens draw with.

pub mod activity;
pub mod attention;
pub mod detail;
pub mod dialogs;
pub mod item_detail;
pub mod jobs;
pub mod overview;
pub mod rate;
pub mod releases;
pub mod repo_list;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::domain::Release;
use crate::fmt::relative;
use crate::sanitize::line as clean;

use super::action::Action;
use super::app::{App, Cursor};
use super::keymap::Mode;
use super::theme::Theme;
use super::widgets::table::{self, Cell, Col};
use super::widgets::{put, wrap};

/// Writes a centered, wrapped message (empty, loading and error states).
pub fn message(buf: &mut Buffer, area: Rect, lines: &[(&str, Style)]) {
    let mut rows: Vec<(String, Style)> = Vec::new();
    for (text, style) in lines {
        for l in wrap(text, area.width.saturating_sub(2) as usize) {
            rows.push((l, *style));
        }
    }
    let top = area.y + area.height.saturating_sub(rows.len() as u16) / 3;
    for (i, (l, style)) in rows.iter().enumerate() {
        put(
            buf,
            area,
            area.x + 1,
            top + i as u16,
            l,
            area.width as usize,
            *style,
        );
    }
}

/// The name of the first key bound to `action` in `mode`, in the theme's glyphs.
pub fn key_name(app: &App, mode: Mode, action: &Action) -> Option<String> {
    let key = app.keymap().key_for(mode, action)?.to_string();
    Some(app.theme().glyphs.swap_symbols(&key).into_owned())
}

/// "3h ago" for a time, the theme's dash when there is none.
pub fn ago_or_dash(app: &App, at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|a| relative(a, app.now()))
        .unwrap_or_else(|| app.theme().glyphs.dash.into())
}

/// GitHub text made safe to draw, empty when there is none.
pub fn clean_or_empty(text: Option<&str>) -> String {
    text.map(|s| clean(s).into_owned()).unwrap_or_default()
}

/// "draft", "pre-release" or nothing.
pub fn release_kind(r: &Release) -> &'static str {
    if r.draft {
        "draft"
    } else if r.prerelease {
        "pre-release"
    } else {
        ""
    }
}

/// The area below a screen's first row (its title or tabs).
pub fn below_first_row(area: Rect) -> Rect {
    Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    }
}

/// While a list loads, or when it is empty, says so in `body` and returns true (nothing else to
/// draw); `what` names the list ("activity"), `none` explains its emptiness.
pub fn loading_or_empty(
    buf: &mut Buffer,
    body: Rect,
    t: &Theme,
    (loading, empty): (bool, bool),
    what: &str,
    none: &str,
) -> bool {
    if loading && empty {
        let text = format!("Loading {what}{}", t.glyphs.more);
        message(buf, body, &[(&text, t.dim)]);
    } else if empty {
        message(buf, body, &[(none, t.dim)]);
    }
    empty
}

/// The screen's title row: bold title and dim info after it. Returns the body below it.
pub fn title(buf: &mut Buffer, area: Rect, title: &str, info: &str, t: &Theme) -> Rect {
    let x = area.x
        + put(
            buf,
            area,
            area.x,
            area.y,
            &format!(" {title}"),
            area.width as usize,
            t.title,
        );
    put(
        buf,
        area,
        x,
        area.y,
        &format!("   {info}"),
        area.width as usize,
        t.dim,
    );
    below_first_row(area)
}

/// Draws `items` as a table one column in from `body`'s left edge, scrolled so that `cursor`'s
/// selection shows; only the rows on screen are built.
pub fn cursor_table<T>(
    buf: &mut Buffer,
    body: Rect,
    (t, cols): (&Theme, &[Col]),
    cursor: Cursor,
    items: &[T],
    row: impl Fn(&T) -> (Vec<Cell>, Style),
) {
    let rows_h = body.height.saturating_sub(1) as usize;
    let off = cursor.visible_offset(items.len(), rows_h);
    let rows = items.iter().skip(off).take(rows_h).map(row);
    let inset = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(1),
        ..body
    };
    table::draw(
        buf,
        inset,
        cols,
        t,
        rows,
        Some(cursor.sel.saturating_sub(off)),
    );
}
