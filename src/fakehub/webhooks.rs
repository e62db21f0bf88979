//! Webhook deliveries: GitHub-shaped payloads for each mutation, signed with X-Hub-Signature-256, POSTed to loopback receivers only.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::bodies::{Ctx, iso, merge};
use super::data::{AccountKind, Applied, Hook, Item, OCTOCAT, PayloadKind, Pushed, Repo, World};
use super::{Shared, lock};

/// `sha256=<hex HMAC-SHA256(secret, body)>`, GitHub's `X-Hub-Signature-256`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Constant-time check of a `sha256=...` signature, as a receiver should do it.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Some(hexsig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(raw) = hex::decode(hexsig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&raw).is_ok()
}

/// Only loopback receivers: fakehub never sends traffic off the machine.
pub fn is_loopback_url(s: &str) -> bool {
    let Ok(u) = url::Url::parse(s) else {
        return false;
    };
    if u.scheme() != "http" {
        return false;
    }
    match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn webhook_repo(ctx: &Ctx<'_>, r: &Repo, unix_times: bool) -> Value {
    let mut v = ctx.repo(r, false);
    if let Value::Object(m) = &mut v {
        m.remove("permissions");
        m.remove("security_and_analysis");
        m.insert("stargazers".into(), json!(r.stars));
        m.insert("custom_properties".into(), json!({}));
        m.insert("master_branch".into(), json!(r.default_branch));
        if unix_times {
            // push payloads keep the legacy shape: epoch-second dates and owner name/email
            m.insert("created_at".into(), json!(r.created_at));
            m.insert("pushed_at".into(), json!(r.pushed_at));
            let a = &ctx.world.accounts[r.owner];
            if let Some(Value::Object(owner)) = m.get_mut("owner") {
                owner.insert("name".into(), json!(a.login));
                owner.insert("email".into(), json!(a.email));
            }
        }
        if ctx.world.accounts[r.owner].kind == AccountKind::Organization {
            m.insert(
                "organization".into(),
                json!(ctx.world.accounts[r.owner].login),
            );
        }
    }
    v
}

fn envelope(ctx: &Ctx<'_>, r: &Repo, mut v: Value, unix_times: bool) -> Value {
    v["repository"] = webhook_repo(ctx, r, unix_times);
    v["sender"] = ctx.user(OCTOCAT);
    if ctx.world.accounts[r.owner].kind == AccountKind::Organization {
        let o = &ctx.world.accounts[r.owner];
        let b = ctx.base;
        v["organization"] = json!({
            "login": o.login, "id": o.id, "node_id": o.node_id(),
            "url": format!("{b}/orgs/{}", o.login), "repos_url": format!("{b}/orgs/{}/repos", o.login),
            "events_url": format!("{b}/orgs/{}/events", o.login), "hooks_url": format!("{b}/orgs/{}/hooks", o.login),
            "issues_url": format!("{b}/orgs/{}/issues", o.login), "members_url": format!("{b}/orgs/{}/members{{/member}}", o.login),
            "public_members_url": format!("{b}/orgs/{}/public_members{{/member}}", o.login),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", o.id), "description": o.name,
        });
    }
    v
}

fn commit_entry(ctx: &Ctx<'_>, r: &Repo, pos: u32) -> Option<Value> {
    let c = r.commit_at(ctx.world.seed, ctx.world.accounts.len(), pos)?;
    let fullname = ctx.full_name(r);
    let who = |idx: usize| {
        let a = &ctx.world.accounts[idx.min(ctx.world.accounts.len() - 1)];
        json!({"name": a.name, "email": a.email, "username": a.login})
    };
    let tree = super::data::commit_sha(ctx.world.seed, r.id ^ 0x7472_6565, r.epoch, pos);
    Some(json!({
        "id": c.sha, "tree_id": tree, "distinct": true, "message": c.message, "timestamp": iso(c.time),
        "url": format!("https://github.com/{fullname}/commit/{}", c.sha),
        "author": who(c.author), "committer": who(c.committer),
        "added": c.files.iter().filter(|f| f.3 == "added").map(|f| f.0.clone()).collect::<Vec<_>>(),
        "removed": [],
        "modified": c.files.iter().filter(|f| f.3 != "added").map(|f| f.0.clone()).collect::<Vec<_>>(),
    }))
}

/// Builds the payload for one delivery of a mutation.
pub fn payload(world: &World, base: &str, r: &Repo, kind: &PayloadKind) -> Value {
    let ctx = Ctx {
        base,
        world,
        authed: true,
    };
    let v = match kind {
        PayloadKind::Push(pushed) => return push_payload(&ctx, r, pushed),
        PayloadKind::Release { action, index } => {
            let rel = world
                .detail(r)
                .releases
                .get(*index)
                .map(|rel| ctx.release(r, rel));
            json!({"action": action, "release": rel})
        }
        PayloadKind::PullRequest { action, number } => {
            let pr = find_item(world, r, *number).map(|it| webhook_pull(&ctx, r, &it));
            json!({"action": action, "number": number, "pull_request": pr})
        }
        PayloadKind::Issues { action, number } => {
            let issue = find_item(world, r, *number).map(|it| {
                let mut v = ctx.issue(r, &it);
                v["draft"] = json!(false);
                v
            });
            json!({"action": action, "issue": issue})
        }
        PayloadKind::Star { action, at } => {
            let starred = (*action == "created").then(|| iso(*at));
            json!({"action": action, "starred_at": starred})
        }
        PayloadKind::Watch => json!({"action": "started"}),
        PayloadKind::Fork { forkee } => {
            let f = world.repos.get(*forkee).map(|f| {
                let mut v = webhook_repo(&ctx, f, false);
                v["public"] = json!(!f.private);
                v
            });
            json!({"forkee": f})
        }
        PayloadKind::Repository { action, old_name } => {
            let mut v = json!({"action": action});
            if let Some(old) = old_name {
                v["changes"] = json!({"repository": {"name": {"from": old}}});
            }
            v
        }
    };
    envelope(&ctx, r, v, false)
}

fn find_item(world: &World, r: &Repo, number: u32) -> Option<Item> {
    let detail = world.detail(r);
    detail.items.iter().find(|i| i.number == number).cloned()
}

/// A `push` payload: the new commits on the default branch, in the legacy repository shape.
fn push_payload(ctx: &Ctx<'_>, r: &Repo, p: &Pushed) -> Value {
    let commits: Vec<Value> = (p.from..p.to)
        .filter_map(|pos| commit_entry(ctx, r, pos))
        .collect();
    let head =
        p.to.checked_sub(1)
            .and_then(|pos| commit_entry(ctx, r, pos));
    let fullname = ctx.full_name(r);
    let me = &ctx.world.accounts[OCTOCAT];
    let (before, after) = (&p.before, &p.after);
    let compare = format!(
        "https://github.com/{fullname}/compare/{}...{}",
        before.get(..12).unwrap_or(""),
        after.get(..12).unwrap_or("")
    );
    envelope(
        ctx,
        r,
        json!({
            "ref": format!("refs/heads/{}", r.default_branch), "before": before, "after": after,
            "created": false, "deleted": false, "forced": p.forced, "base_ref": null,
            "compare": compare, "commits": commits, "head_commit": head,
            "pusher": {"name": me.login, "email": me.email},
        }),
        true,
    )
}

/// A pull request as webhooks send it: the listed shape plus merge state and diff counts.
fn webhook_pull(ctx: &Ctx<'_>, r: &Repo, it: &Item) -> Value {
    let mut v = ctx.pull(r, it);
    let merged_by = if it.merged {
        ctx.user(OCTOCAT)
    } else {
        Value::Null
    };
    merge(
        &mut v,
        json!({
            "merged": it.merged, "mergeable": null, "rebaseable": null,
            "mergeable_state": "unknown", "merged_by": merged_by, "comments": it.comments,
            "review_comments": 0, "maintainer_can_modify": false, "commits": 1,
            "additions": 10, "deletions": 2, "changed_files": 1,
        }),
    );
    v
}

fn guid(seed: u64, n: u64) -> String {
    let a = super::data::mix(seed ^ n);
    let b = super::data::mix(a);
    format!(
        "{:08x}-{:04x}-11ef-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        0x8000 | (b & 0x3FFF),
        (b >> 16) & 0xFFFF_FFFF_FFFF
    )
}

/// Delivers every webhook a mutation triggers (in the background).
pub(crate) fn deliver_all(shared: &Arc<Shared>, world: &Arc<World>, applied: &Applied) {
    let Some(r) = world.find_id(applied.repo_id).or_else(|| {
        world
            .by_id
            .get(&applied.repo_id)
            .and_then(|i| world.repos.get(*i).cloned())
    }) else {
        return;
    };
    if r.hooks.is_empty() {
        return;
    }
    for d in &applied.deliveries {
        let body = payload(world, &shared.base, &r, &d.payload_kind);
        for h in r
            .hooks
            .iter()
            .filter(|h| h.active && (h.events.iter().any(|e| e == d.event || e == "*")))
        {
            send(shared, h, d.event, &body);
        }
    }
}

/// GitHub pings a hook when it is created.
pub(crate) fn ping(shared: &Arc<Shared>, repo_idx: usize, hook: &Hook) {
    let world = shared.world();
    let Some(r) = world.repos.get(repo_idx) else {
        return;
    };
    let ctx = Ctx {
        base: &shared.base,
        world: &world,
        authed: true,
    };
    let body = envelope(
        &ctx,
        r,
        json!({"zen": "Anything added dilutes everything else.", "hook_id": hook.id, "hook": ctx.hook(r, hook)}),
        false,
    );
    send(shared, hook, "ping", &body);
}

fn send(shared: &Arc<Shared>, hook: &Hook, event: &'static str, body: &Value) {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let delivery = guid(
        shared.config.seed,
        // A counter keeps GUIDs unique: two deliveries in one second must not share one.
        super::data::mix(hook.id)
            ^ super::data::mix(
                shared
                    .seq
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            )
            ^ super::now_epoch() as u64
            ^ bytes.len() as u64,
    );
    let signature = hook.secret.as_deref().map(|s| sign(s, &bytes));
    let url = hook.url.clone();
    let hook_id = hook.id;
    let shared2 = shared.clone();
    shared.rt.spawn(async move {
        let ok = tokio::time::timeout(
            Duration::from_secs(10),
            post(
                &url,
                event,
                &delivery,
                hook_id,
                signature.as_deref(),
                &bytes,
            ),
        )
        .await
        .unwrap_or(false);
        let mut st = lock(&shared2.stats);
        if ok {
            st.webhook_deliveries += 1;
        } else {
            st.webhook_failures += 1;
        }
    });
}

async fn post(
    url: &str,
    event: &str,
    delivery: &str,
    hook_id: u64,
    signature: Option<&str>,
    body: &[u8],
) -> bool {
    if !is_loopback_url(url) {
        return false;
    }
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = u.host_str() else {
        return false;
    };
    let host = if host.eq_ignore_ascii_case("localhost") {
        "127.0.0.1"
    } else {
        host.trim_start_matches('[').trim_end_matches(']')
    };
    let port = u.port_or_known_default().unwrap_or(80);
    let addr = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
        return false;
    };
    let path = match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    };
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: GitHub-Hookshot/fakehub\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-GitHub-Event: {event}\r\nX-GitHub-Delivery: {delivery}\r\nX-GitHub-Hook-ID: {hook_id}\r\nX-GitHub-Hook-Installation-Target-Type: repository\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(sig) = signature {
        head.push_str(&format!("X-Hub-Signature-256: {sig}\r\n"));
    }
    head.push_str("\r\n");
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(body).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match stream.read(&mut buf).await {
        Ok(n) if n >= 12 => buf[9] == b'2',
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_test_vector() {
        let sig = sign("It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        assert!(verify("It's a Secret to Everybody", b"Hello, World!", &sig));
        assert!(!verify(
            "It's a Secret to Everybody",
            b"Hello, World?",
            &sig
        ));
        assert!(!verify("wrong", b"Hello, World!", &sig));
    }

    #[test]
    fn only_loopback_receivers() {
        assert!(is_loopback_url("http://127.0.0.1:9000/hook"));
        assert!(is_loopback_url("http://localhost:9000/"));
        assert!(is_loopback_url("http://[::1]:9000/"));
        assert!(!is_loopback_url("http://10.0.0.1/hook"));
        assert!(!is_loopback_url("https://example.com/hook"));
        assert!(!is_loopback_url("http://127.0.0.1.example.com/"));
        assert!(!is_loopback_url("not a url"));
    }

    #[test]
    fn delivery_ids_are_guids() {
        let g = guid(1, 2);
        assert_eq!(g.len(), 36);
        assert_eq!(g.matches('-').count(), 4);
    }
}
