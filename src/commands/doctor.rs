//! `repodeck doctor [--json]`: everything that makes repodeck work or fail, checked in one go and
//! said as `ok` / `warn` / `fail` with the fix: the token (source, validity, login, scopes,
//! expiry), the API (really GitHub's, GraphQL too, the clock against GitHub's `Date`), the store
//! (opens, schema, every record decodes, free disk), file modes, config, the terminal and `serve`.
//! Exit 0 all ok, 1 any warning, 2 any failure.
//!
//! The production checks `serve` also runs live in `session::checks`; this file adds the ones
//! only a person at a terminal needs. Network checks go only to the configured API URL, each
//! bounded by a timeout. Tokens are named by their `TokenId`, never shown.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{CliError, Status};
use crate::config::Config;
use crate::github::{GithubError, TokenInfo};
use crate::sanitize;
use crate::secrets::{
    self, KeySource, ResolvedToken, StoredToken, TokenMeta, TokenScope, TokenSource, Tokens,
};
use crate::session::checks::{self, Check, Level};
use crate::session::{self, Context};
use crate::store::{self, OpenReport, Store, StoreError};

/// The longest one network check may take.
const NET_TIMEOUT: Duration = Duration::from_secs(12);
const GIB: u64 = 1 << 30;
const LOW_DISK: u64 = 100 << 20;
/// Clock skew that warns, and that fails.
const SKEW_WARN: i64 = 30;
const SKEW_FAIL: i64 = 300;

/// Write scopes a read-only dashboard never needs.
const EXCESS_SCOPES: &[&str] = &[
    "delete_repo",
    "admin:org",
    "write:org",
    "admin:enterprise",
    "admin:public_key",
    "admin:gpg_key",
    "admin:ssh_signing_key",
    "write:packages",
    "delete:packages",
    "workflow",
    "user",
    "gist",
    "codespace",
    "project",
    "site_admin",
];

/// What the store says about the setup, for the checks that depend on it.
#[derive(Default)]
struct Facts {
    private_repos: Vec<String>,
    tracked: usize,
    hooks_used: bool,
    serve_configured: bool,
    stored: Vec<StoredToken>,
}

/// Runs every check and prints them. `file_modes` were read by `main.rs` before logging or the
/// store could tighten the data directory.
pub fn run(
    ctx: &Context,
    file_modes: Vec<Check>,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let mut all = file_modes;
    let store = open_store(ctx, &mut all);
    all.push(disk(&ctx.data_dir));
    let facts = facts(ctx, store.as_ref());
    let (default, per_repo) = load_tokens(ctx, store.as_ref(), &facts, &mut all);
    let rt = session::runtime()?;
    all.extend(rt.block_on(network(&ctx.config, default.as_ref(), &per_repo, &facts)));
    all.extend(config_checks(&ctx.config, &facts, default.is_some()));
    all.extend(serve_checks(ctx, store.as_ref(), &facts));
    all.extend(terminal(&ctx.config));
    print(&all, json_out, out)
}

/// Prints the checks and turns the worst into the exit status.
fn print(all: &[Check], json_out: bool, out: &mut dyn Write) -> Result<Status, CliError> {
    let count = |l: Level| all.iter().filter(|c| c.level == l).count();
    let (warns, fails) = (count(Level::Warn), count(Level::Fail));
    let worst = all.iter().map(|c| c.level).max().unwrap_or(Level::Ok);
    let code = match worst {
        Level::Fail => 2,
        Level::Warn => 1,
        Level::Ok | Level::Skip => 0,
    };
    if json_out {
        let rows: Vec<_> = all
            .iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "status": c.level.as_str(),
                    "message": sanitize::line(&c.message),
                    "fix": c.fix.as_deref().map(sanitize::line),
                })
            })
            .collect();
        let doc = json!({
            "status": if worst == Level::Skip { "ok" } else { worst.as_str() },
            "exit_code": code,
            "checks": rows,
        });
        let text =
            serde_json::to_string_pretty(&doc).map_err(|e| CliError::Failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
    } else {
        for c in all {
            let _ = writeln!(
                out,
                "{:<5} {:<20} {}",
                c.level.as_str(),
                c.id,
                sanitize::line(&c.message)
            );
            if let (Some(fix), Level::Warn | Level::Fail) = (&c.fix, c.level) {
                let _ = writeln!(out, "{:<26} fix: {}", "", sanitize::line(fix));
            }
        }
        let ok = all.len() - warns - fails;
        let _ = writeln!(out, "\n{ok} ok, {warns} warning(s), {fails} failure(s)");
    }
    match code {
        2 => Err(CliError::Input(format!(
            "doctor: {fails} check(s) failed; each `fix:` says what to do"
        ))),
        1 => Ok(Status::Partial),
        _ => Ok(Status::Ok),
    }
}

// ---------------------------------------------------------------------------------------------
// Store and disk

/// Opens the store as every command does (every record decoded), unless there is none yet or
/// another process holds it.
fn open_store(ctx: &Context, all: &mut Vec<Check>) -> Option<Store> {
    const ID: &str = "store";
    let dir = &ctx.data_dir;
    if !dir.join("store").exists() {
        all.push(Check::new(
            ID,
            Level::Skip,
            format!("no store yet in {}: nothing is tracked", dir.display()),
        ));
        return None;
    }
    match Store::open(dir) {
        Ok((store, report)) => {
            all.push(store_report(&store, report));
            Some(store)
        }
        Err(StoreError::Locked { pid, .. }) => {
            all.push(
                Check::new(
                    ID,
                    Level::Warn,
                    format!(
                        "the store in {} is in use by another repodeck{pid}: the checks that read it were skipped",
                        dir.display()
                    ),
                )
                .with_fix("run `repodeck doctor` again while that process is stopped"),
            );
            None
        }
        Err(e) => {
            all.push(Check::new(ID, Level::Fail, e.to_string()).with_fix(
                "follow the message; `--data-dir` points repodeck at another store meanwhile",
            ));
            None
        }
    }
}

fn store_report(store: &Store, report: OpenReport) -> Check {
    const ID: &str = "store";
    let n = store.len();
    let schema = store::SCHEMA_VERSION;
    match report {
        OpenReport::Fresh | OpenReport::Opened => Check::ok(
            ID,
            format!("the store opens: schema {schema}, {n} repositories, every record decodes"),
        ),
        OpenReport::Migrated { from } => Check::ok(
            ID,
            format!("the store was migrated from schema {from} to {schema}; {n} repositories"),
        ),
        OpenReport::Recovered {
            quarantined,
            reason,
            ..
        } => Check::new(
            ID,
            Level::Warn,
            format!(
                "the store was damaged ({reason}) and has been rebuilt; the damaged copy is {}",
                quarantined.display()
            ),
        )
        .with_fix("run `repodeck sync --all` to fetch what was lost"),
        OpenReport::Repaired(_) => Check::new(
            ID,
            Level::Warn,
            format!(
                "the store lacked what its backups hold and was repaired: {}",
                store.take_notices().join("; ")
            ),
        )
        .with_fix("run `repodeck sync --all` to fetch what was lost"),
    }
}

/// Free space on the data directory's filesystem (or the nearest existing parent's).
fn disk(dir: &Path) -> Check {
    const ID: &str = "store.disk";
    let Some(existing) = dir.ancestors().find(|p| p.exists()) else {
        return Check::new(ID, Level::Skip, "no existing directory to measure");
    };
    let free = match store::io::free_space(existing) {
        Ok(f) => f,
        Err(e) => {
            return Check::new(
                ID,
                Level::Warn,
                format!("cannot tell the free space of {}: {e}", existing.display()),
            );
        }
    };
    let shown = human_bytes(free);
    let fix = format!(
        "free some space on the filesystem of {}",
        existing.display()
    );
    if free < LOW_DISK {
        Check::new(ID, Level::Fail, format!("only {shown} free for the store")).with_fix(fix)
    } else if free < GIB {
        Check::new(ID, Level::Warn, format!("{shown} free for the store")).with_fix(fix)
    } else {
        Check::ok(ID, format!("{shown} free for the store"))
    }
}

fn human_bytes(n: u64) -> String {
    let gib = n as f64 / GIB as f64;
    if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{} MiB", n >> 20)
    }
}

fn facts(ctx: &Context, store: Option<&Store>) -> Facts {
    let serve_configured = checks::serve_configured(&ctx.config);
    let Some(store) = store else {
        return Facts {
            serve_configured,
            hooks_used: serve_configured,
            ..Facts::default()
        };
    };
    let repos = store.list().unwrap_or_default();
    let secret = secrets::webhook_secret_info(store).ok().flatten().is_some();
    let seen = store.hooks_seen().map(|h| !h.is_empty()).unwrap_or(false);
    Facts {
        private_repos: repos
            .iter()
            .filter(|r| r.meta.as_ref().is_some_and(|m| m.private))
            .map(|r| r.key.to_string())
            .collect(),
        tracked: repos.len(),
        hooks_used: serve_configured || secret || seen,
        serve_configured,
        stored: secrets::list_tokens(store).unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

fn env_token() -> Option<ResolvedToken> {
    secrets::ENV_TOKENS.iter().find_map(|name| {
        let v = std::env::var(name).ok()?;
        let secret = secrets::trimmed(secrecy::SecretString::from(v));
        let empty = secrets::expose(&secret, str::is_empty);
        (!empty).then(|| ResolvedToken::new(secret, TokenSource::Env(name)))
    })
}

/// The default token and the per-repo ones, as a sync would use them; says where they come from.
fn load_tokens(
    ctx: &Context,
    store: Option<&Store>,
    facts: &Facts,
    all: &mut Vec<Check>,
) -> (Option<ResolvedToken>, Vec<ResolvedToken>) {
    const ID: &str = "token.source";
    let (default, per_repo) = match store {
        None => (env_token(), Vec::new()),
        Some(store) => {
            let keys = KeySource::from_env(ctx.identity.clone());
            match Tokens::load(store, &keys, &|n| std::env::var(n).ok()) {
                Ok(t) => (
                    t.for_repo(None).cloned(),
                    t.per_repo().map(|(_, r)| r.clone()).collect(),
                ),
                Err(e) => {
                    all.push(
                        Check::new(
                            "token.vault",
                            Level::Warn,
                            format!(
                                "the vault holds {} token(s) but could not be unlocked: {e}",
                                facts.stored.len()
                            ),
                        )
                        .with_fix("set REPODECK_PASSPHRASE or pass --identity FILE, then run `repodeck doctor` again"),
                    );
                    all.extend(stored_expiry(&facts.stored));
                    (env_token(), Vec::new())
                }
            }
        }
    };
    let check = match &default {
        Some(t) => Check::ok(
            ID,
            format!(
                "requests use {} {}{}",
                t.source,
                t.id,
                match per_repo.len() {
                    0 => String::new(),
                    n => format!("; {n} repositories have their own token"),
                }
            ),
        ),
        None => Check::new(
            ID,
            Level::Warn,
            "no token: anonymous requests, 60 an hour, and no GraphQL",
        )
        .with_fix("repodeck token set (reads the token from stdin), or set GITHUB_TOKEN"),
    };
    all.push(check);
    (default, per_repo)
}

/// Expiry as last recorded in the vault, for tokens that could not be decrypted.
fn stored_expiry(stored: &[StoredToken]) -> Vec<Check> {
    let now = Utc::now();
    stored
        .iter()
        .filter_map(|t| {
            let at = t.meta.expires_at?;
            (at <= now).then(|| {
                Check::new(
                    "token.expiry",
                    Level::Fail,
                    format!(
                        "{} {} expired at {} (as last checked)",
                        scope_label(&t.scope),
                        t.meta.id,
                        at.to_rfc3339()
                    ),
                )
                .with_fix(format!(
                    "create a new token and run `repodeck token set{}`",
                    t.scope.cli_hint()
                ))
            })
        })
        .collect()
}

fn scope_label(scope: &TokenScope) -> String {
    match scope {
        TokenScope::Global => "vault (global)".into(),
        TokenScope::Repo(k) => format!("vault ({k})"),
    }
}

// ---------------------------------------------------------------------------------------------
// Network

/// `f` bounded by [`NET_TIMEOUT`]; a timeout is said as one.
async fn bounded<T>(
    f: impl std::future::Future<Output = Result<T, GithubError>>,
) -> Result<T, String> {
    match tokio::time::timeout(NET_TIMEOUT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", NET_TIMEOUT.as_secs())),
    }
}

/// The API, GraphQL and clock checks, then each token's. Stops at the first sign that the API
/// cannot be reached: one failing line naming the URL.
async fn network(
    config: &Config,
    default: Option<&ResolvedToken>,
    per_repo: &[ResolvedToken],
    facts: &Facts,
) -> Vec<Check> {
    let mut all = Vec::new();
    let url = config.github.api_url.clone();
    // The endpoint and the clock are asked anonymously: a rejected token must not hide them.
    let anon = match checks::doctor_client(config, None) {
        Ok(c) => c,
        Err(e) => return vec![Check::new("api", Level::Fail, e.to_string())],
    };
    match bounded(anon.check_endpoint()).await {
        Ok(()) => all.push(Check::ok(
            "api",
            format!("{url} answers like GitHub's REST API"),
        )),
        Err(e) => {
            let named = if e.contains(url.as_str()) {
                e
            } else {
                format!("{url}: {e}")
            };
            all.push(
                Check::new("api", Level::Fail, named).with_fix(
                    "check the network and `github.api_url` / --api-url (GitHub Enterprise: https://HOST/api/v3)",
                ),
            );
            return all;
        }
    }
    all.push(clock(&anon).await);
    let Some(token) = default else {
        all.push(Check::new(
            "api.graphql",
            Level::Skip,
            "GraphQL needs a token; anonymous syncs use REST",
        ));
        return all;
    };
    let client = match checks::doctor_client(config, Some(token)) {
        Ok(c) => c,
        Err(e) => {
            all.push(Check::new("token", Level::Fail, e.to_string()));
            return all;
        }
    };
    let viewer = bounded(client.viewer()).await;
    let rejected = viewer.is_err();
    all.extend(token_checks(token, viewer, facts));
    if !rejected {
        all.push(graphql(&client).await);
    }
    for t in per_repo {
        match checks::doctor_client(config, Some(t)) {
            Ok(c) => all.extend(token_checks(t, bounded(c.viewer()).await, facts)),
            Err(e) => all.push(Check::new("token", Level::Fail, e.to_string())),
        }
    }
    all
}

/// The local clock against the `Date` GitHub answers with.
async fn clock(client: &crate::github::GithubClient) -> Check {
    const ID: &str = "api.clock";
    let date = match bounded(client.server_date()).await {
        Ok(Some(d)) => d,
        Ok(None) => return Check::new(ID, Level::Warn, "the API sent no readable Date header"),
        Err(e) => {
            return Check::new(
                ID,
                Level::Warn,
                format!("cannot read the server's clock: {e}"),
            );
        }
    };
    skew_check(date, Utc::now())
}

fn skew_check(server: DateTime<Utc>, local: DateTime<Utc>) -> Check {
    const ID: &str = "api.clock";
    let skew = (local - server).num_seconds();
    let ahead = if skew >= 0 { "ahead of" } else { "behind" };
    let msg = format!("this clock is {} s {ahead} GitHub's", skew.abs());
    let fix = "synchronise the system clock (e.g. `timedatectl set-ntp true`): rate-limit resets, ETags and token expiry depend on it";
    match skew.abs() {
        s if s > SKEW_FAIL => Check::new(ID, Level::Fail, msg).with_fix(fix),
        s if s > SKEW_WARN => Check::new(ID, Level::Warn, msg).with_fix(fix),
        _ => Check::ok(ID, msg),
    }
}

async fn graphql(client: &crate::github::GithubClient) -> Check {
    const ID: &str = "api.graphql";
    let url = client.graphql_url().to_string();
    match bounded(client.graphql_budget()).await {
        Ok(b) => Check::ok(
            ID,
            format!(
                "{url} answers like GitHub's GraphQL API ({} of {} points left)",
                b.remaining, b.limit
            ),
        ),
        Err(e) => Check::new(ID, Level::Fail, e).with_fix(
            "check `github.graphql_url` (GitHub Enterprise: https://HOST/api/graphql); `repodeck sync --rest` works without GraphQL",
        ),
    }
}

/// Validity and login, scopes and expiry of one token.
fn token_checks(
    token: &ResolvedToken,
    viewer: Result<TokenInfo, String>,
    facts: &Facts,
) -> Vec<Check> {
    let label = format!("{} {}", token.source, token.id);
    let fix = format!(
        "create a new token and run `{}`",
        token.source.set_command()
    );
    let info = match viewer {
        Ok(i) => i,
        Err(e) => {
            let meta = facts
                .stored
                .iter()
                .map(|s| &s.meta)
                .find(|m| m.id == token.id);
            let expired = meta
                .and_then(|m: &TokenMeta| m.expires_at)
                .filter(|at| *at <= Utc::now())
                .map(|at| format!(" (it expired at {})", at.to_rfc3339()))
                .unwrap_or_default();
            return vec![
                Check::new("token", Level::Fail, format!("{label}: {e}{expired}")).with_fix(fix),
            ];
        }
    };
    vec![
        Check::ok(
            "token",
            format!("{label} is valid, login {}", sanitize::line(&info.login)),
        ),
        scopes_check(&label, info.scopes.as_deref(), facts, &token.source),
        expiry_check(&label, info.expires_at, Utc::now(), &fix),
    ]
}

fn scopes_check(
    label: &str,
    scopes: Option<&[String]>,
    facts: &Facts,
    source: &TokenSource,
) -> Check {
    const ID: &str = "token.scopes";
    let Some(scopes) = scopes else {
        return Check::ok(
            ID,
            format!(
                "{label} is a fine-grained token: GitHub reports no scopes, so they cannot be checked (give it read access to Metadata, Contents, Issues and Pull requests{})",
                if facts.hooks_used {
                    ", and Webhooks read/write"
                } else {
                    ""
                }
            ),
        );
    };
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let set = source.set_command();
    if !facts.private_repos.is_empty() && !has("repo") {
        return Check::new(
            ID,
            Level::Fail,
            format!(
                "{label} lacks the `repo` scope that private repositories need ({} tracked, e.g. {})",
                facts.private_repos.len(),
                facts.private_repos[0]
            ),
        )
        .with_fix(format!("create a token with `repo` and run `{set}`"));
    }
    if facts.hooks_used && !has("admin:repo_hook") && !has("write:repo_hook") {
        return Check::new(
            ID,
            Level::Warn,
            format!("{label} lacks `admin:repo_hook`: webhooks are set up here, and `repodeck hook create|list|delete|ping` will be refused"),
        )
        .with_fix(format!("add `admin:repo_hook` to the token on GitHub, or create one with it and run `{set}`"));
    }
    let mut excess: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| EXCESS_SCOPES.contains(s))
        .collect();
    if !facts.hooks_used {
        excess.extend(
            scopes
                .iter()
                .map(String::as_str)
                .filter(|s| matches!(*s, "admin:repo_hook" | "admin:org_hook")),
        );
    }
    if !excess.is_empty() {
        return Check::new(
            ID,
            Level::Warn,
            format!(
                "{label} has write scopes a read-only dashboard does not need: {}",
                excess.join(", ")
            ),
        )
        .with_fix(format!(
            "create a token with only `repo` (or `public_repo`) and `read:org`, then run `{set}`"
        ));
    }
    Check::ok(ID, format!("{label} scopes: {}", scopes.join(", ")))
}

fn expiry_check(
    label: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    fix: &str,
) -> Check {
    const ID: &str = "token.expiry";
    let Some(at) = expires_at else {
        return Check::ok(ID, format!("{label} has no expiry date"));
    };
    let when = at.format("%Y-%m-%d %H:%M UTC");
    let left = at - now;
    if left <= chrono::Duration::zero() {
        Check::new(ID, Level::Fail, format!("{label} expired at {when}")).with_fix(fix)
    } else if left < chrono::Duration::days(secrets::EXPIRY_WARNING_DAYS) {
        Check::new(
            ID,
            Level::Warn,
            format!("{label} expires at {when}, in {} hour(s)", left.num_hours()),
        )
        .with_fix(fix)
    } else {
        Check::ok(
            ID,
            format!("{label} expires at {when}, in {} days", left.num_days()),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Config, serve, terminal

fn config_checks(config: &Config, facts: &Facts, authed: bool) -> Vec<Check> {
    const ID: &str = "config";
    let Some(every) = config.sync.interval else {
        return vec![Check::ok(
            ID,
            "the configuration loads; no background sync interval set",
        )];
    };
    let shown = crate::config::format_duration(every);
    if every < config.sync.min_interval {
        return vec![Check::new(
            ID,
            Level::Warn,
            format!(
                "sync.interval ({shown}) is shorter than sync.min_interval ({}): most background syncs skip every repository",
                crate::config::format_duration(config.sync.min_interval)
            ),
        )
        .with_fix("set sync.interval to at least sync.min_interval")];
    }
    // Anonymous syncs use REST: about 8 requests per repository, 60 an hour.
    let runs_per_hour = 3600.0 / every.as_secs_f64().max(1.0);
    let per_hour = (facts.tracked as f64 * 8.0 * runs_per_hour).ceil() as u64;
    if !authed && facts.tracked > 0 && per_hour > 60 {
        return vec![Check::new(
            ID,
            Level::Warn,
            format!(
                "sync.interval {shown} for {} repositories needs about {per_hour} requests an hour; anonymous use gets 60",
                facts.tracked
            ),
        )
        .with_fix("store a token (`repodeck token set`) or set a longer sync.interval")];
    }
    vec![Check::ok(
        ID,
        format!("the configuration loads; background sync every {shown}"),
    )]
}

fn serve_checks(ctx: &Context, store: Option<&Store>, facts: &Facts) -> Vec<Check> {
    let mut all = checks::serve_listen(&ctx.config.serve);
    let required = facts.hooks_used;
    all.push(match store {
        Some(s) => checks::webhook_secret(s, required),
        None if facts.serve_configured => Check::new(
            "serve.secret",
            Level::Fail,
            "`[serve]` is configured but there is no store, so no webhook secret",
        )
        .with_fix("repodeck hook secret generate"),
        None => Check::new(
            "serve.secret",
            Level::Skip,
            "no webhook secret (only `serve` needs one)",
        ),
    });
    all
}

/// Colours, Unicode and OSC 52 (copy) for the TUI, from the environment: warnings only.
fn terminal(config: &Config) -> Vec<Check> {
    if !std::io::stdout().is_terminal() {
        return vec![Check::new(
            "terminal",
            Level::Skip,
            "not a terminal (stdout is redirected): terminal checks skipped",
        )];
    }
    let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
    terminal_checks(&var, config.ui.ascii)
}

fn terminal_checks(var: &dyn Fn(&str) -> Option<String>, ascii: bool) -> Vec<Check> {
    let term = var("TERM").unwrap_or_default();
    let colours = if var("NO_COLOR").is_some() {
        Check::ok("terminal.colour", "colours off (NO_COLOR is set)")
    } else if term.is_empty() || term == "dumb" {
        Check::new(
            "terminal.colour",
            Level::Warn,
            format!("TERM is {:?}: the TUI may not draw", term),
        )
        .with_fix("run in a terminal emulator with TERM set (e.g. xterm-256color)")
    } else if var("COLORTERM").is_some_and(|c| c == "truecolor" || c == "24bit") {
        Check::ok("terminal.colour", "24-bit colour")
    } else if term.contains("256color") || term.contains("kitty") || term.contains("alacritty") {
        Check::ok("terminal.colour", format!("256 colours (TERM={term})"))
    } else {
        Check::new(
            "terminal.colour",
            Level::Warn,
            format!("TERM={term} may show 8 colours only"),
        )
        .with_fix("use a 256-colour TERM (xterm-256color) or `ui.theme = \"mono\"`")
    };
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"].iter().find_map(|n| var(n));
    let utf8 = locale
        .as_deref()
        .is_some_and(|l| l.to_ascii_lowercase().replace('-', "").contains("utf8"));
    let unicode = if ascii {
        Check::ok("terminal.unicode", "ASCII mode (ui.ascii = true)")
    } else if utf8 {
        Check::ok(
            "terminal.unicode",
            "UTF-8 locale: box drawing and symbols are one column wide",
        )
    } else {
        Check::new(
            "terminal.unicode",
            Level::Warn,
            format!(
                "the locale ({}) is not UTF-8: symbols may be drawn too wide or as `?`",
                locale.unwrap_or_else(|| "unset".into())
            ),
        )
        .with_fix("set a UTF-8 locale (LANG=C.UTF-8) or `ui.ascii = true`")
    };
    vec![colours, unicode, osc52(var, &term)]
}

fn osc52(var: &dyn Fn(&str) -> Option<String>, term: &str) -> Check {
    const ID: &str = "terminal.osc52";
    if var("TMUX").is_some() {
        return Check::new(
            ID,
            Level::Warn,
            "inside tmux: copying (OSC 52) reaches the outer terminal only when tmux allows it",
        )
        .with_fix("add `set -g set-clipboard on` to ~/.tmux.conf");
    }
    if term.starts_with("screen") {
        return Check::new(
            ID,
            Level::Warn,
            "GNU screen does not pass OSC 52: copying may not reach the clipboard",
        )
        .with_fix("use tmux with `set -g set-clipboard on`, or a terminal without screen");
    }
    let program = var("TERM_PROGRAM").unwrap_or_default();
    if program == "Apple_Terminal" {
        return Check::new(
            ID,
            Level::Warn,
            "Terminal.app ignores OSC 52: copying will not reach the clipboard",
        )
        .with_fix("use iTerm2, kitty, WezTerm or Alacritty to copy from the TUI");
    }
    let known = ["kitty", "alacritty", "wezterm", "foot", "xterm", "ghostty"]
        .iter()
        .any(|k| term.contains(k) || program.to_ascii_lowercase().contains(k))
        || program == "iTerm.app"
        || program == "vscode";
    if known {
        Check::ok(ID, "copying (OSC 52) is likely supported")
    } else {
        Check::ok(
            ID,
            "copying (OSC 52) may or may not be supported by this terminal",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_warns_past_30_s_and_fails_past_5_min() {
        let now = Utc::now();
        let at = |s| skew_check(now - chrono::Duration::seconds(s), now).level;
        assert_eq!(at(3), Level::Ok);
        assert_eq!(at(-45), Level::Warn);
        assert_eq!(at(301), Level::Fail);
    }

    #[test]
    fn expiry_warns_within_7_days_and_fails_after() {
        let now = Utc::now();
        let at = |d| expiry_check("t", Some(now + chrono::Duration::days(d)), now, "f").level;
        assert_eq!(at(30), Level::Ok);
        assert_eq!(at(3), Level::Warn);
        assert_eq!(at(-1), Level::Fail);
        assert_eq!(expiry_check("t", None, now, "f").level, Level::Ok);
    }

    #[test]
    fn scopes_name_what_is_missing_and_what_is_too_much() {
        let facts = Facts::default();
        let src = TokenSource::Global;
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let ok = scopes_check("t", Some(&s(&["repo", "read:org"])), &facts, &src);
        assert_eq!(ok.level, Level::Ok);
        let broad = scopes_check("t", Some(&s(&["repo", "delete_repo"])), &facts, &src);
        assert!(broad.level == Level::Warn && broad.message.contains("delete_repo"));
        let hooks = Facts {
            hooks_used: true,
            ..Facts::default()
        };
        let missing = scopes_check("t", Some(&s(&["repo"])), &hooks, &src);
        assert!(missing.level == Level::Warn && missing.message.contains("admin:repo_hook"));
        let private = Facts {
            private_repos: vec!["o/p".into()],
            ..Facts::default()
        };
        assert_eq!(
            scopes_check("t", Some(&s(&["public_repo"])), &private, &src).level,
            Level::Fail
        );
        assert_eq!(scopes_check("t", None, &facts, &src).level, Level::Ok);
    }

    #[test]
    fn terminal_checks_warn_only() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let good = terminal_checks(
            &env(&[("TERM", "xterm-256color"), ("LANG", "en_US.UTF-8")]),
            false,
        );
        assert!(good.iter().all(|c| c.level == Level::Ok), "{good:?}");
        let bad = terminal_checks(
            &env(&[("TERM", "dumb"), ("LANG", "C"), ("TMUX", "/tmp/x")]),
            false,
        );
        assert!(bad.iter().all(|c| c.level == Level::Warn), "{bad:?}");
    }
}
