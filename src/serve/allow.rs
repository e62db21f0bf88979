//! Who may deliver webhooks: `allow_ips` ("any", a list of networks, or "github-meta": the
//! `hooks` ranges of GitHub's `GET /meta`, refreshed daily with its ETag, cached in the store,
//! the last good copy kept while GitHub is unreachable). Behind a reverse proxy the client address
//! comes from `X-Forwarded-For`, believed only when the peer is one of `trusted_proxies`.
//!
//! Neighbours: `webhook` asks [`Allow::client_ip`] and [`Allow::permits`]; `mod.rs` starts
//! [`refresh_meta`]; `github` fetches `/meta`; `store` keeps the last good copy.

use std::net::IpAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::http::HeaderMap;
use chrono::Utc;
use ipnet::IpNet;
use tokio_util::sync::CancellationToken;

use crate::config::{AllowIps, parse_cidr};
use crate::github::GithubClient;
use crate::store::Store;
use crate::store::deliveries::MetaCache;

/// How often GitHub's ranges are asked for again (a 304 when unchanged).
pub const META_REFRESH: Duration = Duration::from_secs(24 * 3600);
/// After a failed refresh, the next try.
const META_RETRY: Duration = Duration::from_secs(15 * 60);

/// The allowlist in force.
pub struct Allow {
    rule: Rule,
    trusted: Vec<IpNet>,
}

enum Rule {
    Any,
    List(Vec<IpNet>),
    /// GitHub's ranges as last fetched (empty until the first good copy).
    Meta(RwLock<Vec<IpNet>>),
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) as the IPv4 address they are.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

impl Allow {
    pub fn new(rule: &AllowIps, trusted: &[IpNet]) -> Self {
        let rule = match rule {
            AllowIps::Any => Rule::Any,
            AllowIps::List(nets) => Rule::List(nets.clone()),
            AllowIps::GithubMeta => Rule::Meta(RwLock::new(Vec::new())),
        };
        Allow {
            rule,
            trusted: trusted.to_vec(),
        }
    }

    pub fn is_any(&self) -> bool {
        matches!(self.rule, Rule::Any)
    }

    pub fn uses_meta(&self) -> bool {
        matches!(self.rule, Rule::Meta(_))
    }

    /// Replaces GitHub's ranges (for "github-meta"); ignored for the other rules.
    pub fn set_meta(&self, nets: Vec<IpNet>) {
        if let Rule::Meta(lock) = &self.rule {
            *lock.write().unwrap_or_else(PoisonError::into_inner) = nets;
        }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|n| n.contains(&ip))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the nearest
    /// address in `X-Forwarded-For` that is not itself a trusted proxy. `None` when the header
    /// from a trusted proxy cannot be read (refused).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer);
        if !self.trusted(peer) {
            return Some(peer);
        }
        let mut hops = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            let text = value.to_str().ok()?;
            for part in text.split(',') {
                hops.push(canonical(part.trim().parse::<IpAddr>().ok()?));
            }
        }
        if hops.is_empty() {
            return Some(peer);
        }
        // Right to left: each trusted proxy appended the address it saw.
        let nearest = hops.iter().rev().find(|ip| !self.trusted(**ip));
        Some(*nearest.unwrap_or(&hops[0]))
    }

    pub fn permits(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match &self.rule {
            Rule::Any => true,
            Rule::List(nets) => nets.iter().any(|n| n.contains(&ip)),
            Rule::Meta(lock) => lock
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .any(|n| n.contains(&ip)),
        }
    }
}

/// GitHub's range strings as networks; unreadable entries are skipped (and logged).
pub fn parse_ranges(ranges: &[String]) -> Vec<IpNet> {
    ranges
        .iter()
        .filter_map(|r| match parse_cidr(r) {
            Ok(n) => Some(n),
            Err(e) => {
                tracing::warn!(range = %crate::sanitize::line(r), error = %e, "skipping a /meta hooks range");
                None
            }
        })
        .collect()
}

/// Loads the cached ranges, then keeps them fresh: at once when the copy is older than a day
/// (or missing), then daily; a failure keeps the last good copy and tries again later.
pub async fn refresh_meta(
    allow: Arc<Allow>,
    store: Arc<Store>,
    client: GithubClient,
    stop: CancellationToken,
) {
    let cached = store.meta_cache().ok().flatten();
    if let Some(c) = &cached {
        allow.set_meta(parse_ranges(&c.hooks));
    }
    let mut wait = match &cached {
        Some(c) => (c.fetched_at + chrono::Duration::from_std(META_REFRESH).unwrap_or_default()
            - Utc::now())
        .to_std()
        .unwrap_or(Duration::ZERO),
        None => Duration::ZERO,
    };
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => return,
        }
        wait = match client.meta_hook_ranges().await {
            Ok(ranges) => {
                let hooks = ranges.into_inner();
                let nets = parse_ranges(&hooks);
                if nets.is_empty() {
                    tracing::warn!(
                        "GitHub's /meta lists no hooks ranges; keeping the last good copy"
                    );
                    META_RETRY
                } else {
                    tracing::info!(
                        ranges = nets.len(),
                        "webhook allowlist: GitHub's hooks ranges loaded"
                    );
                    allow.set_meta(nets);
                    let cache = MetaCache {
                        hooks,
                        fetched_at: Utc::now(),
                    };
                    if let Err(e) = store.meta_cache_put(&cache) {
                        tracing::warn!(error = %e, "cannot cache GitHub's /meta ranges");
                    }
                    META_REFRESH
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot refresh GitHub's /meta ranges; keeping the last good copy");
                META_RETRY
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| parse_cidr(s).unwrap()).collect()
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn lists_and_any() {
        let a = Allow::new(&AllowIps::List(nets(&["10.0.0.0/8", "2001:db8::/32"])), &[]);
        assert!(a.permits("10.1.2.3".parse().unwrap()));
        assert!(a.permits("::ffff:10.1.2.3".parse().unwrap()));
        assert!(a.permits("2001:db8::1".parse().unwrap()));
        assert!(!a.permits("192.0.2.1".parse().unwrap()));
        assert!(Allow::new(&AllowIps::Any, &[]).permits("192.0.2.1".parse().unwrap()));
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let a = Allow::new(&AllowIps::Any, &nets(&["127.0.0.1/32", "10.9.0.0/16"]));
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        // An untrusted peer's header is ignored.
        assert_eq!(a.client_ip(stranger, &xff("140.82.112.1")), Some(stranger));
        // A trusted peer: the nearest untrusted hop.
        assert_eq!(
            a.client_ip(peer, &xff("6.6.6.6, 140.82.112.1, 10.9.1.1")),
            Some("140.82.112.1".parse().unwrap())
        );
        assert_eq!(a.client_ip(peer, &HeaderMap::new()), Some(peer));
        assert_eq!(a.client_ip(peer, &xff("not-an-ip")), None);
    }

    #[test]
    fn meta_ranges_start_empty_and_are_replaced() {
        let a = Allow::new(&AllowIps::GithubMeta, &[]);
        let ip: IpAddr = "140.82.112.9".parse().unwrap();
        assert!(
            !a.permits(ip),
            "nothing is allowed before GitHub's ranges are known"
        );
        a.set_meta(parse_ranges(&["140.82.112.0/20".into(), "junk".into()]));
        assert!(a.permits(ip));
    }
}
