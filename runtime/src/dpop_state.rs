//! What DPoP (RFC 9449) keeps between requests, and the mode a handler accepts it in: the
//! [`Dpop`] mode, the [`ReplayStore`] that refuses a proof's `jti` the second time (with
//! [`InMemoryReplayStore`], bounded, for one process), and [`NonceSource`], stateless server
//! nonces (RFC 9449 §8–9) that replicas sharing a secret agree on.
//!
//! A layer below [`Settings`](crate::Settings), which holds them; the proof checks themselves
//! are in [`dpop`](crate::dpop).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Whether a handler accepts DPoP-bound tokens (RFC 9449) and requires them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dpop {
    /// The default. A token without `cnf.jkt` works as a bearer token; a token bound to a key
    /// (`cnf.jkt`) is accepted only under the `DPoP` scheme with a valid proof, never as
    /// `Bearer` (RFC 9449 §7.2: no downgrade).
    #[default]
    Allowed,
    /// Only DPoP-bound tokens with a valid proof; `Bearer` is refused.
    Required,
    /// Bearer tokens only, as without DPoP support: `cnf` is ignored and the `DPoP` scheme is
    /// refused as an unknown scheme.
    Disabled,
}

/// The future a [`ReplayStore`] returns.
pub type ReplayFuture<'a> =
    Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>>;

/// Where the `jti`s of accepted proofs are remembered, so that a proof is accepted once.
///
/// The key is a fixed-size digest of the proof's `jti`, `htm` and `htu` (32 bytes), so a
/// store never holds what a client chose. A store shared by every replica refuses a proof
/// replayed against another replica too: `RedisReplayStore` (feature `redis`), or your own
/// implementation over a database; the default, [`InMemoryReplayStore`], is right for one
/// process.
pub trait ReplayStore: Send + Sync + 'static {
    /// Remembers `key` for `ttl` unless it is already remembered, atomically: `Ok(true)` when
    /// the key was new (the proof is fresh), `Ok(false)` when it was already there (a
    /// replay). An error when the store cannot say: the proof is then never accepted
    /// unchecked.
    fn insert_new<'a>(&'a self, key: &'a [u8], ttl: Duration) -> ReplayFuture<'a>;
}

/// A [`ReplayStore`] could not answer: the request is refused (503), never accepted
/// unchecked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the DPoP replay store is unavailable: {0}")]
pub struct ReplayStoreError(pub String);

/// The default [`ReplayStore`]: in memory, for one process, bounded.
///
/// Always remembers the newest `capacity` proofs (default 100,000), and at most twice that;
/// each is forgotten once its proof could no longer be accepted anyway (the `ttl` it was
/// inserted with: the proof window and the leeway). Beyond that, the oldest proofs are
/// forgotten first: keep the capacity above the proofs a process accepts within one window, or
/// use server nonces ([`NonceSource`]), which bound how long a proof can be replayed at all.
///
/// Proofs are spread over shards by their key (a digest), each behind its own lock and holding
/// two generations: proofs go into the newer; when it has expired the older (it is older than
/// the longest `ttl` seen) or holds its share of the capacity, the older is dropped whole and
/// the newer takes its place. An insertion is one hash-table lookup and insert, whatever the
/// store holds.
#[derive(Clone)]
pub struct InMemoryReplayStore {
    shards: Arc<[Mutex<Generations>]>,
    /// The proofs one shard may hold.
    per_shard: usize,
    capacity: u64,
}

/// One shard's proofs: each key with the instant its proof stops being accepted.
struct Generations {
    newer: HashMap<[u8; 32], Instant, foldhash::fast::RandomState>,
    older: HashMap<[u8; 32], Instant, foldhash::fast::RandomState>,
    /// When `newer` started.
    since: Instant,
    /// The longest `ttl` inserted: a generation started that long before `since` holds no
    /// proof still accepted.
    longest_ttl: Duration,
}

impl Generations {
    fn new(now: Instant) -> Self {
        Generations {
            newer: HashMap::default(),
            older: HashMap::default(),
            since: now,
            longest_ttl: Duration::ZERO,
        }
    }

    /// Whether `key` is new at `now`, remembering it until `now + ttl`; `limit` proofs in a
    /// generation at most.
    fn insert_new(&mut self, key: [u8; 32], ttl: Duration, now: Instant, limit: usize) -> bool {
        let held = |map: &HashMap<_, Instant, _>| map.get(&key).is_some_and(|until| *until > now);
        if held(&self.newer) || held(&self.older) {
            return false;
        }
        self.longest_ttl = self.longest_ttl.max(ttl);
        // The older generation was started before `since`: past the longest ttl after it,
        // every proof in it has expired.
        if now.saturating_duration_since(self.since) >= self.longest_ttl {
            self.rotate(now);
        }
        if self.newer.len() >= limit {
            self.rotate(now);
        }
        self.newer.insert(key, now + ttl);
        true
    }

    /// Drops the older generation; the newer one becomes it.
    fn rotate(&mut self, now: Instant) {
        self.older = std::mem::take(&mut self.newer);
        self.since = now;
    }

    fn len(&self) -> usize {
        self.newer.len() + self.older.len()
    }
}

impl fmt::Debug for InMemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InMemoryReplayStore")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl InMemoryReplayStore {
    /// The default capacity: 100,000 proofs.
    pub const DEFAULT_CAPACITY: u64 = 100_000;

    /// A store remembering at least the newest `capacity` proofs (at least 1), at most twice
    /// that.
    pub fn new(capacity: u64) -> Self {
        let capacity = capacity.max(1);
        // Enough shards that concurrent requests rarely wait on one lock, few enough that each
        // holds many proofs (the capacity is split evenly, rounded down).
        let shards: usize = if capacity >= 16 * 64 { 16 } else { 1 };
        let per_shard = usize::try_from(capacity)
            .unwrap_or(usize::MAX)
            .checked_div(shards)
            .unwrap_or(1)
            .max(1);
        let now = Instant::now();
        InMemoryReplayStore {
            shards: (0..shards)
                .map(|_| Mutex::new(Generations::new(now)))
                .collect(),
            per_shard,
            capacity,
        }
    }

    /// Whether `key` is new, remembering it: [`ReplayStore::insert_new`] without a future.
    pub fn insert_new_now(&self, key: &[u8], ttl: Duration) -> bool {
        let key = digest_key(key);
        let shard = usize::from(key[0]) % self.shards.len();
        self.shards[shard]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert_new(key, ttl, Instant::now(), self.per_shard)
    }

    /// How many proofs are held now (some may have expired, not yet dropped).
    pub fn len(&self) -> u64 {
        self.shards
            .iter()
            .map(|shard| shard.lock().unwrap_or_else(PoisonError::into_inner).len() as u64)
            .sum()
    }

    /// Whether no proof is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for InMemoryReplayStore {
    fn default() -> Self {
        InMemoryReplayStore::new(Self::DEFAULT_CAPACITY)
    }
}

impl ReplayStore for InMemoryReplayStore {
    fn insert_new<'a>(&'a self, key: &'a [u8], ttl: Duration) -> ReplayFuture<'a> {
        let fresh = self.insert_new_now(key, ttl);
        Box::pin(std::future::ready(Ok(fresh)))
    }
}

/// A key of exactly 32 bytes (the digest `check_replay` makes) as is; any other by its SHA-256,
/// so that keys of different lengths never collide.
fn digest_key(key: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    if key.len() == out.len() {
        out.copy_from_slice(key);
    } else {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key);
        out.copy_from_slice(digest.as_ref());
    }
    out
}

/// The [`ReplayStore`] the settings name: [`InMemoryReplayStore`] unless one was configured.
#[derive(Clone, Default)]
pub(crate) struct ReplayStoreHandle(pub(crate) Option<Arc<dyn ReplayStore>>);

impl fmt::Debug for ReplayStoreHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "ReplayStore(configured)",
            None => "ReplayStore(in memory)",
        })
    }
}

/// Stateless server nonces (RFC 9449 §8–9): a nonce is an HMAC-SHA256, under a secret, of
/// the current time slot (`rotation` long). The current and the previous slot's nonces are
/// accepted, so a nonce lives between one and two rotations; replicas sharing the secret
/// issue and accept the same nonces without a shared store.
///
/// ```
/// use std::time::Duration;
/// use jwks_guard::dpop::NonceSource;
///
/// let nonces = NonceSource::new(b"a secret of 32 bytes or more....", Duration::from_secs(60));
/// let nonce = nonces.current();
/// assert!(nonces.accepts(&nonce));
/// assert!(!nonces.accepts("made-up"));
/// ```
#[derive(Clone)]
pub struct NonceSource {
    key: hmac::Key,
    rotation_secs: u64,
    /// The last nonce handed out, with its slot: it changes once a rotation, and every response
    /// may ask for it.
    last: Arc<ArcSwapOption<(u64, String)>>,
}

impl fmt::Debug for NonceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NonceSource")
            .field("rotation_secs", &self.rotation_secs)
            .finish_non_exhaustive()
    }
}

impl NonceSource {
    /// Nonces under `secret` (use 32 random bytes or more, the same on every replica),
    /// changing every `rotation` (at least a second).
    pub fn new(secret: impl AsRef<[u8]>, rotation: Duration) -> Self {
        NonceSource {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()),
            rotation_secs: rotation.as_secs().max(1),
            last: Arc::new(ArcSwapOption::empty()),
        }
    }

    /// The nonce to hand out now (`DPoP-Nonce`): 43 base64url characters. Computed once a
    /// rotation, then remembered.
    pub fn current(&self) -> String {
        let now = unix_now();
        let slot = self.slot(now);
        if let Some(last) = &*self.last.load()
            && last.0 == slot
        {
            return last.1.clone();
        }
        let nonce = self.issue_at(now);
        self.last.store(Some(Arc::new((slot, nonce.clone()))));
        nonce
    }

    /// Whether `nonce` is the current or the previous slot's nonce, compared in constant time.
    pub fn accepts(&self, nonce: &str) -> bool {
        self.accepts_at(nonce, unix_now())
    }

    /// How long a nonce lives at most: two rotations.
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.rotation_secs.saturating_mul(2))
    }

    pub(crate) fn issue_at(&self, unix_seconds: u64) -> String {
        let tag = hmac::sign(&self.key, &self.slot_input(self.slot(unix_seconds)));
        URL_SAFE_NO_PAD.encode(tag.as_ref())
    }

    pub(crate) fn accepts_at(&self, nonce: &str, unix_seconds: u64) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let slot = self.slot(unix_seconds);
        [Some(slot), slot.checked_sub(1)]
            .into_iter()
            .flatten()
            .any(|slot| hmac::verify(&self.key, &self.slot_input(slot), &tag).is_ok())
    }

    fn slot(&self, unix_seconds: u64) -> u64 {
        unix_seconds / self.rotation_secs
    }

    /// What is signed: a label (so the secret's tags mean nothing elsewhere), the rotation
    /// and the slot.
    fn slot_input(&self, slot: u64) -> Vec<u8> {
        let mut input = b"jwks-guard DPoP nonce\0".to_vec();
        input.extend_from_slice(&self.rotation_secs.to_be_bytes());
        input.extend_from_slice(&slot.to_be_bytes());
        input
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_in_its_slot_and_the_next_and_never_after() {
        let nonces = NonceSource::new(b"secret", Duration::from_secs(60));
        let issued = nonces.issue_at(6_000);
        assert_eq!(issued.len(), 43);
        assert_eq!(nonces.issue_at(6_059), issued, "one slot, one nonce");
        assert!(nonces.accepts_at(&issued, 6_000));
        assert!(
            nonces.accepts_at(&issued, 6_119),
            "the previous slot's nonce"
        );
        assert!(!nonces.accepts_at(&issued, 6_120), "two slots later");
        assert!(!nonces.accepts_at(&issued, 5_999), "a nonce of the future");
        assert_ne!(nonces.issue_at(6_060), issued);
    }

    #[test]
    fn replicas_sharing_the_secret_agree_and_other_secrets_do_not() {
        let one = NonceSource::new(b"shared", Duration::from_secs(30));
        let two = NonceSource::new(b"shared", Duration::from_secs(30));
        let other = NonceSource::new(b"other", Duration::from_secs(30));
        let nonce = one.issue_at(1_000);
        assert!(two.accepts_at(&nonce, 1_000));
        assert!(!other.accepts_at(&nonce, 1_000));
        let longer = NonceSource::new(b"shared", Duration::from_secs(60));
        assert!(!longer.accepts_at(&nonce, 1_000), "the rotation is signed");
    }

    #[test]
    fn the_current_nonce_is_the_one_of_the_current_slot_and_not_a_remembered_older_one() {
        let nonces = NonceSource::new(b"secret", Duration::from_secs(60));
        nonces
            .last
            .store(Some(Arc::new((0, "of slot zero".to_owned()))));
        let before = unix_now();
        let current = nonces.current();
        let after = unix_now();
        assert!(
            [nonces.issue_at(before), nonces.issue_at(after)].contains(&current),
            "{current}"
        );
        let again = nonces.current();
        assert!(nonces.accepts(&again));
        assert_eq!(again.len(), 43);
    }

    #[test]
    fn malformed_nonces_are_refused() {
        let nonces = NonceSource::new(b"secret", Duration::from_secs(60));
        let good = nonces.issue_at(100);
        for bad in ["", "!!", &good[..42], &format!("{good}A"), "AAAA"] {
            assert!(!nonces.accepts_at(bad, 100), "{bad}");
        }
    }

    #[test]
    fn the_in_memory_store_says_fresh_once_per_key() {
        let store = InMemoryReplayStore::new(10);
        let ttl = Duration::from_secs(60);
        assert!(store.insert_new_now(b"proof-1", ttl));
        assert!(!store.insert_new_now(b"proof-1", ttl));
        assert!(store.insert_new_now(b"proof-2", ttl));
        let via_trait = futures_util::FutureExt::now_or_never(store.insert_new(b"proof-2", ttl));
        assert_eq!(via_trait, Some(Ok(false)));
    }

    #[test]
    fn the_in_memory_store_stays_within_twice_its_capacity_and_remembers_the_newest() {
        let store = InMemoryReplayStore::new(1_000);
        for i in 0u32..20_000 {
            assert!(store.insert_new_now(&i.to_be_bytes(), Duration::from_secs(60)));
        }
        let held = store.len();
        assert!((1_000..=2_000).contains(&held), "{held} entries held");
        // The newest `capacity` proofs are all remembered.
        for newest in 19_000u32..20_000 {
            assert!(!store.insert_new_now(&newest.to_be_bytes(), Duration::from_secs(60)));
        }
    }

    #[test]
    fn a_sharded_store_stays_within_twice_its_capacity_and_remembers_the_newest() {
        let store = InMemoryReplayStore::new(2_048);
        let ttl = Duration::from_secs(60);
        for i in 0u32..100_000 {
            assert!(store.insert_new_now(&i.to_be_bytes(), ttl));
        }
        let held = store.len();
        assert!((2_048..=4_096).contains(&held), "{held} entries held");
        // Every shard holds at least its share (128) of the newest: the last 1,000, spread
        // over the 16 shards by their digests, are all there.
        for newest in 99_000u32..100_000 {
            assert!(
                !store.insert_new_now(&newest.to_be_bytes(), ttl),
                "{newest}"
            );
        }
    }

    #[test]
    fn expired_proofs_are_dropped_a_generation_at_a_time_before_the_store_fills() {
        let store = InMemoryReplayStore::new(1_000);
        for i in 0u32..5_000 {
            assert!(store.insert_new_now(&i.to_be_bytes(), Duration::ZERO));
        }
        // Each proof expired as it was inserted: at most the last two generations remain.
        assert!(store.len() <= 2, "{} entries held", store.len());
    }

    #[test]
    fn an_entry_is_forgotten_after_its_ttl() {
        let store = InMemoryReplayStore::new(10);
        assert!(store.insert_new_now(b"short", Duration::ZERO));
        assert!(store.insert_new_now(b"short", Duration::from_secs(60)));
        assert!(!store.insert_new_now(b"short", Duration::from_secs(60)));
    }
}
