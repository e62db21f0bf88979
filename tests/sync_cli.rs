//! The headless CLI, run as the real binary against an in-process fakehub: every `--json` output
//! parses with its documented keys, a revoked token exits 2 naming the token, and kill -9 at random
//! points of a sync leaves every repo either all old or all new.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use repodeck::domain::SyncStatus;
use repodeck::fakehub::{
    self, FakehubConfig, FaultKind, FaultRule, Handle, Mutation, MutationKind,
};
use repodeck::store::Store;
use serde_json::Value;

const TOKEN: &str = "ghp_clitest000000000000000000000000000000";

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
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn rd(hub: &Handle, dir: &Path, args: &[&str]) -> Output {
    cmd(hub, dir).args(args).output().expect("repodeck runs")
}

fn json_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn keys(v: &Value, expect: &[&str]) {
    for k in expect {
        assert!(v.get(k).is_some(), "missing key {k} in {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_json_output_parses_with_the_documented_keys() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 8,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = rd(
        &hub,
        dir.path(),
        &["import", "--org", "octo-org", "--include-archived"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = rd(&hub, dir.path(), &["sync", "--all", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    keys(
        &v,
        &[
            "repos",
            "synced",
            "unchanged",
            "changed",
            "failed",
            "skipped",
            "requests",
            "not_modified",
            "points",
            "duration_ms",
            "changes",
            "failures",
        ],
    );
    keys(&v["points"], &["core", "graphql", "search"]);
    assert_eq!(v["synced"], v["repos"]);

    hub.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Push).count(2))
        .unwrap();
    let v = json_of(&rd(&hub, dir.path(), &["sync", "--all", "--json"]));
    assert_eq!(v["changed"], 1, "{v}");
    keys(&v["changes"][0], &["repo", "kind", "text"]);
    assert_eq!(v["changes"][0]["kind"], "new_commits");
    assert_eq!(v["changes"][0]["count"], 2);

    let v = json_of(&rd(&hub, dir.path(), &["activity", "--json"]));
    let entries = v.as_array().expect("an array");
    assert_eq!(entries.len(), 1);
    keys(
        &entries[0],
        &["seq", "repo", "at", "kind", "change", "text", "read"],
    );
    let v = json_of(&rd(
        &hub,
        dir.path(),
        &[
            "activity",
            "--since",
            "1h",
            "--repo",
            "octo-org/repo-0002",
            "--json",
        ],
    ));
    assert_eq!(v.as_array().map(Vec::len), Some(0));

    let v = json_of(&rd(
        &hub,
        dir.path(),
        &["show", "octo-org/repo-0001", "--json"],
    ));
    keys(
        &v,
        &[
            "full_name",
            "id",
            "status",
            "last_synced_at",
            "last_error",
            "meta",
            "head",
            "commits",
            "branches",
            "pulls",
            "issues",
            "releases",
        ],
    );
    keys(
        &v["meta"],
        &[
            "stars",
            "forks",
            "watchers",
            "topics",
            "languages",
            "license",
            "default_branch",
            "pushed_at",
        ],
    );

    let v = json_of(&rd(&hub, dir.path(), &["list", "--json"]));
    assert!(v.as_array().is_some_and(|a| !a.is_empty()));

    let out = rd(
        &hub,
        dir.path(),
        &["search", "repo", "--json", "--limit", "5"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    keys(&v, &["query", "hits", "added"]);

    // Human output of the same commands works too.
    for args in [
        &["sync", "--all"][..],
        &["activity"],
        &["show", "octo-org/repo-0001"],
    ] {
        let out = rd(&hub, dir.path(), args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.is_empty());
    }
    // Usage errors exit 2.
    assert_eq!(rd(&hub, dir.path(), &["sync"]).status.code(), Some(2));
    assert_eq!(
        rd(&hub, dir.path(), &["sync", "nobody/untracked"])
            .status
            .code(),
        Some(2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_token_exits_2_naming_the_token() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 4,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        rd(&hub, dir.path(), &["import", "--org", "octo-org"])
            .status
            .success()
    );
    assert!(rd(&hub, dir.path(), &["sync", "--all"]).status.success());
    hub.set_faults(vec![FaultRule::new("/**", FaultKind::BadCredentials)]);
    let out = rd(&hub, dir.path(), &["sync", "--all", "--force", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("token"), "{err}");
    assert!(!err.contains(TOKEN) && !String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    hub.set_faults(vec![]);
    let (store, _) = Store::open(&dir.path().join("data")).unwrap();
    assert!(
        store
            .list()
            .unwrap()
            .iter()
            .all(|r| r.status == SyncStatus::Synced && r.meta.is_some())
    );
}

/// Tiny deterministic generator, so a failing cycle can be replayed.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// Every repo's summary, detail lists and activity agree: they were written in one batch.
fn assert_consistent(dir: &Path, cycle: usize) {
    let (store, _) = Store::open(dir).unwrap_or_else(|e| panic!("cycle {cycle}: store opens: {e}"));
    for r in store.list().unwrap() {
        let details = store.details(r.local).unwrap();
        match (&r.meta, &details) {
            (None, None) => assert_eq!(r.status, SyncStatus::Never),
            (Some(m), Some(d)) => {
                let head = r.head.as_ref().map(|h| h.sha.as_str());
                assert_eq!(
                    d.commits.first().map(|c| c.sha.as_str()),
                    head,
                    "cycle {cycle}: {} head vs commits",
                    r.key
                );
                assert_eq!(
                    d.pulls.len() as u64,
                    m.open_prs.min(50),
                    "cycle {cycle}: {} PR count",
                    r.key
                );
                assert_eq!(
                    d.issues.len() as u64,
                    m.open_issues.min(50),
                    "cycle {cycle}: {} issue count",
                    r.key
                );
                let unread = store
                    .activity(r.id, None, 100_000)
                    .unwrap()
                    .iter()
                    .filter(|a| !a.read)
                    .count();
                assert_eq!(
                    unread as u32, r.unread,
                    "cycle {cycle}: {} unread vs feed",
                    r.key
                );
            }
            _ => panic!(
                "cycle {cycle}: {} has a summary without details or the reverse",
                r.key
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_leaves_each_repo_all_old_or_all_new() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 60,
        latency_ms: 15,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(
        rd(
            &hub,
            dir.path(),
            &["import", "--org", "octo-org", "--include-archived"]
        )
        .status
        .success()
    );
    let mut rng = Lcg(0x5eed);
    let kinds = [
        MutationKind::Push,
        MutationKind::Star,
        MutationKind::OpenPr,
        MutationKind::OpenIssue,
        MutationKind::Release,
    ];
    let mut killed = 0;
    for cycle in 0..22 {
        for _ in 0..10 {
            let repo = format!("octo-org/repo-{:04}", rng.next(60));
            let _ = hub.mutate(Mutation::new(
                repo,
                kinds[rng.next(kinds.len() as u64) as usize],
            ));
        }
        let mut child = cmd(&hub, dir.path())
            .args([
                "sync",
                "--all",
                if cycle % 2 == 0 { "--force" } else { "--json" },
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20 + rng.next(600))).await;
        if child.try_wait().unwrap().is_none() {
            killed += 1;
        }
        child.kill().ok(); // SIGKILL on unix
        child.wait().unwrap();
        assert_consistent(&dir.path().join("data"), cycle);
    }
    assert!(
        killed >= 11,
        "most cycles killed a running sync ({killed} of 22)"
    );
    let out = rd(&hub, dir.path(), &["sync", "--all", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_consistent(&dir.path().join("data"), 99);
    let (store, _) = Store::open(&dir.path().join("data")).unwrap();
    let world = hub.world();
    for r in store.list().unwrap() {
        let truth = world.find(r.key.owner(), r.key.name()).unwrap();
        assert_eq!(
            r.meta.as_ref().unwrap().stars,
            u64::from(truth.stars),
            "{} caught up",
            r.key
        );
    }
}
