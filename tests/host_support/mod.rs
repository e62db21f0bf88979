//! Shared by the attach tests: an in-process fakehub, a throwaway data dir with a fixed age
//! identity and a config, the real `repodeck` binary pointed at both, and `serve` started as the
//! data dir's host.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]
#![allow(
    dead_code,
    reason = "each test crate uses a different subset of these helpers"
)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use repodeck::fakehub::{self, FakehubConfig, Handle};
use serde_json::Value;

/// A fixed age identity (as `age-keygen` writes one), so no passphrase KDF slows the tests.
pub const IDENTITY: &str = "# created: 2024-01-01T00:00:00Z\n# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub hub: Handle,
    pub rt: tokio::runtime::Runtime,
    token: &'static str,
    /// `REPODECK_TIME_SCALE` for every command (`None`: real time).
    time_scale: Option<&'static str>,
}

impl Env {
    /// fakehub with `repos` repositories that accepts `token`, which every command gets as
    /// `GITHUB_TOKEN`; sync's `min_interval` and `interval` are off.
    pub fn new(repos: usize, token: &'static str, time_scale: Option<&'static str>) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = rt
            .block_on(fakehub::spawn(FakehubConfig {
                repos,
                tokens: vec![token.into()],
                ..FakehubConfig::default()
            }))
            .unwrap();
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            hub,
            rt,
            token,
            time_scale,
        };
        std::fs::write(env.dir.path().join("key.txt"), IDENTITY).unwrap();
        std::fs::write(
            env.dir.path().join("cfg.toml"),
            "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n",
        )
        .unwrap();
        env
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
        c.arg("--data-dir")
            .arg(self.data())
            .arg("--api-url")
            .arg(self.hub.url())
            .env("REPODECK_CONFIG", self.dir.path().join("cfg.toml"))
            .env("REPODECK_IDENTITY", self.dir.path().join("key.txt"))
            .env("GITHUB_TOKEN", self.token)
            .env_remove("GH_TOKEN")
            .env_remove("REPODECK_PASSPHRASE")
            .env_remove("RUST_LOG");
        if let Some(scale) = self.time_scale {
            c.env("REPODECK_TIME_SCALE", scale);
        }
        c
    }

    /// Runs a command to its end (with `stdin`), whatever its exit code.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
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

    /// [`Env::run`] that must exit 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args, "");
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        out
    }

    /// [`Env::ok`]'s stdout as JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_slice(&self.ok(args).stdout).unwrap()
    }

    /// `repodeck serve` on a free loopback port, returned once its host socket exists.
    pub fn serve(&self) -> Child {
        let mut child = self
            .cmd()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.contains("http://"), "serve did not start: {line:?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.data().join("repodeck.sock").exists() {
            assert!(Instant::now() < deadline, "no host socket");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }
}

/// stdout then stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
