//! The sync engine's events applied to `App`: one arm per `SyncEvent`, each handing its data to
//! the part that owns it (`jobs`, `list`, `detail`, the search dialog) or to a small handler here
//! (rate limits, pause, token, pass summaries).

use super::{App, Dialog, JobState, Level, Screen};
use crate::domain::{ActivityEntry, RateBucket, SearchHit};
use crate::sanitize;
use crate::secrets::TokenId;
use crate::sync::SyncEvent;
use crate::tui::action::Effect;

impl App {
    pub(super) fn on_sync(&mut self, ev: SyncEvent, fx: &mut Vec<Effect>) {
        match ev {
            SyncEvent::Queued { id } => self.on_queued(id),
            SyncEvent::Started { id } => self.set_job(
                id,
                JobState::Running {
                    step: String::new(),
                },
            ),
            SyncEvent::Progress { id, step } => self.set_job(
                id,
                JobState::Running {
                    step: sanitize::line(&step).into_owned(),
                },
            ),
            SyncEvent::Waiting {
                id: Some(id),
                reason,
                until,
            } => self.on_waiting(id, reason, until),
            SyncEvent::Waiting {
                id: None,
                reason,
                until,
            }
            | SyncEvent::Paused { reason, until } => self.pause = Some((reason, until)),
            SyncEvent::Resumed => self.pause = None,
            SyncEvent::Finished {
                id,
                outcome,
                cost,
                duration_ms,
                repo,
            } => {
                self.on_finished(id, &outcome, cost, duration_ms);
                if let Some(repo) = repo {
                    self.upsert_repo(*repo);
                }
                self.reload_detail_of(id, fx);
                self.stats_after_sync(id);
                self.items_after_sync(id);
            }
            SyncEvent::Activity(entries) => self.on_activity(entries),
            SyncEvent::CommitFetched { id, commit } => self.on_commit_fetched(id, *commit),
            SyncEvent::CommitFailed { id, sha, message } => {
                self.on_commit_failed(id, &sha, &message)
            }
            SyncEvent::StatsFetched { id, stats } => self.on_stats_fetched(id, *stats),
            SyncEvent::StatsComputing { id, retry_secs } => self.on_stats_computing(id, retry_secs),
            SyncEvent::StatsFailed { id, message } => self.on_stats_failed(id, &message),
            SyncEvent::ItemsFetched { id } => self.reload_detail_of(id, fx),
            SyncEvent::ItemsFailed { id, message } => self.on_items_failed(id, &message),
            SyncEvent::Tracked { repos } => self.on_tracked(repos),
            SyncEvent::Untracked { id } => self.on_untracked(id),
            SyncEvent::Imported { added, total } => self.tell(
                format!("imported {added} new of {total} repositories; syncing them"),
                Level::Info,
            ),
            SyncEvent::SearchResults { query, hits } => self.on_search_results(&query, hits),
            SyncEvent::Error { message } => {
                self.notice("Sync problem", &message, Level::Error, None)
            }
            SyncEvent::RateLimits(buckets) => self.on_rate_limits(buckets),
            SyncEvent::PassFinished {
                synced,
                unchanged,
                failed,
                skipped,
                cancelled,
            } => {
                let level = if failed > 0 { Level::Warn } else { Level::Info };
                let total = synced + unchanged + failed + skipped + cancelled;
                let repos = if total == 1 {
                    "repository"
                } else {
                    "repositories"
                };
                let mut text = format!(
                    "sync pass done, {total} {repos}: {synced} synced, {unchanged} unchanged, {failed} failed"
                );
                if cancelled > 0 {
                    text.push_str(&format!(", {cancelled} cancelled"));
                }
                text.push_str(&format!(", {skipped} skipped"));
                if skipped > 0 {
                    text.push_str(
                        " (synced within sync.min_interval; :sync all --force syncs them)",
                    );
                }
                self.tell(text, level);
            }
            SyncEvent::TokenInUse { token, per_repo } => self.on_token(token, per_repo),
            SyncEvent::Plan(plan) => self.set_plan(*plan),
            SyncEvent::AttentionLoaded {
                items,
                search,
                seen,
            } => self.attention_loaded(items, search, seen),
            SyncEvent::AttentionFailed { message } => self.attention_failed(&message),
        }
    }

    /// New activity goes on top of the open repo's feed and of the activity screen's.
    fn on_activity(&mut self, entries: Vec<ActivityEntry>) {
        let open = self
            .detail
            .local
            .and_then(|l| self.repo(l))
            .and_then(|r| r.id);
        for e in entries.iter().rev() {
            if Some(e.repo) == open {
                self.detail.activity.insert(0, e.clone());
            }
        }
        if !self.activity.loading && self.screen == Screen::Activity {
            self.activity_prepend(entries);
        }
    }

    fn on_search_results(&mut self, query: &str, found: Vec<SearchHit>) {
        if let Some(Dialog::Search {
            sent,
            hits,
            searching,
            cursor,
            ..
        }) = &mut self.dialog
            && sent.as_deref() == Some(query)
        {
            *hits = found;
            *searching = false;
            *cursor = 0;
        }
    }

    fn on_rate_limits(&mut self, buckets: Vec<RateBucket>) {
        for b in buckets {
            match self.rate.iter_mut().find(|x| x.name == b.name) {
                Some(x) => *x = b,
                None => self.rate.push(b),
            }
        }
        let order = |n: &str| {
            ["core", "graphql", "search"]
                .iter()
                .position(|x| *x == n)
                .unwrap_or(9)
        };
        self.rate.sort_by(|a, b| {
            order(&a.name)
                .cmp(&order(&b.name))
                .then(a.name.cmp(&b.name))
        });
    }

    fn on_token(&mut self, token: Option<TokenId>, per_repo: usize) {
        let mut text = match token {
            Some(id) => format!(
                "{} (its FINGERPRINT in `repodeck token list`)",
                sanitize::line(&id.to_string())
            ),
            None => "none: anonymous, 60 REST requests an hour".into(),
        };
        if per_repo > 0 {
            text.push_str(&format!("; {per_repo} repo(s) use a token of their own"));
        }
        self.token = Some(text);
    }
}
