//! Keeps the module boundaries of ARCHITECTURE.md true: each outside crate is named only in the
//! module that owns it, the TUI never reaches into the GitHub layer, and a secret's characters are
//! read in one place only (`secrets::expose`).

use std::path::{Path, PathBuf};

/// (crate name as written in code, allowed path prefixes under src/)
const RULES: &[(&str, &[&str])] = &[
    ("octocrab", &["src/github/"]),
    ("sled", &["src/store/"]),
    ("bincode", &["src/store/"]),
    ("age", &["src/secrets.rs", "src/secrets/"]),
    ("ratatui", &["src/tui/"]),
    ("crossterm", &["src/tui/"]),
    ("tui_input", &["src/tui/"]),
    (
        "axum",
        &["src/fakehub/", "src/bin/fakehub.rs", "src/server/"],
    ),
];

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
    let violations = check(&files);
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
