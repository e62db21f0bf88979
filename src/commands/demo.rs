//! `repodeck demo`: an offline tour. Starts fakehub in-process on 127.0.0.1 with about 50
//! repositories that keep changing, a throwaway data directory and token, and opens the TUI on it,
//! so the list fills, the activity feed grows and the rate-limit bar moves without any network.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::{CliError, Context, Status};
use crate::fakehub::{self, FakehubConfig};
use crate::store::Store;
use crate::sync::engine::{self, EngineOptions};
use crate::sync::{ImportOptions, ImportSource, SyncCommand};

/// The demo's token: accepted by the demo's fakehub only, shaped like a classic token.
const DEMO_TOKEN: &str = "ghp_repodeckDemoToken000000000000000000";

#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub repos: usize,
    pub seed: u64,
    pub mutate_every: u64,
}

/// Runs the demo until the user quits; the data directory is removed afterwards.
pub fn run(ctx: &Context, opts: DemoOptions) -> Result<Status, CliError> {
    let dir = std::env::temp_dir().join(format!("repodeck-demo-{}", std::process::id()));
    let rt = super::remote::runtime()?;
    let result = rt.block_on(demo(ctx, opts, &dir));
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn demo(ctx: &Context, opts: DemoOptions, dir: &std::path::Path) -> Result<Status, CliError> {
    let hub = fakehub::spawn(FakehubConfig {
        repos: opts.repos,
        seed: opts.seed,
        tokens: vec![DEMO_TOKEN.to_string()],
        latency_ms: 20,
        jitter_ms: 30,
        mutate_every: (opts.mutate_every > 0).then(|| Duration::from_secs(opts.mutate_every)),
        ..FakehubConfig::default()
    })
    .await
    .map_err(|e| CliError::Failed(format!("cannot start the demo server on 127.0.0.1: {e}")))?;
    let mut config = ctx
        .config
        .clone()
        .with_api_url(hub.url())
        .map_err(|e| CliError::Failed(format!("demo server address: {e}")))?;
    config.sync.min_interval = Duration::ZERO;
    config.sync.interval = Some(Duration::from_secs(opts.mutate_every.max(5)));
    let (store, _) = Store::open(dir)?;
    let store = Arc::new(store);
    let (client, etags) = super::remote::client_with_token(
        &config,
        &store,
        Some(SecretString::from(DEMO_TOKEN.to_string())),
    )?;
    let handle = engine::start_with(
        store.clone(),
        client,
        config.clone(),
        EngineOptions {
            etags: Some(etags),
            ..EngineOptions::default()
        },
    );
    let _ = handle.commands.send(SyncCommand::Import(ImportOptions {
        source: ImportSource::Org("octo-org".into()),
        include_forks: true,
        include_archived: true,
    }));
    let demo_ctx = Context {
        config,
        data_dir: dir.to_path_buf(),
        ..ctx.clone()
    };
    let ui =
        crate::tui::run_async(&demo_ctx, store, crate::tui::EngineStart::Running(handle)).await;
    hub.shutdown().await;
    ui.map_err(|e| CliError::Failed(format!("the terminal UI failed: {e}")))?;
    Ok(Status::Ok)
}
