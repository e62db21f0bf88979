//! Dialog frames and rows: a centered, cleared box bordered with the theme's border set, sized to
//! its content and clamped to the screen (so dialogs work from 80x24 down to the minimum size),
//! and the `Layout` helpers the dialogs in `screens/dialogs.rs` place their rows with.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Block, Borders, Clear, Widget};

use super::{fit, put};
use crate::tui::theme::Theme;

/// Draws an empty box of about `want_w` x `want_h` (inner size) centered in `area`; returns the
/// inner area.
pub fn frame(
    buf: &mut Buffer,
    area: Rect,
    (want_w, want_h): (u16, u16),
    title: &str,
    style: Style,
    theme: &Theme,
) -> Rect {
    let (w, h) = ((want_w + 2).min(area.width), (want_h + 2).min(area.height));
    // Odd leftovers go right and down (ratatui's centering rounds the other way).
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render(rect, buf);
    let title = fit(
        title,
        rect.width.saturating_sub(4) as usize,
        theme.glyphs.ellipsis,
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.glyphs.border)
        .border_style(style)
        .title(format!(" {title} "));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

/// Rows of the given heights stacked down from the top of a dialog's `inner` area, each clipped
/// to it: a dialog squeezed by a short terminal loses its lowest rows first.
pub fn stack<const N: usize>(inner: Rect, heights: [u16; N]) -> [Rect; N] {
    let total = heights.iter().fold(0u16, |a, h| a.saturating_add(*h));
    let tall = Rect {
        height: total,
        ..inner
    };
    Layout::vertical(heights.map(Constraint::Length))
        .areas(tall)
        .map(|r: Rect| r.intersection(inner))
}

/// A dialog's last row, where it lists its keys.
pub fn keys_row(inner: Rect) -> Rect {
    let [_, keys] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
    keys
}

/// Writes `text` one column in on the dialog's last row.
pub fn keys(buf: &mut Buffer, inner: Rect, text: &str, style: Style) {
    let row = keys_row(inner);
    put(buf, row, row.x + 1, row.y, text, row.width as usize, style);
}

/// Writes `lines` one per row of `rows`, `indent` columns in, as many as fit.
pub fn lines<S: AsRef<str>>(buf: &mut Buffer, rows: Rect, indent: u16, lines: &[S], style: Style) {
    for (y, l) in (rows.top()..rows.bottom()).zip(lines) {
        put(
            buf,
            rows,
            rows.x + indent,
            y,
            l.as_ref(),
            rows.width as usize,
            style,
        );
    }
}
