//! The ETag cache the GitHub client uses, over the store. Entries for a repository's URLs
//! (`/repos/OWNER/NAME/...`) are held back and handed to that repo's sync job, which writes them
//! in the same atomic batch as the data they validate: a kill between the two can never leave an
//! ETag that promises data the store does not have. Other URLs are written at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::domain::RepoKey;
use crate::github::EtagCache;
use crate::store::{EtagEntry, Store};

/// (token fingerprint, url, entry), as `SyncWrite::etags` takes them.
pub type Pending = (String, String, EtagEntry);

pub struct StoreEtags {
    store: Arc<Store>,
    pending: Mutex<HashMap<String, Vec<Pending>>>,
}

impl std::fmt::Debug for StoreEtags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreEtags").finish_non_exhaustive()
    }
}

impl StoreEtags {
    pub fn new(store: Arc<Store>) -> Self {
        StoreEtags {
            store,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// Takes the held-back entries of one repository (to write with its data, or to drop on failure).
    pub fn take(&self, key: &RepoKey) -> Vec<Pending> {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key.lower())
            .unwrap_or_default()
    }

    /// Takes only the held-back entries of one repository whose URL `keep` accepts (the
    /// statistics fetch takes its own, never a running sync's).
    pub fn take_matching(&self, key: &RepoKey, keep: impl Fn(&str) -> bool) -> Vec<Pending> {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(list) = pending.get_mut(&key.lower()) else {
            return Vec::new();
        };
        let (taken, left): (Vec<Pending>, Vec<Pending>) = std::mem::take(list)
            .into_iter()
            .partition(|(_, url, _)| keep(url));
        *list = left;
        if list.is_empty() {
            pending.remove(&key.lower());
        }
        taken
    }
}

/// `owner/name` (lower case) of a `/repos/OWNER/NAME[/...]` URL.
fn repo_of(url: &str) -> Option<String> {
    let path = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let mut parts = path.split('/').skip_while(|p| *p != "repos").skip(1);
    let owner = parts.next().filter(|s| !s.is_empty())?;
    let name = parts.next().filter(|s| !s.is_empty())?;
    Some(format!(
        "{}/{}",
        owner.to_ascii_lowercase(),
        name.to_ascii_lowercase()
    ))
}

impl EtagCache for StoreEtags {
    fn get(&self, token_fp: &str, url: &str) -> Option<(String, Vec<u8>)> {
        if let Some(repo) = repo_of(url) {
            let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(hit) = pending
                .get(&repo)
                .and_then(|v| v.iter().rev().find(|(fp, u, _)| fp == token_fp && u == url))
            {
                return Some((hit.2.etag.clone(), hit.2.body.clone()));
            }
        }
        match self.store.etag_get(token_fp, url) {
            Ok(entry) => entry.map(|e| (e.etag, e.body)),
            Err(e) => {
                tracing::warn!(error = %e, "reading a cached ETag failed; fetching in full");
                None
            }
        }
    }

    fn put(&self, token_fp: &str, url: &str, etag: &str, body: &[u8]) {
        let entry = EtagEntry {
            etag: etag.to_string(),
            body: body.to_vec(),
        };
        match repo_of(url) {
            Some(repo) => self
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(repo)
                .or_default()
                .push((token_fp.to_string(), url.to_string(), entry)),
            None => {
                if let Err(e) = self.store.etag_put(token_fp, url, &entry) {
                    tracing::warn!(error = %e, "saving an ETag failed; the next request fetches in full");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_urls_are_held_for_the_job_and_others_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap().0);
        let cache = StoreEtags::new(store.clone());
        cache.put(
            "fp",
            "http://h/repos/Octo/Hello/pulls?state=open",
            "e1",
            b"[]",
        );
        cache.put("fp", "http://h/orgs/octo/repos", "e2", b"[]");
        assert_eq!(
            cache
                .get("fp", "http://h/repos/Octo/Hello/pulls?state=open")
                .unwrap()
                .0,
            "e1"
        );
        assert!(
            store
                .etag_get("fp", "http://h/repos/Octo/Hello/pulls?state=open")
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store
                .etag_get("fp", "http://h/orgs/octo/repos")
                .unwrap()
                .unwrap()
                .etag,
            "e2"
        );
        let taken = cache.take(&RepoKey::parse("octo/hello").unwrap());
        assert_eq!(taken.len(), 1);
        assert!(
            cache
                .take(&RepoKey::parse("octo/hello").unwrap())
                .is_empty()
        );
        assert_eq!(
            repo_of("https://api.github.com/repos/a/b"),
            Some("a/b".into())
        );
        assert_eq!(repo_of("https://api.github.com/rate_limit"), None);
    }
}
