//! Process-wide [`Settings`], installed once with [`configure`] before the first request.
//!
//! ```
//! use std::time::Duration;
//! use jwks_guard::{Settings, configure};
//!
//! configure(Settings::new().fetch_timeout(Duration::from_secs(3)))?;
//! assert!(configure(Settings::new()).is_err()); // only once
//! # Ok::<(), jwks_guard::ConfigureError>(())
//! ```

use std::sync::OnceLock;
use std::time::Duration;

/// How keys are fetched and cached. Every value has a documented default; durations longer
/// than a year are shortened to a year.
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) fetch_timeout: Duration,
    pub(crate) default_max_age: Duration,
    pub(crate) min_max_age: Duration,
    pub(crate) max_max_age: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_rsa_modulus_bits: usize,
    pub(crate) client: Option<reqwest::Client>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            fetch_timeout: Duration::from_secs(5),
            default_max_age: Duration::from_secs(600),
            min_max_age: Duration::from_secs(30),
            max_max_age: Duration::from_secs(24 * 60 * 60),
            unknown_kid_cooldown: Duration::from_secs(30),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_response_bytes: 512 * 1024,
            max_rsa_modulus_bits: crate::keys::MAX_RSA_BITS,
            client: None,
        }
    }
}

/// The longest duration any setting takes; longer values are shortened to it.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 60 * 60);

impl Settings {
    /// The defaults, as documented on each setter.
    pub fn new() -> Self {
        Settings::default()
    }

    /// Time limit of one discovery or JWKS request, connection included. Default 5 s.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout.min(LONGEST);
        self
    }

    /// How long a key set is fresh when its response has no `Cache-Control: max-age`.
    /// Default 10 min.
    pub fn default_max_age(mut self, max_age: Duration) -> Self {
        self.default_max_age = max_age.min(LONGEST);
        self
    }

    /// The range a response's `max-age` is clamped to. Default 30 s to 24 h.
    pub fn max_age_bounds(mut self, min: Duration, max: Duration) -> Self {
        let (min, max) = (min.min(LONGEST), max.min(LONGEST));
        self.min_max_age = min.min(max);
        self.max_max_age = max.max(min);
        self
    }

    /// The least time between two refreshes caused by an unknown `kid`, per key set.
    /// Default 30 s.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown.min(LONGEST);
        self
    }

    /// The wait before retrying a failed fetch, doubled after each failure up to `max`.
    /// Default 1 s, at most 30 s.
    pub fn retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        let (initial, max) = (initial.min(LONGEST), max.min(LONGEST));
        self.initial_backoff = initial.min(max);
        self.max_backoff = max.max(initial);
        self
    }

    /// The largest discovery document or JWK Set read. Default 512 KiB.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The largest RSA modulus a published key may have, in bits; larger keys are skipped.
    /// Default 8192, the most the verifier supports; lower it (to 4096, say) to bound the cost
    /// of one verification. Values are kept within 2048 to 8192: keys under 2048 bits are never
    /// used (RFC 7518 §3.3).
    pub fn max_rsa_modulus_bits(mut self, bits: usize) -> Self {
        self.max_rsa_modulus_bits =
            bits.clamp(crate::keys::MIN_RSA_BITS, crate::keys::MAX_RSA_BITS);
        self
    }

    /// The HTTP client used for discovery and JWKS requests (for proxies, extra root
    /// certificates, ...). Default: a `reqwest` client with rustls and the platform's roots.
    /// [`Settings::fetch_timeout`] applies to each request whatever the client.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }
}

/// [`configure`] was called after the settings were already in use or installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jwks_guard::configure must be called once, before the first protected request")]
pub struct ConfigureError(());

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Installs the process-wide settings. Call it once, before the first protected request
/// (typically at the top of `main`).
///
/// # Errors
/// When called a second time, or after a protected request already installed the defaults.
pub fn configure(settings: Settings) -> Result<(), ConfigureError> {
    SETTINGS.set(settings).map_err(|_| ConfigureError(()))
}

/// The settings in force: the configured ones, else the defaults (installed at first use).
pub(crate) fn current() -> &'static Settings {
    SETTINGS.get_or_init(Settings::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::new();
        assert_eq!(s.fetch_timeout, Duration::from_secs(5));
        assert_eq!(s.default_max_age, Duration::from_secs(10 * 60));
        assert_eq!(
            (s.min_max_age, s.max_max_age),
            (Duration::from_secs(30), Duration::from_secs(24 * 60 * 60))
        );
        assert_eq!(s.unknown_kid_cooldown, Duration::from_secs(30));
        assert_eq!(
            (s.initial_backoff, s.max_backoff),
            (Duration::from_secs(1), Duration::from_secs(30))
        );
        assert_eq!(s.max_response_bytes, 512 * 1024);
        assert_eq!(s.max_rsa_modulus_bits, 8192);
        assert_eq!(
            Settings::new()
                .max_rsa_modulus_bits(1024)
                .max_rsa_modulus_bits,
            2048
        );
        assert_eq!(
            Settings::new()
                .max_rsa_modulus_bits(1 << 20)
                .max_rsa_modulus_bits,
            8192
        );
        assert!(s.client.is_none());
    }

    #[test]
    fn ranges_are_ordered_and_durations_bounded() {
        let s = Settings::new()
            .max_age_bounds(Duration::from_secs(60), Duration::from_secs(10))
            .retry_backoff(Duration::MAX, Duration::from_secs(2));
        assert_eq!(
            (s.min_max_age, s.max_max_age),
            (Duration::from_secs(10), Duration::from_secs(60))
        );
        assert_eq!(
            (s.initial_backoff, s.max_backoff),
            (Duration::from_secs(2), LONGEST)
        );
        assert_eq!(
            Settings::new().fetch_timeout(Duration::MAX).fetch_timeout,
            LONGEST
        );
    }
}
