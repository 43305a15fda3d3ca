//! What [`stats()`](crate::stats()) reports of each key cache.

use std::time::SystemTime;

/// The counters and state of one key cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeySetStats {
    /// The issuer.
    pub issuer: String,
    /// The configured JWKS URI; `None` when it is discovered.
    pub jwks_uri: Option<String>,
    /// Where the cache stands.
    pub state: KeySetState,
    /// Usable keys held.
    pub keys: usize,
    /// Refreshes started (discovery and JWKS count as one).
    pub fetches: u64,
    /// Refreshes that failed.
    pub failures: u64,
    /// Refreshes answered `304 Not Modified`.
    pub not_modified: u64,
    /// Requests served with keys past their freshness (while a refresh ran or failed).
    pub stale_serves: u64,
    /// When a refresh last succeeded.
    pub last_success: Option<SystemTime>,
}

/// Where a key cache stands (see the state diagram in the README's "When the provider
/// misbehaves").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeySetState {
    /// Nothing fetched yet.
    Empty,
    /// Keys held and fresh.
    Fresh,
    /// Keys held past their freshness; a refresh is due or under way.
    Stale,
    /// Keys held and served, but the last refresh failed.
    Failing,
    /// No keys to serve: never fetched successfully, or held past `max_stale`. Requests get 503.
    Unavailable,
}
