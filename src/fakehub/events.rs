//! Owners' events feeds like GitHub's (`GET /orgs/{org}/events`, `GET /users/{user}/events`;
//! a repository's own `GET /repos/{o}/{r}/events`, with full payloads, is the repo's detail
//! data in `rest`): every mutation that GitHub reports as an event (push, release,
//! pull request, issue, star, fork, branch or tag created/deleted) adds one, visible after
//! `events_lag` (GitHub's events lag 30 s to hours); each answer carries `X-Poll-Interval`
//! (`events_poll_interval`) and the pipeline's ETag, so an unchanged feed answers 304, free.
//! Shape from GitHub's OpenAPI example `activity-list-repo-events` (tests/fixtures/github).

use std::collections::VecDeque;

use http::HeaderName;
use serde_json::{Value, json};

use super::Reply;
use super::data::{Applied, MutationKind};

/// Events kept per fakehub (GitHub keeps 90 days, 300 per feed; 30 a page).
const KEEP: usize = 5000;
const PAGE: usize = 30;

#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub id: u64,
    pub kind: &'static str,
    /// `owner/name` as named when it happened.
    pub repo: String,
    pub repo_id: u64,
    pub created_at: i64,
    pub visible_at: i64,
}

#[derive(Debug, Default)]
pub struct Feed {
    events: VecDeque<FeedEvent>,
    next_id: u64,
}

/// The event type GitHub reports for a mutation, if any.
pub fn kind_of(m: MutationKind) -> Option<&'static str> {
    use MutationKind as K;
    Some(match m {
        K::Push | K::ForcePush => "PushEvent",
        K::Release => "ReleaseEvent",
        K::OpenPr | K::MergePr | K::ClosePr => "PullRequestEvent",
        K::OpenIssue | K::CloseIssue => "IssuesEvent",
        K::Star => "WatchEvent",
        K::Fork => "ForkEvent",
        K::CreateBranch | K::CreateTag => "CreateEvent",
        K::DeleteBranch | K::DeleteTag => "DeleteEvent",
        _ => return None,
    })
}

impl Feed {
    /// Records the event of an applied mutation at `now`, visible from `now + lag`.
    pub fn record(&mut self, applied: &Applied, now: i64, lag_secs: i64) {
        let Some(kind) = kind_of(applied.kind) else {
            return;
        };
        self.next_id += 1;
        self.events.push_back(FeedEvent {
            id: 30_000_000_000 + self.next_id,
            kind,
            repo: applied.repo.clone(),
            repo_id: applied.repo_id,
            created_at: now,
            visible_at: now + lag_secs,
        });
        while self.events.len() > KEEP {
            self.events.pop_front();
        }
    }

    /// The newest visible events (at most a page) for which `pick` holds, newest first.
    pub fn page(&self, now: i64, pick: impl Fn(&FeedEvent) -> bool) -> Vec<FeedEvent> {
        self.events
            .iter()
            .rev()
            .filter(|e| e.visible_at <= now && pick(e))
            .take(PAGE)
            .cloned()
            .collect()
    }
}

fn body(api: &str, e: &FeedEvent) -> Value {
    let created = chrono::DateTime::<chrono::Utc>::from_timestamp(e.created_at, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default();
    json!({
        "id": e.id.to_string(),
        "type": e.kind,
        "actor": {
            "id": 583231,
            "login": "octocat",
            "display_login": "octocat",
            "gravatar_id": "",
            "url": format!("{api}/users/octocat"),
            "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4"
        },
        "repo": {"id": e.repo_id, "name": e.repo, "url": format!("{api}/repos/{}", e.repo)},
        "payload": {},
        "public": true,
        "created_at": created,
    })
}

/// A feed page as a reply with `X-Poll-Interval`.
pub(crate) fn reply(api: &str, events: &[FeedEvent], poll_interval: u64) -> Reply {
    let list: Vec<Value> = events.iter().map(|e| body(api, e)).collect();
    let mut r = Reply::ok(&Value::Array(list));
    r.headers.push((
        HeaderName::from_static("x-poll-interval"),
        poll_interval.to_string(),
    ));
    r
}

/// Whether `repo` (`owner/name`) belongs to `owner` (case-insensitive).
pub fn owned_by(repo: &str, owner: &str) -> bool {
    repo.split_once('/')
        .is_some_and(|(o, _)| o.eq_ignore_ascii_case(owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(repo: &str, kind: MutationKind) -> Applied {
        Applied {
            repo: repo.into(),
            repo_id: 7,
            kind,
            deliveries: Vec::new(),
        }
    }

    #[test]
    fn events_appear_after_the_lag_newest_first() {
        let mut f = Feed::default();
        f.record(&applied("octo-org/a", MutationKind::Push), 100, 30);
        f.record(&applied("octo-org/b", MutationKind::Release), 110, 30);
        f.record(
            &applied("octo-org/b", MutationKind::EditDescription),
            110,
            30,
        );
        assert!(f.page(120, |_| true).is_empty(), "lagging");
        let page = f.page(140, |e| owned_by(&e.repo, "OCTO-ORG"));
        assert_eq!(page.len(), 2, "no event for a description edit");
        assert_eq!(page[0].kind, "ReleaseEvent");
        assert!(page[0].id > page[1].id);
        let v = body("http://x", &page[0]);
        assert_eq!(v["repo"]["name"], "octo-org/b");
        assert!(v["id"].is_string(), "GitHub sends event ids as strings");
    }
}
