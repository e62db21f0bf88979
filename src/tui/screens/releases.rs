//! Releases across all tracked repos, newest first.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::sanitize::line as clean;
use crate::tui::app::App;
use crate::tui::widgets::table::Col;

use super::{ago_or_dash, clean_or_empty, cursor_table, loading_or_empty, release_kind, title};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let body = title(
        buf,
        area,
        "Releases",
        &format!(
            "{} across all repositories, newest first",
            app.releases().rows.len()
        ),
        t,
    );
    if loading_or_empty(
        buf,
        body,
        t,
        (app.releases().loading, app.releases().rows.is_empty()),
        "releases",
        "No releases stored yet: they appear after repositories are synced.",
    ) {
        return;
    }
    let cols = [
        Col::left("PUBLISHED", 9, u8::MAX),
        Col::left("REPO", 22, u8::MAX),
        Col::left("TAG", 12, u8::MAX),
        Col::flex("NAME", 8, 2),
        Col::left("", 11, 1),
    ];
    let r = app.releases();
    cursor_table(buf, body, (t, &cols), r.cursor, &r.rows, |(repo, r)| {
        (
            vec![
                (ago_or_dash(app, r.published_at), t.dim),
                (clean(repo).into_owned(), Style::default()),
                (clean(&r.tag).into_owned(), t.accent),
                (clean_or_empty(r.name.as_deref()), Style::default()),
                (release_kind(r).into(), t.warn),
            ],
            Style::default(),
        )
    });
}
