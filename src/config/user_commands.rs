//! `[[commands]]`: the user's own commands. Each binds a key on a screen (`list`, a repo tab, an
//! open `pr` or `issue`, `attention`...) to a program run with the selected row's values
//! (`{repo}`, `{owner}`, `{name}`, `{number}`, `{sha}`, `{url}`, `{branch}`). Validated here at
//! load (placeholders, screen, mode, the shape of `run`); the key is checked against the keymap
//! by the TUI (`tui::check_commands`), which owns the keys.
//!
//! Safety by construction: without `shell`, `run` is an argv template (a list, or a string split
//! shell-words-style at load, never by a shell) and each value fills its place inside one
//! argument, so `; rm -rf ~` in a branch name is one argument's text. With `shell = true` the
//! script runs under `sh -c` and each placeholder becomes a positional parameter (`"$1"`, ...)
//! whose value is passed as its own argument: the value never enters the script's text.

use std::fmt;

/// Every placeholder `run` may hold.
pub const PLACEHOLDERS: [Placeholder; 7] = [
    Placeholder::Repo,
    Placeholder::Owner,
    Placeholder::Name,
    Placeholder::Number,
    Placeholder::Sha,
    Placeholder::Url,
    Placeholder::Branch,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placeholder {
    Repo,
    Owner,
    Name,
    Number,
    Sha,
    Url,
    Branch,
}

impl Placeholder {
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Repo => "repo",
            Placeholder::Owner => "owner",
            Placeholder::Name => "name",
            Placeholder::Number => "number",
            Placeholder::Sha => "sha",
            Placeholder::Url => "url",
            Placeholder::Branch => "branch",
        }
    }
    fn parse(s: &str) -> Option<Placeholder> {
        PLACEHOLDERS.into_iter().find(|p| p.name() == s)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// Where a command's key works: the TUI's screens and the repo screen's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandScreen {
    /// Every screen (not inside dialogs or text fields).
    Any,
    List,
    /// The repo screen, any tab (and an open commit, pull request or issue).
    Detail,
    Overview,
    /// The Commits tab and an open commit.
    Commits,
    Branches,
    /// The PRs tab and a pull request open from it.
    Pulls,
    /// The Issues tab and an issue open from it.
    Issues,
    /// An open pull request's view (from the PRs tab or the Attention screen).
    Pr,
    /// An open issue's view.
    Issue,
    /// The Attention queue (`W`).
    Attention,
    /// The activity feed (`A`).
    Activity,
    /// All releases (`E`).
    Releases,
    /// The sync jobs screen (`J`).
    Jobs,
}

impl CommandScreen {
    pub const ALL: [CommandScreen; 14] = [
        CommandScreen::Any,
        CommandScreen::List,
        CommandScreen::Detail,
        CommandScreen::Overview,
        CommandScreen::Commits,
        CommandScreen::Branches,
        CommandScreen::Pulls,
        CommandScreen::Issues,
        CommandScreen::Pr,
        CommandScreen::Issue,
        CommandScreen::Attention,
        CommandScreen::Activity,
        CommandScreen::Releases,
        CommandScreen::Jobs,
    ];
    pub fn name(self) -> &'static str {
        match self {
            CommandScreen::Any => "any",
            CommandScreen::List => "list",
            CommandScreen::Detail => "detail",
            CommandScreen::Overview => "overview",
            CommandScreen::Commits => "commits",
            CommandScreen::Branches => "branches",
            CommandScreen::Pulls => "pulls",
            CommandScreen::Issues => "issues",
            CommandScreen::Pr => "pr",
            CommandScreen::Issue => "issue",
            CommandScreen::Attention => "attention",
            CommandScreen::Activity => "activity",
            CommandScreen::Releases => "releases",
            CommandScreen::Jobs => "jobs",
        }
    }
    fn parse(s: &str) -> Option<CommandScreen> {
        let s = s.trim().to_ascii_lowercase();
        let s = match s.as_str() {
            "prs" | "pull_requests" | "pullrequests" => "pulls",
            "pull_request" | "pullrequest" => "pr",
            "repo" | "repository" => "detail",
            "repos" | "repositories" => "list",
            other => other,
        };
        CommandScreen::ALL.into_iter().find(|c| c.name() == s)
    }
    /// Whether one key may not be bound on both (they can be on screen at once).
    pub fn overlaps(self, other: CommandScreen) -> bool {
        use CommandScreen as C;
        let tab = |c: C| {
            matches!(
                c,
                C::Overview | C::Commits | C::Branches | C::Pulls | C::Issues
            )
        };
        // An open pull request or issue is on the repo screen, on its tab.
        let within = |outer: C, inner: C| {
            (outer == C::Detail && (tab(inner) || matches!(inner, C::Pr | C::Issue)))
                || (outer == C::Pulls && inner == C::Pr)
                || (outer == C::Issues && inner == C::Issue)
        };
        self == other
            || self == C::Any
            || other == C::Any
            || within(self, other)
            || within(other, self)
    }
}

/// How a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    /// The terminal is handed over (as for ctrl+z) until the program exits.
    Terminal,
    /// Runs beside the UI with its output captured, shown in a dialog when it ends.
    Background,
}

/// One piece of an argument: literal text, or a placeholder's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Hole(Placeholder),
}

/// One validated `[[commands]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCommand {
    /// The key as written; the TUI parses it and refuses conflicts.
    pub key: String,
    pub screen: CommandScreen,
    /// Without `shell`: the argv template, one entry per argument. With `shell`: one entry, the
    /// script.
    pub run: Vec<Vec<Piece>>,
    pub shell: bool,
    pub mode: RunMode,
    /// `description`, else the `run` line as written.
    pub description: String,
}

/// `[[commands]]` as written.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCommand {
    pub key: Option<String>,
    pub screen: Option<String>,
    /// A list of arguments, or one string (split shell-words-style; with `shell`, the script).
    pub run: Option<toml::Value>,
    pub shell: Option<bool>,
    pub mode: Option<String>,
    pub description: Option<String>,
}

/// Validates every `[[commands]]` table; the message names the entry (from 1), the key and the fix.
pub fn user_commands(raw: Vec<RawCommand>) -> Result<Vec<UserCommand>, String> {
    raw.into_iter()
        .enumerate()
        .map(|(i, r)| {
            let key = r.key.clone().unwrap_or_default();
            user_command(r).map_err(|m| {
                let name = if key.trim().is_empty() {
                    String::new()
                } else {
                    format!(" (key \"{}\")", key.trim())
                };
                format!("[[commands]] entry {}{name}: {m}", i + 1)
            })
        })
        .collect()
}

fn user_command(raw: RawCommand) -> Result<UserCommand, String> {
    let key = raw
        .key
        .filter(|k| !k.trim().is_empty())
        .ok_or("key `commands.key` is missing: the key that runs it, e.g. key = \"ctrl+g\"")?;
    let screen = match raw.screen.as_deref() {
        None => CommandScreen::Any,
        Some(s) => CommandScreen::parse(s).ok_or_else(|| {
            format!(
                "key `commands.screen` is \"{s}\": use one of {}",
                CommandScreen::ALL
                    .iter()
                    .map(|c| format!("\"{}\"", c.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?,
    };
    let mode = match raw.mode.as_deref().map(str::trim) {
        None | Some("terminal") => RunMode::Terminal,
        Some("background") => RunMode::Background,
        Some(m) => {
            return Err(format!(
                "key `commands.mode` is \"{m}\": use \"terminal\" (hand the terminal over, like ctrl+z) or \"background\" (output shown in a dialog)"
            ));
        }
    };
    let shell = raw.shell.unwrap_or(false);
    let (args, line) = run_args(raw.run, shell)?;
    let run = args
        .iter()
        .map(|a| template(a))
        .collect::<Result<Vec<_>, _>>()?;
    let description = raw
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
        .unwrap_or(line);
    Ok(UserCommand {
        key: key.trim().to_string(),
        screen,
        run,
        shell,
        mode,
        description,
    })
}

/// `run` as arguments (or, with `shell`, the one script), and the line as written for `?` help.
fn run_args(run: Option<toml::Value>, shell: bool) -> Result<(Vec<String>, String), String> {
    let example = "run = [\"gh\", \"pr\", \"checkout\", \"{number}\", \"-R\", \"{repo}\"] or run = \"git clone {url}\"";
    let mut written = None;
    let args = match run {
        None => return Err(format!("key `commands.run` is missing: {example}")),
        Some(toml::Value::String(line)) if shell => vec![line],
        Some(toml::Value::String(line)) => {
            let args = shell_words::split(&line).map_err(|e| {
                format!("key `commands.run`: cannot split \"{line}\" into arguments ({e}); close the quote, or write run as a list")
            })?;
            written = Some(line);
            args
        }
        Some(toml::Value::Array(_)) if shell => {
            return Err(
                "key `commands.run`: with shell = true, write the script as one string, e.g. run = \"git -C ~/src/{name} pull && make\"".into(),
            );
        }
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                toml::Value::String(s) => Ok(s),
                other => Err(format!(
                    "key `commands.run`: every argument is a string; {other} is not (quote it)"
                )),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(format!(
                "key `commands.run` is {other}: write a list of arguments or a string: {example}"
            ));
        }
    };
    if args.first().is_none_or(|a| a.trim().is_empty()) {
        return Err(format!("key `commands.run` names no program: {example}"));
    }
    let line = match written {
        Some(line) => line.trim().to_string(),
        None if shell => args[0].clone(),
        None => shell_words::join(&args),
    };
    Ok((args, line))
}

/// Splits one argument into text and placeholders. `{name}` with a known name is a placeholder;
/// `{{` and `}}` are literal braces; other braces (`awk '{print $1}'`) are text, but a
/// `{word}` that looks like a placeholder and is not one is refused (a typo would run with the
/// braces in it).
pub fn template(arg: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = arg;
    while let Some(i) = rest.find(['{', '}']) {
        text.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            text.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        let word = tail[1..].find('}').map(|j| &tail[1..1 + j]).filter(|w| {
            tail.starts_with('{')
                && !w.is_empty()
                && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        match word {
            Some(w) => {
                let p = Placeholder::parse(w).ok_or_else(|| unknown_placeholder(w))?;
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Hole(p));
                rest = &tail[w.len() + 2..];
            }
            None => {
                text.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    text.push_str(rest);
    if !text.is_empty() || out.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

fn unknown_placeholder(w: &str) -> String {
    let names: Vec<String> = PLACEHOLDERS.iter().map(|p| p.to_string()).collect();
    let nearest = PLACEHOLDERS
        .iter()
        .min_by_key(|p| super::levenshtein(w, p.name()))
        .filter(|p| super::levenshtein(w, p.name()) <= 2);
    match nearest {
        Some(p) => format!(
            "key `commands.run`: unknown placeholder `{{{w}}}`; did you mean `{p}`? (write {{{{ and }}}} for literal braces)"
        ),
        None => format!(
            "key `commands.run`: unknown placeholder `{{{w}}}`; use {} (write {{{{ and }}}} for literal braces)",
            names.join(", ")
        ),
    }
}

impl UserCommand {
    /// The placeholders `run` uses, in order of first use, once each.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut out = Vec::new();
        for p in self.run.iter().flatten() {
            if let Piece::Hole(h) = p
                && !out.contains(h)
            {
                out.push(*h);
            }
        }
        out
    }

    /// The argv to run, with `value` giving each placeholder's value on the current row; the
    /// first placeholder without one is the error. Without `shell` each value lands inside its
    /// own argument; with `shell` the argv is `sh -c SCRIPT repodeck VALUE...` and the script
    /// names the values as `"$1"`, `"$2"`... only.
    pub fn argv(
        &self,
        value: impl Fn(Placeholder) -> Option<String>,
    ) -> Result<Vec<String>, Placeholder> {
        let used = self.placeholders();
        let mut values = Vec::with_capacity(used.len());
        for p in &used {
            values.push(value(*p).ok_or(*p)?);
        }
        let get = |p: &Placeholder| {
            used.iter()
                .position(|u| u == p)
                .map_or("", |i| values[i].as_str())
        };
        if !self.shell {
            return Ok(self
                .run
                .iter()
                .map(|arg| {
                    arg.iter()
                        .map(|piece| match piece {
                            Piece::Text(t) => t.as_str(),
                            Piece::Hole(p) => get(p),
                        })
                        .collect()
                })
                .collect());
        }
        let script = self
            .run
            .first()
            .map(|pieces| shell_script(pieces, &used))
            .unwrap_or_default();
        let mut argv = vec!["sh".into(), "-c".into(), script, "repodeck".into()];
        argv.extend(values);
        Ok(argv)
    }
}

/// The script with each placeholder replaced by its positional parameter, quoted for where it
/// stands: `"$1"` outside quotes, `$1` inside double quotes, `'"$1"'` inside single quotes (the
/// single-quoted run is closed and reopened). The value itself is never in the text.
fn shell_script(pieces: &[Piece], used: &[Placeholder]) -> String {
    #[derive(Clone, Copy, PartialEq)]
    enum Q {
        None,
        Single,
        Double,
    }
    let mut out = String::new();
    let mut q = Q::None;
    let mut escaped = false;
    for piece in pieces {
        match piece {
            Piece::Text(t) => {
                for c in t.chars() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                        continue;
                    }
                    q = match (q, c) {
                        (Q::None | Q::Double, '\\') => {
                            escaped = true;
                            q
                        }
                        (Q::None, '\'') => Q::Single,
                        (Q::Single, '\'') => Q::None,
                        (Q::None, '"') => Q::Double,
                        (Q::Double, '"') => Q::None,
                        _ => q,
                    };
                }
            }
            Piece::Hole(p) => {
                let n = used.iter().position(|u| u == p).map_or(0, |i| i + 1);
                if escaped {
                    // A backslash right before a placeholder would escape the `$`.
                    out.pop();
                    escaped = false;
                }
                match q {
                    Q::None => out.push_str(&format!("\"${{{n}}}\"")),
                    Q::Double => out.push_str(&format!("${{{n}}}")),
                    Q::Single => out.push_str(&format!("'\"${{{n}}}\"'")),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(run: toml::Value, shell: bool) -> Result<UserCommand, String> {
        user_command(RawCommand {
            key: Some("ctrl+g".into()),
            run: Some(run),
            shell: Some(shell),
            ..RawCommand::default()
        })
    }

    fn line(s: &str) -> toml::Value {
        toml::Value::String(s.into())
    }

    fn values(p: Placeholder) -> Option<String> {
        Some(match p {
            Placeholder::Repo => "octo/app".into(),
            Placeholder::Owner => "octo".into(),
            Placeholder::Name => "app".into(),
            Placeholder::Number => "42".into(),
            Placeholder::Sha => "abc123".into(),
            Placeholder::Url => "https://github.com/octo/app".into(),
            Placeholder::Branch => "feat/$(touch x); rm -rf ~ `id` 'q' \"d\"".into(),
        })
    }

    #[test]
    fn placeholders_fill_their_own_argument() {
        let c = cmd(line("gh pr checkout {number} -R {repo}"), false).unwrap();
        assert_eq!(
            c.argv(values).unwrap(),
            ["gh", "pr", "checkout", "42", "-R", "octo/app"]
        );
        assert_eq!(c.description, "gh pr checkout {number} -R {repo}");
        let c = cmd(
            toml::Value::Array(vec![
                line("echo"),
                line("--branch={branch}"),
                line("{owner}/{name}@{sha}"),
                line("{{literal}} {url}"),
            ]),
            false,
        )
        .unwrap();
        let argv = c.argv(values).unwrap();
        assert_eq!(argv.len(), 4);
        assert_eq!(
            argv[1],
            format!("--branch={}", values(Placeholder::Branch).unwrap())
        );
        assert_eq!(argv[2], "octo/app@abc123");
        assert_eq!(argv[3], "{literal} https://github.com/octo/app");
        // Braces that are not a placeholder's are text.
        let c = cmd(line("awk '{print $1}' {}"), false).unwrap();
        assert_eq!(c.argv(values).unwrap(), ["awk", "{print $1}", "{}"]);
    }

    #[test]
    fn a_missing_value_names_the_placeholder() {
        let c = cmd(line("gh pr view {number} -R {repo}"), false).unwrap();
        let err = c
            .argv(|p| (p != Placeholder::Number).then(|| "x".to_string()))
            .unwrap_err();
        assert_eq!(err, Placeholder::Number);
        assert_eq!(err.to_string(), "{number}");
    }

    #[test]
    fn shell_scripts_get_values_as_positional_parameters() {
        let c = cmd(
            line("echo {branch} \"in {repo}\" 'at {sha}' && echo {branch} \\{name}"),
            true,
        )
        .unwrap();
        let argv = c.argv(values).unwrap();
        assert_eq!(argv[..2], ["sh", "-c"]);
        assert_eq!(
            argv[2],
            "echo \"${1}\" \"in ${2}\" 'at '\"${3}\"'' && echo \"${1}\" \"${4}\""
        );
        assert_eq!(argv[3], "repodeck");
        assert_eq!(
            argv[4..],
            [
                values(Placeholder::Branch).unwrap(),
                "octo/app".into(),
                "abc123".into(),
                "app".into()
            ]
        );
        // A value never enters the script.
        assert!(!argv[2].contains("touch"));
    }

    fn raw(toml_text: &str) -> Result<Vec<UserCommand>, String> {
        #[derive(serde::Deserialize)]
        struct File {
            commands: Vec<RawCommand>,
        }
        let f: File = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        user_commands(f.commands)
    }

    #[test]
    fn config_errors_name_the_entry_and_the_fix() {
        let e = raw("[[commands]]\nkey = \"G\"\nrun = \"echo {brnach}\"\n").unwrap_err();
        assert_eq!(
            e,
            "[[commands]] entry 1 (key \"G\"): key `commands.run`: unknown placeholder `{brnach}`; did you mean `{branch}`? (write {{ and }} for literal braces)"
        );
        let e = raw("[[commands]]\nkey = \"G\"\nrun = \"echo {commit}\"\n").unwrap_err();
        assert!(
            e.contains("use {repo}, {owner}, {name}, {number}, {sha}, {url}, {branch}"),
            "{e}"
        );
        let e = raw("[[commands]]\nkey = \"x\"\nrun = \"a\"\n[[commands]]\nkey = \"y\"\nscreen = \"pull\"\nrun = \"b\"\n").unwrap_err();
        assert!(
            e.starts_with("[[commands]] entry 2 (key \"y\"): key `commands.screen` is \"pull\": use one of \"any\", \"list\""),
            "{e}"
        );
        let e = raw("[[commands]]\nkey = \"x\"\nrun = \"a\"\nmode = \"later\"\n").unwrap_err();
        assert!(e.contains("use \"terminal\""), "{e}");
        let e = raw("[[commands]]\nrun = \"a\"\n").unwrap_err();
        assert!(e.contains("`commands.key` is missing"), "{e}");
        let e = raw("[[commands]]\nkey = \"x\"\n").unwrap_err();
        assert!(e.contains("`commands.run` is missing"), "{e}");
        let e = raw("[[commands]]\nkey = \"x\"\nrun = \"echo 'open\"\n").unwrap_err();
        assert!(e.contains("cannot split"), "{e}");
        let e = raw("[[commands]]\nkey = \"x\"\nrun = [\"a\", 1]\n").unwrap_err();
        assert!(e.contains("every argument is a string"), "{e}");
        let e = raw("[[commands]]\nkey = \"x\"\nshell = true\nrun = [\"a\"]\n").unwrap_err();
        assert!(e.contains("one string"), "{e}");
        let e = raw("[[commands]]\nkey = \"x\"\nrun = []\n").unwrap_err();
        assert!(e.contains("names no program"), "{e}");
        let ok = raw("[[commands]]\nkey = \"ctrl+g\"\nscreen = \"PRs\"\nrun = \"gh pr checkout {number}\"\nmode = \"background\"\ndescription = \"check out\"\n").unwrap();
        assert_eq!(ok[0].screen, CommandScreen::Pulls);
        assert_eq!(ok[0].mode, RunMode::Background);
        assert_eq!(ok[0].description, "check out");
        assert_eq!(ok[0].placeholders(), [Placeholder::Number]);
    }

    #[test]
    fn screens_overlap_where_both_can_be_on_screen() {
        use CommandScreen as C;
        assert!(C::Any.overlaps(C::Jobs) && C::Detail.overlaps(C::Pulls));
        assert!(C::Pulls.overlaps(C::Pulls) && C::Commits.overlaps(C::Detail));
        assert!(!C::Pulls.overlaps(C::Issues) && !C::List.overlaps(C::Detail));
        // An open PR or issue is on its tab of the repo screen; the Attention screen is apart.
        assert!(C::Pr.overlaps(C::Pulls) && C::Detail.overlaps(C::Pr) && C::Any.overlaps(C::Pr));
        assert!(C::Issues.overlaps(C::Issue) && C::Issue.overlaps(C::Detail));
        assert!(!C::Pr.overlaps(C::Issues) && !C::Issue.overlaps(C::Pulls));
        assert!(!C::Pr.overlaps(C::Issue) && !C::Pr.overlaps(C::Commits));
        assert!(C::Attention.overlaps(C::Any) && C::Attention.overlaps(C::Attention));
        assert!(!C::Attention.overlaps(C::Pulls) && !C::Attention.overlaps(C::Detail));
    }

    #[test]
    fn the_new_screens_parse_by_name() {
        for (name, screen) in [
            ("pr", CommandScreen::Pr),
            ("PR", CommandScreen::Pr),
            ("pull_request", CommandScreen::Pr),
            ("issue", CommandScreen::Issue),
            ("attention", CommandScreen::Attention),
        ] {
            assert_eq!(CommandScreen::parse(name), Some(screen), "{name}");
        }
        for c in CommandScreen::ALL {
            assert_eq!(CommandScreen::parse(c.name()), Some(c));
        }
        let e = raw("[[commands]]\nkey = \"x\"\nscreen = \"queue\"\nrun = \"a\"\n").unwrap_err();
        assert!(
            e.contains("\"pr\", \"issue\", \"attention\", \"activity\""),
            "{e}"
        );
    }
}
