//! Repo detail: tabs Overview, Commits, Branches, PRs, Issues, Releases, Activity (digits and
//! Tab/Shift-Tab), and the commit view opened with Enter on a commit (files fetched on demand).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::fmt::{relative, thousands};
use crate::domain::{Commit, TrackedRepo, short_sha};
use crate::sanitize::{line as clean, multiline};
use crate::tui::app::{App, Tab};
use crate::tui::widgets::rate_limit_bar::gauge;
use crate::tui::widgets::table::{self, Col};
use crate::tui::widgets::{fit, put, put_line, wrap};

use super::message;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let Some(repo) = app.detail.local.and_then(|l| app.repo(l)) else {
        message(
            buf,
            area,
            &[("This repository is no longer tracked. Press esc.", t.base)],
        );
        return;
    };
    tabs(app, repo, area, buf);
    let body = super::below_first_row(area);
    if app.detail.commit.is_some() {
        return commit_view(app, repo, body, buf);
    }
    let tab = app.detail.tab();
    if tab == Tab::Overview {
        return overview(app, repo, body, buf);
    }
    if tab != Tab::Activity && app.detail.details.is_none() {
        let text = if app.detail.loading {
            format!("Loading{}", t.glyphs.more)
        } else if repo.details_at.is_none() {
            let sync = app.keymap.key_for(
                crate::tui::keymap::Mode::Detail,
                &crate::tui::action::Action::Sync,
            );
            format!(
                "Not synced yet: press {} to fetch it.",
                sync.map(|k| k.to_string())
                    .unwrap_or_else(|| ":sync".into())
            )
        } else {
            "Nothing stored for this repository yet.".to_string()
        };
        message(buf, body, &[(&text, t.dim)]);
        return;
    }
    let d = app.detail.details.clone().unwrap_or_default();
    let cur = app.detail.cursors[tab.index()];
    let rows_h = body.height.saturating_sub(1) as usize;
    let dash = t.glyphs.dash;
    let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|a| relative(a, app.now))
            .unwrap_or_else(|| dash.into())
    };
    let (cols, rows): (Vec<Col>, Vec<Vec<table::Cell>>) = match tab {
        Tab::Commits => (
            vec![
                Col::left("SHA", 7, u8::MAX),
                Col::flex("MESSAGE", 10, u8::MAX),
                Col::left("AUTHOR", 14, 2),
                Col::left("WHEN", 8, 3),
            ],
            d.commits
                .iter()
                .map(|c| {
                    vec![
                        (short_sha(&c.sha).to_string(), t.accent),
                        (clean(c.headline()).into_owned(), Style::default()),
                        (clean(&c.author.name).into_owned(), t.dim),
                        (when(c.author.date.or(c.committer.date)), t.dim),
                    ]
                })
                .collect(),
        ),
        Tab::Branches => (
            vec![
                Col::flex("BRANCH", 10, u8::MAX),
                Col::left("HEAD", 7, 2),
                Col::left("", 17, 1),
            ],
            d.branches
                .iter()
                .map(|b| {
                    let default = repo
                        .meta
                        .as_ref()
                        .is_some_and(|m| m.default_branch == b.name);
                    let mut tags = Vec::new();
                    if b.protected {
                        tags.push("protected");
                    }
                    if default {
                        tags.push("default");
                    }
                    vec![
                        (
                            clean(&b.name).into_owned(),
                            if default { t.header } else { Style::default() },
                        ),
                        (short_sha(&b.head_sha).to_string(), t.accent),
                        (tags.join(" "), t.warn),
                    ]
                })
                .collect(),
        ),
        Tab::Pulls => (
            vec![
                Col::right("#", 6, u8::MAX),
                Col::flex("TITLE", 10, u8::MAX),
                Col::left("AUTHOR", 12, 2),
                Col::left("UPDATED", 8, 3),
            ],
            d.pulls
                .iter()
                .map(|p| {
                    let title = if p.draft {
                        format!("[draft] {}", clean(&p.title))
                    } else {
                        clean(&p.title).into_owned()
                    };
                    vec![
                        (format!("#{}", p.number), t.accent),
                        (title, if p.draft { t.dim } else { Style::default() }),
                        (
                            p.author
                                .as_deref()
                                .map(|a| clean(a).into_owned())
                                .unwrap_or_default(),
                            t.dim,
                        ),
                        (when(p.updated_at.or(p.created_at)), t.dim),
                    ]
                })
                .collect(),
        ),
        Tab::Issues => (
            vec![
                Col::right("#", 6, u8::MAX),
                Col::flex("TITLE", 10, u8::MAX),
                Col::left("LABELS", 14, 1),
                Col::left("UPDATED", 8, 3),
            ],
            d.issues
                .iter()
                .map(|i| {
                    vec![
                        (format!("#{}", i.number), t.accent),
                        (clean(&i.title).into_owned(), Style::default()),
                        (clean(&i.labels.join(", ")).into_owned(), t.dim),
                        (when(i.updated_at.or(i.created_at)), t.dim),
                    ]
                })
                .collect(),
        ),
        Tab::Releases => (
            vec![
                Col::left("TAG", 12, u8::MAX),
                Col::flex("NAME", 10, 2),
                Col::left("", 10, 1),
                Col::left("PUBLISHED", 9, u8::MAX),
            ],
            d.releases
                .iter()
                .map(|r| {
                    let kind = if r.draft {
                        "draft"
                    } else if r.prerelease {
                        "pre-release"
                    } else {
                        ""
                    };
                    vec![
                        (clean(&r.tag).into_owned(), t.accent),
                        (
                            r.name
                                .as_deref()
                                .map(|n| clean(n).into_owned())
                                .unwrap_or_default(),
                            Style::default(),
                        ),
                        (kind.into(), t.warn),
                        (when(r.published_at), t.dim),
                    ]
                })
                .collect(),
        ),
        Tab::Activity | Tab::Overview => (
            vec![
                Col::left("WHEN", 8, u8::MAX),
                Col::flex("CHANGE", 10, u8::MAX),
            ],
            app.detail
                .activity
                .iter()
                .map(|e| {
                    vec![
                        (relative(e.at, app.now), t.dim),
                        (clean(&e.change.to_string()).into_owned(), Style::default()),
                    ]
                })
                .collect(),
        ),
    };
    if rows.is_empty() {
        let what = match tab {
            Tab::Commits => "No commits stored.",
            Tab::Branches => "No branches stored.",
            Tab::Pulls => "No open pull requests.",
            Tab::Issues => "No open issues.",
            Tab::Releases => "No releases.",
            _ => "No activity recorded yet: changes appear here after syncs.",
        };
        message(buf, body, &[(what, t.dim)]);
        return;
    }
    let off = cur.visible_offset(rows.len(), rows_h);
    let visible = rows
        .into_iter()
        .skip(off)
        .take(rows_h)
        .map(|r| (r, Style::default()));
    let inset = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(1),
        ..body
    };
    table::draw(
        buf,
        inset,
        &cols,
        t.dim,
        t.selected,
        visible,
        Some(cur.sel.saturating_sub(off)),
    );
}

fn tabs(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let counts = app.detail.details.as_ref();
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
            let style = if i == app.detail.tab {
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
        let name = app.detail.tab().title();
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

fn overview(app: &App, repo: &TrackedRepo, area: Rect, buf: &mut Buffer) {
    let t = &app.theme;
    let g = &t.glyphs;
    let w = area.width.saturating_sub(1) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let label = |s: &str| Span::styled(format!(" {:<10} ", s), t.dim);
    let mut head = vec![Span::styled(format!(" {}", repo.key), t.title)];
    if let Some(m) = &repo.meta {
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
        let mut badges = vec![if m.private { "private" } else { "public" }];
        if m.fork {
            badges.push("fork");
        }
        if m.archived {
            badges.push("archived");
        }
        if m.disabled {
            badges.push("disabled");
        }
        for b in badges {
            let style = if b == "archived" || b == "disabled" {
                t.warn
            } else {
                t.accent
            };
            head.push(Span::styled(format!("  [{b}]"), style));
        }
    }
    lines.push(Line::from(head));
    let Some(m) = &repo.meta else {
        lines.push(Line::default());
        lines.push(Line::styled(
            " Not synced yet: what GitHub knows about it shows here after the first sync.",
            t.dim,
        ));
        if let Some(e) = &repo.last_error {
            lines.push(Line::default());
            for l in wrap(
                &format!(
                    "Last error ({}): {}",
                    clean(e.kind.as_str()),
                    clean(&e.message)
                ),
                w.saturating_sub(1),
            ) {
                lines.push(Line::styled(format!(" {l}"), t.error));
            }
        }
        return draw_lines(buf, area, &lines, app.detail.scroll);
    };
    if let Some(desc) = m.description.as_deref().filter(|d| !d.is_empty()) {
        for l in wrap(&clean(desc), w.saturating_sub(1)) {
            lines.push(Line::from(format!(" {l}")));
        }
    }
    lines.push(Line::default());
    if let Some(h) = m.homepage.as_deref().filter(|h| !h.is_empty()) {
        lines.push(Line::from(vec![
            label("Homepage"),
            Span::styled(clean(h).into_owned(), t.accent),
        ]));
    }
    lines.push(Line::from(vec![
        label("License"),
        Span::raw(
            m.license
                .as_deref()
                .map(|l| clean(l).into_owned())
                .unwrap_or_else(|| g.dash.into()),
        ),
        Span::styled("   default branch ", t.dim),
        Span::raw(clean(&m.default_branch).into_owned()),
    ]));
    if !m.topics.is_empty() {
        let sep = format!(" {} ", g.dot);
        lines.push(Line::from(vec![
            label("Topics"),
            Span::raw(clean(&m.topics.join(&sep)).into_owned()),
        ]));
    }
    if let Some(c) = &repo.head {
        let who = clean(&c.author.name).into_owned();
        let when = c
            .author
            .date
            .or(c.committer.date)
            .map(|d| format!(", {}", relative(d, app.now)))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            label("Head"),
            Span::styled(short_sha(&c.sha).to_string(), t.accent),
            Span::raw(format!("  {}", clean(c.headline()))),
            Span::styled(format!(" {} {who}{when}", g.dash), t.dim),
        ]));
    }
    lines.push(Line::from(vec![
        label("Open"),
        Span::raw(format!(
            "{} PRs {} {} issues {} {} watchers {} {} KiB",
            thousands(m.open_prs),
            g.dot,
            thousands(m.open_issues),
            g.dot,
            thousands(m.watchers),
            g.dot,
            thousands(m.size_kb)
        )),
    ]));
    if !m.languages.is_empty() {
        let total: u64 = m.languages.iter().map(|l| l.bytes).sum::<u64>().max(1);
        let top = &m.languages[0];
        let frac = top.bytes as f64 / total as f64;
        let mut spans = vec![label("Languages")];
        let cells = (w / 4).clamp(6, 30);
        spans.extend(gauge(t, frac, cells, t.accent));
        let parts: Vec<String> = m
            .languages
            .iter()
            .take(3)
            .map(|l| {
                format!(
                    "{} {:.0}%",
                    clean(&l.name),
                    l.bytes as f64 * 100.0 / total as f64
                )
            })
            .collect();
        let other = 1.0
            - m.languages
                .iter()
                .take(3)
                .map(|l| l.bytes as f64 / total as f64)
                .sum::<f64>();
        let mut text = parts.join(&format!(" {} ", g.dot));
        if other > 0.005 {
            text.push_str(&format!(" {} Other {:.0}%", g.dot, other * 100.0));
        }
        spans.push(Span::raw(format!(" {text}")));
        lines.push(Line::from(spans));
    } else if let Some(l) = &m.language {
        lines.push(Line::from(vec![
            label("Language"),
            Span::raw(clean(l).into_owned()),
        ]));
    }
    let synced = repo
        .last_synced_at
        .map(|s| relative(s, app.now))
        .unwrap_or_else(|| "never".into());
    let details = repo
        .details_at
        .map(|s| format!(" {} details {}", g.dot, relative(s, app.now)))
        .unwrap_or_default();
    let stale = if app.is_stale(repo) { " (stale)" } else { "" };
    lines.push(Line::from(vec![
        label("Synced"),
        Span::raw(format!("{synced}{details}{stale}")),
    ]));
    if let Some(r) = &repo.latest_release {
        lines.push(Line::from(vec![
            label("Release"),
            Span::raw(clean(r).into_owned()),
        ]));
    }
    if let Some(e) = &repo.last_error {
        lines.push(Line::default());
        let text = format!(
            "{} Last error ({}, {}): {}",
            g.failed,
            clean(e.kind.as_str()),
            relative(e.at, app.now),
            clean(&e.message)
        );
        for l in wrap(&text, w.saturating_sub(1)) {
            lines.push(Line::styled(format!(" {l}"), t.error));
        }
    }
    draw_lines(buf, area, &lines, app.detail.scroll);
}

fn draw_lines(buf: &mut Buffer, area: Rect, lines: &[Line], scroll: u16) {
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
    let t = &app.theme;
    let w = area.width.saturating_sub(2) as usize;
    let Some(c): Option<Commit> = app.open_commit() else {
        message(
            buf,
            area,
            &[("That commit is no longer stored. Press esc.", t.dim)],
        );
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::from(vec![
        Span::styled(format!(" commit {}", c.sha), t.accent),
        Span::styled(format!("  {}", repo.key), t.dim),
    ]));
    let sig = |s: &crate::domain::Signature| {
        let when = s
            .date
            .map(|d| {
                format!(
                    "  {} ({})",
                    d.format("%Y-%m-%d %H:%M UTC"),
                    relative(d, app.now)
                )
            })
            .unwrap_or_default();
        format!("{} <{}>{when}", clean(&s.name), clean(&s.email))
    };
    lines.push(Line::from(vec![
        Span::styled(" Author     ", t.dim),
        Span::raw(sig(&c.author)),
    ]));
    if c.committer.name != c.author.name || c.committer.date != c.author.date {
        lines.push(Line::from(vec![
            Span::styled(" Committer  ", t.dim),
            Span::raw(sig(&c.committer)),
        ]));
    }
    if !c.parents.is_empty() {
        let p: Vec<&str> = c.parents.iter().map(|p| short_sha(p)).collect();
        lines.push(Line::from(vec![
            Span::styled(" Parents    ", t.dim),
            Span::raw(p.join(" ")),
        ]));
    }
    if let Some(s) = &c.stats {
        lines.push(Line::from(vec![
            Span::styled(" Stats      ", t.dim),
            Span::styled(format!("+{}", thousands(s.additions)), t.ok),
            Span::raw(" "),
            Span::styled(format!("-{}", thousands(s.deletions)), t.error),
        ]));
    }
    lines.push(Line::default());
    for l in multiline(&c.message).lines() {
        for part in wrap(l, w.saturating_sub(3)) {
            lines.push(Line::from(format!("    {part}")));
        }
    }
    lines.push(Line::default());
    match (
        &c.files,
        app.detail.fetching.contains(&c.sha),
        &app.detail.commit_error,
    ) {
        (Some(files), _, _) => {
            lines.push(Line::styled(
                format!(" {} files changed", files.len()),
                t.header,
            ));
            for f in files {
                let name = fit(&clean(&f.filename), w.saturating_sub(22), t.glyphs.ellipsis);
                lines.push(Line::from(vec![
                    Span::styled(
                        format!(" {:<9}", fit(&clean(&f.status), 9, t.glyphs.ellipsis)),
                        t.dim,
                    ),
                    Span::raw(format!("{name} ")),
                    Span::styled(format!("+{}", f.additions), t.ok),
                    Span::raw(" "),
                    Span::styled(format!("-{}", f.deletions), t.error),
                ]));
            }
        }
        (None, true, _) => lines.push(Line::styled(
            format!(" Fetching files and stats{}", t.glyphs.more),
            t.dim,
        )),
        (None, false, Some(e)) => lines.push(Line::styled(
            format!(" Could not fetch the files: {e}"),
            t.error,
        )),
        (None, false, None) => lines.push(Line::styled(
            " Files are fetched when the sync engine runs.",
            t.dim,
        )),
    }
    draw_lines(buf, area, &lines, app.detail.scroll);
}
