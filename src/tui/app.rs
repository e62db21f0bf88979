//! `App`: the whole UI state and `App::update(Action) -> Vec<Effect>`, synchronous and free of I/O,
//! so every behaviour is a unit test. The runtime feeds it key actions, ticks (the only clock),
//! sync events and store reads, and carries out the effects it returns. Rendering (`view.rs`,
//! `screens/`) only reads it.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatchConfig, Matcher, Utf32Str};
use tui_input::{Input, InputRequest};

use super::action::{Action, Edit, Effect};
use super::keymap::{Keymap, Mode};
use super::theme::Theme;
use crate::domain::{
    ActivityEntry, Change, Commit, LocalId, RateBucket, Release, RepoDetails, RepoKey, SyncStatus,
    TrackedRepo,
};
use crate::sanitize;
use crate::sync::{
    ImportOptions, ImportSource, JobCost, Outcome, Passphrase, Priority, SearchHit, SyncCommand,
    SyncEvent, WaitReason,
};

/// How long a status-line message stays.
pub const STATUS_SECS: i64 = 6;
/// Finished jobs kept on the jobs screen.
pub const DONE_JOBS_KEPT: usize = 500;
/// Search results asked for.
pub const SEARCH_LIMIT: usize = 30;
/// Smallest terminal the UI draws into; below it says so.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;
/// Rows above a list body: header, title/tabs, column header.
pub const LIST_TOP: u16 = 3;

/// What the runtime found out about its surroundings.
#[derive(Debug, Clone)]
pub struct Env {
    /// A browser can be opened (`BROWSER` set, or a desktop session).
    pub can_browse: bool,
    /// A repo not synced for this long is shown stale (`sync.interval` x 2).
    pub stale_after: Option<chrono::Duration>,
    /// A sync engine is attached.
    pub engine: bool,
    /// `github.reserve`, for the rate panel.
    pub reserve: String,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            can_browse: false,
            stale_after: Some(chrono::Duration::minutes(30)),
            engine: true,
            reserve: "10%".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    List,
    Detail,
    Activity,
    Releases,
    Jobs,
    Rate,
}

/// The detail tabs, in digit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Commits,
    Branches,
    Pulls,
    Issues,
    Releases,
    Activity,
}

impl Tab {
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Commits,
        Tab::Branches,
        Tab::Pulls,
        Tab::Issues,
        Tab::Releases,
        Tab::Activity,
    ];
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Commits => "Commits",
            Tab::Branches => "Branches",
            Tab::Pulls => "PRs",
            Tab::Issues => "Issues",
            Tab::Releases => "Releases",
            Tab::Activity => "Activity",
        }
    }
}

/// The list's sort orders, cycled with `O`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Name,
    Stars,
    Pushed,
    Synced,
    Issues,
    Prs,
    Status,
}

impl Sort {
    pub const ALL: [Sort; 7] = [
        Sort::Name,
        Sort::Stars,
        Sort::Pushed,
        Sort::Synced,
        Sort::Issues,
        Sort::Prs,
        Sort::Status,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Stars => "stars",
            Sort::Pushed => "pushed",
            Sort::Synced => "synced",
            Sort::Issues => "issues",
            Sort::Prs => "prs",
            Sort::Status => "status",
        }
    }
    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL
            .into_iter()
            .find(|x| x.name() == s.trim().to_ascii_lowercase())
    }
    fn next(self) -> Sort {
        let i = Sort::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Sort::ALL[(i + 1) % Sort::ALL.len()]
    }
}

/// A selection and scroll position in a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub sel: usize,
    pub offset: usize,
}

impl Cursor {
    pub fn move_by(&mut self, delta: isize, len: usize, page: usize) {
        if len == 0 {
            *self = Cursor::default();
            return;
        }
        let sel = (self.sel as isize + delta).clamp(0, len as isize - 1) as usize;
        self.to(sel, len, page);
    }
    pub fn to(&mut self, sel: usize, len: usize, page: usize) {
        self.sel = sel.min(len.saturating_sub(1));
        let page = page.max(1);
        if self.sel < self.offset {
            self.offset = self.sel;
        } else if self.sel >= self.offset + page {
            self.offset = self.sel + 1 - page;
        }
        self.offset = self.offset.min(len.saturating_sub(page));
    }
    /// The offset to draw with in `rows` rows: the stored one, nudged so the selection shows.
    pub fn visible_offset(&self, len: usize, rows: usize) -> usize {
        let rows = rows.max(1);
        let mut off = self.offset.min(len.saturating_sub(rows));
        if self.sel < off {
            off = self.sel;
        } else if self.sel >= off + rows {
            off = self.sel + 1 - rows;
        }
        off
    }
}

/// Where a sync job stands.
#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Queued,
    Running {
        step: String,
    },
    Waiting {
        reason: String,
        until: DateTime<Utc>,
    },
    Done {
        note: String,
    },
    Failed {
        message: String,
    },
    Cancelled,
}

impl JobState {
    pub fn active(&self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running { .. } | JobState::Waiting { .. }
        )
    }
    /// Order on the jobs screen: running, waiting, queued, failed, then the rest.
    pub fn rank(&self) -> u8 {
        match self {
            JobState::Running { .. } => 0,
            JobState::Waiting { .. } => 1,
            JobState::Queued => 2,
            JobState::Failed { .. } => 3,
            JobState::Done { .. } => 4,
            JobState::Cancelled => 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub local: LocalId,
    pub name: String,
    pub state: JobState,
    /// When the job entered its current state.
    pub since: DateTime<Utc>,
    pub duration_ms: Option<u64>,
    pub cost: JobCost,
    pub seq: u64,
}

/// This session's spending, summed from finished jobs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCost {
    pub requests: u64,
    pub not_modified: u64,
    pub points: u64,
    pub jobs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusMsg {
    pub text: String,
    pub level: Level,
    pub until: DateTime<Utc>,
}

/// What an item of the detail screen is showing, for the repo being viewed.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub local: Option<LocalId>,
    pub tab: usize,
    pub details: Option<RepoDetails>,
    pub loading: bool,
    pub cursors: [Cursor; 7],
    /// The commit opened with Enter on the Commits tab.
    pub commit: Option<String>,
    pub fetching: HashSet<String>,
    pub fetched: HashMap<String, Commit>,
    pub commit_error: Option<String>,
    pub activity: Vec<ActivityEntry>,
    pub scroll: u16,
}

impl Detail {
    pub fn tab(&self) -> Tab {
        Tab::ALL[self.tab.min(6)]
    }
}

/// A list loaded from the store on demand.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub rows: Vec<T>,
    pub loading: bool,
    pub cursor: Cursor,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            rows: Vec::new(),
            loading: false,
            cursor: Cursor::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Dialog {
    Help {
        mode: Mode,
        scroll: usize,
    },
    Add {
        input: Input,
        error: Option<String>,
    },
    ConfirmRemove {
        ids: Vec<LocalId>,
        names: Vec<String>,
    },
    Import {
        input: Input,
        error: Option<String>,
    },
    Search {
        input: Input,
        sent: Option<String>,
        hits: Vec<SearchHit>,
        cursor: usize,
        searching: bool,
    },
    Notice {
        title: String,
        body: String,
        level: Level,
        url: Option<String>,
    },
    Passphrase {
        input: Input,
        retry: bool,
    },
    Command {
        input: Input,
        hist: Option<usize>,
        hint: Option<String>,
    },
}

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
    ("theme", "theme default|light|mono"),
    ("help", "help"),
    ("q", "q"),
];

pub struct App {
    pub now: DateTime<Utc>,
    pub width: u16,
    pub height: u16,
    pub theme: Theme,
    pub keymap: Keymap,
    pub env: Env,
    /// The token the engine uses, as its fingerprint text (for the rate panel).
    pub token: Option<String>,

    pub repos: Vec<TrackedRepo>,
    index: HashMap<LocalId, usize>,
    /// Indices into `repos` in display order (filtered and sorted).
    pub view: Vec<usize>,
    pub list: Cursor,
    pub sort: Sort,
    pub sort_rev: bool,
    pub filter: Input,
    pub filtering: bool,
    pub marked: BTreeSet<LocalId>,
    /// True until the first read of the store arrives.
    pub loading: bool,

    pub jobs: HashMap<LocalId, Job>,
    job_seq: u64,
    pub jobs_cursor: Cursor,
    pub rate: Vec<RateBucket>,
    pub pause: Option<(WaitReason, DateTime<Utc>)>,
    pub session: SessionCost,

    pub screen: Screen,
    back: Vec<Screen>,
    pub detail: Detail,
    pub activity: Loaded<ActivityEntry>,
    pub releases: Loaded<(String, Release)>,
    pub rate_scroll: usize,

    pub dialog: Option<Dialog>,
    pub status: Option<StatusMsg>,
    pub history: Vec<String>,
    pub quit: bool,
    /// Something visible changed since the last draw.
    pub dirty: bool,
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
            repos: Vec::new(),
            index: HashMap::new(),
            view: Vec::new(),
            list: Cursor::default(),
            sort: Sort::Name,
            sort_rev: false,
            filter: Input::default(),
            filtering: false,
            marked: BTreeSet::new(),
            loading: true,
            jobs: HashMap::new(),
            job_seq: 0,
            jobs_cursor: Cursor::default(),
            rate: Vec::new(),
            pause: None,
            session: SessionCost::default(),
            screen: Screen::List,
            back: Vec::new(),
            detail: Detail::default(),
            activity: Loaded::default(),
            releases: Loaded::default(),
            rate_scroll: 0,
            dialog: None,
            status: None,
            history: Vec::new(),
            quit: false,
            dirty: true,
        }
    }

    /// Convenience for tests and the bench: a loaded app.
    pub fn with_repos(mut self, repos: Vec<TrackedRepo>) -> App {
        let _ = self.update(Action::ReposLoaded(repos));
        self
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
            Screen::Detail => Mode::Detail,
            Screen::Activity => Mode::Activity,
            Screen::Releases => Mode::Releases,
            Screen::Jobs => Mode::Jobs,
            Screen::Rate => Mode::Rate,
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
            Screen::Jobs => self
                .sorted_jobs()
                .get(self.jobs_cursor.sel)
                .and_then(|j| self.repo(j.local)),
            _ => self.selected_repo(),
        }
    }

    pub fn job(&self, local: LocalId) -> Option<&Job> {
        self.jobs.get(&local)
    }

    /// Jobs in screen order.
    pub fn sorted_jobs(&self) -> Vec<&Job> {
        let mut v: Vec<&Job> = self.jobs.values().collect();
        v.sort_by_key(|j| {
            (
                j.state.rank(),
                if j.state.active() {
                    j.seq
                } else {
                    u64::MAX - j.seq
                },
            )
        });
        v
    }

    pub fn job_counts(&self) -> [usize; 6] {
        let mut c = [0; 6];
        for j in self.jobs.values() {
            c[j.state.rank() as usize] += 1;
        }
        c
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

    fn detail_len(&self, tab: Tab) -> usize {
        let d = self.detail.details.as_ref();
        match tab {
            Tab::Overview => 0,
            Tab::Commits => d.map_or(0, |d| d.commits.len()),
            Tab::Branches => d.map_or(0, |d| d.branches.len()),
            Tab::Pulls => d.map_or(0, |d| d.pulls.len()),
            Tab::Issues => d.map_or(0, |d| d.issues.len()),
            Tab::Releases => d.map_or(0, |d| d.releases.len()),
            Tab::Activity => self.detail.activity.len(),
        }
    }

    pub fn open_commit(&self) -> Option<Commit> {
        let sha = self.detail.commit.as_ref()?;
        if let Some(c) = self.detail.fetched.get(sha) {
            return Some(c.clone());
        }
        self.detail
            .details
            .as_ref()?
            .commits
            .iter()
            .find(|c| &c.sha == sha)
            .cloned()
    }

    // ----- update -----

    /// Applies one action; returns what the runtime must do. No I/O happens here.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut fx = Vec::new();
        match action {
            Action::Tick { now } => {
                self.tick(now);
                return fx;
            }
            Action::Resize { width, height } => {
                self.width = width;
                self.height = height;
                let (len, page) = (self.view.len(), self.page());
                let sel = self.list.sel;
                self.list.to(sel, len, page);
            }
            Action::Engine(ev) => self.on_sync(*ev, &mut fx),
            Action::ReposLoaded(repos) => {
                self.loading = false;
                self.set_repos(repos);
            }
            Action::ReposPreview(repos) => {
                if self.loading {
                    self.set_repos(repos);
                }
            }
            Action::DetailsLoaded { local, details } => {
                if self.detail.local == Some(local) {
                    self.detail.details = *details;
                    self.detail.loading = false;
                }
            }
            Action::ActivityLoaded {
                repo: None,
                entries,
            } => {
                self.activity.rows = entries;
                self.activity.loading = false;
                let len = self.activity.rows.len();
                self.activity
                    .cursor
                    .to(self.activity.cursor.sel, len, self.page());
            }
            Action::ActivityLoaded {
                repo: Some(id),
                entries,
            } => {
                if self
                    .detail
                    .local
                    .and_then(|l| self.repo(l))
                    .and_then(|r| r.id)
                    == Some(id)
                {
                    self.detail.activity = entries;
                }
            }
            Action::ReleasesLoaded(rows) => {
                self.releases.rows = rows;
                self.releases.loading = false;
            }
            Action::Failed { message } => {
                self.notice("Something went wrong", &message, Level::Error, None)
            }
            Action::Unlocked => {
                self.env.engine = true;
                self.say("vault unlocked: syncing with its tokens", Level::Info);
                self.dirty = true;
            }
            Action::Edit(e) => self.edit(e, &mut fx),
            other if self.dialog.is_some() => self.dialog_action(other, &mut fx),
            other if self.filtering => self.filter_action(other),
            other => self.screen_action(other, &mut fx),
        }
        self.dirty = true;
        fx
    }

    fn tick(&mut self, now: DateTime<Utc>) {
        let before = self.now;
        self.now = now;
        if self.status.as_ref().is_some_and(|s| s.until <= now) {
            self.status = None;
            self.dirty = true;
        }
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

    fn say(&mut self, text: impl Into<String>, level: Level) {
        self.status = Some(StatusMsg {
            text: text.into(),
            level,
            until: self.now + chrono::Duration::seconds(STATUS_SECS),
        });
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

    fn set_repos(&mut self, repos: Vec<TrackedRepo>) {
        let keep = self.selected_repo().map(|r| r.local);
        self.repos = repos;
        self.reindex();
        self.marked.retain(|l| self.index.contains_key(l));
        self.rebuild_view(keep);
    }

    fn reindex(&mut self) {
        self.index = self
            .repos
            .iter()
            .enumerate()
            .map(|(i, r)| (r.local, i))
            .collect();
    }

    /// Recomputes filter and sort, keeping the selection on `keep` when it is still shown.
    fn rebuild_view(&mut self, keep: Option<LocalId>) {
        let pattern = self.filter.value().trim().to_string();
        let mut view: Vec<usize> = if pattern.is_empty() {
            (0..self.repos.len()).collect()
        } else {
            let pat = Pattern::parse(&pattern, CaseMatching::Ignore, Normalization::Smart);
            let mut matcher = Matcher::new(MatchConfig::DEFAULT);
            let mut buf = Vec::new();
            let mut hay = String::new();
            (0..self.repos.len())
                .filter(|i| {
                    let r = &self.repos[*i];
                    hay.clear();
                    hay.push_str(&r.key.to_string());
                    if let Some(lang) = r.meta.as_ref().and_then(|m| m.language.as_deref()) {
                        hay.push(' ');
                        hay.push_str(lang);
                    }
                    pat.score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                        .is_some()
                })
                .collect()
        };
        let repos = &self.repos;
        let jobs = &self.jobs;
        match self.sort {
            Sort::Name => view.sort_by_cached_key(|i| repos[*i].key.lower()),
            Sort::Stars => view
                .sort_by_key(|i| std::cmp::Reverse(repos[*i].meta.as_ref().map_or(0, |m| m.stars))),
            Sort::Pushed => view.sort_by_key(|i| {
                std::cmp::Reverse(repos[*i].meta.as_ref().and_then(|m| m.pushed_at))
            }),
            Sort::Synced => view.sort_by_key(|i| std::cmp::Reverse(repos[*i].last_synced_at)),
            Sort::Issues => view.sort_by_key(|i| {
                std::cmp::Reverse(repos[*i].meta.as_ref().map_or(0, |m| m.open_issues))
            }),
            Sort::Prs => view.sort_by_key(|i| {
                std::cmp::Reverse(repos[*i].meta.as_ref().map_or(0, |m| m.open_prs))
            }),
            Sort::Status => view.sort_by_key(|i| {
                let r = &repos[*i];
                let job = jobs.get(&r.local).map_or(9, |j| j.state.rank());
                let st = match r.status {
                    SyncStatus::Failed => 0,
                    SyncStatus::Inaccessible => 1,
                    SyncStatus::Never => 3,
                    SyncStatus::Synced => 4,
                };
                (job, st, std::cmp::Reverse(r.unread))
            }),
        }
        if self.sort_rev {
            view.reverse();
        }
        self.view = view;
        let sel = keep
            .and_then(|l| self.index.get(&l))
            .and_then(|i| self.view.iter().position(|v| v == i))
            .unwrap_or(self.list.sel);
        let (len, page) = (self.view.len(), self.page());
        self.list.to(sel, len, page);
    }

    fn upsert_repo(&mut self, repo: TrackedRepo) {
        let keep = self.selected_repo().map(|r| r.local);
        match self.index.get(&repo.local) {
            Some(&i) => {
                let renamed = self.repos[i].key.lower() != repo.key.lower();
                self.repos[i] = repo;
                if renamed || self.sort != Sort::Name || !self.filter.value().is_empty() {
                    self.rebuild_view(keep);
                }
            }
            None => {
                self.repos.push(repo);
                self.reindex();
                self.rebuild_view(keep);
            }
        }
    }

    fn job_mut(&mut self, local: LocalId) -> &mut Job {
        let name = self
            .repo(local)
            .map(|r| r.key.to_string())
            .unwrap_or_else(|| local.to_string());
        let now = self.now;
        self.job_seq += 1;
        let seq = self.job_seq;
        let job = self.jobs.entry(local).or_insert_with(|| Job {
            local,
            name,
            state: JobState::Queued,
            since: now,
            duration_ms: None,
            cost: JobCost::default(),
            seq,
        });
        if !job.state.active() {
            job.seq = seq;
        }
        job
    }

    fn set_job(&mut self, local: LocalId, state: JobState) {
        let now = self.now;
        let job = self.job_mut(local);
        job.state = state;
        job.since = now;
    }

    fn on_sync(&mut self, ev: SyncEvent, fx: &mut Vec<Effect>) {
        match ev {
            SyncEvent::Queued { id } => {
                let job = self.job_mut(id);
                job.duration_ms = None;
                job.cost = JobCost::default();
                self.set_job(id, JobState::Queued);
            }
            SyncEvent::Started { id } => self.set_job(
                id,
                JobState::Running {
                    step: String::new(),
                },
            ),
            SyncEvent::Progress { id, step } => {
                self.set_job(
                    id,
                    JobState::Running {
                        step: sanitize::line(&step).into_owned(),
                    },
                );
            }
            SyncEvent::Waiting {
                id: Some(id),
                reason,
                until,
            } => {
                self.set_job(
                    id,
                    JobState::Waiting {
                        reason: reason.to_string(),
                        until,
                    },
                );
            }
            SyncEvent::Waiting {
                id: None,
                reason,
                until,
            }
            | SyncEvent::Paused { reason, until } => {
                self.pause = Some((reason, until));
            }
            SyncEvent::Resumed => self.pause = None,
            SyncEvent::Finished {
                id,
                outcome,
                cost,
                duration_ms,
                repo,
            } => {
                let state = match &outcome {
                    Outcome::Synced { changes } if changes.is_empty() => JobState::Done {
                        note: "synced".into(),
                    },
                    Outcome::Synced { changes } => JobState::Done {
                        note: format!(
                            "{} change{}",
                            changes.len(),
                            if changes.len() == 1 { "" } else { "s" }
                        ),
                    },
                    Outcome::Unchanged => JobState::Done {
                        note: "unchanged".into(),
                    },
                    Outcome::Skipped => JobState::Done {
                        note: "skipped: synced recently (S forces)".into(),
                    },
                    Outcome::Cancelled => JobState::Cancelled,
                    Outcome::Failed { message, .. } => JobState::Failed {
                        message: sanitize::line(message).into_owned(),
                    },
                };
                self.session.requests += cost.requests;
                self.session.not_modified += cost.not_modified;
                self.session.points += cost.points;
                self.session.jobs += 1;
                self.set_job(id, state);
                if let Some(j) = self.jobs.get_mut(&id) {
                    j.duration_ms = Some(duration_ms);
                    j.cost = cost;
                }
                self.prune_jobs();
                if let Some(repo) = repo {
                    self.upsert_repo(*repo);
                }
                if self.detail.local == Some(id) && self.screen == Screen::Detail {
                    self.detail.loading = true;
                    fx.push(Effect::LoadDetails(id));
                }
            }
            SyncEvent::Activity(entries) => {
                let open = self
                    .detail
                    .local
                    .and_then(|l| self.repo(l))
                    .and_then(|r| r.id);
                for e in entries.iter().rev() {
                    if Some(e.repo) == open {
                        self.detail.activity.insert(0, e.clone());
                    }
                }
                if !self.activity.loading && self.screen == Screen::Activity {
                    for e in entries.into_iter().rev() {
                        self.activity.rows.insert(0, e);
                    }
                }
            }
            SyncEvent::CommitFetched { id, commit } => {
                if self.detail.local == Some(id) {
                    self.detail.fetching.remove(&commit.sha);
                    self.detail.fetched.insert(commit.sha.clone(), *commit);
                }
            }
            SyncEvent::CommitFailed { id, sha, message } => {
                if self.detail.local == Some(id) {
                    self.detail.fetching.remove(&sha);
                    self.detail.commit_error = Some(sanitize::line(&message).into_owned());
                }
            }
            SyncEvent::Tracked { repos } => {
                let n = repos.len();
                let first = repos.first().map(|r| (r.local, r.key.to_string()));
                for r in repos {
                    self.upsert_repo(r);
                }
                if let Some((local, name)) = first {
                    if let Some(pos) = self
                        .index
                        .get(&local)
                        .and_then(|i| self.view.iter().position(|v| v == i))
                    {
                        let (len, page) = (self.view.len(), self.page());
                        self.list.to(pos, len, page);
                    }
                    let msg = if n == 1 {
                        format!("added {name}")
                    } else {
                        format!("added {n} repositories")
                    };
                    self.say(msg, Level::Info);
                }
            }
            SyncEvent::Untracked { id } => {
                let name = self.repo(id).map(|r| r.key.to_string());
                if let Some(i) = self.index.get(&id).copied() {
                    let keep = self.selected_repo().map(|r| r.local).filter(|l| *l != id);
                    self.repos.remove(i);
                    self.reindex();
                    self.marked.remove(&id);
                    self.jobs.remove(&id);
                    self.rebuild_view(keep);
                }
                if self.detail.local == Some(id) && self.screen == Screen::Detail {
                    self.go_back();
                }
                if let Some(name) = name {
                    self.say(format!("removed {name}"), Level::Info);
                }
            }
            SyncEvent::Imported { added, total } => {
                self.say(
                    format!("imported {added} new of {total} repositories; syncing them"),
                    Level::Info,
                );
            }
            SyncEvent::SearchResults { query, hits } => {
                if let Some(Dialog::Search {
                    sent,
                    hits: h,
                    searching,
                    cursor,
                    ..
                }) = &mut self.dialog
                    && sent.as_deref() == Some(query.as_str())
                {
                    *h = hits;
                    *searching = false;
                    *cursor = 0;
                }
            }
            SyncEvent::Error { message } => {
                self.notice("Sync problem", &message, Level::Error, None)
            }
            SyncEvent::RateLimits(buckets) => {
                for b in buckets {
                    match self.rate.iter_mut().find(|x| x.name == b.name) {
                        Some(x) => *x = b,
                        None => self.rate.push(b),
                    }
                }
                let order = |n: &str| {
                    ["core", "graphql", "search"]
                        .iter()
                        .position(|x| *x == n)
                        .unwrap_or(9)
                };
                self.rate.sort_by(|a, b| {
                    order(&a.name)
                        .cmp(&order(&b.name))
                        .then(a.name.cmp(&b.name))
                });
            }
            SyncEvent::PassFinished {
                synced,
                unchanged,
                failed,
                skipped,
            } => {
                let level = if failed > 0 { Level::Warn } else { Level::Info };
                self.say(
                    format!("sync pass done: {synced} synced, {unchanged} unchanged, {failed} failed, {skipped} skipped"),
                    level,
                );
            }
            SyncEvent::TokenInUse {
                fingerprint,
                per_repo,
            } => {
                let mut text = match fingerprint {
                    Some(fp) => format!(
                        "{} (key id as in `repodeck token list`)",
                        sanitize::line(&fp)
                    ),
                    None => "none: anonymous, 60 REST requests an hour".into(),
                };
                if per_repo > 0 {
                    text.push_str(&format!("; {per_repo} repo(s) use a token of their own"));
                }
                self.token = Some(text);
            }
            SyncEvent::PassphraseNeeded { retry } => {
                self.dialog = Some(Dialog::Passphrase {
                    input: Input::default(),
                    retry,
                });
            }
        }
    }

    fn prune_jobs(&mut self) {
        let done = self.jobs.values().filter(|j| !j.state.active()).count();
        if done > DONE_JOBS_KEPT {
            let mut old: Vec<(u64, LocalId)> = self
                .jobs
                .values()
                .filter(|j| !j.state.active())
                .map(|j| (j.seq, j.local))
                .collect();
            old.sort();
            for (_, l) in old.into_iter().take(done - DONE_JOBS_KEPT) {
                self.jobs.remove(&l);
            }
        }
    }

    fn edit(&mut self, e: Edit, fx: &mut Vec<Effect>) {
        let req = match e {
            Edit::Insert(c) => InputRequest::InsertChar(c),
            Edit::Backspace => InputRequest::DeletePrevChar,
            Edit::Delete => InputRequest::DeleteNextChar,
            Edit::Left => InputRequest::GoToPrevChar,
            Edit::Right => InputRequest::GoToNextChar,
            Edit::WordLeft => InputRequest::GoToPrevWord,
            Edit::WordRight => InputRequest::GoToNextWord,
            Edit::Home => InputRequest::GoToStart,
            Edit::End => InputRequest::GoToEnd,
            Edit::DeleteWord => InputRequest::DeletePrevWord,
            Edit::DeleteLine => InputRequest::DeleteLine,
            Edit::DeleteToEnd => InputRequest::DeleteTillEnd,
        };
        let _ = fx;
        match &mut self.dialog {
            Some(Dialog::Add { input, error }) => {
                input.handle(req);
                *error = validate_keys(input.value()).err();
            }
            Some(Dialog::Import { input, error }) => {
                input.handle(req);
                *error = parse_import(input.value())
                    .err()
                    .filter(|_| !input.value().trim().is_empty());
            }
            Some(Dialog::Search { input, .. }) | Some(Dialog::Passphrase { input, .. }) => {
                input.handle(req);
            }
            Some(Dialog::Command { input, hint, hist }) => {
                input.handle(req);
                *hint = None;
                *hist = None;
            }
            Some(_) => {}
            None if self.filtering => {
                self.filter.handle(req);
                let keep = self.selected_repo().map(|r| r.local);
                self.list = Cursor::default();
                self.rebuild_view(keep.filter(|_| false));
            }
            None => {}
        }
        self.dirty = true;
    }

    fn filter_action(&mut self, action: Action) {
        match action {
            Action::Submit | Action::HistoryNext | Action::HistoryPrev => {
                self.filtering = false;
                if action != Action::Submit {
                    let d = if action == Action::HistoryNext { 1 } else { -1 };
                    let (len, page) = (self.view.len(), self.page());
                    self.list.move_by(d, len, page);
                }
            }
            Action::Back => {
                self.filtering = false;
                let keep = self.selected_repo().map(|r| r.local);
                self.filter = Input::default();
                self.rebuild_view(keep);
            }
            _ => {}
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

    /// Repos a bulk action applies to: the marked ones, else the one under the cursor.
    fn targets(&self) -> Vec<&TrackedRepo> {
        if self.screen == Screen::List && !self.marked.is_empty() {
            self.marked.iter().filter_map(|l| self.repo(*l)).collect()
        } else {
            self.current_repo().into_iter().collect()
        }
    }

    fn open_detail(&mut self, local: LocalId, tab: Tab, fx: &mut Vec<Effect>) {
        let same = self.detail.local == Some(local);
        if !same {
            self.detail = Detail {
                local: Some(local),
                loading: true,
                ..Detail::default()
            };
        } else {
            self.detail.loading = true;
            self.detail.commit = None;
        }
        self.detail.tab = tab.index();
        fx.push(Effect::LoadDetails(local));
        if let Some(id) = self.repo(local).and_then(|r| r.id) {
            fx.push(Effect::LoadActivity(Some(id)));
        }
        self.go(Screen::Detail);
    }

    fn move_cursor(&mut self, delta: isize, fx: &mut Vec<Effect>) {
        let _ = fx;
        let page = self.page();
        match self.screen {
            Screen::List => {
                let len = self.view.len();
                self.list.move_by(delta, len, page);
            }
            Screen::Detail
                if self.detail.commit.is_some() || self.detail.tab() == Tab::Overview =>
            {
                self.detail.scroll = (self.detail.scroll as isize + delta).clamp(0, 500) as u16;
            }
            Screen::Detail => {
                let tab = self.detail.tab();
                let len = self.detail_len(tab);
                self.detail.cursors[tab.index()].move_by(delta, len, page);
            }
            Screen::Activity => {
                let len = self.activity.rows.len();
                self.activity.cursor.move_by(delta, len, page);
            }
            Screen::Releases => {
                let len = self.releases.rows.len();
                self.releases.cursor.move_by(delta, len, page);
            }
            Screen::Jobs => {
                let len = self.jobs.len();
                self.jobs_cursor.move_by(delta, len, page);
            }
            Screen::Rate => self.rate_scroll = (self.rate_scroll as isize + delta).max(0) as usize,
        }
    }

    fn sync_targets(&mut self, force: bool, fx: &mut Vec<Effect>) {
        if !self.env.engine {
            self.say(
                "sync is unavailable: the sync engine is not running",
                Level::Warn,
            );
            return;
        }
        let targets: Vec<(LocalId, String, bool)> = self
            .targets()
            .iter()
            .map(|r| {
                (
                    r.local,
                    r.key.to_string(),
                    self.jobs.get(&r.local).is_some_and(|j| j.state.active()),
                )
            })
            .collect();
        if targets.is_empty() {
            self.say("nothing to sync: add a repository with a", Level::Info);
            return;
        }
        let mut sent = 0;
        for (local, _, busy) in &targets {
            // Throttle: one pending job per repo; pressing s again does not queue another.
            if *busy && !force {
                continue;
            }
            fx.push(Effect::Engine(SyncCommand::SyncRepo {
                id: *local,
                force,
                priority: Priority::User,
            }));
            sent += 1;
        }
        let what = if targets.len() == 1 {
            targets[0].1.clone()
        } else {
            format!("{} repositories", targets.len())
        };
        if sent == 0 {
            self.say(format!("{what}: already syncing"), Level::Info);
        } else {
            self.say(
                format!("{} {what}", if force { "force-syncing" } else { "syncing" }),
                Level::Info,
            );
        }
        self.marked.clear();
    }

    fn url_here(&self) -> Option<String> {
        let repo_url = |r: &TrackedRepo| {
            r.meta
                .as_ref()
                .map(|m| m.html_url.clone())
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| r.key.html_url())
        };
        let url = match self.screen {
            Screen::Detail => {
                let r = self.current_repo()?;
                let base = repo_url(r);
                let d = self.detail.details.as_ref();
                let sel = self.detail.cursors[self.detail.tab].sel;
                if let Some(sha) = &self.detail.commit {
                    format!("{base}/commit/{sha}")
                } else {
                    match self.detail.tab() {
                        Tab::Commits => d
                            .and_then(|d| d.commits.get(sel))
                            .map(|c| format!("{base}/commit/{}", c.sha))
                            .unwrap_or(base),
                        Tab::Branches => d
                            .and_then(|d| d.branches.get(sel))
                            .map(|b| format!("{base}/tree/{}", b.name))
                            .unwrap_or(base),
                        Tab::Pulls => d
                            .and_then(|d| d.pulls.get(sel))
                            .map(|p| p.url.clone())
                            .unwrap_or(base),
                        Tab::Issues => d
                            .and_then(|d| d.issues.get(sel))
                            .map(|i| i.url.clone())
                            .unwrap_or(base),
                        Tab::Releases => d
                            .and_then(|d| d.releases.get(sel))
                            .map(|r| r.url.clone())
                            .unwrap_or(base),
                        _ => base,
                    }
                }
            }
            Screen::Releases => self
                .releases
                .rows
                .get(self.releases.cursor.sel)
                .map(|(_, r)| r.url.clone())?,
            Screen::Activity => {
                let e = self.activity.rows.get(self.activity.cursor.sel)?;
                let base = format!("https://github.com/{}", e.full_name);
                match &e.change {
                    Change::PrOpened { number, .. }
                    | Change::PrClosed { number, .. }
                    | Change::PrMerged { number, .. } => {
                        format!("{base}/pull/{number}")
                    }
                    Change::IssueOpened { number, .. } | Change::IssueClosed { number, .. } => {
                        format!("{base}/issues/{number}")
                    }
                    Change::NewRelease { tag } => format!("{base}/releases/tag/{tag}"),
                    _ => base,
                }
            }
            _ => repo_url(self.current_repo()?),
        };
        Some(sanitize::line(&url).into_owned())
    }

    fn screen_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let page = self.page() as isize;
        match action {
            Action::Quit => {
                self.quit = true;
                fx.push(Effect::Quit);
            }
            Action::Suspend => fx.push(Effect::Suspend),
            Action::Up | Action::PrevMatch => self.move_cursor(-1, fx),
            Action::Down | Action::NextMatch => self.move_cursor(1, fx),
            Action::ScrollUp(n) => self.move_cursor(-(n as isize), fx),
            Action::ScrollDown(n) => self.move_cursor(n as isize, fx),
            Action::PageDown => self.move_cursor(page / 2, fx),
            Action::PageUp => self.move_cursor(-page / 2, fx),
            Action::Top => self.move_cursor(-(isize::MAX / 2), fx),
            Action::Bottom => self.move_cursor(isize::MAX / 2, fx),
            Action::Click { row } if row >= LIST_TOP && matches!(self.screen, Screen::List) => {
                let i = self.list.visible_offset(self.view.len(), self.page())
                    + (row - LIST_TOP) as usize;
                if i < self.view.len() {
                    let len = self.view.len();
                    let page = self.page();
                    self.list.to(i, len, page);
                }
            }
            Action::Open => self.open(fx),
            Action::Back => {
                if self.screen == Screen::Detail && self.detail.commit.is_some() {
                    self.detail.commit = None;
                    self.detail.commit_error = None;
                    self.detail.scroll = 0;
                } else if self.screen == Screen::List {
                    if !self.filter.value().is_empty() {
                        let keep = self.selected_repo().map(|r| r.local);
                        self.filter = Input::default();
                        self.rebuild_view(keep);
                    } else {
                        self.marked.clear();
                    }
                } else {
                    self.go_back();
                }
            }
            Action::NextTab | Action::PrevTab if self.screen == Screen::Detail => {
                let d = if action == Action::NextTab { 1 } else { 6 };
                self.detail.tab = (self.detail.tab + d) % 7;
                self.detail.commit = None;
                self.detail.scroll = 0;
            }
            Action::Tab1
            | Action::Tab2
            | Action::Tab3
            | Action::Tab4
            | Action::Tab5
            | Action::Tab6
            | Action::Tab7
                if self.screen == Screen::Detail =>
            {
                let n = match action {
                    Action::Tab1 => 0,
                    Action::Tab2 => 1,
                    Action::Tab3 => 2,
                    Action::Tab4 => 3,
                    Action::Tab5 => 4,
                    Action::Tab6 => 5,
                    _ => 6,
                };
                self.detail.tab = n;
                self.detail.commit = None;
                self.detail.scroll = 0;
            }
            Action::Filter => {
                if self.screen != Screen::List {
                    self.screen = Screen::List;
                    self.back.clear();
                }
                self.filtering = true;
            }
            Action::Command => {
                self.dialog = Some(Dialog::Command {
                    input: Input::default(),
                    hist: None,
                    hint: None,
                });
            }
            Action::Help => {
                self.dialog = Some(Dialog::Help {
                    mode: self.mode(),
                    scroll: 0,
                })
            }
            Action::Sync => self.sync_targets(false, fx),
            Action::ForceSync => self.sync_targets(true, fx),
            Action::SyncAll => {
                if self.env.engine {
                    fx.push(Effect::Engine(SyncCommand::SyncAll {
                        force: false,
                        priority: Priority::User,
                    }));
                    self.say(
                        format!("syncing all {} repositories", self.repos.len()),
                        Level::Info,
                    );
                } else {
                    self.say(
                        "sync is unavailable: the sync engine is not running",
                        Level::Warn,
                    );
                }
            }
            Action::Add => {
                self.dialog = Some(Dialog::Add {
                    input: Input::default(),
                    error: None,
                })
            }
            Action::Import => {
                self.dialog = Some(Dialog::Import {
                    input: Input::default(),
                    error: None,
                })
            }
            Action::Search => {
                self.dialog = Some(Dialog::Search {
                    input: Input::default(),
                    sent: None,
                    hits: Vec::new(),
                    cursor: 0,
                    searching: false,
                })
            }
            Action::Remove => {
                let t: Vec<(LocalId, String)> = self
                    .targets()
                    .iter()
                    .map(|r| (r.local, r.key.to_string()))
                    .collect();
                if !t.is_empty() {
                    let (ids, names) = t.into_iter().unzip();
                    self.dialog = Some(Dialog::ConfirmRemove { ids, names });
                }
            }
            Action::Mark if self.screen == Screen::List => {
                if let Some(l) = self.selected_repo().map(|r| r.local) {
                    if !self.marked.remove(&l) {
                        self.marked.insert(l);
                    }
                    let (len, page) = (self.view.len(), self.page());
                    self.list.move_by(1, len, page);
                }
            }
            Action::OpenBrowser => {
                if let Some(url) = self.url_here() {
                    if self.env.can_browse {
                        self.say(format!("opening {url}"), Level::Info);
                        fx.push(Effect::OpenUrl(url));
                    } else {
                        self.dialog = Some(Dialog::Notice {
                            title: "No browser here".into(),
                            body: format!(
                                "{url}\n\nNo browser can be opened from this session (set BROWSER to enable it). Press y to copy the URL."
                            ),
                            level: Level::Info,
                            url: Some(url),
                        });
                    }
                }
            }
            Action::CopyUrl => {
                if let Some(url) = self.url_here() {
                    self.say(format!("copied {url} (OSC 52)"), Level::Info);
                    fx.push(Effect::Copy(url));
                }
            }
            Action::Jobs => self.go(Screen::Jobs),
            Action::RateLimits => self.go(Screen::Rate),
            Action::Activity => {
                self.go(Screen::Activity);
                self.activity.loading = true;
                fx.push(Effect::LoadActivity(None));
            }
            Action::Releases => {
                self.go(Screen::Releases);
                self.releases.loading = true;
                fx.push(Effect::LoadReleases);
            }
            Action::Sort => {
                self.sort = self.sort.next();
                self.sort_rev = false;
                let keep = self.selected_repo().map(|r| r.local);
                self.rebuild_view(keep);
                self.say(format!("sorted by {}", self.sort.name()), Level::Info);
            }
            Action::SortReverse => {
                self.sort_rev = !self.sort_rev;
                let keep = self.selected_repo().map(|r| r.local);
                self.rebuild_view(keep);
            }
            Action::Cancel if self.screen == Screen::Jobs => {
                let target = self
                    .sorted_jobs()
                    .get(self.jobs_cursor.sel)
                    .filter(|j| j.state.active())
                    .map(|j| (j.local, j.name.clone()));
                match target {
                    Some((local, name)) => {
                        fx.push(Effect::Engine(SyncCommand::Cancel(local)));
                        self.say(format!("cancelling {name}"), Level::Info);
                    }
                    None => self.say(
                        "nothing to cancel here: that job is not running",
                        Level::Info,
                    ),
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, fx: &mut Vec<Effect>) {
        match self.screen {
            Screen::List => {
                if let Some(l) = self.selected_repo().map(|r| r.local) {
                    self.open_detail(l, Tab::Overview, fx);
                }
            }
            Screen::Detail => match self.detail.tab() {
                Tab::Commits if self.detail.commit.is_none() => {
                    let sel = self.detail.cursors[1].sel;
                    let Some(c) = self
                        .detail
                        .details
                        .as_ref()
                        .and_then(|d| d.commits.get(sel))
                        .cloned()
                    else {
                        return;
                    };
                    self.detail.commit = Some(c.sha.clone());
                    self.detail.commit_error = None;
                    self.detail.scroll = 0;
                    if c.files.is_none()
                        && !self.detail.fetched.contains_key(&c.sha)
                        && self.env.engine
                        && let Some(local) = self.detail.local
                    {
                        self.detail.fetching.insert(c.sha.clone());
                        fx.push(Effect::Engine(SyncCommand::FetchCommit {
                            id: local,
                            sha: c.sha,
                        }));
                    }
                }
                Tab::Pulls | Tab::Issues | Tab::Releases => {
                    self.screen_action(Action::OpenBrowser, fx)
                }
                _ => {}
            },
            Screen::Activity => {
                let Some(e) = self.activity.rows.get(self.activity.cursor.sel).cloned() else {
                    return;
                };
                let Some(local) = self
                    .repos
                    .iter()
                    .find(|r| r.id == Some(e.repo))
                    .map(|r| r.local)
                else {
                    self.say(format!("{} is no longer tracked", e.full_name), Level::Info);
                    return;
                };
                let tab = match e.change {
                    Change::NewCommits { .. } | Change::ForcePushed { .. } => Tab::Commits,
                    Change::DefaultBranchChanged { .. } => Tab::Branches,
                    Change::PrOpened { .. } | Change::PrClosed { .. } | Change::PrMerged { .. } => {
                        Tab::Pulls
                    }
                    Change::IssueOpened { .. } | Change::IssueClosed { .. } => Tab::Issues,
                    Change::NewRelease { .. } => Tab::Releases,
                    _ => Tab::Overview,
                };
                for row in self.activity.rows.iter_mut().filter(|r| r.repo == e.repo) {
                    row.read = true;
                }
                if let Some(&i) = self.index.get(&local) {
                    self.repos[i].unread = 0;
                }
                fx.push(Effect::MarkRead(Some(e.repo)));
                self.open_detail(local, tab, fx);
            }
            Screen::Jobs => {
                if let Some(l) = self
                    .sorted_jobs()
                    .get(self.jobs_cursor.sel)
                    .map(|j| j.local)
                    && self.repo(l).is_some()
                {
                    self.open_detail(l, Tab::Overview, fx);
                }
            }
            Screen::Releases => self.screen_action(Action::OpenBrowser, fx),
            Screen::Rate => {}
        }
    }

    fn dialog_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        match (dialog, action) {
            (Dialog::Help { .. }, Action::Back | Action::Help | Action::Quit) => {}
            (Dialog::Help { mode, scroll }, a) => {
                let scroll = match a {
                    Action::Down | Action::ScrollDown(_) => scroll + 1,
                    Action::Up | Action::ScrollUp(_) => scroll.saturating_sub(1),
                    Action::PageDown => scroll + 5,
                    Action::PageUp => scroll.saturating_sub(5),
                    Action::Top => 0,
                    _ => scroll,
                };
                self.dialog = Some(Dialog::Help { mode, scroll });
            }
            (Dialog::Notice { url: Some(url), .. }, Action::CopyUrl) => {
                self.say(format!("copied {url} (OSC 52)"), Level::Info);
                fx.push(Effect::Copy(url));
            }
            (Dialog::Notice { .. }, Action::Back) => {}
            (d @ Dialog::Notice { .. }, _) => self.dialog = Some(d),
            (Dialog::ConfirmRemove { ids, names }, Action::Confirm) => {
                for id in &ids {
                    fx.push(Effect::Engine(SyncCommand::Untrack(*id)));
                }
                self.marked.clear();
                self.say(
                    if names.len() == 1 {
                        format!("removing {}", names[0])
                    } else {
                        format!("removing {} repositories", names.len())
                    },
                    Level::Info,
                );
            }
            (Dialog::ConfirmRemove { .. }, Action::Back) => {}
            (d @ Dialog::ConfirmRemove { .. }, _) => self.dialog = Some(d),
            (_, Action::Back) => {}
            (Dialog::Add { input, error }, Action::Submit) => match validate_keys(input.value()) {
                Ok(keys) if !keys.is_empty() => {
                    let names: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
                    let fresh: Vec<RepoKey> = keys
                        .into_iter()
                        .filter(|k| !self.repos.iter().any(|r| &r.key == k))
                        .collect();
                    if fresh.is_empty() {
                        self.say(
                            format!("{} is already tracked", names.join(", ")),
                            Level::Info,
                        );
                    } else {
                        self.say(format!("adding {}", names.join(", ")), Level::Info);
                        fx.push(Effect::Engine(SyncCommand::Track(fresh)));
                    }
                }
                Ok(_) => {
                    self.dialog = Some(Dialog::Add {
                        input,
                        error: Some("type OWNER/NAME or a GitHub URL".into()),
                    })
                }
                Err(e) => {
                    self.dialog = Some(Dialog::Add {
                        input,
                        error: Some(e).or(error),
                    })
                }
            },
            (Dialog::Import { input, .. }, Action::Submit) => match parse_import(input.value()) {
                Ok(source) => {
                    self.say(
                        "importing; new repositories appear as they are tracked",
                        Level::Info,
                    );
                    fx.push(Effect::Engine(SyncCommand::Import(ImportOptions {
                        source,
                        include_forks: false,
                        include_archived: false,
                    })));
                }
                Err(e) => {
                    self.dialog = Some(Dialog::Import {
                        input,
                        error: Some(e),
                    })
                }
            },
            (
                Dialog::Search {
                    input,
                    sent,
                    hits,
                    cursor,
                    searching,
                },
                Action::Submit,
            ) => {
                let q = input.value().trim().to_string();
                if !q.is_empty() && sent.as_deref() != Some(q.as_str()) {
                    fx.push(Effect::Engine(SyncCommand::Search {
                        query: q.clone(),
                        limit: SEARCH_LIMIT,
                    }));
                    self.dialog = Some(Dialog::Search {
                        input,
                        sent: Some(q),
                        hits: Vec::new(),
                        cursor: 0,
                        searching: true,
                    });
                } else if let Some(hit) = hits.get(cursor) {
                    if self.repos.iter().any(|r| r.key == hit.key) {
                        self.say(format!("{} is already tracked", hit.key), Level::Info);
                    } else {
                        self.say(format!("adding {}", hit.key), Level::Info);
                        fx.push(Effect::Engine(SyncCommand::Track(vec![hit.key.clone()])));
                    }
                    self.dialog = Some(Dialog::Search {
                        input,
                        sent,
                        hits,
                        cursor,
                        searching,
                    });
                } else {
                    self.dialog = Some(Dialog::Search {
                        input,
                        sent,
                        hits,
                        cursor,
                        searching,
                    });
                }
            }
            (
                Dialog::Search {
                    input,
                    sent,
                    hits,
                    cursor,
                    searching,
                },
                a @ (Action::HistoryNext | Action::HistoryPrev),
            ) => {
                let cursor = if a == Action::HistoryNext {
                    (cursor + 1).min(hits.len().saturating_sub(1))
                } else {
                    cursor.saturating_sub(1)
                };
                self.dialog = Some(Dialog::Search {
                    input,
                    sent,
                    hits,
                    cursor,
                    searching,
                });
            }
            (Dialog::Passphrase { input, .. }, Action::Submit) => {
                let pass = input.value().to_string();
                fx.push(Effect::Engine(SyncCommand::Unlock(Passphrase(pass.into()))));
                self.say("unlocking the vault…", Level::Info);
            }
            (Dialog::Command { input, .. }, Action::Submit) => {
                let line = input.value().trim().to_string();
                if !line.is_empty() {
                    self.history.retain(|h| h != &line);
                    self.history.push(line.clone());
                    self.run_command(&line, fx);
                }
            }
            (
                Dialog::Command { input, hist, .. },
                a @ (Action::HistoryPrev | Action::HistoryNext),
            ) => {
                let n = self.history.len();
                let pos = match (a, hist) {
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
                let _ = input;
                self.dialog = Some(Dialog::Command {
                    input: Input::new(text),
                    hist: pos,
                    hint: None,
                });
            }
            (Dialog::Command { input, hist, .. }, Action::Complete) => {
                let (text, hint) = self.complete(input.value());
                let _ = hist;
                self.dialog = Some(Dialog::Command {
                    input: Input::new(text),
                    hist: None,
                    hint,
                });
            }
            (d, _) => self.dialog = Some(d),
        }
    }

    /// Tab completion in command mode: the command word, then its argument.
    fn complete(&self, line: &str) -> (String, Option<String>) {
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

    fn run_command(&mut self, line: &str, fx: &mut Vec<Effect>) {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        let usage = |c: &str| {
            COMMANDS
                .iter()
                .find(|(n, _)| *n == c)
                .map(|(_, u)| *u)
                .unwrap_or("")
        };
        match cmd {
            "q" | "quit" | "q!" => self.screen_action(Action::Quit, fx),
            "add" => match validate_keys(&args.join(" ")) {
                Ok(keys) if !keys.is_empty() => {
                    self.say(
                        format!(
                            "adding {}",
                            keys.iter()
                                .map(|k| k.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        Level::Info,
                    );
                    fx.push(Effect::Engine(SyncCommand::Track(keys)));
                }
                Ok(_) => self.say(format!("usage: {}", usage("add")), Level::Warn),
                Err(e) => self.say(e, Level::Error),
            },
            "rm" | "remove" => {
                let mut ids = Vec::new();
                let mut names = Vec::new();
                for a in &args {
                    match RepoKey::parse(a) {
                        Ok(k) => match self.repos.iter().find(|r| r.key == k) {
                            Some(r) => {
                                ids.push(r.local);
                                names.push(r.key.to_string());
                            }
                            None => return self.say(format!("{k} is not tracked"), Level::Warn),
                        },
                        Err(e) => return self.say(e.to_string(), Level::Error),
                    }
                }
                if ids.is_empty() {
                    self.say(format!("usage: {}", usage("rm")), Level::Warn);
                } else {
                    self.dialog = Some(Dialog::ConfirmRemove { ids, names });
                }
            }
            "sync" => {
                let force = args.contains(&"--force");
                let rest: Vec<&&str> = args.iter().filter(|a| **a != "--force").collect();
                match rest.as_slice() {
                    [] => self.sync_targets(force, fx),
                    [a] if **a == "all" => {
                        if self.env.engine {
                            fx.push(Effect::Engine(SyncCommand::SyncAll {
                                force,
                                priority: Priority::User,
                            }));
                            self.say(
                                format!("syncing all {} repositories", self.repos.len()),
                                Level::Info,
                            );
                        } else {
                            self.say(
                                "sync is unavailable: the sync engine is not running",
                                Level::Warn,
                            );
                        }
                    }
                    [a] => match RepoKey::parse(a) {
                        Ok(k) => match self.repos.iter().find(|r| r.key == k) {
                            Some(r) if self.env.engine => {
                                fx.push(Effect::Engine(SyncCommand::SyncRepo {
                                    id: r.local,
                                    force,
                                    priority: Priority::User,
                                }));
                                self.say(format!("syncing {k}"), Level::Info);
                            }
                            Some(_) => self.say(
                                "sync is unavailable: the sync engine is not running",
                                Level::Warn,
                            ),
                            None => self.say(
                                format!("{k} is not tracked: add it with :add {k}"),
                                Level::Warn,
                            ),
                        },
                        Err(e) => self.say(e.to_string(), Level::Error),
                    },
                    _ => self.say(format!("usage: {}", usage("sync")), Level::Warn),
                }
            }
            "import" => match parse_import(&args.join(" ")) {
                Ok(source) => {
                    self.say(
                        "importing; new repositories appear as they are tracked",
                        Level::Info,
                    );
                    fx.push(Effect::Engine(SyncCommand::Import(ImportOptions {
                        source,
                        include_forks: false,
                        include_archived: false,
                    })));
                }
                Err(e) => self.say(e, Level::Warn),
            },
            "search" => {
                let q = args.join(" ");
                if q.is_empty() {
                    self.screen_action(Action::Search, fx);
                } else {
                    fx.push(Effect::Engine(SyncCommand::Search {
                        query: q.clone(),
                        limit: SEARCH_LIMIT,
                    }));
                    self.dialog = Some(Dialog::Search {
                        input: Input::new(q.clone()),
                        sent: Some(q),
                        hits: Vec::new(),
                        cursor: 0,
                        searching: true,
                    });
                }
            }
            "sort" => match args.first().and_then(|a| Sort::parse(a)) {
                Some(s) => {
                    self.sort = s;
                    self.sort_rev = args.get(1).is_some_and(|a| *a == "rev" || *a == "asc");
                    let keep = self.selected_repo().map(|r| r.local);
                    self.rebuild_view(keep);
                    self.say(format!("sorted by {}", s.name()), Level::Info);
                }
                None => self.say(format!("usage: {}", usage("sort")), Level::Warn),
            },
            "filter" => {
                let keep = self.selected_repo().map(|r| r.local);
                self.filter = Input::new(args.join(" "));
                self.screen = Screen::List;
                self.back.clear();
                self.rebuild_view(keep);
            }
            "jobs" => self.screen_action(Action::Jobs, fx),
            "activity" => self.screen_action(Action::Activity, fx),
            "releases" => self.screen_action(Action::Releases, fx),
            "rate" => self.screen_action(Action::RateLimits, fx),
            "help" => self.screen_action(Action::Help, fx),
            "theme" => match args.first() {
                Some(name) if crate::config::THEMES.contains(name) => {
                    self.theme = self.theme.switched_to(name);
                    self.say(format!("theme {name}"), Level::Info);
                }
                _ => self.say(format!("usage: {}", usage("theme")), Level::Warn),
            },
            other => self.say(
                format!(
                    "unknown command '{}': press Tab to list commands",
                    sanitize::line(other)
                ),
                Level::Warn,
            ),
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
