//! TUI tests: `update` for each action, snapshots (insta, TestBackend) of every screen and dialog
//! at 80x24 and 40x12 with a fixed clock, colour threshold assertions, tiny terminals.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::action::{Action, Edit, Effect};
use super::app::{App, Dialog, Env, JobState, Screen, Sort, Tab};
use super::headless::Headless;
use super::keymap::Keymap;
use super::theme::Theme;
use crate::domain::*;
use crate::sync::{
    ImportSource, JobCost, Outcome, Priority, SearchHit, SyncCommand, SyncEvent, WaitReason,
};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0).unwrap()
}

fn key(s: &str) -> RepoKey {
    RepoKey::parse(s).unwrap()
}

fn sig(name: &str, mins: i64) -> Signature {
    Signature {
        name: name.into(),
        email: format!("{}@example.org", name.to_lowercase().replace(' ', ".")),
        login: None,
        date: Some(now() - Duration::minutes(mins)),
    }
}

fn commit(sha: &str, msg: &str, who: &str, mins: i64) -> Commit {
    Commit {
        sha: sha.repeat(40 / sha.len() + 1)[..40].to_string(),
        message: msg.into(),
        author: sig(who, mins),
        committer: sig(who, mins),
        parents: vec!["0".repeat(40)],
        stats: None,
        files: None,
        ..Default::default()
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "a fixture builder: one argument per column"
)]
fn repo(
    local: u64,
    name: &str,
    stars: u64,
    forks: u64,
    prs: u64,
    issues: u64,
    lang: &str,
    pushed_mins: i64,
    synced_mins: Option<i64>,
) -> TrackedRepo {
    let mut r = TrackedRepo::new(LocalId(local), key(name), now() - Duration::days(30));
    let Some(synced) = synced_mins else { return r };
    r.id = Some(RepoId(1000 + local));
    r.status = SyncStatus::Synced;
    r.last_synced_at = Some(now() - Duration::minutes(synced));
    r.details_at = r.last_synced_at;
    r.meta = Some(RepoMeta {
        id: RepoId(1000 + local),
        full_name: name.into(),
        description: Some(format!(
            "The {name} project: a fast, friendly scheduler for async jobs."
        )),
        homepage: Some(format!("https://example.org/{}", key(name).name())),
        html_url: format!("https://github.com/{name}"),
        default_branch: "main".into(),
        stars,
        forks,
        watchers: stars / 10,
        open_issues: issues,
        open_prs: prs,
        language: Some(lang.into()),
        languages: vec![
            Language {
                name: lang.into(),
                bytes: 82_000,
            },
            Language {
                name: "Shell".into(),
                bytes: 10_000,
            },
            Language {
                name: "Makefile".into(),
                bytes: 8_000,
            },
        ],
        topics: vec!["tui".into(), "github".into(), "rust".into()],
        license: Some("MIT".into()),
        size_kb: 2048,
        pushed_at: Some(now() - Duration::minutes(pushed_mins)),
        ..RepoMeta::default()
    });
    r.head = Some(commit(
        "a1b2c3d",
        "Fix race in scheduler\n\nThe queue could drop a job.",
        "Jane Doe",
        pushed_mins,
    ));
    r
}

pub fn repos() -> Vec<TrackedRepo> {
    let mut a = repo(1, "octo-org/alpha", 1204, 88, 4, 17, "Rust", 2, Some(1));
    a.stars_delta = 3;
    a.unread = 2;
    a.latest_release = Some("v2.1.0".into());
    let b = repo(2, "octo-org/beta", 310, 12, 0, 2, "Go", 180, Some(5));
    let mut c = repo(3, "octo-org/gamma", 55, 1, 1, 0, "Python", 5760, Some(20));
    c.status = SyncStatus::Failed;
    c.last_error = Some(SyncError {
        kind: FailureKind::Server,
        message: "server error 502 after 4 tries: GitHub is having trouble; press s to retry later"
            .into(),
        at: now() - Duration::minutes(20),
    });
    let d = repo(4, "octo-org/delta", 0, 0, 0, 0, "", 0, None);
    let mut h = repo(5, "octo-org/hostile", 7, 0, 0, 1, "C", 60, Some(2));
    if let Some(m) = h.meta.as_mut() {
        m.description =
            Some("evil\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7} \u{202e}txt.exe 日本語の説明 👩‍👩‍👧".into());
    }
    h.head = Some(commit(
        "dead",
        "\u{1b}[31m赤い\u{1b}[0m commit e\u{301} 👍🏽",
        "Mallory",
        60,
    ));
    let s = repo(
        6,
        "someone/stale-repo",
        9000,
        700,
        12,
        120,
        "TypeScript",
        60 * 24 * 3,
        Some(120),
    );
    vec![a, b, c, d, h, s]
}

pub fn details() -> RepoDetails {
    RepoDetails {
        commits: vec![
            commit(
                "a1b2c3d",
                "Fix race in scheduler\n\nThe queue could drop a job when two workers\nfinished at once.",
                "Jane Doe",
                2,
            ),
            commit("b2c3d4e", "Bump dependencies", "dependabot", 60 * 5),
            commit("c3d4e5f", "Add retry with jitter", "Sam Lee", 60 * 30),
        ],
        branches: vec![
            Branch {
                name: "main".into(),
                head_sha: "a1b2c3d".repeat(6)[..40].into(),
                protected: true,
                ..Default::default()
            },
            Branch {
                name: "feature/retry".into(),
                head_sha: "c3d4e5f".repeat(6)[..40].into(),
                protected: false,
                ..Default::default()
            },
        ],
        pulls: vec![PullRequest {
            number: 42,
            title: "Make the scheduler fair".into(),
            author: Some("samlee".into()),
            draft: false,
            created_at: Some(now() - Duration::days(2)),
            updated_at: Some(now() - Duration::hours(3)),
            labels: vec!["enhancement".into()],
            url: "https://github.com/octo-org/alpha/pull/42".into(),
            ..Default::default()
        }],
        issues: vec![Issue {
            number: 17,
            title: "Jobs lost on shutdown".into(),
            author: Some("ops".into()),
            created_at: Some(now() - Duration::days(9)),
            updated_at: Some(now() - Duration::days(1)),
            labels: vec!["bug".into(), "p1".into()],
            url: "https://github.com/octo-org/alpha/issues/17".into(),
            ..Default::default()
        }],
        releases: vec![Release {
            tag: "v2.1.0".into(),
            name: Some("Fair queues".into()),
            published_at: Some(now() - Duration::days(1)),
            prerelease: false,
            draft: false,
            url: "https://github.com/octo-org/alpha/releases/tag/v2.1.0".into(),
        }],
        ..Default::default()
    }
}

fn rate(core: u64) -> Vec<RateBucket> {
    let reset = now() + Duration::minutes(23);
    vec![
        RateBucket {
            name: "core".into(),
            limit: 5000,
            remaining: core,
            used: 5000 - core,
            reset,
        },
        RateBucket {
            name: "graphql".into(),
            limit: 5000,
            remaining: 4990,
            used: 10,
            reset: now() + Duration::minutes(41),
        },
        RateBucket {
            name: "search".into(),
            limit: 30,
            remaining: 30,
            used: 0,
            reset: now() + Duration::seconds(40),
        },
    ]
}

fn activity() -> Vec<ActivityEntry> {
    vec![
        ActivityEntry {
            seq: 3,
            repo: RepoId(1001),
            full_name: "octo-org/alpha".into(),
            at: now() - Duration::minutes(1),
            change: Change::NewCommits {
                count: 2,
                head: "a1b2c3d4".into(),
            },
            read: false,
        },
        ActivityEntry {
            seq: 2,
            repo: RepoId(1001),
            full_name: "octo-org/alpha".into(),
            at: now() - Duration::minutes(1),
            change: Change::PrOpened {
                number: 42,
                title: "Make the scheduler fair".into(),
            },
            read: false,
        },
        ActivityEntry {
            seq: 1,
            repo: RepoId(1002),
            full_name: "octo-org/beta".into(),
            at: now() - Duration::hours(3),
            change: Change::Stars { delta: 5 },
            read: true,
        },
    ]
}

pub fn base_app() -> App {
    App::new(
        now(),
        Theme::new("default", false, false),
        Keymap::default(),
        Env::default(),
    )
}

pub fn base_app_with(env: Env) -> App {
    App::new(
        now(),
        Theme::new("default", false, false),
        Keymap::default(),
        env,
    )
}

pub fn loaded() -> App {
    let mut app = base_app().with_repos(repos());
    app.update(ev(SyncEvent::RateLimits(rate(4812))));
    app
}

fn ev(e: SyncEvent) -> Action {
    Action::Engine(Box::new(e))
}

fn syncing(mut app: App) -> App {
    app.update(ev(SyncEvent::TokenInUse {
        token: Some(crate::secrets::TokenId::of(&secrecy::SecretString::from(
            "ghp_0123456789abcdefghijABCDEFGH3f9a",
        ))),
        per_repo: 1,
    }));
    app.update(ev(SyncEvent::Queued { id: LocalId(2) }));
    app.update(ev(SyncEvent::Started { id: LocalId(2) }));
    app.update(ev(SyncEvent::Progress {
        id: LocalId(2),
        step: "detail fetch".into(),
    }));
    app.update(ev(SyncEvent::Queued { id: LocalId(4) }));
    app.update(ev(SyncEvent::Queued { id: LocalId(1) }));
    app.update(ev(SyncEvent::Started { id: LocalId(1) }));
    app.update(ev(SyncEvent::Finished {
        id: LocalId(1),
        outcome: Outcome::Unchanged,
        cost: JobCost {
            requests: 1,
            not_modified: 1,
            points: 0,
            ..JobCost::default()
        },
        duration_ms: 420,
        repo: None,
    }));
    app
}

fn waiting(mut app: App) -> App {
    app = syncing(app);
    app.update(ev(SyncEvent::Waiting {
        id: Some(LocalId(4)),
        reason: WaitReason::SecondaryLimit,
        until: now() + Duration::seconds(37),
    }));
    app.update(ev(SyncEvent::Paused {
        reason: WaitReason::SecondaryLimit,
        until: now() + Duration::seconds(37),
    }));
    app
}

fn errored(mut app: App) -> App {
    app.update(ev(SyncEvent::Queued { id: LocalId(3) }));
    app.update(ev(SyncEvent::Finished {
        id: LocalId(3),
        outcome: Outcome::Failed {
            kind: FailureKind::Server,
            message: "server error 502 after 4 tries".into(),
        },
        cost: JobCost {
            requests: 4,
            not_modified: 0,
            points: 0,
            ..JobCost::default()
        },
        duration_ms: 1200,
        repo: None,
    }));
    app.update(ev(SyncEvent::Error {
        message: "token rejected (401): run `repodeck token set` and restart".into(),
    }));
    app
}

fn with_detail(mut app: App) -> App {
    app.update(Action::Open);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(details())),
    });
    app.update(Action::ActivityLoaded {
        repo: Some(RepoId(1001)),
        entries: activity()[..2].to_vec(),
    });
    app
}

fn render(app: &mut App, w: u16, h: u16) -> String {
    app.update(Action::Resize {
        width: w,
        height: h,
    });
    let mut hl = Headless::new(w, h);
    hl.draw(app);
    hl.text()
}

/// Every character the fixtures' GitHub text contains: only these may be non-ASCII in ASCII mode.
fn fixture_chars() -> std::collections::HashSet<char> {
    let mut text = serde_json::to_string(&repos()).unwrap();
    text.push_str(&serde_json::to_string(&details()).unwrap());
    text.push_str(&serde_json::to_string(&activity()).unwrap());
    text.chars().filter(|c| !c.is_ascii()).collect()
}

/// Renders `app` with `ui.ascii = true` and fails on any non-ASCII character that is not GitHub
/// text from the fixtures: our own glyphs, borders, ellipses and bars must all be ASCII.
fn assert_ascii_mode(name: &str, mut app: App, w: u16, h: u16) {
    app.set_theme(Theme::new("default", false, true));
    let text = render(&mut app, w, h);
    let allowed = fixture_chars();
    let bad: Vec<char> = text
        .chars()
        .filter(|c| !c.is_ascii() && !allowed.contains(c))
        .collect();
    assert!(
        bad.is_empty(),
        "{name} at {w}x{h} in ASCII mode draws {bad:?}:\n{text}"
    );
}

/// Snapshots a scenario at 80x24 and 40x12, and checks its ASCII-mode rendering.
macro_rules! snap {
    ($name:literal, $make:expr) => {{
        for (w, h) in [(80u16, 24u16), (40, 12)] {
            let mut app: App = $make;
            let text = render(&mut app, w, h);
            insta::assert_snapshot!(format!("{}_{}x{}", $name, w, h), text);
            assert_ascii_mode($name, $make, w, h);
        }
    }};
}

// ---------- snapshots ----------

#[test]
fn snapshot_list_states() {
    snap!("list_loading", base_app());
    snap!("list_empty", base_app().with_repos(vec![]));
    snap!("list_loaded", loaded());
    snap!("list_syncing", syncing(loaded()));
    snap!("list_waiting", waiting(loaded()));
    snap!("list_error", errored(loaded()));
    snap!("list_filtered", {
        let mut a = loaded();
        a.update(Action::Filter);
        for c in "alp".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("list_no_match", {
        let mut a = loaded();
        a.update(Action::Filter);
        for c in "zzzz".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("list_marked_sorted", {
        let mut a = loaded();
        a.update(Action::Sort);
        a.update(Action::Mark);
        a.update(Action::Mark);
        a
    });
    snap!("list_offline", {
        let mut a = base_app();
        a.env_mut().engine = false;
        a.with_repos(repos())
    });
}

#[test]
fn snapshot_detail_tabs() {
    for (i, tab) in [
        Action::Tab1,
        Action::Tab2,
        Action::Tab3,
        Action::Tab4,
        Action::Tab5,
        Action::Tab6,
        Action::Tab7,
    ]
    .into_iter()
    .enumerate()
    {
        for (w, h) in [(80u16, 24u16), (40, 12)] {
            let mut app = with_detail(loaded());
            app.update(tab.clone());
            let text = render(&mut app, w, h);
            insta::assert_snapshot!(format!("detail_tab{}_{}x{}", i + 1, w, h), text);
            let mut app = with_detail(loaded());
            app.update(tab.clone());
            assert_ascii_mode("detail tab", app, w, h);
        }
    }
    snap!("detail_loading", {
        let mut a = loaded();
        a.update(Action::Open);
        a.update(Action::Tab2);
        a
    });
    snap!("detail_never_synced", {
        let mut a = loaded();
        for _ in 0..2 {
            a.update(Action::Down);
        }
        a.update(Action::Open);
        a.update(Action::DetailsLoaded {
            local: LocalId(4),
            details: Box::new(None),
        });
        a
    });
    snap!("detail_failed_overview", {
        let mut a = loaded();
        a.update(Action::Down);
        a.update(Action::Open);
        a
    });
    snap!("detail_hostile", {
        let mut a = loaded();
        a.update(Action::Bottom);
        a.update(Action::Up);
        a.update(Action::Open);
        a
    });
    snap!("commit_fetching", {
        let mut a = with_detail(loaded());
        a.update(Action::Tab2);
        a.update(Action::Open);
        a
    });
    snap!("commit_fetched", {
        let mut a = with_detail(loaded());
        a.update(Action::Tab2);
        a.update(Action::Open);
        let mut c = details().commits[0].clone();
        c.stats = Some(CommitStats {
            additions: 12,
            deletions: 3,
            total: 15,
        });
        c.files = Some(vec![CommitFile {
            filename: "src/scheduler.rs".into(),
            status: "modified".into(),
            additions: 12,
            deletions: 3,
            changes: 15,
        }]);
        a.update(ev(SyncEvent::CommitFetched {
            id: LocalId(1),
            commit: Box::new(c),
        }));
        a
    });
}

#[test]
fn snapshot_other_screens() {
    snap!("activity_loaded", {
        let mut a = loaded();
        a.update(Action::Activity);
        a.update(Action::ActivityLoaded {
            repo: None,
            entries: activity(),
        });
        a
    });
    snap!("activity_filtered", {
        // Two hours east of UTC: the selected row's absolute time is local.
        let env = Env {
            utc_offset: 2 * 3600,
            ..Env::default()
        };
        let mut a = base_app_with(env).with_repos(repos());
        a.update(ev(SyncEvent::RateLimits(rate(4812))));
        a.update(Action::Activity);
        a.update(Action::ActivityLoaded {
            repo: None,
            entries: activity(),
        });
        a.update(Action::FilterRepo);
        a.update(Action::FilterKind);
        a
    });
    snap!("activity_filter_empty", {
        let mut a = loaded();
        a.update(Action::Activity);
        a.update(Action::ActivityLoaded {
            repo: None,
            entries: activity(),
        });
        // beta has stars only; the first kind of the feed is new_commits: nothing is left.
        a.update(Action::Bottom);
        a.update(Action::FilterRepo);
        a.update(Action::FilterKind);
        a
    });
    snap!("activity_empty", {
        let mut a = loaded();
        a.update(Action::Activity);
        a.update(Action::ActivityLoaded {
            repo: None,
            entries: vec![],
        });
        a
    });
    snap!("releases_loaded", {
        let mut a = loaded();
        a.update(Action::Releases);
        a.update(Action::ReleasesLoaded(
            details()
                .releases
                .into_iter()
                .map(|r| ("octo-org/alpha".to_string(), r))
                .collect(),
        ));
        a
    });
    snap!("releases_loading", {
        let mut a = loaded();
        a.update(Action::Releases);
        a
    });
    snap!("jobs_empty", {
        let mut a = loaded();
        a.update(Action::Jobs);
        a
    });
    snap!("jobs_waiting", {
        let mut a = errored(waiting(loaded()));
        a.update(Action::Back);
        a.update(Action::Jobs);
        a
    });
    snap!("rate_panel", {
        let mut a = syncing(loaded());
        a.update(Action::RateLimits);
        a
    });
    snap!("rate_panel_paused_low", {
        let mut a = waiting(loaded());
        a.update(ev(SyncEvent::RateLimits(rate(180))));
        a.update(Action::RateLimits);
        a
    });
    snap!("rate_unknown", {
        let mut a = base_app().with_repos(repos());
        a.update(Action::RateLimits);
        a
    });
    snap!("rate_panel_token_use", {
        let mut a = syncing(loaded());
        a.update(Action::RateLimits);
        a.update(Action::TokenUseLoaded(token_use_rows()));
        a
    });
    snap!("rate_panel_plan", {
        let mut a = syncing(loaded());
        a.update(Action::RateLimits);
        a.update(Action::TokenUseLoaded(Vec::new()));
        a.update(ev(SyncEvent::Plan(Box::new(freshness_plan(a.now())))));
        a
    });
    snap!("rate_panel_no_use", {
        let mut a = loaded();
        a.update(Action::RateLimits);
        a.update(Action::TokenUseLoaded(Vec::new()));
        a
    });
}

fn freshness_plan(now: chrono::DateTime<chrono::Utc>) -> crate::domain::FreshnessPlan {
    use crate::domain::{CadenceClass, CadenceRow};
    let row = |class, every_secs, repos| CadenceRow {
        class,
        every_secs,
        repos,
    };
    crate::domain::FreshnessPlan {
        at: now,
        budget_points: 500,
        spent_last_hour: 137,
        classes: vec![
            row(CadenceClass::Focus, 30, 1),
            row(CadenceClass::Hot, 30, 50),
            row(CadenceClass::Warm, 120, 12),
            row(CadenceClass::Cool, 480, 40),
            row(CadenceClass::Dormant, 900, 897),
        ],
        next_probe: Some(now + chrono::Duration::seconds(12)),
        mean_age_secs: Some(190),
        hint_feeds: 1,
        hint_polls: 40,
        hint_not_modified: 38,
    }
}

fn token_use_rows() -> Vec<TokenUse> {
    vec![
        TokenUse {
            token: "ghp_…a1f3".into(),
            source: TokenKind::VaultGlobal,
            requests: 1234,
            points: 890,
            errors: 3,
        },
        TokenUse {
            token: "github_pat_…9c0d".into(),
            source: TokenKind::VaultRepo,
            requests: 12,
            points: 12,
            errors: 0,
        },
    ]
}

#[test]
fn the_rate_panel_reads_the_audit_log_when_opened() {
    let mut a = loaded();
    let fx = a.update(Action::RateLimits);
    assert!(fx.contains(&Effect::LoadTokenUse), "{fx:?}");
    let text = render(&mut a, 80, 24);
    assert!(text.contains("reading the audit log"), "{text}");
    a.update(Action::TokenUseLoaded(token_use_rows()));
    let text = render(&mut a, 100, 30);
    assert!(
        text.contains("1,234 requests, 890 points, 3 errors"),
        "{text}"
    );
    assert!(text.contains("vault-repo"), "{text}");
}

#[test]
fn snapshot_dialogs() {
    snap!("help_list", {
        let mut a = loaded();
        a.update(Action::Help);
        a
    });
    snap!("help_detail", {
        let mut a = with_detail(loaded());
        a.update(Action::Help);
        a
    });
    snap!("add_valid", {
        let mut a = loaded();
        a.update(Action::Add);
        for c in "https://github.com/rust-lang/rust".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("add_invalid", {
        let mut a = loaded();
        a.update(Action::Add);
        for c in "bad--owner/x".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("confirm_remove", {
        let mut a = loaded();
        a.update(Action::Remove);
        a
    });
    snap!("import", {
        let mut a = loaded();
        a.update(Action::Import);
        for c in "org octo-org".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("search_results", {
        let mut a = loaded();
        a.update(Action::Search);
        for c in "tui".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a.update(Action::Submit);
        a.update(ev(SyncEvent::SearchResults {
            query: "tui".into(),
            hits: vec![
                SearchHit {
                    key: key("ratatui/ratatui"),
                    description: Some("Rust library for TUIs".into()),
                    stars: 12000,
                    language: Some("Rust".into()),
                },
                SearchHit {
                    key: key("octo-org/alpha"),
                    description: None,
                    stars: 1204,
                    language: None,
                },
            ],
        }));
        a
    });
    snap!("search_pending", {
        let mut a = loaded();
        a.update(Action::Search);
        a.update(Action::Edit(Edit::Insert('x')));
        a.update(Action::Submit);
        a
    });
    snap!("notice_error", errored(loaded()));
    snap!("notice_no_browser", {
        let mut a = loaded();
        a.update(Action::OpenBrowser);
        a
    });
    snap!("passphrase", {
        let mut a = loaded();
        a.update(Action::PassphraseNeeded { retry: true });
        for c in "secret".chars() {
            a.update(Action::Edit(Edit::Insert(c)));
        }
        a
    });
    snap!("command_line", {
        let mut a = loaded();
        a.update(Action::Command);
        a.update(Action::Edit(Edit::Insert('s')));
        a.update(Action::Complete);
        a
    });
}

#[test]
fn snapshot_ascii_and_tiny() {
    snap!("list_ascii", {
        let mut a = waiting(loaded());
        a.set_theme(Theme::new("default", true, true));
        a
    });
    for (w, h) in [(1u16, 1u16), (10, 3), (29, 8), (30, 7)] {
        let mut a = loaded();
        let text = render(&mut a, w, h);
        insta::assert_snapshot!(format!("too_small_{w}x{h}"), text);
    }
}

// ---------- colours, sizes, resize storms ----------

fn core_colour(remaining: u64) -> String {
    let mut app = base_app().with_repos(repos());
    app.update(ev(SyncEvent::RateLimits(rate(remaining))));
    app.update(Action::Resize {
        width: 120,
        height: 24,
    });
    let mut hl = Headless::new(120, 24);
    hl.draw(&app);
    let (x, y) = hl.find("core ").expect("core on the bar");
    // The number right after "core ".
    hl.fg_at(x + 5 + 2, y)
}

#[test]
fn rate_bar_colour_thresholds() {
    assert_eq!(core_colour(5000), "green");
    assert_eq!(core_colour(1001), "green"); // 20.02%
    assert_eq!(core_colour(1000), "yellow"); // exactly 20%
    assert_eq!(core_colour(251), "yellow");
    assert_eq!(core_colour(250), "red"); // exactly 5%
    assert_eq!(core_colour(0), "red");
}

#[test]
fn no_color_draws_no_colour_anywhere() {
    let mut app = waiting(loaded());
    app.set_theme(Theme::new("default", true, false));
    app.update(ev(SyncEvent::RateLimits(rate(100))));
    let mut hl = Headless::new(80, 24);
    hl.draw(&app);
    for y in 0..24 {
        for x in 0..80 {
            assert_eq!(hl.fg_at(x, y), "reset", "colour at {x},{y}");
        }
    }
    // Meaning survives: the low bucket is marked with "!!" and the pause is spelled out.
    let text = hl.text();
    assert!(text.contains("!!100/5,000"), "{text}");
    assert!(text.contains("secondary rate limit"), "{text}");
}

#[test]
fn every_size_down_to_1x1_and_resize_storms_are_safe() {
    let mut apps = vec![
        loaded(),
        with_detail(loaded()),
        waiting(loaded()),
        errored(loaded()),
    ];
    let mut help = loaded();
    help.update(Action::Help);
    apps.push(help);
    let mut cmd = loaded();
    cmd.update(Action::Command);
    apps.push(cmd);
    for app in &mut apps {
        let mut hl = Headless::new(1, 1);
        for (w, h) in [
            (1, 1),
            (2, 1),
            (1, 2),
            (5, 5),
            (29, 7),
            (30, 8),
            (31, 9),
            (40, 12),
            (80, 24),
            (200, 60),
            (3, 100),
            (100, 3),
        ] {
            app.update(Action::Resize {
                width: w,
                height: h,
            });
            hl.resize(w, h);
            hl.draw(app);
        }
        for i in 0..200u16 {
            let (w, h) = (1 + (i * 7) % 150, 1 + (i * 13) % 50);
            app.update(Action::Resize {
                width: w,
                height: h,
            });
            hl.resize(w, h);
            hl.draw(app);
        }
    }
}

#[test]
fn hostile_text_is_sanitized_on_screen() {
    let mut app = loaded();
    app.update(Action::Bottom);
    app.update(Action::Up);
    app.update(Action::Open);
    let text = render(&mut app, 120, 30);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("日本語の説明"), "{text}");
    assert!(text.contains("赤い commit"), "{text}");
}

// ---------- update, one action at a time ----------

fn sel_name(app: &App) -> String {
    app.selected_repo()
        .map(|r| r.key.to_string())
        .unwrap_or_default()
}

#[test]
fn update_moves() {
    let mut app = loaded();
    app.update(Action::Resize {
        width: 80,
        height: 8,
    });
    assert_eq!(sel_name(&app), "octo-org/alpha");
    app.update(Action::Down);
    assert_eq!(sel_name(&app), "octo-org/beta");
    app.update(Action::Up);
    app.update(Action::Up);
    assert_eq!(app.list().sel, 0);
    app.update(Action::Bottom);
    assert_eq!(sel_name(&app), "someone/stale-repo");
    assert!(
        app.list().offset > 0,
        "scrolled to keep the selection visible"
    );
    app.update(Action::Top);
    assert_eq!((app.list().sel, app.list().offset), (0, 0));
    app.update(Action::PageDown);
    assert_eq!(app.list().sel, 2);
    app.update(Action::PageUp);
    assert_eq!(app.list().sel, 0);
    app.update(Action::NextMatch);
    assert_eq!(app.list().sel, 1);
    app.update(Action::PrevMatch);
    assert_eq!(app.list().sel, 0);
    app.update(Action::ScrollDown(3));
    assert_eq!(app.list().sel, 3);
    app.update(Action::ScrollUp(1));
    assert_eq!(app.list().sel, 2);
    app.update(Action::Click { row: 3 });
    assert_eq!(app.list().sel, app.list().offset);
}

#[test]
fn update_open_back_and_tabs() {
    let mut app = loaded();
    let fx = app.update(Action::Open);
    assert_eq!(app.screen(), Screen::Detail);
    assert!(fx.contains(&Effect::LoadDetails(LocalId(1))));
    assert!(fx.contains(&Effect::LoadActivity(Some(RepoId(1001)))));
    app.update(Action::NextTab);
    assert_eq!(app.detail().tab(), Tab::Commits);
    app.update(Action::PrevTab);
    app.update(Action::PrevTab);
    assert_eq!(app.detail().tab(), Tab::Activity);
    for (a, t) in [
        (Action::Tab1, Tab::Overview),
        (Action::Tab3, Tab::Branches),
        (Action::Tab4, Tab::Pulls),
        (Action::Tab5, Tab::Issues),
        (Action::Tab6, Tab::Releases),
        (Action::Tab7, Tab::Activity),
        (Action::Tab2, Tab::Commits),
    ] {
        app.update(a);
        assert_eq!(app.detail().tab(), t);
    }
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(details())),
    });
    app.update(Action::Down);
    assert_eq!(app.detail().cursors[1].sel, 1);
    let fx = app.update(Action::Open);
    assert_eq!(app.mode(), super::keymap::Mode::Commit);
    assert!(matches!(
        &fx[..],
        [Effect::Engine(SyncCommand::FetchCommit {
            id: LocalId(1),
            ..
        })]
    ));
    app.update(Action::Back);
    assert_eq!(app.detail().commit, None);
    app.update(Action::Back);
    assert_eq!(app.screen(), Screen::List);
}

#[test]
fn update_filter() {
    let mut app = loaded();
    app.update(Action::Filter);
    assert_eq!(app.mode(), super::keymap::Mode::Input);
    for c in "gam".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    assert_eq!(app.view().len(), 1);
    assert_eq!(sel_name(&app), "octo-org/gamma");
    app.update(Action::Edit(Edit::Backspace));
    app.update(Action::Edit(Edit::Backspace));
    app.update(Action::Edit(Edit::Backspace));
    assert_eq!(app.view().len(), 6);
    app.update(Action::Edit(Edit::Insert('r')));
    app.update(Action::Edit(Edit::Insert('u')));
    app.update(Action::Edit(Edit::Insert('s')));
    app.update(Action::Edit(Edit::Insert('t')));
    assert_eq!(sel_name(&app), "octo-org/alpha", "matches the language too");
    app.update(Action::Submit);
    assert!(!app.filtering());
    assert_eq!(app.filter().value(), "rust");
    app.update(Action::Back);
    assert_eq!(app.filter().value(), "");
    assert_eq!(app.view().len(), 6);
    app.update(Action::Filter);
    app.update(Action::Edit(Edit::Insert('q')));
    app.update(Action::Back);
    assert!(!app.filtering() && app.filter().value().is_empty());
}

#[test]
fn update_sync_actions_and_throttle() {
    let mut app = loaded();
    let fx = app.update(Action::Sync);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::SyncRepo {
            id: LocalId(1),
            force: false,
            priority: Priority::User
        })]
    );
    app.update(ev(SyncEvent::Queued { id: LocalId(1) }));
    assert!(
        app.update(Action::Sync).is_empty(),
        "a pending job is not queued twice"
    );
    assert!(app.status().unwrap().text.contains("already syncing"));
    let fx = app.update(Action::ForceSync);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::SyncRepo {
            id: LocalId(1),
            force: true,
            priority: Priority::User
        })]
    );
    let fx = app.update(Action::SyncAll);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::SyncAll {
            force: false,
            priority: Priority::User
        })]
    );
    // Marks make s a bulk action.
    app.update(Action::Down);
    app.update(Action::Mark);
    app.update(Action::Mark);
    assert_eq!(app.marked().len(), 2);
    let fx = app.update(Action::Sync);
    assert_eq!(fx.len(), 2);
    assert!(app.marked().is_empty());
    // No engine: says so instead.
    app.env_mut().engine = false;
    assert!(app.update(Action::Sync).is_empty());
    assert!(app.status().unwrap().text.contains("not running"));
}

#[test]
fn update_mark_and_remove() {
    let mut app = loaded();
    app.update(Action::Mark);
    assert!(app.marked().contains(&LocalId(1)));
    assert_eq!(app.list().sel, 1, "mark moves down");
    app.update(Action::Mark);
    app.update(Action::Remove);
    let Some(Dialog::ConfirmRemove { ids, .. }) = app.dialog() else {
        panic!("confirm")
    };
    assert_eq!(ids.len(), 2);
    assert!(app.update(Action::Back).is_empty());
    assert!(app.dialog().is_none());
    app.update(Action::Remove);
    let fx = app.update(Action::Confirm);
    assert_eq!(
        fx,
        vec![
            Effect::Engine(SyncCommand::Untrack(LocalId(1))),
            Effect::Engine(SyncCommand::Untrack(LocalId(2)))
        ]
    );
    app.update(ev(SyncEvent::Untracked { id: LocalId(1) }));
    assert_eq!(app.repos().len(), 5);
    assert!(app.repo(LocalId(1)).is_none());
}

#[test]
fn update_add_dialog_validates_and_tracks() {
    let mut app = loaded();
    app.update(Action::Add);
    for c in "bad--x/y".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    let Some(Dialog::Add { error: Some(e), .. }) = app.dialog() else {
        panic!("error shown")
    };
    assert!(e.contains("owner"), "{e}");
    assert!(app.update(Action::Submit).is_empty());
    app.update(Action::Edit(Edit::DeleteLine));
    for c in "git@github.com:Rust-Lang/rust.git".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    let fx = app.update(Action::Submit);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::Track(vec![key(
            "rust-lang/rust"
        )]))]
    );
    assert!(app.dialog().is_none());
    let mut r = TrackedRepo::new(LocalId(9), key("rust-lang/rust"), now());
    r.status = SyncStatus::Never;
    app.update(ev(SyncEvent::Tracked { repos: vec![r] }));
    assert_eq!(sel_name(&app), "rust-lang/rust", "the new repo is selected");
    // Already tracked: no command.
    app.update(Action::Add);
    for c in "octo-org/alpha".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    assert!(app.update(Action::Submit).is_empty());
}

#[test]
fn update_import_search_and_passphrase() {
    let mut app = loaded();
    app.update(Action::Import);
    for c in "org octo-org".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    let fx = app.update(Action::Submit);
    assert!(
        matches!(&fx[..], [Effect::Engine(SyncCommand::Import(o))] if o.source == ImportSource::Org("octo-org".into()))
    );

    app.update(Action::Search);
    for c in "tui".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    let fx = app.update(Action::Submit);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::Search {
            query: "tui".into(),
            limit: super::app::SEARCH_LIMIT
        })]
    );
    app.update(ev(SyncEvent::SearchResults {
        query: "tui".into(),
        hits: vec![
            SearchHit {
                key: key("a/one"),
                description: None,
                stars: 1,
                language: None,
            },
            SearchHit {
                key: key("b/two"),
                description: None,
                stars: 2,
                language: None,
            },
        ],
    }));
    app.update(Action::HistoryNext);
    let fx = app.update(Action::Submit);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::Track(vec![key("b/two")]))]
    );
    app.update(Action::Back);

    app.update(Action::PassphraseNeeded { retry: false });
    for c in "pw".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    let fx = app.update(Action::Submit);
    assert!(
        matches!(&fx[..], [Effect::Unlock(p)] if p == &super::action::Passphrase("pw".to_string().into()))
    );
    assert!(
        !format!("{fx:?}").contains("pw"),
        "the passphrase never shows in Debug"
    );
    assert!(
        app.dialog().is_none(),
        "the dialog closes while the key is derived"
    );
    assert!(app.status().is_some_and(|s| s.text.contains("unlocking")));
    // The runtime reports the engine started: the app knows it can sync now.
    app.env_mut().engine = false;
    app.update(Action::Unlocked);
    assert!(app.env().engine);
    // "unlocking" had its moment first: the news waits its turn.
    app.update(Action::Tick {
        now: now() + Duration::seconds(3),
    });
    assert!(
        app.status()
            .is_some_and(|s| s.text.contains("vault unlocked"))
    );
}

#[test]
fn update_open_browser_copy_and_screens() {
    let mut app = loaded();
    app.update(Action::OpenBrowser);
    assert!(
        matches!(app.dialog(), Some(Dialog::Notice { url: Some(u), .. }) if u == "https://github.com/octo-org/alpha")
    );
    let fx = app.update(Action::CopyUrl);
    assert_eq!(
        fx,
        vec![Effect::Copy("https://github.com/octo-org/alpha".into())]
    );
    app.update(Action::Back);
    app.env_mut().can_browse = true;
    assert_eq!(
        app.update(Action::OpenBrowser),
        vec![Effect::OpenUrl("https://github.com/octo-org/alpha".into())]
    );
    assert_eq!(
        app.update(Action::CopyUrl),
        vec![Effect::Copy("https://github.com/octo-org/alpha".into())]
    );
    assert!(app.status().unwrap().text.contains("OSC 52"));

    assert_eq!(
        app.update(Action::Activity),
        vec![Effect::LoadActivity(None)]
    );
    assert_eq!(app.screen(), Screen::Activity);
    app.update(Action::ActivityLoaded {
        repo: None,
        entries: activity(),
    });
    app.update(Action::Down);
    let fx = app.update(Action::Open);
    assert!(fx.contains(&Effect::MarkRead(Some(RepoId(1001)))));
    assert_eq!(
        (app.screen(), app.detail().tab()),
        (Screen::Detail, Tab::Pulls),
        "jumps to the PR tab"
    );
    assert_eq!(app.repo(LocalId(1)).unwrap().unread, 0);
    app.update(Action::Back);
    assert_eq!(app.screen(), Screen::Activity);
    assert_eq!(app.update(Action::Releases), vec![Effect::LoadReleases]);
    app.update(Action::Jobs);
    assert_eq!(app.screen(), Screen::Jobs);
    app.update(Action::RateLimits);
    assert_eq!(app.screen(), Screen::Rate);
    for _ in 0..4 {
        app.update(Action::Back);
    }
    assert_eq!(app.screen(), Screen::List);
    assert_eq!(app.update(Action::Quit), vec![Effect::Quit]);
    assert!(app.quit());
    assert_eq!(app.update(Action::Suspend), vec![Effect::Suspend]);
}

#[test]
fn update_sort_cycles_and_reverses() {
    let mut app = loaded();
    app.update(Action::Sort);
    assert_eq!(app.sort(), Sort::Stars);
    assert_eq!(
        sel_name(&app),
        "octo-org/alpha",
        "selection follows the repo"
    );
    app.update(Action::Top);
    assert_eq!(sel_name(&app), "someone/stale-repo");
    app.update(Action::SortReverse);
    app.update(Action::Top);
    assert_eq!(sel_name(&app), "octo-org/delta");
    for _ in 0..6 {
        app.update(Action::Sort);
    }
    assert_eq!(app.sort(), Sort::Name);
}

#[test]
fn update_jobs_cancel() {
    let mut app = syncing(loaded());
    app.update(Action::Jobs);
    let fx = app.update(Action::Cancel);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::Cancel(LocalId(2)))],
        "the running job is first"
    );
    app.update(Action::Bottom);
    assert!(
        app.update(Action::Cancel).is_empty(),
        "a finished job cannot be cancelled"
    );
    assert!(app.job_counts()[0] == 1 && app.job_counts()[2] == 1);
}

#[test]
fn update_sync_events_update_rows_jobs_and_pause() {
    let mut app = waiting(loaded());
    assert!(app.pause().is_some());
    assert!(matches!(
        app.job(LocalId(4)).unwrap().state,
        JobState::Waiting { .. }
    ));
    app.update(ev(SyncEvent::Resumed));
    assert!(app.pause().is_none());
    let mut r = app.repo(LocalId(2)).unwrap().clone();
    r.meta.as_mut().unwrap().stars = 999;
    app.update(ev(SyncEvent::Finished {
        id: LocalId(2),
        outcome: Outcome::Synced {
            changes: vec![Change::Stars { delta: 689 }],
        },
        cost: JobCost {
            requests: 3,
            not_modified: 1,
            points: 1,
            ..JobCost::default()
        },
        duration_ms: 800,
        repo: Some(Box::new(r)),
    }));
    assert_eq!(
        app.repo(LocalId(2)).unwrap().meta.as_ref().unwrap().stars,
        999
    );
    assert_eq!(app.session().requests, 4);
    assert_eq!(app.session().not_modified, 2);
    assert!(
        matches!(&app.job(LocalId(2)).unwrap().state, JobState::Done { note } if note == "1 change")
    );
    app.update(ev(SyncEvent::PassFinished {
        synced: 1,
        unchanged: 1,
        failed: 0,
        skipped: 0,
        cancelled: 0,
    }));
    assert_eq!(
        app.status().unwrap().text,
        "sync pass done, 2 repositories: 1 synced, 1 unchanged, 0 failed, 0 skipped"
    );
    // Background news arriving at once queue: each stays up long enough to read.
    app.update(ev(SyncEvent::Imported { added: 3, total: 5 }));
    app.update(ev(SyncEvent::PassFinished {
        synced: 0,
        unchanged: 2,
        failed: 1,
        skipped: 1,
        cancelled: 1,
    }));
    assert!(app.status().unwrap().text.contains("sync pass done"));
    assert_eq!(app.queued_status(), 2);
    let at = |app: &mut App, secs: i64| {
        app.update(Action::Tick {
            now: now() + Duration::seconds(secs),
        });
        app.status().map(|s| s.text.clone()).unwrap_or_default()
    };
    assert!(at(&mut app, 1).contains("sync pass done, 2"));
    assert!(at(&mut app, 3).contains("imported 3"));
    assert!(at(&mut app, 5).contains("imported 3"));
    assert_eq!(
        at(&mut app, 6),
        "sync pass done, 5 repositories: 0 synced, 2 unchanged, 1 failed, 1 cancelled, 1 skipped (synced within sync.min_interval; :sync all --force syncs them)"
    );
    assert_eq!(at(&mut app, 13), "", "then the line clears");
    // What the user just did answers at once.
    app.update(ev(SyncEvent::Imported { added: 1, total: 1 }));
    app.update(Action::SortBy {
        sort: Sort::Stars,
        reverse: false,
    });
    assert_eq!(app.status().unwrap().text, "sorted by stars");
}

#[test]
fn update_tick_redraws_only_when_needed() {
    let mut app = loaded();
    app.take_dirty();
    app.update(Action::Tick {
        now: now() + Duration::milliseconds(500),
    });
    assert!(
        !app.dirty(),
        "idle: nothing on screen changes within the minute"
    );
    app.update(Action::Tick {
        now: now() + Duration::seconds(61),
    });
    assert!(app.dirty(), "relative times change each minute");
    let mut app = waiting(loaded());
    app.take_dirty();
    app.update(Action::Tick {
        now: now() + Duration::seconds(1),
    });
    assert!(app.dirty(), "a countdown is visible");
    app.update(Action::Tick {
        now: now() + Duration::seconds(STATUS),
    });
    assert!(app.status().is_none(), "status messages expire");
}
const STATUS: i64 = super::app::STATUS_SECS + 1;

#[test]
fn update_command_mode() {
    let mut app = loaded();
    app.update(Action::Command);
    for c in "so".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    app.update(Action::Complete);
    let Some(Dialog::Command { input, .. }) = app.dialog() else {
        panic!()
    };
    assert_eq!(input.value(), "sort ");
    app.update(Action::Edit(Edit::Insert('s')));
    app.update(Action::Complete);
    let Some(Dialog::Command { input, hint, .. }) = app.dialog() else {
        panic!()
    };
    assert_eq!(input.value(), "sort s");
    assert_eq!(hint.as_deref(), Some("stars  synced  status"));
    for c in "tar".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    app.update(Action::Complete);
    app.update(Action::Submit);
    assert_eq!(app.sort(), Sort::Stars);
    assert!(app.dialog().is_none());
    // History.
    app.update(Action::Command);
    app.update(Action::HistoryPrev);
    let Some(Dialog::Command { input, .. }) = app.dialog() else {
        panic!()
    };
    assert_eq!(input.value(), "sort stars");
    app.update(Action::Back);
    let run = |app: &mut App, line: &str| {
        app.update(Action::Command);
        for c in line.chars() {
            app.update(Action::Edit(Edit::Insert(c)));
        }
        app.update(Action::Submit)
    };
    assert_eq!(
        run(&mut app, "sync all --force"),
        vec![Effect::Engine(SyncCommand::SyncAll {
            force: true,
            priority: Priority::User
        })]
    );
    assert_eq!(
        run(&mut app, "sync octo-org/beta"),
        vec![Effect::Engine(SyncCommand::SyncRepo {
            id: LocalId(2),
            force: false,
            priority: Priority::User
        })]
    );
    assert_eq!(
        run(&mut app, "add a/b c/d"),
        vec![Effect::Engine(SyncCommand::Track(vec![
            key("a/b"),
            key("c/d")
        ]))]
    );
    assert!(run(&mut app, "rm octo-org/beta").is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::ConfirmRemove { .. })));
    app.update(Action::Back);
    run(&mut app, "filter gam");
    assert_eq!(app.view().len(), 1);
    run(&mut app, "theme mono");
    assert_eq!(app.theme().name, "mono");
    run(&mut app, "jobs");
    assert_eq!(app.screen(), Screen::Jobs);
    run(&mut app, "bogus");
    assert!(app.status().unwrap().text.contains("unknown command"));
    assert_eq!(run(&mut app, "q"), vec![Effect::Quit]);
}

#[test]
fn update_help_and_notice() {
    let mut app = loaded();
    app.update(Action::Help);
    assert!(matches!(
        app.dialog(),
        Some(Dialog::Help {
            mode: super::keymap::Mode::List,
            ..
        })
    ));
    app.update(Action::Down);
    assert!(matches!(app.dialog(), Some(Dialog::Help { scroll: 1, .. })));
    app.update(Action::Back);
    assert!(app.dialog().is_none());
    let mut app = errored(loaded());
    assert!(
        matches!(app.dialog(), Some(Dialog::Notice { body, .. }) if body.contains("repodeck token set"))
    );
    app.update(Action::Down);
    assert!(app.dialog().is_some(), "a notice waits to be dismissed");
    app.update(Action::Back);
    assert!(app.dialog().is_none());
    app.update(Action::Failed {
        message: "disk full".into(),
    });
    assert!(
        matches!(app.dialog(), Some(Dialog::Notice { body, .. }) if body.contains("disk full"))
    );
}

#[test]
fn action_names_round_trip_for_keymaps() {
    for name in Keymap::action_names() {
        let a = Action::from_name(&name).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(a.name().as_deref(), Some(name.as_str()));
        assert!(!a.describe().is_empty(), "{name} has a description");
    }
    assert_eq!(Action::from_name("page_down"), Some(Action::PageDown));
    assert_eq!(Action::Tick { now: now() }.name(), None);
}

#[test]
fn update_preview_shows_first_rows_until_the_whole_list_arrives() {
    let all = repos();
    let mut app = base_app();
    app.update(Action::ReposPreview(all[..2].to_vec()));
    assert!(app.loading(), "still loading the rest");
    let text = render(&mut app, 80, 24);
    assert!(text.contains(&all[0].key.to_string()), "{text}");
    assert!(!text.contains(&all[3].key.to_string()), "{text}");
    assert!(
        text.contains("loading"),
        "the header says the list is loading: {text}"
    );
    app.update(Action::ReposLoaded(all.clone()));
    assert!(!app.loading());
    let text = render(&mut app, 80, 24);
    assert!(text.contains(&all[3].key.to_string()), "{text}");
    assert!(text.contains(&format!("{} repos", all.len())), "{text}");
    // A preview arriving after the list changes nothing.
    app.update(Action::ReposPreview(all[..1].to_vec()));
    assert_eq!(app.repos().len(), all.len());
}

/// Types `line` into the command line and runs it.
fn command(app: &mut App, line: &str) -> Vec<Effect> {
    app.update(Action::Command);
    for c in line.chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    app.update(Action::Submit)
}

#[test]
fn command_rm_asks_like_d() {
    let mut keyed = loaded();
    keyed.update(Action::Down);
    keyed.update(Action::Remove);
    let mut typed = loaded();
    assert!(command(&mut typed, "rm octo-org/beta").is_empty());
    for app in [&keyed, &typed] {
        let Some(Dialog::ConfirmRemove { ids, names }) = app.dialog() else {
            panic!("`:rm` asks as `d` does")
        };
        assert_eq!(
            (ids.as_slice(), names.as_slice()),
            (&[LocalId(2)][..], &["octo-org/beta".to_string()][..])
        );
    }
    assert_eq!(
        typed.update(Action::Confirm),
        keyed.update(Action::Confirm),
        "confirming removes the same way"
    );
    let mut app = loaded();
    command(&mut app, "rm octo-org/beta");
    assert!(app.update(Action::Back).is_empty(), "no removes nothing");
    assert!(app.dialog().is_none());
    assert_eq!(app.repos().len(), 6);
}

#[test]
fn command_add_leaves_out_tracked_repos_like_the_dialog() {
    let mut app = loaded();
    assert!(command(&mut app, "add octo-org/alpha").is_empty());
    assert!(app.status().unwrap().text.contains("already tracked"));
    assert_eq!(
        command(&mut app, "add octo-org/alpha a/b"),
        vec![Effect::Engine(SyncCommand::Track(vec![key("a/b")]))]
    );
    let mut dialog = loaded();
    dialog.update(Action::Add);
    for c in "octo-org/alpha a/b".chars() {
        dialog.update(Action::Edit(Edit::Insert(c)));
    }
    assert_eq!(
        dialog.update(Action::Submit),
        vec![Effect::Engine(SyncCommand::Track(vec![key("a/b")]))]
    );
    assert_eq!(
        dialog.status().map(|s| &s.text),
        app.status().map(|s| &s.text)
    );
}

#[test]
fn command_sync_is_the_keyed_sync() {
    for (line, key) in [
        ("sync all", Action::SyncAll),
        ("sync", Action::Sync),
        ("sync --force", Action::ForceSync),
    ] {
        let (mut typed, mut keyed) = (loaded(), loaded());
        assert_eq!(command(&mut typed, line), keyed.update(key), ":{line}");
        assert_eq!(typed.status(), keyed.status(), ":{line}");
    }
    // Without an engine every way of syncing says the same thing.
    let mut said = std::collections::HashSet::new();
    for line in ["sync all", "sync", "sync octo-org/beta", "sync all --force"] {
        let mut app = loaded();
        app.env_mut().engine = false;
        assert!(command(&mut app, line).is_empty());
        said.insert(app.status().unwrap().text.clone());
    }
    for key in [Action::SyncAll, Action::Sync, Action::ForceSync] {
        let mut app = loaded();
        app.env_mut().engine = false;
        assert!(app.update(key).is_empty());
        said.insert(app.status().unwrap().text.clone());
    }
    assert_eq!(said.len(), 1, "{said:?}");
}

#[test]
fn command_line_effects_come_back_from_update() {
    let mut app = loaded();
    assert_eq!(
        command(&mut app, "activity"),
        vec![Effect::LoadActivity(None)]
    );
    assert_eq!(app.screen(), Screen::Activity);
    assert_eq!(
        command(&mut app, "search tui"),
        vec![Effect::Engine(SyncCommand::Search {
            query: "tui".into(),
            limit: super::app::SEARCH_LIMIT
        })]
    );
}

/// Plays the runtime: records every effect and answers the sync engine's commands the way the
/// engine would, with events that go back through `update`.
#[derive(Default)]
struct Recorder {
    ran: Vec<Effect>,
}

impl super::runtime::Runner for Recorder {
    fn run(&mut self, effect: Effect) -> std::io::Result<Option<Action>> {
        self.ran.push(effect.clone());
        Ok(match effect {
            Effect::Engine(SyncCommand::SyncRepo { id, .. }) => Some(ev(SyncEvent::Finished {
                id,
                outcome: Outcome::Unchanged,
                cost: JobCost::default(),
                duration_ms: 1,
                repo: None,
            })),
            Effect::Unlock(_) => Some(Action::PassphraseNeeded { retry: true }),
            _ => None,
        })
    }
}

#[test]
fn runtime_runs_the_effects_of_nested_updates() {
    // On the repo screen, `s` sends a sync; the engine's answer (through `update` again) asks to
    // read the details anew: that effect reaches the runtime too.
    let mut app = with_detail(loaded());
    let mut rt = Recorder::default();
    super::runtime::apply(&mut app, Action::Sync, &mut rt).unwrap();
    assert_eq!(
        rt.ran,
        vec![
            Effect::Engine(SyncCommand::SyncRepo {
                id: LocalId(1),
                force: false,
                priority: Priority::User
            }),
            Effect::LoadDetails(LocalId(1)),
        ]
    );
    // A wrong passphrase: the runtime answers with an action that asks again.
    let mut app = loaded();
    app.update(Action::PassphraseNeeded { retry: false });
    app.update(Action::Edit(Edit::Insert('x')));
    let mut rt = Recorder::default();
    super::runtime::apply(&mut app, Action::Submit, &mut rt).unwrap();
    assert!(matches!(rt.ran[..], [Effect::Unlock(_)]));
    assert!(matches!(
        app.dialog(),
        Some(Dialog::Passphrase { retry: true, .. })
    ));
}

#[test]
fn snapshot_attached_header() {
    let attached = || {
        let mut a = loaded();
        a.set_host(Some("attached to serve, pid 4242, live".into()));
        a
    };
    snap!("list_attached", attached());
    snap!("list_host_gone", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a
    });
    // The notice closed: the header and the footer still offer `t`, and `?` lists it.
    snap!("list_host_gone_closed", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a.update(Action::Back);
        a
    });
    snap!("help_host_gone", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a.update(Action::Back);
        a.update(Action::Help);
        a
    });
    snap!("list_taking_over", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a.update(Action::TakeOver);
        a
    });
    snap!("list_took_over", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a.update(Action::TakeOver);
        a.update(Action::TookOver {
            pid: 5151,
            engine: true,
            locked: false,
            notices: Vec::new(),
        });
        a
    });
    snap!("list_reattached", {
        let mut a = attached();
        a.update(Action::EngineStopped);
        a.update(Action::TakeOver);
        a.update(Action::Reattached {
            host: "attached to the TUI, pid 5151".into(),
        });
        a
    });
}

fn attached_app() -> App {
    let mut a = loaded();
    a.set_host(Some("attached to serve, pid 4242, live".into()));
    a
}

fn help_text(app: &mut App) -> String {
    app.update(Action::Help);
    let text = render(app, 80, 40);
    app.update(Action::Back);
    text
}

#[test]
fn t_takes_over_only_once_the_host_has_gone_and_only_once_at_a_time() {
    // Attached to a live host: `t` does nothing but say why, and help does not offer it.
    let mut a = attached_app();
    assert!(!a.host_gone());
    assert!(a.update(Action::TakeOver).is_empty());
    assert!(
        a.status()
            .unwrap()
            .text
            .contains("only once that host has gone")
    );
    assert!(!help_text(&mut a).contains("take over"));
    // A TUI that holds the store itself has nothing to take over.
    let mut local = loaded();
    assert!(local.update(Action::TakeOver).is_empty());
    assert!(
        local
            .status()
            .unwrap()
            .text
            .contains("nothing to take over")
    );

    // The host goes: the notice offers `t`, and `t` works from the notice itself.
    a.update(ev(SyncEvent::Queued { id: LocalId(2) }));
    a.update(ev(SyncEvent::Started { id: LocalId(1) }));
    a.update(Action::EngineStopped);
    assert!(a.host_gone());
    assert!(
        matches!(a.dialog(), Some(Dialog::Notice { title, .. }) if title == "The host stopped")
    );
    assert_eq!(a.mode(), super::keymap::Mode::Notice);
    // The jobs the dead host was running will never finish: they say so.
    assert!(
        a.jobs().values().all(|j| !j.state.active()),
        "{:?}",
        a.jobs()
    );
    let t = super::keymap::Key::char('t');
    let keymap = Keymap::default();
    assert_eq!(
        keymap.lookup(super::keymap::Mode::Notice, t),
        Some(Action::TakeOver)
    );
    assert_eq!(
        keymap.lookup(super::keymap::Mode::List, t),
        Some(Action::TakeOver)
    );
    assert_eq!(a.update(Action::TakeOver), vec![Effect::TakeOver]);
    assert!(a.dialog().is_none(), "the notice closes");
    assert!(a.taking_over());
    // A second `t` while the first runs sends nothing.
    assert!(a.update(Action::TakeOver).is_empty());

    // It worked: no longer attached, the list is read from the store here.
    let fx = a.update(Action::TookOver {
        pid: 77,
        engine: true,
        locked: false,
        notices: vec!["the store was rebuilt".into()],
    });
    assert_eq!(fx, vec![Effect::LoadRepos]);
    assert!(a.env().host.is_none() && a.env().engine && !a.host_gone());
    assert!(!a.taking_over());
    assert!(matches!(a.dialog(), Some(Dialog::Notice { title, .. }) if title == "Store"));
    assert!(!help_text(&mut a).contains("take over"));
    assert!(
        a.update(Action::TakeOver).is_empty(),
        "nothing left to take"
    );
}

#[test]
fn losing_the_race_attaches_to_the_winner_and_a_failure_says_why() {
    let mut a = attached_app();
    a.update(Action::EngineStopped);
    a.update(Action::Back);
    assert!(help_text(&mut a).contains("take over"));
    a.update(Action::TakeOver);
    let fx = a.update(Action::Reattached {
        host: "attached to the TUI, pid 99".into(),
    });
    assert_eq!(fx, vec![Effect::LoadRepos]);
    assert_eq!(a.env().host.as_deref(), Some("attached to the TUI, pid 99"));
    assert!(!a.host_gone());
    assert!(
        a.status()
            .unwrap()
            .text
            .contains("took the store over first")
    );
    // That host goes too: `t` again.
    a.update(Action::EngineStopped);
    assert!(a.host_gone());
    a.update(Action::TakeOver);
    a.update(Action::TakeOverFailed {
        message: "cannot open the store: permission denied".into(),
    });
    assert!(!a.taking_over());
    assert!(
        matches!(a.dialog(), Some(Dialog::Notice { body, .. }) if body.contains("permission denied"))
    );
    // Still gone: `t` can be tried again.
    a.update(Action::Back);
    assert_eq!(a.update(Action::TakeOver), vec![Effect::TakeOver]);
    // A vault that needs its passphrase: the dialog asks for it after the takeover.
    a.update(Action::TookOver {
        pid: 5,
        engine: false,
        locked: true,
        notices: Vec::new(),
    });
    assert!(matches!(a.dialog(), Some(Dialog::Passphrase { .. })));
    assert!(!a.env().engine && a.env().host.is_none());
}

// ---------- daily-use polish (#16) ----------

/// A pass of an import: the job was queued before the list knew the repo (named by its local id
/// then), and its share of a 50-repo batch's one request and point is below one.
fn imported_job(mut app: App) -> App {
    app.update(ev(SyncEvent::Queued { id: LocalId(50) }));
    app.update(ev(SyncEvent::Started { id: LocalId(50) }));
    app.update(ev(SyncEvent::Finished {
        id: LocalId(50),
        outcome: Outcome::Unchanged,
        cost: JobCost {
            requests_milli: 20,
            points_milli: 20,
            ..JobCost::default()
        },
        duration_ms: 300,
        repo: Some(Box::new(repo(
            50,
            "octo-org/imported",
            5,
            0,
            0,
            0,
            "Rust",
            60,
            Some(0),
        ))),
    }));
    app.update(ev(SyncEvent::Queued { id: LocalId(2) }));
    app.update(ev(SyncEvent::Finished {
        id: LocalId(2),
        outcome: Outcome::Cancelled,
        cost: JobCost::default(),
        duration_ms: 0,
        repo: None,
    }));
    app.update(Action::Jobs);
    app
}

#[test]
fn jobs_name_repos_show_shared_costs_and_count_cancelled_apart() {
    let mut app = imported_job(loaded());
    let text = render(&mut app, 80, 24);
    assert!(text.contains("octo-org/imported"), "{text}");
    assert!(!text.contains("#50"), "{text}");
    assert!(
        text.contains("0.02"),
        "a share of a batch never reads 0:\n{text}"
    );
    assert!(
        text.contains("failed 0 · cancelled 1 · done 1"),
        "a cancelled job is not a failure:\n{text}"
    );
    snap!("jobs_imported", imported_job(loaded()));
    assert_eq!(super::screens::jobs::share(0, 20), "0.02");
    assert_eq!(super::screens::jobs::share(0, 4), "<0.01");
    assert_eq!(super::screens::jobs::share(3, 3000), "3");
    assert_eq!(super::screens::jobs::share(2, 2500), "2.5");
    assert_eq!(super::screens::jobs::share(0, 0), "0");
    assert_eq!(
        super::screens::jobs::share(7, 0),
        "7",
        "an engine without shares"
    );
}

fn gone_and_archived() -> App {
    let mut rs = repos();
    rs[1].meta.as_mut().unwrap().archived = true;
    rs[0].status = SyncStatus::Inaccessible;
    rs[0].last_error = Some(SyncError {
        kind: FailureKind::NotFound,
        message: "octo-org/alpha was not found (404)".into(),
        at: now() - Duration::minutes(1),
    });
    base_app().with_repos(rs)
}

#[test]
fn a_gone_repo_has_a_banner_and_archived_repos_are_marked() {
    let mut app = gone_and_archived();
    let list = render(&mut app, 80, 24);
    assert!(list.contains("octo-org/beta ⊘"), "{list}");
    snap!("list_gone_archived", gone_and_archived());
    let mut app = gone_and_archived();
    app.update(Action::Open);
    let text = render(&mut app, 80, 24);
    assert!(text.contains("Gone: GitHub answers 404"), "{text}");
    assert!(text.contains("gone from GitHub"), "{text}");
    snap!("detail_gone", {
        let mut a = gone_and_archived();
        a.update(Action::Open);
        a
    });
    let mut ascii = gone_and_archived();
    ascii.set_theme(Theme::new("default", true, true));
    assert!(render(&mut ascii, 80, 24).contains("octo-org/beta a"));
}

#[test]
fn stale_needs_a_missed_pass_and_at_least_half_an_hour() {
    use super::app::stale_after;
    let secs = std::time::Duration::from_secs;
    assert_eq!(stale_after(Some(secs(5))), Some(Duration::minutes(30)));
    assert_eq!(stale_after(Some(secs(3600))), Some(Duration::hours(2)));
    assert_eq!(stale_after(None), None);
    let mut app = base_app();
    app.env_mut().stale_after = stale_after(Some(secs(5)));
    let mut r = repos().remove(1);
    r.last_synced_at = Some(now() - Duration::seconds(15));
    assert!(!app.is_stale(&r), "15 s after a pass is not stale");
    r.last_synced_at = Some(now() - Duration::minutes(31));
    assert!(app.is_stale(&r));
}

#[test]
fn the_help_has_the_glyph_legend() {
    let mut app = loaded();
    app.update(Action::Help);
    let text = render(&mut app, 100, 40);
    for want in [
        "Glyphs",
        "synced",
        "never synced",
        "stale: >30 min",
        "archived",
    ] {
        assert!(text.contains(want), "{want}:\n{text}");
    }
}

#[test]
fn removing_marked_repos_names_them_all() {
    let mut app = loaded();
    app.update(ev(SyncEvent::Untracked { id: LocalId(1) }));
    app.update(ev(SyncEvent::Untracked { id: LocalId(2) }));
    assert_eq!(
        app.status().unwrap().text,
        "removed octo-org/alpha, octo-org/beta"
    );
    for id in 3..=6 {
        app.update(ev(SyncEvent::Untracked { id: LocalId(id) }));
    }
    assert!(
        app.status()
            .unwrap()
            .text
            .starts_with("removed 6 repositories: octo-org/alpha, octo-org/beta"),
        "{:?}",
        app.status()
    );
}

#[test]
fn the_import_dialog_says_what_the_cli_does() {
    let mut app = loaded();
    app.update(Action::Import);
    let text = render(&mut app, 80, 24);
    assert!(text.contains("forks skipped, archived tracked"), "{text}");
    let fx = command(&mut loaded(), "import org octo-org");
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Engine(SyncCommand::Import(o)) if !o.include_forks && o.include_archived
        )),
        "{fx:?}"
    );
}

/// `n` repos named so the store's order is not the name order (as a real store's ids are not).
fn many(n: u64) -> Vec<TrackedRepo> {
    (0..n)
        .map(|i| {
            let k = (i * 7 + 3) % n;
            repo(
                i + 1,
                &format!("octo-org/repo-{k:04}"),
                k * 10,
                0,
                0,
                0,
                "Rust",
                60,
                Some(1),
            )
        })
        .collect()
}

#[test]
fn the_cursor_starts_at_the_top_after_the_preview() {
    let all = many(51);
    let mut app = base_app();
    app.update(Action::Resize {
        width: 80,
        height: 10,
    });
    app.update(Action::ReposPreview(all[..12].to_vec()));
    app.update(Action::ReposLoaded(all.clone()));
    assert_eq!(app.list().sel, 0, "{}", sel_name(&app));
    assert_eq!(sel_name(&app), "octo-org/repo-0000");
    let text = render(&mut app, 80, 10);
    assert!(text.contains("octo-org/repo-0000"), "{text}");
    // A user who moved during the preview keeps their row.
    let mut app = base_app();
    app.update(Action::ReposPreview(all[..12].to_vec()));
    app.update(Action::Down);
    let moved = sel_name(&app);
    app.update(Action::ReposLoaded(all));
    assert_eq!(sel_name(&app), moved);
}

#[test]
fn a_new_sort_keeps_the_top_of_the_list_in_view() {
    let mut app = base_app().with_repos(many(51));
    app.update(Action::Resize {
        width: 80,
        height: 12,
    });
    // Scrolled down, then sorted so the selected repo lands near the top of the new order.
    for _ in 0..45 {
        app.update(Action::Down);
    }
    let name = sel_name(&app);
    app.update(Action::SortBy {
        sort: Sort::Stars,
        reverse: false,
    });
    assert_eq!(sel_name(&app), name, "the selection follows its repo");
    let page = app.page();
    assert!(app.list().sel < page, "{}", app.list().sel);
    assert_eq!(app.list().offset, 0, "the new order's top is in view");
    // Sorted so it lands far down: the selection shows mid-page, not pinned at an edge.
    app.update(Action::SortReverse);
    let (sel, off) = (app.list().sel, app.list().offset);
    assert!(
        sel >= off && sel < off + page,
        "selection visible: {sel} {off}"
    );
    assert!(sel > off, "not pinned at the top: {sel} {off}");
}

#[test]
fn activity_filters_and_mark_all_read() {
    let mut app = loaded();
    assert_eq!(app.changed_count(), 1);
    app.update(Action::Activity);
    app.update(Action::ActivityLoaded {
        repo: None,
        entries: activity(),
    });
    let seqs = |a: &App| a.activity().rows.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(&app), vec![3, 2, 1]);
    // Kinds cycle in `Change::KINDS` order through those the feed has, then back to all.
    app.update(Action::FilterKind);
    assert_eq!(app.activity_filter().kind, Some("new_commits"));
    assert_eq!(seqs(&app), vec![3]);
    app.update(Action::FilterKind);
    assert_eq!(app.activity_filter().kind, Some("stars"));
    assert_eq!(seqs(&app), vec![1]);
    app.update(Action::FilterKind);
    assert_eq!(app.activity_filter().kind, Some("pr_opened"));
    app.update(Action::FilterKind);
    assert_eq!(app.activity_filter().kind, None);
    assert_eq!(seqs(&app), vec![3, 2, 1]);
    // The cursor stayed on the PR (seq 2) through the kind filters; the repo filter takes the
    // selected row's repo and keeps the cursor on its entry.
    assert_eq!(app.activity().rows[app.activity().cursor.sel].seq, 2);
    app.update(Action::FilterRepo);
    assert_eq!(seqs(&app), vec![3, 2]);
    assert_eq!(app.activity().rows[app.activity().cursor.sel].seq, 2);
    // New activity lands in the whole feed and shows when the filter lets it.
    app.update(ev(SyncEvent::Activity(vec![ActivityEntry {
        seq: 9,
        repo: RepoId(1002),
        full_name: "octo-org/beta".into(),
        at: now(),
        change: Change::Archived,
        read: false,
    }])));
    assert_eq!(seqs(&app), vec![3, 2]);
    app.update(Action::FilterRepo);
    assert_eq!(seqs(&app), vec![9, 3, 2, 1]);
    // Mark all read: every row, the list's count, and the store (None = every repo).
    let fx = app.update(Action::MarkAllRead);
    assert_eq!(fx, vec![Effect::MarkRead(None)]);
    assert!(app.activity().rows.iter().all(|e| e.read));
    assert_eq!(app.changed_count(), 0);
    assert!(app.status().unwrap().text.contains("marked 3 changes read"));
    // The keys are on the activity screen only.
    app.update(Action::Back);
    assert_eq!(app.update(Action::MarkAllRead), vec![]);
}

#[test]
fn the_list_says_what_changed_and_stars_delta_count_from() {
    let mut app = loaded();
    let text = render(&mut app, 80, 24);
    assert!(text.contains("1 changed since read"), "{text}");
    app.update(Action::Help);
    let text = render(&mut app, 80, 24);
    assert!(text.contains("What the numbers mean"), "{text}");
}

/// The filter language in the list (`/`) and the user's `[[commands]]`.
mod filter_commands;
mod insight;
/// The freshness scheduler's focus follows the detail screen: set when a repo opens, moved when
/// another one does, cleared when the screen is left (and not re-sent for a commit or a tab).
#[test]
fn the_detail_screen_sets_and_clears_the_engines_focus() {
    let focus = |fx: &[Effect]| -> Vec<Option<LocalId>> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Engine(SyncCommand::Focus(f)) => Some(*f),
                _ => None,
            })
            .collect()
    };
    let mut app = loaded();
    assert_eq!(focus(&app.update(Action::Open)), vec![Some(LocalId(1))]);
    assert!(focus(&app.update(Action::NextTab)).is_empty());
    assert_eq!(focus(&app.update(Action::Back)), vec![None]);
    assert_eq!(app.screen(), Screen::List);
    assert!(focus(&app.update(Action::Down)).is_empty());
    let fx = app.update(Action::Open);
    let opened = app.detail().local;
    assert!(opened.is_some() && opened != Some(LocalId(1)));
    assert_eq!(focus(&fx), vec![opened]);
    // Another screen over the detail screen: the focus goes, and comes back with it.
    assert_eq!(focus(&app.update(Action::Activity)), vec![None]);
    assert_eq!(focus(&app.update(Action::Back)), vec![opened]);
}
