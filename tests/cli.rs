//! The CLI as a user runs it: the real binary, a throwaway data dir, exit codes and messages.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;

fn rd(data: &Path) -> Command {
    let mut c = Command::cargo_bin("repodeck").unwrap();
    c.arg("--data-dir").arg(data);
    // Keep the user's real config and tokens out of the tests.
    c.env_remove("REPODECK_CONFIG")
        .env("XDG_CONFIG_HOME", data.join("config"))
        .env("HOME", data.join("home"))
        .env_remove("GITHUB_TOKEN")
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_API_URL")
        .env_remove("RUST_LOG");
    c
}

fn list_json(data: &Path) -> Vec<serde_json::Value> {
    let out = rd(data).args(["list", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn names(data: &Path) -> Vec<String> {
    list_json(data)
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn help_lists_commands_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    rd(tmp.path()).arg("--help").assert().success().stdout(
        predicate::str::contains("Exit codes")
            .and(predicate::str::contains("add"))
            .and(predicate::str::contains("list")),
    );
}

#[test]
fn subcommand_help_groups_the_global_options_and_describes_repo_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rd(tmp.path()).args(["add", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    let global = help.find("Global options:").expect(&help);
    let data_dir = help.find("--data-dir").expect(&help);
    assert!(
        data_dir > global,
        "--data-dir is not under Global options:\n{help}"
    );
    assert!(help.contains("Repositories to track"), "{help}");
}

#[test]
fn completions_and_man_work_even_with_a_broken_config() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("broken.toml");
    std::fs::write(&cfg, "[sync\ninterval = ").unwrap();
    let out = rd(tmp.path())
        .env("REPODECK_CONFIG", &cfg)
        .args(["completions", "fish"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("complete -c repodeck"));
    let out = rd(tmp.path())
        .env("REPODECK_CONFIG", &cfg)
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH repodeck"));
    // And the broken config is still reported for commands that need it.
    rd(tmp.path())
        .env("REPODECK_CONFIG", &cfg)
        .arg("list")
        .assert()
        .code(2);
    rd(tmp.path())
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bash"));
}

#[test]
fn add_list_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    rd(d)
        .args([
            "add",
            "octocat/hello-world",
            "https://github.com/rust-lang/rust.git",
            "git@github.com:tokio-rs/tokio.git",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("added octocat/hello-world"));
    assert_eq!(
        names(d),
        ["octocat/hello-world", "rust-lang/rust", "tokio-rs/tokio"]
    );
    let rows = list_json(d);
    for key in [
        "full_name",
        "id",
        "stars",
        "forks",
        "open_issues",
        "open_prs",
        "default_branch",
        "head_sha",
        "pushed_at",
        "last_synced_at",
        "status",
    ] {
        assert!(rows[0].get(key).is_some(), "list --json lacks {key}");
    }
    assert!(rows[0]["id"].is_null());
    assert_eq!(rows[0]["status"], "never");

    // Adding again is a no-op with a note.
    rd(d)
        .args(["add", "Octocat/Hello-World"])
        .assert()
        .success()
        .stderr(predicate::str::contains("already tracked"));
    assert_eq!(names(d).len(), 3);

    rd(d)
        .args(["remove", "rust-lang/rust"])
        .assert()
        .success()
        .stdout(predicate::str::contains("removed rust-lang/rust"));
    assert_eq!(names(d), ["octocat/hello-world", "tokio-rs/tokio"]);
    rd(d)
        .args(["rm", "rust-lang/rust"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not tracked"));

    rd(d).arg("list").assert().success().stdout(
        predicate::str::contains("octocat/hello-world").and(predicate::str::contains("never")),
    );
}

#[test]
fn invalid_names_exit_2_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    rd(d)
        .args(["add", "octocat/hello-world"])
        .assert()
        .success();
    for (bad, says) in [
        ("bad//name", "name"),
        ("bad-/y", "owner"),
        ("o/..", "name"),
        ("no-slash", "OWNER/NAME"),
        ("https://github.com/only-owner", "OWNER/NAME"),
    ] {
        rd(d)
            .args(["add", "good/one", bad])
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains(says).and(predicate::str::contains("Nothing was changed")),
            );
    }
    rd(d).args(["remove", "bad//name"]).assert().code(2);
    assert_eq!(names(d), ["octocat/hello-world"]);
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    rd(tmp.path()).arg("add").assert().code(2);
    rd(tmp.path()).arg("frobnicate").assert().code(2);
    rd(tmp.path())
        .args(["list", "--log-format", "xml"])
        .assert()
        .code(2);
}

#[test]
fn config_errors_exit_2_with_a_suggestion() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("bad.toml");
    std::fs::write(&cfg, "[github]\napi_ulr = \"http://127.0.0.1:1\"\n").unwrap();
    rd(tmp.path())
        .arg("--config")
        .arg(&cfg)
        .arg("list")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("did you mean `github.api_url`")
                .and(predicate::str::contains("bad.toml")),
        );
    // `[keys]` is checked at load too, for every command: file, key, fix, suggestion.
    let keys = tmp.path().join("keys.toml");
    std::fs::write(&keys, "[keys]\nsnyc = \"x\"\n").unwrap();
    rd(tmp.path())
        .arg("--config")
        .arg(&keys)
        .arg("list")
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("keys.toml")
                .and(predicate::str::contains("key `keys.snyc`"))
                .and(predicate::str::contains("did you mean `sync`")),
        );
    std::fs::write(&keys, "[keys]\nsync = \"x\"\n").unwrap();
    rd(tmp.path())
        .arg("--config")
        .arg(&keys)
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "`x` is already `cancel` on the Sync jobs screen",
        ));
    rd(tmp.path())
        .arg("--config")
        .arg(tmp.path().join("missing.toml"))
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.toml"));
    rd(tmp.path())
        .args(["--api-url", "nope", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--api-url"));
    rd(tmp.path())
        .args(["--log-level", "loud!", "list"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--log-level"));
}

#[test]
fn logs_go_to_a_file_not_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = rd(tmp.path())
        .args(["--log-level", "debug", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logs: Vec<_> = std::fs::read_dir(tmp.path().join("logs"))
        .unwrap()
        .collect();
    assert!(!logs.is_empty(), "no log file written");
    let out = rd(tmp.path())
        .args(["--log-level", "debug", "--log-format", "json", "list"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text: String = std::fs::read_dir(tmp.path().join("logs"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        text.lines()
            .any(|l| l.starts_with('{') && l.contains("\"level\":\"DEBUG\"")),
        "{text}"
    );
}
