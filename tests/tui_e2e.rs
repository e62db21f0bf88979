//! End to end: the real `repodeck` binary in a pseudo-terminal (portable-pty) against an
//! in-process fakehub on 127.0.0.1, its screen read back through a vt100 parser. Start, see the
//! tracked repos, move, open the detail, switch tabs, filter, add a repo from the dialog, sync it,
//! see the rate bar change, quit cleanly with the terminal restored; ctrl+z under a job-control
//! shell and `fg`; a panic restoring the terminal.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    unsafe_code,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup; the pty tests call libc directly"
)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const BIN: &str = env!("CARGO_BIN_EXE_repodeck");
const TOKEN: &str = "ghp_tuie2e00000000000000000000000000000000";
/// A well-formed token for the vault (the fakehub here accepts any token).
const VAULT_TOKEN: &str = "ghp_vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv";
const ROWS: u16 = 30;
const COLS: u16 = 100;

struct Term {
    parser: Arc<Mutex<vt100::Parser>>,
    /// Every byte the program wrote, for what the screen does not show (mode switches).
    raw: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Term {
    fn start(data: &Path, home: &Path, api: &str) -> Term {
        let mut cmd = CommandBuilder::new(BIN);
        cmd.arg("--data-dir");
        cmd.arg(data);
        env(&mut cmd, home, api);
        Term::spawn(cmd)
    }

    fn spawn(cmd: CommandBuilder) -> Term {
        Term::spawn_sized(cmd, ROWS, COLS)
    }

    fn spawn_sized(cmd: CommandBuilder, rows: u16, cols: u16) -> Term {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pair.slave.spawn_command(cmd).expect("spawn");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let p = parser.clone();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let r = raw.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Term {
            parser,
            raw,
            writer,
            child,
            master: pair.master,
        }
    }

    /// How often the program wrote `seq`.
    fn count(&self, seq: &str) -> usize {
        let raw = self.raw.lock().unwrap();
        raw.windows(seq.len())
            .filter(|w| *w == seq.as_bytes())
            .count()
    }

    /// Resizes the pty (the kernel sends SIGWINCH) and the emulator's screen.
    fn resize(&mut self, rows: u16, cols: u16) {
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
    }

    /// The terminal is back in cooked mode (line editing and echo on), as the shell needs it.
    fn cooked(&self) -> bool {
        let fd = self.master.as_raw_fd().expect("pty fd");
        // SAFETY: tcgetattr only fills the zeroed struct we own, for a descriptor we hold open.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::tcgetattr(fd, &mut t) } == 0;
        ok && t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
    }

    fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not exit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what:?}; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn wait_until(&self, what: &str, f: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !f(self.parser.lock().unwrap().screen()) {
            if Instant::now() > deadline {
                panic!(
                    "timed out waiting for {what}; the screen:\n{}",
                    self.screen()
                );
            }
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// The row on which `text` appears.
    fn row_of(&self, text: &str) -> Option<u16> {
        self.screen()
            .lines()
            .position(|l| l.contains(text))
            .map(|r| r as u16)
    }

    fn row_inverse(&self, row: u16) -> bool {
        let p = self.parser.lock().unwrap();
        (5..30).all(|c| p.screen().cell(row, c).is_some_and(|cell| cell.inverse()))
    }
}

/// The environment every run gets: a throwaway home and config, fakehub's URL, a token, no
/// browser.
fn env(cmd: &mut CommandBuilder, home: &Path, api: &str) {
    cmd.env("HOME", home);
    cmd.env("XDG_CONFIG_HOME", home.join("config"));
    cmd.env("TERM", "xterm-256color");
    cmd.env("REPODECK_CONFIG", home.join("cfg.toml"));
    cmd.env("GITHUB_API_URL", api);
    cmd.env("GITHUB_TOKEN", TOKEN);
    cmd.env_remove("GH_TOKEN");
    cmd.env_remove("BROWSER");
    cmd.env_remove("DISPLAY");
    cmd.env_remove("WAYLAND_DISPLAY");
    cmd.env_remove("REPODECK_DEBUG_PANIC");
    // A short panic report (no backtrace) fits the screen the test reads.
    cmd.env_remove("RUST_BACKTRACE");
    cmd.env_remove("RUST_LIB_BACKTRACE");
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

/// fakehub on its own runtime (its worker threads serve requests while the test thread waits).
fn hub() -> (tokio::runtime::Runtime, repodeck::fakehub::Handle) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(repodeck::fakehub::spawn(repodeck::fakehub::FakehubConfig {
            repos: 8,
            ..Default::default()
        }))
        .expect("fakehub starts on loopback");
    (rt, hub)
}

fn quit(t: &mut Term) {
    // Quit: exit 0 and the terminal is given back.
    t.send("q");
    let status = t.wait_exit();
    assert!(status.success(), "exit status {status:?}");
    t.wait_until("the main screen back", |s| {
        !s.alternate_screen() && !s.hide_cursor()
    });
    assert!(t.cooked(), "raw mode was left on after quitting");
}

/// A home with a config that turns periodic sync off, and a data dir tracking `repos`.
fn setup(api: &str, repos: &[&str]) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(
        home.join("cfg.toml"),
        "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n",
    )
    .unwrap();
    let mut args = vec!["add"];
    args.extend_from_slice(repos);
    cli(&data, &home, api, &args);
    (tmp, data, home)
}

#[test]
fn ctrl_z_gives_the_terminal_back_and_fg_resumes() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (_tmp, data, home) = setup(&api, &["octo-org/repo-0001"]);
    // A job-control shell in the pty, as a user has: ctrl+z must stop repodeck and hand the
    // terminal back in cooked mode; `fg` must bring the UI back.
    let mut cmd = CommandBuilder::new("/bin/sh");
    cmd.arg("-i");
    env(&mut cmd, &home, &api);
    cmd.env("PS1", "e2e-shell$ ");
    cmd.env("ENV", "/dev/null");
    let mut t = Term::spawn(cmd);
    t.wait_for("e2e-shell$");
    t.send(&format!("'{BIN}' --data-dir '{}'\r", data.display()));
    t.wait_until("the list in the alternate screen", |s| {
        s.alternate_screen() && s.contents().contains("octo-org/repo-0001")
    });
    t.send("\x1a");
    t.wait_until("the shell's screen after ctrl+z", |s| {
        !s.alternate_screen() && !s.hide_cursor() && s.contents().contains("Stopped")
    });
    assert!(t.cooked(), "ctrl+z left the terminal in raw mode");
    // Resized while stopped, resumed, resized again: the UI follows, and the shell's screen never
    // gets the list's rows.
    t.resize(ROWS - 6, COLS - 20);
    std::thread::sleep(Duration::from_millis(100));
    t.send("fg\r");
    t.wait_until("the UI redrawn after fg", |s| {
        s.alternate_screen() && s.contents().contains("octo-org/repo-0001")
    });
    t.resize(ROWS, COLS);
    t.wait_until("the UI redrawn at the new size", |s| {
        s.alternate_screen() && s.contents().contains("octo-org/repo-0001")
    });
    // Still responsive after resuming: keys work and q quits to the shell.
    t.send("?");
    t.wait_for("keys");
    t.send("\x1b");
    std::thread::sleep(Duration::from_millis(100));
    t.send("q");
    t.wait_until("back at the shell", |s| {
        !s.alternate_screen() && !s.hide_cursor()
    });
    t.send("echo exit-code-$?\r");
    t.wait_for("exit-code-0");
    let shell = t.screen();
    assert!(
        !shell.contains("octo-org/repo-0001") && !shell.contains("Repositories"),
        "the list's rows were left on the shell's screen:\n{shell}"
    );
    assert!(t.cooked(), "the terminal was not given back in cooked mode");
    // Each entry to the alternate screen (the start, the resume) is left exactly once: a second
    // leave makes some terminals (tmux) restore a cursor saved at another size.
    let (enter, leave) = (t.count("\x1b[?1049h"), t.count("\x1b[?1049l"));
    assert_eq!(
        (enter, leave),
        (2, 2),
        "alternate screen entered {enter}, left {leave} times"
    );
    t.send("exit\r");
    t.wait_exit();
}

#[test]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (_tmp, data, home) = setup(&api, &["octo-org/repo-0001"]);
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(&data);
    env(&mut cmd, &home, &api);
    // Debug builds panic right after the first frame when asked to (release builds ignore it).
    cmd.env("REPODECK_DEBUG_PANIC", "tui-frame");
    let mut t = Term::spawn(cmd);
    let status = t.wait_exit();
    assert!(!status.success(), "a panic must not exit 0");
    t.wait_until("the report on the main screen", |s| {
        !s.alternate_screen() && !s.hide_cursor() && s.contents().contains("forced panic")
    });
    assert!(t.cooked(), "the panic left the terminal in raw mode");
    let s = t.screen();
    assert!(
        !s.contains(TOKEN),
        "the token is on the screen after a panic:\n{s}"
    );
}

fn header(t: &Term) -> String {
    t.screen().lines().next().unwrap_or_default().to_string()
}

#[test]
fn browse_filter_add_and_quit_in_a_real_terminal() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    assert!(api.contains("127.0.0.1"), "{api}");
    // No periodic sync: every request in this test is one the test asked for.
    let (_tmp, data, home) = setup(
        &api,
        &[
            "octo-org/repo-0001",
            "octo-org/repo-0002",
            "octo-org/repo-0003",
        ],
    );

    let mut t = Term::start(&data, &home, &api);
    // The first screenful comes first, the header's count once the whole list is read.
    let s = t.wait_for("3 repos");
    assert!(
        s.contains("repodeck") && s.contains("octo-org/repo-0003"),
        "{s}"
    );
    assert!(
        s.contains("octo-org/repo-0001") && s.contains("octo-org/repo-0002"),
        "{s}"
    );
    assert!(s.contains("never"), "never-synced repos say so: {s}");
    assert!(
        s.contains("? help") && s.contains("q quit"),
        "key hints: {s}"
    );
    assert!(
        header(&t).contains("rate: not known yet"),
        "nothing requested yet: {s}"
    );
    t.wait_until("the altscreen", |s| s.alternate_screen());

    // Move: the selection (reverse video) goes from the first row to the second.
    let first = t.row_of("octo-org/repo-0001").unwrap();
    let second = t.row_of("octo-org/repo-0002").unwrap();
    assert!(t.row_inverse(first), "the first repo is selected at start");
    t.send("j");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !t.row_inverse(second) {
        assert!(
            Instant::now() < deadline,
            "the second row never got selected:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(!t.row_inverse(first));

    // Open the detail, switch tabs with digits and Tab, look at help, go back.
    t.send("\r");
    let s = t.wait_for("Overview");
    assert!(
        s.contains("octo-org/repo-0002") && s.contains("Not synced yet"),
        "{s}"
    );
    t.send("2");
    t.wait_for("Not synced yet: press s");
    t.send("\t");
    t.wait_for("esc back");
    t.send("?");
    t.wait_for("Repository — keys");
    t.send("\x1b");
    std::thread::sleep(Duration::from_millis(100));
    t.send("\x1b");
    t.wait_for("sort: name");

    // Filter.
    t.send("/0003");
    let s = t.wait_for("1 match ");
    assert!(
        s.contains("octo-org/repo-0003") && !s.contains("octo-org/repo-0001"),
        "{s}"
    );
    t.send("\r");
    std::thread::sleep(Duration::from_millis(100));
    t.send("\x1b");
    t.wait_for("octo-org/repo-0001");

    // Add through the dialog: the engine tracks it.
    t.send("a");
    t.wait_for("Add repository");
    t.send("https://github.com/octo-org/repo-0004");
    t.wait_for("ok: octo-org/repo-0004");
    t.send("\r");
    let s = t.wait_for("4 repos");
    assert!(s.contains("octo-org/repo-0004"), "{s}");

    quit(&mut t);

    // The add went to the store.
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["list"])
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("octo-org/repo-0004"));
}

#[test]
fn sync_fills_rows_and_the_rate_bar_changes() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (_tmp, data, home) = setup(
        &api,
        &[
            "octo-org/repo-0001",
            "octo-org/repo-0002",
            "octo-org/repo-0003",
            "octo-org/repo-0004",
        ],
    );
    let mut t = Term::start(&data, &home, &api);
    t.wait_for("4 repos");
    // The engine reads the free GET /rate_limit at start; remember the bar before syncing.
    let before = header(&t);

    // Sync everything: rows fill in and the rate bar shows what fakehub reported.
    t.send("R");
    t.wait_until("every repo synced", |s| {
        let text = s.contents();
        text.contains("4 repos")
            && !text.contains("never")
            && !text.contains("syncing")
            && !text.contains("queued")
    });
    t.wait_until("the rate bar", |s| {
        s.contents()
            .lines()
            .next()
            .is_some_and(|l| l.contains("core ") || l.contains("gql "))
    });
    t.wait_until("the rate bar moved", |s| {
        s.contents()
            .lines()
            .next()
            .is_some_and(|l| l.contains("gql ") && l != before)
    });
    let s = t.screen();
    assert!(s.contains("4 synced, 0 unchanged, 0 failed"), "{s}");
    assert!(!s.contains('✖'), "a row shows the failed glyph: {s}");

    // The synced detail has content now.
    t.send("g\r");
    let s = t.wait_for("Languages");
    assert!(
        s.contains("octo-org/repo-0001") && s.contains("Synced"),
        "{s}"
    );
    t.send("2");
    t.wait_until("commits listed", |s| s.contents().contains("MESSAGE"));
    t.send("\x1b");
    t.wait_for("sort: name");

    // A forced sync spends more of the budget: the bar changes again.
    let before = header(&t);
    t.send("S");
    let deadline = Instant::now() + Duration::from_secs(20);
    while header(&t) == before {
        assert!(
            Instant::now() < deadline,
            "the rate bar never changed from {before:?}:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(30));
    }

    quit(&mut t);
}

#[test]
fn too_small_terminal_says_so_and_quits() {
    let (_rt, hub) = hub();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(&data);
    env(&mut cmd, &home, hub.url());
    cmd.env_remove("REPODECK_CONFIG");
    let mut t = Term::spawn_sized(cmd, 5, 20);
    t.wait_for("too small");
    // Grow it: the real UI appears. The parser grows first, so no frame drawn for the new size is
    // read at the old one.
    t.parser.lock().unwrap().screen_mut().set_size(24, 80);
    t.master
        .resize(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    t.wait_for("No repositories tracked yet");
    t.send("\x03");
    let status = t.wait_exit();
    assert!(status.success(), "ctrl+c: {status:?}");
}

#[test]
fn the_passphrase_dialog_unlocks_the_vault_and_sync_uses_its_token() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (_tmp, data, home) = setup(&api, &["octo-org/repo-0001"]);
    // A vault token, stored with a passphrase; the TUI then runs without REPODECK_PASSPHRASE and
    // without GITHUB_TOKEN, so only the dialog can unlock it.
    let out = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["--api-url", &api, "token", "set"])
        .env("HOME", &home)
        .env("REPODECK_CONFIG", home.join("cfg.toml"))
        .env("REPODECK_PASSPHRASE", "correct-horse")
        .env_remove("GITHUB_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(format!("{VAULT_TOKEN}\n").as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(&data);
    env(&mut cmd, &home, &api);
    cmd.env_remove("GITHUB_TOKEN");
    cmd.env_remove("REPODECK_PASSPHRASE");
    let mut t = Term::spawn(cmd);
    t.wait_for("The token vault needs its passphrase");
    t.send("wrong-horse\r");
    let s = t.wait_for("Wrong passphrase, try again");
    assert!(!s.contains("wrong-horse"), "the passphrase is echoed:\n{s}");
    t.send("correct-horse\r");
    t.wait_for("vault unlocked");
    t.send("L");
    let s = t.wait_for("FINGERPRINT in");
    // The rate panel names the token as `token list` does.
    let shown =
        repodeck::secrets::TokenId::of(&secrecy::SecretString::from(VAULT_TOKEN.to_string()))
            .to_string();
    assert!(s.contains(&shown), "{shown} not in:\n{s}");
    assert!(!s.contains(VAULT_TOKEN), "{s}");
    t.send("\x1b");
    t.wait_for("sort: name");
    // The engine now syncs with the vault's token (fakehub would answer anonymous requests too,
    // but only a token gets GraphQL).
    let before = hub.stats().graphql_queries;
    t.send("R");
    t.wait_until("the repo synced", |s| {
        let text = s.contents();
        text.contains("1 synced") && !text.contains("never")
    });
    assert!(
        hub.stats().graphql_queries > before,
        "no GraphQL query: the vault token was not used"
    );
    quit(&mut t);
}

#[test]
fn a_second_tui_attaches_to_the_first_and_sees_its_sync() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (_tmp, data, home) = setup(
        &api,
        &[
            "octo-org/repo-0001",
            "octo-org/repo-0002",
            "octo-org/repo-0003",
        ],
    );
    // The first TUI owns the store and hosts it.
    let mut host = Term::start(&data, &home, &api);
    host.wait_for("3 repos");
    let pid = host.child.process_id().expect("the host's pid");
    // The second attaches instead of being locked out, and says whose store it shows.
    let mut view = Term::start(&data, &home, &api);
    view.wait_for(&format!("attached to the TUI, pid {pid}"));
    let s = view.wait_for("3 repos");
    assert!(s.contains("octo-org/repo-0002"), "{s}");

    // Work keys in the attached view run on the host's engine; both views see the result.
    view.send("R");
    for t in [&view, &host] {
        t.wait_until("every repo synced", |s| {
            let text = s.contents();
            text.contains("3 repos")
                && !text.contains("never")
                && !text.contains("syncing")
                && !text.contains("queued")
        });
    }

    // The host goes away (kill -9): the view says so at once and keeps its rows.
    host.child.kill().expect("kill the host");
    let s = view.wait_for("The host stopped");
    assert!(s.contains("octo-org/repo-0001"), "{s}");
    assert!(header(&view).contains("host gone"), "{}", header(&view));
    view.send("\x1b");
    view.wait_until("the notice closed", |s| {
        !s.contents().contains("The host stopped")
    });
    quit(&mut view);
}

/// A fixed age identity (as `age-keygen` writes one), so the vault needs no passphrase.
const IDENTITY: &str = "# created: 2024-01-01T00:00:00Z\n# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n";

/// `repodeck ARGS` with the identity, `stdin` fed; its output whatever the exit code.
fn cli_with(
    data: &Path,
    home: &Path,
    api: &str,
    args: &[&str],
    stdin: &str,
) -> std::process::Output {
    let mut child = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("REPODECK_CONFIG", home.join("cfg.toml"))
        .env("REPODECK_IDENTITY", home.join("key.txt"))
        .env("GITHUB_API_URL", api)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("REPODECK_PASSPHRASE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run repodeck");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `sync --all --json`: its summary, after asserting exit 0.
fn sync_all(data: &Path, home: &Path, api: &str) -> (serde_json::Value, String) {
    let out = cli_with(data, home, api, &["sync", "--all", "--json"], "");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "sync --all: {err}");
    (serde_json::from_slice(&out.stdout).unwrap(), err)
}

/// What fakehub is changed by before each sync: stars on one repo, commits on another.
fn change(hub: &repodeck::fakehub::Handle) {
    use repodeck::fakehub::data::{Mutation, MutationKind};
    hub.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Star).count(25))
        .unwrap();
    hub.mutate(Mutation::new("octo-org/repo-0002", MutationKind::Push).count(2))
        .unwrap();
}

/// The TUI with the identity, as the other processes of the scenario run.
fn tui_with_identity(data: &Path, home: &Path, api: &str) -> Term {
    let mut cmd = CommandBuilder::new(BIN);
    cmd.arg("--data-dir");
    cmd.arg(data);
    env(&mut cmd, home, api);
    cmd.env("REPODECK_IDENTITY", home.join("key.txt"));
    cmd.env_remove("REPODECK_PASSPHRASE");
    Term::spawn(cmd)
}

/// The repo list's row for `name`.
fn row(t: &Term, name: &str) -> String {
    row_in(&t.screen(), name)
}

/// The row for `name` in a screen's text (inside `wait_until`, which holds the screen's lock).
fn row_in(text: &str, name: &str) -> String {
    text.lines()
        .find(|l| l.contains(name))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn serve_two_attached_tuis_and_a_cli_sync_share_one_engine_and_t_takes_over() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let repos = [
        "octo-org/repo-0001",
        "octo-org/repo-0002",
        "octo-org/repo-0003",
        "octo-org/repo-0004",
    ];
    let (_tmp, data, home) = setup(&api, &repos);
    std::fs::write(home.join("key.txt"), IDENTITY).unwrap();
    let secret = cli_with(
        &data,
        &home,
        &api,
        &["hook", "secret", "set"],
        "e2e-webhook-secret-0123456789abcdefghijkl",
    );
    assert!(secret.status.success(), "{secret:?}");

    // What one scheduler asks of GitHub for these changes: a local sync after a full one.
    sync_all(&data, &home, &api);
    change(&hub);
    hub.reset_stats();
    let (local, _) = sync_all(&data, &home, &api);
    let local_stats = hub.stats();
    assert_eq!(local["synced"], 2, "{local}");

    // serve hosts the store; two TUIs attach to it.
    let mut serve = std::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("HOME", &home)
        .env("REPODECK_CONFIG", home.join("cfg.toml"))
        .env("REPODECK_IDENTITY", home.join("key.txt"))
        .env("GITHUB_API_URL", &api)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(serve.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(line.contains("http://"), "serve did not start: {line:?}");
    let attached = format!("attached to serve, pid {}", serve.id());
    let mut a = tui_with_identity(&data, &home, &api);
    let mut b = tui_with_identity(&data, &home, &api);
    for t in [&a, &b] {
        t.wait_for(&attached);
        t.wait_for("4 repos");
    }

    // A CLI sync while both views watch: the host's engine does it once, and both see it.
    let before = row(&a, "octo-org/repo-0001");
    change(&hub);
    hub.reset_stats();
    let (summary, err) = sync_all(&data, &home, &api);
    let stats = hub.stats();
    assert!(err.contains(&attached), "{err}");
    assert_eq!(summary["repos"], 4, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["synced"], local["synced"], "{summary} vs {local}");
    assert_eq!(summary["unchanged"], local["unchanged"], "{summary}");
    assert_eq!(
        stats.graphql_queries, local_stats.graphql_queries,
        "one scheduler: the attached sync probes like one local run"
    );
    assert_eq!(
        summary["requests"].as_u64().unwrap(),
        stats.requests,
        "every request fakehub saw was the host's"
    );
    // 25 more stars on repo-0001 (its row's count changes) and new commits on repo-0002.
    for t in [&a, &b] {
        t.wait_until("the stars and commits synced", |s| {
            let text = s.contents();
            let r = row_in(&text, "octo-org/repo-0001");
            r != before && r.contains("+25") && row_in(&text, " repodeck").contains("2 changed")
        });
    }
    for name in repos {
        assert_eq!(row(&a, name), row(&b, name), "both views show the same row");
    }

    // kill -9 of the host: both views say so at once and keep their rows.
    serve.kill().unwrap();
    serve.wait().unwrap();
    for t in [&a, &b] {
        let s = t.wait_for("The host stopped");
        assert!(s.contains("octo-org/repo-0001") && s.contains("+25"), "{s}");
        assert!(s.contains("t take over"), "{s}");
        assert!(header(t).contains("host gone"), "{}", header(t));
    }

    // Both press t at once: one opens the store and hosts it, the other attaches to it.
    a.send("t");
    b.send("t");
    let pids = [a.child.process_id().unwrap(), b.child.process_id().unwrap()];
    let settled = |t: &Term| {
        let h = header(t);
        (h.contains("4 repos") && !h.contains("host gone") && !h.contains("taking over"))
            .then_some(h)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let (ha, hb) = loop {
        if let (Some(ha), Some(hb)) = (settled(&a), settled(&b)) {
            break (ha, hb);
        }
        assert!(
            Instant::now() < deadline,
            "no takeover:\n{}\n{}",
            a.screen(),
            b.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let (winner, loser, loser_header, winner_pid) = if ha.contains("attached") {
        (&mut b, &mut a, ha, pids[1])
    } else {
        (&mut a, &mut b, hb, pids[0])
    };
    assert!(!header(winner).contains("attached"), "{}", winner.screen());
    winner.wait_for("took over the store");
    assert!(
        loser_header.contains(&format!("attached to the TUI, pid {winner_pid}")),
        "the other view attaches to the winner: {loser_header}\n{}",
        loser.screen()
    );

    // The new host's engine works for its attached view: a sync from the loser reaches both.
    hub.mutate(
        repodeck::fakehub::data::Mutation::new(
            "octo-org/repo-0004",
            repodeck::fakehub::data::MutationKind::Star,
        )
        .count(10),
    )
    .unwrap();
    loser.send("R");
    for t in [&*winner, &*loser] {
        // repo-0004 is archived: its name cell ends in the archived glyph and may be cut
        // (`octo-org/repo-000…`), so the row is found by its new Δ★, which no other row has.
        t.wait_until("the new stars synced", |s| {
            s.contents()
                .lines()
                .any(|l| l.contains("octo-org/repo-000") && l.contains("+10"))
        });
    }
    quit(loser);
    quit(winner);
}

/// `[[commands]]` with `mode = "terminal"`: the program gets the terminal (main screen, cooked
/// mode) and the keys typed while it runs (the UI's key reader takes none of them), the row's
/// value arrives as one argument, and Enter after it exits brings the UI back with the exit code.
#[test]
fn a_terminal_command_gets_the_terminal_and_its_keys_and_the_ui_comes_back() {
    let (_rt, hub) = hub();
    let api = hub.url().to_string();
    let (tmp, data, home) = setup(&api, &["octo-org/repo-0001"]);
    let out = tmp.path().join("out.txt");
    std::fs::write(
        home.join("cfg.toml"),
        format!(
            "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n\n[[commands]]\nkey = \"ctrl+g\"\nscreen = \"list\"\nrun = [\"/bin/sh\", \"-c\", 'printf \"ran %s\\n\" \"$1\"; read -r line; printf \"%s|%s\\n\" \"$1\" \"$line\" > \"$2\"', \"sh\", \"{{repo}}\", \"{}\"]\n",
            out.display()
        ),
    )
    .unwrap();
    let mut t = Term::start(&data, &home, &api);
    t.wait_for("octo-org/repo-0001");
    t.wait_until("the altscreen", |s| s.alternate_screen());
    t.send("\x07");
    t.wait_for("ran octo-org/repo-0001");
    t.wait_until("the main screen", |s| !s.alternate_screen());
    assert!(t.cooked(), "the program runs in cooked mode");
    t.send("typed by the user\r");
    t.wait_for("press Enter to return");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "octo-org/repo-0001|typed by the user\n"
    );
    t.send("\r");
    t.wait_until("the altscreen again", |s| s.alternate_screen());
    t.wait_for("exited 0");
    // Keys reach the UI again.
    t.send("?");
    t.wait_for("Your commands");
    t.send("?");
    t.wait_until("the help closed", |s| {
        !s.contents().contains("Your commands")
    });
    quit(&mut t);
}
