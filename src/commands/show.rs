//! `repodeck activity` (the change feed) and `repodeck show` (everything stored for one repo).

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{CliError, Status};
use crate::domain::{ActivityEntry, RepoDetails, RepoKey, RepoMeta, TrackedRepo};
use crate::fmt::{relative, rfc3339};
use crate::host::source::DataSource;
use crate::sanitize;
use crate::sync::scheduler::limits;

/// One entry as `activity --json` prints it (the same object a notify command gets).
pub fn entry_json(e: &ActivityEntry) -> Value {
    crate::notify::entry_json(e)
}

pub fn activity(
    store: &dyn DataSource,
    since: Option<&str>,
    repo: Option<&str>,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let now = Utc::now();
    let since_at = match since {
        Some(s) => {
            let d = crate::config::parse_duration(s)
                .map_err(|m| CliError::Input(format!("--since: {m}")))?;
            let d = chrono::Duration::from_std(d)
                .map_err(|_| CliError::Input(format!("--since {s} is too long")))?;
            Some(now - d)
        }
        None => None,
    };
    let repo_id = match repo {
        Some(r) => {
            let key = RepoKey::parse(r).map_err(|e| CliError::Input(e.to_string()))?;
            let tracked = store.find(&key)?.ok_or_else(|| {
                CliError::Input(format!("{key} is not tracked; see `repodeck list`"))
            })?;
            match tracked.id {
                Some(id) => Some(id),
                None => {
                    // Never synced: it has no activity yet.
                    return finish_activity(&[], json_out, out);
                }
            }
        }
        None => None,
    };
    let entries = store.activity(repo_id, since_at, limits::ACTIVITY_LIMIT)?;
    finish_activity(&entries, json_out, out)
}

fn finish_activity(
    entries: &[ActivityEntry],
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    if json_out {
        let rows: Vec<Value> = entries.iter().map(entry_json).collect();
        let _ = writeln!(out, "{}", Value::Array(rows));
        return Ok(Status::Ok);
    }
    if entries.is_empty() {
        let _ = writeln!(
            out,
            "No activity yet. Run `repodeck sync --all` to look for changes."
        );
        return Ok(Status::Ok);
    }
    let now = Utc::now();
    // `*` before the repository marks a change not yet seen in the TUI.
    let _ = writeln!(out, "{:<9}  {:<40} CHANGE", "WHEN", "REPO");
    for e in entries {
        let _ = writeln!(
            out,
            "{:<9} {}{:<40} {}",
            relative(e.at, now),
            if e.read { ' ' } else { '*' },
            sanitize::truncate_chars(&sanitize::line(&e.full_name), 40),
            sanitize::line(&e.change.to_string()),
        );
    }
    Ok(Status::Ok)
}

pub fn show_json(repo: &TrackedRepo, details: Option<&crate::domain::RepoDetails>) -> Value {
    json!({
        "full_name": repo.key.to_string(),
        "id": repo.id.map(|i| i.0),
        "status": repo.status.as_str(),
        "added_at": rfc3339(repo.added_at),
        "last_synced_at": repo.last_synced_at.map(rfc3339),
        "details_at": repo.details_at.map(rfc3339),
        "last_error": repo.last_error.as_ref().map(|e| json!({"kind": e.kind, "message": e.message, "at": rfc3339(e.at)})),
        "meta": repo.meta,
        "head": repo.head,
        "latest_release": repo.latest_release,
        "stars_delta": repo.stars_delta,
        "unread": repo.unread,
        "commits": details.map(|d| &d.commits),
        "branches": details.map(|d| &d.branches),
        "pulls": details.map(|d| &d.pulls),
        "issues": details.map(|d| &d.issues),
        "releases": details.map(|d| &d.releases),
    })
}

pub fn show(
    store: &dyn DataSource,
    input: &str,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let key = RepoKey::parse(input).map_err(|e| CliError::Input(e.to_string()))?;
    let repo = store.find(&key)?.ok_or_else(|| {
        CliError::Input(format!(
            "{key} is not tracked; add it with `repodeck add {key}`"
        ))
    })?;
    let details = store.details(repo.local)?;
    if json_out {
        let _ = writeln!(out, "{}", show_json(&repo, details.as_ref()));
        return Ok(Status::Ok);
    }
    let l = |s: &str| sanitize::line(s).into_owned();
    let now = Utc::now();
    let _ = writeln!(
        out,
        "{}  [{}]",
        l(&repo.key.to_string()),
        repo.status.as_str()
    );
    if let Some(e) = &repo.last_error {
        let _ = writeln!(
            out,
            "last error ({}, {}): {}",
            e.kind,
            relative(e.at, now),
            l(&e.message)
        );
    }
    let Some(m) = &repo.meta else {
        let name = l(&repo.key.to_string());
        let _ = match &repo.last_error {
            Some(_) => writeln!(
                out,
                "Nothing stored yet: every sync so far failed (the error above). Fix that, then run `repodeck sync {name}`."
            ),
            None => writeln!(out, "Not synced yet: run `repodeck sync {name}`."),
        };
        print_dates(&dates(&repo, None), now, out);
        return Ok(Status::Ok);
    };
    print_meta(&repo, m, out);
    print_dates(&dates(&repo, Some(m)), now, out);
    if let Some(d) = &details {
        print_details(d, out);
    }
    Ok(Status::Ok)
}

/// The dates `show` prints: GitHub's (created, pushed, updated) and repodeck's own.
fn dates(
    repo: &TrackedRepo,
    m: Option<&RepoMeta>,
) -> Vec<(&'static str, Option<DateTime<Utc>>, &'static str)> {
    vec![
        ("created", m.and_then(|m| m.created_at), "-"),
        ("pushed", m.and_then(|m| m.pushed_at), "-"),
        ("updated", m.and_then(|m| m.updated_at), "-"),
        ("tracked", Some(repo.added_at), "-"),
        ("last synced", repo.last_synced_at, "never"),
    ]
}

/// One date per line: relative, then absolute (UTC), aligned.
fn print_dates(
    rows: &[(&'static str, Option<DateTime<Utc>>, &'static str)],
    now: DateTime<Utc>,
    out: &mut dyn Write,
) {
    for (label, at, none) in rows {
        let _ = match at {
            Some(t) => writeln!(
                out,
                "{:<12} {:<9} {}",
                format!("{label}:"),
                relative(*t, now),
                t.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            None => writeln!(out, "{:<12} {none}", format!("{label}:")),
        };
    }
}

/// The stored metadata and head commit, one fact per line.
fn print_meta(repo: &TrackedRepo, m: &RepoMeta, out: &mut dyn Write) {
    let l = |s: &str| sanitize::line(s).into_owned();
    if let Some(d) = &m.description {
        let _ = writeln!(out, "{}", l(d));
    }
    let _ = writeln!(out, "url: {}   clone: {}", l(&m.html_url), l(&m.clone_url));
    if let Some(h) = &m.homepage {
        let _ = writeln!(out, "homepage: {}", l(h));
    }
    let flags: Vec<&str> = [
        (m.private, "private"),
        (m.fork, "fork"),
        (m.archived, "archived"),
        (m.disabled, "disabled"),
    ]
    .iter()
    .filter_map(|(on, name)| on.then_some(*name))
    .collect();
    let _ = writeln!(
        out,
        "stars {} ({:+})  forks {}  watchers {}  open PRs {}  open issues {}  size {} KiB{}",
        crate::fmt::thousands(m.stars),
        repo.stars_delta,
        crate::fmt::thousands(m.forks),
        crate::fmt::thousands(m.watchers),
        m.open_prs,
        m.open_issues,
        m.size_kb,
        if flags.is_empty() {
            String::new()
        } else {
            format!("  [{}]", flags.join(", "))
        }
    );
    let langs: Vec<String> = m.languages.iter().map(|x| l(&x.name)).collect();
    let _ = writeln!(
        out,
        "language: {}  ({})  license: {}  default branch: {}",
        l(m.language.as_deref().unwrap_or("-")),
        langs.join(", "),
        l(m.license.as_deref().unwrap_or("-")),
        l(&m.default_branch)
    );
    if !m.topics.is_empty() {
        let topics: Vec<String> = m.topics.iter().map(|t| l(t)).collect();
        let _ = writeln!(out, "topics: {}", topics.join(", "));
    }
    if let Some(h) = &repo.head {
        let _ = writeln!(
            out,
            "head: {} {} ({}{}){}",
            crate::domain::short_sha(&h.sha),
            l(h.headline()),
            l(&h.author.name),
            h.committer
                .date
                .or(h.author.date)
                .map(|t| format!(", {}", relative(t, Utc::now())))
                .unwrap_or_default(),
            h.stats
                .as_ref()
                .map(|s| format!(" +{} -{}", s.additions, s.deletions))
                .unwrap_or_default()
        );
    }
}

/// A list's heading with a true count: `branches (4):`, or `recent commits (10 of 30):` when
/// only the first `shown` are listed.
fn heading(what: &str, total: usize, shown: usize) -> String {
    if total > shown {
        format!("{what} ({shown} of {total}, `--json` has all):")
    } else {
        format!("{what} ({total}):")
    }
}

/// The first entries of each stored list.
fn print_details(d: &RepoDetails, out: &mut dyn Write) {
    let l = |s: &str| sanitize::line(s).into_owned();
    let _ = writeln!(out, "\n{}", heading("recent commits", d.commits.len(), 10));
    for c in d.commits.iter().take(10) {
        let _ = writeln!(
            out,
            "  {} {}",
            crate::domain::short_sha(&c.sha),
            l(c.headline())
        );
    }
    let _ = writeln!(out, "{}", heading("branches", d.branches.len(), 10));
    for b in d.branches.iter().take(10) {
        let _ = writeln!(
            out,
            "  {}{} {}",
            l(&b.name),
            if b.protected { " (protected)" } else { "" },
            crate::domain::short_sha(&b.head_sha)
        );
    }
    let _ = writeln!(out, "{}", heading("open pull requests", d.pulls.len(), 10));
    for p in d.pulls.iter().take(10) {
        let _ = writeln!(
            out,
            "  #{} {}{}",
            p.number,
            l(&p.title),
            if p.draft { " (draft)" } else { "" }
        );
    }
    let _ = writeln!(out, "{}", heading("open issues", d.issues.len(), 10));
    for i in d.issues.iter().take(10) {
        let _ = writeln!(out, "  #{} {}", i.number, l(&i.title));
    }
    let _ = writeln!(out, "releases ({}):", d.releases.len());
    for r in &d.releases {
        let _ = writeln!(
            out,
            "  {} {}{}",
            l(&r.tag),
            l(r.name.as_deref().unwrap_or("")),
            if r.prerelease { " (pre-release)" } else { "" }
        );
    }
}
