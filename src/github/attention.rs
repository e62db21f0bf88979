//! The attention queue's GitHub part: ONE GraphQL query with two `search(type: ISSUE)` aliases,
//! the open pull requests asking the token's user for a review (`review-requested:@me`) and their
//! own open ones (`author:@me`), each with its review decision and its head's CI rollup, plus
//! `viewer { login }` and `rateLimit`. The head's CI is the pull request's own
//! `statusCheckRollup` (an object, not a connection, unlike `commits(last: 1) { ... }`), so
//! GitHub bills 2 connection requests (the two searches): /100 rounded up to the minimum, 1 point.
//!
//! Neighbours: `client` (the request pipeline), `graphql` (billing from `rateLimit`),
//! `domain::attention` (what it returns); `sync::attention` merges it with the store's rows.

use serde::Deserialize;
use serde_json::Value;

use super::client::{Req, clean};
use super::convert::decode_value;
use super::{GithubClient, GithubError};
use crate::domain::{AttentionSearch, CiState, Priority, ReviewDecision, SearchedPr};

/// Pull requests per search (GitHub allows 100; 50 keeps the answer small).
pub const PER_SEARCH: usize = 50;

/// The search qualifiers of each alias.
pub const REVIEW_QUERY: &str = "is:pr is:open review-requested:@me archived:false";
pub const AUTHOR_QUERY: &str = "is:pr is:open author:@me archived:false";

const ENDPOINT: &str = "/graphql (attention search)";

/// The query sent (validated against GitHub's schema in `tests/github_schema.rs`).
pub fn query() -> String {
    format!(
        r#"query {{
  viewer {{ login }}
  review: search(type: ISSUE, query: "{REVIEW_QUERY}", first: {PER_SEARCH}) {{
    issueCount
    nodes {{ ...attentionPr }}
  }}
  mine: search(type: ISSUE, query: "{AUTHOR_QUERY}", first: {PER_SEARCH}) {{
    issueCount
    nodes {{ ...attentionPr }}
  }}
  rateLimit {{ cost limit remaining used resetAt }}
}}
fragment attentionPr on PullRequest {{
  number
  title
  url
  updatedAt
  isDraft
  reviewDecision
  repository {{ nameWithOwner }}
  statusCheckRollup {{ state }}
}}"#
    )
}

// ---------- wire ----------

#[derive(Debug, Deserialize)]
struct WireData {
    viewer: WireViewer,
    review: WireSearch,
    mine: WireSearch,
    #[serde(rename = "rateLimit")]
    rate_limit: Option<WireRate>,
}

#[derive(Debug, Deserialize)]
struct WireViewer {
    login: String,
}

#[derive(Debug, Deserialize)]
struct WireRate {
    cost: Option<u64>,
    remaining: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct WireSearch {
    #[serde(rename = "issueCount", default)]
    issue_count: u64,
    #[serde(default)]
    nodes: Vec<Option<WirePr>>,
}

#[derive(Debug, Deserialize)]
struct WirePr {
    /// Absent for a node that is not a pull request (the fragment selects nothing on it).
    number: Option<u64>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: String,
    #[serde(rename = "updatedAt")]
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(rename = "isDraft", default)]
    is_draft: bool,
    #[serde(rename = "reviewDecision")]
    review_decision: Option<String>,
    repository: Option<WireRepo>,
    #[serde(rename = "statusCheckRollup")]
    status_check_rollup: Option<WireRollup>,
}

#[derive(Debug, Deserialize)]
struct WireRepo {
    #[serde(rename = "nameWithOwner")]
    name_with_owner: String,
}

#[derive(Debug, Deserialize)]
struct WireRollup {
    state: Option<String>,
}

/// GitHub's `StatusState` as ours: `ERROR` and `FAILURE` fail, `EXPECTED` and `PENDING` wait.
pub fn ci_state(state: Option<&str>) -> CiState {
    match state {
        Some("SUCCESS") => CiState::Success,
        Some("FAILURE" | "ERROR") => CiState::Failure,
        Some("PENDING" | "EXPECTED") => CiState::Pending,
        _ => CiState::None,
    }
}

/// GitHub's `PullRequestReviewDecision` as ours (`None`: no review required).
pub fn review_decision(d: Option<&str>) -> Option<ReviewDecision> {
    match d? {
        "APPROVED" => Some(ReviewDecision::Approved),
        "CHANGES_REQUESTED" => Some(ReviewDecision::ChangesRequested),
        "REVIEW_REQUIRED" => Some(ReviewDecision::ReviewRequired),
        _ => None,
    }
}

impl WirePr {
    fn into_domain(self) -> Option<SearchedPr> {
        let ci = self
            .status_check_rollup
            .map_or(CiState::None, |r| ci_state(r.state.as_deref()));
        Some(SearchedPr {
            repo: self.repository?.name_with_owner,
            number: self.number?,
            title: self.title,
            url: self.url,
            updated_at: self.updated_at,
            draft: self.is_draft,
            review_decision: review_decision(self.review_decision.as_deref()),
            ci,
        })
    }
}

fn prs(s: WireSearch) -> (Vec<SearchedPr>, bool) {
    let found = s.nodes.len() as u64;
    let out: Vec<SearchedPr> = s
        .nodes
        .into_iter()
        .flatten()
        .filter_map(WirePr::into_domain)
        .collect();
    (out, s.issue_count > found)
}

/// The answer's `data` as the domain's [`AttentionSearch`] (wire -> domain).
pub fn convert(data: Value) -> Result<AttentionSearch, GithubError> {
    let d: WireData = decode_value(ENDPOINT, data)?;
    let (review_requested, more_review) = prs(d.review);
    let (authored, more_mine) = prs(d.mine);
    Ok(AttentionSearch {
        login: d.viewer.login,
        review_requested,
        authored,
        cost: d.rate_limit.as_ref().and_then(|r| r.cost).unwrap_or(0),
        remaining: d.rate_limit.and_then(|r| r.remaining),
        truncated: more_review || more_mine,
    })
}

/// The errors of a whole answer: GitHub's missing-scope error names the scope, anything else
/// (with no data) is GitHub refusing the query.
fn refused(errors: &[Value]) -> GithubError {
    let first = errors.first();
    let ty = first
        .and_then(|e| e.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let msg = clean(
        first
            .and_then(|e| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("GraphQL error"),
        200,
    );
    match ty {
        "INSUFFICIENT_SCOPES" => GithubError::Forbidden {
            scope: Some("repo".into()),
        },
        "FORBIDDEN" => GithubError::Forbidden { scope: None },
        _ => GithubError::Decode {
            endpoint: ENDPOINT.into(),
            detail: format!("GitHub refused the query: {msg}"),
        },
    }
}

impl GithubClient {
    /// Runs the attention search (one GraphQL query, user priority). Needs a token: GitHub's
    /// GraphQL API refuses anonymous callers.
    pub async fn attention_search(&self) -> Result<AttentionSearch, GithubError> {
        if !self.is_authenticated() {
            return Err(GithubError::Unauthorized {
                origin: None,
                id: None,
            });
        }
        let body = serde_json::to_vec(&serde_json::json!({ "query": query() })).map_err(|e| {
            GithubError::Decode {
                endpoint: ENDPOINT.into(),
                detail: e.to_string(),
            }
        })?;
        let resp = self.execute(&Req::graphql(body, Priority::User)).await?;
        let mut v: Value = serde_json::from_slice(&resp.body)
            .map_err(|e| super::convert::body_err(ENDPOINT, &e))?;
        let data = v.get_mut("data").map(Value::take).unwrap_or(Value::Null);
        let errors = match v.get_mut("errors").map(Value::take) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        self.bill(&data);
        let usable = data.get("viewer").is_some_and(Value::is_object)
            && data.get("review").is_some_and(Value::is_object)
            && data.get("mine").is_some_and(Value::is_object);
        if !usable {
            return Err(refused(&errors));
        }
        if !errors.is_empty() {
            tracing::warn!(
                errors = errors.len(),
                "attention search: GitHub answered with errors beside its data"
            );
        }
        convert(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_like_githubs_enums() {
        assert_eq!(ci_state(Some("ERROR")), CiState::Failure);
        assert_eq!(ci_state(Some("EXPECTED")), CiState::Pending);
        assert_eq!(ci_state(None), CiState::None);
        assert_eq!(
            review_decision(Some("CHANGES_REQUESTED")),
            Some(ReviewDecision::ChangesRequested)
        );
        assert_eq!(review_decision(Some("SOMETHING_NEW")), None);
    }

    #[test]
    fn missing_scope_says_which() {
        let e = refused(&[serde_json::json!({
            "type": "INSUFFICIENT_SCOPES",
            "message": "Your token has not been granted the required scopes to execute this query."
        })]);
        assert!(e.to_string().contains("`repo` scope"), "{e}");
    }
}
