//! The demo's session: fakehub in-process on 127.0.0.1 with repositories that keep changing, a
//! throwaway data directory and token, and an engine importing the fake organization. `main.rs`
//! opens the TUI on it; nothing here touches the terminal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::{Clients, Context, SessionError};
use crate::domain::{ImportOptions, ImportSource};
use crate::fakehub::{self, FakehubConfig};
use crate::store::Store;
use crate::sync::{EngineHandle, SyncCommand};

/// The demo's token: accepted by the demo's fakehub only, shaped like a classic token.
const DEMO_TOKEN: &str = "ghp_repodeckDemoToken000000000000000000";

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub repos: usize,
    pub seed: u64,
    pub mutate_every: u64,
}

/// A running demo: the fake GitHub and the store in a throwaway directory (the engine over them
/// is handed out beside it).
pub struct Demo {
    /// The caller's context pointed at the fake GitHub and the throwaway directory.
    pub ctx: Context,
    pub store: Arc<Store>,
    hub: fakehub::Handle,
}

/// Where the demo keeps its throwaway data; removed by [`Demo::finish`] (or by the caller when
/// starting failed).
pub fn data_dir() -> PathBuf {
    std::env::temp_dir().join(format!("repodeck-demo-{}", std::process::id()))
}

impl Demo {
    /// Starts fakehub, opens a store in `dir`, starts the engine and asks it to import the fake
    /// organization. Call inside the runtime.
    pub async fn start(
        ctx: &Context,
        opts: DemoOptions,
        dir: &Path,
    ) -> Result<(Demo, EngineHandle), SessionError> {
        let hub = fakehub::spawn(FakehubConfig {
            repos: opts.repos,
            seed: opts.seed,
            tokens: vec![DEMO_TOKEN.to_string()],
            latency_ms: 20,
            jitter_ms: 30,
            mutate_every: (opts.mutate_every > 0).then(|| Duration::from_secs(opts.mutate_every)),
            // Dated relative to now, so the demo's repos look alive; the seed still fixes the rest.
            epoch: Some(chrono::Utc::now().timestamp()),
            // The first statistics request of a repo answers 202, as GitHub's often does.
            stats_compute_polls: 1,
            ..FakehubConfig::default()
        })
        .await
        .map_err(|e| {
            SessionError::Failed(format!("cannot start the demo server on 127.0.0.1: {e}"))
        })?;
        let mut config = ctx
            .config
            .clone()
            .with_api_url(hub.url())
            .map_err(|e| SessionError::Failed(format!("demo server address: {e}")))?;
        config.sync.min_interval = Duration::ZERO;
        config.sync.interval = Some(Duration::from_secs(opts.mutate_every.max(5)));
        let (store, _) = Store::open(dir)?;
        let store = Arc::new(store);
        let token = SecretString::from(DEMO_TOKEN.to_string());
        let engine = Clients::with_token(&config, &store, Some(token))?.start_engine(
            store.clone(),
            config.clone(),
            false,
        );
        // The engine has just started and holds its receiver: a failed send cannot happen here,
        // and if it did the demo would merely start with an empty list.
        let _ = engine.commands.send(SyncCommand::Import(ImportOptions {
            source: ImportSource::Org("octo-org".into()),
            include_forks: true,
            include_archived: true,
        }));
        let ctx = Context {
            config,
            data_dir: dir.to_path_buf(),
            ..ctx.clone()
        };
        Ok((Demo { ctx, store, hub }, engine))
    }

    /// Stops the fake GitHub once the UI is done.
    pub async fn finish(self) {
        self.hub.shutdown().await;
    }
}
