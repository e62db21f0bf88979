//! Keyed actions when no dialog is open and the filter line does not have the keyboard: one arm
//! per action, each handing over to the part of `App` it concerns (`list`, `detail`, `jobs`,
//! `dialogs`). Also the cursor movement shared by every screen and the browser/clipboard actions.

use super::{App, Dialog, Level, Screen};
use crate::tui::action::{Action, Effect};

impl App {
    pub(super) fn screen_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let page = self.page() as isize;
        let detail = self.screen == Screen::Detail;
        match action {
            Action::Quit => {
                self.quit = true;
                fx.push(Effect::Quit);
            }
            Action::Suspend => fx.push(Effect::Suspend),
            Action::Up | Action::PrevMatch => self.move_cursor(-1),
            Action::Down | Action::NextMatch => self.move_cursor(1),
            Action::ScrollUp(n) => self.move_cursor(-(n as isize)),
            Action::ScrollDown(n) => self.move_cursor(n as isize),
            Action::PageDown => self.move_cursor(page / 2),
            Action::PageUp => self.move_cursor(-page / 2),
            Action::Top => self.move_cursor(-(isize::MAX / 2)),
            Action::Bottom => self.move_cursor(isize::MAX / 2),
            Action::Click { row } => self.click(row),
            Action::Open => self.open(fx),
            Action::Back => match self.screen {
                Screen::Detail => self.detail_back(),
                Screen::Attention => self.leave_attention(fx),
                Screen::List => self.list_back(),
                _ => self.go_back(),
            },
            Action::NextTab if detail => self.show_tab(self.detail.tab + 1),
            Action::PrevTab if detail => self.show_tab(self.detail.tab + 6),
            Action::Tab1 if detail => self.show_tab(0),
            Action::Tab2 if detail => self.show_tab(1),
            Action::Tab3 if detail => self.show_tab(2),
            Action::Tab4 if detail => self.show_tab(3),
            Action::Tab5 if detail => self.show_tab(4),
            Action::Tab6 if detail => self.show_tab(5),
            Action::Tab7 if detail => self.show_tab(6),
            Action::Filter => self.start_filter(),
            Action::Command => self.open_command_line(),
            Action::Help => self.open_help(),
            Action::Sync => self.sync_targets(false, fx),
            Action::ForceSync => self.sync_targets(true, fx),
            Action::SyncAll => self.sync_all(false, fx),
            Action::Add => self.open_add(),
            Action::Import => self.open_import(),
            Action::Search => self.open_search(),
            Action::Remove => {
                let ids = self.targets().iter().map(|r| r.local).collect();
                self.ask_remove(ids);
            }
            Action::Mark if self.screen == Screen::List => self.toggle_mark(),
            Action::OpenBrowser => self.open_browser(fx),
            Action::CopyUrl => {
                if let Some(url) = self.url_here() {
                    self.copy(url, fx);
                }
            }
            Action::Jobs => self.go(Screen::Jobs),
            Action::RateLimits => {
                self.go(Screen::Rate);
                fx.push(Effect::LoadTokenUse);
            }
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
            Action::Attention => self.open_attention(fx),
            Action::Refresh if self.screen == Screen::Attention => self.refresh_attention(fx),
            Action::Sort => self.sort_by(self.sort.next(), false),
            Action::SortReverse => self.reverse_sort(),
            Action::Cancel if self.screen == Screen::Jobs => self.cancel_selected_job(fx),
            Action::MarkAllRead if self.screen == Screen::Activity => self.mark_all_read(fx),
            Action::FilterKind if self.screen == Screen::Activity => self.cycle_kind_filter(),
            Action::FilterRepo if self.screen == Screen::Activity => self.toggle_repo_filter(),
            _ => {}
        }
    }

    fn move_cursor(&mut self, delta: isize) {
        let page = self.page();
        match self.screen {
            Screen::List => self.list_move(delta),
            Screen::Detail => self.detail_move(delta),
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
            Screen::Attention => self.attention_move(delta),
        }
    }

    /// `o`: the selected thing's URL in a browser, or a notice with the URL to copy when no
    /// browser can be opened from here.
    pub(super) fn open_browser(&mut self, fx: &mut Vec<Effect>) {
        let Some(url) = self.url_here() else {
            return;
        };
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

    /// Copies `url` to the clipboard (OSC 52).
    pub(super) fn copy(&mut self, url: String, fx: &mut Vec<Effect>) {
        self.say(format!("copied {url} (OSC 52)"), Level::Info);
        fx.push(Effect::Copy(url));
    }
}
