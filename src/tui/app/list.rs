//! The repo list part of `App`: the tracked repos, their index, the filtered and sorted view, the
//! list cursor, marks, and the sync events that add and remove repos. `screen.rs` and the command
//! line reach it through the actions they handle.

use tui_input::Input;

use super::{App, Cursor, LIST_TOP, Level, STATUS_SECS, Screen, Sort};
use crate::domain::{LocalId, SyncStatus, TrackedRepo};
use crate::filter::Filter;
use crate::tui::action::Action;

impl App {
    pub(super) fn repos_loaded(&mut self, repos: Vec<TrackedRepo>) {
        let first = std::mem::replace(&mut self.loading, false);
        if first && self.list.sel == 0 {
            // The first full list starts at its top: the preview's first row (in the store's
            // order) is not the list's first row, and following it would start mid-list.
            self.list = Cursor::default();
            self.repos = repos;
            self.reindex();
            self.marked.retain(|l| self.index.contains_key(l));
            self.rebuild_view(None);
            return;
        }
        self.set_repos(repos);
    }

    /// The first screenful, shown until the whole list arrives.
    pub(super) fn repos_preview(&mut self, repos: Vec<TrackedRepo>) {
        if self.loading {
            self.set_repos(repos);
        }
    }

    fn set_repos(&mut self, repos: Vec<TrackedRepo>) {
        let keep = self.selected_local();
        self.repos = repos;
        self.reindex();
        self.marked.retain(|l| self.index.contains_key(l));
        self.rebuild_view(keep);
    }

    pub(super) fn selected_local(&self) -> Option<LocalId> {
        self.selected_repo().map(|r| r.local)
    }

    fn reindex(&mut self) {
        self.index = self
            .repos
            .iter()
            .enumerate()
            .map(|(i, r)| (r.local, i))
            .collect();
    }

    /// Indices of the repos the filter matches, in stored order. The filter is the last text
    /// that parsed (`crate::filter`); while the line holds an error the list keeps that one.
    fn filtered(&self) -> Vec<usize> {
        if self.filter_parsed.is_empty() {
            return (0..self.repos.len()).collect();
        }
        (0..self.repos.len())
            .filter(|i| self.filter_parsed.matches(&self.repos[*i]))
            .collect()
    }

    /// Parses the filter line: a valid text replaces the filter in use, an invalid one is kept
    /// as the error the filter bar shows (the list stays as it was).
    fn parse_filter(&mut self) {
        match Filter::parse(self.filter.value()) {
            Ok(f) => {
                self.filter_parsed = f;
                self.filter_error = None;
            }
            Err(e) => self.filter_error = Some(e.message),
        }
    }

    fn sort_view(&self, view: &mut [usize]) {
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
    }

    /// Recomputes filter and sort, keeping the selection on `keep` when it is still shown.
    pub(super) fn rebuild_view(&mut self, keep: Option<LocalId>) {
        let mut view = self.filtered();
        self.sort_view(&mut view);
        self.view = view;
        let sel = keep
            .and_then(|l| self.index.get(&l))
            .and_then(|i| self.view.iter().position(|v| v == i))
            .unwrap_or(self.list.sel);
        self.list_to(sel);
    }

    /// Moves the list cursor to row `sel` of the view.
    fn list_to(&mut self, sel: usize) {
        let (len, page) = (self.view.len(), self.page());
        self.list.to(sel, len, page);
    }

    pub(super) fn list_move(&mut self, delta: isize) {
        let (len, page) = (self.view.len(), self.page());
        self.list.move_by(delta, len, page);
    }

    pub(super) fn upsert_repo(&mut self, repo: TrackedRepo) {
        let keep = self.selected_local();
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

    /// Repos a bulk action applies to: the marked ones, else the one under the cursor.
    pub(super) fn targets(&self) -> Vec<&TrackedRepo> {
        if self.screen == Screen::List && !self.marked.is_empty() {
            self.marked.iter().filter_map(|l| self.repo(*l)).collect()
        } else {
            self.current_repo().into_iter().collect()
        }
    }

    /// Keys while the filter line has the keyboard (text edits arrive as `Action::Edit`).
    pub(super) fn filter_action(&mut self, action: Action) {
        match action {
            // A filter with an error stays open: the line shows why, the list the last valid one.
            Action::Submit => self.filtering = self.filter_error.is_some(),
            Action::HistoryNext | Action::HistoryPrev => {
                self.filtering = false;
                self.list_move(if action == Action::HistoryNext { 1 } else { -1 });
            }
            Action::Back => {
                self.filtering = false;
                self.clear_filter();
            }
            _ => {}
        }
    }

    /// The filter text changed: the view starts again from the top.
    pub(super) fn filter_edited(&mut self) {
        self.parse_filter();
        self.list = Cursor::default();
        self.rebuild_view(None);
    }

    fn clear_filter(&mut self) {
        let keep = self.selected_local();
        self.filter = Input::default();
        self.parse_filter();
        self.rebuild_view(keep);
    }

    /// `/`: the list, with the filter line taking the keyboard.
    pub(super) fn start_filter(&mut self) {
        if self.screen != Screen::List {
            self.screen = Screen::List;
            self.back.clear();
        }
        self.filtering = true;
    }

    /// `:filter TEXT`: the list, filtered by `text`.
    pub(super) fn filter_by(&mut self, text: String) {
        let keep = self.selected_local();
        self.filter = Input::new(text);
        self.parse_filter();
        self.screen = Screen::List;
        self.back.clear();
        self.rebuild_view(keep);
        if let Some(e) = self.filter_error.clone() {
            self.say(format!("filter: {e}"), Level::Error);
        }
    }

    /// Esc on the list: the filter goes first, then the marks.
    pub(super) fn list_back(&mut self) {
        if !self.filter.value().is_empty() {
            self.clear_filter();
        } else {
            self.marked.clear();
        }
    }

    pub(super) fn sort_by(&mut self, sort: Sort, reverse: bool) {
        self.sort = sort;
        self.sort_rev = reverse;
        self.resorted();
        self.say(format!("sorted by {}", sort.name()), Level::Info);
    }

    pub(super) fn reverse_sort(&mut self) {
        self.sort_rev = !self.sort_rev;
        self.resorted();
    }

    /// After a new sort order: the selection stays on its repo, and the view shows the new
    /// order's top when the selection fits on the first page, else the selection mid-page (never
    /// the selected row pinned at the top with the real top hidden above it).
    fn resorted(&mut self) {
        let keep = self.selected_local();
        self.rebuild_view(keep);
        let (len, page, sel) = (self.view.len(), self.page(), self.list.sel);
        self.list.offset = if sel < page {
            0
        } else {
            (sel - page / 2).min(len.saturating_sub(page))
        };
    }

    /// Marks or unmarks the selected repo and moves down.
    pub(super) fn toggle_mark(&mut self) {
        if let Some(l) = self.selected_local() {
            if !self.marked.remove(&l) {
                self.marked.insert(l);
            }
            self.list_move(1);
        }
    }

    /// A click on screen row `row` of the list selects the repo drawn there.
    pub(super) fn click(&mut self, row: u16) {
        if row < LIST_TOP || self.screen != Screen::List {
            return;
        }
        let i = self.list.visible_offset(self.view.len(), self.page()) + (row - LIST_TOP) as usize;
        if i < self.view.len() {
            self.list_to(i);
        }
    }

    /// `SyncEvent::Tracked`: the new repos join the list and the first one is selected.
    pub(super) fn on_tracked(&mut self, repos: Vec<TrackedRepo>) {
        let n = repos.len();
        let first = repos.first().map(|r| (r.local, r.key.to_string()));
        for r in repos {
            self.upsert_repo(r);
        }
        let Some((local, name)) = first else {
            return;
        };
        if let Some(pos) = self
            .index
            .get(&local)
            .and_then(|i| self.view.iter().position(|v| v == i))
        {
            self.list_to(pos);
        }
        let msg = if n == 1 {
            format!("added {name}")
        } else {
            format!("added {n} repositories")
        };
        self.say(msg, Level::Info);
    }

    /// `SyncEvent::Untracked`: the repo leaves the list, its marks and its job.
    pub(super) fn on_untracked(&mut self, id: LocalId) {
        let name = self.repo(id).map(|r| r.key.to_string());
        if let Some(i) = self.index.get(&id).copied() {
            let keep = self.selected_local().filter(|l| *l != id);
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
            self.said_removed(name);
        }
    }

    /// "removed a, b": removals that end while the last one's message is up join it, so a bulk
    /// remove names every repo (or counts them) instead of only the last.
    fn said_removed(&mut self, name: String) {
        let joining = self.status.as_ref().is_some_and(|s| {
            s.text.starts_with("removed ")
                && self.now - s.since < chrono::Duration::seconds(STATUS_SECS)
        });
        if !joining {
            self.removed.clear();
        }
        self.removed.push(name);
        let text = match self.removed.as_slice() {
            names @ [_, ..] if names.len() <= 3 => format!("removed {}", names.join(", ")),
            names => format!(
                "removed {} repositories: {}, {}, {} and {} more",
                names.len(),
                names[0],
                names[1],
                names[2],
                names.len() - 3
            ),
        };
        self.say(text, Level::Info);
    }
}
