//! The attached side: connects to a host's socket, says `Hello`, then sends requests and engine
//! commands and routes the host's replies (by request id) and events. [`Attached`] is the async
//! connection (the TUI's); [`AttachedSource`] wraps it with its own runtime as a blocking
//! [`DataSource`] for the CLI commands.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_util::codec::Framed;
use tokio_util::sync::CancellationToken;

use super::protocol::{self, ClientMsg, HostInfo, HostMsg, RemoteCommand, Reply, Request};
use super::source::{DataSource, SourceError};
use crate::domain::{ActivityEntry, LocalId, RepoDetails, RepoId, RepoKey, TrackedRepo};
use crate::store::Added;
use crate::sync::{EngineHandle, SyncCommand, SyncEvent};

/// A host that does not connect and answer `Hello` within this is treated as gone.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Why attaching failed.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// No socket, a refused connection, or no answer within [`CONNECT_TIMEOUT`].
    #[error("no repodeck host answers on {0}")]
    NoHost(String),
    /// The host refused this client (another version, another user).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Failed(String),
}

type Pending = Arc<Mutex<HashMap<u64, mpsc::UnboundedSender<Reply>>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A live connection to a host.
pub struct Attached {
    info: HostInfo,
    out: mpsc::UnboundedSender<ClientMsg>,
    pending: Pending,
    events: Mutex<Option<mpsc::UnboundedReceiver<SyncEvent>>>,
    next: AtomicU64,
    gone: CancellationToken,
}

impl Attached {
    /// Connects to the data dir's host and shakes hands, within [`CONNECT_TIMEOUT`].
    pub async fn connect(data_dir: &Path) -> Result<Attached, AttachError> {
        Self::connect_as(data_dir, protocol::VERSION).await
    }

    /// [`Attached::connect`] saying another version (tests of the version check).
    pub async fn connect_as(data_dir: &Path, version: &str) -> Result<Attached, AttachError> {
        let path = super::socket_path(data_dir);
        let no_host = || AttachError::NoHost(path.display().to_string());
        let shake = async {
            let stream = UnixStream::connect(&path).await.map_err(|_| no_host())?;
            let mut framed = Framed::new(stream, protocol::codec());
            let hello = ClientMsg::Hello {
                version: version.into(),
                protocol: protocol::PROTOCOL,
            };
            let bytes = protocol::encode(&hello).map_err(|e| AttachError::Failed(e.to_string()))?;
            // A host that refuses this peer answers without reading the `Hello` and closes:
            // the refusal may already wait to be read when the send fails.
            let _ = framed.send(bytes).await;
            match framed.next().await {
                Some(Ok(frame)) => match protocol::decode::<HostMsg>(&frame) {
                    Ok(HostMsg::Welcome(info)) => Ok((framed, info)),
                    Ok(HostMsg::Refused { message }) => Err(AttachError::Refused(message)),
                    _ => Err(AttachError::Refused(
                        "the repodeck hosting this data directory speaks another protocol: use the \
                         same version as the host, or stop it and run this again"
                            .into(),
                    )),
                },
                _ => Err(no_host()),
            }
        };
        let (framed, info) = tokio::time::timeout(CONNECT_TIMEOUT, shake)
            .await
            .map_err(|_| no_host())??;
        Ok(Self::run(framed, info))
    }

    fn run(
        framed: Framed<UnixStream, tokio_util::codec::LengthDelimitedCodec>,
        info: HostInfo,
    ) -> Attached {
        let (mut sink, mut frames) = framed.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<ClientMsg>();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let pending: Pending = Arc::default();
        let gone = CancellationToken::new();
        tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let Ok(b) = protocol::encode(&msg) else {
                    continue;
                };
                if sink.send(b).await.is_err() {
                    break;
                }
            }
        });
        let (p, g) = (pending.clone(), gone.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = frames.next().await {
                match protocol::decode::<HostMsg>(&frame) {
                    Ok(HostMsg::Reply { id, reply }) => {
                        let last = reply.is_last();
                        let mut map = lock(&p);
                        if let Some(tx) = map.get(&id) {
                            let _ = tx.send(reply);
                        }
                        if last {
                            map.remove(&id);
                        }
                    }
                    Ok(HostMsg::Event(ev)) => {
                        let _ = ev_tx.send(ev);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the host sent a bad frame"),
                }
            }
            // The host is gone: every waiting request ends, the event stream closes. Cancelled
            // first, so a request made meanwhile sees it instead of waiting for ever.
            g.cancel();
            lock(&p).clear();
        });
        Attached {
            info,
            out,
            pending,
            events: Mutex::new(Some(ev_rx)),
            next: AtomicU64::new(1),
            gone,
        }
    }

    pub fn info(&self) -> &HostInfo {
        &self.info
    }

    /// Cancelled when the host closes the connection (it stopped or was killed).
    pub fn gone(&self) -> CancellationToken {
        self.gone.clone()
    }

    fn gone_error(&self) -> SourceError {
        SourceError::Gone(format!(
            "the repodeck hosting this data directory ({}) went away; run the command again",
            self.info
        ))
    }

    /// Sends a request; its reply frames arrive on the returned receiver.
    fn request(&self, req: Request) -> Result<mpsc::UnboundedReceiver<Reply>, SourceError> {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.pending).insert(id, tx);
        if self.gone.is_cancelled() || self.out.send(ClientMsg::Request { id, req }).is_err() {
            lock(&self.pending).remove(&id);
            return Err(self.gone_error());
        }
        Ok(rx)
    }

    /// One request with a one-frame answer.
    pub async fn ask(&self, req: Request) -> Result<Reply, SourceError> {
        let mut rx = self.request(req)?;
        match rx.recv().await {
            Some(Reply::Error { message, input }) => Err(SourceError::Remote { message, input }),
            Some(r) => Ok(r),
            None => Err(self.gone_error()),
        }
    }

    /// Every tracked repo, read page by page.
    pub async fn list(&self) -> Result<Vec<TrackedRepo>, SourceError> {
        let mut rx = self.request(Request::List)?;
        let mut all = Vec::new();
        loop {
            match rx.recv().await {
                Some(Reply::Repos { repos, last }) => {
                    all.extend(repos);
                    if last {
                        return Ok(all);
                    }
                }
                Some(Reply::Error { message, input }) => {
                    return Err(SourceError::Remote { message, input });
                }
                Some(_) => return Err(unexpected()),
                None => return Err(self.gone_error()),
            }
        }
    }

    /// Work for the host's engine.
    pub fn command(&self, c: SyncCommand) -> Result<(), SourceError> {
        self.out
            .send(ClientMsg::Command(c))
            .map_err(|_| self.gone_error())
    }

    /// The host's engine as an [`EngineHandle`]: commands go to the host, its events come back.
    /// `Shutdown` only detaches. Once per connection (`None` the second time).
    pub fn engine(&self) -> Option<EngineHandle> {
        let events = lock(&self.events).take()?;
        let _ = self.out.send(ClientMsg::Subscribe);
        let (tx, mut rx) = mpsc::unbounded_channel::<SyncCommand>();
        let out = self.out.clone();
        tokio::spawn(async move {
            while let Some(c) = rx.recv().await {
                if c == SyncCommand::Shutdown || out.send(ClientMsg::Command(c)).is_err() {
                    break;
                }
            }
        });
        Some(EngineHandle {
            commands: tx,
            events,
        })
    }

    /// Has the host run a CLI command: its prints go to `out` / `err` as they come. The exit
    /// code (0 or 1) and, for a command that failed as a whole, its error message.
    pub async fn run_command(
        &self,
        cmd: RemoteCommand,
        out: &mut dyn std::io::Write,
        err: &mut dyn std::io::Write,
    ) -> Result<(u8, Option<String>), SourceError> {
        let mut rx = self.request(Request::Run(cmd))?;
        loop {
            match rx.recv().await {
                Some(Reply::Output { err: false, text }) => {
                    let _ = out.write_all(text.as_bytes());
                }
                Some(Reply::Output { err: true, text }) => {
                    let _ = err.write_all(text.as_bytes());
                }
                Some(Reply::Exit { code, error }) => return Ok((code, error)),
                Some(Reply::Error { message, input }) => {
                    return Err(SourceError::Remote { message, input });
                }
                Some(_) => return Err(unexpected()),
                None => return Err(self.gone_error()),
            }
        }
    }

    /// The host's rate-limit waits as they change (`Reply::Wait` frames), until it goes.
    pub fn waits(&self) -> Result<mpsc::UnboundedReceiver<Reply>, SourceError> {
        self.request(Request::Waits)
    }

    /// The host's request accounting: requests, 304s, core, graphql and search points.
    pub async fn accounting(&self) -> Result<Option<[u64; 5]>, SourceError> {
        match self.ask(Request::Accounting).await? {
            Reply::Accounting(a) => Ok(a),
            _ => Err(unexpected()),
        }
    }
}

fn unexpected() -> SourceError {
    SourceError::Remote {
        message:
            "the host answered something unexpected; use the same repodeck version as the host"
                .into(),
        input: false,
    }
}

/// An attached host as a blocking [`DataSource`]: with its own runtime (the CLI's), or over a
/// connection made in the current runtime (the TUI's, called from its blocking threads).
pub struct AttachedSource {
    conn: Arc<Attached>,
    rt: tokio::runtime::Handle,
    _own: Option<tokio::runtime::Runtime>,
}

impl AttachedSource {
    /// Attaches to the data dir's host, with a runtime of its own.
    pub fn attach(data_dir: &Path) -> Result<AttachedSource, AttachError> {
        let own = crate::session::runtime().map_err(|e| AttachError::Failed(e.to_string()))?;
        let conn = own.block_on(Attached::connect(data_dir))?;
        Ok(AttachedSource {
            conn: Arc::new(conn),
            rt: own.handle().clone(),
            _own: Some(own),
        })
    }

    /// Over a connection of the current runtime; its methods must then be called from a
    /// blocking thread (`spawn_blocking`), never from a task.
    pub fn in_runtime(conn: Arc<Attached>) -> AttachedSource {
        AttachedSource {
            conn,
            rt: tokio::runtime::Handle::current(),
            _own: None,
        }
    }

    pub fn conn(&self) -> &Attached {
        &self.conn
    }

    /// Runs a future on this connection's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl DataSource for AttachedSource {
    fn list(&self) -> Result<Vec<TrackedRepo>, SourceError> {
        self.rt.block_on(self.conn.list())
    }

    fn find(&self, key: &RepoKey) -> Result<Option<TrackedRepo>, SourceError> {
        match self
            .rt
            .block_on(self.conn.ask(Request::Find(key.clone())))?
        {
            Reply::Repo(r) => Ok(r.map(|b| *b)),
            _ => Err(unexpected()),
        }
    }

    fn details(&self, local: LocalId) -> Result<Option<RepoDetails>, SourceError> {
        match self.rt.block_on(self.conn.ask(Request::Details(local)))? {
            Reply::Details(d) => Ok(d.map(|b| *b)),
            _ => Err(unexpected()),
        }
    }

    fn activity(
        &self,
        repo: Option<RepoId>,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, SourceError> {
        let req = Request::Activity { repo, since, limit };
        match self.rt.block_on(self.conn.ask(req))? {
            Reply::Activity(a) => Ok(a),
            _ => Err(unexpected()),
        }
    }

    fn add(&self, key: &RepoKey) -> Result<Added, SourceError> {
        match self.rt.block_on(self.conn.ask(Request::Add(key.clone())))? {
            Reply::Added { new: true, id } => Ok(Added::New(id)),
            Reply::Added { new: false, id } => Ok(Added::Exists(id)),
            _ => Err(unexpected()),
        }
    }

    fn remove(&self, key: &RepoKey) -> Result<bool, SourceError> {
        match self
            .rt
            .block_on(self.conn.ask(Request::Remove(key.clone())))?
        {
            Reply::Removed(r) => Ok(r),
            _ => Err(unexpected()),
        }
    }

    fn first_by_name(&self, n: usize) -> Result<Vec<TrackedRepo>, SourceError> {
        match self.rt.block_on(self.conn.ask(Request::FirstByName(n)))? {
            Reply::Repos { repos, .. } => Ok(repos),
            _ => Err(unexpected()),
        }
    }

    fn mark_read(&self, repo: Option<RepoId>) -> Result<(), SourceError> {
        match self.rt.block_on(self.conn.ask(Request::MarkRead(repo)))? {
            Reply::Done => Ok(()),
            _ => Err(unexpected()),
        }
    }
}

/// What a front end got for its data dir: the store itself, or the host that holds it.
pub enum Opened<T> {
    Local(T),
    Attached(Box<AttachedSource>),
}

/// How long a locked store with no host answering is retried: a short command holding it
/// (`repodeck list`) ends within it.
const LOCKED_RETRY: Duration = Duration::from_secs(5);

/// Opens the store with `open`; when another repodeck holds it, attaches to that host instead.
/// A holder that is not a host (a short command), or a host too busy to answer, is waited for up
/// to 5 s; after that the lock error names it and says it does not answer.
pub fn open_or_attach<T>(
    data_dir: &Path,
    mut open: impl FnMut() -> Result<T, crate::store::StoreError>,
) -> Result<Opened<T>, OpenError> {
    let deadline = std::time::Instant::now() + LOCKED_RETRY;
    loop {
        let locked = match open() {
            Ok(t) => return Ok(Opened::Local(t)),
            Err(e @ crate::store::StoreError::Locked { .. }) => e,
            Err(e) => return Err(OpenError::Store(e)),
        };
        match AttachedSource::attach(data_dir) {
            Ok(a) => return Ok(Opened::Attached(Box::new(a))),
            Err(AttachError::NoHost(socket)) if std::time::Instant::now() >= deadline => {
                return Err(OpenError::NotHost { locked, socket });
            }
            Err(AttachError::NoHost(_)) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(OpenError::Attach(e)),
        }
    }
}

/// Why neither the store nor its host could be had.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Store(crate::store::StoreError),
    #[error(transparent)]
    Attach(AttachError),
    #[error(
        "{locked}. It does not answer on {socket} (it is a command that has not finished, or a repodeck \
         version that cannot host attached views): wait for it, or stop it"
    )]
    NotHost {
        locked: crate::store::StoreError,
        socket: String,
    },
}

/// Who hosts a locked data dir, for commands that must own the store: `None` when no host
/// answers. A host too busy to answer at once (a loaded machine) is asked again for up to 5 s
/// while its socket is there.
pub fn who_hosts(data_dir: &Path) -> Option<HostInfo> {
    let rt = crate::session::runtime().ok()?;
    let deadline = std::time::Instant::now() + LOCKED_RETRY;
    loop {
        match rt.block_on(Attached::connect(data_dir)) {
            Ok(a) => return Some(a.info().clone()),
            Err(AttachError::NoHost(_))
                if std::time::Instant::now() < deadline
                    && super::socket_path(data_dir).exists() =>
            {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(_) => return None,
        }
    }
}
