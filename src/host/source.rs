//! [`DataSource`]: the one data-access interface the front ends read and change the store through,
//! with two implementations: the local [`Store`] and an attached host ([`super::client::Attached`]).
//! A command written against it does not know which one it got.

use chrono::{DateTime, Utc};

use crate::domain::{ActivityEntry, LocalId, RepoDetails, RepoId, RepoKey, TrackedRepo};
use crate::store::{Added, Store, StoreError};

/// Why a read or change through a data source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The host answered with an error: `input` is one the user can act on (exit 2).
    #[error("{message}")]
    Remote { message: String, input: bool },
    /// The host went away or cannot be reached.
    #[error("{0}")]
    Gone(String),
}

/// Reads and changes of the tracked repos, wherever the store is.
pub trait DataSource {
    fn list(&self) -> Result<Vec<TrackedRepo>, SourceError>;
    fn find(&self, key: &RepoKey) -> Result<Option<TrackedRepo>, SourceError>;
    fn details(&self, local: LocalId) -> Result<Option<RepoDetails>, SourceError>;
    fn activity(
        &self,
        repo: Option<RepoId>,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, SourceError>;
    fn add(&self, key: &RepoKey) -> Result<Added, SourceError>;
    fn remove(&self, key: &RepoKey) -> Result<bool, SourceError>;
    /// The first `n` repos by name (the TUI's first screenful).
    fn first_by_name(&self, n: usize) -> Result<Vec<TrackedRepo>, SourceError>;
    /// Marks a repo's activity (or all, `None`) read.
    fn mark_read(&self, repo: Option<RepoId>) -> Result<(), SourceError>;
    /// Leaves the marker that makes the next open check the store (a read found damage); the
    /// host's own reads do that for an attached view.
    fn request_check(&self) {}
    /// The store itself, when it is open in this process.
    fn local(&self) -> Option<&Store> {
        None
    }
}

impl DataSource for Store {
    fn list(&self) -> Result<Vec<TrackedRepo>, SourceError> {
        Ok(Store::list(self)?)
    }

    fn find(&self, key: &RepoKey) -> Result<Option<TrackedRepo>, SourceError> {
        Ok(Store::find(self, key)?)
    }

    fn details(&self, local: LocalId) -> Result<Option<RepoDetails>, SourceError> {
        Ok(Store::details(self, local)?)
    }

    fn activity(
        &self,
        repo: Option<RepoId>,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<ActivityEntry>, SourceError> {
        Ok(Store::activity(self, repo, since, limit)?)
    }

    fn add(&self, key: &RepoKey) -> Result<Added, SourceError> {
        Ok(Store::add(self, key)?)
    }

    fn remove(&self, key: &RepoKey) -> Result<bool, SourceError> {
        Ok(Store::remove(self, key)?)
    }

    fn first_by_name(&self, n: usize) -> Result<Vec<TrackedRepo>, SourceError> {
        Ok(Store::first_by_name(self, n)?)
    }

    fn mark_read(&self, repo: Option<RepoId>) -> Result<(), SourceError> {
        Ok(Store::mark_read(self, repo)?)
    }

    fn request_check(&self) {
        Store::request_check(self);
    }

    fn local(&self) -> Option<&Store> {
        Some(self)
    }
}
