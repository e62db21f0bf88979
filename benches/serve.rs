//! `repodeck serve` under load, as the real release binary against an in-process fakehub at
//! 100 ms injected latency: webhook throughput from 16 concurrent loopback clients (deliveries/s,
//! p50/p99 to the 2xx, lost and processed-twice counts), freshness (fakehub mutation -> real
//! signed delivery -> targeted sync -> store batch committed, from serve's log), and the cost of
//! a burst of 1,000 deliveries over 100 repos (requests, GraphQL queries and points). Prints a
//! table; asserts nothing.
//!
//! `cargo bench --bench serve`
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark harness: a failed setup aborts the run with its message"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use serde_json::json;
use sha2::Sha256;

const TOKEN: &str = "ghp_servebench000000000000000000000000000";
const SECRET: &str = "serve-bench-secret-0123456789abcdefghijklmn";
const IDENTITY: &str = "# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n";
const CLIENTS: usize = 16;

fn cmd(dir: &std::path::Path, hub: &Handle) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
    c.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--api-url")
        .arg(hub.url())
        .env("REPODECK_CONFIG", dir.join("cfg.toml"))
        .env("REPODECK_IDENTITY", dir.join("key.txt"))
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("RUST_LOG");
    c
}

fn run(c: &mut Command, stdin: &str) {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends one delivery on a keep-alive connection; returns the status.
fn send(s: &mut BufReader<TcpStream>, body: &[u8], guid: &str) -> u16 {
    let head = format!(
        "POST /webhooks/github HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {guid}\r\nX-Hub-Signature-256: {}\r\n\r\n",
        body.len(),
        sign(body)
    );
    // One write, as HTTP clients do: a head and a body in two writes meet Nagle's algorithm and
    // the server's delayed ACK, and every delivery would wait ~40 ms for nothing.
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    s.get_mut().write_all(&request).unwrap();
    let mut line = String::new();
    s.read_line(&mut line).unwrap();
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        s.read_line(&mut h).unwrap();
        if h == "\r\n" || h.is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut rest = vec![0; len];
    s.read_exact(&mut rest).unwrap();
    status
}

struct Burst {
    statuses: Vec<u16>,
    latencies: Vec<Duration>,
    secs: f64,
}

/// `CLIENTS` threads send `jobs` (payload index, guid) round-robin over keep-alive connections.
fn burst(addr: &str, payloads: &Arc<Vec<Vec<u8>>>, jobs: Vec<(usize, String)>) -> Burst {
    let jobs = Arc::new(jobs);
    let t = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (addr, payloads, jobs) = (addr.to_string(), payloads.clone(), jobs.clone());
            std::thread::spawn(move || {
                let stream = TcpStream::connect(&addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut s = BufReader::new(stream);
                let mut out = Vec::new();
                for (p, g) in jobs.iter().skip(c).step_by(CLIENTS) {
                    let t = Instant::now();
                    let status = send(&mut s, &payloads[*p], g);
                    out.push((status, t.elapsed()));
                }
                out
            })
        })
        .collect();
    let mut b = Burst {
        statuses: Vec::new(),
        latencies: Vec::new(),
        secs: 0.0,
    };
    for t in threads {
        for (s, l) in t.join().unwrap() {
            b.statuses.push(s);
            b.latencies.push(l);
        }
    }
    b.secs = t.elapsed().as_secs_f64();
    b.latencies.sort();
    b
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn start_serve(dir: &std::path::Path, hub: &Handle) -> (Child, String) {
    let mut child = cmd(dir, hub)
        .args([
            "--log-level",
            "repodeck=debug",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    (child, addr)
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let hub = rt
        .block_on(fakehub::spawn(FakehubConfig {
            repos: 130,
            latency_ms: 100,
            tokens: vec![TOKEN.into()],
            ..FakehubConfig::default()
        }))
        .expect("fakehub");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("key.txt"), IDENTITY).unwrap();
    std::fs::write(
        dir.join("cfg.toml"),
        "[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n",
    )
    .unwrap();
    run(cmd(dir, &hub).args(["import", "--org", "octo-org"]), "");
    run(cmd(dir, &hub).args(["sync", "--all"]), "");
    run(cmd(dir, &hub).args(["hook", "secret", "set"]), SECRET);
    let repos: Vec<(u64, String)> = {
        let store = repodeck::store::Store::open(&dir.join("data")).unwrap().0;
        store
            .list()
            .unwrap()
            .into_iter()
            .filter_map(|r| Some((r.id?.0, r.key.to_string())))
            .take(100)
            .collect()
    };
    let payloads: Arc<Vec<Vec<u8>>> = Arc::new(
        repos
            .iter()
            .map(|(id, name)| serde_json::to_vec(&json!({"ref": "refs/heads/main", "after": "0".repeat(40), "repository": {"id": id, "full_name": name}, "sender": {"login": "octocat"}})).unwrap())
            .collect(),
    );
    let (mut child, addr) = start_serve(dir, &hub);

    // Throughput: 4,000 unique deliveries, then 400 replays of them.
    let jobs: Vec<(usize, String)> = (0..4000).map(|i| (i % payloads.len(), guid())).collect();
    let replays: Vec<(usize, String)> = jobs.iter().step_by(10).cloned().collect();
    let tp = burst(&addr, &payloads, jobs);
    let rp = burst(&addr, &payloads, replays);
    let accepted = tp.statuses.iter().filter(|s| **s == 202).count();
    let twice = rp.statuses.iter().filter(|s| **s != 200).count();
    std::thread::sleep(Duration::from_secs(4));

    // Cost: 1,000 deliveries over 100 repos, after the engine went quiet.
    hub.reset_stats();
    let jobs: Vec<(usize, String)> = (0..1000).map(|i| (i % payloads.len(), guid())).collect();
    let cost_burst = burst(&addr, &payloads, jobs);
    std::thread::sleep(Duration::from_secs(5));
    let cost = hub.stats();

    // Freshness: hooks on 15 repos; one fakehub push at a time, timed to the committed batch.
    let url = format!("http://{addr}/webhooks/github");
    let mut marks = Vec::new();
    for (_, name) in repos.iter().take(15) {
        let body = serde_json::to_vec(&json!({"name": "web", "events": ["push"], "config": {"url": url, "content_type": "json", "secret": SECRET}})).unwrap();
        let mut s = TcpStream::connect(hub.addr()).unwrap();
        write!(s, "POST /repos/{name}/hooks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len()).unwrap();
        s.write_all(&body).unwrap();
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
    std::thread::sleep(Duration::from_secs(2));
    for (_, name) in repos.iter().take(15) {
        marks.push((name.clone(), chrono::Utc::now()));
        hub.mutate(Mutation::new(name.as_str(), MutationKind::Push))
            .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let stop = Instant::now();
    let code = child.wait().unwrap().code();
    let stop_secs = stop.elapsed().as_secs_f64();
    let fresh = freshness(&dir.join("data/logs"), &marks);

    println!(
        "\nrepodeck serve (release binary, fakehub at 100 ms latency, {CLIENTS} clients, {} repos)",
        repos.len()
    );
    println!("{:<46} {:>12}", "measure", "value");
    println!(
        "{:<46} {:>12.0}",
        "deliveries/s accepted (4,000 unique)",
        tp.statuses.len() as f64 / tp.secs
    );
    println!(
        "{:<46} {:>12.2}",
        "p50 ms to the 2xx",
        pct(&tp.latencies, 0.50)
    );
    println!(
        "{:<46} {:>12.2}",
        "p99 ms to the 2xx",
        pct(&tp.latencies, 0.99)
    );
    println!(
        "{:<46} {:>12}",
        "lost (sent - 202)",
        tp.statuses.len() - accepted
    );
    println!(
        "{:<46} {:>12}",
        "processed twice (replays not answered 200)", twice
    );
    println!(
        "{:<46} {:>12.0}",
        "replays/s (400, answered 200)",
        rp.statuses.len() as f64 / rp.secs
    );
    println!("{:<46} {:>12}", "freshness samples", fresh.len());
    println!(
        "{:<46} {:>12.0}",
        "freshness p50 ms (mutation -> committed)",
        pct(&fresh, 0.50)
    );
    println!("{:<46} {:>12.0}", "freshness p99 ms", pct(&fresh, 0.99));
    println!(
        "{:<46} {:>12}",
        "burst 1,000 over 100 repos: answered 202",
        cost_burst.statuses.iter().filter(|s| **s == 202).count()
    );
    println!("{:<46} {:>12}", "  GitHub requests", cost.requests);
    println!(
        "{:<46} {:>12}",
        "  GraphQL (detail) queries", cost.graphql_queries
    );
    println!("{:<46} {:>12}", "  GraphQL points", cost.points.graphql);
    println!("{:<46} {:>12}", "  core points", cost.points.core);
    println!("{:<46} {:>12.2}", "SIGTERM to exit, s", stop_secs);
    println!("{:<46} {:>12?}", "exit code", code);
    drop(rt);
}

/// Mutation time -> the first "repo synced and committed" log line of that repo after it.
fn freshness(
    logs: &std::path::Path,
    marks: &[(String, chrono::DateTime<chrono::Utc>)],
) -> Vec<Duration> {
    let mut text = String::new();
    for e in std::fs::read_dir(logs).unwrap() {
        text.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap_or_default());
    }
    let mut out = Vec::new();
    for (name, at) in marks {
        let needle = format!("repo={name} ");
        let done = text
            .lines()
            .filter(|l| l.contains("repo synced and committed") && l.contains(&needle))
            .filter_map(|l| chrono::DateTime::parse_from_rfc3339(l.split_whitespace().next()?).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .find(|t| t > at);
        if let Some(t) = done {
            out.push((t - *at).to_std().unwrap_or_default());
        }
    }
    out.sort();
    out
}
