//! `repodeck list --filter EXPR` and `[[commands]]` config errors. The filter, run as the real binary against an in-process fakehub after a
//! real sync: the rows are exactly the ones the filter's fields select (checked against the
//! unfiltered `list --json`), the same when attached to a host (`repodeck serve` holds the store),
//! and a bad filter exits 2 with the message and prints nothing else.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use serde_json::Value;

mod host_support;
use host_support::{Env, stderr, text};

const TOKEN: &str = "ghp_filterclitest0000000000000000000000";
const SECRET: &str = "filter-cli-secret-0123456789abcdefghijklmn";

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect()
}

/// What `lang:rust !is:fork stars:>10` selects, worked out from the unfiltered rows.
fn expected(all: &Value) -> Vec<String> {
    all.as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["language"]
                .as_str()
                .is_some_and(|l| l.eq_ignore_ascii_case("rust"))
                && r["fork"] == Value::Bool(false)
                && r["stars"].as_u64().is_some_and(|s| s > 10)
        })
        .map(|r| r["full_name"].as_str().unwrap().to_string())
        .collect()
}

const FILTER: &str = "lang:rust !is:fork stars:>10";

#[test]
fn list_filter_selects_by_fields_locally_and_attached() {
    let env = Env::new(60, TOKEN, None);
    env.ok(&["import", "--org", "octo-org"]);
    // `serve` (the host, below) starts only with a webhook secret.
    env.run(&["hook", "secret", "set"], SECRET);
    env.ok(&["sync", "--all"]);
    let all = env.json(&["list", "--json"]);
    let want = expected(&all);
    assert!(
        !want.is_empty() && want.len() < names(&all).len(),
        "the fixture has some rows the filter selects and some it leaves out: {want:?}"
    );

    let local = env.json(&["list", "--json", "--filter", FILTER]);
    assert_eq!(names(&local), want);
    let table = env.ok(&["list", "--filter", FILTER]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    for n in names(&all) {
        assert_eq!(
            table.contains(&format!("{n} ")),
            want.contains(&n),
            "{n} in\n{table}"
        );
    }
    // Nothing matches: said so, exit 0.
    let none = env.ok(&["list", "--filter", "lang:rust is:archived !is:archived"]);
    assert!(
        String::from_utf8_lossy(&none.stdout).contains(&format!(
            "No repository of the {} tracked matches",
            names(&all).len()
        )),
        "{}",
        text(&none)
    );

    let bad = env.run(&["list", "--filter", "lang:rust colour:red"], "");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(bad.stdout.is_empty(), "{}", text(&bad));
    assert!(
        stderr(&bad)
            .contains("filter `colour:red`: `colour:` is not a filter field; use one of lang:"),
        "{}",
        text(&bad)
    );

    // Attached: the host holds the store, the filter runs the same over its list.
    let mut serve = env.serve();
    let attached = env.json(&["list", "--json", "--filter", FILTER]);
    assert_eq!(names(&attached), want);
    let bad_attached = env.run(&["list", "--filter", "lang:rust colour:red"], "");
    assert_eq!(bad_attached.status.code(), Some(2));
    assert_eq!(stderr(&bad_attached), stderr(&bad));
    serve.kill().unwrap();
    let _ = serve.wait();
}

/// The binary alone with a config file, for config errors (no fakehub needed).
fn with_config(config: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("cfg.toml");
    std::fs::write(&cfg, config).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .env("REPODECK_CONFIG", &cfg)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

#[test]
fn command_config_errors_exit_2_naming_the_entry_and_both_claimants() {
    for (config, want) in [
        (
            "[[commands]]\nkey = \"s\"\nscreen = \"list\"\nrun = \"echo {repo}\"\n",
            "[[commands]] entry 1 (key \"s\"): `s` is already `sync` (sync selected) on the Repositories screen; choose another key for \"echo {repo}\", or remap `sync` in [keys]",
        ),
        (
            "[[commands]]\nkey = \"ctrl+g\"\nrun = \"a\"\n[[commands]]\nkey = \"ctrl+g\"\nscreen = \"jobs\"\nrun = \"b\"\n",
            "[[commands]] entry 2 (key \"ctrl+g\"): `ctrl+g` is already [[commands]] entry 1 (\"a\", screen \"any\")",
        ),
        (
            "[[commands]]\nkey = \"ctrl+\"\nrun = \"a\"\n",
            "[[commands]] entry 1 (key \"ctrl+\"): key `commands.key`:",
        ),
        (
            "[[commands]]\nkey = \"x\"\nrun = \"echo {bogus}\"\n",
            "unknown placeholder `{bogus}`; use {repo}, {owner}, {name}, {number}, {sha}, {url}, {branch}",
        ),
        (
            "[[commands]]\nkey = \"r\"\nscreen = \"attention\"\nrun = \"gh pr view {number}\"\n",
            "[[commands]] entry 1 (key \"r\"): `r` is already `refresh` (refresh) on the Attention screen; choose another key for \"gh pr view {number}\", or remap `refresh` in [keys]",
        ),
        (
            "[[commands]]\nkey = \"o\"\nscreen = \"pr\"\nrun = \"a\"\n",
            "`o` is already `open_browser`",
        ),
        (
            "[[commands]]\nkey = \"x\"\nscreen = \"nowhere\"\nrun = \"a\"\n",
            "key `commands.screen` is \"nowhere\": use one of \"any\", \"list\", \"detail\"",
        ),
    ] {
        let out = with_config(config, &["list"]);
        assert_eq!(out.status.code(), Some(2), "{config}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains("cfg.toml") && err.contains(want),
            "{config}\n{err}"
        );
        assert!(out.stdout.is_empty());
    }
    // A valid one loads for every command.
    let out = with_config(
        "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"pulls\"\nrun = \"gh pr checkout {number}\"\n",
        &["list"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // The PR, issue and Attention screens take a command each on one key.
    let out = with_config(
        "[[commands]]\nkey = \"s\"\nscreen = \"pr\"\nrun = \"gh pr checkout {number} -R {repo}\"\n\
         [[commands]]\nkey = \"s\"\nscreen = \"issue\"\nrun = \"gh issue view {number} -R {repo}\"\n\
         [[commands]]\nkey = \"ctrl+g\"\nscreen = \"attention\"\nrun = \"gh pr view {url}\"\n",
        &["list"],
    );
    assert!(out.status.success(), "{}", text(&out));
}
