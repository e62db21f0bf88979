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
        "could not read GitHub's answer from {endpoint} ({detail}): this is likely a bug or an API change, please report it"
    )]
    Decode { endpoint: String, detail: String },
    #[error("the repository moved to {new_url}: update the tracked name")]
    Moved { new_url: String },
    #[error("the wait was cancelled")]
    Cancelled,
    #[error(
        "the {bucket} budget is at the reserve (github.reserve): background sync stops here; run the sync yourself to use the reserve"
    )]
    Budget { bucket: String },
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
            GithubError::Forbidden { .. } => FailureKind::Forbidden,
            GithubError::NotFound { .. } => FailureKind::NotFound,
            GithubError::PrimaryRateLimited { .. } => FailureKind::RateLimited,
            GithubError::SecondaryRateLimited { .. } => FailureKind::SecondaryRateLimited,
            GithubError::Server { .. } => FailureKind::Server,
            GithubError::Network(_) => FailureKind::Network,
            GithubError::Timeout => FailureKind::Timeout,
            GithubError::Decode { .. } => FailureKind::Decode,
            GithubError::Moved { .. } => FailureKind::Moved,
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
            GithubError::Server { .. } | GithubError::Network(_) | GithubError::Timeout
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
            GithubError::Unauthorized { .. } | GithubError::Forbidden { .. }
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
