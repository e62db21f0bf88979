//! Notifications: turns new activity into what the config's `[[notify]]` rules ask for — a bell,
//! an OSC 9 / OSC 777 desktop notification from the terminal itself (wrapped for tmux
//! passthrough under `$TMUX`), or a program given the change as JSON on stdin — within each
//! rule's quiet hours and rate cap (the rest summarized in one notification; what quiet hours
//! silenced is summarized in one notification when they end).
//!
//! [`Notifier`] only decides (pure, clock passed in); the front ends deliver: the TUI writes
//! [`Delivery::Terminal`] bytes through its backend between frames, `serve` and
//! `activity --follow` to their terminal ([`terminal_writer`]), and [`spawn_command`] runs a
//! [`Delivery::Command`] in the background with a timeout, logging a failure and never stopping
//! the caller. GitHub text passes `sanitize` and loses `;` before it enters an OSC payload.
//! Neighbours: `config` (the rules), `domain` (`ActivityEntry`, `Change`), `sanitize`, `fmt`.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};
use serde_json::{Value, json};

use crate::config::{NotifyRule, NotifyVia, QuietHours};
use crate::domain::{ActivityEntry, Change};
use crate::fmt::rfc3339;
use crate::sanitize;

/// The rate cap's window.
const WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(60);
/// Longest title or body put in a notification, in characters.
const MAX_TEXT: usize = 200;
/// At most this many repository names are listed in a summary.
const SUMMARY_REPOS: usize = 5;

/// What to send for one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Bytes for the terminal: BEL, OSC 9 or OSC 777 (tmux-wrapped under `$TMUX`).
    Terminal(Vec<u8>),
    /// A program to run without a shell, with `stdin` (one JSON object and a newline).
    Command {
        argv: Vec<String>,
        timeout: Duration,
        stdin: Vec<u8>,
    },
}

/// One notification's text (already sanitized) and its JSON form for commands.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    title: String,
    body: String,
    json: Value,
}

/// One rule with its compiled globs and its rate-cap window.
#[derive(Debug)]
struct Rule {
    kinds: Option<Vec<String>>,
    repos: Option<globset::GlobSet>,
    via: NotifyVia,
    quiet: Option<QuietHours>,
    cap: u32,
    /// Start of the current one-minute window and how many were sent in it.
    window: Option<DateTime<Utc>>,
    sent: u32,
    /// Held back by the cap in this window: how many, and from which repos.
    held: u32,
    held_repos: Vec<String>,
    /// Silenced by quiet hours since they began: how many, and from which repos.
    hushed: u32,
    hushed_repos: Vec<String>,
}

/// Decides which notifications the rules ask for. Owned by one front end's loop.
#[derive(Debug)]
pub struct Notifier {
    rules: Vec<Rule>,
    tmux: bool,
}

impl Notifier {
    /// `tmux`: wrap OSC sequences for tmux passthrough (`$TMUX` is set).
    pub fn new(rules: &[NotifyRule], tmux: bool) -> Notifier {
        let rules = rules.iter().map(Rule::new).collect();
        Notifier { rules, tmux }
    }

    /// The rules with tmux detected from the environment.
    pub fn from_env(rules: &[NotifyRule]) -> Notifier {
        let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
        Notifier::new(rules, tmux)
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What to send for newly detected activity, at `now` (`local`: the local time of day, for
    /// quiet hours). Includes the summary of a window that ended.
    pub fn on_activity(
        &mut self,
        entries: &[ActivityEntry],
        now: DateTime<Utc>,
        local: NaiveTime,
    ) -> Vec<Delivery> {
        let mut out = self.tick(now, local);
        for e in entries {
            for rule in &mut self.rules {
                if !rule.matches(e) {
                    continue;
                }
                if rule.is_quiet(local) {
                    rule.hush(1, std::slice::from_ref(&e.full_name));
                    continue;
                }
                if rule.admit(now) {
                    out.push(rule.deliver(&entry_message(e), self.tmux));
                } else {
                    rule.hold(&e.full_name);
                }
            }
        }
        out
    }

    /// Summaries of rate-cap windows that have ended, and of quiet hours that have (call it
    /// every few seconds).
    pub fn tick(&mut self, now: DateTime<Utc>, local: NaiveTime) -> Vec<Delivery> {
        let mut out = Vec::new();
        for rule in &mut self.rules {
            if let Some(msg) = rule.roll(now, local) {
                out.push(rule.deliver(&msg, self.tmux));
            }
            if let Some(msg) = rule.wake(now, local) {
                out.push(rule.deliver(&msg, self.tmux));
            }
        }
        out
    }
}

impl Rule {
    fn new(r: &NotifyRule) -> Rule {
        let repos = (!r.repos.is_empty()).then(|| {
            let mut b = globset::GlobSetBuilder::new();
            for p in &r.repos {
                // Validated at config load; a pattern that fails here is skipped.
                if let Ok(g) = globset::GlobBuilder::new(p.trim())
                    .case_insensitive(true)
                    .literal_separator(true)
                    .build()
                {
                    b.add(g);
                }
            }
            b.build().unwrap_or_else(|_| globset::GlobSet::empty())
        });
        Rule {
            kinds: r.kinds.clone(),
            repos,
            via: r.via.clone(),
            quiet: r.quiet,
            cap: r.max_per_minute.max(1),
            window: None,
            sent: 0,
            held: 0,
            held_repos: Vec::new(),
            hushed: 0,
            hushed_repos: Vec::new(),
        }
    }

    fn matches(&self, e: &ActivityEntry) -> bool {
        let kind_ok = self
            .kinds
            .as_ref()
            .is_none_or(|k| k.iter().any(|k| k == e.change.kind()));
        kind_ok && self.repos.as_ref().is_none_or(|g| g.is_match(&e.full_name))
    }

    fn is_quiet(&self, local: NaiveTime) -> bool {
        self.quiet.is_some_and(|q| q.contains(local))
    }

    /// Counts one notification into the current window; false when the cap is reached.
    fn admit(&mut self, now: DateTime<Utc>) -> bool {
        match self.window {
            Some(start) if now - start < WINDOW => {
                if self.sent >= self.cap {
                    return false;
                }
                self.sent += 1;
            }
            _ => {
                self.window = Some(now);
                self.sent = 1;
            }
        }
        true
    }

    /// Counts changes silenced by quiet hours, for the summary when they end.
    fn hush(&mut self, count: u32, repos: &[String]) {
        self.hushed += count;
        for repo in repos {
            if !self.hushed_repos.iter().any(|r| r == repo) {
                self.hushed_repos.push(repo.clone());
            }
        }
    }

    /// Quiet hours are over and silenced changes: their one summary, counted under the rate cap
    /// (when the current minute is full, it waits for the next one).
    fn wake(&mut self, now: DateTime<Utc>, local: NaiveTime) -> Option<Message> {
        if self.hushed == 0 || self.is_quiet(local) || !self.admit(now) {
            return None;
        }
        let msg = quiet_message(self.hushed, &self.hushed_repos);
        self.hushed = 0;
        self.hushed_repos.clear();
        Some(msg)
    }

    fn hold(&mut self, repo: &str) {
        self.held += 1;
        if !self.held_repos.iter().any(|r| r == repo) {
            self.held_repos.push(repo.to_string());
        }
    }

    /// Ends a window that is over: the summary of what it held back, which opens the next
    /// window (so no minute ever sees more than the cap). In quiet hours it joins the quiet
    /// hours' summary instead.
    fn roll(&mut self, now: DateTime<Utc>, local: NaiveTime) -> Option<Message> {
        let start = self.window?;
        if now - start < WINDOW {
            return None;
        }
        self.window = None;
        self.sent = 0;
        if self.held == 0 {
            return None;
        }
        if self.is_quiet(local) {
            let repos = std::mem::take(&mut self.held_repos);
            self.hush(self.held, &repos);
            self.held = 0;
            return None;
        }
        let msg = summary_message(self.held, &self.held_repos);
        self.held = 0;
        self.held_repos.clear();
        self.window = Some(now);
        self.sent = 1;
        Some(msg)
    }

    fn deliver(&self, msg: &Message, tmux: bool) -> Delivery {
        match &self.via {
            NotifyVia::Bell => Delivery::Terminal(bell()),
            NotifyVia::Osc9 => Delivery::Terminal(osc9(&msg.title, &msg.body, tmux)),
            NotifyVia::Osc777 => Delivery::Terminal(osc777(&msg.title, &msg.body, tmux)),
            NotifyVia::Command { argv, timeout } => {
                let mut stdin = msg.json.to_string().into_bytes();
                stdin.push(b'\n');
                Delivery::Command {
                    argv: argv.clone(),
                    timeout: *timeout,
                    stdin,
                }
            }
        }
    }
}

/// Text safe inside an OSC payload: no control characters or escapes (so no BEL, ESC or ST can
/// end the sequence early), no `;` (the field separator), and not too long.
pub fn payload(s: &str) -> String {
    let clean = sanitize::line(s).replace(';', ",");
    sanitize::truncate_chars(clean.trim(), MAX_TEXT).into_owned()
}

/// The terminal bell. Not wrapped under tmux: tmux handles BEL itself (`bell-action`).
pub fn bell() -> Vec<u8> {
    vec![0x07]
}

/// `ESC ] 9 ; title: body BEL` (iTerm2, kitty, WezTerm, Windows Terminal, ConEmu...).
pub fn osc9(title: &str, body: &str, tmux: bool) -> Vec<u8> {
    let seq = format!("\u{1b}]9;{}: {}\u{7}", payload(title), payload(body));
    wrap(seq.into_bytes(), tmux)
}

/// `ESC ] 777 ; notify ; title ; body BEL` (foot, WezTerm, kitty, urxvt, VTE terminals...).
pub fn osc777(title: &str, body: &str, tmux: bool) -> Vec<u8> {
    let seq = format!(
        "\u{1b}]777;notify;{};{}\u{7}",
        payload(title),
        payload(body)
    );
    wrap(seq.into_bytes(), tmux)
}

/// tmux passthrough: `ESC P tmux; <the sequence, every ESC doubled> ESC \` (tmux 3.3+ needs
/// `set -g allow-passthrough on`).
fn wrap(seq: Vec<u8>, tmux: bool) -> Vec<u8> {
    if !tmux {
        return seq;
    }
    let mut out = b"\x1bPtmux;".to_vec();
    for b in seq {
        if b == 0x1b {
            out.push(0x1b);
        }
        out.push(b);
    }
    out.extend_from_slice(b"\x1b\\");
    out
}

fn entry_message(e: &ActivityEntry) -> Message {
    let mut json = entry_json(e);
    let title = payload(&format!("repodeck: {}", e.full_name));
    let body = payload(&e.change.to_string());
    if let Value::Object(map) = &mut json {
        map.insert("title".into(), json!(title));
        map.insert("body".into(), json!(body));
    }
    Message { title, body, json }
}

/// The first few repository names (sanitized), and how many more.
fn repo_list(repos: &[String]) -> String {
    let mut names: Vec<String> = repos
        .iter()
        .take(SUMMARY_REPOS)
        .map(|r| sanitize::line(r).into_owned())
        .collect();
    if repos.len() > SUMMARY_REPOS {
        names.push(format!("and {} more", repos.len() - SUMMARY_REPOS));
    }
    names.join(", ")
}

/// "N changes during quiet hours: a/1, b/2": what quiet hours silenced, sent when they end.
fn quiet_message(count: u32, repos: &[String]) -> Message {
    let title = "repodeck".to_string();
    let body = payload(&format!(
        "{count} change{} during quiet hours: {}",
        if count == 1 { "" } else { "s" },
        repo_list(repos)
    ));
    let json = json!({
        "kind": "quiet_summary",
        "count": count,
        "repos": repos,
        "title": title,
        "body": body,
    });
    Message { title, body, json }
}

fn summary_message(count: u32, repos: &[String]) -> Message {
    let title = "repodeck".to_string();
    let body = payload(&format!(
        "{count} more change{} in {} repo{} ({})",
        if count == 1 { "" } else { "s" },
        repos.len(),
        if repos.len() == 1 { "" } else { "s" },
        repo_list(repos)
    ));
    let json = json!({
        "kind": "summary",
        "count": count,
        "repos": repos,
        "title": title,
        "body": body,
    });
    Message { title, body, json }
}

/// A change as a flat JSON object: `{"kind", "repo", "text", ...its fields}`.
pub fn change_json(repo: &str, c: &Change) -> Value {
    let mut map = match serde_json::to_value(c) {
        Ok(Value::Object(outer)) => match outer.into_iter().next() {
            Some((_, Value::Object(fields))) => fields,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    };
    map.insert("kind".into(), json!(c.kind()));
    map.insert("repo".into(), json!(repo));
    map.insert("text".into(), json!(c.to_string()));
    Value::Object(map)
}

/// An activity entry as `activity --json` prints it (and a command gets it, with its title and
/// body).
pub fn entry_json(e: &ActivityEntry) -> Value {
    json!({
        "seq": e.seq,
        "repo": e.full_name,
        "repo_id": e.repo.0,
        "at": rfc3339(e.at),
        "kind": e.change.kind(),
        "change": change_json(&e.full_name, &e.change),
        "text": e.change.to_string(),
        "read": e.read,
    })
}

/// The current time and the local time of day (for quiet hours).
pub fn clock() -> (DateTime<Utc>, NaiveTime) {
    (Utc::now(), chrono::Local::now().time())
}

/// Where a headless front end writes terminal notifications: stdout when it is a terminal and
/// carries no machine output (`json`), else stderr when that is a terminal, else nowhere.
pub fn terminal_writer(json: bool) -> Option<Box<dyn Write + Send>> {
    use std::io::IsTerminal;
    if !json && std::io::stdout().is_terminal() {
        Some(Box::new(std::io::stdout()))
    } else if std::io::stderr().is_terminal() {
        Some(Box::new(std::io::stderr()))
    } else {
        None
    }
}

/// A notifier with where it delivers, for the headless front ends (`serve`, `activity
/// --follow`): the terminal of [`terminal_writer`], commands when `commands`.
pub struct Sink {
    notifier: Notifier,
    term: Option<Box<dyn Write + Send>>,
    commands: bool,
}

impl Sink {
    /// `json`: stdout carries machine output, so the terminal is reached through stderr.
    pub fn new(rules: &[NotifyRule], json: bool, commands: bool) -> Sink {
        let notifier = Notifier::from_env(rules);
        let term = if notifier.is_empty() {
            None
        } else {
            terminal_writer(json)
        };
        Sink {
            notifier,
            term,
            commands,
        }
    }

    /// Newly detected activity.
    pub fn activity(&mut self, entries: &[ActivityEntry]) {
        if self.notifier.is_empty() {
            return;
        }
        let (now, local) = clock();
        let due = self.notifier.on_activity(entries, now, local);
        self.send(due);
    }

    /// Sends the summary of a rate-cap window that ended (call it every few seconds).
    pub fn tick(&mut self) {
        if self.notifier.is_empty() {
            return;
        }
        let (now, local) = clock();
        let due = self.notifier.tick(now, local);
        self.send(due);
    }

    fn send(&mut self, due: Vec<Delivery>) {
        let term = self.term.as_deref_mut().map(|w| w as &mut dyn Write);
        deliver(due, term, self.commands);
    }
}

/// Delivers: terminal bytes to `term` (skipped when `None`), commands spawned on the current
/// tokio runtime when `commands` (the process that syncs runs them; attached views do not).
pub fn deliver(deliveries: Vec<Delivery>, term: Option<&mut dyn Write>, commands: bool) {
    let mut term = term;
    for d in deliveries {
        match d {
            Delivery::Terminal(bytes) => {
                if let Some(w) = term.as_deref_mut() {
                    let _ = w.write_all(&bytes).and_then(|()| w.flush());
                }
            }
            Delivery::Command {
                argv,
                timeout,
                stdin,
            } if commands => spawn_command(argv, timeout, stdin),
            Delivery::Command { .. } => {}
        }
    }
}

/// Runs a notification command in the background (needs a tokio runtime); a failure or a
/// timeout is logged, never raised.
pub fn spawn_command(argv: Vec<String>, timeout: Duration, stdin: Vec<u8>) {
    tokio::spawn(async move {
        if let Err(e) = run_command(&argv, timeout, &stdin).await {
            tracing::warn!(program = %argv.first().map(String::as_str).unwrap_or(""), error = %e, "notify command failed");
        }
    });
}

/// Runs one notification command to its end: stdout and stderr go nowhere (the TUI owns the
/// terminal), stdin gets the JSON; killed after `timeout`.
pub async fn run_command(argv: &[String], timeout: Duration, stdin: &[u8]) -> Result<(), String> {
    use tokio::io::AsyncWriteExt;
    let (program, args) = argv.split_first().ok_or("no program given")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let run = async {
        if let Some(mut pipe) = child.stdin.take() {
            // A program that does not read its stdin is not an error.
            let _ = pipe.write_all(stdin).await;
            drop(pipe);
        }
        child.wait().await
    };
    match tokio::time::timeout(timeout, run).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("it exited with {status}")),
        Ok(Err(e)) => Err(format!("waiting for it failed: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "it was still running after {}s and was stopped",
                timeout.as_secs_f64()
            ))
        }
    }
}

#[cfg(test)]
mod tests;
