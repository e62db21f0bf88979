//! The sync jobs part of `App`: each repo's job as the engine reports it (queued, running,
//! waiting, finished), this session's cost, and the requests that start or cancel syncs. Every
//! sync request (`s`, `S`, `R`, `:sync ...`) passes `engine_ready`, the one place that says sync
//! is unavailable.

use chrono::{DateTime, Utc};

use super::{App, DONE_JOBS_KEPT, Job, JobState, Level};
use crate::domain::LocalId;
use crate::sanitize;
use crate::sync::{JobCost, Outcome, Priority, SyncCommand, WaitReason};
use crate::tui::action::Effect;

impl App {
    pub fn job(&self, local: LocalId) -> Option<&Job> {
        self.jobs.get(&local)
    }

    /// The name a job's row shows: its repo's `owner/name` as the list knows it now (a job queued
    /// before the list arrived, or by an import, was named by its local id then).
    pub fn job_name(&self, job: &Job) -> String {
        self.repo(job.local)
            .map(|r| r.key.to_string())
            .unwrap_or_else(|| job.name.clone())
    }

    /// Jobs in screen order.
    pub fn sorted_jobs(&self) -> Vec<&Job> {
        let mut v: Vec<&Job> = self.jobs.values().collect();
        v.sort_by_key(|j| {
            (
                j.state.rank(),
                if j.state.active() {
                    j.seq
                } else {
                    u64::MAX - j.seq
                },
            )
        });
        v
    }

    pub fn job_counts(&self) -> [usize; 6] {
        let mut c = [0; 6];
        for j in self.jobs.values() {
            c[j.state.rank() as usize] += 1;
        }
        c
    }

    fn job_mut(&mut self, local: LocalId) -> &mut Job {
        let name = self
            .repo(local)
            .map(|r| r.key.to_string())
            .unwrap_or_else(|| local.to_string());
        let now = self.now;
        self.job_seq += 1;
        let seq = self.job_seq;
        let job = self.jobs.entry(local).or_insert_with(|| Job {
            local,
            name,
            state: JobState::Queued,
            since: now,
            duration_ms: None,
            cost: JobCost::default(),
            seq,
        });
        if !job.state.active() {
            job.seq = seq;
        }
        job
    }

    pub(super) fn set_job(&mut self, local: LocalId, state: JobState) {
        let now = self.now;
        let job = self.job_mut(local);
        job.state = state;
        job.since = now;
    }

    pub(super) fn on_queued(&mut self, id: LocalId) {
        let job = self.job_mut(id);
        job.duration_ms = None;
        job.cost = JobCost::default();
        self.set_job(id, JobState::Queued);
    }

    pub(super) fn on_waiting(&mut self, id: LocalId, reason: WaitReason, until: DateTime<Utc>) {
        self.set_job(
            id,
            JobState::Waiting {
                reason: reason.to_string(),
                until,
            },
        );
    }

    /// `SyncEvent::Finished`, apart from the repo it carries: the job's end and its cost.
    pub(super) fn on_finished(
        &mut self,
        id: LocalId,
        outcome: &Outcome,
        cost: JobCost,
        duration_ms: u64,
    ) {
        self.session.requests += cost.requests;
        self.session.not_modified += cost.not_modified;
        self.session.points += cost.points;
        self.session.jobs += 1;
        self.set_job(id, finished_state(outcome));
        let name = self.repo(id).map(|r| r.key.to_string());
        if let Some(j) = self.jobs.get_mut(&id) {
            j.duration_ms = Some(duration_ms);
            j.cost = cost;
            if let Some(name) = name {
                j.name = name;
            }
        }
        self.prune_jobs();
    }

    fn prune_jobs(&mut self) {
        let done = self.jobs.values().filter(|j| !j.state.active()).count();
        if done > DONE_JOBS_KEPT {
            let mut old: Vec<(u64, LocalId)> = self
                .jobs
                .values()
                .filter(|j| !j.state.active())
                .map(|j| (j.seq, j.local))
                .collect();
            old.sort();
            for (_, l) in old.into_iter().take(done - DONE_JOBS_KEPT) {
                self.jobs.remove(&l);
            }
        }
    }

    /// Whether a sync engine is attached; says so on the status line when not.
    pub(super) fn engine_ready(&mut self) -> bool {
        if !self.env.engine {
            self.say(
                "sync is unavailable: the sync engine is not running",
                Level::Warn,
            );
        }
        self.env.engine
    }

    /// `s` / `S`: sync the marked repos, else the one under the cursor.
    pub(super) fn sync_targets(&mut self, force: bool, fx: &mut Vec<Effect>) {
        if !self.engine_ready() {
            return;
        }
        let ids: Vec<LocalId> = self.targets().iter().map(|r| r.local).collect();
        if ids.is_empty() {
            self.say("nothing to sync: add a repository with a", Level::Info);
            return;
        }
        self.sync_repos(&ids, force, fx);
        self.marked.clear();
    }

    /// Syncs these repos; one pending job per repo, so asking again does not queue another
    /// (unless forced).
    pub(super) fn sync_repos(&mut self, ids: &[LocalId], force: bool, fx: &mut Vec<Effect>) {
        if !self.engine_ready() {
            return;
        }
        let mut sent = 0;
        for id in ids {
            let busy = self.jobs.get(id).is_some_and(|j| j.state.active());
            if busy && !force {
                continue;
            }
            fx.push(Effect::Engine(SyncCommand::SyncRepo {
                id: *id,
                force,
                priority: Priority::User,
            }));
            sent += 1;
        }
        let what = match ids {
            [one] => self
                .repo(*one)
                .map(|r| r.key.to_string())
                .unwrap_or_else(|| one.to_string()),
            _ => format!("{} repositories", ids.len()),
        };
        if sent == 0 {
            self.say(format!("{what}: already syncing"), Level::Info);
        } else {
            self.say(
                format!("{} {what}", if force { "force-syncing" } else { "syncing" }),
                Level::Info,
            );
        }
    }

    /// `R` / `:sync all [--force]`.
    pub(super) fn sync_all(&mut self, force: bool, fx: &mut Vec<Effect>) {
        if !self.engine_ready() {
            return;
        }
        fx.push(Effect::Engine(SyncCommand::SyncAll {
            force,
            priority: Priority::User,
        }));
        self.say(
            format!("syncing all {} repositories", self.repos.len()),
            Level::Info,
        );
    }

    /// `c` on the jobs screen: cancel the selected job when it is still running.
    pub(super) fn cancel_selected_job(&mut self, fx: &mut Vec<Effect>) {
        let target = self
            .sorted_jobs()
            .get(self.jobs_cursor.sel)
            .filter(|j| j.state.active())
            .map(|j| (j.local, self.job_name(j)));
        match target {
            Some((local, name)) => {
                fx.push(Effect::Engine(SyncCommand::Cancel(local)));
                self.say(format!("cancelling {name}"), Level::Info);
            }
            None => self.say(
                "nothing to cancel here: that job is not running",
                Level::Info,
            ),
        }
    }
}

/// How a finished job is shown.
fn finished_state(outcome: &Outcome) -> JobState {
    match outcome {
        Outcome::Synced { changes } if changes.is_empty() => JobState::Done {
            note: "synced".into(),
        },
        Outcome::Synced { changes } => JobState::Done {
            note: format!(
                "{} change{}",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            ),
        },
        Outcome::Unchanged => JobState::Done {
            note: "unchanged".into(),
        },
        Outcome::Skipped => JobState::Done {
            note: "skipped: synced within sync.min_interval (S forces this repo)".into(),
        },
        Outcome::Cancelled => JobState::Cancelled,
        Outcome::Failed { message, .. } => JobState::Failed {
            message: sanitize::line(message).into_owned(),
        },
    }
}
