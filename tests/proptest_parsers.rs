//! Property tests for every parser of outside input: the terminal sanitizer, repository names,
//! durations, the config file, GitHub's `Link` header and the decoding of GitHub's JSON (REST
//! repositories, commits, hooks). Each property runs 10,000 cases (`PROPTEST_CASES` overrides);
//! failures are saved by proptest in `tests/proptest_parsers.proptest-regressions` and replayed
//! first.

use std::path::Path;

use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

use repodeck::config::{Config, format_duration, parse_duration};
use repodeck::domain::RepoKey;
use repodeck::github::convert::{self, WireCommit, WireRepo};
use repodeck::github::hooks::decode_hooks;
use repodeck::github::rest::parse_link;
use repodeck::sanitize;

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
    ]);
    leaf.prop_recursive(4, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..8).prop_map(|kv| {
                serde_json::Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}
