//! GraphQL: the change probe and the detail fetch as batched alias queries, posted by us so partial
//! data survives errors; adaptive batch sizes; per-repo NOT_FOUND; RATE_LIMITED feeds the gate.

use crate::domain::{Probe, RepoSnapshot};
use crate::sync::Priority;

use super::{GithubClient, GithubError, RepoTarget};

impl GithubClient {
    /// Change probe, up to 100 repos per query; one result per target, in order.
    pub async fn probe(
        &self,
        targets: &[RepoTarget],
        prio: Priority,
    ) -> Result<Vec<Result<Probe, GithubError>>, GithubError> {
        let _ = (targets, prio);
        Err(GithubError::Network("not implemented yet".into()))
    }

    /// Detail fetch, adaptive batch K (start 25); one result per target, in order.
    pub async fn details(
        &self,
        targets: &[RepoTarget],
        prio: Priority,
    ) -> Result<Vec<Result<RepoSnapshot, GithubError>>, GithubError> {
        let _ = (targets, prio);
        Err(GithubError::Network("not implemented yet".into()))
    }
}
