//! The CLI commands: each takes resolved options and the store, prints to stdout/stderr, and
//! returns an exit status. Clients and the engine come from `session`; the TUI and the demo are
//! started from `main.rs`.

pub mod audit;
pub mod doctor;
pub mod follow;
pub mod import;
pub mod manual;
pub mod remote;
pub mod show;
pub mod status;
pub mod sync;
pub mod table;

use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::domain::{RepoKey, TrackedRepo};
use crate::fmt::rfc3339;
use crate::github::GithubError;
use crate::host::source::{DataSource, SourceError};
use crate::session::SessionError;
use crate::store::{Added, StoreError};

pub mod hook;
pub mod token;

/// How a command ended; maps to the documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Some repositories failed; the others were done.
    Partial,
}

/// An error that stops a command. Every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage, input, config or authentication: exit 2, nothing changed.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else that failed as a whole: exit 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) | CliError::Store(_) => 2,
            CliError::Failed(_) => 1,
        }
    }
}

impl From<SessionError> for CliError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::Store(s) => CliError::Store(s),
            SessionError::Vault(v) => v.into(),
            SessionError::Input(m) => CliError::Input(m),
            SessionError::Failed(m) => CliError::Failed(m),
        }
    }
}

impl From<SourceError> for CliError {
    fn from(e: SourceError) -> Self {
        match e {
            SourceError::Store(s) => CliError::Store(s),
            SourceError::Remote {
                message,
                input: true,
            } => CliError::Input(message),
            SourceError::Remote { message, .. } | SourceError::Gone(message) => {
                CliError::Failed(message)
            }
        }
    }
}

/// Maps a GitHub failure of a whole command to the exit codes: auth is 2, the rest 1.
pub fn github_error(context: &str, e: &GithubError) -> CliError {
    if e.is_auth() {
        CliError::Input(format!("{context}: {e}"))
    } else {
        CliError::Failed(format!("{context}: {e}"))
    }
}

/// Parses every argument first, so one bad name leaves the store untouched.
pub fn parse_keys(inputs: &[String]) -> Result<Vec<RepoKey>, CliError> {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match RepoKey::parse(input) {
            Ok(k) => keys.push(k),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(keys)
    } else {
        Err(CliError::Input(format!(
            "{}\nNothing was changed.",
            errors.join("\n")
        )))
    }
}

pub fn add(
    store: &dyn DataSource,
    inputs: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let keys = parse_keys(inputs)?;
    for key in keys {
        match store.add(&key)? {
            Added::New(_) => {
                let _ = writeln!(out, "added {key}");
            }
            Added::Exists(_) => {
                let _ = writeln!(err, "note: {key} is already tracked; nothing to do");
            }
        }
    }
    Ok(Status::Ok)
}

pub fn remove(
    store: &dyn DataSource,
    inputs: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let keys = parse_keys(inputs)?;
    let mut missing = 0;
    for key in keys {
        if store.remove(&key)? {
            let _ = writeln!(out, "removed {key}");
        } else {
            missing += 1;
            let _ = writeln!(err, "note: {key} is not tracked; see `repodeck list`");
        }
    }
    Ok(if missing > 0 {
        Status::Partial
    } else {
        Status::Ok
    })
}

/// The JSON object `list --json` prints for one repo.
pub fn repo_json(r: &TrackedRepo) -> serde_json::Value {
    let meta = r.meta.as_ref();
    json!({
        "full_name": r.key.to_string(),
        "id": r.id.map(|i| i.0),
        "stars": meta.map(|m| m.stars),
        "forks": meta.map(|m| m.forks),
        "open_issues": meta.map(|m| m.open_issues),
        "open_prs": meta.map(|m| m.open_prs),
        "default_branch": meta.map(|m| m.default_branch.clone()),
        "head_sha": r.head.as_ref().map(|c| c.sha.clone()),
        "pushed_at": meta.and_then(|m| m.pushed_at).map(rfc3339),
        "last_synced_at": r.last_synced_at.map(rfc3339),
        "status": r.status.as_str(),
        "description": meta.and_then(|m| m.description.clone()),
        "language": meta.and_then(|m| m.language.clone()),
        "archived": meta.map(|m| m.archived),
        "fork": meta.map(|m| m.fork),
        "topics": meta.map(|m| m.topics.clone()),
        "private": meta.map(|m| m.private),
        "unread": r.unread,
        "last_error": r.last_error.as_ref().map(|e| json!({"kind": e.kind, "message": e.message})),
    })
}

/// `list [--filter EXPR]`: the filter runs here, over the list the store (local, or the host's
/// when attached) answers, so it works the same either way.
pub fn list(
    store: &dyn DataSource,
    json_out: bool,
    filter: &crate::filter::Filter,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let mut repos = store.list()?;
    let tracked = repos.len();
    repos.retain(|r| filter.matches(r));
    if json_out {
        let rows: Vec<_> = repos.iter().map(repo_json).collect();
        let text =
            serde_json::to_string_pretty(&rows).map_err(|e| CliError::Failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
        return Ok(Status::Ok);
    }
    if repos.is_empty() && tracked > 0 {
        let _ = writeln!(
            out,
            "No repository of the {tracked} tracked matches the filter."
        );
        return Ok(Status::Ok);
    }
    if repos.is_empty() {
        let _ = writeln!(
            out,
            "No repositories tracked yet. Add one with `repodeck add OWNER/NAME`, or try `repodeck demo`."
        );
        return Ok(Status::Ok);
    }
    table::print_list(&repos, now, table::terminal_width(), out);
    Ok(Status::Ok)
}
