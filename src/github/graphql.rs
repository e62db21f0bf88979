//! GraphQL: the change probe and the detail fetch as batched alias queries, posted by us so partial
//! data survives errors; adaptive batch sizes (halve on timeout, 502/504, RESOURCE_LIMITS_EXCEEDED
//! or an unreadable body; grow back on success); per-repo NOT_FOUND; RATE_LIMITED feeds the gate.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use http::Method;
use serde_json::Value;

use crate::domain::Priority;
use crate::domain::{Probe, RateBucket, RepoSnapshot};

use super::client::{DETAIL_MAX, PROBE_MAX, Req, clean};
use super::convert::{self, GDetail, GProbe};
use super::scheduler::Lane;
use super::{GithubClient, GithubError, RepoTarget};

/// Appended to every query: GitHub's own bill for it.
pub const RATE_LIMIT: &str = "rateLimit { cost limit remaining used resetAt nodeCount }";

/// The cheap change probe.
pub const PROBE_FRAGMENT: &str = "fragment Probe on Repository {
  id databaseId nameWithOwner pushedAt updatedAt stargazerCount forkCount
  isArchived isPrivate isDisabled
  issues(states: OPEN) { totalCount }
  pullRequests(states: OPEN) { totalCount }
  defaultBranchRef { name target { oid } }
  latestRelease { tagName }
}";

/// The detail fetch. Nested connections multiply the bill, so only the head commit's parents are
/// fetched, and no labels. The history is the commit window ([`crate::domain::COMMIT_WINDOW`]).
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
        parents(first: 5) { nodes { oid } }
        history(first: ",
    crate::domain::commit_window!(),
    ") {
          nodes { oid messageHeadline committedDate author { name email date user { login } } }
        }
      }
    }
  }
  refs(refPrefix: \"refs/heads/\", first: 100) {
    totalCount
    nodes { name target { oid } branchProtectionRule { pattern } }
  }
  pullRequests(states: OPEN, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount
    nodes { number title isDraft createdAt updatedAt url author { login } }
  }
  issues(states: OPEN, first: 50, orderBy: {field: UPDATED_AT, direction: DESC}) {
    totalCount
    nodes { number title createdAt updatedAt url author { login } }
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

fn quote(s: &str) -> String {
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

struct Answer {
    data: Value,
    errors: Vec<Value>,
}

fn error_type(e: &Value) -> &str {
    e.get("type").and_then(Value::as_str).unwrap_or_default()
}

/// The batch index an error is about: `["r7", ...]` or `["nodes", 7, ...]`.
fn error_index(e: &Value) -> Option<usize> {
    let path = e.get("path")?.as_array()?;
    match path.first()?.as_str()? {
        "nodes" => path.get(1)?.as_u64().map(|i| i as usize),
        alias => alias.strip_prefix('r')?.parse().ok(),
    }
}

impl GithubClient {
    /// Posts one query; a usable answer (data, maybe with per-alias errors) or why the batch failed.
    async fn post_query(&self, query: &str, prio: Priority) -> Result<Answer, BatchFailure> {
        let body = serde_json::to_vec(&serde_json::json!({ "query": query })).map_err(|e| {
            BatchFailure::Fatal(GithubError::Decode {
                endpoint: "/graphql".into(),
                detail: e.to_string(),
            })
        })?;
        let req = Req {
            method: Method::POST,
            path: String::new(),
            graphql: true,
            body: Some(body),
            lane: Lane::Graphql,
            prio,
            etag: None,
            route: "/graphql",
            retry: false,
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
        let mut v: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            // An unreadable body: halve until the bad repository is alone.
            BatchFailure::Shrink(GithubError::Decode {
                endpoint: "/graphql".into(),
                detail: clean(&e.to_string(), 200),
            })
        })?;
        let data = v.get_mut("data").map(Value::take).unwrap_or(Value::Null);
        let errors = match v.get_mut("errors").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        self.bill(&data);
        self.check_errors(&data, &errors)?;
        Ok(Answer { data, errors })
    }

    /// Counts the query's reported cost and publishes the GraphQL bucket from `rateLimit`.
    fn bill(&self, data: &Value) {
        let Some(rl) = data.get("rateLimit").filter(|r| r.is_object()) else {
            return;
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
        if errors
            .iter()
            .any(|e| error_type(e) == "RESOURCE_LIMITS_EXCEEDED")
        {
            return Err(BatchFailure::Shrink(GithubError::Server { status: 502 }));
        }
        if data.is_null() && !errors.is_empty() && errors.iter().all(|e| error_index(e).is_none()) {
            let msg = errors[0]
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("GraphQL error");
            return Err(BatchFailure::Fatal(GithubError::Decode {
                endpoint: "/graphql".into(),
                detail: clean(msg, 200),
            }));
        }
        Ok(())
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
                r.unwrap_or_else(|| {
                    Err(GithubError::NotFound {
                        what: t.to_string(),
                    })
                })
            })
            .collect())
    }

    /// One group of targets (the indexes `group` into `batch.targets`), in adaptive batches:
    /// halve on a batch too big, grow back on success, retry with backoff, and when one repository
    /// alone keeps failing, fail it and go on.
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
        let mut pos = 0;
        let mut failures = 0u32;
        while pos < group.len() {
            let k = k_cell.load(Ordering::Relaxed).clamp(1, max);
            let chunk = &group[pos..(pos + k).min(group.len())];
            let refs: Vec<&RepoTarget> = chunk.iter().map(|&i| &batch.targets[i]).collect();
            let query = build_query(batch.shape, &refs);
            match self.post_query(&query, batch.prio).await {
                Ok(answer) => {
                    fill(batch, chunk, answer, results);
                    pos += chunk.len();
                    failures = 0;
                    let grown = (k + (k / 4).max(1)).min(max);
                    k_cell.store(grown, Ordering::Relaxed);
                }
                Err(BatchFailure::Shrink(e)) if k > 1 => {
                    let half = (k / 2).max(1);
                    tracing::info!(from = k, to = half, error = %e, "github: GraphQL batch too big, halving");
                    k_cell.store(half, Ordering::Relaxed);
                }
                Err(BatchFailure::Shrink(e)) | Err(BatchFailure::Retry(e)) => {
                    failures += 1;
                    if failures < max_attempts {
                        self.wait_to_retry(failures).await?;
                    } else if k == 1 && !matches!(e, GithubError::PrimaryRateLimited { .. }) {
                        // This one repository cannot be fetched; the others go on.
                        results[chunk[0]] = Some(Err(e));
                        pos += 1;
                        failures = 0;
                    } else {
                        return Err(e);
                    }
                }
                Err(BatchFailure::Fatal(e)) => return Err(e),
            }
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

/// What one `batched` call asks: the query shape, every target, the priority and the conversion.
struct Batch<'a, T> {
    shape: Shape,
    targets: &'a [RepoTarget],
    prio: Priority,
    convert_one: fn(Value) -> Result<T, GithubError>,
}

/// Files one answer's results: each alias (or node) of `chunk` converted, or its error.
fn fill<T>(
    batch: &Batch<'_, T>,
    chunk: &[usize],
    mut answer: Answer,
    results: &mut [Option<Result<T, GithubError>>],
) {
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
        let err = answer.errors.iter().find(|e| error_index(e) == Some(j));
        let value = if by_nodes {
            nodes.get_mut(j).map(Value::take).unwrap_or(Value::Null)
        } else {
            answer
                .data
                .get_mut(format!("r{j}"))
                .map(Value::take)
                .unwrap_or(Value::Null)
        };
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
            match err.map(error_type) {
                Some("FORBIDDEN") => Err(GithubError::Forbidden { scope: None }),
                Some("NOT_FOUND") | None => Err(GithubError::NotFound { what }),
                Some(_) => Err(GithubError::Decode {
                    endpoint: endpoint.into(),
                    detail: clean(
                        err.and_then(|e| e.get("message"))
                            .and_then(Value::as_str)
                            .unwrap_or(""),
                        200,
                    ),
                }),
            }
        };
        results[i] = Some(result);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RepoKey;

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
    fn error_paths_map_to_batch_indexes() {
        let e: Value = serde_json::json!({"type": "NOT_FOUND", "path": ["r12"]});
        assert_eq!(error_index(&e), Some(12));
        let e: Value = serde_json::json!({"type": "NOT_FOUND", "path": ["nodes", 3]});
        assert_eq!(error_index(&e), Some(3));
        assert_eq!(error_index(&serde_json::json!({"message": "x"})), None);
    }
}
