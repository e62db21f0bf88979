//! Statistics through a host: a view attached to `repodeck serve` (the real binary, against an
//! in-process fakehub) sends `FetchStats` over the socket, the host's engine fetches and stores
//! them, and the `StatsFetched` event comes back to the view with the data.
use std::time::Duration;

use repodeck::host::client::Attached;
use repodeck::sync::{SyncCommand, SyncEvent};

mod host_support;
use host_support::Env;

const TOKEN: &str = "ghp_attachstats00000000000000000000000000";
const SECRET: &str = "attach-stats-secret-0123456789abcdefghijklm";

#[test]
fn an_attached_view_gets_statistics_from_the_hosts_engine() {
    let env = Env::new(3, TOKEN, None);
    env.ok(&["add", "octo-org/repo-0001"]);
    env.run(&["hook", "secret", "set"], SECRET);
    let key = repodeck::domain::RepoKey::parse("octo-org/repo-0001").unwrap();
    let id = {
        let (store, _) = repodeck::store::Store::open(&env.data()).unwrap();
        store.find(&key).unwrap().unwrap().local
    };
    let mut serve = env.serve();
    let got = env.rt.block_on(async {
        let attached = Attached::connect(&env.data()).await.unwrap();
        let mut engine = attached.engine().unwrap();
        engine.commands.send(SyncCommand::FetchStats(id)).unwrap();
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(30), engine.events.recv())
                .await
                .unwrap()
                .unwrap();
            match ev {
                SyncEvent::StatsFetched { id: got, stats } => break (got == id, *stats),
                SyncEvent::StatsFailed { message, .. } => panic!("{message}"),
                _ => {}
            }
        }
    });
    assert!(got.0, "the event names the repo asked for");
    assert_eq!(got.1.weekly_commits.len(), 52);
    assert!(!got.1.contributors.is_empty());
    assert!(
        env.hub
            .stats()
            .count("GET /repos/{owner}/{repo}/stats/contributors")
            >= 1
    );
    serve.kill().unwrap();
    serve.wait().unwrap();
}
