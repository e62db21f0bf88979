//! `GithubError`: every way a GitHub request can fail, each message saying what to do next.
//! No variant ever carries a token: only statuses, routes, bucket names, GitHub's own short texts
//! and, for a rejected token, its [`TokenId`] and [`TokenSource`] from `crate::secrets`.

use chrono::{DateTime, Utc};
use std::time::Duration;

use crate::domain::FailureKind;
use crate::secrets::{TokenId, TokenSource};

/// A failed GitHub request, classified so callers can decide (retry, pause, ask for a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    /// The token was rejected (401). `origin`: where the client's token came from (`None` when
    /// given directly, or for no token). `id`: its id (`None` when anonymous, or unusable).
    #[error("{}", unauthorized_message(origin.as_ref(), id.as_ref()))]
    Unauthorized {
        origin: Option<TokenSource>,
        id: Option<TokenId>,
    },
    #[error("{}", forbidden_message(scope))]
    Forbidden { scope: Option<String> },
    #[error(
        "{what} was not found (404): check the name; a private repository also answers 404 when the token lacks access to it"
    )]
    NotFound { what: String },
    #[error("the {bucket} rate limit is used up until {reset}: wait for the reset, or sync fewer repositories", reset = reset.format("%H:%M:%S UTC"))]
    PrimaryRateLimited {
        bucket: String,
        reset: DateTime<Utc>,
    },
    #[error("GitHub's secondary rate limit was hit: all requests pause for {}s; lower github.max_concurrency if it keeps happening", retry_after.as_secs())]
    SecondaryRateLimited { retry_after: Duration },
    #[error(
        "GitHub answered {status} (server error): it is usually temporary, try again in a few minutes"
    )]
    Server { status: u16 },
    #[error("could not reach GitHub ({0}): check the network connection and github.api_url")]
    Network(String),
    #[error("GitHub did not answer in time: check the network, or try again later")]
    Timeout,
    #[error(
        "could not read GitHub's answer from {endpoint} ({detail}): repodeck does not understand this answer; it is likely a bug or an API change, please report it"
    )]
    Decode { endpoint: String, detail: String },
    /// The body is not JSON at all: something other than GitHub's API answered.
    #[error(
        "the answer from {endpoint} was not GitHub's JSON ({detail}): a proxy, a login page or a wrong github.api_url (--api-url) answered instead of GitHub's API; check the URL and any proxy in between"
    )]
    NotJson { endpoint: String, detail: String },
    /// The body ended early: the connection (or a proxy) cut it off.
    #[error(
        "GitHub's answer from {endpoint} was cut off before its end: a network or proxy problem, usually temporary; try again"
    )]
    Truncated { endpoint: String },
    /// A status GitHub does not send there (a proxy's, or a request GitHub refused as malformed).
    #[error("{}", unexpected_message(endpoint, *status, message))]
    UnexpectedStatus {
        endpoint: String,
        status: u16,
        message: String,
    },
    /// A repository answered, but one of its parts (commits, branches, a page of a list) 404'd:
    /// that part failed, the repository is not gone.
    #[error(
        "GitHub answered 404 for the {part} of {repo} although the repository itself answered: only that part failed and nothing was recorded for it; try again (if it persists, the token may lack access to that part)"
    )]
    PartNotFound { repo: String, part: String },
    /// GraphQL `RESOURCE_LIMITS_EXCEEDED`, still for one repository alone.
    #[error(
        "GitHub refused the GraphQL query as too expensive (RESOURCE_LIMITS_EXCEEDED), even for this repository alone after repodeck shrank the batch and retried: sync it with `repodeck sync --rest`, or try again later"
    )]
    ResourceLimits,
    /// GitHub failed some aliases of a query ("Something went wrong while executing your
    /// query") and they kept failing after the retries.
    #[error(
        "GitHub could not answer this repository's part of the GraphQL query (\"{message}\") in {tries} tries: a temporary GitHub error, try again in a few minutes"
    )]
    GraphqlTemporary { message: String, tries: u32 },
    /// A redirect repodeck does not follow (another origin, a loop, a GraphQL query ...).
    #[error("{}", redirect_message(endpoint, *status, location, why))]
    Redirected {
        endpoint: String,
        status: u16,
        /// The `Location` header, sanitized (empty when there was none).
        location: String,
        why: RedirectRefusal,
    },
    /// A next-page `Link` repodeck refuses to follow (another host, a loop, malformed).
    #[error(
        "GitHub or a proxy sent a next-page link for {endpoint} that repodeck refuses to follow ({reason}): the listing was not read and nothing was recorded from it; check github.api_url (--api-url) and any proxy in between"
    )]
    BadLink { endpoint: String, reason: String },
    #[error("the wait was cancelled")]
    Cancelled,
    #[error(
        "the {bucket} budget is at the reserve (github.reserve): background sync stops here; run the sync yourself to use the reserve"
    )]
    Budget { bucket: String },
    /// The hooks API refused (404 or 403): the token may not manage hooks there.
    #[error(
        "GitHub refused to manage the hooks of {target} ({status}): the token needs the `{scope}` scope (fine-grained tokens: \"Webhooks\" read and write), or {target} does not exist"
    )]
    HookRefused {
        target: String,
        scope: &'static str,
        status: u16,
    },
    /// The whole endpoint failed (refused connections, timeouts, server errors) for longer than
    /// the circuit breaker waits: every request of the run fails with this, once.
    #[error(
        "GitHub at {url} is unavailable ({cause}): check the network and github.api_url (--api-url), or https://www.githubstatus.com, then sync again"
    )]
    Unavailable { url: String, cause: String },
    /// The endpoint answers, but not like GitHub's API (a wrong path, a proxy): no answer from it
    /// says anything about a repository.
    #[error(
        "{url} does not answer like GitHub's API ({answered}): check --api-url / github.api_url (GitHub: https://api.github.com, GitHub Enterprise: https://HOST/api/v3)"
    )]
    NotGithub { url: String, answered: String },
}

/// Why a redirect was not followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectRefusal {
    /// Not judged further (a request that does not follow redirects).
    NotFollowed,
    /// To another origin (`scheme://host:port`): the token must not go there.
    OtherOrigin(String),
    /// Same origin, but outside the API's path prefix.
    OutsideApi,
    /// More than this many redirects in a row.
    TooMany(usize),
    /// A redirect without a `Location`.
    NoLocation,
    /// A GraphQL query was redirected: queries are never re-sent elsewhere.
    Graphql,
}

fn redirect_message(endpoint: &str, status: u16, location: &str, why: &RedirectRefusal) -> String {
    let to: String = location.chars().take(200).collect();
    let check = "check github.api_url (--api-url) and any proxy in between";
    match why {
        RedirectRefusal::NotFollowed => format!(
            "GitHub or a proxy redirected {endpoint} ({status}) to {to}, which repodeck does not follow: {check}"
        ),
        RedirectRefusal::OtherOrigin(origin) => format!(
            "GitHub or a proxy redirected {endpoint} ({status}) to another origin, {origin}: repodeck follows redirects only within github.api_url's origin and never sends the token elsewhere; {check}"
        ),
        RedirectRefusal::OutsideApi => format!(
            "GitHub or a proxy redirected {endpoint} ({status}) outside the API (to {to}): {check}"
        ),
        RedirectRefusal::TooMany(n) => format!(
            "GitHub or a proxy redirected {endpoint} more than {n} times in a row (last to {to}): a redirect loop; {check}"
        ),
        RedirectRefusal::NoLocation => format!(
            "GitHub or a proxy answered {endpoint} with a redirect ({status}) that names no usable location: {check}"
        ),
        RedirectRefusal::Graphql => format!(
            "the GraphQL endpoint redirected ({status}) to {to}: repodeck does not re-send queries to another address; check github.graphql_url (derived from github.api_url / --api-url when not set)"
        ),
    }
}

fn unexpected_message(endpoint: &str, status: u16, message: &str) -> String {
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(" (\"{message}\")")
    };
    format!(
        "GitHub answered {status} for {endpoint}{said}, an answer repodeck does not expect there: a proxy or a wrong github.api_url (--api-url) may be answering; if it keeps happening against GitHub itself, please report it"
    )
}

fn unauthorized_message(origin: Option<&TokenSource>, id: Option<&TokenId>) -> String {
    let id = id.map(|i| format!(" {i}")).unwrap_or_default();
    match origin {
        Some(source) => format!(
            "GitHub rejected {}{id} (401: bad, expired or revoked): create a new token and store it with `{}`",
            source.describe(),
            source.set_command()
        ),
        None => format!(
            "GitHub rejected the token{id} (401: bad, expired or revoked): create a new token and store it with `repodeck token set`"
        ),
    }
}

fn forbidden_message(scope: &Option<String>) -> String {
    match scope {
        Some(s) if !s.is_empty() => format!(
            "GitHub refused access (403): the token needs the `{s}` scope; create a token with that scope"
        ),
        _ => "GitHub refused access (403): the token lacks permission for this resource (an organization may restrict tokens)".to_string(),
    }
}

impl GithubError {
    /// The kind of failure, stored with failed repos and printed by the CLI.
    pub fn kind(&self) -> FailureKind {
        match self {
            GithubError::Unauthorized { .. } => FailureKind::Unauthorized,
            GithubError::Forbidden { .. } | GithubError::HookRefused { .. } => {
                FailureKind::Forbidden
            }
            GithubError::NotFound { .. } => FailureKind::NotFound,
            GithubError::PrimaryRateLimited { .. } => FailureKind::RateLimited,
            GithubError::SecondaryRateLimited { .. } => FailureKind::SecondaryRateLimited,
            GithubError::Server { .. } => FailureKind::Server,
            GithubError::Network(_) => FailureKind::Network,
            GithubError::Timeout => FailureKind::Timeout,
            GithubError::Decode { .. } => FailureKind::Decode,
            GithubError::NotJson { .. } => FailureKind::Decode,
            GithubError::Truncated { .. } => FailureKind::Network,
            GithubError::UnexpectedStatus { .. } => FailureKind::UnexpectedStatus,
            GithubError::PartNotFound { .. } => FailureKind::PartNotFound,
            GithubError::ResourceLimits => FailureKind::ResourceLimits,
            GithubError::GraphqlTemporary { .. } => FailureKind::Server,
            GithubError::Redirected { .. } => FailureKind::Redirected,
            GithubError::BadLink { .. } => FailureKind::BadLink,
            GithubError::Cancelled => FailureKind::Cancelled,
            GithubError::Budget { .. } => FailureKind::Budget,
            GithubError::Unavailable { .. } => FailureKind::Unavailable,
            GithubError::NotGithub { .. } => FailureKind::NotGithub,
        }
    }

    /// Server, network and timeout failures may succeed when tried again (idempotent requests only).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            GithubError::Server { .. }
                | GithubError::Network(_)
                | GithubError::Timeout
                | GithubError::Truncated { .. }
                | GithubError::GraphqlTemporary { .. }
        )
    }

    /// The failure is the endpoint's or the token's, not one repository's: the pass stops, and
    /// nothing is recorded on the repositories it did not reach.
    pub fn stops_pass(&self) -> bool {
        matches!(
            self,
            GithubError::Unauthorized { .. }
                | GithubError::Unavailable { .. }
                | GithubError::NotGithub { .. }
        )
    }

    /// GitHub rejected the token (401), whichever token it was.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, GithubError::Unauthorized { .. })
    }

    /// The token is the problem: retrying will not help, the user must act.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            GithubError::Unauthorized { .. }
                | GithubError::Forbidden { .. }
                | GithubError::HookRefused { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = GithubError::Forbidden {
            scope: Some("repo".into()),
        };
        assert!(e.to_string().contains("`repo` scope"), "{e}");
        let unauthorized = GithubError::Unauthorized {
            origin: None,
            id: None,
        };
        assert!(unauthorized.to_string().contains("new token"));
        assert!(GithubError::Server { status: 502 }.is_retryable());
        assert!(!GithubError::NotFound { what: "x".into() }.is_retryable());
        assert!(unauthorized.is_auth() && unauthorized.is_unauthorized());
        assert_eq!(GithubError::Timeout.kind(), FailureKind::Timeout);
        assert_eq!(GithubError::Timeout.kind().as_str(), "timeout");
    }

    /// Each error for GitHub or a proxy misbehaving, what its message says, and its kind.
    fn misbehaviour() -> Vec<(GithubError, &'static str, FailureKind)> {
        let redirect = |why| GithubError::Redirected {
            endpoint: "/repos/{o}/{r}/branches".into(),
            status: 302,
            location: "https://elsewhere.example/x".into(),
            why,
        };
        let cases = [
            (
                GithubError::PartNotFound {
                    repo: "o/r".into(),
                    part: "commits".into(),
                },
                "the commits of o/r although the repository itself answered",
                FailureKind::PartNotFound,
            ),
            (
                GithubError::ResourceLimits,
                "too expensive (RESOURCE_LIMITS_EXCEEDED)",
                FailureKind::ResourceLimits,
            ),
            (
                GithubError::GraphqlTemporary {
                    message: "Something went wrong".into(),
                    tries: 4,
                },
                "in 4 tries: a temporary GitHub error",
                FailureKind::Server,
            ),
            (
                redirect(RedirectRefusal::OtherOrigin(
                    "https://elsewhere.example".into(),
                )),
                "to another origin, https://elsewhere.example: repodeck follows redirects only within",
                FailureKind::Redirected,
            ),
            (
                redirect(RedirectRefusal::TooMany(3)),
                "more than 3 times in a row",
                FailureKind::Redirected,
            ),
            (
                redirect(RedirectRefusal::OutsideApi),
                "outside the API",
                FailureKind::Redirected,
            ),
            (
                redirect(RedirectRefusal::NoLocation),
                "names no usable location",
                FailureKind::Redirected,
            ),
            (
                redirect(RedirectRefusal::NotFollowed),
                "which repodeck does not follow",
                FailureKind::Redirected,
            ),
            (
                redirect(RedirectRefusal::Graphql),
                "the GraphQL endpoint redirected (302)",
                FailureKind::Redirected,
            ),
            (
                GithubError::BadLink {
                    endpoint: "/orgs/{org}/repos".into(),
                    reason: "it points back to a page already read (a pagination loop)".into(),
                },
                "GitHub or a proxy sent a next-page link for /orgs/{org}/repos that repodeck refuses to follow (it points back",
                FailureKind::BadLink,
            ),
            (
                GithubError::NotJson {
                    endpoint: "/user".into(),
                    detail: "expected value at line 1 column 1".into(),
                },
                "was not GitHub's JSON",
                FailureKind::Decode,
            ),
            (
                GithubError::Truncated {
                    endpoint: "/user".into(),
                },
                "cut off",
                FailureKind::Network,
            ),
            (
                GithubError::UnexpectedStatus {
                    endpoint: "/user".into(),
                    status: 418,
                    message: String::new(),
                },
                "GitHub answered 418 for /user, an answer repodeck does not expect there: a proxy",
                FailureKind::UnexpectedStatus,
            ),
        ];
        cases.into()
    }

    /// GitHub or a proxy misbehaving is never called repodeck's bug, and each says what it is.
    #[test]
    fn githubs_and_proxies_misbehaviour_is_not_called_a_bug() {
        for (e, says, kind) in misbehaviour() {
            let msg = e.to_string();
            assert!(msg.contains(says), "{msg}");
            assert_eq!(e.kind(), kind, "{msg}");
            assert!(!msg.contains("GitHub answered 502"), "{msg}");
            assert!(!msg.contains("moved to"), "{msg}");
            if kind != FailureKind::UnexpectedStatus {
                assert!(!msg.contains("report it") && !msg.contains("bug"), "{msg}");
            }
        }
        assert!(
            GithubError::GraphqlTemporary {
                message: String::new(),
                tries: 1
            }
            .is_retryable()
        );
        assert!(!GithubError::ResourceLimits.is_retryable());
    }

    fn unauthorized(origin: Option<TokenSource>) -> String {
        let token = secrecy::SecretString::from("ghp_0123456789abcdefghijABCDEFGHIJ01a1f3");
        GithubError::Unauthorized {
            origin,
            id: Some(TokenId::of(&token)),
        }
        .to_string()
    }

    #[test]
    fn a_rejected_token_names_its_source_and_the_command_that_replaces_it() {
        let repo = crate::domain::RepoKey::parse("Octo/Hello").unwrap();
        let cases = [
            (
                Some(TokenSource::Global),
                "GitHub rejected the vault's global token ghp_…a1f3 (401",
                "`repodeck token set`",
            ),
            (
                Some(TokenSource::Repo(repo)),
                "GitHub rejected the vault's token for Octo/Hello ghp_…a1f3 (401",
                "`repodeck token set --repo Octo/Hello`",
            ),
            (
                Some(TokenSource::Env("GITHUB_TOKEN")),
                "GitHub rejected the token in GITHUB_TOKEN ghp_…a1f3 (401",
                "`repodeck token set`",
            ),
            (
                Some(TokenSource::Env("GH_TOKEN")),
                "GitHub rejected the token in GH_TOKEN ghp_…a1f3 (401",
                "`repodeck token set`",
            ),
            (
                None,
                "GitHub rejected the token ghp_…a1f3 (401",
                "`repodeck token set`",
            ),
        ];
        for (origin, starts, command) in cases {
            let msg = unauthorized(origin);
            assert!(msg.starts_with(starts), "{msg}");
            assert!(
                msg.contains(command) && !msg.contains("repodeck auth"),
                "{msg}"
            );
            assert!(!msg.contains("0123456789abcdef"), "{msg}");
        }
    }
}
