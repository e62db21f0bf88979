//! What GitHub says about a token besides accepting it: its classic scopes (`X-OAuth-Scopes`,
//! absent for fine-grained tokens), its expiry (`github-authentication-token-expiration`, in
//! GitHub's `2026-12-31 00:00:00 UTC` form; an expired token gets 401 "Bad credentials"), and the
//! server's clock (`Date`), which tests may skew. Set by `FakehubConfig::token_profiles` and
//! `clock_skew_secs`, or at run time by `POST /_fakehub/tokens` and `POST /_fakehub/clock`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The scopes every token without a profile reports.
pub const DEFAULT_SCOPES: &str = "repo, read:org, admin:repo_hook";

/// One token's profile. `scopes: None` is a fine-grained token (no `X-OAuth-Scopes` header).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenProfile {
    /// The token as sent (fakehub keys it by fingerprint only).
    pub token: String,
    /// Comma-separated classic scopes, as GitHub sends them; `None` = fine-grained.
    #[serde(default)]
    pub scopes: Option<String>,
    /// Expiry in Unix seconds; `None` = no expiry.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

/// Profiles by token fingerprint, and the clock's skew.
#[derive(Debug, Default)]
pub struct TokenState {
    profiles: HashMap<String, TokenProfile>,
    pub skew_secs: i64,
}

impl TokenState {
    pub fn new(profiles: &[TokenProfile], skew_secs: i64) -> Self {
        let mut s = TokenState {
            profiles: HashMap::new(),
            skew_secs,
        };
        for p in profiles {
            s.set(p.clone());
        }
        s
    }

    pub fn set(&mut self, p: TokenProfile) {
        self.profiles.insert(super::fingerprint(&p.token), p);
    }

    /// The token (by fingerprint) has an expiry in the past.
    pub fn expired(&self, fingerprint: &str, now: i64) -> bool {
        self.profiles
            .get(fingerprint)
            .and_then(|p| p.expires_at)
            .is_some_and(|at| at <= now)
    }

    /// `(scopes, expiry)` headers for a token caller: `None` scopes for a fine-grained token.
    pub fn headers(&self, fingerprint: &str) -> (Option<String>, Option<String>) {
        match self.profiles.get(fingerprint) {
            None => (Some(DEFAULT_SCOPES.into()), None),
            Some(p) => (p.scopes.clone(), p.expires_at.and_then(expiry_header)),
        }
    }
}

/// GitHub's expiry header value: `2026-12-31 00:00:00 UTC`.
pub fn expiry_header(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

/// An HTTP `Date` (IMF-fixdate) for `epoch`.
pub fn http_date(epoch: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
}

/// `POST /_fakehub/tokens`: one profile or a list.
pub fn admin_tokens(state: &mut TokenState, body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))?;
    let list: Vec<TokenProfile> = match v {
        Value::Array(_) => serde_json::from_value(v),
        other => serde_json::from_value(other).map(|p| vec![p]),
    }
    .map_err(|e| format!("bad token profile: {e}"))?;
    let n = list.len();
    for p in list {
        state.set(p);
    }
    Ok(json!({"ok": true, "profiles": n}))
}

/// `POST /_fakehub/clock`: `{"skew_secs": N}` (the `Date` header runs N seconds ahead).
pub fn admin_clock(state: &mut TokenState, body: &[u8]) -> Result<Value, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("bad JSON: {e}"))?;
    let skew = v
        .get("skew_secs")
        .and_then(Value::as_i64)
        .ok_or("expected {\"skew_secs\": N}")?;
    state.skew_secs = skew;
    Ok(json!({"ok": true, "skew_secs": skew}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_githubs_formats() {
        assert_eq!(
            expiry_header(1_798_675_200).as_deref(),
            Some("2026-12-31 00:00:00 UTC")
        );
        assert_eq!(
            http_date(1_507_651_200).as_deref(),
            Some("Tue, 10 Oct 2017 16:00:00 GMT")
        );
        let mut s = TokenState::new(
            &[TokenProfile {
                token: "t".into(),
                scopes: None,
                expires_at: Some(10),
            }],
            0,
        );
        let fp = super::super::fingerprint("t");
        assert_eq!(s.headers(&fp).0, None);
        assert!(s.expired(&fp, 10) && !s.expired(&fp, 9));
        assert_eq!(s.headers("other").0.as_deref(), Some(DEFAULT_SCOPES));
        admin_clock(&mut s, br#"{"skew_secs": -90}"#).unwrap();
        assert_eq!(s.skew_secs, -90);
    }
}
