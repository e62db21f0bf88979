//! The top-level render: a pure function of `App` (no clock, no I/O). Header with the rate-limit
//! bar on top, the current screen, the footer (pause banner, status, filter or key hints), then
//! any dialog. Below the minimum size it says "terminal too small" instead.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::action::Action;
use super::app::{App, Dialog, Level, MIN_HEIGHT, MIN_WIDTH, Screen, StatusMsg};
use super::keymap::Mode;
use super::screens;
use super::widgets::{
    self, countdown, fill_row, fit, hints, line_width, put, put_line, rate_limit_bar,
};
use crate::fmt::thousands;
use crate::sanitize;

/// Draws the whole UI into the frame and places the cursor for input lines.
pub fn render(app: &App, frame: &mut Frame<'_>) {
    let area = frame.area();
    let cursor = draw(app, area, frame.buffer_mut());
    if let Some((x, y)) = cursor {
        frame.set_cursor_position(Position { x, y });
    }
}

/// Draws into a buffer; returns where the text cursor goes, if an input is active.
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, buf);
        return None;
    }
    buf.set_style(area, app.theme().base);
    header(app, Rect { height: 1, ..area }, buf);
    let body = Rect {
        y: area.y + 1,
        height: area.height - 2,
        ..area
    };
    match app.screen() {
        Screen::List => screens::repo_list::render(app, body, buf),
        Screen::Detail => screens::detail::render(app, body, buf),
        Screen::Activity => screens::activity::render(app, body, buf),
        Screen::Releases => screens::releases::render(app, body, buf),
        Screen::Jobs => screens::jobs::render(app, body, buf),
        Screen::Rate => screens::rate::render(app, body, buf),
        Screen::Attention => screens::attention::render(app, body, buf),
    }
    let foot = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    let mut cursor = footer(app, foot, buf);
    if let Some(d) = app.dialog() {
        cursor = screens::dialogs::render(app, d, area, buf);
    }
    cursor
}

fn too_small(area: Rect, buf: &mut Buffer) {
    let msg = format!("terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT})");
    let lines = widgets::wrap(&msg, area.width as usize);
    for (i, l) in lines.iter().enumerate().take(area.height as usize) {
        put(
            buf,
            area,
            area.x,
            area.y + i as u16,
            l,
            area.width as usize,
            Style::default(),
        );
    }
}

fn header(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    fill_row(buf, area, area.y, t.header);
    let full = area.width as usize;
    let title = header_title(app, full);
    let mut spans = vec![Span::styled(title.clone(), t.title)];
    let mut info = Vec::new();
    // Whose store this is comes first, so a narrow header keeps it.
    match &app.env().host {
        Some(host) if app.env().engine => info.push(host.clone()),
        Some(_) if app.taking_over() => info.push(format!("taking over{}", t.glyphs.more)),
        Some(_) => match screens::key_name(app, Mode::Global, &Action::TakeOver) {
            Some(k) => info.push(format!("host gone: {k} takes over")),
            None => info.push("host gone".into()),
        },
        None => {}
    }
    if app.loading() {
        info.push(format!("loading{}", t.glyphs.more));
    } else {
        let n = app.repos().len();
        info.push(format!(
            "{} repo{}",
            thousands(n as u64),
            if n == 1 { "" } else { "s" }
        ));
        let changed = app.changed_count();
        if changed > 0 {
            // Repos with activity not read yet (opening it, or `m` in the feed, reads it).
            info.push(format!("{} changed since read", thousands(changed as u64)));
        }
        let c = app.job_counts();
        if c[0] + c[1] > 0 {
            info.push(format!("syncing {}", c[0] + c[1]));
        }
        if c[2] > 0 {
            info.push(format!("queued {}", c[2]));
        }
        if app.env().host.is_none() && !app.env().engine {
            info.push("offline".into());
        }
    }
    spans.push(Span::styled(
        format!("  {}", info.join(&t.glyphs.sep())),
        t.header,
    ));
    let line = Line::from(spans);
    let text: String = line.spans.iter().map(|s| s.content.to_string()).collect();
    // The rate bar must always be visible: it shrinks to leave the left side whole, and only
    // when even its small form does not fit does the left side get cut.
    let mut bar = rate_limit_bar::bar(
        t,
        app.rate(),
        app.now(),
        full.saturating_sub(widgets::width(&text) + 2),
    );
    if line_width(&bar) < 14 {
        let reserve_left = match &app.env().host {
            Some(host) => (widgets::width(host) + 12).min(full / 2),
            None if title != " repodeck" => (widgets::width(&title) + 1).min(full / 2),
            None => 10usize.min(full / 3),
        };
        bar = rate_limit_bar::bar(
            t,
            app.rate(),
            app.now(),
            full.saturating_sub(reserve_left + 1),
        );
    }
    let bw = line_width(&bar) as u16;
    put_line(buf, area, area.right().saturating_sub(bw + 1), area.y, &bar);
    let left_room = full.saturating_sub(bw as usize + 2);
    // On the repo screen the repository's name matters more than the counts after it.
    let shown = if title != " repodeck" && widgets::width(&text) > left_room {
        &title
    } else {
        &text
    };
    let fitted = fit(shown, left_room, t.glyphs.ellipsis);
    // Keep the title style on the title and header style on the rest.
    let title_w = widgets::width(&title).min(widgets::width(&fitted));
    let (a, b) = split_at_width(&fitted, title_w);
    let x = area.x + put(buf, area, area.x, area.y, &a, left_room, t.title);
    put(
        buf,
        area,
        x,
        area.y,
        &b,
        left_room.saturating_sub(title_w),
        t.header,
    );
}

/// The header's title: " repodeck", and on the repo screen the repository it shows
/// (" repodeck · owner/name"; only the name when the terminal is narrow).
fn header_title(app: &App, full: usize) -> String {
    let repo = match app.screen() {
        Screen::Detail => app.current_repo(),
        _ => None,
    };
    let Some(repo) = repo else {
        return " repodeck".into();
    };
    let long = format!(" repodeck{}{}", app.theme().glyphs.sep(), repo.key);
    if widgets::width(&long) + 30 <= full {
        long
    } else {
        format!(" {}", repo.key)
    }
}

fn split_at_width(s: &str, w: usize) -> (String, String) {
    let mut used = 0;
    let mut idx = s.len();
    for (i, c) in s.char_indices() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + cw > w {
            idx = i;
            break;
        }
        used += cw;
    }
    (s[..idx].to_string(), s[idx..].to_string())
}

/// The hints shown in the footer for a mode: the keys that work right here.
pub fn footer_hints(app: &App, mode: Mode) -> Vec<(String, &'static str)> {
    let actions: &[Action] = match mode {
        Mode::List => &[
            Action::Open,
            Action::Sync,
            Action::Add,
            Action::Filter,
            Action::Command,
            Action::Help,
            Action::Quit,
        ],
        Mode::Detail => &[
            Action::Back,
            Action::NextTab,
            Action::OpenBrowser,
            Action::CopyUrl,
            Action::Sync,
            Action::Help,
        ],
        Mode::Commit => &[
            Action::Back,
            Action::OpenBrowser,
            Action::CopyUrl,
            Action::Help,
        ],
        Mode::Activity => &[
            Action::Open,
            Action::Back,
            Action::OpenBrowser,
            Action::Help,
        ],
        Mode::Releases => &[
            Action::OpenBrowser,
            Action::CopyUrl,
            Action::Back,
            Action::Help,
        ],
        Mode::Jobs => &[Action::Cancel, Action::Sync, Action::Back, Action::Help],
        Mode::Item => &[
            Action::Back,
            Action::Down,
            Action::OpenBrowser,
            Action::CopyUrl,
            Action::Help,
        ],
        Mode::Rate => &[Action::Back, Action::Help],
        Mode::Attention => &[
            Action::Open,
            Action::Refresh,
            Action::OpenBrowser,
            Action::Back,
            Action::Help,
        ],
        _ => &[],
    };
    // Once the host has gone, taking the store over is the first thing to offer.
    let take_over =
        (app.host_gone() && !app.taking_over() && !actions.is_empty()).then_some(&Action::TakeOver);
    take_over
        .into_iter()
        .chain(actions)
        .filter_map(|a| screens::key_name(app, mode, a).map(|k| (k, short_label(a))))
        .collect()
}

fn short_label(a: &Action) -> &'static str {
    match a {
        Action::Open => "open",
        Action::Sync => "sync",
        Action::Add => "add",
        Action::Filter => "filter",
        Action::Command => "cmd",
        Action::Help => "help",
        Action::Quit => "quit",
        Action::Back => "back",
        Action::NextTab => "next tab",
        Action::OpenBrowser => "browser",
        Action::CopyUrl => "copy URL",
        Action::Cancel => "cancel",
        Action::TakeOver => "take over",
        Action::Down => "scroll",
        other => other.describe(),
    }
}

/// The bottom row: the pause banner, else the filter line, else the status message and the key
/// hints (none under the `:` line, which takes this row).
fn footer(app: &App, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let t = app.theme();
    // A pause is the most important thing on screen.
    if let Some((reason, until)) = app.pause() {
        let msg = format!(
            " {} {reason}, resuming in {}",
            t.glyphs.waiting,
            countdown(*until, app.now())
        );
        fill_row(buf, area, area.y, t.pause);
        let w = area.width as usize;
        put(
            buf,
            area,
            area.x,
            area.y,
            &fit(&msg, w, t.glyphs.ellipsis),
            w,
            t.pause,
        );
        return None;
    }
    if app.filtering()
        || (!app.filter().value().is_empty()
            && app.screen() == Screen::List
            && app.status().is_none())
    {
        return filter_line(app, area, buf);
    }
    if let Some(Dialog::Command { .. }) = app.dialog() {
        return None;
    }
    let hints_line = hints(
        &footer_hints(app, app.mode()),
        t.key,
        t.dim,
        area.width as usize,
    );
    let hw = line_width(&hints_line) as u16;
    match app.status() {
        Some(s) => status_line(app, s, &hints_line, area, buf),
        None => {
            put_line(
                buf,
                area,
                area.right().saturating_sub(hw),
                area.y,
                &hints_line,
            );
        }
    }
    None
}

/// "/ text" while filtering (with the match count and keys), or the filter kept on the list;
/// returns the cursor while typing.
fn filter_line(app: &App, area: Rect, buf: &mut Buffer) -> Option<(u16, u16)> {
    let t = app.theme();
    let (y, w) = (area.y, area.width as usize);
    let label = " / ";
    put(buf, area, area.x, y, label, w, t.key);
    let value = sanitize::line(app.filter().value()).into_owned();
    let room = w.saturating_sub(label.len() + 1);
    let scroll = app.filter().visual_scroll(room);
    let shown: String = value.chars().skip(scroll).collect();
    let x = area.x + label.len() as u16;
    put(buf, area, x, y, &shown, room, t.input);
    let used = label.len() + widgets::width(&shown);
    if let Some(e) = app.filter_error() {
        // The error takes the hint's place: what is wrong, while the list keeps the last valid
        // filter.
        let left = w.saturating_sub(used + 3);
        if left > 8 {
            let msg = fit(&format!("{} {e}", t.glyphs.failed), left, t.glyphs.ellipsis);
            let mw = widgets::width(&msg) as u16;
            put(buf, area, area.right() - mw - 1, y, &msg, left, t.error);
        }
    }
    if !app.filtering() {
        return None;
    }
    let cx = x + (app.filter().visual_cursor().saturating_sub(scroll)) as u16;
    let cursor = Some((cx.min(area.right().saturating_sub(1)), y));
    if app.filter_error().is_some() {
        return cursor;
    }
    let hint = [
        match app.view().len() {
            1 => "1 match".to_string(),
            n => format!("{} matches", thousands(n as u64)),
        },
        "enter keep".into(),
        "esc clear".into(),
    ]
    .join(&t.glyphs.sep());
    let hw = widgets::width(&hint) as u16;
    if (hw as usize) + used + 2 < w {
        put(buf, area, area.right() - hw - 1, y, &hint, w, t.dim);
    }
    cursor
}

/// The status message on the left and the key hints on the right when both fit; otherwise the
/// message alone.
fn status_line(app: &App, s: &StatusMsg, hints_line: &Line<'_>, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let (y, w) = (area.y, area.width as usize);
    let hw = line_width(hints_line);
    let style = match s.level {
        Level::Info => t.base,
        Level::Warn => t.warn,
        Level::Error => t.error,
    };
    let text = format!(" {}", t.glyphs.swap_symbols(&sanitize::line(&s.text)));
    if widgets::width(&text) + hw + 2 <= w {
        put(buf, area, area.x, y, &text, w, style);
        put_line(buf, area, area.right() - hw as u16, y, hints_line);
    } else {
        put(
            buf,
            area,
            area.x,
            y,
            &fit(&text, w, t.glyphs.ellipsis),
            w,
            style,
        );
    }
}
