//! The token-use audit log's writer: the [`AuditSink`] every GitHub client of a session records
//! into. `record` only queues (an unbounded channel: it never blocks or fails a request); one
//! writer thread stores what is queued in batches (one sled batch per wake-up, up to 1,024
//! records) and prunes the log by `audit.retention` and `audit.max_entries` when it starts and
//! hourly. A store error is logged once and the records are dropped: the log never stops a sync.
//! Dropping the writer (when the last client goes) stores what is still queued.
//!
//! Neighbours: `github::AuditSink` (the trait the client calls), `store::audit` (the tree).

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::AuditConfig;
use crate::domain::RequestRecord;
use crate::github::AuditSink;
use crate::store::Store;

/// How often the writer prunes while it runs.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Most records stored in one batch.
const BATCH: usize = 1024;

/// Queues records for the writer thread; see the module doc.
pub struct AuditWriter {
    tx: Option<Sender<RequestRecord>>,
    thread: Option<JoinHandle<()>>,
}

impl AuditWriter {
    /// Starts the writer over `store`: it prunes first, then stores what clients record.
    pub fn start(store: Arc<Store>, config: &AuditConfig) -> Arc<Self> {
        let (tx, rx) = mpsc::channel();
        let config = config.clone();
        let thread = std::thread::Builder::new()
            .name("repodeck-audit".into())
            .spawn(move || write_loop(&store, &config, &rx));
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(error = %e, "audit log: cannot start its writer; requests are not recorded");
                None
            }
        };
        Arc::new(AuditWriter {
            tx: thread.as_ref().map(|_| tx),
            thread,
        })
    }
}

impl AuditSink for AuditWriter {
    fn record(&self, record: RequestRecord) {
        if let Some(tx) = &self.tx {
            // The writer only goes away with this writer: a failed send cannot happen.
            let _ = tx.send(record);
        }
    }
}

impl Drop for AuditWriter {
    fn drop(&mut self) {
        // Closing the channel lets the writer store what is queued and end.
        drop(self.tx.take());
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("audit log: its writer panicked; some requests were not recorded");
        }
    }
}

/// Stores queued records in batches until the channel closes; prunes at start and hourly.
fn write_loop(store: &Store, config: &AuditConfig, rx: &Receiver<RequestRecord>) {
    let mut said = false;
    let mut report = |what: &str, e: &dyn std::fmt::Display| {
        if !std::mem::replace(&mut said, true) {
            tracing::warn!(error = %e, "audit log: cannot {what}; requests go unrecorded until it can (said once)");
        }
    };
    let prune = |report: &mut dyn FnMut(&str, &dyn std::fmt::Display)| match store.audit_prune(
        chrono::Utc::now(),
        config.retention,
        config.max_entries,
    ) {
        Ok(0) => {}
        Ok(n) => tracing::debug!(removed = n, "audit log pruned"),
        Err(e) => report("prune", &e),
    };
    prune(&mut report);
    let mut pruned = Instant::now();
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        match rx.recv_timeout(PRUNE_EVERY) {
            Ok(first) => {
                batch.push(first);
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                if let Err(e) = store.audit_append(&batch) {
                    report("store records", &e);
                }
                batch.clear();
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            prune(&mut report);
            pruned = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RequestOutcome, TokenKind};

    #[test]
    fn records_are_stored_when_the_writer_goes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap().0);
        let writer = AuditWriter::start(store.clone(), &crate::config::Config::default().audit);
        for i in 0..3000u32 {
            writer.record(RequestRecord {
                at: chrono::Utc::now(),
                token: None,
                source: TokenKind::Anonymous,
                repo: None,
                repos: 0,
                class: "/rate_limit".into(),
                method: "GET".into(),
                outcome: RequestOutcome::Status(200),
                points: i % 2,
            });
        }
        drop(writer);
        assert_eq!(store.audit_len().unwrap(), 3000);
        let since = chrono::Utc::now() - chrono::Duration::minutes(5);
        assert_eq!(store.audit_since(since).unwrap().len(), 3000);
    }
}
