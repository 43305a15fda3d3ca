//! The verified-token cache: a client that sends the same token again skips the signature.
//!
//! Process-wide and bounded ([`Settings::token_cache_capacity`](crate::Settings), 10,000 by
//! default; 0 turns it off). An entry is keyed by a SHA-256 digest of the exact token bytes
//! and holds what verifying it established: the claims, the algorithm, the `typ` header, and
//! which key of which key cache verified it. It says nothing of any handler's policy: every
//! hit runs the handler's checks again (algorithm, issuer, `aud`, `client_id`, `exp`/`nbf`
//! with its leeway, `typ`, scopes, claims), and is used only while that key is still in its
//! issuer's usable set. Only tokens whose signature verified and whose `exp` lies ahead are
//! stored, so a flood of forged tokens never reaches it; moka's TinyLFU admission keeps a
//! flood of valid tokens sent once from pushing out the ones clients reuse.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aws_lc_rs::digest;
use serde_json::{Map, Value};

use crate::keys::{KeyCache, KeyId};
use crate::spec::Alg;

/// What verifying a token established, independent of any handler's policy.
pub(crate) struct VerifiedToken {
    /// The payload, as decoded once.
    pub(crate) claims: Arc<Map<String, Value>>,
    pub(crate) alg: Alg,
    /// The `typ` header, if any.
    pub(crate) typ: Option<Box<str>>,
    /// The key cache whose key verified the signature, and that key.
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) key: KeyId,
}

/// A SHA-256 digest of a token's bytes.
pub(crate) type TokenDigest = [u8; 32];

/// The process-wide cache, with its counters.
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<TokenDigest, Arc<VerifiedToken>>,
    capacity: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

static CACHE: OnceLock<Option<TokenCache>> = OnceLock::new();

/// The cache, built from the settings in force at first use; `None` when turned off.
pub(crate) fn cache() -> Option<&'static TokenCache> {
    CACHE
        .get_or_init(|| {
            let capacity = crate::settings::current().token_cache_capacity;
            (capacity > 0).then(|| TokenCache::new(capacity))
        })
        .as_ref()
}

impl TokenCache {
    fn new(capacity: u64) -> Self {
        TokenCache {
            entries: moka::sync::Cache::new(capacity),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The digest a token is stored under.
    pub(crate) fn digest(token: &str) -> TokenDigest {
        let mut out = [0; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, token.as_bytes()).as_ref());
        out
    }

    /// The entry of a token, counting the hit or miss.
    pub(crate) fn get(&self, digest: &TokenDigest) -> Option<Arc<VerifiedToken>> {
        let entry = self.entries.get(digest);
        let counter = if entry.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        entry
    }

    pub(crate) fn insert(&self, digest: TokenDigest, token: Arc<VerifiedToken>) {
        self.entries.insert(digest, token);
    }

    /// Forgets a token whose key left its set.
    pub(crate) fn invalidate(&self, digest: &TokenDigest) {
        self.entries.invalidate(digest);
    }

    /// A snapshot of the counters, after the cache's pending evictions.
    pub(crate) fn stats(&self) -> crate::stats::TokenCacheStats {
        self.entries.run_pending_tasks();
        crate::stats::TokenCacheStats {
            capacity: self.capacity,
            entries: self.entries.entry_count(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    fn entry() -> Arc<VerifiedToken> {
        Arc::new(VerifiedToken {
            claims: Arc::new(Map::new()),
            alg: Alg::RS256,
            typ: None,
            keys: keys::cache_for(
                "https://token-cache.test/",
                Some("https://token-cache.test/jwks"),
            ),
            key: KeyId::for_tests(0),
        })
    }

    #[test]
    fn digests_differ_for_tokens_differing_in_one_byte_anywhere() {
        let token = "a".repeat(900);
        let mut other = token.clone();
        other.replace_range(899.., "b");
        assert_ne!(TokenCache::digest(&token), TokenCache::digest(&other));
        assert_eq!(
            TokenCache::digest(&token),
            TokenCache::digest(&token.clone())
        );
    }

    #[test]
    fn a_hundred_thousand_distinct_tokens_stay_within_the_capacity_and_reused_ones_survive() {
        let cache = TokenCache::new(1_000);
        let shared = entry();
        let hot: Vec<TokenDigest> = (0..100)
            .map(|i| TokenCache::digest(&format!("hot-{i}")))
            .collect();
        for digest in &hot {
            cache.insert(*digest, Arc::clone(&shared));
        }
        for i in 0..100_000 {
            cache.insert(
                TokenCache::digest(&format!("once-{i}")),
                Arc::clone(&shared),
            );
            // Clients reusing their tokens keep sending them through the flood.
            if i % 10 == 0 {
                let _ = cache.get(&hot[(i / 10) % hot.len()]);
            }
        }
        let stats = cache.stats();
        assert!(stats.entries <= 1_000, "{stats:?}");
        let kept = hot.iter().filter(|d| cache.get(d).is_some()).count();
        assert!(
            kept >= 90,
            "only {kept} of 100 reused tokens survived the flood"
        );
    }
}
