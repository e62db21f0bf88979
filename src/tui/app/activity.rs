//! The activity screen's part of `App`: its filters (by kind, cycling through the kinds the feed
//! has; by the selected row's repository) and "mark all read". The whole feed is kept in
//! `activity_all`; `activity.rows` is what the filters let through, so the cursor, Enter and
//! the URL work on what is shown.

use super::{App, Level, Screen};
use crate::domain::{ActivityEntry, Change, RepoId};
use crate::tui::action::Effect;

/// What the activity screen shows: every change, or one kind, or one repo's (or both).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// A `Change::kind` name.
    pub kind: Option<&'static str>,
    /// A repository and its name (for the title).
    pub repo: Option<(RepoId, String)>,
}

impl ActivityFilter {
    fn lets(&self, e: &ActivityEntry) -> bool {
        self.kind.is_none_or(|k| e.change.kind() == k)
            && self.repo.as_ref().is_none_or(|(id, _)| e.repo == *id)
    }

    pub fn is_set(&self) -> bool {
        self.kind.is_some() || self.repo.is_some()
    }
}

impl App {
    pub fn activity_filter(&self) -> &ActivityFilter {
        &self.activity_filter
    }

    /// The whole feed arrived (the filters stay).
    pub(super) fn activity_feed(&mut self, entries: Vec<ActivityEntry>) {
        self.activity_all = entries;
        self.refilter_activity();
    }

    /// New entries on top of the feed.
    pub(super) fn activity_prepend(&mut self, entries: Vec<ActivityEntry>) {
        for e in entries.into_iter().rev() {
            self.activity_all.insert(0, e);
        }
        self.refilter_activity();
    }

    /// `t`: the next kind the feed has (in `Change::KINDS` order), then every kind again.
    pub(super) fn cycle_kind_filter(&mut self) {
        let present: Vec<&'static str> = Change::KINDS
            .iter()
            .copied()
            .filter(|k| self.activity_all.iter().any(|e| e.change.kind() == *k))
            .collect();
        let next = match self.activity_filter.kind {
            None => present.first().copied(),
            Some(k) => present
                .iter()
                .position(|p| *p == k)
                .and_then(|i| present.get(i + 1).copied()),
        };
        self.activity_filter.kind = next;
        self.refilter_activity();
    }

    /// `r`: only the selected row's repository, or every repository again.
    pub(super) fn toggle_repo_filter(&mut self) {
        if self.activity_filter.repo.take().is_none() {
            let sel = self.activity.rows.get(self.activity.cursor.sel);
            self.activity_filter.repo = sel.map(|e| (e.repo, e.full_name.clone()));
        }
        self.refilter_activity();
    }

    /// `m`: every change read, here and in the store; the list's "changed" count goes to 0.
    pub(super) fn mark_all_read(&mut self, fx: &mut Vec<Effect>) {
        let unread = self.activity_all.iter().filter(|e| !e.read).count();
        for e in self
            .activity_all
            .iter_mut()
            .chain(self.activity.rows.iter_mut())
        {
            e.read = true;
        }
        for r in &mut self.repos {
            r.unread = 0;
        }
        fx.push(Effect::MarkRead(None));
        self.say(
            format!(
                "marked {unread} change{} read",
                if unread == 1 { "" } else { "s" }
            ),
            Level::Info,
        );
    }

    /// Marks one repo's entries read in the whole feed too (Enter on a row).
    pub(super) fn activity_repo_read(&mut self, repo: RepoId) {
        for e in self.activity_all.iter_mut().filter(|e| e.repo == repo) {
            e.read = true;
        }
    }

    /// `rows` = what the filters let through; the cursor stays on the same entry when it can.
    fn refilter_activity(&mut self) {
        let selected = self
            .activity
            .rows
            .get(self.activity.cursor.sel)
            .map(|e| e.seq);
        self.activity.rows = self
            .activity_all
            .iter()
            .filter(|e| self.activity_filter.lets(e))
            .cloned()
            .collect();
        let len = self.activity.rows.len();
        let at = selected
            .and_then(|s| self.activity.rows.iter().position(|e| e.seq == s))
            .unwrap_or(self.activity.cursor.sel);
        let page = self.page();
        self.activity.cursor.to(at, len, page);
        if self.screen == Screen::Activity {
            self.dirty = true;
        }
    }
}
