//! `repodeck audit`: the token-use audit log (every request to GitHub: time, token id, where the
//! token came from, repository, endpoint class, method, status, points) as a table with a
//! per-token summary, or `--json` (one array). Filters: `--since` (default 24h), `--repo`,
//! `--token` (its id as `token list` shows it, `ghp_...a1f3` or just `a1f3`). Never a token: the
//! store holds only ids; repository names are sanitized before printing.

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{CliError, Status};
use crate::domain::{RepoKey, RequestOutcome, RequestRecord, TokenUse, token_use};
use crate::fmt::thousands;
use crate::sanitize;
use crate::store::Store;

/// What `repodeck audit` was asked for, validated.
#[derive(Debug, Clone)]
pub struct AuditArgs {
    pub since: DateTime<Utc>,
    /// Lowercase `owner/name`.
    pub repo: Option<String>,
    pub token: Option<String>,
    pub json: bool,
}

impl AuditArgs {
    /// Validates the flags (exit 2 with what to write on bad input, before the store is opened).
    pub fn parse(
        since: Option<&str>,
        repo: Option<&str>,
        token: Option<&str>,
        json: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, CliError> {
        let since_text = since.unwrap_or("24h");
        let d = crate::config::parse_duration(since_text)
            .map_err(|m| CliError::Input(format!("--since: {m}")))?;
        let since = chrono::Duration::from_std(d)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| {
                CliError::Input(format!("--since {since_text} is too long; try \"30d\""))
            })?;
        let repo = match repo {
            Some(r) => Some(
                RepoKey::parse(r)
                    .map_err(|e| CliError::Input(format!("--repo: {e}")))?
                    .lower(),
            ),
            None => None,
        };
        let token = match token.map(str::trim) {
            Some(t)
                if t.is_empty() || t.chars().count() > 40 || t.chars().any(char::is_control) =>
            {
                return Err(CliError::Input(
                    "--token: give a token id as `repodeck token list` or `repodeck audit` shows it (like ghp_...a1f3, or its last characters), or `anonymous`"
                        .into(),
                ));
            }
            Some(t) => Some(t.to_string()),
            None => None,
        };
        Ok(AuditArgs {
            since,
            repo,
            token,
            json,
        })
    }

    fn wants(&self, r: &RequestRecord) -> bool {
        let repo_ok = self.repo.as_ref().is_none_or(|want| {
            r.repo
                .as_ref()
                .is_some_and(|x| x.eq_ignore_ascii_case(want))
        });
        let token_ok = self
            .token
            .as_ref()
            .is_none_or(|want| token_matches(r.token_label(), want));
        repo_ok && token_ok
    }
}

/// `ghp_…a1f3` matches itself, `ghp_...a1f3` and its last characters `a1f3`.
fn token_matches(id: &str, want: &str) -> bool {
    let norm = |s: &str| s.replace('…', "...").to_ascii_lowercase();
    let (id, want) = (norm(id), norm(want));
    id == want || (want.len() >= 4 && id.rsplit("...").next().is_some_and(|tail| tail == want))
}

/// Runs `repodeck audit`.
pub fn run(store: &Store, args: &AuditArgs, out: &mut dyn Write) -> Result<Status, CliError> {
    let mut rows = Vec::new();
    store.audit_scan(args.since, |r| {
        if args.wants(&r) {
            rows.push(r);
        }
    })?;
    if args.json {
        let arr: Vec<Value> = rows.iter().map(record_json).collect();
        let _ = writeln!(out, "{}", Value::Array(arr));
        return Ok(Status::Ok);
    }
    print_table(&rows, args.since, out);
    Ok(Status::Ok)
}

/// One record as `--json` prints it.
pub fn record_json(r: &RequestRecord) -> Value {
    let (status, failure) = match r.outcome {
        RequestOutcome::Status(s) => (json!(s), Value::Null),
        RequestOutcome::Failed(k) => (Value::Null, json!(k.as_str())),
    };
    json!({
        "time": crate::fmt::rfc3339(r.at),
        "token": sanitize::line(r.token_label()),
        "source": r.source.as_str(),
        "repo": r.repo.as_deref().map(|s| sanitize::line(s).into_owned()),
        "repos": r.repos,
        "class": sanitize::line(&r.class),
        "method": sanitize::line(&r.method),
        "status": status,
        "failure": failure,
        "points": r.points,
    })
}

fn print_table(rows: &[RequestRecord], since: DateTime<Utc>, out: &mut dyn Write) {
    let since_text = since.format("%Y-%m-%d %H:%M:%S UTC");
    if rows.is_empty() {
        let _ = writeln!(
            out,
            "No requests to GitHub recorded since {since_text}. `repodeck sync` records each one; try a longer --since."
        );
        return;
    }
    let _ = writeln!(
        out,
        "{:<19}  {:<12} {:<12} {:<32} {:<28} {:<6} {:<8} {:>6}",
        "TIME (UTC)", "TOKEN", "SOURCE", "REPO", "CLASS", "METHOD", "STATUS", "POINTS"
    );
    for r in rows {
        let repo = match (&r.repo, r.repos) {
            (Some(name), _) => sanitize::truncate_chars(&sanitize::line(name), 32).into_owned(),
            (None, n) if n > 0 => format!("({n} repos)"),
            (None, _) => "-".into(),
        };
        let _ = writeln!(
            out,
            "{:<19}  {:<12} {:<12} {:<32} {:<28} {:<6} {:<8} {:>6}",
            r.at.format("%Y-%m-%d %H:%M:%S"),
            sanitize::line(r.token_label()),
            r.source.as_str(),
            repo,
            sanitize::truncate_chars(&sanitize::line(&r.class), 28),
            sanitize::line(&r.method),
            r.outcome.to_string(),
            r.points
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Per token since {since_text}:");
    print_summary(&token_use(rows), out);
}

fn print_summary(sum: &[TokenUse], out: &mut dyn Write) {
    let _ = writeln!(
        out,
        "  {:<12} {:<12} {:>10} {:>10} {:>8}",
        "TOKEN", "SOURCE", "REQUESTS", "POINTS", "ERRORS"
    );
    for u in sum {
        let _ = writeln!(
            out,
            "  {:<12} {:<12} {:>10} {:>10} {:>8}",
            sanitize::line(&u.token),
            u.source.as_str(),
            thousands(u.requests),
            thousands(u.points),
            thousands(u.errors)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_flags_are_refused_with_what_to_write() {
        let now = Utc::now();
        let e = AuditArgs::parse(Some("yesterday"), None, None, false, now).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--since"), "{e}");
        let e = AuditArgs::parse(None, Some("not a repo"), None, false, now).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("--repo"), "{e}");
        let e = AuditArgs::parse(None, None, Some(" "), false, now).unwrap_err();
        assert!(e.to_string().contains("--token"), "{e}");
        let ok = AuditArgs::parse(Some("2h"), Some("Octo/Hello"), None, true, now).unwrap();
        assert_eq!(ok.repo.as_deref(), Some("octo/hello"));
        assert_eq!(ok.since, now - chrono::Duration::hours(2));
    }

    #[test]
    fn token_ids_match_as_shown_typed_or_by_their_tail() {
        assert!(token_matches("ghp_…a1f3", "ghp_…a1f3"));
        assert!(token_matches("ghp_…a1f3", "ghp_...a1f3"));
        assert!(token_matches("ghp_…a1f3", "a1f3"));
        assert!(!token_matches("ghp_…a1f3", "f3"));
        assert!(!token_matches("ghp_…a1f3", "ghp_…0000"));
        assert!(token_matches("anonymous", "anonymous"));
    }
}
