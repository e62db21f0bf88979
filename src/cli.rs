//! Command-line interface (clap derive): raw arguments into typed options. `main.rs` resolves them
//! against the config file and runs the command through `commands`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  everything worked
  1  partial failure: some repositories failed (the others were done)
  2  usage, config, input or authentication error: nothing was changed";

#[derive(Debug, Parser)]
#[command(
    name = "repodeck",
    version,
    about = "A keyboard-driven terminal command center for the GitHub repositories you care about",
    long_about = "A keyboard-driven terminal command center for the GitHub repositories you care about.\n\nRun without a command to open the TUI.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalOpts {
    /// Where the store, logs and backups live [default: the platform's data directory]
    #[arg(long, global = true, env = "REPODECK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file [default: <config dir>/repodeck/config.toml]
    #[arg(long, global = true, env = "REPODECK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// GitHub REST API base URL (config `github.api_url`) [default: https://api.github.com]
    #[arg(long, global = true, env = "GITHUB_API_URL", value_name = "URL")]
    pub api_url: Option<String>,
    /// An age identity file (from `age-keygen`) for the token vault, instead of repodeck's own
    /// passphrase-protected identity; for unattended servers
    #[arg(long, global = true, env = "REPODECK_IDENTITY", value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Log level or filter (trace, debug, info, warn, error); RUST_LOG wins when set
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Log file format
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Track repositories: OWNER/NAME, https://github.com/OWNER/NAME[.git] or git@github.com:OWNER/NAME.git
    Add {
        /// Repositories to track: OWNER/NAME or a GitHub URL (https or ssh)
        #[arg(required = true, value_name = "REPO")]
        repos: Vec<String>,
    },
    /// Stop tracking repositories and delete everything stored for them
    #[command(visible_alias = "rm")]
    Remove {
        /// Tracked repositories to remove: OWNER/NAME or a GitHub URL
        #[arg(required = true, value_name = "REPO")]
        repos: Vec<String>,
    },
    /// List tracked repositories
    #[command(visible_alias = "ls")]
    List {
        /// One JSON array, for scripts
        #[arg(long)]
        json: bool,
        /// Only the repositories this filter matches, the TUI's `/` syntax: words, lang:rust,
        /// topic:cli, stars:>100, is:archived|fork|private, ci:failing, has:release, changed:,
        /// ! negates (e.g. 'lang:rust !is:fork stars:>10')
        #[arg(long, value_name = "EXPR", allow_hyphen_values = true)]
        filter: Option<String>,
    },
    /// Manage GitHub tokens in the encrypted vault (see `repodeck token --help`)
    #[command(subcommand)]
    Token(TokenCommand),
    /// Open the demo: a fake GitHub on 127.0.0.1 with repositories that keep changing, offline
    Demo {
        /// How many repositories the demo organization has
        #[arg(long, default_value_t = 50)]
        repos: usize,
        /// Seed of the generated data
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Seconds between background changes (0 = none)
        #[arg(long, default_value_t = 4)]
        mutate_every: u64,
    },
    /// Sync tracked repositories with GitHub (cheapest path: a GraphQL change probe, details only
    /// for what changed); prints a summary, `--json` for scripts
    #[command(group(ArgGroup::new("which").required(true).args(["repos", "all"])))]
    Sync {
        /// Tracked repositories to sync (OWNER/NAME)
        #[arg(value_name = "REPO")]
        repos: Vec<String>,
        /// Sync every tracked repository
        #[arg(long)]
        all: bool,
        /// Ignore sync.min_interval and refetch details even when nothing seems changed
        #[arg(long)]
        force: bool,
        /// Use REST with ETags instead of GraphQL (for comparison; slower, more requests)
        #[arg(long)]
        rest: bool,
        /// Print one JSON summary object on stdout
        #[arg(long)]
        json: bool,
    },
    /// Track every repository of an organization, a user, or your own account
    #[command(group(ArgGroup::new("source").required(true).args(["org", "user", "mine"])))]
    Import {
        /// An organization's repositories
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        /// A user's public repositories
        #[arg(long, value_name = "LOGIN")]
        user: Option<String>,
        /// The repositories of the account the token belongs to
        #[arg(long)]
        mine: bool,
        /// Include forks (skipped by default)
        #[arg(long)]
        include_forks: bool,
        /// Track archived repositories too (the default; kept for scripts that pass it)
        #[arg(long, conflicts_with = "skip_archived")]
        include_archived: bool,
        /// Leave archived repositories out
        #[arg(long)]
        skip_archived: bool,
    },
    /// Search GitHub's repositories; `--add 1 3` tracks results by their number
    Search {
        /// GitHub search syntax, e.g. "language:rust stars:>1000 tui"
        #[arg(value_name = "QUERY")]
        query: String,
        /// Track the results with these numbers (as listed, from 1)
        #[arg(long, value_name = "N", num_args = 1..)]
        add: Vec<usize>,
        /// How many results to fetch (1-100)
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
        /// Print JSON on stdout
        #[arg(long)]
        json: bool,
    },
    /// The change feed: new commits, releases, PRs, issues, stars... newest first
    Activity {
        /// Only changes seen within this long, e.g. 30m, 12h, 7d
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only this repository's changes
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Print a JSON array on stdout (with --follow: one JSON object a line)
        #[arg(long)]
        json: bool,
        /// Keep running and print new changes as they are detected, until Ctrl-C (syncs every
        /// `sync.interval` on its own, or follows the running repodeck it attaches to)
        #[arg(long, short = 'f', conflicts_with = "since")]
        follow: bool,
    },
    /// GitHub webhooks: the secret deliveries are signed with (see `repodeck hook --help`)
    #[command(subcommand)]
    Hook(HookCommand),
    /// Everything stored for one repository
    Show {
        /// A tracked repository: OWNER/NAME or a GitHub URL
        #[arg(value_name = "OWNER/NAME")]
        repo: String,
        /// Print one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script on stdout, e.g. `repodeck completions bash >
    /// ~/.local/share/bash-completion/completions/repodeck` (see "Shell completions" in the README)
    Completions {
        /// The shell to complete for
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per command into a directory
    Man {
        /// Write repodeck.1 and repodeck-COMMAND.1 pages into this directory instead
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run headless: receive GitHub webhooks, sync in the background every `sync.interval`,
    /// serve metrics and health; stops cleanly on SIGTERM / Ctrl-C (see "Run it as a service")
    Serve {
        /// Address to listen on (config `serve.listen`) [default: 127.0.0.1:8787]
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// A separate address for /metrics, /healthz and /readyz (config `serve.metrics_listen`)
        /// [default: the main listener]
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<std::net::SocketAddr>,
        /// Also write the log to stderr (for systemd / journald)
        #[arg(long)]
        log_stderr: bool,
    },
    /// Check the setup: token (source, validity, scopes, expiry), the API and GraphQL endpoints,
    /// the clock, the store and free disk, file modes, config, the terminal and `serve`; each
    /// check says ok / warn / fail and the fix (exit 0 all ok, 1 warnings, 2 failures)
    Doctor {
        /// Print one JSON object on stdout: {status, exit_code, checks: [{id, status, message, fix}]}
        #[arg(long)]
        json: bool,
    },
    /// The token-use audit log: every request to GitHub (time, token id, token source, repo,
    /// endpoint class, method, status, points) with a per-token summary; never a token
    Audit {
        /// Only requests within this long, e.g. 30m, 12h, 7d (default 24h)
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
        /// Only requests for this repository
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Only this token's requests: its id as `token list` shows it (ghp_...a1f3, or a1f3), or
        /// `anonymous`
        #[arg(long, value_name = "ID")]
        token: Option<String>,
        /// Print one JSON array on stdout
        #[arg(long)]
        json: bool,
    },
    /// The freshness plan: budget, points spent in the last hour, each cadence class with its
    /// repo count, the next probe, the mean age of the data and the event hints
    Status {
        /// Print one JSON object on stdout
        #[arg(long)]
        json: bool,
    },
}

pub const TOKEN_HELP: &str = "\
Tokens are age-encrypted in the store, one global and one per repository. The vault's key is
unlocked with a passphrase (REPODECK_PASSPHRASE, or a prompt on a terminal), or comes from an age
identity file (--identity FILE / REPODECK_IDENTITY).
Precedence: per-repo token > vault global token > GITHUB_TOKEN / GH_TOKEN > anonymous.";

#[derive(Debug, Subcommand)]
#[command(after_help = TOKEN_HELP)]
pub enum TokenCommand {
    /// Store a token, read from stdin (hidden input on a terminal; never from the command line),
    /// after checking its shape and asking GitHub who it belongs to
    Set {
        /// Use this token for one repository only
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        /// Accept tokens that do not look like github.com tokens (GitHub Enterprise, custom)
        #[arg(long)]
        any_format: bool,
    },
    /// Show stored tokens by fingerprint (never the token), and which one is in effect
    #[command(visible_alias = "ls")]
    List {
        /// One JSON array, for scripts
        #[arg(long)]
        json: bool,
    },
    /// Delete a stored token
    #[command(visible_alias = "remove")]
    Rm {
        /// The repository's token instead of the global one
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
    },
    /// Ask GitHub about every token: valid, expired or revoked; scopes; expiry
    Check,
    /// Change the vault passphrase (the new one from REPODECK_NEW_PASSPHRASE or a prompt)
    RotatePassphrase,
    /// Make a new vault key and re-encrypt every token to it
    RotateIdentity,
}

pub const HOOK_HELP: &str = "\
GitHub signs every webhook delivery with a secret you give it (HMAC-SHA256 in
X-Hub-Signature-256); `repodeck serve` checks that signature before it reads a delivery. The secret
is age-encrypted in the vault next to your tokens and is never printed again after `generate`.";

// Serde: an attached `hook ...` is sent to the host as it was parsed (`host::protocol`).
#[derive(Debug, Clone, Subcommand, serde::Serialize, serde::Deserialize)]
#[command(after_help = HOOK_HELP)]
pub enum HookCommand {
    /// The webhook secret in the vault
    #[command(subcommand)]
    Secret(HookSecretCommand),
    /// Create (or update, when one exists for the URL) webhooks that send to URL, signed with
    /// the vault's secret; needs the admin:repo_hook scope (admin:org_hook for --org)
    Create {
        #[command(flatten)]
        targets: HookTargets,
        /// Where GitHub delivers: your `repodeck serve` endpoint, e.g. https://host/webhooks/github
        #[arg(long, value_name = "URL")]
        url: String,
        /// Events to subscribe to, comma-separated (default: every event repodeck acts on)
        #[arg(long, value_name = "LIST", value_delimiter = ',')]
        events: Vec<String>,
    },
    /// Show the webhooks of tracked repositories (or an organization's): none, active, failing
    #[command(visible_alias = "ls")]
    List {
        /// Only these repositories (default: every tracked one)
        #[arg(value_name = "REPO", conflicts_with = "org")]
        repos: Vec<String>,
        /// An organization's own hooks instead
        #[arg(long, value_name = "ORG")]
        org: Option<String>,
        /// Only hooks that deliver to this URL
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// One JSON array, for scripts
        #[arg(long)]
        json: bool,
    },
    /// Delete the webhooks that deliver to URL
    #[command(visible_alias = "rm")]
    Delete {
        #[command(flatten)]
        targets: HookTargets,
        #[arg(long, value_name = "URL")]
        url: String,
    },
    /// Ask GitHub to send a `ping` delivery to the webhooks that deliver to URL
    Ping {
        #[command(flatten)]
        targets: HookTargets,
        #[arg(long, value_name = "URL")]
        url: String,
    },
}

/// Which hooks: repositories by name, every tracked one, or one organization's own hook.
#[derive(Debug, Clone, clap::Args, serde::Serialize, serde::Deserialize)]
#[group(required = true, multiple = false)]
pub struct HookTargets {
    /// Repositories (OWNER/NAME)
    #[arg(value_name = "REPO")]
    pub repos: Vec<String>,
    /// Every tracked repository
    #[arg(long)]
    pub all: bool,
    /// One organization hook, which covers all the organization's repositories
    #[arg(long, value_name = "ORG")]
    pub org: Option<String>,
}

#[derive(Debug, Clone, Subcommand, serde::Serialize, serde::Deserialize)]
pub enum HookSecretCommand {
    /// Make a random secret (32 bytes), store it, and print it once for GitHub's webhook settings
    Generate {
        /// Replace a stored secret (hooks created with the old one fail until updated)
        #[arg(long)]
        replace: bool,
    },
    /// Store a secret read from stdin (hidden input on a terminal); at least 32 characters
    Set {
        /// Replace a stored secret (hooks created with the old one fail until updated)
        #[arg(long)]
        replace: bool,
    },
    /// Whether a secret is stored: its fingerprint, length and age (never the secret)
    Show {
        /// One JSON object, for scripts
        #[arg(long)]
        json: bool,
    },
}
