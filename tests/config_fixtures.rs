//! Config fixtures: every file under tests/fixtures/config/valid parses; every file under
//! tests/fixtures/config/invalid fails with the message its `# expect:` line names, plus the path.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::time::Duration;

use repodeck::config::{Config, Reserve};

fn fixtures(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(kind);
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

#[test]
fn valid_configs_load() {
    for path in fixtures("valid") {
        Config::load(&path, true).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn valid_full_config_reads_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/valid/full.toml");
    let c = Config::load(&path, true).unwrap();
    assert_eq!(c.github.max_concurrency, 8);
    assert_eq!(c.github.reserve, Reserve::Fraction(0.25));
    assert_eq!(c.sync.min_interval, Duration::from_secs(90));
    assert_eq!(c.sync.interval, Some(Duration::from_secs(5400)));
    assert_eq!(c.ui.theme, "mono");
    assert!(c.ui.ascii && c.ui.mouse);
    assert_eq!(c.keys.get("sync").map(String::as_str), Some("s"));
    let ghe = Config::load(&path.with_file_name("enterprise.toml"), true).unwrap();
    assert_eq!(
        ghe.github.graphql_url,
        "https://ghe.example.com/api/graphql"
    );
    let cmds = Config::load(&path.with_file_name("commands.toml"), true).unwrap();
    assert_eq!(cmds.commands.len(), 3);
    assert_eq!(cmds.commands[1].description, "git clone {url} 'my {name}'");
    assert!(cmds.commands[2].shell);
    let off = Config::load(&path.with_file_name("sync_off.toml"), true).unwrap();
    assert_eq!(off.sync.interval, None);
    assert_eq!(off.github.reserve, Reserve::Absolute(250));
}

#[test]
fn invalid_configs_explain_themselves() {
    for path in fixtures("invalid") {
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .expect("fixture needs # expect:");
        let err = Config::load(&path, true)
            .expect_err(&path.display().to_string())
            .to_string();
        assert!(err.contains(expect), "{}: {err}", path.display());
        assert!(
            err.contains(&path.display().to_string()),
            "error does not name the file: {err}"
        );
    }
}

#[test]
fn missing_file_is_fine_only_when_implicit() {
    let p = Path::new("/nonexistent/repodeck/config.toml");
    assert_eq!(Config::load(p, false).unwrap(), Config::default());
    let err = Config::load(p, true).unwrap_err().to_string();
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn example_config_is_valid_and_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    // Uncommenting every `# key = value` line must give a valid config equal to the defaults.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest)
                if rest.split_once(" = ").is_some_and(|(k, _)| {
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                }) =>
            {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let c = Config::parse(&uncommented, &path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.github, Config::default().github);
    assert_eq!(c.sync, Config::default().sync);
    assert_eq!(c.ui, Config::default().ui);
    for key in [
        "api_url",
        "graphql_url",
        "max_concurrency",
        "reserve",
        "min_interval",
        "interval",
        "theme",
        "ascii",
        "mouse",
        "[keys]",
        "[[notify]]",
        "kinds",
        "repos",
        "via",
        "command",
        "timeout",
        "quiet",
        "max_per_minute",
        "[[commands]]",
        "key = ",
        "screen = ",
        "run = ",
        "shell = ",
        "mode = ",
        "description = ",
    ] {
        assert!(
            text.contains(key),
            "config.example.toml does not document {key}"
        );
    }
}
