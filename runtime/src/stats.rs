//! Counters for metrics exporters: [`stats()`], a cheap snapshot of every key cache, of the
//! verified-token cache and of the rejections answered so far, and the types it returns.
//!
//! ```
//! let snapshot = jwks_guard::stats();
//! for key_set in &snapshot.key_sets {
//!     println!("{} {:?}: {} fetches, {} failures", key_set.issuer, key_set.state, key_set.fetches, key_set.failures);
//! }
//! assert_eq!(snapshot.rejections.get(jwks_guard::RejectionKind::InvalidToken), 0);
//! ```

use std::sync::atomic::{AtomicU64, Ordering};

pub use crate::keys::{KeySetState, KeySetStats};
use crate::reject::RejectionKind;
pub use crate::token_cache::TokenCacheStats;

/// A snapshot of the library's counters: see [`stats()`].
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

const KINDS: [RejectionKind; 9] = [
    RejectionKind::MissingCredentials,
    RejectionKind::InvalidRequest,
    RejectionKind::InvalidToken,
    RejectionKind::InsufficientScope,
    RejectionKind::KeysUnavailable,
    RejectionKind::Misconfigured,
    RejectionKind::InvalidDpopProof,
    RejectionKind::UseDpopNonce,
    RejectionKind::ReplayStoreUnavailable,
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
        key_sets: crate::keys::all_caches()
            .iter()
            .map(|cache| cache.stats())
            .collect(),
        rejections: Rejections(std::array::from_fn(|i| {
            REJECTIONS[i].load(Ordering::Relaxed)
        })),
        token_cache: crate::token_cache::built().map(crate::token_cache::TokenCache::stats),
    }
}
