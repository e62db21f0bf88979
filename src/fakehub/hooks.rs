//! The webhooks API of repositories and organizations, as GitHub documents it: list, create (with
//! a `ping`), get, update (PATCH), delete (204) and `POST .../pings` (204). Each hook records how
//! its last delivery went (`last_response`). Hooks live in the world (`Repo::hooks`,
//! `World::org_hooks`); deliveries are sent by `webhooks`.

use std::sync::{Arc, PoisonError};

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};

use super::bodies::iso;
use super::data::{Hook, Repo, World};
use super::rest::RestCtx;
use super::{Reply, Shared};

/// Whose hooks a request addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// A repository, by its index in `World::repos`.
    Repo(usize),
    /// An organization, by its account index.
    Org(usize),
}

const DOCS: &str = "https://docs.github.com/rest/repos/webhooks";

impl Owner {
    fn hooks<'w>(&self, w: &'w World) -> &'w [Hook] {
        match self {
            Owner::Repo(i) => w.repos.get(*i).map(|r| r.hooks.as_slice()).unwrap_or(&[]),
            Owner::Org(a) => w.org_hooks.get(a).map(Vec::as_slice).unwrap_or(&[]),
        }
    }

    fn api(&self, shared: &Shared, w: &World) -> String {
        match self {
            Owner::Repo(i) => match w.repos.get(*i) {
                Some(r) => format!(
                    "{}/repos/{}/{}",
                    shared.base, w.accounts[r.owner].login, r.name
                ),
                None => shared.base.clone(),
            },
            Owner::Org(a) => format!("{}/orgs/{}", shared.base, w.accounts[*a].login),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Owner::Repo(_) => "Repository",
            Owner::Org(_) => "Organization",
        }
    }
}

/// A hook as GitHub's API shows it (never with its secret: GitHub masks it as `********`).
pub(crate) fn hook_json(api: &str, kind: &str, h: &Hook) -> Value {
    let id = h.id;
    let last = match h.last {
        None => json!({"code": null, "status": "unused", "message": null}),
        Some(Some(code)) if (200..300).contains(&code) => {
            json!({"code": code, "status": "active", "message": "OK"})
        }
        Some(Some(code)) => {
            json!({"code": code, "status": "active", "message": format!("Invalid HTTP Response: {code}")})
        }
        Some(None) => {
            json!({"code": null, "status": "misconfigured", "message": "Failed to connect to host."})
        }
    };
    let mut config = json!({"content_type": "json", "insecure_ssl": "0", "url": h.url});
    if h.secret.is_some() {
        config["secret"] = json!("********");
    }
    json!({
        "type": kind, "id": id, "name": "web", "active": h.active, "events": h.events,
        "config": config,
        "updated_at": iso(h.created_at), "created_at": iso(h.created_at),
        "url": format!("{api}/hooks/{id}"), "test_url": format!("{api}/hooks/{id}/test"),
        "ping_url": format!("{api}/hooks/{id}/pings"), "deliveries_url": format!("{api}/hooks/{id}/deliveries"),
        "last_response": last,
    })
}

impl Shared {
    /// Changes the hooks of one owner under the world's write lock.
    pub(crate) fn edit_hooks<R>(&self, owner: Owner, f: impl FnOnce(&mut Vec<Hook>) -> R) -> R {
        let mut guard = self.world.write().unwrap_or_else(PoisonError::into_inner);
        let w = Arc::make_mut(&mut guard);
        match owner {
            Owner::Repo(i) => match w.repos.get_mut(i) {
                Some(r) => f(&mut Arc::make_mut(r).hooks),
                None => f(&mut Vec::new()),
            },
            Owner::Org(a) => f(w.org_hooks.entry(a).or_default()),
        }
    }

    /// Records how a delivery to hook `id` went (`None`: no HTTP answer).
    pub(crate) fn record_response(&self, owner: Owner, id: u64, code: Option<u16>) {
        self.edit_hooks(owner, |hooks| {
            if let Some(h) = hooks.iter_mut().find(|h| h.id == id) {
                h.last = Some(code);
            }
        });
    }
}

/// `/repos/{o}/{r}/hooks...` and `/orgs/{org}/hooks...`; `rest` starts after `hooks`.
pub(crate) fn route(ctx: &RestCtx<'_>, owner: Owner, rest: &[&str]) -> Reply {
    if !ctx.caller.authed {
        return Reply::error(StatusCode::UNAUTHORIZED, "Requires authentication");
    }
    let w = ctx.world;
    let api = owner.api(ctx.shared, w);
    let hooks = owner.hooks(w);
    let find = |id: &str| {
        id.parse::<u64>()
            .ok()
            .and_then(|id| hooks.iter().find(|h| h.id == id).cloned())
    };
    let m = ctx.method;
    match rest {
        [] if *m == Method::GET => {
            let all: Vec<Value> = hooks
                .iter()
                .map(|h| hook_json(&api, owner.kind(), h))
                .collect();
            Reply::ok(&Value::Array(all))
        }
        [] if *m == Method::POST => create(ctx, owner, &api),
        [id, tail @ ..] => match (find(id), tail) {
            (None, _) => Reply::not_found(),
            (Some(h), []) if *m == Method::GET => Reply::ok(&hook_json(&api, owner.kind(), &h)),
            (Some(h), []) if *m == Method::PATCH => update(ctx, owner, &api, h),
            (Some(h), []) if *m == Method::DELETE => {
                ctx.shared
                    .edit_hooks(owner, |hs| hs.retain(|x| x.id != h.id));
                Reply::json(StatusCode::NO_CONTENT, &Value::Null)
            }
            (Some(h), ["pings"]) if *m == Method::POST => {
                super::webhooks::ping(ctx.shared, owner, &h);
                Reply::json(StatusCode::NO_CONTENT, &Value::Null)
            }
            _ => Reply::not_found(),
        },
        _ => Reply::not_found(),
    }
}

fn invalid(message: &str) -> Reply {
    Reply::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({"message": "Validation Failed", "errors": [{"resource": "Hook", "code": "custom", "message": message}], "documentation_url": DOCS, "status": "422"}),
    )
}

fn bad_json() -> Reply {
    Reply::documented(StatusCode::BAD_REQUEST, "Problems parsing JSON", DOCS)
}

fn events_of(v: &Value) -> Option<Vec<String>> {
    v.get("events")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .filter(|e: &Vec<String>| !e.is_empty())
}

fn not_loopback() -> Reply {
    invalid("fakehub delivers webhooks to loopback URLs only (127.0.0.1, ::1, localhost)")
}

fn create(ctx: &RestCtx<'_>, owner: Owner, api: &str) -> Reply {
    let Ok(v) = serde_json::from_slice::<Value>(ctx.body) else {
        return bad_json();
    };
    let Some(url) = v.pointer("/config/url").and_then(Value::as_str) else {
        return invalid("Config must contain a url");
    };
    if !super::webhooks::is_loopback_url(url) {
        return not_loopback();
    }
    if owner.hooks(ctx.world).iter().any(|h| h.url == url) {
        return invalid("Hook already exists on this repository");
    }
    let hook = Hook {
        id: ctx.shared.next_hook_id(),
        url: url.to_string(),
        secret: v
            .pointer("/config/secret")
            .and_then(Value::as_str)
            .map(str::to_string),
        events: events_of(&v).unwrap_or_else(|| vec!["push".into()]),
        active: v.get("active").and_then(Value::as_bool).unwrap_or(true),
        created_at: super::now_epoch(),
        last: None,
    };
    let body = hook_json(api, owner.kind(), &hook);
    ctx.shared.edit_hooks(owner, |hs| hs.push(hook.clone()));
    super::webhooks::ping(ctx.shared, owner, &hook);
    let mut reply = Reply::json(StatusCode::CREATED, &body);
    reply
        .headers
        .push((header::LOCATION, format!("{api}/hooks/{}", hook.id)));
    reply
}

fn update(ctx: &RestCtx<'_>, owner: Owner, api: &str, mut hook: Hook) -> Reply {
    let Ok(v) = serde_json::from_slice::<Value>(ctx.body) else {
        return bad_json();
    };
    if let Some(url) = v.pointer("/config/url").and_then(Value::as_str) {
        if !super::webhooks::is_loopback_url(url) {
            return not_loopback();
        }
        hook.url = url.to_string();
    }
    if let Some(secret) = v.pointer("/config/secret").and_then(Value::as_str) {
        hook.secret = Some(secret.to_string());
    }
    if let Some(events) = events_of(&v) {
        hook.events = events;
    }
    if let Some(active) = v.get("active").and_then(Value::as_bool) {
        hook.active = active;
    }
    let body = hook_json(api, owner.kind(), &hook);
    ctx.shared.edit_hooks(owner, |hs| {
        if let Some(h) = hs.iter_mut().find(|h| h.id == hook.id) {
            *h = hook;
        }
    });
    Reply::ok(&body)
}

/// Whether a repo's events reach hooks of its owner organization.
pub(crate) fn org_hooks_for<'w>(w: &'w World, r: &Repo) -> &'w [Hook] {
    w.org_hooks.get(&r.owner).map(Vec::as_slice).unwrap_or(&[])
}
