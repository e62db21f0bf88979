//! Dialogs over the current screen: help (generated from the keymap), add repo (validates as you
//! type), confirm remove, import, search GitHub, notices with advice, the passphrase prompt, and
//! the `:` command line (drawn on the bottom row, vim style).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use tui_input::Input;

use crate::fmt::thousands;
use crate::domain::RepoKey;
use crate::sanitize::line as clean;
use crate::tui::app::{App, Dialog, Level};
use crate::tui::widgets::dialog::frame;
use crate::tui::widgets::{fill_row, fit, put, put_line, width, wrap};

/// Draws the dialog; returns the text cursor position when it has an input.
pub fn render(app: &App, d: &Dialog, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let t = &app.theme;
    let ascii = t.glyphs.bar_full == "#";
    let dw = area.width.saturating_sub(4).min(64);
    match d {
        Dialog::Help { mode, scroll } => {
            help(app, *mode, *scroll, area, buf, ascii);
            None
        }
        Dialog::Add { input, error } => {
            let v = input.value().trim();
            let (msg, style) = match error {
                Some(e) => (format!("{} {}", t.glyphs.failed, e), t.error),
                None if v.is_empty() => (String::new(), t.dim),
                None => {
                    let keys: Vec<String> = crate::tui::app::validate_keys(v)
                        .unwrap_or_default()
                        .iter()
                        .map(RepoKey::to_string)
                        .collect();
                    let tracked = keys
                        .iter()
                        .filter(|k| {
                            app.repos
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
            };
            let text_w = dw.saturating_sub(2) as usize;
            let help = wrap(
                "OWNER/NAME or a GitHub URL; several: separate with spaces",
                text_w,
            );
            let msg = wrap(&msg, text_w);
            let h = (help.len() + msg.len() + 4) as u16;
            let inner = frame(buf, area, dw, h, "Add repository", t.dialog, ascii);
            let mut y = inner.y;
            for l in &help {
                put(buf, inner, inner.x + 1, y, l, inner.width as usize, t.dim);
                y += 1;
            }
            let cur = input_line(buf, inner, y + 1, input, t.input, false);
            y += 2;
            for l in &msg {
                put(buf, inner, inner.x + 1, y, l, inner.width as usize, style);
                y += 1;
            }
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                "enter add · esc cancel",
                inner.width as usize,
                t.dim,
            );
            cur
        }
        Dialog::ConfirmRemove { names, .. } => {
            let shown = names.len().min(6);
            let inner = frame(
                buf,
                area,
                dw.min(56),
                shown as u16 + 4,
                "Remove",
                t.dialog,
                ascii,
            );
            let q = if names.len() == 1 {
                "Stop tracking this repository and delete what is stored for it?".to_string()
            } else {
                format!(
                    "Stop tracking these {} repositories and delete what is stored?",
                    names.len()
                )
            };
            let lines = wrap(&q, inner.width.saturating_sub(2) as usize);
            let mut y = inner.y;
            for l in lines.iter().take(2) {
                put(buf, inner, inner.x + 1, y, l, inner.width as usize, t.base);
                y += 1;
            }
            for n in names.iter().take(shown) {
                put(
                    buf,
                    inner,
                    inner.x + 3,
                    y,
                    &clean(n),
                    inner.width as usize,
                    t.header,
                );
                y += 1;
            }
            if names.len() > shown {
                put(
                    buf,
                    inner,
                    inner.x + 3,
                    y,
                    &format!("and {} more", names.len() - shown),
                    inner.width as usize,
                    t.dim,
                );
            }
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                "y remove · n keep",
                inner.width as usize,
                t.warn,
            );
            None
        }
        Dialog::Import { input, error } => {
            let inner = frame(buf, area, dw, 6, "Import repositories", t.dialog, ascii);
            put(
                buf,
                inner,
                inner.x + 1,
                inner.y,
                "org NAME · user NAME · mine (forks and archived skipped)",
                inner.width as usize,
                t.dim,
            );
            let cur = input_line(buf, inner, inner.y + 2, input, t.input, false);
            if let Some(e) = error {
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    inner.y + 3,
                    &format!("{} {e}", t.glyphs.failed),
                    inner.width as usize,
                    t.error,
                );
            }
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                "enter import · esc cancel",
                inner.width as usize,
                t.dim,
            );
            cur
        }
        Dialog::Search {
            input,
            hits,
            cursor,
            searching,
            sent,
        } => {
            let h = area
                .height
                .saturating_sub(4)
                .min(hits.len().max(1) as u16 + 4);
            let inner = frame(buf, area, dw, h, "Search GitHub", t.dialog, ascii);
            let cur = input_line(buf, inner, inner.y, input, t.input, false);
            let list_top = inner.y + 2;
            let rows = inner.bottom().saturating_sub(list_top + 1) as usize;
            if *searching {
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    list_top,
                    &format!(
                        "searching{} (search requests are spaced out)",
                        t.glyphs.more
                    ),
                    inner.width as usize,
                    t.dim,
                );
            } else if hits.is_empty() {
                let text = if sent.is_some() {
                    "No results."
                } else {
                    "Type a query (e.g. language:rust tui) and press enter."
                };
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    list_top,
                    text,
                    inner.width as usize,
                    t.dim,
                );
            }
            let off = cursor.saturating_sub(rows.saturating_sub(1));
            for (i, hit) in hits.iter().enumerate().skip(off).take(rows) {
                let y = list_top + (i - off) as u16;
                let tracked = app.repos.iter().any(|r| r.key == hit.key);
                let line = format!(
                    "{}{} {} {}  {}",
                    if tracked { "✓ " } else { "  " },
                    hit.key,
                    t.glyphs.star,
                    thousands(hit.stars),
                    clean(hit.description.as_deref().unwrap_or(""))
                );
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    y,
                    &fit(
                        &line,
                        inner.width.saturating_sub(2) as usize,
                        t.glyphs.ellipsis,
                    ),
                    inner.width as usize,
                    t.base,
                );
                if i == *cursor {
                    fill_row(
                        buf,
                        Rect {
                            x: inner.x,
                            width: inner.width,
                            ..inner
                        },
                        y,
                        t.selected,
                    );
                }
            }
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                "enter search/add · ↑↓ pick · esc close",
                inner.width as usize,
                t.dim,
            );
            cur
        }
        Dialog::Notice {
            title,
            body,
            level,
            url,
        } => {
            let w = dw.min(60);
            let lines = wrap(body, w.saturating_sub(2) as usize);
            let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
            let style = match level {
                Level::Info => t.dialog,
                Level::Warn => t.warn,
                Level::Error => t.error,
            };
            let inner = frame(buf, area, w, h, title, style, ascii);
            for (i, l) in lines
                .iter()
                .take(inner.height.saturating_sub(1) as usize)
                .enumerate()
            {
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    inner.y + i as u16,
                    l,
                    inner.width as usize,
                    t.base,
                );
            }
            let keys = if url.is_some() {
                "y copy · esc close"
            } else {
                "esc close"
            };
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                keys,
                inner.width as usize,
                t.dim,
            );
            None
        }
        Dialog::Passphrase { input, retry } => {
            let w = dw.min(50);
            let mut text = wrap(
                "The token vault needs its passphrase.",
                w.saturating_sub(2) as usize,
            );
            if *retry {
                text.extend(wrap(
                    "Wrong passphrase, try again.",
                    w.saturating_sub(2) as usize,
                ));
            }
            let inner = frame(
                buf,
                area,
                w,
                text.len() as u16 + 4,
                "Unlock tokens",
                t.dialog,
                ascii,
            );
            for (i, l) in text.iter().enumerate() {
                let style = if i > 0 && *retry { t.error } else { t.base };
                put(
                    buf,
                    inner,
                    inner.x + 1,
                    inner.y + i as u16,
                    l,
                    inner.width as usize,
                    style,
                );
            }
            let cur = input_line(
                buf,
                inner,
                inner.y + text.len() as u16 + 1,
                input,
                t.input,
                true,
            );
            put(
                buf,
                inner,
                inner.x + 1,
                inner.bottom().saturating_sub(1),
                "enter unlock · esc skip",
                inner.width as usize,
                t.dim,
            );
            cur
        }
        Dialog::Command { input, hint, .. } => {
            let y = area.bottom() - 1;
            let row = Rect {
                y,
                height: 1,
                ..area
            };
            fill_row(buf, area, y, t.base);
            buf.set_string(area.x, y, " ".repeat(area.width as usize), t.base);
            put(buf, row, area.x, y, ":", 1, t.key);
            let cur = input_line(
                buf,
                Rect {
                    x: area.x + 1,
                    width: area.width - 1,
                    ..row
                },
                y,
                input,
                t.base,
                false,
            );
            let hint = match hint {
                Some(h) => h.clone(),
                None => crate::tui::app::COMMANDS
                    .iter()
                    .find(|(c, _)| input.value().split_whitespace().next() == Some(*c))
                    .map(|(_, u)| u.to_string())
                    .unwrap_or_else(|| "tab completes · ↑↓ history · esc cancel".into()),
            };
            let hy = y - 1;
            fill_row(buf, area, hy, t.dim);
            buf.set_string(area.x, hy, " ".repeat(area.width as usize), t.dim);
            put(
                buf,
                area,
                area.x + 1,
                hy,
                &fit(&clean(&hint), area.width as usize - 2, t.glyphs.ellipsis),
                area.width as usize,
                t.dim,
            );
            cur
        }
    }
}

/// One input line inside `area` at row `y`, scrolled to the cursor; `mask` hides the text.
fn input_line(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    input: &Input,
    style: Style,
    mask: bool,
) -> Option<(u16, u16)> {
    let w = area.width.saturating_sub(2) as usize;
    if w == 0 || y >= area.bottom() {
        return None;
    }
    let value: String = if mask {
        "•".repeat(input.value().chars().count())
    } else {
        clean(input.value()).into_owned()
    };
    let scroll = input.visual_scroll(w);
    let shown: String = {
        let mut skipped = 0;
        let mut out = String::new();
        for c in value.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if skipped < scroll {
                skipped += cw;
                continue;
            }
            out.push(c);
        }
        out
    };
    buf.set_string(area.x + 1, y, " ".repeat(w), style);
    put(buf, area, area.x + 1, y, &shown, w, style);
    let cx = area.x + 1 + (input.visual_cursor().saturating_sub(scroll)).min(w) as u16;
    Some((cx, y))
}

fn help(
    app: &App,
    mode: crate::tui::keymap::Mode,
    scroll: usize,
    area: Rect,
    buf: &mut Buffer,
    ascii: bool,
) {
    let t = &app.theme;
    let sections = app.keymap.help(mode);
    let mut lines: Vec<Line> = Vec::new();
    let key_w = sections
        .iter()
        .flat_map(|(_, e)| e)
        .map(|e| width(&e.keys))
        .max()
        .unwrap_or(4)
        .min(20);
    for (m, entries) in &sections {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(m.title().to_string(), t.title));
        for e in entries {
            let ks = if e.remapped { t.key_remapped } else { t.key };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<key_w$}", e.keys), ks),
                Span::raw(format!("  {}", e.what)),
            ]));
        }
    }
    // Two columns when the screen is wide enough.
    let col_w = key_w as u16 + 22;
    let two = area.width >= col_w * 2 + 6;
    let inner_w = if two {
        col_w * 2 + 2
    } else {
        col_w.min(area.width.saturating_sub(4))
    };
    let height_needed = if two {
        lines.len().div_ceil(2)
    } else {
        lines.len()
    } as u16;
    let h = height_needed.min(area.height.saturating_sub(4)).max(1);
    let title = format!(
        "{} {} keys (remaps underlined) · esc close",
        mode.title(),
        t.glyphs.dash
    );
    let inner = frame(buf, area, inner_w, h, &title, t.dialog, ascii);
    let per_col = if two {
        (lines.len().div_ceil(2)).max(1)
    } else {
        lines.len()
    };
    let visible = inner.height as usize;
    for (i, l) in lines.iter().enumerate() {
        let (col, row) = if two {
            (i / per_col, i % per_col)
        } else {
            (0, i)
        };
        if row < scroll || row - scroll >= visible {
            continue;
        }
        let x = inner.x + col as u16 * (col_w + 2);
        put_line(buf, inner, x, inner.y + (row - scroll) as u16, l);
    }
}
