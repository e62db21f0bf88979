//! The CLI commands that talk to GitHub, attached: with `repodeck serve` (the real binary, against
//! an in-process fakehub) holding the store, `import`, `search`, `hook list|create|delete`,
//! `hook secret show`, `token list` and `token check` run on the host and print exactly what the
//! local command printed, with the same exit code; the host's own GitHub client sent their
//! requests (its request count grows by what fakehub counted). The vault changes that must own the
//! store name the process to stop. An attached `sync` says the host's rate-limit waits and refuses
//! `--rest`. A process of another uid is refused by the peer-credential check.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::Duration;

use repodeck::fakehub::FaultRule;
use repodeck::host::client::{AttachError, Attached};
use serde_json::Value;

mod host_support;
use host_support::{Env, stderr, text};

const TOKEN: &str = "ghp_attachclitest00000000000000000000000";
const SECRET: &str = "attach-cli-secret-0123456789abcdefghijklmn";
/// The child of `a_process_of_another_uid_is_refused`, run as that uid, reads its data dir here.
const CHILD_DIR: &str = "REPODECK_ATTACH_CHILD_DIR";

/// The host's request count, once its engine has been quiet for 500 ms (its start-up work
/// done), with fakehub's counters reset at that moment.
fn settled(env: &Env) -> u64 {
    let mut last = None;
    loop {
        let now = env.rt.block_on(async {
            let conn = Attached::connect(&env.data()).await.unwrap();
            conn.accounting().await.unwrap().unwrap()[0]
        });
        if last == Some(now) {
            env.hub.reset_stats();
            return now;
        }
        last = Some(now);
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn host_requests(env: &Env) -> u64 {
    env.rt.block_on(async {
        let conn = Attached::connect(&env.data()).await.unwrap();
        conn.accounting().await.unwrap().unwrap()[0]
    })
}

/// Local and attached runs printed the same and ended the same.
fn same(what: &str, local: &Output, attached: &Output) {
    assert_eq!(
        local.status.code(),
        attached.status.code(),
        "{what}: exit codes\nlocal: {}\nattached: {}",
        text(local),
        text(attached)
    );
    assert_eq!(
        String::from_utf8_lossy(&local.stdout),
        String::from_utf8_lossy(&attached.stdout),
        "{what}: stdout"
    );
    assert_eq!(stderr(local), stderr(attached), "{what}: stderr");
}

/// Runs `args` attached and checks that the host's own client sent every request fakehub saw
/// (and that there were some).
fn hosted(env: &Env, args: &[&str], stdin: &str) -> Output {
    let before = settled(env);
    let out = env.run(args, stdin);
    let sent = env.hub.stats().requests;
    assert!(sent > 0, "{args:?} sent nothing: {}", text(&out));
    assert_eq!(
        host_requests(env) - before,
        sent,
        "{args:?}: the host's client sent every request fakehub counted"
    );
    out
}

#[test]
fn github_commands_run_on_the_host_with_the_same_output_and_exit_code() {
    let env = Env::new(12, TOKEN, Some("0.1"));
    env.ok(&["import", "--org", "octo-org"]);
    env.run(&["hook", "secret", "set"], SECRET);
    env.run(&["token", "set"], TOKEN);
    // Nothing listens there: GitHub's deliveries fail, and send nothing fakehub would count.
    let url = "http://127.0.0.1:9/webhooks/github".to_string();
    env.ok(&["hook", "create", "--all", "--url", &url]);
    env.ok(&["remove", "octo-org/repo-0003"]);
    // What the local commands print (run twice where the first run changes something).
    let local = |args: &[&str]| env.run(args, "");
    let cases: Vec<Vec<String>> = [
        vec!["import", "--org", "octo-org"],
        vec!["search", "repo", "--json", "--limit", "5"],
        vec!["search", "repo", "--limit", "5"],
        vec!["hook", "list"],
        vec!["hook", "list", "--json"],
        vec!["hook", "create", "--all", "--url", &url],
        vec!["hook", "secret", "show", "--json"],
        vec!["token", "list"],
        vec!["token", "list", "--json"],
        // Failures: a search GitHub refuses and a hook list of an unknown org.
        vec!["hook", "list", "--org", "no-such-org"],
        vec!["search", "   "],
    ]
    .iter()
    .map(|a| a.iter().map(|s| s.to_string()).collect())
    .collect();
    // The import re-adds repo-0003; remove it again so both runs see the same store.
    let mut expected = Vec::new();
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expected.push(local(&args));
        if args[0] == "import" {
            env.ok(&["remove", "octo-org/repo-0003"]);
        }
    }
    let first_import = &expected[0];
    assert!(
        String::from_utf8_lossy(&first_import.stdout).contains("(1 new,"),
        "{}",
        text(first_import)
    );
    assert_eq!(expected[9].status.code(), Some(1), "{}", text(&expected[9]));
    assert_eq!(
        expected[10].status.code(),
        Some(2),
        "{}",
        text(&expected[10])
    );

    let mut serve = env.serve();
    for (args, local) in cases.iter().zip(&expected) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let talks = !matches!(args.as_slice(), ["hook", "secret", ..] | ["search", "   "])
            && args[..2] != ["token", "list"];
        let attached = if talks {
            hosted(&env, &args, "")
        } else {
            env.run(&args, "")
        };
        same(&args.join(" "), local, &attached);
        if args[0] == "import" {
            // The import tracked repo-0003 through the host: the host's list has it.
            let list = env.ok(&["list", "--json"]);
            let list: Value = serde_json::from_slice(&list.stdout).unwrap();
            assert!(list.to_string().contains("octo-org/repo-0003"), "{list}");
            env.ok(&["remove", "octo-org/repo-0003"]);
        }
    }

    // search --add through the host tracks the hit.
    let hits: Value = serde_json::from_slice(
        &env.ok(&["search", "repo", "--json", "--limit", "20"])
            .stdout,
    )
    .unwrap();
    let n = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .position(|h| h["full_name"] == "octo-org/repo-0003")
        .unwrap()
        + 1;
    let n = n.to_string();
    let added = hosted(&env, &["search", "repo", "--limit", "20", "--add", &n], "");
    assert!(
        String::from_utf8_lossy(&added.stdout).contains("added octo-org/repo-0003"),
        "{}",
        text(&added)
    );

    // hook delete through the host: every tracked repo's hook is gone.
    let tracked: Value = serde_json::from_slice(&env.ok(&["list", "--json"]).stdout).unwrap();
    let deleted = hosted(&env, &["hook", "delete", "--all", "--url", &url], "");
    assert_eq!(deleted.status.code(), Some(0), "{}", text(&deleted));
    assert_eq!(
        String::from_utf8_lossy(&deleted.stdout)
            .matches("deleted 1 hook(s)")
            .count(),
        tracked.as_array().unwrap().len()
    );

    // The vault's changes name the process to stop and change nothing.
    let pid = serve.id();
    for (args, stdin) in [
        (vec!["token", "set"], TOKEN),
        (vec!["token", "rm"], ""),
        (vec!["token", "rotate-identity"], ""),
        (vec!["hook", "secret", "set", "--replace"], SECRET),
        (vec!["hook", "secret", "generate", "--replace"], ""),
    ] {
        let out = env.run(&args, stdin);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let msg = stderr(&out);
        assert!(
            msg.contains(&format!(
                "hosted by repodeck serve, pid {pid}: stop it with `kill {pid}`"
            )),
            "{args:?}: {msg}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out));
    }
    let tokens = env.ok(&["token", "list", "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&tokens.stdout),
        String::from_utf8_lossy(&expected[8].stdout),
        "the token is still stored"
    );

    // `token check` (it records when it checked: compared with a local run after the host).
    let attached = env.run(&["token", "check"], "");
    serve.kill().unwrap();
    serve.wait().unwrap();
    let local = env.run(&["token", "check"], "");
    assert!(
        String::from_utf8_lossy(&local.stdout).contains("valid, login octocat"),
        "{}",
        text(&local)
    );
    same("token check", &local, &attached);
}

#[test]
fn an_attached_sync_says_the_hosts_waits_and_refuses_rest() {
    let env = Env::new(6, TOKEN, Some("0.1"));
    env.ok(&["import", "--org", "octo-org"]);
    env.run(&["hook", "secret", "set"], SECRET);
    env.ok(&["sync", "--all"]);
    let mut serve = env.serve();
    settled(&env);

    // --rest: the host's engine cannot switch for one request; refused before anything.
    let rest = env.run(&["sync", "--all", "--rest", "--json"], "");
    assert_eq!(rest.status.code(), Some(2), "{}", text(&rest));
    let pid = serve.id();
    assert!(
        stderr(&rest).contains(&format!(
            "--rest cannot be used while repodeck serve, pid {pid} holds the data directory"
        )),
        "{}",
        stderr(&rest)
    );
    assert!(
        stderr(&rest).contains(&format!("kill {pid}")),
        "{}",
        stderr(&rest)
    );
    assert!(rest.stdout.is_empty());
    assert_eq!(env.hub.stats().requests, 0, "nothing was sent");

    // A secondary limit the host's scheduler meets is said by the attached sync.
    let rule: FaultRule = serde_json::from_value(serde_json::json!(
        {"route": "/graphql", "kind": "secondary_limit", "retry_after": 30, "next": 1}
    ))
    .unwrap();
    env.hub.set_faults(vec![rule]);
    let out = env.run(&["sync", "--all", "--force", "--json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let err = stderr(&out);
    assert!(err.contains("attached to serve"), "{err}");
    assert!(err.contains("next try at"), "{err}");
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(env.hub.stats().secondary_limit_hits, 1);
    serve.kill().unwrap();
    serve.wait().unwrap();
}

/// The uid the other process runs as (`nobody`).
const OTHER_UID: u32 = 65534;

#[test]
fn a_process_of_another_uid_is_refused_by_the_peer_credential_check() {
    if euid() != 0 {
        println!("skipped: switching to another uid needs root; the unit test of check_peer runs");
        return;
    }
    use std::os::unix::process::CommandExt;
    let env = Env::new(3, TOKEN, Some("0.1"));
    env.ok(&["import", "--org", "octo-org"]);
    env.run(&["hook", "secret", "set"], SECRET);
    let before = env.ok(&["list", "--json"]).stdout;
    let mut serve = env.serve();
    // Reachable by anyone: only the credential check stands between the other uid and the host.
    let sock = env.data().join("repodeck.sock");
    for (p, mode) in [
        (env.dir.path().to_path_buf(), 0o711),
        (env.data(), 0o711),
        (sock.clone(), 0o666),
    ] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "another_uid_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, env.data())
        .current_dir("/")
        .uid(OTHER_UID)
        .gid(OTHER_UID)
        .output()
        .unwrap();
    let said = text(&child);
    assert!(child.status.success(), "the child failed: {said}");
    assert!(
        said.contains(&format!(
            "REFUSED: refused: this repodeck host belongs to uid 0, and uid {OTHER_UID} may not attach to it"
        )),
        "{said}"
    );
    // Nothing changed, and the host still serves its own user.
    let after = env.ok(&["list", "--json"]).stdout;
    assert_eq!(before, after);
    serve.kill().unwrap();
    serve.wait().unwrap();
}

/// Run as another uid by the test above: tries to attach and add a repo, and says what happened.
#[test]
#[ignore = "run as another uid by a_process_of_another_uid_is_refused_by_the_peer_credential_check"]
fn another_uid_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(euid(), OTHER_UID);
    match rt.block_on(Attached::connect(std::path::Path::new(&dir))) {
        Err(AttachError::Refused(msg)) => println!("REFUSED: {msg}"),
        Err(e) => panic!("not refused by the host: {e}"),
        Ok(conn) => {
            let key = repodeck::domain::RepoKey::parse("octo-org/intruder").unwrap();
            let r = rt.block_on(conn.ask(repodeck::host::protocol::Request::Add(key)));
            panic!("attached as another uid: {r:?}");
        }
    }
}

/// This process's effective uid: the owner of its `/proc/self`.
fn euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid()
}
