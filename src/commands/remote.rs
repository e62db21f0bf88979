//! What the GitHub-facing commands share: the token (resolved in one place, so the vault can take
//! it over), the client wired to the store's ETag cache, and the tokio runtime they run in.

use std::collections::HashMap;
use std::sync::Arc;

use secrecy::SecretString;

use super::CliError;
use crate::config::Config;
use crate::github::{ClientOptions, GithubClient, GithubError};
use crate::store::Store;
use crate::sync::etags::StoreEtags;

/// The token to use, resolved in one place: the vault's global token, else `GITHUB_TOKEN` /
/// `GH_TOKEN` (trimmed), else `None` (anonymous). See `secrets` for the precedence.
pub fn resolve_token(
    store: &Store,
    ctx: &super::Context,
) -> Result<Option<SecretString>, CliError> {
    Ok(super::token::resolve_default(store, ctx)?.map(|t| t.secret))
}

/// The notice anonymous use prints once.
pub const ANONYMOUS_NOTICE: &str = "note: no GitHub token (set GITHUB_TOKEN or GH_TOKEN): using REST with ETags, \
     limited to 60 requests an hour by GitHub";

/// A multi-threaded runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
}

/// Builds the client over the store's ETag cache with the resolved token. Call inside the runtime.
pub fn client(
    ctx: &super::Context,
    store: &Arc<Store>,
) -> Result<(GithubClient, Arc<StoreEtags>), CliError> {
    let token = resolve_token(store, ctx)?;
    client_with_token(&ctx.config, store, token)
}

/// What a sync needs: the main client (vault global > `GITHUB_TOKEN` / `GH_TOKEN` > anonymous),
/// the ETag cache, and one client per repo that has its own vault token (by lowercase
/// `owner/name`), all over the store's ETag cache. The vault is unlocked once, with `keys`.
pub fn clients_with(
    config: &Config,
    store: &Arc<Store>,
    keys: &crate::secrets::KeySource,
) -> Result<Clients, CliError> {
    let tokens = crate::secrets::Tokens::load(store, keys, &|name| std::env::var(name).ok())?;
    clients_from(config, store, &tokens)
}

/// [`clients_with`] over tokens already loaded.
pub fn clients_from(
    config: &Config,
    store: &Arc<Store>,
    tokens: &crate::secrets::Tokens,
) -> Result<Clients, CliError> {
    let (client, etags) = client_with_token(
        config,
        store,
        tokens.for_repo(None).map(|t| t.secret.clone()),
    )?;
    let mut per_repo = HashMap::new();
    for (name, token) in tokens.per_repo() {
        let cache: Arc<dyn crate::github::EtagCache> = etags.clone();
        let opts = ClientOptions::from_config(config, Some(token.secret.clone()), Some(cache));
        let c = GithubClient::new(opts).map_err(|e| {
            CliError::Input(format!("cannot set up the GitHub client for {name}: {e}"))
        })?;
        per_repo.insert(name.to_string(), c);
    }
    Ok(Clients {
        client,
        etags,
        per_repo,
    })
}

/// [`clients_with`] with the key from the command line and environment (`--identity`,
/// `REPODECK_PASSPHRASE`, a prompt).
pub fn clients(ctx: &super::Context, store: &Arc<Store>) -> Result<Clients, CliError> {
    let keys = crate::secrets::KeySource::from_env(ctx.identity.clone());
    clients_with(&ctx.config, store, &keys)
}

/// The clients a sync engine runs with.
pub struct Clients {
    pub client: GithubClient,
    pub etags: Arc<StoreEtags>,
    pub per_repo: HashMap<String, GithubClient>,
}

impl Clients {
    /// Starts the sync engine over these clients. Call inside the runtime.
    pub fn start_engine(
        self,
        store: Arc<Store>,
        config: Config,
        force_rest: bool,
    ) -> crate::sync::EngineHandle {
        let opts = crate::sync::engine::EngineOptions {
            force_rest,
            etags: Some(self.etags),
            repo_clients: self.per_repo,
        };
        crate::sync::engine::start_with(store, self.client, config, opts)
    }
}

/// Builds the client with a given token (the demo's), over the store's ETag cache.
pub fn client_with_token(
    config: &Config,
    store: &Arc<Store>,
    token: Option<SecretString>,
) -> Result<(GithubClient, Arc<StoreEtags>), CliError> {
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let cache: Arc<dyn crate::github::EtagCache> = etags.clone();
    let opts = ClientOptions::from_config(config, token, Some(cache));
    let client = GithubClient::new(opts)
        .map_err(|e| CliError::Input(format!("cannot set up the GitHub client: {e}")))?;
    Ok((client, etags))
}

/// Maps a GitHub failure of a whole command to the exit codes: auth is 2, the rest 1.
pub fn github_error(context: &str, e: &GithubError) -> CliError {
    if e.is_auth() {
        CliError::Input(format!("{context}: {e}"))
    } else {
        CliError::Failed(format!("{context}: {e}"))
    }
}
