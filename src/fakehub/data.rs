//! fakehub's world: deterministic, seeded GitHub data (accounts, repos, commits, issues, PRs, releases, events) and the mutations that change it; REST and GraphQL both read it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

/// "Now" of the generated world (2025-01-01T00:00:00Z): initial timestamps lie before it,
/// so a seed always yields the same bodies.
pub const WORLD_NOW: i64 = 1_735_689_600;
const DAY: i64 = 86_400;

/// splitmix64: small, fast, good enough to derive every attribute from (seed, key).
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic stream of numbers for one purpose of one object.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, a: u64, b: u64) -> Self {
        Rng(mix(
            mix(seed ^ 0x5EED).wrapping_add(mix(a)) ^ mix(b.wrapping_add(0xABCD))
        ))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).max(1))
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountKind {
    User,
    Organization,
}

#[derive(Clone, Debug)]
pub struct Account {
    pub login: String,
    pub id: u64,
    pub kind: AccountKind,
    pub name: String,
    pub email: String,
}

impl Account {
    pub fn node_id(&self) -> String {
        match self.kind {
            AccountKind::User => node_id("U_kgDO", self.id),
            AccountKind::Organization => node_id("O_kgDO", self.id),
        }
    }
}

/// GitHub's new-style global ids: a type prefix plus an opaque base64 payload.
pub fn node_id(prefix: &str, id: u64) -> String {
    use base64::Engine;
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id.to_be_bytes())
    )
}

/// Inverse of [`node_id`]: the prefix and the numeric id, if the string is one of ours.
pub fn parse_node_id(s: &str) -> Option<(&str, u64)> {
    use base64::Engine;
    let split = s.find("_kgDO").or_else(|| s.find("_kwDO"))? + 5;
    let (prefix, rest) = s.split_at(split);
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(rest)
        .ok()?;
    let arr: [u8; 8] = bytes.try_into().ok()?;
    Some((prefix, u64::from_be_bytes(arr)))
}

pub const LANGUAGES: &[&str] = &[
    "Rust",
    "Go",
    "TypeScript",
    "Python",
    "C",
    "Shell",
    "Ruby",
    "Java",
    "Kotlin",
    "Haskell",
];

pub struct LicenseInfo {
    pub key: &'static str,
    pub name: &'static str,
    pub spdx: &'static str,
}

pub const LICENSES: &[LicenseInfo] = &[
    LicenseInfo {
        key: "mit",
        name: "MIT License",
        spdx: "MIT",
    },
    LicenseInfo {
        key: "apache-2.0",
        name: "Apache License 2.0",
        spdx: "Apache-2.0",
    },
    LicenseInfo {
        key: "gpl-3.0",
        name: "GNU General Public License v3.0",
        spdx: "GPL-3.0",
    },
    LicenseInfo {
        key: "bsd-3-clause",
        name: "BSD 3-Clause \"New\" or \"Revised\" License",
        spdx: "BSD-3-Clause",
    },
];

const DESCRIPTIONS: &[&str] = &[
    "A tiny 🦀 crate for parsing config files",
    "日本語のドキュメント生成ツール",
    "مكتبة صغيرة لتحليل البيانات",
    "Café ñandú naïve résumé — combining: e\u{301} a\u{308} o\u{302}",
    "👨\u{200d}👩\u{200d}👧\u{200d}👦 family-friendly task runner",
    "한국어 형태소 분석기",
    "Fast, safe terminal UI toolkit 🚀",
    "中文分词与拼音转换 🐉",
    "עברית: ספריית עזר לטקסט",
    "Zero-copy JSON ⚡ with SIMD",
    "🏳\u{fe0f}\u{200d}🌈 colour palettes for dashboards",
    "Infrastructure as code for tiny clusters",
];

const COMMIT_MESSAGES: &[&str] = &[
    "Fix off-by-one in pagination",
    "Add CJK width handling: 漢字 and かな",
    "Bump dependencies 📦",
    "Refactor parser for speed ⚡\n\nThe old parser allocated per token.",
    "تحديث الترجمة العربية",
    "Handle combining marks (e\u{301}) in titles",
    "Support 👩\u{200d}💻 ZWJ emoji in names",
    "Document the public API",
    "Remove dead code",
    "修复内存泄漏",
    "Add integration tests\n\nCovers the happy path and two failure modes.",
    "Merge branch 'feature-cache'",
];

const TITLES: &[&str] = &[
    "Crash when the title contains 🧑\u{200d}🚀",
    "Support right-to-left text: مرحبا بالعالم",
    "ドキュメントの誤字を修正",
    "Add --json flag",
    "Slow startup with 10k repos",
    "Combining marks break alignment: a\u{301}e\u{301}",
    "Windows path handling",
    "한글 제목이 잘립니다",
    "Rate limit bar shows wrong colour",
    "Improve error message for bad token",
    "Make the cache configurable",
    "Flaky test on CI",
];

const TOPICS: &[&str] = &[
    "rust", "cli", "tui", "github", "api", "parser", "json", "async", "terminal", "database",
    "i18n", "unicode",
];

const WORDS: &[&str] = &[
    "cache", "parser", "ui", "docs", "perf", "auth", "sync", "search",
];

/// Strings a terminal must never render raw: escape sequences (CSI, OSC 52 clipboard, OSC 8
/// hyperlinks), bidi overrides, NUL/DEL/C1 controls and a 10,000-character line.
pub fn hostile_strings() -> Vec<String> {
    vec![
        "\u{1b}[31mRED\u{1b}[0m \u{1b}[2J\u{1b}[H cleared your screen".to_string(),
        "copy me \u{1b}]52;c;cm0gLXJmIH4K\u{7} (OSC 52 clipboard write)".to_string(),
        "invoice\u{202e}fdp.exe \u{2066}isolate\u{2069} \u{202d}override\u{202c}".to_string(),
        "nul\u{0}del\u{7f}c1\u{85}\u{9b}31m csi-c1 \u{8}\u{8}backspace".to_string(),
        "\u{1b}]8;;http://127.0.0.1/evil\u{1b}\\click\u{1b}]8;;\u{1b}\\ \u{1b}P+q\u{1b}\\ dcs"
            .to_string(),
        "x".repeat(10_000),
    ]
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub epoch: u32,
    pub start: u32,
    pub len: u32,
    pub t0: i64,
    pub step: i64,
}

#[derive(Clone, Debug)]
pub struct Branch {
    pub name: String,
    /// Position in the mainline; `None` = tracks the tip (the default branch).
    pub head: Option<u32>,
    pub protected: bool,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub number: u32,
    pub is_pr: bool,
    pub title: String,
    pub body: Option<String>,
    pub user: usize,
    pub open: bool,
    pub merged: bool,
    pub draft: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub merged_at: Option<i64>,
    pub labels: Vec<usize>,
    pub assignee: Option<usize>,
    pub comments: u32,
    pub head_branch: String,
}

pub const LABELS: &[(&str, &str, &str)] = &[
    ("bug", "d73a4a", "Something isn't working"),
    ("enhancement", "a2eeef", "New feature or request"),
    ("good first issue", "7057ff", "Good for newcomers"),
    (
        "documentation",
        "0075ca",
        "Improvements or additions to documentation",
    ),
];

#[derive(Clone, Debug)]
pub struct Release {
    pub id: u64,
    pub tag: String,
    pub name: Option<String>,
    pub body: String,
    pub draft: bool,
    pub prerelease: bool,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub author: usize,
}

#[derive(Clone, Debug)]
pub struct Event {
    pub id: u64,
    pub kind: &'static str,
    pub actor: usize,
    pub created_at: i64,
    pub payload: serde_json::Value,
}

#[derive(Clone, Debug)]
pub struct Hook {
    pub id: u64,
    pub url: String,
    pub secret: Option<String>,
    pub events: Vec<String>,
    pub active: bool,
    pub created_at: i64,
    /// GitHub's `last_response`: the HTTP code of the last delivery (`None`: no answer) and
    /// when there was one at all.
    pub last: Option<Option<u16>>,
}

/// Per-repo collections; derived from the seed on demand and only stored once mutated.
#[derive(Clone, Debug)]
pub struct Detail {
    pub branches: Vec<Branch>,
    pub items: Vec<Item>,
    pub releases: Vec<Release>,
    pub events: Vec<Event>,
    pub contributors: Vec<(usize, u32)>,
    pub languages: Vec<(&'static str, u64)>,
    pub participation_all: Vec<u32>,
    pub participation_owner: Vec<u32>,
    /// Lightweight tags pushed without a release (`create_tag`), at the tip when made.
    pub tags: Vec<String>,
    /// Collaborators added by `add_member` (account indexes).
    pub collaborators: Vec<usize>,
    /// CI states set by `set_ci`: (commit sha, `SUCCESS` / `FAILURE` / `PENDING` / `NONE`).
    pub ci: Vec<(String, &'static str)>,
    /// `edit_protection` counts per branch name.
    pub rule_edits: Vec<(String, u32)>,
}

#[derive(Clone, Debug)]
pub struct Repo {
    pub idx: usize,
    pub id: u64,
    pub owner: usize,
    pub name: String,
    pub description: Option<String>,
    pub homepage: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub pushed_at: i64,
    pub stars: u32,
    pub forks: u32,
    pub watchers: u32,
    pub size_kb: u32,
    pub language: Option<&'static str>,
    pub license: Option<usize>,
    pub topics: Vec<String>,
    pub archived: bool,
    pub disabled: bool,
    pub private: bool,
    pub is_template: bool,
    pub parent: Option<usize>,
    pub default_branch: String,
    pub history: Vec<Segment>,
    pub epoch: u32,
    pub deleted: bool,
    /// Bumped on every change; part of every derived ETag.
    pub version: u64,
    pub detail: Option<Arc<Detail>>,
    /// The seed-derived detail, generated on first use and kept (unmutated repos only).
    pub derived: OnceLock<Arc<Detail>>,
    /// Serialized `GET /repos/{o}/{r}` body and its SHA-256, for anonymous [0] and authenticated [1]
    /// callers; valid for this version of the repo (mutations start from empty caches).
    pub body_cache: [OnceLock<(axum::body::Bytes, [u8; 32])>; 2],
    pub hooks: Vec<Hook>,
    pub hostile: bool,
}

/// One commit of a repo's mainline, fully derived.
#[derive(Clone, Debug)]
pub struct Commit {
    pub sha: String,
    pub position: u32,
    pub parent: Option<String>,
    pub message: String,
    pub author: usize,
    pub committer: usize,
    pub time: i64,
    pub additions: u32,
    pub deletions: u32,
    pub files: Vec<(String, u32, u32, &'static str)>,
}

impl Commit {
    pub fn headline(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

impl Repo {
    pub fn total_commits(&self) -> u32 {
        self.history.last().map(|s| s.start + s.len).unwrap_or(0)
    }

    fn segment_of(&self, pos: u32) -> Option<&Segment> {
        self.history
            .iter()
            .find(|s| pos >= s.start && pos < s.start + s.len)
    }

    pub fn sha_at(&self, seed: u64, pos: u32) -> Option<String> {
        let seg = self.segment_of(pos)?;
        Some(commit_sha(seed, self.id, seg.epoch, pos))
    }

    pub fn commit_at(&self, seed: u64, accounts: usize, pos: u32) -> Option<Commit> {
        let seg = self.segment_of(pos)?;
        let sha = commit_sha(seed, self.id, seg.epoch, pos);
        let parent = if pos == 0 {
            None
        } else {
            self.sha_at(seed, pos - 1)
        };
        let mut rng = Rng::new(seed, self.id, u64::from(seg.epoch) << 32 | u64::from(pos));
        let message = if self.hostile {
            let hs = hostile_strings();
            format!("{}\n\n{}", rng.pick(&hs), rng.pick(&hs))
        } else {
            (*rng.pick(COMMIT_MESSAGES)).to_string()
        };
        let people = accounts.max(2);
        let author = 1 + rng.below((people - 1) as u64) as usize;
        let committer = if rng.chance(70) { author } else { 1 };
        let nfiles = rng.range(1, 5) as usize;
        let mut files = Vec::with_capacity(nfiles);
        let (mut adds, mut dels) = (0, 0);
        for f in 0..nfiles {
            let a = rng.range(0, 120) as u32;
            let d = rng.range(0, 40) as u32;
            adds += a;
            dels += d;
            let status = if d == 0 { "added" } else { "modified" };
            files.push((format!("src/{}_{f}.rs", rng.pick(WORDS)), a, d, status));
        }
        Some(Commit {
            sha,
            position: pos,
            parent,
            message,
            author,
            committer,
            time: seg.t0 + i64::from(pos - seg.start + 1) * seg.step,
            additions: adds,
            deletions: dels,
            files,
        })
    }

    /// Mainline position of a ref: a branch name, a full sha, or a sha prefix (>= 7 chars).
    pub fn resolve_ref(&self, seed: u64, detail: &Detail, r: &str) -> Option<u32> {
        let total = self.total_commits();
        if total == 0 {
            return None;
        }
        if let Some(b) = detail.branches.iter().find(|b| b.name == r) {
            return Some(b.head.unwrap_or(total - 1).min(total - 1));
        }
        if r == "HEAD" {
            return Some(total - 1);
        }
        if r.len() >= 7 && r.len() <= 40 && r.bytes().all(|b| b.is_ascii_hexdigit()) {
            let lower = r.to_ascii_lowercase();
            return (0..total)
                .rev()
                .find(|&p| self.sha_at(seed, p).is_some_and(|s| s.starts_with(&lower)));
        }
        None
    }

    pub fn branch_head(&self, b: &Branch) -> u32 {
        let total = self.total_commits();
        b.head
            .unwrap_or(total.saturating_sub(1))
            .min(total.saturating_sub(1))
    }

    pub fn node_id(&self) -> String {
        node_id("R_kgDO", self.id)
    }

    /// The sha of the mainline tip (empty for an empty repo).
    pub fn tip_sha(&self, seed: u64) -> String {
        self.sha_at(seed, self.total_commits().saturating_sub(1))
            .unwrap_or_default()
    }

    /// The head sha of pull request `number` (its branch is not on the mainline).
    pub fn pr_head_sha(&self, seed: u64, number: u32) -> String {
        commit_sha(seed, self.id ^ 0x5052, number, number)
    }

    pub fn open_issues_count(&self, detail: &Detail) -> u32 {
        detail.items.iter().filter(|i| i.open).count() as u32
    }
}

pub fn commit_sha(seed: u64, repo_id: u64, epoch: u32, pos: u32) -> String {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(repo_id.to_le_bytes());
    h.update(epoch.to_le_bytes());
    h.update(pos.to_le_bytes());
    hex::encode(&h.finalize()[..20])
}

/// The whole fake GitHub. Repos are `Arc`s so readers clone a pointer and drop the lock at once.
#[derive(Clone, Debug)]
pub struct World {
    pub seed: u64,
    pub accounts: Vec<Account>,
    pub repos: Vec<Arc<Repo>>,
    pub by_name: HashMap<String, usize>,
    pub by_id: HashMap<u64, usize>,
    /// Old full names (lowercase) of renamed repos -> repo index.
    pub renamed: HashMap<String, usize>,
    pub next_event_id: u64,
    pub next_hook_id: u64,
    pub org_repo_digits: usize,
    /// Organization webhooks by account index: they receive the events of all the org's repos.
    pub org_hooks: HashMap<usize, Vec<Hook>>,
    /// "Now" of the generation: every initial timestamp lies before it ([`WORLD_NOW`] unless the
    /// world was made with [`World::generate_at`]).
    pub epoch: i64,
}

pub const ORG: usize = 0;
pub const OCTOCAT: usize = 1;

fn key(owner: &str, name: &str) -> String {
    format!(
        "{}/{}",
        owner.to_ascii_lowercase(),
        name.to_ascii_lowercase()
    )
}

impl World {
    pub fn generate(seed: u64, n_repos: usize) -> World {
        Self::generate_at(seed, n_repos, WORLD_NOW)
    }

    /// The world of `seed` with its history ending at `epoch` (Unix seconds) instead of the fixed
    /// [`WORLD_NOW`]: the same repos, people and bodies, every time shifted by `epoch - WORLD_NOW`.
    /// The demo uses the current time so its repos do not look abandoned.
    pub fn generate_at(seed: u64, n_repos: usize, epoch: i64) -> World {
        let mut accounts = vec![
            Account {
                login: "octo-org".into(),
                id: 9_919_000,
                kind: AccountKind::Organization,
                name: "Octo Org 🐙".into(),
                email: "octo-org@example.com".into(),
            },
            Account {
                login: "octocat".into(),
                id: 583_231,
                kind: AccountKind::User,
                name: "The Octocat".into(),
                email: "octocat@github.com".into(),
            },
        ];
        let people = [
            ("mona", "Mona Lisa Octocat"),
            ("hubot", "Hubot 🤖"),
            ("tanaka-taro", "田中太郎"),
            ("layla", "ليلى"),
            ("kim-minji", "김민지"),
            ("noel", "Noe\u{308}l Zoe\u{308}"),
            ("dev-family", "👨\u{200d}👩\u{200d}👧 Dev"),
        ];
        for (i, (login, name)) in people.iter().enumerate() {
            accounts.push(Account {
                login: (*login).into(),
                id: 1_000_000 + i as u64,
                kind: AccountKind::User,
                name: (*name).into(),
                email: format!("{login}@users.noreply.github.com"),
            });
        }
        let digits = if n_repos > 10_000 {
            n_repos.saturating_sub(1).to_string().len()
        } else {
            4
        };
        let mut world = World {
            seed,
            accounts,
            repos: Vec::with_capacity(n_repos + 8),
            by_name: HashMap::with_capacity(n_repos + 8),
            by_id: HashMap::with_capacity(n_repos + 8),
            renamed: HashMap::new(),
            next_event_id: 30_000_000_000,
            next_hook_id: 500_000_000,
            org_repo_digits: digits,
            org_hooks: HashMap::new(),
            epoch,
        };
        for i in 0..n_repos {
            world.add_generated(RepoSpec::new(ORG, format!("repo-{i:0digits$}")));
        }
        world.add_generated(RepoSpec {
            hostile: true,
            ..RepoSpec::new(ORG, "zz-hostile")
        });
        let hello = world.add_generated(RepoSpec::new(OCTOCAT, "Hello-World"));
        world.add_generated(RepoSpec::new(OCTOCAT, "Spoon-Knife"));
        world.add_generated(RepoSpec {
            private: true,
            ..RepoSpec::new(OCTOCAT, "secret-plans")
        });
        let parent = if n_repos > 0 { 0 } else { hello };
        world.add_generated(RepoSpec {
            parent: Some(parent),
            ..RepoSpec::new(OCTOCAT, "repo-fork")
        });
        world
    }

    /// Adds a seed-derived repo and indexes it by name and id; returns its index.
    fn add_generated(&mut self, spec: RepoSpec) -> usize {
        let idx = self.repos.len();
        let repo = Repo::generated(self.seed, idx, spec, self.epoch);
        self.by_name
            .insert(key(&self.accounts[repo.owner].login, &repo.name), idx);
        self.by_id.insert(repo.id, idx);
        self.repos.push(Arc::new(repo));
        idx
    }

    pub fn full_name(&self, repo: &Repo) -> String {
        format!("{}/{}", self.accounts[repo.owner].login, repo.name)
    }

    /// A live repo by owner/name (case-insensitive).
    pub fn find(&self, owner: &str, name: &str) -> Option<Arc<Repo>> {
        let idx = *self.by_name.get(&key(owner, name))?;
        let r = &self.repos[idx];
        (!r.deleted).then(|| r.clone())
    }

    /// If `owner/name` was renamed away, the repo it now is.
    pub fn find_renamed(&self, owner: &str, name: &str) -> Option<Arc<Repo>> {
        let idx = *self.renamed.get(&key(owner, name))?;
        let r = &self.repos[idx];
        (!r.deleted).then(|| r.clone())
    }

    pub fn find_id(&self, id: u64) -> Option<Arc<Repo>> {
        let idx = *self.by_id.get(&id)?;
        let r = &self.repos[idx];
        (!r.deleted).then(|| r.clone())
    }

    pub fn account(&self, login: &str) -> Option<usize> {
        self.accounts
            .iter()
            .position(|a| a.login.eq_ignore_ascii_case(login))
    }

    /// The repo's collections: stored if mutated, else derived from the seed.
    pub fn detail(&self, repo: &Repo) -> Arc<Detail> {
        match &repo.detail {
            Some(d) => d.clone(),
            None => repo
                .derived
                .get_or_init(|| Arc::new(self.generate_detail(repo)))
                .clone(),
        }
    }

    fn generate_detail(&self, repo: &Repo) -> Detail {
        let mut rng = Rng::new(self.seed, repo.id, 2);
        let people = self.accounts.len();
        // The draws happen in this order; changing it changes every seed's world.
        let branches = seeded_branches(&mut rng, repo);
        let items = seeded_items(&mut rng, repo, people, self.epoch);
        let releases = seeded_releases(&mut rng, repo, people);
        let contributors = seeded_contributors(&mut rng, people);
        let languages = seeded_languages(&mut rng, repo.language);
        let participation_all: Vec<u32> = (0..52).map(|_| rng.below(30) as u32).collect();
        let participation_owner = participation_all.iter().map(|v| v / 2).collect();
        let events = seeded_events(&mut rng, self.seed, repo, &items, people);
        Detail {
            branches,
            items,
            releases,
            events,
            contributors,
            languages,
            participation_all,
            participation_owner,
            tags: Vec::new(),
            collaborators: Vec::new(),
            ci: Vec::new(),
            rule_edits: Vec::new(),
        }
    }
}

/// What a generated repo is before the seed fills in the rest.
struct RepoSpec {
    owner: usize,
    name: String,
    hostile: bool,
    parent: Option<usize>,
    private: bool,
}

impl RepoSpec {
    fn new(owner: usize, name: impl Into<String>) -> Self {
        RepoSpec {
            owner,
            name: name.into(),
            hostile: false,
            parent: None,
            private: false,
        }
    }
}

/// When a generated repo was created, last pushed and updated, and its mainline.
struct Timeline {
    created_at: i64,
    pushed_at: i64,
    updated_at: i64,
    history: Vec<Segment>,
}

fn seeded_timeline(rng: &mut Rng, epoch: i64) -> Timeline {
    let created_at = epoch - rng.range(200, 3000) as i64 * DAY - rng.below(DAY as u64) as i64;
    let pushed_target = epoch - rng.range(0, 190) as i64 * DAY - rng.below(DAY as u64) as i64;
    let n0 = rng.range(12, 90) as u32;
    let step = ((pushed_target - created_at) / i64::from(n0 + 1)).max(1);
    let history = vec![Segment {
        epoch: 0,
        start: 0,
        len: n0,
        t0: created_at,
        step,
    }];
    let pushed_at = created_at + i64::from(n0) * step;
    let updated_at = pushed_at + rng.below(3 * DAY as u64) as i64;
    Timeline {
        created_at,
        pushed_at,
        updated_at,
        history,
    }
}

fn seeded_description(rng: &mut Rng, hostile: bool) -> Option<String> {
    if hostile {
        Some(hostile_strings().join(" "))
    } else if rng.chance(90) {
        Some((*rng.pick(DESCRIPTIONS)).to_string())
    } else {
        None
    }
}

fn seeded_topics(rng: &mut Rng, hostile: bool, owner: usize) -> Vec<String> {
    if hostile {
        return vec![
            "hostile".into(),
            "\u{1b}[5mblink".into(),
            "bidi\u{202e}txet".into(),
        ];
    }
    let n = if owner == OCTOCAT {
        rng.range(1, 5)
    } else {
        rng.below(5)
    };
    let mut topics: Vec<String> = Vec::new();
    for _ in 0..n {
        let t = (*rng.pick(TOPICS)).to_string();
        if !topics.contains(&t) {
            topics.push(t);
        }
    }
    topics
}

impl Repo {
    /// The repo at index `idx` of a freshly generated world, derived from the seed.
    fn generated(seed: u64, idx: usize, spec: RepoSpec, epoch: i64) -> Repo {
        let RepoSpec {
            owner,
            name,
            hostile,
            parent,
            private,
        } = spec;
        let id = 100_000 + idx as u64;
        let mut rng = Rng::new(seed, id, 1);
        // The draws happen in this order (struct fields included); changing it changes every world.
        let t = seeded_timeline(&mut rng, epoch);
        let stars = if rng.chance(10) {
            rng.range(500, 60_000)
        } else {
            rng.range(0, 300)
        } as u32;
        let description = seeded_description(&mut rng, hostile);
        let topics = seeded_topics(&mut rng, hostile, owner);
        let language = rng.chance(92).then(|| *rng.pick(LANGUAGES));
        let license = rng
            .chance(80)
            .then(|| rng.below(LICENSES.len() as u64) as usize);
        Repo {
            idx,
            id,
            owner,
            homepage: rng
                .chance(30)
                .then(|| format!("https://{}.example.com", name.to_ascii_lowercase())),
            name,
            description,
            created_at: t.created_at,
            updated_at: t.updated_at,
            pushed_at: t.pushed_at,
            stars,
            forks: (u64::from(stars) / rng.range(3, 20)) as u32,
            watchers: (u64::from(stars) / rng.range(5, 30)) as u32 + 1,
            size_kb: rng.range(20, 90_000) as u32,
            language,
            license,
            topics,
            archived: !hostile && rng.chance(4),
            disabled: false,
            private,
            is_template: rng.chance(3),
            parent,
            default_branch: if rng.chance(80) { "main" } else { "master" }.into(),
            history: t.history,
            epoch: 0,
            deleted: false,
            version: 0,
            detail: None,
            derived: OnceLock::new(),
            body_cache: Default::default(),
            hooks: Vec::new(),
            hostile,
        }
    }
}

/// Someone other than the org: a random user account.
fn person(rng: &mut Rng, people: usize) -> usize {
    1 + rng.below((people - 1) as u64) as usize
}

fn seeded_branches(rng: &mut Rng, repo: &Repo) -> Vec<Branch> {
    let total = repo.total_commits();
    let mut branches = vec![Branch {
        name: repo.default_branch.clone(),
        head: None,
        protected: rng.chance(50),
    }];
    for b in 0..rng.range(1, 6) {
        let name = match b {
            0 => "develop".to_string(),
            1 => "release-1.x".to_string(),
            _ => format!("feature-{}-{b}", rng.pick(WORDS)),
        };
        branches.push(Branch {
            protected: name.starts_with("release"),
            head: Some(total.saturating_sub(1 + rng.below(u64::from(total.min(10))) as u32)),
            name,
        });
    }
    branches
}

fn seeded_items(rng: &mut Rng, repo: &Repo, people: usize, epoch: i64) -> Vec<Item> {
    let hs = hostile_strings();
    let mut items = Vec::new();
    let n_items = rng.range(3, 45) as u32;
    for number in 1..=n_items {
        let is_pr = rng.chance(35);
        let created_at =
            repo.created_at + rng.below((epoch - DAY - repo.created_at).max(1) as u64) as i64;
        let open = rng.chance(40);
        let updated_at = created_at + rng.below(30 * DAY as u64) as i64;
        let updated_at = updated_at.min(epoch);
        let closed_at = (!open).then_some(updated_at);
        let merged = is_pr && !open && rng.chance(70);
        let mut labels = Vec::new();
        if rng.chance(50) {
            labels.push(rng.below(LABELS.len() as u64) as usize);
        }
        let title = if repo.hostile {
            rng.pick(&hs).clone()
        } else {
            format!("{} (#{number})", rng.pick(TITLES))
        };
        items.push(Item {
            number,
            is_pr,
            title,
            body: rng
                .chance(70)
                .then(|| "Steps to reproduce:\n1. run it\n2. 💥".to_string()),
            user: person(rng, people),
            open,
            merged,
            draft: is_pr && open && rng.chance(20),
            created_at,
            updated_at,
            closed_at,
            merged_at: merged.then_some(updated_at),
            labels,
            assignee: rng.chance(40).then(|| person(rng, people)),
            comments: rng.below(25) as u32,
            head_branch: format!("patch-{number}"),
        });
    }
    items.sort_by_key(|i| i.number);
    items
}

fn seeded_releases(rng: &mut Rng, repo: &Repo, people: usize) -> Vec<Release> {
    let hs = hostile_strings();
    let mut releases = Vec::new();
    let n_rel = rng.below(7);
    for r in 0..n_rel {
        let created_at = repo.created_at
            + (r as i64 + 1) * ((repo.pushed_at - repo.created_at) / (n_rel as i64 + 1)).max(1);
        let draft = r == n_rel - 1 && rng.chance(10);
        let prerelease = !draft && rng.chance(15);
        let tag = format!("v{}.{}.{}", r / 3, r % 3, rng.below(4));
        releases.push(Release {
            id: repo.id * 1000 + r,
            name: if repo.hostile {
                Some(rng.pick(&hs).clone())
            } else {
                Some(format!("{tag} 🎉"))
            },
            tag,
            body: "## Changes\n- faster ⚡\n- 修复".into(),
            draft,
            prerelease,
            created_at,
            published_at: (!draft).then_some(created_at + 60),
            author: person(rng, people),
        });
    }
    releases
}

fn seeded_contributors(rng: &mut Rng, people: usize) -> Vec<(usize, u32)> {
    let mut contributors = Vec::new();
    for _ in 0..rng.range(1, 7) {
        let p = person(rng, people);
        if !contributors.iter().any(|(q, _)| *q == p) {
            contributors.push((p, rng.range(1, 400) as u32));
        }
    }
    contributors.sort_by_key(|c| std::cmp::Reverse(c.1));
    contributors
}

fn seeded_languages(rng: &mut Rng, main: Option<&'static str>) -> Vec<(&'static str, u64)> {
    let mut languages = Vec::new();
    if let Some(l) = main {
        languages.push((l, rng.range(50_000, 900_000)));
        for _ in 0..rng.below(3) {
            let other = *rng.pick(LANGUAGES);
            if !languages.iter().any(|(n, _)| *n == other) {
                languages.push((other, rng.range(100, 40_000)));
            }
        }
    }
    languages
}

/// The initial events: the last push and the three newest issues or pull requests.
fn seeded_events(
    rng: &mut Rng,
    seed: u64,
    repo: &Repo,
    items: &[Item],
    people: usize,
) -> Vec<Event> {
    let total = repo.total_commits();
    let mut events = Vec::new();
    let mut eid = 20_000_000_000 + repo.id * 100;
    if let Some(sha) = repo.sha_at(seed, total.saturating_sub(1)) {
        let before = repo
            .sha_at(seed, total.saturating_sub(2))
            .unwrap_or_else(|| sha.clone());
        events.push(Event {
            id: eid,
            kind: "PushEvent",
            actor: person(rng, people),
            created_at: repo.pushed_at,
            payload: json!({
                "repository_id": repo.id, "push_id": eid, "ref": format!("refs/heads/{}", repo.default_branch),
                "head": sha, "before": before
            }),
        });
        eid += 1;
    }
    for it in items.iter().rev().take(3) {
        events.push(Event {
            id: eid,
            kind: if it.is_pr {
                "PullRequestEvent"
            } else {
                "IssuesEvent"
            },
            actor: it.user,
            created_at: it.created_at,
            payload: json!({"action": "opened", "number": it.number}),
        });
        eid += 1;
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.created_at));
    events
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MutationKind {
    Push,
    ForcePush,
    Star,
    Unstar,
    Fork,
    Release,
    OpenPr,
    MergePr,
    ClosePr,
    OpenIssue,
    CloseIssue,
    EditDescription,
    EditTopics,
    Archive,
    Unarchive,
    Rename,
    Delete,
    DefaultBranch,
    /// A new branch `to` (default `webhook-branch`) at the tip: a `create` delivery.
    CreateBranch,
    /// Deletes branch `to` (default: the first non-default one): a `delete` delivery.
    DeleteBranch,
    /// A lightweight tag `to` (default `v0.0.0-tag`) at the tip: a `create` delivery.
    CreateTag,
    /// Deletes tag `to` (default: the last lightweight one): a `delete` delivery.
    DeleteTag,
    /// Moves the repo to account `to` (default octocat, or octo-org for octocat's repos).
    Transfer,
    /// Makes the repo private: `repository` privatized.
    Privatize,
    /// Makes the repo public: `repository` publicized and `public`.
    Publicize,
    /// Adds collaborator `to` (a login; default hubot): `member` added.
    AddMember,
    /// A branch protection rule for branch `to` (default: the default branch):
    /// `branch_protection_rule` created.
    ProtectBranch,
    /// Sets the CI of the default branch's head to `to` (`success`, `failure`, `pending` or
    /// `none`; default `failure`).
    SetCi,
    /// Changes the rule protecting branch `to` (default: the default branch, which must be
    /// protected): one more approving review required; `branch_protection_rule` edited.
    EditProtection,
    /// Adds label `to` (default `bug`) to the newest open issue; like GitHub, only the issue's
    /// `updated_at` moves, not the repository's: an `issues` `labeled` event and delivery.
    LabelIssue,
}

impl MutationKind {
    pub const ALL: [MutationKind; 30] = [
        MutationKind::Push,
        MutationKind::ForcePush,
        MutationKind::Star,
        MutationKind::Unstar,
        MutationKind::Fork,
        MutationKind::Release,
        MutationKind::OpenPr,
        MutationKind::MergePr,
        MutationKind::ClosePr,
        MutationKind::OpenIssue,
        MutationKind::CloseIssue,
        MutationKind::EditDescription,
        MutationKind::EditTopics,
        MutationKind::Archive,
        MutationKind::Unarchive,
        MutationKind::Rename,
        MutationKind::Delete,
        MutationKind::DefaultBranch,
        MutationKind::CreateBranch,
        MutationKind::DeleteBranch,
        MutationKind::CreateTag,
        MutationKind::DeleteTag,
        MutationKind::Transfer,
        MutationKind::Privatize,
        MutationKind::Publicize,
        MutationKind::AddMember,
        MutationKind::ProtectBranch,
        MutationKind::SetCi,
        MutationKind::EditProtection,
        MutationKind::LabelIssue,
    ];
}

/// A change to apply, as POSTed to `/_fakehub/mutate`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mutation {
    pub repo: String,
    pub kind: MutationKind,
    #[serde(default)]
    pub count: Option<u32>,
    /// New name for `rename`, new text for `edit_description`, branch for `default_branch`,
    /// `create_branch`, `delete_branch` and `protect_branch`, tag for `create_tag` and
    /// `delete_tag`, new owner for `transfer`, login for `add_member`.
    #[serde(default)]
    pub to: Option<String>,
}

impl Mutation {
    pub fn new(repo: impl Into<String>, kind: MutationKind) -> Self {
        Mutation {
            repo: repo.into(),
            kind,
            count: None,
            to: None,
        }
    }
    pub fn count(mut self, n: u32) -> Self {
        self.count = Some(n);
        self
    }
}

/// What a mutation did, for webhooks and the admin API.
#[derive(Clone, Debug, Serialize)]
pub struct Applied {
    pub repo: String,
    pub repo_id: u64,
    pub kind: MutationKind,
    /// (event name, action) pairs for webhook deliveries.
    #[serde(skip)]
    pub deliveries: Vec<Delivery>,
}

#[derive(Clone, Debug)]
pub struct Delivery {
    pub event: &'static str,
    pub payload_kind: PayloadKind,
}

#[derive(Clone, Debug)]
pub enum PayloadKind {
    Push(Pushed),
    Release {
        action: &'static str,
        index: usize,
    },
    PullRequest {
        action: &'static str,
        number: u32,
    },
    Issues {
        action: &'static str,
        number: u32,
    },
    Star {
        action: &'static str,
        at: i64,
    },
    Watch,
    Fork {
        forkee: usize,
    },
    Repository {
        action: &'static str,
        old_name: Option<String>,
    },
    /// `create` / `delete` of a branch or tag (`ref_type`).
    Ref {
        ref_name: String,
        ref_type: &'static str,
    },
    /// `repository` transferred from this account.
    Transferred {
        from: usize,
    },
    Public,
    Member {
        member: usize,
    },
    /// `branch_protection_rule` created for this branch name pattern.
    ProtectionRule {
        pattern: String,
        id: u64,
    },
}

/// What a push did: the tip before and after, and the new mainline positions `from..to`.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub before: String,
    pub after: String,
    pub forced: bool,
    pub from: u32,
    pub to: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum MutateError {
    #[error("no such repository: {0}")]
    NoRepo(String),
    #[error("{0}")]
    Invalid(String),
}

impl World {
    fn push_event(
        &mut self,
        d: &mut Detail,
        kind: &'static str,
        actor: usize,
        at: i64,
        payload: serde_json::Value,
    ) {
        self.next_event_id += 1;
        d.events.insert(
            0,
            Event {
                id: self.next_event_id,
                kind,
                actor,
                created_at: at,
                payload,
            },
        );
        d.events.truncate(300);
    }

    /// Applies one mutation at wall-clock time `now` (epoch seconds).
    pub fn mutate(&mut self, m: &Mutation, now: i64) -> Result<Applied, MutateError> {
        let (owner, name) = m.repo.split_once('/').ok_or_else(|| {
            MutateError::Invalid(format!("repo must be owner/name, got {:?}", m.repo))
        })?;
        let idx = self
            .find(owner, name)
            .map(|r| r.idx)
            .ok_or_else(|| MutateError::NoRepo(m.repo.clone()))?;
        let repo: Repo = (*self.repos[idx]).clone();
        let detail: Detail = (*self.detail(&repo)).clone();
        // Timestamps never go backwards, even when the wall clock is behind the generated world.
        let now = now.max(repo.pushed_at + 1).max(repo.updated_at + 1);
        let full = self.full_name(&repo);
        let mut draft = Draft {
            idx,
            repo,
            detail,
            deliveries: Vec::new(),
            now,
            count: m.count.unwrap_or(1).clamp(1, 1000),
        };
        self.apply_kind(&mut draft, m)?;
        let Draft {
            mut repo,
            detail,
            deliveries,
            ..
        } = draft;
        repo.version += 1;
        repo.detail = Some(Arc::new(detail));
        repo.derived = OnceLock::new();
        repo.body_cache = Default::default();
        let repo_id = repo.id;
        self.repos[idx] = Arc::new(repo);
        Ok(Applied {
            repo: full,
            repo_id,
            kind: m.kind,
            deliveries,
        })
    }

    /// One helper per kind of mutation; only the world-wide ones (events, names, forks) need `self`.
    fn apply_kind(&mut self, d: &mut Draft, m: &Mutation) -> Result<(), MutateError> {
        match m.kind {
            MutationKind::Push => self.push(d, false),
            MutationKind::ForcePush => self.push(d, true),
            MutationKind::Star => self.star(d),
            MutationKind::Unstar => d.unstar(),
            MutationKind::Fork => self.fork(d),
            MutationKind::Release => self.release(d),
            MutationKind::OpenPr => self.open_items(d, true),
            MutationKind::OpenIssue => self.open_items(d, false),
            MutationKind::MergePr => self.close_items(d, &m.repo, true, true)?,
            MutationKind::ClosePr => self.close_items(d, &m.repo, true, false)?,
            MutationKind::CloseIssue => self.close_items(d, &m.repo, false, false)?,
            MutationKind::EditDescription => d.edit_description(m.to.clone()),
            MutationKind::EditTopics => d.edit_topics(self.seed),
            MutationKind::Archive => d.set_archived(true),
            MutationKind::Unarchive => d.set_archived(false),
            MutationKind::Rename => self.rename(d, m.to.clone())?,
            MutationKind::Delete => d.delete(),
            MutationKind::DefaultBranch => d.set_default_branch(m.to.clone())?,
            MutationKind::CreateBranch => d.create_ref(m.to.clone(), "branch")?,
            MutationKind::DeleteBranch => d.delete_ref(m.to.clone(), "branch")?,
            MutationKind::CreateTag => d.create_ref(m.to.clone(), "tag")?,
            MutationKind::DeleteTag => d.delete_ref(m.to.clone(), "tag")?,
            MutationKind::Transfer => self.transfer(d, m.to.as_deref())?,
            MutationKind::Privatize => d.set_private(true),
            MutationKind::Publicize => d.set_private(false),
            MutationKind::AddMember => {
                let login = m.to.as_deref().unwrap_or("hubot");
                let member = self
                    .account(login)
                    .ok_or_else(|| MutateError::Invalid(format!("no account {login:?}")))?;
                d.add_member(member);
            }
            MutationKind::ProtectBranch => d.protect(m.to.clone())?,
            MutationKind::SetCi => {
                let head = d.repo.total_commits().saturating_sub(1);
                let sha = d.repo.sha_at(self.seed, head).unwrap_or_default();
                d.set_ci(self.seed, sha, m.to.as_deref())?;
            }
            MutationKind::EditProtection => d.edit_protection(m.to.clone())?,
            MutationKind::LabelIssue => self.label_issue(d, &m.repo, m.to.as_deref())?,
        }
        Ok(())
    }

    /// `push` and `force_push`: new commits on the mainline (a force push first rewrites the tip).
    fn push(&mut self, d: &mut Draft, forced: bool) {
        let seed = self.seed;
        let before_pos = d.repo.total_commits().saturating_sub(1);
        let before = d.repo.sha_at(seed, before_pos).unwrap_or_default();
        if forced {
            // Rewrite the last commit: drop it, new epoch, new commits.
            let keep = d.repo.total_commits().saturating_sub(1).max(1);
            truncate_history(&mut d.repo, keep);
            d.repo.epoch += 1;
        }
        let from = d.repo.total_commits();
        push_commits(&mut d.repo, d.count, d.now);
        let after = d
            .repo
            .sha_at(seed, d.repo.total_commits() - 1)
            .unwrap_or_default();
        if let Some(w) = d.detail.participation_all.last_mut() {
            *w += d.count;
        }
        let payload = json!({
            "repository_id": d.repo.id, "push_id": self.next_event_id + 1,
            "ref": format!("refs/heads/{}", d.repo.default_branch), "head": after, "before": before,
        });
        self.push_event(&mut d.detail, "PushEvent", ACTOR, d.now, payload);
        let to = d.repo.total_commits();
        let pushed = Pushed {
            before,
            after,
            forced,
            from,
            to,
        };
        d.deliver("push", PayloadKind::Push(pushed));
    }

    fn star(&mut self, d: &mut Draft) {
        d.repo.stars += d.count;
        d.repo.updated_at = d.now;
        for _ in 0..d.count {
            let payload = json!({"action": "started"});
            self.push_event(&mut d.detail, "WatchEvent", ACTOR, d.now, payload);
            let at = d.now;
            d.deliver(
                "star",
                PayloadKind::Star {
                    action: "created",
                    at,
                },
            );
            d.deliver("watch", PayloadKind::Watch);
        }
    }

    fn fork(&mut self, d: &mut Draft) {
        d.repo.forks += d.count;
        d.repo.updated_at = d.now;
        for n in 0..d.count {
            let forker = 2 + (n as usize + d.repo.forks as usize) % (self.accounts.len() - 2);
            let fidx = self.add_fork(&d.repo, d.idx, forker, d.now);
            let payload = json!({"forkee": {"id": self.repos[fidx].id}});
            self.push_event(&mut d.detail, "ForkEvent", forker, d.now, payload);
            d.deliver("fork", PayloadKind::Fork { forkee: fidx });
        }
    }

    /// Adds `forker`'s fork of `parent` (index `parent_idx`) under a free name; returns its index.
    fn add_fork(&mut self, parent: &Repo, parent_idx: usize, forker: usize, now: i64) -> usize {
        let mut fname = parent.name.clone();
        let mut suffix = 1;
        while self
            .by_name
            .contains_key(&key(&self.accounts[forker].login, &fname))
        {
            fname = format!("{}-{suffix}", parent.name);
            suffix += 1;
        }
        let fidx = self.add_generated(RepoSpec {
            parent: Some(parent_idx),
            ..RepoSpec::new(forker, fname)
        });
        let mut f = (*self.repos[fidx]).clone();
        f.created_at = now;
        f.updated_at = now;
        f.pushed_at = parent.pushed_at;
        f.stars = 0;
        f.forks = 0;
        // A fork starts from the parent's history (same positions and epoch).
        f.history = parent.history.clone();
        f.epoch = parent.epoch;
        f.description = parent.description.clone();
        f.default_branch = parent.default_branch.clone();
        self.repos[fidx] = Arc::new(f);
        fidx
    }

    fn release(&mut self, d: &mut Draft) {
        for _ in 0..d.count {
            let n = d.detail.releases.len() as u64;
            let tag = format!("v{}.{}.{}", 1 + n / 10, n % 10, d.now % 7);
            let tag = if d.detail.releases.iter().any(|r| r.tag == tag) {
                format!("{tag}-{n}")
            } else {
                tag
            };
            let release_id = d.repo.id * 1000 + 500 + n;
            d.detail.releases.push(Release {
                id: release_id,
                name: Some(format!("{tag} 🚀")),
                tag,
                body: "Released by fakehub".into(),
                draft: false,
                prerelease: false,
                created_at: d.now,
                published_at: Some(d.now),
                author: ACTOR,
            });
            let index = d.detail.releases.len() - 1;
            let payload = json!({"action": "published", "release_id": release_id});
            self.push_event(&mut d.detail, "ReleaseEvent", ACTOR, d.now, payload);
            d.deliver(
                "release",
                PayloadKind::Release {
                    action: "published",
                    index,
                },
            );
        }
    }

    /// `open_pr` / `open_issue`: new items numbered after the last one.
    fn open_items(&mut self, d: &mut Draft, is_pr: bool) {
        for _ in 0..d.count {
            let number = d.detail.items.last().map(|i| i.number + 1).unwrap_or(1);
            d.detail.items.push(opened_item(number, is_pr, d.now));
            self.item_event(d, is_pr, "opened", number);
        }
    }

    /// `merge_pr`, `close_pr`, `close_issue`: closes the first open items of the kind (a merge also
    /// pushes a commit); an error only when there is none to close at all.
    fn close_items(
        &mut self,
        d: &mut Draft,
        repo_name: &str,
        is_pr: bool,
        merge: bool,
    ) -> Result<(), MutateError> {
        let now = d.now;
        for _ in 0..d.count {
            let Some(it) = d
                .detail
                .items
                .iter_mut()
                .find(|i| i.open && i.is_pr == is_pr)
            else {
                if d.deliveries.is_empty() {
                    return Err(MutateError::Invalid(format!(
                        "{repo_name} has no open {}",
                        if is_pr { "pull request" } else { "issue" }
                    )));
                }
                break;
            };
            it.open = false;
            it.updated_at = now;
            it.closed_at = Some(now);
            it.draft = false;
            let number = it.number;
            if merge {
                it.merged = true;
                it.merged_at = Some(now);
                push_commits(&mut d.repo, 1, now);
            }
            self.item_event(d, is_pr, "closed", number);
        }
        Ok(())
    }

    /// The event and webhook of an issue or pull request that was opened or closed.
    fn item_event(&mut self, d: &mut Draft, is_pr: bool, action: &'static str, number: u32) {
        let payload = json!({"action": action, "number": number});
        if is_pr {
            self.push_event(&mut d.detail, "PullRequestEvent", ACTOR, d.now, payload);
            d.deliver("pull_request", PayloadKind::PullRequest { action, number });
        } else {
            self.push_event(&mut d.detail, "IssuesEvent", ACTOR, d.now, payload);
            d.deliver("issues", PayloadKind::Issues { action, number });
        }
    }

    /// `label_issue`: label `to` on the newest open issue (not a pull request).
    fn label_issue(
        &mut self,
        d: &mut Draft,
        repo_name: &str,
        to: Option<&str>,
    ) -> Result<(), MutateError> {
        let name = to.unwrap_or("bug");
        let label = LABELS
            .iter()
            .position(|(n, _, _)| *n == name)
            .ok_or_else(|| MutateError::Invalid(format!("no label {name:?}")))?;
        let now = d.now;
        let it = d
            .detail
            .items
            .iter_mut()
            .rev()
            .find(|i| i.open && !i.is_pr)
            .ok_or_else(|| MutateError::Invalid(format!("{repo_name} has no open issue")))?;
        if !it.labels.contains(&label) {
            it.labels.push(label);
        }
        it.updated_at = now;
        let number = it.number;
        self.item_event(d, false, "labeled", number);
        Ok(())
    }

    /// Renames the repo and remembers the old name for redirects.
    fn rename(&mut self, d: &mut Draft, to: Option<String>) -> Result<(), MutateError> {
        let new_name = to.unwrap_or_else(|| format!("{}-renamed", d.repo.name));
        if new_name.is_empty()
            || !new_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(MutateError::Invalid(format!(
                "invalid repository name {new_name:?}"
            )));
        }
        let owner_login = self.accounts[d.repo.owner].login.clone();
        if self.by_name.contains_key(&key(&owner_login, &new_name)) {
            return Err(MutateError::Invalid(format!(
                "{owner_login}/{new_name} already exists"
            )));
        }
        let old_key = key(&owner_login, &d.repo.name);
        self.by_name.remove(&old_key);
        self.renamed.insert(old_key, d.idx);
        self.renamed.remove(&key(&owner_login, &new_name));
        self.by_name.insert(key(&owner_login, &new_name), d.idx);
        let old_name = std::mem::replace(&mut d.repo.name, new_name);
        d.repo.updated_at = d.now;
        d.repository_changed("renamed", Some(old_name));
        Ok(())
    }
}

impl World {
    /// Moves the repo to another account; the old full name redirects like a rename's.
    fn transfer(&mut self, d: &mut Draft, to: Option<&str>) -> Result<(), MutateError> {
        let new_owner = match to {
            Some(login) => self
                .account(login)
                .ok_or_else(|| MutateError::Invalid(format!("no account {login:?}")))?,
            None if d.repo.owner == OCTOCAT => ORG,
            None => OCTOCAT,
        };
        if new_owner == d.repo.owner {
            return Err(MutateError::Invalid(
                "the repository already belongs there".into(),
            ));
        }
        let (old_login, new_login) = (
            self.accounts[d.repo.owner].login.clone(),
            self.accounts[new_owner].login.clone(),
        );
        let new_key = key(&new_login, &d.repo.name);
        if self.by_name.contains_key(&new_key) {
            return Err(MutateError::Invalid(format!(
                "{new_login}/{} already exists",
                d.repo.name
            )));
        }
        let old_key = key(&old_login, &d.repo.name);
        self.by_name.remove(&old_key);
        self.renamed.insert(old_key, d.idx);
        self.renamed.remove(&new_key);
        self.by_name.insert(new_key, d.idx);
        let from = std::mem::replace(&mut d.repo.owner, new_owner);
        d.repo.updated_at = d.now;
        d.deliver("repository", PayloadKind::Transferred { from });
        Ok(())
    }
}

/// Who makes the mutations: every accepted token acts as octocat.
const ACTOR: usize = OCTOCAT;

/// A mutation in progress: copies of the repo and its detail, changed in place and stored back
/// by [`World::mutate`] once the change has succeeded.
struct Draft {
    idx: usize,
    repo: Repo,
    detail: Detail,
    deliveries: Vec<Delivery>,
    /// The time of the change (never before the repo's last push or update).
    now: i64,
    /// How many times to repeat the change (1..=1000).
    count: u32,
}

impl Draft {
    fn deliver(&mut self, event: &'static str, payload_kind: PayloadKind) {
        self.deliveries.push(Delivery {
            event,
            payload_kind,
        });
    }

    /// A `repository` webhook: edited, archived, unarchived, renamed or deleted.
    fn repository_changed(&mut self, action: &'static str, old_name: Option<String>) {
        self.deliver("repository", PayloadKind::Repository { action, old_name });
    }

    fn unstar(&mut self) {
        self.repo.stars = self.repo.stars.saturating_sub(self.count);
        self.repo.updated_at = self.now;
        for _ in 0..self.count {
            let at = self.now;
            self.deliver(
                "star",
                PayloadKind::Star {
                    action: "deleted",
                    at,
                },
            );
        }
    }

    fn edit_description(&mut self, to: Option<String>) {
        let now = self.now;
        self.repo.description =
            Some(to.unwrap_or_else(|| format!("Edited at {now} ✏\u{fe0f} 更新")));
        self.repo.updated_at = now;
        self.repository_changed("edited", None);
    }

    fn edit_topics(&mut self, seed: u64) {
        let now = self.now;
        let mut rng = Rng::new(seed, self.repo.id, now as u64);
        let mut topics = vec![format!("topic-{}", now % 1000)];
        topics.push((*rng.pick(TOPICS)).to_string());
        topics.dedup();
        self.repo.topics = topics;
        self.repo.updated_at = now;
        self.repository_changed("edited", None);
    }

    fn set_archived(&mut self, archived: bool) {
        self.repo.archived = archived;
        self.repo.updated_at = self.now;
        let action = if archived { "archived" } else { "unarchived" };
        self.repository_changed(action, None);
    }

    fn delete(&mut self) {
        self.repo.deleted = true;
        self.repository_changed("deleted", None);
    }

    /// Makes `to` (default: the first other branch) the default branch; the old default branch
    /// stays at the current tip.
    fn set_default_branch(&mut self, to: Option<String>) -> Result<(), MutateError> {
        let target = match to {
            Some(t) => t,
            None => self
                .detail
                .branches
                .iter()
                .find(|b| b.name != self.repo.default_branch)
                .map(|b| b.name.clone())
                .ok_or_else(|| MutateError::Invalid("no other branch".into()))?,
        };
        let tip = self.repo.total_commits().saturating_sub(1);
        let Some(bi) = self.detail.branches.iter().position(|b| b.name == target) else {
            return Err(MutateError::Invalid(format!("no branch {target:?}")));
        };
        for b in self.detail.branches.iter_mut() {
            if b.name == self.repo.default_branch {
                b.head = Some(tip);
            }
        }
        // The new default branch is fast-forwarded to the mainline tip and tracks it.
        self.detail.branches[bi].head = None;
        self.repo.default_branch = target;
        self.repo.updated_at = self.now;
        self.repository_changed("edited", None);
        Ok(())
    }
}

impl Draft {
    /// `create_branch` / `create_tag`: a new ref at the tip.
    fn create_ref(
        &mut self,
        to: Option<String>,
        ref_type: &'static str,
    ) -> Result<(), MutateError> {
        let is_branch = ref_type == "branch";
        let name = to.unwrap_or_else(|| {
            if is_branch {
                "webhook-branch"
            } else {
                "v0.0.0-tag"
            }
            .to_string()
        });
        if name.is_empty()
            || name.contains("..")
            || name.bytes().any(|b| b <= b' ' || b"~^:?*[\\".contains(&b))
        {
            return Err(MutateError::Invalid(format!("invalid ref name {name:?}")));
        }
        let exists = if is_branch {
            self.detail.branches.iter().any(|b| b.name == name)
        } else {
            self.detail.tags.contains(&name) || self.detail.releases.iter().any(|r| r.tag == name)
        };
        if exists {
            return Err(MutateError::Invalid(format!(
                "{ref_type} {name:?} already exists"
            )));
        }
        if is_branch {
            let tip = self.repo.total_commits().saturating_sub(1);
            self.detail.branches.push(Branch {
                name: name.clone(),
                head: Some(tip),
                protected: false,
            });
        } else {
            self.detail.tags.push(name.clone());
        }
        self.deliver(
            "create",
            PayloadKind::Ref {
                ref_name: name,
                ref_type,
            },
        );
        Ok(())
    }

    /// `delete_branch` / `delete_tag`; the default branch cannot be deleted (GitHub refuses too).
    fn delete_ref(
        &mut self,
        to: Option<String>,
        ref_type: &'static str,
    ) -> Result<(), MutateError> {
        let name = if ref_type == "branch" {
            let name = to.or_else(|| {
                self.detail
                    .branches
                    .iter()
                    .find(|b| b.name != self.repo.default_branch)
                    .map(|b| b.name.clone())
            });
            let Some(name) = name.filter(|n| *n != self.repo.default_branch) else {
                return Err(MutateError::Invalid(
                    "no branch to delete (the default branch stays)".into(),
                ));
            };
            let before = self.detail.branches.len();
            self.detail.branches.retain(|b| b.name != name);
            if self.detail.branches.len() == before {
                return Err(MutateError::Invalid(format!("no branch {name:?}")));
            }
            name
        } else {
            let Some(name) = to.or_else(|| self.detail.tags.last().cloned()) else {
                return Err(MutateError::Invalid("no lightweight tag to delete".into()));
            };
            let before = self.detail.tags.len();
            self.detail.tags.retain(|t| *t != name);
            if self.detail.tags.len() == before {
                return Err(MutateError::Invalid(format!("no lightweight tag {name:?}")));
            }
            name
        };
        self.deliver(
            "delete",
            PayloadKind::Ref {
                ref_name: name,
                ref_type,
            },
        );
        Ok(())
    }

    /// `privatize` / `publicize`: GitHub sends `repository` privatized or publicized, and a
    /// `public` event when a repo goes public.
    fn set_private(&mut self, private: bool) {
        self.repo.private = private;
        self.repo.updated_at = self.now;
        if private {
            self.repository_changed("privatized", None);
        } else {
            self.repository_changed("publicized", None);
            self.deliver("public", PayloadKind::Public);
        }
    }

    fn add_member(&mut self, member: usize) {
        if !self.detail.collaborators.contains(&member) {
            self.detail.collaborators.push(member);
        }
        self.deliver("member", PayloadKind::Member { member });
    }

    /// A protection rule for one branch name: matching branches become protected.
    /// Sets the CI of commit `sha`; refused when it is already in that state (nothing to change).
    fn set_ci(&mut self, seed: u64, sha: String, to: Option<&str>) -> Result<(), MutateError> {
        let word = match to.unwrap_or("failure") {
            "success" => "SUCCESS",
            "failure" => "FAILURE",
            "pending" => "PENDING",
            "none" => "NONE",
            other => {
                return Err(MutateError::Invalid(format!(
                    "set_ci takes success, failure, pending or none, not {other:?}"
                )));
            }
        };
        let now =
            super::insight::ci(seed, &self.repo, &self.detail, &sha).map_or("NONE", |c| c.state);
        if now == word {
            return Err(MutateError::Invalid(format!(
                "the CI of {sha} is already {}",
                word.to_ascii_lowercase()
            )));
        }
        // GitHub moves neither `pushedAt` nor `updatedAt` for CI: the probe sees the head's rollup.
        self.detail.ci.push((sha, word));
        Ok(())
    }

    fn edit_protection(&mut self, to: Option<String>) -> Result<(), MutateError> {
        let name = to.unwrap_or_else(|| self.repo.default_branch.clone());
        if !self
            .detail
            .branches
            .iter()
            .any(|b| b.name == name && b.protected)
        {
            return Err(MutateError::Invalid(format!(
                "branch {name:?} is not protected (protect_branch first)"
            )));
        }
        match self.detail.rule_edits.iter_mut().find(|(b, _)| *b == name) {
            Some((_, n)) => *n += 1,
            None => self.detail.rule_edits.push((name.clone(), 1)),
        }
        self.repo.updated_at = self.now;
        let id = self.repo.id * 100 + self.now.unsigned_abs() % 100;
        self.deliver(
            "branch_protection_rule",
            PayloadKind::ProtectionRule { pattern: name, id },
        );
        Ok(())
    }

    fn protect(&mut self, to: Option<String>) -> Result<(), MutateError> {
        let pattern = to.unwrap_or_else(|| self.repo.default_branch.clone());
        let mut hit = false;
        for b in self
            .detail
            .branches
            .iter_mut()
            .filter(|b| b.name == pattern)
        {
            b.protected = true;
            hit = true;
        }
        if !hit {
            return Err(MutateError::Invalid(format!("no branch {pattern:?}")));
        }
        self.repo.updated_at = self.now;
        let id = self.repo.id * 100 + self.now.unsigned_abs() % 100;
        self.deliver(
            "branch_protection_rule",
            PayloadKind::ProtectionRule { pattern, id },
        );
        Ok(())
    }
}

/// Appends `n` new commits to the mainline, the last one at `at`.
fn push_commits(repo: &mut Repo, n: u32, at: i64) {
    let start = repo.total_commits();
    repo.history.push(Segment {
        epoch: repo.epoch,
        start,
        len: n,
        t0: at - i64::from(n),
        step: 1,
    });
    repo.pushed_at = at;
    repo.updated_at = at;
    repo.size_kb = repo.size_kb.saturating_add(n);
}

/// An issue or pull request as `open_issue` / `open_pr` creates it.
fn opened_item(number: u32, is_pr: bool, now: i64) -> Item {
    Item {
        number,
        is_pr,
        title: if is_pr {
            format!("Add feature #{number} ✨")
        } else {
            format!("Bug report #{number}: 表示が崩れる")
        },
        body: Some("Opened by fakehub".into()),
        user: ACTOR,
        open: true,
        merged: false,
        draft: false,
        created_at: now,
        updated_at: now,
        closed_at: None,
        merged_at: None,
        labels: vec![usize::from(is_pr)],
        assignee: None,
        comments: 0,
        head_branch: format!("patch-{number}"),
    }
}

fn truncate_history(repo: &mut Repo, keep: u32) {
    repo.history.retain(|s| s.start < keep);
    if let Some(last) = repo.history.last_mut() {
        last.len = last.len.min(keep - last.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hostile_repo_sorts_after_the_ordinary_ones() {
        let w = World::generate(1, 10);
        let mut names: Vec<String> = w
            .repos
            .iter()
            .filter(|r| r.owner == 0)
            .map(|r| r.name.to_lowercase())
            .collect();
        names.sort();
        assert!(w.repos.iter().any(|r| r.hostile && r.name == "zz-hostile"));
        assert_eq!(names.first().map(String::as_str), Some("repo-0000"));
        assert_eq!(names.last().map(String::as_str), Some("zz-hostile"));
    }

    #[test]
    fn a_later_epoch_shifts_every_time_and_changes_nothing_else() {
        let shift = 700 * DAY + 1234;
        let a = World::generate(3, 12);
        let b = World::generate_at(3, 12, WORLD_NOW + shift);
        for (x, y) in a.repos.iter().zip(&b.repos) {
            assert_eq!((x.id, &x.name, x.stars), (y.id, &y.name, y.stars));
            assert_eq!(x.created_at + shift, y.created_at);
            assert_eq!(x.pushed_at + shift, y.pushed_at);
            assert_eq!(x.updated_at + shift, y.updated_at);
            let (dx, dy) = (a.detail(x), b.detail(y));
            assert_eq!(dx.items.len(), dy.items.len());
            for (ix, iy) in dx.items.iter().zip(&dy.items) {
                assert_eq!(ix.created_at + shift, iy.created_at);
                assert_eq!(ix.updated_at + shift, iy.updated_at);
            }
            assert!(y.pushed_at <= WORLD_NOW + shift);
        }
    }

    #[test]
    fn generation_is_deterministic_per_seed() {
        let a = World::generate(7, 30);
        let b = World::generate(7, 30);
        let c = World::generate(8, 30);
        let ra = a.find("octo-org", "repo-0003").expect("repo");
        let rb = b.find("octo-org", "repo-0003").expect("repo");
        let rc = c.find("octo-org", "repo-0003").expect("repo");
        assert_eq!(ra.sha_at(7, 0), rb.sha_at(7, 0));
        assert_eq!(ra.description, rb.description);
        assert_ne!(ra.sha_at(7, 0), rc.sha_at(8, 0));
        assert_eq!(a.detail(&ra).items.len(), b.detail(&rb).items.len());
    }

    #[test]
    fn names_use_four_digits_then_more() {
        let w = World::generate(1, 12);
        assert!(w.find("octo-org", "repo-0011").is_some());
        let w = World::generate(1, 10_001);
        assert!(w.find("octo-org", "repo-10000").is_some());
        assert!(w.find("octo-org", "repo-00000").is_some());
    }

    #[test]
    fn push_moves_head_and_pushed_at() {
        let mut w = World::generate(1, 3);
        let before = w.find("octo-org", "repo-0001").expect("repo");
        let head0 = before.sha_at(1, before.total_commits() - 1);
        w.mutate(
            &Mutation::new("octo-org/repo-0001", MutationKind::Push).count(3),
            WORLD_NOW + 10,
        )
        .expect("push");
        let after = w.find("octo-org", "repo-0001").expect("repo");
        assert_eq!(after.total_commits(), before.total_commits() + 3);
        assert_ne!(after.sha_at(1, after.total_commits() - 1), head0);
        assert!(after.pushed_at > before.pushed_at);
        assert_eq!(after.version, before.version + 1);
    }

    #[test]
    fn force_push_rewrites_the_tip() {
        let mut w = World::generate(1, 3);
        let before = w.find("octo-org", "repo-0002").expect("repo");
        let n = before.total_commits();
        let old_tip = before.sha_at(1, n - 1);
        let old_prev = before.sha_at(1, n - 2);
        w.mutate(
            &Mutation::new("octo-org/repo-0002", MutationKind::ForcePush),
            WORLD_NOW + 5,
        )
        .expect("force push");
        let after = w.find("octo-org", "repo-0002").expect("repo");
        assert_eq!(after.total_commits(), n);
        assert_ne!(after.sha_at(1, n - 1), old_tip);
        assert_eq!(after.sha_at(1, n - 2), old_prev);
    }

    #[test]
    fn rename_keeps_id_and_remembers_old_name() {
        let mut w = World::generate(1, 3);
        let id = w.find("octo-org", "repo-0000").expect("repo").id;
        w.mutate(
            &Mutation::new("octo-org/repo-0000", MutationKind::Rename),
            WORLD_NOW,
        )
        .expect("rename");
        assert!(w.find("octo-org", "repo-0000").is_none());
        assert_eq!(
            w.find_renamed("octo-org", "repo-0000").expect("renamed").id,
            id
        );
        assert_eq!(w.find("octo-org", "repo-0000-renamed").expect("new").id, id);
    }

    #[test]
    fn node_ids_round_trip() {
        let id = node_id("R_kgDO", 100_042);
        assert_eq!(parse_node_id(&id), Some(("R_kgDO", 100_042)));
        assert_eq!(parse_node_id("garbage"), None);
    }
}
