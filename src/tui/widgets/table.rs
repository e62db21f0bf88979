//! A virtualized table: only the visible rows are built and drawn, so 10,000 rows cost the same
//! as 20. Columns have a priority; the lowest are dropped first when the terminal is narrow.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::{fill_row, fit, put, right};
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Col {
    pub title: &'static str,
    /// Fixed width, or the minimum width of a flexible column.
    pub width: u16,
    pub flex: bool,
    pub align: Align,
    /// Higher survives longer when space runs out; `u8::MAX` is never dropped.
    pub keep: u8,
}

impl Col {
    pub const fn left(title: &'static str, width: u16, keep: u8) -> Col {
        Col {
            title,
            width,
            flex: false,
            align: Align::Left,
            keep,
        }
    }
    pub const fn right(title: &'static str, width: u16, keep: u8) -> Col {
        Col {
            title,
            width,
            flex: false,
            align: Align::Right,
            keep,
        }
    }
    pub const fn flex(title: &'static str, min: u16, keep: u8) -> Col {
        Col {
            title,
            width: min,
            flex: true,
            align: Align::Left,
            keep,
        }
    }
}

/// One cell: text and its style (patched over the row style).
pub type Cell = (String, Style);

/// Decides which columns fit in `width` (1-column gaps) and their final widths.
/// Returns (column index, width) pairs in order.
pub fn layout(cols: &[Col], width: u16) -> Vec<(usize, u16)> {
    let mut shown: Vec<usize> = (0..cols.len()).collect();
    let need = |shown: &[usize]| -> u16 {
        shown.iter().map(|i| cols[*i].width).sum::<u16>() + shown.len().saturating_sub(1) as u16
    };
    while need(&shown) > width {
        let Some((pos, _)) = shown
            .iter()
            .enumerate()
            .filter(|(_, i)| cols[**i].keep < u8::MAX)
            .min_by_key(|(_, i)| cols[**i].keep)
        else {
            break;
        };
        shown.remove(pos);
    }
    let spare = width.saturating_sub(need(&shown));
    let flex: Vec<usize> = shown.iter().copied().filter(|i| cols[*i].flex).collect();
    shown
        .iter()
        .map(|i| {
            let mut w = cols[*i].width;
            if let Some(p) = flex.iter().position(|f| f == i) {
                let share = spare / flex.len().max(1) as u16;
                let extra = if p == 0 {
                    spare - share * (flex.len() as u16 - 1)
                } else {
                    share
                };
                w += extra;
            }
            (*i, w)
        })
        .collect()
}

/// Draws the header row (dim) at `area.y` and rows below it; `rows` yields only visible rows.
/// `selected` is the index among the yielded rows to highlight. Cut cells end with the theme's
/// ellipsis.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    cols: &[Col],
    theme: &Theme,
    rows: impl Iterator<Item = (Vec<Cell>, Style)>,
    selected: Option<usize>,
) {
    let (header, selected_style, ell) = (theme.dim, theme.selected, theme.glyphs.ellipsis);
    if area.height == 0 || area.width == 0 {
        return;
    }
    let lay = layout(cols, area.width);
    let mut x = area.x;
    for (i, w) in &lay {
        let c = &cols[*i];
        let t = match c.align {
            Align::Left => fit(c.title, *w as usize, ell),
            Align::Right => right(c.title, *w as usize, ell),
        };
        put(buf, area, x, area.y, &t, *w as usize, header);
        x += w + 1;
    }
    for (n, (cells, row_style)) in rows.enumerate() {
        let y = area.y + 1 + n as u16;
        if y >= area.bottom() {
            break;
        }
        fill_row(buf, area, y, row_style);
        let mut x = area.x;
        for (i, w) in &lay {
            if let Some((text, style)) = cells.get(*i) {
                let t = match cols[*i].align {
                    Align::Left => fit(text, *w as usize, ell),
                    Align::Right => right(text, *w as usize, ell),
                };
                put(buf, area, x, y, &t, *w as usize, row_style.patch(*style));
            }
            x += w + 1;
        }
        if selected == Some(n) {
            fill_row(buf, area, y, selected_style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_lowest_priority_first_and_gives_spare_to_flex() {
        let cols = [
            Col::left("A", 4, u8::MAX),
            Col::flex("B", 5, u8::MAX),
            Col::right("C", 6, 1),
            Col::right("D", 6, 2),
        ];
        assert_eq!(layout(&cols, 40), vec![(0, 4), (1, 21), (2, 6), (3, 6)]);
        assert_eq!(layout(&cols, 20), vec![(0, 4), (1, 8), (3, 6)]);
        assert_eq!(layout(&cols, 5), vec![(0, 4), (1, 5)]);
    }
}
