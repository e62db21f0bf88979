//! The dialogs part of `App`: opening each dialog, the keys and text edits it takes, and what
//! its submit does. Submits hand over to the named actions (`Action::AddRepos`, `ImportFrom`,
//! ...) that the `:` command line produces too, so adding, removing, importing and searching
//! each exist once, here.

use tui_input::{Input, InputRequest};

use super::command::{parse_import, validate_keys};
use super::{App, Dialog, Level, SEARCH_LIMIT};
use crate::domain::{ImportOptions, ImportSource, LocalId, RepoKey};
use crate::sync::SyncCommand;
use crate::tui::action::{Action, Edit, Effect, Passphrase};

/// What the TUI's import tracks: the CLI's defaults (`repodeck import` without flags): forks
/// skipped, archived repositories tracked. The dialog says so.
pub fn tui_import(source: ImportSource) -> ImportOptions {
    ImportOptions {
        source,
        include_forks: false,
        include_archived: true,
    }
}

impl App {
    /// The actions the command line and the dialogs ask for by name.
    pub(super) fn named_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        match action {
            Action::ForceSyncAll => self.sync_all(true, fx),
            Action::SyncRepos { ids, force } => self.sync_repos(&ids, force, fx),
            Action::AddRepos(keys) => self.add_repos(keys, fx),
            Action::RemoveRepos(ids) => self.ask_remove(ids),
            Action::ImportFrom(source) => self.import_from(source, fx),
            Action::SearchFor(q) => self.search_for(Input::new(q.clone()), q, fx),
            Action::SortBy { sort, reverse } => self.sort_by(sort, reverse),
            Action::FilterBy(text) => self.filter_by(text),
            Action::SetTheme(name) => {
                self.theme = self.theme.switched_to(&name);
                self.say(format!("theme {name}"), Level::Info);
            }
            _ => {}
        }
    }

    /// A key while a dialog is open.
    pub(super) fn dialog_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        let Some(dialog) = self.dialog.take() else {
            return;
        };
        match (dialog, action) {
            (Dialog::Help { .. }, Action::Back | Action::Help | Action::Quit) => {}
            (Dialog::Help { mode, scroll }, a) => {
                let scroll = help_scroll(scroll, &a);
                self.dialog = Some(Dialog::Help { mode, scroll });
            }
            (Dialog::Notice { url: Some(url), .. }, Action::CopyUrl) => self.copy(url, fx),
            (Dialog::ConfirmRemove { ids, names }, Action::Confirm) => {
                self.remove(&ids, &names, fx)
            }
            (Dialog::Notice { .. } | Dialog::ConfirmRemove { .. }, Action::Back) => {}
            (d @ (Dialog::Notice { .. } | Dialog::ConfirmRemove { .. }), _) => {
                self.dialog = Some(d)
            }
            (_, Action::Back) => {}
            (Dialog::Add { input, .. }, Action::Submit) => self.submit_add(input, fx),
            (Dialog::Import { input, .. }, Action::Submit) => self.submit_import(input, fx),
            (d @ Dialog::Search { .. }, Action::Submit) => self.submit_search(d, fx),
            (d @ Dialog::Search { .. }, a @ (Action::HistoryNext | Action::HistoryPrev)) => {
                self.dialog = Some(move_hit(d, a == Action::HistoryNext))
            }
            (Dialog::Passphrase { input, .. }, Action::Submit) => {
                let pass = input.value().to_string();
                fx.push(Effect::Unlock(Passphrase(pass.into())));
                self.say("unlocking the vault…", Level::Info);
            }
            (Dialog::Command { input, .. }, Action::Submit) => {
                self.submit_command(input.value().trim().to_string(), fx)
            }
            (Dialog::Command { hist, .. }, a @ (Action::HistoryPrev | Action::HistoryNext)) => {
                self.command_history(hist, &a)
            }
            (Dialog::Command { input, .. }, Action::Complete) => {
                let (text, hint) = self.complete(input.value());
                self.dialog = Some(Dialog::Command {
                    input: Input::new(text),
                    hist: None,
                    hint,
                });
            }
            (d, _) => self.dialog = Some(d),
        }
    }

    /// One text edit in the open dialog's input line, or in the filter line.
    pub(super) fn edit(&mut self, e: Edit) {
        let req = input_request(e);
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
                self.filter_edited();
            }
            None => {}
        }
        self.dirty = true;
    }

    pub(super) fn open_help(&mut self) {
        self.dialog = Some(Dialog::Help {
            mode: self.mode(),
            scroll: 0,
        });
    }

    pub(super) fn open_add(&mut self) {
        self.dialog = Some(Dialog::Add {
            input: Input::default(),
            error: None,
        });
    }

    pub(super) fn open_import(&mut self) {
        self.dialog = Some(Dialog::Import {
            input: Input::default(),
            error: None,
        });
    }

    pub(super) fn open_search(&mut self) {
        self.dialog = Some(Dialog::Search {
            input: Input::default(),
            sent: None,
            hits: Vec::new(),
            cursor: 0,
            searching: false,
        });
    }

    pub(super) fn ask_passphrase(&mut self, retry: bool) {
        self.dialog = Some(Dialog::Passphrase {
            input: Input::default(),
            retry,
        });
    }

    /// Tracks `keys`, leaving out the ones already tracked.
    fn add_repos(&mut self, keys: Vec<RepoKey>, fx: &mut Vec<Effect>) {
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

    fn submit_add(&mut self, input: Input, fx: &mut Vec<Effect>) {
        match validate_keys(input.value()) {
            Ok(keys) if !keys.is_empty() => self.nested(Action::AddRepos(keys), fx),
            Ok(_) => {
                self.dialog = Some(Dialog::Add {
                    input,
                    error: Some("type OWNER/NAME or a GitHub URL".into()),
                })
            }
            Err(e) => {
                self.dialog = Some(Dialog::Add {
                    input,
                    error: Some(e),
                })
            }
        }
    }

    /// Asks before removing these repos (`d`, `:rm`).
    pub(super) fn ask_remove(&mut self, ids: Vec<LocalId>) {
        let (ids, names): (Vec<LocalId>, Vec<String>) = ids
            .iter()
            .filter_map(|l| self.repo(*l))
            .map(|r| (r.local, r.key.to_string()))
            .unzip();
        if !ids.is_empty() {
            self.dialog = Some(Dialog::ConfirmRemove { ids, names });
        }
    }

    /// The removal was confirmed.
    fn remove(&mut self, ids: &[LocalId], names: &[String], fx: &mut Vec<Effect>) {
        for id in ids {
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

    fn import_from(&mut self, source: ImportSource, fx: &mut Vec<Effect>) {
        self.say(
            "importing; new repositories appear as they are tracked",
            Level::Info,
        );
        fx.push(Effect::Engine(SyncCommand::Import(tui_import(source))));
    }

    fn submit_import(&mut self, input: Input, fx: &mut Vec<Effect>) {
        match parse_import(input.value()) {
            Ok(source) => self.nested(Action::ImportFrom(source), fx),
            Err(e) => {
                self.dialog = Some(Dialog::Import {
                    input,
                    error: Some(e),
                })
            }
        }
    }

    /// Sends query `q` and shows the search dialog waiting for its results.
    fn search_for(&mut self, input: Input, q: String, fx: &mut Vec<Effect>) {
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
    }

    /// Enter in the search dialog: a new query is sent; otherwise the selected hit is added.
    fn submit_search(&mut self, dialog: Dialog, fx: &mut Vec<Effect>) {
        let Dialog::Search {
            input,
            sent,
            hits,
            cursor,
            ..
        } = &dialog
        else {
            return;
        };
        let q = input.value().trim().to_string();
        let hit = hits.get(*cursor).map(|h| h.key.clone());
        if !q.is_empty() && sent.as_deref() != Some(q.as_str()) {
            if let Dialog::Search { input, .. } = dialog {
                self.search_for(input, q, fx);
            }
            return;
        }
        if let Some(key) = hit {
            self.nested(Action::AddRepos(vec![key]), fx);
        }
        self.dialog = Some(dialog);
    }
}

/// Up/Down in the search dialog: the previous or next hit.
fn move_hit(mut dialog: Dialog, down: bool) -> Dialog {
    if let Dialog::Search { hits, cursor, .. } = &mut dialog {
        *cursor = if down {
            (*cursor + 1).min(hits.len().saturating_sub(1))
        } else {
            cursor.saturating_sub(1)
        };
    }
    dialog
}

fn help_scroll(scroll: usize, action: &Action) -> usize {
    match action {
        Action::Down | Action::ScrollDown(_) => scroll + 1,
        Action::Up | Action::ScrollUp(_) => scroll.saturating_sub(1),
        Action::PageDown => scroll + 5,
        Action::PageUp => scroll.saturating_sub(5),
        Action::Top => 0,
        _ => scroll,
    }
}

fn input_request(e: Edit) -> InputRequest {
    match e {
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
    }
}
