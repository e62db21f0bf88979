//! Dialog frames: a centered, cleared, bordered box sized to its content and clamped to the
//! screen, so dialogs work from 80x24 down to the minimum size.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

/// Draws an empty box of about `want_w` x `want_h` (inner size) centered in `area`; returns the
/// inner area.
pub fn frame(
    buf: &mut Buffer,
    area: Rect,
    want_w: u16,
    want_h: u16,
    title: &str,
    style: Style,
    ascii: bool,
) -> Rect {
    let w = (want_w + 2).min(area.width);
    let h = (want_h + 2).min(area.height);
    let x = area.x + (area.width - w) / 2;
    let y = area.y + (area.height - h) / 2;
    let rect = Rect {
        x,
        y,
        width: w,
        height: h,
    };
    Clear.render(rect, buf);
    let border = if ascii {
        BorderType::Plain
    } else {
        BorderType::Rounded
    };
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_type(border)
        .border_style(style);
    if ascii {
        block = block.border_set(ratatui::symbols::border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        });
    }
    let title = super::fit(
        title,
        w.saturating_sub(4) as usize,
        if ascii { "~" } else { "…" },
    );
    let block = block.title(format!(" {title} "));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}
