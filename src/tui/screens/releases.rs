//! Releases across all tracked repos, newest first.

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
    let rows_h = body.height.saturating_sub(1) as usize;
    let cur = app.releases().cursor;
    let off = cur.visible_offset(app.releases().rows.len(), rows_h);
    let dash = t.glyphs.dash;
    let rows = app
        .releases()
        .rows
        .iter()
        .skip(off)
        .take(rows_h)
        .map(|(repo, r)| {
            let kind = if r.draft {
                "draft"
            } else if r.prerelease {
                "pre-release"
            } else {
                ""
            };
            (
                vec![
                    (
                        r.published_at
                            .map(|p| relative(p, app.now()))
                            .unwrap_or_else(|| dash.into()),
                        t.dim,
                    ),
                    (clean(repo).into_owned(), Style::default()),
                    (clean(&r.tag).into_owned(), t.accent),
                    (
                        r.name
                            .as_deref()
                            .map(|n| clean(n).into_owned())
                            .unwrap_or_default(),
                        Style::default(),
                    ),
                    (kind.into(), t.warn),
                ],
                Style::default(),
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
