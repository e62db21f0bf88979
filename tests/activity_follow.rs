//! `repodeck activity --follow --json` (the real binary, against an in-process fakehub) prints a
//! change made after it started: on its own (it hosts the data directory, so `sync --all`
//! attaches to it and its engine detects the change) and attached to a running `serve`. Ctrl-C
//! (SIGINT) ends it with exit 0, and a `[[notify]]` command gets the change as JSON on stdin.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use serde_json::Value;

const TOKEN: &str = "ghp_followtest000000000000000000000000000";
const SECRET: &str = "follow-test-secret-0123456789abcdefghijklmn";
/// A fixed age identity (as `age-keygen` writes one), so no passphrase KDF slows the tests.
const IDENTITY: &str = "# created: 2024-01-01T00:00:00Z\n# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n";

struct Env {
    dir: tempfile::TempDir,
    hub: Handle,
    _rt: tokio::runtime::Runtime,
}

impl Env {
    fn new() -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = rt
            .block_on(fakehub::spawn(FakehubConfig {
                repos: 5,
                tokens: vec![TOKEN.into()],
                ..FakehubConfig::default()
            }))
            .unwrap();
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            hub,
            _rt: rt,
        };
        std::fs::write(env.dir.path().join("key.txt"), IDENTITY).unwrap();
        let cfg = format!(
            "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n\n[[notify]]\nkinds = [\"release\"]\nrepos = [\"octo-org/*\"]\ncommand = [\"sh\", \"-c\", \"cat >> \\\"$1\\\"\", \"sh\", \"{}\"]\n",
            env.notified().display()
        );
        std::fs::write(env.dir.path().join("cfg.toml"), cfg).unwrap();
        env
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn notified(&self) -> PathBuf {
        self.dir.path().join("notified.jsonl")
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
        c.arg("--data-dir")
            .arg(self.data())
            .arg("--api-url")
            .arg(self.hub.url())
            .env("REPODECK_CONFIG", self.dir.path().join("cfg.toml"))
            .env("REPODECK_IDENTITY", self.dir.path().join("key.txt"))
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env_remove("TMUX")
            .env_remove("REPODECK_PASSPHRASE")
            .env_remove("RUST_LOG");
        c
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .cmd()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args, "");
        assert!(
            out.status.success(),
            "{args:?}: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts `activity --follow --json`; returns it, its stdout lines and its first stderr line.
    fn follow(&self) -> (Child, mpsc::Receiver<String>, String) {
        let mut child = self
            .cmd()
            .args(["activity", "--follow", "--json"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The line that says it follows (a warning may come before it).
        let mut first = String::new();
        let mut seen = String::new();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        while !first.starts_with("following activity") {
            first.clear();
            if err.read_line(&mut first).unwrap() == 0 {
                panic!("--follow ended before it started: {seen}");
            }
            seen.push_str(&first);
        }
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, rx, first)
    }
}

fn wait_for_socket(env: &Env) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !env.data().join("repodeck.sock").exists() {
        assert!(Instant::now() < deadline, "no host socket");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the JSON line of a change of `kind` in `repo`.
fn expect_change(lines: &mpsc::Receiver<String>, repo: &str, kind: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no {kind} change of {repo} was printed"));
        let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if v["repo"] == repo && v["kind"] == kind {
            return v;
        }
    }
}

/// SIGINT, as Ctrl-C sends it: the follower ends with exit 0.
fn interrupt(mut child: Child) {
    let rc = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(rc.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "Ctrl-C ends --follow with exit 0");
            return;
        }
        assert!(Instant::now() < deadline, "--follow did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The notify command's JSON lines for `repo`'s release, once it has run.
fn wait_notified(env: &Env, repo: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(env.notified()).unwrap_or_default();
        if let Some(v) = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["repo"] == repo)
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "the notify command never ran: {text:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn follow_alone_prints_a_change_made_after_it_started() {
    let env = Env::new();
    env.ok(&["import", "--org", "octo-org"]);
    env.ok(&["sync", "--all", "--json"]);
    let (child, lines, first) = env.follow();
    assert!(first.starts_with("following activity ("), "{first}");
    wait_for_socket(&env);
    env.hub
        .mutate(Mutation::new("octo-org/repo-0002", MutationKind::Release))
        .unwrap();
    // `sync` attaches to the follower (it hosts the store) and its engine does the work.
    let out = env.ok(&["sync", "--all"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("attached to activity --follow"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = expect_change(&lines, "octo-org/repo-0002", "new_release");
    assert!(
        v["text"].as_str().unwrap().starts_with("new release "),
        "{v}"
    );
    let n = wait_notified(&env, "octo-org/repo-0002");
    assert_eq!(n["kind"], "new_release");
    assert_eq!(n["title"], "repodeck: octo-org/repo-0002");
    assert_eq!(n["body"], v["text"]);
    interrupt(child);
}

#[test]
fn follow_attached_to_serve_prints_a_change_made_after_it_started() {
    let env = Env::new();
    env.ok(&["import", "--org", "octo-org"]);
    env.run(&["hook", "secret", "set"], SECRET);
    env.ok(&["sync", "--all", "--json"]);
    let mut serve = env
        .cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("http://"), "serve did not start: {line:?}");
    wait_for_socket(&env);
    let (child, lines, first) = env.follow();
    assert!(
        first.contains(&format!("attached to serve, pid {}", serve.id())),
        "{first}"
    );
    env.hub
        .mutate(Mutation::new("octo-org/repo-0003", MutationKind::Release))
        .unwrap();
    env.ok(&["sync", "--all"]);
    let v = expect_change(&lines, "octo-org/repo-0003", "new_release");
    assert!(
        v["text"].as_str().unwrap().starts_with("new release "),
        "{v}"
    );
    // The host (serve) runs the notify command, once.
    wait_notified(&env, "octo-org/repo-0003");
    interrupt(child);
    serve.kill().unwrap();
    serve.wait().unwrap();
}
