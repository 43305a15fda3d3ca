//! Counters for metrics exporters: [`stats`], a cheap snapshot of every key cache and of the
//! rejections answered so far.
//!
//! ```
//! let snapshot = jwks_guard::stats();
//! for key_set in &snapshot.key_sets {
//!     println!("{} {:?}: {} fetches, {} failures", key_set.issuer, key_set.state, key_set.fetches, key_set.failures);
//! }
//! assert_eq!(snapshot.rejections.get(jwks_guard::RejectionKind::InvalidToken), 0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use crate::keys;
use crate::reject::RejectionKind;

/// A snapshot of the library's counters: see [`stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// One entry per key cache (per issuer and JWKS URI), in no particular order.
    pub key_sets: Vec<KeySetStats>,
    /// Rejections answered since the process started, by kind.
    pub rejections: Rejections,
    /// The verified-token cache; `None` when it is turned off
    /// ([`Settings::token_cache_capacity`](crate::Settings::token_cache_capacity) or
    /// [`Settings::token_cache_max_bytes`](crate::Settings::token_cache_max_bytes) 0) or no
    /// protected request has been served yet.
    pub token_cache: Option<TokenCacheStats>,
}

/// The counters of the verified-token cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// The most tokens it holds
    /// ([`Settings::token_cache_capacity`](crate::Settings::token_cache_capacity)).
    pub capacity: u64,
    /// The most weight it holds, in bytes
    /// ([`Settings::token_cache_max_bytes`](crate::Settings::token_cache_max_bytes)).
    pub max_bytes: u64,
    /// The tokens it holds now.
    pub entries: u64,
    /// The weight of the tokens it holds now, in bytes: each entry's estimated size (token,
    /// decoded claims, bookkeeping), or `max_bytes / capacity` if that is more. At most
    /// `max_bytes`.
    pub bytes: u64,
    /// Requests whose token was found (each still ran the handler's checks).
    pub hits: u64,
    /// Requests whose token was not found and was verified afresh.
    pub misses: u64,
}

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

/// Rejections by kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rejections([u64; KINDS.len()]);

impl Rejections {
    /// How many requests were answered with `kind`.
    pub fn get(&self, kind: RejectionKind) -> u64 {
        index(kind).map_or(0, |i| self.0[i])
    }

    /// Every kind with its count.
    pub fn iter(&self) -> impl Iterator<Item = (RejectionKind, u64)> + '_ {
        KINDS.iter().copied().zip(self.0.iter().copied())
    }
}

const KINDS: [RejectionKind; 6] = [
    RejectionKind::MissingCredentials,
    RejectionKind::InvalidRequest,
    RejectionKind::InvalidToken,
    RejectionKind::InsufficientScope,
    RejectionKind::KeysUnavailable,
    RejectionKind::Misconfigured,
];

static REJECTIONS: [AtomicU64; KINDS.len()] = [const { AtomicU64::new(0) }; KINDS.len()];

fn index(kind: RejectionKind) -> Option<usize> {
    KINDS.iter().position(|k| *k == kind)
}

/// Counts one rejection.
pub(crate) fn count_rejection(kind: RejectionKind) {
    if let Some(i) = index(kind) {
        REJECTIONS[i].fetch_add(1, Ordering::Relaxed);
    }
}

/// A snapshot of every key cache, of the verified-token cache and of the rejections so far.
/// Cheap: one short lock on the registry, a few atomic loads per cache, and the token cache's
/// pending housekeeping (evictions not yet applied). Calling it never installs the settings,
/// so it may run before [`configure`](crate::configure).
pub fn stats() -> Stats {
    Stats {
        key_sets: keys::all_caches()
            .iter()
            .map(|cache| cache.stats())
            .collect(),
        rejections: Rejections(std::array::from_fn(|i| {
            REJECTIONS[i].load(Ordering::Relaxed)
        })),
        token_cache: crate::token_cache::built().map(crate::token_cache::TokenCache::stats),
    }
}
