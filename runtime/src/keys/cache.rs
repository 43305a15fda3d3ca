//! [`KeyCache`]: the key set of one issuer, read without locks, refreshed by one fetch at a
//! time, and the one owner of "the key for this token".
//!
//! ```text
//!            first request                       max-age passed (± jitter)
//!   empty ───────────────────► fresh ─────────────────────────────► stale
//!     │  fetch fails:            ▲  ▲                                  │ one background refresh;
//!     │  503 + Retry-After,      │  └── refresh ok (200, or 304:  ◄────┤ held keys still served
//!     │  retry after backoff     │      freshness extended,            │
//!     │  (1 s doubling to 30 s)  │      keys not re-parsed)            │ refresh fails
//!     ▼                          │                                     ▼
//!   unavailable ◄────────────────┼──────────────────────────────── failing
//!     (503 until a fetch         │  max_stale (24 h) after the       (held keys served, retries
//!      succeeds)                 │  last success                      after backoff; warned once)
//!                                └── refresh ok: recovered (logged once)
//! ```
//!
//! - **Unknown `kid`** (or no `kid` and the only fitting key refuses the signature): one
//!   refresh, joined by concurrent requests, if the [`RefreshBudget`] allows: a burst of 2, then
//!   one per cooldown (30 s). The budget is decided without a lock; a stray `kid` costs a real
//!   rotation nothing.
//! - **One deadline per refresh**: discovery and JWKS together within `fetch_timeout`.
//! - **Bounded staleness**: held keys are served for at most `max_stale` after the last
//!   successful refresh; freshness never takes more than half of it, so the other half is
//!   always left for riding out a failing provider. Unknown `kid`s do not ask a failing provider
//!   again before its backoff has passed.
//! - **Conditional refresh**: `If-None-Match` / `If-Modified-Since` from the last response.
//! - **Replacement** is atomic; vanished keys stop verifying at once; a set without usable keys
//!   never replaces a usable one (it is a failed refresh).
//! - Logs once per state change (fetched, failing, recovered), never per request; refresh
//!   events carry the issuer in their span.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use tracing::Instrument as _;

use super::budget::RefreshBudget;
use super::fetch::{self, FetchError, Fetched, Validators, jittered};
use super::fetch_runtime;
use super::jwk::{KeyProblem, KeySet, KeyThumbprint};
use super::snapshot::{KeySetState, KeySetStats};
use crate::alg::Alg;
use crate::reject::Rejection;
use crate::settings;
use crate::token::Jws;

/// A key set, the instant it stops being fresh, and the instant it stops being served.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) keys: Arc<KeySet>,
    fresh_until: Instant,
    usable_until: Instant,
}

type Refresh = Shared<BoxFuture<'static, Result<(), FetchError>>>;

/// How many refreshes one request, prefetch or unknown `kid` starts or joins when each turns
/// out to come from a source that changed meanwhile ([`FetchError::Superseded`]): sources do
/// not change that often.
const SOURCE_CHANGE_ATTEMPTS: usize = 5;

#[derive(Default)]
struct State {
    /// The JWKS URI found by discovery (forgotten after a failed refresh).
    discovered_uri: Option<String>,
    /// The validators of the last JWKS response (they name the URL that sent them, the only
    /// one they are sent back to).
    validators: Option<Validators>,
    /// Consecutive failed refreshes, and when the next may start.
    failures: u32,
    retry_at: Option<Instant>,
    /// Counts [`KeyCache::source_changed`]s: a refresh started before the last one belongs to
    /// an old source.
    generation: u64,
}

#[derive(Default)]
struct Counters {
    fetches: AtomicU64,
    failures: AtomicU64,
    not_modified: AtomicU64,
    stale_serves: AtomicU64,
    /// Unix milliseconds of the last successful refresh; 0 for never.
    last_success_ms: AtomicU64,
}

/// The keys of one (issuer, JWKS URI).
pub(crate) struct KeyCache {
    issuer: String,
    jwks_uri: Option<String>,
    current: ArcSwapOption<Cached>,
    /// The refresh under way, which every caller joins; read without the lock.
    in_flight: ArcSwapOption<Refresh>,
    state: Mutex<State>,
    /// The earliest [`ticks`] at which stale keys may start a background refresh: `u64::MAX`
    /// while one is in flight, the end of the backoff after a failure. Read without the lock,
    /// so requests served from stale keys during an outage take no lock.
    background_gate: AtomicU64,
    budget: RefreshBudget,
    counters: Counters,
}

/// A monotonic instant as nanoseconds since the first use of the cache, for atomics.
fn ticks(at: Instant) -> u64 {
    static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(at.saturating_duration_since(*ORIGIN).as_nanos()).unwrap_or(u64::MAX)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// `now + after`, saturating at a far but representable instant.
fn later(now: Instant, after: Duration) -> Instant {
    now.checked_add(after)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 60 * 60)))
        .unwrap_or(now)
}

/// The wait after `failures` consecutive failed refreshes: `initial`, doubled after each
/// further failure, at most `max`.
pub(crate) fn backoff(failures: u32, initial: Duration, max: Duration) -> Duration {
    let doublings = failures.saturating_sub(1).min(31);
    initial.saturating_mul(1 << doublings).min(max)
}

impl KeyCache {
    pub(crate) fn new(issuer: String, jwks_uri: Option<String>) -> Self {
        KeyCache {
            issuer,
            jwks_uri,
            current: ArcSwapOption::empty(),
            in_flight: ArcSwapOption::empty(),
            state: Mutex::new(State::default()),
            background_gate: AtomicU64::new(0),
            budget: RefreshBudget::default(),
            counters: Counters::default(),
        }
    }

    /// A cache holding `keys` for good: never stale, never refreshed (a refresh for an unknown
    /// key is never started). For fuzzers and property tests, which run the request path
    /// without a network.
    #[cfg(any(test, fuzzing))]
    pub(crate) fn pinned(issuer: &str, keys: KeySet) -> Arc<Self> {
        let cache = KeyCache::new(issuer.to_owned(), None);
        let forever = later(Instant::now(), Duration::MAX);
        cache.current.store(Some(Arc::new(Cached {
            keys: Arc::new(keys),
            fresh_until: forever,
            usable_until: forever,
        })));
        // No refresh may start before this instant: never.
        cache.background_gate.store(u64::MAX, Ordering::Release);
        Arc::new(cache)
    }

    /// Verifies the signature of `jws` with the key it names: the held set, refreshed once
    /// (within the budget) when the token names a `kid` the set lacks, or names none and the
    /// only fitting key refuses it — provided `worth_a_refresh` says so (the request path asks
    /// whether the token's `exp` and `nbf` lie within the accepted window), so that a hopeless
    /// token never spends the budget.
    ///
    /// Returns the key that verified it.
    ///
    /// # Errors
    /// 401 when no key verifies the signature; 503 when no keys can be had.
    pub(crate) async fn verify(
        self: &Arc<Self>,
        jws: &Jws<'_>,
        worth_a_refresh: impl FnOnce() -> bool,
    ) -> Result<KeyThumbprint, Rejection> {
        let kid = jws.header.kid.as_deref();
        let check =
            |keys: &KeySet| keys.verify(kid, jws.alg, jws.signing_input.as_bytes(), &jws.signature);
        let cached = self.keys().await?;
        let problem = match check(&cached.keys) {
            Ok(key) => return Ok(key),
            Err(problem) => problem,
        };
        let may_be_rotated = problem == KeyProblem::UnknownKid
            || (kid.is_none() && problem == KeyProblem::BadSignature);
        if may_be_rotated
            && worth_a_refresh()
            && let Some(newer) = self.refresh_for_unknown_key(&cached).await
        {
            return check(&newer.keys).map_err(|problem| problem.rejection(kid.is_some()));
        }
        Err(problem.rejection(kid.is_some()))
    }

    /// Whether the usable set would still verify a token naming `kid` with `alg` by the key
    /// `id` (the key is held, and the same key selection picks it): what a token verified
    /// earlier by that key relies on. Like any use of stale keys, starts a background refresh
    /// when they are stale.
    pub(crate) fn still_selects(
        self: &Arc<Self>,
        kid: Option<&str>,
        alg: Alg,
        id: KeyThumbprint,
    ) -> bool {
        self.serve(Instant::now())
            .is_some_and(|cached| cached.keys.selects(kid, alg, id))
    }

    /// The usable keys, to serve a request at `now`: when they are stale, counted as a stale
    /// serve and refreshed in the background.
    fn serve(self: &Arc<Self>, now: Instant) -> Option<Arc<Cached>> {
        let cached = self.usable(now)?;
        if now >= cached.fresh_until {
            self.counters.stale_serves.fetch_add(1, Ordering::Relaxed);
            self.refresh_in_background(now);
        }
        Some(cached)
    }

    /// The current keys, fetching them first if none are usable.
    ///
    /// # Errors
    /// 503 when no keys are usable and none can be fetched now.
    async fn keys(self: &Arc<Self>) -> Result<Arc<Cached>, Rejection> {
        // A refresh from a source that changed meanwhile and brought no keys is followed by one
        // from the new source (a few times at most: sources do not change that often).
        for _ in 0..SOURCE_CHANGE_ATTEMPTS {
            let now = Instant::now();
            if let Some(cached) = self.serve(now) {
                return Ok(cached);
            }
            let refresh = {
                let mut state = self.lock();
                // A refresh may have completed since the load above.
                if let Some(cached) = self.usable(now) {
                    return Ok(cached);
                }
                match (self.in_flight.load_full(), state.retry_at) {
                    (Some(in_flight), _) => (*in_flight).clone(),
                    (None, Some(retry_at)) if retry_at > now => {
                        return Err(Rejection::keys_unavailable(retry_at - now));
                    }
                    (None, _) => self.start_refresh(&mut state),
                }
            };
            match (refresh.await, self.usable(Instant::now())) {
                (_, Some(cached)) => return Ok(cached),
                (Err(FetchError::Superseded), None) => continue,
                _ => break,
            }
        }
        Err(Rejection::keys_unavailable(self.retry_in()))
    }

    /// Fetches now unless usable keys are held, ignoring any backoff; joins a refresh under
    /// way. For start-up.
    pub(crate) async fn prefetch(self: &Arc<Self>) -> Result<(), FetchError> {
        let mut outcome = Ok(());
        // As in `keys`: a refresh from a source that changed meanwhile is tried again.
        for _ in 0..SOURCE_CHANGE_ATTEMPTS {
            if self.usable(Instant::now()).is_some() {
                return Ok(());
            }
            let refresh = {
                let mut state = self.lock();
                match self.in_flight.load_full() {
                    Some(in_flight) => (*in_flight).clone(),
                    None => self.start_refresh(&mut state),
                }
            };
            outcome = refresh.await;
            if !matches!(outcome, Err(FetchError::Superseded)) {
                break;
            }
        }
        outcome
    }

    /// The held keys, unless past `max_stale`.
    fn usable(&self, now: Instant) -> Option<Arc<Cached>> {
        self.current
            .load_full()
            .filter(|cached| now < cached.usable_until)
    }

    /// The usable keys, if they are another set than `seen` (a refresh stored one since).
    fn newer_than(&self, seen: &Cached, now: Instant) -> Option<Arc<Cached>> {
        self.usable(now)
            .filter(|current| !Arc::ptr_eq(&current.keys, &seen.keys))
    }

    /// Refreshes because a token named a key the held set (`seen`) lacks, if the budget
    /// allows; joins a refresh already under way. Returns the keys after it, or `None` when no
    /// refresh was allowed or it failed. A newer set stored since `seen` is returned at once.
    async fn refresh_for_unknown_key(self: &Arc<Self>, seen: &Arc<Cached>) -> Option<Arc<Cached>> {
        // A refresh from a source that changed meanwhile is followed by one from the new source
        // (whose budget is whole again), a few times at most.
        for _ in 0..SOURCE_CHANGE_ATTEMPTS {
            let now = Instant::now();
            if let Some(newer) = self.newer_than(seen, now) {
                return Some(newer);
            }
            let refresh = match self.in_flight.load_full() {
                Some(in_flight) => (*in_flight).clone(),
                // A provider that is failing is not asked again before its backoff has passed.
                None if ticks(now) < self.background_gate.load(Ordering::Acquire) => return None,
                None => {
                    // A refresh may have completed between the two loads above.
                    if let Some(newer) = self.newer_than(seen, now) {
                        return Some(newer);
                    }
                    let settings = settings::current();
                    let granted = self.budget.try_take(
                        ticks(now),
                        nanos(settings.unknown_kid_cooldown),
                        settings.refresh_burst,
                    );
                    if !granted {
                        return None;
                    }
                    let mut state = self.lock();
                    match self.in_flight.load_full() {
                        Some(in_flight) => (*in_flight).clone(),
                        None => self.start_refresh(&mut state),
                    }
                }
            };
            match refresh.await {
                Err(FetchError::Superseded) => continue,
                Err(_) => return None,
                Ok(()) => return self.usable(Instant::now()),
            }
        }
        None
    }

    fn refresh_in_background(self: &Arc<Self>, now: Instant) {
        if ticks(now) < self.background_gate.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        let backing_off = state.retry_at.is_some_and(|retry_at| retry_at > now);
        if self.in_flight.load().is_none() && !backing_off {
            // The refresh runs on the fetch runtime whether or not anyone awaits it.
            drop(self.start_refresh(&mut state));
        }
    }

    /// Starts a refresh on the fetch runtime and records it as the one in flight. Call with
    /// the state locked and no refresh in flight.
    fn start_refresh(self: &Arc<Self>, state: &mut State) -> Refresh {
        let this = Arc::clone(self);
        let known_uri = self
            .jwks_uri
            .clone()
            .or_else(|| state.discovered_uri.clone());
        let validators = state.validators.clone();
        let generation = state.generation;
        self.counters.fetches.fetch_add(1, Ordering::Relaxed);
        let span = tracing::info_span!("jwks_refresh", issuer = %self.issuer);
        let task = async move {
            let deadline = settings::current().fetch_timeout;
            let fetch = tokio::time::timeout(deadline, this.fetch(known_uri, validators));
            let outcome = std::panic::AssertUnwindSafe(fetch).catch_unwind().await;
            let outcome = match outcome {
                Ok(Ok(outcome)) => outcome,
                Ok(Err(_elapsed)) => Err(FetchError::Aborted(format!(
                    "discovery and JWKS did not complete within {deadline:?}"
                ))),
                Err(_panic) => Err(FetchError::Aborted("the fetch panicked".into())),
            };
            this.settle(outcome, generation)
        }
        .instrument(span);
        let refresh = match fetch_runtime::spawn(task) {
            Ok(handle) => async move {
                handle
                    .await
                    .unwrap_or_else(|error| Err(FetchError::Aborted(error.to_string())))
            }
            .boxed()
            .shared(),
            Err(reason) => {
                let error = FetchError::Aborted(reason);
                self.record_failure(state, &error);
                return futures_util::future::ready(Err(error)).boxed().shared();
            }
        };
        self.in_flight.store(Some(Arc::new(refresh.clone())));
        self.background_gate.store(u64::MAX, Ordering::Release);
        refresh
    }

    /// Discovery (when the JWKS URI is not known yet) and the JWKS fetch, conditional on
    /// `validators` where it reaches the URL that sent them.
    async fn fetch(
        &self,
        known_uri: Option<String>,
        validators: Option<Validators>,
    ) -> Result<(String, Fetched), FetchError> {
        let settings = settings::current();
        let uri = match known_uri {
            Some(uri) => uri,
            None => fetch::discover(settings, &self.issuer).await?,
        };
        let fetched = fetch::jwks(settings, &self.issuer, &uri, validators.as_ref()).await?;
        Ok((uri, fetched))
    }

    /// Stores the outcome of a refresh started at `generation` and clears the in-flight marker;
    /// for a refresh from a source that has changed since (see [`KeyCache::source_changed`]),
    /// only keys for an empty cache, as stale keys.
    fn settle(
        &self,
        outcome: Result<(String, Fetched), FetchError>,
        generation: u64,
    ) -> Result<(), FetchError> {
        let mut state = self.lock();
        let now = Instant::now();
        let max_stale = settings::current().max_stale;
        if generation != state.generation {
            // Started before the source changed: a key set it brought is served (stale, so the
            // new source is asked at the next request) when nothing else is held; nothing else
            // it learnt (validators, the discovered URI, a failure) belongs to the new source.
            if let Ok((_, Fetched::Modified { keys, .. })) = outcome
                && self.current.load().is_none()
            {
                self.current.store(Some(Arc::new(Cached {
                    keys: Arc::new(keys),
                    fresh_until: now,
                    usable_until: later(now, max_stale),
                })));
                return Ok(());
            }
            return Err(FetchError::Superseded);
        }
        // Freshness never takes more than half of `max_stale`, so that at least the other half
        // is left for serving held keys while refreshes fail.
        let fresh_for = |max_age: Duration| max_age.min(max_stale / 2);
        let stored = match outcome {
            Ok((
                uri,
                Fetched::Modified {
                    keys,
                    max_age,
                    validators,
                },
            )) => {
                let first = self.current.load().is_none();
                let kids = keys.kids().join(" ");
                self.current.store(Some(Arc::new(Cached {
                    keys: Arc::new(keys),
                    fresh_until: later(now, fresh_for(max_age)),
                    usable_until: later(now, max_stale),
                })));
                if first {
                    tracing::info!(jwks_uri = %super::jwk::loggable(&uri, super::jwk::TEXT_CHARS), kids, max_age_secs = max_age.as_secs(), "fetched signing keys");
                } else {
                    tracing::debug!(jwks_uri = %super::jwk::loggable(&uri, super::jwk::TEXT_CHARS), kids, max_age_secs = max_age.as_secs(), "refreshed signing keys");
                }
                if self.jwks_uri.is_none() {
                    state.discovered_uri = Some(uri.clone());
                }
                state.validators = Some(validators);
                Ok(())
            }
            Ok((uri, Fetched::NotModified { max_age })) => match self.current.load_full() {
                Some(held) => {
                    self.current.store(Some(Arc::new(Cached {
                        keys: Arc::clone(&held.keys),
                        fresh_until: later(now, fresh_for(max_age)),
                        usable_until: later(now, max_stale),
                    })));
                    self.counters.not_modified.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(jwks_uri = %super::jwk::loggable(&uri, super::jwk::TEXT_CHARS), max_age_secs = max_age.as_secs(), "signing keys not modified");
                    Ok(())
                }
                None => Err(FetchError::Status {
                    url: uri,
                    status: reqwest::StatusCode::NOT_MODIFIED,
                }),
            },
            Err(error) => Err(error),
        };
        match &stored {
            Ok(()) => {
                if state.failures > 0 {
                    tracing::info!(failures = state.failures, "signing key refresh recovered");
                }
                state.failures = 0;
                state.retry_at = None;
                self.background_gate.store(0, Ordering::Release);
                let unix_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |since| {
                        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
                    });
                self.counters
                    .last_success_ms
                    .store(unix_ms.max(1), Ordering::Relaxed);
            }
            Err(error) => self.record_failure(&mut state, error),
        }
        // Last, so that whoever sees no refresh in flight also sees its outcome.
        self.in_flight.store(None);
        stored
    }

    fn record_failure(&self, state: &mut State, error: &FetchError) {
        let settings = settings::current();
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        state.failures = state.failures.saturating_add(1);
        let backoff = jittered(
            backoff(
                state.failures,
                settings.initial_backoff,
                settings.max_backoff,
            ),
            settings.jitter,
        );
        let retry_at = later(Instant::now(), backoff);
        state.retry_at = Some(retry_at);
        self.background_gate
            .store(ticks(retry_at), Ordering::Release);
        state.discovered_uri = None;
        let keeping_cached_keys = self.usable(Instant::now()).is_some();
        if state.failures == 1 {
            tracing::warn!(
                issuer = %self.issuer,
                error = %error,
                retry_in_ms = backoff.as_millis() as u64,
                keeping_cached_keys,
                "signing key refresh failed; retrying with backoff until it succeeds"
            );
        } else {
            tracing::debug!(
                issuer = %self.issuer,
                error = %error,
                failures = state.failures,
                retry_in_ms = backoff.as_millis() as u64,
                keeping_cached_keys,
                "signing key refresh failed again"
            );
        }
    }

    /// Whether this cache fetches from under `prefix` (a URL ending with `/`): its configured
    /// JWKS URI, or its discovery document and the JWKS URI that document named.
    pub(crate) fn fetches_under(&self, prefix: &str) -> bool {
        let under = |url: &str| url.starts_with(prefix) || url == prefix.trim_end_matches('/');
        if let Some(jwks_uri) = &self.jwks_uri {
            return under(jwks_uri);
        }
        under(&crate::issuer::discovery_base(&self.issuer))
            || self.lock().discovered_uri.as_deref().is_some_and(under)
    }

    /// Starts over with a new source of keys ([`fetch_from`]: a route installed or removed):
    /// everything learnt from the old one (the discovered JWKS URI, validators, failures and
    /// backoff) is forgotten, the refresh budget is whole again, and held keys turn stale:
    /// still served, refreshed from the new source at the next request. A token naming a key
    /// only the new source has gets its refresh at once. A refresh under way from the old
    /// source stores no more than keys for an empty cache, and records no failure.
    ///
    /// [`fetch_from`]: crate::fetch_from
    pub(crate) fn source_changed(&self) {
        let mut state = self.lock();
        let generation = state.generation.wrapping_add(1);
        *state = State {
            generation,
            ..State::default()
        };
        let now = Instant::now();
        if let Some(held) = self.usable(now) {
            self.current.store(Some(Arc::new(Cached {
                keys: Arc::clone(&held.keys),
                fresh_until: now,
                usable_until: held.usable_until,
            })));
        }
        self.in_flight.store(None);
        self.budget.reset();
        self.background_gate.store(0, Ordering::Release);
    }

    /// How long until the next fetch may be tried.
    fn retry_in(&self) -> Duration {
        let state = self.lock();
        state.retry_at.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        })
    }

    /// A snapshot of this cache for [`crate::stats()`] (takes the state lock briefly).
    pub(crate) fn stats(&self) -> KeySetStats {
        let now = Instant::now();
        let failures = self.lock().failures;
        let current = self.current.load_full();
        let state = match &current {
            None if failures > 0 => KeySetState::Unavailable,
            None => KeySetState::Empty,
            Some(cached) if now >= cached.usable_until => KeySetState::Unavailable,
            Some(_) if failures > 0 => KeySetState::Failing,
            Some(cached) if now >= cached.fresh_until => KeySetState::Stale,
            Some(_) => KeySetState::Fresh,
        };
        let last_success_ms = self.counters.last_success_ms.load(Ordering::Relaxed);
        KeySetStats {
            issuer: self.issuer.clone(),
            jwks_uri: self.jwks_uri.clone(),
            state,
            keys: current.as_ref().map_or(0, |cached| cached.keys.keys.len()),
            fetches: self.counters.fetches.load(Ordering::Relaxed),
            failures: self.counters.failures.load(Ordering::Relaxed),
            not_modified: self.counters.not_modified.load(Ordering::Relaxed),
            stale_serves: self.counters.stale_serves.load(Ordering::Relaxed),
            last_success: (last_success_ms > 0)
                .then(|| UNIX_EPOCH + Duration::from_millis(last_success_ms)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every critical section leaves `State` consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_at_1_s_doubles_and_never_exceeds_30_s() {
        let (initial, max) = (Duration::from_secs(1), Duration::from_secs(30));
        let schedule: Vec<u64> = (1..=8)
            .map(|n| backoff(n, initial, max).as_secs())
            .collect();
        assert_eq!(schedule, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX, initial, max), max);
    }

    #[test]
    fn far_instants_saturate_instead_of_panicking() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now);
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
    }
}
