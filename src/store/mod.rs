//! The store: the ONLY module that names `sled` or `bincode`. A typed, versioned, rebuildable cache
//! of GitHub plus the user's own data (tracked list, encrypted tokens). Every per-repo sync result
//! is written in one atomic batch; a corrupt store is quarantined and rebuilt; one process at a time.
//!
//! Neighbours: `domain` (the types it stores), `secrets` (keeps the encrypted vault here), `sync`
//! (writes), `tui` and the CLI (read). `github` never sees it: `sync::etags` adapts [`Store`]'s
//! ETag methods to the client's cache trait.

pub mod deliveries;
pub mod keys;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::dirs::private_dir;
use crate::domain::{ActivityEntry, Change, LocalId, RepoDetails, RepoId, RepoKey, TrackedRepo};

/// The schema this build writes. Bump it when a stored type changes shape, and add a migration.
pub const SCHEMA_VERSION: u16 = 2;
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

/// The plain-file mirror of user data that survives a corrupt store.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Backup {
    repos: Vec<BackupRepo>,
}
#[derive(Debug, Serialize, Deserialize)]
struct BackupRepo {
    full_name: String,
    id: Option<u64>,
    added_at: DateTime<Utc>,
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
    /// A deferred `apply_sync` changed the tracked list: `write_deferred_backup` owes a backup.
    backup_dirty: std::sync::atomic::AtomicBool,
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

fn decode<T: DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T> {
    let corrupt = |detail: String| StoreError::Corrupt {
        key: String::from_utf8_lossy(key).into_owned(),
        detail,
    };
    if bytes.len() < 2 {
        return Err(corrupt("record too short".into()));
    }
    let version = u16::from_be_bytes([bytes[0], bytes[1]]);
    if version != SCHEMA_VERSION {
        return Err(corrupt(format!(
            "record of schema {version}, expected {SCHEMA_VERSION}"
        )));
    }
    let (value, used) = bincode::serde::decode_from_slice(&bytes[2..], bincode::config::standard())
        .map_err(|e| corrupt(e.to_string()))?;
    if used != bytes.len() - 2 {
        return Err(corrupt("trailing bytes".into()));
    }
    Ok(value)
}

fn decode_v1<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    let rest = bytes.strip_prefix(&1u16.to_be_bytes())?;
    bincode::serde::decode_from_slice(rest, bincode::config::standard())
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
            if !QUIET.with(std::cell::Cell::get) {
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
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file"),
        std::process::id()
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

impl Store {
    /// Opens (or creates) the store in `dir`, taking the process lock first. Every record is
    /// read and checked; a damaged store is moved aside and rebuilt from the backups.
    pub fn open(dir: &Path) -> Result<(Store, OpenReport)> {
        Self::open_with(dir, true)
    }

    /// Like [`Store::open`] without reading every record first, for the TUI's start: it shows the
    /// first screenful ([`Store::first_by_name`]) at once and reads the rest in the background.
    /// When that read finds damage it calls [`Store::request_check`], and the next start checks
    /// (and, if needed, rebuilds) the store as [`Store::open`] does.
    pub fn open_quick(dir: &Path) -> Result<(Store, OpenReport)> {
        let full = dir.join(CHECK_MARKER).exists();
        Self::open_with(dir, full)
    }

    /// Asks the next start to check every record (see [`Store::open_quick`]).
    pub fn request_check(&self) {
        let _ = write_atomic(&self.dir.join(CHECK_MARKER), b"");
    }

    fn open_with(dir: &Path, verify: bool) -> Result<(Store, OpenReport)> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
        private_dir(dir);
        let lock = Self::lock(dir)?;
        let db_path = dir.join("store");
        let existed = db_path.exists();
        match Self::open_db(&db_path) {
            Ok((db, tree)) => {
                let mut store = Store::new(db, tree, dir, lock);
                match store.check_schema(verify) {
                    Ok(report) => {
                        if existed && store.is_empty() && Self::backup_count(dir) > 0 {
                            // sled may drop a damaged log silently; the backup says repos existed.
                            let lock = store.into_lock();
                            return Self::recover(
                                dir,
                                &db_path,
                                lock,
                                "the store lost its records".into(),
                            );
                        }
                        let report = if existed { report } else { OpenReport::Fresh };
                        Ok((store, report))
                    }
                    Err(StoreError::TooNew { dir, found }) => {
                        Err(StoreError::TooNew { dir, found })
                    }
                    Err(e) => {
                        let reason = e.to_string();
                        let lock = store.into_lock();
                        Self::recover(dir, &db_path, lock, reason)
                    }
                }
            }
            Err(e) if existed => Self::recover(dir, &db_path, lock, e.to_string()),
            Err(e) => Err(StoreError::Dir {
                dir: dir.to_path_buf(),
                source: std::io::Error::other(e),
            }),
        }
    }

    /// The one constructor: an opened database and the lock held for it.
    fn new(db: sled::Db, tree: sled::Tree, dir: &Path, lock: File) -> Store {
        Store {
            db,
            tree,
            dir: dir.to_path_buf(),
            _lock: lock,
            backup_dirty: Default::default(),
            warm: Default::default(),
        }
    }

    fn backup_count(dir: &Path) -> usize {
        std::fs::read(dir.join("tracked.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Backup>(&b).ok())
            .map_or(0, |b| b.repos.len())
    }

    fn into_lock(self) -> File {
        let Store {
            db, tree, _lock, ..
        } = self;
        drop(tree);
        drop(db);
        _lock
    }

    fn lock(dir: &Path) -> Result<File> {
        let path = dir.join("repodeck.lock");
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|source| StoreError::Dir {
                dir: dir.to_path_buf(),
                source,
            })?;
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
            Err(std::fs::TryLockError::Error(source)) => Err(StoreError::Dir {
                dir: dir.to_path_buf(),
                source,
            }),
        }
    }

    /// Opens sled, turning both its errors and its panics on damaged files into an error.
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
                    .map_err(|e| self.write_err(e))?;
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
        if from != 1 {
            return Err(StoreError::Corrupt {
                key: "meta/schema".into(),
                detail: format!("unknown schema {from}"),
            });
        }
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
        self.write_backup()?;
        Ok(())
    }

    /// Moves a damaged store aside and starts a fresh one, restoring user data from the backups.
    fn recover(
        dir: &Path,
        db_path: &Path,
        lock: File,
        reason: String,
    ) -> Result<(Store, OpenReport)> {
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        let quarantined = dir.join(format!("store.corrupt-{stamp}"));
        std::fs::rename(db_path, &quarantined).map_err(|source| StoreError::Dir {
            dir: dir.to_path_buf(),
            source,
        })?;
        tracing::warn!(quarantined = %quarantined.display(), %reason, "store was corrupt; rebuilt");
        let (db, tree) = Self::open_db(db_path).map_err(|e| StoreError::Dir {
            dir: dir.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        let mut store = Store::new(db, tree, dir, lock);
        store.check_schema(true)?;
        let _ = std::fs::remove_file(dir.join(CHECK_MARKER));
        let backup: Backup = std::fs::read(dir.join("tracked.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut restored_repos = 0;
        for r in backup.repos {
            let Ok(key) = RepoKey::parse(&r.full_name) else {
                continue;
            };
            let Ok(Added::New(local)) = store.add_at(&key, r.added_at) else {
                continue;
            };
            restored_repos += 1;
            if let Some(id) = r.id
                && let Ok(Some(mut repo)) = store.get(local)
            {
                repo.id = Some(RepoId(id));
                let mut batch = sled::Batch::default();
                batch.insert(keys::gid(RepoId(id)), &local.0.to_be_bytes());
                batch.insert(keys::repo(local), encode(&repo));
                store.apply(batch)?;
            }
        }
        let secrets: Vec<(String, Vec<u8>)> = std::fs::read(dir.join("vault-backup.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let restored_secrets = secrets.len();
        if !secrets.is_empty() {
            store.vault_apply(secrets.into_iter().map(|(k, v)| (k, Some(v))).collect())?;
        }
        store.flush()?;
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

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read_err(&self, key: &[u8], e: sled::Error) -> StoreError {
        StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            detail: e.to_string(),
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
        self.db.flush().map(|_| ()).map_err(|e| self.write_err(e))
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
        self.tree.apply_batch(batch).map_err(|e| self.write_err(e))
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

    pub fn details(&self, local: LocalId) -> Result<Option<RepoDetails>> {
        self.get_raw(&keys::detail(local))
    }

    /// Starts tracking `key`; a repo already tracked is left as it is.
    pub fn add(&self, key: &RepoKey) -> Result<Added> {
        let added = self.add_at(key, Utc::now())?;
        if matches!(added, Added::New(_)) {
            self.flush()?;
            self.write_backup()?;
        }
        Ok(added)
    }

    /// Adds several repos in one batch (import); returns how many were new.
    pub fn add_many(&self, keys_in: &[RepoKey]) -> Result<usize> {
        let mut batch = sled::Batch::default();
        let mut seen = std::collections::HashSet::new();
        let now = Utc::now();
        for key in keys_in {
            if !seen.insert(key.lower()) || self.local_from(&keys::name(&key.lower()))?.is_some() {
                continue;
            }
            let local = LocalId(self.db.generate_id().map_err(|e| self.write_err(e))?);
            batch.insert(
                keys::repo(local),
                encode(&TrackedRepo::new(local, key.clone(), now)),
            );
            batch.insert(keys::name(&key.lower()), &local.0.to_be_bytes());
        }
        let n = seen.len();
        self.apply(batch)?;
        self.flush()?;
        self.write_backup()?;
        Ok(n.min(keys_in.len()))
    }

    fn add_at(&self, key: &RepoKey, at: DateTime<Utc>) -> Result<Added> {
        if let Some(local) = self.local_from(&keys::name(&key.lower()))? {
            return Ok(Added::Exists(local));
        }
        let local = LocalId(self.db.generate_id().map_err(|e| self.write_err(e))?);
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
        let mut batch = sled::Batch::default();
        batch.remove(keys::repo(repo.local));
        batch.remove(keys::detail(repo.local));
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
        self.write_backup()?;
        Ok(true)
    }

    /// Writes one repo's sync result atomically: summary, details, activity and ETags together.
    /// Name and id indexes follow renames. Returns the activity entries written.
    pub fn apply_sync(&self, write: SyncWrite) -> Result<Vec<ActivityEntry>> {
        let mut batch = sled::Batch::default();
        let mut entries = Vec::new();
        let mut backup_needed = false;
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
                    let seq = self.db.generate_id().map_err(|e| self.write_err(e))?;
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
        if backup_needed {
            if write.defer_backup {
                self.backup_dirty
                    .store(true, std::sync::atomic::Ordering::SeqCst);
            } else {
                self.flush()?;
                self.write_backup()?;
            }
        }
        Ok(entries)
    }

    /// Writes the tracked-list backup owed by deferred `apply_sync` calls (the sync engine calls
    /// it once per pass instead of rewriting the whole list once per repo).
    pub fn write_deferred_backup(&self) -> Result<()> {
        if self
            .backup_dirty
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            self.flush()?;
            self.write_backup()?;
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
            .map_err(|e| self.write_err(e))?;
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
        let mut batch = sled::Batch::default();
        for (name, value) in changes {
            match value {
                Some(v) => batch.insert(keys::vault(&name), v),
                None => batch.remove(keys::vault(&name)),
            }
        }
        self.apply(batch)?;
        self.flush()?;
        let all = self.vault_list()?;
        let json = serde_json::to_vec(&all).map_err(|e| self.write_err(e))?;
        write_atomic(&self.dir.join("vault-backup.json"), &json).map_err(|e| self.write_err(e))
    }

    /// Rewrites the plain-file copy of the tracked list.
    fn write_backup(&self) -> Result<()> {
        let repos = self
            .list()?
            .into_iter()
            .map(|r| BackupRepo {
                full_name: r.key.to_string(),
                id: r.id.map(|i| i.0),
                added_at: r.added_at,
            })
            .collect();
        let json = serde_json::to_vec_pretty(&Backup { repos }).map_err(|e| self.write_err(e))?;
        write_atomic(&self.dir.join("tracked.json"), &json).map_err(|e| self.write_err(e))
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
}
