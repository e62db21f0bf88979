//! The `stats/<local id>` records: a repository's statistics (commits per week, top
//! contributors), fetched lazily when its Overview opens and kept apart from the details, so a
//! sync never rewrites them. A cache like the rest: a record this build cannot read is as good
//! as none (the next fetch writes it again).

use chrono::{DateTime, Utc};

use crate::domain::{LocalId, RepoStats};

use super::{EtagEntry, Result, Store, StoreError, decode, encode, keys};

impl Store {
    /// The statistics stored for a repo; `None` when never fetched or unreadable.
    pub fn stats_get(&self, local: LocalId) -> Result<Option<RepoStats>> {
        let key = keys::stats(local);
        let Some(bytes) = self.tree.get(&key).map_err(|e| self.read_err(&key, e))? else {
            return Ok(None);
        };
        match decode(&key, &bytes) {
            Ok(stats) => Ok(Some(stats)),
            Err(StoreError::Corrupt { detail, .. }) => {
                tracing::warn!(%detail, "a stored statistics record is unreadable; it is fetched again");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// When each stored statistics record was fetched (unreadable records left out).
    pub fn stats_ages(&self) -> Result<Vec<(LocalId, Option<DateTime<Utc>>)>> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(keys::STATS) {
            let (k, v) = item.map_err(|e| self.read_err(keys::STATS, e))?;
            let Some(id) = keys::tail_u64(&k, keys::STATS) else {
                continue;
            };
            if let Ok(stats) = decode::<RepoStats>(&k, &v) {
                out.push((LocalId(id), stats.fetched_at));
            }
        }
        Ok(out)
    }

    /// Writes a repo's statistics and the ETags that validate them in one batch. Returns false
    /// (and writes nothing) when the repo is no longer tracked.
    pub fn stats_put(
        &self,
        local: LocalId,
        stats: &RepoStats,
        etags: &[(String, String, EtagEntry)],
    ) -> Result<bool> {
        if self.get(local)?.is_none() {
            return Ok(false);
        }
        let mut batch = sled::Batch::default();
        batch.insert(keys::stats(local), encode(stats));
        for (fp, url, entry) in etags {
            batch.insert(keys::etag(fp, url), encode(entry));
        }
        self.apply(batch)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Contributor, RepoKey};

    fn stats() -> RepoStats {
        RepoStats {
            weekly_commits: (0..52).collect(),
            contributors: vec![Contributor {
                login: "octocat".into(),
                commits: 135,
                recent: 10,
            }],
            fetched_at: chrono::DateTime::from_timestamp(1_767_225_600, 0),
        }
    }

    #[test]
    fn stats_round_trip_with_their_etags_and_go_with_the_repo() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let key = RepoKey::parse("o/r").unwrap();
        let super::super::Added::New(id) = store.add(&key).unwrap() else {
            panic!("new repo");
        };
        assert_eq!(store.stats_get(id).unwrap(), None);
        let etag = EtagEntry {
            etag: "W/\"1\"".into(),
            body: b"{}".to_vec(),
        };
        let url = "http://h/repos/o/r/stats/participation".to_string();
        assert!(
            store
                .stats_put(id, &stats(), &[("fp".into(), url.clone(), etag.clone())])
                .unwrap()
        );
        assert_eq!(store.stats_get(id).unwrap(), Some(stats()));
        let ages = store.stats_ages().unwrap();
        assert_eq!(ages.len(), 1);
        assert_eq!(ages[0].0, id);
        assert!(ages[0].1.is_some());
        assert_eq!(store.etag_get("fp", &url).unwrap(), Some(etag));
        assert!(store.remove(&key).unwrap());
        assert_eq!(store.stats_get(id).unwrap(), None, "untracking drops them");
        assert!(
            !store.stats_put(id, &stats(), &[]).unwrap(),
            "no record for an untracked repo"
        );
        assert_eq!(store.stats_get(id).unwrap(), None);
    }

    #[test]
    fn an_unreadable_record_is_as_good_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .tree
            .insert(keys::stats(LocalId(3)), &[0, 1, 0xff][..])
            .unwrap();
        assert_eq!(store.stats_get(LocalId(3)).unwrap(), None);
    }
}
