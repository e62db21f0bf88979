//! fakehub benchmark (harness = false): simple GETs per second with 1,000 repos and startup time with 10,000 repos, printed as a table.
#![expect(
    clippy::expect_used,
    reason = "a benchmark harness: a failed setup aborts the run with its message"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use repodeck::fakehub::{self, FakehubConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "bench-token";

/// One keep-alive connection issuing GETs back to back; returns how many completed.
async fn client(
    addr: String,
    paths: Vec<String>,
    etag: Option<String>,
    stop: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
) -> std::io::Result<()> {
    let mut s = tokio::net::TcpStream::connect(&addr).await?;
    s.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut i = 0usize;
    while stop.load(Ordering::Relaxed) == 0 {
        let path = &paths[i % paths.len()];
        i += 1;
        let inm = etag
            .as_deref()
            .map(|e| format!("If-None-Match: {e}\r\n"))
            .unwrap_or_default();
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n{inm}\r\n"
        );
        s.write_all(req.as_bytes()).await?;
        buf.clear();
        let (head_end, len) = loop {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                break (end + 4, len);
            }
        };
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        done.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

async fn throughput(
    url: &str,
    paths: Vec<String>,
    etag: Option<String>,
    conns: usize,
    secs: f64,
) -> f64 {
    let addr = url.trim_start_matches("http://").to_string();
    let stop = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|c| {
            let mut p = paths.clone();
            p.rotate_left(c * 37 % paths.len().max(1));
            tokio::spawn(client(
                addr.clone(),
                p,
                etag.clone(),
                stop.clone(),
                done.clone(),
            ))
        })
        .collect();
    let t = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    stop.store(1, Ordering::Relaxed);
    let n = done.load(Ordering::Relaxed);
    let elapsed = t.elapsed().as_secs_f64();
    for task in tasks {
        let _ = task.await;
    }
    n as f64 / elapsed
}

fn unlimited(repos: usize) -> FakehubConfig {
    FakehubConfig {
        repos,
        tokens: vec![TOKEN.into()],
        core_limit: u64::MAX / 4,
        graphql_limit: u64::MAX / 4,
        secondary_concurrency: 10_000,
        secondary_rest_points_per_minute: u64::MAX / 4,
        secondary_graphql_points_per_minute: u64::MAX / 4,
        ..FakehubConfig::default()
    }
}

fn main() {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            std::process::exit(1);
        }
    };
    rt.block_on(async {
        let mut rows: Vec<(String, String, String)> = Vec::new();

        let t = Instant::now();
        let big = fakehub::spawn(unlimited(10_000)).await.expect("spawn 10,000 repos");
        let startup = t.elapsed();
        rows.push(("startup, 10,000 repos (to accepting)".into(), format!("{:.3} s", startup.as_secs_f64()), "< 2 s".into()));
        let probe = Instant::now();
        let addr = big.url.clone();
        let ok = tokio::net::TcpStream::connect(addr.trim_start_matches("http://")).await.is_ok();
        rows.push(("first connect after startup".into(), format!("{:.1} ms ({})", probe.elapsed().as_secs_f64() * 1e3, if ok { "ok" } else { "failed" }), "".into()));
        big.shutdown().await;

        let h = fakehub::spawn(unlimited(1000)).await.expect("spawn 1,000 repos");
        let paths: Vec<String> = (0..1000).map(|i| format!("/repos/octo-org/repo-{i:04}")).collect();
        let _ = throughput(&h.url, paths.clone(), None, 4, 0.5).await; // warm-up
        let gets = throughput(&h.url, paths.clone(), None, 8, 3.0).await;
        rows.push(("GET /repos/{o}/{r}, 1,000 repos, 8 conns".into(), format!("{gets:.0} req/s"), ">= 5,000/s".into()));
        let topics: Vec<String> = (0..1000).map(|i| format!("/repos/octo-org/repo-{i:04}/topics")).collect();
        let small = throughput(&h.url, topics, None, 8, 2.0).await;
        rows.push(("GET /repos/{o}/{r}/topics, 8 conns".into(), format!("{small:.0} req/s"), "".into()));
        // conditional GETs answered 304
        let addr = h.url.trim_start_matches("http://").to_string();
        let etag = {
            let mut s = tokio::net::TcpStream::connect(&addr).await.expect("connect");
            let req = format!("GET /repos/octo-org/repo-0001 HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n");
            s.write_all(req.as_bytes()).await.expect("write");
            let mut raw = Vec::new();
            let _ = s.read_to_end(&mut raw).await;
            String::from_utf8_lossy(&raw)
                .lines()
                .find_map(|l| l.to_ascii_lowercase().starts_with("etag:").then(|| l[5..].trim().to_string()))
                .unwrap_or_default()
        };
        let revalidate = throughput(&h.url, vec!["/repos/octo-org/repo-0001".into()], Some(etag), 8, 2.0).await;
        rows.push(("conditional GET -> 304, 8 conns".into(), format!("{revalidate:.0} req/s"), "".into()));
        h.shutdown().await;

        let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(10);
        let v = rows.iter().map(|r| r.1.len()).max().unwrap_or(10);
        let mut out = format!("{:<w$} | {:>v$} | goal\n{}-|-{}-|------\n", "fakehub benchmark", "result", "-".repeat(w), "-".repeat(v));
        for (k, val, goal) in rows {
            out.push_str(&format!("{k:<w$} | {val:>v$} | {goal}\n"));
        }
        print!("{out}");
    });
}
