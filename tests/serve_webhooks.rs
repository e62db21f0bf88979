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
        self.serve_on(api, "127.0.0.1:0")
    }

    fn serve_on(&self, api: &str, listen: &str) -> Serve {
        let mut child = self
            .cmd(api)
            .args(["--log-level", "debug", "serve", "--listen", listen])
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

/// A failed assertion must not leave a serve running (and its data dir locked) behind the test.
impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
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
    assert!(said.contains("hosted by repodeck serve, pid"), "{said}");
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
    // (Waited for like above: on a loaded machine the first delivery can beat the stored copy's
    // load; GitHub being unreachable, a 202 can only come from that copy.)
    let serve = env.serve_with("http://127.0.0.1:9");
    assert!(wait_until(
        || serve.deliver("push", &body, &guid(), &[]) == 202
    ));
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

/// Every other event `serve` acts on, each made on fakehub and delivered for real (through an
/// organization hook made by `hook create --org`, and a repository hook on the repo that moves
/// to another owner, since the organization no longer hears it then): the store and the activity
/// feed show the change, and events about things repodeck does not keep (tags, collaborators)
/// still re-sync the repo without inventing an entry.
#[test]
fn every_event_kind_reaches_the_store_and_the_activity_feed() {
    let env = Env::new(16, "");
    let pre = |r: &str, k, to: Option<&str>| {
        let mut m = Mutation::new(r, k);
        m.to = to.map(str::to_string);
        env.hub.mutate(m).unwrap();
    };
    // The state some changes start from, made before repodeck first looks.
    pre(
        "octo-org/repo-0004",
        MutationKind::CreateTag,
        Some("v0.0.1-light"),
    );
    pre("octo-org/repo-0006", MutationKind::OpenPr, None);
    pre("octo-org/repo-0008", MutationKind::Privatize, None);
    pre("octo-org/repo-0012", MutationKind::Archive, None);
    env.setup();
    let store = env.store();
    let synced_before = |name: &str| {
        let key = repodeck::domain::RepoKey::parse(name).unwrap();
        store.find(&key).unwrap().unwrap().details_at.unwrap()
    };
    let untouched: Vec<(&str, _)> = ["repo-0003", "repo-0004", "repo-0010"]
        .iter()
        .map(|n| (*n, synced_before(&format!("octo-org/{n}"))))
        .collect();
    drop(store);
    // `hook create` needs the store, so the hooks are made before serve starts, on a port
    // chosen now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let url = format!("http://{listen}/webhooks/github");
    env.rd(&["hook", "create", "--org", "octo-org", "--url", &url], "");
    env.rd(&["hook", "create", "octo-org/repo-0013", "--url", &url], "");
    let serve = env.serve_on(env.hub.url(), &listen);
    let before = env.hub.stats().webhook_deliveries;
    let m = |r: &str, k, to: Option<&str>| pre(&format!("octo-org/{r}"), k, to);
    m(
        "repo-0001",
        MutationKind::CreateBranch,
        Some("webhook-branch"),
    );
    m("repo-0002", MutationKind::DeleteBranch, Some("develop"));
    m("repo-0003", MutationKind::CreateTag, Some("v9.9.9-light"));
    m("repo-0004", MutationKind::DeleteTag, Some("v0.0.1-light"));
    m("repo-0005", MutationKind::OpenPr, None);
    m("repo-0006", MutationKind::ClosePr, None);
    m("repo-0007", MutationKind::Fork, None);
    m("repo-0008", MutationKind::Publicize, None);
    m("repo-0009", MutationKind::Privatize, None);
    m("repo-0010", MutationKind::AddMember, Some("hubot"));
    m("repo-0011", MutationKind::ProtectBranch, Some("develop"));
    m("repo-0012", MutationKind::Unarchive, None);
    m("repo-0013", MutationKind::Transfer, Some("octocat"));
    m("repo-0014", MutationKind::Delete, None);
    m("repo-0015", MutationKind::EditDescription, None);
    // 15 mutations, and `public` besides `publicized`: 16 deliveries (the org hook hears no
    // transfer away from it; the moved repo's own hook does).
    assert!(
        wait_until(|| env.hub.stats().webhook_deliveries >= before + 16),
        "fakehub delivered to serve: {:?}",
        env.hub.stats()
    );
    std::thread::sleep(Duration::from_millis(3000));
    let (code, _, out) = serve.stop();
    assert_eq!(code, Some(0), "{out}");
    assert_events_stored(&env, &untouched);
    assert_hook_list_shows_what_serve_saw(&env);
}

/// `hook list` shows, beside GitHub's view of each hook, what serve last received from it.
fn assert_hook_list_shows_what_serve_saw(env: &Env) {
    let list = |target: &[&str]| -> Value {
        let mut args = vec!["hook", "list", "--json"];
        args.extend_from_slice(target);
        serde_json::from_slice(&env.rd(&args, "").stdout).unwrap()
    };
    let org = list(&["--org", "octo-org"]);
    let hook = &org[0]["hooks"][0];
    let seen = &hook["seen_by_serve"];
    assert_eq!(seen["hook_id"], hook["id"], "{org}");
    assert!(seen["last_delivery"].is_string(), "{org}");
    let event = seen["event"].as_str().unwrap();
    assert!(repodeck::domain::WEBHOOK_EVENTS.contains(&event), "{event}");
    // GitHub's own state stays beside it: this hook's last delivery succeeded.
    assert_eq!(hook["last_delivery"]["state"], "ok", "{org}");
    let moved = list(&["octocat/repo-0013"]);
    let seen = &moved[0]["hooks"][0]["seen_by_serve"];
    assert_eq!(seen["event"], "repository", "{moved}");
    // The text form says it too.
    let text =
        String::from_utf8(env.rd(&["hook", "list", "--org", "octo-org"], "").stdout).unwrap();
    assert!(text.contains("serve last saw"), "{text}");
}

/// What [`every_event_kind_reaches_the_store_and_the_activity_feed`] expects in the store.
fn assert_events_stored(env: &Env, untouched: &[(&str, chrono::DateTime<chrono::Utc>)]) {
    let store = env.store();
    let get = |name: &str| {
        let key = repodeck::domain::RepoKey::parse(name).unwrap();
        let r = store
            .find(&key)
            .unwrap()
            .unwrap_or_else(|| panic!("{name} tracked"));
        let d = store.details(r.local).unwrap().unwrap_or_default();
        (r, d)
    };
    let branch = |d: &repodeck::domain::RepoDetails, n: &str| {
        d.branches.iter().find(|b| b.name == n).cloned()
    };
    let (_, d1) = get("octo-org/repo-0001");
    assert!(branch(&d1, "webhook-branch").is_some(), "create branch");
    let (_, d2) = get("octo-org/repo-0002");
    assert!(branch(&d2, "develop").is_none(), "delete branch");
    let (_, d5) = get("octo-org/repo-0005");
    let (_, d6) = get("octo-org/repo-0006");
    let open_prs = |repo: &str| -> Vec<u64> {
        env.github(&format!("/repos/{repo}/pulls?state=open&per_page=100"))
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["number"].as_u64())
            .collect()
    };
    let mut ours: Vec<u64> = d5.pulls.iter().map(|p| p.number).collect();
    let mut theirs = open_prs("octo-org/repo-0005");
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "opened PR stored");
    let mut ours: Vec<u64> = d6.pulls.iter().map(|p| p.number).collect();
    let mut theirs = open_prs("octo-org/repo-0006");
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "closed PR gone from the open list");
    let forks = env.github("/repos/octo-org/repo-0007")["forks_count"].as_u64();
    assert_eq!(
        get("octo-org/repo-0007").0.meta.unwrap().forks,
        forks.unwrap()
    );
    assert!(
        !get("octo-org/repo-0008").0.meta.unwrap().private,
        "publicized"
    );
    assert!(
        get("octo-org/repo-0009").0.meta.unwrap().private,
        "privatized"
    );
    let (_, d11) = get("octo-org/repo-0011");
    assert!(
        branch(&d11, "develop").unwrap().protected,
        "protection rule"
    );
    assert!(
        !get("octo-org/repo-0012").0.meta.unwrap().archived,
        "unarchived"
    );
    let moved = get("octocat/repo-0013").0;
    assert_eq!(
        moved.meta.unwrap().full_name,
        "octocat/repo-0013",
        "transfer followed by id"
    );
    assert_eq!(
        get("octo-org/repo-0014").0.status,
        repodeck::domain::SyncStatus::Inaccessible,
        "deleted"
    );
    let desc = env.github("/repos/octo-org/repo-0015")["description"].clone();
    assert_eq!(
        get("octo-org/repo-0015").0.meta.unwrap().description,
        desc.as_str().map(str::to_string)
    );
    // Tags and collaborators are not kept, but the delivery still re-synced the repo.
    for (name, was) in untouched {
        let (r, _) = get(&format!("octo-org/{name}"));
        assert!(r.details_at.unwrap() > *was, "{name} re-synced");
    }
    drop(store);
    assert_activity_feed(env, untouched);
}

/// The activity entry each change leaves, and none for what repodeck does not keep.
fn assert_activity_feed(env: &Env, untouched: &[(&str, chrono::DateTime<chrono::Utc>)]) {
    let act = env.rd(&["activity", "--json"], "");
    let feed: Value = serde_json::from_slice(&act.stdout).unwrap();
    let kinds = |repo: &str| -> Vec<String> {
        feed.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["repo"] == repo)
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect()
    };
    for (repo, kind) in [
        ("octo-org/repo-0001", "branch_created"),
        ("octo-org/repo-0002", "branch_deleted"),
        ("octo-org/repo-0005", "pr_opened"),
        ("octo-org/repo-0006", "pr_closed"),
        ("octo-org/repo-0007", "forks"),
        ("octo-org/repo-0008", "visibility_changed"),
        ("octo-org/repo-0009", "visibility_changed"),
        ("octo-org/repo-0011", "branch_protection"),
        ("octo-org/repo-0012", "unarchived"),
        ("octocat/repo-0013", "renamed"),
        ("octo-org/repo-0014", "inaccessible"),
        ("octo-org/repo-0015", "description_changed"),
    ] {
        assert!(
            kinds(repo).iter().any(|k| k == kind),
            "{repo}: {kind} in {:?}",
            kinds(repo)
        );
    }
    for (name, _) in untouched {
        assert_eq!(
            kinds(&format!("octo-org/{name}")),
            Vec::<String>::new(),
            "{name}: nothing invented"
        );
    }
}

/// A burst of deliveries costs detail queries per 25 repos, not one per delivery: 60 signed
/// pushes (two for each of 30 repos) reach GitHub as at most a few GraphQL batches.
#[test]
fn a_burst_of_deliveries_is_coalesced_into_few_detail_queries() {
    let env = Env::new(30, "");
    env.setup();
    let names: Vec<String> = env
        .store()
        .list()
        .unwrap()
        .iter()
        .map(|r| r.key.to_string())
        .filter(|n| n.starts_with("octo-org/repo-"))
        .collect();
    assert_eq!(names.len(), 30, "{names:?}");
    let payloads: Vec<Vec<u8>> = names.iter().map(|n| push_payload(&env, n)).collect();
    let serve = env.serve();
    let before = env.hub.stats();
    let t = Instant::now();
    for p in payloads.iter().chain(payloads.iter()) {
        assert_eq!(serve.deliver("push", p, &guid(), &[]), 202);
    }
    let sent_in = t.elapsed();
    assert!(
        wait_until(|| env.hub.stats().graphql_queries > before.graphql_queries),
        "the batch was fetched"
    );
    std::thread::sleep(Duration::from_millis(2500));
    let (code, _, out) = serve.stop();
    assert_eq!(code, Some(0), "{out}");
    let queries = env.hub.stats().graphql_queries - before.graphql_queries;
    // One batch per MAX_WAIT (1 s) window the burst spans, each ceil(30/25) = 2 queries.
    let windows = sent_in.as_secs() + 1;
    assert!(
        queries <= 2 * windows,
        "{queries} GraphQL queries for 60 deliveries over 30 repos sent in {sent_in:?}"
    );
    assert!(env.store().webhook_pending().unwrap().is_empty());
}
