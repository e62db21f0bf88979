//! What the user told repodeck survives the disk: a missing store is rebuilt from `tracked.json`,
//! a full disk or a file the user cannot write is reported (never quarantined), seeded bit flips
//! and truncation of the store's db file never lose records without a word, a read-only data
//! directory still lists, and bad input is shown escaped. The real binary over real sled; the
//! full-disk cases mount a small tmpfs and run only as root (skipped with a notice otherwise).
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use repodeck::domain::{RepoDetails, RepoId, RepoKey, SyncStatus};
use repodeck::store::{OpenReport, Store, SyncWrite};

/// The binary spawned by one test may briefly inherit another test's lock descriptor.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn rd(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("REPODECK_CONFIG")
        .env_remove("RUST_LOG")
        .env("XDG_CONFIG_HOME", data.with_extension("config"))
        .stdin(Stdio::null())
        .output()
        .expect("repodeck runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn listed(data: &Path) -> (Vec<String>, String) {
    let out = rd(data, &["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names = rows
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect();
    (names, stderr(&out))
}

fn mirror_names(data: &Path) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("tracked.json")).unwrap()).unwrap();
    let mut names: Vec<String> = v["repos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn quarantined(data: &Path) -> usize {
    std::fs::read_dir(data)
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("store.corrupt-")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_missing_store_is_rebuilt_from_tracked_json_and_an_add_keeps_the_old_entries() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let names: Vec<String> = (0..50).map(|i| format!("org/repo-{i:02}")).collect();
    let mut args = vec!["add"];
    args.extend(names.iter().map(String::as_str));
    assert!(rd(&data, &args).status.success());
    std::fs::remove_dir_all(data.join("store")).unwrap();

    let (got, err) = listed(&data);
    assert_eq!(got, names, "every repo is back");
    assert!(
        err.contains("the store was missing") && err.contains("50 tracked repositories"),
        "{err}"
    );
    // Said once: the next start is quiet.
    let (_, err) = listed(&data);
    assert!(err.is_empty(), "{err}");

    // And when the first command after the loss is `add`, nothing is lost either.
    std::fs::remove_dir_all(data.join("store")).unwrap();
    let out = rd(&data, &["add", "new/one"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut want = names.clone();
    want.push("new/one".into());
    want.sort();
    assert_eq!(mirror_names(&data), want);
    assert_eq!(listed(&data).0.len(), 51);
    assert_eq!(quarantined(&data), 0);
}

#[test]
fn one_bad_entry_in_tracked_json_keeps_the_good_ones_and_is_reported() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("tracked.json"),
        r#"{"repos":[
            {"full_name":"good/one","id":null,"added_at":"2024-01-01T00:00:00Z"},
            {"full_name":"bad name","id":null,"added_at":"2024-01-01T00:00:00Z"},
            {"full_name":"good/two","id":7,"added_at":"2024-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    let (got, err) = listed(&data);
    assert_eq!(got, ["good/one", "good/two"]);
    assert!(
        err.contains("1 unreadable entries") && err.contains("entry 2"),
        "{err}"
    );
    assert!(err.contains("tracked.json.unreadable-"), "{err}");
    let (_, err) = listed(&data);
    assert!(err.is_empty(), "said once: {err}");
}

#[test]
fn an_escape_typed_in_add_is_not_echoed_raw() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = rd(&data, &["add", "\u{1b}[2J\u{1b}]0;pwned\u{7}/x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{err:?}");
    assert!(err.contains("\\u{1b}"), "{err}");
}

/// Makes `path` unwritable for this process: `chattr +i` as root (root ignores modes), a mode
/// of 0444 otherwise. Returns the undo, or `None` (with a notice) when the filesystem has no
/// immutable flag (overlayfs, tmpfs on some kernels), so the caller skips.
fn make_unwritable(path: &Path) -> Option<Box<dyn Fn()>> {
    let p = path.to_path_buf();
    if is_root() {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("notice: chattr +i is not supported here: skipping the unwritable-file test");
            return None;
        }
        Some(Box::new(move || {
            let _ = Command::new("chattr").arg("-i").arg(&p).status();
        }))
    } else {
        use std::os::unix::fs::PermissionsExt;
        let mode = if path.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        Some(Box::new(move || {
            let mode = if p.is_dir() { 0o755 } else { 0o644 };
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode));
        }))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn an_unwritable_db_file_is_reported_with_its_path_and_never_quarantined() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert!(rd(&data, &["add", "a/one", "a/two"]).status.success());
    let db = data.join("store").join("db");
    let before = std::fs::read(&db).unwrap();
    let Some(undo) = make_unwritable(&db) else {
        return;
    };
    for args in [&["list"][..], &["add", "a/three"][..]] {
        let out = rd(&data, args);
        let err = stderr(&out);
        undo_on_panic(out.status.code() == Some(2), &undo, &err);
        undo_on_panic(
            err.contains(&db.display().to_string()) && err.contains("chmod u+rw"),
            &undo,
            &err,
        );
        undo_on_panic(err.contains("not moved or changed"), &undo, &err);
    }
    undo();
    assert_eq!(quarantined(&data), 0);
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing was changed");
    assert_eq!(listed(&data).0, ["a/one", "a/two"]);
}

fn undo_on_panic(ok: bool, undo: &dyn Fn(), msg: &str) {
    if !ok {
        undo();
        panic!("{msg}");
    }
}

#[test]
fn a_read_only_data_dir_still_lists_and_says_once_where_the_log_went() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert!(rd(&data, &["add", "a/one"]).status.success());
    // No file can be made in the data directory nor in its log directory.
    for f in std::fs::read_dir(data.join("logs")).unwrap().flatten() {
        std::fs::remove_file(f.path()).unwrap();
    }
    let Some(undo_logs) = make_unwritable(&data.join("logs")) else {
        return;
    };
    let Some(undo_data) = make_unwritable(&data) else {
        undo_logs();
        return;
    };
    let out = rd(&data, &["list", "--json"]);
    undo_data();
    undo_logs();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err.matches("cannot write logs in").count(),
        1,
        "said once: {err}"
    );
    assert!(err.contains("warnings go to stderr"), "{err}");
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), 1);
}

// ---- a full disk (root only: a small tmpfs) ----

struct Tmpfs {
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Tmpfs {
    /// A tmpfs of `mb` MB, or `None` (with a notice) when this process cannot mount one.
    fn mount(mb: u32) -> Option<Tmpfs> {
        if !is_root() {
            eprintln!("notice: not root: skipping the full-disk test (needs a tmpfs mount)");
            return None;
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mnt");
        std::fs::create_dir(&dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("notice: mount -t tmpfs failed: skipping the full-disk test");
            return None;
        }
        Some(Tmpfs { dir, _tmp: tmp })
    }

    /// Fills the filesystem, leaving about `keep_kb` KB free.
    fn fill(&self, keep_kb: u64) {
        let out = Command::new("df")
            .args(["-k", "--output=avail"])
            .arg(&self.dir)
            .output()
            .unwrap();
        let avail: u64 = String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let size = avail.saturating_sub(keep_kb) * 1024;
        std::fs::write(self.dir.join("filler"), vec![0u8; size as usize]).unwrap_or(());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

#[test]
fn a_full_disk_is_reported_with_the_fix_and_never_quarantines() {
    let _s = serial();
    let Some(fs) = Tmpfs::mount(24) else {
        return;
    };
    let data = fs.dir.join("data");
    assert!(
        rd(&data, &["add", "a/one", "a/two", "a/three"])
            .status
            .success()
    );
    let mirror = std::fs::read(data.join("tracked.json")).unwrap();
    fs.fill(0);
    let mut codes = Vec::new();
    for args in [
        &["list"][..],
        &["add", "a/four"][..],
        &["list"][..],
        &["remove", "a/one"][..],
    ] {
        let out = rd(&data, args);
        let err = stderr(&out);
        codes.push(out.status.code());
        if out.status.code() == Some(2) {
            assert!(
                err.contains("is full: free at least") && err.contains(&data.display().to_string()),
                "{args:?}: {err}"
            );
            assert!(!err.contains("damaged"), "{err}");
        }
    }
    assert!(codes.contains(&Some(2)), "{codes:?}");
    assert_eq!(quarantined(&data), 0, "a full disk never quarantines");
    assert_eq!(std::fs::read(data.join("tracked.json")).unwrap(), mirror);
    std::fs::remove_file(fs.dir.join("filler")).unwrap();
    assert_eq!(listed(&data).0, ["a/one", "a/three", "a/two"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_into_a_nearly_full_disk_fails_promptly() {
    let Some(fs) = Tmpfs::mount(24) else {
        return;
    };
    let hub = repodeck::fakehub::spawn(repodeck::fakehub::FakehubConfig {
        repos: 3000,
        ..Default::default()
    })
    .await
    .unwrap();
    let data = fs.dir.join("data");
    let url = hub.url().to_string();
    let out = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || rd(&data, &["add", "a/one"]))
            .await
            .unwrap()
    };
    assert!(out.status.success());
    let mut codes = Vec::new();
    for keep_kb in [700, 1500, 3000] {
        let _ = std::fs::remove_file(fs.dir.join("filler"));
        fs.fill(keep_kb);
        let (data, url) = (data.clone(), url.clone());
        let (out, took) = tokio::task::spawn_blocking(move || {
            let start = Instant::now();
            let mut child = Command::new(env!("CARGO_BIN_EXE_repodeck"))
                .arg("--data-dir")
                .arg(&data)
                .args(["--api-url", &url, "import", "--org", "octo-org"])
                .env_remove("REPODECK_CONFIG")
                .env("GITHUB_TOKEN", "ghp_importtest0000000000000000000000000")
                .env("XDG_CONFIG_HOME", data.with_extension("config"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // A guard against a hang, not a timing assertion: it used to wait forever.
            while child.try_wait().unwrap().is_none() {
                if start.elapsed() > Duration::from_secs(90) {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            (child.wait_with_output().unwrap(), start.elapsed())
        })
        .await
        .unwrap();
        let err = stderr(&out);
        eprintln!(
            "import with {keep_kb} KB free: exit {:?} in {took:?}",
            out.status.code()
        );
        assert!(
            took < Duration::from_secs(90),
            "import hung with {keep_kb} KB free"
        );
        codes.push(out.status.code());
        if out.status.code() == Some(2) {
            assert!(err.contains("is full: free at least"), "{err}");
        }
    }
    assert!(codes.contains(&Some(2)), "{codes:?}");
    assert_eq!(quarantined(&data), 0);
}

// ---- damage: seeded bit flips and truncation ----

/// A small deterministic generator (xorshift), so every seed damages the same bytes every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const REPOS: usize = 40;

/// A store with `REPOS` repos, each synced (status, time, details) in its own batch.
fn synced_store(data: &Path) {
    let (store, _) = Store::open(data).unwrap();
    let keys: Vec<RepoKey> = (0..REPOS)
        .map(|i| RepoKey::parse(&format!("org/repo-{i:02}")).unwrap())
        .collect();
    store.add_many(&keys).unwrap();
    for (i, key) in keys.iter().enumerate() {
        let mut repo = store.find(key).unwrap().unwrap();
        repo.id = Some(RepoId(1000 + i as u64));
        repo.status = SyncStatus::Synced;
        repo.last_synced_at = Some(Utc.timestamp_opt(1_700_000_000 + i as i64, 0).unwrap());
        store
            .apply_sync(SyncWrite {
                repo: Some(repo),
                details: Some(RepoDetails::default()),
                defer_backup: true,
                ..SyncWrite::default()
            })
            .unwrap();
    }
    store.write_deferred_backup().unwrap();
}

type Snapshot = Vec<(String, Option<chrono::DateTime<Utc>>)>;

fn snapshot(store: &Store) -> Snapshot {
    store
        .list()
        .unwrap()
        .into_iter()
        .map(|r| (r.key.to_string(), r.last_synced_at))
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != "repodeck.lock" {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[derive(Default, Debug)]
struct Tally {
    variants: usize,
    intact: usize,
    lost_reported: usize,
    lost_silently: usize,
    quarantined: usize,
}

/// Opens a damaged copy: did it lose records, and was the user told?
fn judge(dir: &Path, want: &Snapshot, tally: &mut Tally, label: &str) {
    tally.variants += 1;
    let (store, report) = Store::open(dir).unwrap();
    let notices = store.take_notices();
    let got = snapshot(&store);
    if matches!(report, OpenReport::Recovered { .. }) {
        tally.quarantined += 1;
    }
    if got == *want && notices.is_empty() {
        tally.intact += 1;
    } else if notices.is_empty() {
        tally.lost_silently += 1;
        eprintln!("SILENT LOSS in {label}: {report:?}");
    } else {
        tally.lost_reported += 1;
    }
    drop(store);
    // Said once: the next open is quiet and the list is whole.
    let (store, again) = Store::open(dir).unwrap();
    let twice = store.take_notices();
    assert!(
        twice.is_empty(),
        "{label}: said twice: first {notices:?} ({report:?}), then {twice:?} ({again:?})"
    );
    assert_eq!(store.len(), REPOS, "{label}: the tracked list is whole");
}

#[test]
fn seeded_bit_flips_and_truncation_never_lose_records_silently() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    synced_store(&base);
    // Read from a copy: opening the base itself would rewrite its files.
    let want = {
        let copy = tmp.path().join("want");
        copy_dir(&base, &copy);
        let (store, _) = Store::open(&copy).unwrap();
        snapshot(&store)
    };
    assert_eq!(want.len(), REPOS);
    let mut flips = Tally::default();
    for seed in 1..=20u64 {
        let dir = tmp.path().join(format!("flip-{seed}"));
        copy_dir(&base, &dir);
        let db = dir.join("store").join("db");
        let mut bytes = std::fs::read(&db).unwrap();
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..10 {
            let at = (rng.next() % bytes.len() as u64) as usize;
            bytes[at] ^= 1 << (rng.next() % 8);
        }
        std::fs::write(&db, &bytes).unwrap();
        judge(&dir, &want, &mut flips, &format!("seed {seed}"));
    }
    let mut cuts = Tally::default();
    for (i, fraction) in [0.5, 0.25, 0.75, 0.9].iter().enumerate() {
        let dir = tmp.path().join(format!("cut-{i}"));
        copy_dir(&base, &dir);
        let db = dir.join("store").join("db");
        let len = std::fs::metadata(&db).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len((len as f64 * fraction) as u64)
            .unwrap();
        judge(&dir, &want, &mut cuts, &format!("truncated to {fraction}"));
    }
    eprintln!("| damage | variants | intact | lost, reported | lost silently | quarantined |");
    eprintln!("|---|---|---|---|---|---|");
    for (name, t) in [("20 seeds x 10 bit flips", &flips), ("truncation", &cuts)] {
        eprintln!(
            "| {name} | {} | {} | {} | {} | {} |",
            t.variants, t.intact, t.lost_reported, t.lost_silently, t.quarantined
        );
    }
    assert_eq!(flips.lost_silently + cuts.lost_silently, 0);
}

#[test]
fn a_truncated_store_is_reported_once_on_the_command_line() {
    let _s = serial();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    synced_store(&data);
    let db = data.join("store").join("db");
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    let (names, err) = listed(&data);
    assert_eq!(names.len(), REPOS, "{err}");
    assert!(
        err.contains("sync --all") && err.starts_with("warning: "),
        "{err}"
    );
    let (_, err) = listed(&data);
    assert!(err.is_empty(), "said once: {err}");
}

// ---- sync into a full disk, and into a read-only data directory ----

const SYNC_TOKEN: &str = "ghp_datasafetysync0000000000000000000000";

/// `repodeck --data-dir DATA --api-url URL ARGS` with a token, bounded by a guard against a hang
/// (not a timing assertion). Returns the output and whether the guard had to kill it.
fn rd_sync(data: &Path, url: &str, args: &[&str]) -> (Output, bool) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .arg("--data-dir")
        .arg(data)
        .args(["--api-url", url])
        .args(args)
        .env_remove("REPODECK_CONFIG")
        .env_remove("RUST_LOG")
        .env("GITHUB_TOKEN", SYNC_TOKEN)
        .env("XDG_CONFIG_HOME", data.with_extension("config"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut killed = false;
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(90) {
            let _ = child.kill();
            killed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child.wait_with_output().unwrap(), killed)
}

/// Every repo is either as before this sync (never synced here) or wholly synced: a head, its
/// meta, and a stored history headed by that head. Opened in-process, as the binary opens it.
fn nothing_half_written(data: &Path) -> usize {
    let (store, _) = Store::open(data).unwrap();
    let mut synced = 0;
    for repo in store.list().unwrap() {
        if repo.status == SyncStatus::Never {
            assert!(repo.head.is_none() && repo.meta.is_none(), "{repo:?}");
            continue;
        }
        let head = repo.head.as_ref().map(|c| c.sha.clone());
        let details = store.details(repo.local).unwrap();
        if repo.status == SyncStatus::Synced {
            synced += 1;
            assert!(head.is_some() && repo.meta.is_some(), "{}", repo.key);
        }
        if let (Some(h), Some(first)) = (head, details.as_ref().and_then(|d| d.commits.first())) {
            assert_eq!(
                first.sha, h,
                "{}: history and head from one batch",
                repo.key
            );
        }
    }
    synced
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_into_a_nearly_full_disk_stops_with_the_fix_and_a_later_one_succeeds() {
    let Some(fs) = Tmpfs::mount(24) else {
        return;
    };
    let hub = repodeck::fakehub::spawn(repodeck::fakehub::FakehubConfig {
        repos: 150,
        tokens: vec![SYNC_TOKEN.into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let data = fs.dir.join("data");
    let url = hub.url().to_string();
    let names = tokio::task::block_in_place(|| {
        let (out, _) = rd_sync(&data, &url, &["import", "--org", "octo-org"]);
        assert!(out.status.success(), "{}", stderr(&out));
        listed(&data).0
    });
    let mirror = std::fs::read(data.join("tracked.json")).unwrap();
    let mut codes = Vec::new();
    for keep_kb in [40, 300, 1200, 3000] {
        let _ = std::fs::remove_file(fs.dir.join("filler"));
        fs.fill(keep_kb);
        let (out, killed) =
            tokio::task::block_in_place(|| rd_sync(&data, &url, &["sync", "--all", "--force"]));
        let err = stderr(&out);
        eprintln!(
            "sync with {keep_kb} KB free: exit {:?}{}",
            out.status.code(),
            if killed { " (hung: killed)" } else { "" }
        );
        assert!(!killed, "the sync hung with {keep_kb} KB free: {err}");
        codes.push(out.status.code());
        match out.status.code() {
            Some(0) => {}
            // Said once, with the path and the fix: exit 2 when nothing was stored, 1 when
            // some repos were stored before the disk filled.
            Some(code @ (1 | 2)) => {
                assert!(
                    err.contains("is full: free at least")
                        && err.contains(&data.display().to_string()),
                    "{keep_kb} KB: the path and the fix: {err}"
                );
                assert_eq!(err.matches("is full").count(), 1, "said once: {err}");
                let said = if code == 2 {
                    "sync stopped, nothing was changed"
                } else {
                    "synced and stored before that"
                };
                assert!(err.contains(said), "{err}");
                assert!(
                    !err.contains("damaged") && !err.contains("panicked"),
                    "{err}"
                );
            }
            other => panic!("{keep_kb} KB free: exit {other:?}: {err}"),
        }
        // With room again: the store opens whole, nothing half-written, never quarantined.
        std::fs::remove_file(fs.dir.join("filler")).unwrap();
        assert_eq!(quarantined(&data), 0, "a full disk never quarantines");
        tokio::task::block_in_place(|| {
            assert_eq!(listed(&data).0, names);
            nothing_half_written(&data);
        });
    }
    // Exit 2 or 1 depends on whether sled's preallocated log still held the first batches
    // (the token-use audit log shares it); either way a disk this full stops the sync.
    assert!(
        matches!(codes[0], Some(1 | 2)),
        "a disk this full stops the sync: {codes:?}"
    );
    // The list of tracked repos is what the user made; a sync never loses it.
    let now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("tracked.json")).unwrap()).unwrap();
    let before: serde_json::Value = serde_json::from_slice(&mirror).unwrap();
    assert_eq!(
        now["repos"].as_array().unwrap().len(),
        before["repos"].as_array().unwrap().len()
    );
    let (out, _) = tokio::task::block_in_place(|| rd_sync(&data, &url, &["sync", "--all"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "with room, a sync succeeds: {}",
        stderr(&out)
    );
    let synced = tokio::task::block_in_place(|| nothing_half_written(&data));
    assert_eq!(synced, names.len());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_into_a_read_only_store_changes_nothing_and_says_the_fix() {
    let hub = repodeck::fakehub::spawn(repodeck::fakehub::FakehubConfig {
        repos: 6,
        tokens: vec![SYNC_TOKEN.into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let url = hub.url().to_string();
    let (out, _) =
        tokio::task::block_in_place(|| rd_sync(&data, &url, &["import", "--org", "octo-org"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let db = data.join("store").join("db");
    let before = std::fs::read(&db).unwrap();
    hub.reset_stats();
    let Some(undo_db) = make_unwritable(&db) else {
        hub.shutdown().await;
        return;
    };
    let Some(undo_dir) = make_unwritable(&data.join("store")) else {
        undo_db();
        hub.shutdown().await;
        return;
    };
    let (out, killed) = tokio::task::block_in_place(|| rd_sync(&data, &url, &["sync", "--all"]));
    undo_dir();
    undo_db();
    let err = stderr(&out);
    assert!(!killed, "the sync hung: {err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&db.display().to_string()) && err.contains("chmod u+rw"),
        "the path and the fix: {err}"
    );
    assert_eq!(hub.stats().requests, 0, "nothing asked of GitHub: {err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing was changed");
    assert_eq!(quarantined(&data), 0);
    let (out, _) = tokio::task::block_in_place(|| rd_sync(&data, &url, &["sync", "--all"]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "writable again: {}",
        stderr(&out)
    );
    hub.shutdown().await;
}
