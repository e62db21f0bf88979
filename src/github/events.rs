//! Events feeds (`GET /orgs/{org}/events`, `GET /users/{user}/events`): conditional GETs with the
//! caller's own ETag (a 304 costs nothing) that report `X-Poll-Interval`, the shortest wait GitHub
//! allows before the next poll. Used by the sync engine for change hints only.

use serde::Deserialize;

use super::GithubError;
use super::client::{GithubClient, Req};
use super::convert;
use super::scheduler::Lane;
use crate::domain::Priority;

/// Whose feed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventsFeed {
    Org(String),
    User(String),
}

impl EventsFeed {
    fn path(&self) -> (String, &'static str) {
        match self {
            EventsFeed::Org(o) => (format!("/orgs/{o}/events"), "/orgs/{org}/events"),
            EventsFeed::User(u) => (format!("/users/{u}/events"), "/users/{username}/events"),
        }
    }
}

/// One event, as much of it as a hint needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub id: u64,
    pub kind: String,
    /// `owner/name`.
    pub repo: String,
}

/// One poll's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsPage {
    /// `None`: 304, nothing new.
    pub events: Option<Vec<FeedEvent>>,
    pub etag: Option<String>,
    /// `X-Poll-Interval` in seconds.
    pub poll_interval: Option<u64>,
}

#[derive(Deserialize)]
struct WireRepo {
    name: String,
}

#[derive(Deserialize)]
struct WireEvent {
    id: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    repo: WireRepo,
}

impl GithubClient {
    /// Polls a feed, with `If-None-Match: etag` when given.
    pub async fn events(
        &self,
        feed: &EventsFeed,
        etag: Option<&str>,
    ) -> Result<EventsPage, GithubError> {
        let (path, route) = feed.path();
        let mut req = Req::get(path, route, Lane::Core, Priority::Background);
        req.etag = etag.map(str::to_string);
        let resp = self.execute(&req).await?;
        let header = |name: &str| {
            resp.headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let poll_interval = header("x-poll-interval").and_then(|v| v.trim().parse().ok());
        if resp.status == 304 {
            return Ok(EventsPage {
                events: None,
                etag: etag.map(str::to_string),
                poll_interval,
            });
        }
        let wire: Vec<WireEvent> = convert::decode(route, &resp.body)?;
        let events = wire
            .into_iter()
            .filter_map(|e| {
                Some(FeedEvent {
                    id: e.id.parse().ok()?,
                    kind: e.kind.unwrap_or_default(),
                    repo: e.repo.name,
                })
            })
            .collect();
        Ok(EventsPage {
            events: Some(events),
            etag: header("etag"),
            poll_interval,
        })
    }
}
