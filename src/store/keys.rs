//! Key layout of the store's single sled tree. One tree keeps every per-repo write in one atomic
//! `apply_batch`. Integers are big-endian so keys sort numerically.

use crate::domain::{LocalId, RepoId};

pub const SCHEMA: &[u8] = b"meta/schema";
/// `repo/<local u64 BE>` -> TrackedRepo
pub const REPO: &[u8] = b"repo/";
/// `detail/<local u64 BE>` -> RepoDetails
pub const DETAIL: &[u8] = b"detail/";
/// `name/<lower owner/name>` -> local id
pub const NAME: &[u8] = b"name/";
/// `gid/<github id u64 BE>` -> local id
pub const GID: &[u8] = b"gid/";
/// `act/<seq u64 BE>` -> ActivityEntry
pub const ACT: &[u8] = b"act/";
/// `etag/<token fingerprint>\0<url>` -> EtagEntry
pub const ETAG: &[u8] = b"etag/";
/// `vault/<name>` -> an age-encrypted blob (never plaintext)
pub const VAULT: &[u8] = b"vault/";
/// `stats/<local u64 BE>` -> RepoStats (fetched lazily, apart from the details)
pub const STATS: &[u8] = b"stats/";
/// `items/<local u64 BE>` -> ItemExtras (labels, assignees, ... fetched on demand)
pub const ITEMS: &[u8] = b"items/";

fn with(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + rest.len());
    k.extend_from_slice(prefix);
    k.extend_from_slice(rest);
    k
}

pub fn repo(id: LocalId) -> Vec<u8> {
    with(REPO, &id.0.to_be_bytes())
}
pub fn detail(id: LocalId) -> Vec<u8> {
    with(DETAIL, &id.0.to_be_bytes())
}
pub fn name(lower: &str) -> Vec<u8> {
    with(NAME, lower.as_bytes())
}
pub fn gid(id: RepoId) -> Vec<u8> {
    with(GID, &id.0.to_be_bytes())
}
pub fn act(seq: u64) -> Vec<u8> {
    with(ACT, &seq.to_be_bytes())
}
pub fn etag(fingerprint: &str, url: &str) -> Vec<u8> {
    let mut k = with(ETAG, fingerprint.as_bytes());
    k.push(0);
    k.extend_from_slice(url.as_bytes());
    k
}
pub fn stats(id: LocalId) -> Vec<u8> {
    with(STATS, &id.0.to_be_bytes())
}
pub fn items(id: LocalId) -> Vec<u8> {
    with(ITEMS, &id.0.to_be_bytes())
}
pub fn vault(name: &str) -> Vec<u8> {
    with(VAULT, name.as_bytes())
}

/// Reads the u64 that follows a prefix.
pub fn tail_u64(key: &[u8], prefix: &[u8]) -> Option<u64> {
    let rest = key.strip_prefix(prefix)?;
    Some(u64::from_be_bytes(rest.try_into().ok()?))
}
