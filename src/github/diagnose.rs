//! What `repodeck doctor` asks GitHub besides `GET /user` (`rest::viewer`) and the endpoint check
//! (`GithubClient::check_endpoint`): the server's clock (its `Date` header) and whether the GraphQL
//! endpoint answers a tiny `rateLimit` query like GitHub's.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::client::{Req, Resp, clean};
use super::scheduler::Lane;
use super::{GithubClient, GithubError};
use crate::domain::Priority;

/// What the GraphQL endpoint said about its own budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlBudget {
    pub limit: u64,
    pub remaining: u64,
}

/// The `Date` header of an answer (RFC 7231 IMF-fixdate, as GitHub sends it).
pub(crate) fn date_of(resp: &Resp) -> Option<DateTime<Utc>> {
    let raw = resp.headers.get(http::header::DATE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(raw.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl GithubClient {
    /// The server's clock: the `Date` header of `GET /rate_limit` (free, also anonymous).
    /// `None` when the answer had no readable `Date`.
    pub async fn server_date(&self) -> Result<Option<DateTime<Utc>>, GithubError> {
        let req = Req::get(
            "/rate_limit".into(),
            "/rate_limit",
            Lane::Core,
            Priority::User,
        );
        let resp = self.execute(&req).await?;
        Ok(date_of(&resp))
    }

    /// Posts `{ rateLimit { limit remaining } }`: the GraphQL endpoint answers like GitHub's when
    /// it returns that object. `NotGithub` names the URL and what answered otherwise.
    pub async fn graphql_budget(&self) -> Result<GraphqlBudget, GithubError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "query": "query { rateLimit { limit remaining resetAt } }"
        }))
        .unwrap_or_default();
        let req = Req::graphql(body, Priority::User);
        let resp = self.execute(&req).await?;
        let v: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        let rl = v.pointer("/data/rateLimit");
        let num = |k: &str| rl.and_then(|r| r.get(k)).and_then(Value::as_u64);
        match (num("limit"), num("remaining")) {
            (Some(limit), Some(remaining)) => Ok(GraphqlBudget { limit, remaining }),
            _ => {
                let msg = v
                    .pointer("/errors/0/message")
                    .or_else(|| v.get("message"))
                    .and_then(Value::as_str)
                    .map(|m| format!(" (\"{}\")", clean(m, 200)))
                    .unwrap_or_default();
                Err(GithubError::NotGithub {
                    url: self.graphql_url().to_string(),
                    answered: format!(
                        "POST answered HTTP {} without data.rateLimit{msg}",
                        resp.status
                    ),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_githubs_date_header() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::DATE,
            http::HeaderValue::from_static("Tue, 10 Oct 2017 16:00:00 GMT"),
        );
        let resp = Resp {
            status: 200,
            headers,
            body: Vec::new(),
        };
        let t = date_of(&resp).unwrap();
        assert_eq!(t.to_rfc3339(), "2017-10-10T16:00:00+00:00");
    }
}
