//! The rate-limit panel (`L`): every bucket with a gauge, remaining/limit and reset countdown, the
//! reserve kept for what the user asks, this session's requests, 304s and points, each token's
//! requests, points and errors of the last 24 h from the audit log, the freshness plan (budget,
//! points spent in the last hour, cadence classes, next probe, data age, event hints), and any
//! pause.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use crate::domain::RateBucket;
use crate::fmt::thousands;
use crate::tui::app::App;
use crate::tui::widgets::rate_limit_bar::{gauge, low_mark};
use crate::tui::widgets::{countdown, put_line, wrap};

use super::title;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let info = format!("remaining / limit{}resets in", t.glyphs.sep());
    let body = title(buf, area, "Rate limits", &info, t);
    let mut lines: Vec<Line<'_>> = vec![Line::default()];
    if app.rate().is_empty() {
        lines.push(Line::styled(
            " Not known yet: the first request to GitHub reports them.",
            t.dim,
        ));
    }
    let cells = ((area.width as usize).saturating_sub(36)).clamp(4, 24);
    lines.extend(app.rate().iter().map(|b| bucket(app, b, cells)));
    lines.push(Line::default());
    lines.extend(spending(
        app,
        (area.width as usize).saturating_sub(12).max(10),
    ));
    // A pause is shown by the footer banner on every screen, this one included.
    for (y, l) in (body.top()..body.bottom()).zip(lines.iter().skip(app.rate_scroll())) {
        put_line(buf, body, body.x, y, l);
    }
}

/// One bucket: name, gauge, remaining/limit (with the low mark) and reset countdown.
fn bucket(app: &App, b: &RateBucket, cells: usize) -> Line<'static> {
    let t = app.theme();
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
    Line::from(spans)
}

/// The token in use, the reserve, and this session's requests, wrapped to `text_w` columns.
fn spending(app: &App, text_w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let s = app.session();
    let token = app.token().map_or_else(
        || "not known (no sync engine)".into(),
        |text| t.glyphs.swap_symbols(text).into_owned(),
    );
    let reserve = format!(
        "{} kept for what you ask for; background syncs stop below it",
        app.env().reserve
    );
    let session = format!(
        "{} requests, {} answered 304 (free), {} GraphQL points, {} jobs",
        thousands(s.requests),
        thousands(s.not_modified),
        thousands(s.points),
        thousands(s.jobs)
    );
    let mut rows = vec![("token", token), ("reserve", reserve), ("session", session)];
    rows.extend(token_use_rows(app));
    // The freshness plan, once the engine has published one.
    if let Some(plan) = app.plan() {
        rows.extend(
            crate::sync::freshness::plan_rows(plan, app.now())
                .into_iter()
                .map(|(label, text)| (label, t.glyphs.swap_symbols(&text).into_owned())),
        );
    }
    let mut lines = Vec::new();
    for (label, text) in rows {
        for (i, l) in wrap(&text, text_w).into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!(" {label:<9} "), t.dim),
                Span::raw(l),
            ]));
        }
    }
    lines
}

/// The audit log's per-token use of the last 24 h: one row per token, the first labelled.
fn token_use_rows(app: &App) -> Vec<(&'static str, String)> {
    let t = app.theme();
    let Some(usage) = app.token_use() else {
        return vec![("24 h", "reading the audit log...".into())];
    };
    if usage.is_empty() {
        return vec![("24 h", "no requests to GitHub recorded".into())];
    }
    usage
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let label = if i == 0 { "24 h" } else { "" };
            let text = format!(
                "{} ({}): {} requests, {} points, {} errors",
                t.glyphs.swap_symbols(&crate::sanitize::line(&u.token)),
                u.source,
                thousands(u.requests),
                thousands(u.points),
                thousands(u.errors)
            );
            (label, text)
        })
        .collect()
}
