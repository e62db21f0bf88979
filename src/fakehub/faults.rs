//! Fault injection: rules that match a route glob and method, chosen deterministically (probability/every/next/after), and the misbehaviour each kind causes.

use serde::{Deserialize, Serialize};

use super::data::mix;
use super::ratelimit::Bucket;

fn any_route() -> String {
    "**".to_string()
}

fn half() -> f64 {
    0.5
}

/// What a selected rule does to the request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Adds `ms` before the answer.
    Latency { ms: u64 },
    /// Never answers (until the client gives up or fakehub stops).
    Hang,
    /// Sends the body at `bytes_per_sec`.
    SlowBody { bytes_per_sec: u64 },
    /// Closes the connection without an answer.
    Reset,
    /// Announces the full `content-length`, sends half the body, closes.
    Truncate,
    /// Answers with this status and a GitHub-style error body.
    Status { status: u16 },
    /// Exhausts the bucket (default: the route's) and answers like GitHub's primary limit.
    PrimaryLimit {
        #[serde(default)]
        bucket: Option<Bucket>,
    },
    /// Answers GitHub's secondary-limit 403, with `retry-after` (rule value or server default).
    SecondaryLimit {
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Answers 401 Bad credentials whatever the token.
    BadCredentials,
    /// Nulls a `fraction` of the top-level GraphQL results (aliases, `nodes` slots) with errors.
    GraphqlPartial {
        #[serde(default = "half")]
        fraction: f64,
    },
    /// Answers GraphQL `RESOURCE_LIMITS_EXCEEDED`.
    GraphqlResourceLimits,
    /// `Link` URLs point at another host.
    LinkForeign,
    /// `Link` rel="next" points at the page itself.
    LinkLoop,
    /// An unparseable `Link` header.
    LinkMalformed,
    /// Answers a redirect (`status`, 302 by default) to `to` (a base URL; fakehub's own when
    /// absent, which makes a loop) followed by the request's path and query.
    Redirect {
        #[serde(default = "found")]
        status: u16,
        #[serde(default)]
        to: Option<String>,
    },
}

fn found() -> u16 {
    302
}

/// One fault rule as given with `--faults` or POSTed to `/_fakehub/faults`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Path glob: `*` is one segment (or part of one), `**` any number of segments.
    #[serde(default = "any_route")]
    pub route: String,
    /// HTTP method; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Applies to each matching request with this probability (deterministic under the seed).
    #[serde(default)]
    pub probability: Option<f64>,
    /// Applies to every Nth matching request.
    #[serde(default)]
    pub every: Option<u64>,
    /// Applies to the next N matching requests only.
    #[serde(default)]
    pub next: Option<u64>,
    /// Applies to every matching request after the first K.
    #[serde(default)]
    pub after: Option<u64>,
}

impl FaultRule {
    pub fn new(route: &str, kind: FaultKind) -> Self {
        FaultRule {
            route: route.to_string(),
            method: None,
            kind,
            probability: None,
            every: None,
            next: None,
            after: None,
        }
    }
}

/// Parses `--faults`: inline JSON (array or single rule) or a path to a JSON file.
pub fn parse_rules(arg: &str) -> Result<Vec<FaultRule>, String> {
    let text = if arg.trim_start().starts_with('[') || arg.trim_start().starts_with('{') {
        arg.to_string()
    } else {
        std::fs::read_to_string(arg).map_err(|e| format!("cannot read faults file {arg}: {e}"))?
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("faults are not JSON: {e}"))?;
    let v = if v.is_array() {
        v
    } else {
        serde_json::Value::Array(vec![v])
    };
    serde_json::from_value(v).map_err(|e| format!("bad fault rule: {e}"))
}

fn seg_match(pat: &str, s: &str) -> bool {
    if pat == "*" {
        return !s.is_empty();
    }
    match pat.split_once('*') {
        None => pat == s,
        Some((pre, post)) => {
            s.len() >= pre.len() + post.len()
                && s.starts_with(pre)
                && seg_match_rest(post, &s[pre.len()..])
        }
    }
}

fn seg_match_rest(pat: &str, s: &str) -> bool {
    if !pat.contains('*') {
        return s.ends_with(pat);
    }
    (0..=s.len())
        .filter(|i| s.is_char_boundary(*i))
        .any(|i| seg_match(pat, &s[i..]))
}

fn glob(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|i| glob(rest, &path[i..])),
        Some((p, rest)) => match path.split_first() {
            Some((s, prest)) => seg_match(p, s) && glob(rest, prest),
            None => false,
        },
    }
}

/// Whether `route` (a glob) matches `path` (without query string).
pub fn route_matches(route: &str, path: &str) -> bool {
    let pat: Vec<&str> = route.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    glob(&pat, &segs)
}

/// The live rules with their per-rule match counters.
pub struct Faults {
    seed: u64,
    rules: Vec<(FaultRule, u64)>,
}

impl Faults {
    pub fn new(seed: u64, rules: Vec<FaultRule>) -> Self {
        Faults {
            seed,
            rules: rules.into_iter().map(|r| (r, 0)).collect(),
        }
    }

    pub fn replace(&mut self, rules: Vec<FaultRule>) {
        self.rules = rules.into_iter().map(|r| (r, 0)).collect();
    }

    pub fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|(r, _)| r.clone()).collect()
    }

    /// Counts this request against every matching rule and returns the kinds selected for it.
    pub fn select(&mut self, method: &str, path: &str) -> Vec<FaultKind> {
        let seed = self.seed;
        let mut out = Vec::new();
        for (i, (rule, count)) in self.rules.iter_mut().enumerate() {
            if let Some(m) = &rule.method
                && !m.eq_ignore_ascii_case(method)
            {
                continue;
            }
            if !route_matches(&rule.route, path) {
                continue;
            }
            *count += 1;
            let k = *count;
            let mut chosen = true;
            if let Some(n) = rule.next {
                chosen &= k <= n;
            }
            if let Some(after) = rule.after {
                chosen &= k > after;
            }
            if let Some(every) = rule.every {
                chosen &= every > 0 && k % every == 0;
            }
            if let Some(p) = rule.probability {
                let roll = (mix(seed ^ mix(i as u64 + 1) ^ mix(k.wrapping_mul(0x9E37))) % 1_000_000)
                    as f64
                    / 1_000_000.0;
                chosen &= roll < p;
            }
            if chosen {
                out.push(rule.kind.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(route_matches(
            "/repos/*/*/branches/*",
            "/repos/o/r/branches/main"
        ));
        assert!(!route_matches(
            "/repos/*/*/branches/*",
            "/repos/o/r/branches"
        ));
        assert!(route_matches("/repos/**", "/repos/o/r/issues"));
        assert!(route_matches("**", "/graphql"));
        assert!(route_matches("/graphql", "/graphql"));
        assert!(!route_matches("/graphql", "/rate_limit"));
        assert!(route_matches("/repos/*/repo-00*", "/repos/o/repo-0012"));
        assert!(!route_matches("/repos/*/repo-00*", "/repos/o/hostile"));
        assert!(route_matches("/**/issues", "/repos/o/r/issues"));
    }

    #[test]
    fn selection_next_after_every() {
        let mut f = Faults::new(
            1,
            vec![FaultRule {
                next: Some(2),
                ..FaultRule::new("**", FaultKind::Reset)
            }],
        );
        let picks: Vec<bool> = (0..4).map(|_| !f.select("GET", "/x").is_empty()).collect();
        assert_eq!(picks, [true, true, false, false]);
        let mut f = Faults::new(
            1,
            vec![FaultRule {
                after: Some(3),
                ..FaultRule::new("**", FaultKind::Reset)
            }],
        );
        let picks: Vec<bool> = (0..5).map(|_| !f.select("GET", "/x").is_empty()).collect();
        assert_eq!(picks, [false, false, false, true, true]);
        let mut f = Faults::new(
            1,
            vec![FaultRule {
                every: Some(3),
                ..FaultRule::new("**", FaultKind::Reset)
            }],
        );
        let picks: Vec<bool> = (0..6).map(|_| !f.select("GET", "/x").is_empty()).collect();
        assert_eq!(picks, [false, false, true, false, false, true]);
    }

    #[test]
    fn probability_is_deterministic_and_roughly_right() {
        let rule = FaultRule {
            probability: Some(0.2),
            ..FaultRule::new("**", FaultKind::Reset)
        };
        let run = |seed| {
            let mut f = Faults::new(seed, vec![rule.clone()]);
            (0..2000)
                .map(|_| !f.select("GET", "/x").is_empty())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|b| **b).count();
        assert!((300..500).contains(&hits), "{hits} of 2000 at p=0.2");
    }

    #[test]
    fn parse_inline_and_method_filter() {
        let rules = parse_rules(r#"[{"route":"/graphql","kind":"status","status":502,"probability":0.2},{"route":"/repos/**","method":"POST","kind":"secondary_limit","retry_after":3,"next":1}]"#)
            .expect("parse");
        assert_eq!(rules[0].kind, FaultKind::Status { status: 502 });
        assert_eq!(
            rules[1].kind,
            FaultKind::SecondaryLimit {
                retry_after: Some(3)
            }
        );
        let mut f = Faults::new(1, vec![rules[1].clone()]);
        assert!(f.select("GET", "/repos/a/b").is_empty());
        assert_eq!(f.select("POST", "/repos/a/b").len(), 1);
        assert!(parse_rules(r#"[{"kind":"nope"}]"#).is_err());
    }
}
