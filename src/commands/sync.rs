//! `repodeck sync`: drives the sync engine headless (cron-friendly), shows progress on stderr when
//! it is a terminal, and ends with a summary (human, or one JSON object with `--json`).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::{CliError, Status, github_error, parse_keys};
use crate::domain::{Change, FailureKind, LocalId};
use crate::github::Accounting;
use crate::sanitize;
use crate::session::{self, ANONYMOUS_NOTICE, Clients, Context};
use crate::store::Store;
use crate::sync::{EngineHandle, Outcome, Priority, SyncCommand, SyncEvent};

#[derive(Debug, Clone, Default)]
pub struct SyncArgs {
    pub repos: Vec<String>,
    pub all: bool,
    pub force: bool,
    pub rest: bool,
    pub json: bool,
}

/// The summary of one `sync` run; `to_json` gives the documented object.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub repos: usize,
    pub synced: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub requests: u64,
    pub not_modified: u64,
    pub points: [u64; 3],
    pub duration_ms: u64,
    pub changes: Vec<(String, Change)>,
    pub failures: Vec<(String, FailureKind, String)>,
    pub unauthorized: Option<String>,
}

impl Summary {
    pub fn to_json(&self) -> Value {
        json!({
            "repos": self.repos,
            "synced": self.synced,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "failed": self.failed,
            "skipped": self.skipped,
            "requests": self.requests,
            "not_modified": self.not_modified,
            "points": {"core": self.points[0], "graphql": self.points[1], "search": self.points[2]},
            "duration_ms": self.duration_ms,
            "changes": self.changes.iter().map(|(repo, c)| change_json(repo, c)).collect::<Vec<_>>(),
            "failures": self.failures.iter().map(|(repo, kind, message)| json!({"repo": repo, "kind": kind, "message": message})).collect::<Vec<_>>(),
        })
    }

    /// Counts how one repo's sync ended.
    fn record(&mut self, name: String, outcome: Outcome) {
        match outcome {
            Outcome::Synced { changes } => {
                self.synced += 1;
                if !changes.is_empty() {
                    self.changed += 1;
                }
                self.changes
                    .extend(changes.into_iter().map(|c| (name.clone(), c)));
            }
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Cancelled => {
                self.failed += 1;
                self.failures.push((
                    name,
                    FailureKind::Cancelled,
                    "the sync was cancelled".into(),
                ));
            }
            Outcome::Failed { kind, message } => {
                self.failed += 1;
                if kind == FailureKind::Unauthorized && self.unauthorized.is_none() {
                    self.unauthorized = Some(message.clone());
                }
                self.failures.push((name, kind, message));
            }
        }
    }

    fn cost(&mut self, before: &Accounting, after: &Accounting) {
        self.requests = after.requests.saturating_sub(before.requests);
        self.not_modified = after.not_modified.saturating_sub(before.not_modified);
        for (i, bucket) in ["core", "graphql", "search"].iter().enumerate() {
            let get = |a: &Accounting| a.points.get(*bucket).copied().unwrap_or(0);
            self.points[i] = get(after).saturating_sub(get(before));
        }
    }
}

/// One change as JSON: `{"repo", "kind", ...fields, "text"}`. (`Change` is externally tagged on
/// disk, since bincode cannot read internally tagged enums; the flat shape is built here.)
pub fn change_json(repo: &str, c: &Change) -> Value {
    let mut map = match serde_json::to_value(c) {
        Ok(Value::Object(outer)) => match outer.into_iter().next() {
            Some((_, Value::Object(fields))) => fields,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    };
    map.insert("kind".into(), json!(c.kind()));
    map.insert("repo".into(), json!(repo));
    map.insert("text".into(), json!(c.to_string()));
    Value::Object(map)
}

pub fn run(
    ctx: &Context,
    store: Store,
    args: &SyncArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let store = Arc::new(store);
    // Which repos, validated before any request.
    let targets: Vec<(LocalId, String)> = if args.all {
        store
            .list()?
            .into_iter()
            .map(|r| (r.local, r.key.to_string()))
            .collect()
    } else {
        let mut v = Vec::new();
        let mut missing = Vec::new();
        for key in parse_keys(&args.repos)? {
            match store.find(&key)? {
                Some(r) if !v.iter().any(|(l, _)| *l == r.local) => {
                    v.push((r.local, r.key.to_string()))
                }
                Some(_) => {}
                None => missing.push(key.to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(CliError::Input(format!(
                "not tracked: {}. Add with `repodeck add {}` first; nothing was synced",
                missing.join(", "),
                missing.join(" ")
            )));
        }
        v
    };
    if targets.is_empty() {
        if args.json {
            let _ = writeln!(out, "{}", Summary::default().to_json());
        } else {
            let _ = writeln!(
                out,
                "No repositories tracked yet. Add one with `repodeck add OWNER/NAME` or `repodeck import --org ORG`."
            );
        }
        return Ok(Status::Ok);
    }
    let names: HashMap<LocalId, String> = targets.iter().cloned().collect();
    let rt = session::runtime()?;
    let summary = rt.block_on(drive(ctx, store, args, &targets, &names, err))?;

    if args.json {
        let _ = writeln!(out, "{}", summary.to_json());
    } else {
        print_human(&summary, out, err);
    }
    if let Some(message) = &summary.unauthorized {
        return Err(CliError::Input(format!(
            "sync stopped, stored data left as it was: {message}"
        )));
    }
    Ok(if summary.failed > 0 {
        Status::Partial
    } else {
        Status::Ok
    })
}

async fn drive(
    ctx: &Context,
    store: Arc<Store>,
    args: &SyncArgs,
    targets: &[(LocalId, String)],
    names: &HashMap<LocalId, String>,
    err: &mut dyn Write,
) -> Result<Summary, CliError> {
    let started = Instant::now();
    let clients = Clients::from_env(ctx, &store)?;
    let client = clients.client.clone();
    let before = client.accounting();
    if !client.is_authenticated() {
        let _ = writeln!(err, "{}", ANONYMOUS_NOTICE);
    }
    // The free `GET /rate_limit` first: it tells the scheduler the budget before the first batch.
    match client.refresh_rate_limit().await {
        Ok(()) => {}
        Err(e) if e.is_unauthorized() => {
            return Err(github_error("GitHub rejected the token before syncing", &e));
        }
        Err(e) => tracing::warn!(error = %e, "reading the rate limit failed; syncing anyway"),
    }
    let mut config = ctx.config.clone();
    config.sync.interval = None;
    let mut engine = clients.start_engine(store, config, args.rest);
    let commands: Vec<SyncCommand> = if args.all {
        vec![SyncCommand::SyncAll {
            force: args.force,
            priority: Priority::User,
        }]
    } else {
        targets
            .iter()
            .map(|(id, _)| SyncCommand::SyncRepo {
                id: *id,
                force: args.force,
                priority: Priority::User,
            })
            .collect()
    };
    for c in commands {
        engine
            .commands
            .send(c)
            .map_err(|_| CliError::Failed("the sync engine stopped unexpectedly".into()))?;
    }
    let mut summary = Summary {
        repos: targets.len(),
        ..Summary::default()
    };
    collect(&mut engine, names, &mut summary, err).await;
    let _ = engine.commands.send(SyncCommand::Shutdown);
    summary.cost(&before, &client.accounting());
    summary.duration_ms = started.elapsed().as_millis() as u64;
    Ok(summary)
}

/// Reads the engine's events until every repo of the summary has finished, drawing progress on
/// stderr when it is a terminal.
async fn collect(
    engine: &mut EngineHandle,
    names: &HashMap<LocalId, String>,
    summary: &mut Summary,
    err: &mut dyn Write,
) {
    let progress = std::io::stderr().is_terminal();
    let total = summary.repos;
    let mut done = 0usize;
    let mut last_draw = Instant::now();
    while done < total {
        let Some(event) = engine.events.recv().await else {
            break;
        };
        match event {
            SyncEvent::Finished {
                id, outcome, repo, ..
            } => {
                // Names from the store after the sync, so renames show the new name.
                let name = repo
                    .as_ref()
                    .map(|r| r.key.to_string())
                    .or_else(|| names.get(&id).cloned())
                    .unwrap_or_else(|| id.to_string());
                done += 1;
                summary.record(name, outcome);
                if progress && (last_draw.elapsed().as_millis() >= 100 || done == total) {
                    last_draw = Instant::now();
                    let _ = write!(
                        err,
                        "\r\x1b[2Ksyncing {done}/{total}: {} changed, {} failed",
                        summary.changed, summary.failed
                    );
                }
            }
            SyncEvent::Paused { reason, until } if progress => {
                let _ = write!(
                    err,
                    "\r\x1b[2K{reason} (until {})",
                    until.format("%H:%M:%S UTC")
                );
            }
            _ => {}
        }
    }
    if progress {
        let _ = writeln!(err);
    }
}

fn print_human(s: &Summary, out: &mut dyn Write, err: &mut dyn Write) {
    for (repo, change) in &s.changes {
        let _ = writeln!(
            out,
            "{}: {}",
            sanitize::line(repo),
            sanitize::line(&change.to_string())
        );
    }
    for (repo, kind, message) in &s.failures {
        let _ = writeln!(
            err,
            "error: {} ({kind}): {}",
            sanitize::line(repo),
            sanitize::line(message)
        );
    }
    let _ = writeln!(
        out,
        "{} repositor{} in {:.1} s: {} synced ({} changed), {} unchanged, {} failed, {} skipped; \
         {} requests ({} not modified), points: core {}, graphql {}, search {}",
        s.repos,
        if s.repos == 1 { "y" } else { "ies" },
        s.duration_ms as f64 / 1000.0,
        s.synced,
        s.changed,
        s.unchanged,
        s.failed,
        s.skipped,
        s.requests,
        s.not_modified,
        s.points[0],
        s.points[1],
        s.points[2],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_json_has_the_documented_keys() {
        let s = Summary {
            repos: 2,
            changes: vec![("o/r".into(), Change::Stars { delta: 2 })],
            failures: vec![("o/x".into(), FailureKind::NotFound, "gone".into())],
            ..Summary::default()
        };
        let v = s.to_json();
        for key in [
            "repos",
            "synced",
            "unchanged",
            "changed",
            "failed",
            "skipped",
            "requests",
            "not_modified",
            "points",
            "duration_ms",
            "changes",
            "failures",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["points"].as_object().unwrap().len(), 3);
        assert_eq!(v["changes"][0]["repo"], "o/r");
        assert_eq!(v["changes"][0]["kind"], "stars");
        assert_eq!(v["changes"][0]["delta"], 2);
        assert_eq!(v["failures"][0]["kind"], "not_found");
    }

    #[test]
    fn change_json_is_flat_and_tagged() {
        let j = change_json(
            "o/r",
            &Change::NewCommits {
                count: 2,
                head: "abcdef123".into(),
            },
        );
        assert_eq!(j["kind"], "new_commits");
        assert_eq!(j["count"], 2);
        assert_eq!(j["text"], "2 new commits (head abcdef1)");
        assert_eq!(change_json("o/r", &Change::Archived)["kind"], "archived");
    }
}
