//! Entry point, wiring only: parse the CLI, load config, start logging, open the store, run the
//! command, map the result to an exit code (0 ok, 1 partial failure, 2 usage/config/input/auth).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use directories::ProjectDirs;

use repodeck::cli::{Cli, Command};
use repodeck::commands::{self, CliError, Context, Status, token};
use repodeck::config::Config;
use repodeck::secrets::{self, KeySource, PassphraseSource};
use repodeck::store::{OpenReport, Store};
use repodeck::sync::{ImportOptions, ImportSource};
use repodeck::tui::{EngineStart, UnlockError};

fn main() -> ExitCode {
    // Usage errors exit 2 through clap itself.
    let cli = Cli::parse();
    if let Err(e) = repodeck::tui::install_hooks() {
        eprintln!("error: cannot install error hooks: {e}");
    }
    match run(cli) {
        Ok(Status::Ok) => ExitCode::SUCCESS,
        Ok(Status::Partial) => ExitCode::from(1),
        Err(e) => {
            tracing::error!(error = %e, "command failed");
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "repodeck")
}

fn resolve(cli: &Cli) -> Result<Context, CliError> {
    let dirs = project_dirs();
    let (config_path, explicit) = match &cli.global.config {
        Some(p) => (p.clone(), true),
        None => match &dirs {
            Some(d) => (d.config_dir().join("config.toml"), false),
            None => (PathBuf::from("repodeck.toml"), false),
        },
    };
    let mut config =
        Config::load(&config_path, explicit).map_err(|e| CliError::Input(e.to_string()))?;
    if let Some(url) = &cli.global.api_url {
        config = config
            .with_api_url(url)
            .map_err(|e| CliError::Input(format!("--api-url / GITHUB_API_URL: {e}")))?;
    }
    let data_dir = match &cli.global.data_dir {
        Some(d) => d.clone(),
        None => dirs.map(|d| d.data_dir().to_path_buf()).ok_or_else(|| {
            CliError::Input("cannot find a home directory for the data; pass --data-dir DIR or set REPODECK_DATA_DIR".into())
        })?,
    };
    Ok(Context {
        config,
        data_dir,
        identity: cli.global.identity.clone(),
    })
}

fn open_store(ctx: &Context) -> Result<Store, CliError> {
    open_store_with(ctx, Store::open)
}

/// Opens the store with `open` (the TUI uses `Store::open_quick`) and reports a rebuild.
fn open_store_with(
    ctx: &Context,
    open: fn(&std::path::Path) -> repodeck::store::Result<(Store, OpenReport)>,
) -> Result<Store, CliError> {
    let (store, report) = open(&ctx.data_dir)?;
    match report {
        OpenReport::Recovered {
            quarantined,
            restored_repos,
            restored_secrets,
            reason,
        } => eprintln!(
            "warning: the store was damaged ({reason}); it was moved to {} and rebuilt. \
             Restored {restored_repos} tracked repositories and {restored_secrets} encrypted secrets; \
             run `repodeck sync --all` to refetch the rest.",
            quarantined.display()
        ),
        OpenReport::Migrated { from } => {
            tracing::info!(from, "store migrated to the current schema");
        }
        OpenReport::Fresh | OpenReport::Opened => {}
    }
    Ok(store)
}

fn run(cli: Cli) -> Result<Status, CliError> {
    let ctx = resolve(&cli)?;
    let _log = repodeck::logging::init(
        &ctx.data_dir,
        cli.global.log_level.as_deref(),
        cli.global.log_format,
    )
    .map_err(CliError::Input)?;
    tracing::debug!(data_dir = %ctx.data_dir.display(), api = %ctx.config.github.api_url, "starting");
    // Not locked for the whole command: a panic on another thread must be able to reach the
    // terminal (the panic hook restores it) instead of waiting for this thread forever.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    match cli.command {
        None => {
            let store = open_store_with(&ctx, Store::open_quick)?;
            let store = std::sync::Arc::new(store);
            let rt = commands::remote::runtime()?;
            rt.block_on(async {
                // The UI starts from the store even when the engine cannot: it then browses offline.
                let engine = if vault_needs_passphrase(&ctx, &store) {
                    EngineStart::Locked(unlocker(&ctx, &store))
                } else {
                    match commands::remote::clients(&ctx, &store) {
                        Ok(clients) => EngineStart::Running(clients.start_engine(
                            store.clone(),
                            ctx.config.clone(),
                            false,
                        )),
                        Err(e) => {
                            tracing::warn!(error = %e, "sync engine not started; browsing offline");
                            EngineStart::Offline
                        }
                    }
                };
                repodeck::tui::run_async(&ctx, store, engine).await
            })
            .map_err(|e| CliError::Failed(format!("the terminal UI failed: {e}")))?;
            Ok(Status::Ok)
        }
        Some(Command::Add { repos }) => {
            // Validate before touching the store, so bad input never waits on a lock.
            commands::parse_keys(&repos)?;
            let store = open_store(&ctx)?;
            commands::add(&store, &repos, &mut out, &mut err)
        }
        Some(Command::Remove { repos }) => {
            commands::parse_keys(&repos)?;
            let store = open_store(&ctx)?;
            commands::remove(&store, &repos, &mut out, &mut err)
        }
        Some(Command::List { json }) => {
            let store = open_store(&ctx)?;
            commands::list(&store, json, chrono::Utc::now(), &mut out)
        }
        Some(Command::Token(cmd)) => {
            let store = open_store(&ctx)?;
            let checker = token::GithubChecker {
                api_url: ctx.config.github.api_url.clone(),
                graphql_url: ctx.config.github.graphql_url.clone(),
            };
            let env = |name: &str| std::env::var(name).ok();
            let tctx = token::TokenContext {
                keys: KeySource::from_env(ctx.identity.clone()),
                new_passphrase: PassphraseSource::from_env("REPODECK_NEW_PASSPHRASE"),
                checker: &checker,
                env: &env,
                now: chrono::Utc::now(),
            };
            token::run(
                &store,
                cmd,
                &tctx,
                &mut token::read_token,
                &mut out,
                &mut err,
            )
        }
        Some(Command::Sync {
            repos,
            all,
            force,
            rest,
            json,
        }) => {
            commands::parse_keys(&repos)?;
            let args = commands::sync::SyncArgs {
                repos,
                all,
                force,
                rest,
                json,
            };
            commands::sync::run(&ctx, open_store(&ctx)?, &args, &mut out, &mut err)
        }
        Some(Command::Import {
            org,
            user,
            mine,
            include_forks,
            include_archived,
            skip_archived,
        }) => {
            let source = match (org, user, mine) {
                (Some(o), _, _) => ImportSource::Org(o),
                (None, Some(u), _) => ImportSource::User(u),
                _ => ImportSource::Mine,
            };
            // Archived repos are tracked unless --skip-archived (see the sync notes on this choice).
            let opts = ImportOptions {
                source,
                include_forks,
                include_archived: include_archived || !skip_archived,
            };
            commands::import::import(&ctx, open_store(&ctx)?, &opts, &mut out, &mut err)
        }
        Some(Command::Search {
            query,
            add,
            limit,
            json,
        }) => commands::import::search(
            &ctx,
            open_store(&ctx)?,
            &query,
            &add,
            usize::from(limit),
            json,
            &mut out,
        ),
        Some(Command::Activity { since, repo, json }) => {
            let store = open_store(&ctx)?;
            commands::show::activity(&store, since.as_deref(), repo.as_deref(), json, &mut out)
        }
        Some(Command::Show { repo, json }) => {
            let store = open_store(&ctx)?;
            commands::show::show(&store, &repo, json, &mut out)
        }
        Some(Command::Demo {
            repos,
            seed,
            mutate_every,
        }) => commands::demo::run(
            &ctx,
            commands::demo::DemoOptions {
                repos,
                seed,
                mutate_every,
            },
        ),
    }
}

/// The vault holds tokens and neither `--identity` / `REPODECK_IDENTITY` nor
/// `REPODECK_PASSPHRASE` unlocks it: the TUI asks in its passphrase dialog.
fn vault_needs_passphrase(ctx: &commands::Context, store: &Store) -> bool {
    ctx.identity.is_none()
        && std::env::var_os("REPODECK_PASSPHRASE").is_none()
        && secrets::list_tokens(store).is_ok_and(|t| !t.is_empty())
}

/// Unlocks the vault with the dialog's passphrase and starts the engine over its tokens.
fn unlocker(ctx: &commands::Context, store: &std::sync::Arc<Store>) -> repodeck::tui::Unlocker {
    let config = ctx.config.clone();
    let store = store.clone();
    std::sync::Arc::new(move |pass| {
        let keys = secrets::KeySource::Passphrase(secrets::PassphraseSource::Given(pass));
        let tokens = match secrets::Tokens::load(&store, &keys, &|name| std::env::var(name).ok()) {
            Ok(t) => t,
            Err(
                secrets::VaultError::WrongPassphrase { .. } | secrets::VaultError::EmptyPassphrase,
            ) => {
                return Err(UnlockError::WrongPassphrase);
            }
            Err(e) => return Err(UnlockError::Failed(e.to_string())),
        };
        let clients = commands::remote::clients_from(&config, &store, &tokens)
            .map_err(|e| UnlockError::Failed(e.to_string()))?;
        Ok(clients.start_engine(store.clone(), config.clone(), false))
    })
}
