//! The Overview dashboard's tests: when statistics are asked for (once per repo, again after a
//! 202's wait, again after a failed fetch and a sync), and snapshots of every state (loaded,
//! loading, 202-computing, error, empty repo) at 120x35, 80x24 and 40x12 in colour and ASCII,
//! with no-colour drawing the colour text without any colour.

use chrono::Duration;

use super::action::{Action, Effect};
use super::app::App;
use super::headless::Headless;
use super::tests::{details, loaded, now, repos};
use super::theme::Theme;
use crate::domain::*;
use crate::sync::{SyncCommand, SyncEvent};

fn ev(e: SyncEvent) -> Action {
    Action::Engine(Box::new(e))
}

fn asks(fx: &[Effect]) -> usize {
    fx.iter()
        .filter(|e| matches!(e, Effect::Engine(SyncCommand::FetchStats(LocalId(1)))))
        .count()
}

/// The first repo's details with CI failing on two checks and a protected default branch.
fn rich_details() -> RepoDetails {
    let mut d = details();
    d.ci = Some(CiStatus {
        sha: d.commits[0].sha.clone(),
        state: CiState::Failure,
        checks: vec![
            Check {
                name: "lint".into(),
                state: CiState::Failure,
                ..Check::default()
            },
            Check {
                name: "test (ubuntu)".into(),
                state: CiState::Failure,
                ..Check::default()
            },
            Check {
                name: "build".into(),
                state: CiState::Success,
                ..Check::default()
            },
        ],
    });
    d.branches[0].protection = Some(Protection {
        required_reviews: Some(2),
        required_checks: vec!["ci".into(), "lint".into()],
        enforce_admins: true,
        linear_history: true,
        ..Protection::default()
    });
    d
}

fn entries() -> Vec<ActivityEntry> {
    let entry = |seq: u64, mins: i64, change: Change| ActivityEntry {
        seq,
        repo: RepoId(1001),
        full_name: "octo-org/alpha".into(),
        at: now() - Duration::minutes(mins),
        change,
        read: true,
    };
    vec![
        entry(
            6,
            1,
            Change::NewCommits {
                count: 2,
                head: "a1b2c3d4".into(),
            },
        ),
        entry(
            5,
            30,
            Change::PrOpened {
                number: 42,
                title: "Make the scheduler fair".into(),
            },
        ),
        entry(
            4,
            60 * 5,
            Change::IssueClosed {
                number: 12,
                title: "Crash on empty queue".into(),
            },
        ),
        entry(
            3,
            60 * 24 * 2,
            Change::PrMerged {
                number: 40,
                title: "Retry with jitter".into(),
            },
        ),
        entry(
            2,
            60 * 24 * 3,
            Change::NewRelease {
                tag: "v2.1.0".into(),
            },
        ),
        entry(
            1,
            60 * 24 * 40,
            Change::IssueOpened {
                number: 9,
                title: "Old issue, outside the trend".into(),
            },
        ),
    ]
}

fn stats() -> RepoStats {
    let weeks = [
        11, 21, 15, 2, 8, 1, 8, 23, 17, 21, 11, 10, 33, 91, 38, 34, 22, 23, 32, 3, 43, 87, 71, 18,
        13, 5, 13, 16, 66, 27, 12, 45, 110, 117, 13, 8, 18, 9, 19, 26, 39, 12, 20, 31, 46, 91, 45,
        10, 24, 9, 29, 7,
    ];
    let who = [
        ("octocat", 812, 31),
        ("jane-doe", 403, 12),
        ("samlee", 288, 0),
        ("dependabot", 120, 4),
        ("ops", 41, 1),
        ("mallory", 9, 0),
    ];
    RepoStats {
        weekly_commits: weeks.to_vec(),
        contributors: who
            .iter()
            .map(|(login, commits, recent)| Contributor {
                login: (*login).into(),
                commits: *commits,
                recent: *recent,
            })
            .collect(),
        fetched_at: Some(now() - Duration::hours(2)),
    }
}

/// The first repo's Overview, its details and activity loaded.
fn opened(d: RepoDetails) -> App {
    let mut a = loaded();
    a.update(Action::Open);
    a.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    a.update(Action::ActivityLoaded {
        repo: Some(RepoId(1001)),
        entries: entries(),
    });
    a
}

fn state(name: &str) -> App {
    match name {
        "loaded" => {
            let mut a = opened(rich_details());
            a.update(ev(SyncEvent::StatsFetched {
                id: LocalId(1),
                stats: Box::new(stats()),
            }));
            a
        }
        "loading" => opened(rich_details()),
        "computing" => {
            let mut a = opened(rich_details());
            a.update(ev(SyncEvent::StatsComputing {
                id: LocalId(1),
                retry_secs: 15,
            }));
            a.update(Action::Tick {
                now: now() + Duration::seconds(3),
            });
            a
        }
        "error" => {
            let mut a = opened(rich_details());
            a.update(ev(SyncEvent::StatsFailed {
                id: LocalId(1),
                message: "GitHub answered 502 (server error): it is usually temporary, try again in a few minutes".into(),
            }));
            a
        }
        _ => {
            let mut r = repos();
            r[0].head = None;
            r[0].latest_release = None;
            let mut a = App::new(
                now(),
                Theme::new("default", false, false),
                super::keymap::Keymap::default(),
                super::app::Env::default(),
            )
            .with_repos(r);
            a.update(Action::Open);
            a.update(Action::DetailsLoaded {
                local: LocalId(1),
                details: Box::new(Some(RepoDetails::default())),
            });
            a.update(ev(SyncEvent::StatsFetched {
                id: LocalId(1),
                stats: Box::new(RepoStats {
                    weekly_commits: vec![0; 52],
                    contributors: Vec::new(),
                    fetched_at: Some(now()),
                }),
            }));
            a
        }
    }
}

fn draw(app: &mut App, w: u16, h: u16) -> Headless {
    app.update(Action::Resize {
        width: w,
        height: h,
    });
    let mut hl = Headless::new(w, h);
    hl.draw(app);
    hl
}

/// Every state at every size: the colour and ASCII drawings are snapshots (reviewed by eye); the
/// no-colour drawing is the colour text with no colour in any cell; ASCII mode draws only ASCII.
#[test]
fn snapshot_overview_states() {
    for name in ["loaded", "loading", "computing", "error", "empty"] {
        for (w, h) in [(120u16, 35u16), (80, 24), (40, 12)] {
            let colour = draw(&mut state(name), w, h).text();
            insta::assert_snapshot!(format!("overview_{name}_{w}x{h}"), colour);

            let mut app = state(name);
            app.set_theme(Theme::new("default", true, false));
            let plain = draw(&mut app, w, h);
            assert_eq!(
                plain.text(),
                colour,
                "{name} {w}x{h}: no-colour draws the same"
            );
            for y in 0..h {
                for x in 0..w {
                    let fg = plain.fg_at(x, y);
                    assert_eq!(fg, "reset", "{name} {w}x{h}: colour at {x},{y}");
                }
            }

            let mut app = state(name);
            app.set_theme(Theme::new("default", false, true));
            let ascii = draw(&mut app, w, h).text();
            let bad: Vec<char> = ascii.chars().filter(|c| !c.is_ascii()).collect();
            assert!(
                bad.is_empty(),
                "{name} {w}x{h} ASCII draws {bad:?}:\n{ascii}"
            );
            insta::assert_snapshot!(format!("overview_{name}_{w}x{h}_ascii"), ascii);
        }
    }
}

#[test]
fn the_overview_asks_for_statistics_once_and_again_after_a_202() {
    let mut a = loaded();
    let fx = a.update(Action::Open);
    assert_eq!(asks(&fx), 1, "opening the Overview asks: {fx:?}");
    assert_eq!(asks(&a.update(Action::Down)), 0, "once");
    assert_eq!(asks(&a.update(Action::Tab2)), 0, "not on other tabs");
    assert_eq!(
        asks(&a.update(Action::Tab1)),
        0,
        "not again for the same repo"
    );
    a.update(ev(SyncEvent::StatsComputing {
        id: LocalId(1),
        retry_secs: 15,
    }));
    let tick = |s| Action::Tick {
        now: now() + Duration::seconds(s),
    };
    assert_eq!(asks(&a.update(tick(5))), 0, "not before the retry time");
    assert_eq!(asks(&a.update(tick(15))), 1, "at the retry time");
    assert_eq!(asks(&a.update(tick(16))), 0, "and only once");
    a.update(ev(SyncEvent::StatsFailed {
        id: LocalId(1),
        message: "boom".into(),
    }));
    assert_eq!(
        asks(&a.update(tick(40))),
        0,
        "a failure is not retried on its own"
    );
    let fx = a.update(ev(SyncEvent::Finished {
        id: LocalId(1),
        outcome: crate::sync::Outcome::Unchanged,
        cost: crate::sync::JobCost::default(),
        duration_ms: 1,
        repo: None,
    }));
    assert_eq!(asks(&fx), 1, "a sync of the repo retries it");
}

#[test]
fn stale_stored_statistics_wait_for_the_fetch_and_other_repos_are_ignored() {
    let mut a = opened(rich_details());
    let mut old = stats();
    old.fetched_at = Some(now() - Duration::days(3));
    a.update(ev(SyncEvent::StatsFetched {
        id: LocalId(2),
        stats: Box::new(stats()),
    }));
    assert_eq!(
        a.detail().stats.stats,
        None,
        "another repo's statistics are not shown"
    );
    a.update(ev(SyncEvent::StatsFetched {
        id: LocalId(1),
        stats: Box::new(old.clone()),
    }));
    assert_eq!(a.detail().stats.stats.as_ref(), Some(&old));
    assert_eq!(
        a.detail().stats.state,
        super::app::StatsState::Loading,
        "a fetch follows stale stored statistics"
    );
    a.update(ev(SyncEvent::StatsFetched {
        id: LocalId(1),
        stats: Box::new(stats()),
    }));
    assert_eq!(a.detail().stats.stats, Some(stats()));
    assert_eq!(a.detail().stats.state, super::app::StatsState::Done);
}

#[test]
fn hostile_logins_and_check_names_are_sanitized() {
    let mut d = rich_details();
    if let Some(ci) = d.ci.as_mut() {
        ci.checks[0].name = "li\u{1b}]52;c;ZXZpbA==\u{7}nt\u{202e}".into();
    }
    let mut a = opened(d);
    let mut s = stats();
    s.contributors[0].login = "evil\u{1b}[2Jcat".into();
    a.update(ev(SyncEvent::StatsFetched {
        id: LocalId(1),
        stats: Box::new(s),
    }));
    let text = draw(&mut a, 120, 35).text();
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'));
    assert!(
        text.contains("evilcat"),
        "the escape sequence is gone: {text}"
    );
    assert!(text.contains("failing: li"), "{text}");
}

#[test]
fn offline_the_overview_says_statistics_need_the_engine() {
    let mut a = loaded();
    a.env_mut().engine = false;
    a.update(Action::Open);
    a.update(ev(SyncEvent::StatsFailed {
        id: LocalId(1),
        message: "statistics are fetched when the sync engine runs".into(),
    }));
    let text = draw(&mut a, 80, 24).text();
    assert!(
        text.contains("Statistics are fetched when the sync engine runs."),
        "{text}"
    );
    assert!(
        !text.contains("Press s"),
        "no advice that cannot work offline: {text}"
    );
}
