//! Sync jobs: running, waiting (reason and countdown), queued, failed, done, with duration,
//! requests and points; `x` cancels the one under the cursor.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::fmt::thousands;
use crate::tui::app::{App, JobState};
use crate::tui::widgets::countdown;
use crate::tui::widgets::table::{self, Col};

use super::{message, title};

fn secs(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}s", ms / 1000)
    }
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let g = &t.glyphs;
    let c = app.job_counts();
    let info = format!(
        "running {} · waiting {} · queued {} · failed {} · done {}",
        c[0],
        c[1],
        c[2],
        c[3],
        c[4] + c[5]
    );
    let body = title(buf, area, "Sync jobs", &info, t);
    if app.jobs().is_empty() {
        let text = if app.env().engine {
            "No sync jobs this session. Press s on a repository to sync it, or R to sync all."
        } else {
            "The sync engine is not running: nothing is syncing."
        };
        return message(buf, body, &[(text, t.dim)]);
    }
    let cols = [
        Col::left("", 1, u8::MAX),
        Col::flex("REPO", 16, u8::MAX),
        Col::left("STATE", 9, u8::MAX),
        Col::right("FOR", 6, 3),
        Col::right("REQ", 4, 2),
        Col::right("PTS", 4, 1),
        Col::flex("NOTE", 12, 4),
    ];
    let jobs = app.sorted_jobs();
    let rows_h = body.height.saturating_sub(1) as usize;
    let cur = app.jobs_cursor();
    let off = cur.visible_offset(jobs.len(), rows_h);
    let rows = jobs.iter().skip(off).take(rows_h).map(|j| {
        let since_ms = (app.now() - j.since).num_milliseconds().max(0) as u64;
        let (glyph, state, style, note, dur) = match &j.state {
            JobState::Queued => (g.queued, "queued", t.dim, String::new(), secs(since_ms)),
            JobState::Running { step } => {
                (g.syncing, "running", t.accent, step.clone(), secs(since_ms))
            }
            JobState::Waiting { reason, until } => (
                g.waiting,
                "waiting",
                t.warn,
                format!("{reason}, retry in {}", countdown(*until, app.now())),
                secs(since_ms),
            ),
            JobState::Done { note } => (
                g.synced,
                "done",
                t.ok,
                note.clone(),
                j.duration_ms.map(secs).unwrap_or_default(),
            ),
            JobState::Failed { message } => (
                g.failed,
                "failed",
                t.error,
                format!("{message}: press s to retry"),
                j.duration_ms.map(secs).unwrap_or_default(),
            ),
            JobState::Cancelled => (
                g.never,
                "cancelled",
                t.dim,
                String::new(),
                j.duration_ms.map(secs).unwrap_or_default(),
            ),
        };
        (
            vec![
                (glyph.to_string(), style),
                (j.name.clone(), Style::default()),
                (state.to_string(), style),
                (dur, t.dim),
                (thousands(j.cost.requests), Style::default()),
                (thousands(j.cost.points), Style::default()),
                (
                    note,
                    if matches!(j.state, JobState::Failed { .. }) {
                        t.error
                    } else {
                        t.dim
                    },
                ),
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
