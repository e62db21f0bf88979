//! `GET /meta`: the address ranges GitHub sends webhooks from (its `hooks` key), for `serve`'s
//! `allow_ips = "github-meta"`. A conditional GET through the ETag cache, so the daily refresh
//! is a free 304 when nothing changed.

use crate::domain::Priority;

use super::convert;
use super::rest::Conditional;
use super::scheduler::Lane;
use super::{GithubClient, GithubError};

#[derive(Debug, Default, serde::Deserialize)]
struct WireMeta {
    #[serde(default)]
    hooks: Vec<String>,
}

impl GithubClient {
    /// The `hooks` ranges of `GET /meta` as GitHub writes them (`"192.30.252.0/22"`); the caller
    /// parses them. `Unchanged` when GitHub answered 304 to the stored ETag.
    pub async fn meta_hook_ranges(&self) -> Result<Conditional<Vec<String>>, GithubError> {
        let (body, _) = self
            .get_cond("/meta", "/meta", Lane::Core, Priority::Background)
            .await?;
        let changed = body.is_changed();
        let meta: WireMeta = convert::decode("/meta", &body.into_inner())?;
        let hooks: Vec<String> = meta
            .hooks
            .into_iter()
            .map(|h| super::client::clean(&h, 64))
            .collect();
        Ok(if changed {
            Conditional::Changed(hooks)
        } else {
            Conditional::Unchanged(hooks)
        })
    }
}
