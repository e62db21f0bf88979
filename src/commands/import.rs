//! `repodeck import` (track every repo of an org, a user or your account) and `repodeck search`
//! (GitHub repository search, optionally tracking results).

use std::io::Write;
use std::sync::Arc;

use serde_json::json;

use super::remote::Gh;
use super::{CliError, Status, github_error};
use crate::sanitize;
use crate::session::{ANONYMOUS_NOTICE, Context};
use crate::store::{Added, Store};
use crate::sync::engine;
use crate::sync::{ImportOptions, ImportSource};

pub fn import(
    ctx: &Context,
    store: Store,
    opts: &ImportOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    import_with(ctx, &Gh::local()?, &Arc::new(store), opts, out, err)
}

/// `import` over the given runtime and clients (a host runs it for an attached `repodeck`).
pub fn import_with(
    ctx: &Context,
    gh: &Gh,
    store: &Arc<Store>,
    opts: &ImportOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Status, CliError> {
    let result = gh.block_on(async {
        let clients = gh.clients(ctx, store)?;
        let client = &clients.client;
        if !client.is_authenticated() {
            let _ = writeln!(err, "{}", ANONYMOUS_NOTICE);
            if opts.source == ImportSource::Mine {
                return Err(CliError::Input(
                    "--mine needs a token: set GITHUB_TOKEN or GH_TOKEN".into(),
                ));
            }
        }
        engine::import(client, store, opts)
            .await
            .map_err(|e| match e {
                engine::ImportError::Github(g) => github_error("import failed", &g),
                engine::ImportError::Store(s) => CliError::Store(s),
            })
    })?;
    let from = match &opts.source {
        ImportSource::Org(o) => format!("organization {}", sanitize::line(o)),
        ImportSource::User(u) => format!("user {}", sanitize::line(u)),
        ImportSource::Mine => "your account".to_string(),
    };
    let _ = writeln!(
        out,
        "imported {} repositories from {from} ({} new, {} listed, {} skipped as forks or archived); run `repodeck sync --all` to fetch them",
        result.keys.len(),
        result.added,
        result.listed,
        result.listed - result.keys.len(),
    );
    Ok(Status::Ok)
}

pub fn search(
    ctx: &Context,
    store: Store,
    query: &str,
    add: &[usize],
    limit: usize,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    check_query(query)?;
    let gh = Gh::local()?;
    search_with(ctx, &gh, &Arc::new(store), query, add, limit, json_out, out)
}

/// An empty query is refused before anything else happens.
pub fn check_query(query: &str) -> Result<(), CliError> {
    if query.trim().is_empty() {
        return Err(CliError::Input(
            "the search query is empty: try `repodeck search \"language:rust tui\"`".into(),
        ));
    }
    Ok(())
}

/// `search` over the given runtime and clients (a host runs it for an attached `repodeck`).
#[expect(
    clippy::too_many_arguments,
    reason = "the command's own options plus where it runs; a struct would only rename them"
)]
pub fn search_with(
    ctx: &Context,
    gh: &Gh,
    store: &Arc<Store>,
    query: &str,
    add: &[usize],
    limit: usize,
    json_out: bool,
    out: &mut dyn Write,
) -> Result<Status, CliError> {
    check_query(query)?;
    let hits = gh.block_on(async {
        let clients = gh.clients(ctx, store)?;
        clients
            .client
            .search_repos(query, limit)
            .await
            .map_err(|e| github_error("search failed", &e))
    })?;
    if let Some(bad) = add.iter().find(|n| **n == 0 || **n > hits.len()) {
        return Err(CliError::Input(format!(
            "--add {bad}: there are {} results, numbered from 1; nothing was added",
            hits.len()
        )));
    }
    let mut added = Vec::new();
    for n in add {
        let key = &hits[n - 1].key;
        if let Added::New(_) = store.add(key)? {
            added.push(key.to_string());
        }
    }
    if json_out {
        let rows: Vec<_> = hits
            .iter()
            .enumerate()
            .map(|(i, h)| {
                json!({
                    "n": i + 1,
                    "full_name": h.key.to_string(),
                    "description": h.description,
                    "stars": h.stars,
                    "language": h.language,
                    "tracked": store.find(&h.key).ok().flatten().is_some(),
                })
            })
            .collect();
        let v = json!({"query": query, "hits": rows, "added": added});
        let _ = writeln!(out, "{v}");
        return Ok(Status::Ok);
    }
    if hits.is_empty() {
        let _ = writeln!(out, "No repositories match {:?}.", sanitize::line(query));
        return Ok(Status::Ok);
    }
    let _ = writeln!(
        out,
        "{:>3}  {:<40} {:>8}  {:<12} {:<7} DESCRIPTION",
        "N", "REPO", "STARS", "LANGUAGE", "TRACKED"
    );
    for (i, h) in hits.iter().enumerate() {
        let tracked = store.find(&h.key).ok().flatten().is_some();
        let _ = writeln!(
            out,
            "{:>3}. {:<40} {:>8}  {:<12} {:<7} {}",
            i + 1,
            sanitize::truncate_chars(&sanitize::line(&h.key.to_string()), 40),
            crate::fmt::thousands(h.stars),
            sanitize::truncate_chars(&sanitize::line(h.language.as_deref().unwrap_or("-")), 12),
            if tracked { "yes" } else { "-" },
            sanitize::truncate_chars(&sanitize::line(h.description.as_deref().unwrap_or("")), 60),
        );
    }
    for a in &added {
        let _ = writeln!(out, "added {}", sanitize::line(a));
    }
    Ok(Status::Ok)
}
