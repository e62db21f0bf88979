//! Repository statistics over REST: `GET /repos/{o}/{r}/stats/participation` (commits per week,
//! the last 52 weeks) and `GET /repos/{o}/{r}/stats/contributors` (commits per author), both
//! conditional (a 304 rebuilds the answer from the cached body and costs nothing). GitHub answers
//! `202 Accepted` while it computes them: that is [`StatsAnswer::Computing`] at once, never a wait
//! here, and a 202 is never cached. The wire types and their conversion live here with them.

use serde::Deserialize;

use crate::domain::{Contributor, Priority, RepoKey, RepoStats};

use super::client::clean;
use super::convert;
use super::rest::Conditional;
use super::scheduler::Lane;
use super::{GithubClient, GithubError};

/// Contributors kept (GitHub sends at most 100, the top ones by commits).
pub const TOP_CONTRIBUTORS: usize = 10;
/// Weeks of the participation series.
pub const WEEKS: usize = 52;
/// The weeks that count as a contributor's recent commits.
pub const RECENT_WEEKS: usize = 4;

pub const PARTICIPATION_ROUTE: &str = "/repos/{o}/{r}/stats/participation";
pub const CONTRIBUTORS_ROUTE: &str = "/repos/{o}/{r}/stats/contributors";

/// What the statistics endpoints said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsAnswer {
    /// Both answered with data (`Unchanged`: both were 304s). `fetched_at` is left to the caller.
    Ready(Conditional<RepoStats>),
    /// GitHub answered 202: it is computing the statistics; ask again later.
    Computing,
}

/// `GET /stats/participation`: `all` and `owner`, oldest week first.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireParticipation {
    #[serde(default)]
    pub all: Vec<u32>,
}

/// One element of `GET /stats/contributors`. `author` is null for commits GitHub cannot tie to
/// an account; `weeks` (oldest first) carries `w` as a number or, in GitHub's own example, a
/// string, so it is not read.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireContributorActivity {
    #[serde(default)]
    pub author: Option<WireAuthor>,
    #[serde(default)]
    pub total: u64,
    #[serde(default)]
    pub weeks: Vec<WireWeek>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireAuthor {
    #[serde(default)]
    pub login: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireWeek {
    #[serde(default)]
    pub c: u64,
}

/// The last [`WEEKS`] weeks of commits, padded with leading zeros when GitHub sent fewer.
pub fn weekly_commits(p: WireParticipation) -> Vec<u32> {
    let mut all = p.all;
    if all.len() > WEEKS {
        all.drain(..all.len() - WEEKS);
    }
    let mut out = vec![0; WEEKS - all.len()];
    out.extend(all);
    out
}

/// The top [`TOP_CONTRIBUTORS`] by commits, most first (ties by login); authors GitHub could not
/// name are left out.
pub fn top_contributors(list: Vec<WireContributorActivity>) -> Vec<Contributor> {
    let mut out: Vec<Contributor> = list
        .into_iter()
        .filter_map(|a| {
            let login = clean(&a.author?.login, 100);
            if login.is_empty() {
                return None;
            }
            let recent = a.weeks.iter().rev().take(RECENT_WEEKS).map(|w| w.c).sum();
            Some(Contributor {
                login,
                commits: a.total,
                recent,
            })
        })
        .collect();
    out.sort_by(|a, b| b.commits.cmp(&a.commits).then(a.login.cmp(&b.login)));
    out.truncate(TOP_CONTRIBUTORS);
    out
}

/// One statistics endpoint's answer.
enum Part {
    Body(Conditional<Vec<u8>>),
    Computing,
}

impl GithubClient {
    /// Both statistics of `key`, conditional each. A 202 from either is `Computing`; a 204 (an
    /// empty repository) is empty data. A 404 names the statistics as the part that failed.
    pub async fn repo_stats(
        &self,
        key: &RepoKey,
        prio: Priority,
    ) -> Result<StatsAnswer, GithubError> {
        let base = format!("/repos/{}/{}/stats", key.owner(), key.name());
        let participation = format!("{base}/participation");
        let contributors = format!("{base}/contributors");
        let (p, c) = tokio::join!(
            self.stats_part(&participation, PARTICIPATION_ROUTE, prio),
            self.stats_part(&contributors, CONTRIBUTORS_ROUTE, prio),
        );
        let named = |e| stats_error(key, e);
        let (p, c) = (p.map_err(named)?, c.map_err(named)?);
        let (Part::Body(p), Part::Body(c)) = (p, c) else {
            return Ok(StatsAnswer::Computing);
        };
        let changed = p.is_changed() || c.is_changed();
        let stats = RepoStats {
            weekly_commits: weekly_commits(decode_or_empty(PARTICIPATION_ROUTE, &p.into_inner())?),
            contributors: top_contributors(decode_or_empty(CONTRIBUTORS_ROUTE, &c.into_inner())?),
            fetched_at: None,
        };
        Ok(StatsAnswer::Ready(if changed {
            Conditional::Changed(stats)
        } else {
            Conditional::Unchanged(stats)
        }))
    }

    /// One conditional GET of a statistics endpoint; only a 200 is cached (never a 202's body).
    async fn stats_part(
        &self,
        path: &str,
        route: &'static str,
        prio: Priority,
    ) -> Result<Part, GithubError> {
        let (resp, url, cached) = self
            .get_following(path, route, Lane::Core, prio, true)
            .await?;
        match resp.status {
            202 => Ok(Part::Computing),
            204 => Ok(Part::Body(Conditional::Changed(Vec::new()))),
            304 => match cached {
                Some((_, body)) => Ok(Part::Body(Conditional::Unchanged(body))),
                None => Err(GithubError::UnexpectedStatus {
                    endpoint: route.to_string(),
                    status: 304,
                    message: "Not Modified, to a request that sent no ETag".into(),
                }),
            },
            200 => {
                let etag = resp
                    .headers
                    .get(http::header::ETAG)
                    .and_then(|v| v.to_str().ok());
                if let (Some(cache), Some(etag)) = (self.etags(), etag) {
                    cache.put(self.etag_key(), &url, etag, &resp.body);
                }
                Ok(Part::Body(Conditional::Changed(resp.body)))
            }
            status => Err(GithubError::UnexpectedStatus {
                endpoint: route.to_string(),
                status,
                message: String::new(),
            }),
        }
    }
}

/// An empty body (204) is no data; anything else must decode.
fn decode_or_empty<T: for<'de> Deserialize<'de> + Default>(
    route: &str,
    body: &[u8],
) -> Result<T, GithubError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    convert::decode(route, body)
}

/// A 404 of the statistics is a part of the repository that failed, not the repository gone.
fn stats_error(key: &RepoKey, e: GithubError) -> GithubError {
    match e {
        GithubError::NotFound { .. } => GithubError::PartNotFound {
            repo: clean(&key.to_string(), 200),
            part: "statistics".into(),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/github/openapi/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn participation_fixture_converts_to_52_weeks_oldest_first() {
        let p: WireParticipation = convert::decode(
            PARTICIPATION_ROUTE,
            &fixture("repos-get-participation-stats.json"),
        )
        .unwrap();
        let weeks = weekly_commits(p);
        assert_eq!(weeks.len(), WEEKS);
        assert_eq!(&weeks[..3], &[11, 21, 15], "oldest week first");
        assert_eq!(weeks[WEEKS - 1], 7, "the current week last");
        assert_eq!(weeks.iter().sum::<u32>(), 1_523);
    }

    #[test]
    fn short_and_long_series_are_fitted_to_52_weeks() {
        let short = weekly_commits(WireParticipation { all: vec![1, 2] });
        assert_eq!(short.len(), WEEKS);
        assert_eq!(&short[50..], &[1, 2]);
        assert!(short[..50].iter().all(|w| *w == 0));
        let long = weekly_commits(WireParticipation {
            all: (0..60).collect(),
        });
        assert_eq!(long.len(), WEEKS);
        assert_eq!((long[0], long[51]), (8, 59), "the newest 52 weeks kept");
    }

    #[test]
    fn contributors_fixture_converts_with_totals_and_recent_weeks() {
        let list: Vec<WireContributorActivity> = convert::decode(
            CONTRIBUTORS_ROUTE,
            &fixture("repos-get-contributors-stats.json"),
        )
        .unwrap();
        assert_eq!(
            top_contributors(list),
            vec![Contributor {
                login: "octocat".into(),
                commits: 135,
                recent: 10,
            }]
        );
    }

    #[test]
    fn contributors_are_sorted_capped_sanitized_and_unnamed_authors_dropped() {
        let body = serde_json::json!([
            {"author": null, "total": 999, "weeks": []},
            {"author": {"login": "b\u{1b}[31m"}, "total": 5, "weeks": [{"w": 1, "c": 9}, {"w": 2, "c": 1}]},
            {"author": {"login": "a"}, "total": 5, "weeks": [{"w": "3", "c": 1}, {"c": 1}, {"c": 1}, {"c": 1}, {"c": 1}]},
        ]);
        let list: Vec<WireContributorActivity> =
            convert::decode(CONTRIBUTORS_ROUTE, body.to_string().as_bytes()).unwrap();
        let top = top_contributors(list);
        let logins: Vec<_> = top.iter().map(|c| c.login.as_str()).collect();
        assert_eq!(
            logins,
            ["a", "b"],
            "ties by login, escape sequences stripped"
        );
        assert_eq!(top[0].recent, 4, "only the last four weeks count as recent");
        let many: Vec<WireContributorActivity> = (0..30)
            .map(|i| WireContributorActivity {
                author: Some(WireAuthor {
                    login: format!("u{i}"),
                }),
                total: i,
                weeks: Vec::new(),
            })
            .collect();
        let top = top_contributors(many);
        assert_eq!(top.len(), TOP_CONTRIBUTORS);
        assert_eq!(top[0].login, "u29");
    }

    #[test]
    fn malformed_bodies_are_errors_and_empty_ones_no_data() {
        let e = decode_or_empty::<WireParticipation>(PARTICIPATION_ROUTE, b"<html>").unwrap_err();
        assert!(matches!(e, GithubError::NotJson { .. }), "{e:?}");
        let e = decode_or_empty::<Vec<WireContributorActivity>>(CONTRIBUTORS_ROUTE, b"{\"all\":")
            .unwrap_err();
        assert!(matches!(e, GithubError::Truncated { .. }), "{e:?}");
        let e =
            decode_or_empty::<Vec<WireContributorActivity>>(CONTRIBUTORS_ROUTE, b"{}").unwrap_err();
        assert!(matches!(e, GithubError::Decode { .. }), "{e:?}");
        let empty =
            decode_or_empty::<Vec<WireContributorActivity>>(CONTRIBUTORS_ROUTE, b"").unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn a_404_of_the_statistics_is_a_part_not_the_repository() {
        let key = RepoKey::parse("o/r").unwrap();
        let e = stats_error(&key, GithubError::NotFound { what: "x".into() });
        assert!(matches!(e, GithubError::PartNotFound { ref part, .. } if part == "statistics"));
        assert_eq!(
            stats_error(&key, GithubError::Server { status: 502 }),
            GithubError::Server { status: 502 }
        );
    }
}
