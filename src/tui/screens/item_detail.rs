//! The pull request and issue views of the repo screen (Enter on a row of the PRs or Issues tab):
//! title, state, author, base <- head, review decision and requested reviewers, checks (failing
//! first, a mark per state), labels, assignees, +/- and files, comments, mergeable, then the body
//! as plain text. Everything from GitHub passes `sanitize` first; markdown stays text, wrapped
//! to the width. The whole text scrolls; `line_count` and `rows` tell `app` how far.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::domain::{CiState, CiStatus, Issue, Mergeable, PullRequest, ReviewDecision, short_sha};
use crate::fmt::{relative, thousands};
use crate::sanitize::{line as clean, multiline};
use crate::tui::app::{App, Item};
use crate::tui::theme::Theme;
use crate::tui::widgets::{fit, put_line, width, wrap};

use super::message;

/// Width of the labels in front of the fields (`Checks     `), indent included.
const LABEL_W: usize = 12;

/// Rows the text is drawn in at a terminal height: all but the header, the tabs and the footer.
pub fn rows(height: u16) -> usize {
    height.saturating_sub(3) as usize
}

/// Lines of the open pull request's or issue's text at a terminal width.
pub fn line_count(app: &App, width: u16) -> usize {
    document(app, width).len()
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let lines = document(app, area.width);
    if lines.is_empty() {
        let (what, n) = match app.detail().item {
            Some(Item::Issue(n)) => ("Issue", n),
            Some(Item::Pull(n)) => ("Pull request", n),
            None => return,
        };
        // Opened from the Attention screen before the repo's details were read.
        let text = if app.detail().loading {
            format!("Loading {} #{n}{}", what.to_lowercase(), t.glyphs.more)
        } else {
            format!(
                "{what} #{n} is no longer open (it left the stored list at the last sync). Press esc."
            )
        };
        return message(buf, area, &[(&text, t.dim)]);
    }
    let rows = area.height as usize;
    let scroll = (app.detail().scroll as usize).min(lines.len().saturating_sub(rows));
    for (i, l) in lines.iter().skip(scroll).take(rows).enumerate() {
        put_line(buf, area, area.x, area.y + i as u16, l);
    }
}

/// The text of what is open, laid out for `width` columns; empty when it is no longer stored.
fn document(app: &App, width: u16) -> Vec<Line<'static>> {
    let w = (width as usize).saturating_sub(1).max(10);
    if let Some(p) = app.open_pull() {
        return pull_lines(app, p, w);
    }
    if let Some(i) = app.open_issue() {
        return issue_lines(app, i, w);
    }
    Vec::new()
}

fn pull_lines(app: &App, p: &PullRequest, w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let g = &t.glyphs;
    let mut lines = heading(t, p.number, &p.title, w);
    let state = if p.draft {
        ("draft", t.dim)
    } else {
        ("open", t.ok)
    };
    let state = state_line(
        app,
        state,
        p.author.as_deref(),
        (p.created_at, p.updated_at),
    );
    lines.extend(indented(wrap_spans(state, w.saturating_sub(1))));
    lines.push(Line::default());
    if !p.base.is_empty() || !p.head.is_empty() {
        let mut spans = vec![
            Span::styled(clean(&p.base).into_owned(), t.accent),
            Span::raw(format!(" {} ", g.merge_into)),
            Span::styled(clean(&p.head).into_owned(), t.accent),
        ];
        if !p.head_sha.is_empty() {
            spans.push(Span::styled(
                format!(" ({})", short_sha(&p.head_sha)),
                t.dim,
            ));
        }
        lines.extend(wrapped_field(t, "Branches", spans, w));
    }
    lines.extend(review(t, p, w));
    lines.extend(checks(t, p.ci.as_ref(), w));
    lines.extend(list_field(t, "Labels", &p.labels, w));
    lines.extend(list_field(t, "Assignees", &p.assignees, w));
    lines.extend(wrapped_field(t, "Changes", changes(t, p), w));
    lines.push(field(t, "Mergeable", vec![mergeable(t, p.mergeable)]));
    lines.extend(body(t, &p.body, w));
    lines
}

fn issue_lines(app: &App, i: &Issue, w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let mut lines = heading(t, i.number, &i.title, w);
    let state = state_line(
        app,
        ("open", t.ok),
        i.author.as_deref(),
        (i.created_at, i.updated_at),
    );
    lines.extend(indented(wrap_spans(state, w.saturating_sub(1))));
    lines.push(Line::default());
    lines.extend(list_field(t, "Labels", &i.labels, w));
    lines.extend(list_field(t, "Assignees", &i.assignees, w));
    lines.push(field(t, "Comments", vec![Span::raw(thousands(i.comments))]));
    lines.extend(body(t, &i.body, w));
    lines
}

/// `#42 Title`, wrapped under itself.
fn heading(t: &Theme, number: u64, title: &str, w: usize) -> Vec<Line<'static>> {
    let num = format!("#{number} ");
    let indent = 1 + width(&num);
    let mut lines = Vec::new();
    for (n, part) in wrap(&clean(title), w.saturating_sub(indent))
        .into_iter()
        .enumerate()
    {
        let lead = if n == 0 {
            Span::styled(format!(" {num}"), t.accent)
        } else {
            Span::raw(" ".repeat(indent))
        };
        lines.push(Line::from(vec![lead, Span::styled(part, t.title)]));
    }
    lines
}

/// `open · by samlee · opened 2d ago · updated 3h ago`.
fn state_line(
    app: &App,
    (state, style): (&'static str, Style),
    author: Option<&str>,
    (created, updated): (
        Option<chrono::DateTime<chrono::Utc>>,
        Option<chrono::DateTime<chrono::Utc>>,
    ),
) -> Vec<Span<'static>> {
    let t = app.theme();
    let mut parts = Vec::new();
    if let Some(a) = author.filter(|a| !a.is_empty()) {
        parts.push(format!("by {}", clean(a)));
    }
    if let Some(c) = created {
        parts.push(format!("opened {}", relative(c, app.now())));
    }
    if let Some(u) = updated.filter(|u| Some(*u) != created) {
        parts.push(format!("updated {}", relative(u, app.now())));
    }
    let mut spans = vec![Span::styled(state, style)];
    if !parts.is_empty() {
        let rest = format!("{}{}", t.glyphs.sep(), parts.join(&t.glyphs.sep()));
        spans.push(Span::styled(rest, t.dim));
    }
    spans
}

/// Lines of spans, each one column in.
fn indented(lines: Vec<Vec<Span<'static>>>) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|mut l| {
            l.insert(0, Span::raw(" "));
            Line::from(l)
        })
        .collect()
}

/// A labelled line: the label dim in a fixed width, then the value.
fn field(t: &Theme, label: &str, mut value: Vec<Span<'static>>) -> Line<'static> {
    value.insert(
        0,
        Span::styled(format!(" {label:<w$}", w = LABEL_W - 1), t.dim),
    );
    Line::from(value)
}

/// A labelled value wrapped at spaces to `w` columns, its continuation lines under the value;
/// each word keeps its span's style.
fn wrapped_field(
    t: &Theme,
    label: &str,
    value: Vec<Span<'static>>,
    w: usize,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (n, spans) in wrap_spans(value, w.saturating_sub(LABEL_W))
        .into_iter()
        .enumerate()
    {
        out.push(field(t, if n == 0 { label } else { "" }, spans));
    }
    out
}

/// Packs the words of `spans` into lines of at most `room` columns (a word longer than a line
/// is cut), keeping every word's style.
fn wrap_spans(spans: Vec<Span<'static>>, room: usize) -> Vec<Vec<Span<'static>>> {
    let room = room.max(1);
    let mut lines: Vec<Vec<Span<'static>>> = vec![Vec::new()];
    let mut used = 0;
    for span in spans {
        let style = span.style;
        for (k, word) in span.content.split(' ').enumerate() {
            // A space that the text had between two words (not at a line start).
            let gap = usize::from(k > 0);
            let ww = width(word);
            if used > 0 && used + gap + ww > room {
                lines.push(Vec::new());
                used = 0;
            }
            let Some(line) = lines.last_mut() else {
                break;
            };
            let text = if used > 0 && gap == 1 {
                format!(" {word}")
            } else {
                word.to_string()
            };
            let text = if ww > room { fit(word, room, "") } else { text };
            used += width(&text);
            line.push(Span::styled(text, style));
        }
    }
    lines
}

/// A labelled list of names (labels, assignees), wrapped under the value column; "none" when
/// there are none.
fn list_field(t: &Theme, label: &str, names: &[String], w: usize) -> Vec<Line<'static>> {
    if names.is_empty() {
        return vec![field(t, label, vec![Span::styled("none", t.dim)])];
    }
    let text = names
        .iter()
        .map(|n| clean(n).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    hanging(t, label, &text, Style::default(), w)
}

/// `text` after a label, its continuation lines indented under the value.
fn hanging(t: &Theme, label: &str, text: &str, style: Style, w: usize) -> Vec<Line<'static>> {
    wrap(text, w.saturating_sub(LABEL_W))
        .into_iter()
        .enumerate()
        .map(|(n, part)| {
            let value = vec![Span::styled(part, style)];
            if n == 0 {
                field(t, label, value)
            } else {
                field(t, "", value)
            }
        })
        .collect()
}

/// The review decision and who is asked to review.
fn review(t: &Theme, p: &PullRequest, w: usize) -> Vec<Line<'static>> {
    let g = &t.glyphs;
    let (mark, word, style) = match p.review_decision {
        Some(ReviewDecision::Approved) => (g.ci_success, "approved", t.ok),
        Some(ReviewDecision::ChangesRequested) => (g.ci_failure, "changes requested", t.error),
        Some(ReviewDecision::ReviewRequired) => (g.ci_pending, "review required", t.warn),
        None => (g.ci_none, "no decision", t.dim),
    };
    let mut lines = wrapped_field(
        t,
        "Review",
        vec![Span::styled(format!("{mark} {word}"), style)],
        w,
    );
    if !p.requested_reviewers.is_empty() {
        let names = p
            .requested_reviewers
            .iter()
            .map(|n| clean(n).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        lines.extend(hanging(t, "Asked", &names, Style::default(), w));
    }
    lines
}

/// Rank of a check state in the list: failing first, then pending, passing, the rest.
fn rank(state: CiState) -> u8 {
    match state {
        CiState::Failure => 0,
        CiState::Pending => 1,
        CiState::Success => 2,
        CiState::None => 3,
    }
}

/// The CI state with counts, then one line per check, failing first.
fn checks(t: &Theme, ci: Option<&CiStatus>, w: usize) -> Vec<Line<'static>> {
    let Some(ci) = ci else {
        return vec![field(
            t,
            "Checks",
            vec![Span::styled(
                format!("{} not known yet", t.glyphs.dash),
                t.dim,
            )],
        )];
    };
    let (mark, word, style) = t.ci(ci.state);
    let mut summary = vec![Span::styled(format!("{mark} {word}"), style)];
    let counts: Vec<String> = [CiState::Failure, CiState::Pending, CiState::Success]
        .into_iter()
        .filter_map(|s| {
            let n = ci.checks.iter().filter(|c| c.state == s).count();
            (n > 0).then(|| format!("{n} {}", t.ci(s).1))
        })
        .collect();
    if !counts.is_empty() {
        summary.push(Span::styled(format!(" ({})", counts.join(", ")), t.dim));
    }
    let mut lines = wrapped_field(t, "Checks", summary, w);
    let mut sorted: Vec<_> = ci.checks.iter().collect();
    sorted.sort_by_key(|c| rank(c.state));
    let room = w.saturating_sub(LABEL_W + 2);
    for c in sorted {
        let (mark, _, style) = t.ci(c.state);
        let mut text = clean(&c.name).into_owned();
        // GitHub's word, when it says more than the mark ("timed_out", "cancelled", ...).
        if let Some(why) = c
            .conclusion
            .as_deref()
            .filter(|s| !s.is_empty() && !matches!(*s, "success" | "failure"))
        {
            text.push_str(&format!("{}{}", t.glyphs.sep(), clean(why)));
        }
        lines.push(field(
            t,
            "",
            vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(fit(&text, room, t.glyphs.ellipsis)),
            ],
        ));
    }
    lines
}

/// `+120 -30 · 4 files · 3 comments`; the counts GitHub has not given are left out.
fn changes(t: &Theme, p: &PullRequest) -> Vec<Span<'static>> {
    let sep = t.glyphs.sep();
    let mut spans = Vec::new();
    if p.additions + p.deletions + p.changed_files > 0 {
        spans.push(Span::styled(format!("+{}", thousands(p.additions)), t.ok));
        spans.push(Span::raw(" "));
        spans.push(Span::styled(
            format!("-{}", thousands(p.deletions)),
            t.error,
        ));
        let files = if p.changed_files == 1 {
            "file"
        } else {
            "files"
        };
        spans.push(Span::raw(format!(
            "{sep}{} {files}{sep}",
            thousands(p.changed_files)
        )));
    }
    let comments = if p.comments == 1 {
        "comment"
    } else {
        "comments"
    };
    spans.push(Span::raw(format!("{} {comments}", thousands(p.comments))));
    spans
}

fn mergeable(t: &Theme, m: Mergeable) -> Span<'static> {
    let g = &t.glyphs;
    match m {
        Mergeable::Mergeable => Span::styled(format!("{} yes", g.ci_success), t.ok),
        Mergeable::Conflicting => Span::styled(format!("{} conflicts", g.ci_failure), t.error),
        Mergeable::Unknown => Span::styled(format!("{} not known yet", g.dash), t.dim),
    }
}

/// The description as plain text, wrapped; markdown is left as it is.
fn body(t: &Theme, body: &str, w: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::default()];
    let text = multiline(body);
    if text.trim().is_empty() {
        lines.push(Line::styled(" No description.", t.dim));
        return lines;
    }
    for l in text.trim_end().lines() {
        for part in wrap(l, w.saturating_sub(1)) {
            lines.push(Line::raw(format!(" {part}")));
        }
    }
    lines
}
