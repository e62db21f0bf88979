//! The activity feed across all repos, newest first; unread entries in bold with a dot; Enter
//! jumps to the repo and the tab the change belongs to.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::fmt::relative;
use crate::sanitize::line as clean;
use crate::tui::app::App;
use crate::tui::widgets::table::Col;

use super::{cursor_table, loading_or_empty, title};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let unread = app.activity().rows.iter().filter(|e| !e.read).count();
    let body = title(
        buf,
        area,
        "Activity",
        &format!(
            "{} entries{}{unread} unread",
            app.activity().rows.len(),
            t.glyphs.sep()
        ),
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
    let a = app.activity();
    cursor_table(buf, body, (t, &cols), a.cursor, &a.rows, |e| {
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
}
