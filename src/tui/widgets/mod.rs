//! Stateless drawing helpers shared by the screens: width-aware text fitting, a virtualized
//! table, the rate-limit bar, dialog frames and the footer. They draw straight into the buffer
//! and never panic on small areas.

pub mod dialog;
pub mod rate_limit_bar;
pub mod table;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Display width of a string.
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// Fits `s` into `w` columns, ending with `ell` (one column: the theme's `…` or ASCII `~`) when
/// cut.
pub fn fit(s: &str, w: usize, ell: &str) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if used + cw > w - 1 {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.push_str(ell);
    out
}

/// Right-aligns `s` in `w` columns (cutting it first when too long).
pub fn right(s: &str, w: usize, ell: &str) -> String {
    let s = fit(s, w, ell);
    format!("{}{s}", " ".repeat(w.saturating_sub(width(&s))))
}

/// Writes `s` at (x, y) within `area`, at most `max` columns; returns the columns used.
/// Positions outside the area are ignored, so callers need no bounds checks.
pub fn put(buf: &mut Buffer, area: Rect, x: u16, y: u16, s: &str, max: usize, style: Style) -> u16 {
    if y < area.top() || y >= area.bottom() || x < area.left() || x >= area.right() {
        return 0;
    }
    let room = (area.right() - x) as usize;
    let (end, _) = buf.set_stringn(x, y, s, max.min(room), style);
    end - x
}

/// Writes a line of spans at (x, y) within `area`; returns the columns used.
pub fn put_line(buf: &mut Buffer, area: Rect, x: u16, y: u16, line: &Line<'_>) -> u16 {
    let mut cx = x;
    for span in &line.spans {
        let style = line.style.patch(span.style);
        let used = put(buf, area, cx, y, &span.content, usize::MAX, style);
        cx += used;
        if used == 0 && !span.content.is_empty() {
            break;
        }
    }
    cx - x
}

/// Width of a line of spans.
pub fn line_width(line: &Line<'_>) -> usize {
    line.spans.iter().map(|s| width(&s.content)).sum()
}

/// Fills a row with a style (for selection highlights and banners).
pub fn fill_row(buf: &mut Buffer, area: Rect, y: u16, style: Style) {
    if y >= area.top() && y < area.bottom() {
        buf.set_style(
            Rect {
                x: area.x,
                y,
                width: area.width,
                height: 1,
            },
            style,
        );
    }
}

/// Word-wraps plain text to `w` columns (hard-cutting words longer than a line).
pub fn wrap(text: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut lw = 0;
        for word in para.split(' ') {
            let ww = width(word);
            if lw > 0 && lw + 1 + ww > w {
                out.push(std::mem::take(&mut line));
                lw = 0;
            }
            if ww > w {
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if lw + cw > w {
                        out.push(std::mem::take(&mut line));
                        lw = 0;
                    }
                    line.push(c);
                    lw += cw;
                }
                continue;
            }
            if lw > 0 {
                line.push(' ');
                lw += 1;
            }
            line.push_str(word);
            lw += ww;
        }
        out.push(line);
    }
    out
}

/// `key label` hints, as many as fit in `w` columns.
pub fn hints<'a>(pairs: &[(String, &'a str)], key: Style, text: Style, w: usize) -> Line<'a> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, label) in pairs {
        let need = width(k) + 1 + width(label) + 2;
        if used + need > w {
            break;
        }
        spans.push(Span::styled(k.clone(), key));
        spans.push(Span::styled(format!(" {label}  "), text));
        used += need;
    }
    Line::from(spans)
}

/// "37s", "23m", "2h", "1d" until `until`.
pub fn countdown(
    until: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    let s = (until - now).num_seconds().max(0);
    match s {
        0..=99 => format!("{s}s"),
        100..=5999 => format!("{}m", (s + 59) / 60),
        6000..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// "2m", "3h", "4d" since `at` (the relative time without " ago").
pub fn ago_short(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let r = crate::fmt::relative(at, now);
    r.strip_suffix(" ago").map(str::to_string).unwrap_or(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_wrap_respect_wide_characters() {
        assert_eq!(fit("hello", 5, "…"), "hello");
        assert_eq!(fit("hello!", 5, "…"), "hell…");
        assert_eq!(fit("hello!", 5, "~"), "hell~");
        assert_eq!(fit("日本語です", 5, "…"), "日本…");
        assert!(width(&fit("日本語です", 5, "…")) <= 5);
        assert_eq!(fit("abc", 0, "…"), "");
        assert_eq!(right("42", 5, "…"), "   42");
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), vec!["abc", "def", "gh"]);
    }

    #[test]
    fn put_ignores_positions_outside() {
        let area = Rect::new(0, 0, 3, 1);
        let mut buf = Buffer::empty(area);
        assert_eq!(put(&mut buf, area, 0, 5, "x", 9, Style::default()), 0);
        assert_eq!(put(&mut buf, area, 9, 0, "x", 9, Style::default()), 0);
        assert_eq!(put(&mut buf, area, 1, 0, "xyz", 9, Style::default()), 2);
    }

    #[test]
    fn countdowns() {
        let now = chrono::Utc::now();
        assert_eq!(countdown(now + chrono::Duration::seconds(37), now), "37s");
        assert_eq!(countdown(now + chrono::Duration::minutes(23), now), "23m");
        assert_eq!(countdown(now - chrono::Duration::seconds(3), now), "0s");
    }
}
