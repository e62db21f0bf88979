//! Tests of the insight screens: the pull request and issue views (filled, empty body, no checks,
//! CI not known, long body scrolled) at 120x35, 80x24 and 40x12 in colour, no-colour and ASCII;
//! the branches and commits tabs with their marks; the wide repo list; hostile GitHub text; the
//! keys that open, scroll and close a pull request or issue.

use super::*;
use crate::tui::app::Item;

fn check(name: &str, state: CiState, conclusion: Option<&str>) -> Check {
    Check {
        name: name.into(),
        state,
        conclusion: conclusion.map(str::to_string),
        url: None,
    }
}

const BODY: &str = "## Why\n\nThe scheduler starves long jobs when short ones keep arriving.\n\n\
## What\n\n- a fair queue per worker\n- `max_wait` in the config\n\n```rust\nlet q = FairQueue::new(8);\n```\n\n\
Closes #17.";

/// A pull request with every field the detail fetch fills.
fn pr_full() -> PullRequest {
    PullRequest {
        number: 42,
        title: "Make the scheduler fair".into(),
        author: Some("samlee".into()),
        created_at: Some(now() - Duration::days(2)),
        updated_at: Some(now() - Duration::hours(3)),
        labels: vec!["enhancement".into(), "perf".into()],
        url: "https://github.com/octo-org/alpha/pull/42".into(),
        assignees: vec!["samlee".into(), "jane".into()],
        comments: 3,
        review_decision: Some(ReviewDecision::ChangesRequested),
        requested_reviewers: vec!["jane".into(), "octo-org/core".into()],
        ci: Some(CiStatus {
            sha: "f00dfeed".repeat(5),
            state: CiState::Failure,
            checks: vec![
                check("test (ubuntu)", CiState::Success, Some("success")),
                check("build", CiState::Pending, None),
                check("lint", CiState::Failure, Some("timed_out")),
                check("docs", CiState::Success, None),
            ],
        }),
        mergeable: Mergeable::Conflicting,
        base: "main".into(),
        head: "samlee:fair-queue".into(),
        head_sha: "f00dfeed".repeat(5),
        additions: 120,
        deletions: 30,
        changed_files: 4,
        body: BODY.into(),
        ..Default::default()
    }
}

/// A pull request as stored before the detail fetch fills anything: no body, CI not known.
fn pr_bare() -> PullRequest {
    PullRequest {
        number: 43,
        title: "Draft: document the retry policy".into(),
        author: Some("ops".into()),
        draft: true,
        created_at: Some(now() - Duration::days(1)),
        updated_at: Some(now() - Duration::days(1)),
        url: "https://github.com/octo-org/alpha/pull/43".into(),
        ..Default::default()
    }
}

/// A pull request whose head has no checks at all, approved, with a long body.
fn pr_long() -> PullRequest {
    let para = "This paragraph is long enough to wrap several times on a narrow terminal, so that \
        scrolling has something to do.";
    let body = (1..=12)
        .map(|i| format!("{i}. {para}"))
        .collect::<Vec<_>>()
        .join("\n\n");
    PullRequest {
        number: 44,
        title: "Rewrite the job runner so that cancelled jobs release their workers at once".into(),
        author: Some("jane".into()),
        created_at: Some(now() - Duration::days(5)),
        updated_at: Some(now() - Duration::minutes(30)),
        url: "https://github.com/octo-org/alpha/pull/44".into(),
        review_decision: Some(ReviewDecision::Approved),
        ci: Some(CiStatus {
            sha: "abc".into(),
            state: CiState::None,
            checks: vec![],
        }),
        mergeable: Mergeable::Mergeable,
        base: "main".into(),
        head: "runner".into(),
        additions: 1,
        deletions: 0,
        changed_files: 1,
        comments: 1,
        body: format!("{body}\n\nThe end."),
        ..Default::default()
    }
}

fn issue_full() -> Issue {
    Issue {
        number: 17,
        title: "Jobs lost on shutdown".into(),
        author: Some("ops".into()),
        created_at: Some(now() - Duration::days(9)),
        updated_at: Some(now() - Duration::days(1)),
        labels: vec!["bug".into(), "p1".into()],
        url: "https://github.com/octo-org/alpha/issues/17".into(),
        assignees: vec!["samlee".into()],
        comments: 5,
        body: "Steps:\n\n1. start a sync\n2. press ctrl+c\n\nThe queued jobs are gone.".into(),
    }
}

fn issue_bare() -> Issue {
    Issue {
        number: 18,
        title: "Crash on empty config".into(),
        author: None,
        url: "https://github.com/octo-org/alpha/issues/18".into(),
        ..Default::default()
    }
}

fn issue_long() -> Issue {
    Issue {
        number: 19,
        title: "Very long report".into(),
        body: (1..=40)
            .map(|i| format!("line {i} of the report"))
            .collect::<Vec<_>>()
            .join("\n"),
        ..issue_full()
    }
}

/// The fixture details with every insight field filled on some rows and empty on others.
fn insight_details() -> RepoDetails {
    let mut d = details();
    d.pulls = vec![pr_full(), pr_bare(), pr_long()];
    d.issues = vec![issue_full(), issue_bare(), issue_long()];
    d.commits[0].verification = Some(Verification::Verified);
    d.commits[0].ci = Some(CiState::Success);
    d.commits[0].committer = Signature {
        name: "GitHub".into(),
        email: "noreply@github.com".into(),
        login: Some("web-flow".into()),
        date: Some(now() - Duration::minutes(1)),
    };
    d.commits[1].verification = Some(Verification::Unverified {
        reason: "unknown_key".into(),
    });
    d.commits[1].ci = Some(CiState::Failure);
    d.commits[2].verification = Some(Verification::Unsigned);
    d.commits[2].ci = Some(CiState::Pending);
    d.branches[0].protection = Some(Protection {
        required_reviews: Some(2),
        required_checks: vec!["test".into(), "lint".into(), "build".into()],
        enforce_admins: true,
        ..Protection::default()
    });
    d.branches[0].head_date = Some(now() - Duration::minutes(2));
    d.branches[0].ci = Some(CiState::Success);
    d.branches[1].head_date = Some(now() - Duration::hours(30));
    d.branches[1].ci = Some(CiState::Failure);
    d.branches.push(Branch {
        name: "release/1.x".into(),
        head_sha: "e5f6a7b".repeat(6)[..40].into(),
        protected: true,
        ..Default::default()
    });
    d
}

/// alpha's repo screen with the insight details, on `tab`.
fn on_tab(tab: Action) -> App {
    let mut app = loaded();
    app.update(Action::Open);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(insight_details())),
    });
    app.update(tab);
    app
}

/// Row `row` of `tab` opened with Enter.
fn opened(tab: Action, row: usize) -> App {
    let mut app = on_tab(tab);
    for _ in 0..row {
        app.update(Action::Down);
    }
    app.update(Action::Open);
    app
}

/// Every cell of the screen without colour: the `NO_COLOR` rendering must carry no colour at all.
fn assert_no_colour(name: &str, app: &mut App, w: u16, h: u16) -> String {
    app.set_theme(Theme::new("default", true, false));
    app.update(Action::Resize {
        width: w,
        height: h,
    });
    let mut hl = Headless::new(w, h);
    hl.draw(app);
    for y in 0..h {
        for x in 0..w {
            assert_eq!(hl.fg_at(x, y), "reset", "{name} {w}x{h}: colour at {x},{y}");
        }
    }
    hl.text()
}

/// Snapshots a scenario at 120x35, 80x24 and 40x12 in colour and in ASCII, and checks that the
/// no-colour rendering has no colour and the same text as the colour one (the marks and words
/// carry the meaning, not the colour).
fn snap_three_ways(name: &str, make: impl Fn() -> App) {
    for (w, h) in [(120u16, 35u16), (80, 24), (40, 12)] {
        let text = render(&mut make(), w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
        let mut ascii = make();
        ascii.set_theme(Theme::new("default", false, true));
        let ascii_text = render(&mut ascii, w, h);
        assert!(ascii_text.is_ascii(), "{name} {w}x{h} ASCII:\n{ascii_text}");
        insta::assert_snapshot!(format!("{name}_ascii_{w}x{h}"), ascii_text);
        let plain = assert_no_colour(name, &mut make(), w, h);
        assert_eq!(plain, text, "{name} {w}x{h}: no-colour text differs");
    }
}

// ---------- snapshots ----------

#[test]
fn snapshot_pull_request_views() {
    snap_three_ways("pr_filled", || opened(Action::Tab4, 0));
    snap_three_ways("pr_empty_body_ci_unknown", || opened(Action::Tab4, 1));
    snap_three_ways("pr_no_checks", || opened(Action::Tab4, 2));
    snap_three_ways("pr_long_scrolled", || {
        let mut a = opened(Action::Tab4, 2);
        a.update(Action::PageDown);
        a.update(Action::Down);
        a
    });
}

#[test]
fn snapshot_issue_views() {
    snap_three_ways("issue_filled", || opened(Action::Tab5, 0));
    snap_three_ways("issue_empty_body", || opened(Action::Tab5, 1));
    snap_three_ways("issue_long_scrolled", || {
        let mut a = opened(Action::Tab5, 2);
        a.update(Action::Bottom);
        a
    });
}

#[test]
fn snapshot_branches_commits_and_the_commit_view() {
    snap!("insight_branches", on_tab(Action::Tab3));
    snap!("insight_commits", on_tab(Action::Tab2));
    snap!("insight_commit_signed", opened(Action::Tab2, 0));
    snap!("insight_commit_unverified", opened(Action::Tab2, 1));
    snap!("insight_pulls", on_tab(Action::Tab4));
    snap!("help_item", {
        let mut a = opened(Action::Tab4, 0);
        a.update(Action::Help);
        a
    });
    let mut app = on_tab(Action::Tab4);
    let text = render(&mut app, 80, 24);
    assert!(
        text.contains("✖ changes") && text.contains("✓ approved"),
        "{text}"
    );
    let mut app = opened(Action::Tab4, 0);
    app.update(Action::Help);
    let help = render(&mut app, 120, 60);
    for mark in ["CI failing", "SIG unverified", "protected branch"] {
        assert!(help.contains(mark), "{mark}:\n{help}");
    }
    let mut app = on_tab(Action::Tab3);
    let text = render(&mut app, 80, 24);
    assert!(text.contains("◆ 2 reviews, 3 checks, admins"), "{text}");
    assert!(
        text.contains("✓ passing") && text.contains("✖ failing"),
        "{text}"
    );
    assert!(
        text.contains("release/1.x") && text.contains("◆ protected"),
        "{text}"
    );
    let mut app = on_tab(Action::Tab2);
    app.set_theme(Theme::new("default", false, true));
    let text = render(&mut app, 80, 24);
    assert!(text.contains("SIG CI"), "{text}");
    for mark in [" V  +", " !  x", " -  o"] {
        assert!(text.contains(mark), "{mark} in\n{text}");
    }
}

#[test]
fn commits_and_branches_without_the_new_fields_look_as_before() {
    // Until a sync fills them, the signature, CI and head date columns are left out.
    let mut app = with_detail(loaded());
    app.update(Action::Tab2);
    let text = render(&mut app, 80, 24);
    assert!(!text.contains("SIG") && !text.contains(" CI "), "{text}");
    app.update(Action::Tab3);
    let text = render(&mut app, 80, 24);
    assert!(
        !text.contains("UPDATED") && !text.contains(" CI "),
        "{text}"
    );
    assert!(text.contains("◆ protected"), "{text}");
}

/// The fixture repos with CI states on their heads, alpha archived.
fn wide_list() -> App {
    let mut rs = repos();
    rs[0].head.as_mut().unwrap().ci = Some(CiState::Failure);
    rs[1].head.as_mut().unwrap().ci = Some(CiState::Success);
    rs[1].meta.as_mut().unwrap().archived = true;
    rs[2].head.as_mut().unwrap().ci = Some(CiState::Pending);
    rs[5].head.as_mut().unwrap().ci = Some(CiState::None);
    let mut app = base_app().with_repos(rs);
    app.update(ev(SyncEvent::RateLimits(rate(4812))));
    app
}

#[test]
fn wide_terminals_get_more_columns_not_a_wider_name() {
    let text = render(&mut wide_list(), 160, 24);
    insta::assert_snapshot!("list_wide_160x24", text);
    let mut ascii = wide_list();
    ascii.set_theme(Theme::new("default", false, true));
    insta::assert_snapshot!("list_wide_ascii_160x24", render(&mut ascii, 160, 24));
    for col in ["CI", "DESCRIPTION", "HEAD", "LANG"] {
        assert!(text.lines().nth(2).unwrap().contains(col), "{col}:\n{text}");
    }
    assert!(
        text.contains("✖ failing") && text.contains("○ pending"),
        "{text}"
    );
    // The archived column says it; the name goes without the glyph.
    assert!(text.contains("⊘ archived"), "{text}");
    assert!(!text.contains("octo-org/beta ⊘"), "{text}");
    // At 80 and 100 columns the list is the classic one.
    for w in [80, 100] {
        let text = render(&mut wide_list(), w, 24);
        let header = text.lines().nth(2).unwrap().to_string();
        assert!(
            !header.contains("CI") && !header.contains("DESCRIPTION"),
            "{w}: {header}"
        );
        assert!(text.contains("octo-org/beta ⊘"), "{text}");
    }
}

// ---------- hostile text ----------

const HOSTILE: &str =
    "pwn\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{85}\u{202e}gpj.exe\u{1b}P1$r\u{1b}\\";

/// Any character a terminal would act on: C0/C1 controls (ESC, BEL, CSI, NEL), bidi controls.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn hostile_details() -> RepoDetails {
    let mut d = insight_details();
    let p = &mut d.pulls[0];
    p.title = format!("title {HOSTILE}");
    p.body = format!("body {HOSTILE}\nsecond line {HOSTILE}");
    p.labels = vec![format!("label {HOSTILE}")];
    p.assignees = vec![format!("assignee {HOSTILE}")];
    p.requested_reviewers = vec![format!("reviewer {HOSTILE}")];
    p.author = Some(format!("author {HOSTILE}"));
    p.base = format!("base {HOSTILE}");
    p.head = format!("head {HOSTILE}");
    if let Some(ci) = p.ci.as_mut() {
        ci.checks[2].name = format!("check {HOSTILE}");
        ci.checks[2].conclusion = Some(format!("why {HOSTILE}"));
    }
    let i = &mut d.issues[0];
    i.title = format!("issue {HOSTILE}");
    i.body = format!("issue body {HOSTILE}");
    i.labels = vec![format!("ilabel {HOSTILE}")];
    d
}

#[test]
fn hostile_pull_request_and_issue_text_is_drawn_without_escapes() {
    for (tab, what) in [(Action::Tab4, "pull request"), (Action::Tab5, "issue")] {
        let mut app = loaded();
        app.update(Action::Open);
        app.update(Action::DetailsLoaded {
            local: LocalId(1),
            details: Box::new(Some(hostile_details())),
        });
        app.update(tab);
        for open in [false, true] {
            if open {
                app.update(Action::Open);
            }
            app.update(Action::Resize {
                width: 120,
                height: 35,
            });
            let mut hl = Headless::new(120, 35);
            hl.draw(&app);
            // Every cell's symbol, one by one: none holds a character a terminal acts on.
            let text = hl.text();
            let bad: Vec<char> = text
                .chars()
                .filter(|c| *c != '\n' && unsafe_char(*c))
                .collect();
            assert!(
                bad.is_empty(),
                "{what} (open: {open}) draws {bad:?}:\n{text}"
            );
            // Whole sequences go, parameters and payloads included (the buffer alone would drop
            // only the control characters and draw the rest), and the text around them stays.
            for rest in ["ZXZpbA", "52;", "[2J", "31m", "1$r"] {
                assert!(
                    !text.contains(rest),
                    "{what} (open: {open}) draws {rest}:\n{text}"
                );
            }
            assert!(
                text.contains("pwngpj.exe"),
                "{what}: the text itself stays\n{text}"
            );
            if open {
                assert_eq!(app.mode(), super::super::keymap::Mode::Item);
            }
        }
    }
    // The check name and the label are on screen, cleaned.
    let mut app = loaded();
    app.update(Action::Open);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(hostile_details())),
    });
    app.update(Action::Tab4);
    app.update(Action::Open);
    let text = render(&mut app, 120, 35);
    for field in [
        "#42 title",
        "by author",
        "base",
        "head",
        "reviewer",
        "check",
        "why",
        "label",
        "assignee",
        "body",
        "second line",
    ] {
        let cleaned = format!("{field} pwngpj.exe");
        assert!(text.contains(&cleaned), "{cleaned}:\n{text}");
    }
}

// ---------- keys ----------

#[test]
fn enter_opens_a_pull_request_o_opens_the_browser_esc_returns() {
    let mut app = on_tab(Action::Tab4);
    app.env_mut().can_browse = true;
    let fx = app.update(Action::Open);
    assert!(
        fx.is_empty(),
        "Enter opens the view, not the browser: {fx:?}"
    );
    assert_eq!(app.detail().item, Some(Item::Pull(42)));
    assert_eq!(app.mode(), super::super::keymap::Mode::Item);
    assert_eq!(app.open_pull().map(|p| p.number), Some(42));
    assert_eq!(
        app.update(Action::OpenBrowser),
        vec![Effect::OpenUrl(
            "https://github.com/octo-org/alpha/pull/42".into()
        )]
    );
    assert_eq!(
        app.update(Action::CopyUrl),
        vec![Effect::Copy(
            "https://github.com/octo-org/alpha/pull/42".into()
        )]
    );
    // Enter again does nothing more.
    assert!(app.update(Action::Open).is_empty());
    app.update(Action::Back);
    assert_eq!(app.detail().item, None);
    assert_eq!(
        (app.screen(), app.detail().tab()),
        (Screen::Detail, Tab::Pulls)
    );
    assert_eq!(app.mode(), super::super::keymap::Mode::Detail);
    // `o` on the tab still opens the selected row's page.
    assert_eq!(
        app.update(Action::OpenBrowser),
        vec![Effect::OpenUrl(
            "https://github.com/octo-org/alpha/pull/42".into()
        )]
    );
    app.update(Action::Back);
    assert_eq!(app.screen(), Screen::List);
}

#[test]
fn enter_opens_an_issue_and_a_tab_key_closes_it() {
    let mut app = opened(Action::Tab5, 1);
    assert_eq!(app.detail().item, Some(Item::Issue(18)));
    let text = render(&mut app, 80, 24);
    assert!(text.contains("#18 Crash on empty config"), "{text}");
    assert!(text.contains("No description."), "{text}");
    app.update(Action::Back);
    app.update(Action::Up);
    app.update(Action::Open);
    assert_eq!(app.detail().item, Some(Item::Issue(17)));
    app.update(Action::Tab4);
    assert_eq!(app.detail().item, None);
    // Releases keep opening the browser.
    app.env_mut().can_browse = true;
    app.update(Action::Tab6);
    assert!(matches!(
        &app.update(Action::Open)[..],
        [Effect::OpenUrl(_)]
    ));
}

#[test]
fn the_keys_are_in_help_and_the_footer() {
    let mut app = opened(Action::Tab4, 0);
    let text = render(&mut app, 80, 24);
    let footer = text.lines().last().unwrap();
    assert!(
        footer.contains("esc back") && footer.contains("j scroll") && footer.contains("o browser"),
        "{footer}"
    );
    app.update(Action::Help);
    let help = render(&mut app, 100, 40);
    assert!(help.contains("Pull request / issue"), "{help}");
    assert!(help.contains("open in browser"), "{help}");
    assert!(help.contains("page down"), "{help}");
}

#[test]
fn scrolling_stops_at_the_end_so_the_first_key_back_moves() {
    let mut app = opened(Action::Tab4, 2);
    app.update(Action::Resize {
        width: 80,
        height: 24,
    });
    app.update(Action::Bottom);
    let bottom = app.detail().scroll;
    assert!(bottom > 0);
    let text = render(&mut app, 80, 24);
    assert!(text.contains("The end."), "{text}");
    app.update(Action::Down);
    assert_eq!(app.detail().scroll, bottom, "no scrolling past the end");
    app.update(Action::Up);
    assert_eq!(app.detail().scroll, bottom - 1);
    app.update(Action::Top);
    assert_eq!(app.detail().scroll, 0);
    app.update(Action::PageDown);
    assert_eq!(app.detail().scroll, app.page() as u16 / 2);
    // A wider terminal has fewer lines to scroll: the first key back moves at once.
    app.update(Action::Bottom);
    let narrow_bottom = app.detail().scroll;
    app.update(Action::Resize {
        width: 160,
        height: 24,
    });
    let wide_bottom = app.detail().scroll;
    assert!(
        wide_bottom < narrow_bottom,
        "{wide_bottom} < {narrow_bottom}"
    );
    app.update(Action::Up);
    assert_eq!(app.detail().scroll, wide_bottom - 1);
    // A short text does not scroll at all.
    let mut app = opened(Action::Tab5, 1);
    app.update(Action::Bottom);
    assert_eq!(app.detail().scroll, 0);
}

#[test]
fn a_reload_keeps_the_view_and_a_closed_one_says_so() {
    let mut app = opened(Action::Tab4, 0);
    let mut d = insight_details();
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d.clone())),
    });
    assert_eq!(app.open_pull().map(|p| p.number), Some(42));
    d.pulls.remove(0);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    let text = render(&mut app, 80, 24);
    assert!(
        text.contains("Pull request #42 is no longer open"),
        "{text}"
    );
    app.update(Action::Back);
    assert_eq!(app.detail().item, None);
}

#[test]
fn the_protection_summary_names_each_rule() {
    use super::super::screens::detail::protection_summary;
    assert_eq!(protection_summary(&Protection::default()), "");
    let p = Protection {
        required_reviews: Some(1),
        required_checks: vec!["ci".into()],
        enforce_admins: true,
        signed_commits: true,
        linear_history: true,
        allow_force_pushes: true,
        allow_deletions: false,
    };
    assert_eq!(
        protection_summary(&p),
        "1 review, 1 check, admins, signed, linear, force-push ok"
    );
}
