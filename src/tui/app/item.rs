//! The pull request and issue views of the repo screen: Enter on a row of the PRs or Issues tab
//! opens it (by number), j/k/PgUp/PgDn/g/G scroll it, Esc closes it, `o`/`y` use its URL. The
//! scroll is clamped to the text's length at the current size, which the renderer
//! (`screens::item_detail`) measures, so `G` then `k` moves at once. An item opened from the
//! Attention screen (`item_back`) closes back to that screen.

use super::{App, Item, Tab};
use crate::domain::{Issue, PullRequest};
use crate::tui::screens::item_detail;

impl App {
    /// The pull request on screen, if one is open and still stored.
    pub fn open_pull(&self) -> Option<&PullRequest> {
        let Some(Item::Pull(n)) = self.detail.item else {
            return None;
        };
        self.detail
            .details
            .as_ref()?
            .pulls
            .iter()
            .find(|p| p.number == n)
    }

    /// The issue on screen, if one is open and still stored.
    pub fn open_issue(&self) -> Option<&Issue> {
        let Some(Item::Issue(n)) = self.detail.item else {
            return None;
        };
        self.detail
            .details
            .as_ref()?
            .issues
            .iter()
            .find(|i| i.number == n)
    }

    /// Enter on the PRs or Issues tab: opens the selected row.
    pub(super) fn open_selected_item(&mut self) {
        let tab = self.detail.tab();
        let sel = self.detail.cursors[tab.index()].sel;
        let Some(d) = self.detail.details.as_ref() else {
            return;
        };
        let item = match tab {
            Tab::Pulls => d.pulls.get(sel).map(|p| Item::Pull(p.number)),
            Tab::Issues => d.issues.get(sel).map(|i| Item::Issue(i.number)),
            _ => None,
        };
        if item.is_some() {
            self.detail.item = item;
            self.detail.item_back = false;
            self.detail.scroll = 0;
        }
    }

    /// Esc on an open pull request or issue: back to its tab, the row still selected.
    pub(super) fn close_item(&mut self) {
        self.detail.item = None;
        self.detail.item_back = false;
        self.detail.scroll = 0;
    }

    /// The open pull request's head: its sha and branch (a fork's `owner:branch` gives the
    /// branch), each when GitHub has told it.
    pub(super) fn open_pull_head(&self) -> (Option<String>, Option<String>) {
        let Some(p) = self.open_pull() else {
            return (None, None);
        };
        let branch = p.head.rsplit_once(':').map_or(p.head.as_str(), |(_, b)| b);
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        (some(&p.head_sha), some(branch))
    }

    /// Scrolls the open pull request or issue, never past its last line.
    pub(super) fn item_scroll(&mut self, delta: isize) {
        let max = self.item_max_scroll() as isize;
        self.detail.scroll = (self.detail.scroll as isize + delta).clamp(0, max) as u16;
    }

    /// How far the text scrolls: its lines at this width less the rows it is drawn in.
    fn item_max_scroll(&self) -> u16 {
        let lines = item_detail::line_count(self, self.width);
        let rows = item_detail::rows(self.height);
        u16::try_from(lines.saturating_sub(rows)).unwrap_or(u16::MAX)
    }
}
