//! Command-line interface (clap derive): raw arguments into typed options. `main.rs` resolves them
//! against the config file and runs the command through `commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
        #[arg(required = true, value_name = "REPO")]
        repos: Vec<String>,
    },
    /// Stop tracking repositories and delete everything stored for them
    #[command(visible_alias = "rm")]
    Remove {
        #[arg(required = true, value_name = "REPO")]
        repos: Vec<String>,
    },
    /// List tracked repositories
    #[command(visible_alias = "ls")]
    List {
        /// One JSON array, for scripts
        #[arg(long)]
        json: bool,
    },
}
