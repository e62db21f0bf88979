//! `Action`: everything the UI can do, and `Effect`: everything `App::update` asks the runtime to
//! do in return (send a command to the sync engine, unlock the vault, read the store, open a URL,
//! copy, quit). Bindable actions serialize to snake_case names, so config `[keys]` and `?` help
//! can name them; the `:` command line parses into these same actions. `Passphrase` is the
//! dialog's answer on its way to `crate::session::Unlocker`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::app::Sort;
use crate::domain::{
    ActivityEntry, ImportSource, LocalId, Release, RepoDetails, RepoId, RepoKey, TrackedRepo,
};
use crate::sync::{SyncCommand, SyncEvent};

/// One text-editing step inside an input line (filter, dialogs, command mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    Backspace,
    Delete,
    Left,
    Right,
    WordLeft,
    WordRight,
    Home,
    End,
    DeleteWord,
    DeleteLine,
    DeleteToEnd,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Back,
    NextTab,
    PrevTab,
    Tab1,
    Tab2,
    Tab3,
    Tab4,
    Tab5,
    Tab6,
    Tab7,
    Filter,
    NextMatch,
    PrevMatch,
    Command,
    Help,
    Sync,
    ForceSync,
    SyncAll,
    Add,
    Remove,
    Mark,
    OpenBrowser,
    CopyUrl,
    Jobs,
    Activity,
    Releases,
    RateLimits,
    Sort,
    SortReverse,
    Cancel,
    Import,
    Search,
    Suspend,
    /// Answer "yes" in a confirm dialog.
    Confirm,
    /// Enter in an input line.
    Submit,
    /// Tab in command mode.
    Complete,
    HistoryPrev,
    HistoryNext,
    /// The host this view was attached to has gone: open the store here and host it (or attach
    /// to whoever took it over first).
    TakeOver,
    /// Activity screen: mark every change read.
    MarkAllRead,
    /// Activity screen: show one kind of change (cycles through the kinds in the feed).
    FilterKind,
    /// Activity screen: only the selected row's repository (toggles).
    FilterRepo,
    /// The Attention screen: what needs the user across repositories.
    Attention,
    /// Read the screen's data again (the Attention screen's search).
    Refresh,

    // Not bindable: produced by the runtime.
    #[serde(skip)]
    Tick {
        now: DateTime<Utc>,
    },
    #[serde(skip)]
    Resize {
        width: u16,
        height: u16,
    },
    #[serde(skip)]
    Edit(Edit),
    #[serde(skip)]
    Engine(Box<SyncEvent>),
    #[serde(skip)]
    ScrollDown(u16),
    #[serde(skip)]
    ScrollUp(u16),
    /// A mouse click on screen row `row`.
    #[serde(skip)]
    Click {
        row: u16,
    },
    #[serde(skip)]
    ReposLoaded(Vec<TrackedRepo>),
    /// The first screenful by name, read before the whole list: shown while the list loads.
    #[serde(skip)]
    ReposPreview(Vec<TrackedRepo>),
    #[serde(skip)]
    DetailsLoaded {
        local: LocalId,
        details: Box<Option<RepoDetails>>,
    },
    #[serde(skip)]
    ActivityLoaded {
        repo: Option<RepoId>,
        entries: Vec<ActivityEntry>,
    },
    #[serde(skip)]
    ReleasesLoaded(Vec<(String, Release)>),
    /// Per-token use from the audit log over the last 24 h, for the rate panel.
    #[serde(skip)]
    TokenUseLoaded(Vec<crate::domain::TokenUse>),
    /// A store read or a runtime step failed; shown as a notice.
    #[serde(skip)]
    Failed {
        message: String,
    },
    /// The vault was unlocked from the passphrase dialog and the sync engine runs now.
    #[serde(skip)]
    Unlocked,
    /// The token vault is locked: ask for its passphrase (`retry` after a wrong one).
    #[serde(skip)]
    PassphraseNeeded {
        retry: bool,
    },
    /// The sync engine's event stream ended: browse what was last synced.
    #[serde(skip)]
    EngineStopped,
    /// `t` opened the store here: this process hosts it now (`pid`); `engine` says whether a sync
    /// engine runs, `locked` that the vault waits for its passphrase; `notices` are what opening
    /// the store found.
    #[serde(skip)]
    TookOver {
        pid: u32,
        engine: bool,
        locked: bool,
        notices: Vec<String>,
    },
    /// `t` found the store taken over by another view first: attached to it now (`host` is the
    /// header's label).
    #[serde(skip)]
    Reattached {
        host: String,
    },
    /// `t` could neither open the store nor attach to its new host.
    #[serde(skip)]
    TakeOverFailed {
        message: String,
    },

    // Not bindable: what the `:` command line and the dialogs ask for by name.
    /// Sync every tracked repo, ignoring `sync.min_interval` (`:sync all --force`).
    #[serde(skip)]
    ForceSyncAll,
    /// Sync these repos (`:sync NAME`); the keyed `s`/`S` sync the marked or selected ones.
    #[serde(skip)]
    SyncRepos {
        ids: Vec<LocalId>,
        force: bool,
    },
    /// Track these repos; the ones already tracked are left out.
    #[serde(skip)]
    AddRepos(Vec<RepoKey>),
    /// Ask to stop tracking these repos (the same confirmation `d` asks).
    #[serde(skip)]
    RemoveRepos(Vec<LocalId>),
    #[serde(skip)]
    ImportFrom(ImportSource),
    /// Search GitHub for this query in the search dialog.
    #[serde(skip)]
    SearchFor(String),
    #[serde(skip)]
    SortBy {
        sort: Sort,
        reverse: bool,
    },
    /// Filter the list by this text (the keyed `/` types it instead).
    #[serde(skip)]
    FilterBy(String),
    #[serde(skip)]
    SetTheme(String),
    /// A `[[commands]]` key: run the user's command at this index with the selected row's values.
    #[serde(skip)]
    UserCommand(usize),
    /// A user's command ended (a terminal one when the terminal is back, a background one when
    /// its output is in).
    #[serde(skip)]
    UserCommandDone(Box<UserRunDone>),
}

impl Action {
    /// The config name of a bindable action (`sync`, `page_down`, ...); `None` for runtime actions.
    pub fn name(&self) -> Option<String> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Parses a config name back into a bindable action.
    pub fn from_name(name: &str) -> Option<Action> {
        serde_json::from_value(serde_json::Value::String(name.trim().to_string())).ok()
    }

    /// What the action does, for `?` help.
    pub fn describe(&self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Up => "up",
            Down => "down",
            Top => "top",
            Bottom => "bottom",
            PageDown => "page down",
            PageUp => "page up",
            Open => "open",
            Back => "back",
            NextTab => "next tab",
            PrevTab => "previous tab",
            Tab1 => "overview",
            Tab2 => "commits",
            Tab3 => "branches",
            Tab4 => "pull requests",
            Tab5 => "issues",
            Tab6 => "releases",
            Tab7 => "activity",
            Filter => "filter",
            NextMatch => "next match",
            PrevMatch => "previous match",
            Command => "command",
            Help => "this help",
            Sync => "sync selected",
            ForceSync => "force sync",
            SyncAll => "sync all",
            Add => "add repo",
            Remove => "remove (asks)",
            Mark => "mark",
            OpenBrowser => "open in browser",
            CopyUrl => "copy URL",
            Jobs => "sync jobs",
            Activity => "activity feed",
            Releases => "all releases",
            RateLimits => "rate limits",
            Sort => "sort by next",
            SortReverse => "reverse sort",
            Cancel => "cancel job",
            Import => "import",
            Search => "search GitHub",
            Suspend => "suspend",
            Confirm => "yes",
            Submit => "submit",
            Complete => "complete",
            HistoryPrev => "older",
            HistoryNext => "newer",
            TakeOver => "take over store",
            MarkAllRead => "mark all read",
            FilterKind => "filter by kind (cycles)",
            FilterRepo => "only this repo (toggles)",
            Attention => "attention queue",
            Refresh => "refresh",
            _ => "",
        }
    }
}

/// What the runtime does for `update`: the only way the pure core touches the world.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send a command to the sync engine.
    Engine(SyncCommand),
    /// Unlock the token vault with this passphrase and start the sync engine; the runtime
    /// answers `Action::Unlocked`, `Action::PassphraseNeeded { retry: true }` or `Action::Failed`.
    Unlock(Passphrase),
    /// Re-read the tracked list from the store.
    LoadRepos,
    LoadDetails(LocalId),
    LoadActivity(Option<RepoId>),
    LoadReleases,
    /// Read the audit log's per-token use of the last 24 h (`Action::TokenUseLoaded`).
    LoadTokenUse,
    MarkRead(Option<RepoId>),
    /// Open the store here and host it, now that the host this view was attached to has gone;
    /// the runtime answers `Action::TookOver`, `Action::Reattached` or `Action::TakeOverFailed`.
    TakeOver,
    /// Open a URL in a browser (only emitted when one can be opened).
    OpenUrl(String),
    /// Copy text to the clipboard with OSC 52.
    Copy(String),
    Suspend,
    Quit,
    /// Run one of the user's `[[commands]]`; the runtime answers `Action::UserCommandDone`.
    RunUserCommand(UserRun),
}

/// A `[[commands]]` run: the argv with the row's values in place (each value its own argument,
/// or an `sh` positional parameter), and how it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRun {
    /// The key and the command's description, for the status line and the output dialog.
    pub label: String,
    pub argv: Vec<String>,
    /// Output captured and shown in a dialog; else the terminal is handed over.
    pub background: bool,
}

/// How a `[[commands]]` run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRunDone {
    pub label: String,
    pub background: bool,
    /// The exit code; `None` when a signal ended it (or it never started).
    pub code: Option<i32>,
    /// stdout then stderr of a background run (capped), as text.
    pub output: String,
    /// It could not be started (no such program, ...).
    pub error: Option<String>,
}

impl UserRunDone {
    /// A run of `label` with nothing known yet about how it ended.
    pub fn new(label: String, background: bool) -> UserRunDone {
        UserRunDone {
            label,
            background,
            code: None,
            output: String::new(),
            error: None,
        }
    }
}

/// A passphrase typed into the TUI; never printed (Debug shows `***`).
#[derive(Clone)]
pub struct Passphrase(pub secrecy::SecretString);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

impl PartialEq for Passphrase {
    fn eq(&self, other: &Self) -> bool {
        crate::secrets::expose(&self.0, |a| crate::secrets::expose(&other.0, |b| a == b))
    }
}
impl Eq for Passphrase {}
