//! The Attention screen's tests: its keys (`W`, `:attention`, `r`, Enter to the item's detail
//! with Esc back to its row, the notices when it cannot be shown, `o`, Esc recording the last
//! look), a hostile title drawn harmless, and one insta snapshot per state
//! (filled, loading, empty, error, offline) holding every size (120x35, 80x24, 40x12) in colour
//! (text = the no-colour text), in ASCII, and the per-cell colour maps of colour and no-colour.

use chrono::Duration;

use super::action::{Action, Effect};
use super::app::{App, Item, Screen, Tab};
use super::headless::Headless;
use super::keymap::Mode;
use super::tests::{base_app_with, details, now, repos};
use super::theme::Theme;
use crate::domain::*;
use crate::sync::{SyncCommand, SyncEvent};

const HOSTILE: &str = "\u{1b}[31mred\u{1b}]0;pwned\u{7} title\u{202e}gnp.exe\u{9b}2J";

fn ev(e: SyncEvent) -> Action {
    Action::Engine(Box::new(e))
}

fn item(
    reason: AttentionReason,
    repo: &str,
    local: Option<u64>,
    subject: AttentionSubject,
    title: &str,
    hours: i64,
) -> AttentionItem {
    AttentionItem {
        reason,
        repo: repo.into(),
        local: local.map(LocalId),
        subject,
        title: title.into(),
        url: format!("https://github.com/{repo}/pull/1"),
        at: Some(now() - Duration::hours(hours)),
        draft: false,
    }
}

fn pr(n: u64) -> AttentionSubject {
    AttentionSubject::PullRequest { number: n }
}

/// A queue with every reason, an untracked repo, a draft and a hostile title (in screen order).
fn items() -> Vec<AttentionItem> {
    use AttentionReason as R;
    let mut draft = item(
        R::ChangesRequested,
        "octo-org/beta",
        Some(2),
        pr(7),
        "Retry webhooks with backoff",
        30,
    );
    draft.draft = true;
    vec![
        item(
            R::ReviewRequested,
            "octo-org/alpha",
            Some(1),
            pr(42),
            "Add a scheduler for background jobs",
            2,
        ),
        item(
            R::ReviewRequested,
            "octo-org/alpha",
            Some(1),
            pr(17),
            HOSTILE,
            5,
        ),
        item(
            R::ReviewRequested,
            "someone-else/untracked-lib",
            None,
            pr(311),
            "Support CJK widths: 漢字の幅",
            50,
        ),
        draft,
        item(
            R::CiFailing,
            "octo-org/gamma",
            Some(3),
            pr(12),
            "Bump tokio to 1.48",
            4,
        ),
        item(
            R::HeadFailing,
            "octo-org/beta",
            Some(2),
            AttentionSubject::Commit {
                sha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into(),
            },
            "Fix race in scheduler",
            3,
        ),
        item(
            R::NewRelease,
            "octo-org/alpha",
            Some(1),
            AttentionSubject::Release {
                tag: "v2.1.0".into(),
            },
            "v2.1.0: faster syncs",
            20,
        ),
        item(
            R::Stale,
            "octo-org/delta",
            Some(4),
            pr(3),
            "Document the config file",
            24 * 45,
        ),
    ]
}

fn done() -> AttentionSearchState {
    AttentionSearchState::Done {
        login: "octocat".into(),
        cost: 1,
        remaining: Some(4_987),
        truncated: false,
    }
}

fn loaded(items: Vec<AttentionItem>, search: AttentionSearchState) -> Action {
    ev(SyncEvent::AttentionLoaded {
        items,
        search,
        seen: Some(now() - Duration::days(2)),
    })
}

fn app() -> App {
    let env = super::app::Env {
        can_browse: true,
        ..super::app::Env::default()
    };
    base_app_with(env).with_repos(repos())
}

fn opened() -> App {
    let mut a = app();
    a.update(Action::Attention);
    a
}

pub(super) fn filled() -> App {
    let mut a = opened();
    a.update(loaded(items(), done()));
    a
}

fn selected(a: &App) -> Option<AttentionItem> {
    a.attention().selected().cloned()
}

// ---------- keys ----------

#[test]
fn w_opens_the_screen_and_asks_the_engine() {
    let mut a = app();
    let fx = a.update(Action::Attention);
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(fx, vec![Effect::Engine(SyncCommand::Attention)]);
    assert!(a.attention().loading);
    assert_eq!(
        a.keymap()
            .lookup(super::keymap::Mode::List, super::keymap::Key::char('W')),
        Some(Action::Attention)
    );
    // `r` while it is still read asks nothing more.
    assert!(a.update(Action::Refresh).is_empty());
    a.update(loaded(items(), done()));
    assert_eq!(
        a.update(Action::Refresh),
        vec![Effect::Engine(SyncCommand::Attention)]
    );
}

#[test]
fn the_command_line_opens_it_too() {
    let mut a = app();
    a.update(Action::Command);
    for c in "attention".chars() {
        a.update(Action::Edit(super::action::Edit::Insert(c)));
    }
    let fx = a.update(Action::Submit);
    assert_eq!(a.screen(), Screen::Attention);
    assert!(
        fx.contains(&Effect::Engine(SyncCommand::Attention)),
        "{fx:?}"
    );
}

#[test]
fn the_cursor_skips_headings() {
    let mut a = filled();
    assert_eq!(
        selected(&a).unwrap().subject,
        pr(42),
        "first item, not its heading"
    );
    a.update(Action::Down);
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(
        selected(&a).unwrap().reason,
        AttentionReason::ChangesRequested,
        "over the next group's heading"
    );
    a.update(Action::Up);
    assert_eq!(selected(&a).unwrap().subject, pr(311));
    a.update(Action::Top);
    assert_eq!(selected(&a).unwrap().subject, pr(42));
    a.update(Action::Bottom);
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::Stale);
}

/// The details of octo-org/alpha with #17 stored too (a head, a fork's branch).
pub(super) fn details_with_17() -> RepoDetails {
    let mut d = details();
    d.pulls.push(PullRequest {
        number: 17,
        title: "Stream the job log".into(),
        head: "samlee:stream-log".into(),
        base: "main".into(),
        head_sha: "e".repeat(40),
        url: "https://github.com/octo-org/alpha/pull/17".into(),
        ..PullRequest::default()
    });
    d
}

fn details_loaded(a: &mut App, local: u64, d: Option<RepoDetails>) {
    a.update(Action::DetailsLoaded {
        local: LocalId(local),
        details: Box::new(d),
    });
}

#[test]
fn enter_on_a_pr_opens_its_view_and_esc_comes_back_to_the_row() {
    let mut a = filled();
    a.update(Action::Down); // #17 in octo-org/alpha
    let fx = a.update(Action::Open);
    assert_eq!(a.screen(), Screen::Detail);
    assert_eq!(a.mode(), Mode::Item, "the PR's own view, not its tab");
    assert_eq!(a.detail().item, Some(Item::Pull(17)));
    assert_eq!(a.detail().tab(), Tab::Pulls);
    assert!(fx.contains(&Effect::LoadDetails(LocalId(1))), "{fx:?}");
    // Until the details are read, the view says it is loading (not that the PR is gone).
    let text = draw(&mut a, 80, 24);
    assert!(text.contains("Loading pull request #17…"), "{text}");
    assert!(!text.contains("no longer open"), "{text}");
    details_loaded(&mut a, 1, Some(details_with_17()));
    assert_eq!(a.open_pull().map(|p| p.number), Some(17));
    let text = draw(&mut a, 80, 24);
    assert!(text.contains("#17 Stream the job log"), "{text}");
    let pulls = &a.detail().details.as_ref().unwrap().pulls;
    let sel = a.detail().cursors[Tab::Pulls.index()].sel;
    assert_eq!(pulls[sel].number, 17, "the PR's row is selected on its tab");
    assert_eq!(a.status(), None, "nothing to say");
    // `o` opens the PR itself.
    assert_eq!(
        a.update(Action::OpenBrowser),
        vec![Effect::OpenUrl(
            "https://github.com/octo-org/alpha/pull/17".into()
        )]
    );
    // Esc: straight back to the Attention screen, on the same row.
    let fx = a.update(Action::Back);
    assert!(
        fx.iter()
            .all(|e| !matches!(e, Effect::Engine(SyncCommand::AttentionSeen { .. })))
    );
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(selected(&a).unwrap().subject, pr(17), "the cursor stayed");
    assert_eq!(a.detail().item, None);
    let fx = a.update(Action::Back);
    assert_eq!(a.screen(), Screen::List);
    assert_eq!(
        fx,
        vec![Effect::Engine(SyncCommand::AttentionSeen { at: now() })],
        "leaving records the look"
    );
}

#[test]
fn a_pr_of_the_repo_already_open_shows_at_once_and_a_pr_of_the_tab_still_closes_to_it() {
    let mut a = filled();
    a.update(Action::Open); // #42, in the fixture's details
    details_loaded(&mut a, 1, Some(details()));
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    // Same repo: the stored PR is drawn while its details are read again.
    a.update(Action::Open);
    assert_eq!(a.open_pull().map(|p| p.number), Some(42));
    details_loaded(&mut a, 1, Some(details()));
    assert_eq!(a.open_pull().map(|p| p.number), Some(42));
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    // A PR opened from the repo's own tab still closes back to the tab.
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::List);
    a.update(Action::Open);
    details_loaded(&mut a, 1, Some(details()));
    a.update(Action::Tab4);
    a.update(Action::Open);
    assert_eq!(a.detail().item, Some(Item::Pull(42)));
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Detail, "closes to the PRs tab");
    assert_eq!(a.detail().tab(), Tab::Pulls);
    assert_eq!(a.detail().item, None);
}

#[test]
fn a_pr_not_stored_opens_the_repo_and_says_why() {
    let mut a = filled();
    a.update(Action::Down);
    a.update(Action::Open);
    // #17 is not in `details()` (closed, or beyond the stored open PRs).
    details_loaded(&mut a, 1, Some(details()));
    assert_eq!(a.screen(), Screen::Detail);
    assert_eq!(
        a.mode(),
        Mode::Detail,
        "the repo's PRs tab, not an empty view"
    );
    assert_eq!(a.detail().tab(), Tab::Pulls);
    assert_eq!(a.detail().item, None);
    let s = a.status().unwrap();
    assert_eq!(
        s.text,
        "#17 is not among the stored open PRs: esc, then o opens it in the browser; s syncs"
    );
    assert_eq!(s.level, super::app::Level::Warn);
    // What the notice says works: esc, then o.
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(selected(&a).unwrap().subject, pr(17));
    assert_eq!(
        a.update(Action::OpenBrowser),
        vec![Effect::OpenUrl(
            "https://github.com/octo-org/alpha/pull/1".into()
        )]
    );
}

#[test]
fn a_pr_of_a_repo_never_synced_says_so() {
    let mut a = filled();
    a.update(Action::Bottom); // #3 in octo-org/delta, never synced
    a.update(Action::Open);
    details_loaded(&mut a, 4, None);
    assert_eq!(a.detail().item, None);
    assert_eq!(
        a.status().unwrap().text,
        "#3: octo-org/delta is not synced yet (s syncs it); esc, then o opens #3 in the browser"
    );
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::Stale);
}

#[test]
fn esc_before_the_details_arrive_leaves_nothing_pending() {
    let mut a = filled();
    a.update(Action::Down);
    a.update(Action::Open);
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    a.update(Action::Back);
    // The same repo from the list: the late answer selects nothing and says nothing.
    a.update(Action::Open);
    details_loaded(&mut a, 1, Some(details()));
    assert_eq!(a.status(), None);
    assert_eq!(a.detail().cursors[Tab::Pulls.index()].sel, 0);
    assert_eq!(a.detail().tab(), Tab::Overview);
}

#[test]
fn enter_on_a_failing_head_opens_the_overview_with_the_commit_selected() {
    let mut a = filled();
    while selected(&a).unwrap().reason != AttentionReason::HeadFailing {
        a.update(Action::Down);
    }
    let fx = a.update(Action::Open);
    assert!(fx.contains(&Effect::LoadDetails(LocalId(2))), "{fx:?}");
    assert_eq!(a.screen(), Screen::Detail);
    assert_eq!(a.mode(), Mode::Detail);
    assert_eq!(
        a.detail().tab(),
        Tab::Overview,
        "CI with its failing checks"
    );
    let mut d = details();
    d.commits.rotate_left(1);
    d.commits.push(Commit {
        sha: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into(),
        ..Commit::default()
    });
    details_loaded(&mut a, 2, Some(d));
    assert_eq!(a.detail().cursors[Tab::Commits.index()].sel, 3);
    assert_eq!(a.status(), None);
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::HeadFailing);
}

#[test]
fn enter_on_a_release_selects_its_row() {
    let mut a = filled();
    a.update(Action::Bottom);
    a.update(Action::Up);
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::NewRelease);
    a.update(Action::Open);
    assert_eq!(a.detail().tab(), Tab::Releases);
    details_loaded(&mut a, 1, Some(details()));
    let d = a.detail().details.as_ref().unwrap();
    assert_eq!(
        d.releases[a.detail().cursors[Tab::Releases.index()].sel].tag,
        "v2.1.0"
    );
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::NewRelease);
    // A release no longer stored says so.
    a.update(Action::Open);
    let mut d = details();
    d.releases.clear();
    details_loaded(&mut a, 1, Some(d));
    assert_eq!(
        a.status().unwrap().text,
        "v2.1.0 is not among the stored releases: esc, then o opens it in the browser; s syncs"
    );
}

#[test]
fn an_untracked_repo_is_offered_to_the_browser_not_opened() {
    let mut a = filled();
    a.update(Action::Down);
    a.update(Action::Down);
    assert_eq!(selected(&a).unwrap().local, None);
    let fx = a.update(Action::Open);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(a.screen(), Screen::Attention);
    assert_eq!(
        a.status().unwrap().text,
        "someone-else/untracked-lib is not tracked: o opens #311 in the browser, :add someone-else/untracked-lib tracks it"
    );
    let fx = a.update(Action::OpenBrowser);
    assert_eq!(
        fx,
        vec![Effect::OpenUrl(
            "https://github.com/someone-else/untracked-lib/pull/1".into()
        )]
    );
    // Tracked since the queue was read (`:add`): Enter opens it, found by its name.
    let mut tracked = repos();
    tracked.push(TrackedRepo::new(
        LocalId(9),
        RepoKey::parse("someone-else/untracked-lib").unwrap(),
        now(),
    ));
    a.update(Action::ReposLoaded(tracked));
    a.update(Action::Open);
    assert_eq!(a.screen(), Screen::Detail);
    assert_eq!(a.detail().local, Some(LocalId(9)));
    assert_eq!(a.detail().item, Some(Item::Pull(311)));
    a.update(Action::Back);
    assert_eq!(a.screen(), Screen::Attention);
    // A row whose repo was removed since the queue was read: the same, and no panic.
    let mut a = filled();
    a.update(Action::ReposLoaded(
        repos()
            .into_iter()
            .filter(|r| r.local != LocalId(1))
            .collect(),
    ));
    a.update(Action::Open);
    assert_eq!(a.screen(), Screen::Attention);
    assert!(a.status().unwrap().text.contains("is not tracked"));
}

#[test]
fn snapshot_attention_enter_states() {
    // A PR opened before its repo's details are read, and the fallback for a PR not stored.
    let loading = || {
        let mut a = filled();
        a.update(Action::Down);
        a.update(Action::Open);
        a
    };
    let missing = || {
        let mut a = loading();
        details_loaded(&mut a, 1, Some(details()));
        a
    };
    let mut out = String::new();
    for (name, make) in [
        ("pr loading", &loading as &dyn Fn() -> App),
        ("pr not stored", &missing),
    ] {
        for (w, h) in [(80u16, 24u16), (40, 12)] {
            out.push_str(&format!("=== {name} {w}x{h}\n"));
            out.push_str(&draw(&mut make(), w, h));
        }
    }
    insta::assert_snapshot!("attention_enter_states", out);
}

#[test]
fn a_hostile_title_is_drawn_without_its_escapes() {
    let mut a = filled();
    a.update(Action::Down);
    for (w, h) in [(120, 35), (80, 24), (40, 12)] {
        let text = draw(&mut a, w, h);
        assert!(
            !text.contains(['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}']),
            "{text}"
        );
    }
    let text = draw(&mut a, 120, 35);
    assert!(text.contains("red"), "{text}");
}

#[test]
fn a_refresh_keeps_the_cursor_on_its_item() {
    let mut a = filled();
    a.update(Action::Bottom);
    a.update(Action::Refresh);
    let mut fewer = items();
    fewer.remove(0);
    a.update(loaded(fewer, done()));
    assert_eq!(selected(&a).unwrap().reason, AttentionReason::Stale);
}

// ---------- snapshots ----------

fn draw(a: &mut App, w: u16, h: u16) -> String {
    a.update(Action::Resize {
        width: w,
        height: h,
    });
    let mut hl = Headless::new(w, h);
    hl.draw(a);
    hl.text()
}

/// One letter per cell for its foreground colour ('.' the terminal's own, ' ' a blank cell).
fn colours(a: &mut App, w: u16, h: u16) -> String {
    a.update(Action::Resize {
        width: w,
        height: h,
    });
    let mut hl = Headless::new(w, h);
    hl.draw(a);
    let text = hl.text();
    // Per cell: whether it is blank (a wide character fills its second cell too).
    let cells: Vec<Vec<bool>> = text
        .lines()
        .map(|l| {
            l.chars()
                .flat_map(|c| {
                    let w = unicode_width::UnicodeWidthChar::width(c)
                        .unwrap_or(1)
                        .max(1);
                    std::iter::repeat_n(c == ' ', w)
                })
                .collect()
        })
        .collect();
    let mut out = String::new();
    for y in 0..h {
        let mut row = String::new();
        for x in 0..w {
            let blank = cells
                .get(y as usize)
                .and_then(|l| l.get(x as usize))
                .is_none_or(|b| *b);
            row.push(match hl.fg_at(x, y).as_str() {
                _ if blank => ' ',
                "reset" => '.',
                "darkgray" => 'd',
                "gray" => 'a',
                "lightred" => 'R',
                "lightgreen" => 'G',
                "lightyellow" => 'Y',
                "lightblue" => 'B',
                "lightcyan" => 'C',
                "lightmagenta" => 'M',
                other => other.chars().next().unwrap_or('?'),
            });
        }
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}

/// Every size in colour and ASCII, and the colour maps of colour and no-colour at 80x24.
fn all_modes(make: impl Fn() -> App) -> String {
    let mut out = String::new();
    for (w, h) in [(120u16, 35u16), (80, 24), (40, 12)] {
        let mut a = make();
        out.push_str(&format!("=== {w}x{h} colour (no-colour: same text)\n"));
        out.push_str(&draw(&mut a, w, h));
        let mut a = make();
        a.set_theme(Theme::new("default", false, true));
        out.push_str(&format!("=== {w}x{h} ascii\n"));
        let text = draw(&mut a, w, h);
        assert!(
            text.chars().all(|c| c.is_ascii() || "漢字の幅".contains(c)),
            "ASCII mode draws non-ASCII glyphs at {w}x{h}:\n{text}"
        );
        out.push_str(&text);
    }
    let mut a = make();
    out.push_str("=== 80x24 colours\n");
    out.push_str(&colours(&mut a, 80, 24));
    let mut a = make();
    a.set_theme(Theme::new("default", true, false));
    let map = colours(&mut a, 80, 24);
    assert!(
        map.chars().all(|c| matches!(c, '.' | ' ' | '\n')),
        "no-colour draws colours:\n{map}"
    );
    out
}

#[test]
fn snapshot_attention_states() {
    insta::assert_snapshot!("attention_filled", all_modes(filled));
    insta::assert_snapshot!("attention_loading", all_modes(opened));
    insta::assert_snapshot!(
        "attention_empty",
        all_modes(|| {
            let mut a = opened();
            a.update(loaded(Vec::new(), done()));
            a
        })
    );
    insta::assert_snapshot!(
        "attention_error",
        all_modes(|| {
            let mut a = opened();
            a.update(ev(SyncEvent::AttentionFailed {
                message: "cannot read the store for the attention queue: the disk is full".into(),
            }));
            a
        })
    );
    insta::assert_snapshot!(
        "attention_offline",
        all_modes(|| {
            let mut a = opened();
            let store_only = items()
                .into_iter()
                .filter(|i| !i.reason.from_search())
                .collect();
            a.update(loaded(
                store_only,
                AttentionSearchState::Unavailable {
                    message: "no sync engine runs here (no token, or the vault is still locked): run `repodeck token set` or unlock the vault, then press r".into(),
                },
            ));
            a
        })
    );
    insta::assert_snapshot!(
        "attention_search_failed",
        all_modes(|| {
            let mut a = opened();
            a.update(loaded(
                items().into_iter().filter(|i| !i.reason.from_search()).collect(),
                AttentionSearchState::Failed {
                    message: "search failed: GitHub refused access (403): the token needs the `repo` scope; create a token with that scope".into(),
                },
            ));
            a
        })
    );
}
