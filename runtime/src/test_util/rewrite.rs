//! The process-wide table of impersonated issuers: fetches meant for them go to a local server.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

struct Entry {
    id: u64,
    /// The impersonated issuer, ending with exactly one `/`.
    base: String,
    /// The local server, ending with exactly one `/`.
    local: String,
}

/// Live impersonations, oldest first.
static TABLE: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// `url` with trailing slashes trimmed and exactly one `/` appended.
pub(crate) fn with_one_slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

/// Sends fetches for URLs under `issuer` to `local` until [`unregister`] is called with the
/// returned id.
pub(crate) fn register(issuer: &str, local: &str) -> u64 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let entry = Entry {
        id,
        base: with_one_slash(issuer),
        local: with_one_slash(local),
    };
    tracing::warn!(
        issuer = %entry.base,
        local = %entry.local,
        "test issuer impersonation: fetches under {} go to {} (test-util feature; tests only)",
        entry.base,
        entry.local,
    );
    TABLE
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .push(entry);
    id
}

/// Ends the impersonation registered under `id`.
pub(crate) fn unregister(id: u64) {
    TABLE
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|entry| entry.id != id);
}

/// Where a fetch of `url` really goes while a [`TestIssuer`](super::TestIssuer) impersonates
/// an issuer: `Some(local URL)` if `url` is under an impersonated issuer, `None` otherwise.
///
/// `url` is under an issuer when it starts with the issuer normalised to end with exactly one
/// `/` (or equals it without that slash); the rest of the URL is kept, so
/// `https://id.example.com/.well-known/openid-configuration` becomes
/// `http://127.0.0.1:PORT/.well-known/openid-configuration`. When several impersonations
/// match, the longest issuer wins, then the most recently started one.
pub(crate) fn rewrite_url(url: &str) -> Option<String> {
    let table = TABLE.read().unwrap_or_else(PoisonError::into_inner);
    let mut best: Option<(&Entry, &str)> = None;
    for entry in table.iter() {
        let rest = match url.strip_prefix(entry.base.as_str()) {
            Some(rest) => rest,
            None if url.len() + 1 == entry.base.len() && entry.base.starts_with(url) => "",
            None => continue,
        };
        if best.is_none_or(|(chosen, _)| entry.base.len() >= chosen.base.len()) {
            best = Some((entry, rest));
        }
    }
    best.map(|(entry, rest)| format!("{}{rest}", entry.local))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_under_an_impersonated_issuer_go_to_its_local_server() {
        let id = register("https://rewrite-a.example.com", "http://127.0.0.1:1");
        assert_eq!(
            rewrite_url("https://rewrite-a.example.com/.well-known/openid-configuration")
                .as_deref(),
            Some("http://127.0.0.1:1/.well-known/openid-configuration")
        );
        assert_eq!(
            rewrite_url("https://rewrite-a.example.com/keys").as_deref(),
            Some("http://127.0.0.1:1/keys")
        );
        assert_eq!(
            rewrite_url("https://rewrite-a.example.com").as_deref(),
            Some("http://127.0.0.1:1/")
        );
        assert_eq!(rewrite_url("https://rewrite-a.example.com.evil/keys"), None);
        assert_eq!(rewrite_url("https://other.example.com/keys"), None);
        unregister(id);
        assert_eq!(rewrite_url("https://rewrite-a.example.com/keys"), None);
    }

    #[test]
    fn trailing_slashes_are_normalised_to_one() {
        let id = register("https://rewrite-b.example.com//", "http://127.0.0.1:2/");
        assert_eq!(
            rewrite_url("https://rewrite-b.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:2/jwks")
        );
        unregister(id);
    }

    #[test]
    fn an_issuer_with_a_path_keeps_only_what_follows_it() {
        let id = register(
            "https://rewrite-c.example.com/tenant/v2.0",
            "http://127.0.0.1:3",
        );
        assert_eq!(
            rewrite_url("https://rewrite-c.example.com/tenant/v2.0/.well-known/jwks.json")
                .as_deref(),
            Some("http://127.0.0.1:3/.well-known/jwks.json")
        );
        assert_eq!(
            rewrite_url("https://rewrite-c.example.com/tenant/v2.00/x"),
            None
        );
        unregister(id);
    }

    #[test]
    fn the_newest_impersonation_wins_until_it_ends() {
        let old = register("https://rewrite-d.example.com/", "http://127.0.0.1:4");
        let new = register("https://rewrite-d.example.com/", "http://127.0.0.1:5");
        assert_eq!(
            rewrite_url("https://rewrite-d.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:5/jwks")
        );
        unregister(new);
        assert_eq!(
            rewrite_url("https://rewrite-d.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:4/jwks")
        );
        unregister(old);
    }

    #[test]
    fn the_longest_impersonated_issuer_wins() {
        let tenant = register("https://rewrite-e.example.com/tenant", "http://127.0.0.1:6");
        let root = register("https://rewrite-e.example.com", "http://127.0.0.1:7");
        assert_eq!(
            rewrite_url("https://rewrite-e.example.com/tenant/jwks").as_deref(),
            Some("http://127.0.0.1:6/jwks")
        );
        assert_eq!(
            rewrite_url("https://rewrite-e.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:7/jwks")
        );
        unregister(tenant);
        unregister(root);
    }
}
