//! Fetch routes: the address an issuer's discovery document and keys are fetched from, when it
//! is not the one its tokens name and is known only while the process runs.
//!
//! ```
//! use jwks_guard::FetchRoute;
//!
//! // Found by service discovery once the process runs: the identity provider's pod.
//! let route = jwks_guard::fetch_from(
//!     "https://login.example.com/realms/shop",
//!     "https://10.0.3.7:8443/realms/shop",
//! );
//! assert_eq!(
//!     FetchRoute::lookup("https://login.example.com/realms/shop/protocol/openid-connect/certs")
//!         .as_deref(),
//!     Some("https://10.0.3.7:8443/realms/shop/protocol/openid-connect/certs"),
//! );
//! drop(route); // fetches go to the issuer's own address again
//! assert_eq!(FetchRoute::lookup("https://login.example.com/realms/shop/keys"), None);
//! ```
//!
//! [`Settings::fetch_from`](crate::Settings::fetch_from) is the same mapping for addresses
//! known before the first request; a live route is consulted before it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use super::transport;
use crate::url_map::{mapped_url, one_slash};

/// One live route.
struct Entry {
    id: u64,
    /// The issuer, ending with exactly one `/`.
    issuer: String,
    /// The base URL, ending with exactly one `/`.
    base: String,
}

/// Live routes, oldest first.
static ROUTES: RwLock<Vec<Entry>> = RwLock::new(Vec::new());

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Fetches the discovery document and keys of `issuer` from `base_url` while the returned
/// [`FetchRoute`] lives: every URL under the issuer (the issuer with one trailing `/`, then
/// anything, such as `{issuer}/.well-known/openid-configuration` and a `jwks_uri` the
/// discovery document names under it) is fetched under `base_url` instead, keeping the rest of
/// the path.
///
/// This is [`Settings::fetch_from`](crate::Settings::fetch_from) for an address known only
/// once the process runs, or one that changes while it runs: a provider found by service
/// discovery, a sidecar or port-forward listening on a port chosen at start, a local provider
/// started by a test (`jwks-guard-test`'s `TestIssuer` impersonates issuers this way). It
/// applies from the next fetch on, to every handler and [`prefetch`](crate::prefetch) naming
/// the issuer, and ends when the handle is dropped (or never, after
/// [`FetchRoute::keep`]). Installing or removing a route makes the keys held for every issuer it
/// covers stale, and their refresh budget whole: a new source is a new key set, fetched at the
/// next request (held keys are served meanwhile), and a token naming a key only the new source
/// has gets its refresh at once. A refresh under way from the old source is kept only if no
/// keys were held at all, and then as stale keys too.
///
/// Nothing else changes: tokens must still carry `issuer` in `iss`, a discovery document
/// fetched through the route must still name `issuer`, and `base_url` follows the rules of
/// every fetch (`https`, or plain `http` only on loopback hosts; otherwise fetches under the
/// issuer fail, and a warning says so now). Routes are process-wide configuration, like
/// [`Settings`](crate::Settings): never build one from request data.
///
/// When several live routes cover a URL, the one with the longest issuer wins, then the most
/// recently installed; a route wins over [`Settings::fetch_from`](crate::Settings::fetch_from).
/// Installing a route logs an `info` event naming both addresses; removing it, another.
///
/// ```
/// # fn sidecar_port() -> u16 { 15001 }
/// // A sidecar on a port chosen at start-up; kept for the life of the process.
/// let port = sidecar_port();
/// jwks_guard::fetch_from("https://id.example.com/", format!("http://127.0.0.1:{port}/")).keep();
/// ```
pub fn fetch_from(issuer: impl AsRef<str>, base_url: impl AsRef<str>) -> FetchRoute {
    let entry = Entry {
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        issuer: one_slash(issuer.as_ref()),
        base: one_slash(base_url.as_ref()),
    };
    match transport::checked(&entry.base) {
        Ok(_) => tracing::info!(
            issuer = %entry.issuer,
            base_url = %entry.base,
            "fetch route installed: keys of {} are fetched from {}",
            entry.issuer,
            entry.base,
        ),
        Err(error) => tracing::warn!(
            issuer = %entry.issuer,
            base_url = %entry.base,
            "fetch route installed, but fetches of {} will fail: {error}",
            entry.issuer,
        ),
    }
    let route = FetchRoute {
        id: entry.id,
        issuer: entry.issuer.clone(),
        base: entry.base.clone(),
        kept: false,
    };
    ROUTES
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .push(entry);
    super::registry::source_changed_under(&route.issuer);
    route
}

/// A live route made by [`fetch_from`]: the issuer's keys are fetched from its base URL until
/// it is dropped.
#[must_use = "the route ends when this handle is dropped: keep the handle, or call `keep()`"]
pub struct FetchRoute {
    id: u64,
    issuer: String,
    base: String,
    /// Set by [`FetchRoute::keep`]: dropping the handle leaves the route in place.
    kept: bool,
}

impl FetchRoute {
    /// The issuer routed, with exactly one trailing `/`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Where its URLs are fetched from, with exactly one trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Keeps the route for the life of the process.
    pub fn keep(mut self) {
        self.kept = true;
    }

    /// Where a fetch of `url` goes under the live routes: `Some(url under a route's base)` if
    /// a route covers it, `None` otherwise (then
    /// [`Settings::fetch_from`](crate::Settings::fetch_from), if it maps the URL, else the URL
    /// itself). For logs and health checks that show where keys come from.
    pub fn lookup(url: &str) -> Option<String> {
        let routes = ROUTES.read().unwrap_or_else(PoisonError::into_inner);
        mapped_url(
            url,
            routes
                .iter()
                .map(|entry| (entry.issuer.as_str(), entry.base.as_str())),
        )
    }
}

impl fmt::Debug for FetchRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FetchRoute")
            .field("issuer", &self.issuer)
            .field("base_url", &self.base)
            .field("kept", &self.kept)
            .finish()
    }
}

impl Drop for FetchRoute {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        ROUTES
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|entry| entry.id != self.id);
        super::registry::source_changed_under(&self.issuer);
        tracing::info!(
            issuer = %self.issuer,
            base_url = %self.base,
            "fetch route removed: keys of {} are no longer fetched from {}",
            self.issuer,
            self.base,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Routes are process-wide: each test uses issuers of its own.

    #[test]
    fn urls_under_a_routed_issuer_go_under_its_base_while_the_route_lives() {
        let route = fetch_from("https://route-a.example.com", "http://127.0.0.1:1");
        assert_eq!(
            FetchRoute::lookup("https://route-a.example.com/.well-known/openid-configuration")
                .as_deref(),
            Some("http://127.0.0.1:1/.well-known/openid-configuration")
        );
        assert_eq!(
            FetchRoute::lookup("https://route-a.example.com").as_deref(),
            Some("http://127.0.0.1:1/")
        );
        assert_eq!(
            FetchRoute::lookup("https://route-a.example.com.evil/keys"),
            None
        );
        assert_eq!(FetchRoute::lookup("https://other.example.com/keys"), None);
        assert_eq!(
            (route.issuer(), route.base_url()),
            ("https://route-a.example.com/", "http://127.0.0.1:1/")
        );
        drop(route);
        assert_eq!(FetchRoute::lookup("https://route-a.example.com/keys"), None);
    }

    #[test]
    fn an_issuer_with_a_path_keeps_only_what_follows_it() {
        let _route = fetch_from(
            "https://route-b.example.com/tenant/v2.0//",
            "https://idp.internal:8443/t/",
        );
        assert_eq!(
            FetchRoute::lookup("https://route-b.example.com/tenant/v2.0/.well-known/jwks.json")
                .as_deref(),
            Some("https://idp.internal:8443/t/.well-known/jwks.json")
        );
        assert_eq!(
            FetchRoute::lookup("https://route-b.example.com/tenant/v2.00/x"),
            None
        );
    }

    #[test]
    fn the_newest_route_wins_until_it_ends() {
        let old = fetch_from("https://route-c.example.com/", "http://127.0.0.1:4");
        let new = fetch_from("https://route-c.example.com/", "http://127.0.0.1:5");
        assert_eq!(
            FetchRoute::lookup("https://route-c.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:5/jwks")
        );
        drop(new);
        assert_eq!(
            FetchRoute::lookup("https://route-c.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:4/jwks")
        );
        drop(old);
    }

    #[test]
    fn the_longest_routed_issuer_wins() {
        let _tenant = fetch_from("https://route-d.example.com/tenant", "http://127.0.0.1:6");
        let _root = fetch_from("https://route-d.example.com", "http://127.0.0.1:7");
        assert_eq!(
            FetchRoute::lookup("https://route-d.example.com/tenant/jwks").as_deref(),
            Some("http://127.0.0.1:6/jwks")
        );
        assert_eq!(
            FetchRoute::lookup("https://route-d.example.com/jwks").as_deref(),
            Some("http://127.0.0.1:7/jwks")
        );
    }

    #[test]
    fn a_kept_route_outlives_its_handle() {
        fetch_from("https://route-e.example.com/", "https://keys.internal/").keep();
        assert_eq!(
            FetchRoute::lookup("https://route-e.example.com/jwks").as_deref(),
            Some("https://keys.internal/jwks")
        );
    }

    #[test]
    fn a_route_is_consulted_before_the_settings_table() {
        let settings = crate::Settings::new()
            .fetch_from(
                "https://route-f.example.com/",
                "https://from-settings.internal/",
            )
            .fetch_from(
                "https://route-g.example.com/",
                "https://from-settings.internal/",
            );
        let _route = fetch_from(
            "https://route-f.example.com/",
            "https://from-route.internal/",
        );
        let effective = |url| super::super::fetch::effective_url(&settings, url);
        assert_eq!(
            effective("https://route-f.example.com/jwks"),
            "https://from-route.internal/jwks"
        );
        assert_eq!(
            effective("https://route-g.example.com/jwks"),
            "https://from-settings.internal/jwks"
        );
        assert_eq!(
            effective("https://route-h.example.com/jwks"),
            "https://route-h.example.com/jwks"
        );
    }

    #[test]
    fn mapping_picks_the_longest_issuer_then_the_latest_route() {
        let routes = [
            ("https://m.example.com/", "https://one/"),
            ("https://m.example.com/a/", "https://two/"),
            ("https://m.example.com/", "https://three/"),
        ];
        let map = |url| mapped_url(url, routes.iter().copied());
        assert_eq!(
            map("https://m.example.com/a/keys").as_deref(),
            Some("https://two/keys")
        );
        assert_eq!(
            map("https://m.example.com/keys").as_deref(),
            Some("https://three/keys")
        );
        assert_eq!(
            map("https://m.example.com").as_deref(),
            Some("https://three/")
        );
        assert_eq!(map("https://m.example.comx/keys"), None);
    }
}
