//! Sync jobs: running, waiting (reason and countdown), queued, failed, done, with duration,
//! requests and points; `x` cancels the one under the cursor.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use crate::fmt::thousands;
use crate::tui::app::{App, Job, JobState};
use crate::tui::widgets::countdown;
use crate::tui::widgets::table::{Cell, Col};

use super::{cursor_table, message, title};

fn secs(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// A job's share of what its batches cost: whole numbers as they are, a share of a shared batch
/// with up to two decimals (`0.02`: one request over 50 jobs), `<0.01` for less, so a job that
/// cost something never reads 0. `milli` is 0 from an engine that does not send it.
pub fn share(whole: u64, milli: u64) -> String {
    if milli == 0 || milli.is_multiple_of(1000) || milli >= 100_000 {
        return thousands(if milli == 0 {
            whole
        } else {
            milli.div_ceil(1000)
        });
    }
    if milli < 10 {
        return "<0.01".into();
    }
    let text = format!("{:.2}", milli as f64 / 1000.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let c = app.job_counts();
    let info = [
        format!("running {}", c[0]),
        format!("waiting {}", c[1]),
        format!("queued {}", c[2]),
        format!("failed {}", c[3]),
        format!("cancelled {}", c[5]),
        format!("done {}", c[4]),
    ]
    .join(&t.glyphs.sep());
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
        Col::right("REQ", 5, 2),
        Col::right("PTS", 5, 1),
        Col::flex("NOTE", 12, 4),
    ];
    let jobs = app.sorted_jobs();
    cursor_table(buf, body, (t, &cols), app.jobs_cursor(), &jobs, |j| {
        row(app, j)
    });
}

/// One job's row: glyph, repo, state, time in it (or the run's duration), cost and note.
fn row(app: &App, j: &Job) -> (Vec<Cell>, Style) {
    let t = app.theme();
    let g = &t.glyphs;
    let since = secs((app.now() - j.since).num_milliseconds().max(0) as u64);
    let took = || j.duration_ms.map(secs).unwrap_or_default();
    let (glyph, state, style, note, dur) = match &j.state {
        JobState::Queued => (g.queued, "queued", t.dim, String::new(), since),
        JobState::Running { step } => (g.syncing, "running", t.accent, step.clone(), since),
        JobState::Waiting { reason, until } => (
            g.waiting,
            "waiting",
            t.warn,
            format!("{reason}, retry in {}", countdown(*until, app.now())),
            since,
        ),
        JobState::Done { note } => (g.synced, "done", t.ok, note.clone(), took()),
        JobState::Failed { message } => (
            g.failed,
            "failed",
            t.error,
            format!("{message}: press s to retry"),
            took(),
        ),
        JobState::Cancelled => (g.never, "cancelled", t.dim, String::new(), took()),
    };
    let note_style = if matches!(j.state, JobState::Failed { .. }) {
        t.error
    } else {
        t.dim
    };
    let cells = vec![
        (glyph.to_string(), style),
        (app.job_name(j), Style::default()),
        (state.to_string(), style),
        (dur, t.dim),
        (
            share(j.cost.requests, j.cost.requests_milli),
            Style::default(),
        ),
        (share(j.cost.points, j.cost.points_milli), Style::default()),
        (note, note_style),
    ];
    (cells, Style::default())
}
