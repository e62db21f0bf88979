//! What `repodeck serve` keeps between runs, in its own sled tree (`serve`) beside the repo data:
//! the `X-GitHub-Delivery` GUIDs of the last 3 days (GitHub's redelivery window, so a redelivery
//! or a replay is answered but not processed twice, across restarts), the repos a delivery asked
//! to sync that are not synced yet (picked up again after a restart), each hook's last ping and
//! delivery (for `hook list`), and the last good copy of GitHub's `/meta` hook ranges.
//!
//! Neighbours: `store/mod.rs` (the database this tree lives in); `serve` is the only writer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store, decode, encode};
use crate::domain::RepoId;

/// How long a delivery GUID is remembered: GitHub redelivers for up to 3 days.
pub const DELIVERY_WINDOW: chrono::Duration = chrono::Duration::days(3);

pub(super) const TREE: &str = "serve";
/// `guid/<guid>` -> first-seen time (i64 BE seconds)
const GUID: &[u8] = b"guid/";
/// `exp/<first-seen i64 BE><guid>` -> nothing: the GUIDs in age order, for pruning
const EXP: &[u8] = b"exp/";
/// `pending/<github id u64 BE>` -> asked-at time: a delivery's sync not done yet
const PENDING: &[u8] = b"pending/";
/// `hook/<hook id u64 BE>` -> HookSeen
const HOOK: &[u8] = b"hook/";
/// The last good `GET /meta` hook ranges
const META: &[u8] = b"meta/hooks";

/// A hook as `serve` has seen it: its last `ping` (GitHub sends one when the hook is created, and
/// `hook ping` asks for one) and its last delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookSeen {
    /// `X-GitHub-Hook-ID`.
    pub hook_id: u64,
    /// The repository of a repository hook.
    pub repo: Option<RepoId>,
    /// The organization of an organization hook (its login).
    pub org: Option<String>,
    pub last_ping: Option<DateTime<Utc>>,
    pub last_delivery: Option<DateTime<Utc>>,
    /// The `X-GitHub-Event` of that last delivery (`ping` included).
    pub last_event: Option<String>,
}

/// GitHub's webhook source ranges (`GET /meta`, key `hooks`) as last fetched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaCache {
    pub hooks: Vec<String>,
    pub fetched_at: DateTime<Utc>,
}

fn with(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(rest);
    k
}

impl Store {
    fn serve_tree(&self) -> Result<sled::Tree> {
        self.db.open_tree(TREE).map_err(|e| self.write_err(e))
    }

    /// Records a delivery GUID seen at `at`. False when it was already seen within
    /// [`DELIVERY_WINDOW`]: a redelivery or a replay, not to be processed again.
    pub fn delivery_first_seen(&self, guid: &str, at: DateTime<Utc>) -> Result<bool> {
        let tree = self.serve_tree()?;
        let key = with(GUID, guid.as_bytes());
        let stamp = at.timestamp().to_be_bytes();
        let mut old = None;
        loop {
            let swap = tree
                .compare_and_swap(&key, old.as_ref(), Some(&stamp[..]))
                .map_err(|e| self.write_err(e))?;
            match swap {
                Ok(()) => break,
                Err(current) => {
                    let seen = current
                        .current
                        .as_ref()
                        .and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
                        .map(i64::from_be_bytes);
                    match seen {
                        Some(t) if at.timestamp() - t < DELIVERY_WINDOW.num_seconds() => {
                            return Ok(false);
                        }
                        // Older than the window (not pruned yet) or unreadable: seen anew.
                        _ => old = current.current,
                    }
                }
            }
        }
        let mut exp = with(EXP, &stamp);
        exp.extend_from_slice(guid.as_bytes());
        tree.insert(exp, &[]).map_err(|e| self.write_err(e))?;
        Ok(true)
    }

    /// Forgets the GUIDs first seen more than [`DELIVERY_WINDOW`] before `now`; returns how many.
    pub fn deliveries_prune(&self, now: DateTime<Utc>) -> Result<usize> {
        let tree = self.serve_tree()?;
        let cutoff = (now - DELIVERY_WINDOW).timestamp();
        let mut batch = sled::Batch::default();
        let mut n = 0;
        for item in tree.range(with(EXP, &[])..with(EXP, &cutoff.to_be_bytes())) {
            let (k, _) = item.map_err(|e| self.read_err(EXP, e))?;
            if let Some(guid) = k.get(EXP.len() + 8..) {
                let key = with(GUID, guid);
                // A GUID seen again after its first sighting expired has a newer stamp: keep it.
                let stamp = k.get(EXP.len()..EXP.len() + 8).unwrap_or_default();
                if tree
                    .get(&key)
                    .ok()
                    .flatten()
                    .is_some_and(|v| v.as_ref() == stamp)
                {
                    batch.remove(key);
                }
            }
            batch.remove(k);
            n += 1;
        }
        tree.apply_batch(batch).map_err(|e| self.write_err(e))?;
        Ok(n)
    }

    /// Remembers that a delivery asked to sync `id`, until [`Store::webhook_pending_done`].
    pub fn webhook_pending_add(&self, id: RepoId, at: DateTime<Utc>) -> Result<()> {
        let tree = self.serve_tree()?;
        tree.insert(
            with(PENDING, &id.0.to_be_bytes()),
            &at.timestamp().to_be_bytes(),
        )
        .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// The sync a delivery asked for is done.
    pub fn webhook_pending_done(&self, id: RepoId) -> Result<()> {
        let tree = self.serve_tree()?;
        tree.remove(with(PENDING, &id.0.to_be_bytes()))
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// Repos deliveries asked to sync that were not synced yet (e.g. when `serve` was stopped).
    pub fn webhook_pending(&self) -> Result<Vec<RepoId>> {
        let tree = self.serve_tree()?;
        let mut out = Vec::new();
        for item in tree.scan_prefix(PENDING) {
            let (k, _) = item.map_err(|e| self.read_err(PENDING, e))?;
            if let Some(id) = super::keys::tail_u64(&k, PENDING) {
                out.push(RepoId(id));
            }
        }
        Ok(out)
    }

    /// What `serve` last saw of one hook. A record that no longer decodes (written by an older
    /// build) reads as none: the next ping or delivery writes it anew.
    pub fn hook_seen(&self, hook_id: u64) -> Result<Option<HookSeen>> {
        let key = with(HOOK, &hook_id.to_be_bytes());
        match self
            .serve_tree()?
            .get(&key)
            .map_err(|e| self.read_err(HOOK, e))?
        {
            Some(v) => Ok(decode(&key, &v).ok()),
            None => Ok(None),
        }
    }

    pub fn hook_seen_put(&self, seen: &HookSeen) -> Result<()> {
        self.serve_tree()?
            .insert(with(HOOK, &seen.hook_id.to_be_bytes()), encode(seen))
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// Every hook `serve` has heard from, by hook id (records that no longer decode are
    /// skipped, as in [`Store::hook_seen`]).
    pub fn hooks_seen(&self) -> Result<Vec<HookSeen>> {
        let mut out = Vec::new();
        for item in self.serve_tree()?.scan_prefix(HOOK) {
            let (k, v) = item.map_err(|e| self.read_err(HOOK, e))?;
            if let Ok(seen) = decode(&k, &v) {
                out.push(seen);
            }
        }
        Ok(out)
    }

    pub fn meta_cache(&self) -> Result<Option<MetaCache>> {
        match self
            .serve_tree()?
            .get(META)
            .map_err(|e| self.read_err(META, e))?
        {
            Some(v) => decode(META, &v).map(Some),
            None => Ok(None),
        }
    }

    pub fn meta_cache_put(&self, cache: &MetaCache) -> Result<()> {
        self.serve_tree()?
            .insert(META, encode(cache))
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guid_is_new_once_within_the_window_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc::now();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            assert!(store.delivery_first_seen("g-1", t0).unwrap());
            assert!(!store.delivery_first_seen("g-1", t0).unwrap());
            assert!(store.delivery_first_seen("g-2", t0).unwrap());
            store.webhook_pending_add(RepoId(7), t0).unwrap();
            store.flush().unwrap();
        }
        let (store, _) = Store::open(dir.path()).unwrap();
        assert!(
            !store
                .delivery_first_seen("g-1", t0 + chrono::Duration::hours(71))
                .unwrap()
        );
        assert_eq!(store.webhook_pending().unwrap(), vec![RepoId(7)]);
        store.webhook_pending_done(RepoId(7)).unwrap();
        assert!(store.webhook_pending().unwrap().is_empty());
        // Past the window: pruned, and new again.
        let later = t0 + DELIVERY_WINDOW + chrono::Duration::hours(1);
        assert_eq!(store.deliveries_prune(later).unwrap(), 2);
        assert!(store.delivery_first_seen("g-1", later).unwrap());
        assert!(!store.delivery_first_seen("g-1", later).unwrap());
    }

    #[test]
    fn hooks_and_meta_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let seen = HookSeen {
            hook_id: 42,
            repo: Some(RepoId(9)),
            org: None,
            last_ping: Some(Utc::now()),
            last_delivery: None,
            last_event: Some("ping".into()),
        };
        store.hook_seen_put(&seen).unwrap();
        // A record an older build wrote (fewer fields) reads as none and is skipped.
        store
            .serve_tree()
            .unwrap()
            .insert(with(HOOK, &7u64.to_be_bytes()), &[0, 3, 1, 2][..])
            .unwrap();
        assert_eq!(store.hook_seen(7).unwrap(), None);
        assert_eq!(store.hook_seen(42).unwrap(), Some(seen.clone()));
        assert_eq!(store.hooks_seen().unwrap(), vec![seen]);
        assert_eq!(store.meta_cache().unwrap(), None);
        let meta = MetaCache {
            hooks: vec!["127.0.0.1/32".into()],
            fetched_at: Utc::now(),
        };
        store.meta_cache_put(&meta).unwrap();
        assert_eq!(store.meta_cache().unwrap(), Some(meta));
    }
}
