//! The rate-limit panel (`L`): every bucket with a gauge, remaining/limit and reset countdown, the
//! reserve kept for what the user asks, this session's requests, 304s and points, and any pause.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::fmt::thousands;
use crate::tui::app::App;
use crate::tui::widgets::rate_limit_bar::{gauge, low_mark};
use crate::tui::widgets::{countdown, put_line, wrap};

use super::title;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    title(buf, area, "Rate limits", "remaining / limit · resets in", t);
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::default());
    let cells = ((area.width as usize).saturating_sub(36)).clamp(4, 24);
    if app.rate().is_empty() {
        lines.push(Line::styled(
            " Not known yet: the first request to GitHub reports them.",
            t.dim,
        ));
    }
    for b in app.rate() {
        let f = b.fraction();
        let style = t.rate_style(f);
        let mut spans = vec![Span::styled(format!(" {:<8} ", b.name), t.header)];
        spans.extend(gauge(t, f, cells, style));
        spans.push(Span::styled(
            format!(
                " {:>2}{:>6}/{:<6}",
                low_mark(f),
                thousands(b.remaining),
                thousands(b.limit)
            ),
            style,
        ));
        spans.push(Span::styled(
            format!(" {}", countdown(b.reset, app.now())),
            t.dim,
        ));
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    let s = app.session();
    let text_w = (area.width as usize).saturating_sub(12).max(10);
    let token = app
        .token()
        .map(str::to_string)
        .unwrap_or_else(|| "not known (no sync engine)".into());
    for (label, text) in [
        ("token", token),
        (
            "reserve",
            format!(
                "{} kept for what you ask for; background syncs stop below it",
                app.env().reserve
            ),
        ),
        (
            "session",
            format!(
                "{} requests, {} answered 304 (free), {} GraphQL points, {} jobs",
                thousands(s.requests),
                thousands(s.not_modified),
                thousands(s.points),
                thousands(s.jobs)
            ),
        ),
    ] {
        for (i, l) in wrap(&text, text_w).into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!(" {label:<9} "), t.dim),
                Span::raw(l),
            ]));
        }
    }
    // A pause is shown by the footer banner on every screen, this one included.
    for (i, l) in lines
        .iter()
        .skip(app.rate_scroll())
        .take(area.height.saturating_sub(1) as usize)
        .enumerate()
    {
        put_line(buf, area, area.x, area.y + 1 + i as u16, l);
    }
}
