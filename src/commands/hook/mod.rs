//! `repodeck hook ...`: the webhook secret GitHub signs deliveries with, kept age-encrypted in the
//! vault (`crate::secrets`) beside the tokens (here; `generate` prints the secret exactly once,
//! nothing else ever shows more than its fingerprint), and the hooks themselves on GitHub
//! (`manage`: create, list, delete, ping).

pub mod manage;

use std::io::Write;

use secrecy::SecretString;
use serde_json::json;

use super::{CliError, Status};
use crate::cli::HookSecretCommand;
use crate::fmt::{relative, rfc3339};
use crate::secrets::{self, KeySource, TokenVault};
use crate::store::Store;

/// What the hook commands need besides the store and the command.
pub struct HookContext<'a> {
    pub keys: KeySource,
    /// Reads a secret from stdin or a hidden prompt (`token::read_secret` in production).
    pub read: &'a mut dyn FnMut() -> Result<SecretString, CliError>,
}

/// `hook secret generate|set|show`.
pub fn run(
    store: &Store,
    cmd: HookSecretCommand,
    ctx: &mut HookContext<'_>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    match cmd {
        HookSecretCommand::Generate { replace } => {
            refuse_overwrite(store, replace)?;
            let secret = secrets::generate_webhook_secret();
            store_secret(store, &ctx.keys, &secret)?;
            secrets::expose(&secret, |s| {
                let _ = writeln!(out, "{s}");
            });
            let _ = writeln!(
                out,
                "stored the webhook secret above in the vault. Paste it into GitHub's webhook settings (or let `repodeck hook create` use it); it is not shown again"
            );
            Ok(Status::Ok)
        }
        HookSecretCommand::Set { replace } => {
            refuse_overwrite(store, replace)?;
            let secret = (ctx.read)()?;
            secrets::validate_webhook_secret(&secret)?;
            store_secret(store, &ctx.keys, &secret)?;
            let info = secrets::webhook_secret_info(store)?;
            let fp = info.map(|i| i.fingerprint).unwrap_or_default();
            let _ = writeln!(out, "stored the webhook secret (fingerprint {fp})");
            Ok(Status::Ok)
        }
        HookSecretCommand::Show { json } => show(store, json, out),
    }
}

fn refuse_overwrite(store: &Store, replace: bool) -> Result<(), CliError> {
    if !replace && secrets::webhook_secret_info(store)?.is_some() {
        return Err(CliError::Input(
            "a webhook secret is already stored; pass --replace to change it (then update every GitHub hook that uses it, e.g. with `repodeck hook create`). Nothing was changed".into(),
        ));
    }
    Ok(())
}

fn store_secret(store: &Store, keys: &KeySource, secret: &SecretString) -> Result<(), CliError> {
    let vault = TokenVault::open(store, keys, true)?
        .ok_or_else(|| CliError::Failed("the vault identity could not be created".into()))?;
    vault.set_webhook_secret(store, secret)?;
    Ok(())
}

/// `hook secret show`: the fingerprint, never the secret.
pub fn show(store: &Store, json: bool, out: &mut dyn Write) -> Result<Status, CliError> {
    let info = secrets::webhook_secret_info(store)?;
    if json {
        let value = match &info {
            Some(i) => json!({
                "stored": true,
                "fingerprint": i.fingerprint,
                "length": i.length,
                "added_at": rfc3339(i.added_at),
            }),
            None => json!({ "stored": false }),
        };
        let _ = writeln!(out, "{value}");
        return Ok(Status::Ok);
    }
    match info {
        Some(i) => {
            let _ = writeln!(
                out,
                "webhook secret: fingerprint {}, {} characters, stored {}",
                i.fingerprint,
                i.length,
                relative(i.added_at, chrono::Utc::now())
            );
        }
        None => {
            let _ = writeln!(
                out,
                "no webhook secret stored; run `repodeck hook secret generate`"
            );
        }
    }
    Ok(Status::Ok)
}
