//! Property tests for every parser of outside input: the terminal sanitizer, repository names,
//! durations, the config file, GitHub's `Link` header, the decoding of GitHub's JSON (REST
//! repositories, commits, hooks; GraphQL batch answers), the store's record decoders (any bytes
//! are an error, never a panic; records round-trip), and the webhook receiver's
//! `X-Hub-Signature-256` check and payload decode. Each property runs 10,000 cases
//! (`PROPTEST_CASES` overrides);
//! failures are saved by proptest in `tests/proptest_parsers.proptest-regressions` and replayed
//! first.
#![expect(
    clippy::unwrap_used,
    reason = "strategy and helper functions outside #[test] functions fail loudly on a broken setup"
)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use hmac::Mac;
use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

use repodeck::config::{Config, format_duration, parse_duration};
use repodeck::domain::RepoKey;
use repodeck::domain::{
    ActivityEntry, Change, Commit, FailureKind, LocalId, RepoDetails, RepoId, RepoMeta, SyncError,
    SyncStatus, TrackedRepo,
};
use repodeck::github::RepoTarget;
use repodeck::github::convert::{self, WireCommit, WireRepo};
use repodeck::github::graphql::{Shape, decode_answer};
use repodeck::github::hooks::decode_hooks;
use repodeck::github::rest::parse_link;
use repodeck::sanitize;
use repodeck::serve::webhook::{Mac256, Work, signature_matches, work_of_delivery};
use repodeck::store::deliveries::{HookSeen, MetaCache};
use repodeck::store::{EtagEntry, decode_record, decode_record_v1, encode_record};

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000),
    )
}

/// Characters a hostile string is made of: plain text, wide and combining characters, every
/// control range, ESC and the C1 introducers, bidi controls.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => any::<char>(),
        2 => prop::char::range('\u{0}', '\u{1f}'),
        2 => prop::char::range('\u{7f}', '\u{9f}'),
        2 => Just('\u{1b}'),
        1 => prop::sample::select(vec!['[', ']', 'P', '\\', '\u{7}', ';', '0', 'm', 'X', '^', '_']),
        1 => prop::sample::select(vec![
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ]),
        1 => prop::sample::select(vec!['日', '本', '\u{301}', '\u{200D}', '👩', 'é']),
    ]
}

fn hostile_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn is_forbidden(c: char, keep_newline: bool) -> bool {
    (c.is_control() && !(keep_newline && c == '\n'))
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn sanitized_text_is_terminal_safe_and_never_wider(s in hostile_string(120)) {
        let one = sanitize::line(&s);
        prop_assert!(!one.chars().any(|c| is_forbidden(c, false)), "{one:?}");
        prop_assert!(one.width() <= s.width() + s.chars().filter(|c| *c == '\n' || *c == '\t').count());
        let twice = sanitize::line(&one).into_owned();
        prop_assert_eq!(twice.as_str(), one.as_ref(), "idempotent");
        let multi = sanitize::multiline(&s);
        prop_assert!(!multi.chars().any(|c| is_forbidden(c, true)), "{multi:?}");
    }

    #[test]
    fn truncation_never_exceeds_its_limit(s in hostile_string(80), max in 0usize..40) {
        let t = sanitize::truncate_chars(&s, max);
        prop_assert!(t.chars().count() <= max.max(1), "{t:?} for max {max}");
    }

    #[test]
    fn repo_names_never_panic_and_errors_are_one_clean_line(s in hostile_string(60)) {
        match RepoKey::parse(&s) {
            Ok(k) => {
                let again = RepoKey::parse(&k.to_string());
                prop_assert_eq!(again.ok(), Some(k));
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.chars().any(|c| is_forbidden(c, false)), "{msg:?}");
            }
        }
    }

    #[test]
    fn valid_repo_names_round_trip(
        owner in "[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,18}",
        name in "[A-Za-z0-9_][A-Za-z0-9._-]{0,40}",
    ) {
        prop_assume!(name != "." && name != "..");
        let k = RepoKey::parse(&format!("{owner}/{name}")).unwrap();
        prop_assert_eq!(k.owner(), owner.as_str());
        let url = RepoKey::parse(&format!("https://github.com/{owner}/{name}")).unwrap();
        prop_assert_eq!(url, k);
    }

    #[test]
    fn durations_never_panic_and_round_trip(s in "[0-9a-z ]{0,12}", secs in 0u64..10_000_000) {
        let _ = parse_duration(&s);
        let d = std::time::Duration::from_secs(secs);
        prop_assert_eq!(parse_duration(&format_duration(d)), Ok(d));
    }

    #[test]
    fn config_text_never_panics(s in hostile_string(200)) {
        let _ = Config::parse(&s, Path::new("config.toml"));
    }

    #[test]
    fn config_shaped_text_never_panics(
        section in prop::sample::select(vec!["github", "sync", "ui", "serve", "bogus", "keys"]),
        key in "[a-z_]{1,16}",
        value in prop_oneof![
            Just("\"5m\"".to_string()), Just("1".to_string()), Just("-1".to_string()),
            Just("true".to_string()), Just("\"\"".to_string()), Just("[1, \"a\"]".to_string()),
            Just("{ a = 1 }".to_string()), Just("18446744073709551616".to_string()),
            "\"[ -~]{0,20}\"",
        ],
    ) {
        let text = format!("[{section}]\n{key} = {value}\n");
        if let Err(e) = Config::parse(&text, Path::new("config.toml")) {
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            prop_assert!(!msg.chars().any(|c| c == '\u{1b}'), "{msg:?}");
        }
    }

    #[test]
    fn link_headers_never_panic(s in hostile_string(120)) {
        let _ = parse_link(&s);
    }

    #[test]
    fn well_formed_link_headers_parse_back(
        links in prop::collection::vec(
            ("https://api\\.github\\.com/[a-z/]{1,20}\\?page=[0-9]{1,3}", prop::sample::select(vec!["next", "last", "prev", "first"])),
            1..5,
        ),
    ) {
        let header = links
            .iter()
            .map(|(u, r)| format!("<{u}>; rel=\"{r}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let parsed = parse_link(&header).unwrap();
        let want: Vec<(String, String)> = links.iter().map(|(u, r)| (u.clone(), r.to_string())).collect();
        prop_assert_eq!(parsed, want);
    }

    #[test]
    fn github_json_decoding_never_panics(s in hostile_string(200), v in arb_json()) {
        let _ = convert::decode::<WireRepo>("/repos/{owner}/{repo}", s.as_bytes());
        let bytes = serde_json::to_vec(&v).unwrap();
        let _ = convert::decode::<WireRepo>("/repos/{owner}/{repo}", &bytes);
        let _ = convert::decode::<Vec<WireCommit>>("/repos/{owner}/{repo}/commits", &bytes);
        let _ = decode_hooks(&bytes);
    }
}

/// Arbitrary JSON, biased towards the shapes GitHub sends (objects with its key names).
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    arb_json_sized(4, 48)
}

/// [`arb_json`] at most `depth` deep with about `size` values: smaller ones keep the properties
/// that nest several of them cheap.
fn arb_json_sized(depth: u32, size: u32) -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        hostile_string(20).prop_map(serde_json::Value::from),
    ];
    let keys = prop::sample::select(vec![
        "id",
        "name",
        "full_name",
        "owner",
        "login",
        "sha",
        "commit",
        "message",
        "author",
        "config",
        "url",
        "events",
        "active",
        "last_response",
        "code",
        "default_branch",
        "stargazers_count",
        "pushed_at",
        "private",
        "node_id",
        "action",
        "repository",
        "organization",
        "hook_id",
    ]);
    leaf.prop_recursive(depth, size, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

// ---- the store's record decoders ----

/// Feeds `bytes` to every record decoder of the store; each answers, none panics.
fn decode_every_record(bytes: &[u8]) -> usize {
    [
        decode_record::<TrackedRepo>(bytes).is_ok(),
        decode_record::<RepoDetails>(bytes).is_ok(),
        decode_record::<ActivityEntry>(bytes).is_ok(),
        decode_record::<EtagEntry>(bytes).is_ok(),
        decode_record::<SyncError>(bytes).is_ok(),
        decode_record::<HookSeen>(bytes).is_ok(),
        decode_record::<MetaCache>(bytes).is_ok(),
        decode_record_v1(bytes).is_some(),
    ]
    .iter()
    .filter(|ok| **ok)
    .count()
}

fn at(secs: u32) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_500_000_000 + i64::from(secs), 0)
        .single()
        .unwrap_or_default()
}

fn arb_tracked() -> impl Strategy<Value = TrackedRepo> {
    (
        "[a-z0-9]{1,10}/[a-z0-9][a-z0-9_-]{0,19}",
        any::<u64>(),
        prop::option::of(any::<u64>()),
        0u8..4,
        (any::<u32>(), any::<u32>(), any::<u64>()),
        prop::option::of(hostile_string(40)),
        prop::option::of("[0-9a-f]{40}"),
        prop::option::of((hostile_string(40), any::<u32>())),
        any::<i64>(),
    )
        .prop_map(
            |(name, local, id, status, (t0, t1, stars), description, sha, error, delta)| {
                let key = RepoKey::parse(&name).unwrap();
                let mut r = TrackedRepo::new(LocalId(local), key, at(t0));
                r.id = id.map(RepoId);
                r.status = [
                    SyncStatus::Never,
                    SyncStatus::Synced,
                    SyncStatus::Failed,
                    SyncStatus::Inaccessible,
                ][usize::from(status)];
                r.last_synced_at = Some(at(t1));
                r.meta = Some(RepoMeta {
                    stars,
                    description: description.clone(),
                    full_name: name.clone(),
                    pushed_at: Some(at(t1)),
                    ..RepoMeta::default()
                });
                r.head = sha.map(|sha| Commit {
                    sha,
                    message: description.unwrap_or_default(),
                    ..Commit::default()
                });
                r.last_error = error.map(|(message, t)| SyncError {
                    kind: FailureKind::Server,
                    message,
                    at: at(t),
                });
                r.stars_delta = delta;
                r
            },
        )
}

fn arb_change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (any::<u64>(), "[0-9a-f]{40}").prop_map(|(count, head)| Change::NewCommits { count, head }),
        any::<i64>().prop_map(|delta| Change::Stars { delta }),
        (
            prop::option::of(hostile_string(30)),
            prop::option::of(hostile_string(30))
        )
            .prop_map(|(old, new)| Change::DescriptionChanged { old, new }),
        prop::collection::vec(hostile_string(10), 0..4).prop_map(|added| Change::TopicsChanged {
            added,
            removed: Vec::new()
        }),
        Just(Change::Archived),
    ]
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn store_records_from_any_bytes_are_an_error_never_a_panic(
        raw in prop::collection::vec(any::<u8>(), 0..160),
        versioned in any::<bool>(),
    ) {
        // With the current schema's prefix the bincode decoders themselves are reached.
        let mut bytes = if versioned { encode_record(&()) } else { Vec::new() };
        bytes.extend_from_slice(&raw);
        decode_every_record(&bytes);
        decode_every_record(&raw);
    }

    #[test]
    fn store_records_round_trip_and_a_damaged_one_never_panics(
        repo in arb_tracked(),
        change in arb_change(),
        commits in prop::collection::vec(("[0-9a-f]{40}", hostile_string(30)), 0..4),
        etag in ("W/\"[0-9a-f]{1,20}\"", prop::collection::vec(any::<u8>(), 0..40)),
        flip in any::<usize>(),
    ) {
        let bytes = encode_record(&repo);
        prop_assert_eq!(decode_record::<TrackedRepo>(&bytes).ok(), Some(repo.clone()));
        let entry = ActivityEntry {
            seq: repo.local.0,
            repo: RepoId(repo.local.0),
            full_name: repo.key.to_string(),
            at: at(7),
            change,
            read: false,
        };
        prop_assert_eq!(decode_record::<ActivityEntry>(&encode_record(&entry)).ok(), Some(entry));
        let details = RepoDetails {
            commits: commits
                .into_iter()
                .map(|(sha, message)| Commit { sha, message, ..Commit::default() })
                .collect(),
            ..RepoDetails::default()
        };
        prop_assert_eq!(decode_record::<RepoDetails>(&encode_record(&details)).ok(), Some(details));
        let etag = EtagEntry { etag: etag.0, body: etag.1 };
        prop_assert_eq!(decode_record::<EtagEntry>(&encode_record(&etag)).ok(), Some(etag));
        // One flipped bit: an error or some record, never a panic.
        let mut damaged = bytes;
        let bit = flip % (damaged.len() * 8);
        damaged[bit / 8] ^= 1 << (bit % 8);
        decode_every_record(&damaged);
    }
}

// ---- the webhook receiver: X-Hub-Signature-256 and the payload ----

fn mac(secret: &str) -> Mac256 {
    Mac256::new_from_slice(secret.as_bytes()).unwrap()
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret);
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn any_signature_header_is_judged_without_panicking(
        header in prop_oneof![
            hostile_string(90),
            "sha256=[0-9a-fA-F ]{0,70}",
            "(sha256|sha1|SHA256)=?[0-9a-z=]{0,64}",
        ],
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let secret = "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t";
        let right = sign(secret, &body);
        let ok = signature_matches(&mac(secret), &body, &header);
        // Only the right digest verifies (its hex in either case, the header trimmed).
        prop_assert_eq!(ok, header.trim().to_ascii_lowercase() == right && header.trim().starts_with("sha256="));
    }

    #[test]
    fn a_right_signature_verifies_and_any_one_bit_change_fails(
        secret in "[ -~]{32,64}",
        body in prop::collection::vec(any::<u8>(), 0..200),
        bit in any::<usize>(),
        target in 0u8..3,
    ) {
        let header = sign(&secret, &body);
        let m = mac(&secret);
        prop_assert!(signature_matches(&m, &body, &header));
        let padded = format!(" {header}\t");
        prop_assert!(signature_matches(&m, &body, &padded));
        match target {
            // A bit of the body.
            0 if !body.is_empty() => {
                let mut b = body.clone();
                let bit = bit % (b.len() * 8);
                b[bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!signature_matches(&m, &b, &header));
            }
            // A bit of the digest itself.
            1 => {
                let mut raw = hex::decode(&header["sha256=".len()..]).unwrap();
                let bit = bit % (raw.len() * 8);
                raw[bit / 8] ^= 1 << (bit % 8);
                let changed = format!("sha256={}", hex::encode(raw));
                prop_assert!(!signature_matches(&m, &body, &changed));
            }
            // A bit of the header's text: only a hex letter's case change keeps the same digest.
            _ => {
                let mut h = header.clone().into_bytes();
                let bit = bit % (h.len() * 8);
                h[bit / 8] ^= 1 << (bit % 8);
                if let Ok(changed) = String::from_utf8(h) {
                    let same = changed.to_ascii_lowercase() == header
                        && changed.starts_with("sha256=");
                    prop_assert_eq!(signature_matches(&m, &body, &changed), same, "{}", changed);
                }
            }
        }
    }

    #[test]
    fn any_webhook_payload_is_work_or_an_error_never_a_panic(
        event in prop_oneof![
            prop::sample::select(vec![
                "push", "ping", "repository", "release", "star", "fork", "issues",
                "pull_request", "watch", "member", "",
            ]).prop_map(str::to_string),
            hostile_string(20),
        ],
        v in arb_json_sized(3, 24),
        raw in hostile_string(80),
    ) {
        let _ = work_of_delivery(&event, raw.as_bytes());
        let bytes = serde_json::to_vec(&v).unwrap();
        match work_of_delivery(&event, &bytes) {
            // A sync is asked only for the repository the payload names, by its id.
            Ok(Work::Sync { id, .. }) => {
                prop_assert_eq!(v["repository"]["id"].as_u64(), Some(id.0));
            }
            Ok(Work::Ping) => prop_assert_eq!(event.as_str(), "ping"),
            Ok(Work::Ignore) => {}
            // An object without the parts the receiver reads is simply nothing to do.
            Err(_) => prop_assert_ne!(&v, &serde_json::json!({})),
        }
    }
}

// ---- GraphQL batch answers ----

/// A probe alias as GitHub answers it.
fn probe_object(i: usize) -> serde_json::Value {
    serde_json::json!({
        "id": format!("R_{i}"), "databaseId": 1000 + i, "nameWithOwner": format!("o/r{i}"),
        "pushedAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-02T00:00:00Z",
        "stargazerCount": 3, "forkCount": 1, "isArchived": false, "isPrivate": false,
        "isDisabled": false, "issues": {"totalCount": 2}, "pullRequests": {"totalCount": 0},
        "defaultBranchRef": {"name": "main", "target": {"oid": "a".repeat(40)}},
        "latestRelease": null
    })
}

const GRAPHQL_KEYS: &[&str] = &[
    "id",
    "databaseId",
    "nameWithOwner",
    "pushedAt",
    "updatedAt",
    "stargazerCount",
    "forkCount",
    "isArchived",
    "issues",
    "totalCount",
    "defaultBranchRef",
    "target",
    "oid",
    "history",
    "nodes",
    "edges",
    "refs",
    "releases",
    "languages",
    "owner",
    "login",
];

/// A GraphQL answer shaped like the batch query's: aliases (valid ones with fields replaced by
/// arbitrary JSON, or arbitrary objects), `nodes`, `rateLimit` and `errors` with paths.
fn arb_graphql_answer() -> impl Strategy<Value = serde_json::Value> {
    let alias = prop_oneof![
        (
            0usize..4,
            prop::collection::vec(
                (prop::sample::select(GRAPHQL_KEYS), arb_json_sized(2, 10)),
                0..3
            )
        )
            .prop_map(|(i, replace)| {
                let mut o = probe_object(i);
                for (k, v) in replace {
                    o[k] = v;
                }
                o
            }),
        arb_json_sized(2, 10),
    ];
    let error = (
        prop::sample::select(vec![
            "NOT_FOUND",
            "FORBIDDEN",
            "RATE_LIMITED",
            "RESOURCE_LIMITS_EXCEEDED",
            "INTERNAL",
            "",
        ]),
        hostile_string(20),
        prop_oneof![
            (0u64..6).prop_map(|i| serde_json::json!([format!("r{i}")])),
            (0u64..6).prop_map(|i| serde_json::json!(["nodes", i])),
            arb_json_sized(2, 10),
        ],
    )
        .prop_map(|(t, m, path)| serde_json::json!({"type": t, "message": m, "path": path}));
    (
        prop::collection::vec(alias, 0..5),
        prop::collection::vec(error, 0..3),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(aliases, errors, as_nodes, with_data)| {
            let mut data = serde_json::Map::new();
            if as_nodes {
                data.insert("nodes".into(), serde_json::Value::Array(aliases));
            } else {
                for (i, a) in aliases.into_iter().enumerate() {
                    data.insert(format!("r{i}"), a);
                }
            }
            data.insert(
                "rateLimit".into(),
                serde_json::json!({"cost": 1, "remaining": 4999}),
            );
            let mut answer = serde_json::Map::new();
            if with_data {
                answer.insert("data".into(), serde_json::Value::Object(data));
            }
            if !errors.is_empty() {
                answer.insert("errors".into(), serde_json::Value::Array(errors));
            }
            serde_json::Value::Object(answer)
        })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn graphql_answers_never_panic_and_give_one_result_per_repository(
        answer in arb_graphql_answer(),
        n in 1usize..6,
        detail in any::<bool>(),
        nodes in any::<bool>(),
        raw in prop::collection::vec(any::<u8>(), 0..60),
    ) {
        let targets: Vec<RepoTarget> = (0..n)
            .map(|i| if nodes {
                RepoTarget::Node(format!("R_{i}"))
            } else {
                RepoTarget::Name(RepoKey::parse(&format!("o/r{i}")).unwrap())
            })
            .collect();
        let shape = if detail { Shape::Detail } else { Shape::Probe };
        let body = serde_json::to_vec(&answer).unwrap();
        if let Ok(results) = decode_answer(shape, &targets, &body) {
            prop_assert_eq!(results.len(), n);
        }
        let _ = decode_answer(shape, &targets, &raw);
    }
}

#[test]
fn a_valid_probe_answer_decodes_for_every_alias() {
    let answer = serde_json::json!({"data": {"r0": probe_object(0), "r1": probe_object(1)}});
    let targets: Vec<RepoTarget> = (0..2)
        .map(|i| RepoTarget::Name(RepoKey::parse(&format!("o/r{i}")).unwrap()))
        .collect();
    let results = decode_answer(
        Shape::Probe,
        &targets,
        &serde_json::to_vec(&answer).unwrap(),
    )
    .unwrap();
    assert!(
        results.iter().all(|r| matches!(r, Some(Ok(())))),
        "{results:?}"
    );
}

/// Found by `store_records_from_any_bytes_are_an_error_never_a_panic`: a damaged length prefix
/// claiming exabytes made bincode allocate them, and the process aborted.
#[test]
fn a_record_claiming_a_huge_length_is_an_error() {
    let mut bytes = encode_record(&());
    // bincode's varint: 253 then a u64, here the length of EtagEntry's first string.
    bytes.push(253);
    bytes.extend_from_slice(&(u64::MAX / 8).to_le_bytes());
    bytes.extend_from_slice(b"abc");
    assert!(decode_record::<EtagEntry>(&bytes).is_err());
    assert!(decode_record::<TrackedRepo>(&bytes).is_err());
    assert!(decode_record::<RepoDetails>(&bytes).is_err());
}
