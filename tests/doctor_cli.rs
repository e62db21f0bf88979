//! `repodeck doctor` as the real binary against an in-process fakehub: all ok exits 0; an expired
//! token fails (2); a token without `admin:repo_hook` where webhooks are set up warns (1); an open
//! data directory fails and `serve` refuses to start; a skewed clock warns; an unreachable API is
//! one failing line within seconds; `--json` has the documented shape; and the token's characters
//! never appear in anything doctor prints.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use repodeck::fakehub::{self, FakehubConfig, Handle, TokenProfile};
use serde_json::Value;

const TOKEN: &str = "ghp_doctorcheck00000000000000000000000001";
const PASS: &str = "doctor test passphrase";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// fakehub where TOKEN has these scopes (`None`: fine-grained) and expiry.
async fn hub(scopes: Option<&str>, expires_in: Option<i64>, skew: i64) -> Handle {
    fakehub::spawn(FakehubConfig {
        repos: 4,
        tokens: vec![TOKEN.into()],
        token_profiles: vec![TokenProfile {
            token: TOKEN.into(),
            scopes: scopes.map(str::to_string),
            expires_at: expires_in.map(|s| now() + s),
        }],
        clock_skew_secs: skew,
        ..FakehubConfig::default()
    })
    .await
    .unwrap()
}

fn cmd(api: &str, dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    let cfg = dir.join("cfg.toml");
    if !cfg.exists() {
        std::fs::write(&cfg, "").unwrap();
    }
    c.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(api)
        .args(args)
        .env("REPODECK_CONFIG", &cfg)
        .env("GITHUB_TOKEN", TOKEN)
        .env("REPODECK_PASSPHRASE", PASS)
        .env_remove("GH_TOKEN")
        .env_remove("REPODECK_IDENTITY")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    c
}

/// Runs repodeck; every output is searched for the token first.
fn rd(api: &str, dir: &Path, args: &[&str]) -> Output {
    let out = cmd(api, dir, args).output().expect("repodeck runs");
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(TOKEN), "the token leaked: {text}");
        assert!(!text.contains(&TOKEN[4..]), "the token leaked: {text}");
    }
    out
}

fn doctor(hub: &Handle, dir: &Path) -> (i32, Value) {
    let out = rd(hub.url(), dir, &["doctor", "--json"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), v)
}

/// The status of the check `id` (the first one with that id).
fn status(v: &Value, id: &str) -> String {
    check(v, id)["status"].as_str().unwrap().to_string()
}

fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {v:#}"))
}

/// A data directory with a store and one tracked repository.
fn setup(hub: &Handle, dir: &Path) {
    let out = rd(hub.url(), dir, &["add", "octo-org/repo-0000"]);
    assert!(out.status.success(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_setup_is_all_ok_and_json_has_the_documented_shape() {
    let hub = hub(Some("repo, read:org"), Some(60 * 86_400), 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["exit_code"], 0);
    for c in v["checks"].as_array().unwrap() {
        assert!(c["id"].is_string() && c["message"].is_string(), "{c}");
        assert!(c["fix"].is_null() || c["fix"].is_string(), "{c}");
        let s = c["status"].as_str().unwrap();
        assert!(s == "ok" || s == "skip", "{c}");
    }
    for id in [
        "files.data_dir",
        "store",
        "store.disk",
        "token.source",
        "api",
        "api.clock",
        "api.graphql",
        "token",
        "token.scopes",
        "token.expiry",
        "config",
        "serve.listen",
        "serve.secret",
        "terminal",
    ] {
        check(&v, id);
    }
    assert!(
        check(&v, "token")["message"]
            .as_str()
            .unwrap()
            .contains("login octocat")
    );
    // The human form: one line per check, a summary, exit 0.
    let out = rd(hub.url(), dir.path(), &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("ok    api"), "{text}");
    assert!(text.contains("0 warning(s), 0 failure(s)"), "{text}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_fails_and_one_expiring_soon_warns() {
    let hub = hub(Some("repo"), Some(-3600), 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 2, "{v:#}");
    assert_eq!(status(&v, "token"), "fail");
    let c = check(&v, "token");
    assert!(
        c["message"].as_str().unwrap().contains("401")
            && c["fix"].as_str().unwrap().contains("repodeck token set"),
        "{c}"
    );
    hub.shutdown().await;

    let hub = self::hub(Some("repo"), Some(2 * 86_400), 0).await;
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(status(&v, "token.expiry"), "warn");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_admin_repo_hook_warns_where_webhooks_are_set_up() {
    let hub = hub(Some("repo, read:org"), None, 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let out = rd(hub.url(), dir.path(), &["hook", "secret", "generate"]);
    assert!(out.status.success(), "{out:?}");
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(status(&v, "token.scopes"), "warn");
    let c = check(&v, "token.scopes");
    assert!(
        c["message"].as_str().unwrap().contains("admin:repo_hook"),
        "{c}"
    );
    assert_eq!(status(&v, "serve.secret"), "ok");
    // The vault's identity and backup are private.
    assert_eq!(status(&v, "files.identity"), "ok");
    hub.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_data_dir_fails_and_serve_refuses_to_start() {
    use std::os::unix::fs::PermissionsExt;
    let hub = hub(Some("repo, read:org"), None, 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let data = dir.path().join("data");
    let open = || std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    open();
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 2, "{v:#}");
    let c = check(&v, "files.data_dir");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["fix"], format!("chmod 700 {}", data.display()));

    open();
    let started = Instant::now();
    let out = rd(hub.url(), dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("serve refuses to start")
            && err.contains("files.data_dir")
            && err.contains("chmod 700"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_to_start_without_a_webhook_secret_naming_the_check() {
    let hub = hub(Some("repo, read:org"), None, 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let out = rd(hub.url(), dir.path(), &["serve", "--listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("serve.secret") && err.contains("repodeck hook secret generate"),
        "{err}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_clock_warns_and_a_fine_grained_token_is_said_to_be_one() {
    let hub = hub(None, None, 120).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 1, "{v:#}");
    let c = check(&v, "api.clock");
    assert_eq!(c["status"], "warn", "{c}");
    assert!(c["message"].as_str().unwrap().contains("behind"), "{c}");
    let s = check(&v, "token.scopes");
    assert_eq!(s["status"], "ok", "{s}");
    assert!(
        s["message"].as_str().unwrap().contains("fine-grained"),
        "{s}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_is_one_failing_line_within_seconds() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = rd(&url, dir.path(), &["doctor"]);
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    let api: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("fail  api"))
        .collect();
    assert_eq!(api.len(), 1, "{text}");
    assert!(api[0].contains(&url), "{text}");
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    eprintln!("unreachable API reported in {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_in_use_is_a_warning_naming_its_pid() {
    let hub = hub(Some("repo, read:org"), None, 0).await;
    let dir = tempfile::tempdir().unwrap();
    setup(&hub, dir.path());
    // This test process holds the store, as a running `serve` would.
    let held = repodeck::store::Store::open(&dir.path().join("data")).unwrap();
    let (code, v) = doctor(&hub, dir.path());
    assert_eq!(code, 1, "{v:#}");
    let c = check(&v, "store");
    assert_eq!(c["status"], "warn", "{c}");
    let pid = format!("pid {}", std::process::id());
    assert!(c["message"].as_str().unwrap().contains(&pid), "{c}");
    // The network checks still ran.
    assert_eq!(status(&v, "api"), "ok");
    drop(held);
    hub.shutdown().await;
}
