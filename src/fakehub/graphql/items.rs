//! The connections GitHub evaluates per pull request or issue: `labels`, `assignees`,
//! `comments { totalCount }` and, on pull requests, `reviewRequests` (users and teams), with the
//! same values the REST bodies carry (`bodies.rs`), so both paths agree. Each counts one request
//! per parent item in the cost estimate (`CONNECTIONS`). A child module of `graphql`, declared
//! after its connection types.

use async_graphql::{Context, ID, SimpleObject, Union};

use super::super::data::{self, LABELS};
use super::{Args, LabelConnection, ReviewRequestConnection, User, UserConnection, connect};
use super::{Repository, node_id};

#[derive(SimpleObject, Clone)]
pub struct Label {
    pub id: ID,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

/// `comments` as far as answered here: the count (nodes are never asked for).
#[derive(SimpleObject, Clone)]
pub struct IssueCommentConnection {
    pub total_count: i32,
}

#[derive(SimpleObject, Clone)]
pub struct Team {
    pub id: ID,
    pub slug: String,
    pub name: String,
}

/// Never produced here; members of GitHub's union so queries naming them validate.
#[derive(SimpleObject, Clone)]
pub struct Bot {
    pub login: String,
}

#[derive(SimpleObject, Clone)]
pub struct Mannequin {
    pub login: String,
}

#[derive(Union, Clone)]
pub enum RequestedReviewer {
    User(User),
    Team(Team),
    Bot(Bot),
    Mannequin(Mannequin),
}

#[derive(SimpleObject, Clone)]
pub struct ReviewRequest {
    pub id: ID,
    pub requested_reviewer: Option<RequestedReviewer>,
}

pub fn labels(
    ctx: &Context<'_>,
    repo: &Repository,
    it: &data::Item,
    a: Args,
) -> async_graphql::Result<LabelConnection> {
    let all = it
        .labels
        .iter()
        .map(|&i| {
            let (name, color, desc) = LABELS[i % LABELS.len()];
            Label {
                id: ID(node_id("LA_kwDO", repo.r.id * 10 + i as u64)),
                name: name.into(),
                color: color.into(),
                description: Some(desc.into()),
            }
        })
        .collect();
    connect(ctx, "labels", all, a)
}

pub fn assignees(
    ctx: &Context<'_>,
    repo: &Repository,
    it: &data::Item,
    a: Args,
) -> async_graphql::Result<UserConnection> {
    let all = it
        .assignee
        .map(|idx| User {
            w: repo.w.clone(),
            idx: idx.min(repo.w.accounts.len() - 1),
        })
        .into_iter()
        .collect();
    connect(ctx, "assignees", all, a)
}

pub fn comments(it: &data::Item) -> IssueCommentConnection {
    IssueCommentConnection {
        total_count: i32::try_from(it.comments).unwrap_or(i32::MAX),
    }
}

pub fn review_requests(
    ctx: &Context<'_>,
    repo: &Repository,
    it: &data::Item,
    a: Args,
) -> async_graphql::Result<ReviewRequestConnection> {
    let db = repo.r.id * 10_000 + u64::from(it.number);
    let mut all: Vec<ReviewRequest> = super::super::insight::review_requests(&repo.r, it)
        .into_iter()
        .enumerate()
        .map(|(i, idx)| ReviewRequest {
            id: ID(node_id("RR_kwDO", db * 10 + i as u64)),
            requested_reviewer: Some(RequestedReviewer::User(User {
                w: repo.w.clone(),
                idx: idx.min(repo.w.accounts.len() - 1),
            })),
        })
        .collect();
    if super::super::insight::requests_team(it) {
        all.push(ReviewRequest {
            id: ID(node_id("RR_kwDO", db * 10 + 9)),
            requested_reviewer: Some(RequestedReviewer::Team(Team {
                id: ID("T_kwDOAAAAAQ".into()),
                slug: "core".into(),
                name: "Core".into(),
            })),
        });
    }
    connect(ctx, "reviewRequests", all, a)
}
