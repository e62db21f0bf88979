//! `repodeck token ...`: set, list, rm, check, rotate-passphrase, rotate-identity over the vault in
//! `crate::secrets`. Tokens only ever appear here as `SecretString`; output shows each token's
//! `TokenId` (`ghp_…a1f3`), the same form the TUI's rate panel, logs and errors use.

use std::io::{IsTerminal, Read, Write};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::json;

use super::{CliError, Status};
use crate::cli::TokenCommand;
use crate::domain::RepoKey;
use crate::fmt::{relative, rfc3339};
use crate::github::{ClientOptions, GithubClient, GithubError};
use crate::sanitize;
use crate::secrets::{
    self, KeySource, LiveCheck, LiveInfo, PassphraseSource, ResolvedToken, StoredToken,
    TokenChecker, TokenId, TokenMeta, TokenScope, TokenSource, TokenVault, VaultError,
};
use crate::store::Store;

/// The largest token input read from stdin.
const MAX_INPUT: u64 = 64 * 1024;

/// Why a token command stopped, besides the vault's own errors. Each message says what to do
/// next; none holds a token (a rejected one is named by its [`TokenId`]).
#[derive(Debug, thiserror::Error)]
pub enum TokenCmdError {
    #[error("--repo: {0}. Nothing was changed.")]
    BadRepo(String),
    #[error("cannot read the token from the terminal: {0}")]
    Terminal(std::io::Error),
    #[error("cannot read the token from stdin ({0}); pipe it as text")]
    Stdin(std::io::Error),
    #[error(
        "GitHub rejected the token {id} (401): it is wrong, expired or revoked. Create a new one and run `repodeck token set{hint}` again; nothing was stored"
    )]
    Rejected { id: TokenId, hint: String },
    #[error(
        "the vault uses an identity file (--identity / REPODECK_IDENTITY), which has no repodeck passphrase; protect that file yourself"
    )]
    NoPassphraseToRotate,
    #[error("there is no vault yet: store a token with `repodeck token set` first")]
    NoVault,
    #[error(
        "no new passphrase: set REPODECK_NEW_PASSPHRASE, or run in a terminal to be asked for it; nothing was changed"
    )]
    NoNewPassphrase,
}

impl From<TokenCmdError> for CliError {
    fn from(e: TokenCmdError) -> Self {
        CliError::Input(e.to_string())
    }
}

impl From<VaultError> for CliError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Store(s) => CliError::Store(s),
            other => CliError::Input(other.to_string()),
        }
    }
}

/// What the token commands need besides the store and the command.
pub struct TokenContext<'a> {
    pub keys: KeySource,
    /// For `rotate-passphrase`: REPODECK_NEW_PASSPHRASE, or a prompt.
    pub new_passphrase: PassphraseSource,
    pub checker: &'a dyn TokenChecker,
    /// Reads the environment (GITHUB_TOKEN / GH_TOKEN); `std::env::var` in production.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub now: DateTime<Utc>,
}

/// Parses `--repo` before anything else happens, so bad input changes nothing.
pub fn parse_scope(repo: Option<&str>) -> Result<TokenScope, CliError> {
    match repo {
        None => Ok(TokenScope::Global),
        Some(r) => RepoKey::parse(r)
            .map(TokenScope::Repo)
            .map_err(|e| TokenCmdError::BadRepo(e.to_string()).into()),
    }
}

/// Reads the token: hidden input on a terminal, else all of stdin (trimmed).
pub fn read_token() -> Result<SecretString, CliError> {
    read_secret("GitHub token (input is hidden): ")
}

/// Reads a secret: hidden input after `prompt` on a terminal, else all of stdin (at most 64 KiB,
/// trimmed).
pub fn read_secret(prompt: &str) -> Result<SecretString, CliError> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        rpassword::prompt_password(prompt).map_err(TokenCmdError::Terminal)?
    } else {
        let mut s = String::new();
        stdin
            .lock()
            .take(MAX_INPUT)
            .read_to_string(&mut s)
            .map_err(TokenCmdError::Stdin)?;
        s
    };
    Ok(secrets::trimmed(SecretString::from(raw)))
}

pub fn run(
    store: &Store,
    cmd: TokenCommand,
    ctx: &TokenContext<'_>,
    read: &mut dyn FnMut() -> Result<SecretString, CliError>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    match cmd {
        TokenCommand::Set { repo, any_format } => {
            let scope = parse_scope(repo.as_deref())?;
            let token = read()?;
            set(store, &scope, token, any_format, ctx, out, err)
        }
        TokenCommand::List { json } => list(store, json, ctx, out),
        TokenCommand::Rm { repo } => {
            let scope = parse_scope(repo.as_deref())?;
            rm(store, &scope, out, err)
        }
        TokenCommand::Check => check(store, ctx, out, err),
        TokenCommand::RotatePassphrase => rotate_passphrase(store, ctx, out),
        TokenCommand::RotateIdentity => rotate_identity(store, ctx, out),
    }
}

fn warn_all(err: &mut dyn Write, info: &LiveInfo, now: DateTime<Utc>) {
    for w in secrets::warnings(info, now) {
        let _ = writeln!(err, "warning: {}", sanitize::line(&w));
    }
}

pub fn set(
    store: &Store,
    scope: &TokenScope,
    token: SecretString,
    any_format: bool,
    ctx: &TokenContext<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let kind = secrets::validate_shape(&token, any_format)?;
    // Unlock first when a vault exists, so a wrong passphrase fails before any network call.
    let existing = TokenVault::open(store, &ctx.keys, false)?;
    let id = TokenId::of(&token);
    let mut meta = TokenMeta {
        id: id.clone(),
        kind,
        repo: match scope {
            TokenScope::Repo(k) => Some(k.to_string()),
            TokenScope::Global => None,
        },
        login: None,
        scopes: None,
        expires_at: None,
        added_at: ctx.now,
        checked_at: None,
    };
    match ctx.checker.check(&token) {
        LiveCheck::Valid(info) => {
            warn_all(err, &info, ctx.now);
            meta.login = Some(info.login);
            meta.scopes = info.scopes;
            meta.expires_at = info.expires_at;
            meta.checked_at = Some(ctx.now);
        }
        LiveCheck::Rejected => {
            return Err(TokenCmdError::Rejected {
                id,
                hint: scope.cli_hint(),
            }
            .into());
        }
        LiveCheck::Unreachable(why) => {
            let _ = writeln!(
                err,
                "warning: could not check the token with GitHub ({}); stored it anyway. Run `repodeck token check` later",
                sanitize::line(&why)
            );
        }
    }
    let vault = match existing {
        Some(v) => v,
        None => TokenVault::open(store, &ctx.keys, true)?
            .ok_or_else(|| CliError::Failed("the vault identity could not be created".into()))?,
    };
    vault.set(store, scope, &token, meta.clone())?;
    let who = meta
        .login
        .as_deref()
        .map(|l| format!(" (login {})", sanitize::line(l)))
        .unwrap_or_default();
    let _ = writeln!(out, "stored the {} token {id}{who}", scope_label(scope));
    Ok(Status::Ok)
}

fn scope_label(scope: &TokenScope) -> String {
    match scope {
        TokenScope::Global => "global".into(),
        TokenScope::Repo(k) => format!("{k}"),
    }
}

fn env_token(ctx: &TokenContext<'_>) -> Option<ResolvedToken> {
    secrets::ENV_TOKENS.iter().find_map(|name| {
        let v = (ctx.env)(name)?;
        let secret = secrets::trimmed(SecretString::from(v));
        let empty = secrets::expose(&secret, str::is_empty);
        (!empty).then(|| ResolvedToken::new(secret, TokenSource::Env(name)))
    })
}

fn stored_json(t: &StoredToken, active: bool) -> serde_json::Value {
    let m = &t.meta;
    json!({
        "scope": match t.scope { TokenScope::Global => "global", TokenScope::Repo(_) => "repo" },
        "repo": match &t.scope { TokenScope::Repo(k) => Some(k.to_string()), TokenScope::Global => None },
        "source": "vault",
        "fingerprint": m.id.to_string(),
        "key_id": m.id.key(),
        "kind": m.kind,
        "login": m.login,
        "scopes": m.scopes,
        "expires_at": m.expires_at.map(rfc3339),
        "added_at": rfc3339(m.added_at),
        "checked_at": m.checked_at.map(rfc3339),
        "recipient": t.recipient,
        "default": active,
    })
}

fn env_json(e: &ResolvedToken, active: bool) -> serde_json::Value {
    let var = match e.source {
        TokenSource::Env(v) => Some(v),
        _ => None,
    };
    json!({
        "scope": "global",
        "repo": null,
        "source": "env",
        "env_var": var,
        "fingerprint": e.id.to_string(),
        "key_id": e.id.key(),
        "default": active,
    })
}

pub fn list(
    store: &Store,
    json_out: bool,
    ctx: &TokenContext<'_>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let stored = secrets::list_tokens(store)?;
    let env = env_token(ctx);
    let has_global = stored.iter().any(|t| t.scope == TokenScope::Global);
    if json_out {
        let mut rows: Vec<_> = stored
            .iter()
            .map(|t| stored_json(t, t.scope == TokenScope::Global))
            .collect();
        rows.extend(env.iter().map(|e| env_json(e, !has_global)));
        let text =
            serde_json::to_string_pretty(&rows).map_err(|e| CliError::Failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
        return Ok(Status::Ok);
    }
    if stored.is_empty() && env.is_none() {
        let _ = writeln!(
            out,
            "No tokens: requests are anonymous (60 an hour). Store one with `repodeck token set` (reads it from stdin), or set GITHUB_TOKEN."
        );
        return Ok(Status::Ok);
    }
    list_table(&stored, env.as_ref(), ctx.now, out);
    Ok(Status::Ok)
}

/// The human table: one row per stored token, the environment's token, and which token
/// repositories without their own use.
fn list_table(
    stored: &[StoredToken],
    env: Option<&ResolvedToken>,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) {
    let _ = writeln!(
        out,
        "{:<32} {:<18} {:<16} {:<24} {:<10} {:<9} CHECKED",
        "FOR", "FINGERPRINT", "LOGIN", "SCOPES", "EXPIRES", "ADDED"
    );
    for t in stored {
        let _ = writeln!(out, "{}", stored_row(t, now));
    }
    let global = stored.iter().find(|t| t.scope == TokenScope::Global);
    if let Some(e) = env {
        let _ = writeln!(
            out,
            "{:<32} {:<18} {}",
            e.source.to_string(),
            e.id.to_string(),
            if global.is_some() {
                "(not used: the vault's global token wins)"
            } else {
                "(from the environment, not stored)"
            }
        );
    }
    let default = global
        .map(|t| format!("vault global token {}", t.meta.id))
        .or_else(|| env.map(|e| format!("{} {}", e.source, e.id)))
        .unwrap_or_else(|| "anonymous".into());
    let _ = writeln!(out, "\nRepositories without their own token use: {default}");
}

fn stored_row(t: &StoredToken, now: DateTime<Utc>) -> String {
    let m = &t.meta;
    let dash = || "-".to_string();
    format!(
        "{:<32} {:<18} {:<16} {:<24} {:<10} {:<9} {}",
        sanitize::truncate_chars(&scope_label(&t.scope), 32),
        m.id.to_string(),
        sanitize::truncate_chars(&sanitize::line(m.login.as_deref().unwrap_or("-")), 16),
        sanitize::truncate_chars(
            &sanitize::line(&m.scopes.as_ref().map(|s| s.join(",")).unwrap_or_else(dash)),
            24
        ),
        m.expires_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(dash),
        relative(m.added_at, now),
        m.checked_at
            .map(|t| relative(t, now))
            .unwrap_or_else(|| "never".into()),
    )
}

pub fn rm(
    store: &Store,
    scope: &TokenScope,
    out: &mut dyn Write,
    _err: &mut dyn Write,
) -> Result<Status, CliError> {
    if secrets::remove_token(store, scope)? {
        let _ = writeln!(out, "removed the {} token", scope_label(scope));
        return Ok(Status::Ok);
    }
    Err(CliError::Input(not_stored(
        scope,
        &secrets::list_tokens(store)?,
    )))
}

/// `token rm` of a token that is not there: what is stored instead (as `token list` names
/// them) and the command that removes one. Nothing was changed.
fn not_stored(scope: &TokenScope, stored: &[StoredToken]) -> String {
    let what = match scope {
        TokenScope::Global => "no global token is stored".to_string(),
        TokenScope::Repo(k) => format!("no token for {k} is stored"),
    };
    if stored.is_empty() {
        return format!(
            "{what}; the vault holds no tokens (a GITHUB_TOKEN / GH_TOKEN from the environment is never stored, so there is nothing to remove). Nothing was changed"
        );
    }
    let listed: Vec<String> = stored
        .iter()
        .map(|t| format!("{} ({})", scope_label(&t.scope), t.meta.id))
        .collect();
    let hint = match stored.iter().find(|t| t.scope != *scope).map(|t| &t.scope) {
        Some(TokenScope::Repo(k)) => format!("`repodeck token rm --repo {k}`"),
        _ => "`repodeck token rm`".to_string(),
    };
    format!(
        "{what}; stored: {}. Remove one with {hint} (see `repodeck token list`). Nothing was changed",
        listed.join(", ")
    )
}

/// One token `token check` asks GitHub about: its label, the vault entry (none for the
/// environment's token) and the secret.
struct CheckItem {
    label: String,
    stored: Option<StoredToken>,
    secret: SecretString,
}

pub fn check(
    store: &Store,
    ctx: &TokenContext<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let items = check_items(store, ctx)?;
    if items.is_empty() {
        let _ = writeln!(
            out,
            "No tokens to check. Store one with `repodeck token set`."
        );
        return Ok(Status::Ok);
    }
    let mut bad = 0;
    let mut updates = Vec::new();
    for item in items {
        if !check_one(item, ctx, &mut updates, out, err) {
            bad += 1;
        }
    }
    secrets::update_meta(store, updates)?;
    Ok(if bad > 0 { Status::Partial } else { Status::Ok })
}

/// Every stored token (decrypted) and the environment's.
fn check_items(store: &Store, ctx: &TokenContext<'_>) -> Result<Vec<CheckItem>, CliError> {
    let vault = TokenVault::open(store, &ctx.keys, false)?;
    let mut items = Vec::new();
    if let Some(vault) = &vault {
        for (stored, secret) in vault.decrypt_all(store)? {
            items.push(CheckItem {
                label: scope_label(&stored.scope),
                stored: Some(stored),
                secret,
            });
        }
    } else if !secrets::list_tokens(store)?.is_empty() {
        return Err(VaultError::IdentityDamaged {
            path: store.dir().join(secrets::IDENTITY_FILE),
            detail: "tokens are stored but the identity file is missing".into(),
        }
        .into());
    }
    if let Some(e) = env_token(ctx) {
        items.push(CheckItem {
            label: e.source.to_string(),
            stored: None,
            secret: e.secret,
        });
    }
    Ok(items)
}

/// Checks one token and prints the outcome; a valid stored token's new facts go to `updates`.
/// False when the token was rejected or could not be checked.
fn check_one(
    item: CheckItem,
    ctx: &TokenContext<'_>,
    updates: &mut Vec<(TokenScope, TokenMeta)>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> bool {
    let CheckItem {
        label,
        stored,
        secret,
    } = item;
    let id = TokenId::of(&secret);
    match ctx.checker.check(&secret) {
        LiveCheck::Valid(info) => {
            let scopes = info
                .scopes
                .as_ref()
                .map(|s| s.join(", "))
                .unwrap_or_else(|| "not reported".into());
            let expiry = info
                .expires_at
                .map(rfc3339)
                .unwrap_or_else(|| "none".into());
            let _ = writeln!(
                out,
                "{label}: {id} valid, login {}, scopes: {}, expires: {expiry}",
                sanitize::line(&info.login),
                sanitize::line(&scopes)
            );
            warn_all(err, &info, ctx.now);
            if let Some(stored) = stored {
                let mut meta = stored.meta;
                meta.login = Some(info.login);
                meta.scopes = info.scopes;
                meta.expires_at = info.expires_at;
                meta.checked_at = Some(ctx.now);
                updates.push((stored.scope, meta));
            }
            true
        }
        LiveCheck::Rejected => {
            let expired = stored
                .as_ref()
                .and_then(|s| s.meta.expires_at)
                .is_some_and(|t| t <= ctx.now);
            let hint = stored
                .as_ref()
                .map(|s| s.scope.cli_hint())
                .unwrap_or_default();
            let what = if expired {
                "expired"
            } else {
                "revoked or invalid (401)"
            };
            let _ = writeln!(
                out,
                "{label}: {id} {what}: create a new token and run `repodeck token set{hint}`"
            );
            false
        }
        LiveCheck::Unreachable(why) => {
            let _ = writeln!(out, "{label}: {id} not checked: {}", sanitize::line(&why));
            false
        }
    }
}

pub fn rotate_passphrase(
    store: &Store,
    ctx: &TokenContext<'_>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    if let KeySource::IdentityFile(_) = ctx.keys {
        return Err(TokenCmdError::NoPassphraseToRotate.into());
    }
    let Some(mut vault) = TokenVault::open(store, &ctx.keys, false)? else {
        return Err(TokenCmdError::NoVault.into());
    };
    if let PassphraseSource::Unavailable = ctx.new_passphrase {
        return Err(TokenCmdError::NoNewPassphrase.into());
    }
    vault.rotate_passphrase(&ctx.new_passphrase)?;
    let _ = writeln!(
        out,
        "the vault passphrase was changed; use the new one from now on"
    );
    Ok(Status::Ok)
}

pub fn rotate_identity(
    store: &Store,
    ctx: &TokenContext<'_>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let Some(mut vault) = TokenVault::open(store, &ctx.keys, false)? else {
        return Err(TokenCmdError::NoVault.into());
    };
    let n = vault.rotate_identity(store)?;
    let _ = writeln!(
        out,
        "re-encrypted {n} token(s) to a new vault identity {}",
        vault.recipient()
    );
    Ok(Status::Ok)
}

/// A checker for when no live check is possible (no GitHub client wired): every token is
/// "unreachable", so `token set` stores with a warning.
pub struct NoChecker(pub String);

impl TokenChecker for NoChecker {
    fn check(&self, _token: &SecretString) -> LiveCheck {
        LiveCheck::Unreachable(self.0.clone())
    }
}

/// The live check over the GitHub client: `GET /user` on a small runtime of its own (the CLI
/// commands are synchronous). 401 -> rejected; anything else that fails -> unreachable.
pub struct GithubChecker {
    pub api_url: String,
    pub graphql_url: String,
}

impl TokenChecker for GithubChecker {
    fn check(&self, token: &SecretString) -> LiveCheck {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(r) => r,
            Err(e) => {
                return LiveCheck::Unreachable(format!("cannot start the network runtime: {e}"));
            }
        };
        let result = runtime.block_on(async {
            let client = GithubClient::new(ClientOptions {
                api_url: self.api_url.clone(),
                graphql_url: self.graphql_url.clone(),
                token: Some(token.clone()),
                ..ClientOptions::default()
            })?;
            client.viewer().await
        });
        match result {
            Ok(info) => LiveCheck::Valid(LiveInfo {
                login: info.login,
                scopes: info.scopes,
                expires_at: info.expires_at,
            }),
            Err(GithubError::Unauthorized { .. }) => LiveCheck::Rejected,
            Err(e) => LiveCheck::Unreachable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    const TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ01a1f3";

    /// Answers from a script, and records how many checks were made.
    struct Fake {
        answers: RefCell<Vec<LiveCheck>>,
    }
    impl TokenChecker for Fake {
        fn check(&self, _token: &SecretString) -> LiveCheck {
            self.answers.borrow_mut().remove(0)
        }
    }
    fn fake(answers: Vec<LiveCheck>) -> Fake {
        Fake {
            answers: RefCell::new(answers),
        }
    }
    fn no_env(_: &str) -> Option<String> {
        None
    }
    fn ctx<'a>(checker: &'a dyn TokenChecker, now: DateTime<Utc>) -> TokenContext<'a> {
        TokenContext {
            keys: KeySource::Passphrase(PassphraseSource::Given(SecretString::from("pw"))),
            new_passphrase: PassphraseSource::Unavailable,
            checker,
            env: &no_env,
            now,
        }
    }
    fn run_set(
        store: &Store,
        c: &TokenContext<'_>,
        token: &str,
    ) -> (Result<Status, CliError>, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = set(
            store,
            &TokenScope::Global,
            SecretString::from(token),
            false,
            c,
            &mut out,
            &mut err,
        );
        (
            r,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn a_rejected_token_is_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let checker = fake(vec![LiveCheck::Rejected]);
        let (r, out, _) = run_set(&store, &ctx(&checker, Utc::now()), TOKEN);
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(
            msg.contains("401") && msg.contains("ghp_…a1f3") && !msg.contains(TOKEN),
            "{msg}"
        );
        assert!(out.is_empty());
        assert!(secrets::list_tokens(&store).unwrap().is_empty());
        assert!(!dir.path().join(secrets::IDENTITY_FILE).exists());
    }

    #[test]
    fn a_valid_token_is_stored_with_its_facts_and_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let checker = fake(vec![LiveCheck::Valid(LiveInfo {
            login: "octocat".into(),
            scopes: Some(vec!["repo".into(), "delete_repo".into()]),
            expires_at: Some(now + chrono::Duration::days(3)),
        })]);
        let (r, out, err) = run_set(&store, &ctx(&checker, now), TOKEN);
        assert_eq!(r.unwrap(), Status::Ok);
        assert!(
            out.contains("stored the global token ghp_…a1f3 (login octocat)"),
            "{out}"
        );
        assert!(
            err.contains("delete_repo") && err.contains("expires in"),
            "{err}"
        );
        let stored = secrets::list_tokens(&store).unwrap();
        assert_eq!(stored[0].meta.login.as_deref(), Some("octocat"));
        assert_eq!(stored[0].meta.checked_at, Some(now));
    }

    #[test]
    fn check_reports_valid_expired_and_revoked_and_updates_facts() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        // Stored while unreachable: no facts yet.
        let checker = fake(vec![LiveCheck::Unreachable("offline".into())]);
        let (r, _, err) = run_set(&store, &ctx(&checker, now), TOKEN);
        assert_eq!(r.unwrap(), Status::Ok);
        assert!(
            err.contains("offline") && err.contains("stored it anyway"),
            "{err}"
        );

        let checker = fake(vec![LiveCheck::Valid(LiveInfo {
            login: "me".into(),
            scopes: None,
            expires_at: None,
        })]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            check(&store, &ctx(&checker, now), &mut out, &mut err).unwrap(),
            Status::Ok
        );
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("global: ghp_…a1f3 valid, login me"), "{out}");
        assert_eq!(
            secrets::list_tokens(&store).unwrap()[0]
                .meta
                .login
                .as_deref(),
            Some("me")
        );

        let checker = fake(vec![LiveCheck::Rejected]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(
            check(&store, &ctx(&checker, now), &mut out, &mut err).unwrap(),
            Status::Partial
        );
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("revoked or invalid") && out.contains("repodeck token set"),
            "{out}"
        );
        assert!(!out.contains(TOKEN));
    }
}
