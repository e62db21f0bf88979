//! What opening the store tells the user: one line per thing that happened, the same text for
//! the CLI (stderr) and the TUI (its status line). Said once: the repair rewrites the mirror, so
//! the next start is quiet.

use std::path::PathBuf;

use super::OpenReport;

/// What [`super::Store::open`] restored from the mirrors, or found lost, without moving the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repairs {
    /// The store directory was missing: it was made anew.
    pub rebuilt: bool,
    /// How many repos `tracked.json` lists.
    pub tracked: usize,
    /// Tracked repos the store lacked, restored from `tracked.json`.
    pub restored_repos: Vec<String>,
    /// Encrypted tokens the store lacked, restored from `vault-backup.json`.
    pub restored_secrets: usize,
    /// Repos whose synced data the store lost (it went back to an older state).
    pub lost_sync: Vec<String>,
    /// Entries of `tracked.json` that could not be read ("entry 3: ...").
    pub bad_entries: Vec<String>,
    /// Why `tracked.json` could not be read at all.
    pub unreadable: Option<String>,
    /// Where the unreadable `tracked.json` was copied before it was rewritten.
    pub mirror_copy: Option<PathBuf>,
}

impl Repairs {
    pub fn is_empty(&self) -> bool {
        self.restored_repos.is_empty()
            && self.restored_secrets == 0
            && self.lost_sync.is_empty()
            && self.bad_entries.is_empty()
            && self.unreadable.is_none()
    }

    fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let n = self.restored_repos.len();
        if n > 0 && self.rebuilt {
            out.push(format!(
                "the store was missing; rebuilt it with the {n} tracked repositories of tracked.json. Run `repodeck sync --all` to fetch their data"
            ));
        } else if n > 0 {
            out.push(format!(
                "the store had lost {n} of the {} tracked repositories ({}); restored them from tracked.json. Run `repodeck sync --all` to refetch their data",
                self.tracked,
                names(&self.restored_repos)
            ));
        }
        if self.restored_secrets > 0 {
            out.push(format!(
                "restored {} encrypted tokens the store lacked from vault-backup.json",
                self.restored_secrets
            ));
        }
        if !self.lost_sync.is_empty() {
            out.push(format!(
                "the store's files were damaged and it lost the synced data of {} repositories ({}); `repodeck sync --all` will refetch it",
                self.lost_sync.len(),
                names(&self.lost_sync)
            ));
        }
        let copy = self
            .mirror_copy
            .as_ref()
            .map(|p| format!("; the original was copied to {}", p.display()))
            .unwrap_or_default();
        if let Some(why) = &self.unreadable {
            out.push(format!(
                "tracked.json could not be read ({why}); it was rewritten from the store{copy}"
            ));
        }
        if !self.bad_entries.is_empty() {
            out.push(format!(
                "tracked.json has {} unreadable entries, skipped ({}); the other entries were kept{copy}",
                self.bad_entries.len(),
                self.bad_entries.join("; ")
            ));
        }
        out
    }
}

/// Up to five names, then how many more.
fn names(all: &[String]) -> String {
    let shown = all.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    match all.len() {
        n if n > 5 => format!("{shown} and {} more", n - 5),
        _ => shown,
    }
}

impl OpenReport {
    /// What the user is told about this open (empty when there is nothing to say).
    pub fn notices(&self) -> Vec<String> {
        match self {
            OpenReport::Recovered {
                quarantined,
                restored_repos,
                restored_secrets,
                reason,
            } => vec![format!(
                "the store was damaged ({reason}); it was moved to {} and rebuilt. Restored {restored_repos} tracked repositories and {restored_secrets} encrypted secrets; run `repodeck sync --all` to refetch the rest.",
                quarantined.display()
            )],
            OpenReport::Repaired(r) => r.lines(),
            OpenReport::Fresh | OpenReport::Opened | OpenReport::Migrated { .. } => Vec::new(),
        }
    }
}
