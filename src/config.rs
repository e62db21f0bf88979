//! Configuration: `RawConfig` mirrors the TOML file (serde, unknown keys refused), `Config` is the
//! validated form every other module reads. CLI flags and environment variables are applied by
//! `main.rs` on top (precedence CLI > env > file > defaults).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

mod user_commands;
pub use user_commands::{
    CommandScreen, PLACEHOLDERS, Piece, Placeholder, RawCommand, RunMode, UserCommand,
};

pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// A config file larger than this is refused unread: a real one is a few hundred bytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A configuration problem: names the file, the key, the problem and the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read config file {path}: {source}. Check the path given with --config or REPODECK_CONFIG"
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "config file {path} is {size} bytes, more than the 1 MB a config file may have; check the path given with --config or REPODECK_CONFIG (config.example.toml shows a real one)"
    )]
    TooLarge { path: PathBuf, size: u64 },
    /// A URL given outside the file (`--api-url`, `GITHUB_API_URL`, the demo's server): the
    /// message says how to write it; the caller says where it came from.
    #[error("{0}")]
    Url(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub github: RawGithub,
    #[serde(default)]
    pub sync: RawSync,
    #[serde(default)]
    pub ui: RawUi,
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub serve: RawServe,
    #[serde(default)]
    pub audit: RawAudit,
    /// `[[notify]]`: one table per rule.
    #[serde(default)]
    pub notify: Vec<RawNotify>,
    /// `[[commands]]`: the user's own commands, one table each.
    #[serde(default)]
    pub commands: Vec<RawCommand>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGithub {
    pub api_url: Option<String>,
    pub graphql_url: Option<String>,
    pub max_concurrency: Option<i64>,
    pub reserve: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    pub min_interval: Option<String>,
    pub interval: Option<String>,
    pub budget: Option<toml::Value>,
    pub event_hints: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUi {
    pub theme: Option<String>,
    pub ascii: Option<bool>,
    pub mouse: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServe {
    pub listen: Option<String>,
    pub metrics_listen: Option<String>,
    pub webhook_path: Option<String>,
    pub allow_ips: Option<toml::Value>,
    pub trusted_proxies: Option<Vec<String>>,
    pub max_body: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub retention: Option<String>,
    pub max_entries: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNotify {
    pub kinds: Option<Vec<String>>,
    pub repos: Option<Vec<String>>,
    pub via: Option<String>,
    pub command: Option<Vec<String>>,
    pub timeout: Option<String>,
    pub quiet: Option<String>,
    pub max_per_minute: Option<i64>,
}

/// How much of each rate-limit bucket background work leaves for what the user asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reserve {
    /// A share of the bucket's limit, 0.0 to 1.0.
    Fraction(f64),
    /// A fixed number of requests or points.
    Absolute(u64),
}

impl Reserve {
    /// The reserve in requests or points for a bucket with this limit.
    pub fn of(self, limit: u64) -> u64 {
        match self {
            Reserve::Fraction(f) => (limit as f64 * f).ceil() as u64,
            Reserve::Absolute(n) => n,
        }
    }
}

impl std::fmt::Display for Reserve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reserve::Fraction(x) => write!(f, "{}%", (x * 100.0).round()),
            Reserve::Absolute(n) => write!(f, "{n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GithubConfig {
    pub api_url: String,
    pub graphql_url: String,
    pub max_concurrency: usize,
    pub reserve: Reserve,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncConfig {
    /// A repo synced more recently than this is skipped unless forced.
    pub min_interval: Duration,
    /// Periodic background sync while the TUI or `serve` runs; `None` = off. With the freshness
    /// scheduler this is the slowest cadence any repo is probed at.
    pub interval: Option<Duration>,
    /// GraphQL points per hour the freshness scheduler may spend on background probes: a share of
    /// the GraphQL bucket's hourly limit (default 10%) or a count of points.
    pub budget: Reserve,
    /// Poll the events feeds of the tracked repos' owners (304s, free) for change hints.
    pub event_hints: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UiConfig {
    pub theme: String,
    pub ascii: bool,
    pub mouse: bool,
}

/// Which client addresses may deliver webhooks to `repodeck serve`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowIps {
    /// Everyone (the signature still has to match).
    Any,
    /// These networks only.
    List(Vec<ipnet::IpNet>),
    /// The `hooks` ranges of GitHub's `GET /meta`, refreshed daily.
    GithubMeta,
}

/// `[serve]`: the daemon's listeners and its webhook receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub listen: std::net::SocketAddr,
    /// A separate listener for `/metrics`, `/healthz`, `/readyz`; `None` = on `listen`.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub webhook_path: String,
    pub allow_ips: AllowIps,
    /// Peers whose `X-Forwarded-For` is believed (reverse proxies).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Largest delivery body accepted, in bytes.
    pub max_body: u64,
}

/// `[audit]`: the token-use audit log (one record per request to GitHub).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    /// Records older than this are pruned (default 30 days).
    pub retention: Duration,
    /// At most this many records are kept; the oldest go first (default 1,000,000).
    pub max_entries: u64,
}

pub const DEFAULT_AUDIT_RETENTION: Duration = Duration::from_secs(30 * 86_400);
pub const DEFAULT_AUDIT_MAX_ENTRIES: u64 = 1_000_000;

pub const DEFAULT_SERVE_LISTEN: &str = "127.0.0.1:8787";
pub const DEFAULT_WEBHOOK_PATH: &str = "/webhooks/github";
/// GitHub caps webhook payloads at 25 MB.
pub const DEFAULT_MAX_BODY: u64 = 25 * 1024 * 1024;

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub github: GithubConfig,
    pub sync: SyncConfig,
    pub ui: UiConfig,
    pub serve: ServeConfig,
    pub audit: AuditConfig,
    /// Action name -> key(s), validated by the TUI's keymap.
    pub keys: BTreeMap<String, String>,
    /// `[[notify]]` rules, in file order (`notify` turns them into notifications).
    pub notify: Vec<NotifyRule>,
    /// `[[commands]]`, in file order; their keys are checked by the TUI's keymap.
    pub commands: Vec<UserCommand>,
}

pub const THEMES: &[&str] = &["default", "light", "mono"];

impl Default for Config {
    #[expect(
        clippy::expect_used,
        reason = "the built-in defaults always validate (tests build them); a failure is a bug, not input"
    )]
    fn default() -> Self {
        Config::from_raw(RawConfig::default(), Path::new("<defaults>")).expect("defaults are valid")
    }
}

/// Where `--api-url` came from matters only for precedence; `None` means "not given on CLI or env".
impl Config {
    /// Loads `path`. A missing file is an error only when `explicit` (given with --config or env).
    pub fn load(path: &Path, explicit: bool) -> Result<Self, ConfigError> {
        let text = match read_capped(path) {
            Ok(t) => t,
            Err(ConfigError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && !explicit =>
            {
                return Ok(Config::default());
            }
            Err(e) => return Err(e),
        };
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let de = toml::Deserializer::parse(text).map_err(|e| invalid(explain_toml_error(&e)))?;
        // The path to the value that failed, so a wrong type names its key.
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let message = explain_toml_error(e.inner());
            if key == "." || message.starts_with("unknown key") {
                invalid(message)
            } else {
                invalid(format!("key `{key}`: {message}"))
            }
        })?;
        Self::from_raw(raw, path)
    }

    pub fn from_raw(raw: RawConfig, path: &Path) -> Result<Self, ConfigError> {
        let bad = |message: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let api_url = match raw.github.api_url {
            Some(u) => validate_url(&u).map_err(|m| bad(format!("key `github.api_url`: {m}")))?,
            None => DEFAULT_API_URL.to_string(),
        };
        let graphql_url = match raw.github.graphql_url {
            Some(u) => {
                validate_url(&u).map_err(|m| bad(format!("key `github.graphql_url`: {m}")))?
            }
            None => derive_graphql_url(&api_url),
        };
        let max_concurrency = match raw.github.max_concurrency {
            None => 4,
            Some(n) if (1..=32).contains(&n) => n as usize,
            Some(n) => {
                return Err(bad(format!(
                    "key `github.max_concurrency` is {n}: use a number from 1 to 32 (default 4)"
                )));
            }
        };
        let reserve = match raw.github.reserve {
            None => Reserve::Fraction(0.10),
            Some(v) => parse_reserve(&v).map_err(|m| bad(format!("key `github.reserve`: {m}")))?,
        };
        let min_interval = match raw.sync.min_interval {
            None => Duration::from_secs(300),
            Some(s) => {
                parse_duration(&s).map_err(|m| bad(format!("key `sync.min_interval`: {m}")))?
            }
        };
        let interval = match raw.sync.interval {
            None => Some(Duration::from_secs(900)),
            Some(s) => {
                let d = parse_duration(&s).map_err(|m| bad(format!("key `sync.interval`: {m}")))?;
                (!d.is_zero()).then_some(d)
            }
        };
        let budget = match raw.sync.budget {
            None => Reserve::Fraction(0.10),
            Some(v) => parse_reserve(&v).map_err(|m| bad(format!("key `sync.budget`: {m}")))?,
        };
        let theme = raw.ui.theme.unwrap_or_else(|| "default".to_string());
        if !THEMES.contains(&theme.as_str()) {
            return Err(bad(format!(
                "key `ui.theme` is \"{theme}\": use one of {}",
                THEMES
                    .iter()
                    .map(|t| format!("\"{t}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let serve = serve_config(raw.serve).map_err(&bad)?;
        let audit = audit_config(raw.audit).map_err(&bad)?;
        let notify = notify_rules(raw.notify).map_err(&bad)?;
        let commands = user_commands::user_commands(raw.commands).map_err(&bad)?;
        Ok(Config {
            notify,
            commands,
            serve,
            audit,
            github: GithubConfig {
                api_url,
                graphql_url,
                max_concurrency,
                reserve,
            },
            sync: SyncConfig {
                min_interval,
                interval,
                budget,
                event_hints: raw.sync.event_hints.unwrap_or(true),
            },
            ui: UiConfig {
                theme,
                ascii: raw.ui.ascii.unwrap_or(false),
                mouse: raw.ui.mouse.unwrap_or(false),
            },
            keys: raw.keys,
        })
    }

    /// Applies an API URL given on the command line or in `GITHUB_API_URL` (these beat the file).
    /// The GraphQL URL follows unless the file set it explicitly... it is re-derived from the new base.
    pub fn with_api_url(mut self, url: &str) -> Result<Self, ConfigError> {
        let url = validate_url(url).map_err(ConfigError::Url)?;
        self.github.graphql_url = derive_graphql_url(&url);
        self.github.api_url = url;
        Ok(self)
    }
}

/// Reads a config file of at most [`MAX_CONFIG_BYTES`], without reading more of a larger one.
fn read_capped(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let read_err = |source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let too_large = |size| ConfigError::TooLarge {
        path: path.to_path_buf(),
        size,
    };
    if let Ok(meta) = file.metadata()
        && meta.len() > MAX_CONFIG_BYTES
    {
        return Err(too_large(meta.len()));
    }
    let mut text = String::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(read_err)?;
    if text.len() as u64 > MAX_CONFIG_BYTES {
        return Err(too_large(text.len() as u64));
    }
    Ok(text)
}

/// `<api_url>/graphql`, or `https://HOST/api/graphql` for GitHub Enterprise's `https://HOST/api/v3`.
pub fn derive_graphql_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    match base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{base}/graphql"),
    }
}

fn validate_url(u: &str) -> Result<String, String> {
    let parsed = url::Url::parse(u.trim()).map_err(|e| {
        format!("\"{u}\" is not a URL ({e}); write it like \"https://api.github.com\"")
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!(
            "\"{u}\" must be an http:// or https:// URL with a host"
        ));
    }
    Ok(u.trim().trim_end_matches('/').to_string())
}

fn parse_reserve(v: &toml::Value) -> Result<Reserve, String> {
    match v {
        toml::Value::Integer(n) if *n >= 0 => Ok(Reserve::Absolute(*n as u64)),
        toml::Value::String(s) => {
            let s = s.trim();
            if let Some(p) = s.strip_suffix('%') {
                let f: f64 = p
                    .trim()
                    .parse()
                    .map_err(|_| format!("\"{s}\" is not a percentage like \"10%\""))?;
                if !(0.0..=100.0).contains(&f) {
                    return Err(format!("\"{s}\" must be between 0% and 100%"));
                }
                Ok(Reserve::Fraction(f / 100.0))
            } else {
                s.parse::<u64>().map(Reserve::Absolute).map_err(|_| {
                    format!("\"{s}\" is neither a percentage (\"10%\") nor a count (500)")
                })
            }
        }
        other => Err(format!(
            "{other} is neither a percentage (\"10%\") nor a count (500)"
        )),
    }
}

/// Parses human durations: "90s", "5m", "1h", "1h30m", "250ms", "0s", "2d".
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let hint =
        || format!("\"{s}\" is not a duration; write it like \"90s\", \"5m\", \"1h30m\" or \"0s\"");
    if t.is_empty() {
        return Err(hint());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return Err(hint());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| hint())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86_400)),
            _ => return Err(hint()),
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// Validates `[audit]`; the message names the key and how to write it.
fn audit_config(raw: RawAudit) -> Result<AuditConfig, String> {
    let retention = match raw.retention {
        None => DEFAULT_AUDIT_RETENTION,
        Some(s) => {
            let d = parse_duration(&s).map_err(|m| format!("key `audit.retention`: {m}"))?;
            if d < Duration::from_secs(60) {
                return Err(format!(
                    "key `audit.retention` is \"{s}\": keep the log at least \"1m\" (default \"30d\")"
                ));
            }
            d
        }
    };
    let max_entries = match raw.max_entries {
        None => DEFAULT_AUDIT_MAX_ENTRIES,
        Some(n) if (1_000..=100_000_000).contains(&n) => n as u64,
        Some(n) => {
            return Err(format!(
                "key `audit.max_entries` is {n}: use a number from 1000 to 100000000 (default 1000000)"
            ));
        }
    };
    Ok(AuditConfig {
        retention,
        max_entries,
    })
}

/// How a `[[notify]]` rule reaches the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyVia {
    /// BEL: the terminal's bell (or its visual bell / urgency hint).
    Bell,
    /// OSC 9: a desktop notification from the terminal (iTerm2, kitty, WezTerm, Windows Terminal...).
    Osc9,
    /// OSC 777 `notify`: a desktop notification with a title (foot, WezTerm, kitty, rxvt...).
    Osc777,
    /// A program run without a shell, the change as JSON on its stdin.
    Command {
        argv: Vec<String>,
        /// A command still running after this is killed and logged.
        timeout: Duration,
    },
}

/// `quiet = "22:00-07:00"`: local times between which a rule stays silent (may wrap midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub from: chrono::NaiveTime,
    pub to: chrono::NaiveTime,
}

impl QuietHours {
    /// Whether `t` (local time) is inside the quiet hours: `from` included, `to` excluded.
    pub fn contains(self, t: chrono::NaiveTime) -> bool {
        if self.from <= self.to {
            self.from <= t && t < self.to
        } else {
            t >= self.from || t < self.to
        }
    }
}

/// One validated `[[notify]]` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyRule {
    /// `Change::kind` names; `None` = every kind.
    pub kinds: Option<Vec<String>>,
    /// Repo globs (`octo-org/*`, case-insensitive, `*` stays within one path part); empty = all.
    pub repos: Vec<String>,
    pub via: NotifyVia,
    pub quiet: Option<QuietHours>,
    /// More than this within a minute are summarized in one notification.
    pub max_per_minute: u32,
}

pub const DEFAULT_NOTIFY_MAX_PER_MINUTE: u32 = 5;
pub const DEFAULT_NOTIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// Kinds said the way people say them, and the `Change` kind each means.
pub const NOTIFY_KIND_ALIASES: &[(&str, &str)] = &[("release", "new_release")];

/// Validates every `[[notify]]` table; the message names the rule (from 1), the key and the fix.
fn notify_rules(raw: Vec<RawNotify>) -> Result<Vec<NotifyRule>, String> {
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| notify_rule(r).map_err(|m| format!("[[notify]] rule {}: {m}", i + 1)))
        .collect()
}

fn notify_rule(raw: RawNotify) -> Result<NotifyRule, String> {
    let kinds = match raw.kinds {
        None => None,
        Some(list) if list.iter().any(|k| k == "all" || k == "*") => None,
        Some(list) => Some(
            list.iter()
                .map(|k| notify_kind(k))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let repos = raw.repos.unwrap_or_default();
    for pattern in &repos {
        repo_glob(pattern)?;
    }
    let via = notify_via(raw.via.as_deref(), raw.command, raw.timeout.as_deref())?;
    let quiet = match raw.quiet {
        None => None,
        Some(q) => Some(parse_quiet(&q)?),
    };
    let max_per_minute = match raw.max_per_minute {
        None => DEFAULT_NOTIFY_MAX_PER_MINUTE,
        Some(n) if (1..=600).contains(&n) => n as u32,
        Some(n) => {
            return Err(format!(
                "key `notify.max_per_minute` is {n}: use a number from 1 to 600 (default {DEFAULT_NOTIFY_MAX_PER_MINUTE})"
            ));
        }
    };
    Ok(NotifyRule {
        kinds,
        repos,
        via,
        quiet,
        max_per_minute,
    })
}

/// A kind name as `Change::kind` spells it (aliases resolved), or what was meant.
fn notify_kind(k: &str) -> Result<String, String> {
    let k = k.trim();
    if let Some((_, kind)) = NOTIFY_KIND_ALIASES.iter().find(|(a, _)| *a == k) {
        return Ok((*kind).to_string());
    }
    if crate::domain::Change::KINDS.contains(&k) {
        return Ok(k.to_string());
    }
    let names = crate::domain::Change::KINDS
        .iter()
        .chain(NOTIFY_KIND_ALIASES.iter().map(|(a, _)| a));
    let nearest = names.clone().min_by_key(|c| levenshtein(k, c));
    match nearest {
        Some(n) if levenshtein(k, n) <= 3.max(k.len() / 3) => Err(format!(
            "key `notify.kinds`: unknown kind \"{k}\"; did you mean \"{n}\"?"
        )),
        _ => Err(format!(
            "key `notify.kinds`: unknown kind \"{k}\"; use \"all\" or some of {}",
            names
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A `[[notify]] repos` glob: `owner/name` patterns, case-insensitive, `*` within one part.
pub fn repo_glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(pattern.trim())
        .case_insensitive(true)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| {
            format!(
                "key `notify.repos`: \"{pattern}\" is not a glob ({e}); write it like \"octo-org/*\" or \"octo-org/app\""
            )
        })
}

fn notify_via(
    via: Option<&str>,
    command: Option<Vec<String>>,
    timeout: Option<&str>,
) -> Result<NotifyVia, String> {
    let via = match (via, &command) {
        (Some(v), _) => v.trim(),
        (None, Some(_)) => "command",
        (None, None) => {
            return Err(
                "key `notify.via` is missing: use \"bell\", \"osc9\", \"osc777\" or \"command\" (with `command = [\"notify-send\", \"repodeck\"]`)".into(),
            );
        }
    };
    if via != "command" && (command.is_some() || timeout.is_some()) {
        return Err(format!(
            "keys `notify.command` and `notify.timeout` go with via = \"command\", not \"{via}\""
        ));
    }
    match via {
        "bell" => Ok(NotifyVia::Bell),
        "osc9" => Ok(NotifyVia::Osc9),
        "osc777" => Ok(NotifyVia::Osc777),
        "command" => {
            let argv = command.unwrap_or_default();
            if argv.first().is_none_or(|p| p.trim().is_empty()) {
                return Err("via = \"command\" needs `command = [\"program\", \"arg\", ...]` (run without a shell; the change arrives as JSON on stdin)".into());
            }
            let timeout = match timeout {
                None => DEFAULT_NOTIFY_TIMEOUT,
                Some(t) => {
                    let d = parse_duration(t).map_err(|m| format!("key `notify.timeout`: {m}"))?;
                    if d.is_zero() {
                        return Err(
                            "key `notify.timeout` must be more than \"0s\" (default \"10s\")"
                                .into(),
                        );
                    }
                    d
                }
            };
            Ok(NotifyVia::Command { argv, timeout })
        }
        other => {
            let names = ["bell", "osc9", "osc777", "command"];
            let hint = names
                .iter()
                .min_by_key(|n| levenshtein(other, n))
                .filter(|n| levenshtein(other, n) <= 3)
                .map(|n| format!("did you mean \"{n}\"? "))
                .unwrap_or_default();
            Err(format!(
                "key `notify.via` is \"{other}\": {hint}use \"bell\", \"osc9\", \"osc777\" or \"command\""
            ))
        }
    }
}

/// `"22:00-07:00"` (24-hour local times; may wrap midnight).
fn parse_quiet(s: &str) -> Result<QuietHours, String> {
    let bad = || {
        format!(
            "key `notify.quiet` is \"{s}\": write local times like \"22:00-07:00\" (24-hour, may wrap midnight)"
        )
    };
    let (a, b) = s.trim().split_once('-').ok_or_else(bad)?;
    let t = |x: &str| chrono::NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
    let (from, to) = (t(a)?, t(b)?);
    if from == to {
        return Err(bad());
    }
    Ok(QuietHours { from, to })
}

/// Validates `[serve]`; the message names the key and how to write it.
fn serve_config(raw: RawServe) -> Result<ServeConfig, String> {
    let addr = |key: &str, v: &str| {
        v.trim().parse::<std::net::SocketAddr>().map_err(|_| {
            format!("key `serve.{key}` is \"{v}\": write an address and port like \"127.0.0.1:8787\" or \"[::1]:8787\"")
        })
    };
    let listen = addr(
        "listen",
        raw.listen.as_deref().unwrap_or(DEFAULT_SERVE_LISTEN),
    )?;
    let metrics_listen = match raw.metrics_listen {
        Some(m) => Some(addr("metrics_listen", &m)?),
        None => None,
    };
    let webhook_path = raw
        .webhook_path
        .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_string());
    if !webhook_path.starts_with('/')
        || webhook_path.len() < 2
        || webhook_path.contains(['?', '#', ' '])
    {
        return Err(format!(
            "key `serve.webhook_path` is \"{webhook_path}\": write a path like \"/webhooks/github\""
        ));
    }
    let allow_ips = match raw.allow_ips {
        None => AllowIps::Any,
        Some(v) => parse_allow_ips(&v).map_err(|m| format!("key `serve.allow_ips`: {m}"))?,
    };
    let trusted_proxies = raw
        .trusted_proxies
        .unwrap_or_default()
        .iter()
        .map(|c| parse_cidr(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| format!("key `serve.trusted_proxies`: {m}"))?;
    let max_body = match raw.max_body {
        None => DEFAULT_MAX_BODY,
        Some(v) => parse_size(&v).map_err(|m| format!("key `serve.max_body`: {m}"))?,
    };
    Ok(ServeConfig {
        listen,
        metrics_listen,
        webhook_path,
        allow_ips,
        trusted_proxies,
        max_body,
    })
}

/// `"any"`, `"github-meta"` or a list of networks.
fn parse_allow_ips(v: &toml::Value) -> Result<AllowIps, String> {
    match v {
        toml::Value::String(s) if s.trim() == "any" => Ok(AllowIps::Any),
        toml::Value::String(s) if s.trim() == "github-meta" => Ok(AllowIps::GithubMeta),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => parse_cidr(s),
                other => Err(format!("{other} is not a network like \"192.30.252.0/22\"")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(AllowIps::List),
        other => Err(format!(
            "{other} is not \"any\", \"github-meta\" or a list of networks like [\"192.30.252.0/22\"]"
        )),
    }
}

/// A network (`10.0.0.0/8`, `2001:db8::/32`) or a single address (as /32 or /128).
pub fn parse_cidr(s: &str) -> Result<ipnet::IpNet, String> {
    let t = s.trim();
    t.parse::<ipnet::IpNet>()
        .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map(|n| n.trunc())
        .map_err(|_| format!("\"{s}\" is not a network like \"192.30.252.0/22\" or an address"))
}

/// A byte count: an integer, or a string like "25MiB", "512 KiB", "1MB".
fn parse_size(v: &toml::Value) -> Result<u64, String> {
    let hint =
        |s: &str| format!("\"{s}\" is not a size; write it like \"25MiB\", \"512KiB\" or 1048576");
    let n = match v {
        toml::Value::Integer(n) if *n > 0 => *n as u64,
        toml::Value::String(s) => {
            let t = s.trim();
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            let n: u64 = t[..digits].parse().map_err(|_| hint(s))?;
            let mult = match t[digits..].trim().to_ascii_lowercase().as_str() {
                "" | "b" => 1,
                "kb" => 1_000,
                "kib" => 1 << 10,
                "mb" => 1_000_000,
                "mib" => 1 << 20,
                "gib" => 1 << 30,
                _ => return Err(hint(s)),
            };
            n.checked_mul(mult).ok_or_else(|| hint(s))?
        }
        other => return Err(hint(&other.to_string())),
    };
    if n < 1024 {
        return Err(format!(
            "{n} bytes is too small for a webhook; use at least 1KiB (default 25MiB)"
        ));
    }
    Ok(n)
}

/// Formats a duration the way the config file writes it ("5m", "1h30m", "0s").
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return if d.subsec_millis() > 0 {
            format!("{}ms", d.subsec_millis())
        } else {
            "0s".into()
        };
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

const SECTIONS: &[(&str, &[&str])] = &[
    (
        "",
        &[
            "github", "sync", "ui", "keys", "serve", "audit", "notify", "commands",
        ],
    ),
    (
        "commands",
        &["key", "screen", "run", "shell", "mode", "description"],
    ),
    (
        "notify",
        &[
            "kinds",
            "repos",
            "via",
            "command",
            "timeout",
            "quiet",
            "max_per_minute",
        ],
    ),
    ("audit", &["retention", "max_entries"]),
    (
        "serve",
        &[
            "listen",
            "metrics_listen",
            "webhook_path",
            "allow_ips",
            "trusted_proxies",
            "max_body",
        ],
    ),
    (
        "github",
        &["api_url", "graphql_url", "max_concurrency", "reserve"],
    ),
    (
        "sync",
        &["min_interval", "interval", "budget", "event_hints"],
    ),
    ("ui", &["theme", "ascii", "mouse"]),
];

/// Turns toml's error into one that names the key and, for an unknown key, the nearest valid one.
fn explain_toml_error(e: &toml::de::Error) -> String {
    let msg = e.message();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let unknown = rest.split('`').next().unwrap_or("");
        let candidates: Vec<&str> = msg
            .split("expected")
            .nth(1)
            .map(|s| s.split('`').skip(1).step_by(2).collect())
            .unwrap_or_default();
        let section = SECTIONS
            .iter()
            .find(|(_, keys)| !candidates.is_empty() && candidates.iter().all(|c| keys.contains(c)))
            .map(|(s, _)| *s)
            .unwrap_or("");
        let full = |k: &str| {
            if section.is_empty() {
                k.to_string()
            } else {
                format!("{section}.{k}")
            }
        };
        let nearest = candidates
            .iter()
            .min_by_key(|c| levenshtein(unknown, c))
            .copied();
        return match nearest {
            Some(n) if levenshtein(unknown, n) <= 3.max(unknown.len() / 3) => format!(
                "unknown key `{}`; did you mean `{}`? Rename it, or see config.example.toml for every key",
                full(unknown),
                full(n)
            ),
            _ => format!(
                "unknown key `{}`; valid keys here are {}. See config.example.toml for every key",
                full(unknown),
                candidates
                    .iter()
                    .map(|c| format!("`{}`", full(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    let line = e.span().map(|s| s.start);
    match line {
        Some(_) => format!("{}. Fix the TOML (see config.example.toml)", msg.trim_end()),
        None => format!("{}. See config.example.toml", msg.trim_end()),
    }
}

/// Edit distance, for "did you mean" suggestions.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let c = Config::default();
        assert_eq!(c.github.api_url, "https://api.github.com");
        assert_eq!(c.github.graphql_url, "https://api.github.com/graphql");
        assert_eq!(c.github.max_concurrency, 4);
        assert_eq!(c.github.reserve, Reserve::Fraction(0.10));
        assert_eq!(c.sync.min_interval, Duration::from_secs(300));
        assert_eq!(c.sync.interval, Some(Duration::from_secs(900)));
        assert_eq!(c.ui.theme, "default");
    }

    #[test]
    fn graphql_url_is_derived_for_enterprise() {
        assert_eq!(
            derive_graphql_url("https://ghe.example.com/api/v3"),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(
            derive_graphql_url("http://127.0.0.1:8080/"),
            "http://127.0.0.1:8080/graphql"
        );
    }

    #[test]
    fn durations_parse_and_print() {
        for (s, secs) in [
            ("90s", 90),
            ("5m", 300),
            ("1h30m", 5400),
            ("0s", 0),
            ("2d", 172_800),
        ] {
            assert_eq!(parse_duration(s).unwrap(), Duration::from_secs(secs), "{s}");
        }
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        for bad in ["", "5", "m", "5 minutes", "-5m", "5x"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn unknown_key_suggests_nearest() {
        let err = Config::parse("[github]\napi_ulr = \"http://x\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`github.api_ulr`") && err.contains("did you mean `github.api_url`"),
            "{err}"
        );
        assert!(err.contains("c.toml"), "{err}");
        let err = Config::parse("[snyc]\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean `sync`"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_its_key() {
        let err = Config::parse(
            "[github]\nmax_concurrency = \"four\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("key `github.max_concurrency`"), "{err}");
        let err = Config::parse("[ui]\nascii = \"yes\"\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `ui.ascii`"), "{err}");
        let err = Config::parse("[keys]\nquit = 3\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("key `keys.quit`"), "{err}");
    }

    #[test]
    fn a_config_file_over_1_mb_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        let line = "# a comment line that pads the file out\n";
        std::fs::write(
            &path,
            line.repeat((MAX_CONFIG_BYTES as usize) / line.len() + 10),
        )
        .unwrap();
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("more than the 1 MB"), "{err}");
        assert!(err.contains("big.toml"), "{err}");
    }

    #[test]
    fn serve_section_defaults_and_forms() {
        let c = Config::default().serve;
        assert_eq!(c.listen.to_string(), "127.0.0.1:8787");
        assert_eq!(c.metrics_listen, None);
        assert_eq!(c.webhook_path, "/webhooks/github");
        assert_eq!(c.allow_ips, AllowIps::Any);
        assert_eq!(c.max_body, 25 * 1024 * 1024);
        let c = Config::parse(
            "[serve]\nlisten = \"0.0.0.0:9000\"\nallow_ips = [\"10.0.0.0/8\", \"192.0.2.7\"]\ntrusted_proxies = [\"127.0.0.1\"]\nmax_body = \"1MiB\"\n",
            Path::new("c.toml"),
        )
        .unwrap()
        .serve;
        assert_eq!(c.listen.port(), 9000);
        let AllowIps::List(nets) = &c.allow_ips else {
            panic!("{:?}", c.allow_ips)
        };
        assert_eq!(nets[1].to_string(), "192.0.2.7/32");
        assert_eq!(c.max_body, 1 << 20);
        let meta = Config::parse("[serve]\nallow_ips = \"github-meta\"\n", Path::new("c"))
            .unwrap()
            .serve;
        assert_eq!(meta.allow_ips, AllowIps::GithubMeta);
        for bad in [
            "[serve]\nlisten = \"localhost\"\n",
            "[serve]\nallow_ips = \"everyone\"\n",
            "[serve]\nallow_ips = [\"10.0.0.0/33\"]\n",
            "[serve]\nmax_body = \"lots\"\n",
            "[serve]\nwebhook_path = \"hooks\"\n",
        ] {
            let e = Config::parse(bad, Path::new("c.toml"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("serve."), "{bad}: {e}");
        }
        let e = Config::parse("[serve]\nlistn = \"x\"\n", Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `serve.listen`"), "{e}");
    }

    #[test]
    fn audit_keys_have_defaults_and_refuse_bad_values() {
        let d = Config::default().audit;
        assert_eq!(d.retention, Duration::from_secs(30 * 86_400));
        assert_eq!(d.max_entries, 1_000_000);
        let c = Config::parse(
            "[audit]\nretention = \"7d\"\nmax_entries = 5000\n",
            Path::new("c"),
        )
        .unwrap();
        assert_eq!(c.audit.retention, Duration::from_secs(7 * 86_400));
        assert_eq!(c.audit.max_entries, 5000);
        for bad in [
            "[audit]\nretention = \"5s\"\n",
            "[audit]\nretention = \"a month\"\n",
            "[audit]\nmax_entries = 10\n",
        ] {
            let e = Config::parse(bad, Path::new("c")).unwrap_err().to_string();
            assert!(e.contains("audit."), "{bad}: {e}");
        }
        let e = Config::parse("[audit]\nretenton = \"1d\"\n", Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean `audit.retention`"), "{e}");
    }

    #[test]
    fn reserve_forms() {
        assert_eq!(
            parse_reserve(&toml::Value::String("25%".into())).unwrap(),
            Reserve::Fraction(0.25)
        );
        assert_eq!(
            parse_reserve(&toml::Value::Integer(500)).unwrap(),
            Reserve::Absolute(500)
        );
        assert!(parse_reserve(&toml::Value::String("150%".into())).is_err());
        assert_eq!(Reserve::Fraction(0.1).of(5000), 500);
    }

    #[test]
    fn notify_rules_parse_with_defaults() {
        let text = r#"
[[notify]]
kinds = ["release", "force_pushed"]
repos = ["octo-org/*"]
via = "osc777"
quiet = "22:00-07:00"

[[notify]]
command = ["notify-send", "repodeck"]
max_per_minute = 2
"#;
        let c = Config::parse(text, Path::new("c")).unwrap();
        assert_eq!(c.notify.len(), 2);
        let r = &c.notify[0];
        assert_eq!(
            r.kinds.as_deref(),
            Some(&["new_release".to_string(), "force_pushed".to_string()][..])
        );
        assert_eq!(r.repos, vec!["octo-org/*".to_string()]);
        assert_eq!(r.via, NotifyVia::Osc777);
        assert_eq!(r.max_per_minute, DEFAULT_NOTIFY_MAX_PER_MINUTE);
        let q = r.quiet.unwrap();
        let t = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(q.contains(t(23, 0)) && q.contains(t(6, 59)) && q.contains(t(22, 0)));
        assert!(!q.contains(t(7, 0)) && !q.contains(t(12, 0)));
        let r = &c.notify[1];
        assert_eq!(r.kinds, None);
        assert_eq!(
            r.via,
            NotifyVia::Command {
                argv: vec!["notify-send".into(), "repodeck".into()],
                timeout: DEFAULT_NOTIFY_TIMEOUT
            }
        );
        assert_eq!(r.max_per_minute, 2);
        assert!(Config::default().notify.is_empty());
    }

    #[test]
    fn notify_rules_refuse_bad_values_with_a_fix() {
        let cases = [
            (
                "kinds = [\"relase\"]\nvia = \"bell\"",
                "did you mean \"release\"",
            ),
            (
                "kinds = [\"force_push\"]\nvia = \"bell\"",
                "did you mean \"force_pushed\"",
            ),
            (
                "kinds = [\"zzzzzzzzzzzz\"]\nvia = \"bell\"",
                "use \"all\" or some of",
            ),
            ("via = \"osc8\"", "did you mean \"osc9\""),
            ("via = \"command\"", "needs `command = ["),
            (
                "via = \"bell\"\ncommand = [\"x\"]",
                "go with via = \"command\"",
            ),
            ("via = \"bell\"\nquiet = \"10pm-7am\"", "key `notify.quiet`"),
            (
                "via = \"bell\"\nmax_per_minute = 0",
                "key `notify.max_per_minute`",
            ),
            (
                "via = \"bell\"\nrepos = [\"octo-org/{a\"]",
                "key `notify.repos`",
            ),
            ("repos = [\"x/*\"]", "key `notify.via` is missing"),
            (
                "command = [\"x\"]\ntimeout = \"0s\"",
                "key `notify.timeout`",
            ),
        ];
        for (body, want) in cases {
            let text = format!("[[notify]]\n{body}\n");
            let e = Config::parse(&text, Path::new("c"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{body}: {e}");
            assert!(e.contains("[[notify]] rule 1"), "{body}: {e}");
        }
        let e = Config::parse(
            "[[notify]]\nvia = \"bell\"\nkind = [\"x\"]\n",
            Path::new("c"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("did you mean `notify.kinds`"), "{e}");
    }

    #[test]
    fn every_change_kind_is_a_notify_kind() {
        let c = crate::domain::Change::Inaccessible;
        assert!(crate::domain::Change::KINDS.contains(&c.kind()));
        let c = crate::domain::Change::BranchProtection {
            name: "main".into(),
            protected: true,
        };
        assert!(crate::domain::Change::KINDS.contains(&c.kind()));
        assert_eq!(crate::domain::Change::KINDS.len(), 25);
    }
}
