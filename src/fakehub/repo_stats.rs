//! `GET /repos/{o}/{r}/stats/participation` and `/stats/contributors` like GitHub's: the first
//! `stats_compute_polls` requests for a repo (per endpoint, and again after every push) answer
//! `202 Accepted` with an empty body while "GitHub computes" them, then 200 with deterministic
//! data derived from the seeded repo (weekly commits, and each contributor's commits spread over
//! the weeks in the same proportions). An empty repo answers 204 to `contributors`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Reply;
use super::bodies::Ctx;
use super::data::{Detail, Repo};

/// Which statistics endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Participation,
    Contributors,
}

/// Requests seen per (repo id, endpoint, commits at the time): a push starts the count again,
/// as GitHub recomputes after one.
#[derive(Debug, Default)]
pub struct Polls(HashMap<(u64, Endpoint, u32), u32>);

impl Polls {
    /// Counts one request; true while GitHub would still be computing.
    pub fn computing(&mut self, repo: &Repo, ep: Endpoint, polls: u32) -> bool {
        let seen = self
            .0
            .entry((repo.id, ep, repo.total_commits()))
            .or_default();
        *seen = seen.saturating_add(1);
        *seen <= polls
    }
}

/// `202 Accepted` with an empty body, as GitHub sends while it computes.
fn accepted() -> Reply {
    let mut r = Reply::json(StatusCode::ACCEPTED, &Value::Null);
    r.body = Bytes::new();
    r
}

/// The answer of one statistics endpoint for `r`.
pub(crate) fn reply(
    ep: Endpoint,
    computing: bool,
    r: &Repo,
    d: &Detail,
    b: &Ctx<'_>,
    now: i64,
) -> Reply {
    if computing {
        return accepted();
    }
    match ep {
        Endpoint::Participation => Reply::ok(&json!({
            "all": d.participation_all,
            "owner": d.participation_owner,
        })),
        Endpoint::Contributors if r.total_commits() == 0 => {
            let mut reply = Reply::json(StatusCode::NO_CONTENT, &Value::Null);
            reply.body = Bytes::new();
            reply
        }
        Endpoint::Contributors => Reply::ok(&contributors(d, b, now)),
    }
}

/// Week starts (Sunday 00:00 UTC, Unix seconds) of the 52 weeks ending with `now`'s.
fn week_starts(now: i64) -> Vec<i64> {
    const WEEK: i64 = 7 * 86_400;
    // 1970-01-01 was a Thursday: Sundays are 3 days after epoch + k weeks.
    let this = (now - 3 * 86_400).div_euclid(WEEK) * WEEK + 3 * 86_400;
    (0..52).rev().map(|i| this - i * WEEK).collect()
}

/// Each contributor's `total` spread over the weeks like the repo's participation (the remainder
/// in the newest week), least first as GitHub sorts them.
fn contributors(d: &Detail, b: &Ctx<'_>, now: i64) -> Value {
    let weeks = week_starts(now);
    let sum: u64 = d
        .participation_all
        .iter()
        .map(|w| u64::from(*w))
        .sum::<u64>()
        .max(1);
    let mut list: Vec<&(usize, u32)> = d.contributors.iter().collect();
    list.sort_by_key(|(_, n)| *n);
    let items: Vec<Value> = list
        .into_iter()
        .map(|(idx, total)| {
            let total = u64::from(*total);
            let mut per: Vec<u64> = (0..weeks.len())
                .map(|i| {
                    let w = d.participation_all.get(i).copied().unwrap_or(0);
                    total * u64::from(w) / sum
                })
                .collect();
            let spread: u64 = per.iter().sum();
            if let Some(last) = per.last_mut() {
                *last += total - spread;
            }
            let weeks: Vec<Value> = weeks
                .iter()
                .zip(per)
                .map(|(w, c)| json!({"w": w, "a": c * 12, "d": c * 3, "c": c}))
                .collect();
            json!({"author": b.user(*idx), "total": total, "weeks": weeks})
        })
        .collect();
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_sundays_and_end_with_the_current_one() {
        let now = 1_735_689_600; // 2025-01-01, a Wednesday
        let w = week_starts(now);
        assert_eq!(w.len(), 52);
        assert_eq!(w[51], 1_735_430_400, "Sunday 2024-12-29");
        assert!(w.windows(2).all(|p| p[1] - p[0] == 7 * 86_400));
    }
}
