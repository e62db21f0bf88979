//! What the freshness scheduler keeps between runs, in its own sled tree (`freshness`) beside
//! the repo data: when each tracked repo last changed (so a restart keeps every repo's cadence
//! class) and the plan last published (for `repodeck status` while no engine runs in-process).
//! New records only: nothing of the repo records changes.
//!
//! Neighbours: `store/mod.rs` (the database); `sync::engine` is the only writer.

use chrono::{DateTime, Utc};

use super::{Result, Store, decode, encode};
use crate::domain::{FreshnessPlan, LocalId};

pub(super) const TREE: &str = "freshness";
/// `chg/<local id u64 BE>` -> last change time (i64 BE seconds)
const CHANGE: &[u8] = b"chg/";
/// The plan last published
const PLAN: &[u8] = b"plan";

fn change_key(id: LocalId) -> Vec<u8> {
    let mut k = CHANGE.to_vec();
    k.extend_from_slice(&id.0.to_be_bytes());
    k
}

impl Store {
    fn freshness_tree(&self) -> Result<sled::Tree> {
        self.db.open_tree(TREE).map_err(|e| self.write_err(e))
    }

    /// Records that `id` changed at `at`.
    pub fn last_change_put(&self, id: LocalId, at: DateTime<Utc>) -> Result<()> {
        self.freshness_tree()?
            .insert(change_key(id), &at.timestamp().to_be_bytes())
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// When each repo last changed, as recorded (unreadable records are skipped).
    pub fn last_changes(&self) -> Result<std::collections::HashMap<LocalId, DateTime<Utc>>> {
        let mut out = std::collections::HashMap::new();
        for item in self.freshness_tree()?.scan_prefix(CHANGE) {
            let (k, v) = item.map_err(|e| self.read_err(CHANGE, e))?;
            let id = k
                .get(CHANGE.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes);
            let at = <[u8; 8]>::try_from(v.as_ref())
                .ok()
                .map(i64::from_be_bytes)
                .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
            if let (Some(id), Some(at)) = (id, at) {
                out.insert(LocalId(id), at);
            }
        }
        Ok(out)
    }

    pub fn freshness_plan(&self) -> Result<Option<FreshnessPlan>> {
        match self
            .freshness_tree()?
            .get(PLAN)
            .map_err(|e| self.read_err(PLAN, e))?
        {
            Some(v) => Ok(decode(PLAN, &v).ok()),
            None => Ok(None),
        }
    }

    pub fn freshness_plan_put(&self, plan: &FreshnessPlan) -> Result<()> {
        self.freshness_tree()?
            .insert(PLAN, encode(plan))
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_changes_and_the_plan_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            store.last_change_put(LocalId(3), at).unwrap();
            store
                .freshness_plan_put(&FreshnessPlan {
                    at,
                    budget_points: 500,
                    spent_last_hour: 42,
                    classes: Vec::new(),
                    next_probe: Some(at),
                    mean_age_secs: Some(60),
                    hint_feeds: 1,
                    hint_polls: 2,
                    hint_not_modified: 1,
                })
                .unwrap();
            store.flush().unwrap();
        }
        let (store, _) = Store::open(dir.path()).unwrap();
        assert_eq!(store.last_changes().unwrap().get(&LocalId(3)), Some(&at));
        assert_eq!(store.freshness_plan().unwrap().unwrap().spent_last_hour, 42);
    }
}
