//! The item extras part of `App`: when a repo's PRs or Issues tab (or one PR or issue) shows,
//! the engine is asked once per visit to fetch the labels, assignees, comment counts, requested
//! reviewers and PR checks the bulk sync leaves out (`SyncCommand::FetchItems`; it asks GitHub
//! only when something is missing). Its `ItemsFetched` reloads the details; a failure is a
//! notice, and the lists still show without the extras.

use super::{App, Level, Screen, Tab};
use crate::domain::LocalId;
use crate::sanitize;
use crate::sync::SyncCommand;
use crate::tui::action::Effect;

impl App {
    /// After every action: the PRs or Issues of the repo on screen ask for their extras once.
    pub(super) fn items_wanted(&mut self, fx: &mut Vec<Effect>) {
        let showing =
            matches!(self.detail.tab(), Tab::Pulls | Tab::Issues) || self.detail.item.is_some();
        if self.screen != Screen::Detail || !showing || self.detail.items_asked {
            return;
        }
        let Some(local) = self.detail.local else {
            return;
        };
        self.detail.items_asked = true;
        fx.push(Effect::Engine(SyncCommand::FetchItems(local)));
    }

    /// A sync of the repo finished: its items may have moved, so the next look asks again (the
    /// engine sends nothing when the stored extras still match).
    pub(super) fn items_after_sync(&mut self, id: LocalId) {
        if self.detail.local == Some(id) {
            self.detail.items_asked = false;
        }
    }

    pub(super) fn on_items_failed(&mut self, id: LocalId, message: &str) {
        if self.detail.local != Some(id) {
            return;
        }
        let name = self.repo(id).map(|r| r.key.to_string()).unwrap_or_default();
        self.tell(
            format!(
                "labels, assignees and reviewers of {} could not be fetched: {} (they are asked again after the next sync)",
                sanitize::line(&name),
                sanitize::line(message)
            ),
            Level::Warn,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::LocalId;
    use crate::sync::{SyncCommand, SyncEvent};
    use crate::tui::action::{Action, Effect};
    use crate::tui::tests::{details, loaded};

    fn asks(fx: &[Effect]) -> usize {
        fx.iter()
            .filter(|e| matches!(e, Effect::Engine(SyncCommand::FetchItems(LocalId(1)))))
            .count()
    }

    fn ev(e: SyncEvent) -> Action {
        Action::Engine(Box::new(e))
    }

    #[test]
    fn the_prs_tab_asks_once_per_visit_and_again_after_a_sync() {
        let mut a = loaded();
        assert_eq!(
            asks(&a.update(Action::Open)),
            0,
            "the Overview does not ask"
        );
        a.update(Action::DetailsLoaded {
            local: LocalId(1),
            details: Box::new(Some(details())),
        });
        let mut asked = 0;
        for _ in 0..3 {
            asked += asks(&a.update(Action::NextTab));
        }
        assert_eq!(asked, 1, "Commits, Branches, then PRs asks once");
        assert_eq!(asks(&a.update(Action::NextTab)), 0, "Issues: same visit");

        // The answer reloads the details on screen.
        let fx = a.update(ev(SyncEvent::ItemsFetched { id: LocalId(1) }));
        assert!(fx.contains(&Effect::LoadDetails(LocalId(1))), "{fx:?}");
        assert_eq!(asks(&fx), 0);

        // A finished sync may have moved items: the next action asks again (the engine answers
        // nothing when the stored extras still match).
        let fx = a.update(ev(SyncEvent::Finished {
            id: LocalId(1),
            outcome: crate::sync::Outcome::Unchanged,
            cost: crate::sync::JobCost::default(),
            duration_ms: 5,
            repo: None,
        }));
        assert_eq!(asks(&fx), 1, "{fx:?}");

        // Another repo's answer changes nothing here; a failure is a notice that names the repo.
        let fx = a.update(ev(SyncEvent::ItemsFetched { id: LocalId(2) }));
        assert!(!fx.contains(&Effect::LoadDetails(LocalId(2))));
        a.update(ev(SyncEvent::ItemsFailed {
            id: LocalId(1),
            message: "GitHub answered 502\x1b[31m".into(),
        }));
        let status = format!("{:?}", a.status);
        assert!(status.contains("could not be fetched"), "{status}");
        assert!(!status.contains('\x1b'), "sanitized: {status}");
    }
}
