//! Verdicts on GitHub's answers, table-driven: each row is a fakehub setup (faults, mutations, a
//! second fakehub as a foreign origin), the real `repodeck` binary's command, and what must come
//! out: the exit code, the summary, the stored state and the messages (what they say, and the
//! wrong verdicts they must not give: "no longer accessible", "GitHub answered 502", "the
//! repository moved", "please report it").
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use repodeck::domain::SyncStatus;
use repodeck::fakehub::{self, FakehubConfig, FaultRule, Handle, Mutation, MutationKind};
use repodeck::store::Store;
use serde_json::{Value, json};

const TOKEN: &str = "ghp_verdicts00000000000000000000000000000";
/// fakehub's generated repos; the org also holds a hostile one, so `import` tracks one more.
const REPOS: usize = 7;

/// How many repos the summary must count as failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Failed {
    None,
    Some,
    All,
}

fn cmd(hub: &Handle, dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, "[sync]\nmin_interval = \"0s\"\n").unwrap();
    c.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(hub.url())
        .env("REPODECK_CONFIG", &cfg)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn rd(hub: &Handle, dir: &Path, args: &[&str]) -> Output {
    cmd(hub, dir).args(args).output().expect("repodeck runs")
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every log file of the data dir, concatenated.
fn logs(dir: &Path) -> String {
    let mut all = String::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("data").join("logs")) {
        for e in entries.flatten() {
            all.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    all
}

/// What the stored repos look like after the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stored {
    /// Every repo synced, with its details.
    AllSynced,
    /// No repo marked inaccessible, every repo keeps the summary it had, no activity entry
    /// says "no longer accessible", failed repos say why.
    NothingFalse,
    /// This repo (index) is marked inaccessible; the others are synced.
    Inaccessible(usize),
    /// A repo was renamed: the store knows it by its new name.
    Renamed(&'static str),
}

/// The setup before the command: a clean first sync (`synced_first`), then these faults and
/// mutations. `foreign` points fault targets at a second fakehub that must receive nothing.
struct Row {
    name: &'static str,
    synced_first: bool,
    /// Fault rules as JSON; the text `FOREIGN` is replaced by the second fakehub's URL.
    faults: Value,
    mutations: Vec<Mutation>,
    args: &'static [&'static str],
    exit: i32,
    /// Expected `failed` in the summary.
    failed: Failed,
    /// Every failure's kind.
    kind: Option<&'static str>,
    stored: Stored,
    /// Texts the output (the failure messages) or the log must contain.
    says: &'static [&'static str],
    /// Where `says` is looked for: the log file instead of stderr.
    in_log: bool,
}

/// Wrong verdicts no row may print.
const NEVER: &[&str] = &[
    "no longer accessible",
    "GitHub answered 502",
    "the repository moved",
    "report it",
    "likely a bug",
];

fn row(name: &'static str, args: &'static [&'static str]) -> Row {
    Row {
        name,
        synced_first: true,
        faults: json!([]),
        mutations: Vec::new(),
        args,
        exit: 0,
        failed: Failed::None,
        kind: None,
        stored: Stored::AllSynced,
        says: &[],
        in_log: false,
    }
}

const REST: &[&str] = &["sync", "--all", "--rest", "--force", "--json"];
const GRAPHQL: &[&str] = &["sync", "--all", "--force", "--json"];
const PROBE: &[&str] = &["sync", "--all", "--json"];

fn rows() -> Vec<Row> {
    vec![
        Row {
            faults: json!([{"route": "/repos/*/*/*", "method": "GET", "kind": "status", "status": 404, "every": 5}]),
            exit: 1,
            failed: Failed::Some,
            kind: Some("part_not_found"),
            stored: Stored::NothingFalse,
            says: &["although the repository itself answered"],
            ..row(
                "a 404 on every 5th sub-resource fails that part, not the repo",
                REST,
            )
        },
        Row {
            faults: json!([{"route": "/repos/*/*/commits", "kind": "status", "status": 404}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("part_not_found"),
            stored: Stored::NothingFalse,
            says: &["the commits of octo-org/repo-0001"],
            ..row(
                "a 404 on every commit list fails every repo's commits",
                REST,
            )
        },
        Row {
            mutations: vec![Mutation::new("octo-org/repo-0003", MutationKind::Delete)],
            stored: Stored::Inaccessible(3),
            ..row("a deleted repository (404 on itself) is inaccessible", REST)
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "graphql_resource_limits", "next": 1}]),
            says: &["too expensive", "halving"],
            in_log: true,
            ..row(
                "RESOURCE_LIMITS_EXCEEDED once: the batch shrinks and succeeds",
                GRAPHQL,
            )
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "graphql_resource_limits"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("resource_limits"),
            stored: Stored::NothingFalse,
            says: &["too expensive (RESOURCE_LIMITS_EXCEEDED)", "--rest"],
            ..row(
                "RESOURCE_LIMITS_EXCEEDED always: named as such per repo",
                GRAPHQL,
            )
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "graphql_partial", "fraction": 0.5, "next": 1}]),
            says: &["GitHub failed part of a GraphQL query", "asking again"],
            in_log: true,
            ..row(
                "partial errors once: the failed aliases are asked again",
                GRAPHQL,
            )
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "graphql_partial", "fraction": 0.5, "next": 2}]),
            says: &["GitHub failed part of a GraphQL query", "asking again"],
            in_log: true,
            ..row("partial errors in the change probe: asked again", PROBE)
        },
        Row {
            mutations: vec![Mutation::new("octo-org/repo-0003", MutationKind::Delete)],
            stored: Stored::Inaccessible(3),
            ..row(
                "a deleted repository (GraphQL NOT_FOUND) is inaccessible",
                PROBE,
            )
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "graphql_partial", "fraction": 1.0}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("server"),
            stored: Stored::NothingFalse,
            says: &[
                "a temporary GitHub error",
                "in 4 tries",
                "Something went wrong",
            ],
            ..row(
                "partial errors that persist: a temporary GitHub error",
                GRAPHQL,
            )
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "redirect", "status": 307, "to": "FOREIGN"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("redirected"),
            stored: Stored::NothingFalse,
            says: &[
                "the GraphQL endpoint redirected (307)",
                "github.graphql_url",
            ],
            ..row("a GraphQL 307 is the endpoint redirecting", GRAPHQL)
        },
        Row {
            faults: json!([{"route": "/graphql", "kind": "redirect", "status": 308}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("redirected"),
            stored: Stored::NothingFalse,
            says: &["the GraphQL endpoint redirected (308)"],
            ..row("a GraphQL 308 to itself is not followed", GRAPHQL)
        },
        Row {
            faults: json!([{"route": "/repos/*/*/branches", "kind": "redirect", "status": 302, "to": "FOREIGN"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("redirected"),
            stored: Stored::NothingFalse,
            says: &["to another origin", "never sends the token elsewhere"],
            ..row("a REST redirect to another origin is refused", REST)
        },
        Row {
            faults: json!([{"route": "/repos/*/*/releases", "kind": "redirect", "status": 307}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("redirected"),
            stored: Stored::NothingFalse,
            says: &["more than 3 times", "redirect loop"],
            ..row("a same-origin redirect loop stops after 3", REST)
        },
        Row {
            mutations: vec![Mutation::new("octo-org/repo-0002", MutationKind::Rename)],
            stored: Stored::Renamed("octo-org/repo-0002"),
            says: &["following a same-origin redirect"],
            in_log: true,
            ..row("a rename's same-origin 301 is followed and logged", REST)
        },
        Row {
            faults: json!([{"route": "/repos/*/*/branches", "kind": "link_foreign"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("bad_link"),
            stored: Stored::NothingFalse,
            says: &["GitHub or a proxy sent a next-page link", "another host"],
            ..row("a next-page Link to another host is refused", REST)
        },
        Row {
            faults: json!([{"route": "/repos/*/*/pulls", "kind": "link_loop"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("bad_link"),
            stored: Stored::NothingFalse,
            says: &["refuses to follow", "pagination loop"],
            ..row("a next-page Link loop is refused", REST)
        },
        Row {
            faults: json!([{"route": "/repos/*/*/issues", "kind": "link_malformed"}]),
            exit: 1,
            failed: Failed::All,
            kind: Some("bad_link"),
            stored: Stored::NothingFalse,
            says: &["refuses to follow", "malformed"],
            ..row("a malformed next-page Link is refused", REST)
        },
    ]
}

/// Runs one row; returns what went wrong, if anything.
async fn run(r: Row) -> Result<(), String> {
    let hub = fakehub::spawn(FakehubConfig {
        repos: REPOS,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let foreign = fakehub::spawn(FakehubConfig::default()).await.unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = rd(
        &hub,
        dir,
        &["import", "--org", "octo-org", "--include-archived"],
    );
    if !out.status.success() {
        return Err(format!("import failed: {}", text(&out)));
    }
    if r.synced_first {
        let out = rd(&hub, dir, &["sync", "--all"]);
        if !out.status.success() {
            return Err(format!("the first sync failed: {}", text(&out)));
        }
    }
    let before = stored(dir);
    for m in &r.mutations {
        let mut m = m.clone();
        if m.kind == MutationKind::Rename {
            m.to = Some("renamed-x".into());
        }
        hub.mutate(m).unwrap();
    }
    let faults = r.faults.to_string().replace("FOREIGN", foreign.url());
    let rules: Vec<FaultRule> = serde_json::from_str(&faults).unwrap();
    hub.set_faults(rules);
    let out = rd(&hub, dir, r.args);
    let all = text(&out);
    let result = check(&r, &out, &all, dir, &before);
    if foreign.stats().requests != 0 {
        return Err(format!(
            "the foreign origin got {} requests\n{all}",
            foreign.stats().requests
        ));
    }
    hub.shutdown().await;
    foreign.shutdown().await;
    result.map_err(|e| format!("{e}\n{all}"))
}

fn check(
    r: &Row,
    out: &Output,
    all: &str,
    dir: &Path,
    before: &[(String, SyncStatus, bool)],
) -> Result<(), String> {
    if out.status.code() != Some(r.exit) {
        return Err(format!("exit code: want {}", r.exit));
    }
    let summary: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("JSON: {e}"))?;
    let repos = summary["repos"].as_u64().unwrap_or(0) as usize;
    let failed = summary["failed"].as_u64().unwrap_or(0) as usize;
    let ok = match r.failed {
        Failed::None => failed == 0,
        Failed::Some => failed > 0,
        Failed::All => failed == repos,
    };
    if !ok || repos <= REPOS {
        return Err(format!(
            "failed: want {:?}, got {failed} of {repos}",
            r.failed
        ));
    }
    let failures = summary["failures"].as_array().cloned().unwrap_or_default();
    if let Some(kind) = r.kind
        && let Some(f) = failures.iter().find(|f| f["kind"] != kind)
    {
        return Err(format!("failure kind: want {kind}, got {f}"));
    }
    let synced = summary["synced"].as_u64().unwrap_or(0) as usize
        + summary["unchanged"].as_u64().unwrap_or(0) as usize;
    if synced + failed != repos {
        return Err(format!("synced {synced} + failed {failed} != {repos}"));
    }
    let where_ = if r.in_log { logs(dir) } else { all.to_string() };
    for s in r.says {
        if !where_.contains(s) {
            return Err(format!(
                "does not say {s:?} ({})",
                if r.in_log { "log" } else { "output" }
            ));
        }
    }
    for s in NEVER {
        let wrongly = all.contains(s) && !(r.stored == Stored::Inaccessible(3) && *s == NEVER[0]);
        if wrongly {
            return Err(format!("gives the wrong verdict {s:?}"));
        }
    }
    check_store(r, dir, before)
}

/// (name, status, has a summary) per stored repo.
fn stored(dir: &Path) -> Vec<(String, SyncStatus, bool)> {
    let (store, _) = Store::open(&dir.join("data")).unwrap();
    store
        .list()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.to_string(), r.status, r.meta.is_some()))
        .collect()
}

fn check_store(r: &Row, dir: &Path, before: &[(String, SyncStatus, bool)]) -> Result<(), String> {
    let (store, _) = Store::open(&dir.join("data")).unwrap();
    let repos = store.list().unwrap();
    let inaccessible_entries = store
        .activity(None, None, 100_000)
        .unwrap()
        .iter()
        .filter(|a| a.change == repodeck::domain::Change::Inaccessible)
        .count();
    match r.stored {
        Stored::AllSynced => {
            if let Some(x) = repos.iter().find(|x| x.status != SyncStatus::Synced) {
                return Err(format!("{} is {:?}, want synced", x.key, x.status));
            }
        }
        Stored::NothingFalse => {
            if inaccessible_entries > 0 {
                return Err(format!(
                    "{inaccessible_entries} false 'inaccessible' entries"
                ));
            }
            for x in &repos {
                let had = before.iter().find(|b| b.0 == x.key.to_string());
                if x.status == SyncStatus::Inaccessible
                    || had.is_some_and(|b| b.2 && x.meta.is_none())
                {
                    return Err(format!(
                        "{} was marked {:?} or lost its summary",
                        x.key, x.status
                    ));
                }
                if x.status == SyncStatus::Failed && x.last_error.is_none() {
                    return Err(format!("{} failed without saying why", x.key));
                }
            }
        }
        Stored::Inaccessible(i) => {
            let name = format!("octo-org/repo-{i:04}");
            for x in &repos {
                let want = if x.key.to_string() == name {
                    SyncStatus::Inaccessible
                } else {
                    SyncStatus::Synced
                };
                if x.status != want {
                    return Err(format!("{} is {:?}, want {want:?}", x.key, x.status));
                }
            }
            if inaccessible_entries != 1 {
                return Err(format!(
                    "{inaccessible_entries} 'inaccessible' entries, want 1"
                ));
            }
        }
        Stored::Renamed(old) => {
            if repos.iter().any(|x| x.key.to_string() == old)
                || !repos
                    .iter()
                    .any(|x| x.key.to_string() == "octo-org/renamed-x")
            {
                return Err("the store does not know the new name".into());
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verdicts_on_githubs_answers() {
    let mut failures = Vec::new();
    let rows = rows();
    let total = rows.len();
    for r in rows {
        let name = r.name;
        if let Err(e) = run(r).await {
            failures.push(format!("[{name}] {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} rows failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
