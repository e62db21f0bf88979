//! The token-use audit log end to end, with the real binary against an in-process fakehub: after
//! `import` and `sync --all` (GraphQL, then REST), `audit --json` holds one entry per request
//! fakehub served (its admin counters), its 304s and points; the filters work and bad ones exit 2;
//! and a distinctive token's characters appear nowhere: not in the store's files, the log file,
//! `audit`'s table or its JSON.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};

use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use serde_json::Value;

const TOKEN: &str = "ghp_AUDITcanary7Qx9Zk2Lm4Np6Rt8Vw0Yb3Hd5";

fn rd(hub: &Handle, dir: &Path, args: &[&str]) -> Output {
    let cfg = dir.join("cfg.toml");
    std::fs::write(&cfg, "[sync]\nmin_interval = \"0s\"\n").unwrap();
    Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(hub.url())
        .args(["--log-level", "trace"])
        .env("REPODECK_CONFIG", &cfg)
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("GH_TOKEN")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .expect("repodeck runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn entries(hub: &Handle, dir: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let text = ok(&rd(hub, dir, &all));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    v.as_array().expect("one JSON array").clone()
}

/// Every file under `dir`, recursively, with its bytes.
fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

/// Every 8-character window of the token's secret part found in `hay` (std's substring search:
/// the trace-level logs are tens of megabytes).
fn leaks(hay: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(hay);
    let secret = &TOKEN[4..];
    (0..=secret.len() - 8)
        .map(|i| &secret[i..i + 8])
        .filter(|needle| text.contains(needle))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_entry_per_request_served_filters_and_no_token_anywhere() {
    let hub = fakehub::spawn(FakehubConfig {
        repos: 6,
        tokens: vec![TOKEN.to_string()],
        ..FakehubConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&rd(
        &hub,
        d,
        &["import", "--org", "octo-org", "--include-archived"],
    ));
    ok(&rd(&hub, d, &["sync", "--all"]));
    hub.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Push).count(2))
        .unwrap();
    ok(&rd(&hub, d, &["sync", "--all", "--rest"]));
    // Again: the ETags now answer 304s.
    ok(&rd(&hub, d, &["sync", "--all", "--rest"]));

    let stats = hub.stats();
    let all = entries(&hub, d, &[]);
    assert_eq!(
        all.len() as u64,
        stats.requests,
        "one audit entry per request fakehub served ({stats:?})"
    );
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|e| f(e)).count() as u64;
    assert_eq!(count(&|e| e["status"] == 304), stats.not_modified);
    assert!(stats.not_modified > 0, "the second REST sync answered 304s");
    let points: u64 = all.iter().map(|e| e["points"].as_u64().unwrap()).sum();
    assert_eq!(
        points,
        stats.points.total(),
        "points as fakehub charged them"
    );
    let graphql: Vec<&Value> = all.iter().filter(|e| e["class"] == "/graphql").collect();
    assert_eq!(graphql.len() as u64, stats.graphql_queries);
    assert!(
        graphql
            .iter()
            .all(|e| e["method"] == "POST" && e["repos"].as_u64() > Some(0))
    );
    for e in &all {
        assert_eq!(e["source"], "env", "{e}");
        assert_eq!(
            e["token"],
            format!("ghp_…{}", &TOKEN[TOKEN.len() - 4..]),
            "{e}"
        );
        for k in [
            "time", "repo", "class", "method", "status", "failure", "points",
        ] {
            assert!(e.get(k).is_some(), "missing {k} in {e}");
        }
    }

    // Filters: a repository's REST requests, a token by the tail of its id, a window.
    let one = entries(&hub, d, &["--repo", "Octo-Org/repo-0001"]);
    assert!(!one.is_empty());
    assert!(
        one.iter().all(|e| e["repo"] == "octo-org/repo-0001"),
        "{one:?}"
    );
    let tail = &TOKEN[TOKEN.len() - 4..];
    assert_eq!(entries(&hub, d, &["--token", tail]).len(), all.len());
    assert!(entries(&hub, d, &["--token", "zzzz"]).is_empty());
    assert!(entries(&hub, d, &["--token", "anonymous"]).is_empty());
    assert_eq!(entries(&hub, d, &["--since", "1h"]).len(), all.len());

    // Bad filters: exit 2, saying which flag.
    for (args, flag) in [
        (&["audit", "--since", "yesterday"][..], "--since"),
        (&["audit", "--repo", "not a repo"][..], "--repo"),
    ] {
        let out = rd(&hub, d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(flag));
    }

    // The table: a header, the rows, the per-token footer.
    let table = ok(&rd(&hub, d, &["audit"]));
    assert!(table.starts_with("TIME (UTC)"), "{table}");
    assert!(table.contains("Per token since"), "{table}");
    assert!(table.contains("env"), "{table}");
    let json = ok(&rd(&hub, d, &["audit", "--json"]));

    // The token's characters: nowhere on disk (store, log files, mirrors), nor in either output.
    let on_disk = files(d);
    assert!(
        on_disk
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains("logs"))
    );
    for (path, bytes) in &on_disk {
        assert_eq!(leaks(bytes), Vec::<String>::new(), "{}", path.display());
    }
    assert_eq!(leaks(table.as_bytes()), Vec::<String>::new());
    assert_eq!(leaks(json.as_bytes()), Vec::<String>::new());
}
