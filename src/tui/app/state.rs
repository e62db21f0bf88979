//! The plain state types `App` is made of: screens, tabs, sort orders, cursors, jobs, status
//! messages, the detail screen's state and the dialogs. Defined here so the other parts of
//! `app/` (list, detail, jobs, dialogs, command line, sync events) and the renderers in
//! `view.rs` and `screens/` share them; `App` itself lives in `mod.rs`.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use tui_input::Input;

use crate::domain::{ActivityEntry, Commit, LocalId, RepoDetails};
use crate::sync::{JobCost, SearchHit};
use crate::tui::keymap::Mode;

/// How long a status-line message stays.
pub const STATUS_SECS: i64 = 6;
/// How long a message stays before a waiting background message replaces it.
pub const STATUS_MIN_SECS: i64 = 3;
/// Background messages that may wait for the status line.
pub const STATUS_QUEUE: usize = 4;
/// Finished jobs kept on the jobs screen.
pub const DONE_JOBS_KEPT: usize = 500;
/// Search results asked for.
pub const SEARCH_LIMIT: usize = 30;
/// Smallest terminal the UI draws into; below it says so.
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;
/// Rows above a list body: header, title/tabs, column header.
pub const LIST_TOP: u16 = 3;

/// The shortest time without a sync that marks a repo stale, whatever `sync.interval` says.
pub const STALE_FLOOR_MINS: i64 = 30;

/// When a repo counts as stale (`!` in the list): not synced for twice the periodic sync's
/// interval (one pass missed), and never sooner than [`STALE_FLOOR_MINS`], so a short interval
/// (the demo's 5 s) does not mark freshly synced rows. `None` (no periodic sync): never stale.
pub fn stale_after(interval: Option<std::time::Duration>) -> Option<chrono::Duration> {
    let twice = chrono::Duration::from_std(interval? * 2).unwrap_or(chrono::Duration::MAX);
    Some(twice.max(chrono::Duration::minutes(STALE_FLOOR_MINS)))
}

/// What the runtime found out about its surroundings.
#[derive(Debug, Clone)]
pub struct Env {
    /// A browser can be opened (`BROWSER` set, or a desktop session).
    pub can_browse: bool,
    /// A repo not synced for this long is shown stale: see [`stale_after`].
    pub stale_after: Option<chrono::Duration>,
    /// A sync engine is attached.
    pub engine: bool,
    /// `github.reserve`, for the rate panel.
    pub reserve: String,
    /// Attached to another repodeck's store: the header's `attached to serve, pid N`.
    pub host: Option<String>,
    /// The local time zone's offset from UTC, in seconds (absolute times are shown local).
    pub utc_offset: i32,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            can_browse: false,
            stale_after: Some(chrono::Duration::minutes(30)),
            engine: true,
            reserve: "10%".into(),
            host: None,
            utc_offset: 0,
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
    Attention,
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
    pub(super) fn next(self) -> Sort {
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
    /// When it went up.
    pub since: DateTime<Utc>,
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
    /// The Overview's statistics (`app/stats.rs`).
    pub stats: super::stats::StatsView,
    /// The pull request or issue opened with Enter on its tab (or on the Attention screen).
    pub item: Option<Item>,
    /// The open item came from the Attention screen: Esc on it goes back there, not to the tab.
    pub item_back: bool,
    /// `SyncCommand::FetchItems` was sent for this visit (`app/items.rs`).
    pub items_asked: bool,
}

/// A pull request or issue opened on the repo screen, by number: a reload of the details after a
/// sync keeps it open (or says it left the open list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Pull(u64),
    Issue(u64),
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
