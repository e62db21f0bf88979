//! The activity feed across all repos, newest first; unread entries in bold with a dot; Enter
//! jumps to the repo and the tab the change belongs to.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::fmt::relative;
use crate::sanitize::line as clean;
use crate::tui::app::App;
use crate::tui::widgets::table::{self, Col};

use super::{loading_or_empty, title};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let unread = app.activity().rows.iter().filter(|e| !e.read).count();
    let body = title(
        buf,
        area,
        "Activity",
        &format!("{} entries · {unread} unread", app.activity().rows.len()),
        t,
    );
    if loading_or_empty(
        buf,
        body,
        t,
        (app.activity().loading, app.activity().rows.is_empty()),
        "activity",
        "No activity yet: changes (new commits, PRs, issues, releases, stars) appear here after syncs.",
    ) {
        return;
    }
    let cols = [
        Col::left("", 1, u8::MAX),
        Col::left("WHEN", 8, u8::MAX),
        Col::left("REPO", 22, 2),
        Col::flex("CHANGE", 12, u8::MAX),
    ];
    let rows_h = body.height.saturating_sub(1) as usize;
    let cur = app.activity().cursor;
    let off = cur.visible_offset(app.activity().rows.len(), rows_h);
    let rows = app.activity().rows.iter().skip(off).take(rows_h).map(|e| {
        let style = if e.read { Style::default() } else { t.unread };
        (
            vec![
                (
                    if e.read {
                        " ".into()
                    } else {
                        t.glyphs.unread.to_string()
                    },
                    t.accent,
                ),
                (relative(e.at, app.now()), t.dim),
                (clean(&e.full_name).into_owned(), Style::default()),
                (clean(&e.change.to_string()).into_owned(), Style::default()),
            ],
            style,
        )
    });
    let body = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(1),
        ..body
    };
    table::draw(
        buf,
        body,
        &cols,
        t.dim,
        t.selected,
        rows,
        Some(cur.sel.saturating_sub(off)),
    );
}
