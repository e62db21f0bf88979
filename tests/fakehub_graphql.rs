//! fakehub's GraphQL against GitHub's schema and the contract queries: schema subset, aliases with NOT_FOUND, nodes, cost, rate limiting, timeouts and mutations.
#![expect(
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on a broken setup"
)]

mod fakehub_support;

use std::collections::BTreeMap;
use std::time::Duration;

use async_graphql_parser::types::{ServiceDocument, TypeKind, TypeSystemDefinition};
use fakehub_support::*;
use repodeck::fakehub::{FakehubConfig, Mutation, MutationKind, graphql};
// The fragments and rate-limit selection the client sends: fakehub is tested on exactly those.
use repodeck::github::graphql::{
    DETAIL_FRAGMENT as DETAIL, PROBE_FRAGMENT as PROBE, RATE_LIMIT as RATE,
};
use serde_json::{Value, json};

#[derive(Debug, Default)]
struct TypeInfo {
    kind: String,
    fields: BTreeMap<String, (String, BTreeMap<String, String>)>,
    values: Vec<String>,
    members: Vec<String>,
    implements: Vec<String>,
}

fn index(doc: &ServiceDocument) -> BTreeMap<String, TypeInfo> {
    let mut out = BTreeMap::new();
    for def in &doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = &t.node;
        let mut info = TypeInfo::default();
        let args = |a: &Vec<
            async_graphql_parser::Positioned<async_graphql_parser::types::InputValueDefinition>,
        >| {
            a.iter()
                .map(|v| (v.node.name.node.to_string(), v.node.ty.node.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        match &t.kind {
            TypeKind::Object(o) => {
                info.kind = "object".into();
                info.implements = o.implements.iter().map(|i| i.node.to_string()).collect();
                for f in &o.fields {
                    info.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), args(&f.node.arguments)),
                    );
                }
            }
            TypeKind::Interface(o) => {
                info.kind = "interface".into();
                info.implements = o.implements.iter().map(|i| i.node.to_string()).collect();
                for f in &o.fields {
                    info.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), args(&f.node.arguments)),
                    );
                }
            }
            TypeKind::InputObject(o) => {
                info.kind = "input".into();
                for f in &o.fields {
                    info.fields.insert(
                        f.node.name.node.to_string(),
                        (f.node.ty.node.to_string(), BTreeMap::new()),
                    );
                }
            }
            TypeKind::Enum(e) => {
                info.kind = "enum".into();
                info.values = e
                    .values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect();
            }
            TypeKind::Union(u) => {
                info.kind = "union".into();
                info.members = u.members.iter().map(|m| m.node.to_string()).collect();
            }
            TypeKind::Scalar => info.kind = "scalar".into(),
        }
        out.insert(t.name.node.to_string(), info);
    }
    out
}

#[test]
fn our_schema_is_a_strict_subset_of_githubs() {
    let theirs_sdl = std::fs::read_to_string(fixture_dir().join("graphql/schema.graphql"))
        .expect("GitHub schema");
    let theirs =
        index(&async_graphql_parser::parse_schema(&theirs_sdl).expect("GitHub's SDL parses"));
    let ours_sdl = graphql::sdl();
    let ours = index(&async_graphql_parser::parse_schema(&ours_sdl).expect("our SDL parses"));
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let mut problems = Vec::new();
    for (name, o) in &ours {
        if builtin.contains(&name.as_str()) {
            continue;
        }
        let Some(t) = theirs.get(name) else {
            problems.push(format!("type {name} is not in GitHub's schema"));
            continue;
        };
        if t.kind != o.kind {
            problems.push(format!(
                "{name} is a {} here, a {} on GitHub",
                o.kind, t.kind
            ));
        }
        for (f, (ty, args)) in &o.fields {
            match t.fields.get(f) {
                None => problems.push(format!("{name}.{f} is not on GitHub")),
                Some((gty, gargs)) => {
                    if gty != ty {
                        problems.push(format!("{name}.{f}: {ty} here, {gty} on GitHub"));
                    }
                    for (a, aty) in args {
                        match gargs.get(a) {
                            None => problems.push(format!("{name}.{f}({a}) is not on GitHub")),
                            Some(g) if g != aty => {
                                problems.push(format!("{name}.{f}({a}): {aty} here, {g} on GitHub"))
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        for v in &o.values {
            if !t.values.contains(v) {
                problems.push(format!("enum {name} value {v} is not on GitHub"));
            }
        }
        for m in &o.members {
            if !t.members.contains(m) {
                problems.push(format!("union {name} member {m} is not on GitHub"));
            }
        }
        for i in &o.implements {
            if !t.implements.contains(i) {
                problems.push(format!("{name} implements {i} here, not on GitHub"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "schema drift:\n  {}",
        problems.join("\n  ")
    );
    for required in [
        "Query",
        "Repository",
        "Commit",
        "Ref",
        "PullRequest",
        "Issue",
        "Release",
        "RateLimit",
        "Node",
        "SearchResultItem",
    ] {
        assert!(ours.contains_key(required), "our schema lacks {required}");
    }
    assert!(ours["Repository"].fields.len() >= 30);
}

fn probe_query(names: &[&str]) -> String {
    let mut q = String::from("query {");
    for (i, n) in names.iter().enumerate() {
        let (o, r) = n.split_once('/').expect("owner/name");
        q.push_str(&format!(
            " r{i}: repository(owner: \"{o}\", name: \"{r}\") {{ ...Probe }}"
        ));
    }
    q.push_str(&format!(" {RATE} }} {PROBE}"));
    q
}

#[tokio::test]
async fn aliases_not_found_and_cost() {
    let h = start(FakehubConfig {
        repos: 120,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await;
    let resp = graphql(
        &h.url,
        &probe_query(&["octo-org/repo-0001", "octo-org/nope", "octocat/Hello-World"]),
    )
    .await;
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(v["data"]["r0"]["nameWithOwner"], "octo-org/repo-0001");
    assert!(v["data"]["r1"].is_null());
    assert_eq!(v["data"]["r2"]["nameWithOwner"], "octocat/Hello-World");
    let errs = v["errors"].as_array().expect("errors");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0]["type"], "NOT_FOUND");
    assert_eq!(errs[0]["path"], json!(["r1"]));
    assert_eq!(
        errs[0]["message"],
        "Could not resolve to a Repository with the name 'octo-org/nope'."
    );
    assert!(errs[0]["locations"][0]["line"].is_number());
    assert!(errs[0].get("extensions").is_none());
    assert_eq!(v["data"]["rateLimit"]["cost"], 1);
    assert_eq!(v["data"]["rateLimit"]["used"], 1);
    assert_eq!(v["data"]["rateLimit"]["limit"], 5000);
    // REST and GraphQL agree on ids and the head commit.
    let rest = get(&h.url, "/repos/octo-org/repo-0001").await.json();
    assert_eq!(v["data"]["r0"]["id"], rest["node_id"]);
    assert_eq!(v["data"]["r0"]["databaseId"], rest["id"]);
    let head = get(&h.url, "/repos/octo-org/repo-0001/commits?per_page=1")
        .await
        .json()[0]["sha"]
        .clone();
    assert_eq!(v["data"]["r0"]["defaultBranchRef"]["target"]["oid"], head);
    // 100 aliases x 2 connections = 200 requests -> cost 2
    let names: Vec<String> = (0..100).map(|i| format!("octo-org/repo-{i:04}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let v = graphql(&h.url, &probe_query(&refs)).await.json();
    assert!(v.get("errors").is_none(), "{}", v["errors"]);
    assert_eq!(v["data"]["rateLimit"]["cost"], 2);
    assert_eq!(v["data"]["rateLimit"]["used"], 3);
    let st = h.stats();
    assert_eq!(st.graphql_queries, 2);
    assert_eq!(st.graphql_cost, 3);
    assert_eq!(st.points.graphql, 3);
    h.shutdown().await;
}

#[tokio::test]
async fn nodes_probe_and_detail_fetch() {
    let h = start(FakehubConfig {
        repos: 30,
        tokens: vec![TOKEN.into()],
        ..FakehubConfig::default()
    })
    .await;
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            get(&h.url, &format!("/repos/octo-org/repo-{i:04}"))
                .await
                .json()["node_id"]
                .as_str()
                .expect("node_id")
                .to_string(),
        );
    }
    ids.insert(3, "R_kgDOAAAAAAAAAAA".into());
    let list = ids
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let q = format!(
        "query {{ nodes(ids: [{list}]) {{ ... on Repository {{ ...Probe }} }} {RATE} }} {PROBE}"
    );
    let v = graphql(&h.url, &q).await.json();
    let nodes = v["data"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 26);
    assert!(nodes[3].is_null());
    assert_eq!(nodes[4]["nameWithOwner"], "octo-org/repo-0003", "{v}");
    assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
    assert_eq!(v["errors"][0]["path"], json!(["nodes", 3]));
    // 25 repos x 2 connections = 50 -> cost 1
    assert_eq!(v["data"]["rateLimit"]["cost"], 1);
    // The detail fetch, by nodes and by aliases
    let q = format!(
        "query {{ nodes(ids: [{list}]) {{ ... on Repository {{ ...Detail }} }} {RATE} }} {DETAIL}"
    );
    let v = graphql(&h.url, &q).await.json();
    let errs = v["errors"].as_array().expect("one NOT_FOUND");
    assert_eq!(errs.len(), 1, "{errs:?}");
    let d = &v["data"]["nodes"][1];
    assert_eq!(d["nameWithOwner"], "octo-org/repo-0001");
    // 26 ids x 10 connections = 260 -> cost 3 (24 ids: 240 -> 2, the client's largest batch)
    assert_eq!(v["data"]["rateLimit"]["cost"], 3);
    let rest_prs = get(&h.url, "/repos/octo-org/repo-0001/pulls?per_page=100")
        .await
        .json();
    assert_eq!(
        d["pullRequests"]["totalCount"].as_u64(),
        rest_prs.as_array().map(|a| a.len() as u64)
    );
    let rest_commits = get(&h.url, "/repos/octo-org/repo-0001/commits?per_page=30")
        .await
        .json();
    let history = d["defaultBranchRef"]["target"]["history"]["nodes"]
        .as_array()
        .expect("history");
    assert_eq!(
        history.len(),
        rest_commits.as_array().map(Vec::len).unwrap_or(0)
    );
    assert_eq!(history[1]["oid"], rest_commits[1]["sha"]);
    assert_eq!(
        d["defaultBranchRef"]["target"]["parents"]["nodes"][0]["oid"],
        rest_commits[1]["sha"]
    );
    let rest_branches = get(&h.url, "/repos/octo-org/repo-0001/branches")
        .await
        .json();
    assert_eq!(
        d["refs"]["totalCount"].as_u64(),
        rest_branches.as_array().map(|a| a.len() as u64)
    );
    let q = format!(
        "query {{ r0: repository(owner: \"octo-org\", name: \"repo-0001\") {{ ...Detail }} {RATE} }} {DETAIL}"
    );
    let v2 = graphql(&h.url, &q).await.json();
    assert!(v2.get("errors").is_none(), "{}", v2["errors"]);
    assert_eq!(v2["data"]["r0"]["refs"], d["refs"]);
    h.shutdown().await;
}

#[tokio::test]
async fn history_pagination_search_viewer_and_limits() {
    let h = start_default().await;
    let q = "query { repository(owner: \"octo-org\", name: \"repo-0002\") { defaultBranchRef { target { ... on Commit { history(first: 5) { totalCount pageInfo { hasNextPage endCursor } nodes { oid } } } } } } }";
    let v = graphql(&h.url, q).await.json();
    let hist = &v["data"]["repository"]["defaultBranchRef"]["target"]["history"];
    assert_eq!(hist["pageInfo"]["hasNextPage"], true);
    let cursor = hist["pageInfo"]["endCursor"].as_str().expect("cursor");
    let q2 = format!(
        "query {{ repository(owner: \"octo-org\", name: \"repo-0002\") {{ defaultBranchRef {{ target {{ ... on Commit {{ history(first: 5, after: \"{cursor}\") {{ nodes {{ oid }} }} }} }} }} }} }}"
    );
    let v2 = graphql(&h.url, &q2).await.json();
    let rest = get(&h.url, "/repos/octo-org/repo-0002/commits?per_page=10")
        .await
        .json();
    assert_eq!(
        v2["data"]["repository"]["defaultBranchRef"]["target"]["history"]["nodes"][0]["oid"],
        rest[5]["sha"]
    );
    let s = graphql(&h.url, "query { search(query: \"org:octo-org\", type: REPOSITORY, first: 5) { repositoryCount nodes { ... on Repository { nameWithOwner } } } viewer { login } }").await.json();
    assert_eq!(s["data"]["search"]["repositoryCount"], 31);
    assert_eq!(
        s["data"]["search"]["nodes"].as_array().map(Vec::len),
        Some(5)
    );
    assert_eq!(s["data"]["viewer"]["login"], "octocat");
    let e = graphql(&h.url, "query { repository(owner: \"octo-org\", name: \"repo-0002\") { issues(first: 101) { nodes { number } } } }").await.json();
    assert_eq!(e["errors"][0]["type"], "EXCESSIVE_PAGINATION");
    let e = graphql(&h.url, "query { repository(owner: \"octo-org\", name: \"repo-0002\") { issues { nodes { number } } } }").await.json();
    assert_eq!(e["errors"][0]["type"], "MISSING_PAGINATION_BOUNDARIES");
    let e = graphql(
        &h.url,
        "query { repository(owner: \"octo-org\", name: \"repo-0002\") { noSuchField } }",
    )
    .await
    .json();
    assert!(
        e["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("noSuchField"))
    );
    h.shutdown().await;
}

#[tokio::test]
async fn auth_rate_limited_and_timeouts() {
    let h = start(FakehubConfig {
        repos: 5,
        tokens: vec![TOKEN.into()],
        graphql_limit: 2,
        graphql_ms_per_node: 50.0,
        graphql_timeout: Duration::from_millis(300),
        ..FakehubConfig::default()
    })
    .await;
    let body = serde_json::to_vec(&json!({"query": "query { viewer { login } }"})).expect("json");
    let anon = request(&h.url, "POST", "/graphql", &[], Some(&body))
        .await
        .expect("answered");
    assert_eq!(anon.status, 401);
    let bad = request(
        &h.url,
        "POST",
        "/graphql",
        &[("Authorization", "bearer wrong")],
        Some(&body),
    )
    .await
    .expect("answered");
    assert_eq!(bad.status, 401);
    assert_eq!(bad.json()["message"], "Bad credentials");
    // 1 node x 50 ms: fine
    let ok = graphql(&h.url, "query { viewer { login } }").await;
    assert_eq!(ok.status, 200);
    // 30 nodes x 50 ms = 1.5 s > the 300 ms cut-off: 502, and the point is still charged
    let started = std::time::Instant::now();
    let slow = graphql(&h.url, "query { repository(owner: \"octo-org\", name: \"repo-0001\") { defaultBranchRef { target { ... on Commit { history(first: 30) { nodes { oid } } } } } } }").await;
    assert_eq!(slow.status, 502);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(slow.json()["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with("Something went wrong while executing your query. This may be the result of a timeout")));
    assert_eq!(h.stats().points.graphql, 2);
    let limited = graphql(&h.url, "query { viewer { login } }").await;
    assert_eq!(limited.status, 200);
    let v = limited.json();
    assert!(v["data"].is_null());
    assert_eq!(v["errors"][0]["type"], "RATE_LIMITED");
    assert_eq!(limited.num("x-ratelimit-remaining"), 0);
    h.shutdown().await;
}

#[tokio::test]
async fn mutations_are_visible_in_graphql() {
    let h = start_default().await;
    let q = probe_query(&["octo-org/repo-0005"]);
    let before = graphql(&h.url, &q).await.json()["data"]["r0"].clone();
    for kind in [
        MutationKind::Push,
        MutationKind::Star,
        MutationKind::Release,
        MutationKind::OpenPr,
        MutationKind::OpenIssue,
    ] {
        h.mutate(Mutation::new("octo-org/repo-0005", kind))
            .expect("mutation applies");
    }
    let after = graphql(&h.url, &q).await.json()["data"]["r0"].clone();
    assert_ne!(
        after["defaultBranchRef"]["target"]["oid"],
        before["defaultBranchRef"]["target"]["oid"]
    );
    assert!(after["pushedAt"].as_str() > before["pushedAt"].as_str());
    assert_eq!(
        after["stargazerCount"].as_i64(),
        before["stargazerCount"].as_i64().map(|s| s + 1)
    );
    assert_ne!(after["latestRelease"], before["latestRelease"]);
    assert_eq!(
        after["pullRequests"]["totalCount"].as_i64(),
        before["pullRequests"]["totalCount"].as_i64().map(|n| n + 1)
    );
    assert_eq!(
        after["issues"]["totalCount"].as_i64(),
        before["issues"]["totalCount"].as_i64().map(|n| n + 1)
    );
    h.mutate(Mutation {
        to: Some("renamed-five".into()),
        ..Mutation::new("octo-org/repo-0005", MutationKind::Rename)
    })
    .expect("rename");
    let renamed = graphql(&h.url, &q).await.json();
    assert_eq!(
        renamed["data"]["r0"]["nameWithOwner"], "octo-org/renamed-five",
        "repository() follows renames like GitHub"
    );
    assert_eq!(renamed["data"]["r0"]["id"], before["id"]);
    h.mutate(Mutation::new("octo-org/renamed-five", MutationKind::Delete))
        .expect("delete");
    let gone = graphql(&h.url, &q).await.json();
    assert!(gone["data"]["r0"].is_null());
    assert_eq!(gone["errors"][0]["type"], "NOT_FOUND");
    let by_id = graphql(
        &h.url,
        &format!("query {{ nodes(ids: [{}]) {{ id }} }}", before["id"]),
    )
    .await
    .json();
    assert!(by_id["data"]["nodes"][0].is_null());
    h.shutdown().await;
}

#[test]
fn unknown_values_are_reported() {
    // the estimator never panics on odd documents
    assert!(graphql::estimate_query("query { nodes(ids: $x) { id } }").is_some());
    assert!(graphql::estimate_query("{{{").is_none());
    let _ = Value::Null;
}
