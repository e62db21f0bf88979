//! When the user last looked at the attention queue (`W`), in its own sled tree (`attention`):
//! releases published after it are "new". One record; nothing of the repo records changes.
//!
//! Neighbours: `store/mod.rs` (the database); `sync::attention` reads and writes it.

use chrono::{DateTime, Utc};

use super::{Result, Store};

const TREE: &str = "attention";
/// Last look, as i64 BE seconds.
const SEEN: &[u8] = b"seen";

impl Store {
    fn attention_tree(&self) -> Result<sled::Tree> {
        self.db.open_tree(TREE).map_err(|e| self.write_err(e))
    }

    /// When the user last looked at the attention queue; `None` before the first look (or when
    /// the record is unreadable: the queue then treats recent releases as new).
    pub fn attention_seen(&self) -> Result<Option<DateTime<Utc>>> {
        let v = self
            .attention_tree()?
            .get(SEEN)
            .map_err(|e| self.read_err(SEEN, e))?;
        Ok(v.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok())
            .map(i64::from_be_bytes)
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)))
    }

    /// Records a look at the queue. An earlier time than the one stored is ignored (two views
    /// leaving the screen in any order keep the latest).
    pub fn attention_seen_put(&self, at: DateTime<Utc>) -> Result<()> {
        if self.attention_seen()?.is_some_and(|old| old >= at) {
            return Ok(());
        }
        self.attention_tree()?
            .insert(SEEN, &at.timestamp().to_be_bytes())
            .map_err(|e| self.write_err(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_look_survives_a_reopen_and_never_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let at = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        {
            let (store, _) = Store::open(dir.path()).unwrap();
            assert_eq!(store.attention_seen().unwrap(), None);
            store.attention_seen_put(at).unwrap();
            store
                .attention_seen_put(at - chrono::Duration::hours(1))
                .unwrap();
            store.flush().unwrap();
        }
        let (store, _) = Store::open(dir.path()).unwrap();
        assert_eq!(store.attention_seen().unwrap(), Some(at));
    }
}
