//! Daily-use output of the CLI, run as the real binary against an in-process fakehub: why a sync
//! skipped repositories (and how to force), `show`'s dates, true counts and failures, the header
//! rows and columns of `list`, `activity` and `search`.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use serde_json::Value;

const TOKEN: &str = "ghp_clitest000000000000000000000000000000";

/// The binary with `sync.min_interval` at its default (5m), unlike the other CLI tests.
fn rd(hub: &Handle, dir: &Path, args: &[&str]) -> Output {
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, "[sync]\nmin_interval = \"5m\"\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(hub.url())
        .env("REPODECK_CONFIG", &cfg)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .env_remove("COLUMNS")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("repodeck runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

async fn hub() -> Handle {
    fakehub::spawn(FakehubConfig {
        repos: 6,
        ..FakehubConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_sync_says_why_and_how_to_force() {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    ok(&rd(&hub, dir.path(), &["import", "--org", "octo-org"]));
    let first: Value =
        serde_json::from_str(&ok(&rd(&hub, dir.path(), &["sync", "--all", "--json"]))).unwrap();
    assert_eq!(first["skipped"], 0, "{first}");
    assert_eq!(first["skip_reason"], Value::Null, "{first}");

    let text = ok(&rd(&hub, dir.path(), &["sync", "--all"]));
    let n = first["repos"].as_u64().unwrap();
    assert!(text.contains(&format!("{n} skipped;")), "{text}");
    assert!(
        text.contains(&format!("{n} skipped: each was synced ")),
        "{text}"
    );
    assert!(text.contains("within sync.min_interval (5m)"), "{text}");
    assert!(text.contains("`repodeck sync --all --force`"), "{text}");

    let v: Value =
        serde_json::from_str(&ok(&rd(&hub, dir.path(), &["sync", "--all", "--json"]))).unwrap();
    let reason = &v["skip_reason"];
    assert_eq!(reason["reason"], "min_interval", "{v}");
    assert_eq!(reason["min_interval"], "5m");
    assert_eq!(reason["min_interval_secs"], 300);
    assert_eq!(reason["force"], "repodeck sync --all --force");
    for k in ["oldest_synced_at", "newest_synced_at", "next_due_at"] {
        assert!(reason[k].is_string(), "{k}: {v}");
    }

    // One named repo: the force command names it.
    let text = ok(&rd(&hub, dir.path(), &["sync", "octo-org/repo-0001"]));
    assert!(text.contains("1 skipped: it was synced"), "{text}");
    assert!(
        text.contains("`repodeck sync --force octo-org/repo-0001`"),
        "{text}"
    );

    let forced: Value = serde_json::from_str(&ok(&rd(
        &hub,
        dir.path(),
        &["sync", "--all", "--force", "--json"],
    )))
    .unwrap();
    assert_eq!(forced["skipped"], 0, "{forced}");
    assert_eq!(forced["skip_reason"], Value::Null);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_prints_dates_true_counts_and_failures_by_name() {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    ok(&rd(
        &hub,
        dir.path(),
        &[
            "add",
            "octo-org/repo-0001",
            "octo-org/repo-0002",
            "octo-org/nope",
        ],
    ));
    // The missing repository fails (exit 1); the others are stored.
    let out = rd(&hub, dir.path(), &["sync", "--all"]);
    assert_eq!(out.status.code(), Some(1));

    let text = ok(&rd(&hub, dir.path(), &["show", "octo-org/repo-0001"]));
    for label in [
        "created:",
        "pushed:",
        "updated:",
        "tracked:",
        "last synced:",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line:\n{text}"));
        assert!(line.ends_with(" UTC"), "{line}");
    }
    // Every list heading's count is what is listed (or says "N of M").
    let lines: Vec<&str> = text.lines().collect();
    let mut headings = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some((what, rest)) = l.split_once(" (") else {
            continue;
        };
        if !l.ends_with(':')
            || ![
                "recent commits",
                "branches",
                "open pull requests",
                "open issues",
            ]
            .contains(&what.trim())
        {
            continue;
        }
        headings += 1;
        let shown: usize = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let listed = lines[i + 1..]
            .iter()
            .take_while(|l| l.starts_with("  "))
            .count();
        assert_eq!(shown, listed, "{l}\n{text}");
        if rest.contains(" of ") {
            assert!(rest.contains("`--json` has all"), "{l}");
        }
    }
    assert_eq!(headings, 4, "{text}");
    let v: Value = serde_json::from_str(&ok(&rd(
        &hub,
        dir.path(),
        &["show", "octo-org/repo-0001", "--json"],
    )))
    .unwrap();
    let commits = v["commits"].as_array().unwrap().len();
    if commits > 10 {
        assert!(
            text.contains(&format!("recent commits (10 of {commits}")),
            "{text}"
        );
    }

    // A repository whose every sync failed: the failure, not "Not synced yet".
    let text = ok(&rd(&hub, dir.path(), &["show", "octo-org/nope"]));
    assert!(!text.contains("Not synced yet"), "{text}");
    assert!(text.contains("last error (not_found"), "{text}");
    assert!(
        text.contains("repository octo-org/nope was not found (404)"),
        "{text}"
    );
    assert!(text.contains("every sync so far failed"), "{text}");

    // A synced repository deleted on GitHub: the 404 names it (it is probed by node id).
    hub.mutate(Mutation::new("octo-org/repo-0002", MutationKind::Delete))
        .unwrap();
    let _ = rd(&hub, dir.path(), &["sync", "--force", "octo-org/repo-0002"]);
    let text = ok(&rd(&hub, dir.path(), &["show", "octo-org/repo-0002"]));
    assert!(
        text.contains("repository octo-org/repo-0002 was not found (404)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_activity_and_search_have_headers_and_the_promised_columns() {
    let hub = hub().await;
    let dir = tempfile::tempdir().unwrap();
    ok(&rd(&hub, dir.path(), &["import", "--org", "octo-org"]));
    ok(&rd(&hub, dir.path(), &["sync", "--all"]));

    // Wide: every column; the head is a short sha and its age.
    let wide = ok(&rd(&hub, dir.path(), &["list"]));
    let header = wide.lines().next().unwrap();
    for col in [
        "REPO", "STARS", "FORKS", "LANG", "PUSHED", "HEAD", "SYNCED", "STATUS",
    ] {
        assert!(header.contains(col), "{col} missing: {header}");
    }
    let row = wide
        .lines()
        .find(|l| l.starts_with("octo-org/repo-0001 "))
        .unwrap();
    let list: Vec<Value> =
        serde_json::from_str(&ok(&rd(&hub, dir.path(), &["list", "--json"]))).unwrap();
    let r1 = list
        .iter()
        .find(|r| r["full_name"] == "octo-org/repo-0001")
        .unwrap();
    let sha = r1["head_sha"].as_str().unwrap();
    assert!(row.contains(&sha[..7]), "{row}");
    if let Some(lang) = r1["language"].as_str() {
        assert!(row.contains(lang), "{row}");
    }
    // The hostile repository sorts after the ordinary ones.
    let first = wide.lines().nth(1).unwrap();
    assert!(first.starts_with("octo-org/repo-0000"), "{wide}");

    // Fitted to 80 columns: nothing wider, the useful columns kept.
    let narrow = {
        let cfg = dir.path().join("cfg.toml");
        let out = Command::new(env!("CARGO_BIN_EXE_repodeck"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env("REPODECK_CONFIG", &cfg)
            .env("COLUMNS", "80")
            .arg("list")
            .output()
            .unwrap();
        ok(&out)
    };
    for l in narrow.lines() {
        assert!(l.chars().count() <= 80, "{} > 80: {l}", l.chars().count());
    }
    let header = narrow.lines().next().unwrap();
    for col in ["REPO", "STARS", "LANG", "HEAD", "SYNCED", "STATUS"] {
        assert!(
            header.contains(col),
            "{col} missing at 80 columns: {header}"
        );
    }

    hub.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Push).count(1))
        .unwrap();
    let out = rd(&hub, dir.path(), &["sync", "--force", "octo-org/repo-0001"]);
    ok(&out);
    let activity = ok(&rd(&hub, dir.path(), &["activity"]));
    let header = activity.lines().next().unwrap();
    assert!(
        header.starts_with("WHEN") && header.contains("REPO") && header.contains("CHANGE"),
        "{activity}"
    );

    let search = ok(&rd(&hub, dir.path(), &["search", "org:octo-org"]));
    let header = search.lines().next().unwrap();
    assert!(header.contains("TRACKED"), "{search}");
    let tracked = search
        .lines()
        .find(|l| l.contains("octo-org/repo-0001 "))
        .unwrap();
    assert!(tracked.contains(" yes "), "{tracked}");
    // The JSON agrees with the text.
    let v: Value = serde_json::from_str(&ok(&rd(
        &hub,
        dir.path(),
        &["search", "org:octo-org", "--json"],
    )))
    .unwrap();
    let hit = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["full_name"] == "octo-org/repo-0001")
        .unwrap();
    assert_eq!(hit["tracked"], true, "{v}");
}
