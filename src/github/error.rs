//! `GithubError`: every way a GitHub request can fail, each message saying what to do next.
//! No variant ever carries a token: only statuses, routes, bucket names and GitHub's own short texts.

use chrono::{DateTime, Utc};
use std::time::Duration;

use crate::domain::FailureKind;

/// A failed GitHub request, classified so callers can decide (retry, pause, ask for a token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubError {
    #[error(
        "GitHub rejected the token (401: bad, expired or revoked): create a new token and store it with `repodeck auth`"
    )]
    Unauthorized,
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
            GithubError::Unauthorized => FailureKind::Unauthorized,
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
        }
    }

    /// Server, network and timeout failures may succeed when tried again (idempotent requests only).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            GithubError::Server { .. } | GithubError::Network(_) | GithubError::Timeout
        )
    }

    /// The token is the problem: retrying will not help, the user must act.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            GithubError::Unauthorized | GithubError::Forbidden { .. }
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
        assert!(GithubError::Unauthorized.to_string().contains("new token"));
        assert!(GithubError::Server { status: 502 }.is_retryable());
        assert!(!GithubError::NotFound { what: "x".into() }.is_retryable());
        assert!(GithubError::Unauthorized.is_auth());
        assert_eq!(GithubError::Timeout.kind(), FailureKind::Timeout);
        assert_eq!(GithubError::Timeout.kind().as_str(), "timeout");
    }
}
