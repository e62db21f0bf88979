//! The text table of `repodeck list`: one row per tracked repository, fitted to the terminal
//! width (columns of least use dropped first, the name column shortened last). Without a known
//! width (stdout is not a terminal and `COLUMNS` is unset) every column is printed in full.

use std::io::{IsTerminal, Write};

use chrono::{DateTime, Utc};

use crate::domain::{TrackedRepo, short_sha};
use crate::fmt::{relative, thousands};
use crate::sanitize;

/// The name column never gets narrower than this while other columns can be dropped.
const MIN_REPO: usize = 24;
/// Nor wider than this when the terminal is wide.
const MAX_REPO: usize = 48;

/// One column: its heading, whether numbers align right, and how readily it is dropped
/// (a higher `drop` goes first).
struct Column {
    title: &'static str,
    right: bool,
    drop: u8,
}

const COLUMNS: [Column; 9] = [
    Column {
        title: "STARS",
        right: true,
        drop: 0,
    },
    Column {
        title: "FORKS",
        right: true,
        drop: 6,
    },
    Column {
        title: "PRS",
        right: true,
        drop: 4,
    },
    Column {
        title: "ISSUES",
        right: true,
        drop: 5,
    },
    Column {
        title: "LANG",
        right: false,
        drop: 3,
    },
    Column {
        title: "PUSHED",
        right: false,
        drop: 7,
    },
    Column {
        title: "HEAD",
        right: false,
        drop: 2,
    },
    Column {
        title: "SYNCED",
        right: false,
        drop: 1,
    },
    Column {
        title: "STATUS",
        right: false,
        drop: 0,
    },
];

/// The width to fit: `COLUMNS` when set, else the terminal's when stdout is one.
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    if std::io::stdout().is_terminal() {
        return terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
    }
    None
}

/// The cells of one repository, in `COLUMNS` order.
fn cells(r: &TrackedRepo, now: DateTime<Utc>) -> [String; 9] {
    let meta = r.meta.as_ref();
    let num = |v: Option<u64>| v.map(thousands).unwrap_or_else(|| "-".into());
    let head = r
        .head
        .as_ref()
        .map(|h| {
            let age = h
                .committer
                .date
                .or(h.author.date)
                .map(|t| format!(" {}", relative(t, now)))
                .unwrap_or_default();
            format!("{}{age}", short_sha(&h.sha))
        })
        .unwrap_or_else(|| "-".into());
    [
        num(meta.map(|m| m.stars)),
        num(meta.map(|m| m.forks)),
        num(meta.map(|m| m.open_prs)),
        num(meta.map(|m| m.open_issues)),
        sanitize::truncate_chars(
            &sanitize::line(meta.and_then(|m| m.language.as_deref()).unwrap_or("-")),
            12,
        )
        .into_owned(),
        meta.and_then(|m| m.pushed_at)
            .map(|t| relative(t, now))
            .unwrap_or_else(|| "-".into()),
        head,
        r.last_synced_at
            .map(|t| relative(t, now))
            .unwrap_or_else(|| "never".into()),
        format!(
            "{}{}",
            r.status.as_str(),
            if meta.is_some_and(|m| m.archived) {
                " (archived)"
            } else {
                ""
            }
        ),
    ]
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Which columns fit in `width` next to a name column of at least `MIN_REPO` (or the longest
/// name when shorter), and the name column's width.
fn layout(widths: &[usize; 9], longest: usize, width: Option<usize>) -> (Vec<usize>, usize) {
    let mut shown: Vec<usize> = (0..COLUMNS.len()).collect();
    let Some(width) = width else {
        return (shown, longest);
    };
    let used = |shown: &[usize]| shown.iter().map(|&i| widths[i] + 1).sum::<usize>();
    let min_repo = longest.min(MIN_REPO);
    while used(&shown) + min_repo > width {
        let Some(pos) = shown
            .iter()
            .enumerate()
            .filter(|(_, i)| COLUMNS[**i].drop > 0)
            .max_by_key(|(_, i)| COLUMNS[**i].drop)
            .map(|(pos, _)| pos)
        else {
            break;
        };
        shown.remove(pos);
    }
    let repo = width
        .saturating_sub(used(&shown))
        .clamp(min_repo, longest.clamp(min_repo, MAX_REPO));
    (shown, repo)
}

/// Prints the table: a heading row, then one row per repository.
pub fn print_list(
    repos: &[TrackedRepo],
    now: DateTime<Utc>,
    width: Option<usize>,
    out: &mut dyn Write,
) {
    let names: Vec<String> = repos
        .iter()
        .map(|r| sanitize::line(&r.key.to_string()).into_owned())
        .collect();
    let rows: Vec<[String; 9]> = repos.iter().map(|r| cells(r, now)).collect();
    let mut widths = COLUMNS.map(|c| chars(c.title));
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(chars(cell));
        }
    }
    let longest = names.iter().map(|n| chars(n)).max().unwrap_or(0).max(4);
    let (shown, repo_w) = layout(&widths, longest, width);
    let line = |name: &str, cells: &[&str]| {
        let mut s = format!("{:<repo_w$}", sanitize::truncate_chars(name, repo_w));
        for (&i, cell) in shown.iter().zip(cells) {
            let w = widths[i];
            if COLUMNS[i].right {
                s.push_str(&format!(" {cell:>w$}"));
            } else {
                s.push_str(&format!(" {cell:<w$}"));
            }
        }
        s.trim_end().to_string()
    };
    let titles: Vec<&str> = shown.iter().map(|&i| COLUMNS[i].title).collect();
    let _ = writeln!(out, "{}", line("REPO", &titles));
    for (name, row) in names.iter().zip(&rows) {
        let cells: Vec<&str> = shown.iter().map(|&i| row[i].as_str()).collect();
        let _ = writeln!(out, "{}", line(name, &cells));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_terminals_drop_the_least_used_columns_first() {
        let widths = [6, 5, 3, 6, 10, 7, 14, 6, 11];
        let (all, repo) = layout(&widths, 30, None);
        assert_eq!((all.len(), repo), (9, 30));
        let (wide, repo) = layout(&widths, 30, Some(200));
        assert_eq!(wide.len(), 9);
        assert_eq!(repo, 30, "never wider than the longest name");
        let (narrow, repo) = layout(&widths, 30, Some(80));
        let titles: Vec<&str> = narrow.iter().map(|&i| COLUMNS[i].title).collect();
        assert!(
            !titles.contains(&"PUSHED") && !titles.contains(&"FORKS"),
            "{titles:?}"
        );
        assert!(
            titles.contains(&"LANG") && titles.contains(&"HEAD"),
            "{titles:?}"
        );
        let total = repo + narrow.iter().map(|&i| widths[i] + 1).sum::<usize>();
        assert!(total <= 80, "{total}");
        let (tiny, repo) = layout(&widths, 30, Some(20));
        let titles: Vec<&str> = tiny.iter().map(|&i| COLUMNS[i].title).collect();
        assert_eq!(titles, ["STARS", "STATUS"]);
        assert_eq!(repo, MIN_REPO);
    }
}
