//! `GET /meta` in GitHub's shape: the address ranges GitHub's services use. The `hooks` list is
//! GitHub's published webhook ranges plus `127.0.0.1/32`, fakehub's own delivery address, so a
//! receiver that allows only GitHub's ranges accepts fakehub's deliveries. The ETag and the 304
//! come from the common pipeline like every other GET.

use serde_json::json;

use super::Reply;

/// GitHub's webhook ranges (as `GET /meta` listed them), then fakehub's loopback sender.
pub const HOOK_RANGES: &[&str] = &[
    "192.30.252.0/22",
    "185.199.108.0/22",
    "140.82.112.0/20",
    "143.55.64.0/20",
    "2a0a:a440::/29",
    "2606:50c0::/32",
    "127.0.0.1/32",
];

/// `GET /meta`.
pub(crate) fn meta() -> Reply {
    let web = ["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20"];
    Reply::ok(&json!({
        "verifiable_password_authentication": false,
        "ssh_key_fingerprints": {
            "SHA256_ECDSA": "p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
            "SHA256_ED25519": "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU",
            "SHA256_RSA": "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
        },
        "hooks": HOOK_RANGES,
        "web": web,
        "api": web,
        "git": web,
        "packages": ["140.82.121.33/32"],
        "pages": ["192.30.252.153/32", "192.30.252.154/32"],
        "importer": ["52.23.85.212/32"],
        "actions": ["4.175.114.51/32"],
        "dependabot": ["192.0.2.1/32"],
        "domains": {"website": ["*.github.com", "*.github.dev"]}
    }))
}
