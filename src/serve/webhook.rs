//! The webhook receiver, by GitHub's rules: the client address against the allowlist (403), the
//! size before the body is read (413: `Content-Length`, then a capped read), the
//! `X-Hub-Signature-256` HMAC over the raw body in constant time (401; the SHA-1
//! `X-Hub-Signature` is ignored), then JSON (400), then the `X-GitHub-Delivery` GUID against the
//! last 3 days (a redelivery is answered 200 and not processed again), then the event (every
//! one records its hook's last delivery for `hook list`): `ping` answers 200; an event that changes a tracked repository queues a targeted sync by
//! its GitHub id (202, coalesced by `dispatch`); anything else is answered 202 and counted.
//!
//! Neighbours: `allow` (who may deliver), `dispatch` (turns hints into engine batches), `store`
//! (GUIDs, pending syncs, hooks seen), `metrics` (every answer is counted there).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::mpsc;

use super::allow::Allow;
use super::dispatch::Hint;
use super::metrics::{DeliveryResult, Metrics};
use crate::domain::{RepoId, RepoKey};
use crate::store::Store;
use crate::store::deliveries::HookSeen;

/// A keyed HMAC-SHA256; cloned per delivery so the secret is read once, at start.
pub type Mac256 = Hmac<Sha256>;

/// How long a delivery's body may take to arrive (GitHub itself gives up after 10 s).
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `X-GitHub-Delivery` kept (GitHub's are 36-character GUIDs).
const MAX_GUID: usize = 100;

/// Events that change what the store holds of the repository they name: the ones `hook create`
/// subscribes to.
const SYNC_EVENTS: &[&str] = &crate::domain::WEBHOOK_EVENTS;

/// The `repository` actions that change a tracked repository.
const REPOSITORY_ACTIONS: &[&str] = &[
    "renamed",
    "archived",
    "unarchived",
    "transferred",
    "deleted",
    "privatized",
    "publicized",
    "edited",
];

/// What the handlers share.
pub struct Receiver {
    pub store: Arc<Store>,
    pub mac: Mac256,
    pub max_body: u64,
    pub allow: Arc<Allow>,
    pub hints: mpsc::UnboundedSender<Hint>,
    pub metrics: Arc<Metrics>,
}

/// The parts of a payload the receiver reads; everything else is skipped (but must be JSON).
#[derive(Debug, Default, Deserialize)]
struct Payload {
    action: Option<String>,
    #[serde(default, deserialize_with = "object")]
    repository: Option<PayloadRepo>,
    #[serde(default, deserialize_with = "object")]
    organization: Option<PayloadOrg>,
    hook_id: Option<u64>,
}

/// GitHub sends objects, but serde would also read a struct from a JSON array (`[0, null]` as a
/// repository with id 0): a nested struct is read only from an object (or null).
fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let Some(map) = Option::<serde_json::Map<String, serde_json::Value>>::deserialize(d)? else {
        return Ok(None);
    };
    serde_json::from_value(serde_json::Value::Object(map))
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[derive(Debug, Deserialize)]
struct PayloadRepo {
    id: u64,
    full_name: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PayloadOrg {
    login: String,
}

/// What a verified, parsed delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    Ping,
    /// A targeted sync of this repository (GitHub id, and the name as a fallback).
    Sync {
        id: RepoId,
        name: Option<String>,
    },
    /// Nothing to do for this event or action.
    Ignore,
}

/// The event → work table.
pub fn work_for(event: &str, action: Option<&str>, repo: Option<(u64, Option<&str>)>) -> Work {
    if event == "ping" {
        return Work::Ping;
    }
    if !SYNC_EVENTS.contains(&event) {
        return Work::Ignore;
    }
    if event == "repository" && !action.is_some_and(|a| REPOSITORY_ACTIONS.contains(&a)) {
        return Work::Ignore;
    }
    match repo {
        Some((id, name)) => Work::Sync {
            id: RepoId(id),
            name: name.map(str::to_string),
        },
        None => Work::Ignore,
    }
}

/// A delivery's body as the receiver reads it: the JSON object GitHub sends, or why not.
fn parse_payload(body: &[u8]) -> Result<Payload, &'static str> {
    const NOT_OURS: &str = "the payload is not the JSON object GitHub sends";
    // serde would also read a struct from a JSON array; GitHub sends an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err(NOT_OURS);
    }
    serde_json::from_slice::<Payload>(body).map_err(|_| NOT_OURS)
}

/// What a verified delivery of `event` with this body asks for (the payload parse and the
/// event table the receiver uses); `Err` when the body is malformed (answered 400).
#[doc(hidden)]
pub fn work_of_delivery(event: &str, body: &[u8]) -> Result<Work, &'static str> {
    let p = parse_payload(body)?;
    let repo = p
        .repository
        .as_ref()
        .map(|r| (r.id, r.full_name.as_deref()));
    Ok(work_for(event, p.action.as_deref(), repo))
}

/// `sha256=<hex>` checked against the raw body in constant time (`verify_slice`).
pub fn signature_matches(mac: &Mac256, body: &[u8], header: &str) -> bool {
    let Some(hexsig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(raw) = hex::decode(hexsig) else {
        return false;
    };
    let mut mac = mac.clone();
    mac.update(body);
    mac.verify_slice(&raw).is_ok()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The event name as a metric label: GitHub's names are lowercase words and underscores.
fn event_label(headers: &HeaderMap) -> String {
    match header(headers, "x-github-event") {
        Some(e)
            if !e.is_empty()
                && e.len() <= 40
                && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            e.to_string()
        }
        Some(_) => "invalid".into(),
        None => "missing".into(),
    }
}

fn answer(status: StatusCode, text: &'static str) -> Response {
    (status, format!("{text}\n")).into_response()
}

/// `POST <webhook_path>`.
pub async fn receive(
    State(r): State<Arc<Receiver>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let event = event_label(req.headers());
    let (result, response) = r.handle(peer, &event, req).await;
    r.metrics.delivery(&event, result);
    response
}

impl Receiver {
    async fn handle(
        &self,
        peer: SocketAddr,
        event: &str,
        req: Request,
    ) -> (DeliveryResult, Response) {
        let headers = req.headers().clone();
        let client = self.allow.client_ip(peer.ip(), &headers);
        if !client.is_some_and(|ip| self.allow.permits(ip)) {
            tracing::warn!(%peer, client = ?client, event, "webhook refused: address not allowed");
            return (
                DeliveryResult::RefusedIp,
                answer(StatusCode::FORBIDDEN, "address not allowed"),
            );
        }
        let body = match self.read_body(&headers, req.into_body()).await {
            Ok(b) => b,
            Err(refusal) => return refusal,
        };
        let guid = header(&headers, "x-github-delivery").unwrap_or("");
        let Some(sig) = header(&headers, "x-hub-signature-256") else {
            tracing::warn!(%peer, event, guid, "webhook refused: no X-Hub-Signature-256");
            return (
                DeliveryResult::BadSignature,
                answer(StatusCode::UNAUTHORIZED, "missing X-Hub-Signature-256"),
            );
        };
        if !signature_matches(&self.mac, &body, sig) {
            tracing::warn!(%peer, event, guid, "webhook refused: signature does not match");
            return (
                DeliveryResult::BadSignature,
                answer(StatusCode::UNAUTHORIZED, "signature does not match"),
            );
        }
        self.verified(event, guid, &headers, &body)
    }

    /// The body, or the refusal: 413 past `max_body` (by `Content-Length` before reading, then
    /// by a capped read), 400 when it does not arrive in time.
    async fn read_body(
        &self,
        headers: &HeaderMap,
        body: Body,
    ) -> Result<axum::body::Bytes, (DeliveryResult, Response)> {
        let too_large = || {
            (
                DeliveryResult::TooLarge,
                answer(StatusCode::PAYLOAD_TOO_LARGE, "payload too large"),
            )
        };
        let claimed = header(headers, "content-length").and_then(|v| v.parse::<u64>().ok());
        if claimed.is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let limit = usize::try_from(self.max_body).unwrap_or(usize::MAX);
        let read = http_body_util::Limited::new(body, limit).collect();
        match tokio::time::timeout(BODY_TIMEOUT, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
            Ok(Err(_)) | Err(_) => Err((
                DeliveryResult::Malformed,
                answer(StatusCode::BAD_REQUEST, "the body did not arrive"),
            )),
        }
    }

    /// A delivery whose signature matched: parse, deduplicate, act.
    fn verified(
        &self,
        event: &str,
        guid: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> (DeliveryResult, Response) {
        let malformed = |why: &'static str| {
            tracing::warn!(event, guid, why, "webhook delivery refused as malformed");
            (
                DeliveryResult::Malformed,
                answer(StatusCode::BAD_REQUEST, why),
            )
        };
        if guid.is_empty() || guid.len() > MAX_GUID || !guid.bytes().all(|b| b.is_ascii_graphic()) {
            return malformed("missing or invalid X-GitHub-Delivery");
        }
        if event == "missing" || event == "invalid" {
            return malformed("missing or invalid X-GitHub-Event");
        }
        let payload = match parse_payload(body) {
            Ok(p) => p,
            Err(why) => return malformed(why),
        };
        let now = Utc::now();
        match self.store.delivery_first_seen(guid, now) {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(
                    event,
                    guid,
                    "webhook redelivery ignored (already processed)"
                );
                return (
                    DeliveryResult::Duplicate,
                    answer(StatusCode::OK, "already processed"),
                );
            }
            Err(e) => {
                tracing::error!(error = %e, event, guid, "cannot record the delivery");
                // GitHub shows the failure and the delivery can be redelivered.
                return (
                    DeliveryResult::Malformed,
                    answer(StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable"),
                );
            }
        }
        let hook_id = payload.hook_id.or_else(|| {
            header(headers, "x-github-hook-id").and_then(|h| h.trim().parse::<u64>().ok())
        });
        let target = header(headers, "x-github-hook-installation-target-type");
        self.record_hook(hook_id, event, target, &payload, now);
        let repo = payload
            .repository
            .as_ref()
            .map(|r| (r.id, r.full_name.as_deref()));
        match work_for(event, payload.action.as_deref(), repo) {
            Work::Ping => (DeliveryResult::Ping, answer(StatusCode::OK, "pong")),
            Work::Sync { id, name } => self.queue_sync(event, guid, id, name.as_deref()),
            Work::Ignore => {
                tracing::debug!(event, guid, "webhook event needs no sync");
                (
                    DeliveryResult::Ignored,
                    answer(StatusCode::ACCEPTED, "accepted, nothing to do"),
                )
            }
        }
    }

    /// Remembers the hook a delivery came from (for `hook list`): when, which event, and whose
    /// hook it is: a repository's or an organization's (`X-GitHub-Hook-Installation-Target-Type`;
    /// without it, a payload naming a repository is taken as that repository's).
    fn record_hook(
        &self,
        hook_id: Option<u64>,
        event: &str,
        target: Option<&str>,
        p: &Payload,
        now: chrono::DateTime<Utc>,
    ) {
        let Some(hook_id) = hook_id else {
            if event == "ping" {
                tracing::info!("webhook ping without a hook id");
            }
            return;
        };
        let mut seen = self
            .store
            .hook_seen(hook_id)
            .ok()
            .flatten()
            .unwrap_or(HookSeen {
                hook_id,
                repo: None,
                org: None,
                last_ping: None,
                last_delivery: None,
                last_event: None,
            });
        let org = || {
            p.organization
                .as_ref()
                .map(|o| crate::sanitize::line(&o.login).into_owned())
        };
        match target {
            Some("organization") => {
                seen.org = org().or(seen.org.take());
                seen.repo = None;
            }
            _ => {
                seen.repo = p.repository.as_ref().map(|r| RepoId(r.id)).or(seen.repo);
                if seen.repo.is_none() {
                    seen.org = org().or(seen.org.take());
                }
            }
        }
        if event == "ping" {
            seen.last_ping = Some(now);
        }
        seen.last_delivery = Some(now);
        seen.last_event = Some(event.to_string());
        match self.store.hook_seen_put(&seen) {
            Ok(()) if event == "ping" => tracing::info!(hook_id, "webhook ping: the hook works"),
            Ok(()) => {}
            Err(e) => tracing::warn!(error = %e, hook_id, "cannot record the hook's delivery"),
        }
    }

    /// A tracked repository: remember it as pending, hand it to the dispatcher, 202.
    fn queue_sync(
        &self,
        event: &str,
        guid: &str,
        id: RepoId,
        name: Option<&str>,
    ) -> (DeliveryResult, Response) {
        let tracked = match self.store.find_by_id(id) {
            Ok(Some(t)) => Some(t),
            // Tracked but never synced: no GitHub id stored yet, so by name.
            Ok(None) => name
                .and_then(|n| RepoKey::parse(n).ok())
                .and_then(|k| self.store.find(&k).ok().flatten()),
            Err(e) => {
                tracing::warn!(error = %e, "store lookup failed for a delivery");
                None
            }
        };
        let Some(repo) = tracked else {
            tracing::debug!(event, guid, repo = %id, "webhook for an untracked repository");
            return (
                DeliveryResult::Untracked,
                answer(StatusCode::ACCEPTED, "accepted, repository not tracked"),
            );
        };
        if let Err(e) = self.store.webhook_pending_add(id, Utc::now()) {
            tracing::warn!(error = %e, "cannot record the pending sync; it runs anyway");
        }
        let _ = self.hints.send(Hint {
            local: repo.local,
            id,
        });
        tracing::debug!(event, guid, repo = %repo.key, "webhook queued a sync");
        (
            DeliveryResult::Processed,
            answer(StatusCode::ACCEPTED, "accepted"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(secret: &str) -> Mac256 {
        Mac256::new_from_slice(secret.as_bytes()).unwrap()
    }

    #[test]
    fn a_repository_or_organization_sent_as_an_array_is_malformed_not_repo_0() {
        // Found by proptest: serde read `[0, null]` as a repository with id 0 and asked a sync.
        for body in [
            r#"{"repository": [0, null]}"#,
            r#"{"repository": {"id": 7}, "organization": ["octo-org"]}"#,
        ] {
            assert!(
                work_of_delivery("release", body.as_bytes()).is_err(),
                "{body}"
            );
        }
        assert!(matches!(
            work_of_delivery("release", br#"{"repository": {"id": 7}, "organization": null}"#),
            Ok(Work::Sync { id, .. }) if id.0 == 7
        ));
    }

    #[test]
    fn githubs_documented_test_vector_verifies() {
        // docs.github.com, "Validating webhook deliveries".
        let m = mac("It's a Secret to Everybody");
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(signature_matches(&m, b"Hello, World!", sig));
        assert!(!signature_matches(&m, b"Hello, World?", sig));
        assert!(!signature_matches(&mac("wrong"), b"Hello, World!", sig));
        assert!(!signature_matches(
            &m,
            b"Hello, World!",
            &sig.replace("sha256=", "sha1=")
        ));
        assert!(!signature_matches(&m, b"Hello, World!", "sha256=zz"));
        assert!(!signature_matches(&m, b"Hello, World!", "sha256="));
        assert!(!signature_matches(&m, b"Hello, World!", &sig[..40]));
    }

    #[test]
    fn events_map_to_work() {
        let repo = Some((7, Some("o/r")));
        let sync = Work::Sync {
            id: RepoId(7),
            name: Some("o/r".into()),
        };
        for e in SYNC_EVENTS.iter().filter(|e| **e != "repository") {
            assert_eq!(work_for(e, Some("created"), repo), sync, "{e}");
        }
        for a in REPOSITORY_ACTIONS {
            assert_eq!(work_for("repository", Some(a), repo), sync, "{a}");
        }
        assert_eq!(work_for("repository", Some("created"), repo), Work::Ignore);
        assert_eq!(work_for("ping", None, None), Work::Ping);
        assert_eq!(work_for("watch", Some("started"), repo), Work::Ignore);
        assert_eq!(work_for("issue_comment", None, repo), Work::Ignore);
        assert_eq!(work_for("push", None, None), Work::Ignore);
    }
}
