//! Repo detail: tabs Overview, Commits, Branches, PRs, Issues, Releases, Activity (digits and
//! Tab/Shift-Tab), the commit view opened with Enter on a commit (files fetched on demand), and
//! the pull request and issue views (`item_detail`) opened with Enter on their tabs. Commits carry
//! a signature mark and their CI state, branches their protection, head date and CI state.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::domain::{
    Branch, CiState, Commit, Protection, RepoDetails, ReviewDecision, Signature, TrackedRepo,
    short_sha,
};
use crate::fmt::{relative, thousands};
use crate::sanitize::{line as clean, multiline};
use crate::tui::action::Action;
use crate::tui::app::{App, Tab};
use crate::tui::keymap::Mode;
use crate::tui::theme::Theme;
use crate::tui::widgets::table::{Cell, Col};
use crate::tui::widgets::{fit, put, put_line, width, wrap};

use super::{ago_or_dash, clean_or_empty, cursor_table, key_name, message, release_kind};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let Some(repo) = app.detail().local.and_then(|l| app.repo(l)) else {
        message(
            buf,
            area,
            &[("This repository is no longer tracked. Press esc.", t.base)],
        );
        return;
    };
    tabs(app, repo, area, buf);
    let body = super::below_first_row(area);
    if app.detail().commit.is_some() {
        return commit_view(app, repo, body, buf);
    }
    if app.detail().item.is_some() {
        return super::item_detail::render(app, body, buf);
    }
    let tab = app.detail().tab();
    if tab == Tab::Overview {
        return super::overview::render(app, repo, body, buf);
    }
    if tab != Tab::Activity && app.detail().details.is_none() {
        return not_loaded(app, repo, body, buf);
    }
    let none = RepoDetails::default();
    let d = app.detail().details.as_ref().unwrap_or(&none);
    let (cols, rows) = match tab {
        Tab::Commits => commits(app, d),
        Tab::Branches => branches(app, repo, d),
        Tab::Pulls => pulls(app, d),
        Tab::Issues => issues(app, d),
        Tab::Releases => releases(app, d),
        Tab::Activity | Tab::Overview => activity(app),
    };
    if rows.is_empty() {
        return message(buf, body, &[(empty_text(tab), t.dim)]);
    }
    let cursor = app.detail().cursors[tab.index()];
    cursor_table(buf, body, (t, &cols), cursor, &rows, |r| {
        (r.clone(), Style::default())
    });
}

/// A tab's columns and all its rows.
type TabTable = (Vec<Col>, Vec<Vec<Cell>>);

/// What an empty tab says.
fn empty_text(tab: Tab) -> &'static str {
    match tab {
        Tab::Commits => "No commits stored.",
        Tab::Branches => "No branches stored.",
        Tab::Pulls => "No open pull requests.",
        Tab::Issues => "No open issues.",
        Tab::Releases => "No releases.",
        Tab::Activity | Tab::Overview => {
            "No activity recorded yet: changes appear here after syncs."
        }
    }
}

/// The tab's details are not here: loading, never fetched, or nothing stored.
fn not_loaded(app: &App, repo: &TrackedRepo, body: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let text = if app.detail().loading {
        format!("Loading{}", t.glyphs.more)
    } else if repo.details_at.is_none() {
        let sync = key_name(app, Mode::Detail, &Action::Sync).unwrap_or_else(|| ":sync".into());
        format!("Not synced yet: press {sync} to fetch it.")
    } else {
        "Nothing stored for this repository yet.".to_string()
    };
    message(buf, body, &[(&text, t.dim)]);
}

fn commits(app: &App, d: &RepoDetails) -> TabTable {
    let t = app.theme();
    let cols = vec![
        Col::left("SHA", 7, u8::MAX),
        Col::left("SIG", 3, 4),
        Col::left("CI", 2, 5),
        Col::flex("MESSAGE", 10, u8::MAX),
        Col::left("AUTHOR", 14, 2),
        Col::left("WHEN", 8, 3),
    ];
    let rows = d
        .commits
        .iter()
        .map(|c| {
            vec![
                (short_sha(&c.sha).to_string(), t.accent),
                sig_cell(t, c),
                ci_cell(t, c.ci),
                (clean(c.headline()).into_owned(), Style::default()),
                (clean(&c.author.name).into_owned(), t.dim),
                (ago_or_dash(app, c.author.date.or(c.committer.date)), t.dim),
            ]
        })
        .collect();
    without_empty((cols, rows), &[1, 2])
}

/// The table without those of the `optional` columns that no row has anything in (the signature
/// and CI columns before a sync has fetched them): they would only take room.
fn without_empty((cols, rows): TabTable, optional: &[usize]) -> TabTable {
    let empty = |i: usize| {
        rows.iter()
            .all(|r| r.get(i).is_none_or(|(text, _)| text.trim().is_empty()))
    };
    let keep: Vec<bool> = (0..cols.len())
        .map(|i| !optional.contains(&i) || !empty(i))
        .collect();
    fn pick<T>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
        v.into_iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| x)
            .collect()
    }
    let rows = rows.into_iter().map(|r| pick(r, &keep)).collect();
    (pick(cols, &keep), rows)
}

/// A commit's signature mark; blank when the sync has not said.
fn sig_cell(t: &Theme, c: &Commit) -> Cell {
    match &c.verification {
        Some(v) => {
            let (mark, _, style) = t.signature(v);
            (format!(" {mark}"), style)
        }
        None => (String::new(), Style::default()),
    }
}

/// A CI state's mark alone; blank when not known.
fn ci_cell(t: &Theme, ci: Option<CiState>) -> Cell {
    match ci {
        Some(state) => {
            let (mark, _, style) = t.ci(state);
            (mark.to_string(), style)
        }
        None => (String::new(), Style::default()),
    }
}

/// A CI state's mark and word (`✖ failing`); blank when not known.
fn ci_word_cell(t: &Theme, ci: Option<CiState>) -> Cell {
    match ci {
        Some(state) => {
            let (mark, word, style) = t.ci(state);
            (format!("{mark} {word}"), style)
        }
        None => (String::new(), Style::default()),
    }
}

fn branches(app: &App, repo: &TrackedRepo, d: &RepoDetails) -> TabTable {
    let t = app.theme();
    // The names take what the longest needs (up to 24 columns before the other columns give
    // way); the rest goes to the protection rules.
    let longest = d
        .branches
        .iter()
        .map(|b| width(&clean(&b.name)))
        .max()
        .unwrap_or(0)
        .max(10);
    let longest = u16::try_from(longest).unwrap_or(u16::MAX);
    let cols = vec![
        Col::flex("BRANCH", longest.min(24), u8::MAX).capped(longest),
        Col::left("HEAD", 7, 2),
        Col::left("UPDATED", 8, 3),
        Col::left("CI", 9, 6),
        Col::flex("PROTECTION", 11, 5),
        Col::left("", 7, 1),
    ];
    let rows = d
        .branches
        .iter()
        .map(|b| {
            let default = repo
                .meta
                .as_ref()
                .is_some_and(|m| m.default_branch == b.name);
            vec![
                (
                    clean(&b.name).into_owned(),
                    if default { t.header } else { Style::default() },
                ),
                (short_sha(&b.head_sha).to_string(), t.accent),
                (
                    b.head_date
                        .map(|d| relative(d, app.now()))
                        .unwrap_or_default(),
                    t.dim,
                ),
                ci_word_cell(t, b.ci),
                protection_cell(t, b),
                (if default { "default" } else { "" }.into(), t.accent),
            ]
        })
        .collect();
    without_empty((cols, rows), &[2, 3])
}

/// A protected branch's mark and its rule in short (`◆ 2 reviews, 3 checks, admins`); the mark
/// and "protected" when the token may not read the rule; blank when not protected.
fn protection_cell(t: &Theme, b: &Branch) -> Cell {
    if !b.protected && b.protection.is_none() {
        return (String::new(), Style::default());
    }
    let summary = b
        .protection
        .as_ref()
        .map(protection_summary)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "protected".into());
    (format!("{} {summary}", t.glyphs.protected), t.warn)
}

/// `2 reviews, 3 checks, admins, signed, linear`: what a protection rule asks for.
pub fn protection_summary(p: &Protection) -> String {
    let plural = |n: usize, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    let mut parts = Vec::new();
    if let Some(n) = p.required_reviews {
        parts.push(plural(n as usize, "review"));
    }
    if !p.required_checks.is_empty() {
        parts.push(plural(p.required_checks.len(), "check"));
    }
    for (on, word) in [
        (p.enforce_admins, "admins"),
        (p.signed_commits, "signed"),
        (p.linear_history, "linear"),
        (p.allow_force_pushes, "force-push ok"),
    ] {
        if on {
            parts.push(word.to_string());
        }
    }
    parts.join(", ")
}

/// Columns of the pull request and issue tabs: number, title, `third`, updated.
fn numbered_cols(third: Col) -> Vec<Col> {
    vec![
        Col::right("#", 6, u8::MAX),
        Col::flex("TITLE", 10, u8::MAX),
        third,
        Col::left("UPDATED", 8, 3),
    ]
}

fn pulls(app: &App, d: &RepoDetails) -> TabTable {
    let t = app.theme();
    let rows = d
        .pulls
        .iter()
        .map(|p| {
            let title = if p.draft {
                format!("[draft] {}", clean(&p.title))
            } else {
                clean(&p.title).into_owned()
            };
            vec![
                (format!("#{}", p.number), t.accent),
                ci_cell(t, p.ci.as_ref().map(|c| c.state)),
                (title, if p.draft { t.dim } else { Style::default() }),
                (clean_or_empty(p.author.as_deref()), t.dim),
                review_cell(t, p.review_decision),
                (ago_or_dash(app, p.updated_at.or(p.created_at)), t.dim),
            ]
        })
        .collect();
    let cols = vec![
        Col::right("#", 6, u8::MAX),
        Col::left("CI", 2, 4),
        Col::flex("TITLE", 10, u8::MAX),
        Col::left("AUTHOR", 12, 2),
        Col::left("REVIEW", 10, 1),
        Col::left("UPDATED", 8, 3),
    ];
    without_empty((cols, rows), &[1, 4])
}

/// A pull request's review decision in a word (`approved`, `changes`, `review`), with its mark.
fn review_cell(t: &Theme, decision: Option<ReviewDecision>) -> Cell {
    let g = &t.glyphs;
    match decision {
        Some(ReviewDecision::Approved) => (format!("{} approved", g.ci_success), t.ok),
        Some(ReviewDecision::ChangesRequested) => (format!("{} changes", g.ci_failure), t.error),
        Some(ReviewDecision::ReviewRequired) => (format!("{} review", g.ci_pending), t.warn),
        None => (String::new(), Style::default()),
    }
}

fn issues(app: &App, d: &RepoDetails) -> TabTable {
    let t = app.theme();
    let rows = d
        .issues
        .iter()
        .map(|i| {
            vec![
                (format!("#{}", i.number), t.accent),
                (clean(&i.title).into_owned(), Style::default()),
                (clean(&i.labels.join(", ")).into_owned(), t.dim),
                (ago_or_dash(app, i.updated_at.or(i.created_at)), t.dim),
            ]
        })
        .collect();
    (numbered_cols(Col::left("LABELS", 14, 1)), rows)
}

fn releases(app: &App, d: &RepoDetails) -> TabTable {
    let t = app.theme();
    let cols = vec![
        Col::left("TAG", 12, u8::MAX),
        Col::flex("NAME", 10, 2),
        Col::left("", 10, 1),
        Col::left("PUBLISHED", 9, u8::MAX),
    ];
    let rows = d
        .releases
        .iter()
        .map(|r| {
            vec![
                (clean(&r.tag).into_owned(), t.accent),
                (clean_or_empty(r.name.as_deref()), Style::default()),
                (release_kind(r).into(), t.warn),
                (ago_or_dash(app, r.published_at), t.dim),
            ]
        })
        .collect();
    (cols, rows)
}

fn activity(app: &App) -> TabTable {
    let t = app.theme();
    let cols = vec![
        Col::left("WHEN", 8, u8::MAX),
        Col::flex("CHANGE", 10, u8::MAX),
    ];
    let rows = app
        .detail()
        .activity
        .iter()
        .map(|e| {
            vec![
                (relative(e.at, app.now()), t.dim),
                (clean(&e.change.to_string()).into_owned(), Style::default()),
            ]
        })
        .collect();
    (cols, rows)
}

fn tabs(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let counts = app.detail().details.as_ref();
    let build = |level: u8| {
        let mut spans = Vec::new();
        for (i, tab) in Tab::ALL.iter().enumerate() {
            let count = match (tab, counts, repo.meta.as_ref()) {
                (Tab::Pulls, _, Some(m)) if level == 0 => format!(" ({})", m.open_prs),
                (Tab::Issues, _, Some(m)) if level == 0 => format!(" ({})", m.open_issues),
                _ => String::new(),
            };
            let label = if level == 2 {
                format!(" {} ", i + 1)
            } else {
                format!(" {} {}{count} ", i + 1, tab.title())
            };
            let style = if i == app.detail().tab {
                t.tab_active
            } else {
                t.tab
            };
            spans.push(Span::styled(label, style));
        }
        Line::from(spans)
    };
    let mut level = 0;
    let mut line = build(0);
    while level < 2 && crate::tui::widgets::line_width(&line) > area.width as usize {
        level += 1;
        line = build(level);
    }
    let narrow = level == 2;
    let w = put_line(buf, area, area.x, area.y, &line);
    if narrow {
        let name = app.detail().tab().title();
        put(
            buf,
            area,
            area.x + w + 1,
            area.y,
            name,
            area.width as usize,
            t.title,
        );
    }
}

fn draw_lines(buf: &mut Buffer, area: Rect, lines: &[Line<'_>], scroll: u16) {
    for (i, l) in lines
        .iter()
        .skip(scroll as usize)
        .take(area.height as usize)
        .enumerate()
    {
        put_line(buf, area, area.x, area.y + i as u16, l);
    }
}

fn commit_view(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let w = area.width.saturating_sub(2) as usize;
    let Some(c): Option<Commit> = app.open_commit() else {
        message(
            buf,
            area,
            &[("That commit is no longer stored. Press esc.", t.dim)],
        );
        return;
    };
    let mut lines = commit_header(app, repo, &c);
    lines.push(Line::default());
    for l in multiline(&c.message).lines() {
        for part in wrap(l, w.saturating_sub(3)) {
            lines.push(Line::from(format!("    {part}")));
        }
    }
    lines.push(Line::default());
    lines.extend(commit_files(app, &c, w));
    draw_lines(buf, area, &lines, app.detail().scroll);
}

/// The commit's SHA, author, committer (when another), parents and stats.
fn commit_header(app: &App, repo: &TrackedRepo, c: &Commit) -> Vec<Line<'static>> {
    let t = app.theme();
    let field = |label: &str, value: Vec<Span<'static>>| {
        let mut spans = vec![Span::styled(format!(" {label:<10} "), t.dim)];
        spans.extend(value);
        Line::from(spans)
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" commit {}", c.sha), t.accent),
        Span::styled(format!("  {}", repo.key), t.dim),
    ])];
    lines.push(field("Author", vec![Span::raw(signature(app, &c.author))]));
    if c.committer.name != c.author.name
        || c.committer.email != c.author.email
        || c.committer.date != c.author.date
    {
        let committer = signature(app, &c.committer);
        lines.push(field("Committer", vec![Span::raw(committer)]));
    }
    if let Some(v) = &c.verification {
        let (mark, word, style) = t.signature(v);
        let mut value = vec![Span::styled(format!("{mark} {word}"), style)];
        if let crate::domain::Verification::Unverified { reason } = v
            && !reason.is_empty()
        {
            value.push(Span::styled(format!(" ({})", clean(reason)), t.dim));
        }
        lines.push(field("Signature", value));
    }
    if let Some(state) = c.ci {
        let (mark, word, style) = t.ci(state);
        lines.push(field(
            "CI",
            vec![Span::styled(format!("{mark} {word}"), style)],
        ));
    }
    if !c.parents.is_empty() {
        let p: Vec<&str> = c.parents.iter().map(|p| short_sha(p)).collect();
        lines.push(field("Parents", vec![Span::raw(p.join(" "))]));
    }
    if let Some(s) = &c.stats {
        lines.push(field(
            "Stats",
            plus_minus(t, s.additions, s.deletions, thousands),
        ));
    }
    lines
}

/// "+12 -3" in the ok and error styles.
fn plus_minus(t: &Theme, plus: u64, minus: u64, num: impl Fn(u64) -> String) -> Vec<Span<'static>> {
    vec![
        Span::styled(format!("+{}", num(plus)), t.ok),
        Span::raw(" "),
        Span::styled(format!("-{}", num(minus)), t.error),
    ]
}

/// "Name <email>  2026-01-15 11:00 UTC (1h ago)".
fn signature(app: &App, s: &Signature) -> String {
    let when = s
        .date
        .map(|d| {
            format!(
                "  {} ({})",
                d.format("%Y-%m-%d %H:%M UTC"),
                relative(d, app.now())
            )
        })
        .unwrap_or_default();
    let login = s
        .login
        .as_deref()
        .filter(|l| !l.is_empty())
        .map(|l| format!(" (@{})", clean(l)))
        .unwrap_or_default();
    format!("{}{login} <{}>{when}", clean(&s.name), clean(&s.email))
}

/// The changed files with their counts, or why they are not here.
fn commit_files(app: &App, c: &Commit, w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let ell = t.glyphs.ellipsis;
    let fetching = app.detail().fetching.contains(&c.sha);
    match (&c.files, fetching, &app.detail().commit_error) {
        (Some(files), _, _) => {
            let mut lines = vec![Line::styled(
                format!(" {} files changed", files.len()),
                t.header,
            )];
            for f in files {
                let name = fit(&clean(&f.filename), w.saturating_sub(22), ell);
                let status = format!(" {:<9}", fit(&clean(&f.status), 9, ell));
                let mut spans = vec![Span::styled(status, t.dim), Span::raw(format!("{name} "))];
                spans.extend(plus_minus(t, f.additions, f.deletions, |n| n.to_string()));
                lines.push(Line::from(spans));
            }
            lines
        }
        (None, true, _) => vec![Line::styled(
            format!(" Fetching files and stats{}", t.glyphs.more),
            t.dim,
        )],
        (None, false, Some(e)) => vec![Line::styled(
            format!(" Could not fetch the files: {e}"),
            t.error,
        )],
        (None, false, None) => vec![Line::styled(
            " Files are fetched when the sync engine runs.",
            t.dim,
        )],
    }
}
