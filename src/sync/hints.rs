//! Event hints: polls the events feeds of the owners of tracked repos (an organization's feed,
//! or a user's when the owner is not an organization) with `If-None-Match`, so an unchanged
//! feed answers 304 and costs nothing, and never sooner than the feed's `X-Poll-Interval`. A new
//! event for a tracked repo is a hint: the freshness planner moves the repo to the front of the
//! next probe round. Events can lag by minutes to hours, so hints never replace the probe.
//!
//! Driven by `engine.rs` (every few seconds); tests drive it with their own instants.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use crate::github::GithubClient;
use crate::github::events::EventsFeed;

/// The shortest wait between two polls of a feed when GitHub names none.
pub const DEFAULT_POLL: Duration = Duration::from_secs(60);
/// The wait after a failed poll.
pub const AFTER_ERROR: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct FeedState {
    feed: EventsFeed,
    etag: Option<String>,
    /// The newest event id seen; `None` until the first answer (whose events are all old news).
    newest: Option<u64>,
    next_poll: Instant,
}

/// What the poller has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HintStats {
    pub feeds: usize,
    pub polls: u64,
    pub not_modified: u64,
}

#[derive(Debug, Default)]
pub struct Hints {
    feeds: HashMap<String, FeedState>,
    stats: HintStats,
}

impl Hints {
    /// The owners (lowercase logins) whose feeds to watch; feeds of other owners are dropped.
    pub fn set_owners(&mut self, owners: impl IntoIterator<Item = String>, now: Instant) {
        let owners: HashSet<String> = owners.into_iter().map(|o| o.to_lowercase()).collect();
        self.feeds.retain(|o, _| owners.contains(o));
        for o in owners {
            self.feeds.entry(o.clone()).or_insert(FeedState {
                feed: EventsFeed::Org(o),
                etag: None,
                newest: None,
                next_poll: now,
            });
        }
        self.stats.feeds = self.feeds.len();
    }

    pub fn stats(&self) -> HintStats {
        self.stats
    }

    /// When the next feed may be polled.
    pub fn next_poll(&self) -> Option<Instant> {
        self.feeds.values().map(|f| f.next_poll).min()
    }

    /// Polls every feed that is due at `now`; returns the repos (`owner/name`, lowercase) that
    /// new events named.
    pub async fn poll_due(&mut self, client: &GithubClient, now: Instant) -> Vec<String> {
        let mut named = Vec::new();
        let due: Vec<String> = self
            .feeds
            .iter()
            .filter(|(_, f)| f.next_poll <= now)
            .map(|(o, _)| o.clone())
            .collect();
        for owner in due {
            let Some(state) = self.feeds.get_mut(&owner) else {
                continue;
            };
            self.stats.polls += 1;
            match client.events(&state.feed, state.etag.as_deref()).await {
                Ok(page) => {
                    let wait = page
                        .poll_interval
                        .map_or(DEFAULT_POLL, Duration::from_secs)
                        .max(Duration::from_secs(1));
                    state.next_poll = now + wait;
                    state.etag = page.etag.or(state.etag.take());
                    let Some(events) = page.events else {
                        self.stats.not_modified += 1;
                        continue;
                    };
                    let newest = events.iter().map(|e| e.id).max();
                    if let Some(seen) = state.newest {
                        named.extend(
                            events
                                .iter()
                                .filter(|e| e.id > seen)
                                .map(|e| e.repo.to_lowercase()),
                        );
                    }
                    state.newest = state.newest.max(newest).or(Some(0));
                }
                Err(crate::github::GithubError::NotFound { .. })
                    if matches!(state.feed, EventsFeed::Org(_)) =>
                {
                    // Not an organization: a user's feed.
                    state.feed = EventsFeed::User(owner.clone());
                    state.etag = None;
                    state.next_poll = now;
                }
                Err(e) => {
                    tracing::info!(error = %e, "events feed poll failed; the probes go on as planned");
                    state.next_poll = now + AFTER_ERROR;
                }
            }
        }
        named.sort();
        named.dedup();
        named
    }
}
