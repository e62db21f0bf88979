//! The per-repository item extras fetch (`SyncCommand::FetchItems`): labels, assignees, comment
//! counts and requested reviewers of the open pull requests and issues, and each PR head's checks.
//! Every one of them is a connection per item, so GitHub bills one request per item for each:
//! kept out of the bulk detail query (which would grow by ~4 points per repository on every
//! first sync) and asked for one repository at a time, when its PRs or issues are looked at.
//!
//! Cost, by GitHub's rule (connection requests / 100, rounded): the repository, the two item
//! lists, and per item its connections: 50 PRs x 5 (labels, assignees, comments, reviewRequests,
//! contexts) + 50 issues x 3 = 403 requests, **4 points**, measured against fakehub in
//! `tests/item_extras.rs`. A repository with few open items costs 1.
//!
//! Neighbours: `graphql` (posting, billing, error judgement), `insight` (check conversion),
//! `domain::items` (what it returns and how the store lays it over the details).

use serde::Deserialize;
use serde_json::Value;

use super::client::clean;
use super::convert::decode_value;
use super::graphql::{error_message, is_temporary, missing_alias, quote};
use super::insight::{GRollup, ci_status};
use super::{GithubClient, GithubError, RepoTarget};
use crate::domain::{ItemExtra, ItemExtras, Priority, RepoKey};

const ENDPOINT: &str = "/graphql (item extras)";

/// Labels read per item (GitHub allows 100; more than 20 do not fit a row anyway).
pub const LABELS: usize = 20;
/// Assignees and requested reviewers read per item.
pub const PEOPLE: usize = 10;
/// Checks read per PR head (failing ones are sorted first afterwards).
pub const CHECKS: usize = 10;
/// Open PRs and issues covered: the same window the detail fetch stores.
pub const WINDOW: usize = 50;

/// The query sent for `key` (validated against GitHub's schema in `tests/github_schema.rs`).
pub fn query(key: &RepoKey) -> String {
    let common = format!(
        "number updatedAt labels(first: {LABELS}) {{ nodes {{ name }} }} assignees(first: {PEOPLE}) {{ nodes {{ login }} }} comments {{ totalCount }}"
    );
    let order = "orderBy: {field: UPDATED_AT, direction: DESC}";
    format!(
        r#"query {{
  r0: repository(owner: {owner}, name: {name}) {{
    pullRequests(states: OPEN, first: {WINDOW}, {order}) {{
      nodes {{
        {common}
        headRefOid
        reviewRequests(first: {PEOPLE}) {{
          nodes {{
            requestedReviewer {{
              __typename
              ... on User {{ login }}
              ... on Team {{ slug }}
              ... on Mannequin {{ login }}
              ... on Bot {{ login }}
            }}
          }}
        }}
        statusCheckRollup {{
          state
          contexts(first: {CHECKS}) {{
            totalCount
            nodes {{
              __typename
              ... on CheckRun {{ name status conclusion detailsUrl }}
              ... on StatusContext {{ context state targetUrl }}
            }}
          }}
        }}
      }}
    }}
    issues(states: OPEN, first: {WINDOW}, {order}) {{
      nodes {{ {common} }}
    }}
  }}
  rateLimit {{ cost limit remaining used resetAt nodeCount }}
}}"#,
        owner = quote(key.owner()),
        name = quote(key.name()),
    )
}

// ---------- wire ----------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireRepo {
    #[serde(rename = "pullRequests")]
    pull_requests: Nodes<WireItem>,
    issues: Nodes<WireItem>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Nodes<T> {
    nodes: Vec<Option<T>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireName {
    name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireLogin {
    login: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireCount {
    #[serde(rename = "totalCount")]
    total_count: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireRequest {
    #[serde(rename = "requestedReviewer")]
    requested_reviewer: Option<WireReviewer>,
}

/// A `RequestedReviewer` union member: users, mannequins and bots have a login, teams a slug.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireReviewer {
    login: String,
    slug: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct WireItem {
    number: u64,
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    labels: Nodes<WireName>,
    assignees: Nodes<WireLogin>,
    comments: WireCount,
    head_ref_oid: String,
    review_requests: Nodes<WireRequest>,
    status_check_rollup: Option<GRollup>,
}

fn names<T>(n: Nodes<T>, f: impl Fn(T) -> String) -> Vec<String> {
    n.nodes
        .into_iter()
        .flatten()
        .map(f)
        .filter(|s| !s.is_empty())
        .collect()
}

impl WireItem {
    fn into_domain(self, pr: bool) -> ItemExtra {
        let ci = pr.then(|| ci_status(&self.head_ref_oid, self.status_check_rollup));
        ItemExtra {
            number: self.number,
            updated_at: self.updated_at,
            labels: names(self.labels, |l| l.name),
            assignees: names(self.assignees, |a| a.login),
            comments: self.comments.total_count,
            requested_reviewers: names(self.review_requests, |r| {
                r.requested_reviewer
                    .map(|r| if r.login.is_empty() { r.slug } else { r.login })
                    .unwrap_or_default()
            }),
            ci,
        }
    }
}

fn items(l: Nodes<WireItem>, pr: bool) -> Vec<ItemExtra> {
    l.nodes
        .into_iter()
        .flatten()
        .filter(|i| i.number > 0)
        .map(|i| i.into_domain(pr))
        .collect()
}

/// The answer's `r0` (the repository) as the domain's [`ItemExtras`] (wire -> domain);
/// `fetched_at` is left for the caller.
pub fn convert(repo: Value) -> Result<ItemExtras, GithubError> {
    let r: WireRepo = decode_value(ENDPOINT, repo)?;
    Ok(ItemExtras {
        fetched_at: None,
        pulls: items(r.pull_requests, true),
        issues: items(r.issues, false),
    })
}

impl GithubClient {
    /// One repository's item extras: one GraphQL query (about 4 points with full item lists).
    /// Needs a token, like all of GitHub's GraphQL API.
    pub async fn item_extras(
        &self,
        key: &RepoKey,
        prio: Priority,
    ) -> Result<ItemExtras, GithubError> {
        if !self.is_authenticated() {
            return Err(GithubError::Unauthorized {
                origin: None,
                id: None,
            });
        }
        let target = RepoTarget::Name(key.clone());
        let mut answer = self.post_query_for(&query(key), prio, &[&target]).await?;
        // A temporary error anywhere: the data may be incomplete, so nothing is stored as current.
        if let Some(e) = answer.errors.iter().find(|e| is_temporary(e)) {
            return Err(GithubError::GraphqlTemporary {
                message: clean(error_message(e), 200),
                tries: 1,
            });
        }
        let repo = answer
            .data
            .get_mut("r0")
            .map(Value::take)
            .unwrap_or(Value::Null);
        if repo.as_object().is_some_and(|o| !o.is_empty()) {
            return convert(repo);
        }
        Err(missing_alias(
            answer.errors.first(),
            format!("repository {key}"),
            ENDPOINT,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CiState;

    #[test]
    fn the_query_names_the_repository_quoted() {
        let key = RepoKey::parse("octo-org/hello.world").unwrap();
        let q = query(&key);
        assert!(q.contains(r#"repository(owner: "octo-org", name: "hello.world")"#));
        assert!(q.contains("reviewRequests(first: 10)"));
    }

    #[test]
    fn reviewers_are_logins_or_team_slugs_and_prs_carry_their_checks() {
        let v = serde_json::json!({
            "pullRequests": {"nodes": [{
                "number": 12, "updatedAt": "2026-01-02T03:04:05Z", "headRefOid": "abc",
                "labels": {"nodes": [{"name": "bug"}, null]},
                "assignees": {"nodes": [{"login": "octocat"}]},
                "comments": {"totalCount": 3},
                "reviewRequests": {"nodes": [
                    {"requestedReviewer": {"__typename": "User", "login": "hubot"}},
                    {"requestedReviewer": {"__typename": "Team", "slug": "core"}},
                    {"requestedReviewer": null}
                ]},
                "statusCheckRollup": {"state": "FAILURE", "contexts": {"totalCount": 2, "nodes": [
                    {"__typename": "CheckRun", "name": "lint", "status": "COMPLETED", "conclusion": "SUCCESS", "detailsUrl": null},
                    {"__typename": "StatusContext", "context": "ci/test", "state": "FAILURE", "targetUrl": "https://ci.example/1"}
                ]}}
            }, null]},
            "issues": {"nodes": [{
                "number": 4, "updatedAt": "2026-01-01T00:00:00Z",
                "labels": {"nodes": []}, "assignees": {"nodes": []}, "comments": {"totalCount": 0}
            }]}
        });
        let x = convert(v).unwrap();
        let pr = &x.pulls[0];
        assert_eq!(pr.labels, ["bug"]);
        assert_eq!(pr.assignees, ["octocat"]);
        assert_eq!(pr.comments, 3);
        assert_eq!(pr.requested_reviewers, ["hubot", "core"]);
        let ci = pr.ci.as_ref().unwrap();
        assert_eq!((ci.sha.as_str(), ci.state), ("abc", CiState::Failure));
        assert_eq!(ci.checks[0].name, "ci/test", "failing first");
        assert_eq!(x.issues[0].number, 4);
        assert_eq!(x.issues[0].ci, None);
    }
}
