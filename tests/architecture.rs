//! Keeps the module boundaries of ARCHITECTURE.md true: every `crate::` / `super::` path in
//! `src/` goes down the layer table (never sideways, never up, no cycles), each outside crate is
//! named only in the module that owns it, the TUI never reaches into the GitHub layer, and a
//! secret's characters are read in one place only (`secrets::expose`).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::path::{Path, PathBuf};

/// (crate name as written in code, allowed path prefixes under src/)
const RULES: &[(&str, &[&str])] = &[
    ("octocrab", &["src/github/"]),
    ("sled", &["src/store/"]),
    ("bincode", &["src/store/"]),
    ("fs2", &["src/store/"]),
    ("age", &["src/secrets.rs", "src/secrets/"]),
    ("ratatui", &["src/tui/"]),
    ("crossterm", &["src/tui/"]),
    ("tui_input", &["src/tui/"]),
    (
        "axum",
        &[
            "src/fakehub/",
            "src/bin/fakehub.rs",
            "src/server/",
            "src/serve/",
        ],
    ),
    ("prometheus_client", &["src/serve/"]),
];

/// The layer table of ARCHITECTURE.md: a top-level module may name only modules on lower rows.
/// `main.rs` (the binary) sits above all of them and `lib.rs` only declares them.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("sanitize", 0),
    ("dirs", 0),
    ("cli", 0),
    ("fakehub", 0),
    ("fmt", 1),
    ("filter", 1),
    ("config", 1),
    ("logging", 1),
    ("store", 2),
    ("notify", 2),
    ("secrets", 3),
    ("github", 4),
    ("sync", 5),
    ("session", 6),
    ("host", 7),
    ("tui", 8),
    ("commands", 8),
    ("serve", 8),
];

/// fakehub is a fake GitHub: it uses nothing of the crate, and only the session's demo wiring
/// starts it.
const FAKEHUB_USERS: &[&str] = &["session"];

#[derive(Debug, PartialEq)]
struct Violation {
    file: String,
    line: usize,
    what: String,
}

/// Strips `//` comments (and doc comments) so prose may mention crates freely.
fn code_part(line: &str) -> &str {
    let mut in_str = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
            b'/' if !in_str && bytes.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when `name` appears as a path root: `name::...`, `use name...` or `extern crate name`,
/// but not as a field (`x.age`) or a path segment of something else (`crate::age`).
fn names_crate(code: &str, name: &str) -> bool {
    let bytes = code.as_bytes();
    let mut start = 0;
    while let Some(pos) = code[start..].find(name) {
        let i = start + pos;
        let end = i + name.len();
        start = end;
        let word =
            (i == 0 || !is_ident(bytes[i - 1])) && (end == bytes.len() || !is_ident(bytes[end]));
        if !word || (i > 0 && bytes[i - 1] == b'.') || code[..i].ends_with("::") {
            continue;
        }
        let before = code[..i].trim_end();
        if code[end..].starts_with("::")
            || before.ends_with("use")
            || before.ends_with("extern crate")
        {
            return true;
        }
    }
    false
}

fn check(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, text) in files {
        // Test modules sit at the bottom of their file; they may look at secrets.
        let mut in_tests = false;
        let mut exposures = 0;
        for (n, raw) in text.lines().enumerate() {
            let code = code_part(raw);
            if code.trim() == "#[cfg(test)]" {
                in_tests = true;
            }
            if !in_tests && code.contains("expose_secret") {
                exposures += 1;
                if path != "src/secrets.rs" || exposures > 1 {
                    out.push(Violation {
                        file: path.clone(),
                        line: n + 1,
                        what: "a secret is read outside `secrets::expose`".into(),
                    });
                }
            }
            for (name, allowed) in RULES {
                if !allowed.iter().any(|a| path.starts_with(a)) && names_crate(code, name) {
                    out.push(Violation {
                        file: path.clone(),
                        line: n + 1,
                        what: format!("`{name}` is named outside {allowed:?}"),
                    });
                }
            }
            if path.starts_with("src/tui/")
                && (code.contains("crate::github") || code.contains("super::github"))
            {
                out.push(Violation {
                    file: path.clone(),
                    line: n + 1,
                    what: "src/tui/ reaches into src/github/".into(),
                });
            }
            if path.starts_with("src/github/")
                && (code.contains("crate::store") || code.contains("crate::tui"))
            {
                out.push(Violation {
                    file: path.clone(),
                    line: n + 1,
                    what: "src/github/ imports store/ or tui/".into(),
                });
            }
            if path.starts_with("src/fakehub/")
                && code.contains("crate::")
                && !code.contains("crate::fakehub")
            {
                out.push(Violation {
                    file: path.clone(),
                    line: n + 1,
                    what: "fakehub uses the rest of the crate".into(),
                });
            }
        }
    }
    out
}

/// The file's text with comments and string and char literals blanked, newlines kept, so prose
/// and strings never count as paths and line numbers stay right.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    // Copies the newlines of b[from..to] (blanked text keeps its line count).
    let newlines = |out: &mut Vec<u8>, from: usize, to: usize| {
        out.extend(b[from..to.min(b.len())].iter().filter(|c| **c == b'\n'));
    };
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let (mut depth, start) = (0, i);
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            newlines(&mut out, start, i);
        } else if let Some(end) = raw_string_end(b, i) {
            newlines(&mut out, i, end);
            out.extend_from_slice(b"\"\"");
            i = end;
        } else if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            newlines(&mut out, start, i);
            out.extend_from_slice(b"\"\"");
        } else if let Some(end) = char_literal_end(text, i) {
            out.extend_from_slice(b"' '");
            i = end;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `r"..."` / `r#"..."#` starting at `i`: the index just past it.
fn raw_string_end(b: &[u8], i: usize) -> Option<usize> {
    if b[i] != b'r' || (i > 0 && is_ident(b[i - 1])) {
        return None;
    }
    let mut j = i + 1;
    while j < b.len() && b[j] == b'#' {
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let mut closing = vec![b'"'];
    closing.extend(std::iter::repeat_n(b'#', j - i - 1));
    let body = j + 1;
    let end = b[body..]
        .windows(closing.len())
        .position(|w| w == closing.as_slice())
        .map_or(b.len(), |p| body + p + closing.len());
    Some(end)
}

/// A char literal (`'x'`, `'\n'`, `'{'`, `'…'`) starting at `i`, not a lifetime: the index just
/// past it.
fn char_literal_end(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    if b[i] != b'\'' {
        return None;
    }
    if b.get(i + 1) == Some(&b'\\') {
        let close = b[i + 2..].iter().position(|c| *c == b'\'')?;
        return Some(i + 2 + close + 1);
    }
    let c = text.get(i + 1..)?.chars().next()?;
    let after = i + 1 + c.len_utf8();
    (b.get(after) == Some(&b'\'')).then_some(after + 1)
}

/// The top-level module a file belongs to (`src/tui/screens/list.rs` -> `tui`), and its depth
/// below the crate root (`tui::screens::list` -> 3). `None` for the crate roots and binaries.
fn module_of(path: &str) -> Option<(&str, usize)> {
    let rel = path.strip_prefix("src/")?;
    if rel == "lib.rs" || rel == "main.rs" || rel.starts_with("bin/") {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let last = parts[parts.len() - 1];
    let depth = if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    };
    Some((parts[0].trim_end_matches(".rs"), depth))
}

/// Every top-level module a file names through `crate::` or a `super::` chain that reaches the
/// crate root, with the line it is named on. `crate::{a::X, b::{Y, Z}}` names `a` and `b`.
fn crate_paths(path: &str, text: &str) -> Vec<(usize, String)> {
    let Some((_, depth)) = module_of(path) else {
        return Vec::new();
    };
    let code = code_only(text);
    let b = code.as_bytes();
    // Test modules sit at the bottom of their file, one level below it.
    let tests_at = code.find("#[cfg(test)]").unwrap_or(code.len());
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b'$' || b[i - 1] == b':');
        let root_at = if boundary && code[i..].starts_with("crate::") {
            Some(i + "crate::".len())
        } else if boundary && code[i..].starts_with("super::") {
            let mut j = i;
            let mut ups = 0;
            while code[j..].starts_with("super::") {
                ups += 1;
                j += "super::".len();
            }
            let own = depth + usize::from(i > tests_at);
            (ups >= own).then_some(j)
        } else {
            None
        };
        let Some(at) = root_at else {
            i += 1;
            continue;
        };
        for (item_at, name) in path_roots(&code, at) {
            out.push((line_of(item_at), name));
        }
        i = at;
    }
    out
}

/// The first segment of the path at `at`, or of each item of a `{...}` group there.
fn path_roots(code: &str, at: usize) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let ident = |from: usize| {
        let mut start = from;
        while start < b.len() && b[start].is_ascii_whitespace() {
            start += 1;
        }
        let end = (start..b.len())
            .find(|&k| !is_ident(b[k]))
            .unwrap_or(b.len());
        (start, code[start..end].to_string())
    };
    if b.get(at) != Some(&b'{') {
        return vec![ident(at)];
    }
    let mut roots = vec![ident(at + 1)];
    let mut depth = 0;
    for (k, c) in b.iter().enumerate().skip(at) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => roots.push(ident(k + 1)),
            _ => {}
        }
    }
    roots.retain(|(_, name)| !name.is_empty() && name != "self");
    roots
}

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// Imports that go up or sideways against [`LAYERS`], modules missing from it, and every cycle
/// between top-level modules.
fn check_layers(files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut edges: std::collections::BTreeSet<(String, String)> = Default::default();
    for (path, text) in files {
        let Some((from, _)) = module_of(path) else {
            continue;
        };
        let Some(from_layer) = layer(from) else {
            out.push(Violation {
                file: path.clone(),
                line: 1,
                what: format!("module `{from}` is missing from the layer table"),
            });
            continue;
        };
        for (line, to) in crate_paths(path, text) {
            if to == from {
                continue;
            }
            edges.insert((from.to_string(), to.clone()));
            let what = match layer(&to) {
                None => format!("names `crate::{to}`, which is not a module of the layer table"),
                Some(_) if to == "fakehub" && !FAKEHUB_USERS.contains(&from) => {
                    format!("`{from}` starts fakehub; only {FAKEHUB_USERS:?} may")
                }
                Some(l) if l >= from_layer => format!(
                    "`{from}` (row {from_layer}) names `{to}` (row {l}): imports must go down the layer table"
                ),
                Some(_) => continue,
            };
            out.push(Violation {
                file: path.clone(),
                line,
                what,
            });
        }
    }
    out.extend(cycles(&edges).into_iter().map(|cycle| Violation {
        file: "src/".into(),
        line: 0,
        what: format!("dependency cycle: {}", cycle.join(" -> ")),
    }));
    out
}

/// Each elementary cycle of the module graph once, starting at its smallest module.
fn cycles(edges: &std::collections::BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    fn walk(
        edges: &std::collections::BTreeSet<(String, String)>,
        path: &mut Vec<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        let (start, last) = (path[0].clone(), path[path.len() - 1].clone());
        for (_, next) in edges.iter().filter(|(a, _)| *a == last) {
            if *next == start {
                let mut cycle = path.clone();
                cycle.push(start.clone());
                found.push(cycle);
            } else if *next > start && !path.contains(next) {
                path.push(next.clone());
                walk(edges, path, found);
                path.pop();
            }
        }
    }
    let mut found = Vec::new();
    let nodes: std::collections::BTreeSet<&String> = edges.iter().map(|(a, _)| a).collect();
    for node in nodes {
        walk(edges, &mut vec![node.clone()], &mut found);
    }
    found
}

fn rust_files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

#[test]
fn module_boundaries_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), root, &mut files);
    assert!(files.len() > 5, "scanner found no sources");
    let mut violations = check(&files);
    violations.extend(check_layers(&files));
    assert!(
        violations.is_empty(),
        "module boundaries broken:\n{violations:#?}"
    );
}

#[test]
fn every_module_says_its_role() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), root, &mut files);
    let missing: Vec<_> = files
        .iter()
        .filter(|(_, t)| !t.trim_start().starts_with("//!"))
        .map(|(p, _)| p)
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:?}"
    );
}

#[test]
fn scanner_catches_planted_violations() {
    let planted = vec![
        (
            "src/tui/app.rs".to_string(),
            "use octocrab::Octocrab;\n".to_string(),
        ),
        (
            "src/sync/job.rs".to_string(),
            "let db = sled::open(p)?;\n".to_string(),
        ),
        (
            "src/commands.rs".to_string(),
            "    let x = bincode::serde::encode_to_vec(&v, c);\n".to_string(),
        ),
        (
            "src/store/mod.rs".to_string(),
            "use age::x25519;\n".to_string(),
        ),
        (
            "src/github/client.rs".to_string(),
            "use ratatui::Frame;\nuse crate::store::Store;\n".to_string(),
        ),
        (
            "src/tui/screens/home.rs".to_string(),
            "use crate::github::GithubClient;\n".to_string(),
        ),
        (
            "src/sync/engine.rs".to_string(),
            "use tui_input::Input;\nlet r = axum::Router::new();\n".to_string(),
        ),
        (
            "src/github/rest.rs".to_string(),
            "let h = format!(\"token {}\", t.expose_secret());\n".to_string(),
        ),
        (
            "src/secrets.rs".to_string(),
            "    f(secret.expose_secret())\nlet copy = token.expose_secret().to_string();\n#[cfg(test)]\nassert_eq!(t.expose_secret(), X);\n"
                .to_string(),
        ),
    ];
    let found = check(&planted);
    let lines: Vec<_> = found.iter().map(|v| (v.file.as_str(), v.line)).collect();
    // The gate itself and test code are allowed.
    assert!(!lines.contains(&("src/secrets.rs", 1)), "{found:#?}");
    assert!(!lines.contains(&("src/secrets.rs", 4)), "{found:#?}");
    for expected in [
        ("src/tui/app.rs", 1),
        ("src/sync/job.rs", 1),
        ("src/commands.rs", 1),
        ("src/store/mod.rs", 1),
        ("src/github/client.rs", 1),
        ("src/github/client.rs", 2),
        ("src/tui/screens/home.rs", 1),
        ("src/sync/engine.rs", 1),
        ("src/sync/engine.rs", 2),
        ("src/github/rest.rs", 1),
        ("src/secrets.rs", 2),
    ] {
        assert!(
            lines.contains(&expected),
            "missed {expected:?}; found {found:#?}"
        );
    }
}

#[test]
fn scanner_ignores_prose_and_lookalikes() {
    let clean = vec![
        ("src/sync/job.rs".to_string(), "//! the store, not `sled` itself\nlet age = user.age;\nlet sledding = 1;\n// octocrab::Octocrab in a comment\nlet s = \"uses ratatui\";\n".to_string()),
        ("src/github/client.rs".to_string(), "use octocrab::Octocrab;\n".to_string()),
        ("src/store/mod.rs".to_string(), "use sled::Tree;\nlet x = bincode::config::standard();\n".to_string()),
    ];
    assert_eq!(check(&clean), vec![]);
}

fn files(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn layer_check_catches_planted_upward_sideways_and_cyclic_imports() {
    let planted = files(&[
        // up: the GitHub layer naming the engine above it
        ("src/github/rest.rs", "use crate::sync::Priority;\n"),
        // sideways: one front end naming the other
        ("src/tui/mod.rs", "//! ui\nuse crate::commands::Context;\n"),
        // up, inside a multi-line group
        (
            "src/store/mod.rs",
            "use crate::{\n    domain::RepoKey,\n    session::Clients,\n};\n",
        ),
        // up, through a super chain that reaches the crate root
        (
            "src/store/keys.rs",
            "fn f() {}\nuse super::super::github::EtagCache;\n",
        ),
        // a cycle between two modules of the same row
        ("src/config.rs", "use crate::fmt::thousands;\n"),
        (
            "src/fmt.rs",
            "pub fn f() {\n    let _ = crate::config::Config::default();\n}\n",
        ),
        // a module nobody placed in the table
        ("src/attach/mod.rs", "use crate::sync::SyncCommand;\n"),
        // fakehub is started by the session's demo only
        (
            "src/github/client.rs",
            "let h = crate::fakehub::spawn(c);\n",
        ),
    ]);
    let found = check_layers(&planted);
    let at: Vec<_> = found.iter().map(|v| (v.file.as_str(), v.line)).collect();
    for expected in [
        ("src/github/rest.rs", 1),
        ("src/tui/mod.rs", 2),
        ("src/store/mod.rs", 3),
        ("src/store/keys.rs", 2),
        ("src/config.rs", 1),
        ("src/fmt.rs", 2),
        ("src/attach/mod.rs", 1),
        ("src/github/client.rs", 1),
    ] {
        assert!(
            at.contains(&expected),
            "missed {expected:?}; found {found:#?}"
        );
    }
    assert!(
        !at.contains(&("src/store/mod.rs", 2)),
        "domain is below store: {found:#?}"
    );
    let cycles: Vec<_> = found
        .iter()
        .filter(|v| v.what.starts_with("dependency cycle"))
        .map(|v| v.what.as_str())
        .collect();
    assert_eq!(cycles, ["dependency cycle: config -> fmt -> config"]);
    assert_eq!(found.len(), 9, "{found:#?}");
}

#[test]
fn layer_check_reads_paths_not_prose() {
    let clean = files(&[
        (
            "src/sync/job.rs",
            concat!(
                "//! reports to crate::tui through events\n",
                "use crate::domain::{RepoKey, TrackedRepo};\n",
                "use crate::{github::GithubClient, store::Store};\n",
                "/* crate::session::Clients is above us */\n",
                "let s = \"crate::tui::App\";\n",
                "let r = r#\"crate::commands\"#;\n",
                "let c = '{'; let d = '\\'';\n",
                "macro_rules! m { () => { $crate::tui::x() } }\n",
                "fn f<'a>(x: &'a str) -> &'a str { x }\n",
                "use super::scheduler::Scheduler;\n",
                "#[cfg(test)]\nmod tests {\n    use super::super::engine::start;\n",
                "    use crate::session::Context;\n}\n",
            ),
        ),
        (
            "src/tui/screens/detail.rs",
            "use super::super::app::App;\nuse crate::fmt::relative;\n",
        ),
        (
            "src/session/demo.rs",
            "use crate::fakehub::{self, FakehubConfig};\n",
        ),
        ("src/main.rs", "use repodeck::tui;\nuse crate::x;\n"),
    ]);
    let found = check_layers(&clean);
    let lines: Vec<_> = found.iter().map(|v| (v.file.as_str(), v.line)).collect();
    // Only the test module's session import is an import against the table.
    assert_eq!(lines, [("src/sync/job.rs", 14)], "{found:#?}");
}
