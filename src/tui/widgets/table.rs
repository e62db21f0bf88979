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
    /// The widest a flexible column grows; the spare width goes to the other flexible columns.
    pub max: Option<u16>,
}

impl Col {
    pub const fn left(title: &'static str, width: u16, keep: u8) -> Col {
        Col {
            title,
            width,
            flex: false,
            align: Align::Left,
            keep,
            max: None,
        }
    }
    pub const fn right(title: &'static str, width: u16, keep: u8) -> Col {
        Col {
            title,
            width,
            flex: false,
            align: Align::Right,
            keep,
            max: None,
        }
    }
    pub const fn flex(title: &'static str, min: u16, keep: u8) -> Col {
        Col {
            title,
            width: min,
            flex: true,
            align: Align::Left,
            keep,
            max: None,
        }
    }
    /// This flexible column grows to at most `max` columns.
    pub const fn capped(mut self, max: u16) -> Col {
        self.max = Some(max);
        self
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
    let mut widths: Vec<u16> = shown.iter().map(|i| cols[*i].width).collect();
    let mut spare = width.saturating_sub(need(&shown));
    // The spare width is shared by the flexible columns, the first taking the remainder; a
    // column at its `max` leaves the rest of its share to the others.
    let mut open: Vec<usize> = (0..shown.len()).filter(|p| cols[shown[*p]].flex).collect();
    while spare > 0 && !open.is_empty() {
        let n = open.len() as u16;
        let share = spare / n;
        let mut given = 0;
        let mut full = Vec::new();
        for (k, p) in open.iter().enumerate() {
            let want = if k == 0 {
                spare - share * (n - 1)
            } else {
                share
            };
            let room = cols[shown[*p]]
                .max
                .map_or(u16::MAX, |m| m.saturating_sub(widths[*p]));
            let add = want.min(room);
            widths[*p] += add;
            given += add;
            if add < want {
                full.push(*p);
            }
        }
        spare -= given;
        if full.is_empty() {
            break;
        }
        open.retain(|p| !full.contains(p));
    }
    shown.into_iter().zip(widths).collect()
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

    #[test]
    fn a_capped_column_leaves_its_spare_to_the_other_flexible_ones() {
        let cols = [
            Col::flex("A", 5, u8::MAX).capped(8),
            Col::flex("B", 5, u8::MAX),
            Col::left("C", 4, u8::MAX),
        ];
        // 16 needed with gaps; 24 spare: A stops at 8, B takes the rest.
        assert_eq!(layout(&cols, 40), vec![(0, 8), (1, 26), (2, 4)]);
        // Below the cap it is shared as before.
        assert_eq!(layout(&cols, 18), vec![(0, 6), (1, 6), (2, 4)]);
        // Every flexible column capped: the rest stays blank.
        let capped = [Col::flex("A", 5, u8::MAX).capped(6), Col::left("C", 4, 1)];
        assert_eq!(layout(&capped, 30), vec![(0, 6), (1, 4)]);
    }
}
