//! The fakehub binary: runs the fake GitHub from `repodeck::fakehub` on loopback, configured by flags.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use repodeck::fakehub::{self, FakehubConfig};

/// A faithful fake GitHub (REST + GraphQL + webhooks + faults) on 127.0.0.1, for tests, benchmarks and demos.
#[derive(Parser, Debug)]
#[command(name = "fakehub", version)]
struct Args {
    /// Address to listen on; loopback only. Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0", value_parser = fakehub::parse_listen)]
    listen: SocketAddr,
    /// Number of org repositories (octo-org/repo-0000, ...).
    #[arg(long, default_value_t = 50)]
    repos: usize,
    /// Seed for all generated data and fault selection.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Latency added to every API request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Extra random latency (0..=J ms), deterministic under the seed.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Accepted token (repeatable). Without any, every token is accepted.
    #[arg(long = "token")]
    tokens: Vec<String>,
    /// Primary limit of the core bucket per token and hour.
    #[arg(long, default_value_t = 5000)]
    core_limit: u64,
    /// Primary limit of the search bucket per token and minute.
    #[arg(long, default_value_t = 30)]
    search_limit: u64,
    /// GraphQL points per token and hour.
    #[arg(long, default_value_t = 5000)]
    graphql_limit: u64,
    /// Concurrent requests per token above which the secondary limit triggers.
    #[arg(long, default_value_t = 100)]
    secondary_concurrency: u64,
    /// `retry-after` seconds sent with secondary limits, or `none` for no header.
    #[arg(long, default_value = "60", value_parser = parse_retry_after)]
    secondary_retry_after: RetryAfter,
    /// Fault rules: a JSON array (inline) or a path to a JSON file.
    #[arg(long)]
    faults: Option<String>,
    /// Apply a random mutation (push, star, release, ...) every SECS seconds.
    #[arg(long, value_name = "SECS")]
    mutate_every: Option<f64>,
    /// Simulated GraphQL server time per returned node, in milliseconds (10 s cut-off).
    #[arg(long, default_value_t = 0.0)]
    graphql_ms_per_node: f64,
    /// Seconds the `Date` header runs ahead of the real clock (negative: behind).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    clock_skew_secs: i64,
    /// Hot and dormant repos changing on a schedule, e.g. `hot=50,every=4m,dormant=5%` (hot
    /// repos change about every `every`; that share of the others once an hour).
    #[arg(long, value_name = "PROFILE", value_parser = fakehub::MutateProfile::parse)]
    mutate_profile: Option<fakehub::MutateProfile>,
    /// `X-Poll-Interval` seconds of the events feeds (GitHub: 60; shorter for tests).
    #[arg(long, default_value_t = 60)]
    events_poll_interval: u64,
    /// Seconds before a change shows in the events feeds (GitHub: 30 s to hours).
    #[arg(long, default_value_t = 0)]
    events_lag: u64,
    /// Requests per repo that `/stats/participation` and `/stats/contributors` answer with
    /// `202 Accepted` (GitHub computing) before they answer with data (again after a push).
    #[arg(long, default_value_t = 1)]
    stats_compute_polls: u32,
}

#[derive(Clone, Copy, Debug)]
struct RetryAfter(Option<u64>);

fn parse_retry_after(s: &str) -> Result<RetryAfter, String> {
    if s.eq_ignore_ascii_case("none") {
        return Ok(RetryAfter(None));
    }
    s.parse::<u64>()
        .map(|n| RetryAfter(Some(n)))
        .map_err(|_| format!("expected seconds or `none`, got {s:?}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let faults = match args
        .faults
        .as_deref()
        .map(fakehub::faults::parse_rules)
        .transpose()
    {
        Ok(f) => f.unwrap_or_default(),
        Err(e) => {
            eprintln!("fakehub: {e}");
            return ExitCode::from(2);
        }
    };
    let mutate_every = match args.mutate_every {
        Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
        Some(_) => {
            eprintln!("fakehub: --mutate-every must be a positive number of seconds");
            return ExitCode::from(2);
        }
        None => None,
    };
    let config = FakehubConfig {
        listen: args.listen,
        repos: args.repos,
        seed: args.seed,
        latency_ms: args.latency_ms,
        jitter_ms: args.jitter_ms,
        tokens: args.tokens,
        core_limit: args.core_limit,
        search_limit: args.search_limit,
        graphql_limit: args.graphql_limit,
        secondary_concurrency: args.secondary_concurrency,
        secondary_retry_after: args.secondary_retry_after.0,
        faults,
        mutate_every,
        graphql_ms_per_node: args.graphql_ms_per_node.max(0.0),
        clock_skew_secs: args.clock_skew_secs,
        mutate_profile: args.mutate_profile,
        events_poll_interval: args.events_poll_interval.max(1),
        events_lag_secs: args.events_lag,
        stats_compute_polls: args.stats_compute_polls,
        ..FakehubConfig::default()
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fakehub: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let handle = match fakehub::spawn(config).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("fakehub: {e}");
                return ExitCode::from(2);
            }
        };
        let mut out = std::io::stdout().lock();
        let printed =
            writeln!(out, "fakehub listening on {}", handle.url()).and_then(|()| out.flush());
        drop(out);
        if printed.is_err() {
            return ExitCode::from(1);
        }
        let _ = tokio::signal::ctrl_c().await;
        handle.shutdown().await;
        ExitCode::SUCCESS
    })
}
