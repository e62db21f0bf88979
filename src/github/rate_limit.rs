//! Rate-limit state: `x-ratelimit-*` and `retry-after` header parsing per bucket, and the
//! `RateState` published on a watch channel (buckets, current pause, circuit breaker, concurrency).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use http::HeaderMap;

use crate::domain::RateBucket;
use crate::domain::WaitReason;

/// What the UI shows about GitHub access: buckets, the current pause, the breaker, concurrency.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RateState {
    pub buckets: BTreeMap<String, RateBucket>,
    pub pause: Option<Pause>,
    pub circuit: CircuitState,
    /// Current adaptive REST concurrency limit.
    pub concurrency: usize,
}

/// A published wait: why requests are held and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub reason: WaitReason,
    pub until: DateTime<Utc>,
}

/// The per-host circuit breaker as the UI sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CircuitState {
    #[default]
    Closed,
    /// Too many consecutive failures: requests wait until `until`, then one probe is let through.
    Open { until: DateTime<Utc> },
    /// The cool-down passed: the next request decides.
    HalfOpen,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    header_str(headers, name).and_then(|v| v.parse().ok())
}

/// The bucket a response reports (`x-ratelimit-resource`), with `fallback` when the header is
/// absent but the counts are present. `None` when the response carries no rate headers.
pub fn bucket_from_headers(headers: &HeaderMap, fallback: &str) -> Option<RateBucket> {
    let limit = header_u64(headers, "x-ratelimit-limit")?;
    let remaining = header_u64(headers, "x-ratelimit-remaining")?;
    let used = header_u64(headers, "x-ratelimit-used").unwrap_or(limit.saturating_sub(remaining));
    let reset = header_u64(headers, "x-ratelimit-reset")
        .and_then(epoch_to_utc)
        .unwrap_or_else(Utc::now);
    let name = header_str(headers, "x-ratelimit-resource")
        .filter(|s| !s.is_empty())
        .unwrap_or(fallback)
        .to_string();
    Some(RateBucket {
        name,
        limit,
        remaining,
        used,
        reset,
    })
}

/// Epoch seconds to UTC; values that look like milliseconds (some recordings) are converted.
pub fn epoch_to_utc(secs: u64) -> Option<DateTime<Utc>> {
    let secs = if secs > 100_000_000_000 {
        secs / 1000
    } else {
        secs
    };
    Utc.timestamp_opt(i64::try_from(secs).ok()?, 0).single()
}

/// `retry-after` as seconds (GitHub sends seconds; an HTTP date is accepted too).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = header_str(headers, "retry-after")?;
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// Whether a 403/429 is a rate limit, and which kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limited {
    /// Secondary (abuse) limit: pause everything.
    Secondary { retry_after: Option<Duration> },
    /// The bucket is used up until its reset.
    Primary {
        bucket: String,
        reset: DateTime<Utc>,
    },
}

/// Classifies a 403/429 response; `None` means it is a genuine permission error.
pub fn classify_limit(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    fallback_bucket: &str,
) -> Option<Limited> {
    if status != 403 && status != 429 {
        return None;
    }
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    let ra = retry_after(headers);
    if text.contains("secondary rate limit") || text.contains("abuse") {
        return Some(Limited::Secondary { retry_after: ra });
    }
    if let Some(b) = bucket_from_headers(headers, fallback_bucket)
        && b.remaining == 0
    {
        return Some(Limited::Primary {
            bucket: b.name,
            reset: b.reset,
        });
    }
    if ra.is_some() {
        return Some(Limited::Secondary { retry_after: ra });
    }
    if text.contains("rate limit") {
        return Some(Limited::Secondary { retry_after: None });
    }
    if status == 429 {
        return Some(Limited::Secondary { retry_after: None });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn parses_bucket_headers() {
        let h = headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4999"),
            ("x-ratelimit-used", "1"),
            ("x-ratelimit-reset", "1507651200"),
            ("x-ratelimit-resource", "search"),
        ]);
        let b = bucket_from_headers(&h, "core").unwrap();
        assert_eq!(
            (b.name.as_str(), b.limit, b.remaining, b.used),
            ("search", 5000, 4999, 1)
        );
        assert_eq!(b.reset.timestamp(), 1_507_651_200);
        assert!(bucket_from_headers(&HeaderMap::new(), "core").is_none());
        // milliseconds quirk
        let h = headers(&[
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1507651200000"),
        ]);
        let b = bucket_from_headers(&h, "core").unwrap();
        assert_eq!(
            (b.name.as_str(), b.used, b.reset.timestamp()),
            ("core", 60, 1_507_651_200)
        );
    }

    #[test]
    fn classifies_limits() {
        let body = br#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#;
        let h = headers(&[("retry-after", "37")]);
        assert_eq!(
            classify_limit(403, &h, body, "core"),
            Some(Limited::Secondary {
                retry_after: Some(Duration::from_secs(37))
            })
        );
        assert_eq!(
            classify_limit(403, &HeaderMap::new(), body, "core"),
            Some(Limited::Secondary { retry_after: None })
        );
        let h = headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1507651200"),
        ]);
        let primary = classify_limit(
            403,
            &h,
            br#"{"message":"API rate limit exceeded for user"}"#,
            "core",
        );
        assert!(
            matches!(primary, Some(Limited::Primary { ref bucket, .. }) if bucket == "core"),
            "{primary:?}"
        );
        let h = headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "4000"),
        ]);
        assert_eq!(
            classify_limit(
                403,
                &h,
                br#"{"message":"Resource not accessible by integration"}"#,
                "core"
            ),
            None
        );
        assert_eq!(classify_limit(404, &h, body, "core"), None);
    }
}
