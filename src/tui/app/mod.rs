//! `App`: the whole UI state and `App::update(Action) -> Vec<Effect>`, synchronous and free of I/O,
//! so every behaviour is a unit test. The runtime feeds it key actions, ticks (the only clock),
//! sync events and store reads, and carries out the effects it returns. Rendering (`view.rs`,
//! `screens/`) only reads it, through the accessors here; nothing outside `app/` writes a field.
//!
//! The parts: `state` (the plain types), `list` (repos, filter, sort, marks), `detail` (the repo
//! screen and URLs), `jobs` (sync jobs and sync requests), `screen` (keyed actions outside
//! dialogs), `dialogs` (every dialog and the named actions they share with the command line),
//! `command` (the `:` line, parsed into the same actions), `events` (sync events), `item` (a pull
//! request or issue opened on the repo screen).

mod activity;
mod attention;
mod command;
mod detail;
mod dialogs;
mod events;
mod item;
mod items;
mod jobs;
mod list;
mod screen;
mod state;
mod stats;
mod user_commands;

use std::collections::{BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use tui_input::Input;

use super::action::{Action, Effect};
use super::keymap::{Keymap, Mode};
use super::theme::Theme;
use crate::domain::{ActivityEntry, LocalId, RateBucket, Release, TokenUse, TrackedRepo};
use crate::sanitize;
use crate::sync::WaitReason;

pub use activity::ActivityFilter;
pub use attention::{AttentionRow, AttentionView};
pub use command::{COMMANDS, parse_import, validate_keys};
pub use state::{
    Cursor, DONE_JOBS_KEPT, Detail, Dialog, Env, Item, Job, JobState, LIST_TOP, Level, Loaded,
    MIN_HEIGHT, MIN_WIDTH, SEARCH_LIMIT, STALE_FLOOR_MINS, STATUS_MIN_SECS, STATUS_QUEUE,
    STATUS_SECS, Screen, SessionCost, Sort, StatusMsg, Tab, stale_after,
};
pub use stats::{StatsState, StatsView};
pub use user_commands::{BoundCommand, OUTPUT_LINES, bind_commands};

pub struct App {
    now: DateTime<Utc>,
    width: u16,
    height: u16,
    theme: Theme,
    keymap: Keymap,
    env: Env,
    /// The token the engine uses, as its id's text (for the rate panel).
    token: Option<String>,
    /// The freshness scheduler's plan as last published by the engine.
    plan: Option<crate::domain::FreshnessPlan>,

    repos: Vec<TrackedRepo>,
    index: HashMap<LocalId, usize>,
    /// Indices into `repos` in display order (filtered and sorted).
    view: Vec<usize>,
    list: Cursor,
    sort: Sort,
    sort_rev: bool,
    filter: Input,
    /// The last filter text that parsed: what the list shows.
    filter_parsed: crate::filter::Filter,
    /// Why the filter line's text does not parse (shown in the filter bar).
    filter_error: Option<String>,
    filtering: bool,
    marked: BTreeSet<LocalId>,
    /// True until the first read of the store arrives.
    loading: bool,

    jobs: HashMap<LocalId, Job>,
    job_seq: u64,
    jobs_cursor: Cursor,
    rate: Vec<RateBucket>,
    pause: Option<(WaitReason, DateTime<Utc>)>,
    session: SessionCost,
    /// Per-token use from the audit log over the last 24 h; `None` until read.
    token_use: Option<Vec<TokenUse>>,

    screen: Screen,
    back: Vec<Screen>,
    detail: Detail,
    /// The activity screen's rows (what its filters let through), the whole feed, the filters.
    activity: Loaded<ActivityEntry>,
    activity_all: Vec<ActivityEntry>,
    activity_filter: ActivityFilter,
    releases: Loaded<(String, Release)>,
    rate_scroll: usize,
    /// The Attention screen (`W`).
    attention: AttentionView,

    dialog: Option<Dialog>,
    status: Option<StatusMsg>,
    /// Background messages waiting for the status line (see `tell`).
    queued: VecDeque<(String, Level)>,
    /// Repos named by the "removed ..." message on the status line.
    removed: Vec<String>,
    history: Vec<String>,
    quit: bool,
    /// `t` was pressed and the runtime is opening the store (or attaching to its new host).
    taking_over: bool,
    /// Something visible changed since the last draw.
    dirty: bool,
    /// The user's `[[commands]]`, their keys parsed and checked.
    commands: Vec<user_commands::BoundCommand>,
    /// The repo last sent to the engine as the focus (`SyncCommand::Focus`).
    focused: Option<LocalId>,
}

impl App {
    pub fn new(now: DateTime<Utc>, theme: Theme, keymap: Keymap, env: Env) -> App {
        App {
            now,
            width: 80,
            height: 24,
            theme,
            keymap,
            env,
            token: None,
            plan: None,
            repos: Vec::new(),
            index: HashMap::new(),
            view: Vec::new(),
            list: Cursor::default(),
            sort: Sort::Name,
            sort_rev: false,
            filter: Input::default(),
            filter_parsed: crate::filter::Filter::default(),
            filter_error: None,
            filtering: false,
            marked: BTreeSet::new(),
            loading: true,
            jobs: HashMap::new(),
            job_seq: 0,
            jobs_cursor: Cursor::default(),
            rate: Vec::new(),
            pause: None,
            session: SessionCost::default(),
            token_use: None,
            screen: Screen::List,
            back: Vec::new(),
            detail: Detail::default(),
            activity: Loaded::default(),
            activity_all: Vec::new(),
            activity_filter: ActivityFilter::default(),
            releases: Loaded::default(),
            rate_scroll: 0,
            attention: AttentionView::default(),
            dialog: None,
            status: None,
            queued: VecDeque::new(),
            removed: Vec::new(),
            history: Vec::new(),
            quit: false,
            taking_over: false,
            dirty: true,
            commands: Vec::new(),
            focused: None,
        }
    }

    /// Convenience for tests and the bench: a loaded app.
    pub fn with_repos(mut self, repos: Vec<TrackedRepo>) -> App {
        let _ = self.update(Action::ReposLoaded(repos));
        self
    }

    /// Tests change the surroundings mid-scenario (a browser appears, the engine goes away).
    #[cfg(test)]
    pub(crate) fn env_mut(&mut self) -> &mut Env {
        &mut self.env
    }

    /// Tests draw one scenario with several themes.
    #[cfg(test)]
    pub(crate) fn set_theme(&mut self, theme: Theme) {
        self.theme = theme;
        self.dirty = true;
    }

    // ----- read access for rendering, the runtime and tests -----

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }
    pub fn width(&self) -> u16 {
        self.width
    }
    pub fn height(&self) -> u16 {
        self.height
    }
    pub fn theme(&self) -> &Theme {
        &self.theme
    }
    pub fn keymap(&self) -> &Keymap {
        &self.keymap
    }
    pub fn env(&self) -> &Env {
        &self.env
    }
    /// The token the engine uses, as its id's text (for the rate panel).
    pub fn plan(&self) -> Option<&crate::domain::FreshnessPlan> {
        self.plan.as_ref()
    }

    pub fn set_plan(&mut self, plan: crate::domain::FreshnessPlan) {
        self.plan = Some(plan);
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    pub fn repos(&self) -> &[TrackedRepo] {
        &self.repos
    }
    /// Indices into `repos()` in display order (filtered and sorted).
    pub fn view(&self) -> &[usize] {
        &self.view
    }
    pub fn list(&self) -> Cursor {
        self.list
    }
    pub fn sort(&self) -> Sort {
        self.sort
    }
    pub fn sort_rev(&self) -> bool {
        self.sort_rev
    }
    pub fn filter(&self) -> &Input {
        &self.filter
    }
    /// Why the filter line's text does not parse; the list keeps the last valid filter.
    pub fn filter_error(&self) -> Option<&str> {
        self.filter_error.as_deref()
    }
    /// The filter line has the keyboard.
    pub fn filtering(&self) -> bool {
        self.filtering
    }
    pub fn marked(&self) -> &BTreeSet<LocalId> {
        &self.marked
    }
    /// True until the first read of the store arrives.
    pub fn loading(&self) -> bool {
        self.loading
    }
    pub fn jobs(&self) -> &HashMap<LocalId, Job> {
        &self.jobs
    }
    pub fn jobs_cursor(&self) -> Cursor {
        self.jobs_cursor
    }
    pub fn rate(&self) -> &[RateBucket] {
        &self.rate
    }
    pub fn pause(&self) -> Option<&(WaitReason, DateTime<Utc>)> {
        self.pause.as_ref()
    }
    pub fn session(&self) -> SessionCost {
        self.session
    }
    /// Per-token use from the audit log (last 24 h), once read.
    pub fn token_use(&self) -> Option<&[TokenUse]> {
        self.token_use.as_deref()
    }
    pub fn screen(&self) -> Screen {
        self.screen
    }
    pub fn detail(&self) -> &Detail {
        &self.detail
    }
    pub fn activity(&self) -> &Loaded<ActivityEntry> {
        &self.activity
    }
    pub fn releases(&self) -> &Loaded<(String, Release)> {
        &self.releases
    }
    pub fn rate_scroll(&self) -> usize {
        self.rate_scroll
    }
    pub fn dialog(&self) -> Option<&Dialog> {
        self.dialog.as_ref()
    }
    pub fn status(&self) -> Option<&StatusMsg> {
        self.status.as_ref()
    }
    /// Lines run in command mode, oldest first.
    pub fn history(&self) -> &[String] {
        &self.history
    }
    /// Attached, and the host has gone: `t` takes the store over.
    pub fn host_gone(&self) -> bool {
        self.env.host.is_some() && !self.env.engine
    }
    /// `t` was pressed and the store is being opened here.
    pub fn taking_over(&self) -> bool {
        self.taking_over
    }
    /// The user asked to quit.
    pub fn quit(&self) -> bool {
        self.quit
    }
    /// Something visible changed since the last draw.
    pub fn dirty(&self) -> bool {
        self.dirty
    }
    /// Whether a draw is due; the runtime calls it once per frame it considers, and draws when
    /// it says so.
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    // ----- queries used by rendering -----

    pub fn mode(&self) -> Mode {
        match &self.dialog {
            Some(Dialog::Help { .. }) => return Mode::Help,
            Some(Dialog::ConfirmRemove { .. }) => return Mode::Confirm,
            Some(Dialog::Notice { .. }) => return Mode::Notice,
            Some(_) => return Mode::Input,
            None => {}
        }
        if self.filtering {
            return Mode::Input;
        }
        match self.screen {
            Screen::List => Mode::List,
            Screen::Detail if self.detail.commit.is_some() => Mode::Commit,
            Screen::Detail if self.detail.item.is_some() => Mode::Item,
            Screen::Detail => Mode::Detail,
            Screen::Activity => Mode::Activity,
            Screen::Releases => Mode::Releases,
            Screen::Jobs => Mode::Jobs,
            Screen::Rate => Mode::Rate,
            Screen::Attention => Mode::Attention,
        }
    }

    pub fn repo(&self, local: LocalId) -> Option<&TrackedRepo> {
        self.index.get(&local).and_then(|i| self.repos.get(*i))
    }

    pub fn selected_repo(&self) -> Option<&TrackedRepo> {
        self.view
            .get(self.list.sel)
            .and_then(|i| self.repos.get(*i))
    }

    /// The repo the current screen is about.
    pub fn current_repo(&self) -> Option<&TrackedRepo> {
        match self.screen {
            Screen::Detail => self.detail.local.and_then(|l| self.repo(l)),
            Screen::Activity => {
                let e = self.activity.rows.get(self.activity.cursor.sel)?;
                self.repos.iter().find(|r| r.id == Some(e.repo))
            }
            Screen::Attention => self.attention.selected()?.local.and_then(|l| self.repo(l)),
            Screen::Jobs => self
                .sorted_jobs()
                .get(self.jobs_cursor.sel)
                .and_then(|j| self.repo(j.local)),
            _ => self.selected_repo(),
        }
    }

    pub fn changed_count(&self) -> usize {
        self.repos.iter().filter(|r| r.unread > 0).count()
    }

    pub fn is_stale(&self, r: &TrackedRepo) -> bool {
        match (self.env.stale_after, r.last_synced_at) {
            (Some(after), Some(at)) => self.now - at > after,
            _ => false,
        }
    }

    /// Rows a list body has at the current height (header, title, column header and footer excluded).
    pub fn page(&self) -> usize {
        (self.height.saturating_sub(LIST_TOP + 1) as usize).max(1)
    }

    // ----- update -----

    /// Applies one action; returns what the runtime must do. No I/O happens here.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick { now } => {
                self.tick(now);
                self.stats_wanted(&mut fx);
                self.items_wanted(&mut fx);
                return fx;
            }
            Action::Resize { width, height } => self.resize(width, height),
            Action::Engine(ev) => self.on_sync(*ev, &mut fx),
            Action::ReposLoaded(repos) => self.repos_loaded(repos),
            Action::ReposPreview(repos) => self.repos_preview(repos),
            Action::DetailsLoaded { local, details } => self.details_loaded(local, *details),
            Action::ActivityLoaded { repo, entries } => self.activity_loaded(repo, entries),
            Action::TokenUseLoaded(rows) => self.token_use = Some(rows),
            Action::ReleasesLoaded(rows) => {
                self.releases.rows = rows;
                self.releases.loading = false;
            }
            Action::Failed { message } => {
                self.notice("Something went wrong", &message, Level::Error, None)
            }
            Action::Unlocked => {
                self.env.engine = true;
                self.tell("vault unlocked: syncing with its tokens", Level::Info);
            }
            Action::PassphraseNeeded { retry } => self.ask_passphrase(retry),
            Action::EngineStopped if self.env.host.is_some() => self.host_stopped(),
            Action::TakeOver => self.take_over(&mut fx),
            Action::TookOver {
                pid,
                engine,
                locked,
                notices,
            } => self.took_over(pid, (engine, locked), &notices, &mut fx),
            Action::Reattached { host } => self.reattached(host, &mut fx),
            Action::TakeOverFailed { message } => {
                self.taking_over = false;
                self.notice("Could not take over", &message, Level::Error, None);
            }
            Action::EngineStopped => {
                self.env.engine = false;
                self.notice(
                    "Something went wrong",
                    "The sync engine stopped; the data shown is what was last synced. Restart repodeck to sync again (the log file says why).",
                    Level::Error,
                    None,
                );
            }
            Action::Edit(e) => self.edit(e),
            Action::UserCommand(i) => self.run_command(i, &mut fx),
            Action::UserCommandDone(done) => self.command_done(*done),
            named @ (Action::ForceSyncAll
            | Action::SyncRepos { .. }
            | Action::AddRepos(_)
            | Action::RemoveRepos(_)
            | Action::ImportFrom(_)
            | Action::SearchFor(_)
            | Action::SortBy { .. }
            | Action::FilterBy(_)
            | Action::SetTheme(_)) => self.named_action(named, &mut fx),
            other if self.dialog.is_some() => self.dialog_action(other, &mut fx),
            other if self.filtering => self.filter_action(other),
            other => self.screen_action(other, &mut fx),
        }
        self.stats_wanted(&mut fx);
        self.items_wanted(&mut fx);
        self.sync_focus(&mut fx);
        self.dirty = true;
        fx
    }

    /// Applies an action from inside `update` (the command line, a dialog's submit): its effects
    /// join the caller's, so none is lost.
    fn nested(&mut self, action: Action, fx: &mut Vec<Effect>) {
        fx.extend(self.update(action));
    }

    fn tick(&mut self, now: DateTime<Utc>) {
        let before = self.now;
        self.now = now;
        self.tick_status(now);
        if self
            .pause
            .as_ref()
            .is_some_and(|(_, until)| *until <= now - chrono::Duration::seconds(5))
        {
            // The engine says Resumed; this only cleans up if that event was lost.
            self.pause = None;
            self.dirty = true;
        }
        let second = before.timestamp() != now.timestamp();
        let minute = before.timestamp() / 60 != now.timestamp() / 60;
        let countdown = self.pause.is_some()
            || self.jobs.values().any(|j| j.state.active())
            || matches!(self.screen, Screen::Rate | Screen::Jobs);
        if minute || (second && countdown) {
            self.dirty = true;
        }
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        let (len, page) = (self.view.len(), self.page());
        let sel = self.list.sel;
        self.list.to(sel, len, page);
        if self.detail.item.is_some() {
            // A wider terminal wraps the text into fewer lines: keep the scroll within them.
            self.item_scroll(0);
        }
    }

    /// A status-line message answering what the user just did: shown at once.
    fn say(&mut self, text: impl Into<String>, level: Level) {
        self.status = Some(self.status_msg(text.into(), level));
    }

    /// A status-line message about background work (a sync pass ended, an import arrived): it
    /// waits until the message on screen has been up `STATUS_MIN_SECS`, so each can be read.
    /// At most `STATUS_QUEUE` wait; beyond that the oldest waiting one is dropped.
    fn tell(&mut self, text: impl Into<String>, level: Level) {
        let young = self
            .status
            .as_ref()
            .is_some_and(|s| self.now - s.since < chrono::Duration::seconds(STATUS_MIN_SECS));
        if young || !self.queued.is_empty() {
            if self.queued.len() >= STATUS_QUEUE {
                self.queued.pop_front();
            }
            self.queued.push_back((text.into(), level));
        } else {
            self.say(text, level);
        }
    }

    fn status_msg(&self, text: String, level: Level) -> StatusMsg {
        StatusMsg {
            text,
            level,
            since: self.now,
            until: self.now + chrono::Duration::seconds(STATUS_SECS),
        }
    }

    /// Messages waiting for the status line (see `tell`).
    pub fn queued_status(&self) -> usize {
        self.queued.len()
    }

    /// The status line on a tick: the next waiting message once the current one had its time.
    fn tick_status(&mut self, now: DateTime<Utc>) {
        let min = chrono::Duration::seconds(STATUS_MIN_SECS);
        let due = match &self.status {
            None => !self.queued.is_empty(),
            Some(s) => s.until <= now || (!self.queued.is_empty() && now - s.since >= min),
        };
        if due {
            self.status = self
                .queued
                .pop_front()
                .map(|(text, level)| self.status_msg(text, level));
            self.dirty = true;
        }
    }

    /// Attached to another repodeck's store: the header names it (`attached to serve, pid N`).
    pub fn set_host(&mut self, label: Option<String>) {
        self.env.host = label;
        self.dirty = true;
    }

    /// The host this view was attached to went away: its data stays on screen, its unfinished
    /// jobs end, and `t` is offered.
    fn host_stopped(&mut self) {
        self.env.engine = false;
        self.taking_over = false;
        self.pause = None;
        let active: Vec<LocalId> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.state.active())
            .map(|(id, _)| *id)
            .collect();
        for id in active {
            self.set_job(
                id,
                JobState::Failed {
                    message: "the host stopped before this finished".into(),
                },
            );
        }
        self.notice(
            "The host stopped",
            "The repodeck this view was attached to stopped; the data shown is kept. Press t to take over the store: this view opens it and hosts it (other views can attach to it).",
            Level::Error,
            None,
        );
    }

    /// `t`: only once the host has gone, and once at a time.
    fn take_over(&mut self, fx: &mut Vec<Effect>) {
        if !self.host_gone() {
            let why = match &self.env.host {
                Some(host) => format!("{host}: t takes over only once that host has gone"),
                None => {
                    "this repodeck holds the store itself: there is nothing to take over".into()
                }
            };
            self.say(why, Level::Info);
            return;
        }
        if self.taking_over {
            self.say("already taking over the store…", Level::Info);
            return;
        }
        self.taking_over = true;
        if matches!(self.dialog, Some(Dialog::Notice { .. })) {
            self.dialog = None;
        }
        self.say("taking over the store…", Level::Info);
        fx.push(Effect::TakeOver);
    }

    /// The store is open here now: no longer attached; the list is read anew.
    fn took_over(
        &mut self,
        pid: u32,
        (engine, locked): (bool, bool),
        notices: &[String],
        fx: &mut Vec<Effect>,
    ) {
        self.taking_over = false;
        self.env.host = None;
        self.env.engine = engine;
        let how = if engine {
            ""
        } else if locked {
            ", once its token vault is unlocked"
        } else {
            " (offline: no token to sync with)"
        };
        self.say(
            format!("took over the store: this repodeck (pid {pid}) hosts it now{how}"),
            Level::Info,
        );
        fx.push(Effect::LoadRepos);
        // The passphrase dialog first: a store notice then goes to the status line.
        if locked {
            self.ask_passphrase(false);
        }
        for n in notices {
            self.store_notice(n);
        }
    }

    /// Another view took the store over first: attached to it.
    fn reattached(&mut self, host: String, fx: &mut Vec<Effect>) {
        self.taking_over = false;
        self.env.engine = true;
        self.say(
            format!("another view took the store over first: {host}"),
            Level::Info,
        );
        self.env.host = Some(host);
        fx.push(Effect::LoadRepos);
    }

    /// What opening the store found (a rebuild, lost records): shown once at start.
    pub fn store_notice(&mut self, text: &str) {
        self.notice("Store", text, Level::Warn, None);
    }

    fn notice(&mut self, title: &str, body: &str, level: Level, url: Option<String>) {
        if self.dialog.is_none() {
            self.dialog = Some(Dialog::Notice {
                title: title.into(),
                body: sanitize::multiline(body).into_owned(),
                level,
                url,
            });
        } else {
            self.say(format!("{title}: {}", sanitize::line(body)), level);
        }
    }

    fn go(&mut self, screen: Screen) {
        if self.screen != screen {
            self.back.push(self.screen);
            self.screen = screen;
        }
    }

    fn go_back(&mut self) {
        self.screen = self.back.pop().unwrap_or(Screen::List);
    }
}
