//! CLI tests of `repodeck token ...`: stdin-only input, exit codes and messages, passphrase and
//! identity-file modes, rotations, and no token on disk or in output. The live check points at a
//! closed local port, so it is "unreachable" and `token set` stores with a warning. The leak test
//! syncs against fakehub through 5xx answers, a 401 and a forced panic, at trace level, and then
//! searches every output and every file for the tokens.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use base64::Engine;

const TOKEN: &str = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OTHER: &str = "ghp_0123456789abcdefghijABCDEFGHIJ01a1f3";
const PASS: &str = "correct-horse";
/// Nothing listens on port 1: every live check fails fast, and nothing leaves this machine.
const API: &str = "http://127.0.0.1:1";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    /// `repodeck --data-dir D --api-url API <args>` with a clean environment.
    fn cmd(&self, pass: Option<&str>, args: &[&str]) -> Command {
        self.cmd_at(API, pass, args)
    }

    /// Like [`Env::cmd`], against `api`.
    fn cmd_at(&self, api: &str, pass: Option<&str>, args: &[&str]) -> Command {
        // REPODECK_TEST_BIN: a private copy of the binary, for when several worktrees share one
        // target dir and `target/debug/repodeck` can be replaced mid-run.
        let mut c = match std::env::var_os("REPODECK_TEST_BIN") {
            Some(bin) => Command::new(bin),
            None => Command::cargo_bin("repodeck").unwrap(),
        };
        c.env_clear()
            .env("HOME", self.dir.path().join("home"))
            .env("XDG_CONFIG_HOME", self.dir.path().join("home/.config"))
            .env("RUST_LOG", "trace")
            .arg("--data-dir")
            .arg(self.data())
            .arg("--api-url")
            .arg(api)
            .args(args);
        if let Some(p) = pass {
            c.env("REPODECK_PASSPHRASE", p);
        }
        c
    }
    fn set(&self, pass: Option<&str>, token: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
        let mut args = vec!["token", "set"];
        args.extend_from_slice(extra);
        self.cmd(pass, &args)
            .write_stdin(format!("{token}\n"))
            .assert()
    }
    fn list_json(&self) -> serde_json::Value {
        let out = self
            .cmd(None, &["token", "list", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn leak_forms(t: &str) -> Vec<Vec<u8>> {
    vec![
        t.as_bytes().to_vec(),
        base64::engine::general_purpose::STANDARD
            .encode(t)
            .into_bytes(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(t)
            .into_bytes(),
        hex::encode(t).into_bytes(),
    ]
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out
}

fn assert_no_leak(where_: &str, bytes: &[u8], token: &str) {
    for form in leak_forms(token) {
        assert!(
            !bytes.windows(form.len()).any(|w| w == form.as_slice()),
            "token form found in {where_}"
        );
    }
}

fn assert_no_leak_on_disk(dir: &Path, token: &str) {
    let files = files_under(dir);
    assert!(!files.is_empty());
    for f in files {
        assert_no_leak(&f.display().to_string(), &std::fs::read(&f).unwrap(), token);
    }
}

#[test]
fn set_list_check_and_nothing_on_disk() {
    let env = Env::new();
    let a = env.set(Some(PASS), TOKEN, &[]).success();
    let out = a.get_output();
    assert!(
        text(&out.stdout).contains("stored the global token ghp_…aaaa"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("could not check the token"),
        "{}",
        text(&out.stderr)
    );
    assert_no_leak("set stdout", &out.stdout, TOKEN);
    assert_no_leak("set stderr", &out.stderr, TOKEN);

    let rows = env.list_json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["fingerprint"], "ghp_…aaaa");
    assert_eq!(rows[0]["scope"], "global");
    assert_eq!(rows[0]["key_id"].as_str().unwrap().len(), 16);
    assert!(!rows[0].to_string().contains(TOKEN));

    let human = env
        .cmd(None, &["token", "list"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(text(&human).contains("ghp_…aaaa"), "{}", text(&human));
    assert!(
        text(&human).contains("use: vault global token ghp_…aaaa"),
        "{}",
        text(&human)
    );
    assert_no_leak("list", &human, TOKEN);

    // The server is unreachable: check reports it and exits 1, without the token.
    let a = env.cmd(Some(PASS), &["token", "check"]).assert().code(1);
    let out = a.get_output();
    assert!(
        text(&out.stdout).contains("global: ghp_…aaaa not checked"),
        "{}",
        text(&out.stdout)
    );
    assert_no_leak(
        "check",
        &[out.stdout.clone(), out.stderr.clone()].concat(),
        TOKEN,
    );

    assert_no_leak_on_disk(&env.data(), TOKEN);
    // HOME too (config, caches), if anything was written there.
    for f in files_under(&env.dir.path().join("home")) {
        assert_no_leak(&f.display().to_string(), &std::fs::read(&f).unwrap(), TOKEN);
    }
    // The trace log exists and was searched.
    assert!(
        files_under(&env.data())
            .iter()
            .any(|f| f.to_string_lossy().contains("logs"))
    );
    assert!(env.data().join("identity.age").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.data().join("identity.age"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
        // The data directory (store, logs, vault) is private too.
        for d in [env.data(), env.data().join("logs")] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", d.display());
        }
    }
}

#[test]
fn malformed_tokens_are_refused_with_exit_2_and_nothing_stored() {
    let env = Env::new();
    for bad in [
        "not-a-token",
        "",
        &TOKEN[..TOKEN.len() - 1],
        &format!("{TOKEN} {TOKEN}"),
    ] {
        let a = env.set(Some(PASS), bad, &[]).code(2);
        let err = text(&a.get_output().stderr);
        assert!(
            err.contains("--any-format") || err.contains("no token was given"),
            "{err}"
        );
        if !bad.is_empty() {
            assert!(!err.contains(bad), "the error echoes the input: {err}");
        }
    }
    assert_eq!(env.list_json(), serde_json::json!([]));
    assert!(
        !env.data().join("identity.age").exists(),
        "a refused token still created a vault"
    );
    // --any-format accepts a custom token.
    env.set(Some(PASS), "enterprise-token-42", &["--any-format"])
        .success();
    assert_eq!(env.list_json()[0]["kind"], "other");
}

#[test]
fn the_token_is_never_taken_from_argv() {
    let env = Env::new();
    env.cmd(Some(PASS), &["token", "set", TOKEN])
        .write_stdin("")
        .assert()
        .code(2);
    env.cmd(Some(PASS), &["token", "set", "--token", TOKEN])
        .write_stdin("")
        .assert()
        .code(2);
    assert_eq!(env.list_json(), serde_json::json!([]));
}

#[test]
fn wrong_or_missing_passphrase_exits_2_and_changes_nothing() {
    let env = Env::new();
    env.set(Some(PASS), TOKEN, &[]).success();
    let before = env.list_json();
    let identity = std::fs::read(env.data().join("identity.age")).unwrap();

    let a = env.cmd(Some("wrong"), &["token", "check"]).assert().code(2);
    let err = text(&a.get_output().stderr);
    assert!(err.contains("passphrase"), "{err}");
    let a = env.set(Some("wrong"), OTHER, &[]).code(2);
    assert!(text(&a.get_output().stderr).contains("wrong passphrase"));
    env.cmd(Some("wrong"), &["token", "rotate-identity"])
        .assert()
        .code(2);
    env.cmd(Some("wrong"), &["token", "rotate-passphrase"])
        .env("REPODECK_NEW_PASSPHRASE", "x")
        .assert()
        .code(2);

    // No passphrase and no terminal: says how to provide one.
    let a = env.cmd(None, &["token", "check"]).assert().code(2);
    let err = text(&a.get_output().stderr);
    assert!(
        err.contains("REPODECK_PASSPHRASE") && err.contains("--identity"),
        "{err}"
    );

    assert_eq!(env.list_json(), before);
    assert_eq!(
        std::fs::read(env.data().join("identity.age")).unwrap(),
        identity
    );
    assert!(!env.data().join("identity.age.next").exists());
}

#[test]
fn per_repo_tokens_and_rm() {
    let env = Env::new();
    env.set(Some(PASS), TOKEN, &[]).success();
    let a = env
        .set(Some(PASS), OTHER, &["--repo", "Octo/Hello"])
        .success();
    assert!(text(&a.get_output().stdout).contains("stored the Octo/Hello token ghp_…a1f3"));
    env.set(Some(PASS), OTHER, &["--repo", "not a repo"])
        .code(2);
    let rows = env.list_json();
    assert_eq!(rows.as_array().unwrap().len(), 2);
    assert_eq!(rows[1]["repo"], "Octo/Hello");
    assert_eq!(rows[1]["default"], false);

    env.cmd(None, &["token", "rm", "--repo", "octo/hello"])
        .assert()
        .success();
    // A token that is not there: exit 2 (nothing changed), naming what is stored instead.
    let a = env
        .cmd(None, &["token", "rm", "--repo", "octo/hello"])
        .assert()
        .code(2);
    let msg = text(&a.get_output().stderr);
    assert!(msg.contains("no token for octo/hello is stored"), "{msg}");
    assert!(msg.contains("stored: global (ghp_"), "{msg}");
    assert!(msg.contains("`repodeck token rm`"), "{msg}");
    env.cmd(None, &["token", "rm"]).assert().success();
    assert_eq!(env.list_json(), serde_json::json!([]));
    let a = env.cmd(None, &["token", "rm"]).assert().code(2);
    let msg = text(&a.get_output().stderr);
    assert!(msg.contains("the vault holds no tokens"), "{msg}");
}

#[test]
fn environment_token_shows_in_list_by_fingerprint_only() {
    let env = Env::new();
    let out = env
        .cmd(None, &["token", "list"])
        .env("GH_TOKEN", OTHER)
        .assert()
        .success()
        .get_output()
        .clone();
    let s = text(&out.stdout);
    assert!(
        s.contains("$GH_TOKEN") && s.contains("ghp_…a1f3") && s.contains("use: $GH_TOKEN"),
        "{s}"
    );
    assert_no_leak("list", &out.stdout, OTHER);
    env.set(Some(PASS), TOKEN, &[]).success();
    let out = env
        .cmd(None, &["token", "list", "--json"])
        .env("GITHUB_TOKEN", OTHER)
        .assert()
        .success()
        .get_output()
        .clone();
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["default"], true);
    assert_eq!(rows[1]["source"], "env");
    assert_eq!(rows[1]["env_var"], "GITHUB_TOKEN");
    assert_eq!(rows[1]["default"], false);
    assert_no_leak("list --json", &out.stdout, OTHER);
}

#[test]
fn identity_file_mode_needs_no_passphrase() {
    let env = Env::new();
    // An age identity file as `age-keygen` writes it (a fixed test key).
    let key = env.dir.path().join("key.txt");
    std::fs::write(
        &key,
        "# created: 2024-01-01T00:00:00Z\n# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n",
    )
    .unwrap();
    let mut c = env.cmd(None, &["token", "set"]);
    c.env("REPODECK_IDENTITY", &key)
        .write_stdin(TOKEN)
        .assert()
        .success();
    assert!(!env.data().join("identity.age").exists());
    let rows = env.list_json();
    assert_eq!(
        rows[0]["recipient"],
        "age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5"
    );
    env.cmd(
        None,
        &["--identity", key.to_str().unwrap(), "token", "check"],
    )
    .assert()
    .code(1);
    // The passphrase mode cannot read those tokens, and says why.
    let a = env.cmd(Some(PASS), &["token", "check"]).assert().code(2);
    assert!(
        text(&a.get_output().stderr).contains("identity"),
        "{}",
        text(&a.get_output().stderr)
    );
    // Rotations belong to the passphrase mode.
    let a = env
        .cmd(
            None,
            &[
                "--identity",
                key.to_str().unwrap(),
                "token",
                "rotate-passphrase",
            ],
        )
        .assert()
        .code(2);
    assert!(text(&a.get_output().stderr).contains("identity file"));
    assert_no_leak_on_disk(&env.data(), TOKEN);
}

#[test]
fn rotations_keep_tokens_usable() {
    let env = Env::new();
    env.set(Some(PASS), TOKEN, &[]).success();
    env.set(Some(PASS), OTHER, &["--repo", "o/r"]).success();
    let before = env.list_json();

    let a = env
        .cmd(Some(PASS), &["token", "rotate-identity"])
        .assert()
        .success();
    assert!(text(&a.get_output().stdout).contains("re-encrypted 2 token(s)"));
    let after = env.list_json();
    assert_ne!(after[0]["recipient"], before[0]["recipient"]);
    assert_eq!(after[0]["fingerprint"], before[0]["fingerprint"]);

    // No new passphrase available: refused, nothing changed.
    env.cmd(Some(PASS), &["token", "rotate-passphrase"])
        .assert()
        .code(2);
    env.cmd(Some(PASS), &["token", "rotate-passphrase"])
        .env("REPODECK_NEW_PASSPHRASE", "battery-staple")
        .assert()
        .success();
    env.cmd(Some(PASS), &["token", "check"]).assert().code(2);
    // The new passphrase decrypts both tokens (check exits 1 only because the server is unreachable).
    let a = env
        .cmd(Some("battery-staple"), &["token", "check"])
        .assert()
        .code(1);
    let s = text(&a.get_output().stdout);
    assert!(
        s.contains("global: ghp_…aaaa") && s.contains("o/r: ghp_…a1f3"),
        "{s}"
    );
    assert_no_leak_on_disk(&env.data(), TOKEN);
    assert_no_leak_on_disk(&env.data(), OTHER);
}

/// Every output of one run, for the leak search.
fn outputs(a: &assert_cmd::assert::Assert) -> Vec<u8> {
    let o = a.get_output();
    [o.stdout.clone(), o.stderr.clone()].concat()
}

#[test]
fn no_token_leaks_from_syncs_through_5xx_401_and_a_panic() {
    use repodeck::fakehub::{self, FakehubConfig, FaultKind, FaultRule};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(fakehub::spawn(FakehubConfig {
            repos: 6,
            tokens: vec![TOKEN.into(), OTHER.into()],
            ..FakehubConfig::default()
        }))
        .expect("fakehub on loopback");
    let api = hub.url().to_string();
    assert!(api.starts_with("http://127.0.0.1:"), "{api}");
    let env = Env::new();
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    let mut run = |what: &str, a: assert_cmd::assert::Assert| {
        seen.push((what.to_string(), outputs(&a)));
        a
    };

    // A global vault token and a per-repo one, both checked live against fakehub.
    let a = env
        .cmd_at(&api, Some(PASS), &["token", "set"])
        .write_stdin(format!("{TOKEN}\n"))
        .assert()
        .success();
    let a = run("token set", a);
    assert!(
        text(&outputs(&a)).contains("octocat"),
        "{}",
        text(&outputs(&a))
    );
    let a = env
        .cmd_at(
            &api,
            Some(PASS),
            &["token", "set", "--repo", "octo-org/repo-0001"],
        )
        .write_stdin(format!("{OTHER}\n"))
        .assert()
        .success();
    run("token set --repo", a);
    let a = env
        .cmd_at(
            &api,
            None,
            &[
                "add",
                "octo-org/repo-0000",
                "octo-org/repo-0001",
                "octo-org/repo-0002",
                "octo-org/repo-0003",
            ],
        )
        .assert()
        .success();
    run("add", a);

    // 1. Half the requests answer 5xx.
    hub.set_faults(vec![FaultRule {
        probability: Some(0.5),
        ..FaultRule::new("**", FaultKind::Status { status: 502 })
    }]);
    let a = env
        .cmd_at(&api, Some(PASS), &["sync", "--all", "--force"])
        .timeout(std::time::Duration::from_secs(120))
        .assert();
    let code = a.get_output().status.code();
    assert!(matches!(code, Some(0 | 1)), "5xx run: {code:?}");
    run("sync under 5xx", a);

    // 2. Every token rejected: the sync stops with exit 2, and `token check` says revoked.
    hub.set_faults(vec![FaultRule::new("**", FaultKind::BadCredentials)]);
    let a = env
        .cmd_at(&api, Some(PASS), &["sync", "--all", "--force"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(2);
    run("sync under 401", a);
    let a = env
        .cmd_at(&api, Some(PASS), &["token", "check"])
        .timeout(std::time::Duration::from_secs(60))
        .assert();
    let a = run("token check under 401", a);
    assert!(
        text(&outputs(&a)).contains("revoked") || text(&outputs(&a)).contains("rejected"),
        "{}",
        text(&outputs(&a))
    );

    // 3. A panic inside a sync pass (debug builds honour REPODECK_DEBUG_PANIC): reported, the
    // repos fail, the process ends.
    hub.set_faults(vec![]);
    let a = env
        .cmd_at(&api, Some(PASS), &["sync", "--all", "--force"])
        .env("REPODECK_DEBUG_PANIC", "sync-pass")
        .env("RUST_BACKTRACE", "1")
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(1);
    let a = run("sync with a panic", a);
    assert!(
        text(&outputs(&a)).contains("forced panic"),
        "{}",
        text(&outputs(&a))
    );
    // And a clean sync afterwards works with both tokens.
    let a = env
        .cmd_at(&api, Some(PASS), &["sync", "--all", "--force", "--json"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .success();
    run("clean sync", a);
    let a = env
        .cmd_at(&api, Some(PASS), &["token", "list", "--json"])
        .assert()
        .success();
    run("token list", a);

    // Debug output of everything that holds the tokens.
    let (store, _) = repodeck::store::Store::open(&env.data()).unwrap();
    let keys = repodeck::secrets::KeySource::Passphrase(
        repodeck::secrets::PassphraseSource::Given(secrecy::SecretString::from(PASS.to_string())),
    );
    let tokens = repodeck::secrets::Tokens::load(&store, &keys, &|_| None).unwrap();
    let global = tokens.for_repo(None).expect("the global token loads");
    let _in_runtime = rt.enter();
    let client = repodeck::github::GithubClient::new(repodeck::github::ClientOptions {
        api_url: api.clone(),
        token: Some(global.secret.clone()),
        ..repodeck::github::ClientOptions::default()
    })
    .unwrap();
    let debug = format!("{tokens:?} {tokens:#?} {global:?} {client:?} {keys:?}");
    assert!(debug.contains("REDACTED"), "{debug}");
    drop(store);
    drop(_in_runtime);
    seen.push(("Debug output".into(), debug.into_bytes()));

    let logs: Vec<PathBuf> = files_under(&env.data().join("logs"));
    let log_text: Vec<u8> = logs
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap())
        .collect();
    assert!(
        text(&log_text).contains("TRACE"),
        "the runs logged at trace level"
    );
    for token in [TOKEN, OTHER] {
        for (what, bytes) in &seen {
            assert_no_leak(what, bytes, token);
        }
        // Every file under the data dir (store, logs, vault, backups) and the home/config dir.
        assert_no_leak_on_disk(env.dir.path(), token);
    }
    rt.block_on(hub.shutdown());
}

/// A token GitHub rejects (fakehub accepts only `OTHER`): `repodeck sync` exits 2 and its error
/// names where the rejected token came from, by its id, and `repodeck token set` to replace it.
#[test]
fn a_rejected_token_is_named_by_its_source_with_the_command_that_replaces_it() {
    use repodeck::fakehub::{self, FakehubConfig};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(fakehub::spawn(FakehubConfig {
            repos: 2,
            tokens: vec![OTHER.into()],
            ..FakehubConfig::default()
        }))
        .expect("fakehub on loopback");
    let api = hub.url().to_string();
    let env = Env::new();
    env.cmd_at(&api, None, &["add", "octo-org/repo-0000"])
        .assert()
        .success();
    let sync = |pass: Option<&str>, var: Option<(&str, &str)>| {
        let mut c = env.cmd_at(&api, pass, &["sync", "--all", "--force"]);
        if let Some((k, v)) = var {
            c.env(k, v);
        }
        let a = c
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2);
        let out = outputs(&a);
        assert_no_leak("sync output", &out, TOKEN);
        text(&out)
    };

    for var in ["GITHUB_TOKEN", "GH_TOKEN"] {
        let s = sync(None, Some((var, TOKEN)));
        assert!(
            s.contains(&format!(
                "GitHub rejected the token in {var} ghp_…aaaa (401"
            )) && s.contains("`repodeck token set`"),
            "{s}"
        );
    }

    // Stored while GitHub could not be asked (the default API is a closed port), then rejected.
    env.set(Some(PASS), TOKEN, &[]).success();
    let s = sync(Some(PASS), Some(("GITHUB_TOKEN", OTHER)));
    assert!(
        s.contains("GitHub rejected the vault's global token ghp_…aaaa (401")
            && s.contains("`repodeck token set`")
            && !s.contains("repodeck auth"),
        "{s}"
    );

    // A per-repo token rejected while the global one works.
    env.set(Some(PASS), OTHER, &[]).success();
    env.set(Some(PASS), TOKEN, &["--repo", "octo-org/repo-0000"])
        .success();
    let s = sync(Some(PASS), None);
    assert!(
        s.contains("GitHub rejected the vault's token for octo-org/repo-0000 ghp_…aaaa (401")
            && s.contains("`repodeck token set --repo octo-org/repo-0000`"),
        "{s}"
    );
    rt.block_on(hub.shutdown());
}

#[test]
fn the_webhook_secret_is_set_once_never_shown_and_never_plaintext() {
    let env = Env::new();
    let short = env
        .cmd(Some(PASS), &["hook", "secret", "set"])
        .write_stdin("short-secret\n")
        .assert()
        .code(2);
    assert!(text(&short.get_output().stderr).contains("at least 32"));
    let shown = env
        .cmd(None, &["hook", "secret", "show", "--json"])
        .assert()
        .success();
    assert!(text(&shown.get_output().stdout).contains("\"stored\":false"));

    let secret = "s3cr3t-".repeat(6);
    let set = env
        .cmd(Some(PASS), &["hook", "secret", "set"])
        .write_stdin(format!("{secret}\n"))
        .assert()
        .success();
    assert_no_leak("hook secret set", &outputs(&set), &secret);
    // A second set without --replace is refused and changes nothing.
    env.cmd(Some(PASS), &["hook", "secret", "set"])
        .write_stdin(format!("{}\n", "x".repeat(40)))
        .assert()
        .code(2);
    let shown = env
        .cmd(None, &["hook", "secret", "show"])
        .assert()
        .success();
    assert!(text(&shown.get_output().stdout).contains("42 characters"));
    assert_no_leak("hook secret show", &outputs(&shown), &secret);

    let made = env
        .cmd(Some(PASS), &["hook", "secret", "generate", "--replace"])
        .assert()
        .success();
    let printed = text(&made.get_output().stdout);
    let generated = printed.lines().next().unwrap().to_string();
    assert_eq!(generated.len(), 64, "{printed}");
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()));
    for t in [&secret, &generated] {
        assert_no_leak_on_disk(&env.data(), t);
    }
}
