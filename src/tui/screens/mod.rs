//! One file per screen: each draws its part of `App` into the body area. Screen state lives in
//! `app.rs` (one owner, one `update`); these are pure renderers.

pub mod activity;
pub mod detail;
pub mod dialogs;
pub mod jobs;
pub mod rate;
pub mod releases;
pub mod repo_list;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

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
    t: &crate::tui::theme::Theme,
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
pub fn title(
    buf: &mut Buffer,
    area: Rect,
    title: &str,
    info: &str,
    t: &crate::tui::theme::Theme,
) -> Rect {
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
