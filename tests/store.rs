//! The store from outside: one process at a time, corruption quarantined with the tracked list
//! kept, and a store written by the previous schema opened and migrated.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use chrono::Utc;
use repodeck::domain::RepoKey;
use repodeck::store::{OpenReport, Store, TrackedRepoV1};

/// Serializes the tests of this file: a child spawned by one test briefly inherits (between fork
/// and exec) the lock file another test holds, which would make in-process reopen tests flaky.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn rd(data: &Path) -> Command {
    let mut c = Command::cargo_bin("repodeck").unwrap();
    c.arg("--data-dir")
        .arg(data)
        .env_remove("REPODECK_CONFIG")
        .env("XDG_CONFIG_HOME", data.join("config"));
    c
}

#[test]
fn a_second_process_is_refused_quickly_with_the_pid() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    let (_store, _) = Store::open(tmp.path()).unwrap();
    let start = Instant::now();
    let out = rd(tmp.path()).args(["list"]).output().unwrap();
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another repodeck"), "{err}");
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(err.contains(&tmp.path().display().to_string()), "{err}");
    // Not a timing assertion on speed, a guard against a retry loop: sled alone retries for seconds.
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

fn corrupt_store_files(dir: &Path) {
    for entry in walk(&dir.join("store")) {
        let mut bytes = std::fs::read(&entry).unwrap();
        if bytes.is_empty() {
            continue;
        }
        for (i, b) in bytes.iter_mut().enumerate() {
            if i % 7 == 3 {
                *b ^= 0x5a;
            }
        }
        std::fs::write(&entry, bytes).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_corrupt_store_is_quarantined_and_the_tracked_list_survives() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    rd(tmp.path())
        .args(["add", "octocat/hello-world", "rust-lang/rust"])
        .assert()
        .success();
    corrupt_store_files(tmp.path());
    let out = rd(tmp.path()).args(["list", "--json"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("damaged") && err.contains("store.corrupt-"),
        "{err}"
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<_> = rows
        .iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["octocat/hello-world", "rust-lang/rust"]);
    let quarantined = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("store.corrupt-")
        })
        .count();
    assert_eq!(quarantined, 1);
    // The next start is quiet: the rebuilt store is healthy.
    let out = rd(tmp.path()).args(["list", "--json"]).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn garbage_in_place_of_the_store_is_recovered() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    {
        let (store, _) = Store::open(tmp.path()).unwrap();
        store.add(&RepoKey::parse("a/b").unwrap()).unwrap();
    }
    let store_dir = tmp.path().join("store");
    std::fs::remove_dir_all(&store_dir).unwrap();
    std::fs::create_dir(&store_dir).unwrap();
    std::fs::write(store_dir.join("conf"), b"\xff\xfe not a sled config").unwrap();
    std::fs::write(store_dir.join("db"), vec![0xAB; 4096]).unwrap();
    let (store, report) = Store::open(tmp.path()).unwrap();
    assert!(
        matches!(
            report,
            OpenReport::Recovered {
                restored_repos: 1,
                ..
            }
        ),
        "{report:?}"
    );
    assert_eq!(store.list().unwrap()[0].key.to_string(), "a/b");
}

#[test]
fn a_store_of_the_previous_schema_is_migrated() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    Store::write_schema_v1(
        tmp.path(),
        &[
            TrackedRepoV1 {
                full_name: "octocat/hello-world".into(),
                added_at: Utc::now(),
            },
            TrackedRepoV1 {
                full_name: "rust-lang/rust".into(),
                added_at: Utc::now(),
            },
        ],
    )
    .unwrap();
    let (store, report) = Store::open(tmp.path()).unwrap();
    assert_eq!(report, OpenReport::Migrated { from: 1 });
    let names: Vec<_> = store
        .list()
        .unwrap()
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert_eq!(names, ["octocat/hello-world", "rust-lang/rust"]);
    assert!(
        store
            .find(&RepoKey::parse("rust-lang/rust").unwrap())
            .unwrap()
            .is_some()
    );
    drop(store);
    let (_store, report) = Store::open(tmp.path()).unwrap();
    assert_eq!(report, OpenReport::Opened);
}

/// Copies a directory tree (the fixture store must not be opened in place: sled writes to it).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `tests/fixtures/store-v2` is a data dir written by the schema-2 repodeck (see its README):
/// three repos of fakehub synced twice around five mutations. Schema 3 must keep every summary,
/// detail list and activity entry, and mark the new fields as not fetched yet.
#[test]
fn a_schema_2_store_written_by_the_previous_release_keeps_everything() {
    let _serial = serial();
    let tmp = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v2"),
        tmp.path(),
    );
    let (store, report) = Store::open(tmp.path()).unwrap();
    assert_eq!(report, OpenReport::Migrated { from: 2 });
    let repos = store.list().unwrap();
    let names: Vec<_> = repos.iter().map(|r| r.key.to_string()).collect();
    assert_eq!(
        names,
        [
            "octo-org/repo-0000",
            "octo-org/repo-0001",
            "octo-org/repo-0002"
        ]
    );
    let heads: Vec<_> = repos
        .iter()
        .map(|r| r.head.as_ref().unwrap().sha.get(..7).unwrap().to_string())
        .collect();
    assert_eq!(heads, ["201905e", "1dc4144", "632580b"]);
    assert!(repos.iter().all(|r| r.head.as_ref().unwrap().ci.is_none()));
    assert_eq!(repos[0].meta.as_ref().unwrap().stars, 106);
    assert_eq!(repos[2].unread, 2);

    let d = store.details(repos[2].local).unwrap().unwrap();
    assert_eq!(d.commits.len(), 30);
    assert_eq!(d.commits[0].headline(), "修复内存泄漏");
    assert!(d.commits.iter().all(|c| c.verification.is_none()));
    let branches: Vec<_> = d
        .branches
        .iter()
        .map(|b| (b.name.as_str(), b.protected))
        .collect();
    assert_eq!(
        branches,
        [("develop", false), ("main", false), ("release-1.x", true)]
    );
    assert_eq!(d.pulls.len(), 2);
    assert!(d.ci.is_none());

    let kinds: Vec<_> = store
        .activity(None, None, 100)
        .unwrap()
        .iter()
        .map(|a| (a.full_name.clone(), a.change.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("octo-org/repo-0002".to_string(), "pr_merged"),
            ("octo-org/repo-0002".to_string(), "new_commits"),
            ("octo-org/repo-0001".to_string(), "new_release"),
            ("octo-org/repo-0000".to_string(), "stars"),
            ("octo-org/repo-0000".to_string(), "new_commits"),
        ]
    );
    drop(store);
    let (store, report) = Store::open(tmp.path()).unwrap();
    assert_eq!(report, OpenReport::Opened);
    assert_eq!(store.len(), 3);
}
