//! The Attention screen's part of `App` (`W`, `:attention`): asking the engine for the queue on
//! open and on `r` (never in the background), the rows grouped by reason with a heading per group
//! (the cursor skips headings), Enter to the item's detail (a PR's own view, a failing head's
//! Overview, a release's row; Esc comes back to the same row), and the last look recorded when
//! the screen is left.

use chrono::{DateTime, Utc};

use super::{App, Cursor, Item, Level, Screen, Tab};
use crate::domain::{
    AttentionItem, AttentionReason, AttentionSearchState, AttentionSubject, LocalId, RepoDetails,
    short_sha,
};
use crate::sync::SyncCommand;
use crate::tui::action::Effect;

/// One line of the screen's list: a group's heading or an item (an index into `items`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttentionRow {
    Header {
        reason: AttentionReason,
        count: usize,
    },
    Item(usize),
}

/// The Attention screen's state.
#[derive(Debug, Clone, Default)]
pub struct AttentionView {
    /// A refresh was asked for and has not answered yet.
    pub loading: bool,
    /// Answered at least once (so an empty list means "nothing needs you").
    pub loaded: bool,
    pub items: Vec<AttentionItem>,
    pub rows: Vec<AttentionRow>,
    /// Over `rows`; never on a heading while there are items.
    pub cursor: Cursor,
    /// How the GitHub search went (`None` until the first answer).
    pub search: Option<AttentionSearchState>,
    /// The last look the releases were compared with.
    pub seen: Option<DateTime<Utc>>,
    /// The queue could not be built at all.
    pub error: Option<String>,
    /// When the last answer arrived.
    pub at: Option<DateTime<Utc>>,
    /// Enter on an item: the row to select once its repo's details are read.
    jump: Option<(LocalId, AttentionSubject)>,
}

impl AttentionView {
    /// The item under the cursor.
    pub fn selected(&self) -> Option<&AttentionItem> {
        match self.rows.get(self.cursor.sel)? {
            AttentionRow::Item(i) => self.items.get(*i),
            AttentionRow::Header { .. } => None,
        }
    }
}

/// Where an Attention item's subject is in a repo's details: the tab, its row and the tab's length.
fn row_of(d: &RepoDetails, subject: &AttentionSubject) -> Option<(Tab, usize, usize)> {
    match subject {
        AttentionSubject::PullRequest { number } => d
            .pulls
            .iter()
            .position(|p| p.number == *number)
            .map(|i| (Tab::Pulls, i, d.pulls.len())),
        AttentionSubject::Commit { sha } => d
            .commits
            .iter()
            .position(|c| c.sha == *sha)
            .map(|i| (Tab::Commits, i, d.commits.len())),
        AttentionSubject::Release { tag } => d
            .releases
            .iter()
            .position(|r| r.tag == *tag)
            .map(|i| (Tab::Releases, i, d.releases.len())),
    }
}

/// Items (already in screen order) as rows with a heading per reason.
fn rows_of(items: &[AttentionItem]) -> Vec<AttentionRow> {
    let mut rows = Vec::with_capacity(items.len() + AttentionReason::ALL.len());
    for reason in AttentionReason::ALL {
        let count = items.iter().filter(|i| i.reason == reason).count();
        if count == 0 {
            continue;
        }
        rows.push(AttentionRow::Header { reason, count });
        rows.extend(
            items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.reason == reason)
                .map(|(n, _)| AttentionRow::Item(n)),
        );
    }
    rows
}

impl App {
    pub fn attention(&self) -> &AttentionView {
        &self.attention
    }

    /// `W` / `:attention`: shows the screen and asks for a fresh queue.
    pub(super) fn open_attention(&mut self, fx: &mut Vec<Effect>) {
        self.go(Screen::Attention);
        self.refresh_attention(fx);
    }

    /// `r` on the screen: the queue again (one search, 1 point).
    pub(super) fn refresh_attention(&mut self, fx: &mut Vec<Effect>) {
        if self.attention.loading {
            self.say("the attention queue is already being read…", Level::Info);
            return;
        }
        self.attention.loading = true;
        fx.push(Effect::Engine(SyncCommand::Attention));
    }

    /// The engine's answer.
    pub(super) fn attention_loaded(
        &mut self,
        items: Vec<AttentionItem>,
        search: AttentionSearchState,
        seen: Option<DateTime<Utc>>,
    ) {
        let keep = self.attention.selected().cloned();
        let a = &mut self.attention;
        a.loading = false;
        a.loaded = true;
        a.error = None;
        a.rows = rows_of(&items);
        a.items = items;
        a.search = Some(search);
        a.seen = seen;
        a.at = Some(self.now);
        let at = keep
            .and_then(|k| {
                a.rows.iter().position(|r| match r {
                    AttentionRow::Item(i) => a.items.get(*i) == Some(&k),
                    AttentionRow::Header { .. } => false,
                })
            })
            .unwrap_or(0);
        self.attention_to(at, 1);
    }

    pub(super) fn attention_failed(&mut self, message: &str) {
        self.attention.loading = false;
        self.attention.error = Some(crate::sanitize::line(message).into_owned());
    }

    /// Moves the cursor by `delta` rows, over headings (in the direction of the move).
    pub(super) fn attention_move(&mut self, delta: isize) {
        let len = self.attention.rows.len() as isize;
        if len == 0 {
            return;
        }
        let to = (self.attention.cursor.sel as isize + delta).clamp(0, len - 1);
        self.attention_to(to as usize, if delta < 0 { -1 } else { 1 });
    }

    /// Puts the cursor on row `at`, or the nearest item from there in direction `dir` (then the
    /// other way, so the first item is reached from the top heading).
    fn attention_to(&mut self, at: usize, dir: isize) {
        let page = self.page();
        let a = &mut self.attention;
        let is_item = |i: usize| matches!(a.rows.get(i), Some(AttentionRow::Item(_)));
        let len = a.rows.len();
        let found = (0..len)
            .map(|k| at as isize + dir * k as isize)
            .chain((0..len).map(|k| at as isize - dir * k as isize))
            .filter(|i| (0..len as isize).contains(i))
            .map(|i| i as usize)
            .find(|i| is_item(*i));
        a.cursor.to(found.unwrap_or(0), len, page);
    }

    /// Esc: back, and the queue counts as looked at (its releases are no longer new).
    pub(super) fn leave_attention(&mut self, fx: &mut Vec<Effect>) {
        if self.attention.loaded {
            fx.push(Effect::Engine(SyncCommand::AttentionSeen { at: self.now }));
        }
        self.go_back();
    }

    /// Enter: the item's detail. A pull request opens in its own view (Esc comes back here, to
    /// the same row); a failing default branch opens the repo's Overview, which shows its CI with
    /// the failing checks (the commit is selected on the Commits tab); a release opens the
    /// Releases tab on its row. An untracked repo opens nothing; a pull request that is not
    /// stored falls back to the repo's PRs tab. Both say why and how to reach it in the browser.
    pub(super) fn open_attention_item(&mut self, fx: &mut Vec<Effect>) {
        let Some(item) = self.attention.selected().cloned() else {
            return;
        };
        // Tracked since the queue was read (`:add` on an untracked row): found by its name.
        let by_name = || {
            self.repos
                .iter()
                .find(|r| r.key.to_string().eq_ignore_ascii_case(&item.repo))
                .map(|r| r.local)
        };
        let Some(local) = item
            .local
            .filter(|l| self.repo(*l).is_some())
            .or_else(by_name)
        else {
            let repo = crate::sanitize::line(&item.repo).into_owned();
            let what = match &item.subject {
                AttentionSubject::PullRequest { number } => format!("#{number}"),
                AttentionSubject::Commit { sha } => short_sha(sha).to_string(),
                AttentionSubject::Release { tag } => crate::sanitize::line(tag).into_owned(),
            };
            self.say(
                format!(
                    "{repo} is not tracked: o opens {what} in the browser, :add {repo} tracks it"
                ),
                Level::Info,
            );
            return;
        };
        let tab = match item.subject {
            AttentionSubject::PullRequest { .. } => Tab::Pulls,
            AttentionSubject::Commit { .. } => Tab::Overview,
            AttentionSubject::Release { .. } => Tab::Releases,
        };
        self.open_detail(local, tab, fx);
        if let AttentionSubject::PullRequest { number } = item.subject {
            self.detail.item = Some(Item::Pull(number));
            self.detail.item_back = true;
            self.detail.scroll = 0;
        }
        self.attention.jump = Some((local, item.subject));
    }

    /// The repo screen was left or another repo opened: an Enter still waiting for its details
    /// lands nowhere.
    pub(super) fn attention_left_detail(&mut self) {
        self.attention.jump = None;
    }

    /// The repo screen's details arrived: selects the row an Attention item asked for, or, when
    /// its pull request is not stored, shows the repo's PRs tab and says why.
    pub(super) fn attention_landed(&mut self, local: LocalId) {
        let Some((at, subject)) = self.attention.jump.take() else {
            return;
        };
        if at != local {
            self.attention.jump = Some((at, subject));
            return;
        }
        let d = self.detail.details.as_ref();
        if let Some((tab, i, len)) = d.and_then(|d| row_of(d, &subject)) {
            let page = self.page();
            self.detail.cursors[tab.index()].to(i, len, page);
            return;
        }
        let repo = self
            .repo(local)
            .map(|r| r.key.to_string())
            .unwrap_or_default();
        let stored = d.is_some();
        // Short enough for an 80-column status line up to "browser".
        let why = match &subject {
            AttentionSubject::PullRequest { number } if stored => {
                self.close_item();
                format!(
                    "#{number} is not among the stored open PRs: esc, then o opens it in the browser; s syncs"
                )
            }
            AttentionSubject::PullRequest { number } => {
                self.close_item();
                format!(
                    "#{number}: {repo} is not synced yet (s syncs it); esc, then o opens #{number} in the browser"
                )
            }
            AttentionSubject::Release { tag } => format!(
                "{} is not among the stored releases: esc, then o opens it in the browser; s syncs",
                crate::sanitize::line(tag)
            ),
            // The Overview shows the head's CI whether or not the commit is stored.
            AttentionSubject::Commit { .. } => return,
        };
        self.say(why, Level::Warn);
    }

    /// The selected item's URL (for `o` and `y`).
    pub(super) fn attention_url(&self) -> Option<String> {
        self.attention.selected().map(|i| i.url.clone())
    }
}
