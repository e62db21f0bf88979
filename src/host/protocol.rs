//! The host's wire protocol: what an attached client and its host say over the data dir's Unix
//! socket. Frames are `tokio_util`'s length-delimited codec (4-byte big-endian length) around one
//! serde_json message each. The first frames are the handshake (`Hello` -> `Welcome` or
//! `Refused`); then requests (store queries, answered by id, large lists in pages), engine
//! commands (the engine's own `SyncCommand`) and, after `Subscribe`, every `SyncEvent` the host's
//! engine reports.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::codec::LengthDelimitedCodec;

use crate::cli::HookCommand;
use crate::domain::{
    ActivityEntry, ImportOptions, LocalId, RepoDetails, RepoId, RepoKey, TrackedRepo, WaitReason,
};
use crate::sync::{SyncCommand, SyncEvent};

/// The protocol's own number; a change of the messages below bumps it (3: the insight fields,
/// the statistics and attention commands and events; 4: `FetchItems` and its events).
pub const PROTOCOL: u32 = 4;

/// This build's version, as the handshake names it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Repos per `Reply::Repos` frame: 10,000 repos are 20 frames, never one huge one.
pub const PAGE: usize = 500;

/// The largest frame either side accepts (a page of repos is far below it).
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// The codec both sides frame with.
pub fn codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .max_frame_length(MAX_FRAME)
        .new_codec()
}

/// What kind of process hosts the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostKind {
    Serve,
    Tui,
    Sync,
    /// `activity --follow` on its own.
    Follow,
}

impl HostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Serve => "serve",
            HostKind::Tui => "the TUI",
            HostKind::Sync => "sync",
            HostKind::Follow => "activity --follow",
        }
    }
}

/// Who the host is, as `Welcome` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub kind: HostKind,
    pub pid: u32,
    pub version: String,
    /// The host is a daemon receiving webhooks: its updates are live.
    pub live: bool,
    /// The host runs a sync engine (a TUI with a locked vault or offline does not).
    pub engine: bool,
}

impl HostInfo {
    /// The process, as a user finds it in `ps`: `repodeck serve, pid 42`.
    pub fn process(&self) -> String {
        let what = match self.kind {
            HostKind::Serve => "repodeck serve",
            HostKind::Tui => "the repodeck TUI",
            HostKind::Sync => "repodeck sync",
            HostKind::Follow => "repodeck activity --follow",
        };
        format!("{what}, pid {}", self.pid)
    }
}

impl std::fmt::Display for HostInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, pid {}", self.kind.as_str(), self.pid)
    }
}

/// Client -> host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ClientMsg {
    Hello {
        version: String,
        protocol: u32,
    },
    Request {
        id: u64,
        req: Request,
    },
    /// Work for the host's engine (`Shutdown` is ignored: a client detaches by closing).
    Command(SyncCommand),
    /// From now on, push every engine event.
    Subscribe,
}

/// A store query or change, answered by one or more `Reply` frames with the same id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Request {
    /// Every tracked repo, in pages of [`PAGE`].
    List,
    Find(RepoKey),
    Details(LocalId),
    Activity {
        repo: Option<RepoId>,
        since: Option<DateTime<Utc>>,
        limit: usize,
    },
    Add(RepoKey),
    Remove(RepoKey),
    /// The host's request accounting (for `sync`'s summary).
    Accounting,
    FirstByName(usize),
    MarkRead(Option<RepoId>),
    /// A CLI command the host runs with its own store and GitHub clients (one rate budget):
    /// answered by `Output` frames as it prints, then one `Exit`.
    Run(RemoteCommand),
    /// The host's rate-limit waits, as they change: `Wait` frames until the connection closes.
    Waits,
}

/// The CLI commands an attached `repodeck` has its host run (the ones that talk to GitHub or
/// read the vault's public records); the output, `--json` and exit code are the local command's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum RemoteCommand {
    Import(ImportOptions),
    Search {
        query: String,
        add: Vec<usize>,
        limit: usize,
        json: bool,
    },
    /// `hook create|list|delete|ping` and `hook secret show` (never `generate` / `set`).
    Hook(HookCommand),
    TokenList {
        json: bool,
    },
    TokenCheck,
}

/// Host -> client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum HostMsg {
    Welcome(HostInfo),
    /// The handshake failed (another version, another user): the message says what to do.
    Refused {
        message: String,
    },
    Reply {
        id: u64,
        reply: Reply,
    },
    Event(SyncEvent),
}

/// One answer frame.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Reply {
    /// One page; `last` ends the answer.
    Repos {
        repos: Vec<TrackedRepo>,
        last: bool,
    },
    Repo(Option<Box<TrackedRepo>>),
    Details(Option<Box<RepoDetails>>),
    Activity(Vec<ActivityEntry>),
    Added {
        new: bool,
        id: LocalId,
    },
    Removed(bool),
    Done,
    /// Requests, 304s, points of core, graphql, search; `None` when the host has no client.
    Accounting(Option<[u64; 5]>),
    /// The request failed; `input` is a store error the user can act on (exit 2).
    Error {
        message: String,
        input: bool,
    },
    /// What a `Run` command printed, on stdout or (`err`) stderr.
    Output {
        err: bool,
        text: String,
    },
    /// A `Run` command ended: exit code 0 or 1 without `error`; 1 or 2 with the error main
    /// prints as `error: ...`.
    Exit {
        code: u8,
        error: Option<String>,
    },
    /// One of the host's clients (`repo`: a repository's own token; `None`: the main one) now
    /// waits until `until` (`None`: no longer waits). `threshold_ms`: waits shorter than this are
    /// not worth saying.
    Wait {
        repo: Option<String>,
        wait: Option<(WaitReason, DateTime<Utc>)>,
        threshold_ms: u64,
    },
}

impl Reply {
    /// Whether this frame ends its request's answer.
    pub fn is_last(&self) -> bool {
        !matches!(
            self,
            Reply::Repos { last: false, .. } | Reply::Output { .. } | Reply::Wait { .. }
        )
    }
}

/// The host's answer to a `Hello`: refused when the versions differ, with both named.
pub fn check_hello(version: &str, protocol: u32, host: &HostInfo) -> Result<(), String> {
    if version == VERSION && protocol == PROTOCOL {
        return Ok(());
    }
    Err(format!(
        "this repodeck is version {version} (protocol {protocol}), but the data directory is hosted by \
         {host} running repodeck {} (protocol {PROTOCOL}): use the same version as the host, or stop \
         the host and run this again",
        host.version
    ))
}

/// Encodes one message as a frame body.
pub fn encode<T: Serialize>(msg: &T) -> Result<tokio_util::bytes::Bytes, serde_json::Error> {
    serde_json::to_vec(msg).map(tokio_util::bytes::Bytes::from)
}

/// Decodes one frame body.
pub fn decode<T: for<'de> Deserialize<'de>>(frame: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> HostInfo {
        HostInfo {
            kind: HostKind::Serve,
            pid: 42,
            version: VERSION.into(),
            live: true,
            engine: true,
        }
    }

    #[test]
    fn a_client_of_another_version_is_refused_with_both_versions_named() {
        assert!(check_hello(VERSION, PROTOCOL, &info()).is_ok());
        let e = check_hello("0.0.1-old", PROTOCOL, &info()).unwrap_err();
        assert!(e.contains("version 0.0.1-old"), "{e}");
        assert!(e.contains(&format!("repodeck {VERSION}")), "{e}");
        assert!(e.contains("serve, pid 42"), "{e}");
        assert!(check_hello(VERSION, PROTOCOL + 1, &info()).is_err());
    }

    #[test]
    fn events_and_commands_round_trip() {
        let ev = SyncEvent::Finished {
            id: LocalId(3),
            outcome: crate::sync::Outcome::Synced {
                changes: vec![crate::domain::Change::Stars { delta: 2 }],
            },
            cost: crate::sync::JobCost::default(),
            duration_ms: 5,
            repo: None,
        };
        let back: HostMsg = decode(&encode(&HostMsg::Event(ev.clone())).unwrap()).unwrap();
        assert!(matches!(back, HostMsg::Event(e) if e == ev));
        let c = SyncCommand::SyncAll {
            force: true,
            priority: crate::domain::Priority::User,
        };
        let back: ClientMsg = decode(&encode(&ClientMsg::Command(c.clone())).unwrap()).unwrap();
        assert!(matches!(back, ClientMsg::Command(x) if x == c));
    }
}
