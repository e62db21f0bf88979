//! One store, many views: the process that owns a data dir (`serve`, the TUI, a `sync` run) is
//! its **host**. It listens on `<data dir>/repodeck.sock` (mode 0600, the peer's uid must be the
//! socket owner's), answers store queries, runs attached clients' `SyncCommand`s on its own engine
//! (one scheduler, one rate budget) and pushes every `SyncEvent` to the clients that subscribed.
//! A later `repodeck` on the same data dir gets `StoreError::Locked` and attaches ([`client`])
//! instead of failing.
//!
//! Neighbours: below it `session`, `sync` (commands, events, the engine handle), `github`
//! (accounting), `store`; above it the front ends, which start a host ([`Host::start`]), hand it
//! their engine ([`Host::adopt`]) and read through [`source::DataSource`].

pub mod client;
pub mod protocol;
pub mod source;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{broadcast, mpsc};
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use crate::github::GithubClient;
use crate::session::Clients;
use crate::store::{Added, Store};
use crate::sync::{EngineHandle, SyncCommand, SyncEvent};
use protocol::{ClientMsg, HostMsg, PAGE, Reply, Request};
pub use protocol::{HostInfo, HostKind, RemoteCommand};

/// The socket's file name in the data dir.
pub const SOCKET: &str = "repodeck.sock";

/// Events buffered per subscriber before a slow one is told it missed some.
const BUS: usize = 16 * 1024;

/// How long a client may take to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket path of a data dir.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Why a host could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {path} for attached views: {source}")]
pub struct HostError {
    path: PathBuf,
    source: std::io::Error,
}

/// Whether a peer may attach: only the user who owns the host's socket (the host's own uid).
pub fn check_peer(peer_uid: Option<u32>, owner_uid: u32) -> Result<(), String> {
    match peer_uid {
        Some(uid) if uid == owner_uid => Ok(()),
        Some(uid) => Err(format!(
            "refused: this repodeck host belongs to uid {owner_uid}, and uid {uid} may not attach to it; \
             run repodeck as that user, or use a data directory of your own (--data-dir)"
        )),
        None => Err("refused: the peer's credentials could not be read".into()),
    }
}

/// Runs the CLI commands attached clients hand to the host (`Request::Run`). The commands live
/// above this layer, so `main` installs their runner once per process ([`install_runner`]).
pub trait Runner: Send + Sync {
    /// Runs `cmd` as the local command would, printing to `out` / `err`: `Ok(exit code)` (0 or
    /// 1), or `Err((exit code, message))` for a command that failed as a whole.
    fn run(
        &self,
        cmd: RemoteCommand,
        host: &Hosted,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> Result<u8, (u8, String)>;
}

/// What a hosted command runs with: the host's store, its GitHub clients (when its engine runs
/// over them: one scheduler, one rate budget), its runtime and who it is.
pub struct Hosted {
    pub store: Arc<Store>,
    pub clients: Option<Clients>,
    pub rt: tokio::runtime::Handle,
    pub info: HostInfo,
    shared: Arc<Shared>,
}

impl Hosted {
    /// Reports an event of the command's (repos it started tracking) to every attached view.
    pub fn emit(&self, ev: SyncEvent) {
        self.shared.emit(ev);
    }
}

static RUNNER: OnceLock<Arc<dyn Runner>> = OnceLock::new();

/// Installs the process's command runner (the first one installed stays).
pub fn install_runner(runner: Arc<dyn Runner>) {
    let _ = RUNNER.set(runner);
}

/// A running host; dropping it stops listening and removes the socket.
pub struct Host {
    shared: Arc<Shared>,
}

struct Shared {
    store: Arc<Store>,
    info: Mutex<HostInfo>,
    socket: PathBuf,
    owner_uid: u32,
    bus: broadcast::Sender<SyncEvent>,
    engine: Mutex<Option<mpsc::UnboundedSender<SyncCommand>>>,
    /// Events the host itself reports (a repo added by a client), merged into the engine's.
    inject: Mutex<Option<mpsc::UnboundedSender<SyncEvent>>>,
    client: Mutex<Option<GithubClient>>,
    /// Every client the engine runs over, for hosted commands and the rate-limit waits.
    clients: Mutex<Option<Clients>>,
    stop: CancellationToken,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Host {
    /// Listens on the data dir's socket. The caller holds the store's lock, so a socket file
    /// already there was left by a host that died: it is removed. Call inside the runtime.
    pub fn start(data_dir: &Path, store: Arc<Store>, kind: HostKind) -> Result<Host, HostError> {
        let path = socket_path(data_dir);
        let err = |source| HostError {
            path: path.clone(),
            source,
        };
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::info!(path = %path.display(), "removed a stale host socket"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let listener = UnixListener::bind(&path).map_err(err)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
        let owner_uid = std::fs::metadata(&path).map_err(err)?.uid();
        let (bus, _) = broadcast::channel(BUS);
        let shared = Arc::new(Shared {
            store,
            info: Mutex::new(HostInfo {
                kind,
                pid: std::process::id(),
                version: protocol::VERSION.into(),
                live: kind == HostKind::Serve,
                engine: false,
            }),
            socket: path,
            owner_uid,
            bus,
            engine: Mutex::new(None),
            inject: Mutex::new(None),
            client: Mutex::new(None),
            clients: Mutex::new(None),
            stop: CancellationToken::new(),
        });
        tokio::spawn(accept(shared.clone(), listener));
        tracing::info!(socket = %shared.socket.display(), "hosting the store for attached views");
        Ok(Host { shared })
    }

    /// Takes the owner's engine: attached clients' commands go to it, and its events reach the
    /// owner (through the returned handle) and every subscribed client. `client` is the engine's
    /// main GitHub client, for `sync`'s request accounting.
    pub fn adopt(&self, engine: EngineHandle, client: Option<GithubClient>) -> EngineHandle {
        let (owner_tx, owner_rx) = mpsc::unbounded_channel();
        let (inject_tx, inject_rx) = mpsc::unbounded_channel();
        *lock(&self.shared.engine) = Some(engine.commands.clone());
        *lock(&self.shared.inject) = Some(inject_tx);
        *lock(&self.shared.client) = client;
        lock(&self.shared.info).engine = true;
        tokio::spawn(relay(
            engine.events,
            inject_rx,
            owner_tx,
            self.shared.bus.clone(),
        ));
        EngineHandle {
            commands: engine.commands,
            events: owner_rx,
        }
    }

    /// The clients the adopted engine runs over (clones: the same schedulers): hosted commands
    /// send their requests through them, and attached `sync`s hear their waits.
    pub fn share_clients(&self, clients: Clients) {
        lock(&self.shared.client).get_or_insert_with(|| clients.client.clone());
        *lock(&self.shared.clients) = Some(clients);
    }

    pub fn info(&self) -> HostInfo {
        lock(&self.shared.info).clone()
    }

    /// How many clients are subscribed to events now.
    pub fn subscribers(&self) -> usize {
        self.shared.bus.receiver_count()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.shared.stop.cancel();
        let _ = std::fs::remove_file(&self.shared.socket);
    }
}

/// Engine events (and the host's own) to the owner and the bus, until the engine stops.
async fn relay(
    mut events: mpsc::UnboundedReceiver<SyncEvent>,
    mut inject: mpsc::UnboundedReceiver<SyncEvent>,
    owner: mpsc::UnboundedSender<SyncEvent>,
    bus: broadcast::Sender<SyncEvent>,
) {
    loop {
        let ev = tokio::select! {
            e = events.recv() => match e {
                Some(e) => e,
                None => break,
            },
            Some(e) = inject.recv() => e,
        };
        let _ = bus.send(ev.clone());
        let _ = owner.send(ev);
    }
}

impl Shared {
    /// An event of the host's own: through the engine's stream when there is one.
    fn emit(&self, ev: SyncEvent) {
        let ev = match lock(&self.inject).as_ref() {
            Some(tx) => match tx.send(ev) {
                Ok(()) => return,
                Err(e) => e.0,
            },
            None => ev,
        };
        let _ = self.bus.send(ev);
    }
}

async fn accept(shared: Arc<Shared>, listener: UnixListener) {
    loop {
        let conn = tokio::select! {
            () = shared.stop.cancelled() => return,
            c = listener.accept() => c,
        };
        match conn {
            Ok((stream, _)) => {
                tokio::spawn(connection(shared.clone(), stream));
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting an attached view failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

type Conn = Framed<UnixStream, tokio_util::codec::LengthDelimitedCodec>;

async fn send(framed: &mut Conn, msg: &HostMsg) -> bool {
    match protocol::encode(msg) {
        Ok(b) => framed.send(b).await.is_ok(),
        Err(_) => false,
    }
}

/// The handshake: the peer's uid, then its `Hello`. `None` when it was refused.
async fn handshake(shared: &Shared, stream: UnixStream) -> Option<Conn> {
    let peer = stream.peer_cred().ok().map(|c| c.uid());
    let mut framed = Framed::new(stream, protocol::codec());
    let info = lock(&shared.info).clone();
    if let Err(message) = check_peer(peer, shared.owner_uid) {
        tracing::warn!(peer, "{message}");
        send(&mut framed, &HostMsg::Refused { message }).await;
        return None;
    }
    let hello = tokio::time::timeout(HELLO_TIMEOUT, framed.next()).await;
    let Ok(Some(Ok(frame))) = hello else {
        return None;
    };
    let refusal = match protocol::decode::<ClientMsg>(&frame) {
        Ok(ClientMsg::Hello { version, protocol }) => {
            protocol::check_hello(&version, protocol, &info).err()
        }
        Ok(_) | Err(_) => Some(format!(
            "the data directory is hosted by {info} running repodeck {}, which did not understand \
             this client: use the same version as the host",
            info.version
        )),
    };
    if let Some(message) = refusal {
        tracing::warn!("{message}");
        send(&mut framed, &HostMsg::Refused { message }).await;
        return None;
    }
    send(&mut framed, &HostMsg::Welcome(info))
        .await
        .then_some(framed)
}

/// One attached client: its requests and commands in; replies and events out.
async fn connection(shared: Arc<Shared>, stream: UnixStream) {
    let Some(framed) = handshake(&shared, stream).await else {
        return;
    };
    let (mut sink, mut frames) = framed.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<HostMsg>();
    let writer = tokio::spawn(async move {
        while let Some(msg) = out_rx.recv().await {
            let Ok(b) = protocol::encode(&msg) else {
                continue;
            };
            if sink.send(b).await.is_err() {
                break;
            }
        }
    });
    let mut events: Option<broadcast::Receiver<SyncEvent>> = None;
    // Ends what runs for this client alone (its waits stream) when it goes.
    let closed = shared.stop.child_token();
    loop {
        tokio::select! {
            () = shared.stop.cancelled() => break,
            frame = frames.next() => {
                let Some(Ok(frame)) = frame else { break };
                match protocol::decode::<ClientMsg>(&frame) {
                    Ok(ClientMsg::Subscribe) => events = Some(shared.bus.subscribe()),
                    Ok(msg) => handle(&shared, msg, &out_tx, &closed),
                    Err(e) => tracing::warn!(error = %e, "an attached view sent a bad frame"),
                }
            }
            ev = next_event(&mut events) => {
                if out_tx.send(HostMsg::Event(ev)).is_err() {
                    break;
                }
            }
        }
    }
    closed.cancel();
    drop(out_tx);
    let _ = writer.await;
}

/// The next event for a subscribed client; pends forever for one that did not subscribe.
async fn next_event(events: &mut Option<broadcast::Receiver<SyncEvent>>) -> SyncEvent {
    let Some(rx) = events else {
        return std::future::pending().await;
    };
    match rx.recv().await {
        Ok(ev) => ev,
        Err(broadcast::error::RecvError::Lagged(n)) => SyncEvent::Error {
            message: format!(
                "this view fell behind the host and missed {n} updates; reopen it to see them"
            ),
        },
        Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
    }
}

fn handle(
    shared: &Arc<Shared>,
    msg: ClientMsg,
    out: &mpsc::UnboundedSender<HostMsg>,
    closed: &CancellationToken,
) {
    match msg {
        ClientMsg::Command(SyncCommand::Shutdown) | ClientMsg::Hello { .. } => {}
        ClientMsg::Command(c) => {
            let sent = lock(&shared.engine)
                .as_ref()
                .is_some_and(|tx| tx.send(c).is_ok());
            if !sent {
                let info = lock(&shared.info).clone();
                let _ = out.send(HostMsg::Event(SyncEvent::Error {
                    message: format!(
                        "the host ({info}) has no sync engine running (its token vault is locked, or it \
                         is offline): unlock it there, or stop it and run this again"
                    ),
                }));
            }
        }
        ClientMsg::Subscribe => {}
        ClientMsg::Request {
            id,
            req: Request::Waits,
        } => waits(shared, id, out.clone(), closed.clone()),
        ClientMsg::Request {
            id,
            req: Request::Run(cmd),
        } => {
            let hosted = Hosted {
                store: shared.store.clone(),
                clients: lock(&shared.clients).clone(),
                rt: tokio::runtime::Handle::current(),
                info: lock(&shared.info).clone(),
                shared: shared.clone(),
            };
            let out = out.clone();
            // The command blocks (it waits on GitHub through `hosted.rt`): a thread of its own.
            tokio::task::spawn_blocking(move || run(cmd, &hosted, id, &out));
        }
        ClientMsg::Request { id, req } => {
            let shared = shared.clone();
            let out = out.clone();
            // Store reads are blocking sled calls: off the async workers.
            tokio::task::spawn_blocking(move || answer(&shared, id, req, &out));
        }
    }
}

/// Prints of a hosted command, as `Output` frames.
struct Frames {
    id: u64,
    err: bool,
    out: mpsc::UnboundedSender<HostMsg>,
}

impl std::io::Write for Frames {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let reply = Reply::Output {
            err: self.err,
            text: String::from_utf8_lossy(buf).into_owned(),
        };
        let _ = self.out.send(HostMsg::Reply { id: self.id, reply });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a client's command with the installed runner; its prints stream back as they come.
fn run(cmd: RemoteCommand, hosted: &Hosted, id: u64, out: &mpsc::UnboundedSender<HostMsg>) {
    let frames = |err| Frames {
        id,
        err,
        out: out.clone(),
    };
    let result = match RUNNER.get() {
        Some(runner) => runner.run(cmd, hosted, &mut frames(false), &mut frames(true)),
        None => Err((
            1,
            format!(
                "{} cannot run commands for attached views; use the same repodeck version as it",
                hosted.info.process()
            ),
        )),
    };
    let reply = match result {
        Ok(code) => Reply::Exit { code, error: None },
        Err((code, message)) => Reply::Exit {
            code,
            error: Some(message),
        },
    };
    let _ = out.send(HostMsg::Reply { id, reply });
}

/// Streams the waits of the host's clients (the main one and each repository token's) to one
/// client until it goes: the current wait of each first, then every change.
fn waits(shared: &Shared, id: u64, out: mpsc::UnboundedSender<HostMsg>, closed: CancellationToken) {
    let mut watched: Vec<(Option<String>, tokio::sync::watch::Receiver<_>)> = Vec::new();
    let mut threshold = Duration::from_secs(2);
    if let Some(c) = lock(&shared.clients).as_ref() {
        threshold = c.client.wait_notice_threshold();
        watched.push((None, c.client.rate_state()));
        let mut repos: Vec<_> = c.per_repo.iter().collect();
        repos.sort_by(|a, b| a.0.cmp(b.0));
        watched.extend(
            repos
                .into_iter()
                .map(|(r, c)| (Some(r.clone()), c.rate_state())),
        );
    } else if let Some(c) = lock(&shared.client).as_ref() {
        threshold = c.wait_notice_threshold();
        watched.push((None, c.rate_state()));
    }
    let threshold_ms = u64::try_from(threshold.as_millis()).unwrap_or(u64::MAX);
    let send =
        move |repo: &Option<String>,
              rx: &mut tokio::sync::watch::Receiver<crate::github::RateState>| {
            let wait = rx
                .borrow_and_update()
                .pause
                .as_ref()
                .map(|p| (p.reason.clone(), p.until));
            let reply = Reply::Wait {
                repo: repo.clone(),
                wait,
                threshold_ms,
            };
            out.send(HostMsg::Reply { id, reply }).is_ok()
        };
    tokio::spawn(async move {
        for (repo, rx) in &mut watched {
            send(repo, rx);
        }
        while !watched.is_empty() {
            let changed = watched.iter_mut().map(|(_, rx)| Box::pin(rx.changed()));
            let (r, i, _) = tokio::select! {
                () = closed.cancelled() => return,
                c = futures::future::select_all(changed) => c,
            };
            if r.is_err() {
                watched.swap_remove(i);
                continue;
            }
            let (repo, rx) = &mut watched[i];
            if !send(repo, rx) {
                return;
            }
        }
    });
}

fn answer(shared: &Shared, id: u64, req: Request, out: &mpsc::UnboundedSender<HostMsg>) {
    let reply = |reply: Reply| {
        let _ = out.send(HostMsg::Reply { id, reply });
    };
    let failed = |e: crate::store::StoreError| Reply::Error {
        message: e.to_string(),
        input: true,
    };
    let store = &shared.store;
    match req {
        Request::List => match store.list() {
            Ok(repos) => {
                let mut chunks = repos.chunks(PAGE).peekable();
                if chunks.peek().is_none() {
                    reply(Reply::Repos {
                        repos: Vec::new(),
                        last: true,
                    });
                }
                while let Some(page) = chunks.next() {
                    reply(Reply::Repos {
                        repos: page.to_vec(),
                        last: chunks.peek().is_none(),
                    });
                }
            }
            Err(e) => reply(failed(e)),
        },
        Request::Find(key) => reply(
            store
                .find(&key)
                .map_or_else(failed, |r| Reply::Repo(r.map(Box::new))),
        ),
        Request::Details(local) => reply(
            store
                .details(local)
                .map_or_else(failed, |d| Reply::Details(d.map(Box::new))),
        ),
        Request::Activity { repo, since, limit } => reply(
            store
                .activity(repo, since, limit)
                .map_or_else(failed, Reply::Activity),
        ),
        // A client's change is on disk before it is answered, as a local command's is when it
        // exits: a host killed right after loses nothing it confirmed.
        Request::Add(key) => reply(
            match store.add(&key).and_then(|a| store.flush().map(|()| a)) {
                Ok(Added::New(local)) => {
                    if let Ok(Some(r)) = store.find(&key) {
                        shared.emit(SyncEvent::Tracked { repos: vec![r] });
                    }
                    Reply::Added {
                        new: true,
                        id: local,
                    }
                }
                Ok(Added::Exists(local)) => Reply::Added {
                    new: false,
                    id: local,
                },
                Err(e) => failed(e),
            },
        ),
        Request::Remove(key) => {
            let found = store.find(&key).ok().flatten();
            reply(
                match store.remove(&key).and_then(|r| store.flush().map(|()| r)) {
                    Ok(removed) => {
                        if let (true, Some(r)) = (removed, found) {
                            shared.emit(SyncEvent::Untracked { id: r.local });
                        }
                        Reply::Removed(removed)
                    }
                    Err(e) => failed(e),
                },
            );
        }
        Request::FirstByName(n) => reply(
            store
                .first_by_name(n)
                .map_or_else(failed, |repos| Reply::Repos { repos, last: true }),
        ),
        Request::MarkRead(repo) => {
            reply(store.mark_read(repo).map_or_else(failed, |()| Reply::Done))
        }
        Request::Accounting => {
            let acc = lock(&shared.client).as_ref().map(|c| {
                let a = c.accounting();
                let p = |b: &str| a.points.get(b).copied().unwrap_or(0);
                [
                    a.requests,
                    a.not_modified,
                    p("core"),
                    p("graphql"),
                    p("search"),
                ]
            });
            reply(Reply::Accounting(acc));
        }
        // Handled by `handle` before a request gets here.
        Request::Run(_) | Request::Waits => reply(Reply::Error {
            message: "internal: a request was routed wrongly".into(),
            input: false,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints a line on each stream, then ends as the command asked.
    struct Echo;

    impl Runner for Echo {
        fn run(
            &self,
            cmd: RemoteCommand,
            host: &Hosted,
            out: &mut dyn std::io::Write,
            err: &mut dyn std::io::Write,
        ) -> Result<u8, (u8, String)> {
            let RemoteCommand::Search { query, .. } = cmd else {
                return Err((2, "not a search".into()));
            };
            let _ = writeln!(out, "out: {query} on {}", host.info.process());
            let _ = writeln!(err, "err: {query} ünïcode");
            match query.as_str() {
                "partial" => Ok(1),
                "fail" => Err((2, "bad input".into())),
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn a_hosted_command_streams_its_output_and_ends_with_its_exit_code() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap().0);
        let rt = crate::session::runtime().unwrap();
        install_runner(Arc::new(Echo));
        rt.block_on(async {
            let _host = Host::start(dir.path(), store, HostKind::Serve).unwrap();
            let conn = client::Attached::connect(dir.path()).await.unwrap();
            let pid = std::process::id();
            for (query, code, error) in [
                ("ok", 0, None),
                ("partial", 1, None),
                ("fail", 2, Some("bad input".to_string())),
            ] {
                let (mut out, mut err) = (Vec::new(), Vec::new());
                let cmd = RemoteCommand::Search {
                    query: query.into(),
                    add: Vec::new(),
                    limit: 5,
                    json: false,
                };
                let end = conn.run_command(cmd, &mut out, &mut err).await.unwrap();
                assert_eq!(end, (code, error));
                assert_eq!(
                    String::from_utf8(out).unwrap(),
                    format!("out: {query} on repodeck serve, pid {pid}\n")
                );
                assert_eq!(
                    String::from_utf8(err).unwrap(),
                    format!("err: {query} ünïcode\n")
                );
            }
        });
    }

    #[test]
    fn only_the_socket_owner_may_attach() {
        assert!(check_peer(Some(1000), 1000).is_ok());
        let e = check_peer(Some(1001), 1000).unwrap_err();
        assert!(e.contains("uid 1001 may not attach"), "{e}");
        assert!(check_peer(None, 1000).is_err());
    }
}
