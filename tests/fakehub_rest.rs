//! fakehub's REST side against real GitHub material: body shapes, octocrab decoding, pagination, ETags, rate headers, errors, redirects and mutations.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

mod fakehub_support;

use std::sync::Arc;

use fakehub_support::*;
use repodeck::fakehub::data::Repo;
use repodeck::fakehub::{FakehubConfig, Handle, Mutation, MutationKind};
use serde_json::{Value, json};

/// An org repo with plenty of everything, so list shapes can be compared in full.
fn rich_repo(h: &Handle) -> Arc<Repo> {
    let w = h.world();
    w.repos
        .iter()
        .filter(|r| r.owner == 0 && !r.hostile)
        .max_by_key(|r| {
            let d = w.detail(r);
            let labelled = d
                .items
                .iter()
                .filter(|i| !i.labels.is_empty())
                .count()
                .min(3);
            let prs = d.items.iter().filter(|i| i.is_pr && i.open).count().min(3);
            (
                d.releases.len().min(3) + labelled + prs + d.contributors.len().min(2),
                d.items.len(),
            )
        })
        .cloned()
        .expect("some repo")
}

fn assert_shape(what: &str, problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{what} differs from GitHub's shape:\n  {}",
        problems.join("\n  ")
    );
}

#[tokio::test]
async fn repository_bodies_have_githubs_shape_and_decode() {
    let h = start_default().await;
    let org = get(&h.url, "/repos/octo-org/repo-0001").await;
    assert_eq!(org.status, 200);
    let recorded = &fixture("recorded/get-repository.json")[0]["response"];
    assert_shape(
        "GET /repos (org)",
        shape_problems(&org.json(), recorded, &[]),
    );
    // A fork carries parent and source, like the OpenAPI example.
    let fork = get(&h.url, "/repos/octocat/repo-fork").await.json();
    // The example fork is org-owned; ours belongs to a user, and GitHub sends `organization` only for org repos.
    assert_shape(
        "GET /repos (fork)",
        shape_problems(
            &fork,
            &fixture("openapi/repos-get.json"),
            &[".organization"],
        ),
    );
    assert_eq!(fork["parent"]["full_name"], "octo-org/repo-0000");
    assert!(
        fork.get("organization").is_none(),
        "user repos have no organization"
    );
    let decoded: octocrab::models::Repository =
        serde_json::from_value(org.json()).expect("octocrab decodes the repo");
    assert_eq!(decoded.full_name.as_deref(), Some("octo-org/repo-0001"));
    // Anonymous callers get no permissions.
    let anon = get_with(&h.url, "/repos/octo-org/repo-0001", &[])
        .await
        .json();
    assert!(anon.get("permissions").is_none());
    assert!(org.json().get("permissions").is_some());
    h.shutdown().await;
}

#[tokio::test]
async fn list_and_detail_bodies_have_githubs_shape() {
    let h = start_default().await;
    let r = rich_repo(&h);
    let full = format!("octo-org/{}", r.name);
    let hook = admin_hook(&h, &full).await;
    assert_shape(
        "POST hooks",
        shape_problems(&hook, &fixture("openapi/repos-create-webhook.json"), &[]),
    );
    let head = get(&h.url, &format!("/repos/{full}/commits?per_page=1"))
        .await
        .json()[0]["sha"]
        .as_str()
        .expect("sha")
        .to_string();
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            format!("/repos/{full}/branches"),
            "openapi/repos-list-branches.json",
            vec![],
        ),
        (
            format!("/repos/{full}/branches/{}", r.default_branch),
            "openapi/repos-get-branch.json",
            vec![],
        ),
        (
            format!("/repos/{full}/commits"),
            "openapi/repos-list-commits.json",
            vec![],
        ),
        (
            format!("/repos/{full}/commits/{head}"),
            "openapi/repos-get-commit.json",
            vec![],
        ),
        (
            format!("/repos/{full}/pulls?state=all&per_page=100"),
            "openapi/pulls-list.json",
            vec![],
        ),
        (
            format!("/repos/{full}/issues?state=all&per_page=100"),
            "openapi/issues-list-for-repo.json",
            vec![],
        ),
        (
            format!("/repos/{full}/releases"),
            "openapi/repos-list-releases.json",
            vec![],
        ),
        (
            format!("/repos/{full}/releases/latest"),
            "openapi/repos-get-latest-release.json",
            vec![],
        ),
        (
            format!("/repos/{full}/tags"),
            "openapi/repos-list-tags.json",
            vec![],
        ),
        (
            format!("/repos/{full}/topics"),
            "openapi/repos-get-all-topics.json",
            vec![],
        ),
        (
            format!("/repos/{full}/contributors"),
            "openapi/repos-list-contributors.json",
            vec![],
        ),
        (
            format!("/repos/{full}/stats/participation"),
            "openapi/repos-get-participation-stats.json",
            vec![],
        ),
        (
            format!("/repos/{full}/stats/contributors"),
            "openapi/repos-get-contributors-stats.json",
            vec![],
        ),
        (
            format!("/repos/{full}/events"),
            "openapi/activity-list-repo-events.json",
            vec![],
        ),
        (
            format!("/repos/{full}/hooks"),
            "openapi/repos-list-webhooks.json",
            vec![],
        ),
        (
            "/user".into(),
            "openapi/users-get-authenticated.json",
            vec![],
        ),
        (
            "/user/repos?per_page=100".into(),
            "openapi/repos-list-for-authenticated-user.json",
            vec![],
        ),
        (
            "/orgs/octo-org/repos?per_page=100".into(),
            "openapi/repos-list-for-org.json",
            vec![],
        ),
        // `master_branch` is a legacy key of the OpenAPI example that api.github.com no longer sends.
        (
            "/search/repositories?q=org:octo-org".into(),
            "openapi/search-repos.json",
            vec![".items[].master_branch"],
        ),
        ("/rate_limit".into(), "openapi/rate-limit-get.json", vec![]),
    ];
    for (path, fx, ignore) in cases {
        let resp = get(&h.url, &path).await;
        assert_eq!(resp.status, 200, "{path}");
        let ours = resp.json();
        let real = fixture(fx);
        let ignore_refs: Vec<&str> = ignore.clone();
        // Only pull requests carry `pull_request` in the issues list.
        let problems = if real.is_array() {
            list_problems_with_optional(&ours, &real, &ignore_refs, &["pull_request"])
        } else {
            shape_problems(&ours, &real, &ignore_refs)
        };
        assert_shape(&path, problems);
    }
    // Languages: an object of byte counts, like the example.
    let langs = get(&h.url, &format!("/repos/{full}/languages"))
        .await
        .json();
    assert!(
        langs
            .as_object()
            .is_some_and(|m| !m.is_empty() && m.values().all(Value::is_u64)),
        "{langs}"
    );
    h.shutdown().await;
}

async fn admin_hook(h: &Handle, full: &str) -> Value {
    let body = json!({"name": "web", "active": true, "events": ["push"], "config": {"url": "http://127.0.0.1:9/hook", "content_type": "json"}});
    let b = serde_json::to_vec(&body).expect("json");
    let auth = format!("Bearer {TOKEN}");
    let resp = request(
        &h.url,
        "POST",
        &format!("/repos/{full}/hooks"),
        &[("Authorization", &auth)],
        Some(&b),
    )
    .await
    .expect("answered");
    assert_eq!(resp.status, 201);
    resp.json()
}

#[tokio::test]
async fn octocrab_models_decode_every_list() {
    let h = start_default().await;
    let r = rich_repo(&h);
    let full = format!("octo-org/{}", r.name);
    let j = |p: String| {
        let url = h.url.clone();
        async move { get(&url, &p).await.json() }
    };
    let _: Vec<octocrab::models::issues::Issue> =
        serde_json::from_value(j(format!("/repos/{full}/issues?state=all&per_page=100")).await)
            .expect("issues");
    let _: Vec<octocrab::models::pulls::PullRequest> =
        serde_json::from_value(j(format!("/repos/{full}/pulls?state=all&per_page=100")).await)
            .expect("pulls");
    let _: Vec<octocrab::models::repos::Release> =
        serde_json::from_value(j(format!("/repos/{full}/releases")).await).expect("releases");
    let _: Vec<octocrab::models::repos::RepoCommit> =
        serde_json::from_value(j(format!("/repos/{full}/commits")).await).expect("commits");
    let commits: Vec<Value> =
        serde_json::from_value(j(format!("/repos/{full}/commits")).await).expect("list");
    let sha = commits[0]["sha"].as_str().expect("sha");
    let _: octocrab::models::repos::RepoCommit =
        serde_json::from_value(j(format!("/repos/{full}/commits/{sha}")).await).expect("commit");
    let _: Vec<octocrab::models::repos::Branch> =
        serde_json::from_value(j(format!("/repos/{full}/branches")).await).expect("branches");
    let _: Vec<octocrab::models::events::Event> =
        serde_json::from_value(j(format!("/repos/{full}/events")).await).expect("events");
    let _: Vec<octocrab::models::Contributor> =
        serde_json::from_value(j(format!("/repos/{full}/contributors")).await)
            .expect("contributors");
    let _: Vec<octocrab::models::Repository> =
        serde_json::from_value(j("/orgs/octo-org/repos?per_page=100".into()).await)
            .expect("org repos");
    let found = j("/search/repositories?q=org:octo-org".into()).await;
    let _: Vec<octocrab::models::Repository> =
        serde_json::from_value(found["items"].clone()).expect("search items");
    let _: octocrab::models::Author =
        serde_json::from_value(j("/user".into()).await).expect("user");
    let _: octocrab::models::RateLimit =
        serde_json::from_value(j("/rate_limit".into()).await).expect("rate limit");
    h.shutdown().await;
}

fn rels(link: &str) -> Vec<(String, String)> {
    link.split(", ")
        .map(|part| {
            let (url, rel) = part.split_once("; ").expect("url; rel");
            (
                url.trim_matches(['<', '>']).to_string(),
                rel.trim_start_matches("rel=").trim_matches('"').to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn pagination_link_headers_match_the_recording() {
    let h = start_default().await;
    let w = h.world();
    let r = w
        .repos
        .iter()
        .filter(|r| r.owner == 0)
        .max_by_key(|r| w.detail(r).items.iter().filter(|i| i.open).count())
        .cloned()
        .expect("repo");
    let open = w.detail(&r).items.iter().filter(|i| i.open).count();
    assert!(
        open >= 7,
        "need a repo with >= 7 open issues, best has {open}"
    );
    let pages = open.div_ceil(3);
    let recorded = fixture("recorded/paginate-issues.json");
    let recorded_rels = |i: usize| -> Vec<String> {
        rels(recorded[i]["headers"]["link"].as_str().expect("link"))
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    };
    let base = format!("{}/repositories/{}/issues", h.url, r.id);
    // first page: next, last
    let p1 = get(
        &h.url,
        &format!("/repos/octo-org/{}/issues?per_page=3", r.name),
    )
    .await;
    let l1 = rels(p1.header("link").expect("Link on page 1"));
    assert_eq!(
        l1.iter().map(|x| x.1.clone()).collect::<Vec<_>>(),
        recorded_rels(0)
    );
    assert_eq!(l1[0].0, format!("{base}?per_page=3&page=2"));
    assert_eq!(l1[1].0, format!("{base}?per_page=3&page={pages}"));
    // a middle page through the /repositories/{id} URL: prev, next, last, first
    let p2 = get(
        &h.url,
        &format!("/repositories/{}/issues?per_page=3&page=2", r.id),
    )
    .await;
    let l2 = rels(p2.header("link").expect("Link on page 2"));
    if pages > 2 {
        assert_eq!(
            l2.iter().map(|x| x.1.clone()).collect::<Vec<_>>(),
            recorded_rels(1)
        );
    }
    assert_eq!(l2[0].0, format!("{base}?per_page=3&page=1"));
    // the last page: prev, first
    let pl = get(
        &h.url,
        &format!("/repositories/{}/issues?per_page=3&page={pages}", r.id),
    )
    .await;
    let ll = rels(pl.header("link").expect("Link on last page"));
    assert_eq!(
        ll.iter().map(|x| x.1.clone()).collect::<Vec<_>>(),
        recorded_rels(4)
    );
    // pages partition the list
    let mut seen = Vec::new();
    for p in 1..=pages {
        let items = get(
            &h.url,
            &format!("/repositories/{}/issues?per_page=3&page={p}", r.id),
        )
        .await
        .json();
        seen.extend(
            items
                .as_array()
                .expect("array")
                .iter()
                .map(|i| i["number"].as_u64().expect("number")),
        );
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), open);
    // a single page has no Link; per_page is capped at 100
    let single = get(
        &h.url,
        &format!("/repos/octo-org/{}/issues?per_page=100", r.name),
    )
    .await;
    assert!(single.header("link").is_none());
    let big = get(&h.url, "/orgs/octo-org/repos?per_page=500").await;
    assert_eq!(big.json().as_array().map(Vec::len), Some(31));
    let small = get(&h.url, "/orgs/octo-org/repos").await;
    assert_eq!(
        small.json().as_array().map(Vec::len),
        Some(30),
        "default per_page is 30"
    );
    let org_link = rels(small.header("link").expect("31 repos need 2 pages"));
    assert_eq!(
        org_link[0].0,
        format!("{}/organizations/9919000/repos?page=2", h.url)
    );
    h.shutdown().await;
}

#[tokio::test]
async fn etag_304_costs_nothing_and_tracks_token_and_resource() {
    let h = start(FakehubConfig {
        repos: 5,
        tokens: vec![TOKEN.into(), "other-token".into()],
        ..FakehubConfig::default()
    })
    .await;
    let a = get(&h.url, "/repos/octo-org/repo-0001").await;
    let etag = a.header("etag").expect("etag").to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    assert_eq!(a.num("x-ratelimit-used"), 1);
    let auth = format!("Bearer {TOKEN}");
    let b = get_with(
        &h.url,
        "/repos/octo-org/repo-0001",
        &[("Authorization", &auth), ("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(b.status, 304);
    assert!(b.body.is_empty());
    assert_eq!(b.num("x-ratelimit-used"), 1, "a 304 is free");
    let c = get(&h.url, "/repos/octo-org/repo-0002").await;
    assert_eq!(c.num("x-ratelimit-used"), 2);
    // another token sees another ETag
    let other = get_with(
        &h.url,
        "/repos/octo-org/repo-0001",
        &[("Authorization", "token other-token")],
    )
    .await;
    assert_ne!(other.header("etag"), Some(etag.as_str()));
    // a change changes the ETag
    h.mutate(Mutation::new("octo-org/repo-0001", MutationKind::Star))
        .expect("star");
    let d = get_with(
        &h.url,
        "/repos/octo-org/repo-0001",
        &[("Authorization", &auth), ("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(d.status, 200);
    assert_ne!(d.header("etag"), Some(etag.as_str()));
    let s = h.stats();
    assert_eq!(s.not_modified, 1);
    assert_eq!(s.requests, 5);
    assert_eq!(s.points.core, 4);
    assert_eq!(s.status(304), 1);
    h.shutdown().await;
}

#[tokio::test]
async fn rate_headers_per_bucket() {
    let h = start_default().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let r = get(&h.url, "/repos/octo-org/repo-0003").await;
    assert_eq!(r.header("x-ratelimit-resource"), Some("core"));
    assert_eq!(r.num("x-ratelimit-limit"), 5000);
    assert_eq!(
        r.num("x-ratelimit-remaining") + r.num("x-ratelimit-used"),
        5000
    );
    let reset = r.num("x-ratelimit-reset");
    assert!(
        reset > now && reset <= now + 3601,
        "reset {reset} is epoch seconds within the hour"
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(r.header("x-github-request-id").is_some());
    assert_eq!(
        r.header("x-github-media-type"),
        Some("github.v3; format=json")
    );
    let s = get(&h.url, "/search/repositories?q=rust").await;
    assert_eq!(s.header("x-ratelimit-resource"), Some("search"));
    assert_eq!(s.num("x-ratelimit-limit"), 30);
    assert_eq!(s.num("x-ratelimit-used"), 1);
    assert!(s.num("x-ratelimit-reset") <= now + 61);
    let g = graphql(&h.url, "query { viewer { login } }").await;
    assert_eq!(g.header("x-ratelimit-resource"), Some("graphql"));
    assert_eq!(g.num("x-ratelimit-used"), 1);
    let anon = get_with(&h.url, "/repos/octo-org/repo-0003", &[]).await;
    assert_eq!(anon.num("x-ratelimit-limit"), 60);
    // /rate_limit itself is free
    let rl = get(&h.url, "/rate_limit").await;
    assert_eq!(rl.json()["resources"]["core"]["used"], 1);
    assert_eq!(
        get(&h.url, "/rate_limit").await.json()["resources"]["core"]["used"],
        1
    );
    h.shutdown().await;
}

#[tokio::test]
async fn auth_errors_and_primary_exhaustion() {
    let h = start(FakehubConfig {
        repos: 3,
        tokens: vec![TOKEN.into()],
        core_limit: 3,
        anonymous_core_limit: 2,
        ..FakehubConfig::default()
    })
    .await;
    let bad = get_with(
        &h.url,
        "/repos/octo-org/repo-0001",
        &[("Authorization", "Bearer nope")],
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.json(),
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    );
    let nf = get(&h.url, "/no/such/route").await;
    assert_eq!(nf.status, 404);
    assert_eq!(
        nf.json(),
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
    );
    for _ in 0..2 {
        assert_eq!(get(&h.url, "/repos/octo-org/repo-0001").await.status, 200);
    }
    let over = get(&h.url, "/repos/octo-org/repo-0001").await;
    assert_eq!(over.status, 403);
    assert_eq!(over.num("x-ratelimit-remaining"), 0);
    assert!(
        over.json()["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("API rate limit exceeded for user ID"))
    );
    for _ in 0..2 {
        assert_eq!(
            get_with(&h.url, "/repos/octo-org/repo-0001", &[])
                .await
                .status,
            200
        );
    }
    let anon = get_with(&h.url, "/repos/octo-org/repo-0001", &[]).await;
    assert_eq!(anon.status, 403);
    assert!(
        anon.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("Authenticated requests get a higher rate limit"))
    );
    assert_eq!(h.stats().primary_limit_hits, 2);
    h.shutdown().await;
}

#[tokio::test]
async fn rename_redirects_and_delete_is_gone() {
    let h = start_default().await;
    let id = h.world().find("octo-org", "repo-0004").expect("repo").id;
    h.mutate(Mutation {
        to: Some("shiny".into()),
        ..Mutation::new("octo-org/repo-0004", MutationKind::Rename)
    })
    .expect("rename");
    let old = get(&h.url, "/repos/octo-org/repo-0004").await;
    assert_eq!(old.status, 301);
    let loc = format!("{}/repositories/{id}", h.url);
    assert_eq!(old.header("location"), Some(loc.as_str()));
    assert_eq!(
        old.json(),
        json!({"message": "Moved Permanently", "url": loc, "documentation_url": "https://docs.github.com/v3/#http-redirects"})
    );
    let sub = get(&h.url, "/repos/octo-org/repo-0004/issues?state=all").await;
    assert_eq!(
        sub.header("location"),
        Some(format!("{loc}/issues?state=all").as_str())
    );
    let moved = get(&h.url, &format!("/repositories/{id}")).await.json();
    assert_eq!(moved["full_name"], "octo-org/shiny");
    assert_eq!(moved["id"], id);
    h.mutate(Mutation::new("octo-org/shiny", MutationKind::Delete))
        .expect("delete");
    assert_eq!(get(&h.url, "/repos/octo-org/shiny").await.status, 404);
    assert_eq!(
        get(&h.url, &format!("/repositories/{id}")).await.status,
        404
    );
    h.shutdown().await;
}

#[tokio::test]
async fn mutations_show_up_like_on_github() {
    let h = start_default().await;
    let repo = "/repos/octo-org/repo-0002";
    let before = get(&h.url, repo).await.json();
    let head_before = get(&h.url, &format!("{repo}/commits?per_page=1"))
        .await
        .json()[0]["sha"]
        .clone();
    let events_before = get(&h.url, &format!("{repo}/events")).await.json()[0]["id"].clone();
    let applied = admin(
        &h.url,
        "POST",
        "/_fakehub/mutate",
        &json!({"repo": "octo-org/repo-0002", "kind": "push", "count": 3}),
    )
    .await;
    assert_eq!(
        applied.status,
        200,
        "{}",
        String::from_utf8_lossy(&applied.body)
    );
    let after = get(&h.url, repo).await.json();
    assert!(after["pushed_at"].as_str() > before["pushed_at"].as_str());
    let commits = get(&h.url, &format!("{repo}/commits?per_page=4"))
        .await
        .json();
    assert_ne!(commits[0]["sha"], head_before);
    assert_eq!(
        commits[3]["sha"], head_before,
        "three new commits on top of the old head"
    );
    assert_eq!(commits[0]["parents"][0]["sha"], commits[1]["sha"]);
    let ev = get(&h.url, &format!("{repo}/events")).await.json();
    assert_eq!(ev[0]["type"], "PushEvent");
    assert_ne!(ev[0]["id"], events_before);
    assert_eq!(ev[0]["payload"]["head"], commits[0]["sha"]);
    // stars, releases, PRs, issues, topics, archive, default branch
    let stars = after["stargazers_count"].as_u64().expect("stars");
    h.mutate(Mutation::new("octo-org/repo-0002", MutationKind::Star).count(2))
        .expect("star");
    assert_eq!(
        get(&h.url, repo).await.json()["stargazers_count"].as_u64(),
        Some(stars + 2)
    );
    h.mutate(Mutation::new("octo-org/repo-0002", MutationKind::Release))
        .expect("release");
    let latest = get(&h.url, &format!("{repo}/releases/latest")).await.json();
    assert_eq!(
        get(&h.url, &format!("{repo}/releases")).await.json()[0]["tag_name"],
        latest["tag_name"]
    );
    let open_prs = get(&h.url, &format!("{repo}/pulls?per_page=100"))
        .await
        .json()
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    h.mutate(Mutation::new("octo-org/repo-0002", MutationKind::OpenPr))
        .expect("open pr");
    assert_eq!(
        get(&h.url, &format!("{repo}/pulls?per_page=100"))
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(open_prs + 1)
    );
    let open_issues = get(&h.url, repo).await.json()["open_issues_count"]
        .as_u64()
        .expect("count");
    h.mutate(Mutation::new("octo-org/repo-0002", MutationKind::OpenIssue))
        .expect("open issue");
    assert_eq!(
        get(&h.url, repo).await.json()["open_issues_count"].as_u64(),
        Some(open_issues + 1)
    );
    h.mutate(Mutation::new(
        "octo-org/repo-0002",
        MutationKind::CloseIssue,
    ))
    .expect("close issue");
    h.mutate(Mutation::new(
        "octo-org/repo-0002",
        MutationKind::EditTopics,
    ))
    .expect("topics");
    let topics = get(&h.url, &format!("{repo}/topics")).await.json();
    assert!(
        topics["names"][0]
            .as_str()
            .is_some_and(|t| t.starts_with("topic-"))
    );
    h.mutate(Mutation::new("octo-org/repo-0002", MutationKind::Archive))
        .expect("archive");
    assert_eq!(get(&h.url, repo).await.json()["archived"], true);
    let default = get(&h.url, repo).await.json()["default_branch"].clone();
    h.mutate(Mutation::new(
        "octo-org/repo-0002",
        MutationKind::DefaultBranch,
    ))
    .expect("default branch");
    assert_ne!(get(&h.url, repo).await.json()["default_branch"], default);
    let bad = admin(
        &h.url,
        "POST",
        "/_fakehub/mutate",
        &json!({"repo": "octo-org/none", "kind": "push"}),
    )
    .await;
    assert_eq!(bad.status, 404);
    let bad_kind = admin(
        &h.url,
        "POST",
        "/_fakehub/mutate",
        &json!({"repo": "octo-org/repo-0001", "kind": "explode"}),
    )
    .await;
    assert_eq!(bad_kind.status, 422);
    // admin calls are not counted
    let st = admin(&h.url, "GET", "/_fakehub/stats", &json!({}))
        .await
        .json();
    assert!(
        st["by_route"]
            .as_object()
            .is_some_and(|m| m.keys().all(|k| !k.contains("_fakehub")))
    );
    for k in [
        "requests",
        "by_route",
        "by_status",
        "not_modified",
        "points",
        "points_by_token",
        "max_in_flight",
        "secondary_limit_hits",
        "graphql_queries",
        "graphql_cost",
    ] {
        assert!(st.get(k).is_some(), "stats lack {k}");
    }
    assert!(
        st["points"]
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_number))
    );
    assert!(
        !serde_json::to_string(&st)
            .unwrap_or_default()
            .contains(TOKEN),
        "stats never show the token"
    );
    h.shutdown().await;
}

#[tokio::test]
async fn hostile_strings_travel_intact() {
    let h = start_default().await;
    let r = get(&h.url, "/repos/octo-org/zz-hostile").await.json();
    let d = r["description"].as_str().expect("description");
    for needle in [
        "\u{1b}[31m",
        "\u{1b}]52;",
        "\u{202e}",
        "\u{0}",
        "\u{7f}",
        "\u{9b}",
    ] {
        assert!(d.contains(needle), "description lacks {needle:?}");
    }
    assert!(
        d.split(' ').any(|w| w.len() >= 10_000),
        "a 10,000-character line"
    );
    let commits = get(&h.url, "/repos/octo-org/zz-hostile/commits?per_page=5")
        .await
        .json();
    assert!(
        commits[0]["commit"]["message"]
            .as_str()
            .is_some_and(|m| m.chars().any(char::is_control))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn the_binary_prints_its_address_and_refuses_other_interfaces() {
    let out = assert_cmd::Command::cargo_bin("fakehub")
        .expect("binary")
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    let out = assert_cmd::Command::cargo_bin("fakehub")
        .expect("binary")
        .args(["--listen", "192.168.1.1:8080"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
