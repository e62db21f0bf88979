//! Telling the environment's I/O failures (no space, no permission, a read-only filesystem) apart
//! from damage: the first are reported with the path and the fix and change nothing; only a
//! verified decode failure is damage and may move a store aside. Also names the quarantine
//! directory (unique, so two processes in the same second never collide).

use std::path::{Path, PathBuf};

/// An I/O failure that is the environment's, not the store's: it never means the store is damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoProblem {
    /// ENOSPC / EDQUOT.
    NoSpace,
    /// EACCES / EPERM (including an immutable file).
    Permission,
    /// EROFS.
    ReadOnly,
}

impl IoProblem {
    /// Classifies an I/O error; `None` for anything else (which may well be damage).
    pub fn of(e: &std::io::Error) -> Option<IoProblem> {
        use std::io::ErrorKind;
        match e.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => return Some(IoProblem::NoSpace),
            ErrorKind::PermissionDenied => return Some(IoProblem::Permission),
            ErrorKind::ReadOnlyFilesystem => return Some(IoProblem::ReadOnly),
            _ => {}
        }
        // sled wraps some errors in its own io::Error with the OS code in the message only.
        match e.raw_os_error() {
            Some(28 | 122) => Some(IoProblem::NoSpace),
            Some(1 | 13) => Some(IoProblem::Permission),
            Some(30) => Some(IoProblem::ReadOnly),
            _ => None,
        }
    }

    /// Classifies a sled error: only its `Io` variant can be the environment's.
    pub(super) fn of_sled(e: &sled::Error) -> Option<IoProblem> {
        match e {
            sled::Error::Io(io) => IoProblem::of(io),
            _ => None,
        }
    }

    /// What the user should do, for a failure at `path` in the data directory `dir`.
    pub fn fix(self, path: &Path, dir: &Path) -> String {
        match self {
            IoProblem::NoSpace => {
                let used = dir_size(&dir.join("store")).div_ceil(1024 * 1024);
                format!(
                    "The disk holding {} is full: free at least {} MB there (the store takes {used} MB) and run the command again",
                    dir.display(),
                    used + 2,
                )
            }
            IoProblem::Permission => format!(
                "Make {} readable and writable by you (`chmod u+rw`; if `lsattr` shows the immutable flag `i`, `chattr -i` it), or pass --data-dir to use another store",
                path.display()
            ),
            IoProblem::ReadOnly => format!(
                "{} is on a read-only filesystem: remount it read-write, or pass --data-dir to use another store",
                path.display()
            ),
        }
    }
}

/// Bytes free for this user on the filesystem that holds `path` (`statvfs` on unix).
pub fn free_space(path: &Path) -> std::io::Result<u64> {
    fs2::available_space(path)
}

/// Bytes used by the files under `dir` (0 when it cannot be read).
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// Opens every file of the database for reading and writing without changing any, so a file the
/// user cannot write (permissions, the immutable flag, a read-only mount) is reported by its own
/// path before sled opens (and before anything could mistake it for damage).
pub fn check_writable(db_path: &Path) -> Result<(), (PathBuf, std::io::Error, IoProblem)> {
    let Ok(entries) = std::fs::read_dir(db_path) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        let result = if is_dir {
            check_writable(&path)
        } else {
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
            {
                Ok(_) => Ok(()),
                Err(e) => match IoProblem::of(&e) {
                    Some(problem) => Err((path, e, problem)),
                    None => Ok(()),
                },
            }
        };
        result?;
    }
    Ok(())
}

/// A name for moving a damaged store aside that no other store (or process) has taken.
pub fn quarantine_path(dir: &Path) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let pid = std::process::id();
    let mut n = 0u32;
    loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate = dir.join(format!("store.corrupt-{stamp}-{pid}{suffix}"));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_failures_are_told_apart_from_others() {
        let e = |code| std::io::Error::from_raw_os_error(code);
        assert_eq!(IoProblem::of(&e(28)), Some(IoProblem::NoSpace));
        assert_eq!(IoProblem::of(&e(13)), Some(IoProblem::Permission));
        assert_eq!(IoProblem::of(&e(1)), Some(IoProblem::Permission));
        assert_eq!(IoProblem::of(&e(30)), Some(IoProblem::ReadOnly));
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(IoProblem::of(&eof), None);
        let sled_err = sled::Error::Io(e(28));
        assert_eq!(IoProblem::of_sled(&sled_err), Some(IoProblem::NoSpace));
        let corrupt = sled::Error::Unsupported("x".into());
        assert_eq!(IoProblem::of_sled(&corrupt), None);
    }

    #[test]
    fn quarantine_names_never_collide() {
        let dir = tempfile::tempdir().unwrap();
        let a = quarantine_path(dir.path());
        std::fs::create_dir(&a).unwrap();
        let b = quarantine_path(dir.path());
        assert_ne!(a, b);
        assert!(
            b.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("store.corrupt-")
        );
    }
}
