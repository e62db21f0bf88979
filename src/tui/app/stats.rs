//! The Overview's statistics part of `App`: asked for (`SyncCommand::FetchStats`) once per repo
//! when its Overview shows, what the engine answers (stored or fetched statistics, GitHub still
//! computing, a failure), and the one retry after a 202, driven by the tick (the only clock).

use chrono::{DateTime, Utc};

use super::{App, Screen, Tab};
use crate::domain::{LocalId, RepoStats};
use crate::sanitize;
use crate::sync::SyncCommand;
use crate::tui::action::Effect;

/// Where the statistics of the repo on screen stand.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum StatsState {
    /// Not asked for yet (the Overview has not shown).
    #[default]
    NotAsked,
    /// Asked for; no answer beyond the stored statistics yet.
    Loading,
    /// Stored or fetched statistics are here and nothing more is expected.
    Done,
    /// GitHub answered 202: asked again at `retry_at`.
    Computing { retry_at: DateTime<Utc> },
    /// The fetch failed (sanitized message).
    Failed(String),
}

/// The statistics of the repo on screen and where their fetch stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsView {
    /// The repo they were asked for.
    pub local: Option<LocalId>,
    pub stats: Option<RepoStats>,
    pub state: StatsState,
}

impl App {
    /// After every action: the Overview on screen asks for its repo's statistics once, and again
    /// when a 202's retry time has come.
    pub(super) fn stats_wanted(&mut self, fx: &mut Vec<Effect>) {
        if self.screen != Screen::Detail
            || self.detail.tab() != Tab::Overview
            || self.detail.commit.is_some()
        {
            return;
        }
        let Some(local) = self.detail.local else {
            return;
        };
        let s = &mut self.detail.stats;
        let ask = match &s.state {
            _ if s.local != Some(local) => true,
            StatsState::NotAsked => true,
            StatsState::Computing { retry_at } => *retry_at <= self.now,
            _ => false,
        };
        if s.local != Some(local) {
            *s = StatsView {
                local: Some(local),
                ..StatsView::default()
            };
        }
        if ask {
            s.state = StatsState::Loading;
            fx.push(Effect::Engine(SyncCommand::FetchStats(local)));
        } else if matches!(s.state, StatsState::Computing { .. }) {
            // The countdown on screen changes every second.
            self.dirty = true;
        }
    }

    fn stats_of(&mut self, id: LocalId) -> Option<&mut StatsView> {
        (self.detail.local == Some(id) && self.detail.stats.local == Some(id))
            .then_some(&mut self.detail.stats)
    }

    pub(super) fn on_stats_fetched(&mut self, id: LocalId, stats: RepoStats) {
        let (now, engine) = (self.now, self.env.engine);
        if let Some(s) = self.stats_of(id) {
            // Stored statistics come first and a fetch may follow: newer ones win.
            let newer = s
                .stats
                .as_ref()
                .is_none_or(|old| old.fetched_at <= stats.fetched_at);
            if newer {
                s.stats = Some(stats);
            }
            let stale = crate::sync::stats::stale(s.stats.as_ref().and_then(|x| x.fetched_at), now);
            if s.state == StatsState::Loading && stale && engine {
                // Stale stored statistics: the engine's fetch follows.
                return;
            }
            s.state = StatsState::Done;
        }
    }

    /// A sync of the repo finished: statistics that failed are asked for again (the Overview
    /// says so: `s` syncs and retries).
    pub(super) fn stats_after_sync(&mut self, id: LocalId) {
        if let Some(s) = self.stats_of(id)
            && matches!(s.state, StatsState::Failed(_))
        {
            s.state = StatsState::NotAsked;
        }
    }

    pub(super) fn on_stats_computing(&mut self, id: LocalId, retry_secs: u64) {
        let retry_at = self.now + chrono::Duration::seconds(retry_secs.min(3600) as i64);
        if let Some(s) = self.stats_of(id) {
            s.state = StatsState::Computing { retry_at };
        }
    }

    pub(super) fn on_stats_failed(&mut self, id: LocalId, message: &str) {
        if let Some(s) = self.stats_of(id) {
            s.state = StatsState::Failed(sanitize::line(message).into_owned());
        }
    }
}
