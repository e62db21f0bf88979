//! `repodeck serve` as the real binary against an in-process fakehub, with real signed HTTP
//! deliveries: signatures (GitHub's rules), oversize bodies answered 413 without being read,
//! replays ignored across a restart, fakehub's own deliveries syncing the store, untracked repos,
//! the allowlist with and without a trusted proxy (and GitHub's `/meta`), SIGTERM during a burst
//! losing nothing, and the webhook secret never on disk, in the log or in the output.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use repodeck::fakehub::{self, FakehubConfig, Handle, Mutation, MutationKind};
use repodeck::store::Store;
use serde_json::{Value, json};
use sha2::Sha256;

const TOKEN: &str = "ghp_servetest0000000000000000000000000000";
const SECRET: &str = "serve-test-secret-0123456789abcdefghijklmnop";
/// A fixed age identity (as `age-keygen` writes one), so no passphrase KDF slows the tests.
const IDENTITY: &str = "# created: 2024-01-01T00:00:00Z\n# public key: age1mrmfnwhtlprn4jquex0ukmwcm7y2nxlphuzgsgv8ew2k9mewy3rs8u7su5\nAGE-SECRET-KEY-1EKYFFCK627939WTZMTT4ZRS2PM3U2K7PZ3MVGEL2M76W3PYJMSHQMTT6SS\n";

struct Env {
    dir: tempfile::TempDir,
    hub: Handle,
    _rt: tokio::runtime::Runtime,
}

impl Env {
    fn new(repos: usize, serve_cfg: &str) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let hub = rt
            .block_on(fakehub::spawn(FakehubConfig {
                repos,
                tokens: vec![TOKEN.into()],
                ..FakehubConfig::default()
            }))
            .unwrap();
        let env = Env {
            dir: tempfile::tempdir().unwrap(),
            hub,
            _rt: rt,
        };
        std::fs::write(env.dir.path().join("key.txt"), IDENTITY).unwrap();
        env.config(serve_cfg);
        env
    }

    fn config(&self, serve_cfg: &str) {
        std::fs::write(
            self.dir.path().join("cfg.toml"),
            format!("[sync]\nmin_interval = \"0s\"\ninterval = \"0s\"\n{serve_cfg}"),
        )
        .unwrap();
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn cmd(&self, api: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_repodeck"));
        c.arg("--data-dir")
            .arg(self.data())
            .arg("--api-url")
            .arg(api)
            .env("REPODECK_CONFIG", self.dir.path().join("cfg.toml"))
            .env("REPODECK_IDENTITY", self.dir.path().join("key.txt"))
            .env("GITHUB_TOKEN", TOKEN)
            .env_remove("GH_TOKEN")
            .env_remove("REPODECK_PASSPHRASE")
            .env_remove("RUST_LOG");
        c
    }

    fn rd(&self, args: &[&str], stdin: &str) -> std::process::Output {
        let mut child = self
            .cmd(self.hub.url())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Tracked and synced repos, and the webhook secret in the vault.
    fn setup(&self) {
        self.rd(&["import", "--org", "octo-org"], "");
        self.rd(&["sync", "--all"], "");
        self.rd(&["hook", "secret", "set"], SECRET);
    }

    fn serve(&self) -> Serve {
        self.serve_with(self.hub.url())
    }

    fn serve_with(&self, api: &str) -> Serve {
        let mut child = self
            .cmd(api)
            .args(["--log-level", "debug", "serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| {
                let mut err = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                panic!("serve printed no address: {line:?} {err}")
            })
            .to_string();
        Serve {
            child,
            addr,
            stdout: line,
        }
    }

    /// fakehub's view of a repo.
    fn github(&self, path: &str) -> Value {
        let (_, body) = http(
            self.hub.addr(),
            "GET",
            path,
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            b"",
        );
        serde_json::from_slice(&body).unwrap()
    }

    fn head_of(&self, repo: &str) -> String {
        self.github(&format!("/repos/{repo}/commits?per_page=1"))[0]["sha"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn store(&self) -> Store {
        Store::open(&self.data()).unwrap().0
    }
}

struct Serve {
    child: Child,
    addr: String,
    stdout: String,
}

impl Serve {
    /// SIGTERM; returns the exit code, the time it took and everything it printed.
    fn stop(mut self) -> (Option<i32>, Duration, String) {
        let t = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let mut out = self.stdout.clone();
        let status = self.child.wait().unwrap();
        let took = t.elapsed();
        if let Some(mut s) = self.child.stdout.take() {
            s.read_to_string(&mut out).unwrap();
        }
        if let Some(mut s) = self.child.stderr.take() {
            s.read_to_string(&mut out).unwrap();
        }
        (status.code(), took, out)
    }

    fn deliver(&self, event: &str, body: &[u8], guid: &str, extra: &[(&str, &str)]) -> u16 {
        let sig = sign(SECRET, body);
        let mut h = vec![
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", guid),
            ("X-Hub-Signature-256", sig.as_str()),
            ("Content-Type", "application/json"),
        ];
        h.extend_from_slice(extra);
        http(&self.addr, "POST", "/webhooks/github", &h, body).0
    }
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// One HTTP/1.1 exchange over a fresh connection: (status, body).
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, Vec<u8>) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| buf[p + 4..].to_vec())
        .unwrap_or_default();
    (status, body)
}

/// GitHub's own push example, pointed at one of fakehub's repos.
fn push_payload(env: &Env, repo: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github/webhooks/push.json"),
    )
    .unwrap();
    let mut all: Value = serde_json::from_str(&text).unwrap();
    let mut p = all[0].take();
    let real = env.github(&format!("/repos/{repo}"));
    for k in ["id", "node_id", "name", "full_name", "html_url", "url"] {
        p["repository"][k] = real[k].clone();
    }
    serde_json::to_vec(&p).unwrap()
}

fn guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[test]
fn signatures_size_replay_ping_and_untracked() {
    let env = Env::new(6, "[serve]\nmax_body = \"64KiB\"\n");
    env.setup();
    let serve = env.serve();
    // A second serve on the same data dir is refused, told which process hosts the store.
    let second = env
        .cmd(env.hub.url())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(said.contains("hosted by serve, pid"), "{said}");
    let body = push_payload(&env, "octo-org/repo-0001");
    let g = guid();
    let base = [
        ("X-GitHub-Event", "push"),
        ("X-GitHub-Delivery", g.as_str()),
    ];
    // Missing, wrong and SHA-1-only signatures: 401.
    assert_eq!(
        http(&serve.addr, "POST", "/webhooks/github", &base, &body).0,
        401
    );
    let wrong = sign("not-the-secret-at-all-0123456789abcdef", &body);
    let mut h = base.to_vec();
    h.push(("X-Hub-Signature-256", &wrong));
    assert_eq!(
        http(&serve.addr, "POST", "/webhooks/github", &h, &body).0,
        401
    );
    let sha1 = format!("sha1={}", "0".repeat(40));
    let mut h = base.to_vec();
    h.push(("X-Hub-Signature", &sha1));
    assert_eq!(
        http(&serve.addr, "POST", "/webhooks/github", &h, &body).0,
        401
    );
    // A body claiming 30 MiB: answered 413 at once, without waiting for the rest.
    let t = Instant::now();
    let mut s = TcpStream::connect(&serve.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let sig = sign(SECRET, &body);
    write!(s, "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 31457280\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {}\r\nX-Hub-Signature-256: {sig}\r\n\r\n", guid()).unwrap();
    s.write_all(&[b'{'; 1024]).unwrap();
    let mut first = [0u8; 12];
    s.read_exact(&mut first).unwrap();
    assert_eq!(&first[..], b"HTTP/1.1 413", "30 MiB claimed");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // A chunked body past max_body (no Content-Length): cut off at the cap, 413.
    let mut s = TcpStream::connect(&serve.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {}\r\nX-Hub-Signature-256: {sig}\r\n\r\n", guid()).unwrap();
    for _ in 0..20 {
        let chunk = vec![b' '; 8192];
        let _ = write!(s, "{:x}\r\n", chunk.len());
        let _ = s.write_all(&chunk);
        let _ = s.write_all(b"\r\n");
    }
    let mut first = [0u8; 12];
    s.read_exact(&mut first).unwrap();
    assert_eq!(&first[..], b"HTTP/1.1 413", "chunked past the cap");
    // Malformed JSON with a good signature: 400.
    assert_eq!(
        serve.deliver("push", b"{\"repository\": ", &guid(), &[]),
        400
    );
    // A real delivery, then its replay.
    assert_eq!(serve.deliver("push", &body, &g, &[]), 202);
    assert_eq!(serve.deliver("push", &body, &g, &[]), 200);
    // Untracked repo and unknown event: 202.
    let mut other: Value = serde_json::from_slice(&body).unwrap();
    other["repository"]["id"] = json!(999_999_999u64);
    other["repository"]["full_name"] = json!("someone/else");
    let other = serde_json::to_vec(&other).unwrap();
    assert_eq!(serve.deliver("push", &other, &guid(), &[]), 202);
    assert_eq!(serve.deliver("watch", &body, &guid(), &[]), 202);
    // A ping records its hook.
    let ping = serde_json::to_vec(&json!({"zen": "Keep it logically awesome.", "hook_id": 4242, "hook": {"id": 4242}, "repository": {"id": 1, "full_name": "octo-org/repo-0001"}})).unwrap();
    assert_eq!(
        serve.deliver("ping", &ping, &guid(), &[("X-GitHub-Hook-ID", "4242")]),
        200
    );
    let (code, took, out1) = serve.stop();
    assert_eq!(code, Some(0), "{out1}");
    assert!(took < Duration::from_secs(10));
    assert!(
        env.store()
            .hooks_seen()
            .unwrap()
            .iter()
            .any(|h| h.hook_id == 4242 && h.last_ping.is_some())
    );
    // Across a restart the replay is still recognised.
    let serve = env.serve();
    assert_eq!(serve.deliver("push", &body, &g, &[]), 200);
    let (code, _, out2) = serve.stop();
    assert_eq!(code, Some(0), "{out2}");
    assert_no_secret(&env, &[out1.as_bytes(), out2.as_bytes()]);
}

fn assert_no_secret(env: &Env, outputs: &[&[u8]]) {
    use base64::Engine;
    let forms: Vec<Vec<u8>> = vec![
        SECRET.as_bytes().to_vec(),
        hex::encode(SECRET).into_bytes(),
        base64::engine::general_purpose::STANDARD
            .encode(SECRET)
            .into_bytes(),
    ];
    let mut files = vec![env.data()];
    let mut blobs: Vec<(String, Vec<u8>)> = outputs
        .iter()
        .map(|o| ("output".to_string(), o.to_vec()))
        .collect();
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else {
            blobs.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    assert!(
        blobs.iter().any(|(p, _)| p.contains("logs")),
        "a log was written"
    );
    for (where_, bytes) in blobs {
        for f in &forms {
            assert!(
                !bytes.windows(f.len()).any(|w| w == f.as_slice()),
                "the webhook secret is in {where_}"
            );
        }
    }
}

/// Polls fakehub's stats until `cond` holds or 10 s pass.
fn wait_until(cond: impl Fn() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn fakehub_mutations_reach_the_store_through_real_deliveries() {
    let env = Env::new(8, "");
    env.setup();
    let serve = env.serve();
    // Hooks on the repos, as `hook create` makes them.
    let url = format!("http://{}/webhooks/github", serve.addr);
    for n in 1..=6 {
        let body = serde_json::to_vec(&json!({"name": "web", "active": true, "events": ["*"], "config": {"url": url, "content_type": "json", "secret": SECRET, "insecure_ssl": "0"}})).unwrap();
        let auth = format!("Bearer {TOKEN}");
        let (code, _) = http(
            env.hub.addr(),
            "POST",
            &format!("/repos/octo-org/repo-{n:04}/hooks"),
            &[("Authorization", &auth)],
            &body,
        );
        assert_eq!(code, 201);
    }
    assert!(
        wait_until(|| env.hub.stats().webhook_deliveries >= 6),
        "pings"
    );
    let before = env.hub.stats().webhook_deliveries;
    let m = |r: &str, k| env.hub.mutate(Mutation::new(r, k)).unwrap();
    m("octo-org/repo-0001", MutationKind::Push);
    m("octo-org/repo-0002", MutationKind::Star);
    m("octo-org/repo-0003", MutationKind::Archive);
    m("octo-org/repo-0004", MutationKind::Release);
    m("octo-org/repo-0005", MutationKind::OpenIssue);
    let mut rename = Mutation::new("octo-org/repo-0006", MutationKind::Rename);
    rename.to = Some("renamed-six".into());
    env.hub.mutate(rename).unwrap();
    assert!(
        wait_until(|| env.hub.stats().webhook_deliveries >= before + 7),
        "fakehub delivered to serve: {:?}",
        env.hub.stats()
    );
    // Let the coalesced batch run, then stop and look at the store.
    std::thread::sleep(Duration::from_millis(2500));
    let (code, _, out) = serve.stop();
    assert_eq!(code, Some(0), "{out}");
    let store = env.store();
    let get = |name: &str| {
        store
            .list()
            .unwrap()
            .into_iter()
            .find(|r| r.key.to_string() == name)
            .unwrap_or_else(|| panic!("{name} tracked"))
    };
    let r1 = get("octo-org/repo-0001");
    assert_eq!(
        r1.head.as_ref().unwrap().sha,
        env.head_of("octo-org/repo-0001")
    );
    let stars = env.github("/repos/octo-org/repo-0002")["stargazers_count"].as_u64();
    assert_eq!(
        get("octo-org/repo-0002").meta.unwrap().stars,
        stars.unwrap()
    );
    assert!(get("octo-org/repo-0003").meta.unwrap().archived);
    let rel = env.github("/repos/octo-org/repo-0004/releases/latest")["tag_name"]
        .as_str()
        .map(str::to_string);
    assert_eq!(get("octo-org/repo-0004").latest_release, rel);
    // The rename is followed by GitHub id.
    assert!(
        store
            .find(&repodeck::domain::RepoKey::parse("octo-org/renamed-six").unwrap())
            .unwrap()
            .is_some()
    );
    drop(store);
    // Each change is in the activity feed.
    let act = Command::new(env!("CARGO_BIN_EXE_repodeck"))
        .args(["--data-dir"])
        .arg(env.data())
        .args(["activity", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&act.stdout);
    for repo in [
        "repo-0001",
        "repo-0002",
        "repo-0003",
        "repo-0004",
        "repo-0005",
    ] {
        assert!(text.contains(repo), "activity for {repo}: {text}");
    }
    assert!(env.store().webhook_pending().unwrap().is_empty());
}

#[test]
fn allowlist_with_and_without_a_trusted_proxy_and_githubs_meta() {
    let env = Env::new(3, "[serve]\nallow_ips = [\"10.0.0.0/8\"]\n");
    env.setup();
    let body = push_payload(&env, "octo-org/repo-0001");
    let serve = env.serve();
    // 127.0.0.1 is not in 10/8, and X-Forwarded-For from an untrusted peer is ignored.
    assert_eq!(serve.deliver("push", &body, &guid(), &[]), 403);
    assert_eq!(
        serve.deliver("push", &body, &guid(), &[("X-Forwarded-For", "10.1.2.3")]),
        403
    );
    serve.stop();
    env.config("[serve]\nallow_ips = [\"10.0.0.0/8\"]\ntrusted_proxies = [\"127.0.0.1\"]\n");
    let serve = env.serve();
    assert_eq!(
        serve.deliver("push", &body, &guid(), &[("X-Forwarded-For", "10.1.2.3")]),
        202
    );
    assert_eq!(
        serve.deliver(
            "push",
            &body,
            &guid(),
            &[("X-Forwarded-For", "10.1.2.3, 127.0.0.1")]
        ),
        202
    );
    assert_eq!(
        serve.deliver("push", &body, &guid(), &[("X-Forwarded-For", "192.0.2.1")]),
        403
    );
    assert_eq!(
        serve.deliver("push", &body, &guid(), &[]),
        403,
        "the proxy itself is not allowed"
    );
    serve.stop();
    // GitHub's /meta ranges (fakehub lists 127.0.0.1/32 among them).
    env.config("[serve]\nallow_ips = \"github-meta\"\n");
    let serve = env.serve();
    assert!(wait_until(
        || serve.deliver("push", &body, &guid(), &[]) == 202
    ));
    let (code, _, _) = serve.stop();
    assert_eq!(code, Some(0));
    assert!(env.store().meta_cache().unwrap().is_some());
    // GitHub unreachable: the last good copy is kept.
    let serve = env.serve_with("http://127.0.0.1:9");
    assert_eq!(serve.deliver("push", &body, &guid(), &[]), 202);
    serve.stop();
}

#[test]
fn sigterm_during_a_burst_loses_nothing() {
    let env = Env::new(30, "");
    env.setup();
    let names: Vec<String> = env
        .store()
        .list()
        .unwrap()
        .iter()
        .map(|r| r.key.to_string())
        .collect();
    assert!(names.len() >= 20, "{names:?}");
    for n in &names {
        env.hub
            .mutate(Mutation::new(n.as_str(), MutationKind::Push))
            .unwrap();
    }
    let payloads: Vec<Vec<u8>> = names.iter().map(|n| push_payload(&env, n)).collect();
    let serve = env.serve();
    let addr = serve.addr.clone();
    let sender = std::thread::spawn(move || {
        let mut accepted = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let sig = sign(SECRET, p);
            let g = guid();
            let h = [
                ("X-GitHub-Event", "push"),
                ("X-GitHub-Delivery", g.as_str()),
                ("X-Hub-Signature-256", sig.as_str()),
            ];
            let Ok(mut s) = TcpStream::connect(&addr) else {
                break;
            };
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut head = format!(
                "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
                p.len()
            );
            for (k, v) in h {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            if s.write_all(head.as_bytes())
                .and_then(|()| s.write_all(p))
                .is_err()
            {
                break;
            }
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            if buf.starts_with(b"HTTP/1.1 202") {
                accepted.push(i);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        accepted
    });
    std::thread::sleep(Duration::from_millis(150));
    let (code, took, out) = serve.stop();
    let accepted = sender.join().unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(
        !accepted.is_empty(),
        "some deliveries were accepted before the stop"
    );
    // Everything accepted is synced now, or pending and synced by the next start.
    let pending = env.store().webhook_pending().unwrap().len();
    if pending > 0 {
        let serve = env.serve();
        std::thread::sleep(Duration::from_millis(2500));
        serve.stop();
    }
    let store = env.store();
    for i in accepted {
        let key = repodeck::domain::RepoKey::parse(&names[i]).unwrap();
        let repo = store.find(&key).unwrap().unwrap();
        assert_eq!(
            repo.head.unwrap().sha,
            env.head_of(&names[i]),
            "{} synced",
            names[i]
        );
    }
    assert!(store.webhook_pending().unwrap().is_empty());
}
