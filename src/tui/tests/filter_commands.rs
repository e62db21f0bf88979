//! TUI tests for the repo filter (fields, the inline error that keeps the last valid filter) and
//! the user's `[[commands]]`: keys per screen, placeholder values from the selected row, the
//! missing-value message, `?` help, the output dialog, key conflicts, and that hostile GitHub
//! text in a placeholder runs nothing (a real program is run).

use super::*;
use crate::config::{Config, UserCommand};
use crate::tui::action::{UserRun, UserRunDone};
use crate::tui::app::{BoundCommand, bind_commands};
use crate::tui::keymap::Key;

fn type_filter(app: &mut App, text: &str) {
    app.update(Action::Filter);
    for c in text.chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
}

fn names(app: &App) -> Vec<String> {
    app.view()
        .iter()
        .map(|i| app.repos()[*i].key.to_string())
        .collect()
}

#[test]
fn filter_fields_negation_and_errors_in_the_list() {
    let mut app = loaded();
    type_filter(&mut app, "lang:go");
    assert_eq!(names(&app), ["octo-org/beta"]);
    app.update(Action::Back);
    type_filter(&mut app, "!lang:go stars:>100");
    assert_eq!(names(&app), ["octo-org/alpha", "someone/stale-repo"]);
    app.update(Action::Back);
    type_filter(&mut app, "!lang:go stars:>100 alpha");
    assert_eq!(names(&app), ["octo-org/alpha"]);
    // A bad term: the list keeps the last valid filter and the bar says why. Typed a character
    // at a time, the last valid text was "... colour" (a word nothing matches).
    for c in " colour:red".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    assert_eq!(names(&app), Vec::<String>::new());
    let e = app.filter_error().unwrap();
    assert!(e.starts_with("`colour:` is not a filter field"), "{e}");
    for _ in 0.." colour:red".len() {
        app.update(Action::Edit(Edit::Backspace));
    }
    assert_eq!(app.filter_error(), None);
    assert_eq!(names(&app), ["octo-org/alpha"]);
    for c in " !".chars() {
        app.update(Action::Edit(Edit::Insert(c)));
    }
    assert_eq!(names(&app), ["octo-org/alpha"]);
    assert!(app.filter_error().unwrap().contains("nothing follows it"));
    // Enter does not close a filter with an error.
    app.update(Action::Submit);
    assert!(app.filtering());
    app.update(Action::Edit(Edit::Backspace));
    app.update(Action::Submit);
    assert!(!app.filtering());
    app.update(Action::Back);
    assert_eq!(app.view().len(), 6);
    assert_eq!(app.filter_error(), None);
    // `:filter` with a bad term says so on the status line.
    app.update(Action::FilterBy("has:wiki".into()));
    assert!(app.status().unwrap().text.contains("has:release"));
    assert_eq!(app.view().len(), 6);
    app.update(Action::FilterBy("is:changed".into()));
    assert_eq!(names(&app), ["octo-org/alpha"]);
}

#[test]
fn snapshot_filter_error() {
    snap!("list_filter_error", {
        let mut a = loaded();
        type_filter(&mut a, "lang:rust !");
        a
    });
}

// ---------- [[commands]] ----------

fn config(toml_text: &str) -> Config {
    Config::parse(toml_text, std::path::Path::new("c.toml")).unwrap()
}

fn bound(toml_text: &str) -> Result<Vec<BoundCommand>, String> {
    bind_commands(&config(toml_text).commands, &Keymap::default())
}

fn with_commands(toml_text: &str) -> App {
    loaded().with_commands(bound(toml_text).unwrap())
}

const COMMANDS: &str = r#"
[[commands]]
key = "ctrl+g"
screen = "pulls"
run = "gh pr checkout {number} -R {repo}"
description = "check out the PR"

[[commands]]
key = "ctrl+g"
screen = "list"
run = ["git", "clone", "{url}", "{name}"]

[[commands]]
key = "Z"
screen = "any"
run = "echo {sha} {branch}"
mode = "background"
"#;

fn runs(fx: &[Effect]) -> Vec<UserRun> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::RunUserCommand(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn press(app: &mut App, key: &str) -> Vec<Effect> {
    let k = Key::parse(key).unwrap();
    let action = app
        .keymap()
        .lookup(app.mode(), k)
        .or_else(|| app.command_for_key(k));
    action.map(|a| app.update(a)).unwrap_or_default()
}

#[test]
fn commands_run_with_the_selected_rows_values() {
    let mut app = with_commands(COMMANDS);
    // On the list: the list's command.
    let r = runs(&press(&mut app, "ctrl+g"));
    assert_eq!(
        r[0].argv,
        ["git", "clone", "https://github.com/octo-org/alpha", "alpha"]
    );
    assert!(!r[0].background);
    // Background, on any screen: the head's sha and the default branch.
    let r = runs(&press(&mut app, "Z"));
    assert_eq!(r[0].argv[0], "echo");
    assert_eq!(r[0].argv[2], "main");
    assert!(r[0].background);
    assert!(app.status().unwrap().text.starts_with("Z: running echo"));
    // The repo screen's PR tab: the PR's number.
    let mut app = with_detail(app);
    assert!(
        press(&mut app, "ctrl+g").is_empty(),
        "not on the Overview tab"
    );
    app.update(Action::Tab4);
    let r = runs(&press(&mut app, "ctrl+g"));
    assert_eq!(
        r[0].argv,
        ["gh", "pr", "checkout", "42", "-R", "octo-org/alpha"]
    );
    assert_eq!(r[0].label, "ctrl+g check out the PR");
    // The PR's head and head branch; a fork's `owner:branch` gives the branch. Without them
    // (not synced yet) nothing runs.
    assert!(runs(&press(&mut app, "Z")).is_empty());
    assert!(
        app.status()
            .unwrap()
            .text
            .contains("{sha} has no value here")
    );
    let mut d = details();
    d.pulls[0].head = "samlee:fair-queue".into();
    d.pulls[0].head_sha = "f".repeat(40);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    let r = runs(&press(&mut app, "Z"));
    assert_eq!(r[0].argv[1..], ["f".repeat(40), "fair-queue".to_string()]);
    // The Branches tab: that branch and its head.
    app.update(Action::Tab3);
    app.update(Action::Down);
    let r = runs(&press(&mut app, "Z"));
    assert_eq!(
        r[0].argv[1..],
        [
            "c3d4e5f".repeat(6)[..40].to_string(),
            "feature/retry".into()
        ]
    );
    // Not inside a dialog or while typing.
    app.update(Action::Help);
    assert_eq!(app.command_for_key(Key::char('W')), None);
}

#[test]
fn a_missing_placeholder_runs_nothing_and_says_which() {
    let mut app =
        with_commands("[[commands]]\nkey = \"ctrl+o\"\nrun = \"gh pr view {number} -R {repo}\"\n");
    let fx = press(&mut app, "ctrl+o");
    assert!(runs(&fx).is_empty());
    let text = &app.status().unwrap().text;
    assert_eq!(
        text,
        "ctrl+o (gh pr view {number} -R {repo}) not run: {number} has no value here (select a pull request or issue)"
    );
}

#[test]
fn help_lists_your_commands_for_this_screen() {
    let mut app = with_commands(COMMANDS);
    app.update(Action::Help);
    let text = render(&mut app, 100, 40);
    assert!(text.contains("Your commands"), "{text}");
    assert!(text.contains("ctrl+g       git clone {url}"), "{text}");
    assert!(
        !text.contains("check out the PR"),
        "the PR tab's command is not the list's"
    );
}

#[test]
fn snapshot_background_output_dialog() {
    let done = || UserRunDone {
        label: "W echo".into(),
        background: true,
        code: Some(1),
        output: "Cloning into 'alpha'...\n\u{1b}[31mfatal: destination exists\u{1b}[0m\n".into(),
        error: None,
    };
    snap!("command_output", {
        let mut a = loaded();
        a.update(Action::UserCommandDone(Box::new(done())));
        a
    });
    let mut a = loaded();
    a.update(Action::UserCommandDone(Box::new(done())));
    let text = render(&mut a, 80, 24);
    assert!(!text.contains('\u{1b}'), "escape sequences are stripped");
    assert!(text.contains("exited with 1"), "{text}");
    // A terminal run ends on the status line.
    a.update(Action::Back);
    a.update(Action::UserCommandDone(Box::new(UserRunDone {
        background: false,
        code: Some(0),
        output: String::new(),
        ..done()
    })));
    assert_eq!(a.status().unwrap().text, "exited 0: W echo");
}

#[test]
fn command_keys_that_conflict_are_refused_naming_both() {
    let e = bound("[[commands]]\nkey = \"s\"\nscreen = \"list\"\nrun = \"x\"\n").unwrap_err();
    assert_eq!(
        e,
        "[[commands]] entry 1 (key \"s\"): `s` is already `sync` (sync selected) on the Repositories screen; choose another key for \"x\", or remap `sync` in [keys]"
    );
    // Global keys count everywhere; a tab's digit on the repo screen.
    assert!(
        bound("[[commands]]\nkey = \"q\"\nscreen = \"jobs\"\nrun = \"x\"\n")
            .unwrap_err()
            .contains("`quit`")
    );
    assert!(
        bound("[[commands]]\nkey = \"4\"\nscreen = \"pulls\"\nrun = \"x\"\n")
            .unwrap_err()
            .contains("`tab4`")
    );
    // A key free on the list but taken on the repo screen is fine for the list only.
    assert!(bound("[[commands]]\nkey = \"2\"\nscreen = \"list\"\nrun = \"x\"\n").is_ok());
    assert!(bound("[[commands]]\nkey = \"2\"\nscreen = \"any\"\nrun = \"x\"\n").is_err());
    let e = bound("[[commands]]\nkey = \"ctrl+g\"\nscreen = \"detail\"\nrun = \"a\"\n[[commands]]\nkey = \"ctrl+g\"\nscreen = \"issues\"\nrun = \"b\"\n").unwrap_err();
    assert_eq!(
        e,
        "[[commands]] entry 2 (key \"ctrl+g\"): `ctrl+g` is already [[commands]] entry 1 (\"a\", screen \"detail\"), and both work on screen \"issues\"; choose another key for one of them"
    );
    let e = bound("[[commands]]\nkey = \"ctrl+gg\"\nrun = \"a\"\n").unwrap_err();
    assert!(
        e.starts_with(
            "[[commands]] entry 1 (key \"ctrl+gg\"): key `commands.key`: 'ctrl+gg' is not a key"
        ),
        "{e}"
    );
    // A key `[keys]` freed is free for a command.
    let c = config(
        "[keys]\nsync = \"ctrl+s\"\n[[commands]]\nkey = \"s\"\nscreen = \"list\"\nrun = \"x\"\n",
    );
    let km = Keymap::with_overrides(&c.keys).unwrap();
    assert!(bind_commands(&c.commands, &km).is_ok());
    assert!(crate::tui::check_commands(&c).is_ok());
}

// ---------- hostile values run nothing ----------

const HOSTILE: &str =
    "x$(touch M/m1); touch M/m2 `touch M/m3` && touch M/m4 | touch M/m5 'q' \"d\" \\";

fn hostile(dir: &std::path::Path) -> String {
    HOSTILE.replace('M', &dir.display().to_string())
}

/// Runs `cmd` on the Branches tab with a branch named `branch`, through the runtime's own
/// background runner, and returns the lines the program wrote.
async fn run_on_branch(cmd: &UserCommand, branch: &str) -> Vec<String> {
    let mut d = details();
    d.branches[0].name = branch.into();
    let key = Key::parse(&cmd.key).unwrap();
    let mut app = loaded().with_commands(vec![BoundCommand {
        key,
        command: cmd.clone(),
    }]);
    app.update(Action::Open);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    app.update(Action::Tab3);
    let fx = app.update(app.command_for_key(key).unwrap());
    let run = runs(&fx).pop().unwrap();
    let done = crate::tui::runtime::run_captured(run).await;
    assert_eq!(done.code, Some(0), "{done:?}");
    done.output.lines().map(str::to_string).collect()
}

fn assert_nothing_ran(dir: &std::path::Path) {
    for m in ["m1", "m2", "m3", "m4", "m5"] {
        assert!(
            !dir.join(m).exists(),
            "{m} was created: a value ran as a command"
        );
    }
}

#[tokio::test]
async fn a_hostile_branch_is_one_argument_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let branch = hostile(dir.path());
    let c = config(
        "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"branches\"\nmode = \"background\"\nrun = [\"/bin/sh\", \"-c\", 'printf \"<%s>\\n\" \"$@\"', \"sh\", \"{branch}\", \"b={branch}\"]\n",
    );
    let lines = run_on_branch(&c.commands[0], &branch).await;
    assert_eq!(lines, [format!("<{branch}>"), format!("<b={branch}>")]);
    assert_nothing_ran(dir.path());
    // The same as a string split shell-words-style.
    let c = config(
        "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"branches\"\nmode = \"background\"\nrun = \"printf '<%s>\\\\n' {branch} x\"\n",
    );
    let lines = run_on_branch(&c.commands[0], &branch).await;
    assert_eq!(lines, [format!("<{branch}>"), "<x>".to_string()]);
    assert_nothing_ran(dir.path());
}

#[tokio::test]
async fn with_shell_a_hostile_branch_is_a_positional_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let branch = hostile(dir.path());
    // Unquoted, double-quoted and single-quoted places in the script.
    let c = config(
        "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"branches\"\nmode = \"background\"\nshell = true\nrun = '''printf '<%s>\\n' {branch} \"in {branch}\" 'sq {branch}' && echo done'''\n",
    );
    let lines = run_on_branch(&c.commands[0], &branch).await;
    assert_eq!(
        lines,
        [
            format!("<{branch}>"),
            format!("<in {branch}>"),
            format!("<sq {branch}>"),
            "done".to_string()
        ]
    );
    assert_nothing_ran(dir.path());
}

#[test]
fn a_ctrl_key_event_maps_to_the_users_command() {
    use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
    let app = with_commands(
        "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"list\"\nrun = [\"/bin/sh\", \"{repo}\"]\n",
    );
    let ev = Event::Key(KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL));
    assert_eq!(
        crate::tui::runtime::map_event(&app, ev),
        Some(Action::UserCommand(0))
    );
}

// ---------- [[commands]] on the pull request, issue and Attention screens ----------

use crate::tui::app::Item;
use crate::tui::attention_tests::filled as attention_filled;

const ITEM_COMMANDS: &str = r#"
[[commands]]
key = "ctrl+g"
screen = "pr"
run = ["echo", "{repo}", "{owner}", "{name}", "{number}", "{url}", "{sha}", "{branch}"]
description = "all of the PR"

[[commands]]
key = "ctrl+g"
screen = "issue"
run = ["echo", "{repo}", "{number}", "{url}"]
description = "all of the issue"

[[commands]]
key = "ctrl+e"
screen = "issue"
run = "echo {sha}"

[[commands]]
key = "ctrl+t"
screen = "pulls"
run = "echo {number}"
"#;

/// The repo screen of octo-org/alpha with two PRs (#42 from a fork, with its head) and an issue.
fn item_app(toml_text: &str) -> App {
    let mut app = with_detail(with_commands(toml_text));
    let mut d = details();
    d.pulls[0].head = "samlee:fair-queue".into();
    d.pulls[0].base = "main".into();
    d.pulls[0].head_sha = "f".repeat(40);
    d.pulls.push(PullRequest {
        number: 43,
        head: "docs".into(),
        head_sha: "d".repeat(40),
        url: "https://github.com/octo-org/alpha/pull/43".into(),
        ..PullRequest::default()
    });
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    app
}

fn argv_of(app: &mut App, key: &str) -> Vec<String> {
    let r = runs(&press(app, key));
    assert_eq!(r.len(), 1, "{key} ran {r:?}; status: {:?}", app.status());
    r[0].argv.clone()
}

#[test]
fn commands_on_the_pr_and_issue_views_get_the_open_items_values() {
    let mut app = item_app(ITEM_COMMANDS);
    // Not on the Overview, nor on the PRs tab's list: the `pr` screen is the open PR.
    assert_eq!(app.command_for_key(Key::parse("ctrl+g").unwrap()), None);
    app.update(Action::Tab4);
    assert_eq!(app.command_for_key(Key::parse("ctrl+g").unwrap()), None);
    app.update(Action::Open);
    assert_eq!(app.detail().item, Some(Item::Pull(42)));
    assert_eq!(
        argv_of(&mut app, "ctrl+g"),
        [
            "echo",
            "octo-org/alpha",
            "octo-org",
            "alpha",
            "42",
            "https://github.com/octo-org/alpha/pull/42",
            &"f".repeat(40),
            "fair-queue",
        ]
    );
    // A `pulls` command works in the PR's view too, with the open PR's number.
    assert_eq!(argv_of(&mut app, "ctrl+t"), ["echo", "42"]);
    app.update(Action::Back);
    app.update(Action::Down);
    app.update(Action::Open);
    assert_eq!(app.detail().item, Some(Item::Pull(43)));
    let argv = argv_of(&mut app, "ctrl+g");
    assert_eq!(
        argv[4..],
        [
            "43",
            "https://github.com/octo-org/alpha/pull/43",
            &"d".repeat(40),
            "docs"
        ]
    );
    // A sync reorders the stored PRs: the tab's row is another PR now, the view's is still #43.
    let mut d = app.detail().details.clone().unwrap();
    d.pulls.reverse();
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    let sel = app.detail().cursors[Tab::Pulls.index()].sel;
    assert_eq!(app.detail().details.as_ref().unwrap().pulls[sel].number, 42);
    assert_eq!(argv_of(&mut app, "ctrl+g")[4], "43");
    assert_eq!(argv_of(&mut app, "ctrl+t"), ["echo", "43"]);
    // The issue's view: its number and page; an issue has no sha.
    app.update(Action::Back);
    app.update(Action::Tab5);
    assert_eq!(app.command_for_key(Key::parse("ctrl+g").unwrap()), None);
    app.update(Action::Open);
    assert_eq!(app.detail().item, Some(Item::Issue(17)));
    assert_eq!(
        argv_of(&mut app, "ctrl+g"),
        [
            "echo",
            "octo-org/alpha",
            "17",
            "https://github.com/octo-org/alpha/issues/17"
        ]
    );
    assert_eq!(app.command_for_key(Key::parse("ctrl+t").unwrap()), None);
    assert!(runs(&press(&mut app, "ctrl+e")).is_empty());
    assert_eq!(
        app.status().unwrap().text,
        "ctrl+e (echo {sha}) not run: {sha} has no value here (an issue has none)"
    );
}

#[test]
fn a_pr_whose_head_is_not_known_runs_nothing_and_says_so() {
    let mut app = item_app(ITEM_COMMANDS);
    let mut d = details();
    d.pulls[0].head_sha = String::new();
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    app.update(Action::Tab4);
    app.update(Action::Open);
    assert!(runs(&press(&mut app, "ctrl+g")).is_empty());
    assert!(
        app.status().unwrap().text.ends_with(
            "not run: {sha} has no value here (the pull request's head is not known yet)"
        ),
        "{:?}",
        app.status()
    );
}

const ATTENTION_COMMANDS: &str = r#"
[[commands]]
key = "ctrl+g"
screen = "attention"
run = ["echo", "{repo}", "{owner}", "{name}", "{number}", "{url}"]

[[commands]]
key = "ctrl+e"
screen = "attention"
run = ["echo", "{sha}", "{branch}"]

[[commands]]
key = "ctrl+g"
screen = "pr"
run = ["echo", "pr", "{number}", "{url}"]
"#;

fn attention_app(toml_text: &str) -> App {
    attention_filled().with_commands(bound(toml_text).unwrap())
}

fn select_reason(app: &mut App, reason: AttentionReason) {
    app.update(Action::Top);
    while app.attention().selected().unwrap().reason != reason {
        app.update(Action::Down);
    }
}

#[test]
fn commands_on_the_attention_screen_get_the_rows_values() {
    let mut app = attention_app(ATTENTION_COMMANDS);
    assert_eq!(
        argv_of(&mut app, "ctrl+g"),
        [
            "echo",
            "octo-org/alpha",
            "octo-org",
            "alpha",
            "42",
            "https://github.com/octo-org/alpha/pull/1"
        ]
    );
    // A PR row has no head here: the message says where it has one.
    assert!(runs(&press(&mut app, "ctrl+e")).is_empty());
    assert_eq!(
        app.status().unwrap().text,
        "ctrl+e (echo {sha} {branch}) not run: {sha} has no value here (on this screen only a failing head has one; enter opens a pull request, whose view has its head's)"
    );
    // An untracked repository is named as the search found it.
    app.update(Action::Down);
    app.update(Action::Down);
    assert_eq!(app.attention().selected().unwrap().local, None);
    assert_eq!(
        argv_of(&mut app, "ctrl+g")[1..5],
        [
            "someone-else/untracked-lib",
            "someone-else",
            "untracked-lib",
            "311"
        ]
    );
    // A failing head: its sha and the default branch.
    select_reason(&mut app, AttentionReason::HeadFailing);
    assert_eq!(
        argv_of(&mut app, "ctrl+e"),
        ["echo", "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "main"]
    );
    // A release has no number.
    select_reason(&mut app, AttentionReason::NewRelease);
    assert!(runs(&press(&mut app, "ctrl+g")).is_empty());
    assert!(
        app.status()
            .unwrap()
            .text
            .contains("{number} has no value here (select a pull request or issue)")
    );
    // Enter on a PR: the `pr` command works in its view, the `attention` one does not.
    app.update(Action::Top);
    app.update(Action::Open);
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(details())),
    });
    assert_eq!(app.detail().item, Some(Item::Pull(42)));
    assert_eq!(
        argv_of(&mut app, "ctrl+g"),
        [
            "echo",
            "pr",
            "42",
            "https://github.com/octo-org/alpha/pull/42"
        ]
    );
    assert_eq!(app.command_for_key(Key::parse("ctrl+e").unwrap()), None);
    app.update(Action::Back);
    assert_eq!(app.screen(), Screen::Attention);
    assert_eq!(argv_of(&mut app, "ctrl+g")[4], "42");
}

#[test]
fn keys_the_new_screens_use_are_refused_and_overlaps_named() {
    let e = bound("[[commands]]\nkey = \"r\"\nscreen = \"attention\"\nrun = \"x\"\n").unwrap_err();
    assert_eq!(
        e,
        "[[commands]] entry 1 (key \"r\"): `r` is already `refresh` (refresh) on the Attention screen; choose another key for \"x\", or remap `refresh` in [keys]"
    );
    let e = bound("[[commands]]\nkey = \"o\"\nscreen = \"pr\"\nrun = \"x\"\n").unwrap_err();
    assert!(
        e.contains("`open_browser`") && e.contains("Pull request / issue screen"),
        "{e}"
    );
    let e = bound("[[commands]]\nkey = \"j\"\nscreen = \"issue\"\nrun = \"x\"\n").unwrap_err();
    assert!(e.contains("`down`"), "{e}");
    // `y` copies on the PR view: a command for every screen may not take it either.
    let e = bound("[[commands]]\nkey = \"W\"\nscreen = \"pr\"\nrun = \"x\"\n").unwrap_err();
    assert!(e.contains("`attention`"), "{e}");
    // `s` syncs on the PRs tab but does nothing in a PR's view: free there only.
    assert!(bound("[[commands]]\nkey = \"s\"\nscreen = \"pr\"\nrun = \"x\"\n").is_ok());
    assert!(bound("[[commands]]\nkey = \"s\"\nscreen = \"pulls\"\nrun = \"x\"\n").is_err());
    // Overlaps: an open PR is on the PRs tab of the repo screen; Attention is its own screen.
    let two = |a: &str, b: &str| {
        bound(&format!(
            "[[commands]]\nkey = \"ctrl+g\"\nscreen = \"{a}\"\nrun = \"a\"\n[[commands]]\nkey = \"ctrl+g\"\nscreen = \"{b}\"\nrun = \"b\"\n"
        ))
    };
    assert_eq!(
        two("pulls", "pr").unwrap_err(),
        "[[commands]] entry 2 (key \"ctrl+g\"): `ctrl+g` is already [[commands]] entry 1 (\"a\", screen \"pulls\"), and both work on screen \"pr\"; choose another key for one of them"
    );
    assert!(two("detail", "issue").is_err() && two("any", "attention").is_err());
    assert!(two("pr", "issue").is_ok() && two("attention", "list").is_ok());
    assert!(two("attention", "pr").is_ok() && two("pr", "commits").is_ok());
    // The same check runs when the config is loaded (main exits 2 with the message).
    let c = config("[[commands]]\nkey = \"r\"\nscreen = \"attention\"\nrun = \"x\"\n");
    assert!(
        crate::tui::check_commands(&c)
            .unwrap_err()
            .contains("`refresh`")
    );
}

#[test]
fn help_lists_the_commands_of_the_pr_view_and_the_attention_screen() {
    let mut app = item_app(ITEM_COMMANDS);
    app.update(Action::Tab4);
    app.update(Action::Open);
    app.update(Action::Help);
    let text = render(&mut app, 100, 60);
    assert!(text.contains("Your commands"), "{text}");
    assert!(text.contains("all of the PR"), "{text}");
    assert!(
        text.contains("echo {number}"),
        "the PRs tab's command works here: {text}"
    );
    assert!(!text.contains("all of the issue"), "{text}");
    let mut app = attention_app(ATTENTION_COMMANDS);
    app.update(Action::Help);
    let text = render(&mut app, 100, 60);
    assert!(text.contains("ctrl+e       echo {sha}"), "{text}");
    assert!(!text.contains("echo pr"), "{text}");
}

/// Runs the command on `key` where `app` is, through the runtime's own background runner, and
/// returns the lines the program wrote.
async fn run_here(app: &mut App, key: &str) -> Vec<String> {
    let run = runs(&press(app, key)).pop().unwrap();
    let done = crate::tui::runtime::run_captured(run).await;
    assert_eq!(done.code, Some(0), "{done:?}");
    done.output.lines().map(str::to_string).collect()
}

/// Each value printed on its own line between `<` `>`: one argument each.
const SCREEN_HOSTILE: &str = r#"
[[commands]]
key = "ctrl+g"
screen = "pr"
mode = "background"
run = ["/bin/sh", "-c", 'printf "<%s>\n" "$@"', "sh", "{branch}", "{number}", "{url}"]

[[commands]]
key = "ctrl+g"
screen = "issue"
mode = "background"
run = "printf '<%s>\\n' {url} {number}"

[[commands]]
key = "ctrl+g"
screen = "attention"
mode = "background"
shell = true
run = '''printf '<%s>\n' {url} "n={number}"'''
"#;

#[tokio::test]
async fn hostile_values_on_the_pr_issue_and_attention_screens_are_one_argument() {
    let dir = tempfile::tempdir().unwrap();
    let evil = hostile(dir.path());
    // The PR's head branch and page, the issue's page: GitHub text.
    let mut app = item_app(SCREEN_HOSTILE);
    let mut d = details();
    d.pulls[0].head = evil.clone();
    d.pulls[0].url = format!("https://github.com/octo-org/alpha/pull/42#{evil}");
    d.issues[0].url = format!("https://github.com/octo-org/alpha/issues/17?{evil}");
    app.update(Action::DetailsLoaded {
        local: LocalId(1),
        details: Box::new(Some(d)),
    });
    app.update(Action::Tab4);
    app.update(Action::Open);
    assert_eq!(
        run_here(&mut app, "ctrl+g").await,
        [
            format!("<{evil}>"),
            "<42>".to_string(),
            format!("<https://github.com/octo-org/alpha/pull/42#{evil}>")
        ]
    );
    assert_nothing_ran(dir.path());
    app.update(Action::Back);
    app.update(Action::Tab5);
    app.update(Action::Open);
    assert_eq!(
        run_here(&mut app, "ctrl+g").await,
        [
            format!("<https://github.com/octo-org/alpha/issues/17?{evil}>"),
            "<17>".to_string()
        ]
    );
    assert_nothing_ran(dir.path());
    // The Attention row's page, through `sh -c` as a positional parameter.
    let mut app = attention_app(SCREEN_HOSTILE);
    let mut items = app.attention().items.clone();
    items[0].url = format!("https://github.com/octo-org/alpha/pull/42?{evil}");
    app.update(Action::Engine(Box::new(
        crate::sync::SyncEvent::AttentionLoaded {
            items,
            search: AttentionSearchState::Unavailable {
                message: "offline".into(),
            },
            seen: None,
        },
    )));
    app.update(Action::Top);
    assert_eq!(
        run_here(&mut app, "ctrl+g").await,
        [
            format!("<https://github.com/octo-org/alpha/pull/42?{evil}>"),
            "<n=42>".to_string()
        ]
    );
    assert_nothing_ran(dir.path());
}

#[test]
fn the_readmes_command_examples_load_and_bind() {
    let readme = include_str!("../../../README.md");
    let section = &readme[readme.find("### Your own commands").unwrap()..];
    let start = section.find("```toml\n").unwrap() + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").unwrap()];
    let bound = bound(block).unwrap();
    let screens: Vec<&str> = bound.iter().map(|b| b.command.screen.name()).collect();
    assert_eq!(
        screens,
        ["pulls", "list", "branches", "pr", "attention"],
        "{block}"
    );
}
