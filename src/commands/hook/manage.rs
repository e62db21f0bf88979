//! `repodeck hook create|list|delete|ping`: the webhooks of tracked repositories (or one
//! organization) that deliver to a `repodeck serve` endpoint. One target's refusal never stops
//! the others; each line names the target and what happened, and the exit code says whether all
//! went well (0) or some failed (1). Requests go through each repository's own token when it has
//! one.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use secrecy::SecretString;
use serde_json::json;

use super::super::remote::Gh;
use super::super::{CliError, Status, parse_keys};
use crate::cli::{HookCommand, HookTargets};
use crate::domain::WEBHOOK_EVENTS;
use crate::fmt::{relative, rfc3339};
use crate::github::hooks::{HookSpec, HookTarget, LastDelivery, WebHook};
use crate::github::{GithubClient, GithubError};
use crate::sanitize;
use crate::secrets::{KeySource, TokenVault};
use crate::session::{ANONYMOUS_NOTICE, Clients, Context};
use crate::store::Store;
use crate::store::deliveries::HookSeen;

/// How many targets are read at once (mutations are spaced by the client's scheduler anyway).
const PARALLEL: usize = 8;

/// What to do to each target's hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create { url: String, events: Vec<String> },
    List { url: Option<String> },
    Delete { url: String },
    Ping { url: String },
}

/// The result for one target.
struct Outcome {
    target: HookTarget,
    result: Result<Done, GithubError>,
}

enum Done {
    Created(WebHook),
    Updated(WebHook),
    Listed(Vec<WebHook>),
    Deleted(usize),
    Pinged(usize),
    NoneFor,
}

/// Resolves `REPO... | --all | --org ORG` to hook targets; bad names change nothing.
pub fn targets(store: &Store, t: &HookTargets) -> Result<Vec<HookTarget>, CliError> {
    if let Some(org) = &t.org {
        return Ok(vec![HookTarget::Org(valid_org(org)?)]);
    }
    if t.all {
        let all: Vec<HookTarget> = store
            .list()?
            .into_iter()
            .map(|r| HookTarget::Repo(r.key))
            .collect();
        if all.is_empty() {
            return Err(CliError::Input(
                "no repositories are tracked yet: add some with `repodeck add` or `repodeck import`".into(),
            ));
        }
        return Ok(all);
    }
    Ok(parse_keys(&t.repos)?
        .into_iter()
        .map(HookTarget::Repo)
        .collect())
}

fn valid_org(org: &str) -> Result<String, CliError> {
    // An organization login follows the owner rule of repository names.
    crate::domain::RepoKey::parse(&format!("{org}/x"))
        .map(|k| k.owner().to_string())
        .map_err(|_| {
            CliError::Input(format!(
                "--org {}: not a valid organization name (1-39 letters, digits or single inner hyphens). Nothing was changed",
                sanitize::line(org)
            ))
        })
}

/// Checks `--url` and `--events` before anything is sent.
pub fn check_create(url: &str, events: &[String]) -> Result<Vec<String>, CliError> {
    check_url(url)?;
    if events.is_empty() {
        return Ok(WEBHOOK_EVENTS.iter().map(|e| e.to_string()).collect());
    }
    let unknown: Vec<String> = events
        .iter()
        .filter(|e| e.as_str() != "*" && !WEBHOOK_EVENTS.contains(&e.as_str()))
        .map(|e| sanitize::line(e).into_owned())
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Input(format!(
            "--events: repodeck does not act on {}; use any of {} (or *). Nothing was changed",
            unknown.join(", "),
            WEBHOOK_EVENTS.join(", ")
        )));
    }
    Ok(events.to_vec())
}

fn check_url(url: &str) -> Result<(), CliError> {
    let bad = |why: &str| {
        CliError::Input(format!(
            "--url {}: {why}; give the full address of your `repodeck serve` endpoint, e.g. https://deck.example.com/webhooks/github. Nothing was changed",
            sanitize::line(url)
        ))
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("only http and https URLs can receive webhooks"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad(
            "credentials in the URL would be stored by GitHub in the clear",
        ));
    }
    Ok(())
}

/// `hook create|list|delete|ping`: checks every argument, then talks to GitHub through `gh`
/// (the command's own clients, or the host's for an attached `repodeck`).
pub fn run_command(
    ctx: &Context,
    gh: &Gh,
    store: &Arc<Store>,
    cmd: HookCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let (targets, op, json) = match cmd {
        HookCommand::Create {
            targets: which,
            url,
            events,
        } => {
            let events = check_create(&url, &events)?;
            (targets(store, &which)?, Op::Create { url, events }, false)
        }
        HookCommand::List {
            repos,
            org,
            url,
            json,
        } => {
            let which = HookTargets {
                all: repos.is_empty() && org.is_none(),
                repos,
                org,
            };
            (targets(store, &which)?, Op::List { url }, json)
        }
        HookCommand::Delete {
            targets: which,
            url,
        } => (targets(store, &which)?, Op::Delete { url }, false),
        HookCommand::Ping {
            targets: which,
            url,
        } => (targets(store, &which)?, Op::Ping { url }, false),
        HookCommand::Secret(_) => {
            return Err(CliError::Failed(
                "internal: `hook secret` is not a hook operation".into(),
            ));
        }
    };
    run(ctx, gh, store, targets, op, json, out, err)
}

/// Runs `op` over `targets` and prints one line per target (or JSON for `list --json`).
#[expect(
    clippy::too_many_arguments,
    reason = "the operation, its targets and output mode, plus where it runs"
)]
pub fn run(
    ctx: &Context,
    gh: &Gh,
    store: &Arc<Store>,
    targets: Vec<HookTarget>,
    op: Op,
    json_out: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let seen = match &op {
        Op::List { .. } => seen_by_target(store, &targets),
        _ => Vec::new(),
    };
    let secret = match &op {
        Op::Create { .. } => Some(webhook_secret(&gh.keys(ctx), store)?),
        _ => None,
    };
    let outcomes = gh.block_on(async {
        let clients = gh.clients(ctx, store)?;
        if !clients.client.is_authenticated() {
            let _ = writeln!(err, "{ANONYMOUS_NOTICE}");
        }
        let clients = clients.as_ref();
        let (op, secret) = (&op, secret.as_ref());
        let outcomes: Vec<Outcome> = futures::stream::iter(targets)
            .map(|target| async move {
                let client = client_for(clients, &target);
                let result = apply(client, &target, op, secret).await;
                Outcome { target, result }
            })
            .buffered(PARALLEL)
            .collect()
            .await;
        Ok::<_, CliError>(outcomes)
    })?;
    report(&outcomes, &seen, json_out, out, err)
}

/// What `serve` recorded of each target's hooks (`hook list` shows it beside GitHub's view):
/// a repository's own hooks by its GitHub id, an organization's by its login.
fn seen_by_target(store: &Store, targets: &[HookTarget]) -> Vec<Vec<HookSeen>> {
    let all = store.hooks_seen().unwrap_or_default();
    targets
        .iter()
        .map(|t| {
            let mut mine: Vec<HookSeen> = match t {
                HookTarget::Repo(key) => {
                    let id = store.find(key).ok().flatten().and_then(|r| r.id);
                    all.iter()
                        .filter(|h| id.is_some() && h.repo == id)
                        .cloned()
                        .collect()
                }
                HookTarget::Org(org) => all
                    .iter()
                    .filter(|h| {
                        h.repo.is_none()
                            && h.org
                                .as_deref()
                                .is_some_and(|o| o.eq_ignore_ascii_case(org))
                    })
                    .cloned()
                    .collect(),
            };
            mine.sort_by_key(|h| std::cmp::Reverse(h.last_delivery));
            mine
        })
        .collect()
}

/// `serve last saw push 3m ago` / `never seen by serve`.
fn seen_text(seen: Option<&HookSeen>, now: DateTime<Utc>) -> String {
    match seen.and_then(|h| h.last_delivery.map(|t| (h, t))) {
        Some((h, t)) => {
            let when = relative(t, now);
            format!(
                "serve last saw {} {}",
                h.last_event.as_deref().unwrap_or("a delivery"),
                if when == "now" {
                    "just now"
                } else {
                    when.as_str()
                }
            )
        }
        None => "never seen by serve".into(),
    }
}

fn seen_json(h: &HookSeen) -> serde_json::Value {
    json!({
        "hook_id": h.hook_id,
        "last_delivery": h.last_delivery.map(rfc3339),
        "event": h.last_event,
        "last_ping": h.last_ping.map(rfc3339),
    })
}

fn webhook_secret(keys: &KeySource, store: &Store) -> Result<SecretString, CliError> {
    let vault = TokenVault::open(store, keys, false)?;
    vault
        .map(|v| v.webhook_secret(store))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            CliError::Input(
                "no webhook secret is stored: run `repodeck hook secret generate` first (deliveries must be signed). Nothing was changed".into(),
            )
        })
}

fn client_for<'a>(clients: &'a Clients, target: &HookTarget) -> &'a GithubClient {
    match target {
        HookTarget::Repo(k) => clients.per_repo.get(&k.lower()).unwrap_or(&clients.client),
        HookTarget::Org(_) => &clients.client,
    }
}

async fn apply(
    client: &GithubClient,
    target: &HookTarget,
    op: &Op,
    secret: Option<&SecretString>,
) -> Result<Done, GithubError> {
    let hooks = client.hooks(target).await?;
    let matching = |url: &str| -> Vec<u64> {
        hooks
            .iter()
            .filter(|h| same_url(&h.url, url))
            .map(|h| h.id)
            .collect()
    };
    match op {
        Op::List { url } => Ok(Done::Listed(
            hooks
                .iter()
                .filter(|h| url.as_deref().is_none_or(|u| same_url(&h.url, u)))
                .cloned()
                .collect(),
        )),
        Op::Create { url, events } => {
            let Some(secret) = secret else {
                return Err(GithubError::Cancelled);
            };
            let spec = HookSpec {
                url,
                events,
                secret,
            };
            match matching(url).first() {
                Some(id) => client
                    .update_hook(target, *id, &spec)
                    .await
                    .map(Done::Updated),
                None => client.create_hook(target, &spec).await.map(Done::Created),
            }
        }
        Op::Delete { url } => {
            let ids = matching(url);
            for id in &ids {
                client.delete_hook(target, *id).await?;
            }
            Ok(if ids.is_empty() {
                Done::NoneFor
            } else {
                Done::Deleted(ids.len())
            })
        }
        Op::Ping { url } => {
            let ids = matching(url);
            for id in &ids {
                client.ping_hook(target, *id).await?;
            }
            Ok(if ids.is_empty() {
                Done::NoneFor
            } else {
                Done::Pinged(ids.len())
            })
        }
    }
}

/// The same endpoint, ignoring a trailing slash and the case of scheme and host.
fn same_url(a: &str, b: &str) -> bool {
    let norm = |s: &str| match url::Url::parse(s) {
        Ok(u) => u.as_str().trim_end_matches('/').to_string(),
        Err(_) => s.trim_end_matches('/').to_string(),
    };
    norm(a) == norm(b)
}

/// One word for a hook's health: `active`, `unused`, `failing 502 ...`, `inactive`.
pub fn state(h: &WebHook) -> String {
    if !h.active {
        return "inactive".into();
    }
    match &h.last {
        LastDelivery::Unused => "active, no delivery yet".into(),
        LastDelivery::Ok { code } => format!("active, last delivery {code}"),
        LastDelivery::Failing { code, message } => match code {
            Some(c) => format!("FAILING: last delivery {c} {message}"),
            None => format!("FAILING: {message}"),
        },
    }
}

fn hook_json(h: &WebHook) -> serde_json::Value {
    let (last, code, message) = match &h.last {
        LastDelivery::Unused => ("unused", None, None),
        LastDelivery::Ok { code } => ("ok", Some(*code), None),
        LastDelivery::Failing { code, message } => ("failing", *code, Some(message.clone())),
    };
    json!({
        "id": h.id, "url": h.url, "active": h.active, "events": h.events,
        "last_delivery": {"state": last, "code": code, "message": message},
    })
}

fn report(
    outcomes: &[Outcome],
    seen: &[Vec<HookSeen>],
    json_out: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let seen_of = |i: usize| seen.get(i).map(Vec::as_slice).unwrap_or(&[]);
    if json_out {
        let rows: Vec<serde_json::Value> = outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| outcome_json(o, seen_of(i)))
            .collect();
        let _ = writeln!(out, "{}", serde_json::Value::Array(rows));
    } else {
        for (i, o) in outcomes.iter().enumerate() {
            print_outcome(o, seen_of(i), out, err);
        }
    }
    match failed {
        0 => Ok(Status::Ok),
        n if n == outcomes.len() => Err(CliError::Failed(format!(
            "every target failed ({n}); see the messages above"
        ))),
        n => {
            let _ = writeln!(err, "{n} of {} targets failed", outcomes.len());
            Ok(Status::Partial)
        }
    }
}

fn outcome_json(o: &Outcome, seen: &[HookSeen]) -> serde_json::Value {
    let target = o.target.to_string();
    let seen_rows: Vec<serde_json::Value> = seen.iter().map(seen_json).collect();
    match &o.result {
        Ok(Done::Listed(hooks)) => json!({
            "target": target,
            "hooks": hooks.iter().map(|h| {
                let mut v = hook_json(h);
                v["seen_by_serve"] = seen.iter().find(|s| s.hook_id == h.id).map(seen_json).unwrap_or_default();
                v
            }).collect::<Vec<_>>(),
            "seen_by_serve": seen_rows,
        }),
        Err(e) if !seen.is_empty() => json!({
            "target": target, "error": e.to_string(), "kind": e.kind().as_str(),
            "seen_by_serve": seen_rows,
        }),
        Ok(Done::Created(h)) | Ok(Done::Updated(h)) => {
            json!({"target": target, "hooks": [hook_json(h)]})
        }
        Ok(_) => json!({"target": target, "hooks": []}),
        Err(e) => json!({"target": target, "error": e.to_string(), "kind": e.kind().as_str()}),
    }
}

fn print_outcome(o: &Outcome, seen: &[HookSeen], out: &mut dyn Write, err: &mut dyn Write) {
    let t = &o.target;
    let now = Utc::now();
    // Hooks serve heard from that GitHub did not list (deleted since, or the list failed).
    let listed: Vec<u64> = match &o.result {
        Ok(Done::Listed(hooks)) => hooks.iter().map(|h| h.id).collect(),
        _ => Vec::new(),
    };
    if matches!(&o.result, Ok(Done::Listed(_)) | Err(_)) {
        for h in seen.iter().filter(|h| !listed.contains(&h.hook_id)) {
            let _ = writeln!(
                out,
                "{t}: hook {} (not on GitHub's list) {}",
                h.hook_id,
                seen_text(Some(h), now)
            );
        }
    }
    let _ = match &o.result {
        Ok(Done::Created(h)) => writeln!(out, "{t}: created hook {} -> {}", h.id, h.url),
        Ok(Done::Updated(h)) => writeln!(out, "{t}: updated hook {} -> {}", h.id, h.url),
        Ok(Done::Deleted(n)) => writeln!(out, "{t}: deleted {n} hook(s)"),
        Ok(Done::Pinged(n)) => {
            writeln!(out, "{t}: pinged {n} hook(s); GitHub delivers the ping now")
        }
        Ok(Done::NoneFor) => writeln!(out, "{t}: no hook delivers to that URL"),
        Ok(Done::Listed(hooks)) if hooks.is_empty() => writeln!(out, "{t}: none"),
        Ok(Done::Listed(hooks)) => {
            for h in hooks {
                let _ = writeln!(
                    out,
                    "{t}: hook {} -> {} [{}] {}; {}",
                    h.id,
                    h.url,
                    h.events.join(","),
                    state(h),
                    seen_text(seen.iter().find(|s| s.hook_id == h.id), now)
                );
            }
            Ok(())
        }
        Err(e) => writeln!(err, "{t}: {e}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_events_are_checked_before_anything_is_sent() {
        assert!(check_create("https://deck.example.com/webhooks/github", &[]).is_ok());
        assert_eq!(
            check_create("http://127.0.0.1:8787/webhooks/github", &[])
                .unwrap()
                .len(),
            WEBHOOK_EVENTS.len()
        );
        for bad in [
            "ftp://x/y",
            "not a url",
            "https://user:pw@host/h",
            "/webhooks/github",
        ] {
            assert!(check_create(bad, &[]).is_err(), "{bad}");
        }
        let e = check_create("https://h/x", &["push".into(), "bogus\u{1b}[2J".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("bogus") && !e.contains('\u{1b}'), "{e}");
        assert!(check_create("https://h/x", &["*".into()]).is_ok());
    }

    #[test]
    fn urls_compare_without_trailing_slash_or_case() {
        assert!(same_url("https://Host/hook/", "https://host/hook"));
        assert!(!same_url("https://host/hook", "https://host/other"));
    }
}
