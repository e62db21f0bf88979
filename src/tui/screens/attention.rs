//! The Attention screen (`W`): one cross-repo queue of what needs the user, grouped by reason
//! with a heading and count per group; each row a reason mark, whether the repo is tracked, the
//! repo, `#number` (or the head's short sha, or the release's tag), the title (sanitized) and its
//! age. The title row says what the GitHub search cost; a second row says when the search part
//! is missing (offline, no token, refused) while the store's rows are still shown.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::domain::{AttentionItem, AttentionReason, AttentionSearchState, AttentionSubject};
use crate::fmt::{relative, thousands};
use crate::sanitize::line as clean;
use crate::tui::app::{App, AttentionRow};
use crate::tui::theme::{ASCII, Theme};
use crate::tui::widgets::table::Col;
use crate::tui::widgets::{fill_row, put, wrap};

use super::{below_first_row, cursor_table, message, title};

/// The mark before a row, by reason (Unicode, ASCII).
fn mark(reason: AttentionReason, t: &Theme) -> (&'static str, Style) {
    let ascii = t.glyphs == ASCII;
    let pick = |u: &'static str, a: &'static str| if ascii { a } else { u };
    match reason {
        AttentionReason::ReviewRequested => (pick("◆", "R"), t.accent),
        AttentionReason::ChangesRequested => (pick("±", "C"), t.warn),
        AttentionReason::CiFailing | AttentionReason::HeadFailing => (t.glyphs.failed, t.error),
        AttentionReason::NewRelease => (pick("▲", "N"), t.ok),
        AttentionReason::Stale => (pick("◌", "z"), t.dim),
    }
}

/// The title row's info: counts, the search's cost, who searched, when.
fn info(app: &App) -> String {
    let a = app.attention();
    let t = app.theme();
    let sep = t.glyphs.sep();
    let n = a.items.len();
    let mut parts = Vec::new();
    if a.loaded {
        parts.push(format!("{n} item{}", if n == 1 { "" } else { "s" }));
    }
    match &a.search {
        Some(AttentionSearchState::Done {
            login,
            cost,
            remaining,
            ..
        }) => {
            let left = remaining
                .map(|r| format!(" ({} left)", thousands(r)))
                .unwrap_or_default();
            parts.push(format!(
                "search: {cost} point{}{left}",
                if *cost == 1 { "" } else { "s" }
            ));
            parts.push(format!("as {}", clean(login)));
        }
        Some(AttentionSearchState::Failed { .. }) => parts.push("search failed".into()),
        Some(AttentionSearchState::Unavailable { .. }) => parts.push("search unavailable".into()),
        None => {}
    }
    if a.loading {
        parts.push(format!("reading{}", t.glyphs.more));
    } else if let Some(at) = a.at {
        parts.push(format!("read {}", relative(at, app.now())));
    }
    parts.join(&sep)
}

/// The row under the title when the search part is missing or cut: `(text, style)`.
fn search_note(app: &App) -> Option<(String, Style)> {
    let t = app.theme();
    match app.attention().search.as_ref()? {
        AttentionSearchState::Unavailable { message } => Some((
            format!(
                "GitHub search unavailable: {}. Only the store's rows are shown.",
                clean(message).trim_end_matches('.')
            ),
            t.warn,
        )),
        AttentionSearchState::Failed { message } => Some((
            format!(
                "{}. Only the store's rows are shown; r tries again.",
                clean(message)
            ),
            t.error,
        )),
        AttentionSearchState::Done {
            truncated: true, ..
        } => Some((
            "More pull requests matched than one search page (50) holds: the rest are on GitHub."
                .into(),
            t.dim,
        )),
        AttentionSearchState::Done { .. } => None,
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let a = app.attention();
    let mut body = title(buf, area, "Attention", &info(app), t);
    if let Some(err) = &a.error {
        let what = format!(
            "{err}. Press r to try again; if it keeps failing, quit and start repodeck again (it checks the store)."
        );
        message(buf, body, &[(&what, t.error)]);
        return;
    }
    if !a.loaded {
        let text = format!("Reading the attention queue{}", t.glyphs.more);
        message(buf, body, &[(&text, t.dim)]);
        return;
    }
    if let Some((note, style)) = search_note(app) {
        // Up to 3 lines (fewer on a short terminal): the note says what to do.
        let most = (body.height / 4).clamp(1, 3) as usize;
        for line in wrap(&note, body.width.saturating_sub(2) as usize)
            .iter()
            .take(most)
        {
            put(
                buf,
                body,
                body.x + 1,
                body.y,
                line,
                body.width as usize,
                style,
            );
            body = below_first_row(body);
        }
    }
    if a.items.is_empty() {
        let none = "Nothing needs you: no review requests, none of your pull requests fail CI or have changes requested, no default branch fails, no new releases, no pull request idle for 30 days.";
        message(buf, body, &[(none, t.ok)]);
        return;
    }
    table(app, body, buf);
}

fn subject(item: &AttentionItem) -> String {
    match &item.subject {
        AttentionSubject::PullRequest { number } => format!("#{number}"),
        AttentionSubject::Commit { sha } => sha.chars().take(7).collect(),
        AttentionSubject::Release { tag } => clean(tag).into_owned(),
    }
}

fn table(app: &App, body: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let a = app.attention();
    // A wide terminal gives the repo's name room; the title takes the rest.
    let repo_w = if body.width >= 110 { 30 } else { 18 };
    let cols = [
        Col::left("", 1, u8::MAX),
        Col::left("", 1, 1),
        Col::left("REPO", repo_w, 4),
        Col::left("#", 7, 3),
        Col::flex("TITLE", 8, u8::MAX),
        Col::left("AGE", 7, 2),
    ];
    cursor_table(buf, body, (t, &cols), a.cursor, &a.rows, |row| {
        let AttentionRow::Item(i) = row else {
            return (Vec::new(), Style::default());
        };
        let Some(item) = a.items.get(*i) else {
            return (Vec::new(), Style::default());
        };
        let (m, style) = mark(item.reason, t);
        let tracked = if item.local.is_some() {
            t.glyphs.check
        } else {
            " "
        };
        let title = if item.draft {
            format!("[draft] {}", clean(&item.title))
        } else {
            clean(&item.title).into_owned()
        };
        (
            vec![
                (m.to_string(), style),
                (tracked.to_string(), t.dim),
                (clean(&item.repo).into_owned(), Style::default()),
                (subject(item), t.accent),
                (title, Style::default()),
                (
                    item.at
                        .map(|at| relative(at, app.now()))
                        .unwrap_or_else(|| t.glyphs.dash.into()),
                    t.dim,
                ),
            ],
            Style::default(),
        )
    });
    headings(app, body, buf);
}

/// Writes each visible heading row over its (empty) table row, across the whole width.
fn headings(app: &App, body: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let a = app.attention();
    let rows_h = body.height.saturating_sub(1) as usize;
    let off = a.cursor.visible_offset(a.rows.len(), rows_h);
    for (n, row) in a.rows.iter().skip(off).take(rows_h).enumerate() {
        let AttentionRow::Header { reason, count } = row else {
            continue;
        };
        let y = body.y + 1 + n as u16;
        fill_row(buf, body, y, t.base);
        let (m, style) = mark(*reason, t);
        let x = body.x + 1;
        let w = put(buf, body, x, y, m, body.width as usize, style);
        put(
            buf,
            body,
            x + w + 1,
            y,
            &format!("{} ({count})", reason.title()),
            body.width.saturating_sub(w + 2) as usize,
            t.title,
        );
    }
}
