//! One store, many views: `repodeck serve` (the real binary, against an in-process fakehub) hosts
//! its data dir on a Unix socket, and later commands attach to it instead of failing on the
//! store's lock: `list`, `show`, `sync --all --json` (the host's engine does the work: fakehub
//! counts one scheduler's requests), `add`, `remove`; a command that must own the store names the
//! process to stop; a client of another version is refused with both versions named; after a
//! kill -9 of the host its stale socket is removed and the store opens again.
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use serde_json::Value;

mod host_support;
use host_support::{Env, stderr};

const TOKEN: &str = "ghp_attachtest000000000000000000000000000";
const SECRET: &str = "attach-test-secret-0123456789abcdefghijklmn";

#[test]
fn commands_attach_to_a_running_serve_and_share_its_engine() {
    let env = Env::new(30, TOKEN, None);
    env.ok(&["import", "--org", "octo-org"]);
    env.run(&["hook", "secret", "set"], SECRET);
    // A local sync first: what one scheduler asks of GitHub for these repos.
    env.ok(&["sync", "--all", "--json"]);
    env.hub.reset_stats();
    let local: Value = env.json(&["sync", "--all", "--json"]);
    let local_stats = env.hub.stats();
    let n = env.json(&["list", "--json"]).as_array().unwrap().len();
    assert!(n >= 30, "{n} tracked");

    let mut serve = env.serve();
    let sock = env.data().join("repodeck.sock");
    let mode = std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the socket is the user's only");

    // Reads go through the host.
    let list = env.json(&["list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), n);
    let first = list[0]["full_name"].as_str().unwrap().to_string();
    let show = env.json(&["show", &first, "--json"]);
    assert!(show.to_string().contains(&first), "{show}");

    // The sync is the host's engine's: same summary, same requests as one local run.
    std::thread::sleep(Duration::from_millis(300));
    env.hub.reset_stats();
    let out = env.run(&["sync", "--all", "--json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("attached to serve, pid {}", serve.id())),
        "{}",
        stderr(&out)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stats = env.hub.stats();
    assert_eq!(summary["repos"], n);
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(
        summary["synced"].as_u64().unwrap() + summary["unchanged"].as_u64().unwrap(),
        n as u64
    );
    assert_eq!(
        stats.graphql_queries, local_stats.graphql_queries,
        "one scheduler: the attached sync probes like one local run ({local})"
    );
    assert_eq!(summary["requests"].as_u64().unwrap(), stats.requests);

    // Changes through the host.
    let added = env.ok(&["add", "octo-org/attached-new"]);
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "added octo-org/attached-new\n"
    );
    assert_eq!(
        env.json(&["list", "--json"]).as_array().unwrap().len(),
        n + 1
    );
    let removed = env.ok(&["remove", "octo-org/attached-new"]);
    assert_eq!(
        String::from_utf8_lossy(&removed.stdout),
        "removed octo-org/attached-new\n"
    );
    let missing = env.run(&["remove", "octo-org/attached-new"], "");
    assert_eq!(missing.status.code(), Some(1));

    // A command that must own the store names the process to stop; nothing changes.
    let token = env.run(&["token", "rm"], "");
    assert_eq!(token.status.code(), Some(2));
    let msg = stderr(&token);
    assert!(
        msg.contains(&format!("hosted by repodeck serve, pid {}", serve.id())),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("stop it with `kill {}`", serve.id())),
        "{msg}"
    );

    // A client of another version is refused with both versions named.
    let refused = env
        .rt
        .block_on(repodeck::host::client::Attached::connect_as(
            &env.data(),
            "0.0.0-other",
        ));
    let Err(repodeck::host::client::AttachError::Refused(msg)) = refused else {
        panic!("another version was not refused");
    };
    assert!(msg.contains("version 0.0.0-other"), "{msg}");
    assert!(msg.contains(env!("CARGO_PKG_VERSION")), "{msg}");

    // kill -9: the socket is left behind, and the next opener removes it.
    serve.kill().unwrap();
    serve.wait().unwrap();
    assert!(sock.exists(), "a killed host leaves its socket");
    let list = env.json(&["list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), n, "the store opens locally");
    let mut again = env.serve();
    let out = env.ok(&["list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&first));
    again.kill().unwrap();
    again.wait().unwrap();
}
