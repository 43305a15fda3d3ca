//! The verified-token cache: a client that sends the same token again skips the signature.
//!
//! **What is stored.** An entry is keyed by the exact token, compared in full on every lookup
//! (its hash, foldhash with a per-process random seed, only picks the bucket), and holds what
//! verifying it established: the claims, the algorithm, the `kid` and `typ` headers, and which
//! key of which key cache verified it. Every hit runs the handler's checks again (algorithm,
//! issuer, `aud`, `client_id`, `exp`/`nbf` with its leeway, `typ`, scopes, claims), and is used
//! only while the current key set would still pick that key for the token's `kid` and
//! algorithm.
//!
//! **When.** Only tokens whose signature verified, that passed the tenant/`aud`/`client_id`/
//! `exp`/`nbf`/`typ` checks of the handler that verified them, and whose `exp` lies ahead are
//! offered ([`TokenCache::remember`]): forged tokens and the issuer's tokens for other APIs never
//! reach it. An offered token is stored the second time it is offered within the admission
//! window (the last `2 × capacity` tokens offered for the first time, at least 1,024 and at
//! most 1,048,576), and served from the cache from its third request on: a [`Doorkeeper`]
//! (a Bloom filter of three bits per token, cleared at the end of each window) remembers the
//! first offer. A token seen once, the common case of clients that rarely reuse a token, so
//! costs a hash and three bit operations instead of an insertion and an eviction in the cache,
//! and a flood of valid tokens sent once never reaches it. Among tokens offered twice, moka's
//! TinyLFU admission keeps the ones clients reuse most.
//!
//! **Bounds.** At most [`Settings::token_cache_capacity`](crate::Settings) entries (10,000 by
//! default) and at most [`Settings::token_cache_max_bytes`](crate::Settings) bytes (64 MiB by
//! default); either at 0 turns the cache off. Each entry weighs its estimated size: the token,
//! its decoded claims (walked once, when stored: their strings, arrays and objects as
//! allocated) and the bookkeeping of the entry, and at least `max_bytes / capacity`, so that
//! the weight bound also holds the count to the capacity. An entry heavier than `max_bytes`
//! alone is not stored. The doorkeeper adds a fixed 1.5 bytes per token of its window (32 KiB
//! with the default capacity, at most 2 MiB).

use std::hash::BuildHasher as _;
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use crate::alg::Alg;
use crate::claims::NumericDate;
use crate::keys::{KeyCache, KeyThumbprint};
use crate::token::Jws;

/// What verifying a token established, independent of any handler's policy.
pub(crate) struct CachedVerification {
    /// The payload, as decoded once.
    pub(crate) claims: Arc<Map<String, Value>>,
    pub(crate) alg: Alg,
    /// The `kid` header, if any: the key selection a hit repeats.
    pub(crate) kid: Option<Box<str>>,
    /// The `typ` header, if any.
    pub(crate) typ: Option<Box<str>>,
    /// The key cache whose key verified the signature, and that key.
    pub(crate) keys: Arc<KeyCache>,
    pub(crate) key: KeyThumbprint,
}

impl CachedVerification {
    /// What verifying `jws` (decoded into `claims`) with the key `key` of `keys` established.
    pub(crate) fn of(
        jws: &Jws<'_>,
        claims: &Arc<Map<String, Value>>,
        keys: &Arc<KeyCache>,
        key: KeyThumbprint,
    ) -> Self {
        CachedVerification {
            claims: Arc::clone(claims),
            alg: jws.alg,
            kid: jws.header.kid.as_deref().map(Box::from),
            typ: jws.header.typ.as_deref().map(Box::from),
            keys: Arc::clone(keys),
            key,
        }
    }

    /// Whether this verification still stands for a policy that verifies the token's issuer
    /// with `keys`: the same key cache, whose current set would still pick the same key for
    /// the token's `kid` and algorithm (like any use of stale keys, this starts a background
    /// refresh when they are stale).
    pub(crate) fn key_selection(&self, keys: &Arc<KeyCache>) -> KeySelection {
        if !Arc::ptr_eq(keys, &self.keys) {
            KeySelection::OtherKeys
        } else if self
            .keys
            .still_selects(self.kid.as_deref(), self.alg, self.key)
        {
            KeySelection::Held
        } else {
            KeySelection::Gone
        }
    }
}

/// What a cache hit's key selection says.
pub(crate) enum KeySelection {
    /// The key that verified it would still be chosen.
    Held,
    /// The key has left its set, or would no longer be chosen for the token's `kid` and
    /// algorithm: verify the token afresh, and forget the entry.
    Gone,
    /// The policy takes this issuer's keys from another key cache (another `jwks_uri`): verify
    /// the token afresh against those (which then replaces the entry; two policies naming one
    /// issuer with two `jwks_uri`s share no entries, a rare set-up that costs only speed).
    OtherKeys,
}

/// A stored token: what verifying it established, and its weight (computed once, when stored).
#[derive(Clone)]
struct Entry {
    verified: Arc<CachedVerification>,
    weight: u32,
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

/// The process-wide cache, with its counters.
pub(crate) struct TokenCache {
    entries: moka::sync::Cache<Box<str>, Entry, foldhash::fast::RandomState>,
    doorkeeper: Doorkeeper,
    capacity: u64,
    max_bytes: u64,
    /// The least weight of an entry: `max_bytes / capacity`, rounded up.
    min_weight: u64,
    hits: AtomicU64,
    misses: AtomicU64,
}

static CACHE: OnceLock<Option<TokenCache>> = OnceLock::new();

/// The cache, built from the settings in force at first use; `None` when turned off.
pub(crate) fn cache() -> Option<&'static TokenCache> {
    CACHE
        .get_or_init(|| {
            let settings = crate::settings::current();
            let (capacity, max_bytes) = (
                settings.token_cache_capacity,
                settings.token_cache_max_bytes,
            );
            (capacity > 0 && max_bytes > 0).then(|| TokenCache::new(capacity, max_bytes))
        })
        .as_ref()
}

/// The cache if a request has built it already: for [`stats`](crate::stats), which must not
/// install the settings (that would make a later [`configure`](crate::configure) fail).
pub(crate) fn built() -> Option<&'static TokenCache> {
    CACHE.get().and_then(Option::as_ref)
}

impl TokenCache {
    /// A cache of at most `capacity` entries and `max_bytes` of weight (both above 0).
    fn new(capacity: u64, max_bytes: u64) -> Self {
        // moka weighs an entry in a `u32`: beyond 4 GiB per entry of capacity, the count binds.
        let max_bytes = max_bytes.min(capacity.saturating_mul(u64::from(u32::MAX)));
        TokenCache {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_bytes)
                .weigher(|_, entry: &Entry| entry.weight)
                .build_with_hasher(foldhash::fast::RandomState::default()),
            doorkeeper: Doorkeeper::new(capacity),
            capacity,
            max_bytes,
            min_weight: max_bytes.div_ceil(capacity.max(1)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The entry of a token, counting the hit or miss.
    pub(crate) fn get(&self, token: &str) -> Option<Arc<CachedVerification>> {
        let entry = self.entries.get(token);
        let counter = if entry.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        entry.map(|entry| entry.verified)
    }

    /// Offers a token that passed its first verification: stored if it was offered before
    /// within the admission window and fits the byte bound; otherwise only remembered as seen.
    #[cfg(test)]
    pub(crate) fn insert(&self, token: &str, verified: Arc<CachedVerification>) {
        if self.doorkeeper.seen_before(token) {
            self.store(token, verified);
        }
    }

    /// Remembers a token the handler that verified it found valid (scopes and claims aside),
    /// while its `exp` lies ahead: forged tokens, and the issuer's tokens meant for other APIs,
    /// never take a place. `verification` is built only when the token is to be stored.
    pub(crate) fn remember(
        &self,
        token: &str,
        exp: Option<NumericDate>,
        now: i64,
        verification: impl FnOnce() -> CachedVerification,
    ) {
        if exp.is_some_and(|exp| !exp.reached_by(now, 0)) && self.doorkeeper.seen_before(token) {
            self.store(token, Arc::new(verification()));
        }
    }

    /// Stores an entry, weighed; one heavier than the whole bound is not stored.
    fn store(&self, token: &str, verified: Arc<CachedVerification>) {
        let weight = estimated_size(token, &verified).max(self.min_weight);
        if weight > self.max_bytes {
            return;
        }
        let weight = u32::try_from(weight).unwrap_or(u32::MAX);
        self.entries
            .insert(Box::from(token), Entry { verified, weight });
    }

    /// Forgets a token whose key left its set.
    pub(crate) fn invalidate(&self, token: &str) {
        self.entries.invalidate(token);
    }

    /// A snapshot of the counters, after the cache's pending evictions.
    pub(crate) fn stats(&self) -> TokenCacheStats {
        self.entries.run_pending_tasks();
        TokenCacheStats {
            capacity: self.capacity,
            max_bytes: self.max_bytes,
            entries: self.entries.entry_count(),
            bytes: self.entries.weighted_size(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

// ----- weight -----

/// What an entry holds besides its token and claims: moka's bookkeeping (the key's `Arc`, the
/// entry's information and deque nodes, the hash table's bucket, about 400 bytes with moka
/// 0.12), the `CachedVerification` and the claims' `Arc`.
const ENTRY_OVERHEAD: u64 = 400 + size_of::<CachedVerification>() as u64 + 32;

/// The approximate heap size of a stored token: the token, its decoded claims and headers,
/// and the entry's bookkeeping. Walks the claims once; their values number at most the
/// payload's length (bounded by [`MAX_TOKEN_LEN`](crate::bearer::MAX_TOKEN_LEN)) and are nested at
/// most 128 deep (the JSON parser's limit).
///
/// Against the growth of the resident set as entries were stored (release build, glibc):
/// 5,511 bytes estimated for 5,557 measured per typical access token (16 claims, 1 KiB);
/// 248 KB for 229 KB per token of 11 KiB of arrays of four numbers; 741 KB for 743 KB per
/// token of 11 KiB of arrays nested six deep.
fn estimated_size(token: &str, verified: &CachedVerification) -> u64 {
    let headers = [&verified.kid, &verified.typ]
        .into_iter()
        .flatten()
        .map(|text| allocation(text.len()))
        .sum::<usize>();
    let bytes = allocation(token.len()) + headers + object_heap(&verified.claims);
    ENTRY_OVERHEAD.saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX))
}

/// What the allocator hands out for `bytes`: a header of 8 bytes, rounded up to 16, at least
/// 32; nothing for 0.
fn allocation(bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        bytes.saturating_add(8).next_multiple_of(16).max(32)
    }
}

/// An object's members, names and values side by side, about 7 to a B-tree node of 11 (one
/// node at least). serde_json's `preserve_order` map takes about as much per member.
fn object_heap(map: &Map<String, Value>) -> usize {
    const NODE: usize = 11 * (size_of::<String>() + size_of::<Value>()) + 24;
    let members: usize = map
        .iter()
        .map(|(name, value)| allocation(name.capacity()) + value_heap(value))
        .sum();
    allocation(NODE) * map.len().div_ceil(7) + members
}

/// The heap a decoded value holds beyond its own `size_of::<Value>()` (which its parent
/// counts): a string's buffer, an array's slots and elements, an object's nodes and members.
fn value_heap(value: &Value) -> usize {
    match value {
        Value::String(text) => allocation(text.capacity()),
        Value::Array(items) => {
            allocation(items.capacity() * size_of::<Value>())
                + items.iter().map(value_heap).sum::<usize>()
        }
        Value::Object(map) => object_heap(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

// ----- admission -----

/// Remembers, approximately, which tokens were offered since it was last cleared: a Bloom
/// filter of three bits per token in atomic words (lock-free), cleared after `window` tokens
/// were recorded. A false positive (under 1 % when full) only stores a token at its first
/// offer, as every token was stored before there was a doorkeeper.
struct Doorkeeper {
    words: Box<[AtomicU64]>,
    /// The number of bits, minus one (a power of two, minus one).
    mask: u64,
    /// Tokens recorded since the last clearing.
    recorded: AtomicU64,
    window: u64,
    hasher: foldhash::fast::RandomState,
}

impl Doorkeeper {
    /// Twelve bits per token of a window of `2 × capacity` tokens (1,024 to 1,048,576).
    fn new(capacity: u64) -> Self {
        let window = capacity.saturating_mul(2).clamp(1 << 10, 1 << 20);
        let bits = (window * 12).next_power_of_two();
        Doorkeeper {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            recorded: AtomicU64::new(0),
            window,
            hasher: foldhash::fast::RandomState::default(),
        }
    }

    /// Whether `token` was recorded since the last clearing; records it if not.
    fn seen_before(&self, token: &str) -> bool {
        let hash = self.hasher.hash_one(token);
        // Three positions from one hash (Kirsch–Mitzenmacher double hashing).
        let (first, step) = (hash & 0xffff_ffff, (hash >> 32) | 1);
        let mut seen = true;
        for i in 0..3 {
            let bit = first.wrapping_add(i * step) & self.mask;
            // `bit / 64` is below `words.len()`: `mask + 1` is the number of bits.
            let word = &self.words[(bit / 64) as usize];
            let flag = 1 << (bit % 64);
            if word.load(Ordering::Relaxed) & flag == 0 {
                word.fetch_or(flag, Ordering::Relaxed);
                seen = false;
            }
        }
        if !seen && self.recorded.fetch_add(1, Ordering::Relaxed) + 1 == self.window {
            // Aging: tokens not offered again within the window are forgotten. Offers racing
            // with the clearing may be forgotten too: they are stored at their next offer.
            for word in &self.words {
                word.store(0, Ordering::Relaxed);
            }
            self.recorded.store(0, Ordering::Relaxed);
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    fn entry_with(claims: Map<String, Value>) -> Arc<CachedVerification> {
        Arc::new(CachedVerification {
            claims: Arc::new(claims),
            alg: Alg::RS256,
            kid: None,
            typ: None,
            keys: keys::cache_for(
                "https://token-cache.test/",
                Some("https://token-cache.test/jwks"),
            ),
            key: KeyThumbprint::for_tests(0),
        })
    }

    fn entry() -> Arc<CachedVerification> {
        entry_with(Map::new())
    }

    /// Offers `token` twice: the second offer stores it.
    fn store(cache: &TokenCache, token: &str, verified: &Arc<CachedVerification>) {
        cache.insert(token, Arc::clone(verified));
        cache.insert(token, Arc::clone(verified));
    }

    #[test]
    fn only_the_exact_token_finds_its_entry() {
        let cache = TokenCache::new(10, 1 << 20);
        let token = "a".repeat(900);
        store(&cache, &token, &entry());
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
    fn a_token_offered_once_is_not_stored_and_is_stored_at_its_second_offer() {
        let cache = TokenCache::new(10, 1 << 20);
        let verified = entry();
        cache.insert("once", Arc::clone(&verified));
        assert!(cache.get("once").is_none());
        assert_eq!(cache.stats().entries, 0);
        cache.insert("once", verified);
        assert!(cache.get("once").is_some());
    }

    #[test]
    fn a_hundred_thousand_distinct_tokens_stay_within_the_capacity_and_reused_ones_survive() {
        let cache = TokenCache::new(1_000, 64 << 20);
        let shared = entry();
        let hot: Vec<String> = (0..100).map(|i| format!("hot-{i}")).collect();
        for token in &hot {
            store(&cache, token, &shared);
        }
        for i in 0..100_000 {
            // Valid tokens sent once, and every tenth one sent twice (stored, then not reused).
            cache.insert(&format!("once-{i}"), Arc::clone(&shared));
            if i % 10 == 5 {
                cache.insert(&format!("once-{i}"), Arc::clone(&shared));
            }
            // Clients reusing their tokens keep sending them through the flood.
            if i % 10 == 0 {
                let _ = cache.get(&hot[(i / 10) % hot.len()]);
            }
        }
        let stats = cache.stats();
        assert!(stats.entries <= 1_000, "{stats:?}");
        assert!(stats.bytes <= stats.max_bytes, "{stats:?}");
        let kept = hot
            .iter()
            .filter(|token| cache.get(token).is_some())
            .count();
        assert!(
            kept >= 90,
            "only {kept} of 100 reused tokens survived the flood"
        );
    }

    #[test]
    fn large_claims_weigh_their_decoded_size_and_the_weight_stays_within_max_bytes() {
        // 2,000 arrays of four numbers: 18 KiB of JSON, about 300 KiB decoded.
        let text = format!("{{\"blob\":[{}]}}", vec!["[1,2,3,4]"; 2_000].join(","));
        let claims = crate::strict_json::object(text.as_bytes()).unwrap_or_default();
        let token = "t".repeat(1_000);
        let weight = estimated_size(&token, &entry_with(claims.clone()));
        assert!(weight > 10 * text.len() as u64, "{weight}");
        assert!(weight < 40 * text.len() as u64, "{weight}");

        let cache = TokenCache::new(1_000, 4 << 20);
        let large = entry_with(claims);
        for i in 0..100 {
            store(&cache, &format!("large-{i}"), &large);
        }
        let stats = cache.stats();
        assert!(stats.bytes <= 4 << 20, "{stats:?}");
        assert!(stats.entries > 0 && stats.entries < 20, "{stats:?}");
    }

    #[test]
    fn an_entry_heavier_than_max_bytes_alone_is_not_stored() {
        let text = format!("{{\"blob\":[{}]}}", vec!["[1,2,3,4]"; 2_000].join(","));
        let claims = crate::strict_json::object(text.as_bytes()).unwrap_or_default();
        let cache = TokenCache::new(1_000, 64 << 10);
        store(&cache, "large", &entry_with(claims));
        assert!(cache.get("large").is_none());
        store(&cache, "small", &entry());
        assert!(cache.get("small").is_some());
    }

    #[test]
    fn the_count_stays_within_the_capacity_whatever_max_bytes() {
        let cache = TokenCache::new(100, 1 << 40);
        let shared = entry();
        for i in 0..1_000 {
            store(&cache, &format!("token-{i}"), &shared);
        }
        let stats = cache.stats();
        assert!(stats.entries <= 100, "{stats:?}");
    }

    #[test]
    fn the_doorkeeper_forgets_after_its_window() {
        let doorkeeper = Doorkeeper::new(10);
        assert!(!doorkeeper.seen_before("first"));
        assert!(doorkeeper.seen_before("first"));
        // The window is 1,024 tokens (the least): once that many are recorded, all are cleared.
        let mut others = 0;
        while doorkeeper.recorded.load(Ordering::Relaxed) != 0 {
            doorkeeper.seen_before(&format!("other-{others}"));
            others += 1;
        }
        assert!((1_023..1_100).contains(&others), "{others}");
        assert!(!doorkeeper.seen_before("first"));
    }
}
