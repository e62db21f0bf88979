//! Crash cycles: the real binary syncs ~50 repos against a fakehub with latency (so a kill lands
//! in the middle of a pass) and is killed with SIGKILL at a random moment (seeded; the seed is
//! printed, `REPODECK_CRASH_SEED` replays it), 20 times by default and `REPODECK_CRASH_CYCLES`
//! times when set. Between cycles fakehub pushes commits and stars to a third of the repos, so
//! each pass has new values to write. After each kill: the store opens without a quarantine,
//! `list --json` lists every tracked repo, every repo's stored state is one version fakehub
//! served (all-old or all-new: head sha, stars, pushed_at and updated_at from the same version,
//! and the stored commit history headed by the stored head), and a clean `sync --all` exits 0
//! and brings every repo to fakehub's current version.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use repodeck::domain::{RepoDetails, TrackedRepo};
use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use repodeck::store::{OpenReport, Store};

const TOKEN: &str = "ghp_crashcycles0000000000000000000000000";
const REPOS: usize = 50;

/// A small deterministic generator (xorshift): the same seed kills at the same moments.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What identifies one version of a repository as fakehub served it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    head: String,
    stars: u64,
    pushed_at: i64,
    updated_at: i64,
}

/// Every version of each repo a sync could have seen: the states between cycles (mutations
/// happen only while no sync runs, so no in-between version was ever served).
type Versions = HashMap<String, Vec<Version>>;

fn current(hub: &Handle, names: &[String]) -> HashMap<String, Version> {
    let world = hub.world();
    names
        .iter()
        .map(|n| {
            let (owner, name) = n.split_once('/').unwrap();
            let r = world.find(owner, name).expect("fakehub has the repo");
            let v = Version {
                head: r.tip_sha(world.seed),
                stars: u64::from(r.stars),
                pushed_at: r.pushed_at,
                updated_at: r.updated_at,
            };
            (n.clone(), v)
        })
        .collect()
}

fn remember(versions: &mut Versions, now: &HashMap<String, Version>) {
    for (name, v) in now {
        let seen = versions.entry(name.clone()).or_default();
        if !seen.contains(v) {
            seen.push(v.clone());
        }
    }
}

fn stored_version(r: &TrackedRepo) -> Option<Version> {
    let meta = r.meta.as_ref()?;
    Some(Version {
        head: r.head.as_ref()?.sha.clone(),
        stars: meta.stars,
        pushed_at: meta.pushed_at?.timestamp(),
        updated_at: meta.updated_at?.timestamp(),
    })
}

/// Why a repo's stored state is not one version fakehub served, if it is not: a version none
/// served (fields of two versions: a half-written batch), or a commit history headed by another
/// commit than the stored head.
fn judge(
    name: &str,
    repo: &TrackedRepo,
    details: Option<&RepoDetails>,
    seen: &[Version],
) -> Option<String> {
    let Some(v) = stored_version(repo) else {
        return Some(format!(
            "{name}: no stored head or meta after a synced baseline"
        ));
    };
    if !seen.contains(&v) {
        return Some(format!(
            "{name}: stored {v:?} is no version fakehub served ({seen:?})"
        ));
    }
    if let Some(first) = details.and_then(|d| d.commits.first())
        && first.sha != v.head
    {
        return Some(format!(
            "{name}: the stored history starts at {} but the stored head is {}",
            first.sha, v.head
        ));
    }
    None
}

fn rd(hub: &Handle, data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    let cfg = data.with_extension("toml");
    if !cfg.exists() {
        std::fs::write(&cfg, "[sync]\nmin_interval = \"0s\"\n").unwrap();
    }
    c.arg("--data-dir")
        .arg(data)
        .arg("--api-url")
        .arg(hub.url())
        .env("REPODECK_CONFIG", &cfg)
        .env_remove("REPODECK_TIME_SCALE")
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

fn run(hub: &Handle, data: &Path, args: &[&str]) -> Output {
    tokio::task::block_in_place(|| rd(hub, data).args(args).output().expect("repodeck runs"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn quarantined(data: &Path) -> Vec<String> {
    std::fs::read_dir(data)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("store.corrupt-"))
        .collect()
}

fn listed(hub: &Handle, data: &Path) -> Result<Vec<String>, String> {
    let out = run(hub, data, &["list", "--json"]);
    if !out.status.success() {
        return Err(format!("list --json failed: {}", text(&out.stderr)));
    }
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("list --json: {e}"))?;
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|r| r["full_name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    Ok(names)
}

/// Opens the store as the binary does and judges every repo; `new` counts the repos already at
/// fakehub's current version.
fn check_store(
    data: &Path,
    versions: &Versions,
    now: &HashMap<String, Version>,
) -> Result<usize, Vec<String>> {
    let (store, report) = Store::open(data).map_err(|e| vec![format!("store open: {e}")])?;
    if !matches!(report, OpenReport::Opened) {
        return Err(vec![format!("the store opened as {report:?}")]);
    }
    let mut problems = Vec::new();
    let mut new = 0;
    for repo in store.list().unwrap() {
        let name = repo.key.to_string();
        let details = store.details(repo.local).unwrap();
        let seen = versions.get(&name).map_or(&[][..], Vec::as_slice);
        match judge(&name, &repo, details.as_ref(), seen) {
            Some(p) => problems.push(p),
            None => new += usize::from(stored_version(&repo).as_ref() == now.get(&name)),
        }
    }
    if problems.is_empty() {
        Ok(new)
    } else {
        Err(problems)
    }
}

/// Pushes to and stars a third of the repos (a few commits each).
fn mutate(hub: &Handle, names: &[String], rng: &mut Rng) {
    for name in names {
        if rng.below(3) != 0 {
            continue;
        }
        let n = 1 + rng.below(3) as u32;
        hub.mutate(Mutation::new(name.clone(), MutationKind::Push).count(n))
            .unwrap();
        if rng.below(2) == 0 {
            hub.mutate(Mutation::new(name.clone(), MutationKind::Star).count(n))
                .unwrap();
        }
    }
}

/// Starts a sync and kills it with SIGKILL after `after`; whether it had already finished.
fn sync_and_kill(hub: &Handle, data: &Path, args: &[&str], after: Duration) -> bool {
    tokio::task::block_in_place(|| {
        let mut child = rd(hub, data)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("repodeck runs");
        let deadline = Instant::now() + after;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        false
    })
}

#[test]
fn the_judge_catches_a_half_written_repo() {
    let old = Version {
        head: "a".repeat(40),
        stars: 3,
        pushed_at: 10,
        updated_at: 11,
    };
    let new = Version {
        head: "b".repeat(40),
        stars: 5,
        pushed_at: 20,
        updated_at: 21,
    };
    let key = repodeck::domain::RepoKey::parse("o/r").unwrap();
    let mut repo = TrackedRepo::new(repodeck::domain::LocalId(1), key, chrono::Utc::now());
    let stamp = |s| chrono::DateTime::from_timestamp(s, 0);
    let set = |repo: &mut TrackedRepo, head: &str, stars, pushed, updated| {
        repo.head = Some(repodeck::domain::Commit {
            sha: head.into(),
            ..Default::default()
        });
        repo.meta = Some(repodeck::domain::RepoMeta {
            stars,
            pushed_at: stamp(pushed),
            updated_at: stamp(updated),
            ..Default::default()
        });
    };
    let seen = [old.clone(), new.clone()];
    set(&mut repo, &new.head, 5, 20, 21);
    assert_eq!(judge("o/r", &repo, None, &seen), None);
    // The new head with the old stars: half of a batch.
    set(&mut repo, &new.head, 3, 20, 21);
    assert!(judge("o/r", &repo, None, &seen).is_some());
    // The repo record new, its history old.
    set(&mut repo, &new.head, 5, 20, 21);
    let history = RepoDetails {
        commits: vec![repodeck::domain::Commit {
            sha: old.head.clone(),
            ..Default::default()
        }],
        ..Default::default()
    };
    assert!(judge("o/r", &repo, Some(&history), &seen).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_sync_never_leaves_a_half_written_repo() {
    let cycles: usize = std::env::var("REPODECK_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("REPODECK_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash cycles: seed {seed} (REPODECK_CRASH_SEED={seed} replays it), {cycles} cycles");
    let mut rng = Rng(seed);
    let hub = fakehub::spawn(FakehubConfig {
        repos: REPOS,
        tokens: vec![TOKEN.into()],
        latency_ms: std::env::var("CRASH_LATENCY")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(8),
        jitter_ms: 8,
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = run(&hub, &data, &["import", "--org", "octo-org"]);
    assert!(out.status.success(), "import: {}", text(&out.stderr));
    let names = listed(&hub, &data).unwrap();
    let started = Instant::now();
    let out = run(&hub, &data, &["sync", "--all"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "baseline: {}",
        text(&out.stderr)
    );
    // The baseline fetched every repo's details; a cycle's pass (a third changed) is shorter,
    // and kills land within it.
    let pass = started.elapsed().max(Duration::from_millis(300));
    eprintln!("baseline sync of {} repos: {pass:?}", names.len());
    let mut versions = Versions::new();
    let now = current(&hub, &names);
    remember(&mut versions, &now);
    assert_eq!(check_store(&data, &versions, &now), Ok(names.len()));

    let mut consistent = 0;
    let (mut mid, mut partial) = (0, 0);
    let mut failures = Vec::new();
    for cycle in 0..cycles {
        mutate(&hub, &names, &mut rng);
        let now = current(&hub, &names);
        remember(&mut versions, &now);
        let args: &[&str] = if cycle % 2 == 0 {
            &["sync", "--all"]
        } else {
            &["sync", "--all", "--rest"]
        };
        // A third of the repos changed: their pass is shorter than the baseline's.
        let after = Duration::from_millis(rng.below(pass.as_millis() as u64 * 2 / 3) + 10);
        let finished = sync_and_kill(&hub, &data, args, after);
        mid += usize::from(!finished);
        let checked = Instant::now();
        let result = cycle_checks(&hub, &data, &names, &versions, &now);
        eprintln!(
            "cycle {cycle}: {args:?} {} after {after:?}; {} repos new before the clean sync; checks {:.1} s",
            if finished { "finished" } else { "killed" },
            result
                .as_ref()
                .map_or_else(|_| "?".to_string(), usize::to_string),
            checked.elapsed().as_secs_f64()
        );
        match result {
            Ok(new_before) => {
                consistent += 1;
                if new_before > 0 && new_before < names.len() {
                    partial += 1;
                }
            }
            Err(p) => failures.push(format!(
                "cycle {cycle} ({args:?}, killed after {after:?}): {}",
                p.join("; ")
            )),
        }
    }
    eprintln!(
        "crash cycles: {consistent} consistent / {cycles} run ({mid} killed mid-sync, {partial} \
         left some repos new and some old; seed {seed}, {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    hub.shutdown().await;
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
}

/// The checks after one kill; the number of repos already at the current version before the
/// clean sync.
fn cycle_checks(
    hub: &Handle,
    data: &Path,
    names: &[String],
    versions: &Versions,
    now: &HashMap<String, Version>,
) -> Result<usize, Vec<String>> {
    let q = quarantined(data);
    if !q.is_empty() {
        return Err(vec![format!("the store was quarantined: {q:?}")]);
    }
    let listed = listed(hub, data).map_err(|e| vec![e])?;
    if listed != names {
        return Err(vec![format!("list --json shows {listed:?}")]);
    }
    let new_before = check_store(data, versions, now)?;
    let out = run(hub, data, &["sync", "--all"]);
    if out.status.code() != Some(0) {
        return Err(vec![format!(
            "the clean sync exited {:?}: {}",
            out.status.code(),
            text(&out.stderr)
        )]);
    }
    let new_after = check_store(data, versions, now)?;
    if new_after != names.len() {
        return Err(vec![format!(
            "after the clean sync only {new_after} of {} repos are at fakehub's version",
            names.len()
        )]);
    }
    if !quarantined(data).is_empty() {
        return Err(vec!["the clean sync quarantined the store".into()]);
    }
    Ok(new_before)
}
