//! What the GitHub-facing commands share: the token (resolved in one place, so the vault can take
//! it over), the client wired to the store's ETag cache, and the tokio runtime they run in.

use std::sync::Arc;

use secrecy::SecretString;

use super::CliError;
use crate::config::Config;
use crate::github::{ClientOptions, GithubClient, GithubError};
use crate::store::Store;
use crate::sync::etags::StoreEtags;

/// The token to use: `GITHUB_TOKEN`, else `GH_TOKEN`, trimmed; `None` (anonymous) when neither is
/// set or both are blank. The one place a token is resolved: the vault replaces this function.
pub fn resolve_token() -> Option<SecretString> {
    ["GITHUB_TOKEN", "GH_TOKEN"].iter().find_map(|name| {
        let value = std::env::var(name).ok()?;
        let trimmed = value.trim();
        (!trimmed.is_empty()).then(|| SecretString::from(trimmed.to_string()))
    })
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

/// Builds the client over the store's ETag cache. Call inside the runtime.
pub fn client(
    config: &Config,
    store: &Arc<Store>,
) -> Result<(GithubClient, Arc<StoreEtags>), CliError> {
    let etags = Arc::new(StoreEtags::new(store.clone()));
    let cache: Arc<dyn crate::github::EtagCache> = etags.clone();
    let opts = ClientOptions::from_config(config, resolve_token(), Some(cache));
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
