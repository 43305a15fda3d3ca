//! [`KeyCache`]: the key set of one issuer, read without locks, refreshed by one fetch at a
//! time.
//!
//! States and transitions:
//! - **empty**: the first request starts a fetch that every concurrent request joins. If it
//!   fails, requests are answered 503 until a backoff (1 s, doubling, at most 30 s by default)
//!   has passed; the next request after it tries again.
//! - **fresh**: requests read the keys from an [`ArcSwapOption`]; no lock, no fetch.
//! - **stale** (past `max-age`): requests keep using the keys and the first one starts a
//!   background refresh; a failed refresh keeps the old keys and backs off like above.
//! - **unknown `kid`**: one refresh, joined by concurrent requests, at most once per cooldown
//!   counted from the previous unknown-`kid` refresh.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};

use super::fetch::{self, FetchError};
use super::jwk::KeySet;
use super::worker;
use crate::reject::Rejection;
use crate::settings;

/// A key set and the instant it stops being fresh.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) keys: KeySet,
    fresh_until: Instant,
}

type Refresh = Shared<BoxFuture<'static, Result<(), FetchError>>>;

#[derive(Default)]
struct State {
    /// The refresh under way, which every caller joins.
    in_flight: Option<Refresh>,
    /// The JWKS URI found by discovery (forgotten after a failed refresh).
    discovered_uri: Option<String>,
    /// When the last refresh caused by an unknown `kid` started.
    last_unknown_kid_refresh: Option<Instant>,
    /// Consecutive failed refreshes, and when the next may start.
    failures: u32,
    retry_at: Option<Instant>,
}

/// The keys of one (issuer, JWKS URI).
pub(crate) struct KeyCache {
    issuer: String,
    jwks_uri: Option<String>,
    current: ArcSwapOption<Cached>,
    state: Mutex<State>,
    /// The earliest [`ticks`] at which stale keys may start a background refresh: `u64::MAX`
    /// while one is in flight, the end of the backoff after a failure. Read without the lock,
    /// so requests served from stale keys during an outage take no lock.
    background_gate: AtomicU64,
}

/// A monotonic instant as nanoseconds since the first use of the cache, for atomics.
fn ticks(at: Instant) -> u64 {
    static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);
    u64::try_from(at.saturating_duration_since(*ORIGIN).as_nanos()).unwrap_or(u64::MAX)
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
            state: Mutex::new(State::default()),
            background_gate: AtomicU64::new(0),
        }
    }

    /// The current keys, fetching them first if there are none.
    ///
    /// # Errors
    /// 503 when no keys are cached and none can be fetched now.
    pub(crate) async fn keys(self: &Arc<Self>) -> Result<Arc<Cached>, Rejection> {
        let now = Instant::now();
        if let Some(cached) = self.current.load_full() {
            if now >= cached.fresh_until {
                self.refresh_in_background(now);
            }
            return Ok(cached);
        }
        let refresh = {
            let mut state = self.lock();
            // A refresh may have completed since the load above.
            if let Some(cached) = self.current.load_full() {
                return Ok(cached);
            }
            match (&state.in_flight, state.retry_at) {
                (Some(in_flight), _) => in_flight.clone(),
                (None, Some(retry_at)) if retry_at > now => {
                    return Err(Rejection::keys_unavailable(retry_at - now));
                }
                (None, _) => self.start_refresh(&mut state),
            }
        };
        let outcome = refresh.await;
        match (outcome, self.current.load_full()) {
            (Ok(()), Some(cached)) => Ok(cached),
            _ => Err(Rejection::keys_unavailable(self.retry_in())),
        }
    }

    /// Refreshes because a token named a `kid` the cached set lacks, unless the cooldown since
    /// the previous such refresh has not passed. Joins a refresh already under way.
    ///
    /// `seen` is the set the `kid` was missing from: if a newer one has been stored since, it
    /// is returned without a fetch.
    ///
    /// Returns the keys after the refresh, or `None` when no refresh was allowed or it failed.
    pub(crate) async fn refresh_for_unknown_kid(
        self: &Arc<Self>,
        seen: &Arc<Cached>,
    ) -> Option<Arc<Cached>> {
        let refresh = {
            let mut state = self.lock();
            if let Some(current) = self.current.load_full().filter(|c| !Arc::ptr_eq(c, seen)) {
                return Some(current);
            }
            match &state.in_flight {
                Some(in_flight) => in_flight.clone(),
                None => {
                    let now = Instant::now();
                    let cooldown = settings::current().unknown_kid_cooldown;
                    if state
                        .last_unknown_kid_refresh
                        .is_some_and(|last| now.duration_since(last) < cooldown)
                    {
                        return None;
                    }
                    state.last_unknown_kid_refresh = Some(now);
                    self.start_refresh(&mut state)
                }
            }
        };
        refresh.await.ok()?;
        self.current.load_full()
    }

    fn refresh_in_background(self: &Arc<Self>, now: Instant) {
        if ticks(now) < self.background_gate.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.lock();
        let backing_off = state.retry_at.is_some_and(|retry_at| retry_at > now);
        if state.in_flight.is_none() && !backing_off {
            // The refresh runs on the fetch runtime whether or not anyone awaits it.
            drop(self.start_refresh(&mut state));
        }
    }

    /// Starts a refresh on the fetch runtime and records it as the one in flight.
    fn start_refresh(self: &Arc<Self>, state: &mut State) -> Refresh {
        let this = Arc::clone(self);
        let known_uri = self
            .jwks_uri
            .clone()
            .or_else(|| state.discovered_uri.clone());
        let task = async move {
            let outcome = std::panic::AssertUnwindSafe(this.fetch(known_uri))
                .catch_unwind()
                .await;
            let outcome =
                outcome.unwrap_or_else(|_| Err(FetchError::Aborted("the fetch panicked".into())));
            this.settle(outcome)
        };
        let refresh = match worker::spawn(task) {
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
        state.in_flight = Some(refresh.clone());
        self.background_gate.store(u64::MAX, Ordering::Release);
        refresh
    }

    /// Discovery (when the JWKS URI is not known yet) and the JWKS fetch.
    async fn fetch(
        &self,
        known_uri: Option<String>,
    ) -> Result<(String, fetch::Fetched), FetchError> {
        let settings = settings::current();
        let uri = match known_uri {
            Some(uri) => uri,
            None => fetch::discover(settings, &self.issuer).await?,
        };
        let fetched = fetch::jwks(settings, &self.issuer, &uri).await?;
        Ok((uri, fetched))
    }

    /// Stores the outcome of a refresh and clears the in-flight marker.
    fn settle(
        &self,
        outcome: Result<(String, fetch::Fetched), FetchError>,
    ) -> Result<(), FetchError> {
        let mut state = self.lock();
        state.in_flight = None;
        match outcome {
            Ok((uri, fetched)) => {
                tracing::info!(
                    issuer = %self.issuer,
                    jwks_uri = %uri,
                    kids = ?fetched.keys.kids(),
                    max_age_secs = fetched.max_age.as_secs(),
                    "fetched signing keys"
                );
                self.current.store(Some(Arc::new(Cached {
                    keys: fetched.keys,
                    fresh_until: later(Instant::now(), fetched.max_age),
                })));
                if self.jwks_uri.is_none() {
                    state.discovered_uri = Some(uri);
                }
                state.failures = 0;
                state.retry_at = None;
                self.background_gate.store(0, Ordering::Release);
                Ok(())
            }
            Err(error) => {
                self.record_failure(&mut state, &error);
                Err(error)
            }
        }
    }

    fn record_failure(&self, state: &mut State, error: &FetchError) {
        let settings = settings::current();
        state.failures = state.failures.saturating_add(1);
        let backoff = backoff(
            state.failures,
            settings.initial_backoff,
            settings.max_backoff,
        );
        let retry_at = later(Instant::now(), backoff);
        state.retry_at = Some(retry_at);
        self.background_gate
            .store(ticks(retry_at), Ordering::Release);
        state.discovered_uri = None;
        tracing::warn!(
            issuer = %self.issuer,
            error = %error,
            failures = state.failures,
            retry_in_ms = backoff.as_millis() as u64,
            keeping_cached_keys = self.current.load().is_some(),
            "signing key refresh failed"
        );
    }

    /// How long until the next fetch may be tried.
    fn retry_in(&self) -> Duration {
        let state = self.lock();
        state.retry_at.map_or(Duration::ZERO, |at| {
            at.saturating_duration_since(Instant::now())
        })
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
