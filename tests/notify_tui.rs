//! The TUI delivers `[[notify]]` notifications itself: the real binary in a pseudo-terminal,
//! against an in-process fakehub; a release made after it started, then `R`, and the terminal
//! receives the OSC 777 sequence (between frames, through the backend's writer) and, from a
//! second rule, the bell.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use repodeck::fakehub::{FakehubConfig, Mutation, MutationKind};

const BIN: &str = env!("CARGO_BIN_EXE_repodeck");
const TOKEN: &str = "ghp_notifytui0000000000000000000000000000";

fn env(cmd: &mut CommandBuilder, home: &Path, api: &str) {
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("REPODECK_CONFIG", home.join("cfg.toml"));
    cmd.env("GITHUB_API_URL", api);
    cmd.env("GITHUB_TOKEN", TOKEN);
    cmd.env_remove("GH_TOKEN");
    cmd.env_remove("TMUX");
    cmd.env_remove("BROWSER");
    cmd.env_remove("DISPLAY");
    cmd.env_remove("WAYLAND_DISPLAY");
}

fn cli(data: &Path, home: &Path, api: &str, args: &[&str]) {
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("REPODECK_CONFIG", home.join("cfg.toml"))
        .env("GITHUB_API_URL", api)
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .expect("run repodeck");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn wait_bytes(raw: &Mutex<Vec<u8>>, needle: &[u8], what: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(at) = find(&raw.lock().unwrap(), needle) {
            return at;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {}",
            String::from_utf8_lossy(&raw.lock().unwrap()).escape_debug()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
}

#[test]
fn the_tui_sends_osc_777_and_the_bell_for_a_release_made_after_it_started() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(repodeck::fakehub::spawn(FakehubConfig {
            repos: 4,
            ..Default::default()
        }))
        .expect("fakehub starts on loopback");
    let api = hub.url().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("cfg.toml"),
        "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n\n\
         [[notify]]\nkinds = [\"release\"]\nrepos = [\"octo-org/*\"]\nvia = \"osc777\"\n\n\
         [[notify]]\nkinds = [\"release\"]\nvia = \"bell\"\n",
    )
    .unwrap();
    cli(&data, &home, &api, &["add", "octo-org/repo-0001"]);
    cli(&data, &home, &api, &["sync", "--all"]);

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(&data);
    env(&mut cmd, &home, &api);
    let mut child = pair.slave.spawn_command(cmd).expect("spawn");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut writer = pair.master.take_writer().expect("pty writer");
    let raw = Arc::new(Mutex::new(Vec::new()));
    let r = raw.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            r.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    wait_bytes(&raw, b"1 repo", "the list");
    let started = raw.lock().unwrap().len();

    hub.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Release))
        .unwrap();
    writer.write_all(b"R").unwrap();
    writer.flush().unwrap();
    let osc = wait_bytes(
        &raw,
        b"\x1b]777;notify;repodeck: octo-org/repo-0001;new release ",
        "the OSC 777 notification",
    );
    assert!(osc > started, "sent after the release, not before");
    let all = raw.lock().unwrap().clone();
    let tail = &all[osc..];
    let end = tail.iter().position(|b| *b == 0x07).expect("ended by BEL");
    assert!(
        !tail[2..end].contains(&0x1b),
        "nothing else inside the sequence: {}",
        String::from_utf8_lossy(&tail[..end]).escape_debug()
    );
    // The bell rule: a lone BEL right after the OSC sequence's own.
    assert_eq!(tail.get(end + 1), Some(&0x07), "the bell follows");

    writer.write_all(b"q").unwrap();
    writer.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the TUI did not quit");
        std::thread::sleep(Duration::from_millis(30));
    }
}
