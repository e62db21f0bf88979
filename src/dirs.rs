//! The data directory's permissions: the store, logs and vault below it are the owner's only.
//! Used by `store` and `logging`, which both create directories under the data dir.

use std::path::Path;

/// Makes `dir` readable by its owner only (0700): the store, logs and vault below it are private.
/// Best effort: a directory we cannot chmod (not ours, a read-only mount) is left as it is.
pub fn private_dir(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(dir)
            && meta.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}
