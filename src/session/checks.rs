//! Production checks, in one place for `repodeck doctor` (which prints them all) and `repodeck
//! serve` (which refuses to start while one fails): the file modes of the data directory, the
//! vault's identity and backup files; the webhook secret (present, long enough); the listener and
//! its allowlist. Also the GitHub client `doctor` asks with: short timeouts and few retries, so an
//! unreachable API is one failing line within seconds, never a hang.
//!
//! A check never reads a secret: the webhook secret is judged by its recorded length, a token by
//! its `TokenId`.

use std::path::Path;
use std::time::Duration;

use crate::config::{AllowIps, Config, ServeConfig};
use crate::github::{ClientOptions, GithubClient, Timing};
use crate::secrets::{self, ResolvedToken};
use crate::store::{self, Store};

use super::{Context, SessionError};

/// How a check came out. `Skip`: it does not apply here (counts as ok).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Ok,
    Skip,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Skip => "skip",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One finding: a stable id (`files.data_dir`, `serve.secret` ...), what was found in one line,
/// and what to run or change next (none when there is nothing to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub message: String,
    pub fix: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, level: Level, message: impl Into<String>) -> Self {
        Check {
            id,
            level,
            message: message.into(),
            fix: None,
        }
    }

    pub fn ok(id: &'static str, message: impl Into<String>) -> Self {
        Self::new(id, Level::Ok, message)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The first failing check as a refusal message naming the check and its fix; `None` when none
/// fails.
pub fn refusal(checks: &[Check]) -> Option<String> {
    let failed = checks.iter().find(|c| c.level == Level::Fail)?;
    let fix = failed
        .fix
        .as_deref()
        .map(|f| format!(" Fix: {f}."))
        .unwrap_or_default();
    Some(format!(
        "serve refuses to start: production check `{}` failed: {}.{fix} (`repodeck doctor` shows every check)",
        failed.id, failed.message
    ))
}

// ---------------------------------------------------------------------------------------------
// File modes

/// The permission bits of `path`, `None` when it does not exist (or on a platform without them).
fn mode_of(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Judges one path's mode: readable by everyone or writable by anyone else fails, readable by
/// the group warns. `private` is the mode the fix sets (700 for a directory, 600 for a file).
fn mode_check(id: &'static str, what: &str, path: &Path, private: &str) -> Option<Check> {
    let mode = mode_of(path)?;
    let shown = path.display();
    let fix = format!("chmod {private} {shown}");
    let check = if mode & 0o004 != 0 || mode & 0o022 != 0 {
        let who = if mode & 0o022 != 0 {
            "writable by others"
        } else {
            "readable by everyone"
        };
        Check::new(
            id,
            Level::Fail,
            format!("{what} {shown} is {who} (mode {mode:03o})"),
        )
        .with_fix(fix)
    } else if mode & 0o077 != 0 {
        Check::new(
            id,
            Level::Warn,
            format!("{what} {shown} is open to its group (mode {mode:03o})"),
        )
        .with_fix(fix)
    } else {
        Check::ok(id, format!("{what} {shown} is private (mode {mode:03o})"))
    };
    Some(check)
}

/// The modes of the data directory, the vault's identity and backup files, and the `--identity`
/// file. Read before anything opens the store: opening it tightens the data directory to 0700,
/// which would hide a directory that was open until now.
pub fn file_modes(ctx: &Context) -> Vec<Check> {
    let dir = &ctx.data_dir;
    let mut out = Vec::new();
    match mode_check("files.data_dir", "the data directory", dir, "700") {
        Some(c) => out.push(c),
        None => out.push(Check::new(
            "files.data_dir",
            Level::Skip,
            format!(
                "the data directory {} does not exist yet (it is created private)",
                dir.display()
            ),
        )),
    }
    let files = [
        (
            "files.identity",
            "the vault identity",
            dir.join(secrets::IDENTITY_FILE),
        ),
        (
            "files.vault_backup",
            "the vault backup",
            dir.join(store::VAULT_BACKUP_FILE),
        ),
    ];
    for (id, what, path) in files {
        out.extend(mode_check(id, what, &path, "600"));
    }
    if let Some(path) = &ctx.identity {
        match mode_check("files.identity_file", "the --identity file", path, "600") {
            Some(c) => out.push(c),
            None => out.push(
                Check::new(
                    "files.identity_file",
                    Level::Fail,
                    format!("the --identity file {} cannot be read", path.display()),
                )
                .with_fix("pass the path of an age identity file (from `age-keygen`)"),
            ),
        }
    }
    out
}

/// What `serve` checks before anything opens the store: the modes of the data directory and of
/// the files repodeck keeps in it (the `--identity` file is the user's own; `doctor` judges it).
/// The refusal message when one fails.
pub fn serve_preflight(ctx: &Context) -> Option<String> {
    let modes: Vec<Check> = file_modes(ctx)
        .into_iter()
        .filter(|c| c.id != "files.identity_file")
        .collect();
    refusal(&modes)
}

// ---------------------------------------------------------------------------------------------
// serve

/// Whether the configuration sets up `serve` (any `[serve]` setting differs from the defaults).
pub fn serve_configured(config: &Config) -> bool {
    config.serve != Config::default().serve
}

/// The webhook secret, judged by its recorded length (never decrypted). `required`: `serve` is
/// configured, or webhooks exist; a missing or short secret then fails.
pub fn webhook_secret(store: &Store, required: bool) -> Check {
    const ID: &str = "serve.secret";
    let info = match secrets::webhook_secret_info(store) {
        Ok(i) => i,
        Err(e) => {
            return Check::new(ID, Level::Fail, e.to_string()).with_fix(
                "repodeck hook secret generate --replace, then update your GitHub hooks",
            );
        }
    };
    let bad = if required { Level::Fail } else { Level::Warn };
    match info {
        None if required => Check::new(ID, Level::Fail, "no webhook secret in the vault").with_fix(
            "repodeck hook secret generate, and give the same secret to GitHub's webhook",
        ),
        None => Check::new(
            ID,
            Level::Skip,
            "no webhook secret (only `serve` needs one)",
        ),
        Some(i) if i.length < secrets::WEBHOOK_SECRET_MIN => Check::new(
            ID,
            bad,
            format!(
                "the webhook secret has {} characters, fewer than {}",
                i.length,
                secrets::WEBHOOK_SECRET_MIN
            ),
        )
        .with_fix("repodeck hook secret generate --replace, then update your GitHub hooks"),
        Some(i) => Check::ok(
            ID,
            format!("webhook secret {} ({} characters)", i.fingerprint, i.length),
        ),
    }
}

/// The checks `serve` must pass once the store is open (the file modes are checked before).
pub fn serve_ready(store: &Store) -> Vec<Check> {
    vec![webhook_secret(store, true)]
}

/// The listener and who may reach it.
pub fn serve_listen(cfg: &ServeConfig) -> Vec<Check> {
    let listen = if cfg.listen.ip().is_loopback() {
        Check::ok(
            "serve.listen",
            format!("serve listens on {} (loopback)", cfg.listen),
        )
    } else if cfg.allow_ips == AllowIps::Any {
        Check::new(
            "serve.listen",
            Level::Warn,
            format!(
                "serve listens on {} (not loopback) and accepts deliveries from any address",
                cfg.listen
            ),
        )
        .with_fix("set `serve.allow_ips = \"github-meta\"` and put a TLS reverse proxy in front")
    } else {
        Check::ok(
            "serve.listen",
            format!("serve listens on {}, behind an allowlist", cfg.listen),
        )
    };
    let allow = match &cfg.allow_ips {
        AllowIps::Any => "any address (the signature still has to match)".to_string(),
        AllowIps::GithubMeta => "GitHub's hook ranges from GET /meta, refreshed daily".into(),
        AllowIps::List(nets) => format!("{} network(s)", nets.len()),
    };
    vec![
        listen,
        Check::ok(
            "serve.allowlist",
            format!("deliveries allowed from {allow}"),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// The doctor's GitHub client

/// Short timeouts, one retry, and a breaker that gives up within seconds.
fn doctor_timing() -> Timing {
    Timing {
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(10),
        max_attempts: 2,
        backoff_base: Duration::from_millis(200),
        backoff_cap: Duration::from_secs(1),
        breaker_retry: Duration::from_millis(300),
        breaker_give_up: Duration::from_secs(3),
        ..Timing::default()
    }
}

/// A client for one token (or anonymous) without an ETag cache: every answer is GitHub's own.
/// Call inside the runtime.
pub fn doctor_client(
    config: &Config,
    token: Option<&ResolvedToken>,
) -> Result<GithubClient, SessionError> {
    let opts = ClientOptions {
        token_source: token.map(|t| t.source.clone()),
        timing: doctor_timing(),
        ..ClientOptions::from_config(config, token.map(|t| t.secret.clone()), None)
    };
    GithubClient::new(opts)
        .map_err(|e| SessionError::Input(format!("cannot set up the GitHub client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn modes_are_judged_by_who_can_read_and_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "x").unwrap();
        let level = |mode| {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            mode_check("t", "f", &p, "600").unwrap().level
        };
        assert_eq!(level(0o600), Level::Ok);
        assert_eq!(level(0o640), Level::Warn);
        assert_eq!(level(0o644), Level::Fail);
        assert_eq!(level(0o620), Level::Fail);
        let c = mode_check("t", "f", &p, "600").unwrap();
        assert_eq!(c.fix.unwrap(), format!("chmod 600 {}", p.display()));
        assert!(mode_check("t", "f", &dir.path().join("missing"), "600").is_none());
    }

    #[test]
    fn a_refusal_names_the_check_and_its_fix() {
        let checks = vec![
            Check::ok("a", "fine"),
            Check::new(
                "serve.secret",
                Level::Fail,
                "no webhook secret in the vault",
            )
            .with_fix("repodeck hook secret generate"),
        ];
        let m = refusal(&checks).unwrap();
        assert!(
            m.contains("`serve.secret`") && m.contains("Fix: repodeck hook secret generate"),
            "{m}"
        );
        assert!(refusal(&checks[..1]).is_none());
    }
}
