//! GraphQL: the change probe and the detail fetch as batched alias queries, posted by us so partial
//! data survives errors; adaptive batch sizes (halve on timeout, 502/504, RESOURCE_LIMITS_EXCEEDED
//! or an unreadable body; grow back on success); per-repo NOT_FOUND; RATE_LIMITED feeds the gate;
//! aliases GitHub failed ("Something went wrong while executing your query") are asked again in
//! smaller batches after a backoff, and only then reported, as a temporary GitHub error.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::{PrEnd, Probe, RateBucket, RepoKey, RepoSnapshot};
use crate::domain::{Priority, RequestOutcome};

use super::client::{DETAIL_MAX, PROBE_MAX, Req, clean};
use super::convert::{self, GDetail, GProbe};
use super::insight::{GPrState, pr_end};
use super::{GithubClient, GithubError, RepoTarget};

/// Appended to every query: GitHub's own bill for it.
pub const RATE_LIMIT: &str = "rateLimit { cost limit remaining used resetAt nodeCount }";

/// The cheap change probe.
pub const PROBE_FRAGMENT: &str = "fragment Probe on Repository {
  id databaseId nameWithOwner pushedAt updatedAt stargazerCount forkCount
  isArchived isPrivate isDisabled
  issues(states: OPEN) { totalCount }
  pullRequests(states: OPEN) { totalCount }
  defaultBranchRef { name target { oid ... on Commit { statusCheckRollup { state } } } }
  latestRelease { tagName }
}";

/// The connections GitHub bills once per repository in [`DETAIL_FRAGMENT`]: watchers, languages,
/// topics, the head's check contexts, parents and history, refs, pull requests, issues, releases.
pub const DETAIL_CONNECTIONS: usize = 10;

/// How many check runs and statuses of the default branch's head the detail fetch reads.
macro_rules! checks_window {
    () => {
        10
    };
}

/// How many check runs and statuses of the default branch's head the detail fetch reads.
pub const CHECKS_WINDOW: usize = 10;

/// The detail fetch. Nested connections multiply the bill (GitHub counts one request per parent
/// object a connection is evaluated on), so everything per pull request, issue, branch or history
/// commit is a scalar or an object (`statusCheckRollup { state }`, `signature`, the protection
/// rule): free. The one connection added for CI is the default-branch head's `contexts`, once per
/// repository. Labels, assignees, comment counts and requested reviewers are connections per item
/// (50 open PRs = 50 requests each) and are not in the bulk fetch. The history is the commit
/// window ([`crate::domain::COMMIT_WINDOW`]).
pub const DETAIL_FRAGMENT: &str = concat!(
    "fragment Detail on Repository {
  id databaseId name nameWithOwner owner { login } description homepageUrl url sshUrl
  isPrivate isFork isArchived isDisabled stargazerCount forkCount diskUsage
  createdAt updatedAt pushedAt
  watchers { totalCount }
  licenseInfo { key name spdxId }
  primaryLanguage { name }
  languages(first: 20, orderBy: {field: SIZE, direction: DESC}) { totalSize edges { size node { name } } }
  repositoryTopics(first: 20) { nodes { topic { name } } }
  defaultBranchRef {
    name
    target {
      ... on Commit {
        oid message messageHeadline committedDate authoredDate additions deletions changedFilesIfAvailable
        author { name email date user { login } }
        committer { name email date user { login } }
        signature { isValid state }
        statusCheckRollup {
          state
          contexts(first: ",
    checks_window!(),
    ") {
            totalCount
            nodes {
              __typename
              ... on CheckRun { name status conclusion detailsUrl }
              ... on StatusContext { context state targetUrl }
            }
          }
        }
        parents(first: 5) { nodes { oid } }
        history(first: ",
    crate::domain::commit_window!(),
    ") {
          nodes {
            oid messageHeadline committedDate
            author { name email date user { login } }
            committer { name email date user { login } }
            signature { isValid state }
            statusCheckRollup { state }
          }
        }
      }
    }
  }
  refs(refPrefix: \"refs/heads/\", first: 100) {
    totalCount
    nodes {
      name
      target { oid ... on Commit { committedDate statusCheckRollup { state } } }
      branchProtectionRule {
        pattern requiredApprovingReviewCount requiresApprovingReviews requiredStatusCheckContexts
        isAdminEnforced allowsForcePushes allowsDeletions requiresLinearHistory requiresCommitSignatures
      }
    }
  }
  pullRequests(states: OPEN, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount
    nodes {
      number title isDraft createdAt updatedAt url author { login } body
      reviewDecision mergeable baseRefName headRefName headRefOid headRepositoryOwner { login }
      additions deletions changedFiles statusCheckRollup { state }
    }
  }
  issues(states: OPEN, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount
    nodes { number title createdAt updatedAt url author { login } body }
  }
  releases(first: 10, orderBy: {field: CREATED_AT, direction: DESC}) {
    nodes { tagName name publishedAt createdAt isPrerelease isDraft url }
  }
  latestRelease { tagName }
}"
);

/// Which query shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Probe,
    Detail,
}

impl Shape {
    fn fragment(self) -> (&'static str, &'static str) {
        match self {
            Shape::Probe => ("Probe", PROBE_FRAGMENT),
            Shape::Detail => ("Detail", DETAIL_FRAGMENT),
        }
    }
}

pub(super) fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_string())
}

/// One query for a batch of targets that are all names, or all node ids.
pub fn build_query(shape: Shape, targets: &[&RepoTarget]) -> String {
    let (name, fragment) = shape.fragment();
    let mut q = String::from("query {\n");
    let ids: Vec<String> = targets
        .iter()
        .filter_map(|t| match t {
            RepoTarget::Node(id) => Some(quote(id)),
            RepoTarget::Name(_) => None,
        })
        .collect();
    if !ids.is_empty() {
        q.push_str(&format!(
            "  nodes(ids: [{}]) {{ ... on Repository {{ ...{name} }} }}\n",
            ids.join(", ")
        ));
    } else {
        for (i, t) in targets.iter().enumerate() {
            if let RepoTarget::Name(k) = t {
                q.push_str(&format!(
                    "  r{i}: repository(owner: {}, name: {}) {{ ...{name} }}\n",
                    quote(k.owner()),
                    quote(k.name())
                ));
            }
        }
    }
    q.push_str("  ");
    q.push_str(RATE_LIMIT);
    q.push_str("\n}\n");
    q.push_str(fragment);
    q.push('\n');
    q
}

/// Why a batch failed as a whole.
enum BatchFailure {
    /// Too big for GitHub: halve the batch and try again.
    Shrink(GithubError),
    /// Try the same batch again after a backoff.
    Retry(GithubError),
    /// Give up on the whole call.
    Fatal(GithubError),
}

pub(super) struct Answer {
    pub(super) data: Value,
    pub(super) errors: Vec<Value>,
}

pub(super) fn error_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or_default()
}

pub(super) fn error_message(e: &Value) -> &str {
    e.get("message")
        .and_then(Value::as_str)
        .unwrap_or("GraphQL error")
}

/// An error GitHub may not give when asked again: its servers failed (GitHub's "Something went
/// wrong while executing your query", a timeout, an unavailable service), not the query.
pub(super) fn is_temporary(e: &Value) -> bool {
    match error_type(e) {
        "SERVICE_UNAVAILABLE" | "INTERNAL" | "INTERNAL_ERROR" | "TIMEOUT" => true,
        "" => {
            let m = error_message(e).to_ascii_lowercase();
            ["something went wrong", "timeout", "timed out", "timedout"]
                .iter()
                .any(|w| m.contains(w))
        }
        _ => false,
    }
}

/// The batch index an error is about: `["r7", ...]` or `["nodes", 7, ...]`.
fn error_index(e: &Value) -> Option<usize> {
    let path = e.get("path")?.as_array()?;
    match path.first()?.as_str()? {
        "nodes" => path.get(1)?.as_u64().map(|i| i as usize),
        alias => alias.strip_prefix('r')?.parse().ok(),
    }
}

/// The answer's body split into `data` and `errors`; an unreadable body halves the batch until
/// the bad repository is alone.
fn split_answer(body: &[u8]) -> Result<Answer, BatchFailure> {
    let mut v: Value = serde_json::from_slice(body)
        .map_err(|e| BatchFailure::Shrink(convert::body_err("/graphql", &e)))?;
    let data = v.get_mut("data").map(Value::take).unwrap_or(Value::Null);
    let errors = match v.get_mut("errors").map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    Ok(Answer { data, errors })
}

/// The batch-wide errors other than a rate limit: a query too big for GitHub, or errors about
/// no repository in particular with no data at all.
fn judge_errors(data: &Value, errors: &[Value]) -> Result<(), BatchFailure> {
    if errors
        .iter()
        .any(|e| error_type(e) == "RESOURCE_LIMITS_EXCEEDED")
    {
        return Err(BatchFailure::Shrink(GithubError::ResourceLimits));
    }
    if data.is_null() && !errors.is_empty() && errors.iter().all(|e| error_index(e).is_none()) {
        let msg = clean(error_message(&errors[0]), 200);
        if errors.iter().any(is_temporary) {
            return Err(BatchFailure::Retry(GithubError::GraphqlTemporary {
                message: msg,
                tries: 1,
            }));
        }
        return Err(BatchFailure::Fatal(GithubError::Decode {
            endpoint: "/graphql".into(),
            detail: format!("GitHub refused the query: {msg}"),
        }));
    }
    Ok(())
}

impl GithubClient {
    /// Posts one query; a usable answer (data, maybe with per-alias errors) or why the batch failed.
    /// `refs`: the batch's repositories, for the audit log (one entry per batch, with their
    /// count, and the name when the batch is one repository named by name).
    async fn post_query(
        &self,
        query: &str,
        prio: Priority,
        refs: &[&RepoTarget],
    ) -> Result<Answer, BatchFailure> {
        let body = serde_json::to_vec(&serde_json::json!({ "query": query })).map_err(|e| {
            BatchFailure::Fatal(GithubError::Decode {
                endpoint: "/graphql".into(),
                detail: e.to_string(),
            })
        })?;
        let req = Req {
            retry: false,
            repo: match refs {
                [RepoTarget::Name(key)] => Some(clean(&key.to_string(), 200)),
                _ => None,
            },
            repos: refs.len() as u32,
            ..Req::graphql(body, prio)
        };
        let resp = match self.execute(&req).await {
            Ok(r) => r,
            Err(e @ (GithubError::Timeout | GithubError::Server { status: 502 | 504 })) => {
                return Err(BatchFailure::Shrink(e));
            }
            Err(e @ (GithubError::Server { .. } | GithubError::Network(_))) => {
                return Err(BatchFailure::Retry(e));
            }
            Err(e) => return Err(BatchFailure::Fatal(e)),
        };
        let answered = RequestOutcome::Status(resp.status);
        let answer = split_answer(&resp.body).inspect_err(|_| self.audit(&req, answered, 0))?;
        let cost = self.bill(&answer.data);
        self.audit(&req, answered, u32::try_from(cost).unwrap_or(u32::MAX));
        self.check_errors(&answer.data, &answer.errors)?;
        Ok(answer)
    }

    /// [`Self::post_query`] for a query outside the batch machinery (one repository, asked once):
    /// any batch failure is its error.
    pub(super) async fn post_query_for(
        &self,
        query: &str,
        prio: Priority,
        refs: &[&RepoTarget],
    ) -> Result<Answer, GithubError> {
        self.post_query(query, prio, refs)
            .await
            .map_err(|f| match f {
                BatchFailure::Shrink(e) | BatchFailure::Retry(e) | BatchFailure::Fatal(e) => e,
            })
    }

    /// Counts the query's reported cost and publishes the GraphQL bucket from `rateLimit`.
    /// Returns the cost (0 when the answer reports none).
    pub(super) fn bill(&self, data: &Value) -> u64 {
        let Some(rl) = data.get("rateLimit").filter(|r| r.is_object()) else {
            return 0;
        };
        let cost = rl.get("cost").and_then(Value::as_u64).unwrap_or(0);
        self.account(|a| *a.points.entry("graphql".into()).or_default() += cost);
        let reset = rl
            .get("resetAt")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc));
        if let (Some(limit), Some(remaining), Some(reset)) = (
            rl.get("limit").and_then(Value::as_u64),
            rl.get("remaining").and_then(Value::as_u64),
            reset,
        ) {
            let used = rl
                .get("used")
                .and_then(Value::as_u64)
                .unwrap_or(limit.saturating_sub(remaining));
            self.sched().update_bucket(RateBucket {
                name: "graphql".into(),
                limit,
                remaining,
                used,
                reset,
            });
        }
        cost
    }

    /// The errors that fail a whole batch: a rate limit (the gate closes), a query too big for
    /// GitHub, or errors about no repository in particular with no data at all.
    fn check_errors(&self, data: &Value, errors: &[Value]) -> Result<(), BatchFailure> {
        if let Some(e) = errors.iter().find(|e| error_type(e) == "RATE_LIMITED") {
            let reset = self
                .rate_state()
                .borrow()
                .buckets
                .get("graphql")
                .map(|b| b.reset)
                .unwrap_or_else(|| Utc::now() + chrono::Duration::seconds(60));
            self.sched().exhausted("graphql", reset);
            let msg = clean(e.get("message").and_then(|m| m.as_str()).unwrap_or(""), 200);
            tracing::warn!(message = %msg, "github: GraphQL rate limited");
            return Err(BatchFailure::Retry(GithubError::PrimaryRateLimited {
                bucket: "graphql".into(),
                reset,
            }));
        }
        judge_errors(data, errors)
    }

    /// Runs `targets` in adaptive batches; one result per target, in order.
    async fn batched<T>(
        &self,
        shape: Shape,
        targets: &[RepoTarget],
        prio: Priority,
        convert_one: fn(Value) -> Result<T, GithubError>,
    ) -> Result<Vec<Result<T, GithubError>>, GithubError> {
        let mut results: Vec<Option<Result<T, GithubError>>> =
            targets.iter().map(|_| None).collect();
        // Node ids and names cannot share a query: one group each.
        let (by_node, by_name): (Vec<usize>, Vec<usize>) =
            (0..targets.len()).partition(|&i| matches!(targets[i], RepoTarget::Node(_)));
        let batch = Batch {
            shape,
            targets,
            prio,
            convert_one,
        };
        for group in [by_node, by_name] {
            self.run_group(&batch, &group, &mut results).await?;
        }
        Ok(results
            .into_iter()
            .zip(targets)
            .map(|(r, t)| {
                // Every target gets a result above; a missing one is repodeck's bug, never a
                // verdict that the repository is gone.
                r.unwrap_or_else(|| {
                    Err(GithubError::Decode {
                        endpoint: "/graphql".into(),
                        detail: format!("no result for {t}"),
                    })
                })
            })
            .collect())
    }

    /// One group of targets (the indexes `group` into `batch.targets`), in adaptive batches:
    /// halve on a batch too big, grow back on success, retry with backoff, ask again for the
    /// aliases GitHub failed, and when one repository alone keeps failing, fail it and go on.
    async fn run_group<T>(
        &self,
        batch: &Batch<'_, T>,
        group: &[usize],
        results: &mut [Option<Result<T, GithubError>>],
    ) -> Result<(), GithubError> {
        let detail = batch.shape == Shape::Detail;
        let max = if detail { DETAIL_MAX } else { PROBE_MAX };
        let k_cell = self.batch_k(detail);
        let max_attempts = self.sched().timing.max_attempts.max(1);
        let mut queue: VecDeque<usize> = group.iter().copied().collect();
        let mut failures = 0u32;
        let mut tries: HashMap<usize, u32> = HashMap::new();
        while !queue.is_empty() {
            let k = k_cell.load(Ordering::Relaxed).clamp(1, max);
            let chunk: Vec<usize> = queue.iter().take(k).copied().collect();
            let refs: Vec<&RepoTarget> = chunk.iter().map(|&i| &batch.targets[i]).collect();
            let query = build_query(batch.shape, &refs);
            match self.post_query(&query, batch.prio, &refs).await {
                Ok(answer) => {
                    queue.drain(..chunk.len());
                    failures = 0;
                    let failed = fill(batch, &chunk, answer, results);
                    if failed.is_empty() {
                        k_cell.store((k + (k / 4).max(1)).min(max), Ordering::Relaxed);
                    } else {
                        let again = settle(failed, &mut tries, max_attempts, results);
                        self.ask_again(again, &mut queue, k, k_cell).await?;
                    }
                }
                Err(BatchFailure::Shrink(e)) if k > 1 => {
                    let half = (k / 2).max(1);
                    tracing::info!(from = k, to = half, error = %e, "github: GraphQL batch too big, halving");
                    k_cell.store(half, Ordering::Relaxed);
                }
                Err(BatchFailure::Shrink(GithubError::ResourceLimits)) => {
                    // Too expensive for one repository alone: asking again costs the same.
                    results[chunk[0]] = Some(Err(GithubError::ResourceLimits));
                    queue.pop_front();
                }
                Err(BatchFailure::Shrink(e)) | Err(BatchFailure::Retry(e)) => {
                    failures += 1;
                    if failures < max_attempts {
                        self.wait_to_retry(failures).await?;
                    } else if k == 1 && !matches!(e, GithubError::PrimaryRateLimited { .. }) {
                        // This one repository cannot be fetched; the others go on.
                        results[chunk[0]] = Some(Err(with_tries(e, failures)));
                        queue.pop_front();
                        failures = 0;
                    } else {
                        // Every try of a whole batch failed for the endpoint's reasons (5xx,
                        // resets, timeouts): GitHub's GraphQL endpoint, not a repository, fails.
                        return Err(self.graphql_unavailable(with_tries(e, failures)));
                    }
                }
                Err(BatchFailure::Fatal(e)) => return Err(e),
            }
        }
        Ok(())
    }

    /// Puts the aliases GitHub failed back at the front of `queue`, after a backoff and with a
    /// smaller batch size: `again` holds each target and how often it failed.
    async fn ask_again(
        &self,
        again: Vec<(usize, u32)>,
        queue: &mut VecDeque<usize>,
        k: usize,
        k_cell: &std::sync::atomic::AtomicUsize,
    ) -> Result<(), GithubError> {
        let Some(worst) = again.iter().map(|(_, t)| *t).max() else {
            return Ok(());
        };
        // Halved like a batch too big ("may be the result of a timeout", says GitHub); it grows
        // back on success.
        let smaller = (k / 2).max(1);
        tracing::info!(
            repos = again.len(),
            attempt = worst + 1,
            batch = smaller,
            "github: GitHub failed part of a GraphQL query (a temporary error); asking again for those repositories"
        );
        k_cell.store(smaller, Ordering::Relaxed);
        self.wait_to_retry(worst).await?;
        for (i, _) in again.into_iter().rev() {
            queue.push_front(i);
        }
        Ok(())
    }

    /// Change probe, up to 100 repos per query; one result per target, in order.
    pub async fn probe(
        &self,
        targets: &[RepoTarget],
        prio: Priority,
    ) -> Result<Vec<Result<Probe, GithubError>>, GithubError> {
        self.batched(Shape::Probe, targets, prio, |v| {
            convert::decode_value::<GProbe>("/graphql probe", v).map(Probe::from)
        })
        .await
    }

    /// Detail fetch, adaptive batch K (start 25); one result per target, in order.
    pub async fn details(
        &self,
        targets: &[RepoTarget],
        prio: Priority,
    ) -> Result<Vec<Result<RepoSnapshot, GithubError>>, GithubError> {
        self.batched(Shape::Detail, targets, prio, |v| {
            convert::decode_value::<GDetail>("/graphql detail", v).map(RepoSnapshot::from)
        })
        .await
    }
}

/// The query asking how each pull request of `asks` ended: `r{i}: repository(...)` with one
/// `p{n}: pullRequest(number: n) { number state }` per number. `pullRequest` is an object, not a
/// connection: the query costs GitHub's minimum, 1 point.
pub fn pr_ends_query(asks: &[(RepoKey, Vec<u64>)]) -> String {
    let mut q = String::from("query {\n");
    for (i, (key, numbers)) in asks.iter().enumerate() {
        q.push_str(&format!(
            "  r{i}: repository(owner: {}, name: {}) {{",
            quote(key.owner()),
            quote(key.name())
        ));
        for n in numbers {
            q.push_str(&format!(
                " p{n}: pullRequest(number: {n}) {{ number state }}"
            ));
        }
        q.push_str(" }\n");
    }
    q.push_str("  ");
    q.push_str(RATE_LIMIT);
    q.push_str("\n}\n");
    q
}

/// The ends one `r{i}` alias of a [`pr_ends_query`] answer holds; an open PR (it only left the
/// fetched window) or one GitHub could not resolve has none.
fn ends_of(repo: Option<&Value>) -> Vec<(u64, PrEnd)> {
    let Some(Value::Object(prs)) = repo else {
        return Vec::new();
    };
    prs.values()
        .filter_map(|v| {
            let pr: GPrState = convert::decode_value("/graphql pr ends", v.clone()).ok()?;
            Some((pr.number, pr_end(&pr.state)?))
        })
        .collect()
}

impl GithubClient {
    /// How the pull requests that left the open list ended (merged or closed), in one query for
    /// every repository of `asks`; one list per ask, in order. Asked only when some PR left.
    pub async fn pr_ends(
        &self,
        asks: &[(RepoKey, Vec<u64>)],
        prio: Priority,
    ) -> Result<Vec<Vec<(u64, PrEnd)>>, GithubError> {
        if asks.is_empty() {
            return Ok(Vec::new());
        }
        let targets: Vec<RepoTarget> = asks
            .iter()
            .map(|(k, _)| RepoTarget::Name(k.clone()))
            .collect();
        let refs: Vec<&RepoTarget> = targets.iter().collect();
        let query = pr_ends_query(asks);
        let answer = self
            .post_query(&query, prio, &refs)
            .await
            .map_err(|f| match f {
                BatchFailure::Shrink(e) | BatchFailure::Retry(e) | BatchFailure::Fatal(e) => e,
            })?;
        if let Some(e) = answer.errors.iter().find(|e| is_temporary(e)) {
            return Err(GithubError::GraphqlTemporary {
                message: clean(error_message(e), 200),
                tries: 1,
            });
        }
        Ok((0..asks.len())
            .map(|i| ends_of(answer.data.get(format!("r{i}"))))
            .collect())
    }
}

/// What one `batched` call asks: the query shape, every target, the priority and the conversion.
struct Batch<'a, T> {
    shape: Shape,
    targets: &'a [RepoTarget],
    prio: Priority,
    convert_one: fn(Value) -> Result<T, GithubError>,
}

/// A temporary error with the number of tries it took.
fn with_tries(e: GithubError, tries: u32) -> GithubError {
    match e {
        GithubError::GraphqlTemporary { message, .. } => {
            GithubError::GraphqlTemporary { message, tries }
        }
        other => other,
    }
}

/// Counts one more failure for each alias GitHub failed: those out of tries get their error,
/// the others are returned with their count, to be asked again.
fn settle<T>(
    failed: Vec<(usize, GithubError)>,
    tries: &mut HashMap<usize, u32>,
    max_attempts: u32,
    results: &mut [Option<Result<T, GithubError>>],
) -> Vec<(usize, u32)> {
    let mut again = Vec::new();
    for (i, e) in failed {
        let t = tries.entry(i).or_default();
        *t += 1;
        if *t >= max_attempts {
            results[i] = Some(Err(with_tries(e, *t)));
        } else {
            again.push((i, *t));
        }
    }
    again
}

/// Why an alias came back empty: GitHub's first error about it (`FORBIDDEN`, `NOT_FOUND`, or
/// anything else as GitHub's words); no error at all is a repository GitHub does not show.
pub(super) fn missing_alias(error: Option<&Value>, what: String, endpoint: &str) -> GithubError {
    match error {
        Some(e) if error_type(e) == "FORBIDDEN" => GithubError::Forbidden { scope: None },
        Some(e) if error_type(e) == "NOT_FOUND" => GithubError::NotFound { what },
        None => GithubError::NotFound { what },
        Some(e) => GithubError::Decode {
            endpoint: endpoint.into(),
            detail: format!(
                "GitHub answered the query with an error: {}",
                clean(error_message(e), 200)
            ),
        },
    }
}

/// Files one answer's results: each alias (or node) of `chunk` converted, or its error. Returns
/// the targets whose alias GitHub failed with a temporary error (their results stay unset).
fn fill<T>(
    batch: &Batch<'_, T>,
    chunk: &[usize],
    mut answer: Answer,
    results: &mut [Option<Result<T, GithubError>>],
) -> Vec<(usize, GithubError)> {
    let mut failed = Vec::new();
    let endpoint = match batch.shape {
        Shape::Probe => "/graphql probe",
        Shape::Detail => "/graphql detail",
    };
    let by_nodes = matches!(batch.targets[chunk[0]], RepoTarget::Node(_));
    let mut nodes = match answer.data.get_mut("nodes").map(Value::take) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };
    for (j, &i) in chunk.iter().enumerate() {
        let errors: Vec<&Value> = answer
            .errors
            .iter()
            .filter(|e| error_index(e) == Some(j))
            .collect();
        let value = if by_nodes {
            nodes.get_mut(j).map(Value::take).unwrap_or(Value::Null)
        } else {
            answer
                .data
                .get_mut(format!("r{j}"))
                .map(Value::take)
                .unwrap_or(Value::Null)
        };
        // A temporary error anywhere in the alias: its data (if any) may be incomplete, so it is
        // asked again rather than diffed.
        if let Some(e) = errors.iter().find(|e| is_temporary(e)) {
            failed.push((
                i,
                GithubError::GraphqlTemporary {
                    message: clean(error_message(e), 200),
                    tries: 1,
                },
            ));
            continue;
        }
        let what = batch.targets[i].to_string();
        let result = if value.as_object().is_some_and(|o| !o.is_empty()) {
            (batch.convert_one)(value).map_err(|e| match e {
                GithubError::Decode { detail, .. } => GithubError::Decode {
                    endpoint: endpoint.into(),
                    detail,
                },
                other => other,
            })
        } else {
            Err(missing_alias(errors.first().copied(), what, endpoint))
        };
        results[i] = Some(result);
    }
    failed
}

/// Decodes one batch answer's body as a sync does, without a client: split into data and
/// errors, the batch-wide errors judged (a rate limit included), then each of `targets`'
/// aliases (or nodes) converted. `Err` when the whole batch fails, else one result per target
/// (`None` for an alias GitHub failed, to be asked again). For the property tests of
/// `tests/proptest_parsers.rs`; not an API.
#[doc(hidden)]
pub fn decode_answer(
    shape: Shape,
    targets: &[RepoTarget],
    body: &[u8],
) -> Result<Vec<Option<Result<(), GithubError>>>, GithubError> {
    let batch_err = |f: BatchFailure| match f {
        BatchFailure::Shrink(e) | BatchFailure::Retry(e) | BatchFailure::Fatal(e) => e,
    };
    let answer = split_answer(body).map_err(batch_err)?;
    if answer
        .errors
        .iter()
        .any(|e| error_type(e) == "RATE_LIMITED")
    {
        return Err(GithubError::PrimaryRateLimited {
            bucket: "graphql".into(),
            reset: Utc::now(),
        });
    }
    judge_errors(&answer.data, &answer.errors).map_err(batch_err)?;
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let batch = Batch {
        shape,
        targets,
        prio: Priority::User,
        convert_one: match shape {
            Shape::Probe => |v| {
                convert::decode_value::<GProbe>("/graphql probe", v).map(|p| drop(Probe::from(p)))
            },
            Shape::Detail => |v| {
                convert::decode_value::<GDetail>("/graphql detail", v)
                    .map(|d| drop(RepoSnapshot::from(d)))
            },
        },
    };
    let chunk: Vec<usize> = (0..targets.len()).collect();
    let mut results: Vec<Option<Result<(), GithubError>>> = targets.iter().map(|_| None).collect();
    fill(&batch, &chunk, answer, &mut results);
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_alias_and_node_queries() {
        let a = RepoTarget::Name(RepoKey::parse("octo-org/repo-0001").unwrap());
        let b = RepoTarget::Name(RepoKey::parse("octo-org/nope").unwrap());
        let q = build_query(Shape::Probe, &[&a, &b]);
        assert!(
            q.contains(r#"r0: repository(owner: "octo-org", name: "repo-0001") { ...Probe }"#),
            "{q}"
        );
        assert!(q.contains(r#"r1: repository(owner: "octo-org", name: "nope")"#));
        assert!(q.contains(RATE_LIMIT) && q.contains("fragment Probe on Repository"));
        let n = RepoTarget::Node("R_kgDO\"x".into());
        let q = build_query(Shape::Detail, &[&n]);
        assert!(
            q.contains(r#"nodes(ids: ["R_kgDO\"x"]) { ... on Repository { ...Detail } }"#),
            "{q}"
        );
    }

    #[test]
    fn the_detail_history_is_the_commit_window() {
        let window = format!("history(first: {})", crate::domain::COMMIT_WINDOW);
        assert!(DETAIL_FRAGMENT.contains(&window), "{DETAIL_FRAGMENT}");
    }

    #[test]
    fn a_full_detail_batch_costs_two_points() {
        // Every connection GitHub bills per repository: the paged ones and `watchers`.
        let paged = DETAIL_FRAGMENT.matches("first: ").count();
        assert_eq!(paged + 1, DETAIL_CONNECTIONS, "{DETAIL_FRAGMENT}");
        let window = format!("contexts(first: {CHECKS_WINDOW})");
        assert!(DETAIL_FRAGMENT.contains(&window));
        // GitHub: requests / 100, rounded to the nearest point.
        let points = |repos: usize| (repos * DETAIL_CONNECTIONS + 50) / 100;
        assert_eq!(points(super::super::client::DETAIL_MAX), 2);
        assert_eq!(points(super::super::client::DETAIL_MAX + 1), 3);
    }

    #[test]
    fn the_pr_ends_query_asks_each_pr_once_per_repository() {
        let asks = vec![
            (RepoKey::parse("o/a").unwrap(), vec![3, 12]),
            (RepoKey::parse("o/b").unwrap(), vec![7]),
        ];
        let q = pr_ends_query(&asks);
        assert!(q.contains(r#"r0: repository(owner: "o", name: "a") { p3: pullRequest(number: 3) { number state } p12: pullRequest(number: 12) { number state } }"#), "{q}");
        assert!(q.contains(r#"r1: repository(owner: "o", name: "b") { p7: pullRequest(number: 7) { number state } }"#), "{q}");
        assert!(q.contains(RATE_LIMIT));
        let data = serde_json::json!({
            "p3": {"number": 3, "state": "MERGED"},
            "p12": {"number": 12, "state": "OPEN"},
            "p13": null,
        });
        assert_eq!(ends_of(Some(&data)), vec![(3, PrEnd::Merged)]);
        assert_eq!(ends_of(None), vec![]);
    }

    #[test]
    fn githubs_server_failures_are_temporary_and_query_errors_are_not() {
        for e in [
            serde_json::json!({"message": "Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `AB12` when reporting this issue.", "path": ["r1"]}),
            serde_json::json!({"type": "SERVICE_UNAVAILABLE", "message": "x", "path": ["nodes", 0]}),
            serde_json::json!({"message": "timedout"}),
        ] {
            assert!(is_temporary(&e), "{e}");
        }
        for e in [
            serde_json::json!({"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}),
            serde_json::json!({"type": "FORBIDDEN", "message": "Resource not accessible"}),
            serde_json::json!({"message": "Field 'nope' doesn't exist on type 'Repository'"}),
        ] {
            assert!(!is_temporary(&e), "{e}");
        }
    }

    fn probe_batch(targets: &[RepoTarget]) -> Batch<'_, Value> {
        Batch {
            shape: Shape::Probe,
            targets,
            prio: Priority::User,
            convert_one: Ok,
        }
    }

    #[test]
    fn aliases_github_failed_are_asked_again_even_with_partial_data() {
        let targets: Vec<RepoTarget> = (0..4)
            .map(|i| RepoTarget::Name(RepoKey::parse(&format!("o/r{i}")).unwrap()))
            .collect();
        let batch = probe_batch(&targets);
        let went_wrong = "Something went wrong while executing your query.";
        let answer = Answer {
            data: serde_json::json!({
                "r0": {"id": "a"},
                "r1": null,
                "r2": {"id": "c", "defaultBranchRef": null},
                "r3": null,
            }),
            errors: vec![
                serde_json::json!({"message": went_wrong, "path": ["r1"]}),
                serde_json::json!({"message": went_wrong, "path": ["r2", "defaultBranchRef"]}),
                serde_json::json!({"type": "NOT_FOUND", "message": "gone", "path": ["r3"]}),
            ],
        };
        let mut results: Vec<Option<Result<Value, GithubError>>> = vec![None; 4];
        let failed = fill(&batch, &[0, 1, 2, 3], answer, &mut results);
        let again: Vec<usize> = failed.iter().map(|(i, _)| *i).collect();
        assert_eq!(
            again,
            [1, 2],
            "r2's data is incomplete: asked again, not diffed"
        );
        assert!(matches!(failed[0].1, GithubError::GraphqlTemporary { .. }));
        assert!(matches!(results[0], Some(Ok(_))));
        assert!(results[1].is_none() && results[2].is_none());
        assert!(matches!(
            results[3],
            Some(Err(GithubError::NotFound { .. }))
        ));

        let mut tries = HashMap::new();
        let mut results: Vec<Option<Result<Value, GithubError>>> = vec![None; 4];
        let err = || GithubError::GraphqlTemporary {
            message: went_wrong.into(),
            tries: 1,
        };
        for round in 1..=3 {
            let again = settle(vec![(1, err())], &mut tries, 4, &mut results);
            assert_eq!(again, [(1, round)]);
        }
        assert!(settle(vec![(1, err())], &mut tries, 4, &mut results).is_empty());
        assert_eq!(
            results[1],
            Some(Err(GithubError::GraphqlTemporary {
                message: went_wrong.into(),
                tries: 4
            }))
        );
    }

    #[test]
    fn error_paths_map_to_batch_indexes() {
        let e: Value = serde_json::json!({"type": "NOT_FOUND", "path": ["r12"]});
        assert_eq!(error_index(&e), Some(12));
        let e: Value = serde_json::json!({"type": "NOT_FOUND", "path": ["nodes", 3]});
        assert_eq!(error_index(&e), Some(3));
        assert_eq!(error_index(&serde_json::json!({"message": "x"})), None);
    }
}
