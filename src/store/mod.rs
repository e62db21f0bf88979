//! The store: the ONLY module that names `sled` or `bincode`. A typed, versioned, rebuildable cache
//! of GitHub plus the user's own data (tracked list, encrypted tokens). Every per-repo sync result
//! is written in one atomic batch; a corrupt store is quarantined and rebuilt; one process at a time.
//!
//! Neighbours: `domain` (the types it stores), `secrets` (keeps the encrypted vault here), `sync`
//! (writes), `tui` and the CLI (read). `github` never sees it: `sync::etags` adapts [`Store`]'s
//! ETag methods to the client's cache trait.

pub mod attention;
pub mod audit;
pub mod deliveries;
pub mod freshness;
pub mod io;
mod items;
pub mod keys;
mod mirror;
mod report;
mod stats;
mod v2;

pub use io::IoProblem;
pub use report::Repairs;

/// The encrypted tokens' mirror in the data directory (`vault-backup.json`).
pub const VAULT_BACKUP_FILE: &str = mirror::VAULT;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::dirs::private_dir;
use crate::domain::{ActivityEntry, Change, LocalId, RepoDetails, RepoId, RepoKey, TrackedRepo};
use mirror::MirrorRepo;

/// The schema this build writes. Bump it when a stored type changes shape, and add a migration.
pub const SCHEMA_VERSION: u16 = 3;
/// sled's page cache; its default (1 GiB) is far more than a cache of GitHub metadata needs.
pub const CACHE_CAPACITY: u64 = 64 * 1024 * 1024;
/// Present when a quick start found damage: the next start checks every record.
const CHECK_MARKER: &str = "check-store";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the data directory {dir} is in use by another repodeck{pid}; close it, or pass --data-dir to use another store"
    )]
    Locked { dir: PathBuf, pid: String },
    #[error(
        "cannot use the data directory {dir}: {source}. Check that it exists and is writable, or pass --data-dir"
    )]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "store write failed in {dir}: {detail}. If the disk is full, free some space and run the command again; nothing was half-written"
    )]
    Write { dir: PathBuf, detail: String },
    #[error(
        "store record {key} is unreadable ({detail}); the store will be rebuilt on the next start if this persists"
    )]
    Corrupt { key: String, detail: String },
    #[error(
        "the store in {dir} was written by a newer repodeck (schema {found}, this build reads up to {SCHEMA_VERSION}); upgrade repodeck or use another --data-dir"
    )]
    TooNew { dir: PathBuf, found: u16 },
    /// The environment refused (no space, no permission, a read-only filesystem): never damage.
    #[error("cannot write {path}: {detail}. {fix}. The store was not moved or changed")]
    Io {
        path: PathBuf,
        problem: IoProblem,
        detail: String,
        fix: String,
    },
}

impl StoreError {
    /// Only a record that fails to decode is damage; I/O errors and a newer schema are not.
    pub fn is_damage(&self) -> bool {
        matches!(self, StoreError::Corrupt { .. })
    }

    fn io(dir: &Path, path: &Path, problem: IoProblem, detail: impl std::fmt::Display) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            problem,
            detail: detail.to_string(),
            fix: problem.fix(path, dir),
        }
    }

    /// An error creating or opening something in the data directory.
    fn dir(dir: &Path, path: &Path, source: std::io::Error) -> Self {
        match IoProblem::of(&source) {
            Some(problem) => Self::io(dir, path, problem, source),
            None => StoreError::Dir {
                dir: dir.to_path_buf(),
                source,
            },
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Why sled could not open the database files (the store then recovers, or reports the directory).
#[derive(Debug, thiserror::Error)]
enum OpenDbError {
    #[error("{0}")]
    Sled(#[from] sled::Error),
    /// sled panicked on damaged files: the panic's message.
    #[error("{0}")]
    Damaged(String),
}

/// What happened when the store was opened, for the user to be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenReport {
    Fresh,
    Opened,
    Migrated {
        from: u16,
    },
    /// The store was corrupt: moved aside and rebuilt; the tracked list and tokens were restored.
    Recovered {
        quarantined: PathBuf,
        restored_repos: usize,
        restored_secrets: usize,
        reason: String,
    },
    /// The store lacked what the mirrors hold (missing, emptied, or records lost to damage sled
    /// skipped): restored in place, and what was lost is named.
    Repaired(Repairs),
}

/// A cached conditional-request entry: the ETag and the body it validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtagEntry {
    pub etag: String,
    pub body: Vec<u8>,
}

/// Outcome of adding a repo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    New(LocalId),
    Exists(LocalId),
}

/// One repo's sync result, written in one atomic batch.
#[derive(Debug, Clone, Default)]
pub struct SyncWrite {
    /// The new summary (status, meta, head, errors...). `None` leaves it as it is.
    pub repo: Option<TrackedRepo>,
    /// New detail lists; `None` keeps the stored ones.
    pub details: Option<RepoDetails>,
    /// Changes to append to the activity feed.
    pub changes: Vec<Change>,
    pub at: Option<DateTime<Utc>>,
    /// ETag entries to save: (token fingerprint, url, entry).
    pub etags: Vec<(String, String, EtagEntry)>,
    /// Leave the plain-file backup of the tracked list (rewritten on an id or name change) to
    /// [`Store::write_deferred_backup`]; the batch itself is still atomic.
    pub defer_backup: bool,
}

/// Schema 1 stored only the tracked list; kept so old stores migrate instead of being dropped.
#[derive(Debug, Serialize, Deserialize)]
pub struct TrackedRepoV1 {
    pub full_name: String,
    pub added_at: DateTime<Utc>,
}

pub struct Store {
    db: sled::Db,
    tree: sled::Tree,
    dir: PathBuf,
    _lock: File,
    /// A sync changed what `tracked.json` mirrors (a name, an id, a sync time) and the mirror
    /// has not been rewritten yet: `write_deferred_backup` (or dropping the store) owes it.
    backup_dirty: std::sync::atomic::AtomicBool,
    /// A write failed: sled's own drop would wait forever to flush, so ours skips it.
    failed: std::sync::atomic::AtomicBool,
    /// What opening found and the user is to be told once ([`Store::take_notices`]).
    notices: std::sync::Mutex<Vec<String>>,
    /// The list `open` decoded while verifying the records, handed to the first `list()` so a
    /// start reads the store once; any write drops it.
    warm: std::sync::Mutex<Option<Vec<TrackedRepo>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::SeqCst;
        if !self.failed.load(SeqCst)
            && self.backup_dirty.load(SeqCst)
            && let Err(e) = self.write_mirror(&[])
        {
            tracing::warn!(error = %e, "cannot update tracked.json on close");
        }
        if self.failed.load(SeqCst) {
            // After a failed write sled's drop flushes in a loop that never ends (seen on a full
            // disk). What was written is either durable already or lost either way: skip it.
            std::mem::forget(self.db.clone());
            std::mem::forget(self.tree.clone());
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    encode_versioned(value, SCHEMA_VERSION)
}

fn encode_versioned<T: Serialize>(value: &T, version: u16) -> Vec<u8> {
    let mut out = version.to_be_bytes().to_vec();
    // Encoding our own plain types into a Vec cannot fail; an error here is a bug we surface as empty.
    match bincode::serde::encode_to_vec(value, bincode::config::standard()) {
        Ok(bytes) => out.extend_from_slice(&bytes),
        Err(e) => tracing::error!("encoding a store record failed: {e}"),
    }
    out
}

/// The most a record may claim when decoded (far above any record written: a details record or
/// a cached page is at most a few MB). A damaged length prefix claiming more is an error: without
/// the limit bincode tried to allocate it, and the process aborted (found by the property test).
const DECODE_LIMIT: usize = 64 << 20;

fn decode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    decode_at(key, bytes, SCHEMA_VERSION)
}

/// A schema-2 record whose layout schema 3 kept, under the new version number; `None` when it is
/// not a schema-2 record (already migrated, or unreadable either way).
fn renumbered(bytes: &[u8]) -> Option<Vec<u8>> {
    let rest = bytes.strip_prefix(&2u16.to_be_bytes())?;
    let mut out = SCHEMA_VERSION.to_be_bytes().to_vec();
    out.extend_from_slice(rest);
    Some(out)
}

/// Decodes a record written under schema `expected`.
fn decode_at<T: DeserializeOwned>(key: &[u8], bytes: &[u8], expected: u16) -> Result<T> {
    let corrupt = |detail: String| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    if bytes.len() < 2 {
        return Err(corrupt("record too short".into()));
    }
    let version = u16::from_be_bytes([bytes[0], bytes[1]]);
    if version != expected {
        return Err(corrupt(format!(
            "record of schema {version}, expected {expected}"
        )));
    }
    let (value, used) = bincode::serde::decode_from_slice(&bytes[2..], decode_config())
        .map_err(|e| corrupt(e.to_string()))?;
    if used != bytes.len() - 2 {
        return Err(corrupt("trailing bytes".into()));
    }
    Ok(value)
}

/// A store record's bytes as the store writes them (schema version, then bincode), for the
/// property tests of `tests/proptest_parsers.rs`; not an API.
#[doc(hidden)]
pub fn encode_record<T: Serialize>(value: &T) -> Vec<u8> {
    encode(value)
}

/// Decodes a store record exactly as the store reads one (`Err` on anything it did not write),
/// for the property tests of `tests/proptest_parsers.rs`; not an API.
#[doc(hidden)]
pub fn decode_record<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    decode(b"record", bytes)
}

/// A schema-1 record as migration reads one, for the property tests; not an API.
#[doc(hidden)]
pub fn decode_record_v1(bytes: &[u8]) -> Option<TrackedRepoV1> {
    decode_v1(bytes)
}

fn decode_v1<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let rest = bytes.strip_prefix(&1u16.to_be_bytes())?;
    bincode::serde::decode_from_slice(rest, decode_config())
        .ok()
        .map(|(v, _)| v)
}

thread_local! {
    /// Set while this thread runs [`quietly`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, catching a panic without printing it: sled panics on some damaged files, and that is
/// reported as a damaged store instead. The hook that skips printing is installed once, around
/// whatever hook was there, and is silent only on the thread inside `quietly` (swapping the
/// process-wide hook per call would race other threads and could silence them for good).
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> std::thread::Result<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // `try_with`: a panic while this thread's locals are being destroyed must still print
            // (and not panic again, which aborts the process).
            if !QUIET.try_with(std::cell::Cell::get).unwrap_or(false) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    result
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename), mode 0600.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // One temporary file per write, not per process: a host writes the mirror from its engine and
    // from its clients' requests at once, and a shared name let one rename take the other's file.
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id(),
        SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Whether sled refused to open because its own file lock is held. sled 0.34 reports that as
/// `ErrorKind::Other` with "could not acquire lock on ..." (the `WouldBlock` is only in the
/// text), so the kind alone never matched and a store in use was treated as damage.
fn sled_lock_held(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().starts_with("could not acquire lock on ")
        }
        _ => false,
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`, taking the process lock first. Every record is
    /// read and checked; a damaged store is moved aside and rebuilt from the backups.
    pub fn open(dir: &Path) -> Result<(Store, OpenReport)> {
        Self::open_noted(dir, true)
    }

    /// What opening this store found (a rebuild, records lost, a bad mirror entry), for the
    /// front end to say once: on stderr for a command, in the status line for the TUI.
    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(
            &mut self
                .notices
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn open_noted(dir: &Path, verify: bool) -> Result<(Store, OpenReport)> {
        let (store, report) = Self::open_with(dir, verify)?;
        *store
            .notices
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = report.notices();
        Ok((store, report))
    }

    /// Like [`Store::open`] without reading every record first, for the TUI's start: it shows the
    /// first screenful ([`Store::first_by_name`]) at once and reads the rest in the background.
    /// When that read finds damage it calls [`Store::request_check`], and the next start checks
    /// (and, if needed, rebuilds) the store as [`Store::open`] does.
    pub fn open_quick(dir: &Path) -> Result<(Store, OpenReport)> {
        let full = dir.join(CHECK_MARKER).exists();
        Self::open_noted(dir, full)
    }

    /// Asks the next start to check every record (see [`Store::open_quick`]).
    pub fn request_check(&self) {
        let _ = write_atomic(&self.dir.join(CHECK_MARKER), b"");
    }

    fn open_with(dir: &Path, verify: bool) -> Result<(Store, OpenReport)> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::dir(dir, dir, e))?;
        private_dir(dir);
        let lock = Self::lock(dir)?;
        let db_path = dir.join("store");
        let existed = db_path.exists();
        let had_data = io::dir_size(&db_path) > 0;
        // A file the user cannot write is the environment's problem, never damage.
        io::check_writable(&db_path)
            .map_err(|(path, e, problem)| StoreError::io(dir, &path, problem, e))?;
        let (db, tree) = match Self::open_db_when_free(&db_path) {
            Ok(opened) => opened,
            // sled's own file lock is still held (by a store this process is closing, or by a
            // process that ignored the lock file): in use, never damage.
            Err(OpenDbError::Sled(e)) if sled_lock_held(&e) => {
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    pid: String::new(),
                });
            }
            Err(OpenDbError::Sled(e)) if IoProblem::of_sled(&e).is_some() => {
                let problem = IoProblem::of_sled(&e).unwrap_or(IoProblem::NoSpace);
                return Err(StoreError::io(dir, &db_path, problem, e));
            }
            Err(e) if existed => return Self::recover(dir, &db_path, lock, e.to_string()),
            Err(e) => {
                return Err(StoreError::Dir {
                    dir: dir.to_path_buf(),
                    source: std::io::Error::other(e),
                });
            }
        };
        let mut store = Store::new(db, tree, dir, lock);
        let report = match store.check_schema(verify) {
            Ok(report) => report,
            Err(e) if e.is_damage() => {
                let lock = store.into_lock()?;
                return Self::recover(dir, &db_path, lock, e.to_string());
            }
            Err(e) => return Err(e),
        };
        if had_data && store.is_empty() && Self::mirror_has_repos(dir) {
            // sled dropped a damaged log without a word: its files hold data, yet no repo opened.
            let lock = store.into_lock()?;
            return Self::recover(dir, &db_path, lock, "the store lost its records".into());
        }
        let report = if existed { report } else { OpenReport::Fresh };
        let repairs = store.reconcile(!existed)?;
        Ok((store, repairs.map_or(report, OpenReport::Repaired)))
    }

    /// The one constructor: an opened database and the lock held for it.
    fn new(db: sled::Db, tree: sled::Tree, dir: &Path, lock: File) -> Store {
        Store {
            db,
            tree,
            dir: dir.to_path_buf(),
            _lock: lock,
            backup_dirty: Default::default(),
            failed: Default::default(),
            notices: Default::default(),
            warm: Default::default(),
        }
    }

    fn mirror_has_repos(dir: &Path) -> bool {
        !mirror::read_tracked(dir).repos.is_empty()
    }

    /// Closes the database and keeps the process lock (a descriptor of the same locked file).
    fn into_lock(self) -> Result<File> {
        let lock = self
            ._lock
            .try_clone()
            .map_err(|e| StoreError::dir(&self.dir, &self.dir.join("repodeck.lock"), e))?;
        drop(self);
        Ok(lock)
    }

    fn lock(dir: &Path) -> Result<File> {
        let path = dir.join("repodeck.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::dir(dir, &path, e))?;
        let mut result = file.try_lock();
        // Our own pid in the lock file means the holder is this process: either a real double open
        // or a child we are spawning that briefly shares the descriptor between fork and exec.
        // Give the latter a moment; another process's lock is reported at once.
        for _ in 0..20 {
            let ours = std::fs::read_to_string(&path)
                .is_ok_and(|p| p.trim() == std::process::id().to_string());
            if !matches!(result, Err(std::fs::TryLockError::WouldBlock)) || !ours {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            result = file.try_lock();
        }
        match result {
            Ok(()) => {
                file.set_len(0).ok();
                let _ = write!(file, "{}", std::process::id());
                let _ = file.sync_all();
                Ok(file)
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                    .map(|p| format!(" (pid {p})"))
                    .unwrap_or_default();
                Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    pid,
                })
            }
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::dir(dir, &path, source)),
        }
    }

    /// Opens sled, turning both its errors and its panics on damaged files into an error.
    /// [`Self::open_db`], waiting up to 2 s while sled's file lock is still held: a store
    /// dropped a moment ago releases it when its background threads end.
    fn open_db_when_free(path: &Path) -> std::result::Result<(sled::Db, sled::Tree), OpenDbError> {
        let mut tries = 0;
        loop {
            match Self::open_db(path) {
                Err(OpenDbError::Sled(e)) if sled_lock_held(&e) && tries < 40 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    fn open_db(path: &Path) -> std::result::Result<(sled::Db, sled::Tree), OpenDbError> {
        let path = path.to_path_buf();
        let result = quietly(move || -> std::result::Result<_, OpenDbError> {
            let db = sled::Config::new()
                .path(&path)
                .cache_capacity(CACHE_CAPACITY)
                .open()?;
            let tree = db.open_tree("repodeck")?;
            Ok((db, tree))
        });
        match result {
            Ok(r) => r,
            Err(p) => Err(OpenDbError::Damaged(
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the store's files are damaged".into()),
            )),
        }
    }

    /// Verifies the schema and that every summary decodes; migrates old schemas.
    fn check_schema(&mut self, verify: bool) -> Result<OpenReport> {
        let found = match self
            .tree
            .get(keys::SCHEMA)
            .map_err(|e| self.read_err(keys::SCHEMA, e))?
        {
            None => {
                if self.tree.iter().next().is_some() {
                    return Err(StoreError::Corrupt {
                        key: "meta/schema".into(),
                        detail: "missing".into(),
                    });
                }
                self.tree
                    .insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes())
                    .map_err(|e| self.sled_err(e))?;
                self.flush()?;
                return Ok(OpenReport::Opened);
            }
            Some(v) if v.len() == 2 => u16::from_be_bytes([v[0], v[1]]),
            Some(_) => {
                return Err(StoreError::Corrupt {
                    key: "meta/schema".into(),
                    detail: "bad length".into(),
                });
            }
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                dir: self.dir.clone(),
                found,
            });
        }
        let mut report = OpenReport::Opened;
        if found < SCHEMA_VERSION {
            self.migrate(found)?;
            report = OpenReport::Migrated { from: found };
        }
        if verify {
            let repos = self.read_all()?;
            *self.warm_slot() = Some(repos);
            let _ = std::fs::remove_file(self.dir.join(CHECK_MARKER));
        }
        Ok(report)
    }

    fn migrate(&mut self, from: u16) -> Result<()> {
        match from {
            1 => self.migrate_v1(),
            2 => self.migrate_v2(),
            _ => Err(StoreError::Corrupt {
                key: "meta/schema".into(),
                detail: format!("unknown schema {from}"),
            }),
        }
    }

    /// Schema 2 -> 3: summaries and details gain the insight fields (read with schema 2's
    /// layouts, see [`v2`]); every other record keeps its bytes under the new version number.
    /// The side trees go first and may be redone (a record already at 3 is left alone); the
    /// main tree, with the schema number, changes in one atomic batch.
    fn migrate_v2(&mut self) -> Result<()> {
        for (tree, prefixes) in [
            (audit::TREE, &[&b"e/"[..]][..]),
            (deliveries::TREE, &[&b"hook/"[..], &b"meta/hooks"[..]][..]),
            (freshness::TREE, &[&b"plan"[..]][..]),
        ] {
            let tree = self.db.open_tree(tree).map_err(|e| self.sled_err(e))?;
            let mut batch = sled::Batch::default();
            for prefix in prefixes {
                for item in tree.scan_prefix(prefix) {
                    let (k, v) = item.map_err(|e| self.read_err(prefix, e))?;
                    if let Some(bytes) = renumbered(&v) {
                        batch.insert(k, bytes);
                    }
                }
            }
            tree.apply_batch(batch).map_err(|e| self.sled_err(e))?;
        }
        let mut batch = sled::Batch::default();
        let mut refetch = std::collections::HashSet::new();
        for item in self.tree.scan_prefix(keys::DETAIL) {
            let (k, v) = item.map_err(|e| self.read_err(keys::DETAIL, e))?;
            match decode_at::<v2::RepoDetails>(&k, &v, 2) {
                Ok(old) => batch.insert(k, encode(&RepoDetails::from(old))),
                // Details are a cache: an unreadable one is dropped and fetched again.
                Err(_) => {
                    refetch.extend(keys::tail_u64(&k, keys::DETAIL));
                    batch.remove(k);
                }
            }
        }
        for item in self.tree.scan_prefix(keys::REPO) {
            let (k, v) = item.map_err(|e| self.read_err(keys::REPO, e))?;
            let mut repo = TrackedRepo::from(decode_at::<v2::Tracked>(&k, &v, 2)?);
            if refetch.contains(&repo.local.0) {
                repo.details_at = None;
            }
            batch.insert(k, encode(&repo));
        }
        for prefix in [keys::ACT, keys::ETAG] {
            for item in self.tree.scan_prefix(prefix) {
                let (k, v) = item.map_err(|e| self.read_err(prefix, e))?;
                if let Some(bytes) = renumbered(&v) {
                    batch.insert(k, bytes);
                }
            }
        }
        batch.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes());
        self.apply(batch)?;
        self.flush()?;
        Ok(())
    }

    fn migrate_v1(&mut self) -> Result<()> {
        let mut batch = sled::Batch::default();
        for item in self.tree.scan_prefix(keys::REPO) {
            let (k, v) = item.map_err(|e| self.read_err(keys::REPO, e))?;
            let local = keys::tail_u64(&k, keys::REPO).ok_or_else(|| StoreError::Corrupt {
                key: "repo/".into(),
                detail: "bad key".into(),
            })?;
            let old: TrackedRepoV1 = decode_v1(&v).ok_or_else(|| StoreError::Corrupt {
                key: format!("repo/{local}"),
                detail: "unreadable schema-1 record".into(),
            })?;
            let Ok(key) = RepoKey::parse(&old.full_name) else {
                batch.remove(k);
                continue;
            };
            batch.insert(keys::name(&key.lower()), &local.to_be_bytes());
            let repo = TrackedRepo::new(LocalId(local), key, old.added_at);
            batch.insert(k, encode(&repo));
        }
        batch.insert(keys::SCHEMA, &SCHEMA_VERSION.to_be_bytes());
        self.apply(batch)?;
        self.flush()?;
        self.write_mirror(&[])?;
        Ok(())
    }

    /// Moves a damaged store aside (once, under a name no other store has) and starts a fresh
    /// one, restoring user data from the mirrors. When the fresh store cannot be made (the disk
    /// is full, say), the damaged one is put back: an I/O error never leaves the user without it.
    fn recover(
        dir: &Path,
        db_path: &Path,
        lock: File,
        reason: String,
    ) -> Result<(Store, OpenReport)> {
        let quarantined = io::quarantine_path(dir);
        std::fs::rename(db_path, &quarantined).map_err(|e| StoreError::dir(dir, db_path, e))?;
        let put_back = |e: StoreError| {
            let _ = std::fs::remove_dir_all(db_path);
            let _ = std::fs::rename(&quarantined, db_path);
            e
        };
        let (db, tree) = Self::open_db(db_path).map_err(|e| {
            put_back(match e {
                OpenDbError::Sled(sled::Error::Io(io)) => StoreError::dir(dir, db_path, io),
                other => StoreError::Dir {
                    dir: dir.to_path_buf(),
                    source: std::io::Error::other(other),
                },
            })
        })?;
        let mut store = Store::new(db, tree, dir, lock);
        if let Err(e) = store.check_schema(true) {
            store
                .failed
                .store(true, std::sync::atomic::Ordering::SeqCst);
            drop(store);
            return Err(put_back(e));
        }
        tracing::warn!(quarantined = %quarantined.display(), %reason, "store was corrupt; rebuilt");
        let _ = std::fs::remove_file(dir.join(CHECK_MARKER));
        let tracked = mirror::read_tracked(dir);
        let restored_repos = store.restore(&tracked.repos)?.len();
        let secrets = mirror::read_vault(dir);
        let restored_secrets = secrets.len();
        if !secrets.is_empty() {
            store.vault_apply(secrets.into_iter().map(|(k, v)| (k, Some(v))).collect())?;
        }
        // The mirror now matches the rebuilt store (no sync times yet), so this is said once.
        if let Err(e) = store.write_mirror(&[]) {
            tracing::warn!(error = %e, "cannot rewrite tracked.json after a rebuild");
        }
        Ok((
            store,
            OpenReport::Recovered {
                quarantined,
                restored_repos,
                restored_secrets,
                reason,
            },
        ))
    }

    /// Adds the mirror's repos (with their GitHub ids) in one batch; returns their names.
    fn restore(&self, repos: &[(RepoKey, MirrorRepo)]) -> Result<Vec<String>> {
        let mut batch = sled::Batch::default();
        let mut names = Vec::new();
        for (key, m) in repos {
            if self.local_from(&keys::name(&key.lower()))?.is_some() {
                continue;
            }
            let local = LocalId(self.db.generate_id().map_err(|e| self.sled_err(e))?);
            let mut repo = TrackedRepo::new(local, key.clone(), m.added_at);
            if let Some(id) = m.id {
                repo.id = Some(RepoId(id));
                batch.insert(keys::gid(RepoId(id)), &local.0.to_be_bytes());
            }
            batch.insert(keys::repo(local), encode(&repo));
            batch.insert(keys::name(&key.lower()), &local.0.to_be_bytes());
            names.push(key.to_string());
        }
        if !names.is_empty() {
            self.apply(batch)?;
        }
        Ok(names)
    }

    /// Compares the store with the mirrors and restores what it lacks: tracked repos (all of
    /// them when the store was `fresh`), encrypted tokens; names the repos whose synced data the
    /// store lost (it went back to an older state than the mirror recorded). When anything was
    /// found, the mirror is rewritten to match, so it is said once.
    fn reconcile(&self, fresh: bool) -> Result<Option<Repairs>> {
        let tracked = mirror::read_tracked(&self.dir);
        let mut repairs = Repairs {
            rebuilt: fresh,
            bad_entries: tracked.bad.clone(),
            unreadable: tracked.unreadable.clone(),
            ..Repairs::default()
        };
        let (present, synced) = self.present()?;
        let mut missing = Vec::new();
        for (key, m) in &tracked.repos {
            match present.find(m) {
                None => missing.push((key.clone(), m.clone())),
                Some(i) => {
                    let lost = match (m.synced_at, synced.get(i)) {
                        (Some(want), Some(have)) => have.is_none_or(|h| h < want),
                        _ => false,
                    };
                    if lost {
                        repairs.lost_sync.push(key.to_string());
                    }
                }
            }
        }
        repairs.tracked = tracked.repos.len();
        repairs.restored_repos = self.restore(&missing)?;
        repairs.restored_secrets = self.restore_vault()?;
        if repairs.is_empty() {
            return Ok(None);
        }
        if repairs.bad_entries.len() + usize::from(repairs.unreadable.is_some()) > 0 {
            repairs.mirror_copy = mirror::keep_copy(&self.dir);
        }
        tracing::warn!(?repairs, "the store lacked what the mirrors hold; repaired");
        if let Err(e) = self.write_mirror(&[]) {
            // A read-only data directory: the repair stands for this run and is said again.
            tracing::warn!(error = %e, "cannot rewrite tracked.json after a repair");
        }
        Ok(Some(repairs))
    }

    /// Who the store has (from the list open decoded, else from the name and id indexes) and,
    /// when the records were decoded, each one's last sync time.
    fn present(&self) -> Result<(mirror::Present, Vec<Option<DateTime<Utc>>>)> {
        if let Some(repos) = self.warm_slot().as_ref() {
            let synced = repos.iter().map(|r| r.last_synced_at).collect();
            return Ok((mirror::Present::of_repos(repos), synced));
        }
        let mut ids = std::collections::HashMap::new();
        for item in self.tree.scan_prefix(keys::GID) {
            let (k, v) = item.map_err(|e| self.read_err(keys::GID, e))?;
            if let (Some(id), Ok(local)) = (
                keys::tail_u64(&k, keys::GID),
                <[u8; 8]>::try_from(v.as_ref()),
            ) {
                ids.insert(u64::from_be_bytes(local), id);
            }
        }
        let mut rows = Vec::new();
        for item in self.tree.scan_prefix(keys::NAME) {
            let (k, v) = item.map_err(|e| self.read_err(keys::NAME, e))?;
            let lower = String::from_utf8_lossy(&k[keys::NAME.len()..]).into_owned();
            let local = <[u8; 8]>::try_from(v.as_ref()).ok().map(u64::from_be_bytes);
            rows.push((local, local.and_then(|l| ids.get(&l).copied()), lower));
        }
        Ok((mirror::Present::new(rows), Vec::new()))
    }

    /// Restores the encrypted tokens of `vault-backup.json` the store lacks; returns how many.
    fn restore_vault(&self) -> Result<usize> {
        let backup = mirror::read_vault(&self.dir);
        if backup.is_empty() {
            return Ok(0);
        }
        let have: std::collections::HashSet<String> =
            self.vault_list()?.into_iter().map(|(k, _)| k).collect();
        let missing: Vec<(String, Option<Vec<u8>>)> = backup
            .into_iter()
            .filter(|(k, _)| !have.contains(k))
            .map(|(k, v)| (k, Some(v)))
            .collect();
        let n = missing.len();
        if n > 0 {
            self.vault_apply(missing)?;
        }
        Ok(n)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read_err(&self, key: &[u8], e: sled::Error) -> StoreError {
        if let Some(problem) = IoProblem::of_sled(&e) {
            self.failed.store(true, std::sync::atomic::Ordering::SeqCst);
            return StoreError::io(&self.dir, &self.dir.join("store"), problem, e);
        }
        StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            detail: e.to_string(),
        }
    }

    /// A failed sled write: an I/O problem names its fix; either way sled is not trusted to
    /// flush again (its drop would wait forever).
    fn sled_err(&self, e: sled::Error) -> StoreError {
        self.failed.store(true, std::sync::atomic::Ordering::SeqCst);
        match IoProblem::of_sled(&e) {
            Some(problem) => StoreError::io(&self.dir, &self.dir.join("store"), problem, e),
            None => self.write_err(e),
        }
    }

    /// A failed write of a plain file of the data directory (a mirror).
    fn file_err(&self, path: &Path, e: std::io::Error) -> StoreError {
        match IoProblem::of(&e) {
            Some(problem) => StoreError::io(&self.dir, path, problem, e),
            None => self.write_err(e),
        }
    }

    fn write_err(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Write {
            dir: self.dir.clone(),
            detail: e.to_string(),
        }
    }

    /// Makes everything written so far durable.
    pub fn flush(&self) -> Result<()> {
        // After a failed write (a full disk) sled's flush waits forever: refuse instead, with
        // the fix the failed write named.
        if self.failed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(self.write_err(
                "an earlier write to the store failed (see the message before this one); nothing more is written in this run",
            ));
        }
        self.db.flush().map(|_| ()).map_err(|e| self.sled_err(e))
    }

    fn get_raw<T: DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.tree.get(key).map_err(|e| self.read_err(key, e))? {
            Some(v) => decode(key, &v).map(Some),
            None => Ok(None),
        }
    }

    fn local_from(&self, key: &[u8]) -> Result<Option<LocalId>> {
        Ok(self
            .tree
            .get(key)
            .map_err(|e| self.read_err(key, e))?
            .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(|b| LocalId(u64::from_be_bytes(b))))
    }

    fn warm_slot(&self) -> std::sync::MutexGuard<'_, Option<Vec<TrackedRepo>>> {
        self.warm
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every write of records goes through here (and drops the list `open` kept).
    fn apply(&self, batch: sled::Batch) -> Result<()> {
        self.warm_slot().take();
        self.tree.apply_batch(batch).map_err(|e| self.sled_err(e))
    }

    /// Every tracked repo, sorted by name.
    pub fn list(&self) -> Result<Vec<TrackedRepo>> {
        if let Some(repos) = self.warm_slot().take() {
            return Ok(repos);
        }
        self.read_all()
    }

    /// Reads and decodes every repo record, sorted by name (the sort moves keys, not records).
    fn read_all(&self) -> Result<Vec<TrackedRepo>> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::REPO) {
            let (k, v) = item.map_err(|e| self.read_err(keys::REPO, e))?;
            out.push(decode::<TrackedRepo>(&k, &v)?);
        }
        out.sort_by_cached_key(|r| r.key.lower());
        Ok(out)
    }

    pub fn len(&self) -> usize {
        if let Some(repos) = self.warm_slot().as_ref() {
            return repos.len();
        }
        self.tree.scan_prefix(keys::REPO).count()
    }
    pub fn is_empty(&self) -> bool {
        if let Some(repos) = self.warm_slot().as_ref() {
            return repos.is_empty();
        }
        self.tree.scan_prefix(keys::REPO).next().is_none()
    }

    /// The first `n` tracked repos by name, read through the name index: what the TUI's first
    /// frame shows before the whole list is read.
    pub fn first_by_name(&self, n: usize) -> Result<Vec<TrackedRepo>> {
        let mut out = Vec::with_capacity(n);
        for item in self.tree.scan_prefix(keys::NAME).take(n) {
            let (k, v) = item.map_err(|e| self.read_err(keys::NAME, e))?;
            let Ok(id) = <[u8; 8]>::try_from(v.as_ref()) else {
                return Err(StoreError::Corrupt {
                    key: String::from_utf8_lossy(&k).into_owned(),
                    detail: "bad id".into(),
                });
            };
            if let Some(r) = self.get(LocalId(u64::from_be_bytes(id)))? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub fn get(&self, local: LocalId) -> Result<Option<TrackedRepo>> {
        self.get_raw(&keys::repo(local))
    }

    pub fn find(&self, key: &RepoKey) -> Result<Option<TrackedRepo>> {
        match self.local_from(&keys::name(&key.lower()))? {
            Some(local) => self.get(local),
            None => Ok(None),
        }
    }

    pub fn find_by_id(&self, id: RepoId) -> Result<Option<TrackedRepo>> {
        match self.local_from(&keys::gid(id))? {
            Some(local) => self.get(local),
            None => Ok(None),
        }
    }

    /// A repo's stored details, with the item extras that are still current laid over them
    /// (`items.rs`).
    pub fn details(&self, local: LocalId) -> Result<Option<RepoDetails>> {
        let Some(details) = self.get_raw::<RepoDetails>(&keys::detail(local))? else {
            return Ok(None);
        };
        Ok(Some(match self.items_get(local)? {
            Some(x) => details.with_extras(&x),
            None => details,
        }))
    }

    /// Starts tracking `key`; a repo already tracked is left as it is.
    pub fn add(&self, key: &RepoKey) -> Result<Added> {
        let added = self.add_at(key, Utc::now())?;
        if let Added::New(local) = added {
            self.mirror_or_undo(&[(local, key.lower())])?;
        }
        Ok(added)
    }

    /// Writes the mirror after adding `added`; when it cannot be written, takes them out of the
    /// store again, so a failed add changes nothing.
    fn mirror_or_undo(&self, added: &[(LocalId, String)]) -> Result<()> {
        let Err(e) = self.write_mirror(&[]) else {
            return Ok(());
        };
        let mut batch = sled::Batch::default();
        for (local, lower) in added {
            batch.remove(keys::repo(*local));
            batch.remove(keys::name(lower));
        }
        if self.apply(batch).and_then(|()| self.flush()).is_err() {
            tracing::warn!("could not take back an add after the mirror failed");
        }
        Err(e)
    }

    /// Adds several repos in one batch (import); returns how many were new.
    pub fn add_many(&self, keys_in: &[RepoKey]) -> Result<usize> {
        let mut batch = sled::Batch::default();
        let mut seen = std::collections::HashSet::new();
        let mut added = Vec::new();
        let now = Utc::now();
        for key in keys_in {
            if !seen.insert(key.lower()) || self.local_from(&keys::name(&key.lower()))?.is_some() {
                continue;
            }
            let local = LocalId(self.db.generate_id().map_err(|e| self.sled_err(e))?);
            batch.insert(
                keys::repo(local),
                encode(&TrackedRepo::new(local, key.clone(), now)),
            );
            batch.insert(keys::name(&key.lower()), &local.0.to_be_bytes());
            added.push((local, key.lower()));
        }
        let n = seen.len();
        self.apply(batch)?;
        self.mirror_or_undo(&added)?;
        Ok(n.min(keys_in.len()))
    }

    fn add_at(&self, key: &RepoKey, at: DateTime<Utc>) -> Result<Added> {
        if let Some(local) = self.local_from(&keys::name(&key.lower()))? {
            return Ok(Added::Exists(local));
        }
        let local = LocalId(self.db.generate_id().map_err(|e| self.sled_err(e))?);
        let mut batch = sled::Batch::default();
        batch.insert(
            keys::repo(local),
            encode(&TrackedRepo::new(local, key.clone(), at)),
        );
        batch.insert(keys::name(&key.lower()), &local.0.to_be_bytes());
        self.apply(batch)?;
        Ok(Added::New(local))
    }

    /// Stops tracking a repo and deletes everything stored for it. Returns false when not tracked.
    pub fn remove(&self, key: &RepoKey) -> Result<bool> {
        let Some(repo) = self.find(key)? else {
            return Ok(false);
        };
        // The mirror first: if the store write then fails, the store keeps a repo the mirror
        // lacks (harmless), never the other way round (which would bring it back).
        self.write_mirror(std::slice::from_ref(&repo))?;
        let mut batch = sled::Batch::default();
        batch.remove(keys::repo(repo.local));
        batch.remove(keys::detail(repo.local));
        batch.remove(keys::stats(repo.local));
        batch.remove(keys::items(repo.local));
        batch.remove(keys::name(&repo.key.lower()));
        if let Some(id) = repo.id {
            batch.remove(keys::gid(id));
            for item in self.tree.scan_prefix(keys::ACT) {
                let (k, v) = item.map_err(|e| self.read_err(keys::ACT, e))?;
                if decode::<ActivityEntry>(&k, &v)
                    .map(|a| a.repo == id)
                    .unwrap_or(true)
                {
                    batch.remove(k);
                }
            }
        }
        self.apply(batch)?;
        self.flush()?;
        Ok(true)
    }

    /// Writes one repo's sync result atomically: summary, details, activity and ETags together.
    /// Name and id indexes follow renames. Returns the activity entries written.
    pub fn apply_sync(&self, write: SyncWrite) -> Result<Vec<ActivityEntry>> {
        let mut batch = sled::Batch::default();
        let mut entries = Vec::new();
        let mut backup_needed = false;
        let synced = write.repo.is_some();
        if let Some(mut repo) = write.repo {
            let old = self.get(repo.local)?;
            if let Some(old) = &old
                && old.key.lower() != repo.key.lower()
            {
                batch.remove(keys::name(&old.key.lower()));
                backup_needed = true;
            }
            if old.as_ref().map(|o| o.id) != Some(repo.id) {
                backup_needed = true;
            }
            batch.insert(keys::name(&repo.key.lower()), &repo.local.0.to_be_bytes());
            if let Some(id) = repo.id {
                batch.insert(keys::gid(id), &repo.local.0.to_be_bytes());
                let at = write.at.unwrap_or_else(Utc::now);
                for change in write.changes {
                    let seq = self.db.generate_id().map_err(|e| self.sled_err(e))?;
                    let entry = ActivityEntry {
                        seq,
                        repo: id,
                        full_name: repo.key.to_string(),
                        at,
                        change,
                        read: false,
                    };
                    batch.insert(keys::act(seq), encode(&entry));
                    entries.push(entry);
                }
                repo.unread = repo.unread.saturating_add(entries.len() as u32);
            }
            if let Some(details) = &write.details {
                batch.insert(keys::detail(repo.local), encode(details));
            }
            batch.insert(keys::repo(repo.local), encode(&repo));
        }
        for (fp, url, entry) in &write.etags {
            batch.insert(keys::etag(fp, url), encode(entry));
        }
        self.apply(batch)?;
        if backup_needed && !write.defer_backup {
            self.write_mirror(&[])?;
        } else if synced {
            // The mirror also records each repo's sync time (how lost records are found); it is
            // rewritten once per sync pass, or when the store is dropped.
            self.backup_dirty
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(entries)
    }

    /// Writes the tracked-list backup owed by deferred `apply_sync` calls (the sync engine calls
    /// it once per pass instead of rewriting the whole list once per repo).
    pub fn write_deferred_backup(&self) -> Result<()> {
        if self.backup_dirty.load(std::sync::atomic::Ordering::SeqCst) {
            self.write_mirror(&[])?;
        }
        Ok(())
    }

    /// The activity feed, newest first, optionally for one repo and since a time.
    pub fn activity(
        &self,
        repo: Option<RepoId>,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::ACT).rev() {
            let (k, v) = item.map_err(|e| self.read_err(keys::ACT, e))?;
            let entry: ActivityEntry = decode(&k, &v)?;
            if repo.is_some_and(|r| r != entry.repo) || since.is_some_and(|s| entry.at < s) {
                continue;
            }
            out.push(entry);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Marks a repo's activity (or all activity) read.
    pub fn mark_read(&self, repo: Option<RepoId>) -> Result<()> {
        let mut batch = sled::Batch::default();
        for item in self.tree.scan_prefix(keys::ACT) {
            let (k, v) = item.map_err(|e| self.read_err(keys::ACT, e))?;
            let mut entry: ActivityEntry = decode(&k, &v)?;
            if !entry.read && repo.is_none_or(|r| r == entry.repo) {
                entry.read = true;
                batch.insert(k, encode(&entry));
            }
        }
        for mut tracked in self.list()? {
            if tracked.unread > 0 && repo.is_none_or(|r| tracked.id == Some(r)) {
                tracked.unread = 0;
                batch.insert(keys::repo(tracked.local), encode(&tracked));
            }
        }
        self.apply(batch)?;
        Ok(())
    }

    pub fn etag_get(&self, fingerprint: &str, url: &str) -> Result<Option<EtagEntry>> {
        self.get_raw(&keys::etag(fingerprint, url))
    }

    pub fn etag_put(&self, fingerprint: &str, url: &str, entry: &EtagEntry) -> Result<()> {
        self.tree
            .insert(keys::etag(fingerprint, url), encode(entry))
            .map_err(|e| self.sled_err(e))?;
        Ok(())
    }

    /// Reads an encrypted vault blob.
    pub fn vault_get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tree
            .get(keys::vault(name))
            .map_err(|e| self.read_err(keys::VAULT, e))?
            .map(|v| v.to_vec()))
    }

    /// Every vault blob, by name.
    pub fn vault_list(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::VAULT) {
            let (k, v) = item.map_err(|e| self.read_err(keys::VAULT, e))?;
            out.push((
                String::from_utf8_lossy(&k[keys::VAULT.len()..]).into_owned(),
                v.to_vec(),
            ));
        }
        Ok(out)
    }

    /// Writes (Some) or deletes (None) vault blobs in one atomic batch, durably, and refreshes the
    /// encrypted backup file that survives a corrupt store. Blobs must already be encrypted.
    pub fn vault_apply(&self, changes: Vec<(String, Option<Vec<u8>>)>) -> Result<()> {
        let mut after: std::collections::BTreeMap<String, Vec<u8>> =
            self.vault_list()?.into_iter().collect();
        let mut batch = sled::Batch::default();
        let mut removes = false;
        for (name, value) in changes {
            match value {
                Some(v) => {
                    batch.insert(keys::vault(&name), v.clone());
                    after.insert(name, v);
                }
                None => {
                    removes = true;
                    batch.remove(keys::vault(&name));
                    after.remove(&name);
                }
            }
        }
        let after: Vec<(String, Vec<u8>)> = after.into_iter().collect();
        let write_backup = || {
            mirror::write_vault(&self.dir, &after)
                .map_err(|e| self.file_err(&self.dir.join(mirror::VAULT), e))
        };
        // A removed token leaves the backup first, so a failure never brings it back.
        if removes {
            write_backup()?;
        }
        self.apply(batch)?;
        self.flush()?;
        if !removes {
            write_backup()?;
        }
        Ok(())
    }

    /// Rewrites `tracked.json` from the store, minus `removed`. Records are read before the
    /// flush, so every sync time it records is durable. Never drops an entry the store merely
    /// lost (see [`mirror::guard`]).
    fn write_mirror(&self, removed: &[TrackedRepo]) -> Result<()> {
        let gone: std::collections::HashSet<LocalId> = removed.iter().map(|r| r.local).collect();
        let repos: Vec<MirrorRepo> = self
            .list()?
            .iter()
            .filter(|r| !gone.contains(&r.local))
            .map(MirrorRepo::of)
            .collect();
        self.flush()?;
        self.backup_dirty
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let old: Vec<MirrorRepo> = mirror::read_tracked(&self.dir)
            .repos
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        let (list, kept) = mirror::guard(&old, repos, removed);
        if !kept.is_empty() {
            tracing::warn!(?kept, "tracked.json keeps repos the store no longer has");
        }
        mirror::write_tracked(&self.dir, &list).map_err(|e| {
            self.backup_dirty
                .store(true, std::sync::atomic::Ordering::SeqCst);
            self.file_err(&self.dir.join(mirror::TRACKED), e)
        })
    }

    /// Writes a schema-1 store, as an older repodeck did, for migration tests.
    #[doc(hidden)]
    pub fn write_schema_v1(dir: &Path, repos: &[TrackedRepoV1]) -> Result<()> {
        let failed = |e: &dyn std::fmt::Display| StoreError::Write {
            dir: dir.to_path_buf(),
            detail: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| failed(&e))?;
        let (db, tree) = Self::open_db(&dir.join("store")).map_err(|e| failed(&e))?;
        tree.insert(keys::SCHEMA, &1u16.to_be_bytes())
            .map_err(|e| failed(&e))?;
        for (i, r) in repos.iter().enumerate() {
            tree.insert(keys::repo(LocalId(1000 + i as u64)), encode_versioned(r, 1))
                .map_err(|e| failed(&e))?;
        }
        db.flush().map_err(|e| failed(&e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SyncStatus;

    fn key(s: &str) -> RepoKey {
        RepoKey::parse(s).unwrap()
    }

    #[test]
    fn add_list_remove_roundtrip() {
        let dir = tempfile::tempdir().unwrap();
        let (store, report) = Store::open(dir.path()).unwrap();
        assert_eq!(report, OpenReport::Fresh);
        assert!(matches!(
            store.add(&key("octocat/hello-world")).unwrap(),
            Added::New(_)
        ));
        assert!(matches!(
            store.add(&key("Octocat/Hello-World")).unwrap(),
            Added::Exists(_)
        ));
        assert_eq!(store.list().unwrap().len(), 1);
        assert!(store.remove(&key("octocat/hello-world")).unwrap());
        assert!(!store.remove(&key("octocat/hello-world")).unwrap());
        assert!(store.is_empty());
    }

    #[test]
    fn the_list_kept_from_open_is_dropped_by_any_write() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            store.add_many(&[key("a/one"), key("a/two")]).unwrap();
        }
        let names = |s: &Store| -> Vec<String> {
            s.list()
                .unwrap()
                .into_iter()
                .map(|r| r.key.to_string())
                .collect()
        };
        // Reopened: the first list comes from open's pass, and a write right after it shows.
        let (store, _) = Store::open(dir.path()).unwrap();
        assert_eq!(store.len(), 2);
        store.add(&key("a/three")).unwrap();
        assert_eq!(names(&store), ["a/one", "a/three", "a/two"]);
        drop(store);
        let (store, _) = Store::open(dir.path()).unwrap();
        assert!(store.remove(&key("a/one")).unwrap());
        assert_eq!(store.len(), 2);
        assert_eq!(names(&store), ["a/three", "a/two"]);
        // Without writes, reading twice gives the same list.
        assert_eq!(names(&store), names(&store));
    }

    #[test]
    fn a_large_list_with_holes_is_read_whole_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<RepoKey> = (0..3000)
            .map(|i| key(&format!("org-{}/repo-{i:04}", i % 7)))
            .collect();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            store.add_many(&keys).unwrap();
            // Holes in the id range, at the ends too.
            for k in [&keys[0], &keys[1500], &keys[2999]] {
                assert!(store.remove(k).unwrap());
            }
        }
        let (store, _) = Store::open(dir.path()).unwrap();
        let mut want: Vec<String> = keys.iter().map(RepoKey::lower).collect();
        want.retain(|k| {
            !["org-0/repo-0000", "org-2/repo-1500", "org-3/repo-2999"].contains(&k.as_str())
        });
        want.sort();
        let warm: Vec<String> = store
            .list()
            .unwrap()
            .iter()
            .map(|r| r.key.lower())
            .collect();
        assert_eq!(warm, want);
        // And the cold path (no list kept from open).
        let cold: Vec<String> = store
            .list()
            .unwrap()
            .iter()
            .map(|r| r.key.lower())
            .collect();
        assert_eq!(cold, want);
    }

    #[test]
    fn quietly_catches_a_panic_and_silences_only_while_it_runs() {
        let r = quietly(|| -> u8 { panic!("damaged") });
        let payload = r.unwrap_err();
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"damaged"));
        assert!(
            !QUIET.with(std::cell::Cell::get),
            "later panics print again"
        );
        assert_eq!(quietly(|| 7).unwrap(), 7);
    }

    #[test]
    fn second_open_is_refused_with_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let (_store, _) = Store::open(dir.path()).unwrap();
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("in use by another repodeck"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn sync_write_is_applied_with_activity_and_rename() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let Added::New(local) = store.add(&key("o/old")).unwrap() else {
            panic!()
        };
        let mut repo = store.get(local).unwrap().unwrap();
        repo.id = Some(RepoId(42));
        repo.key = key("o/new");
        repo.status = SyncStatus::Synced;
        let written = store
            .apply_sync(SyncWrite {
                repo: Some(repo),
                details: Some(RepoDetails::default()),
                changes: vec![Change::Stars { delta: 3 }],
                at: None,
                etags: vec![(
                    "fp".into(),
                    "http://x/a".into(),
                    EtagEntry {
                        etag: "W/\"1\"".into(),
                        body: b"{}".to_vec(),
                    },
                )],
                defer_backup: false,
            })
            .unwrap();
        assert_eq!(written.len(), 1);
        assert!(store.find(&key("o/old")).unwrap().is_none());
        let got = store.find(&key("o/new")).unwrap().unwrap();
        assert_eq!(got.unread, 1);
        assert_eq!(store.find_by_id(RepoId(42)).unwrap().unwrap().local, local);
        assert_eq!(store.activity(Some(RepoId(42)), None, 10).unwrap().len(), 1);
        assert_eq!(
            store.etag_get("fp", "http://x/a").unwrap().unwrap().etag,
            "W/\"1\""
        );
        assert!(store.etag_get("other", "http://x/a").unwrap().is_none());
        store.mark_read(None).unwrap();
        assert_eq!(store.find(&key("o/new")).unwrap().unwrap().unread, 0);
        let backup = std::fs::read_to_string(dir.path().join("tracked.json")).unwrap();
        assert!(
            backup.contains("o/new") && backup.contains("42"),
            "{backup}"
        );
    }

    #[test]
    fn a_store_from_a_newer_version_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            store.add(&key("a/b")).unwrap();
            store
                .tree
                .insert(keys::SCHEMA, &99u16.to_be_bytes())
                .unwrap();
            store.flush().unwrap();
        }
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("newer repodeck") && err.contains("schema 99"),
            "{err}"
        );
        assert!(
            dir.path().join("store").exists(),
            "the newer store must not be quarantined"
        );
    }

    #[test]
    fn sleds_own_lock_still_held_is_in_use_never_damage() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        // Something holds sled's lock while repodeck's lock file is free (a store of this process
        // still closing, or a process that ignored the lock file).
        let held = sled::Config::new()
            .path(dir.path().join("store"))
            .open()
            .unwrap();
        let err = Store::open(dir.path()).map(|_| ()).unwrap_err();
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(
            !std::fs::read_dir(dir.path()).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("corrupt")),
            "a store in use was quarantined"
        );
        // Released a moment later: the open waits for it and succeeds with the data intact.
        let release = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(held);
        });
        let (_store, report) = Store::open(dir.path()).unwrap();
        assert_eq!(report, OpenReport::Opened);
        release.join().unwrap();
    }

    #[test]
    fn a_quick_open_finds_damage_later_and_the_next_start_rebuilds() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            store
                .add_many(&[key("a/one"), key("a/two"), key("b/three")])
                .unwrap();
            let local = store.find(&key("a/two")).unwrap().unwrap().local;
            store
                .tree
                .insert(keys::repo(local), &[0, 2, 0xff, 0xff, 0xff])
                .unwrap();
            store.flush().unwrap();
        }
        // The quick open reads only what the first screen needs; the full read finds the damage.
        {
            let (store, report) = Store::open_quick(dir.path()).unwrap();
            assert_eq!(report, OpenReport::Opened);
            let first = store.first_by_name(1).unwrap();
            assert_eq!(first[0].key.to_string(), "a/one");
            assert!(matches!(store.list(), Err(StoreError::Corrupt { .. })));
            store.request_check();
        }
        // The next quick start checks everything, moves the damaged store aside and rebuilds it.
        let (store, report) = Store::open_quick(dir.path()).unwrap();
        assert!(
            matches!(
                report,
                OpenReport::Recovered {
                    restored_repos: 3,
                    ..
                }
            ),
            "{report:?}"
        );
        assert_eq!(store.len(), 3);
        assert!(!dir.path().join(CHECK_MARKER).exists());
    }

    #[test]
    fn failure_kinds_are_stored_as_the_strings_older_builds_wrote() {
        use crate::domain::{FailureKind, SyncError};
        #[derive(Serialize, Deserialize)]
        struct StringKind {
            kind: String,
            message: String,
            at: DateTime<Utc>,
        }
        let at = Utc::now();
        for kind in FailureKind::ALL {
            let old = encode(&StringKind {
                kind: kind.as_str().into(),
                message: "m".into(),
                at,
            });
            let read: SyncError = decode(b"k", &old).unwrap();
            assert_eq!((read.kind, read.at), (kind, at));
            let new = encode(&SyncError {
                kind,
                message: "m".into(),
                at,
            });
            assert_eq!(new, old, "same bytes as the string form");
        }
        let unknown = encode(&StringKind {
            kind: "from_the_future".into(),
            message: "m".into(),
            at,
        });
        let read: SyncError = decode(b"k", &unknown).unwrap();
        assert_eq!(read.kind, FailureKind::Internal);
    }

    #[test]
    fn an_undecodable_record_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .tree
            .insert(keys::detail(LocalId(7)), &[0, 2, 0xff, 0xff, 0xff])
            .unwrap();
        let err = store.details(LocalId(7)).unwrap_err().to_string();
        assert!(err.contains("unreadable"), "{err}");
    }

    #[test]
    fn concurrent_atomic_writes_of_one_file_all_succeed() {
        // A host writes tracked.json from its engine and a client's add at the same time.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tracked.json");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..100 {
                        super::write_atomic(&path, format!("{t}-{i}").as_bytes()).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("tracked.json")]);
    }
}
