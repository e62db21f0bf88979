//! The repo filter both front ends share: the TUI's `/` line and `repodeck list --filter`.
//! `Filter::parse` turns `lang:rust !is:fork stars:>100 sched` into terms that must all hold
//! (AND); `Filter::matches` tests one `TrackedRepo`. Pure: no I/O, no clock. Bare words match the
//! name, description, topics and language case-insensitively (substring); `!` negates any term;
//! double quotes keep spaces (`"async jobs"`) and make a word with a colon plain text.

use std::fmt;

use crate::domain::{CiState, TrackedRepo};

/// The fields a term may name, for the error message and the README.
pub const FIELDS: &str = "lang:, topic:, stars:, forks:, issues:, prs:, is:, ci:, has:, changed:";

/// A parsed filter: every term must hold. The empty filter matches every repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    negate: bool,
    test: Test,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Test {
    /// Lower case; matched as a substring of the name, description, topics and language.
    Word(String),
    /// Lower case, spaces as `-` (`jupyter-notebook`); the primary language, exactly.
    Lang(String),
    /// Lower case; one of the topics, exactly.
    Topic(String),
    Number(Count, Cmp),
    Is(Flag),
    Ci(CiState),
    HasRelease,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    Stars,
    Forks,
    Issues,
    Prs,
    /// Unread activity entries.
    Unread,
}

/// A comparison with a number: `>100`, `>=5`, `<10`, `<=3`, `=7` (or `7`), `10..100` (inclusive,
/// either end may be `*` or left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Gt(u64),
    Ge(u64),
    Lt(u64),
    Le(u64),
    Eq(u64),
    Range(u64, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    Archived,
    Fork,
    Private,
    Public,
    Changed,
}

/// Why a filter does not parse: the term as typed and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub term: String,
    pub message: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "filter `{}`: {}", self.term, self.message)
    }
}

impl std::error::Error for FilterError {}

impl Filter {
    /// Parses a filter; blank text is the empty filter.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let terms = split(text)?
            .into_iter()
            .map(|(word, quoted)| term(&word, quoted))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Filter { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds for `r`.
    pub fn matches(&self, r: &TrackedRepo) -> bool {
        self.terms.iter().all(|t| t.test.holds(r) != t.negate)
    }
}

/// Whitespace-separated words; a double-quoted run keeps its spaces (`"a b"`, `lang:"c sharp"`).
/// Returns each word and where its first quote was (a colon before it makes a field).
fn split(text: &str) -> Result<Vec<(String, Option<usize>)>, FilterError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut in_quote, mut any) = (None, false, false);
    for c in text.chars() {
        match c {
            '"' => {
                in_quote = !in_quote;
                quoted = quoted.or(Some(cur.len()));
                any = true;
            }
            c if c.is_whitespace() && !in_quote => {
                if any {
                    out.push((std::mem::take(&mut cur), quoted));
                }
                (quoted, any) = (None, false);
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if in_quote {
        return Err(FilterError {
            term: text.trim().to_string(),
            message: "a double quote is not closed; close it (\"async jobs\") or remove it".into(),
        });
    }
    if any {
        out.push((cur, quoted));
    }
    Ok(out)
}

fn term(word: &str, quote: Option<usize>) -> Result<Term, FilterError> {
    let err = |message: String| FilterError {
        term: word.to_string(),
        message,
    };
    let (negate, body, quote) = match word.strip_prefix('!') {
        Some(rest) => (true, rest, quote.map(|q| q.saturating_sub(1))),
        None => (false, word, quote),
    };
    if body.is_empty() {
        return Err(err(
            "nothing follows it: `!` negates the term after it (`!is:fork`)".into(),
        ));
    }
    let field = body.split_once(':').filter(|(f, _)| {
        quote.is_none_or(|q| f.len() < q)
            && !f.is_empty()
            && f.chars().all(|c| c.is_ascii_alphabetic())
    });
    let test = match field {
        None => Test::Word(body.to_lowercase()),
        Some((field, value)) => field_test(&field.to_ascii_lowercase(), value).map_err(err)?,
    };
    Ok(Term { negate, test })
}

fn field_test(field: &str, value: &str) -> Result<Test, String> {
    let lower = value.trim().to_lowercase();
    let need = |what: &str| {
        if lower.is_empty() {
            Err(format!("`{field}:` needs a value, e.g. `{field}:{what}`"))
        } else {
            Ok(())
        }
    };
    Ok(match field {
        "lang" | "language" => {
            need("rust")?;
            Test::Lang(lower.replace(' ', "-"))
        }
        "topic" => {
            need("cli")?;
            Test::Topic(lower)
        }
        "stars" => Test::Number(Count::Stars, cmp(field, &lower)?),
        "forks" => Test::Number(Count::Forks, cmp(field, &lower)?),
        "issues" => Test::Number(Count::Issues, cmp(field, &lower)?),
        "prs" => Test::Number(Count::Prs, cmp(field, &lower)?),
        "changed" if lower.is_empty() => Test::Is(Flag::Changed),
        "changed" => Test::Number(Count::Unread, cmp(field, &lower)?),
        "is" => Test::Is(match lower.as_str() {
            "archived" => Flag::Archived,
            "fork" => Flag::Fork,
            "private" => Flag::Private,
            "public" => Flag::Public,
            "changed" | "unread" => Flag::Changed,
            _ => {
                return Err(format!(
                    "`is:{value}` is not a state; use is:archived, is:fork, is:private, is:public or is:changed"
                ));
            }
        }),
        "ci" => Test::Ci(match lower.as_str() {
            "failing" | "failure" | "failed" | "red" => CiState::Failure,
            "passing" | "success" | "green" => CiState::Success,
            "pending" | "running" => CiState::Pending,
            "none" => CiState::None,
            _ => {
                return Err(format!(
                    "`ci:{value}` is not a CI state; use ci:failing, ci:passing, ci:pending or ci:none"
                ));
            }
        }),
        "has" => match lower.as_str() {
            "release" | "releases" => Test::HasRelease,
            _ => return Err(format!("`has:{value}` is not known; use has:release")),
        },
        _ => {
            return Err(format!(
                "`{field}:` is not a filter field; use one of {FIELDS} (quote a word with a colon to match it as text: \"{field}:{value}\")"
            ));
        }
    })
}

/// `>100`, `>=5`, `<10`, `<=3`, `=7`, `7`, `10..100`, `10..`, `10..*`, `..100`, `*..100`.
fn cmp(field: &str, v: &str) -> Result<Cmp, String> {
    let bad = || {
        format!(
            "`{field}:{v}` is not a comparison; write {field}:>100, {field}:>=10, {field}:<5, {field}:=0 or a range {field}:10..100"
        )
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let end = |s: &str, open: u64| match s.trim() {
        "" | "*" => Ok(open),
        s => num(s),
    };
    if let Some((lo, hi)) = v.split_once("..") {
        let (lo, hi) = (end(lo, 0)?, end(hi, u64::MAX)?);
        if lo > hi {
            return Err(format!(
                "`{field}:{v}`: the range's low end is above its high end; write it low..high"
            ));
        }
        return Ok(Cmp::Range(lo, hi));
    }
    Ok(if let Some(n) = v.strip_prefix(">=") {
        Cmp::Ge(num(n)?)
    } else if let Some(n) = v.strip_prefix("<=") {
        Cmp::Le(num(n)?)
    } else if let Some(n) = v.strip_prefix('>') {
        Cmp::Gt(num(n)?)
    } else if let Some(n) = v.strip_prefix('<') {
        Cmp::Lt(num(n)?)
    } else if let Some(n) = v.strip_prefix('=') {
        Cmp::Eq(num(n)?)
    } else {
        Cmp::Eq(num(v)?)
    })
}

impl Cmp {
    fn holds(self, n: u64) -> bool {
        match self {
            Cmp::Gt(x) => n > x,
            Cmp::Ge(x) => n >= x,
            Cmp::Lt(x) => n < x,
            Cmp::Le(x) => n <= x,
            Cmp::Eq(x) => n == x,
            Cmp::Range(lo, hi) => (lo..=hi).contains(&n),
        }
    }
}

impl Test {
    fn holds(&self, r: &TrackedRepo) -> bool {
        let meta = r.meta.as_ref();
        match self {
            Test::Word(w) => {
                contains(&r.key.to_string(), w)
                    || meta.is_some_and(|m| {
                        m.description.as_deref().is_some_and(|d| contains(d, w))
                            || m.topics.iter().any(|t| contains(t, w))
                            || m.language.as_deref().is_some_and(|l| contains(l, w))
                    })
            }
            Test::Lang(l) => meta
                .and_then(|m| m.language.as_deref())
                .is_some_and(|x| x.to_lowercase().replace(' ', "-") == *l),
            Test::Topic(t) => meta.is_some_and(|m| m.topics.iter().any(|x| x.to_lowercase() == *t)),
            Test::Number(count, c) => {
                let n = match count {
                    Count::Unread => Some(u64::from(r.unread)),
                    Count::Stars => meta.map(|m| m.stars),
                    Count::Forks => meta.map(|m| m.forks),
                    Count::Issues => meta.map(|m| m.open_issues),
                    Count::Prs => meta.map(|m| m.open_prs),
                };
                // Not synced yet: the count is unknown, so no comparison holds.
                n.is_some_and(|n| c.holds(n))
            }
            Test::Is(flag) => match flag {
                Flag::Archived => meta.is_some_and(|m| m.archived),
                Flag::Fork => meta.is_some_and(|m| m.fork),
                Flag::Private => meta.is_some_and(|m| m.private),
                Flag::Public => meta.is_some_and(|m| !m.private),
                Flag::Changed => r.unread > 0,
            },
            Test::Ci(want) => ci_state(r) == *want,
            Test::HasRelease => r.latest_release.is_some(),
        }
    }
}

/// The CI state of the default branch's head; not known yet counts as `none`.
fn ci_state(r: &TrackedRepo) -> CiState {
    r.head.as_ref().and_then(|c| c.ci).unwrap_or(CiState::None)
}

fn contains(hay: &str, lower_needle: &str) -> bool {
    hay.to_lowercase().contains(lower_needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LocalId, RepoKey, RepoMeta};
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn repo(name: &str, lang: &str, stars: u64) -> TrackedRepo {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut r = TrackedRepo::new(LocalId(1), RepoKey::parse(name).unwrap(), t);
        r.meta = Some(RepoMeta {
            full_name: name.into(),
            description: Some("A fast Async scheduler".into()),
            language: Some(lang.into()),
            topics: vec!["cli".into(), "Terminal".into()],
            stars,
            forks: 3,
            open_issues: 7,
            open_prs: 2,
            ..RepoMeta::default()
        });
        r
    }

    fn m(filter: &str, r: &TrackedRepo) -> bool {
        Filter::parse(filter).unwrap().matches(r)
    }

    fn err(filter: &str) -> String {
        Filter::parse(filter).unwrap_err().to_string()
    }

    #[test]
    fn bare_words_match_name_description_topics_and_language() {
        let r = repo("octo/alpha", "Rust", 10);
        for f in [
            "",
            "  ",
            "alpha",
            "OCTO/AL",
            "async",
            "SCHED",
            "terminal",
            "rust",
            "alpha cli",
        ] {
            assert!(m(f, &r), "{f:?}");
        }
        for f in ["beta", "alpha beta", "\"async fast\""] {
            assert!(!m(f, &r), "{f:?}");
        }
        assert!(m("\"async fast\"", &{
            let mut r = r.clone();
            r.meta.as_mut().unwrap().description = Some("an async fast thing".into());
            r
        }));
        // A quoted word with a colon is text, not a field.
        assert!(!m("\"foo:bar\"", &r));
        assert!(Filter::parse("").unwrap().is_empty());
    }

    #[test]
    fn every_field() {
        let mut r = repo("octo/alpha", "Jupyter Notebook", 150);
        assert!(m("lang:jupyter-notebook", &r) && m("lang:\"Jupyter Notebook\"", &r));
        assert!(!m("lang:jupyter", &r), "a language matches exactly");
        assert!(m("topic:CLI", &r) && !m("topic:cl", &r));
        assert!(m("stars:>100", &r) && !m("stars:>150", &r) && m("stars:>=150", &r));
        assert!(m("stars:<151", &r) && !m("stars:<150", &r) && m("stars:<=150", &r));
        assert!(m("stars:=150", &r) && m("stars:150", &r) && !m("stars:149", &r));
        assert!(m("stars:100..200", &r) && m("stars:150..150", &r) && !m("stars:1..149", &r));
        assert!(m("stars:100..", &r) && m("stars:*..150", &r) && m("stars:..*", &r));
        assert!(m("forks:3 issues:>5 prs:<3", &r));
        assert!(!m("is:archived", &r) && !m("is:fork", &r) && !m("is:private", &r));
        assert!(m("is:public", &r));
        assert!(!m("has:release", &r) && !m("changed:", &r) && !m("is:changed", &r));
        r.latest_release = Some("v1".into());
        r.unread = 4;
        {
            let meta = r.meta.as_mut().unwrap();
            meta.archived = true;
            meta.fork = true;
            meta.private = true;
        }
        assert!(m(
            "is:archived is:fork is:private has:release changed: is:changed",
            &r
        ));
        assert!(m("changed:>3", &r) && !m("changed:>4", &r));
        assert!(!m("is:public", &r));
        // CI not known yet counts as none.
        assert!(m("ci:none", &r) && !m("ci:failing", &r) && !m("ci:passing", &r));
        assert!(!m("ci:pending", &r));
        for (state, names) in [
            (CiState::Failure, ["ci:failing", "ci:failure", "ci:red"]),
            (CiState::Success, ["ci:passing", "ci:success", "ci:green"]),
            (CiState::Pending, ["ci:pending", "ci:running", "ci:Pending"]),
            (CiState::None, ["ci:none", "ci:NONE", "!ci:failing"]),
        ] {
            r.head = Some(crate::domain::Commit {
                ci: Some(state),
                ..Default::default()
            });
            for n in names {
                assert!(m(n, &r), "{n} on {state:?}");
            }
            assert_eq!(m("!ci:failing", &r), state != CiState::Failure);
        }
        // Field names are case-insensitive.
        assert!(m("LANG:jupyter-notebook Is:Fork", &r));
    }

    #[test]
    fn an_unsynced_repo_has_no_counts() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let r = TrackedRepo::new(LocalId(1), RepoKey::parse("a/b").unwrap(), t);
        assert!(!m("stars:<10", &r) && !m("lang:rust", &r) && !m("is:fork", &r));
        assert!(m("!stars:<10", &r) && m("!is:fork", &r) && m("a/b", &r));
    }

    #[test]
    fn negation() {
        let r = repo("octo/alpha", "Rust", 10);
        assert!(m("!is:fork", &r) && !m("!lang:rust", &r) && m("!lang:go", &r));
        assert!(!m("!alpha", &r) && m("!beta", &r));
        assert!(m("lang:rust !is:fork stars:>5", &r));
        assert!(!m("lang:rust !is:fork stars:>10", &r));
    }

    #[test]
    fn errors_name_the_term_and_the_fix() {
        let e = err("lang:rust colour:red");
        assert!(
            e.starts_with("filter `colour:red`: `colour:` is not a filter field; use one of lang:"),
            "{e}"
        );
        assert!(
            err("stars:>lots").contains("stars:>100"),
            "{}",
            err("stars:>lots")
        );
        assert!(err("stars:").contains("not a comparison"));
        assert!(err("stars:9..1").contains("low end is above"));
        assert!(err("is:big").contains("is:archived, is:fork"));
        assert!(err("ci:purple").contains("ci:failing, ci:passing, ci:pending or ci:none"));
        assert!(err("has:wiki").contains("has:release"));
        assert!(err("lang:").contains("needs a value"));
        assert!(err("topic:").contains("needs a value"));
        assert!(err("!").contains("nothing follows it"));
        assert!(err("a \"b").contains("not closed"));
        // Not a field name, or quoted: plain text.
        assert!(Filter::parse("\"http://x\" c++: 1:2").is_ok());
        assert!(err("http://x").contains("quote a word with a colon"));
    }

    // ----- the matcher equals a naive reference on random repos and filters -----

    #[derive(Debug, Clone)]
    struct Spec {
        name: String,
        desc: Option<String>,
        topics: Vec<String>,
        lang: Option<String>,
        stars: u64,
        archived: bool,
        fork: bool,
        private: bool,
        unread: u32,
        release: bool,
        synced: bool,
        ci: Option<CiState>,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        let word = prop::sample::select(vec!["alpha", "Beta", "cli", "Rust", "go", "tui"]);
        (
            prop::sample::select(vec!["o/alpha", "o/beta", "x/Cli-tool", "y/go"]),
            prop::option::of(word.clone().prop_map(|w| format!("about {w} things"))),
            prop::collection::vec(word.clone().prop_map(str::to_string), 0..3),
            prop::option::of(prop::sample::select(vec!["Rust", "Go", "C++"])),
            0u64..300,
            (any::<bool>(), any::<bool>(), any::<bool>(), 0u32..3),
            (any::<bool>(), any::<bool>()),
            prop::option::of(prop::sample::select(vec![
                CiState::None,
                CiState::Pending,
                CiState::Success,
                CiState::Failure,
            ])),
        )
            .prop_map(
                |(
                    name,
                    desc,
                    topics,
                    lang,
                    stars,
                    (archived, fork, private, unread),
                    (release, synced),
                    ci,
                )| Spec {
                    ci,
                    name: name.into(),
                    desc,
                    topics,
                    lang: lang.map(str::to_string),
                    stars,
                    archived,
                    fork,
                    private,
                    unread,
                    release,
                    synced,
                },
            )
    }

    fn build(s: &Spec) -> TrackedRepo {
        let t = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut r = TrackedRepo::new(LocalId(1), RepoKey::parse(&s.name).unwrap(), t);
        r.unread = s.unread;
        r.latest_release = s.release.then(|| "v1".to_string());
        r.head = s.ci.map(|ci| crate::domain::Commit {
            ci: Some(ci),
            ..Default::default()
        });
        if s.synced {
            r.meta = Some(RepoMeta {
                description: s.desc.clone(),
                topics: s.topics.clone(),
                language: s.lang.clone(),
                stars: s.stars,
                archived: s.archived,
                fork: s.fork,
                private: s.private,
                ..RepoMeta::default()
            });
        }
        r
    }

    /// The reference: one term at a time, written the obvious way over the spec.
    fn reference(s: &Spec, term: &str) -> bool {
        let (neg, t) = match term.strip_prefix('!') {
            Some(t) => (true, t),
            None => (false, term),
        };
        let lc = |x: &str| x.to_lowercase();
        let n = |x: &str| x.parse::<u64>().unwrap();
        let meta = s.synced;
        let hit = if let Some(v) = t.strip_prefix("lang:") {
            meta && s.lang.as_deref().map(lc) == Some(lc(v))
        } else if let Some(v) = t.strip_prefix("topic:") {
            meta && s.topics.iter().any(|x| lc(x) == lc(v))
        } else if let Some(v) = t.strip_prefix("stars:>") {
            meta && s.stars > n(v)
        } else if let Some(v) = t.strip_prefix("stars:<") {
            meta && s.stars < n(v)
        } else if let Some((lo, hi)) = t.strip_prefix("stars:").and_then(|v| v.split_once("..")) {
            meta && s.stars >= n(lo) && s.stars <= n(hi)
        } else if t == "is:archived" {
            meta && s.archived
        } else if t == "is:fork" {
            meta && s.fork
        } else if t == "is:private" {
            meta && s.private
        } else if t == "is:changed" || t == "changed:" {
            s.unread > 0
        } else if t == "has:release" {
            s.release
        } else if let Some(v) = t.strip_prefix("ci:") {
            let want = match v {
                "failing" => CiState::Failure,
                "passing" => CiState::Success,
                "pending" => CiState::Pending,
                _ => CiState::None,
            };
            s.ci.unwrap_or(CiState::None) == want
        } else {
            let w = lc(t);
            lc(&s.name).contains(&w)
                || (meta
                    && (s.desc.as_deref().is_some_and(|d| lc(d).contains(&w))
                        || s.topics.iter().any(|x| lc(x).contains(&w))
                        || s.lang.as_deref().is_some_and(|l| lc(l).contains(&w))))
        };
        hit != neg
    }

    fn terms() -> impl Strategy<Value = Vec<String>> {
        let base = prop::sample::select(vec![
            "lang:rust",
            "lang:GO",
            "lang:c++",
            "topic:cli",
            "topic:Rust",
            "stars:>100",
            "stars:<50",
            "stars:10..200",
            "is:archived",
            "is:fork",
            "is:private",
            "is:changed",
            "changed:",
            "has:release",
            "ci:failing",
            "ci:passing",
            "ci:pending",
            "ci:none",
            "alpha",
            "CLI",
            "things",
            "go",
            "zzz",
            "o/",
        ]);
        prop::collection::vec((any::<bool>(), base), 0..4).prop_map(|v| {
            v.into_iter()
                .map(|(neg, t)| format!("{}{t}", if neg { "!" } else { "" }))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn matching_equals_the_naive_reference(s in spec(), ts in terms()) {
            let f = Filter::parse(&ts.join(" ")).unwrap();
            let want = ts.iter().all(|t| reference(&s, t));
            prop_assert_eq!(f.matches(&build(&s)), want, "{:?}", ts);
        }
    }
}
