//! The plain-file mirrors of what the user told repodeck, kept next to the store so they survive
//! it: `tracked.json` (the tracked list, with each repo's last sync time) and `vault-backup.json`
//! (the encrypted tokens). They are the source of truth whenever the store lacks what they hold.
//!
//! Reading is tolerant (one bad entry is reported, the good ones are kept); writing never drops an
//! entry the store lost, only one removed on purpose (see [`guard`]).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{RepoKey, TrackedRepo};
use crate::sanitize;

pub const TRACKED: &str = "tracked.json";
pub const VAULT: &str = "vault-backup.json";

/// One repo in `tracked.json`. `local` and `synced_at` were added later: older files lack them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorRepo {
    pub full_name: String,
    pub id: Option<u64>,
    pub added_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced_at: Option<DateTime<Utc>>,
}

impl MirrorRepo {
    pub fn of(r: &TrackedRepo) -> Self {
        MirrorRepo {
            full_name: r.key.to_string(),
            id: r.id.map(|i| i.0),
            added_at: r.added_at,
            local: Some(r.local.0),
            synced_at: r.last_synced_at,
        }
    }

    fn lower(&self) -> String {
        self.full_name.to_ascii_lowercase()
    }
}

#[derive(Serialize)]
struct MirrorFile<'a> {
    repos: &'a [MirrorRepo],
}

/// `tracked.json` as read: the good entries, and what could not be read.
#[derive(Debug, Default)]
pub struct Tracked {
    pub repos: Vec<(RepoKey, MirrorRepo)>,
    /// One line per unreadable entry ("entry 3: ...").
    pub bad: Vec<String>,
    /// The whole file could not be read or parsed.
    pub unreadable: Option<String>,
}

/// Reads `tracked.json`, keeping every good entry. A missing file is an empty list.
pub fn read_tracked(dir: &Path) -> Tracked {
    let mut out = Tracked::default();
    let bytes = match std::fs::read(dir.join(TRACKED)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return out,
        Err(e) => {
            out.unreadable = Some(e.to_string());
            return out;
        }
    };
    let entries = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut o)) => match o.remove("repos") {
            Some(serde_json::Value::Array(a)) => a,
            _ => {
                out.unreadable = Some("it has no \"repos\" list".into());
                return out;
            }
        },
        Ok(_) => {
            out.unreadable = Some("it is not a JSON object".into());
            return out;
        }
        Err(e) => {
            out.unreadable = Some(format!("it is not valid JSON: {e}"));
            return out;
        }
    };
    let mut seen = HashSet::new();
    for (i, v) in entries.into_iter().enumerate() {
        let entry = serde_json::from_value::<MirrorRepo>(v)
            .map_err(|e| e.to_string())
            .and_then(|m| match RepoKey::parse(&m.full_name) {
                Ok(k) => Ok((k, m)),
                Err(e) => Err(e.to_string()),
            });
        match entry {
            Ok((k, m)) => {
                if seen.insert(k.lower()) {
                    out.repos.push((k, m));
                }
            }
            Err(e) => out
                .bad
                .push(format!("entry {}: {}", i + 1, sanitize::line(&e))),
        }
    }
    out
}

/// Writes `tracked.json` atomically.
pub fn write_tracked(dir: &Path, repos: &[MirrorRepo]) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(&MirrorFile { repos }).map_err(std::io::Error::other)?;
    super::write_atomic(&dir.join(TRACKED), &json)
}

/// Keeps a copy of a `tracked.json` that had unreadable parts before it is rewritten.
pub fn keep_copy(dir: &Path) -> Option<PathBuf> {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let copy = dir.join(format!("tracked.json.unreadable-{stamp}"));
    std::fs::copy(dir.join(TRACKED), &copy).ok().map(|_| copy)
}

/// The encrypted vault blobs of `vault-backup.json`, by name (empty when missing or unreadable).
pub fn read_vault(dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::read(dir.join(VAULT))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

pub fn write_vault(dir: &Path, blobs: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let json = serde_json::to_vec(blobs).map_err(std::io::Error::other)?;
    super::write_atomic(&dir.join(VAULT), &json)
}

/// Who is in a list of repos, for matching mirror entries: by GitHub id, by lowercase name, and by
/// local id (which survives a rename the mirror has not caught up with yet).
#[derive(Debug, Default)]
pub struct Present {
    ids: HashSet<u64>,
    names: HashMap<String, usize>,
    by_id: HashMap<u64, usize>,
    locals: HashMap<u64, (Option<u64>, usize)>,
}

impl Present {
    /// `(local, id, lowercase name)` of each repo; the index is the position in that list.
    pub fn new(repos: impl IntoIterator<Item = (Option<u64>, Option<u64>, String)>) -> Self {
        let mut p = Present::default();
        for (i, (local, id, lower)) in repos.into_iter().enumerate() {
            if let Some(id) = id {
                p.ids.insert(id);
                p.by_id.insert(id, i);
            }
            p.names.insert(lower, i);
            if let Some(local) = local {
                p.locals.insert(local, (id, i));
            }
        }
        p
    }

    pub fn of_repos(repos: &[TrackedRepo]) -> Self {
        Self::new(
            repos
                .iter()
                .map(|r| (Some(r.local.0), r.id.map(|i| i.0), r.key.lower())),
        )
    }

    fn of_mirror(repos: &[MirrorRepo]) -> Self {
        Self::new(repos.iter().map(|m| (m.local, m.id, m.lower())))
    }

    /// The position of the repo `m` stands for, if it is here.
    pub fn find(&self, m: &MirrorRepo) -> Option<usize> {
        if let Some(i) = m.id.and_then(|id| self.by_id.get(&id)) {
            return Some(*i);
        }
        if let Some(i) = self.names.get(&m.lower()) {
            return Some(*i);
        }
        let (id, i) = self.locals.get(&m.local?)?;
        // The same local id with two different GitHub ids is two different repos.
        match (m.id, id) {
            (Some(a), Some(b)) if a != *b => None,
            _ => Some(*i),
        }
    }
}

/// The list to write: `new` (from the store) plus every entry of `old` (the file as it is) that
/// the store no longer has and that was not `removed` on purpose. Those are the store's losses,
/// and the mirror keeps them so the next start restores them. Returns the kept names too.
pub fn guard(
    old: &[MirrorRepo],
    mut new: Vec<MirrorRepo>,
    removed: &[TrackedRepo],
) -> (Vec<MirrorRepo>, Vec<String>) {
    let present = Present::of_mirror(&new);
    let gone = Present::of_repos(removed);
    let mut kept = Vec::new();
    for m in old {
        if present.find(m).is_none() && gone.find(m).is_none() {
            kept.push(m.full_name.clone());
            new.push(m.clone());
        }
    }
    (new, kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LocalId, RepoId};

    fn m(name: &str, id: Option<u64>, local: u64) -> MirrorRepo {
        MirrorRepo {
            full_name: name.into(),
            id,
            added_at: Utc::now(),
            local: Some(local),
            synced_at: None,
        }
    }

    #[test]
    fn one_bad_entry_keeps_the_good_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(TRACKED),
            r#"{"repos":[{"full_name":"a/one","id":null,"added_at":"2024-01-01T00:00:00Z"},
                {"full_name":"not a repo\u001b[31m","id":null,"added_at":"2024-01-01T00:00:00Z"},
                {"full_name":"a/two","id":"x","added_at":"2024-01-01T00:00:00Z"},
                {"full_name":"a/three","id":5,"added_at":"2024-01-01T00:00:00Z"}]}"#,
        )
        .unwrap();
        let t = read_tracked(dir.path());
        let names: Vec<_> = t.repos.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(names, ["a/one", "a/three"]);
        assert_eq!(t.bad.len(), 2, "{:?}", t.bad);
        assert!(t.bad[0].starts_with("entry 2:"), "{:?}", t.bad);
        assert!(!t.bad.iter().any(|b| b.contains('\u{1b}')), "{:?}", t.bad);
        assert!(t.unreadable.is_none());
    }

    #[test]
    fn the_guard_keeps_what_the_store_lost_but_not_what_was_removed() {
        let old = vec![
            m("a/kept", Some(1), 1),
            m("a/removed", None, 2),
            m("a/old-name", None, 3),
        ];
        let mut renamed = TrackedRepo::new(
            LocalId(3),
            RepoKey::parse("a/new-name").unwrap(),
            Utc::now(),
        );
        renamed.id = Some(RepoId(9));
        let removed =
            TrackedRepo::new(LocalId(2), RepoKey::parse("a/removed").unwrap(), Utc::now());
        let (list, kept) = guard(&old, vec![MirrorRepo::of(&renamed)], &[removed]);
        assert_eq!(kept, ["a/kept"]);
        let names: Vec<_> = list.iter().map(|r| r.full_name.as_str()).collect();
        assert_eq!(names, ["a/new-name", "a/kept"]);
    }
}
