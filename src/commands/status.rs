//! `repodeck status`: the freshness plan. The plan the engine last published (a TUI or `serve`
//! running on this store within the last 2 minutes), else the plan computed now from the store:
//! tracked repos, each one's last change and last sync, points spent in the last hour from the
//! audit log, and the config's `sync.budget` / `sync.interval`. Text, or `--json`.

use std::io::Write;

use chrono::{DateTime, Utc};

use super::{CliError, Status};
use crate::config::Config;
use crate::domain::FreshnessPlan;
use crate::host::source::DataSource;
use crate::store::Store;
use crate::sync::freshness::{Planner, plan_rows, short_duration};

/// A published plan older than this is not the running engine's.
const FRESH_PLAN: i64 = 120;

/// The plan and where it comes from (`engine` or `computed`).
pub fn plan(
    src: &dyn DataSource,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<(FreshnessPlan, &'static str), CliError> {
    let store: Option<&Store> = src.local();
    if let Some(p) = store.and_then(|s| s.freshness_plan().ok().flatten())
        && (now - p.at).num_seconds() <= FRESH_PLAN
    {
        return Ok((p, "engine"));
    }
    let interval = config
        .sync
        .interval
        .unwrap_or(std::time::Duration::from_secs(900));
    let mut planner = Planner::new(config.sync.budget.of(5000), interval);
    let changes = store
        .and_then(|s| s.last_changes().ok())
        .unwrap_or_default();
    let repos = src.list()?;
    planner.set_repos(
        repos
            .iter()
            .map(|r| (r.local, changes.get(&r.local).copied(), r.last_synced_at)),
    );
    if let Some(s) = store {
        let mut spent = 0u64;
        let _ = s.audit_scan(now - chrono::Duration::hours(1), |r| {
            if r.class.contains("graphql") {
                spent += u64::from(r.points);
            }
        });
        planner.spent(now, spent);
    }
    Ok((planner.summary(now), "computed"))
}

pub fn run(
    src: &dyn DataSource,
    config: &Config,
    json: bool,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    let (plan, source) = plan(src, config, now)?;
    let interval = config.sync.interval.map(|d| d.as_secs());
    if json {
        let mut v = serde_json::to_value(&plan).map_err(|e| CliError::Failed(e.to_string()))?;
        if let Some(o) = v.as_object_mut() {
            o.insert("source".into(), source.into());
            o.insert("interval_secs".into(), interval.into());
        }
        let text = serde_json::to_string_pretty(&v).map_err(|e| CliError::Failed(e.to_string()))?;
        let _ = writeln!(out, "{text}");
        return Ok(Status::Ok);
    }
    let head = match source {
        "engine" => "published by the running repodeck",
        _ => "computed from the store (no repodeck is syncing in the background right now)",
    };
    let _ = writeln!(out, "Freshness plan, {head}");
    let slowest = interval.map_or_else(
        || "off (sync.interval = \"0s\": no background probes)".to_string(),
        |s| format!("every repo at least every {}", short_duration(s)),
    );
    let _ = writeln!(out, "  {:<9} {slowest}", "interval");
    for (label, text) in plan_rows(&plan, now) {
        let _ = writeln!(out, "  {label:<9} {text}");
    }
    Ok(Status::Ok)
}
