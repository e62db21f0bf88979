//! The activity feed across all repos, newest first; unread entries in bold with a dot; Enter
//! jumps to the repo and the tab the change belongs to. The selected row shows its absolute
//! (local) time; the title says which filters (`t` kind, `r` repo) are on.

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
    let f = app.activity_filter();
    let mut info = vec![
        format!("{} entries", app.activity().rows.len()),
        format!("{unread} unread"),
    ];
    if let Some(k) = f.kind {
        info.push(format!("kind {k}"));
    }
    if let Some((_, name)) = &f.repo {
        info.push(format!("repo {}", clean(name)));
    }
    let body = title(buf, area, "Activity", &info.join(&t.glyphs.sep()), t);
    if loading_or_empty(
        buf,
        body,
        t,
        (app.activity().loading, app.activity().rows.is_empty()),
        "activity",
        if f.is_set() {
            "No activity matches the filter: t changes the kind, r shows every repo again."
        } else {
            "No activity yet: changes (new commits, PRs, issues, releases, stars) appear here after syncs."
        },
    ) {
        return;
    }
    let cols = [
        Col::left("", 1, u8::MAX),
        Col::left("WHEN", 11, u8::MAX),
        Col::left("REPO", 22, 2),
        Col::flex("CHANGE", 12, u8::MAX),
    ];
    let a = app.activity();
    let selected = a.rows.get(a.cursor.sel).map(|e| e.seq);
    let offset = chrono::FixedOffset::east_opt(app.env().utc_offset);
    cursor_table(buf, body, (t, &cols), a.cursor, &a.rows, |e| {
        let style = if e.read { Style::default() } else { t.unread };
        // The selected row says exactly when; the others how long ago.
        let when = if Some(e.seq) == selected {
            match offset {
                Some(o) => e.at.with_timezone(&o).format("%m-%d %H:%M").to_string(),
                None => e.at.format("%m-%d %H:%M").to_string(),
            }
        } else {
            relative(e.at, app.now())
        };
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
                (when, t.dim),
                (clean(&e.full_name).into_owned(), Style::default()),
                (clean(&e.change.to_string()).into_owned(), Style::default()),
            ],
            style,
        )
    });
}
