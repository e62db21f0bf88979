//! Assembles a running repodeck for every front end (the CLI commands, the TUI, the demo and, next,
//! `serve`): the resolved [`Context`], the async runtime, the vault's tokens unlocked, one GitHub
//! client per token over the store's ETag cache (each told where its token came from, so a 401
//! names it), every request they send recorded in the token-use audit log (`audit`), and the
//! sync engine started over them.
//!
//! Neighbours: below it `sync` (the engine), `github` (clients), `secrets` (the vault) and `store`;
//! above it `tui` and `commands`, which only ask it for a running engine. Unlocking the vault from
//! the TUI's passphrase dialog is a TUI effect that calls [`Unlocker`]; the engine never sees it.

pub mod audit;
pub mod checks;
pub mod demo;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use crate::config::Config;
use crate::github::{AuditSink, ClientOptions, EtagCache, GithubClient};
use crate::secrets::{self, KeySource, PassphraseSource, ResolvedToken, Tokens, VaultError};
use crate::store::{Store, StoreError};
use crate::sync::EngineHandle;
use crate::sync::engine::{self, EngineOptions};
use crate::sync::etags::StoreEtags;
use audit::AuditWriter;

/// Everything a front end needs from the environment, resolved once by `main.rs`.
#[derive(Debug, Clone)]
pub struct Context {
    pub config: Config,
    pub data_dir: PathBuf,
    /// `--identity FILE` / `REPODECK_IDENTITY`: the token vault's age identity file.
    pub identity: Option<PathBuf>,
}

/// Why a session could not be assembled. Every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Configuration or input the user can fix (a bad client setup, a locked or damaged vault).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The process itself failed (no async runtime, no loopback port for the demo).
    #[error("{0}")]
    Failed(String),
}

/// The notice anonymous use prints once.
pub const ANONYMOUS_NOTICE: &str = "note: no GitHub token (set GITHUB_TOKEN or GH_TOKEN): using REST with ETags, \
     limited to 60 requests an hour by GitHub";

/// A multi-threaded runtime for one command or one TUI run.
pub fn runtime() -> Result<tokio::runtime::Runtime, SessionError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| SessionError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Reads an environment variable; the one place sessions look at the process environment.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The tokens of the vault (unlocked with the key from `--identity`, `REPODECK_IDENTITY`,
/// `REPODECK_PASSPHRASE` or a prompt) and of `GITHUB_TOKEN` / `GH_TOKEN`.
pub fn tokens(ctx: &Context, store: &Store) -> Result<Tokens, SessionError> {
    let keys = KeySource::from_env(ctx.identity.clone());
    Ok(Tokens::load(store, &keys, &env_var)?)
}

/// The clients a sync engine runs with: the main client (vault global > `GITHUB_TOKEN` /
/// `GH_TOKEN` > anonymous), the ETag cache, and one client per repo that has its own vault token
/// (by lowercase `owner/name`), all over the store's ETag cache. A clone shares the schedulers
/// (the host hands its engine's clients to the commands it runs for attached views).
#[derive(Clone)]
pub struct Clients {
    pub client: GithubClient,
    pub etags: Arc<StoreEtags>,
    pub per_repo: HashMap<String, GithubClient>,
}

impl Clients {
    /// Clients for the tokens of [`tokens`]. Call inside the runtime.
    pub fn from_env(ctx: &Context, store: &Arc<Store>) -> Result<Self, SessionError> {
        Self::from_tokens(&ctx.config, store, &tokens(ctx, store)?)
    }

    /// Clients over tokens already loaded. Call inside the runtime.
    pub fn from_tokens(
        config: &Config,
        store: &Arc<Store>,
        tokens: &Tokens,
    ) -> Result<Self, SessionError> {
        let etags = Arc::new(StoreEtags::new(store.clone()));
        let audit: Arc<dyn AuditSink> = AuditWriter::start(store.clone(), &config.audit);
        let shared = (&etags, &audit);
        let client = build_client(config, shared, tokens.for_repo(None), None)?;
        let mut per_repo = HashMap::new();
        for (name, token) in tokens.per_repo() {
            per_repo.insert(
                name.to_string(),
                build_client(config, shared, Some(token), Some(name))?,
            );
        }
        Ok(Clients {
            client,
            etags,
            per_repo,
        })
    }

    /// One client with a given token (the demo's), over the store's ETag cache.
    pub fn with_token(
        config: &Config,
        store: &Arc<Store>,
        token: Option<SecretString>,
    ) -> Result<Self, SessionError> {
        let etags = Arc::new(StoreEtags::new(store.clone()));
        let cache: Arc<dyn EtagCache> = etags.clone();
        let audit: Arc<dyn AuditSink> = AuditWriter::start(store.clone(), &config.audit);
        let opts = ClientOptions::from_config(config, token, Some(cache));
        let client = GithubClient::with_audit(opts, Some(audit))
            .map_err(|e| SessionError::Input(format!("cannot set up the GitHub client: {e}")))?;
        Ok(Clients {
            client,
            etags,
            per_repo: HashMap::new(),
        })
    }

    /// Starts the sync engine over these clients. Call inside the runtime.
    pub fn start_engine(self, store: Arc<Store>, config: Config, force_rest: bool) -> EngineHandle {
        let opts = EngineOptions {
            force_rest,
            etags: Some(self.etags),
            repo_clients: self.per_repo,
        };
        engine::start_with(store, self.client, config, opts)
    }
}

/// One client over the shared ETag cache and audit log; `repo` names the repo a per-repo token
/// is for.
fn build_client(
    config: &Config,
    (etags, audit): (&Arc<StoreEtags>, &Arc<dyn AuditSink>),
    token: Option<&ResolvedToken>,
    repo: Option<&str>,
) -> Result<GithubClient, SessionError> {
    let cache: Arc<dyn EtagCache> = etags.clone();
    let opts = ClientOptions {
        token_source: token.map(|t| t.source.clone()),
        ..ClientOptions::from_config(config, token.map(|t| t.secret.clone()), Some(cache))
    };
    let client = GithubClient::with_audit(opts, Some(audit.clone())).map_err(|e| {
        let whose = repo.map(|r| format!(" for {r}")).unwrap_or_default();
        SessionError::Input(format!("cannot set up the GitHub client{whose}: {e}"))
    })?;
    // The token by its id, as `repodeck token list` and the rate panel show it.
    match token {
        Some(t) => tracing::debug!(token = %t.id, source = %t.source, repo, "GitHub client ready"),
        None => tracing::debug!(repo, "GitHub client ready, anonymous"),
    }
    Ok(client)
}

/// What unlocking the vault from the TUI's passphrase dialog gave.
#[derive(Debug)]
pub enum UnlockError {
    /// Ask again.
    WrongPassphrase,
    /// Say this and browse offline.
    Failed(String),
}

/// Starts the sync engine with the vault unlocked by a passphrase; runs on a blocking thread
/// inside the runtime (the key derivation is slow on purpose).
pub type Unlocker = Arc<dyn Fn(SecretString) -> Result<EngineHandle, UnlockError> + Send + Sync>;

/// How the TUI gets its sync engine.
pub enum EngineStart {
    Running(EngineHandle),
    /// Browse the store offline (adding and removing still work).
    Offline,
    /// The token vault needs a passphrase: the TUI asks for it in a dialog.
    Locked(Unlocker),
}

/// The engine for an interactive session: running when the tokens can be had without asking,
/// locked behind the passphrase dialog when the vault needs one, offline when the clients cannot
/// be built (the UI still browses the store). Call inside the runtime.
pub fn interactive_engine(ctx: &Context, store: &Arc<Store>) -> EngineStart {
    if vault_needs_passphrase(ctx, store) {
        return EngineStart::Locked(unlocker(&ctx.config, store));
    }
    match Clients::from_env(ctx, store) {
        Ok(clients) => {
            EngineStart::Running(clients.start_engine(store.clone(), ctx.config.clone(), false))
        }
        Err(e) => {
            tracing::warn!(error = %e, "sync engine not started; browsing offline");
            EngineStart::Offline
        }
    }
}

/// The vault holds tokens and neither `--identity` / `REPODECK_IDENTITY` nor
/// `REPODECK_PASSPHRASE` unlocks it: the TUI asks in its passphrase dialog.
fn vault_needs_passphrase(ctx: &Context, store: &Store) -> bool {
    ctx.identity.is_none()
        && std::env::var_os("REPODECK_PASSPHRASE").is_none()
        && secrets::list_tokens(store).is_ok_and(|t| !t.is_empty())
}

/// Unlocks the vault with the dialog's passphrase and starts the engine over its tokens.
fn unlocker(config: &Config, store: &Arc<Store>) -> Unlocker {
    let config = config.clone();
    let store = store.clone();
    Arc::new(move |pass| {
        let keys = KeySource::Passphrase(PassphraseSource::Given(pass));
        let tokens = match Tokens::load(&store, &keys, &env_var) {
            Ok(t) => t,
            Err(VaultError::WrongPassphrase { .. } | VaultError::EmptyPassphrase) => {
                return Err(UnlockError::WrongPassphrase);
            }
            Err(e) => return Err(UnlockError::Failed(e.to_string())),
        };
        let clients = Clients::from_tokens(&config, &store, &tokens)
            .map_err(|e| UnlockError::Failed(e.to_string()))?;
        Ok(clients.start_engine(store.clone(), config.clone(), false))
    })
}
