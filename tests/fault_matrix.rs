//! The fault matrix: one table of outages and misconfigurations, each run as the real binary
//! against an in-process fakehub. Every row states the fakehub setup, the expected exit code,
//! what stderr must (and must not) say, what the store must hold afterwards (no false activity,
//! no repo wrongly marked inaccessible) and how long the run may take. Waits and timeouts are
//! scaled with the debug-build knob `REPODECK_TIME_SCALE` so GitHub's minutes take seconds.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use repodeck::fakehub::{self, FakehubConfig, FaultRule, Handle};
use serde_json::{Value, json};

const TOKEN: &str = "ghp_faultmatrix0000000000000000000000000";
/// Default time scale: GitHub's 15 s read timeout is 1.5 s, a 60 s secondary pause 6 s.
const SCALE: &str = "0.1";

/// Which URL the row's sync is pointed at.
#[derive(Clone, Copy)]
enum Url {
    Hub,
    /// The hub's address with a path that is not GitHub's API.
    Prefix(&'static str),
    /// A loopback port nothing listens on.
    Closed,
}

/// One row of the matrix.
#[derive(Clone)]
struct Row {
    name: &'static str,
    repos: usize,
    /// fakehub before the baseline sync.
    hub: fn(&mut FakehubConfig),
    /// Faults set after the baseline sync, for the row's own sync.
    faults: Value,
    url: Url,
    args: &'static [&'static str],
    anonymous: bool,
    scale: &'static str,
    /// Send ctrl+c once stderr contains this.
    interrupt_on: Option<&'static str>,
    exit: i32,
    /// Each must appear in stderr (case-sensitive).
    said: &'static [&'static str],
    /// Each may appear in stderr at most once (the message is said once, not per repo).
    once: &'static [&'static str],
    /// Must not appear in stderr.
    not_said: &'static [&'static str],
    /// The summary line (stdout) contains this, when the run gets that far.
    summary: Option<&'static str>,
    /// Activity entries the row's sync may write.
    activity: usize,
    max_secs: u64,
    check: fn(&Handle, &Outcome),
}

struct Outcome {
    stderr: String,
    list: Value,
    activity: Value,
}

fn none(_: &mut FakehubConfig) {}
fn no_check(_: &Handle, _: &Outcome) {}

fn statuses(o: &Outcome) -> Vec<String> {
    o.list
        .as_array()
        .expect("list --json is an array")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// No repo was marked inaccessible and every repo kept its synced state.
fn all_still_synced(_: &Handle, o: &Outcome) {
    let s = statuses(o);
    assert!(
        s.iter().all(|x| x == "synced"),
        "every repo keeps its synced state: {s:?}"
    );
}

/// The sync failed (recorded on each repo as a failed sync) but no repo is called inaccessible.
fn none_inaccessible(_: &Handle, o: &Outcome) {
    let s = statuses(o);
    assert!(
        s.iter().all(|x| x == "synced" || x == "failed"),
        "no repo marked inaccessible by an outage: {s:?}"
    );
}

fn one_secondary_episode(h: &Handle, o: &Outcome) {
    let st = h.stats();
    // The first burst meets 4 requests in flight (3 refused, one episode); halved to 2, one more
    // is refused (a second episode); at 1 none is: at most 4 refusals and two waits.
    let episodes = o.stderr.matches("waiting: secondary rate limit").count();
    assert!(episodes <= 2, "{episodes} secondary waits\n{}", o.stderr);
    assert!(
        st.secondary_limit_hits <= 4,
        "the halved concurrency holds: {} secondary 403s\n{}",
        st.secondary_limit_hits,
        o.stderr
    );
    all_still_synced(h, o);
}

fn rows() -> Vec<Row> {
    let base = Row {
        name: "",
        repos: 12,
        hub: none,
        faults: json!([]),
        url: Url::Hub,
        args: &["sync", "--all"],
        anonymous: false,
        scale: SCALE,
        interrupt_on: None,
        exit: 0,
        said: &[],
        once: &[],
        not_said: &["panicked", "please report"],
        summary: None,
        activity: 0,
        max_secs: 20,
        check: no_check,
    };
    vec![
        Row {
            name: "wrong URL (GraphQL): exit 2 names the URL, nothing marked inaccessible",
            url: Url::Prefix("/api/v9"),
            exit: 2,
            said: &[
                "/api/v9",
                "does not answer like GitHub's API",
                "HTTP 404",
                "nothing was changed",
            ],
            once: &["does not answer like GitHub's API"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "wrong URL (REST, proxy prefix)",
            url: Url::Prefix("/proxy"),
            args: &["sync", "--all", "--rest"],
            exit: 2,
            said: &["/proxy", "does not answer like GitHub's API"],
            once: &["does not answer like GitHub's API"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "wrong GraphQL endpoint only: the pass stops, exit 2, said once",
            faults: json!([{"route": "/graphql", "kind": "status", "status": 404}]),
            exit: 2,
            said: &["does not answer like GitHub's API", "/graphql"],
            once: &["does not answer like GitHub's API"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "unreachable: exit 2 within the bound, one message naming the URL",
            url: Url::Closed,
            exit: 2,
            said: &["is unavailable (connection refused)", "nothing was changed"],
            once: &["connection refused"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "5xx burst: retried, everything synced",
            faults: json!([{"kind": "status", "status": 502, "next": 2}]),
            summary: Some("0 failed"),
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "500 on every request: exit 2 at the endpoint check, one message",
            faults: json!([{"kind": "status", "status": 500}]),
            exit: 2,
            said: &["is unavailable (HTTP 500)"],
            once: &["is unavailable"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "500 on every GraphQL query: exit 2, one message naming the GraphQL URL",
            faults: json!([{"route": "/graphql", "kind": "status", "status": 500}]),
            exit: 2,
            said: &["/graphql is unavailable (HTTP 500)", "nothing was changed"],
            once: &["is unavailable", "GitHub answered 500"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "500 on every REST repo request: the pass stops, one message",
            faults: json!([{"route": "/repos/**", "kind": "status", "status": 500}]),
            args: &["sync", "--all", "--rest"],
            exit: 2,
            said: &["is unavailable (HTTP 500)"],
            once: &["is unavailable"],
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "every GraphQL query hangs: timeouts, then the breaker gives up",
            faults: json!([{"route": "/graphql", "kind": "hang"}]),
            exit: 2,
            said: &["is unavailable (requests timed out)"],
            once: &["is unavailable"],
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "every GraphQL connection is reset: exit 2, one message naming the GraphQL URL",
            faults: json!([{"route": "/graphql", "kind": "reset"}]),
            exit: 2,
            said: &["/graphql is unavailable (", "nothing was changed"],
            once: &["is unavailable", "could not reach GitHub"],
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "every GraphQL body trickles",
            faults: json!([{"route": "/graphql", "kind": "slow_body", "bytes_per_sec": 20}]),
            exit: 2,
            said: &["is unavailable"],
            once: &["is unavailable"],
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "every REST body is truncated",
            faults: json!([{"route": "/repos/**", "kind": "truncate"}]),
            args: &["sync", "--all", "--rest"],
            exit: 2,
            said: &["is unavailable"],
            once: &["is unavailable"],
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "one repo fails with 500s: exit 1, the others synced, one line",
            faults: json!([{"route": "/repos/octo-org/repo-0003/**", "kind": "status", "status": 500}]),
            args: &["sync", "--all", "--rest"],
            exit: 1,
            said: &["octo-org/repo-0003"],
            once: &["octo-org/repo-0003"],
            summary: Some("1 failed"),
            ..base.clone()
        },
        Row {
            name: "secondary 403 with retry-after: the wait is said, then synced",
            faults: json!([{"route": "/graphql", "kind": "secondary_limit", "retry_after": 30, "next": 1}]),
            said: &["waiting: secondary rate limit"],
            summary: Some("0 failed"),
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "secondary 403 without retry-after: waits the minimum, then synced",
            hub: |c| c.secondary_retry_after = None,
            faults: json!([{"route": "/repos/**", "kind": "secondary_limit", "next": 1}]),
            args: &["sync", "--all", "--rest"],
            said: &["waiting: secondary rate limit"],
            summary: Some("0 failed"),
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "429: the wait is said, then synced",
            faults: json!([{"route": "/graphql", "kind": "status", "status": 429, "next": 1}]),
            said: &["waiting: secondary rate limit"],
            summary: Some("0 failed"),
            check: all_still_synced,
            ..base.clone()
        },
        Row {
            name: "primary exhaustion: the wait names the bucket and its reset; ctrl+c prints the summary, exit 1",
            faults: json!([{"route": "/repos/**", "kind": "primary_limit", "next": 1}]),
            args: &["sync", "--all", "--rest"],
            interrupt_on: Some("waiting: core rate limit used up"),
            exit: 1,
            said: &["next try at", "interrupted"],
            summary: Some("repositories in"),
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "GraphQL bucket exhausted: the wait is said; ctrl+c prints the summary, exit 1",
            hub: |c| c.graphql_limit = 1,
            faults: json!([]),
            interrupt_on: Some("waiting: graphql rate limit used up"),
            args: &["sync", "--all", "--force"],
            exit: 1,
            said: &["interrupted"],
            summary: Some("repositories in"),
            check: none_inaccessible,
            ..base.clone()
        },
        Row {
            name: "401 in the middle of a sync: what was stored is said, exit 1",
            faults: json!([{"route": "/repos/**", "kind": "bad_credentials", "after": 40}]),
            args: &["sync", "--all", "--rest", "--force"],
            exit: 1,
            said: &[
                "sync stopped: GitHub rejected the token",
                "synced and stored before that",
            ],
            once: &["GitHub rejected the token"],
            not_said: &["nothing was changed", "panicked"],
            ..base.clone()
        },
        Row {
            name: "secondary concurrency 1: the halved concurrency holds, retries included",
            repos: 10,
            hub: |c| {
                c.secondary_concurrency = 1;
                c.secondary_retry_after = Some(20);
            },
            args: &["sync", "--all", "--rest", "--force"],
            summary: Some("0 failed"),
            max_secs: 40,
            check: one_secondary_episode,
            ..base.clone()
        },
    ]
}

/// A repo answering 404 from a working GitHub is inaccessible; when it answers again, that is
/// recorded as "accessible again".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inaccessible_repo_that_comes_back_is_recorded() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 4,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    baseline(&hub, dir.path());
    set_faults(
        &hub,
        json!([{"route": "/repos/octo-org/repo-0002", "kind": "status", "status": 404}]),
    );
    let out = run(
        &hub,
        dir.path(),
        &["sync", "--all", "--rest"],
        Url::Hub,
        false,
        SCALE,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    set_faults(&hub, json!([]));
    let out = run(
        &hub,
        dir.path(),
        &["sync", "--all", "--rest", "--json"],
        Url::Hub,
        false,
        SCALE,
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"accessible"), "{v}");
    let acts = json_out(&run(
        &hub,
        dir.path(),
        &["activity", "--json"],
        Url::Hub,
        false,
        SCALE,
    ));
    let texts: Vec<&str> = acts
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["accessible again", "no longer accessible"],
        "{acts}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_matrix() {
    let only = std::env::var("FAULT_ROW").ok();
    let rows = rows();
    let total = rows.len();
    let mut passed = 0;
    let mut report = Vec::new();
    for row in rows {
        // `FAULT_ROW=a|b` runs the rows whose names contain `a` or `b`.
        if only
            .as_deref()
            .is_some_and(|o| !o.split('|').any(|part| row.name.contains(part)))
        {
            continue;
        }
        eprintln!("row: {}", row.name);
        let started = Instant::now();
        run_row(&row).await;
        let secs = started.elapsed().as_secs_f64();
        passed += 1;
        report.push(format!("{secs:6.1} s  {}", row.name));
    }
    eprintln!("fault matrix: {passed}/{total} rows passed");
    for line in report {
        eprintln!("  {line}");
    }
}

async fn run_row(row: &Row) {
    let mut cfg = FakehubConfig {
        repos: row.repos,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    };
    (row.hub)(&mut cfg);
    let hub = fakehub::spawn(cfg).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    baseline(&hub, dir.path());
    let before = activity_len(&hub, dir.path());
    set_faults(&hub, row.faults.clone());
    hub.reset_stats();
    let started = Instant::now();
    let out = match row.interrupt_on {
        None => run(
            &hub,
            dir.path(),
            row.args,
            row.url,
            row.anonymous,
            row.scale,
        ),
        Some(marker) => run_interrupted(&hub, dir.path(), row, marker),
    };
    let took = started.elapsed();
    set_faults(&hub, json!([]));
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    let ctx = format!("row '{}'\nstdout:\n{stdout}\nstderr:\n{stderr}", row.name);
    assert_eq!(out.status.code(), Some(row.exit), "exit code, {ctx}");
    assert!(
        took <= Duration::from_secs(row.max_secs),
        "took {took:?} (at most {} s), {ctx}",
        row.max_secs
    );
    for s in row.said {
        assert!(stderr.contains(s), "stderr says {s:?}, {ctx}");
    }
    for s in row.once {
        assert!(
            stderr.matches(s).count() <= 1,
            "{s:?} is said once, not per repo, {ctx}"
        );
    }
    for s in row.not_said {
        assert!(!stderr.contains(s), "stderr does not say {s:?}, {ctx}");
    }
    if let Some(s) = row.summary {
        assert!(stdout.contains(s), "summary contains {s:?}, {ctx}");
    }
    let after = activity_len(&hub, dir.path());
    assert!(
        after - before <= row.activity,
        "{} activity entries written (at most {}), {ctx}",
        after - before,
        row.activity
    );
    let outcome = Outcome {
        stderr,
        list: json_out(&run(
            &hub,
            dir.path(),
            &["list", "--json"],
            Url::Hub,
            false,
            SCALE,
        )),
        activity: json_out(&run(
            &hub,
            dir.path(),
            &["activity", "--json"],
            Url::Hub,
            false,
            SCALE,
        )),
    };
    assert!(outcome.activity.is_array());
    (row.check)(&hub, &outcome);
    hub.shutdown().await;
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json_out(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

fn set_faults(hub: &Handle, v: Value) {
    let rules: Vec<FaultRule> = serde_json::from_value(v).expect("fault rules");
    hub.set_faults(rules);
}

fn activity_len(hub: &Handle, dir: &Path) -> usize {
    json_out(&run(
        hub,
        dir,
        &["activity", "--json"],
        Url::Hub,
        false,
        SCALE,
    ))
    .as_array()
    .map_or(0, Vec::len)
}

/// Tracks the org's repos and syncs them once, so the row starts from a synced store.
fn baseline(hub: &Handle, dir: &Path) {
    let out = run(
        hub,
        dir,
        &["import", "--org", "octo-org"],
        Url::Hub,
        false,
        SCALE,
    );
    assert!(out.status.success(), "import: {}", text(&out.stderr));
    let out = run(hub, dir, &["sync", "--all"], Url::Hub, false, SCALE);
    assert_eq!(
        out.status.code(),
        Some(0),
        "baseline sync: {}",
        text(&out.stderr)
    );
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn cmd(hub: &Handle, dir: &Path, url: Url, anonymous: bool, scale: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, "[sync]\nmin_interval = \"0s\"\n").unwrap();
    let url = match url {
        Url::Hub => hub.url().to_string(),
        Url::Prefix(p) => format!("{}{p}", hub.url()),
        Url::Closed => format!("http://127.0.0.1:{}", closed_port()),
    };
    c.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(url)
        .env("REPODECK_CONFIG", &cfg)
        .env("REPODECK_TIME_SCALE", scale)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    if anonymous {
        c.env_remove("GITHUB_TOKEN");
    } else {
        c.env("GITHUB_TOKEN", TOKEN);
    }
    c
}

fn run(hub: &Handle, dir: &Path, args: &[&str], url: Url, anonymous: bool, scale: &str) -> Output {
    tokio::task::block_in_place(|| {
        cmd(hub, dir, url, anonymous, scale)
            .args(args)
            .output()
            .expect("repodeck runs")
    })
}

/// Runs the row's sync and sends SIGINT once stderr shows `marker`.
fn run_interrupted(hub: &Handle, dir: &Path, row: &Row, marker: &str) -> Output {
    use std::io::Read;
    tokio::task::block_in_place(|| {
        let mut child = cmd(hub, dir, row.url, row.anonymous, row.scale)
            .args(row.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("repodeck runs");
        let mut stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(row.max_secs);
        let mut sent = false;
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(chunk) => seen.extend(chunk),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if !sent && text(&seen).contains(marker) {
                let _ = Command::new("kill")
                    .args(["-INT", &child.id().to_string()])
                    .status();
                sent = true;
            }
        }
        // Past the deadline (no marker, or a ctrl+c that did not stop it): kill, so a row
        // fails on its exit code instead of hanging the suite.
        if Instant::now() >= deadline {
            let _ = child.kill();
        }
        let mut out = child.wait_with_output().expect("repodeck ends");
        while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
            seen.extend(chunk);
        }
        out.stderr = seen;
        out
    })
}

/// A repository with its own vault token is synced by its own client: that client's waits are
/// said on stderr like the global client's, naming the repository.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_repo_token_clients_wait_is_said() {
    const OWN: &str = "ghp_perrepotoken000000000000000000000000";
    let hub = fakehub::spawn(FakehubConfig {
        repos: 4,
        tokens: vec![TOKEN.into(), OWN.into()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    baseline(&hub, dir.path());
    let set = tokio::task::block_in_place(|| {
        use std::io::Write;
        let mut child = cmd(&hub, dir.path(), Url::Hub, false, SCALE)
            .args(["token", "set", "--repo", "octo-org/repo-0001"])
            .env("REPODECK_PASSPHRASE", "crash-test-pass")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{OWN}").unwrap();
        child.wait_with_output().unwrap()
    });
    assert!(set.status.success(), "{}", text(&set.stderr));
    // Only the per-repo client asks for repo-0001: only it meets the secondary limit.
    set_faults(
        &hub,
        json!([{"route": "/repos/octo-org/repo-0001", "kind": "secondary_limit", "retry_after": 30, "next": 1}]),
    );
    let out = tokio::task::block_in_place(|| {
        cmd(&hub, dir.path(), Url::Hub, false, SCALE)
            .args(["sync", "--all", "--rest", "--force"])
            .env("REPODECK_PASSPHRASE", "crash-test-pass")
            .output()
            .unwrap()
    });
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(hub.stats().secondary_limit_hits, 1, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("waiting: secondary rate limit"))
        .unwrap_or_else(|| panic!("the per-repo client's wait is said: {err}"));
    assert!(
        line.contains("(the token for octo-org/repo-0001)") && line.contains("next try at"),
        "{line}"
    );
    hub.shutdown().await;
}

/// `sync --json` says whether the run was stopped early: false for a whole run, true after a
/// rejected token stopped it and after ctrl+c.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_summary_says_whether_the_run_stopped() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 12,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    baseline(&hub, dir.path());
    let whole = run(
        &hub,
        dir.path(),
        &["sync", "--all", "--json"],
        Url::Hub,
        false,
        SCALE,
    );
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
    assert_eq!(json_out(&whole)["stopped"], false);

    set_faults(
        &hub,
        json!([{"route": "/repos/**", "kind": "bad_credentials", "after": 40}]),
    );
    let rejected = run(
        &hub,
        dir.path(),
        &["sync", "--all", "--rest", "--force", "--json"],
        Url::Hub,
        false,
        SCALE,
    );
    assert_eq!(
        rejected.status.code(),
        Some(1),
        "{}",
        text(&rejected.stderr)
    );
    assert_eq!(json_out(&rejected)["stopped"], true);

    set_faults(
        &hub,
        json!([{"route": "/repos/**", "kind": "primary_limit", "next": 1}]),
    );
    let row = Row {
        args: &["sync", "--all", "--rest", "--json"],
        ..rows().remove(0)
    };
    let row = Row {
        url: Url::Hub,
        max_secs: 20,
        ..row
    };
    let interrupted = run_interrupted(&hub, dir.path(), &row, "waiting: core rate limit used up");
    assert_eq!(
        interrupted.status.code(),
        Some(1),
        "{}",
        text(&interrupted.stderr)
    );
    let v = json_out(&interrupted);
    assert_eq!(v["stopped"], true, "{v}");
    hub.shutdown().await;
}
