//! Commands that talk to GitHub, wherever they run: [`Gh`] is the runtime and GitHub clients a
//! command uses (its own for a local run; the host's for a command an attached `repodeck` hands
//! to the process that holds the store), and [`HostedCommands`] is the host's runner of those
//! commands (`import`, `search`, `hook ...`, `token list`, `token check`), installed by `main`.
//! A hosted command prints exactly what the local one prints and ends with the same exit code.

use std::borrow::Cow;
use std::io::Write;
use std::sync::Arc;

use super::{CliError, Status};
use crate::cli::{HookCommand, HookSecretCommand};
use crate::host::{Hosted, RemoteCommand, Runner};
use crate::secrets::{KeySource, PassphraseSource, Tokens};
use crate::session::{self, Clients, Context};
use crate::store::Store;
use crate::sync::SyncEvent;

/// The runtime and GitHub clients of a command.
pub struct Gh {
    _own: Option<tokio::runtime::Runtime>,
    rt: tokio::runtime::Handle,
    clients: Option<Clients>,
    /// Run by this host (`repodeck serve, pid N`): never prompt (the host's terminal is not the
    /// user's, or is the TUI's).
    host: Option<String>,
}

impl Gh {
    /// A runtime of the command's own; clients from the environment.
    pub fn local() -> Result<Gh, CliError> {
        let own = session::runtime()?;
        Ok(Gh {
            rt: own.handle().clone(),
            _own: Some(own),
            clients: None,
            host: None,
        })
    }

    /// The host's runtime and clients. Call from a blocking thread of that runtime.
    pub fn hosted(host: &Hosted) -> Gh {
        Gh {
            _own: None,
            rt: host.rt.clone(),
            clients: host.clients.clone(),
            host: Some(host.info.process()),
        }
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// The vault's key: `--identity`, `REPODECK_PASSPHRASE` or (locally, on a terminal) a prompt.
    pub fn keys(&self, ctx: &Context) -> KeySource {
        match (&ctx.identity, self.host.is_some()) {
            (Some(path), _) => KeySource::IdentityFile(path.clone()),
            (None, false) => KeySource::from_env(None),
            (None, true) => KeySource::Passphrase(match std::env::var("REPODECK_PASSPHRASE") {
                Ok(p) => PassphraseSource::Given(secrecy::SecretString::from(p)),
                Err(_) => PassphraseSource::Unavailable,
            }),
        }
    }

    /// The clients to send requests through: the host's engine's (one scheduler, one rate
    /// budget), else new ones over the environment's tokens. Call inside [`Gh::block_on`].
    pub fn clients(&self, ctx: &Context, store: &Arc<Store>) -> Result<Cow<'_, Clients>, CliError> {
        if let Some(c) = &self.clients {
            return Ok(Cow::Borrowed(c));
        }
        let env = |name: &str| std::env::var(name).ok();
        let tokens = Tokens::load(store, &self.keys(ctx), &env)?;
        Ok(Cow::Owned(Clients::from_tokens(
            &ctx.config,
            store,
            &tokens,
        )?))
    }
}

/// The host's runner of the commands attached views hand it.
pub struct HostedCommands {
    ctx: Context,
    checker: super::token::GithubChecker,
}

impl Runner for HostedCommands {
    fn run(
        &self,
        cmd: RemoteCommand,
        host: &Hosted,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<u8, (u8, String)> {
        let result = self.dispatch(cmd, host, out, err);
        // What a command changed is on disk before the client hears it ended.
        if let Err(e) = host.store.flush() {
            tracing::warn!(error = %e, "flushing after a hosted command failed");
        }
        match result {
            Ok(Status::Ok) => Ok(0),
            Ok(Status::Partial) => Ok(1),
            Err(e) => Err((e.exit_code(), e.to_string())),
        }
    }
}

impl HostedCommands {
    /// The runner of a host started with `ctx` (its config, data dir and `--identity`).
    pub fn new(ctx: Context) -> Self {
        let checker = super::token::GithubChecker {
            api_url: ctx.config.github.api_url.clone(),
            graphql_url: ctx.config.github.graphql_url.clone(),
        };
        HostedCommands { ctx, checker }
    }

    fn token_context(&self, gh: &Gh) -> super::token::TokenContext<'_> {
        super::token::TokenContext {
            keys: gh.keys(&self.ctx),
            new_passphrase: PassphraseSource::Unavailable,
            checker: &self.checker,
            env: &env_var,
            now: chrono::Utc::now(),
        }
    }

    fn dispatch(
        &self,
        cmd: RemoteCommand,
        host: &Hosted,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<Status, CliError> {
        let ctx = &self.ctx;
        let gh = Gh::hosted(host);
        let store = &host.store;
        let adds = matches!(cmd, RemoteCommand::Import(_) | RemoteCommand::Search { .. });
        let before = if adds { tracked(store) } else { Vec::new() };
        let status = match cmd {
            RemoteCommand::Import(opts) => {
                super::import::import_with(ctx, &gh, store, &opts, out, err)
            }
            RemoteCommand::Search {
                query,
                add,
                limit,
                json,
            } => super::import::search_with(ctx, &gh, store, &query, &add, limit, json, out),
            RemoteCommand::Hook(HookCommand::Secret(HookSecretCommand::Show { json })) => {
                super::hook::show(store, json, out)
            }
            RemoteCommand::Hook(HookCommand::Secret(_)) => Err(CliError::Input(format!(
                "`repodeck hook secret generate|set` cannot run through {}: it reads the webhook \
                 secret only when it starts",
                host.info.process()
            ))),
            RemoteCommand::Hook(cmd) => {
                super::hook::manage::run_command(ctx, &gh, store, cmd, out, err)
            }
            RemoteCommand::TokenList { json } => {
                super::token::list(store, json, &self.token_context(&gh), out)
            }
            RemoteCommand::TokenCheck => {
                super::token::check(store, &self.token_context(&gh), out, err)
            }
        };
        // Repos the command started tracking reach every attached view, as an attached add does.
        if adds {
            let new: Vec<_> = tracked(store)
                .into_iter()
                .filter(|r| !before.iter().any(|b| b.local == r.local))
                .collect();
            if !new.is_empty() {
                host.emit(SyncEvent::Tracked { repos: new });
            }
        }
        status
    }
}

fn tracked(store: &Store) -> Vec<crate::domain::TrackedRepo> {
    store.list().unwrap_or_default()
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
