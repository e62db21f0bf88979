//! Weak ETags like GitHub's: a hash of the body and the caller, so they change with the resource and differ per token.

use sha2::{Digest, Sha256};

/// `digest` is the SHA-256 of the body (callers often have it cached).
pub fn compute(caller: &str, digest: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(caller.as_bytes());
    h.update([0u8]);
    h.update(digest);
    format!("W/\"{}\"", hex::encode(&h.finalize()[..16]))
}

/// Whether an `If-None-Match` header value matches `etag` (weak comparison, lists and `*`).
pub fn matches(if_none_match: &str, etag: &str) -> bool {
    let strip = |s: &str| -> String {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    if_none_match
        .split(',')
        .any(|candidate| candidate.trim() == "*" || strip(candidate) == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_differ_per_caller_and_body() {
        let d = |b: &[u8]| Sha256::digest(b).to_vec();
        let a = compute("tok1", &d(b"{}"));
        assert!(a.starts_with("W/\""));
        assert_ne!(a, compute("tok2", &d(b"{}")));
        assert_ne!(a, compute("tok1", &d(b"{ }")));
        assert_eq!(a, compute("tok1", &d(b"{}")));
    }

    #[test]
    fn if_none_match_forms() {
        let e = compute("t", &Sha256::digest(b"x"));
        assert!(matches(&e, &e));
        assert!(matches(e.trim_start_matches("W/"), &e));
        assert!(matches(&format!("\"zzz\", {e}"), &e));
        assert!(matches("*", &e));
        assert!(!matches("W/\"other\"", &e));
    }
}
