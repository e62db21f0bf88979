//! The user's own commands (`[[commands]]` in the config) inside `App`: which command a key runs
//! on the current screen (a list, a repo tab, an open pull request or issue, the Attention
//! queue...), the selected row's placeholder values, the run handed to the runtime
//! as `Effect::RunUserCommand`, and how it ended (the status line, or for a background command a
//! dialog with its output). The argv itself is built by `crate::config::UserCommand::argv`: values
//! are separate arguments (or `sh` positional parameters), never text a shell parses.

use super::{App, Item, Level, Screen, Tab};
use crate::config::{CommandScreen, Placeholder, RunMode, UserCommand};
use crate::domain::{AttentionItem, AttentionSubject, Change, RepoKey};
use crate::sanitize;
use crate::tui::action::{Action, Effect, UserRun, UserRunDone};
use crate::tui::keymap::{Key, Keymap, Mode};

/// Output lines a background command's dialog keeps (the last ones).
pub const OUTPUT_LINES: usize = 200;

/// A `[[commands]]` entry with its key parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCommand {
    pub key: Key,
    pub command: UserCommand,
}

/// The keymap modes a command's screen covers, for the conflict check.
fn modes(screen: CommandScreen) -> &'static [Mode] {
    use CommandScreen as C;
    match screen {
        C::Any => &[
            Mode::List,
            Mode::Detail,
            Mode::Commit,
            Mode::Item,
            Mode::Activity,
            Mode::Releases,
            Mode::Jobs,
            Mode::Rate,
            Mode::Attention,
        ],
        C::List => &[Mode::List],
        C::Detail => &[Mode::Detail, Mode::Commit, Mode::Item],
        C::Commits => &[Mode::Detail, Mode::Commit],
        C::Pulls | C::Issues => &[Mode::Detail, Mode::Item],
        C::Overview | C::Branches => &[Mode::Detail],
        C::Pr | C::Issue => &[Mode::Item],
        C::Attention => &[Mode::Attention],
        C::Activity => &[Mode::Activity],
        C::Releases => &[Mode::Releases],
        C::Jobs => &[Mode::Jobs],
    }
}

/// Parses each command's key and refuses one that does not parse, that a built-in action already
/// has on a screen the command works on (after `[keys]` remaps), or that another command has on
/// an overlapping screen. The message names the entry, both claimants and the fix.
pub fn bind_commands(
    commands: &[UserCommand],
    keymap: &Keymap,
) -> Result<Vec<BoundCommand>, String> {
    let mut bound: Vec<BoundCommand> = Vec::new();
    for (i, c) in commands.iter().enumerate() {
        let at = format!("[[commands]] entry {} (key \"{}\")", i + 1, c.key);
        let key = Key::parse(&c.key).map_err(|e| format!("{at}: key `commands.key`: {e}"))?;
        for &mode in modes(c.screen) {
            if let Some(action) = keymap.lookup(mode, key) {
                let name = action.name().unwrap_or_default();
                return Err(format!(
                    "{at}: `{key}` is already `{name}` ({}) on the {} screen; choose another key for \"{}\", or remap `{name}` in [keys]",
                    action.describe(),
                    mode.title(),
                    c.description
                ));
            }
        }
        if let Some((j, other)) = bound
            .iter()
            .enumerate()
            .find(|(_, b)| b.key == key && b.command.screen.overlaps(c.screen))
        {
            return Err(format!(
                "{at}: `{key}` is already [[commands]] entry {} (\"{}\", screen \"{}\"), and both work on screen \"{}\"; choose another key for one of them",
                j + 1,
                other.command.description,
                other.command.screen.name(),
                c.screen.name()
            ));
        }
        bound.push(BoundCommand {
            key,
            command: c.clone(),
        });
    }
    Ok(bound)
}

impl App {
    /// The user's commands, bound to their keys (checked with `bind_commands`).
    pub fn with_commands(mut self, commands: Vec<BoundCommand>) -> App {
        self.commands = commands;
        self
    }

    pub fn commands(&self) -> &[BoundCommand] {
        &self.commands
    }

    /// Whether a command made for `screen` works where the user is now (never in a dialog or
    /// while typing).
    fn command_here(&self, screen: CommandScreen) -> bool {
        self.dialog.is_none() && !self.filtering && self.on_screen(screen)
    }

    /// Whether the screen under any dialog is one `screen` names.
    fn on_screen(&self, screen: CommandScreen) -> bool {
        use CommandScreen as C;
        let tab = |t: Tab| self.screen == Screen::Detail && self.detail.tab() == t;
        let open = |pull: bool| {
            self.screen == Screen::Detail
                && match self.detail.item {
                    Some(Item::Pull(_)) => pull,
                    Some(Item::Issue(_)) => !pull,
                    None => false,
                }
        };
        match screen {
            C::Any => true,
            C::List => self.screen == Screen::List,
            C::Detail => self.screen == Screen::Detail,
            C::Overview => tab(Tab::Overview),
            C::Commits => tab(Tab::Commits),
            C::Branches => tab(Tab::Branches),
            C::Pulls => tab(Tab::Pulls),
            C::Issues => tab(Tab::Issues),
            C::Pr => open(true),
            C::Issue => open(false),
            C::Attention => self.screen == Screen::Attention,
            C::Activity => self.screen == Screen::Activity,
            C::Releases => self.screen == Screen::Releases,
            C::Jobs => self.screen == Screen::Jobs,
        }
    }

    /// The action for a key no built-in action has here: the command bound to it on this screen.
    pub fn command_for_key(&self, key: Key) -> Option<Action> {
        self.commands
            .iter()
            .position(|b| b.key == key && self.command_here(b.command.screen))
            .map(Action::UserCommand)
    }

    /// The commands that work on the screen under the `?` help, as (key, description).
    pub fn commands_here(&self) -> Vec<(String, String)> {
        self.commands
            .iter()
            .filter(|b| self.on_screen(b.command.screen))
            .map(|b| (b.key.to_string(), b.command.description.clone()))
            .collect()
    }

    /// Runs command `i` with the selected row's values, or says which placeholder has none here.
    pub(super) fn run_command(&mut self, i: usize, fx: &mut Vec<Effect>) {
        let Some(b) = self.commands.get(i) else {
            return;
        };
        let (key, command) = (b.key, b.command.clone());
        match command.argv(|p| self.placeholder(p)) {
            Ok(argv) => {
                let shown = sanitize::line(&shell_words::join(&argv)).into_owned();
                let background = command.mode == RunMode::Background;
                if background {
                    self.say(format!("{key}: running {shown}…"), Level::Info);
                }
                fx.push(Effect::RunUserCommand(UserRun {
                    label: format!("{key} {}", command.description),
                    argv,
                    background,
                }));
            }
            Err(p) => self.say(
                format!(
                    "{key} ({}) not run: {p} has no value here ({})",
                    command.description,
                    self.where_from(p)
                ),
                Level::Warn,
            ),
        }
    }

    /// A command ended: the status line says how; a background one's output opens in a dialog.
    pub(super) fn command_done(&mut self, done: UserRunDone) {
        let how = match (&done.error, done.code) {
            (Some(e), _) => format!("could not run: {e}"),
            (None, Some(0)) => "exited 0".to_string(),
            (None, Some(n)) => format!("exited with {n}"),
            (None, None) => "was stopped by a signal".to_string(),
        };
        let ok = done.error.is_none() && done.code == Some(0);
        let level = if ok { Level::Info } else { Level::Error };
        if !done.background {
            // The outcome first: a long command line is cut at the end, not the exit code.
            self.say(format!("{how}: {}", done.label), level);
            return;
        }
        // The end of the output, as much as the dialog shows at this height.
        let rows = (self.height as usize)
            .saturating_sub(9)
            .clamp(3, OUTPUT_LINES);
        let out = tail(&done.output, rows);
        let body = if out.trim().is_empty() {
            format!("{how} (no output)")
        } else {
            format!("{out}\n\n{how}")
        };
        let title = sanitize::line(&done.label).into_owned();
        self.notice(&title, &body, level, None);
    }

    /// The value of `p` on the selected row of the current screen, when it has one.
    fn placeholder(&self, p: Placeholder) -> Option<String> {
        let key = self.current_key();
        let v = match p {
            Placeholder::Repo => key.map(|k| k.to_string()),
            Placeholder::Owner => key.map(|k| k.owner().to_string()),
            Placeholder::Name => key.map(|k| k.name().to_string()),
            Placeholder::Url => self.url_here(),
            Placeholder::Number => self.row_number(),
            Placeholder::Sha => self.row_sha(),
            Placeholder::Branch => self.row_branch(),
        };
        v.filter(|v| !v.is_empty())
    }

    /// The repository the selected row belongs to (on the Attention screen also an untracked
    /// one, as the search named it).
    fn current_key(&self) -> Option<RepoKey> {
        match self.screen {
            Screen::Releases => {
                let (name, _) = self.releases.rows.get(self.releases.cursor.sel)?;
                RepoKey::parse(name).ok()
            }
            Screen::Attention => RepoKey::parse(&self.attention_row()?.repo).ok(),
            _ => self.current_repo().map(|r| r.key.clone()),
        }
    }

    fn detail_sel(&self) -> usize {
        self.detail.cursors[self.detail.tab].sel
    }

    fn attention_row(&self) -> Option<&AttentionItem> {
        self.attention.selected()
    }

    /// A pull request's or issue's number: the open one, the Pulls or Issues tab's row, the
    /// activity row's, or the Attention row's pull request.
    fn row_number(&self) -> Option<String> {
        match self.screen {
            Screen::Detail if self.detail.commit.is_none() => {
                if let Some(Item::Pull(n) | Item::Issue(n)) = self.detail.item {
                    return Some(n.to_string());
                }
                let d = self.detail.details.as_ref()?;
                match self.detail.tab() {
                    Tab::Pulls => d.pulls.get(self.detail_sel()).map(|p| p.number),
                    Tab::Issues => d.issues.get(self.detail_sel()).map(|i| i.number),
                    _ => None,
                }
            }
            Screen::Activity => match &self.activity.rows.get(self.activity.cursor.sel)?.change {
                Change::PrOpened { number, .. }
                | Change::PrClosed { number, .. }
                | Change::PrMerged { number, .. }
                | Change::IssueOpened { number, .. }
                | Change::IssueClosed { number, .. } => Some(*number),
                _ => None,
            },
            Screen::Attention => match self.attention_row()?.subject {
                AttentionSubject::PullRequest { number } => Some(number),
                _ => None,
            },
            _ => None,
        }
        .map(|n| n.to_string())
    }

    /// A commit: the open one, the open pull request's head, the Commits, Branches or PRs tab's
    /// row (a PR's head), the Attention row's failing head, else the repo's head.
    fn row_sha(&self) -> Option<String> {
        if self.screen == Screen::Detail {
            if let Some(sha) = &self.detail.commit {
                return Some(sha.clone());
            }
            match self.detail.item {
                Some(Item::Pull(_)) => return self.open_pull_head().0,
                Some(Item::Issue(_)) => return None,
                None => {}
            }
            let d = self.detail.details.as_ref();
            match self.detail.tab() {
                Tab::Commits => return d?.commits.get(self.detail_sel()).map(|c| c.sha.clone()),
                Tab::Branches => {
                    return d?
                        .branches
                        .get(self.detail_sel())
                        .map(|b| b.head_sha.clone());
                }
                Tab::Pulls => {
                    return d?.pulls.get(self.detail_sel()).map(|p| p.head_sha.clone());
                }
                Tab::Overview => {}
                _ => return None,
            }
        }
        if self.screen == Screen::Attention {
            return match &self.attention_row()?.subject {
                AttentionSubject::Commit { sha } => Some(sha.clone()),
                _ => None,
            };
        }
        if matches!(self.screen, Screen::Activity | Screen::Releases) {
            return None;
        }
        self.current_repo()?.head.as_ref().map(|c| c.sha.clone())
    }

    /// A branch: the Branches tab's row, the open or selected pull request's head branch, the
    /// default branch of the Attention row's failing head, else the repo's default branch (not
    /// on rows of other kinds, like an issue).
    fn row_branch(&self) -> Option<String> {
        if self.screen == Screen::Detail {
            match self.detail.item {
                Some(Item::Pull(_)) => return self.open_pull_head().1,
                Some(Item::Issue(_)) => return None,
                None => {}
            }
            match self.detail.tab() {
                Tab::Branches => {
                    return self
                        .detail
                        .details
                        .as_ref()?
                        .branches
                        .get(self.detail_sel())
                        .map(|b| b.name.clone());
                }
                // A pull request's head branch (`owner:branch` from a fork: the branch).
                Tab::Pulls if self.detail.commit.is_none() => {
                    let pr = self.detail.details.as_ref()?.pulls.get(self.detail_sel())?;
                    let head = pr
                        .head
                        .rsplit_once(':')
                        .map_or(pr.head.as_str(), |(_, b)| b);
                    return Some(head.to_string());
                }
                Tab::Overview | Tab::Commits => {}
                _ => return None,
            }
        }
        if self.screen == Screen::Attention
            && !matches!(
                self.attention_row()?.subject,
                AttentionSubject::Commit { .. }
            )
        {
            return None;
        }
        if matches!(self.screen, Screen::Activity | Screen::Releases) {
            return None;
        }
        self.current_repo()?
            .meta
            .as_ref()
            .map(|m| m.default_branch.clone())
    }
}

impl App {
    /// Where a placeholder gets its value, for the "not run" message.
    fn where_from(&self, p: Placeholder) -> &'static str {
        let sha_or_branch = matches!(p, Placeholder::Sha | Placeholder::Branch);
        if sha_or_branch && self.screen == Screen::Attention {
            return "on this screen only a failing head has one; enter opens a pull request, whose view has its head's";
        }
        if sha_or_branch && self.screen == Screen::Detail {
            match self.detail.item {
                Some(Item::Issue(_)) => return "an issue has none",
                Some(Item::Pull(_)) => return "the pull request's head is not known yet",
                None => {}
            }
        }
        where_from(p)
    }
}

/// Where a placeholder gets its value, for the "not run" message.
fn where_from(p: Placeholder) -> &'static str {
    match p {
        Placeholder::Repo | Placeholder::Owner | Placeholder::Name | Placeholder::Url => {
            "select a repository"
        }
        Placeholder::Number => "select a pull request or issue",
        Placeholder::Sha => "select a commit, branch or pull request, or a synced repository",
        Placeholder::Branch => "select a branch or pull request, or a synced repository",
    }
}

/// The last `n` lines of `text`, with a note of how many came before.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= n {
        return lines.join("\n");
    }
    let skipped = lines.len() - n;
    format!("… {skipped} earlier lines\n{}", lines[skipped..].join("\n"))
}
