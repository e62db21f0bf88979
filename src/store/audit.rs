//! The token-use audit log, in its own sled tree (`audit`) beside the repo data: one record per
//! request to GitHub ([`RequestRecord`]: time, token id, token source, repo, endpoint class,
//! method, status or failure, points), append-only, never the token. Keys are the time in
//! microseconds (big-endian) then a database-unique id, so a range scan by time is cheap and the
//! oldest records are pruned first: by age (`audit.retention`) and by count (`audit.max_entries`).
//!
//! Neighbours: `store/mod.rs` (the database and the versioned record encoding); the session's
//! audit writer is the only writer, `repodeck audit` and the TUI's rate panel read.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Result, Store, encode};
use crate::domain::{FailureKind, RequestOutcome, RequestRecord, TokenKind};

pub(super) const TREE: &str = "audit";
/// `e/<micros u64 BE><id u64 BE>` -> an encoded [`AuditV2`]
const ENTRY: &[u8] = b"e/";
/// The number of entries (u64 BE), kept beside them for the size bound.
const COUNT: &[u8] = b"m/count";

/// A record as stored (its layout unchanged since schema 2; written under the current schema).
#[derive(Debug, Serialize, Deserialize)]
struct AuditV2 {
    token: Option<String>,
    source: u8,
    repo: Option<String>,
    repos: u32,
    class: String,
    method: String,
    /// The HTTP status; 0 when `failure` says why no answer came.
    status: u16,
    failure: Option<String>,
    points: u32,
}

fn key(at: DateTime<Utc>, id: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(ENTRY.len() + 16);
    k.extend_from_slice(ENTRY);
    k.extend_from_slice(&micros(at).to_be_bytes());
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Microseconds since 1970, 0 for anything earlier (keys must sort by time).
fn micros(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_micros()).unwrap_or(0)
}

fn time_prefix(at: DateTime<Utc>) -> Vec<u8> {
    let mut k = ENTRY.to_vec();
    k.extend_from_slice(&micros(at).to_be_bytes());
    k
}

fn source_code(k: TokenKind) -> u8 {
    TokenKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u8
}

fn to_wire(r: &RequestRecord) -> AuditV2 {
    let (status, failure) = match r.outcome {
        RequestOutcome::Status(s) => (s, None),
        RequestOutcome::Failed(k) => (0, Some(k.as_str().to_string())),
    };
    AuditV2 {
        token: r.token.as_deref().map(str::to_string),
        source: source_code(r.source),
        repo: r.repo.clone(),
        repos: r.repos,
        class: r.class.to_string(),
        method: r.method.to_string(),
        status,
        failure,
        points: r.points,
    }
}

fn from_wire(at_micros: u64, w: AuditV2) -> RequestRecord {
    let at = DateTime::from_timestamp_micros(i64::try_from(at_micros).unwrap_or(i64::MAX))
        .unwrap_or_default();
    let outcome = match w.failure {
        Some(f) => RequestOutcome::Failed(FailureKind::parse(&f).unwrap_or(FailureKind::Network)),
        None => RequestOutcome::Status(w.status),
    };
    RequestRecord {
        at,
        token: w.token.map(Arc::from),
        source: TokenKind::ALL
            .get(usize::from(w.source))
            .copied()
            .unwrap_or(TokenKind::Anonymous),
        repo: w.repo,
        repos: w.repos,
        class: Cow::Owned(w.class),
        method: Cow::Owned(w.method),
        outcome,
        points: w.points,
    }
}

fn read_count(v: Option<&[u8]>) -> u64 {
    v.and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

impl Store {
    fn audit_tree(&self) -> Result<sled::Tree> {
        self.db.open_tree(TREE).map_err(|e| self.write_err(e))
    }

    /// Appends records in one batch (the writer hands them over in groups).
    pub fn audit_append(&self, records: &[RequestRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let tree = self.audit_tree()?;
        let mut batch = sled::Batch::default();
        for r in records {
            let id = self.db.generate_id().map_err(|e| self.write_err(e))?;
            batch.insert(key(r.at, id), encode(&to_wire(r)));
        }
        tree.apply_batch(batch).map_err(|e| self.write_err(e))?;
        self.audit_add_count(&tree, records.len() as i64)
    }

    fn audit_add_count(&self, tree: &sled::Tree, delta: i64) -> Result<()> {
        tree.update_and_fetch(COUNT, |old| {
            let n = read_count(old).saturating_add_signed(delta);
            Some(n.to_be_bytes().to_vec())
        })
        .map_err(|e| self.write_err(e))?;
        Ok(())
    }

    /// How many records the log holds.
    pub fn audit_len(&self) -> Result<u64> {
        let tree = self.audit_tree()?;
        let v = tree.get(COUNT).map_err(|e| self.read_err(COUNT, e))?;
        Ok(read_count(v.as_deref()))
    }

    /// The records from `since` on, oldest first. A record that does not decode (written by
    /// another build) is skipped: the log is a record of use, never a reason to refuse a store.
    pub fn audit_since(&self, since: DateTime<Utc>) -> Result<Vec<RequestRecord>> {
        let mut out = Vec::new();
        self.audit_scan(since, |r| out.push(r))?;
        Ok(out)
    }

    /// Calls `f` with every record from `since` on, oldest first.
    pub fn audit_scan(&self, since: DateTime<Utc>, mut f: impl FnMut(RequestRecord)) -> Result<()> {
        let tree = self.audit_tree()?;
        let end = {
            let mut e = ENTRY.to_vec();
            e.extend_from_slice(&[0xff; 17]);
            e
        };
        for item in tree.range(time_prefix(since)..end) {
            let (k, v) = item.map_err(|e| self.read_err(ENTRY, e))?;
            let Some(at) = k
                .get(ENTRY.len()..ENTRY.len() + 8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
            else {
                continue;
            };
            if let Ok(w) = super::decode::<AuditV2>(&k, &v) {
                f(from_wire(at, w));
            }
        }
        Ok(())
    }

    /// Drops the records older than `now - retention`, then the oldest beyond `max_entries`.
    /// Returns how many went.
    pub fn audit_prune(
        &self,
        now: DateTime<Utc>,
        retention: std::time::Duration,
        max_entries: u64,
    ) -> Result<u64> {
        let tree = self.audit_tree()?;
        let cutoff = chrono::Duration::from_std(retention)
            .ok()
            .and_then(|d| now.checked_sub_signed(d))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let cut = time_prefix(cutoff);
        let mut removed = self.audit_remove(&tree, |k, _| k < cut.as_slice())?;
        let len = self.audit_len()?;
        if len > max_entries {
            let excess = len - max_entries;
            removed += self.audit_remove(&tree, |_, i| i < excess)?;
        }
        Ok(removed)
    }

    /// Removes entries from the oldest while `keep_going(key, index)`, in batches of 10,000.
    fn audit_remove(
        &self,
        tree: &sled::Tree,
        keep_going: impl Fn(&[u8], u64) -> bool,
    ) -> Result<u64> {
        let mut removed = 0u64;
        loop {
            let mut batch = sled::Batch::default();
            let mut n = 0u64;
            let mut done = true;
            for item in tree.scan_prefix(ENTRY) {
                let (k, _) = item.map_err(|e| self.read_err(ENTRY, e))?;
                if !keep_going(&k, removed + n) {
                    break;
                }
                batch.remove(k);
                n += 1;
                if n == 10_000 {
                    done = false;
                    break;
                }
            }
            if n > 0 {
                tree.apply_batch(batch).map_err(|e| self.write_err(e))?;
                self.audit_add_count(tree, -(n as i64))?;
                removed += n;
            }
            if done {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rec(at: DateTime<Utc>, token: &str, repo: Option<&str>, status: u16) -> RequestRecord {
        RequestRecord {
            at,
            token: Some(Arc::from(token)),
            source: TokenKind::Env,
            repo: repo.map(str::to_string),
            repos: 0,
            class: Cow::Borrowed("/repos/{o}/{r}"),
            method: Cow::Borrowed("GET"),
            outcome: RequestOutcome::Status(status),
            points: u32::from(status != 304),
        }
    }

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn appends_and_scans_by_time_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        // Appended out of order: the scan is by time.
        store
            .audit_append(&[
                rec(t(20), "a", Some("o/b"), 200),
                rec(t(10), "a", None, 304),
            ])
            .unwrap();
        let mut failed = rec(t(30), "b", Some("o/c"), 0);
        failed.outcome = RequestOutcome::Failed(FailureKind::Timeout);
        failed.source = TokenKind::VaultRepo;
        failed.repos = 7;
        store.audit_append(&[failed.clone()]).unwrap();
        assert_eq!(store.audit_len().unwrap(), 3);
        let all = store.audit_since(t(0)).unwrap();
        assert_eq!(
            all.iter().map(|r| r.at).collect::<Vec<_>>(),
            vec![t(10), t(20), t(30)]
        );
        assert_eq!(all[2], failed, "every field survives the round trip");
        let recent = store.audit_since(t(15)).unwrap();
        assert_eq!(recent.len(), 2);
        assert_eq!(recent[0].repo.as_deref(), Some("o/b"));
        // Two records at the same microsecond are both kept.
        store
            .audit_append(&[rec(t(40), "a", None, 200), rec(t(40), "a", None, 200)])
            .unwrap();
        assert_eq!(store.audit_since(t(40)).unwrap().len(), 2);
        // The log survives a reopen.
        drop(store);
        let (store, _) = Store::open(dir.path()).unwrap();
        assert_eq!(store.audit_len().unwrap(), 5);
        assert_eq!(store.audit_since(t(0)).unwrap().len(), 5);
    }

    #[test]
    fn prune_drops_what_is_older_than_the_retention() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let recs: Vec<_> = (0..50).map(|i| rec(t(i * 60), "a", None, 200)).collect();
        store.audit_append(&recs).unwrap();
        // Now is t(49 min); keeping 10 minutes keeps t(39 min)..=t(49 min): 11 records.
        let removed = store
            .audit_prune(t(49 * 60), Duration::from_secs(600), 1_000_000)
            .unwrap();
        assert_eq!(removed, 39);
        assert_eq!(store.audit_len().unwrap(), 11);
        let left = store.audit_since(t(0)).unwrap();
        assert_eq!(left.len(), 11);
        assert_eq!(left[0].at, t(39 * 60));
        // Nothing more to prune.
        assert_eq!(
            store
                .audit_prune(t(49 * 60), Duration::from_secs(600), 1_000_000)
                .unwrap(),
            0
        );
    }

    #[test]
    fn prune_keeps_at_most_max_entries_dropping_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let recs: Vec<_> = (0..25_000).map(|i| rec(t(i), "a", None, 200)).collect();
        store.audit_append(&recs).unwrap();
        let removed = store
            .audit_prune(t(25_000), Duration::from_secs(86_400 * 30), 100)
            .unwrap();
        assert_eq!(removed, 24_900, "removed in several batches");
        assert_eq!(store.audit_len().unwrap(), 100);
        let left = store.audit_since(t(0)).unwrap();
        assert_eq!(left.len(), 100);
        assert_eq!(left[0].at, t(24_900), "the newest are kept");
    }

    #[test]
    fn summary_counts_requests_points_and_errors_per_token() {
        let recs = vec![
            rec(t(1), "a", None, 200),
            rec(t(2), "a", None, 304),
            rec(t(3), "a", None, 404),
            rec(t(4), "b", None, 500),
        ];
        let sum = crate::domain::token_use(&recs);
        assert_eq!(sum.len(), 2);
        assert_eq!(
            (
                sum[0].token.as_str(),
                sum[0].requests,
                sum[0].points,
                sum[0].errors
            ),
            ("a", 3, 2, 1)
        );
        assert_eq!((sum[1].requests, sum[1].errors), (1, 1));
    }
}
