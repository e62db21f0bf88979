//! The repo screen's Overview tab as a dashboard: the repo's head line and description, its facts
//! (CI of the default branch's head with the failing checks, open PRs and issues with their
//! 30-day trend from the stored activity, the latest release, the default branch's protection,
//! the head commit, languages, license, sync times), the 52-week commit sparkline and the top
//! contributors as a bar chart (ratatui's own `Sparkline` and `BarChart`, drawn with the theme's
//! glyphs so ASCII mode stays ASCII) and the last activity entries.
//!
//! Wide terminals (100+ columns) put the facts and the statistics side by side; narrower ones
//! stack every panel and, when the height runs out, drop panels by priority (activity first,
//! then contributors, languages, topics ...; the head line, CI and open counts stay). With the
//! Overview scrolled (`j`/`k`) the whole stack is drawn and scrolled instead. All GitHub text
//! passes `sanitize`.

use ratatui::buffer::Buffer;
use ratatui::layout::{Direction, Rect};
use ratatui::style::Style;
use ratatui::symbols::bar;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Sparkline, Widget};

use crate::domain::{
    ActivityEntry, Change, CiState, Commit, RepoDetails, RepoMeta, RepoStats, SyncStatus,
    TrackedRepo, short_sha,
};
use crate::fmt::{relative, thousands};
use crate::sanitize::line as clean;
use crate::tui::action::Action;
use crate::tui::app::{App, StatsState};
use crate::tui::keymap::Mode;
use crate::tui::theme::Theme;
use crate::tui::widgets::rate_limit_bar::gauge;
use crate::tui::widgets::{fit, line_width, put_line, width, wrap};

use super::key_name;

/// Width from which facts and statistics stand side by side.
const WIDE: u16 = 100;
/// Days the open PR / issue trend looks back.
const TREND_DAYS: i64 = 30;
/// Rows the sparkline grows to.
const SPARK_ROWS: u16 = 5;
/// Contributors shown at most.
const TOP: usize = 8;
/// Activity entries shown at most.
const ACTIVITY: usize = 12;
/// Failing check names listed before "+N more".
const FAILING_SHOWN: usize = 3;

pub fn render(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let Some(m) = &repo.meta else {
        return not_synced(app, repo, area, buf);
    };
    let scroll = app.detail().scroll;
    if area.width >= WIDE && scroll == 0 {
        let header = header(app, repo, m, area.width as usize, 2);
        let top = header.len() as u16 + 1;
        if area.height >= top + 12 {
            return wide(app, repo, m, header, area, buf);
        }
    }
    let w = area.width as usize;
    let mut panels = vec![Panel::lines(0, header(app, repo, m, w, 2), 1)];
    panels.push(Panel::gap(9));
    panels.extend(facts(app, repo, m, w));
    panels.push(Panel::gap(6));
    panels.extend(stats_panels(app, w, false));
    panels.push(Panel::gap(8));
    panels.push(activity_panel(app));
    stack(app, &panels, area, buf, scroll);
}

/// The repo has never been synced: its name and what will show, or its last error.
fn not_synced(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let w = area.width.saturating_sub(1) as usize;
    let mut lines = vec![head_line(t, repo), Line::default()];
    lines.push(Line::styled(
        " Not synced yet: what GitHub knows about it shows here after the first sync.",
        t.dim,
    ));
    if let Some(e) = &repo.last_error {
        lines.push(Line::default());
        let text = format!(
            "Last error ({}): {}",
            clean(e.kind.as_str()),
            clean(&e.message)
        );
        lines.extend(wrapped(&text, w, t.error));
    }
    draw_lines(buf, area, &lines, t.glyphs.ellipsis);
}

// ----- layout -----

/// What a panel draws.
enum Kind {
    Lines(Vec<Line<'static>>),
    Spark,
    Contributors,
    Activity,
}

/// One panel of the stack: dropped first when its `prio` is highest; gets `min` rows or none,
/// and up to `want` when there is room.
struct Panel {
    prio: u8,
    min: u16,
    want: u16,
    kind: Kind,
}

impl Panel {
    fn lines(prio: u8, lines: Vec<Line<'static>>, min: u16) -> Panel {
        let want = lines.len() as u16;
        Panel {
            prio,
            min: min.min(want),
            want,
            kind: Kind::Lines(lines),
        }
    }

    fn line(prio: u8, line: Line<'static>) -> Panel {
        Panel::lines(prio, vec![line], 1)
    }

    fn gap(prio: u8) -> Panel {
        Panel::lines(prio, vec![Line::default()], 1)
    }
}

/// Rows per panel within `height`, greedily by priority: each panel gets what it wants, or
/// what is left when that is at least its minimum, or nothing. 0 = dropped.
fn allocate(panels: &[Panel], height: u16) -> Vec<u16> {
    let mut order: Vec<usize> = (0..panels.len()).collect();
    order.sort_by_key(|&i| (panels[i].prio, i));
    let mut rows = vec![0u16; panels.len()];
    let mut left = height;
    for i in order {
        let p = &panels[i];
        let give = p.want.min(left);
        if p.min > 0 && give >= p.min {
            rows[i] = give;
            left -= give;
        }
    }
    rows
}

/// Draws the panels one below the other: fitted into `area` by priority, or, scrolled, every
/// panel at its full height with `scroll` rows skipped.
fn stack(app: &App, panels: &[Panel], area: Rect, buf: &mut Buffer, scroll: u16) {
    if scroll == 0 {
        let rows = allocate(panels, area.height);
        let mut y = area.y;
        for (p, h) in panels.iter().zip(rows) {
            if h > 0 {
                draw(
                    app,
                    p,
                    Rect {
                        y,
                        height: h,
                        ..area
                    },
                    buf,
                );
                y += h;
            }
        }
        return;
    }
    // Scrolled: draw everything into a tall scratch buffer, then copy the visible rows.
    let total: u16 = panels
        .iter()
        .fold(0u16, |acc, p| acc.saturating_add(p.want))
        .min(2000);
    let tall = Rect {
        y: 0,
        height: total,
        ..area
    };
    let mut scratch = Buffer::empty(tall);
    let mut y = 0u16;
    for p in panels {
        let h = p.want.min(total - y);
        if h > 0 {
            draw(
                app,
                p,
                Rect {
                    y,
                    height: h,
                    ..tall
                },
                &mut scratch,
            );
            y += h;
        }
    }
    let skip = scroll.min(total.saturating_sub(1));
    for row in 0..area.height.min(total - skip) {
        for x in area.left()..area.right() {
            buf[(x, area.y + row)] = scratch[(x, skip + row)].clone();
        }
    }
}

/// Wide: header on top; facts left and statistics right; the activity below both.
fn wide(
    app: &App,
    repo: &TrackedRepo,
    m: &RepoMeta,
    header: Vec<Line<'static>>,
    area: Rect,
    buf: &mut Buffer,
) {
    let top = header.len() as u16;
    draw_lines(buf, area, &header, app.theme().glyphs.ellipsis);
    // The right column holds 52 weeks of sparkline with a margin.
    let left_w = area.width.saturating_sub(56).max(40);
    let right = Rect {
        x: area.x + left_w + 1,
        y: area.y + top + 1,
        width: area.width - left_w - 1,
        height: 0,
    };
    let facts = facts(app, repo, m, left_w as usize);
    let stats = stats_panels(app, right.width as usize, true);
    let want = |ps: &[Panel]| ps.iter().map(|p| p.want).sum::<u16>();
    let below = area.height - top - 1;
    let activity = activity_panel(app);
    let middle = want(&facts).max(want(&stats)).min(below);
    let activity_rows = below - middle;
    let middle = if activity_rows < 3 { below } else { middle };
    let left = Rect {
        x: area.x,
        y: area.y + top + 1,
        width: left_w,
        height: middle,
    };
    stack(app, &facts, left, buf, 0);
    stack(
        app,
        &stats,
        Rect {
            height: middle,
            ..right
        },
        buf,
        0,
    );
    if middle < below {
        let rest = Rect {
            y: left.y + middle + 1,
            height: below - middle - 1,
            ..area
        };
        stack(app, &[activity], rest, buf, 0);
    }
}

fn draw(app: &App, p: &Panel, area: Rect, buf: &mut Buffer) {
    match &p.kind {
        Kind::Lines(lines) => draw_lines(buf, area, lines, app.theme().glyphs.ellipsis),
        Kind::Spark => spark(app, area, buf),
        Kind::Contributors => contributors(app, area, buf),
        Kind::Activity => activity(app, area, buf),
    }
}

/// Draws `lines` from the top of `area`, each cut to its width with `ell` when too long.
fn draw_lines(buf: &mut Buffer, area: Rect, lines: &[Line<'_>], ell: &str) {
    for (i, l) in lines.iter().take(area.height as usize).enumerate() {
        let l = fit_line(l, area.width as usize, ell);
        put_line(buf, area, area.x, area.y + i as u16, &l);
    }
}

/// `line` cut to `w` columns, ending with `ell` when cut.
fn fit_line<'a>(line: &Line<'a>, w: usize, ell: &str) -> Line<'a> {
    if line_width(line) <= w {
        return line.clone();
    }
    let mut spans = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let sw = width(&span.content);
        if used + sw < w {
            spans.push(span.clone());
            used += sw;
            continue;
        }
        spans.push(Span::styled(fit(&span.content, w - used, ell), span.style));
        break;
    }
    Line::from(spans).style(line.style)
}

/// `text` wrapped to `w` columns less the one-column indent each line gets.
fn wrapped(text: &str, w: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, w.saturating_sub(1))
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), style))
        .collect()
}

// ----- header and facts -----

/// The head line, the gone banner when GitHub no longer shows the repo, and at most
/// `desc_lines` lines of the description.
fn header(
    app: &App,
    repo: &TrackedRepo,
    m: &RepoMeta,
    w: usize,
    desc_lines: usize,
) -> Vec<Line<'static>> {
    let t = app.theme();
    let w = w.saturating_sub(1);
    let mut lines = vec![head_line(t, repo)];
    if repo.status == SyncStatus::Inaccessible {
        lines.extend(gone_banner(app, repo, w));
        lines.push(Line::default());
    }
    if let Some(desc) = m.description.as_deref().filter(|d| !d.is_empty()) {
        let mut desc = wrapped(&clean(desc), w, Style::default());
        if desc.len() > desc_lines {
            desc.truncate(desc_lines);
            if let Some(last) = desc.last_mut() {
                let text = format!("{} {}", last, t.glyphs.ellipsis);
                *last = Line::raw(fit(&text, w, t.glyphs.ellipsis));
            }
        }
        lines.extend(desc);
    }
    lines
}

/// The banner of a repo GitHub no longer shows: what happened, since when, what to do.
fn gone_banner(app: &App, repo: &TrackedRepo, w: usize) -> Vec<Line<'static>> {
    let t = app.theme();
    let since = repo
        .last_error
        .as_ref()
        .map(|e| format!(" (checked {})", relative(e.at, app.now())))
        .unwrap_or_default();
    let remove = key_name(app, Mode::Detail, &Action::Remove).unwrap_or_else(|| ":rm".into());
    let sync = key_name(app, Mode::Detail, &Action::Sync).unwrap_or_else(|| ":sync".into());
    let text = format!(
        "{} Gone: GitHub answers 404 for this repository{since}. It was deleted, made private, or the token lost access. What follows is the last copy synced. Press {remove} to stop tracking it, or {sync} to check again.",
        t.glyphs.failed
    );
    wrapped(&text, w, t.error)
}

/// Name, stars (and their change), forks, and badges.
fn head_line(t: &Theme, repo: &TrackedRepo) -> Line<'static> {
    let g = &t.glyphs;
    let mut head = vec![Span::styled(format!(" {}", repo.key), t.title)];
    let Some(m) = &repo.meta else {
        return Line::from(head);
    };
    let delta = if repo.stars_delta != 0 {
        format!(" ({:+})", repo.stars_delta)
    } else {
        String::new()
    };
    head.push(Span::raw(format!(
        "  {} {}{delta}  {} {}",
        g.star,
        thousands(m.stars),
        g.fork,
        thousands(m.forks)
    )));
    let badges = [
        (true, if m.private { "private" } else { "public" }, t.accent),
        (m.fork, "fork", t.accent),
        (m.archived, "archived", t.warn),
        (m.disabled, "disabled", t.warn),
    ];
    for (_, b, style) in badges.into_iter().filter(|(on, _, _)| *on) {
        head.push(Span::styled(format!("  [{b}]"), style));
    }
    Line::from(head)
}

/// A labelled line.
fn fact(t: &Theme, label: &str, mut value: Vec<Span<'static>>) -> Line<'static> {
    value.insert(0, Span::styled(format!(" {label:<10} "), t.dim));
    Line::from(value)
}

/// The facts, each its own one-line panel (the last error may wrap), by priority.
fn facts(app: &App, repo: &TrackedRepo, m: &RepoMeta, w: usize) -> Vec<Panel> {
    let t = app.theme();
    let d = app.detail().details.as_ref();
    let mut out = vec![
        Panel::line(1, fact(t, "CI", ci(app, m, d))),
        Panel::line(1, fact(t, "Open", open(app, m))),
    ];
    if let Some(r) = &repo.latest_release {
        out.push(Panel::line(3, fact(t, "Release", release(app, r, d))));
    }
    out.push(Panel::line(3, fact(t, "Protection", protection(app, m, d))));
    if let Some(c) = &repo.head {
        out.push(Panel::line(4, fact(t, "Head", head_commit(app, c))));
    }
    if !m.languages.is_empty() {
        out.push(Panel::line(8, fact(t, "Languages", languages(t, m, w))));
    } else if let Some(l) = &m.language {
        let l = vec![Span::raw(clean(l).into_owned())];
        out.push(Panel::line(8, fact(t, "Language", l)));
    }
    let license = m
        .license
        .as_deref()
        .map(|l| clean(l).into_owned())
        .unwrap_or_else(|| t.glyphs.dash.into());
    let license = vec![
        Span::raw(license),
        Span::styled("   default branch ", t.dim),
        Span::raw(clean(&m.default_branch).into_owned()),
    ];
    out.push(Panel::line(9, fact(t, "License", license)));
    if !m.topics.is_empty() {
        let topics = clean(&m.topics.join(&t.glyphs.sep())).into_owned();
        out.push(Panel::line(9, fact(t, "Topics", vec![Span::raw(topics)])));
    }
    if let Some(h) = m.homepage.as_deref().filter(|h| !h.is_empty()) {
        let homepage = Span::styled(clean(h).into_owned(), t.accent);
        out.push(Panel::line(9, fact(t, "Homepage", vec![homepage])));
    }
    out.push(Panel::line(
        8,
        fact(t, "Synced", vec![Span::raw(synced(app, repo))]),
    ));
    if let Some(e) = repo
        .last_error
        .as_ref()
        .filter(|_| repo.status != SyncStatus::Inaccessible)
    {
        let text = format!(
            "{} Last error ({}, {}): {}",
            t.glyphs.failed,
            clean(e.kind.as_str()),
            relative(e.at, app.now()),
            clean(&e.message)
        );
        out.push(Panel::lines(1, wrapped(&text, w, t.error), 1));
    }
    out
}

/// The CI of the default branch's head: its state in a word and a glyph, the failing checks.
fn ci(app: &App, m: &RepoMeta, d: Option<&RepoDetails>) -> Vec<Span<'static>> {
    let t = app.theme();
    let g = &t.glyphs;
    let Some(d) = d else {
        return vec![Span::styled(format!("loading{}", g.more), t.dim)];
    };
    let Some(ci) = &d.ci else {
        return vec![Span::styled("no checks reported", t.dim)];
    };
    let on = Span::styled(
        format!(" on {} {}", clean(&m.default_branch), short_sha(&ci.sha)),
        t.dim,
    );
    match ci.state {
        CiState::Success => vec![Span::styled(format!("{} passing", g.check), t.ok), on],
        CiState::Pending => vec![Span::styled(format!("{} pending", g.syncing), t.warn), on],
        CiState::None => vec![Span::styled(format!("{} no checks", g.dash), t.dim), on],
        CiState::Failure => {
            let failing: Vec<String> = ci.failing().map(|n| clean(n).into_owned()).collect();
            let mut text = format!("{} failing", g.failed);
            if !failing.is_empty() {
                let shown = failing.len().min(FAILING_SHOWN);
                text.push_str(&format!(": {}", failing[..shown].join(", ")));
                if failing.len() > shown {
                    text.push_str(&format!(" +{} more", failing.len() - shown));
                }
            }
            vec![Span::styled(text, t.error), on]
        }
    }
}

/// Opened and closed in the last [`TREND_DAYS`] days, from the stored activity:
/// ((PRs opened, PRs closed or merged), (issues opened, issues closed)).
pub fn trend(entries: &[ActivityEntry], now: chrono::DateTime<chrono::Utc>) -> [(u64, u64); 2] {
    let since = now - chrono::Duration::days(TREND_DAYS);
    let mut out = [(0, 0); 2];
    for e in entries.iter().filter(|e| e.at >= since) {
        match e.change {
            Change::PrOpened { .. } => out[0].0 += 1,
            Change::PrClosed { .. } | Change::PrMerged { .. } => out[0].1 += 1,
            Change::IssueOpened { .. } => out[1].0 += 1,
            Change::IssueClosed { .. } => out[1].1 += 1,
            _ => {}
        }
    }
    out
}

/// "4 PRs (30d +1 -0) · 17 issues (30d +0 -2)": open counts and their trend.
fn open(app: &App, m: &RepoMeta) -> Vec<Span<'static>> {
    let t = app.theme();
    let [prs, issues] = trend(&app.detail().activity, app.now());
    let item = |n: u64, what: &str, (opened, closed): (u64, u64)| {
        let mut spans = vec![Span::raw(format!("{} {what}", thousands(n)))];
        if opened + closed > 0 {
            spans.push(Span::styled(
                format!(" ({TREND_DAYS}d +{opened} -{closed})"),
                t.dim,
            ));
        }
        spans
    };
    let mut spans = item(m.open_prs, "PRs", prs);
    spans.push(Span::raw(t.glyphs.sep()));
    spans.extend(item(m.open_issues, "issues", issues));
    let more = [
        format!("{} watchers", thousands(m.watchers)),
        format!("{} KiB", thousands(m.size_kb)),
    ];
    spans.push(Span::styled(
        format!("{}{}", t.glyphs.sep(), more.join(&t.glyphs.sep())),
        t.dim,
    ));
    spans
}

/// The latest release's tag and, when stored, how long ago it was published.
fn release(app: &App, tag: &str, d: Option<&RepoDetails>) -> Vec<Span<'static>> {
    let t = app.theme();
    let mut spans = vec![Span::raw(clean(tag).into_owned())];
    if let Some(at) = d
        .and_then(|d| d.releases.iter().find(|r| r.tag == tag))
        .and_then(|r| r.published_at)
    {
        spans.push(Span::styled(
            format!(", {}", relative(at, app.now())),
            t.dim,
        ));
    }
    spans
}

/// The default branch's protection: the rule's parts, or that it has none.
fn protection(app: &App, m: &RepoMeta, d: Option<&RepoDetails>) -> Vec<Span<'static>> {
    let t = app.theme();
    let name = clean(&m.default_branch).into_owned();
    let Some(d) = d else {
        return vec![
            Span::raw(name),
            Span::styled(format!(" {}", t.glyphs.more), t.dim),
        ];
    };
    let Some(b) = d.branches.iter().find(|b| b.name == m.default_branch) else {
        return vec![
            Span::raw(name),
            Span::styled(" (not among the stored branches)", t.dim),
        ];
    };
    if !b.protected {
        return vec![Span::raw(name), Span::styled(": not protected", t.warn)];
    }
    let Some(p) = &b.protection else {
        return vec![
            Span::raw(name),
            Span::styled(": protected", t.ok),
            Span::styled(" (the rule's details are not readable)", t.dim),
        ];
    };
    let mut parts = Vec::new();
    if let Some(n) = p.required_reviews {
        parts.push(format!("{n} review{}", if n == 1 { "" } else { "s" }));
    }
    if !p.required_checks.is_empty() {
        let checks: Vec<String> = p
            .required_checks
            .iter()
            .map(|c| clean(c).into_owned())
            .collect();
        parts.push(format!("checks {}", checks.join(", ")));
    }
    for (on, what) in [
        (p.signed_commits, "signed commits"),
        (p.linear_history, "linear history"),
        (p.enforce_admins, "admins too"),
        (p.allow_force_pushes, "force pushes allowed"),
        (p.allow_deletions, "deletion allowed"),
    ] {
        if on {
            parts.push(what.to_string());
        }
    }
    let mut spans = vec![Span::raw(name), Span::styled(": protected", t.ok)];
    if !parts.is_empty() {
        spans.push(Span::raw(format!(
            "{}{}",
            t.glyphs.sep(),
            parts.join(&t.glyphs.sep())
        )));
    }
    spans
}

/// The head commit: short SHA, headline, author and when.
fn head_commit(app: &App, c: &Commit) -> Vec<Span<'static>> {
    let t = app.theme();
    let who = clean(&c.author.name).into_owned();
    let when = c
        .author
        .date
        .or(c.committer.date)
        .map(|d| format!(", {}", relative(d, app.now())))
        .unwrap_or_default();
    vec![
        Span::styled(short_sha(&c.sha).to_string(), t.accent),
        Span::raw(format!("  {}", clean(c.headline()))),
        Span::styled(format!(" {} {who}{when}", t.glyphs.dash), t.dim),
    ]
}

/// A gauge of the main language's share, then the top three and the rest in percent.
fn languages(t: &Theme, m: &RepoMeta, w: usize) -> Vec<Span<'static>> {
    let total: u64 = m.languages.iter().map(|l| l.bytes).sum::<u64>().max(1);
    let share = |bytes: u64| bytes as f64 / total as f64;
    let mut spans = gauge(
        t,
        share(m.languages[0].bytes),
        (w / 4).clamp(6, 30),
        t.accent,
    );
    let top = &m.languages[..m.languages.len().min(3)];
    let mut parts: Vec<String> = top
        .iter()
        .map(|l| {
            let percent = l.bytes as f64 * 100.0 / total as f64;
            format!("{} {percent:.0}%", clean(&l.name))
        })
        .collect();
    let other = 1.0 - top.iter().map(|l| share(l.bytes)).sum::<f64>();
    if other > 0.005 {
        parts.push(format!("Other {:.0}%", other * 100.0));
    }
    spans.push(Span::raw(format!(" {}", parts.join(&t.glyphs.sep()))));
    spans
}

/// When the repo was last synced (and its details fetched), and whether that is stale.
fn synced(app: &App, repo: &TrackedRepo) -> String {
    let g = &app.theme().glyphs;
    let synced = repo
        .last_synced_at
        .map(|s| relative(s, app.now()))
        .unwrap_or_else(|| "never".into());
    let details = repo
        .details_at
        .map(|s| format!(" {} details {}", g.dot, relative(s, app.now())))
        .unwrap_or_default();
    let stale = if app.is_stale(repo) { " (stale)" } else { "" };
    if repo.status == SyncStatus::Inaccessible {
        return format!("checked {synced}: gone from GitHub{details}");
    }
    format!("{synced}{details}{stale}")
}

// ----- statistics -----

/// The sparkline (or the statistics' state) and the contributors' chart.
fn stats_panels(app: &App, w: usize, roomy: bool) -> Vec<Panel> {
    let view = &app.detail().stats;
    let Some(s) = &view.stats else {
        let lines = stats_state(app, w, None);
        return vec![Panel::lines(2, lines, 1)];
    };
    let (mut spark_rows, top) = if roomy { (SPARK_ROWS, TOP) } else { (3, 4) };
    if s.weekly_commits.iter().all(|w| *w == 0) {
        // One line says there were none.
        spark_rows = 1;
    }
    let mut out = vec![Panel {
        prio: 2,
        min: 2,
        want: 1 + spark_rows,
        kind: Kind::Spark,
    }];
    let note = stats_state(app, w, Some(s));
    if !note.is_empty() {
        out.push(Panel::lines(2, note, 1));
    }
    out.push(Panel::gap(9));
    let n = s.contributors.len().min(top) as u16;
    out.push(Panel {
        prio: 5,
        min: 2,
        want: 1 + n.max(1),
        kind: Kind::Contributors,
    });
    out
}

/// Where the statistics stand, as lines: the whole panel when there are none yet (`None`), a
/// note under them otherwise (refreshing, computing, failed); nothing when they are current.
fn stats_state(app: &App, w: usize, stats: Option<&RepoStats>) -> Vec<Line<'static>> {
    let t = app.theme();
    let g = &t.glyphs;
    let view = &app.detail().stats;
    let title = Line::from(vec![
        Span::styled(" Commits", t.header),
        Span::styled("  last 52 weeks", t.dim),
    ]);
    let text = match (&view.state, stats.is_some()) {
        (StatsState::Computing { retry_at }, had) => {
            let secs = (*retry_at - app.now()).num_seconds().max(0);
            let what = if had {
                "newer statistics"
            } else {
                "statistics"
            };
            (
                format!("GitHub is computing {what}, retrying in {secs}s"),
                t.warn,
            )
        }
        (_, false) if !app.env().engine => (
            "Statistics are fetched when the sync engine runs.".to_string(),
            t.dim,
        ),
        (StatsState::Failed(msg), had) => {
            let sync = key_name(app, Mode::Detail, &Action::Sync).unwrap_or_else(|| ":sync".into());
            let what = if had {
                "Could not refresh the statistics"
            } else {
                "Statistics unavailable"
            };
            (
                format!(
                    "{} {what}: {}. Press {sync} to sync this repository and ask again.",
                    g.failed,
                    msg.trim_end_matches('.')
                ),
                t.error,
            )
        }
        (_, true) => return Vec::new(),
        (_, false) => (format!("Loading statistics{}", g.more), t.dim),
    };
    let mut lines = if stats.is_none() {
        vec![title]
    } else {
        Vec::new()
    };
    lines.extend(wrapped(&text.0, w, text.1));
    lines
}

/// ratatui's bar symbols from the theme's glyphs: the spark levels, a full block (ASCII `#`).
fn bar_set(t: &Theme) -> bar::Set<'static> {
    let s = t.glyphs.spark;
    bar::Set {
        full: t.glyphs.bar_full,
        seven_eighths: s[6],
        three_quarters: s[5],
        five_eighths: s[4],
        half: s[3],
        three_eighths: s[2],
        one_quarter: s[1],
        one_eighth: s[0],
        empty: " ",
    }
}

/// The 52-week commit sparkline with its title (as many recent weeks as fit).
fn spark(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let Some(s) = &app.detail().stats.stats else {
        return;
    };
    let empty_repo = app
        .detail()
        .details
        .as_ref()
        .is_some_and(|d| d.commits.is_empty());
    let total: u64 = s.weekly_commits.iter().map(|w| u64::from(*w)).sum();
    let room = area.width.saturating_sub(2) as usize;
    let weeks = s.weekly_commits.len().min(room);
    let shown = &s.weekly_commits[s.weekly_commits.len() - weeks..];
    let this_week = shown.last().copied().unwrap_or(0);
    let fetched = s
        .fetched_at
        .map(|at| format!(" ({})", relative(at, app.now())))
        .unwrap_or_default();
    let info = format!(
        "  {weeks} weeks: {}, this week {this_week}{fetched}",
        thousands(shown.iter().map(|w| u64::from(*w)).sum()),
    );
    let title = Line::from(vec![
        Span::styled(" Commits", t.header),
        Span::styled(info, t.dim),
    ]);
    let title = fit_line(&title, area.width as usize, t.glyphs.ellipsis);
    put_line(buf, area, area.x, area.y, &title);
    let chart = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: weeks as u16,
        height: area.height.saturating_sub(1),
    };
    if chart.height == 0 {
        return;
    }
    if total == 0 {
        let no_head = app
            .detail()
            .local
            .and_then(|l| app.repo(l))
            .is_some_and(|r| r.head.is_none());
        let text = if empty_repo || no_head {
            " No commits yet: this repository is empty."
        } else {
            " No commits in the last 52 weeks."
        };
        let line = fit_line(
            &Line::styled(text, t.dim),
            area.width as usize,
            t.glyphs.ellipsis,
        );
        put_line(buf, area, area.x, chart.y, &line);
        return;
    }
    let data: Vec<u64> = shown.iter().map(|w| u64::from(*w)).collect();
    Sparkline::default()
        .data(&data)
        .bar_set(bar_set(t))
        .style(t.accent)
        .render(chart, buf);
}

/// The top contributors as a horizontal bar chart: "login  commits" labels, bars by commits.
fn contributors(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let Some(s) = &app.detail().stats.stats else {
        return;
    };
    let title = Line::from(vec![
        Span::styled(" Top contributors", t.header),
        Span::styled("  commits (last 4 weeks)", t.dim),
    ]);
    let title = fit_line(&title, area.width as usize, t.glyphs.ellipsis);
    put_line(buf, area, area.x, area.y, &title);
    let rows = area.height.saturating_sub(1) as usize;
    if rows == 0 {
        return;
    }
    if s.contributors.is_empty() {
        let line = Line::styled(" No contributors counted yet.", t.dim);
        let line = fit_line(&line, area.width as usize, t.glyphs.ellipsis);
        put_line(buf, area, area.x, area.y + 1, &line);
        return;
    }
    let shown = &s.contributors[..s.contributors.len().min(rows).min(TOP)];
    let ell = t.glyphs.ellipsis;
    let name_w = shown
        .iter()
        .map(|c| width(&clean(&c.login)))
        .max()
        .unwrap_or(0)
        .min(16);
    let bars: Vec<Bar<'static>> = shown
        .iter()
        .map(|c| {
            let label = format!(
                "{:<name_w$} {:>6} ({})",
                fit(&clean(&c.login), name_w, ell),
                thousands(c.commits),
                thousands(c.recent)
            );
            Bar::default()
                .value(c.commits)
                .label(Line::from(label))
                .text_value(String::new())
        })
        .collect();
    let chart = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: shown.len() as u16,
    };
    BarChart::default()
        .direction(Direction::Horizontal)
        .data(ratatui::widgets::BarGroup::default().bars(&bars))
        .bar_width(1)
        .bar_gap(0)
        .bar_set(bar_set(t))
        .bar_style(t.accent)
        .label_style(Style::default())
        .render(chart, buf);
}

/// The repo's last activity entries.
fn activity_panel(app: &App) -> Panel {
    let n = app.detail().activity.len().min(ACTIVITY) as u16;
    Panel {
        prio: 7,
        min: 2,
        want: 1 + n.max(1),
        kind: Kind::Activity,
    }
}

fn activity(app: &App, area: Rect, buf: &mut Buffer) {
    let t = app.theme();
    let title = Line::styled(" Recent activity", t.header);
    put_line(buf, area, area.x, area.y, &title);
    let entries = &app.detail().activity;
    if entries.is_empty() {
        let line = Line::styled(
            " No activity recorded yet: changes appear here after syncs.",
            t.dim,
        );
        let line = fit_line(&line, area.width as usize, t.glyphs.ellipsis);
        put_line(buf, area, area.x, area.y + 1, &line);
        return;
    }
    let w = area.width.saturating_sub(12) as usize;
    for (i, e) in entries
        .iter()
        .take(area.height.saturating_sub(1) as usize)
        .enumerate()
    {
        let when = format!(
            " {:<9}",
            fit(&relative(e.at, app.now()), 9, t.glyphs.ellipsis)
        );
        let change = fit(&clean(&e.change.to_string()), w, t.glyphs.ellipsis);
        let line = Line::from(vec![
            Span::styled(when, t.dim),
            Span::raw(format!(" {change}")),
        ]);
        put_line(buf, area, area.x, area.y + 1 + i as u16, &line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panel(prio: u8, min: u16, want: u16) -> Panel {
        Panel {
            prio,
            min,
            want,
            kind: Kind::Activity,
        }
    }

    #[test]
    fn panels_are_dropped_by_priority_and_take_what_is_left() {
        let ps = [
            panel(0, 1, 3),
            panel(5, 2, 6),
            panel(1, 1, 1),
            panel(9, 3, 9),
        ];
        assert_eq!(allocate(&ps, 20), [3, 6, 1, 9]);
        assert_eq!(
            allocate(&ps, 10),
            [3, 6, 1, 0],
            "the lowest priority goes first"
        );
        assert_eq!(
            allocate(&ps, 13),
            [3, 6, 1, 3],
            "a panel takes what is left"
        );
        assert_eq!(
            allocate(&ps, 5),
            [3, 0, 1, 0],
            "or nothing below its minimum"
        );
        assert_eq!(allocate(&ps, 1), [1, 0, 0, 0]);
        assert_eq!(allocate(&ps, 0), [0, 0, 0, 0]);
    }

    #[test]
    fn the_trend_counts_the_last_30_days_only() {
        let now = chrono::Utc::now();
        let entry = |days: i64, change: Change| ActivityEntry {
            seq: 0,
            repo: crate::domain::RepoId(1),
            full_name: "o/r".into(),
            at: now - chrono::Duration::days(days),
            change,
            read: false,
        };
        let pr = |n| Change::PrOpened {
            number: n,
            title: String::new(),
        };
        let entries = [
            entry(1, pr(1)),
            entry(
                2,
                Change::PrMerged {
                    number: 1,
                    title: String::new(),
                },
            ),
            entry(40, pr(2)),
            entry(
                3,
                Change::IssueClosed {
                    number: 3,
                    title: String::new(),
                },
            ),
            entry(3, Change::Stars { delta: 2 }),
        ];
        assert_eq!(trend(&entries, now), [(1, 1), (0, 1)]);
    }
}
