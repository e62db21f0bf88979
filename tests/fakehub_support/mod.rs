//! Shared helpers for the fakehub integration tests: a tiny loopback HTTP/1.1 client and a fixture shape comparison.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]
#![allow(
    dead_code,
    reason = "each test crate uses a different subset of these helpers"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use repodeck::fakehub::{self, FakehubConfig, Handle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TOKEN: &str = "ghp_testtoken000000000000000000000000";

pub async fn start(config: FakehubConfig) -> Handle {
    fakehub::spawn(config)
        .await
        .expect("fakehub starts on loopback")
}

pub async fn start_default() -> Handle {
    start(FakehubConfig {
        repos: 30,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// False when the connection ended before the announced body was complete.
    pub complete: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn num(&self, name: &str) -> i64 {
        self.header(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no numeric {name} header in {:?}", self.headers))
    }
}

/// One request on a fresh connection (`Connection: close`). `Err` when the server dropped the
/// connection without any answer.
pub async fn request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Resp> {
    let addr = base.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nUser-Agent: fakehub-tests\r\n"
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await?;
    if let Some(b) = body {
        s.write_all(b).await?;
    }
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw).await;
    if raw.is_empty() {
        return Err(read.err().unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no answer")
        }));
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> std::io::Result<Resp> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().ok_or_else(|| bad("no status"))?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad status"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let rest = &raw[end + 4..];
    let find = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.clone())
    };
    let (body, complete) = if find("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        let mut out = Vec::new();
        let mut i = 0;
        let mut complete = false;
        while let Some(nl) = rest[i..].windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[i..i + nl]).trim(), 16)
                .unwrap_or(0);
            i += nl + 2;
            if size == 0 {
                complete = true;
                break;
            }
            if i + size > rest.len() {
                out.extend_from_slice(&rest[i..]);
                break;
            }
            out.extend_from_slice(&rest[i..i + size]);
            i += size + 2;
        }
        (out, complete)
    } else if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        (rest[..rest.len().min(len)].to_vec(), rest.len() >= len)
    } else {
        (rest.to_vec(), true)
    };
    Ok(Resp {
        status,
        headers,
        body,
        complete,
    })
}

pub async fn get(base: &str, path: &str) -> Resp {
    request(
        base,
        "GET",
        path,
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        None,
    )
    .await
    .expect("GET answered")
}

pub async fn get_with(base: &str, path: &str, headers: &[(&str, &str)]) -> Resp {
    request(base, "GET", path, headers, None)
        .await
        .expect("GET answered")
}

pub async fn graphql(base: &str, query: &str) -> Resp {
    let body = serde_json::to_vec(&serde_json::json!({"query": query})).expect("json");
    request(
        base,
        "POST",
        "/graphql",
        &[
            ("Authorization", &format!("bearer {TOKEN}")),
            ("Content-Type", "application/json"),
        ],
        Some(&body),
    )
    .await
    .expect("POST /graphql answered")
}

pub async fn admin(base: &str, method: &str, path: &str, body: &Value) -> Resp {
    let b = serde_json::to_vec(body).expect("json");
    request(
        base,
        method,
        path,
        &[("Content-Type", "application/json")],
        Some(&b),
    )
    .await
    .expect("admin answered")
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github")
}

pub fn fixture(rel: &str) -> Value {
    let p = fixture_dir().join(rel);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ty(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key path (arrays as `[]`, all elements) with the JSON types seen there.
pub fn paths(v: &Value) -> BTreeMap<String, BTreeSet<&'static str>> {
    fn walk(v: &Value, p: &str, out: &mut BTreeMap<String, BTreeSet<&'static str>>) {
        out.entry(p.to_string()).or_default().insert(ty(v));
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    walk(x, &format!("{p}.{k}"), out);
                }
            }
            Value::Array(a) => {
                for x in a {
                    walk(x, &format!("{p}[]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk(v, "", &mut out);
    out
}

/// Key paths of `real` that `ours` lacks or types it wrongly. Nulls are allowed on either side,
/// and below a null of ours nothing is required (GitHub sends `null` for absent objects).
pub fn shape_problems(ours: &Value, real: &Value, ignore: &[&str]) -> Vec<String> {
    let o = paths(ours);
    let r = paths(real);
    let mut problems = Vec::new();
    for (path, rtypes) in &r {
        if ignore.iter().any(|i| {
            path == i || path.starts_with(&format!("{i}.")) || path.starts_with(&format!("{i}["))
        }) {
            continue;
        }
        let null_above = o.iter().any(|(p, t)| {
            t.len() == 1
                && t.contains("null")
                && path.starts_with(p.as_str())
                && path.len() > p.len()
        });
        // An empty list of scalars is a legitimate value (no added files, no topics yet).
        let scalar_elems =
            path.ends_with("[]") && rtypes.iter().all(|t| !matches!(*t, "object" | "array"));
        let empty_list_here = scalar_elems
            && o.get(path.trim_end_matches("[]"))
                .is_some_and(|t| t.contains("array"));
        match o.get(path) {
            None if null_above || empty_list_here => {}
            None => problems.push(format!("missing {path}")),
            Some(otypes) => {
                let ok = rtypes
                    .iter()
                    .all(|t| *t == "null" || otypes.contains(t) || otypes.contains("null"));
                if !ok {
                    problems.push(format!("{path}: ours {otypes:?}, GitHub {rtypes:?}"));
                }
            }
        }
    }
    problems
}

/// For list bodies: every element has GitHub's top-level keys, and together they cover every nested path.
pub fn list_problems(ours: &Value, real: &Value, ignore: &[&str]) -> Vec<String> {
    list_problems_with_optional(ours, real, ignore, &[])
}

/// Like [`list_problems`], but keys in `optional` need only appear on some items (`pull_request` on issues).
pub fn list_problems_with_optional(
    ours: &Value,
    real: &Value,
    ignore: &[&str],
    optional: &[&str],
) -> Vec<String> {
    let (Some(o), Some(r)) = (ours.as_array(), real.as_array()) else {
        return vec!["not both arrays".into()];
    };
    assert!(!o.is_empty(), "our list is empty; pick data that has items");
    let mut problems = shape_problems(ours, real, ignore);
    if let Some(Value::Object(first)) = r.first() {
        for (i, item) in o.iter().enumerate() {
            for k in first.keys() {
                if !ignore.contains(&k.as_str())
                    && !optional.contains(&k.as_str())
                    && item.get(k).is_none()
                {
                    problems.push(format!("item {i} lacks {k}"));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}
