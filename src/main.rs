//! Entry point, wiring only: parse the CLI, load config, start logging, open the store, run the
//! command, map the result to an exit code (0 ok, 1 partial failure, 2 usage/config/input/auth).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use directories::ProjectDirs;

use repodeck::cli::{Cli, Command, HookCommand, HookSecretCommand, TokenCommand};
use repodeck::commands::{self, CliError, Status, token};
use repodeck::config::Config;
use repodeck::domain::{ImportOptions, ImportSource};
use repodeck::host::client::{
    AttachError, Attached, AttachedSource, OpenError, Opened, open_or_attach, who_hosts,
};
use repodeck::host::source::DataSource;
use repodeck::host::{Host, HostKind, RemoteCommand};
use repodeck::secrets::{KeySource, PassphraseSource};
use repodeck::session::{self, Context, demo};
use repodeck::store::{OpenReport, Store, StoreError};

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
    // `[keys]` names the TUI's actions: checked here, with every other key, for every command.
    repodeck::tui::check_keys(&config.keys).map_err(|e| {
        CliError::Input(
            repodeck::config::ConfigError::Invalid {
                path: config_path.clone(),
                message: e.to_string(),
            }
            .to_string(),
        )
    })?;
    // `[[commands]]` keys likewise, against the keymap they join.
    repodeck::tui::check_commands(&config).map_err(|message| {
        CliError::Input(
            repodeck::config::ConfigError::Invalid {
                path: config_path.clone(),
                message,
            }
            .to_string(),
        )
    })?;
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
    open_store_with(ctx, false)
}

/// The store, or the running repodeck that hosts it (commands that can work through a host).
fn open_or_host(ctx: &Context) -> Result<Opened<Store>, CliError> {
    open_or_attach(&ctx.data_dir, || match open_store(ctx) {
        Ok(s) => Ok(s),
        Err(CliError::Store(e)) => Err(e),
        Err(e) => Err(StoreError::Dir {
            dir: ctx.data_dir.clone(),
            source: std::io::Error::other(e.to_string()),
        }),
    })
    .map_err(|e| match e {
        OpenError::Store(s) => CliError::Store(s),
        other => CliError::Input(other.to_string()),
    })
}

/// The store for a command that must own it (`what`, which cannot run through a host because
/// `why`): when a host holds it, says which process to stop.
fn own_store(ctx: &Context, what: &str, why: &str) -> Result<Store, CliError> {
    match open_store(ctx) {
        Err(CliError::Store(StoreError::Locked { dir, .. })) => match who_hosts(&ctx.data_dir) {
            Some(host) => Err(CliError::Input(format!(
                "`repodeck {what}` must own the store ({why}), and the data directory {} is hosted \
                 by {}: stop it with `kill {}`, run this again, then start it again",
                dir.display(),
                host.process(),
                host.pid
            ))),
            None => open_store(ctx),
        },
        other => other,
    }
}

/// Why the token vault's changes cannot run through a host.
const VAULT_OWNED: &str = "the running repodeck unlocked the vault and built its GitHub clients \
     when it started, and would go on with the old tokens and keys";

/// Runs a command on the host that holds the store, as the local command would: same output,
/// same exit code.
fn on_host(
    host: &AttachedSource,
    cmd: RemoteCommand,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<Status, CliError> {
    match host.block_on(host.conn().run_command(cmd, out, err))? {
        (0, None) => Ok(Status::Ok),
        (_, None) => Ok(Status::Partial),
        (2, Some(message)) => Err(CliError::Input(message)),
        (_, Some(message)) => Err(CliError::Failed(message)),
    }
}

/// Opens the store (`quick` for the TUI: `Store::open_quick`). What the open found (a rebuild,
/// lost records) is said here for commands, and by the TUI in its status line.
fn open_store_with(ctx: &Context, quick: bool) -> Result<Store, CliError> {
    let open = if quick {
        Store::open_quick
    } else {
        Store::open
    };
    let (store, report) = open(&ctx.data_dir)?;
    if let OpenReport::Migrated { from } = report {
        tracing::info!(from, "store migrated to the current schema");
    }
    if !quick {
        for notice in store.take_notices() {
            eprintln!("warning: {notice}");
        }
    }
    Ok(store)
}

fn run(cli: Cli) -> Result<Status, CliError> {
    // Generated from the clap definition alone: they work with a broken config or store.
    match &cli.command {
        Some(Command::Completions { shell }) => {
            return commands::manual::completions(*shell, &mut std::io::stdout());
        }
        Some(Command::Man { dir }) => {
            return commands::manual::man(dir.as_deref(), &mut std::io::stdout());
        }
        _ => {}
    }
    let ctx = resolve(&cli)?;
    // What this process runs for attached views while it hosts the store.
    repodeck::host::install_runner(std::sync::Arc::new(commands::remote::HostedCommands::new(
        ctx.clone(),
    )));
    // File modes are read before logging or the store tighten the data directory (to 0700):
    // `serve` refuses an open one, `doctor` reports it as it was found.
    let modes = match &cli.command {
        Some(Command::Doctor { .. }) => session::checks::file_modes(&ctx),
        Some(Command::Serve { .. }) => match session::checks::serve_preflight(&ctx) {
            Some(refusal) => return Err(CliError::Input(refusal)),
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    // The TUI (no command, or the demo) owns the terminal: no log lines on stderr then.
    let stderr = repodeck::logging::Stderr {
        fallback: !matches!(cli.command, None | Some(Command::Demo { .. })),
        copy: matches!(
            cli.command,
            Some(Command::Serve {
                log_stderr: true,
                ..
            })
        ),
    };
    let log = repodeck::logging::init(
        &ctx.data_dir,
        cli.global.log_level.as_deref(),
        cli.global.log_format,
        stderr,
    )
    .map_err(|e| CliError::Input(e.to_string()))?;
    if let Some(notice) = &log.notice {
        eprintln!("{notice}");
    }
    tracing::debug!(data_dir = %ctx.data_dir.display(), api = %ctx.config.github.api_url, "starting");
    // Not locked for the whole command: a panic on another thread must be able to reach the
    // terminal (the panic hook restores it) instead of waiting for this thread forever.
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let Some(command) = cli.command else {
        return run_tui(&ctx);
    };
    match command {
        Command::Token(cmd) => run_token(&ctx, cmd, &mut out, &mut err),
        Command::Hook(HookCommand::Secret(HookSecretCommand::Show { json })) => {
            match open_or_host(&ctx)? {
                Opened::Local(store) => commands::hook::show(&store, json, &mut out),
                Opened::Attached(host) => on_host(
                    &host,
                    RemoteCommand::Hook(HookCommand::Secret(HookSecretCommand::Show { json })),
                    &mut out,
                    &mut err,
                ),
            }
        }
        Command::Hook(HookCommand::Secret(cmd)) => {
            let what = match cmd {
                HookSecretCommand::Generate { .. } => "hook secret generate",
                _ => "hook secret set",
            };
            let store = own_store(
                &ctx,
                what,
                "the running repodeck read the webhook secret when it started, and would go on \
                 checking deliveries with the old one",
            )?;
            let mut read = || token::read_secret("webhook secret (input is hidden): ");
            let mut hctx = commands::hook::HookContext {
                keys: KeySource::from_env(ctx.identity.clone()),
                read: &mut read,
            };
            commands::hook::run(&store, cmd, &mut hctx, &mut out)
        }
        Command::Hook(cmd) => run_hook(&ctx, cmd, &mut out, &mut err),
        Command::Sync {
            repos,
            all,
            force,
            rest,
            json,
        } => {
            commands::parse_keys(&repos)?;
            let args = commands::sync::SyncArgs {
                repos,
                all,
                force,
                rest,
                json,
                min_interval: ctx.config.sync.min_interval,
            };
            match open_or_host(&ctx)? {
                Opened::Local(store) => commands::sync::run(&ctx, store, &args, &mut out, &mut err),
                Opened::Attached(host) => {
                    let url = &ctx.config.github.api_url;
                    commands::sync::run_attached(&host, &args, url, &mut out, &mut err)
                }
            }
        }
        Command::Import {
            org,
            user,
            mine: _,
            include_forks,
            include_archived,
            skip_archived,
        } => {
            // Archived repos are tracked unless --skip-archived (see the sync notes on this choice).
            let opts = ImportOptions {
                source: import_source(org, user),
                include_forks,
                include_archived: include_archived || !skip_archived,
            };
            match open_or_host(&ctx)? {
                Opened::Local(store) => {
                    commands::import::import(&ctx, store, &opts, &mut out, &mut err)
                }
                Opened::Attached(host) => {
                    on_host(&host, RemoteCommand::Import(opts), &mut out, &mut err)
                }
            }
        }
        Command::Search {
            query,
            add,
            limit,
            json,
        } => {
            commands::import::check_query(&query)?;
            let limit = usize::from(limit);
            match open_or_host(&ctx)? {
                Opened::Local(store) => {
                    commands::import::search(&ctx, store, &query, &add, limit, json, &mut out)
                }
                Opened::Attached(host) => {
                    let cmd = RemoteCommand::Search {
                        query,
                        add,
                        limit,
                        json,
                    };
                    on_host(&host, cmd, &mut out, &mut err)
                }
            }
        }
        Command::Demo {
            repos,
            seed,
            mutate_every,
        } => run_demo(
            &ctx,
            demo::DemoOptions {
                repos,
                seed,
                mutate_every,
            },
        ),
        Command::Serve {
            listen,
            metrics_listen,
            log_stderr: _,
        } => run_serve(
            &ctx,
            &repodeck::serve::ServeOptions {
                listen,
                metrics_listen,
            },
        ),
        Command::Doctor { json } => commands::doctor::run(&ctx, modes, json, &mut out),
        Command::Activity {
            repo,
            json,
            follow: true,
            ..
        } => {
            let args = commands::follow::FollowArgs { repo, json };
            match open_or_host(&ctx)? {
                Opened::Local(store) => {
                    commands::follow::run_local(&ctx, store, &args, &mut out, &mut err)
                }
                Opened::Attached(host) => {
                    commands::follow::run_attached(&ctx, &host, &args, &mut out, &mut err)
                }
            }
        }
        local => run_local(&ctx, local, &mut out, &mut err),
    }
}

/// `repodeck serve`: the daemon, until SIGTERM / SIGINT.
fn run_serve(ctx: &Context, opts: &repodeck::serve::ServeOptions) -> Result<Status, CliError> {
    use repodeck::serve::ServeError;
    let store = own_store(
        ctx,
        "serve",
        "it runs the sync engine and receives webhooks itself",
    )?;
    match repodeck::serve::run(ctx, store, opts) {
        Ok(()) => Ok(Status::Ok),
        Err(ServeError::Session(e)) => Err(e.into()),
        Err(ServeError::Setup(m)) => Err(CliError::Input(m)),
        Err(ServeError::Failed(m)) => Err(CliError::Failed(m)),
    }
}

/// `--org`, `--user` or `--mine`: clap requires exactly one of them.
fn import_source(org: Option<String>, user: Option<String>) -> ImportSource {
    match (org, user) {
        (Some(o), _) => ImportSource::Org(o),
        (None, Some(u)) => ImportSource::User(u),
        (None, None) => ImportSource::Mine,
    }
}

/// The commands that only read or change the local store.
fn run_local(
    ctx: &Context,
    command: Command,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<Status, CliError> {
    // Validate before touching the store, so bad input never waits on a lock.
    if let Command::Add { repos } | Command::Remove { repos } = &command {
        commands::parse_keys(repos)?;
    }
    let filter = match &command {
        Command::List {
            filter: Some(f), ..
        } => repodeck::filter::Filter::parse(f).map_err(|e| CliError::Input(e.to_string()))?,
        _ => repodeck::filter::Filter::default(),
    };
    let opened = open_or_host(ctx)?;
    let src: &dyn DataSource = match &opened {
        Opened::Local(store) => store,
        Opened::Attached(host) => host.as_ref(),
    };
    match command {
        Command::Add { repos } => commands::add(src, &repos, out, err),
        Command::Remove { repos } => commands::remove(src, &repos, out, err),
        Command::List { json, .. } => commands::list(src, json, &filter, chrono::Utc::now(), out),
        Command::Activity {
            since, repo, json, ..
        } => commands::show::activity(src, since.as_deref(), repo.as_deref(), json, out),
        Command::Show { repo, json } => commands::show::show(src, &repo, json, out),
        Command::Status { json } => {
            commands::status::run(src, &ctx.config, json, chrono::Utc::now(), out)
        }
        Command::Audit {
            since,
            repo,
            token,
            json,
        } => {
            let args = commands::audit::AuditArgs::parse(
                since.as_deref(),
                repo.as_deref(),
                token.as_deref(),
                json,
                chrono::Utc::now(),
            )?;
            match &opened {
                Opened::Local(store) => commands::audit::run(store, &args, out),
                // The log is read from the store itself: the host must let go of it.
                Opened::Attached(_) => {
                    let why = "it reads the token-use log from the store itself";
                    commands::audit::run(&own_store(ctx, "audit", why)?, &args, out)
                }
            }
        }
        other => Err(CliError::Failed(format!(
            "internal: {other:?} is not a local command"
        ))),
    }
}

/// No command: the TUI over the store, with the engine the session can start. It hosts the
/// store for attached views while it runs.
fn run_tui(ctx: &Context) -> Result<Status, CliError> {
    let store = match open_store_with(ctx, true) {
        Err(CliError::Store(StoreError::Locked { .. })) => return attach_tui(ctx),
        other => std::sync::Arc::new(other?),
    };
    let rt = session::runtime()?;
    rt.block_on(async {
        // The UI starts from the store even when the engine cannot: it then browses offline.
        let engine = session::interactive_engine(ctx, &store);
        let (_host, engine) = host_tui(ctx, &store, engine);
        repodeck::tui::run(ctx, store, engine).await
    })
    .map_err(ui_failed)?;
    Ok(Status::Ok)
}

/// The TUI attached to the repodeck that holds the store; one that is not a host (a command
/// still running) is waited for up to 2 s, then named.
fn attach_tui(ctx: &Context) -> Result<Status, CliError> {
    let rt = session::runtime()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let conn = loop {
        match rt.block_on(Attached::connect(&ctx.data_dir)) {
            Ok(conn) => break conn,
            Err(AttachError::NoHost(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
                // A command that held the store may have ended: open it here then.
                if let Ok(store) = open_store_with(ctx, true) {
                    drop(store);
                    return run_tui(ctx);
                }
            }
            Err(AttachError::NoHost(socket)) => {
                let locked = match open_store_with(ctx, true) {
                    Err(CliError::Store(e)) => e,
                    Ok(store) => {
                        drop(store);
                        return run_tui(ctx);
                    }
                    Err(e) => return Err(e),
                };
                return Err(CliError::Input(
                    OpenError::NotHost { locked, socket }.to_string(),
                ));
            }
            Err(e) => return Err(CliError::Input(e.to_string())),
        }
    };
    let ui = rt.block_on(repodeck::tui::run_attached(
        ctx,
        std::sync::Arc::new(conn),
        takeover(ctx),
    ));
    // A read still waiting on a host that went away must not keep the process.
    rt.shutdown_timeout(std::time::Duration::from_secs(1));
    ui.map_err(ui_failed)?;
    Ok(Status::Ok)
}

/// An attached TUI's `t` once its host has gone: open the store here and host it, or, when
/// another view took it first, attach to that one (its socket may take a moment to appear).
fn takeover(ctx: &Context) -> repodeck::tui::runtime::TakeOver {
    let ctx = ctx.clone();
    std::sync::Arc::new(move || take_over_store(&ctx))
}

/// Runs on a blocking thread of the TUI's runtime.
fn take_over_store(ctx: &Context) -> Result<repodeck::tui::runtime::TakenOver, String> {
    use repodeck::tui::runtime::TakenOver;
    // Generous: the winner of two views that pressed `t` at once opens the store and starts its
    // engine before its socket appears.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open_store_with(ctx, true) {
            Ok(store) => {
                let store = std::sync::Arc::new(store);
                let engine = session::interactive_engine(ctx, &store);
                let (host, engine) = host_tui(ctx, &store, engine);
                return Ok(TakenOver::Local {
                    store,
                    host,
                    engine,
                });
            }
            Err(CliError::Store(StoreError::Locked { .. })) => {}
            Err(e) => return Err(e.to_string()),
        }
        let rt = tokio::runtime::Handle::current();
        match rt.block_on(Attached::connect(&ctx.data_dir)) {
            Ok(conn) => return Ok(TakenOver::Attached(std::sync::Arc::new(conn))),
            Err(AttachError::NoHost(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(AttachError::NoHost(socket)) => {
                return Err(format!(
                    "another repodeck holds the store but does not answer on {socket}: quit, and \
                     start repodeck again once it has finished"
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Starts the TUI's host and hands it the engine (now, or once the vault is unlocked). Without
/// a host (the socket cannot be made) the TUI runs alone.
fn host_tui(
    ctx: &Context,
    store: &std::sync::Arc<Store>,
    engine: session::EngineStart,
) -> (Option<std::sync::Arc<Host>>, session::EngineStart) {
    let host = match Host::start(&ctx.data_dir, store.clone(), HostKind::Tui) {
        Ok(h) => std::sync::Arc::new(h),
        Err(e) => {
            tracing::warn!(error = %e, "not hosting attached views");
            return (None, engine);
        }
    };
    let engine = match engine {
        session::EngineStart::Running(e) => session::EngineStart::Running(host.adopt(e, None)),
        session::EngineStart::Locked(unlock) => {
            let h = host.clone();
            session::EngineStart::Locked(std::sync::Arc::new(move |pass| {
                unlock(pass).map(|e| h.adopt(e, None))
            }))
        }
        offline => offline,
    };
    (Some(host), engine)
}

/// `repodeck token ...`, with the live check against the configured GitHub.
fn run_token(
    ctx: &Context,
    cmd: TokenCommand,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<Status, CliError> {
    let store = match &cmd {
        TokenCommand::List { .. } | TokenCommand::Check => match open_or_host(ctx)? {
            Opened::Local(store) => store,
            Opened::Attached(host) => {
                let remote = match cmd {
                    TokenCommand::List { json } => RemoteCommand::TokenList { json },
                    _ => RemoteCommand::TokenCheck,
                };
                return on_host(&host, remote, out, err);
            }
        },
        _ => own_store(ctx, &format!("token {}", token_verb(&cmd)), VAULT_OWNED)?,
    };
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
    token::run(&store, cmd, &tctx, &mut token::read_token, out, err)
}

/// The subcommand's name, as the user typed it.
fn token_verb(cmd: &TokenCommand) -> &'static str {
    match cmd {
        TokenCommand::Set { .. } => "set",
        TokenCommand::List { .. } => "list",
        TokenCommand::Rm { .. } => "rm",
        TokenCommand::Check => "check",
        TokenCommand::RotatePassphrase => "rotate-passphrase",
        TokenCommand::RotateIdentity => "rotate-identity",
    }
}

/// `hook create|list|delete|ping`: checks every argument, then talks to GitHub.
fn run_hook(
    ctx: &Context,
    cmd: HookCommand,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<Status, CliError> {
    match open_or_host(ctx)? {
        Opened::Local(store) => {
            let gh = commands::remote::Gh::local()?;
            let store = std::sync::Arc::new(store);
            commands::hook::manage::run_command(ctx, &gh, &store, cmd, out, err)
        }
        Opened::Attached(host) => on_host(&host, RemoteCommand::Hook(cmd), out, err),
    }
}

fn ui_failed(e: std::io::Error) -> CliError {
    CliError::Failed(format!("the terminal UI failed: {e}"))
}

/// `repodeck demo`: an offline tour on fakehub at 127.0.0.1 with a throwaway data directory,
/// removed afterwards.
fn run_demo(ctx: &Context, opts: demo::DemoOptions) -> Result<Status, CliError> {
    let dir = demo::data_dir();
    let rt = session::runtime()?;
    let result = rt.block_on(async {
        let (demo, engine) = demo::Demo::start(ctx, opts, &dir).await?;
        let ui = repodeck::tui::run(
            &demo.ctx,
            demo.store.clone(),
            session::EngineStart::Running(engine),
        )
        .await;
        demo.finish().await;
        ui.map_err(ui_failed)?;
        Ok::<_, CliError>(Status::Ok)
    });
    // Best effort: a leftover directory in the temp dir is harmless.
    let _ = std::fs::remove_dir_all(&dir);
    result
}
