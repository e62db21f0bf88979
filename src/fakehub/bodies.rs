//! JSON bodies shaped key-for-key like GitHub's REST responses (see tests/fixtures/github); rest.rs and webhooks.rs build on them.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::data::{
    Account, AccountKind, Commit, Detail, Item, LABELS, LICENSES, Release, Repo, World, node_id,
};

/// ISO-8601 like GitHub: `2011-01-26T19:01:12Z`.
pub fn iso(t: i64) -> String {
    Utc.timestamp_opt(t, 0)
        .single()
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// What every builder needs: the API base URL, the world and who is asking.
pub struct Ctx<'a> {
    pub base: &'a str,
    pub world: &'a World,
    pub authed: bool,
}

const HTML: &str = "https://github.com";

impl Ctx<'_> {
    pub fn user(&self, idx: usize) -> Value {
        let a = &self.world.accounts[idx.min(self.world.accounts.len() - 1)];
        self.account(a)
    }

    pub fn account(&self, a: &Account) -> Value {
        let b = self.base;
        let l = &a.login;
        let kind = match a.kind {
            AccountKind::User => "User",
            AccountKind::Organization => "Organization",
        };
        let url = format!("{b}/users/{l}");
        let mut v = json!({
            "login": l, "id": a.id, "node_id": a.node_id(),
            "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", a.id),
            "gravatar_id": "", "html_url": format!("{HTML}/{l}"),
            "type": kind, "site_admin": false,
        });
        for &(k, suffix) in ACCOUNT_URLS {
            v[k] = json!(format!("{url}{suffix}"));
        }
        v["url"] = json!(url);
        v
    }

    pub fn full_name(&self, r: &Repo) -> String {
        self.world.full_name(r)
    }

    pub fn repo_api(&self, r: &Repo) -> String {
        format!("{}/repos/{}", self.base, self.full_name(r))
    }

    fn license(&self, r: &Repo) -> Value {
        match r.license.and_then(|i| LICENSES.get(i)) {
            Some(l) => json!({
                "key": l.key, "name": l.name, "spdx_id": l.spdx,
                "url": format!("{}/licenses/{}", self.base, l.key),
                "node_id": node_id("L_kgDO", l.key.len() as u64 * 7 + l.spdx.len() as u64),
                "html_url": format!("{HTML}/licenses/{}", l.key),
            }),
            None => Value::Null,
        }
    }

    /// The repository object. `full` adds what only `GET /repos/{o}/{r}` carries
    /// (organization, parent/source for forks, network/subscriber counts, merge settings).
    pub fn repo(&self, r: &Repo, full: bool) -> Value {
        let detail = self.world.detail(r);
        self.repo_with(r, &detail, full, 0)
    }

    fn repo_with(&self, r: &Repo, detail: &Detail, full: bool, depth: u8) -> Value {
        let mut v = self.repo_common(r, detail);
        if !full {
            return v;
        }
        merge(&mut v, listed_settings(r));
        merge(
            &mut v,
            json!({
                "allow_update_branch": false, "use_squash_pr_title_as_default": false,
                "squash_merge_commit_message": "COMMIT_MESSAGES",
                "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
                "merge_commit_message": "PR_TITLE", "merge_commit_title": "MERGE_MESSAGE",
            }),
        );
        if self.world.accounts[r.owner].kind == AccountKind::Organization {
            v["organization"] = self.user(r.owner);
        }
        if let (Some(p), true) = (r.parent, depth == 0)
            && let Some(parent) = self.world.repos.get(p)
        {
            let mut root = parent.clone();
            while let Some(pp) = root.parent.and_then(|i| self.world.repos.get(i)) {
                root = pp.clone();
            }
            v["parent"] = self.repo_with(parent, &self.world.detail(parent), true, 1);
            v["source"] = self.repo_with(&root, &self.world.detail(&root), true, 1);
        }
        v
    }

    /// The fields every repository object has (lists, single GETs, webhooks).
    fn repo_common(&self, r: &Repo, detail: &Detail) -> Value {
        let fullname = self.full_name(r);
        let api = format!("{}/repos/{fullname}", self.base);
        let html = format!("{HTML}/{fullname}");
        let open_issues = r.open_issues_count(detail);
        let mut v = json!({
            "id": r.id, "node_id": r.node_id(), "name": r.name, "full_name": fullname,
            "private": r.private, "owner": self.user(r.owner), "html_url": html,
            "description": r.description, "fork": r.parent.is_some(), "url": api,
            "git_url": format!("git://github.com/{fullname}.git"),
            "ssh_url": format!("git@github.com:{fullname}.git"),
            "clone_url": format!("{HTML}/{fullname}.git"), "svn_url": html, "homepage": r.homepage,
            "created_at": iso(r.created_at), "updated_at": iso(r.updated_at),
            "pushed_at": iso(r.pushed_at),
        });
        for &(k, suffix) in REPO_URLS {
            v[k] = json!(format!("{api}{suffix}"));
        }
        merge(
            &mut v,
            json!({
                "size": r.size_kb, "stargazers_count": r.stars, "watchers_count": r.stars,
                "watchers": r.stars, "forks_count": r.forks, "forks": r.forks,
                "open_issues_count": open_issues, "open_issues": open_issues,
                "language": r.language, "license": self.license(r), "topics": r.topics,
                "has_issues": true, "has_projects": true, "has_downloads": true, "has_wiki": true,
                "has_pages": false, "has_discussions": false, "mirror_url": null,
                "archived": r.archived, "disabled": r.disabled, "allow_forking": true,
                "is_template": r.is_template, "web_commit_signoff_required": false,
                "visibility": if r.private { "private" } else { "public" },
                "default_branch": r.default_branch,
                "security_and_analysis": {
                    "advanced_security": {"status": "disabled"},
                    "secret_scanning": {"status": "enabled"},
                    "secret_scanning_push_protection": {"status": "enabled"},
                    "secret_scanning_non_provider_patterns": {"status": "disabled"},
                    "secret_scanning_delegated_bypass": {"status": "disabled"},
                    "secret_scanning_delegated_alert_dismissal": {"status": "disabled"},
                },
            }),
        );
        if self.authed {
            v["permissions"] = json!({"admin": true, "maintain": true, "push": true, "triage": true, "pull": true});
        }
        v
    }

    /// A repository as lists (and PR heads/bases) carry it.
    pub fn repo_listed(&self, r: &Repo) -> Value {
        let detail = self.world.detail(r);
        let mut v = self.repo_common(r, &detail);
        merge(&mut v, listed_settings(r));
        v
    }

    pub fn branch_short(&self, r: &Repo, name: &str, sha: &str, protected: bool) -> Value {
        let api = self.repo_api(r);
        json!({
            "name": name,
            "commit": {"sha": sha, "url": format!("{api}/commits/{sha}")},
            "protected": protected,
            "protection": {
                "enabled": protected,
                "required_status_checks": {
                    "enforcement_level": if protected { "non_admins" } else { "off" },
                    "contexts": if protected { json!(["ci-test", "linter"]) } else { json!([]) },
                    "checks": if protected { json!([{"context": "ci-test", "app_id": null}, {"context": "linter", "app_id": null}]) } else { json!([]) },
                }
            },
            "protection_url": format!("{api}/branches/{name}/protection"),
        })
    }

    pub fn branch_full(&self, r: &Repo, name: &str, c: &Commit, protected: bool) -> Value {
        let api = self.repo_api(r);
        let mut v = self.branch_short(r, name, &c.sha, protected);
        v["commit"] = self.commit(r, c, false);
        v["_links"] = json!({
            "self": format!("{api}/branches/{name}"),
            "html": format!("{HTML}/{}/tree/{name}", self.full_name(r)),
        });
        v
    }

    fn git_actor(&self, idx: usize, t: i64) -> Value {
        let a = &self.world.accounts[idx.min(self.world.accounts.len() - 1)];
        json!({"name": a.name, "email": a.email, "date": iso(t)})
    }

    /// A commit as listed (`with_files` = false) or as `GET /commits/{ref}` returns it.
    pub fn commit(&self, r: &Repo, c: &Commit, with_files: bool) -> Value {
        let api = self.repo_api(r);
        let fullname = self.full_name(r);
        let sha = &c.sha;
        let parents: Vec<Value> = c
            .parent
            .iter()
            .map(|p| {
                json!({"sha": p, "url": format!("{api}/commits/{p}"), "html_url": format!("{HTML}/{fullname}/commit/{p}")})
            })
            .collect();
        let tree =
            &super::data::commit_sha(self.world.seed, r.id ^ 0x7472_6565, r.epoch, c.position);
        let mut v = json!({
            "url": format!("{api}/commits/{sha}"),
            "sha": sha,
            "node_id": node_id("C_kwDO", u64::from_str_radix(&sha[..15], 16).unwrap_or(0)),
            "html_url": format!("{HTML}/{fullname}/commit/{sha}"),
            "comments_url": format!("{api}/commits/{sha}/comments"),
            "commit": {
                "url": format!("{api}/git/commits/{sha}"),
                "author": self.git_actor(c.author, c.time),
                "committer": self.git_actor(c.committer, c.time),
                "message": c.message,
                "tree": {"url": format!("{api}/git/trees/{tree}"), "sha": tree},
                "comment_count": 0,
                "verification": super::insight::verification(self.world.seed, sha),
            },
            "author": self.user(c.author),
            "committer": self.user(c.committer),
            "parents": parents,
        });
        if with_files {
            v["stats"] = json!({"additions": c.additions, "deletions": c.deletions, "total": c.additions + c.deletions});
            v["files"] = Value::Array(
                c.files
                    .iter()
                    .map(|(name, a, d, status)| {
                        json!({
                            "sha": super::data::commit_sha(self.world.seed, r.id, *a, *d),
                            "filename": name, "additions": a, "deletions": d, "changes": a + d, "status": status,
                            "raw_url": format!("{HTML}/{fullname}/raw/{sha}/{name}"),
                            "blob_url": format!("{HTML}/{fullname}/blob/{sha}/{name}"),
                            "contents_url": format!("{api}/contents/{name}?ref={sha}"),
                            "patch": format!("@@ -1,{d} +1,{a} @@\n-old\n+new"),
                        })
                    })
                    .collect(),
            );
        }
        v
    }

    fn label(&self, r: &Repo, i: usize) -> Value {
        let (name, color, desc) = LABELS[i % LABELS.len()];
        json!({
            "id": 208_045_946 + i as u64, "node_id": node_id("LA_kwDO", r.id * 10 + i as u64),
            "url": format!("{}/labels/{}", self.repo_api(r), name.replace(' ', "%20")),
            "name": name, "description": desc, "color": color, "default": i < 2,
        })
    }

    fn milestone(&self, r: &Repo) -> Value {
        let api = self.repo_api(r);
        json!({
            "url": format!("{api}/milestones/1"), "html_url": format!("{HTML}/{}/milestone/1", self.full_name(r)),
            "labels_url": format!("{api}/milestones/1/labels"), "id": r.id * 10 + 1,
            "node_id": node_id("MI_kwDO", r.id * 10 + 1), "number": 1, "state": "open", "title": "v1.0 🎯",
            "description": "Tracking milestone for version 1.0", "creator": self.user(1),
            "open_issues": 4, "closed_issues": 8, "created_at": iso(r.created_at), "updated_at": iso(r.updated_at),
            "closed_at": null, "due_on": iso(r.created_at + 400 * 86_400),
        })
    }

    fn reactions(&self, url: String) -> Value {
        json!({"url": url, "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0})
    }

    /// An issue as `GET /repos/{o}/{r}/issues` lists it; PRs carry `pull_request`.
    pub fn issue(&self, r: &Repo, it: &Item) -> Value {
        let api = self.repo_api(r);
        let n = it.number;
        let fullname = self.full_name(r);
        let html = if it.is_pr {
            format!("{HTML}/{fullname}/pull/{n}")
        } else {
            format!("{HTML}/{fullname}/issues/{n}")
        };
        let assignee = it.assignee.map(|a| self.user(a));
        let mut v = json!({
            "url": format!("{api}/issues/{n}"), "repository_url": api,
            "labels_url": format!("{api}/issues/{n}/labels{{/name}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "events_url": format!("{api}/issues/{n}/events"),
            "html_url": html, "id": r.id * 10_000 + u64::from(n),
            "node_id": node_id(if it.is_pr { "PR_kwDO" } else { "I_kwDO" }, r.id * 10_000 + u64::from(n)),
            "number": n, "title": it.title, "user": self.user(it.user),
            "labels": it.labels.iter().map(|l| self.label(r, *l)).collect::<Vec<_>>(),
            "state": if it.open { "open" } else { "closed" }, "locked": false,
            "assignee": assignee.clone().unwrap_or(Value::Null),
            "assignees": assignee.into_iter().collect::<Vec<_>>(),
            "milestone": if n.is_multiple_of(3) { self.milestone(r) } else { Value::Null },
            "comments": it.comments, "created_at": iso(it.created_at), "updated_at": iso(it.updated_at),
            "closed_at": it.closed_at.map(iso), "author_association": "MEMBER", "active_lock_reason": null,
            "body": it.body, "closed_by": if it.open { Value::Null } else { self.user(1) },
            "reactions": self.reactions(format!("{api}/issues/{n}/reactions")),
            "timeline_url": format!("{api}/issues/{n}/timeline"),
            "performed_via_github_app": null, "pinned_comment": null,
            "state_reason": if it.open { Value::Null } else { json!("completed") },
        });
        if it.is_pr {
            v["pull_request"] = json!({
                "url": format!("{api}/pulls/{n}"), "html_url": format!("{HTML}/{fullname}/pull/{n}"),
                "diff_url": format!("{HTML}/{fullname}/pull/{n}.diff"),
                "patch_url": format!("{HTML}/{fullname}/pull/{n}.patch"),
                "merged_at": it.merged_at.map(iso),
            });
            v["draft"] = json!(it.draft);
        }
        v
    }

    /// A pull request as `GET /repos/{o}/{r}/pulls` lists it (based on the mainline tip).
    pub fn pull(&self, r: &Repo, it: &Item) -> Value {
        let head_sha = r.pr_head_sha(self.world.seed, it.number);
        let base_sha = r.tip_sha(self.world.seed);
        let api = self.repo_api(r);
        let n = it.number;
        let fullname = self.full_name(r);
        let repo_v = self.repo_listed(r);
        let owner_login = &self.world.accounts[r.owner].login;
        let assignee = it.assignee.map(|a| self.user(a));
        let reviewers: Vec<Value> = super::insight::review_requests(r, it)
            .into_iter()
            .map(|i| self.user(i))
            .collect();
        let teams: Vec<Value> = if super::insight::requests_team(it) {
            vec![json!({
                "id": 1, "node_id": "T_kwDOAAAAAQ", "url": format!("{}/teams/1", self.base),
                "html_url": format!("{HTML}/orgs/{owner_login}/teams/core"), "name": "Core", "slug": "core",
                "description": "Core maintainers", "privacy": "closed", "permission": "admin",
                "notification_setting": "notifications_enabled",
                "members_url": format!("{}/teams/1/members{{/member}}", self.base),
                "repositories_url": format!("{}/teams/1/repos", self.base), "parent": null,
            })]
        } else {
            vec![]
        };
        let links = json!({
            "self": {"href": format!("{api}/pulls/{n}")},
            "html": {"href": format!("{HTML}/{fullname}/pull/{n}")},
            "issue": {"href": format!("{api}/issues/{n}")},
            "comments": {"href": format!("{api}/issues/{n}/comments")},
            "review_comments": {"href": format!("{api}/pulls/{n}/comments")},
            "review_comment": {"href": format!("{api}/pulls/comments{{/number}}")},
            "commits": {"href": format!("{api}/pulls/{n}/commits")},
            "statuses": {"href": format!("{api}/statuses/{head_sha}")},
        });
        json!({
            "url": format!("{api}/pulls/{n}"), "id": r.id * 10_000 + u64::from(n),
            "node_id": node_id("PR_kwDO", r.id * 10_000 + u64::from(n)),
            "html_url": format!("{HTML}/{fullname}/pull/{n}"),
            "diff_url": format!("{HTML}/{fullname}/pull/{n}.diff"),
            "patch_url": format!("{HTML}/{fullname}/pull/{n}.patch"),
            "issue_url": format!("{api}/issues/{n}"),
            "commits_url": format!("{api}/pulls/{n}/commits"),
            "review_comments_url": format!("{api}/pulls/{n}/comments"),
            "review_comment_url": format!("{api}/pulls/comments{{/number}}"),
            "comments_url": format!("{api}/issues/{n}/comments"),
            "statuses_url": format!("{api}/statuses/{head_sha}"),
            "number": n, "state": if it.open { "open" } else { "closed" }, "locked": false,
            "title": it.title, "user": self.user(it.user), "body": it.body,
            "labels": it.labels.iter().map(|l| self.label(r, *l)).collect::<Vec<_>>(),
            "milestone": if n.is_multiple_of(3) { self.milestone(r) } else { Value::Null },
            "active_lock_reason": null,
            "created_at": iso(it.created_at), "updated_at": iso(it.updated_at),
            "closed_at": it.closed_at.map(iso), "merged_at": it.merged_at.map(iso),
            "merge_commit_sha": if it.merged { json!(base_sha) } else { Value::Null },
            "assignee": assignee.clone().unwrap_or(Value::Null),
            "assignees": assignee.into_iter().collect::<Vec<_>>(),
            "requested_reviewers": reviewers,
            "requested_teams": teams,
            "head": {
                "label": format!("{owner_login}:{}", it.head_branch), "ref": it.head_branch, "sha": head_sha,
                "user": self.user(r.owner), "repo": repo_v.clone(),
            },
            "base": {
                "label": format!("{owner_login}:{}", r.default_branch), "ref": r.default_branch, "sha": base_sha,
                "user": self.user(r.owner), "repo": repo_v,
            },
            "_links": links,
            "author_association": "MEMBER", "auto_merge": null, "draft": it.draft,
        })
    }

    pub fn release(&self, r: &Repo, rel: &Release) -> Value {
        let api = self.repo_api(r);
        let fullname = self.full_name(r);
        let id = rel.id;
        let tag = &rel.tag;
        json!({
            "url": format!("{api}/releases/{id}"),
            "html_url": format!("{HTML}/{fullname}/releases/tag/{tag}"),
            "assets_url": format!("{api}/releases/{id}/assets"),
            "upload_url": format!("https://uploads.github.com/repos/{fullname}/releases/{id}/assets{{?name,label}}"),
            "tarball_url": format!("{api}/tarball/{tag}"), "zipball_url": format!("{api}/zipball/{tag}"),
            "discussion_url": null,
            "id": id, "node_id": node_id("RE_kwDO", id), "tag_name": tag, "target_commitish": r.default_branch,
            "name": rel.name, "body": rel.body, "draft": rel.draft, "prerelease": rel.prerelease, "immutable": false,
            "created_at": iso(rel.created_at), "published_at": rel.published_at.map(iso),
            "author": self.user(rel.author),
            "assets": [{
                "url": format!("{api}/releases/assets/{id}"),
                "browser_download_url": format!("{HTML}/{fullname}/releases/download/{tag}/example.zip"),
                "id": id, "node_id": node_id("RA_kwDO", id), "name": "example.zip", "label": "short description",
                "state": "uploaded", "content_type": "application/zip", "size": 1024,
                "digest": format!("sha256:{}", super::data::commit_sha(self.world.seed, id, 0, 0)),
                "download_count": id % 97, "created_at": iso(rel.created_at), "updated_at": iso(rel.created_at),
                "uploader": self.user(rel.author),
            }],
        })
    }

    pub fn event(&self, r: &Repo, e: &super::data::Event) -> Value {
        let a = &self.world.accounts[e.actor.min(self.world.accounts.len() - 1)];
        let mut v = json!({
            "id": e.id.to_string(), "type": e.kind,
            "actor": {
                "id": a.id, "login": a.login, "display_login": a.login, "gravatar_id": "",
                "url": format!("{}/users/{}", self.base, a.login),
                "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", a.id),
            },
            "repo": {"id": r.id, "name": self.full_name(r), "url": self.repo_api(r)},
            "payload": self.event_payload(r, e), "public": !r.private, "created_at": iso(e.created_at),
        });
        if self.world.accounts[r.owner].kind == AccountKind::Organization {
            let o = &self.world.accounts[r.owner];
            v["org"] = json!({
                "id": o.id, "login": o.login, "gravatar_id": "",
                "url": format!("{}/orgs/{}", self.base, o.login),
                "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", o.id),
            });
        }
        v
    }

    /// Event payloads as the events API sends them: issues, PRs, releases and forks in full.
    fn event_payload(&self, r: &Repo, e: &super::data::Event) -> Value {
        let mut p = e.payload.clone();
        let detail = self.world.detail(r);
        let number = p.get("number").and_then(Value::as_u64);
        let item = number.and_then(|n| detail.items.iter().find(|i| u64::from(i.number) == n));
        match e.kind {
            "IssuesEvent" => {
                if let Some(it) = item {
                    p["issue"] = self.issue(r, it);
                }
                if let Value::Object(m) = &mut p {
                    m.remove("number");
                }
            }
            "PullRequestEvent" => {
                if let Some(it) = item {
                    p["pull_request"] = self.pull(r, it);
                }
            }
            "ReleaseEvent" => {
                let id = p.get("release_id").and_then(Value::as_u64);
                if let Some(rel) = detail.releases.iter().find(|x| Some(x.id) == id) {
                    p["release"] = self.release(r, rel);
                }
                if let Value::Object(m) = &mut p {
                    m.remove("release_id");
                }
            }
            "ForkEvent" => {
                let id = p.pointer("/forkee/id").and_then(Value::as_u64);
                if let Some(f) = id
                    .and_then(|id| self.world.by_id.get(&id))
                    .and_then(|i| self.world.repos.get(*i))
                {
                    p["forkee"] = self.repo_listed(f);
                }
            }
            _ => {}
        }
        p
    }

    pub fn authenticated_user(&self) -> Value {
        let mut v = self.user(super::data::OCTOCAT);
        let owned = self
            .world
            .repos
            .iter()
            .filter(|r| r.owner == super::data::OCTOCAT && !r.deleted)
            .count();
        if let Value::Object(m) = &mut v {
            for (k, val) in [
                ("name", json!("The Octocat")),
                ("company", json!("@octo-org")),
                ("blog", json!("https://github.blog")),
                ("location", json!("San Francisco")),
                ("email", json!("octocat@github.com")),
                ("hireable", json!(false)),
                ("bio", json!("There once was... 🐙")),
                ("twitter_username", json!("github")),
                ("public_repos", json!(owned)),
                ("public_gists", json!(8)),
                ("followers", json!(20)),
                ("following", json!(0)),
                ("created_at", json!("2011-01-25T18:44:36Z")),
                ("updated_at", json!("2024-12-01T00:00:00Z")),
                ("private_gists", json!(1)),
                ("total_private_repos", json!(1)),
                ("owned_private_repos", json!(1)),
                ("disk_usage", json!(10_000)),
                ("collaborators", json!(8)),
                ("two_factor_authentication", json!(true)),
                (
                    "plan",
                    json!({"name": "pro", "space": 976_562_499, "private_repos": 9999, "collaborators": 0}),
                ),
            ] {
                m.insert(k.to_string(), val);
            }
        }
        v
    }
}

/// Adds the keys of the object `extra` to the object `v`.
pub(crate) fn merge(v: &mut Value, extra: Value) {
    if let (Value::Object(m), Value::Object(e)) = (v, extra) {
        m.extend(e);
    }
}

/// The merge settings and counts that lists carry beyond the common shape (the single GET too).
fn listed_settings(r: &Repo) -> Value {
    json!({
        "temp_clone_token": "", "allow_rebase_merge": true, "allow_squash_merge": true,
        "allow_auto_merge": false, "delete_branch_on_merge": false, "allow_merge_commit": true,
        "template_repository": null, "subscribers_count": r.watchers, "network_count": r.forks,
    })
}

/// The `*_url` fields of an account: key and path below its API URL.
const ACCOUNT_URLS: &[(&str, &str)] = &[
    ("followers_url", "/followers"),
    ("following_url", "/following{/other_user}"),
    ("gists_url", "/gists{/gist_id}"),
    ("starred_url", "/starred{/owner}{/repo}"),
    ("subscriptions_url", "/subscriptions"),
    ("organizations_url", "/orgs"),
    ("repos_url", "/repos"),
    ("events_url", "/events{/privacy}"),
    ("received_events_url", "/received_events"),
];

/// The `*_url` fields of a repository: key and path below its API URL.
const REPO_URLS: &[(&str, &str)] = &[
    ("forks_url", "/forks"),
    ("keys_url", "/keys{/key_id}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("teams_url", "/teams"),
    ("hooks_url", "/hooks"),
    ("issue_events_url", "/issues/events{/number}"),
    ("events_url", "/events"),
    ("assignees_url", "/assignees{/user}"),
    ("branches_url", "/branches{/branch}"),
    ("tags_url", "/tags"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("trees_url", "/git/trees{/sha}"),
    ("statuses_url", "/statuses/{sha}"),
    ("languages_url", "/languages"),
    ("stargazers_url", "/stargazers"),
    ("contributors_url", "/contributors"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("commits_url", "/commits{/sha}"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("comments_url", "/comments{/number}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("contents_url", "/contents/{+path}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("merges_url", "/merges"),
    ("archive_url", "/{archive_format}{/ref}"),
    ("downloads_url", "/downloads"),
    ("issues_url", "/issues{/number}"),
    ("pulls_url", "/pulls{/number}"),
    ("milestones_url", "/milestones{/number}"),
    (
        "notifications_url",
        "/notifications{?since,all,participating}",
    ),
    ("labels_url", "/labels{/name}"),
    ("releases_url", "/releases{/id}"),
    ("deployments_url", "/deployments"),
];
