//! `cargo bench --bench ui`: the TUI's speed, printed as a table (no assertions).
//! First frame from a store with 10,000 repos; render time per frame at 100 / 1,000 / 10,000
//! rows; keypress-to-frame latency while a 1,000-repo sync streams events; peak RSS; an attached
//! view's first frame and first full frame over a host's socket, one event's fan-out to 10
//! attached clients, and an attached view's keypress-to-frame latency while the host's engine
//! streams a 1,000-repo sync through the socket.
//! Targets: first frame <= 100 ms, render <= 1 ms, p99 latency <= 16 ms, RSS <= 64 MB.
#![expect(
    clippy::expect_used,
    reason = "a benchmark harness: a failed setup aborts the run with its message"
)]

use std::time::{Duration, Instant};

use chrono::Utc;
use repodeck::domain::{
    Commit, LocalId, RepoId, RepoKey, RepoMeta, Signature, SyncStatus, TrackedRepo,
};
use repodeck::host::client::Attached;
use repodeck::host::protocol::{Reply, Request};
use repodeck::host::{Host, HostKind};
use repodeck::store::{Store, SyncWrite};
use repodeck::sync::{EngineHandle, JobCost, Outcome, SyncEvent};
use repodeck::tui::action::Action;
use repodeck::tui::app::{App, Env};
use repodeck::tui::headless::Headless;
use repodeck::tui::keymap::Keymap;
use repodeck::tui::theme::Theme;

const W: u16 = 120;
const H: u16 = 40;

fn synced(mut r: TrackedRepo, i: u64) -> TrackedRepo {
    let now = Utc::now();
    r.id = Some(RepoId(10_000 + i));
    r.status = SyncStatus::Synced;
    r.last_synced_at = Some(now - chrono::Duration::minutes((i % 90) as i64));
    r.meta = Some(RepoMeta {
        id: RepoId(10_000 + i),
        full_name: r.key.to_string(),
        description: Some(format!(
            "Repository number {i}, with a description of usual length."
        )),
        html_url: r.key.html_url(),
        default_branch: "main".into(),
        stars: (i * 7919) % 50_000,
        forks: (i * 31) % 2_000,
        open_issues: i % 200,
        open_prs: i % 17,
        language: Some(["Rust", "Go", "Python", "TypeScript"][(i % 4) as usize].into()),
        pushed_at: Some(now - chrono::Duration::hours((i % 500) as i64)),
        ..RepoMeta::default()
    });
    r.head = Some(Commit {
        sha: format!("{:040x}", i),
        message: format!("Commit headline for {i}\n\nbody"),
        author: Signature {
            name: "Jane Doe".into(),
            date: Some(now),
            ..Signature::default()
        },
        ..Commit::default()
    });
    r.unread = u32::from(i.is_multiple_of(11));
    r
}

fn repos(n: u64) -> Vec<TrackedRepo> {
    (0..n)
        .map(|i| {
            let key = RepoKey::parse(&format!("org-{}/repo-{i:05}", i % 50)).expect("valid name");
            synced(TrackedRepo::new(LocalId(i + 1), key, Utc::now()), i)
        })
        .collect()
}

fn app() -> App {
    App::new(
        Utc::now(),
        Theme::new("default", false, false),
        Keymap::default(),
        Env::default(),
    )
}

fn stats(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mean = v.iter().map(|d| ms(*d)).sum::<f64>() / v.len() as f64;
    let p50 = ms(v[v.len() / 2]);
    let p99 = ms(v[(v.len() * 99 / 100).min(v.len() - 1)]);
    (mean, p50, p99)
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Set in the child that measures the first frame and the TUI's peak RSS on its own.
const CHILD_ENV: &str = "REPODECK_UI_BENCH_STORE";

/// The child: a fresh process that starts as `repodeck` does (open the store quickly, read the
/// first screenful by name, build the app, draw), then reads the whole list as the TUI does in
/// the background, and scrolls it all; prints its timings and peak RSS.
fn first_frame_child(dir: &std::path::Path) {
    let t = Instant::now();
    let (store, _) = Store::open_quick(dir).expect("open store");
    let opened = t.elapsed();
    let first = store.first_by_name(H as usize).expect("first page");
    let read = t.elapsed();
    let mut a = app();
    a.update(Action::Resize {
        width: W,
        height: H,
    });
    a.update(Action::ReposPreview(first));
    let built = t.elapsed();
    let mut hl = Headless::new(W, H);
    hl.draw(&a);
    let first_frame = t.elapsed();
    let list = store.list().expect("list");
    a.update(Action::ReposLoaded(list));
    hl.draw(&a);
    let full = t.elapsed();
    for _ in 0..400 {
        a.update(Action::PageDown);
        hl.draw(&a);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:.3} {:.3} {:.3} {:.3} {:.3} {:.3}",
        ms(first_frame),
        ms(opened),
        ms(read - opened),
        ms(built - read),
        ms(first_frame - built),
        ms(full)
    );
    println!("{:.1}", peak_rss_mb().unwrap_or(f64::NAN));
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        first_frame_child(std::path::Path::new(&dir));
        return;
    }
    println!("repodeck TUI benchmark ({W}x{H} frames, TestBackend with ratatui's diffing)\n");

    // A real store with 10,000 synced repos.
    let dir = tempfile::tempdir().expect("temp dir");
    // REPODECK_UI_BENCH_KEEP=DIR: build the store there and leave it, for profiling the start.
    let keep = std::env::var_os("REPODECK_UI_BENCH_KEEP").map(std::path::PathBuf::from);
    let store_dir = keep.unwrap_or_else(|| dir.path().to_path_buf());
    let t = Instant::now();
    {
        let (store, _) = Store::open(&store_dir).expect("open store");
        let keys: Vec<RepoKey> = repos(10_000).into_iter().map(|r| r.key).collect();
        store.add_many(&keys).expect("add");
        for (i, r) in store.list().expect("list").into_iter().enumerate() {
            // GitHub's id is left unset so the store skips its per-write backup (setup speed only).
            let mut r = synced(r, i as u64);
            r.id = None;
            store
                .apply_sync(SyncWrite {
                    repo: Some(r),
                    ..SyncWrite::default()
                })
                .expect("write");
        }
        store.flush().expect("flush");
    }
    let setup = t.elapsed();

    // First frame and peak RSS, measured in a fresh process (the median of five starts).
    let mut runs: Vec<(Vec<f64>, f64)> = (0..5)
        .map(|_| {
            let out = std::process::Command::new(std::env::current_exe().expect("own path"))
                .env(CHILD_ENV, &store_dir)
                .output()
                .expect("child runs");
            assert!(out.status.success(), "child failed: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            let times = lines
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|v| v.parse().ok())
                .collect();
            let rss = lines
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN);
            (times, rss)
        })
        .collect();
    runs.sort_by(|a, b| a.0[0].total_cmp(&b.0[0]));
    let (times, _) = runs[runs.len() / 2].clone();
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);

    println!("| measure | result | target |");
    println!("|---|---|---|");
    println!(
        "| first frame, store with 10,000 repos (median of 5 fresh processes) | {:.1} ms (open {:.1}, first screenful {:.1}, build {:.1}, draw {:.1}) | <= 100 ms |",
        times[0], times[1], times[2], times[3], times[4]
    );
    println!(
        "| the whole 10,000-repo list read and drawn (background, same processes) | {:.1} ms after start | |",
        times[5]
    );
    println!(
        "| peak RSS of a process that opens the 10,000-repo store, draws and scrolls it all | {rss:.1} MB | <= 64 MB |"
    );

    for n in [100u64, 1_000, 10_000] {
        let mut a = app().with_repos(repos(n));
        a.update(Action::Resize {
            width: W,
            height: H,
        });
        let mut hl = Headless::new(W, H);
        hl.draw(&a);
        let mut times = Vec::new();
        for i in 0..500 {
            a.update(if i % 100 < 50 {
                Action::Down
            } else {
                Action::PageDown
            });
            let t = Instant::now();
            hl.draw(&a);
            times.push(t.elapsed());
        }
        let (mean, _, p99) = stats(times);
        println!("| render per frame, {n} rows (mean / p99) | {mean:.3} / {p99:.3} ms | <= 1 ms |");
    }

    // Keypress to frame while a 1,000-repo sync streams events: each iteration applies the sync
    // events that arrived since the last frame (a burst of 0-30), then the key, then draws.
    let mut a = app().with_repos(repos(1_000));
    a.update(Action::Resize {
        width: W,
        height: H,
    });
    let mut hl = Headless::new(W, H);
    let pool = repos(1_000);
    let mut times = Vec::new();
    let mut next = 0usize;
    for i in 0..2_000usize {
        let burst = (i * 7) % 31;
        let t = Instant::now();
        for _ in 0..burst {
            let id = LocalId((next % 1_000) as u64 + 1);
            let ev = match next % 3 {
                0 => SyncEvent::Queued { id },
                1 => SyncEvent::Started { id },
                _ => SyncEvent::Finished {
                    id,
                    outcome: Outcome::Unchanged,
                    cost: JobCost {
                        requests: 1,
                        not_modified: 1,
                        points: 0,
                        ..JobCost::default()
                    },
                    duration_ms: 100,
                    repo: Some(Box::new(pool[next % 1_000].clone())),
                },
            };
            a.update(Action::Engine(Box::new(ev)));
            next += 1;
        }
        a.update(if i % 2 == 0 { Action::Down } else { Action::Up });
        hl.draw(&a);
        times.push(t.elapsed());
    }
    let (mean, p50, p99) = stats(times);
    println!(
        "| keypress to frame during a 1,000-repo sync (mean / p50 / p99) | {mean:.3} / {p50:.3} / {p99:.3} ms | p99 <= 16 ms |"
    );
    attached_rows(&store_dir);
    println!(
        "\n(store setup for the first-frame test took {:.1} s and is not part of it)",
        setup.as_secs_f64()
    );
}

/// An attached view: the first full frame of 10,000 repos read from a host over its socket, and
/// one `SyncEvent` reaching 10 attached clients.
fn attached_rows(store_dir: &std::path::Path) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (store, _) = Store::open(store_dir).expect("open store");
    let store = std::sync::Arc::new(store);
    let (cmd_tx, _cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let (ev_tx, ev_rx) = tokio::sync::mpsc::unbounded_channel();
    let (host, _owner) = rt.block_on(async {
        let host = Host::start(store_dir, store.clone(), HostKind::Serve).expect("host");
        let owner = host.adopt(
            EngineHandle {
                commands: cmd_tx,
                events: ev_rx,
            },
            None,
        );
        (host, owner)
    });
    // As an attached TUI starts: connect, the first screenful by name, draw; then the whole
    // list in pages, draw again.
    let (mut first, mut full) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        let conn = rt.block_on(Attached::connect(store_dir)).expect("attach");
        let preview = match rt
            .block_on(conn.ask(Request::FirstByName(H as usize)))
            .expect("first screenful")
        {
            Reply::Repos { repos, .. } => repos,
            _ => panic!("the host answered something else"),
        };
        let mut a = app();
        a.update(Action::Resize {
            width: W,
            height: H,
        });
        a.update(Action::ReposPreview(preview));
        let mut hl = Headless::new(W, H);
        hl.draw(&a);
        first.push(t.elapsed());
        let all = rt.block_on(conn.list()).expect("list");
        a.update(Action::ReposLoaded(all));
        hl.draw(&a);
        full.push(t.elapsed());
    }
    let (mean, p50, _) = stats(first);
    println!(
        "| attached first frame, host's store with 10,000 repos (connect, first screenful over the socket, draw; mean / p50 of 5) | {mean:.1} / {p50:.1} ms | <= 100 ms |"
    );
    let (mean, p50, _) = stats(full);
    println!(
        "| attached: the whole 10,000-repo list read over the socket (20 pages) and drawn (mean / p50) | {mean:.1} / {p50:.1} ms after connecting | |"
    );
    let clients: Vec<Attached> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..10 {
            v.push(Attached::connect(store_dir).await.expect("attach"));
        }
        v
    });
    let mut streams: Vec<_> = clients
        .iter()
        .map(|c| rt.block_on(async { c.engine().expect("events") }))
        .collect();
    while host.subscribers() < 10 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut times = Vec::new();
    for i in 0..1_000u64 {
        let t = Instant::now();
        ev_tx
            .send(SyncEvent::Started { id: LocalId(i) })
            .expect("send");
        rt.block_on(async {
            for s in &mut streams {
                s.events.recv().await.expect("event");
            }
        });
        times.push(t.elapsed());
    }
    let (mean, p50, p99) = stats(times);
    println!(
        "| one SyncEvent to 10 attached clients (mean / p50 / p99) | {mean:.3} / {p50:.3} / {p99:.3} ms | p99 <= 5 ms |"
    );
    drop(streams);
    drop(clients);
    attached_keypress(&rt, store_dir, &ev_tx);
}

/// Keypress to frame in an attached view while the host's engine streams a 1,000-repo sync over
/// the socket: each keypress first applies the events that arrived (as the runtime drains them
/// before a draw), then the key, then draws. Keys come about once a millisecond.
fn attached_keypress(
    rt: &tokio::runtime::Runtime,
    store_dir: &std::path::Path,
    ev_tx: &tokio::sync::mpsc::UnboundedSender<SyncEvent>,
) {
    let conn = rt.block_on(Attached::connect(store_dir)).expect("attach");
    let mut events = rt.block_on(async { conn.engine().expect("events") }).events;
    let pool = repos(1_000);
    let mut a = app().with_repos(pool.clone());
    a.update(Action::Resize {
        width: W,
        height: H,
    });
    let mut hl = Headless::new(W, H);
    hl.draw(&a);
    // Give the host a moment to register the subscription before the sync starts.
    std::thread::sleep(Duration::from_millis(200));
    let tx = ev_tx.clone();
    let producer = rt.spawn(async move {
        let ids = || (0..1_000u64).map(|i| LocalId(i + 1));
        for id in ids() {
            let _ = tx.send(SyncEvent::Queued { id });
        }
        for (n, id) in ids().enumerate() {
            let _ = tx.send(SyncEvent::Started { id });
            let _ = tx.send(SyncEvent::Finished {
                id,
                outcome: Outcome::Unchanged,
                cost: JobCost {
                    requests: 1,
                    not_modified: 1,
                    points: 0,
                    ..JobCost::default()
                },
                duration_ms: 100,
                repo: Some(Box::new(pool[n].clone())),
            });
            if n % 4 == 3 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let (mut times, mut seen) = (Vec::new(), 0usize);
    let mut i = 0usize;
    while seen < 3_000 || times.len() < 500 {
        let t = Instant::now();
        let mut burst = 0;
        while burst < 512 {
            let Ok(ev) = events.try_recv() else { break };
            a.update(Action::Engine(Box::new(ev)));
            burst += 1;
        }
        seen += burst;
        a.update(if i.is_multiple_of(2) {
            Action::Down
        } else {
            Action::Up
        });
        hl.draw(&a);
        times.push(t.elapsed());
        i += 1;
        std::thread::sleep(Duration::from_millis(1));
        assert!(i < 200_000, "the sync's events never all arrived ({seen})");
    }
    rt.block_on(producer).expect("producer");
    let (mean, p50, p99) = stats(times);
    println!(
        "| attached keypress to frame during a 1,000-repo sync run by the host (mean / p50 / p99) | {mean:.3} / {p50:.3} / {p99:.3} ms | p99 <= 16 ms |"
    );
}
