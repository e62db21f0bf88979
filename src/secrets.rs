//! The token vault: the ONLY module that names `age`. GitHub tokens are age-encrypted to an x25519
//! identity and kept in the store; the identity is either wrapped once with a passphrase
//! (`<data_dir>/identity.age`, scrypt with a pinned work factor) or an age identity file given by
//! `--identity` / `REPODECK_IDENTITY`. Tokens are `SecretString` end to end; only a [`TokenId`]
//! (`ghp_…a1f3`) is ever shown, and where a token came from is a [`TokenSource`]. Precedence:
//! per-repo > vault global > `GITHUB_TOKEN` / `GH_TOKEN` > anonymous.
//!
//! Everything here is blocking (scrypt takes ~0.1 s): the TUI must call it off its UI task
//! (`tokio::task::spawn_blocking`).

use std::collections::HashMap;
use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use age::x25519;
use chrono::{DateTime, Utc};
use secrecy::zeroize::Zeroize;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::RepoKey;
use crate::store::{self, Store, StoreError};

/// scrypt work factor (N = 2^15, ~32 MiB, ~0.1 s optimised) used when wrapping the identity. Pinned
/// rather than calibrated, so a file written on a fast machine opens on a slow one and in debug
/// builds (age refuses files far above its local calibration).
pub const SCRYPT_LOG_N: u8 = 15;
/// The highest work factor accepted when unwrapping (N = 2^18, 256 MiB): room for files re-wrapped
/// by hand with `age -p`, while bounding the work a tampered file can demand.
pub const SCRYPT_MAX_LOG_N: u8 = 18;
/// The passphrase-wrapped identity, under the data dir.
pub const IDENTITY_FILE: &str = "identity.age";
/// A new identity during `rotate-identity`, before it replaces [`IDENTITY_FILE`].
pub const IDENTITY_NEXT_FILE: &str = "identity.age.next";
/// The environment variables read as tokens, in order, after the vault.
pub const ENV_TOKENS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];
/// How close an expiry must be for a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 7;

const GLOBAL_ENTRY: &str = "token/global";
const REPO_ENTRY_PREFIX: &str = "token/repo/";
const RECORD_VERSION: u8 = 1;
/// The vault entry of the webhook secret (`repodeck hook secret ...`).
const WEBHOOK_ENTRY: &str = "webhook/secret";
/// GitHub accepts any secret; repodeck asks for at least this many characters (32 random bytes
/// as hex is 64).
pub const WEBHOOK_SECRET_MIN: usize = 32;
/// The longest webhook secret accepted.
pub const WEBHOOK_SECRET_MAX: usize = 1024;

/// Everything that can go wrong in the vault. Messages say what to do next and never contain a
/// token or a passphrase.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(
        "cannot unlock the token vault ({path}): wrong passphrase. Check REPODECK_PASSPHRASE (or what you typed) and try again; nothing was changed"
    )]
    WrongPassphrase { path: PathBuf },
    #[error(
        "the token vault is locked and no passphrase is available: set REPODECK_PASSPHRASE, run in a terminal to be asked for it, or use --identity FILE / REPODECK_IDENTITY with an age identity file"
    )]
    NoPassphrase,
    #[error(
        "an empty passphrase is not allowed: choose a passphrase (REPODECK_PASSPHRASE or the prompt)"
    )]
    EmptyPassphrase,
    #[error("the passphrases did not match; nothing was changed. Run the command again")]
    PassphraseMismatch,
    #[error(
        "the vault identity {path} is damaged or truncated ({detail}); restore it from a backup, or move it away and store your tokens again with `repodeck token set`"
    )]
    IdentityDamaged { path: PathBuf, detail: String },
    #[error(
        "the vault identity {path} needs scrypt work factor {required}, above the limit {SCRYPT_MAX_LOG_N}; re-wrap it with a lower work factor"
    )]
    ExcessiveWork { path: PathBuf, required: u8 },
    #[error(
        "cannot use the identity file {path}: {detail}. Give an age identity file (from `age-keygen`) with --identity FILE or REPODECK_IDENTITY"
    )]
    IdentityFile { path: PathBuf, detail: String },
    #[error(
        "cannot write {path}: {detail}. Check that the data directory is writable; nothing was changed"
    )]
    Write { path: PathBuf, detail: String },
    #[error(
        "the stored token {entry} is damaged ({detail}); remove it with `repodeck token rm{hint}` and set it again with `repodeck token set{hint}`"
    )]
    EntryDamaged {
        entry: String,
        detail: String,
        hint: String,
    },
    #[error(
        "the stored token {entry} was encrypted to identity {recipient}, which is not the one in use; use the matching --identity / REPODECK_IDENTITY, or set the token again"
    )]
    WrongIdentity { entry: String, recipient: String },
    #[error("{0}")]
    InvalidToken(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("cannot read the token: {0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, VaultError>;

// ---------------------------------------------------------------------------------------------
// Token shape, ids

/// The kind of token a shape check recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 base62.
    Classic,
    /// `github_pat_` + 82 of `[A-Za-z0-9_]`.
    FineGrained,
    /// Accepted with `--any-format` (GitHub Enterprise, custom).
    Other,
}

const CLASSIC_PREFIXES: [&str; 5] = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
const FINE_GRAINED_PREFIX: &str = "github_pat_";

/// The one place in repodeck where a secret's characters are read: a token for its shape check,
/// [`TokenId`], trimming, encryption and the client's auth header; a passphrase or
/// identity for age. The text is lent to `f` only. `tests/architecture.rs` fails if any other code
/// calls `expose_secret`.
pub fn expose<R>(secret: &SecretString, f: impl FnOnce(&str) -> R) -> R {
    f(secret.expose_secret())
}

/// Checks a token's shape. The error names the rule, never the token.
pub fn validate_shape(token: &SecretString, any_format: bool) -> Result<TokenKind> {
    expose(token, |t| shape_of(t, any_format))
}

fn shape_of(t: &str, any_format: bool) -> Result<TokenKind> {
    if t.is_empty() {
        return Err(VaultError::InvalidToken(
            "no token was given: pipe it on stdin (`repodeck token set < FILE`) or paste it at the prompt".into(),
        ));
    }
    if let Some(rest) = CLASSIC_PREFIXES.iter().find_map(|p| t.strip_prefix(p))
        && rest.len() == 36
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Ok(TokenKind::Classic);
    }
    if let Some(rest) = t.strip_prefix(FINE_GRAINED_PREFIX)
        && rest.len() == 82
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Ok(TokenKind::FineGrained);
    }
    if any_format {
        if t.len() > 1024 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(VaultError::InvalidToken(format!(
                "the token ({} characters) contains spaces or control characters, or is longer than 1024; check what was pasted",
                t.chars().count()
            )));
        }
        return Ok(TokenKind::Other);
    }
    Err(VaultError::InvalidToken(format!(
        "this does not look like a GitHub token ({} characters): expected ghp_/gho_/ghu_/ghs_/ghr_ followed by 36 letters or digits, \
         or github_pat_ followed by 82 letters, digits or underscores. Pass --any-format for GitHub Enterprise or custom tokens; nothing was stored",
        t.chars().count()
    )))
}

/// Which token, never the token itself: the one form repodeck shows for a token everywhere
/// (`repodeck token list`, the TUI's rate panel, logs, errors), and the key per-token caches use.
///
/// Shown as the prefix (`ghp_`, `github_pat_`) and the last 4 characters, e.g. `ghp_…a1f3`, as
/// `token list` always has; short or unknown tokens show only `…` and at most those 4 (none when
/// the token is shorter than 16 or they are not plain ASCII). The key is the first 16 hex digits
/// of SHA-256(token): ETags are stored under it, so a new token never reuses another token's
/// entries, and the vault checks a decrypted token against it. Neither part can be turned back
/// into the token. Computed only here, by [`TokenId::of`].
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenId {
    /// `ghp_…a1f3`, what people see (serialized as `fingerprint`, the vault record's field).
    fingerprint: String,
    /// 16 hex digits of SHA-256(token), for keying caches (the record's `key_id`).
    key_id: String,
}

impl TokenId {
    /// The id of `token` (as given: callers trim first, see [`trimmed`]).
    pub fn of(token: &SecretString) -> Self {
        expose(token, |t| TokenId {
            fingerprint: fingerprint_of(t),
            key_id: hex::encode(&Sha256::digest(t.as_bytes())[..8]),
        })
    }

    /// The key per-token caches (ETags) are stored under; shown only by `token list --json`.
    pub fn key(&self) -> &str {
        &self.key_id
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.fingerprint)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({})", self.fingerprint)
    }
}

fn fingerprint_of(t: &str) -> String {
    let prefix = CLASSIC_PREFIXES
        .iter()
        .chain(std::iter::once(&FINE_GRAINED_PREFIX))
        .find(|p| t.starts_with(**p))
        .copied()
        .unwrap_or("");
    let n = t.chars().count();
    // Reveal at most 4 characters, never more than a quarter of an unknown token, and only plain
    // ASCII (a token from the environment is not shape-checked; this text reaches terminals).
    let tail = if n >= 16 { 4 } else { 0 };
    let last: String = t.chars().skip(n - tail).collect();
    let last = if last.bytes().all(|b| b.is_ascii_graphic()) {
        last
    } else {
        String::new()
    };
    format!("{prefix}…{last}")
}

/// Trims whitespace (a trailing newline from `echo` or a file) without leaving copies around.
pub fn trimmed(token: SecretString) -> SecretString {
    let cut = expose(&token, |t| {
        (t.trim() != t).then(|| SecretString::from(t.trim().to_string()))
    });
    cut.unwrap_or(token)
}

// ---------------------------------------------------------------------------------------------
// Where the key comes from

/// Where the passphrase comes from.
pub enum PassphraseSource {
    /// Already known (REPODECK_PASSPHRASE, a TUI dialog, tests).
    Given(SecretString),
    /// Ask on the terminal without echo (a new passphrase is asked twice).
    Prompt,
    /// None available: unlocking fails with [`VaultError::NoPassphrase`].
    Unavailable,
}

impl fmt::Debug for PassphraseSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PassphraseSource::Given(_) => f.write_str("Given([REDACTED])"),
            PassphraseSource::Prompt => f.write_str("Prompt"),
            PassphraseSource::Unavailable => f.write_str("Unavailable"),
        }
    }
}

impl PassphraseSource {
    /// REPODECK_PASSPHRASE when set, else a prompt when a terminal is attached (stderr), else none.
    pub fn from_env(var: &str) -> Self {
        match std::env::var(var) {
            Ok(p) => PassphraseSource::Given(SecretString::from(p)),
            Err(_) if std::io::stderr().is_terminal() => PassphraseSource::Prompt,
            Err(_) => PassphraseSource::Unavailable,
        }
    }

    /// The passphrase of an existing identity.
    fn current(&self) -> Result<SecretString> {
        match self {
            PassphraseSource::Given(p) => non_empty(p.clone()),
            PassphraseSource::Prompt => non_empty(prompt("repodeck vault passphrase: ")?),
            PassphraseSource::Unavailable => Err(VaultError::NoPassphrase),
        }
    }

    /// A passphrase being chosen: asked twice on a terminal.
    fn new_one(&self, what: &str) -> Result<SecretString> {
        match self {
            PassphraseSource::Given(p) => non_empty(p.clone()),
            PassphraseSource::Prompt => {
                let first = non_empty(prompt(&format!("{what}: "))?)?;
                let again = prompt("Repeat it: ")?;
                if expose(&first, |a| expose(&again, |b| a != b)) {
                    return Err(VaultError::PassphraseMismatch);
                }
                Ok(first)
            }
            PassphraseSource::Unavailable => Err(VaultError::NoPassphrase),
        }
    }
}

fn non_empty(p: SecretString) -> Result<SecretString> {
    if expose(&p, str::is_empty) {
        Err(VaultError::EmptyPassphrase)
    } else {
        Ok(p)
    }
}

fn prompt(text: &str) -> Result<SecretString> {
    rpassword::prompt_password(text)
        .map(SecretString::from)
        .map_err(|e| VaultError::Input(format!("{e}; set REPODECK_PASSPHRASE instead")))
}

/// How the vault's identity is obtained.
#[derive(Debug)]
pub enum KeySource {
    /// An age identity file (`--identity` / `REPODECK_IDENTITY`): no passphrase.
    IdentityFile(PathBuf),
    /// repodeck's own identity in `<data_dir>/identity.age`, wrapped with a passphrase.
    Passphrase(PassphraseSource),
}

impl KeySource {
    /// `--identity` when given, else the passphrase from REPODECK_PASSPHRASE or a prompt.
    pub fn from_env(identity: Option<PathBuf>) -> Self {
        match identity {
            Some(path) => KeySource::IdentityFile(path),
            None => KeySource::Passphrase(PassphraseSource::from_env("REPODECK_PASSPHRASE")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stored records

/// Which token: the global one or one repo's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenScope {
    Global,
    Repo(RepoKey),
}

impl TokenScope {
    fn entry(&self) -> String {
        match self {
            TokenScope::Global => GLOBAL_ENTRY.to_string(),
            TokenScope::Repo(k) => format!("{REPO_ENTRY_PREFIX}{}", k.lower()),
        }
    }
    /// ` --repo OWNER/NAME` for a repo token, empty for the global one (for messages).
    pub fn cli_hint(&self) -> String {
        match self {
            TokenScope::Global => String::new(),
            TokenScope::Repo(k) => format!(" --repo {k}"),
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenScope::Global => f.write_str("global"),
            TokenScope::Repo(k) => write!(f, "{k}"),
        }
    }
}

/// Non-secret facts about a stored token, readable without unlocking the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenMeta {
    /// Stored as the record's `fingerprint` and `key_id` fields.
    #[serde(flatten)]
    pub id: TokenId,
    pub kind: TokenKind,
    /// The repo as the user spelled it (for per-repo tokens).
    pub repo: Option<String>,
    pub login: Option<String>,
    /// From `X-OAuth-Scopes` (classic tokens); `None` when unknown or not reported.
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub added_at: DateTime<Utc>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// One vault entry as stored: metadata in the clear, the token age-encrypted (armored).
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    v: u8,
    /// The age recipient (`age1…`) the token is encrypted to.
    recipient: String,
    meta: TokenMeta,
    ciphertext: String,
}

/// A stored token as listed (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredToken {
    pub scope: TokenScope,
    pub recipient: String,
    pub meta: TokenMeta,
}

fn parse_scope(entry: &str, meta: &TokenMeta) -> Option<TokenScope> {
    if entry == GLOBAL_ENTRY {
        return Some(TokenScope::Global);
    }
    let lower = entry.strip_prefix(REPO_ENTRY_PREFIX)?;
    let spelled = meta
        .repo
        .as_deref()
        .filter(|r| r.eq_ignore_ascii_case(lower))
        .unwrap_or(lower);
    RepoKey::parse(spelled).ok().map(TokenScope::Repo)
}

fn damaged(entry: &str, detail: impl Into<String>) -> VaultError {
    let hint = entry
        .strip_prefix(REPO_ENTRY_PREFIX)
        .map(|r| format!(" --repo {r}"))
        .unwrap_or_default();
    VaultError::EntryDamaged {
        entry: entry.to_string(),
        detail: detail.into(),
        hint,
    }
}

fn read_record(entry: &str, bytes: &[u8]) -> Result<Record> {
    let record: Record = serde_json::from_slice(bytes)
        .map_err(|e| damaged(entry, format!("unreadable record: {e}")))?;
    if record.v != RECORD_VERSION {
        return Err(damaged(
            entry,
            format!("record version {} is unknown; upgrade repodeck", record.v),
        ));
    }
    Ok(record)
}

fn write_record(record: &Record) -> Vec<u8> {
    // Serialising our own plain struct cannot fail.
    serde_json::to_vec(record).unwrap_or_default()
}

/// Every stored token, without unlocking (metadata only), global first then by repo.
pub fn list_tokens(store: &Store) -> Result<Vec<StoredToken>> {
    let mut out = Vec::new();
    for (entry, bytes) in store.vault_list()? {
        if !entry.starts_with("token/") {
            continue;
        }
        let record = read_record(&entry, &bytes)?;
        let scope = parse_scope(&entry, &record.meta)
            .ok_or_else(|| damaged(&entry, "unknown entry name"))?;
        out.push(StoredToken {
            scope,
            recipient: record.recipient,
            meta: record.meta,
        });
    }
    out.sort_by(|a, b| match (&a.scope, &b.scope) {
        (TokenScope::Global, TokenScope::Global) => std::cmp::Ordering::Equal,
        (TokenScope::Global, _) => std::cmp::Ordering::Less,
        (_, TokenScope::Global) => std::cmp::Ordering::Greater,
        (TokenScope::Repo(x), TokenScope::Repo(y)) => x.cmp(y),
    });
    Ok(out)
}

/// Removes a stored token; false when there was none. Needs no unlocking.
pub fn remove_token(store: &Store, scope: &TokenScope) -> Result<bool> {
    let entry = scope.entry();
    if store.vault_get(&entry)?.is_none() {
        return Ok(false);
    }
    store.vault_apply(vec![(entry, None)])?;
    Ok(true)
}

/// Updates the non-secret metadata of stored tokens (after a live check) in one batch.
pub fn update_meta(store: &Store, updates: Vec<(TokenScope, TokenMeta)>) -> Result<()> {
    let mut changes = Vec::new();
    for (scope, meta) in updates {
        let entry = scope.entry();
        let Some(bytes) = store.vault_get(&entry)? else {
            continue;
        };
        let mut record = read_record(&entry, &bytes)?;
        if record.meta.id != meta.id {
            // The token changed meanwhile: keep the newer record.
            continue;
        }
        record.meta = meta;
        changes.push((entry, Some(write_record(&record))));
    }
    if !changes.is_empty() {
        store.vault_apply(changes)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The unlocked vault

enum Mode {
    Passphrase {
        passphrase: SecretString,
        path: PathBuf,
    },
    File {
        path: PathBuf,
    },
}

/// An unlocked vault: the x25519 identity (and any older ones it can still decrypt with).
pub struct TokenVault {
    mode: Mode,
    identity: x25519::Identity,
    recipient: String,
    /// Extra identities (more lines of an identity file) tried when decrypting.
    others: Vec<x25519::Identity>,
}

impl fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Passphrase { path, .. } => format!("passphrase-wrapped {}", path.display()),
            Mode::File { path } => format!("identity file {}", path.display()),
        };
        f.debug_struct("TokenVault")
            .field("mode", &mode)
            .field("recipient", &self.recipient)
            .field("identity", &"[REDACTED]")
            .finish()
    }
}

/// Steps of `rotate-identity`, for crash simulation in tests.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateStep {
    /// The new identity is written beside the old one; tokens not yet re-encrypted.
    NextWritten,
    /// Tokens re-encrypted to the new identity in one batch; the old identity file still in place.
    Reencrypted,
}

fn parse_identities(text: &str, path: &Path) -> Result<Vec<x25519::Identity>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line.parse::<x25519::Identity>() {
            Ok(id) => out.push(id),
            Err(_) => {
                return Err(VaultError::IdentityFile {
                    path: path.to_path_buf(),
                    detail: format!(
                        "line {} is not an age X25519 identity (AGE-SECRET-KEY-1…)",
                        n + 1
                    ),
                });
            }
        }
    }
    if out.is_empty() {
        return Err(VaultError::IdentityFile {
            path: path.to_path_buf(),
            detail: "it holds no identity".into(),
        });
    }
    Ok(out)
}

fn recipient_of(id: &x25519::Identity) -> String {
    id.to_public().to_string()
}

/// Wraps an identity with a passphrase: armored age, scrypt at [`SCRYPT_LOG_N`].
fn wrap_identity(identity: &x25519::Identity, passphrase: &SecretString) -> Result<Vec<u8>> {
    let mut text = format!(
        "# repodeck token vault identity, created {}\n# public key: {}\n{}\n",
        Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        recipient_of(identity),
        expose(&identity.to_string(), str::to_string)
    );
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(SCRYPT_LOG_N);
    let wrapped = age::encrypt_and_armor(&recipient, text.as_bytes());
    text.zeroize();
    wrapped
        .map(String::into_bytes)
        .map_err(|e| VaultError::Write {
            path: PathBuf::from(IDENTITY_FILE),
            detail: e.to_string(),
        })
}

fn unwrap_identity(path: &Path, passphrase: &SecretString) -> Result<x25519::Identity> {
    let bytes = std::fs::read(path).map_err(|e| VaultError::IdentityDamaged {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(SCRYPT_MAX_LOG_N);
    let mut plain = match age::decrypt(&identity, &bytes) {
        Ok(p) => p,
        Err(age::DecryptError::DecryptionFailed) | Err(age::DecryptError::KeyDecryptionFailed) => {
            return Err(VaultError::WrongPassphrase {
                path: path.to_path_buf(),
            });
        }
        Err(age::DecryptError::ExcessiveWork { required, .. }) => {
            return Err(VaultError::ExcessiveWork {
                path: path.to_path_buf(),
                required,
            });
        }
        Err(e) => {
            return Err(VaultError::IdentityDamaged {
                path: path.to_path_buf(),
                detail: e.to_string(),
            });
        }
    };
    let text = std::str::from_utf8(&plain)
        .map_err(|_| VaultError::IdentityDamaged {
            path: path.to_path_buf(),
            detail: "not text".into(),
        })
        .and_then(|t| {
            parse_identities(t, path).map_err(|_| VaultError::IdentityDamaged {
                path: path.to_path_buf(),
                detail: "no identity inside".into(),
            })
        });
    plain.zeroize();
    let mut ids = text?;
    Ok(ids.remove(0))
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| VaultError::Write {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    }
    store::write_atomic(path, bytes).map_err(|e| VaultError::Write {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

impl TokenVault {
    /// Unlocks the vault. With `create`, a missing passphrase identity is generated (the passphrase is
    /// asked twice on a terminal); without, a missing one gives `Ok(None)` (no vault yet).
    /// An interrupted `rotate-identity` is finished or rolled back here.
    pub fn open(store: &Store, keys: &KeySource, create: bool) -> Result<Option<TokenVault>> {
        match keys {
            KeySource::IdentityFile(path) => Self::open_file(path).map(Some),
            KeySource::Passphrase(source) => {
                let path = store.dir().join(IDENTITY_FILE);
                let next = store.dir().join(IDENTITY_NEXT_FILE);
                if !path.exists() {
                    if next.exists() {
                        // Only a rotation writes .next, and it never removes identity.age (the
                        // rename replaces it); if the user moved it away, .next is what is left.
                        let passphrase = source.current()?;
                        let identity = unwrap_identity(&next, &passphrase)?;
                        std::fs::rename(&next, &path).map_err(|e| VaultError::Write {
                            path: path.clone(),
                            detail: e.to_string(),
                        })?;
                        return Ok(Some(Self::passphrase_mode(identity, passphrase, path)));
                    }
                    if !create {
                        return Ok(None);
                    }
                    let passphrase =
                        source.new_one("Choose a passphrase for the repodeck token vault")?;
                    let identity = x25519::Identity::generate();
                    write_file(&path, &wrap_identity(&identity, &passphrase)?)?;
                    tracing::info!(recipient = %recipient_of(&identity), "created the token vault identity");
                    return Ok(Some(Self::passphrase_mode(identity, passphrase, path)));
                }
                let passphrase = source.current()?;
                let identity = unwrap_identity(&path, &passphrase)?;
                let mut vault = Self::passphrase_mode(identity, passphrase, path.clone());
                if next.exists() {
                    vault.recover_rotation(store, &next)?;
                }
                Ok(Some(vault))
            }
        }
    }

    fn passphrase_mode(
        identity: x25519::Identity,
        passphrase: SecretString,
        path: PathBuf,
    ) -> Self {
        let recipient = recipient_of(&identity);
        TokenVault {
            mode: Mode::Passphrase { passphrase, path },
            identity,
            recipient,
            others: Vec::new(),
        }
    }

    fn open_file(path: &Path) -> Result<TokenVault> {
        let mut text = std::fs::read_to_string(path).map_err(|e| VaultError::IdentityFile {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----")
            || text.starts_with("age-encryption.org/")
        {
            text.zeroize();
            return Err(VaultError::IdentityFile {
                path: path.to_path_buf(),
                detail: "it is encrypted; give a plain identity file (for a passphrase, leave out --identity and use REPODECK_PASSPHRASE)".into(),
            });
        }
        let parsed = parse_identities(&text, path);
        text.zeroize();
        let mut ids = parsed?;
        let identity = ids.remove(0);
        let recipient = recipient_of(&identity);
        Ok(TokenVault {
            mode: Mode::File {
                path: path.to_path_buf(),
            },
            identity,
            recipient,
            others: ids,
        })
    }

    /// The `age1…` recipient tokens are encrypted to.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// True when the identity is repodeck's own passphrase-wrapped one.
    pub fn uses_passphrase(&self) -> bool {
        matches!(self.mode, Mode::Passphrase { .. })
    }

    fn encrypt(&self, token: &SecretString) -> Result<String> {
        expose(token, |t| {
            age::encrypt_and_armor(&self.identity.to_public(), t.as_bytes())
        })
        .map_err(|e| VaultError::Write {
            path: PathBuf::from("the store"),
            detail: e.to_string(),
        })
    }

    /// Decrypts one armored ciphertext as text. `Err(Ok(e))` is a vault error as is, `Err(Err(d))`
    /// the detail of damage for the caller's own message.
    fn decrypt_text(
        &self,
        entry: &str,
        recipient: &str,
        ciphertext: &str,
    ) -> std::result::Result<SecretString, std::result::Result<VaultError, String>> {
        let id = std::iter::once(&self.identity)
            .chain(self.others.iter())
            .find(|id| recipient_of(id) == recipient)
            .ok_or_else(|| {
                Ok(VaultError::WrongIdentity {
                    entry: entry.to_string(),
                    recipient: recipient.to_string(),
                })
            })?;
        let plain = age::decrypt(id, ciphertext.as_bytes()).map_err(|e| Err(e.to_string()))?;
        match String::from_utf8(plain) {
            Ok(t) => Ok(SecretString::from(t)),
            Err(e) => {
                e.into_bytes().zeroize();
                Err(Err("the decrypted value is not text".into()))
            }
        }
    }

    fn decrypt_record(&self, entry: &str, record: &Record) -> Result<SecretString> {
        let token = self
            .decrypt_text(entry, &record.recipient, &record.ciphertext)
            .map_err(|e| e.unwrap_or_else(|detail| damaged(entry, detail)))?;
        if TokenId::of(&token).key() != record.meta.id.key() {
            return Err(damaged(entry, "it does not match its recorded fingerprint"));
        }
        Ok(token)
    }

    /// Encrypts and stores a token (replacing any previous one for the same scope).
    pub fn set(
        &self,
        store: &Store,
        scope: &TokenScope,
        token: &SecretString,
        meta: TokenMeta,
    ) -> Result<()> {
        let record = Record {
            v: RECORD_VERSION,
            recipient: self.recipient.clone(),
            meta,
            ciphertext: self.encrypt(token)?,
        };
        store.vault_apply(vec![(scope.entry(), Some(write_record(&record)))])?;
        Ok(())
    }

    /// Decrypts one stored token.
    pub fn get(&self, store: &Store, scope: &TokenScope) -> Result<Option<SecretString>> {
        let entry = scope.entry();
        let Some(bytes) = store.vault_get(&entry)? else {
            return Ok(None);
        };
        let record = read_record(&entry, &bytes)?;
        self.decrypt_record(&entry, &record).map(Some)
    }

    /// Decrypts every stored token.
    pub fn decrypt_all(&self, store: &Store) -> Result<Vec<(StoredToken, SecretString)>> {
        let mut out = Vec::new();
        for stored in list_tokens(store)? {
            let entry = stored.scope.entry();
            let Some(bytes) = store.vault_get(&entry)? else {
                continue;
            };
            let record = read_record(&entry, &bytes)?;
            let token = self.decrypt_record(&entry, &record)?;
            out.push((stored, token));
        }
        Ok(out)
    }

    /// Re-wraps the identity with a new passphrase (one atomic file write).
    pub fn rotate_passphrase(&mut self, new: &PassphraseSource) -> Result<()> {
        let Mode::Passphrase { path, .. } = &self.mode else {
            return Err(VaultError::Unsupported(
                "the vault uses an identity file (--identity / REPODECK_IDENTITY), which has no repodeck passphrase; protect that file yourself".into(),
            ));
        };
        let path = path.clone();
        let passphrase = new.new_one("New passphrase for the repodeck token vault")?;
        write_file(&path, &wrap_identity(&self.identity, &passphrase)?)?;
        self.mode = Mode::Passphrase { passphrase, path };
        Ok(())
    }

    /// Replaces the identity with a new one and re-encrypts every token to it. Crash-safe at every
    /// step: (1) the new identity is written to `identity.age.next`; (2) all tokens are re-encrypted
    /// in one store batch, each recording its recipient; (3) `.next` is renamed over
    /// `identity.age`. Opening the vault finishes (after 2) or rolls back (before 2) a rotation.
    pub fn rotate_identity(&mut self, store: &Store) -> Result<usize> {
        self.rotate_identity_until(store, None)
    }

    #[doc(hidden)]
    pub fn rotate_identity_until(
        &mut self,
        store: &Store,
        stop_after: Option<RotateStep>,
    ) -> Result<usize> {
        let Mode::Passphrase { passphrase, path } = &self.mode else {
            return Err(VaultError::Unsupported(
                "the vault uses an identity file (--identity / REPODECK_IDENTITY): make a new one with `age-keygen`, then set your tokens again with it"
                    .into(),
            ));
        };
        let (passphrase, path) = (passphrase.clone(), path.clone());
        let next_path = path.with_file_name(IDENTITY_NEXT_FILE);
        // Decrypt everything first: a damaged entry stops the rotation before anything changes.
        let tokens = self.decrypt_all(store)?;
        let webhook = self.webhook_secret(store)?;
        let new_identity = x25519::Identity::generate();
        write_file(&next_path, &wrap_identity(&new_identity, &passphrase)?)?;
        if stop_after == Some(RotateStep::NextWritten) {
            return Ok(0);
        }
        let new_vault = TokenVault {
            mode: Mode::Passphrase {
                passphrase: passphrase.clone(),
                path: path.clone(),
            },
            recipient: recipient_of(&new_identity),
            identity: new_identity,
            others: Vec::new(),
        };
        let mut changes = Vec::new();
        for (stored, token) in &tokens {
            let record = Record {
                v: RECORD_VERSION,
                recipient: new_vault.recipient.clone(),
                meta: stored.meta.clone(),
                ciphertext: new_vault.encrypt(token)?,
            };
            changes.push((stored.scope.entry(), Some(write_record(&record))));
        }
        let n = changes.len();
        if let Some(secret) = &webhook {
            changes.push((
                WEBHOOK_ENTRY.to_string(),
                Some(new_vault.webhook_record(secret)?),
            ));
        }
        if !changes.is_empty() {
            store.vault_apply(changes)?;
        }
        if stop_after == Some(RotateStep::Reencrypted) {
            return Ok(n);
        }
        std::fs::rename(&next_path, &path).map_err(|e| VaultError::Write {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        *self = new_vault;
        tracing::info!(recipient = %self.recipient, tokens = n, "rotated the token vault identity");
        Ok(n)
    }

    /// Finishes or rolls back an interrupted rotation, given `.next` exists.
    fn recover_rotation(&mut self, store: &Store, next_path: &Path) -> Result<()> {
        let Mode::Passphrase { passphrase, path } = &self.mode else {
            return Ok(());
        };
        let (passphrase, path) = (passphrase.clone(), path.clone());
        let next = match unwrap_identity(next_path, &passphrase) {
            Ok(id) => id,
            Err(e) => {
                // A .next that cannot be opened never had tokens committed to it unless it was
                // damaged afterwards; keep it for inspection and carry on with the current one.
                tracing::warn!(error = %e, "an unfinished identity rotation left an unreadable file; ignoring it");
                return Ok(());
            }
        };
        let next_recipient = recipient_of(&next);
        let committed = list_tokens(store)?
            .iter()
            .any(|t| t.recipient == next_recipient)
            || webhook_secret_info(store)?.is_some_and(|w| w.recipient == next_recipient);
        if committed {
            std::fs::rename(next_path, &path).map_err(|e| VaultError::Write {
                path: path.clone(),
                detail: e.to_string(),
            })?;
            tracing::warn!("finished an interrupted identity rotation");
            let old = std::mem::replace(&mut self.identity, next);
            self.recipient = next_recipient;
            self.others.push(old);
        } else {
            std::fs::remove_file(next_path).map_err(|e| VaultError::Write {
                path: next_path.to_path_buf(),
                detail: e.to_string(),
            })?;
            tracing::warn!("rolled back an interrupted identity rotation");
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The webhook secret: one age-encrypted entry beside the tokens

/// The stored webhook secret as the store holds it: facts in the clear, the secret encrypted.
#[derive(Debug, Serialize, Deserialize)]
struct WebhookRecord {
    v: u8,
    recipient: String,
    /// First 8 hex digits of the secret's SHA-256: tells two secrets apart, reveals nothing.
    fingerprint: String,
    length: usize,
    added_at: DateTime<Utc>,
    ciphertext: String,
}

/// What is known about the stored webhook secret without unlocking the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecretInfo {
    pub fingerprint: String,
    pub length: usize,
    pub added_at: DateTime<Utc>,
    pub recipient: String,
}

/// Checks a webhook secret before it is stored: long enough to resist guessing, printable, one
/// line (GitHub's settings page takes it as typed).
pub fn validate_webhook_secret(secret: &SecretString) -> Result<()> {
    expose(secret, |s| {
        let n = s.chars().count();
        if n < WEBHOOK_SECRET_MIN {
            return Err(VaultError::InvalidToken(format!(
                "the webhook secret has {n} characters; use at least {WEBHOOK_SECRET_MIN} (`repodeck hook secret generate` makes one). Nothing was changed"
            )));
        }
        if n > WEBHOOK_SECRET_MAX {
            return Err(VaultError::InvalidToken(format!(
                "the webhook secret has {n} characters; at most {WEBHOOK_SECRET_MAX} are accepted. Nothing was changed"
            )));
        }
        if s.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(VaultError::InvalidToken(
                "the webhook secret contains spaces or control characters; use printable characters only. Nothing was changed".into(),
            ));
        }
        Ok(())
    })
}

/// A new random webhook secret: 32 bytes from the OS generator, as 64 hex digits.
pub fn generate_webhook_secret() -> SecretString {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let secret = SecretString::from(hex::encode(bytes));
    bytes.zeroize();
    secret
}

fn webhook_fingerprint(secret: &SecretString) -> String {
    expose(secret, |s| {
        let digest = Sha256::digest(s.as_bytes());
        hex::encode(&digest[..4])
    })
}

/// The stored webhook secret's facts, without unlocking; `None` when there is none.
pub fn webhook_secret_info(store: &Store) -> Result<Option<WebhookSecretInfo>> {
    let Some(bytes) = store.vault_get(WEBHOOK_ENTRY)? else {
        return Ok(None);
    };
    let record = read_webhook_record(&bytes)?;
    Ok(Some(WebhookSecretInfo {
        fingerprint: record.fingerprint,
        length: record.length,
        added_at: record.added_at,
        recipient: record.recipient,
    }))
}

fn webhook_damaged(detail: String) -> VaultError {
    VaultError::Unsupported(format!(
        "the stored webhook secret is damaged ({detail}); make a new one with `repodeck hook secret generate --replace` and update your GitHub hooks"
    ))
}

fn read_webhook_record(bytes: &[u8]) -> Result<WebhookRecord> {
    let record: WebhookRecord =
        serde_json::from_slice(bytes).map_err(|e| webhook_damaged(e.to_string()))?;
    if record.v != RECORD_VERSION {
        return Err(webhook_damaged(format!(
            "record version {} is unknown",
            record.v
        )));
    }
    Ok(record)
}

impl TokenVault {
    fn webhook_record(&self, secret: &SecretString) -> Result<Vec<u8>> {
        let record = WebhookRecord {
            v: RECORD_VERSION,
            recipient: self.recipient.clone(),
            fingerprint: webhook_fingerprint(secret),
            length: expose(secret, |s| s.chars().count()),
            added_at: Utc::now(),
            ciphertext: self.encrypt(secret)?,
        };
        Ok(serde_json::to_vec(&record).unwrap_or_default())
    }

    /// Validates, encrypts and stores the webhook secret (replacing any previous one).
    pub fn set_webhook_secret(&self, store: &Store, secret: &SecretString) -> Result<()> {
        validate_webhook_secret(secret)?;
        let record = self.webhook_record(secret)?;
        store.vault_apply(vec![(WEBHOOK_ENTRY.to_string(), Some(record))])?;
        Ok(())
    }

    /// Decrypts the webhook secret; `None` when none is stored.
    pub fn webhook_secret(&self, store: &Store) -> Result<Option<SecretString>> {
        let Some(bytes) = store.vault_get(WEBHOOK_ENTRY)? else {
            return Ok(None);
        };
        let record = read_webhook_record(&bytes)?;
        let secret = self
            .decrypt_text(WEBHOOK_ENTRY, &record.recipient, &record.ciphertext)
            .map_err(|e| e.unwrap_or_else(webhook_damaged))?;
        if webhook_fingerprint(&secret) != record.fingerprint {
            return Err(webhook_damaged(
                "it does not match its recorded fingerprint".into(),
            ));
        }
        Ok(Some(secret))
    }
}

// ---------------------------------------------------------------------------------------------
// Resolution: which token a request uses

/// Where a resolved token came from; clients carry it so a rejection can say which token to
/// replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// The vault's token for one repo.
    Repo(RepoKey),
    /// The vault's global token.
    Global,
    /// `GITHUB_TOKEN` or `GH_TOKEN`.
    Env(&'static str),
}

impl TokenSource {
    /// The token in words, for messages: "the vault's global token", "the vault's token for
    /// OWNER/NAME", "the token in GITHUB_TOKEN".
    pub fn describe(&self) -> String {
        match self {
            TokenSource::Repo(k) => format!("the vault's token for {k}"),
            TokenSource::Global => "the vault's global token".into(),
            TokenSource::Env(v) => format!("the token in {v}"),
        }
    }

    /// The command that replaces this token. A vault token beats the environment's, so
    /// `repodeck token set` also replaces a rejected `GITHUB_TOKEN` / `GH_TOKEN`.
    pub fn set_command(&self) -> String {
        match self {
            TokenSource::Repo(k) => format!("repodeck token set --repo {k}"),
            TokenSource::Global | TokenSource::Env(_) => "repodeck token set".into(),
        }
    }
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Repo(k) => write!(f, "vault ({k})"),
            TokenSource::Global => f.write_str("vault (global)"),
            TokenSource::Env(v) => write!(f, "${v}"),
        }
    }
}

/// A token ready for use, with where it came from and its id. Debug shows no secret.
#[derive(Clone)]
pub struct ResolvedToken {
    pub secret: SecretString,
    pub source: TokenSource,
    pub id: TokenId,
}

impl ResolvedToken {
    pub fn new(secret: SecretString, source: TokenSource) -> Self {
        let id = TokenId::of(&secret);
        ResolvedToken { secret, source, id }
    }
}

impl fmt::Debug for ResolvedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResolvedToken")
            .field("secret", &"[REDACTED]")
            .field("source", &self.source)
            .field("id", &self.id)
            .finish()
    }
}

/// Every token available, decrypted once, for resolving many repos.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    global: Option<ResolvedToken>,
    repos: HashMap<String, ResolvedToken>,
    env: Option<ResolvedToken>,
}

impl Tokens {
    /// Loads the vault's tokens (unlocking only when it holds any) and the environment token,
    /// read through `env` (`std::env::var` in production).
    pub fn load(
        store: &Store,
        keys: &KeySource,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Tokens> {
        let mut tokens = Tokens::default();
        for name in ENV_TOKENS {
            if let Some(v) = env(name) {
                let secret = trimmed(SecretString::from(v));
                if !expose(&secret, str::is_empty) {
                    tokens.env = Some(ResolvedToken::new(secret, TokenSource::Env(name)));
                    break;
                }
            }
        }
        if list_tokens(store)?.is_empty() {
            return Ok(tokens);
        }
        let Some(vault) = TokenVault::open(store, keys, false)? else {
            return Err(VaultError::IdentityDamaged {
                path: store.dir().join(IDENTITY_FILE),
                detail: "tokens are stored but the identity file is missing".into(),
            });
        };
        for (stored, secret) in vault.decrypt_all(store)? {
            match &stored.scope {
                TokenScope::Global => {
                    tokens.global = Some(ResolvedToken::new(secret, TokenSource::Global))
                }
                TokenScope::Repo(k) => {
                    tokens.repos.insert(
                        k.lower(),
                        ResolvedToken::new(secret, TokenSource::Repo(k.clone())),
                    );
                }
            }
        }
        Ok(tokens)
    }

    /// The token for `repo` (or for requests not tied to one repo): per-repo > vault global >
    /// GITHUB_TOKEN / GH_TOKEN > anonymous (`None`).
    pub fn for_repo(&self, repo: Option<&RepoKey>) -> Option<&ResolvedToken> {
        repo.and_then(|k| self.repos.get(&k.lower()))
            .or(self.global.as_ref())
            .or(self.env.as_ref())
    }

    /// Distinct tokens in use by any repo (per-repo ones plus the default), e.g. to build one
    /// client per token.
    pub fn per_repo(&self) -> impl Iterator<Item = (&str, &ResolvedToken)> {
        self.repos.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// The token for one repo (or `None` for general requests), from the vault and the process
/// environment. See [`Tokens::load`] to resolve many repos with one unlock.
pub fn resolve_token(
    store: &Store,
    keys: &KeySource,
    repo: Option<&RepoKey>,
) -> Result<Option<ResolvedToken>> {
    let tokens = Tokens::load(store, keys, &|name| std::env::var(name).ok())?;
    Ok(tokens.for_repo(repo).cloned())
}

// ---------------------------------------------------------------------------------------------
// Live check (implemented over the GitHub client by the caller)

/// What `GET /user` said about a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveInfo {
    pub login: String,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The outcome of a live check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveCheck {
    Valid(LiveInfo),
    /// 401: wrong, expired or revoked.
    Rejected,
    /// The server could not be asked (network, 5xx, rate limit...): the detail says why.
    Unreachable(String),
}

/// Checks a token against the server; `main.rs` implements it over the GitHub client.
pub trait TokenChecker {
    fn check(&self, token: &SecretString) -> LiveCheck;
}

/// Classic scopes a read-only use never needs more than. `repo` is broad but the only classic
/// scope that reads private repositories.
const READ_ONLY_OK: [&str; 5] = [
    "repo",
    "public_repo",
    "repo:status",
    "notifications",
    "user:email",
];

/// Warnings worth showing about a checked token: broad scopes, near or past expiry.
pub fn warnings(info: &LiveInfo, now: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(scopes) = &info.scopes {
        let broad: Vec<&str> = scopes
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && !s.starts_with("read:") && !READ_ONLY_OK.contains(s))
            .collect();
        if !broad.is_empty() {
            out.push(format!(
                "the token has scopes a read-only dashboard does not need ({}); consider a token with fewer scopes, or a fine-grained read-only token",
                broad.join(", ")
            ));
        }
    }
    if let Some(at) = info.expires_at {
        let left = at - now;
        if left <= chrono::Duration::zero() {
            out.push(format!(
                "the token expired at {}; create a new one and run `repodeck token set`",
                at.to_rfc3339()
            ));
        } else if left < chrono::Duration::days(EXPIRY_WARNING_DAYS) {
            out.push(format!(
                "the token expires in {} ({}); create a new one soon and run `repodeck token set`",
                human_duration(left),
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
    }
    out
}

fn human_duration(d: chrono::Duration) -> String {
    if d.num_days() >= 1 {
        format!("{} day(s)", d.num_days())
    } else if d.num_hours() >= 1 {
        format!("{} hour(s)", d.num_hours())
    } else {
        format!("{} minute(s)", d.num_minutes().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLASSIC: &str = "ghp_0123456789abcdefghijABCDEFGHIJ01a1f3";

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }
    fn pass(p: &str) -> KeySource {
        KeySource::Passphrase(PassphraseSource::Given(secret(p)))
    }
    fn repo(s: &str) -> RepoKey {
        RepoKey::parse(s).unwrap()
    }
    fn meta(token: &SecretString) -> TokenMeta {
        TokenMeta {
            id: TokenId::of(token),
            kind: TokenKind::Classic,
            repo: None,
            login: Some("octocat".into()),
            scopes: Some(vec!["repo".into()]),
            expires_at: None,
            added_at: Utc::now(),
            checked_at: None,
        }
    }
    fn token(n: u8) -> SecretString {
        secret(&format!("ghp_{}", (n as char).to_string().repeat(36)))
    }
    fn no_env(_: &str) -> Option<String> {
        None
    }
    /// Every file under `dir`, as (path, bytes).
    fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        out
    }
    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }
    fn leak_forms(t: &str) -> Vec<Vec<u8>> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        vec![
            t.as_bytes().to_vec(),
            b64.encode(t).into_bytes(),
            b64url.encode(t).into_bytes(),
            hex::encode(t).into_bytes(),
            hex::encode_upper(t).into_bytes(),
            // The 36-character body alone, in case a prefix was stripped somewhere.
            t.as_bytes()[4..].to_vec(),
        ]
    }

    #[test]
    fn validation_table() {
        let body36 = "a".repeat(36);
        let body82 = "A1_".repeat(27) + "z";
        let cases: Vec<(String, bool, Option<TokenKind>)> = vec![
            (format!("ghp_{body36}"), false, Some(TokenKind::Classic)),
            (format!("gho_{body36}"), false, Some(TokenKind::Classic)),
            (format!("ghu_{body36}"), false, Some(TokenKind::Classic)),
            (format!("ghs_{body36}"), false, Some(TokenKind::Classic)),
            (format!("ghr_{body36}"), false, Some(TokenKind::Classic)),
            (CLASSIC.to_string(), false, Some(TokenKind::Classic)),
            (
                format!("github_pat_{body82}"),
                false,
                Some(TokenKind::FineGrained),
            ),
            // wrong lengths
            (format!("ghp_{}", "a".repeat(35)), false, None),
            (format!("ghp_{}", "a".repeat(37)), false, None),
            (format!("github_pat_{}", "a".repeat(81)), false, None),
            (format!("github_pat_{}", "a".repeat(83)), false, None),
            // wrong alphabet
            (format!("ghp_{}-", "a".repeat(35)), false, None),
            (format!("ghp_{}_", "a".repeat(35)), false, None),
            (format!("github_pat_{}-", "a".repeat(81)), false, None),
            // unknown prefixes
            (format!("ghx_{body36}"), false, None),
            (format!("GHP_{body36}"), false, None),
            ("not-a-token".into(), false, None),
            ("".into(), false, None),
            ("".into(), true, None),
            // --any-format
            ("enterprise-token-123".into(), true, Some(TokenKind::Other)),
            (format!("ghp_{body36}"), true, Some(TokenKind::Classic)),
            ("has space".into(), true, None),
            ("tab\there".into(), true, None),
            ("x".repeat(1025), true, None),
        ];
        for (input, any, want) in cases {
            let got = validate_shape(&secret(&input), any);
            match want {
                Some(kind) => assert_eq!(got.ok(), Some(kind), "{input:?} any_format={any}"),
                None => {
                    let e = got.expect_err(&input).to_string();
                    assert!(
                        input.is_empty() || !e.contains(&input),
                        "error echoes the input: {e}"
                    );
                }
            }
        }
        let e = validate_shape(&secret("not-a-token"), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--any-format") && e.contains("ghp_"), "{e}");
    }

    #[test]
    fn fingerprints_reveal_only_prefix_and_last_four() {
        let shown = |t: &str| TokenId::of(&secret(t)).to_string();
        assert_eq!(shown(CLASSIC), "ghp_…a1f3");
        let fg = format!("github_pat_{}wxyz", "b".repeat(78));
        assert_eq!(shown(&fg), "github_pat_…wxyz");
        assert_eq!(shown("short"), "…");
        // A token from the environment is not shape-checked: no escape reaches a terminal.
        assert_eq!(shown("0123456789abcdef\u{1b}[2J"), "…");
        let key_id = |t: &SecretString| TokenId::of(t).key().to_string();
        let id = key_id(&secret(CLASSIC));
        assert_eq!(id.len(), 16);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(id, key_id(&secret(CLASSIC)));
        assert_ne!(id, key_id(&token(b'b')));
        assert!(!CLASSIC.contains(&id));
        assert_eq!(
            format!("{:?}", TokenId::of(&secret(CLASSIC))),
            "TokenId(ghp_…a1f3)"
        );
    }

    #[test]
    fn token_meta_keeps_the_record_fields() {
        let t = secret(CLASSIC);
        let v = serde_json::to_value(meta(&t)).unwrap();
        assert_eq!(v["fingerprint"], "ghp_…a1f3");
        assert_eq!(v["key_id"].as_str(), Some(TokenId::of(&t).key()));
        let back: TokenMeta = serde_json::from_value(v).unwrap();
        assert_eq!(back.id, TokenId::of(&t));
    }

    #[test]
    fn sources_name_the_token_and_the_command_that_replaces_it() {
        let r = TokenSource::Repo(repo("Octo/Hello"));
        assert_eq!(r.describe(), "the vault's token for Octo/Hello");
        assert_eq!(r.set_command(), "repodeck token set --repo Octo/Hello");
        assert_eq!(TokenSource::Global.describe(), "the vault's global token");
        assert_eq!(
            TokenSource::Env("GH_TOKEN").describe(),
            "the token in GH_TOKEN"
        );
        assert_eq!(
            TokenSource::Env("GH_TOKEN").set_command(),
            "repodeck token set"
        );
    }

    #[test]
    fn passphrase_vault_roundtrip_and_file_modes() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        assert!(
            TokenVault::open(&store, &pass("pw"), false)
                .unwrap()
                .is_none()
        );
        let vault = TokenVault::open(&store, &pass("pw"), true)
            .unwrap()
            .unwrap();
        let t = secret(CLASSIC);
        vault
            .set(&store, &TokenScope::Global, &t, meta(&t))
            .unwrap();
        let r = token(b'r');
        vault
            .set(&store, &TokenScope::Repo(repo("Octo/Hello")), &r, meta(&r))
            .unwrap();
        drop(vault);

        let vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        assert!(vault.uses_passphrase());
        let got = vault.get(&store, &TokenScope::Global).unwrap().unwrap();
        assert_eq!(got.expose_secret(), CLASSIC);
        let got = vault
            .get(&store, &TokenScope::Repo(repo("octo/hello")))
            .unwrap()
            .unwrap();
        assert_eq!(got.expose_secret(), r.expose_secret());
        let listed = list_tokens(&store).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].scope, TokenScope::Global);
        assert_eq!(listed[1].scope, TokenScope::Repo(repo("octo/hello")));
        assert_eq!(listed[1].meta.id.to_string(), "ghp_…rrrr");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for name in [IDENTITY_FILE, "vault-backup.json"] {
                let mode = std::fs::metadata(dir.path().join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777;
                assert_eq!(mode, 0o600, "{name} has mode {mode:o}");
            }
        }
        // The identity is wrapped with the pinned work factor.
        let text = std::fs::read_to_string(dir.path().join(IDENTITY_FILE)).unwrap();
        assert!(
            text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
            "{text}"
        );

        assert!(remove_token(&store, &TokenScope::Global).unwrap());
        assert!(!remove_token(&store, &TokenScope::Global).unwrap());
        assert_eq!(list_tokens(&store).unwrap().len(), 1);
    }

    #[test]
    fn wrong_passphrase_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let vault = TokenVault::open(&store, &pass("right"), true)
            .unwrap()
            .unwrap();
        let t = secret(CLASSIC);
        vault
            .set(&store, &TokenScope::Global, &t, meta(&t))
            .unwrap();
        let before = (store.vault_list().unwrap(), all_files(dir.path()).len());
        let identity_before = std::fs::read(dir.path().join(IDENTITY_FILE)).unwrap();

        let err = TokenVault::open(&store, &pass("wrong"), true).unwrap_err();
        assert!(matches!(err, VaultError::WrongPassphrase { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("passphrase") && msg.contains("REPODECK_PASSPHRASE"),
            "{msg}"
        );
        let e = Tokens::load(&store, &pass("wrong"), &no_env).unwrap_err();
        assert!(matches!(e, VaultError::WrongPassphrase { .. }));

        assert_eq!(store.vault_list().unwrap(), before.0);
        assert_eq!(all_files(dir.path()).len(), before.1);
        assert_eq!(
            std::fs::read(dir.path().join(IDENTITY_FILE)).unwrap(),
            identity_before
        );

        let none = KeySource::Passphrase(PassphraseSource::Unavailable);
        let e = TokenVault::open(&store, &none, false)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("REPODECK_PASSPHRASE") && e.contains("--identity"),
            "{e}"
        );
    }

    #[test]
    fn damaged_identity_and_entries_are_rejected_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let vault = TokenVault::open(&store, &pass("pw"), true)
            .unwrap()
            .unwrap();
        let t = secret(CLASSIC);
        vault
            .set(&store, &TokenScope::Global, &t, meta(&t))
            .unwrap();
        let path = dir.path().join(IDENTITY_FILE);
        let good = std::fs::read(&path).unwrap();

        // Truncated identity.
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        let e = TokenVault::open(&store, &pass("pw"), false).unwrap_err();
        assert!(matches!(e, VaultError::IdentityDamaged { .. }), "{e:?}");
        assert!(e.to_string().contains("damaged"), "{e}");
        // Empty identity.
        std::fs::write(&path, b"").unwrap();
        assert!(matches!(
            TokenVault::open(&store, &pass("pw"), false),
            Err(VaultError::IdentityDamaged { .. })
        ));
        // A flipped character in the body (past the header): rejected, never accepted.
        let mut bad = good.clone();
        let i = bad.len() - 60;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        std::fs::write(&path, &bad).unwrap();
        assert!(TokenVault::open(&store, &pass("pw"), false).is_err());
        std::fs::write(&path, &good).unwrap();

        // Tampered and truncated token records.
        let entry = TokenScope::Global.entry();
        let bytes = store.vault_get(&entry).unwrap().unwrap();
        let mut record: Record = serde_json::from_slice(&bytes).unwrap();
        let original = record.ciphertext.clone();
        let mid = record.ciphertext.len() / 2;
        let swapped = if &record.ciphertext[mid..mid + 1] == "Q" {
            "R"
        } else {
            "Q"
        };
        record.ciphertext.replace_range(mid..mid + 1, swapped);
        store
            .vault_apply(vec![(entry.clone(), Some(write_record(&record)))])
            .unwrap();
        let vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        let e = vault.get(&store, &TokenScope::Global).unwrap_err();
        assert!(matches!(e, VaultError::EntryDamaged { .. }), "{e:?}");
        assert!(e.to_string().contains("repodeck token set"), "{e}");

        record.ciphertext = original;
        record.meta.id.key_id = "0000000000000000".into();
        store
            .vault_apply(vec![(entry.clone(), Some(write_record(&record)))])
            .unwrap();
        assert!(matches!(
            vault.get(&store, &TokenScope::Global),
            Err(VaultError::EntryDamaged { .. })
        ));

        store
            .vault_apply(vec![(
                entry.clone(),
                Some(bytes[..bytes.len() / 2].to_vec()),
            )])
            .unwrap();
        assert!(matches!(
            vault.get(&store, &TokenScope::Global),
            Err(VaultError::EntryDamaged { .. })
        ));
        assert!(matches!(
            list_tokens(&store),
            Err(VaultError::EntryDamaged { .. })
        ));
    }

    #[test]
    fn identity_file_mode() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("data").as_path()).unwrap();
        let id = x25519::Identity::generate();
        let file = dir.path().join("key.txt");
        std::fs::write(
            &file,
            format!(
                "# created by age-keygen\n# public key: {}\n{}\n",
                recipient_of(&id),
                id.to_string().expose_secret()
            ),
        )
        .unwrap();
        let keys = KeySource::IdentityFile(file.clone());
        let vault = TokenVault::open(&store, &keys, true).unwrap().unwrap();
        assert!(!vault.uses_passphrase());
        assert_eq!(vault.recipient(), recipient_of(&id));
        let t = secret(CLASSIC);
        vault
            .set(&store, &TokenScope::Global, &t, meta(&t))
            .unwrap();
        // No passphrase identity was created.
        assert!(!dir.path().join("data").join(IDENTITY_FILE).exists());
        let tokens = Tokens::load(&store, &keys, &no_env).unwrap();
        assert_eq!(
            tokens.for_repo(None).unwrap().secret.expose_secret(),
            CLASSIC
        );

        // Another identity file cannot read it, and says which identity is needed.
        let other = dir.path().join("other.txt");
        std::fs::write(
            &other,
            format!(
                "{}\n",
                x25519::Identity::generate().to_string().expose_secret()
            ),
        )
        .unwrap();
        let e = Tokens::load(&store, &KeySource::IdentityFile(other), &no_env).unwrap_err();
        assert!(matches!(e, VaultError::WrongIdentity { .. }), "{e:?}");
        assert!(e.to_string().contains(&recipient_of(&id)));

        // Bad files.
        let junk = dir.path().join("junk.txt");
        std::fs::write(&junk, "hello\n").unwrap();
        let e = TokenVault::open(&store, &KeySource::IdentityFile(junk), false)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && e.contains("age-keygen"), "{e}");
        let missing = KeySource::IdentityFile(dir.path().join("nope"));
        assert!(matches!(
            TokenVault::open(&store, &missing, false),
            Err(VaultError::IdentityFile { .. })
        ));
        // Rotations are refused in identity-file mode.
        let mut vault = vault;
        assert!(matches!(
            vault.rotate_identity(&store),
            Err(VaultError::Unsupported(_))
        ));
    }

    #[test]
    fn precedence_repo_then_global_then_env_then_anonymous() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let keys = pass("pw");
        let a = repo("o/a");
        let b = repo("o/b");
        let env_gh = |n: &str| {
            (n == "GH_TOKEN").then(|| "ghp_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\n".to_string())
        };
        let env_both = |n: &str| match n {
            "GITHUB_TOKEN" => Some(format!("ghp_{}", "g".repeat(36))),
            "GH_TOKEN" => Some(format!("ghp_{}", "h".repeat(36))),
            _ => None,
        };

        // Nothing at all: anonymous; an empty vault needs no passphrase.
        let locked = KeySource::Passphrase(PassphraseSource::Unavailable);
        assert!(
            Tokens::load(&store, &locked, &no_env)
                .unwrap()
                .for_repo(Some(&a))
                .is_none()
        );
        // Environment only: GITHUB_TOKEN before GH_TOKEN; trimmed.
        let t = Tokens::load(&store, &locked, &env_both).unwrap();
        assert_eq!(
            t.for_repo(Some(&a)).unwrap().source,
            TokenSource::Env("GITHUB_TOKEN")
        );
        let t = Tokens::load(&store, &locked, &env_gh).unwrap();
        let r = t.for_repo(None).unwrap();
        assert_eq!(r.source, TokenSource::Env("GH_TOKEN"));
        assert!(!r.secret.expose_secret().ends_with('\n'));

        let vault = TokenVault::open(&store, &keys, true).unwrap().unwrap();
        let g = token(b'g');
        vault
            .set(&store, &TokenScope::Global, &g, meta(&g))
            .unwrap();
        let ra = token(b'a');
        vault
            .set(&store, &TokenScope::Repo(a.clone()), &ra, meta(&ra))
            .unwrap();

        let t = Tokens::load(&store, &keys, &env_gh).unwrap();
        let for_a = t.for_repo(Some(&repo("O/A"))).unwrap();
        assert_eq!(for_a.source, TokenSource::Repo(a.clone()));
        assert_eq!(for_a.secret.expose_secret(), ra.expose_secret());
        assert_eq!(for_a.id, TokenId::of(&ra));
        assert_eq!(t.for_repo(Some(&b)).unwrap().source, TokenSource::Global);
        assert_eq!(t.for_repo(None).unwrap().source, TokenSource::Global);
        assert_eq!(t.per_repo().count(), 1);

        remove_token(&store, &TokenScope::Global).unwrap();
        let t = Tokens::load(&store, &keys, &env_gh).unwrap();
        assert_eq!(
            t.for_repo(Some(&b)).unwrap().source,
            TokenSource::Env("GH_TOKEN")
        );
        assert_eq!(
            t.for_repo(Some(&a)).unwrap().source,
            TokenSource::Repo(a.clone())
        );
        let t = Tokens::load(&store, &keys, &no_env).unwrap();
        assert!(t.for_repo(Some(&b)).is_none());
        // A locked vault with tokens in it is an error, not a silent fallback to the environment.
        assert!(matches!(
            Tokens::load(&store, &locked, &env_gh),
            Err(VaultError::NoPassphrase)
        ));
    }

    fn rotation_fixture() -> (
        tempfile::TempDir,
        Store,
        Vec<(TokenScope, SecretString)>,
        String,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let vault = TokenVault::open(&store, &pass("pw"), true)
            .unwrap()
            .unwrap();
        let tokens = vec![
            (TokenScope::Global, token(b'g')),
            (TokenScope::Repo(repo("o/a")), token(b'a')),
            (TokenScope::Repo(repo("o/b")), token(b'b')),
        ];
        for (s, t) in &tokens {
            vault.set(&store, s, t, meta(t)).unwrap();
        }
        let old = vault.recipient().to_string();
        (dir, store, tokens, old)
    }

    fn assert_usable(store: &Store, tokens: &[(TokenScope, SecretString)]) -> String {
        let vault = TokenVault::open(store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        for (s, t) in tokens {
            assert_eq!(
                vault.get(store, s).unwrap().unwrap().expose_secret(),
                t.expose_secret(),
                "{s}"
            );
        }
        assert!(
            !store.dir().join(IDENTITY_NEXT_FILE).exists(),
            "the rotation was not cleaned up"
        );
        // And again, from a clean state: the recovery is durable.
        let again = TokenVault::open(store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        assert_eq!(again.recipient(), vault.recipient());
        vault.recipient().to_string()
    }

    #[test]
    fn rotate_identity_reencrypts_everything() {
        let (_dir, store, tokens, old) = rotation_fixture();
        let mut vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        assert_eq!(vault.rotate_identity(&store).unwrap(), 3);
        assert_ne!(vault.recipient(), old);
        assert!(
            list_tokens(&store)
                .unwrap()
                .iter()
                .all(|t| t.recipient == vault.recipient())
        );
        let new = assert_usable(&store, &tokens);
        assert_eq!(new, vault.recipient());
    }

    #[test]
    fn rotation_interrupted_before_the_batch_rolls_back() {
        let (_dir, store, tokens, old) = rotation_fixture();
        let mut vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        vault
            .rotate_identity_until(&store, Some(RotateStep::NextWritten))
            .unwrap();
        drop(vault); // "crash"
        assert!(store.dir().join(IDENTITY_NEXT_FILE).exists());
        assert_eq!(assert_usable(&store, &tokens), old);
    }

    #[test]
    fn the_webhook_secret_is_encrypted_validated_and_survives_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let vault = TokenVault::open(&store, &pass("pw"), true)
            .unwrap()
            .unwrap();
        assert!(vault.webhook_secret(&store).unwrap().is_none());
        let short = secret("only-twelve!");
        assert!(vault.set_webhook_secret(&store, &short).is_err());
        assert!(
            vault
                .set_webhook_secret(&store, &secret(&"a b".repeat(20)))
                .is_err()
        );
        assert!(webhook_secret_info(&store).unwrap().is_none());

        let made = generate_webhook_secret();
        assert_eq!(made.expose_secret().len(), 64);
        assert_ne!(
            made.expose_secret(),
            generate_webhook_secret().expose_secret()
        );
        vault.set_webhook_secret(&store, &made).unwrap();
        let info = webhook_secret_info(&store).unwrap().unwrap();
        assert_eq!(
            (info.length, info.recipient.as_str()),
            (64, vault.recipient())
        );
        // Not a token: token listings do not see it.
        assert!(list_tokens(&store).unwrap().is_empty());
        let raw = store.vault_get(WEBHOOK_ENTRY).unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains(made.expose_secret()));
        assert!(!format!("{info:?}").contains(made.expose_secret()));

        let mut vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        let before = vault.recipient().to_string();
        vault.rotate_identity(&store).unwrap();
        assert_ne!(vault.recipient(), before);
        let after = webhook_secret_info(&store).unwrap().unwrap();
        assert_eq!(after.recipient, vault.recipient());
        let got = vault.webhook_secret(&store).unwrap().unwrap();
        assert_eq!(got.expose_secret(), made.expose_secret());
        // Never in Debug output: the secret, its record, the vault holding it.
        let shown = format!("{got:?} {after:?} {vault:?}");
        assert!(!shown.contains(made.expose_secret()), "{shown}");
    }

    #[test]
    fn rotation_interrupted_after_the_batch_rolls_forward() {
        let (_dir, store, tokens, old) = rotation_fixture();
        let mut vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        vault
            .rotate_identity_until(&store, Some(RotateStep::Reencrypted))
            .unwrap();
        drop(vault); // "crash"
        let new = assert_usable(&store, &tokens);
        assert_ne!(new, old);
        assert!(
            list_tokens(&store)
                .unwrap()
                .iter()
                .all(|t| t.recipient == new)
        );
        // Tokens::load goes through the same recovery.
        let t = Tokens::load(&store, &pass("pw"), &no_env).unwrap();
        assert_eq!(
            t.for_repo(Some(&repo("o/b")))
                .unwrap()
                .secret
                .expose_secret(),
            tokens[2].1.expose_secret()
        );
    }

    #[test]
    fn rotate_passphrase_switches_passphrases() {
        let (_dir, store, tokens, old) = rotation_fixture();
        let mut vault = TokenVault::open(&store, &pass("pw"), false)
            .unwrap()
            .unwrap();
        vault
            .rotate_passphrase(&PassphraseSource::Given(secret("new pw")))
            .unwrap();
        assert!(matches!(
            TokenVault::open(&store, &pass("pw"), false),
            Err(VaultError::WrongPassphrase { .. })
        ));
        let vault = TokenVault::open(&store, &pass("new pw"), false)
            .unwrap()
            .unwrap();
        assert_eq!(vault.recipient(), old);
        assert_eq!(
            vault
                .get(&store, &tokens[0].0)
                .unwrap()
                .unwrap()
                .expose_secret(),
            tokens[0].1.expose_secret()
        );
        let empty = PassphraseSource::Given(secret(""));
        let mut vault = vault;
        assert!(matches!(
            vault.rotate_passphrase(&empty),
            Err(VaultError::EmptyPassphrase)
        ));
    }

    #[test]
    fn nothing_leaks_into_files_debug_or_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let keys = pass("correct-horse");
        let vault = TokenVault::open(&store, &keys, true).unwrap().unwrap();
        let t = secret(CLASSIC);
        vault
            .set(&store, &TokenScope::Global, &t, meta(&t))
            .unwrap();
        vault
            .set(&store, &TokenScope::Repo(repo("o/a")), &t, meta(&t))
            .unwrap();
        let mut vault = vault;
        vault.rotate_identity(&store).unwrap();
        store.flush().unwrap();
        let tokens = Tokens::load(&store, &keys, &no_env).unwrap();
        let resolved = tokens.for_repo(None).unwrap().clone();

        let mut texts = vec![
            format!("{resolved:?}"),
            format!("{tokens:?}"),
            format!("{vault:?}"),
            format!("{keys:?}"),
            format!("{:?}", list_tokens(&store).unwrap()),
            format!("{:?}", secret(CLASSIC)),
            VaultError::WrongPassphrase {
                path: dir.path().into(),
            }
            .to_string(),
            validate_shape(&secret(&format!("{CLASSIC}x")), false)
                .unwrap_err()
                .to_string(),
            validate_shape(&secret(&format!("{CLASSIC} x")), true)
                .unwrap_err()
                .to_string(),
        ];
        texts.push(format!(
            "{:?}",
            TokenVault::open(&store, &pass("wrong"), false).unwrap_err()
        ));
        for text in &texts {
            assert!(text.contains("REDACTED") || !text.is_empty());
            for form in leak_forms(CLASSIC) {
                assert!(!contains(text.as_bytes(), &form), "leak in {text}");
            }
            assert!(!text.contains("correct-horse"), "passphrase leak in {text}");
        }
        assert!(format!("{resolved:?}").contains("[REDACTED]"));
        let files = all_files(dir.path());
        assert!(
            files.len() >= 3,
            "{:?}",
            files.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for (path, bytes) in files {
            for form in leak_forms(CLASSIC) {
                assert!(
                    !contains(&bytes, &form),
                    "token form found in {}",
                    path.display()
                );
            }
            assert!(
                !contains(&bytes, b"correct-horse"),
                "passphrase in {}",
                path.display()
            );
            assert!(
                !contains(&bytes, b"AGE-SECRET-KEY-"),
                "plaintext identity in {}",
                path.display()
            );
        }
    }

    #[test]
    fn warnings_for_broad_scopes_and_near_expiry() {
        let now = Utc::now();
        let info = |scopes: Option<Vec<&str>>, exp: Option<DateTime<Utc>>| LiveInfo {
            login: "me".into(),
            scopes: scopes.map(|s| s.into_iter().map(String::from).collect()),
            expires_at: exp,
        };
        assert!(warnings(&info(Some(vec!["repo", "read:org"]), None), now).is_empty());
        assert!(warnings(&info(None, Some(now + chrono::Duration::days(30))), now).is_empty());
        let w = warnings(
            &info(Some(vec!["repo", "delete_repo", "admin:org"]), None),
            now,
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("(delete_repo, admin:org)"), "{w:?}");
        let w = warnings(
            &info(Some(vec![]), Some(now + chrono::Duration::days(2))),
            now,
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("expires in 2 day"), "{w:?}");
        let w = warnings(&info(None, Some(now - chrono::Duration::hours(1))), now);
        assert!(w[0].contains("expired"), "{w:?}");
    }
}
