//! The `items/<local id>` records: a repository's item extras (labels, assignees, comment counts,
//! requested reviewers, PR heads' checks), fetched on demand and kept apart from the details so
//! a sync never rewrites them; [`Store::details`] lays the current ones over the details. A cache
//! like the statistics: a record this build cannot read is as good as none.

use crate::domain::{ItemExtras, LocalId};

use super::{Result, Store, StoreError, decode, encode, keys};

impl Store {
    /// The item extras stored for a repo; `None` when never fetched or unreadable.
    pub fn items_get(&self, local: LocalId) -> Result<Option<ItemExtras>> {
        let key = keys::items(local);
        let Some(bytes) = self.tree.get(&key).map_err(|e| self.read_err(&key, e))? else {
            return Ok(None);
        };
        match decode(&key, &bytes) {
            Ok(x) => Ok(Some(x)),
            Err(StoreError::Corrupt { detail, .. }) => {
                tracing::warn!(%detail, "a stored item-extras record is unreadable; it is fetched again");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The details as the last sync wrote them, without the extras.
    pub fn details_bare(&self, local: LocalId) -> Result<Option<crate::domain::RepoDetails>> {
        self.get_raw(&keys::detail(local))
    }

    /// Writes a repo's item extras. Returns false (and writes nothing) when the repo is no longer
    /// tracked.
    pub fn items_put(&self, local: LocalId, extras: &ItemExtras) -> Result<bool> {
        if self.get(local)?.is_none() {
            return Ok(false);
        }
        let mut batch = sled::Batch::default();
        batch.insert(keys::items(local), encode(extras));
        self.apply(batch)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Issue, ItemExtra, PullRequest, RepoDetails, RepoKey};

    #[test]
    fn current_extras_show_in_the_details_and_go_with_the_repo() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let key = RepoKey::parse("o/r").unwrap();
        let super::super::Added::New(id) = store.add(&key).unwrap() else {
            panic!("new repo");
        };
        let at = chrono::DateTime::from_timestamp(1_767_225_600, 0);
        let details = RepoDetails {
            pulls: vec![PullRequest {
                number: 1,
                updated_at: at,
                ..PullRequest::default()
            }],
            issues: vec![Issue {
                number: 2,
                updated_at: at,
                ..Issue::default()
            }],
            ..RepoDetails::default()
        };
        store
            .tree
            .insert(keys::detail(id), encode(&details))
            .unwrap();
        let extras = ItemExtras {
            fetched_at: at,
            pulls: vec![ItemExtra {
                number: 1,
                updated_at: at,
                labels: vec!["bug".into()],
                ..ItemExtra::default()
            }],
            issues: vec![ItemExtra {
                number: 2,
                updated_at: at,
                assignees: vec!["octocat".into()],
                comments: 5,
                ..ItemExtra::default()
            }],
        };
        assert!(store.items_put(id, &extras).unwrap());
        let d = store.details(id).unwrap().unwrap();
        assert_eq!(d.pulls[0].labels, ["bug"]);
        assert_eq!(d.issues[0].assignees, ["octocat"]);
        assert_eq!(d.issues[0].comments, 5);
        assert_eq!(store.details_bare(id).unwrap().unwrap(), details);

        // The extras outlive a sync that rewrites the details (GraphQL fetches no labels).
        store
            .tree
            .insert(keys::detail(id), encode(&details))
            .unwrap();
        assert_eq!(store.details(id).unwrap().unwrap().pulls[0].labels, ["bug"]);

        // An unreadable record is as good as none.
        store
            .tree
            .insert(keys::items(id), &b"\xff\xff"[..])
            .unwrap();
        assert_eq!(store.items_get(id).unwrap(), None);
        assert_eq!(store.details(id).unwrap().unwrap(), details);

        assert!(store.items_put(id, &extras).unwrap());
        assert!(store.remove(&key).unwrap());
        assert_eq!(store.items_get(id).unwrap(), None);
        assert!(!store.items_put(id, &extras).unwrap(), "untracked");
    }
}
