//! The verified-token cache: a client that sends the same token again skips the signature.
//!
//! Process-wide and bounded ([`Settings::token_cache_capacity`](crate::Settings), 10,000 by
//! default; 0 turns it off). An entry is keyed by the exact token, compared in full on every
//! lookup (its hash, foldhash with a per-process random seed, only picks the bucket), and
//! holds what verifying it established: the claims, the algorithm, the `kid` and `typ`
//! headers, and which key of which key cache verified it. Every hit runs the handler's checks
//! again (algorithm, issuer, `aud`, `client_id`, `exp`/`nbf` with its leeway, `typ`, scopes,
//! claims), and is used only while the current key set would still pick that key for the
//! token's `kid` and algorithm. Only tokens whose signature verified, that passed the
//! `aud`/`client_id`/`exp`/`nbf`/`typ` checks of the handler that verified them, and whose
//! `exp` lies ahead are stored: forged tokens and the issuer's tokens for other APIs never
//! reach it, and moka's TinyLFU admission keeps a flood of valid tokens sent once from pushing
//! out the ones clients reuse.
//!
//! Memory is bounded by the number of entries: each holds the token and its decoded claims
//! (2–4 KiB for typical access tokens; at most [`MAX_TOKEN_LEN`](crate::MAX_TOKEN_LEN) plus
//! its claims).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use crate::keys::{KeyCache, KeyId};
use crate::spec::Alg;

/// What verifying a token established, independent of any handler's policy.
pub(crate) struct VerifiedToken {
    /// The payload, as decoded once.
    pub(crate) claims: Arc<Map<String, Value>>,
    pub(crate) alg: Alg,
    /// The `kid` header, if any: the key selection a hit repeats.
    pub(crate) kid: Option<Box<str>>,
    /// The `typ` header, if any.
    pub(crate) typ: Option<Box<str>>,
    /// The key cache whose key verified the signature, and that key.
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) key: KeyId,
}

/// The process-wide cache, with its counters.
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<Box<str>, Arc<VerifiedToken>, foldhash::fast::RandomState>,
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

/// The cache if a request has built it already: for [`stats`](crate::stats), which must not
/// install the settings (that would make a later [`configure`](crate::configure) fail).
pub(crate) fn built() -> Option<&'static TokenCache> {
    CACHE.get().and_then(Option::as_ref)
}

impl TokenCache {
    fn new(capacity: u64) -> Self {
        TokenCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The entry of a token, counting the hit or miss.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<VerifiedToken>> {
        let entry = self.entries.get(token);
        let counter = if entry.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        entry
    }

    pub(crate) fn insert(&self, token: &str, verified: Arc<VerifiedToken>) {
        self.entries.insert(Box::from(token), verified);
    }

    /// Forgets a token whose key left its set.
    pub(crate) fn invalidate(&self, token: &str) {
        self.entries.invalidate(token);
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
            kid: None,
            typ: None,
            keys: keys::cache_for(
                "https://token-cache.test/",
                Some("https://token-cache.test/jwks"),
            ),
            key: KeyId::for_tests(0),
        })
    }

    #[test]
    fn only_the_exact_token_finds_its_entry() {
        let cache = TokenCache::new(10);
        let token = "a".repeat(900);
        cache.insert(&token, entry());
        assert!(cache.get(&token.clone()).is_some());
        for at in [0, 450, 899] {
            let mut other = token.clone();
            other.replace_range(at..=at, "b");
            assert!(cache.get(&other).is_none(), "differs at {at}");
        }
        assert!(cache.get(&token[..899]).is_none(), "a prefix");
        assert!(cache.get(&format!("{token}a")).is_none(), "an extension");
        cache.invalidate(&token);
        assert!(cache.get(&token).is_none());
    }

    #[test]
    fn a_hundred_thousand_distinct_tokens_stay_within_the_capacity_and_reused_ones_survive() {
        let cache = TokenCache::new(1_000);
        let shared = entry();
        let hot: Vec<String> = (0..100).map(|i| format!("hot-{i}")).collect();
        for token in &hot {
            cache.insert(token, Arc::clone(&shared));
        }
        for i in 0..100_000 {
            cache.insert(&format!("once-{i}"), Arc::clone(&shared));
            // Clients reusing their tokens keep sending them through the flood.
            if i % 10 == 0 {
                let _ = cache.get(&hot[(i / 10) % hot.len()]);
            }
        }
        let stats = cache.stats();
        assert!(stats.entries <= 1_000, "{stats:?}");
        let kept = hot
            .iter()
            .filter(|token| cache.get(token).is_some())
            .count();
        assert!(
            kept >= 90,
            "only {kept} of 100 reused tokens survived the flood"
        );
    }
}
