//! The repo screen part of `App`: opening a repo (from the list, the activity feed or the jobs
//! screen), its tabs and commits, what the store and the engine send for it, and the URL of
//! whatever is selected on any screen (for `o` and `y`).

use super::{App, Detail, Item, Level, Screen, Tab};
use crate::domain::{ActivityEntry, Change, Commit, LocalId, RepoDetails, RepoId, TrackedRepo};
use crate::sanitize;
use crate::sync::SyncCommand;
use crate::tui::action::{Action, Effect};

impl App {
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

    pub(super) fn detail_len(&self, tab: Tab) -> usize {
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

    pub(super) fn details_loaded(&mut self, local: LocalId, details: Option<RepoDetails>) {
        if self.detail.local == Some(local) {
            self.detail.details = details;
            self.detail.loading = false;
            self.attention_landed(local);
        }
    }

    /// The activity feed arrived: the whole feed (`None`) or one repo's, for its Activity tab.
    pub(super) fn activity_loaded(&mut self, repo: Option<RepoId>, entries: Vec<ActivityEntry>) {
        match repo {
            None => {
                self.activity.loading = false;
                self.activity_feed(entries);
                let len = self.activity.rows.len();
                let page = self.page();
                self.activity.cursor.to(self.activity.cursor.sel, len, page);
            }
            Some(id) => {
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
        }
    }

    /// A sync of the repo on screen finished: read its details again.
    pub(super) fn reload_detail_of(&mut self, id: LocalId, fx: &mut Vec<Effect>) {
        if self.detail.local == Some(id) && self.screen == Screen::Detail {
            self.detail.loading = true;
            fx.push(Effect::LoadDetails(id));
        }
    }

    pub(super) fn on_commit_fetched(&mut self, id: LocalId, commit: Commit) {
        if self.detail.local == Some(id) {
            self.detail.fetching.remove(&commit.sha);
            self.detail.fetched.insert(commit.sha.clone(), commit);
        }
    }

    pub(super) fn on_commit_failed(&mut self, id: LocalId, sha: &str, message: &str) {
        if self.detail.local == Some(id) {
            self.detail.fetching.remove(sha);
            self.detail.commit_error = Some(sanitize::line(message).into_owned());
        }
    }

    pub(super) fn open_detail(&mut self, local: LocalId, tab: Tab, fx: &mut Vec<Effect>) {
        self.attention_left_detail();
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
            self.detail.item = None;
            self.detail.item_back = false;
            self.detail.items_asked = false;
        }
        self.detail.tab = tab.index();
        fx.push(Effect::LoadDetails(local));
        if let Some(id) = self.repo(local).and_then(|r| r.id) {
            fx.push(Effect::LoadActivity(Some(id)));
        }
        self.go(Screen::Detail);
    }

    /// The freshness scheduler probes the repo on the detail screen at its fastest cadence: tells
    /// the engine when that repo changes, and `Focus(None)` when the detail screen is left.
    pub(super) fn sync_focus(&mut self, fx: &mut Vec<Effect>) {
        let want = self.detail.local.filter(|_| self.screen == Screen::Detail);
        if want != self.focused {
            self.focused = want;
            fx.push(Effect::Engine(SyncCommand::Focus(want)));
        }
    }

    /// Shows tab `n` (0 = Overview) of the repo screen.
    pub(super) fn show_tab(&mut self, n: usize) {
        self.detail.tab = n % Tab::ALL.len();
        self.detail.commit = None;
        self.detail.item = None;
        self.detail.item_back = false;
        self.detail.scroll = 0;
    }

    /// Esc on the repo screen: an open commit, pull request or issue closes first (one opened
    /// from the Attention screen closes back to it).
    pub(super) fn detail_back(&mut self) {
        if self.detail.item.is_some() {
            let leave = self.detail.item_back;
            self.close_item();
            if leave {
                self.attention_left_detail();
                self.go_back();
            }
        } else if self.detail.commit.is_some() {
            self.detail.commit = None;
            self.detail.commit_error = None;
            self.detail.scroll = 0;
        } else {
            self.attention_left_detail();
            self.go_back();
        }
    }

    /// Moves within the repo screen: scrolls text (overview, a commit) or moves the tab's cursor.
    pub(super) fn detail_move(&mut self, delta: isize) {
        if self.detail.item.is_some() {
            self.item_scroll(delta);
        } else if self.detail.commit.is_some() || self.detail.tab() == Tab::Overview {
            self.detail.scroll = (self.detail.scroll as isize + delta).clamp(0, 500) as u16;
        } else {
            let tab = self.detail.tab();
            let len = self.detail_len(tab);
            let page = self.page();
            self.detail.cursors[tab.index()].move_by(delta, len, page);
        }
    }

    /// Enter: opens what is selected on the current screen.
    pub(super) fn open(&mut self, fx: &mut Vec<Effect>) {
        match self.screen {
            Screen::List => {
                if let Some(l) = self.selected_local() {
                    self.open_detail(l, Tab::Overview, fx);
                }
            }
            Screen::Detail => match self.detail.tab() {
                Tab::Commits if self.detail.commit.is_none() => self.open_selected_commit(fx),
                Tab::Pulls | Tab::Issues if self.detail.item.is_none() => self.open_selected_item(),
                Tab::Releases => self.screen_action(Action::OpenBrowser, fx),
                _ => {}
            },
            Screen::Activity => self.open_activity_entry(fx),
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
            Screen::Attention => self.open_attention_item(fx),
        }
    }

    /// Opens the selected commit; fetches its files when the store has none.
    fn open_selected_commit(&mut self, fx: &mut Vec<Effect>) {
        let sel = self.detail.cursors[Tab::Commits.index()].sel;
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

    /// Opens the repo of the selected activity entry on the tab its change belongs to, and
    /// marks that repo's activity read.
    fn open_activity_entry(&mut self, fx: &mut Vec<Effect>) {
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
        self.activity_repo_read(e.repo);
        if let Some(&i) = self.index.get(&local) {
            self.repos[i].unread = 0;
        }
        fx.push(Effect::MarkRead(Some(e.repo)));
        self.open_detail(local, tab, fx);
    }

    /// The URL of what is selected on the current screen.
    pub(super) fn url_here(&self) -> Option<String> {
        let url = match self.screen {
            Screen::Detail => self.detail_url(repo_url(self.current_repo()?)),
            Screen::Releases => self
                .releases
                .rows
                .get(self.releases.cursor.sel)
                .map(|(_, r)| r.url.clone())?,
            Screen::Activity => activity_url(self.activity.rows.get(self.activity.cursor.sel)?),
            Screen::Attention => self.attention_url()?,
            _ => repo_url(self.current_repo()?),
        };
        Some(sanitize::line(&url).into_owned())
    }

    /// On the repo screen: the open commit, pull request or issue, else the selected row of the
    /// tab, else the repo.
    fn detail_url(&self, base: String) -> String {
        if let Some(sha) = &self.detail.commit {
            return format!("{base}/commit/{sha}");
        }
        let open = match self.detail.item {
            Some(Item::Pull(n)) => Some(
                self.open_pull()
                    .map_or_else(|| format!("{base}/pull/{n}"), |p| p.url.clone()),
            ),
            Some(Item::Issue(n)) => Some(
                self.open_issue()
                    .map_or_else(|| format!("{base}/issues/{n}"), |i| i.url.clone()),
            ),
            None => None,
        };
        if let Some(url) = open.filter(|u| !u.is_empty()) {
            return url;
        }
        let d = self.detail.details.as_ref();
        let sel = self.detail.cursors[self.detail.tab].sel;
        let row = match self.detail.tab() {
            Tab::Commits => d
                .and_then(|d| d.commits.get(sel))
                .map(|c| format!("{base}/commit/{}", c.sha)),
            Tab::Branches => d
                .and_then(|d| d.branches.get(sel))
                .map(|b| format!("{base}/tree/{}", b.name)),
            Tab::Pulls => d.and_then(|d| d.pulls.get(sel)).map(|p| p.url.clone()),
            Tab::Issues => d.and_then(|d| d.issues.get(sel)).map(|i| i.url.clone()),
            Tab::Releases => d.and_then(|d| d.releases.get(sel)).map(|r| r.url.clone()),
            _ => None,
        };
        row.unwrap_or(base)
    }
}

fn repo_url(r: &TrackedRepo) -> String {
    r.meta
        .as_ref()
        .map(|m| m.html_url.clone())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| r.key.html_url())
}

fn activity_url(e: &ActivityEntry) -> String {
    let base = format!("https://github.com/{}", e.full_name);
    match &e.change {
        Change::PrOpened { number, .. }
        | Change::PrClosed { number, .. }
        | Change::PrMerged { number, .. } => format!("{base}/pull/{number}"),
        Change::IssueOpened { number, .. } | Change::IssueClosed { number, .. } => {
            format!("{base}/issues/{number}")
        }
        Change::NewRelease { tag } => format!("{base}/releases/tag/{tag}"),
        _ => base,
    }
}
