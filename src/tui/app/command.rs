//! The `:` command line: history, Tab completion, and parsing a line into the same `Action`s the
//! keys and dialogs produce (`:rm` asks like `d`, `:add` leaves out tracked repos like the add
//! dialog, `:sync all` is `R`); the action then goes through `App::update`. Also the text
//! parsers the add and import dialogs validate with.

use tui_input::Input;

use super::{App, Dialog, Level, Sort};
use crate::domain::{ImportSource, RepoKey};
use crate::sanitize;
use crate::tui::action::{Action, Effect};

/// Commands of `:` mode, for completion and help.
pub const COMMANDS: &[(&str, &str)] = &[
    ("add", "add OWNER/NAME..."),
    ("rm", "rm OWNER/NAME..."),
    ("sync", "sync [all|OWNER/NAME] [--force]"),
    ("import", "import org NAME | user NAME | mine"),
    ("search", "search QUERY"),
    ("sort", "sort name|stars|pushed|synced|issues|prs|status"),
    ("filter", "filter TEXT"),
    ("jobs", "jobs"),
    ("activity", "activity"),
    ("releases", "releases"),
    ("rate", "rate"),
    ("attention", "attention"),
    ("theme", "theme default|light|mono"),
    ("help", "help"),
    ("q", "q"),
];

/// Why a command line was not run: the status-line message and its level.
type Refusal = (String, Level);

fn usage(command: &str) -> Refusal {
    let text = COMMANDS
        .iter()
        .find(|(n, _)| *n == command)
        .map(|(_, u)| *u)
        .unwrap_or("");
    (format!("usage: {text}"), Level::Warn)
}

impl App {
    /// Enter in command mode: the line joins the history and runs.
    pub(super) fn submit_command(&mut self, line: String, fx: &mut Vec<Effect>) {
        if line.is_empty() {
            return;
        }
        self.history.retain(|h| h != &line);
        self.history.push(line.clone());
        match self.parse_command(&line) {
            Ok(action) => self.nested(action, fx),
            Err((text, level)) => self.say(text, level),
        }
    }

    /// Up/Down in command mode: older and newer lines of the history.
    pub(super) fn command_history(&mut self, hist: Option<usize>, action: &Action) {
        let n = self.history.len();
        let pos = match (action, hist) {
            (_, _) if n == 0 => None,
            (Action::HistoryPrev, None) => Some(n - 1),
            (Action::HistoryPrev, Some(i)) => Some(i.saturating_sub(1)),
            (_, Some(i)) if i + 1 < n => Some(i + 1),
            _ => None,
        };
        let text = pos
            .and_then(|i| self.history.get(i))
            .cloned()
            .unwrap_or_default();
        self.dialog = Some(Dialog::Command {
            input: Input::new(text),
            hist: pos,
            hint: None,
        });
    }

    pub(super) fn open_command_line(&mut self) {
        self.dialog = Some(Dialog::Command {
            input: Input::default(),
            hist: None,
            hint: None,
        });
    }

    /// A command line as the action it stands for.
    fn parse_command(&self, line: &str) -> Result<Action, Refusal> {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        match cmd {
            "q" | "quit" | "q!" => Ok(Action::Quit),
            "add" => match validate_keys(&args.join(" ")) {
                Ok(keys) if !keys.is_empty() => Ok(Action::AddRepos(keys)),
                Ok(_) => Err(usage("add")),
                Err(e) => Err((e, Level::Error)),
            },
            "rm" | "remove" => self.parse_rm(&args),
            "sync" => self.parse_sync(&args),
            "import" => parse_import(&args.join(" "))
                .map(Action::ImportFrom)
                .map_err(|e| (e, Level::Warn)),
            "search" => match args.join(" ") {
                q if q.is_empty() => Ok(Action::Search),
                q => Ok(Action::SearchFor(q)),
            },
            "sort" => match args.first().and_then(|a| Sort::parse(a)) {
                Some(sort) => Ok(Action::SortBy {
                    sort,
                    reverse: args.get(1).is_some_and(|a| *a == "rev" || *a == "asc"),
                }),
                None => Err(usage("sort")),
            },
            "filter" => Ok(Action::FilterBy(args.join(" "))),
            "jobs" => Ok(Action::Jobs),
            "activity" => Ok(Action::Activity),
            "releases" => Ok(Action::Releases),
            "rate" => Ok(Action::RateLimits),
            "attention" => Ok(Action::Attention),
            "help" => Ok(Action::Help),
            "theme" => match args.first() {
                Some(name) if crate::config::THEMES.contains(name) => {
                    Ok(Action::SetTheme(name.to_string()))
                }
                _ => Err(usage("theme")),
            },
            other => Err((
                format!(
                    "unknown command '{}': press Tab to list commands",
                    sanitize::line(other)
                ),
                Level::Warn,
            )),
        }
    }

    /// `rm NAME...`: every name must be tracked.
    fn parse_rm(&self, args: &[&str]) -> Result<Action, Refusal> {
        let mut ids = Vec::new();
        for a in args {
            let k = RepoKey::parse(a).map_err(|e| (e.to_string(), Level::Error))?;
            match self.repos.iter().find(|r| r.key == k) {
                Some(r) => ids.push(r.local),
                None => return Err((format!("{k} is not tracked"), Level::Warn)),
            }
        }
        if ids.is_empty() {
            return Err(usage("rm"));
        }
        Ok(Action::RemoveRepos(ids))
    }

    /// `sync [all|NAME] [--force]`: no name is `s` (or `S`), `all` is `R`.
    fn parse_sync(&self, args: &[&str]) -> Result<Action, Refusal> {
        let force = args.contains(&"--force");
        let rest: Vec<&str> = args.iter().copied().filter(|a| *a != "--force").collect();
        match rest.as_slice() {
            [] if force => Ok(Action::ForceSync),
            [] => Ok(Action::Sync),
            ["all"] if force => Ok(Action::ForceSyncAll),
            ["all"] => Ok(Action::SyncAll),
            [a] => {
                let k = RepoKey::parse(a).map_err(|e| (e.to_string(), Level::Error))?;
                match self.repos.iter().find(|r| r.key == k) {
                    Some(r) => Ok(Action::SyncRepos {
                        ids: vec![r.local],
                        force,
                    }),
                    None => Err((
                        format!("{k} is not tracked: add it with :add {k}"),
                        Level::Warn,
                    )),
                }
            }
            _ => Err(usage("sync")),
        }
    }

    /// Tab completion in command mode: the command word, then its argument.
    pub(super) fn complete(&self, line: &str) -> (String, Option<String>) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let trailing = line.ends_with(' ');
        let (done, partial): (Vec<&str>, &str) = if trailing || words.is_empty() {
            (words.clone(), "")
        } else {
            (words[..words.len() - 1].to_vec(), words[words.len() - 1])
        };
        let options: Vec<String> = match done.first().copied() {
            None => COMMANDS.iter().map(|(c, _)| c.to_string()).collect(),
            Some("sort") => Sort::ALL.iter().map(|s| s.name().to_string()).collect(),
            Some("theme") => crate::config::THEMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
            Some("import") if done.len() == 1 => vec!["org".into(), "user".into(), "mine".into()],
            Some("sync") => {
                let mut v: Vec<String> = vec!["all".into(), "--force".into()];
                v.extend(self.repos.iter().map(|r| r.key.to_string()));
                v
            }
            Some("rm") => self.repos.iter().map(|r| r.key.to_string()).collect(),
            _ => Vec::new(),
        };
        let lower = partial.to_ascii_lowercase();
        let matches: Vec<&String> = options
            .iter()
            .filter(|o| o.to_ascii_lowercase().starts_with(&lower))
            .collect();
        let prefix = done.join(" ");
        let join = |w: &str| {
            if prefix.is_empty() {
                w.to_string()
            } else {
                format!("{prefix} {w}")
            }
        };
        match matches.as_slice() {
            [] => (line.to_string(), Some("no completions".into())),
            [one] => (format!("{} ", join(one)), None),
            many => {
                let common = common_prefix(many.iter().map(|s| s.as_str()));
                let text = if common.len() > partial.len() {
                    join(&common)
                } else {
                    line.to_string()
                };
                let shown: Vec<&str> = many.iter().take(8).map(|s| s.as_str()).collect();
                let more = if many.len() > 8 {
                    format!(" (+{})", many.len() - 8)
                } else {
                    String::new()
                };
                (text, Some(format!("{}{more}", shown.join("  "))))
            }
        }
    }
}

fn common_prefix<'a>(mut items: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = items.next() else {
        return String::new();
    };
    let mut end = first.len();
    for s in items {
        end = first
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a.eq_ignore_ascii_case(b))
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(end);
    }
    first[..end].to_string()
}

/// Validates what the add dialog holds: one or more names or URLs, separated by spaces or commas.
pub fn validate_keys(text: &str) -> Result<Vec<RepoKey>, String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(|s| RepoKey::parse(s).map_err(|e| sanitize::line(&e.to_string()).into_owned()))
        .collect()
}

/// `org NAME`, `user NAME` or `mine`.
pub fn parse_import(text: &str) -> Result<ImportSource, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let valid = |n: &str| RepoKey::new(n, "x").is_ok();
    match words.as_slice() {
        ["mine"] => Ok(ImportSource::Mine),
        ["org", n] if valid(n) => Ok(ImportSource::Org(n.to_string())),
        ["user", n] if valid(n) => Ok(ImportSource::User(n.to_string())),
        ["org" | "user", n] => Err(format!(
            "'{}' is not a valid GitHub login",
            sanitize::line(n)
        )),
        _ => Err("type `org NAME`, `user NAME` or `mine`".into()),
    }
}
