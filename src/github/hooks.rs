//! GitHub's webhooks API for `repodeck hook ...`: list, create, update, delete and ping the hooks of
//! a repository or an organization. Hooks are decoded into [`WebHook`] (our own type; GitHub text
//! is cleaned); the secret goes out in the create/update body only and is never kept or logged.
//! Mutations go through the client's spaced, never-retried mutation path.

use http::Method;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;

use super::client::clean;
use super::scheduler::Lane;
use super::{GithubClient, GithubError, convert};
use crate::domain::{Priority, RepoKey};
use crate::secrets;

/// Whose hooks: one repository's, or an organization's (which cover all its repositories).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookTarget {
    Repo(RepoKey),
    Org(String),
}

impl HookTarget {
    fn base(&self) -> String {
        match self {
            HookTarget::Repo(k) => format!("/repos/{}/{}/hooks", k.owner(), k.name()),
            HookTarget::Org(o) => format!("/orgs/{o}/hooks"),
        }
    }

    fn route(&self, tail: &str) -> &'static str {
        match (self, tail) {
            (HookTarget::Repo(_), "") => "/repos/{owner}/{repo}/hooks",
            (HookTarget::Repo(_), "id") => "/repos/{owner}/{repo}/hooks/{id}",
            (HookTarget::Repo(_), _) => "/repos/{owner}/{repo}/hooks/{id}/pings",
            (HookTarget::Org(_), "") => "/orgs/{org}/hooks",
            (HookTarget::Org(_), "id") => "/orgs/{org}/hooks/{id}",
            (HookTarget::Org(_), _) => "/orgs/{org}/hooks/{id}/pings",
        }
    }

    /// The OAuth scope a classic token needs for these hooks.
    pub fn scope(&self) -> &'static str {
        match self {
            HookTarget::Repo(_) => "admin:repo_hook",
            HookTarget::Org(_) => "admin:org_hook",
        }
    }
}

impl std::fmt::Display for HookTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HookTarget::Repo(k) => write!(f, "{k}"),
            HookTarget::Org(o) => write!(f, "org {o}"),
        }
    }
}

/// How the last delivery to a hook went, as GitHub reports it (`last_response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LastDelivery {
    /// Nothing delivered yet (`unused`).
    Unused,
    /// A 2xx answer.
    Ok { code: u16 },
    /// Anything else: the code (when there was an answer) and GitHub's short message.
    Failing { code: Option<u16>, message: String },
}

/// One webhook as repodeck sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebHook {
    pub id: u64,
    pub url: String,
    pub active: bool,
    pub events: Vec<String>,
    pub content_type: String,
    pub last: LastDelivery,
}

/// What `hook create` asks GitHub for.
pub struct HookSpec<'a> {
    pub url: &'a str,
    pub events: &'a [String],
    pub secret: &'a SecretString,
}

#[derive(Deserialize)]
struct WireHook {
    id: u64,
    #[serde(default)]
    active: bool,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    config: WireConfig,
    #[serde(default)]
    last_response: Option<WireLast>,
}

#[derive(Deserialize, Default)]
struct WireConfig {
    #[serde(default)]
    url: String,
    #[serde(default)]
    content_type: String,
}

#[derive(Deserialize)]
struct WireLast {
    code: Option<u16>,
    #[serde(default)]
    status: String,
    message: Option<String>,
}

impl From<WireHook> for WebHook {
    fn from(w: WireHook) -> Self {
        let last = match w.last_response {
            None => LastDelivery::Unused,
            Some(l) if l.status == "unused" && l.code.is_none() => LastDelivery::Unused,
            Some(WireLast {
                code: Some(code), ..
            }) if (200..300).contains(&code) => LastDelivery::Ok { code },
            Some(l) => LastDelivery::Failing {
                code: l.code,
                message: clean(l.message.as_deref().unwrap_or(&l.status), 200),
            },
        };
        WebHook {
            id: w.id,
            url: clean(&w.config.url, 500),
            active: w.active,
            events: w.events.iter().map(|e| clean(e, 60)).collect(),
            content_type: clean(&w.config.content_type, 40),
            last,
        }
    }
}

/// Decodes a hooks list body (for tests and the client).
pub fn decode_hooks(bytes: &[u8]) -> Result<Vec<WebHook>, GithubError> {
    let wire: Vec<WireHook> = convert::decode("/repos/{owner}/{repo}/hooks", bytes)?;
    Ok(wire.into_iter().map(WebHook::from).collect())
}

fn hook_body(spec: &HookSpec<'_>) -> serde_json::Value {
    secrets::expose(spec.secret, |secret| {
        json!({
            "name": "web",
            "active": true,
            "events": spec.events,
            "config": {
                "url": spec.url,
                "content_type": "json",
                "insecure_ssl": "0",
                "secret": secret,
            },
        })
    })
}

/// A refusal of the hooks API, said as what is missing: GitHub answers 404 (classic tokens) or
/// 403 (fine-grained) when the token may not manage hooks there.
fn scoped(target: &HookTarget, e: GithubError) -> GithubError {
    let status = match e {
        GithubError::NotFound { .. } => 404,
        GithubError::Forbidden { .. } => 403,
        other => return other,
    };
    GithubError::HookRefused {
        target: target.to_string(),
        scope: target.scope(),
        status,
    }
}

impl GithubClient {
    /// Every hook of a repository or an organization (all pages).
    pub async fn hooks(&self, target: &HookTarget) -> Result<Vec<WebHook>, GithubError> {
        let path = format!("{}?per_page=100", target.base());
        let pages = self
            .get_pages(&path, target.route(""), Lane::Core, Priority::User, 10)
            .await
            .map_err(|e| scoped(target, e))?;
        let mut out = Vec::new();
        for page in pages.into_inner() {
            out.extend(decode_hooks(&page)?);
        }
        Ok(out)
    }

    /// Creates a hook (`content_type: json`, `insecure_ssl: "0"`, the secret).
    pub async fn create_hook(
        &self,
        target: &HookTarget,
        spec: &HookSpec<'_>,
    ) -> Result<WebHook, GithubError> {
        let body = self
            .send_mutation(
                Method::POST,
                &target.base(),
                target.route(""),
                &hook_body(spec),
            )
            .await
            .map_err(|e| scoped(target, e))?;
        let wire: WireHook = convert::decode(target.route(""), &body)?;
        Ok(wire.into())
    }

    /// Updates a hook in place: URL, events, secret, active.
    pub async fn update_hook(
        &self,
        target: &HookTarget,
        id: u64,
        spec: &HookSpec<'_>,
    ) -> Result<WebHook, GithubError> {
        let path = format!("{}/{id}", target.base());
        let body = self
            .send_mutation(Method::PATCH, &path, target.route("id"), &hook_body(spec))
            .await
            .map_err(|e| scoped(target, e))?;
        let wire: WireHook = convert::decode(target.route("id"), &body)?;
        Ok(wire.into())
    }

    /// Deletes a hook.
    pub async fn delete_hook(&self, target: &HookTarget, id: u64) -> Result<(), GithubError> {
        let path = format!("{}/{id}", target.base());
        self.send_mutation(Method::DELETE, &path, target.route("id"), &json!({}))
            .await
            .map_err(|e| scoped(target, e))?;
        Ok(())
    }

    /// Asks GitHub to send a `ping` delivery to a hook.
    pub async fn ping_hook(&self, target: &HookTarget, id: u64) -> Result<(), GithubError> {
        let path = format!("{}/{id}/pings", target.base());
        self.send_mutation(Method::POST, &path, target.route("pings"), &json!({}))
            .await
            .map_err(|e| scoped(target, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_githubs_documented_hooks_list() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github/openapi/repos-list-webhooks.json"
        ))
        .unwrap();
        let hooks = decode_hooks(&bytes).unwrap();
        assert_eq!(hooks.len(), 1);
        let h = &hooks[0];
        assert_eq!(h.id, 12345678);
        assert_eq!(h.url, "https://example.com/webhook");
        assert!(h.active);
        assert_eq!(h.events, ["push", "pull_request"]);
        assert_eq!(h.content_type, "json");
        assert_eq!(h.last, LastDelivery::Unused);
    }

    #[test]
    fn last_response_states_and_hostile_text() {
        let body = br#"[
            {"id": 1, "active": true, "events": ["push"], "config": {"url": "http://a/\u001b[31mx"},
             "last_response": {"code": 200, "status": "active", "message": "OK"}},
            {"id": 2, "active": true, "events": [], "config": {"url": "http://b"},
             "last_response": {"code": 502, "status": "active", "message": "Bad \u202egateway"}},
            {"id": 3, "active": false, "events": [], "config": {"url": "http://c"},
             "last_response": {"code": null, "status": "misconfigured", "message": "connection refused"}}
        ]"#;
        let hooks = decode_hooks(body).unwrap();
        assert_eq!(hooks[0].last, LastDelivery::Ok { code: 200 });
        assert!(!hooks[0].url.contains('\u{1b}'));
        assert!(
            matches!(&hooks[1].last, LastDelivery::Failing { code: Some(502), message } if !message.contains('\u{202e}'))
        );
        assert!(matches!(
            &hooks[2].last,
            LastDelivery::Failing { code: None, .. }
        ));
    }

    #[test]
    fn the_secret_goes_in_the_body_only() {
        let secret = SecretString::from("x".repeat(40));
        let events = vec!["push".to_string()];
        let spec = HookSpec {
            url: "http://127.0.0.1:1/webhooks/github",
            events: &events,
            secret: &secret,
        };
        let body = hook_body(&spec);
        assert_eq!(body["config"]["secret"], "x".repeat(40));
        assert_eq!(body["config"]["insecure_ssl"], "0");
        assert_eq!(body["config"]["content_type"], "json");
    }

    #[test]
    fn a_refusal_names_the_missing_scope() {
        let t = HookTarget::Org("octo-org".into());
        let e = scoped(&t, GithubError::NotFound { what: "x".into() });
        assert!(e.to_string().contains("admin:org_hook"), "{e}");
    }
}
