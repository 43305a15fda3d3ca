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

use crate::alg::{Alg, AlgSet};
use crate::dpop_state::{NonceSource, ReplayStore, ReplayStoreHandle};
use crate::url_map::one_slash;

/// The default allow-list of DPoP proof algorithms.
pub(crate) const DPOP_ALGORITHMS: [Alg; 5] =
    [Alg::ES256, Alg::ES384, Alg::PS256, Alg::RS256, Alg::EdDSA];

/// How keys are fetched and cached. Every value has a documented default; durations longer
/// than a year are shortened to a year, a fetch timeout or budget period under 100 ms is
/// lengthened to 100 ms, and `max_stale` is at least a second.
#[derive(Debug, Clone)]
pub struct Settings {
    pub(crate) fetch_timeout: Duration,
    pub(crate) default_max_age: Duration,
    pub(crate) min_max_age: Duration,
    pub(crate) max_max_age: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) refresh_burst: u32,
    pub(crate) max_stale: Duration,
    pub(crate) jitter: f64,
    pub(crate) max_redirects: usize,
    pub(crate) max_keys: usize,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) max_rsa_modulus_bits: usize,
    pub(crate) token_cache_capacity: u64,
    pub(crate) token_cache_max_bytes: u64,
    pub(crate) client: Option<reqwest::Client>,
    pub(crate) rejection_response: Option<crate::reject::ResponseFn>,
    #[cfg(feature = "tonic")]
    pub(crate) grpc_rejection_status: Option<crate::reject::GrpcStatusFn>,
    /// `(issuer with one trailing '/', base URL with one trailing '/')`.
    pub(crate) fetch_bases: Vec<(String, String)>,
    pub(crate) dpop_algorithms: AlgSet,
    pub(crate) dpop_proof_window: Duration,
    pub(crate) public_origin: Option<String>,
    pub(crate) trust_forwarded_headers: bool,
    pub(crate) dpop_nonce: Option<NonceSource>,
    pub(crate) dpop_replay_store: ReplayStoreHandle,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            fetch_timeout: Duration::from_secs(5),
            default_max_age: Duration::from_secs(600),
            min_max_age: Duration::from_secs(30),
            max_max_age: Duration::from_secs(24 * 60 * 60),
            unknown_kid_cooldown: Duration::from_secs(30),
            refresh_burst: 2,
            max_stale: Duration::from_secs(24 * 60 * 60),
            jitter: 0.1,
            max_redirects: 3,
            max_keys: 64,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            max_response_bytes: 512 * 1024,
            max_rsa_modulus_bits: MAX_RSA_BITS,
            token_cache_capacity: 10_000,
            token_cache_max_bytes: 64 * 1024 * 1024,
            client: None,
            rejection_response: None,
            #[cfg(feature = "tonic")]
            grpc_rejection_status: None,
            fetch_bases: Vec::new(),
            dpop_algorithms: AlgSet::of(&DPOP_ALGORITHMS),
            dpop_proof_window: Duration::from_secs(60),
            public_origin: None,
            trust_forwarded_headers: false,
            dpop_nonce: None,
            dpop_replay_store: ReplayStoreHandle::default(),
        }
    }
}

/// The longest duration any setting takes; longer values are shortened to it.
const LONGEST: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// The shortest fetch timeout and refresh-budget period: shorter values are lengthened to it
/// (zero would fail every fetch, or lift the budget).
const SHORTEST: Duration = Duration::from_millis(100);

impl Settings {
    /// The defaults, as documented on each setter.
    pub fn new() -> Self {
        Settings::default()
    }

    /// Time limit of one refresh: discovery and the JWKS together, connections included.
    /// Default 5 s.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout.clamp(SHORTEST, LONGEST);
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

    /// The refill period of the refresh budget that unknown `kid`s (and `kid`-less tokens whose
    /// only fitting key fails) draw on, per key set: one refresh per period, after a burst of
    /// [`refresh_burst`](Self::refresh_burst). Default 30 s.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown.clamp(SHORTEST, LONGEST);
        self
    }

    /// How many refreshes the budget allows at once before one per
    /// [`unknown_kid_cooldown`](Self::unknown_kid_cooldown): a stray `kid` spends one and a real
    /// rotation right after it still has one. Default 2; at least 1.
    pub fn refresh_burst(mut self, burst: u32) -> Self {
        self.refresh_burst = burst.max(1);
        self
    }

    /// How long after the last successful fetch held keys are still served while refreshes
    /// fail; past it, requests get 503 with `Retry-After` until a fetch succeeds. Default 24 h.
    /// A key set is considered fresh for at most half of this, whatever its `max-age`, so that
    /// the other half is left for riding out an outage.
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale.clamp(Duration::from_secs(1), LONGEST);
        self
    }

    /// The spread applied to freshness and retry delays, as a fraction (0.1 = ±10 %), so that
    /// replicas started together do not refetch together. Default 0.1; kept within 0 to 0.5.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.jitter = if fraction.is_finite() {
            fraction.clamp(0.0, 0.5)
        } else {
            0.0
        };
        self
    }

    /// The most redirects one discovery or JWKS request follows. Default 3. jwks-guard follows
    /// redirects itself, whatever the client, and checks every hop: each target must be a URL
    /// keys may come from (`https`, plain `http` only on loopback), and never goes from
    /// `https` to `http`; a refused hop fails the fetch.
    pub fn max_redirects(mut self, redirects: usize) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// The most usable keys kept from one set. Default 64; at least 1.
    pub fn max_keys(mut self, keys: usize) -> Self {
        self.max_keys = keys.max(1);
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
        self.max_rsa_modulus_bits = bits.clamp(MIN_RSA_BITS, MAX_RSA_BITS);
        self
    }

    /// How many verified tokens are remembered, process-wide, so that a client sending the
    /// same token again skips the signature check. Default 10,000; 0 turns the cache off.
    ///
    /// What is stored: for a token whose signature verified, that passed the `aud`,
    /// `client_id`, `exp`, `nbf` and `typ` checks of the handler that verified it and whose
    /// `exp` lies ahead, the token itself (the key, compared in full), its decoded claims, its
    /// `kid`, `typ` and algorithm, and which key verified it.
    ///
    /// When: the second time such a token is verified within the admission window (the last
    /// `2 × capacity` tokens verified for the first time, at least 1,024): its first request
    /// is only noted (a few bits in a fixed-size filter), its second is verified again and
    /// stored, and from the third on it is served from the cache. Tokens clients send once
    /// never enter the cache, so they cost what they cost with the cache off; among stored
    /// tokens, admission is TinyLFU (`moka`): a flood of distinct tokens cannot push out the
    /// tokens clients reuse.
    ///
    /// An entry is used only while the key that verified it is still in its issuer's set and
    /// would still be chosen for the token's `kid` and algorithm; every hit runs the handler's
    /// checks again (`iss`, `aud`, `client_id`, `exp` and `nbf` with the leeway, `typ`, the
    /// algorithm allow-list, scopes, claims). Memory is bounded by this count and by
    /// [`Settings::token_cache_max_bytes`], whichever is reached first.
    pub fn token_cache_capacity(mut self, entries: u64) -> Self {
        self.token_cache_capacity = entries;
        self
    }

    /// The most memory the verified-token cache holds, in bytes, process-wide. Default 64 MiB;
    /// 0 turns the cache off.
    ///
    /// Each entry weighs its estimated size: the token, its decoded claims (their strings,
    /// arrays and objects as allocated, measured once when the token is stored), and the
    /// entry's bookkeeping. That is about 5.5 KiB for a typical 1 KiB access token, but a
    /// payload of nested arrays grows 20 to 65 times when decoded: up to 750 KiB for a token
    /// of [`MAX_TOKEN_LEN`](crate::bearer::MAX_TOKEN_LEN). An entry weighs at least
    /// `max_bytes / capacity`, so that the two bounds hold together (with the defaults,
    /// 6.7 KiB: 10,000 typical tokens fill the cache, or about 90 of the largest). A token
    /// heavier than the whole bound is not stored. [`stats()`](crate::stats()) reports the
    /// entries' current weight as `token_cache.bytes`.
    ///
    /// Besides the bound: the admission filter of [`Settings::token_cache_capacity`] (1.5
    /// bytes per token of its window, 32 KiB with the default capacity), and, for an instant,
    /// up to 64 stored tokens the cache has not yet weighed against its bound (`moka` applies
    /// it every 64 insertions).
    pub fn token_cache_max_bytes(mut self, bytes: u64) -> Self {
        self.token_cache_max_bytes = bytes;
        self
    }

    /// The HTTP client used for discovery and JWKS requests (for proxies, extra root
    /// certificates, ...). Default: a `reqwest` client with rustls and the platform's roots.
    /// [`Settings::fetch_timeout`] bounds each refresh whatever the client. Discovery and key
    /// URLs must be `https` (or loopback) whatever the client.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`: jwks-guard follows
    /// redirects itself and checks every hop (see [`max_redirects`](Self::max_redirects)). A
    /// client that follows a redirect by itself hides its hops, so that fetch fails (a
    /// protected request then answers 503 as with any failed fetch) and the error says so.
    ///
    /// ```
    /// let client = reqwest::Client::builder()
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let settings = jwks_guard::Settings::new().http_client(client);
    /// # Ok::<(), reqwest::Error>(())
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }
}

impl Settings {
    /// Fetches the discovery document and keys of `issuer` from `base_url` instead: every URL
    /// under the issuer (the issuer with one trailing `/`, then anything, such as
    /// `{issuer}/.well-known/openid-configuration` and a `jwks_uri` the discovery document
    /// names under it) is fetched under `base_url`, keeping the rest of the path. For a
    /// provider that publishes one address in its tokens and is reached at another (Keycloak
    /// behind Docker, a service mesh). The `iss` check is unchanged: tokens must still name
    /// `issuer`. `base_url` follows the rules of every fetch: `https`, or plain `http` only on
    /// loopback hosts.
    ///
    /// ```
    /// let settings = jwks_guard::Settings::new()
    ///     .fetch_from("https://login.example.com/realms/shop", "https://keycloak.internal:8443/realms/shop");
    /// # let _ = settings;
    /// ```
    pub fn fetch_from(mut self, issuer: impl AsRef<str>, base_url: impl AsRef<str>) -> Self {
        let (issuer, base) = (one_slash(issuer.as_ref()), one_slash(base_url.as_ref()));
        self.fetch_bases.retain(|(known, _)| *known != issuer);
        self.fetch_bases.push((issuer, base));
        self
    }

    /// Where `url` is fetched from under [`fetch_from`](Self::fetch_from), if it is under a
    /// mapped issuer.
    pub(crate) fn mapped_url(&self, url: &str) -> Option<String> {
        crate::url_map::mapped_url(
            url,
            self.fetch_bases
                .iter()
                .map(|(issuer, base)| (issuer.as_str(), base.as_str())),
        )
    }
}

impl Settings {
    /// Answers every rejection with what `response` makes of it, on every framework adapter
    /// alike, instead of the default RFC 6750 answer ([`Rejection::default_response`]). The
    /// function sees the [`Rejection`] (status, error code, description, required scopes),
    /// never the token. Start from the default response, as below, and `WWW-Authenticate`
    /// and `Retry-After` stay unless you remove them on purpose
    /// ([`RejectionResponse::without_header`]). It may be called more than once for one
    /// rejection (a framework asking for the status before the response): keep it a plain
    /// function of the rejection. If it panics, the default response is sent.
    ///
    /// An RFC 9457 problem document (`application/problem+json`):
    ///
    /// ```
    /// use jwks_guard::{Rejection, RejectionResponse, Settings};
    ///
    /// fn problem_json(rejection: &Rejection) -> RejectionResponse {
    ///     let problem = serde_json::json!({
    ///         "type": format!("https://api.example.com/problems/{}", rejection.error_code()),
    ///         "title": rejection.error_code(),
    ///         "status": rejection.status(),
    ///         "detail": rejection.description(),
    ///         "required_scopes": rejection.required_scopes().collect::<Vec<_>>(),
    ///     });
    ///     rejection
    ///         .default_response()
    ///         .with_body("application/problem+json", problem.to_string())
    /// }
    ///
    /// jwks_guard::configure(Settings::new().rejection_response(problem_json))?;
    /// # Ok::<(), jwks_guard::ConfigureError>(())
    /// ```
    ///
    /// [`Rejection`]: crate::Rejection
    /// [`Rejection::default_response`]: crate::Rejection::default_response
    /// [`RejectionResponse::without_header`]: crate::RejectionResponse::without_header
    pub fn rejection_response(
        mut self,
        response: impl Fn(&crate::Rejection) -> crate::RejectionResponse + Send + Sync + 'static,
    ) -> Self {
        self.rejection_response = Some(crate::reject::ResponseFn(std::sync::Arc::new(response)));
        self
    }
}

#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
impl Settings {
    /// Answers every rejection of a gRPC request (the tonic integration: `#[protected]`
    /// methods and [`integrations::tonic::RequireTokenLayer`](crate::integrations::tonic::RequireTokenLayer))
    /// with the [`tonic::Status`] `status` makes of it, instead of
    /// [`Rejection::default_grpc_status`](crate::Rejection::default_grpc_status). What
    /// [`rejection_response`](Self::rejection_response) is to HTTP answers: start from the
    /// default status, keep it a plain function of the rejection; if it panics, the default
    /// status is sent.
    ///
    /// ```
    /// use jwks_guard::{Rejection, Settings};
    ///
    /// // Refusals as `UNAUTHENTICATED` without the reason, for clients that must not learn it.
    /// fn terse(rejection: &Rejection) -> tonic::Status {
    ///     let status = rejection.default_grpc_status();
    ///     tonic::Status::with_metadata(status.code(), "access denied", status.metadata().clone())
    /// }
    ///
    /// jwks_guard::configure(Settings::new().grpc_rejection_status(terse))?;
    /// # Ok::<(), jwks_guard::ConfigureError>(())
    /// ```
    pub fn grpc_rejection_status(
        mut self,
        status: impl Fn(&crate::Rejection) -> tonic::Status + Send + Sync + 'static,
    ) -> Self {
        self.grpc_rejection_status = Some(crate::reject::GrpcStatusFn(std::sync::Arc::new(status)));
        self
    }
}

/// DPoP (RFC 9449): how proofs are checked. See [`dpop`](crate::dpop).
impl Settings {
    /// The algorithms a DPoP proof may be signed with. Default ES256, ES384, PS256, RS256,
    /// EdDSA; an empty list keeps the default. `none` and HMAC algorithms are never accepted.
    pub fn dpop_algorithms(mut self, algorithms: impl IntoIterator<Item = Alg>) -> Self {
        let algorithms: Vec<Alg> = algorithms.into_iter().collect();
        if !algorithms.is_empty() {
            self.dpop_algorithms = AlgSet::of(&algorithms);
        }
        self
    }

    /// How old a proof may be: its `iat` must lie within this window before now (plus the
    /// handler's leeway on both sides). Default 60 s; kept within 1 s and 1 h.
    pub fn dpop_proof_window(mut self, window: Duration) -> Self {
        self.dpop_proof_window = window.clamp(Duration::from_secs(1), Duration::from_secs(3600));
        self
    }

    /// The scheme and authority clients call this service at, such as
    /// `"https://api.example.com"`, for a service behind a TLS-terminating proxy: a proof's
    /// `htu` is compared with this origin and the request's path. Takes precedence over
    /// [`trust_forwarded_headers`](Self::trust_forwarded_headers). Default: none (the request's
    /// own target and `Host`). A value that is not an origin refuses every proof and says so.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        self.public_origin = Some(origin.into());
        self
    }

    /// Whether the scheme and host of the URI a proof's `htu` is compared with come from
    /// `Forwarded` (RFC 7239, `proto=` and `host=` of its first element), then
    /// `X-Forwarded-Proto` and `X-Forwarded-Host`. Default `false`: turn it on only behind a
    /// proxy that sets (and overwrites) these headers, since clients can send them too.
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        self.trust_forwarded_headers = trust;
        self
    }

    /// Server nonces (RFC 9449 §8): every proof must carry a nonce this service issued, an
    /// HMAC of the current time slot under `secret` (the same on every replica; 32 random
    /// bytes or more), changing every `rotation` (the previous one is still accepted).
    /// Default: off.
    pub fn dpop_nonce(mut self, secret: impl AsRef<[u8]>, rotation: Duration) -> Self {
        self.dpop_nonce = Some(NonceSource::new(secret, rotation));
        self
    }

    /// Where the `jti`s of accepted proofs are remembered: a store shared by every replica
    /// refuses a proof replayed against another one. Default: an
    /// [`InMemoryReplayStore`](crate::dpop::InMemoryReplayStore) of 100,000 proofs, one per
    /// process.
    pub fn dpop_replay_store(mut self, store: impl ReplayStore) -> Self {
        self.dpop_replay_store = ReplayStoreHandle(Some(std::sync::Arc::new(store)));
        self
    }
}

/// [`configure`] was called after the settings were already in use or installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jwks_guard::configure must be called once, before the first protected request")]
pub struct ConfigureError(());

/// The smallest RSA modulus accepted, in bits (RFC 7518 §3.3).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// The largest RSA modulus aws-lc-rs verifies with, in bits: the default of
/// [`Settings::max_rsa_modulus_bits`].
pub(crate) const MAX_RSA_BITS: usize = 8192;

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// Installs the process-wide settings. Call it once, before the first protected request
/// (typically at the top of `main`).
///
/// # Errors
/// When called a second time, or after a protected request already installed the defaults.
pub fn configure(settings: Settings) -> Result<(), ConfigureError> {
    let response = settings.rejection_response.clone();
    #[cfg(feature = "tonic")]
    let grpc_status = settings.grpc_rejection_status.clone();
    SETTINGS.set(settings).map_err(|_| ConfigureError(()))?;
    if let Some(response) = response {
        crate::reject::install_response(response);
    }
    #[cfg(feature = "tonic")]
    if let Some(status) = grpc_status {
        crate::reject::install_grpc_status(status);
    }
    Ok(())
}

/// The settings in force: the configured ones, else the defaults (installed at first use).
pub(crate) fn current() -> &'static Settings {
    SETTINGS.get_or_init(Settings::default)
}

/// The settings in force if installed, else the defaults, without installing them: for the
/// checks of a [`Policy`](crate::Policy) built before [`configure`] is called.
pub(crate) fn peek() -> &'static Settings {
    static DEFAULTS: std::sync::LazyLock<Settings> = std::sync::LazyLock::new(Settings::default);
    SETTINGS.get().unwrap_or(&DEFAULTS)
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
        assert_eq!(s.refresh_burst, 2);
        assert_eq!(s.max_stale, Duration::from_secs(24 * 60 * 60));
        assert_eq!((s.jitter, s.max_redirects, s.max_keys), (0.1, 3, 64));
        assert_eq!(
            (s.initial_backoff, s.max_backoff),
            (Duration::from_secs(1), Duration::from_secs(30))
        );
        assert_eq!(s.max_response_bytes, 512 * 1024);
        assert_eq!(s.token_cache_capacity, 10_000);
        assert_eq!(s.token_cache_max_bytes, 64 << 20);
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
        assert_eq!(s.dpop_algorithms, AlgSet::of(&DPOP_ALGORITHMS));
        assert_eq!(s.dpop_proof_window, Duration::from_secs(60));
        assert_eq!(
            (s.public_origin.as_deref(), s.trust_forwarded_headers),
            (None, false)
        );
        assert!(s.dpop_nonce.is_none() && s.dpop_replay_store.0.is_none());
    }

    #[test]
    fn fetch_from_maps_every_url_under_the_issuer_keeping_the_path() {
        let s = Settings::new()
            .fetch_from(
                "https://login.example.com/realms/x",
                "http://127.0.0.1:8080/realms/x/",
            )
            .fetch_from("https://other.example.com/", "https://old.internal/")
            .fetch_from("https://other.example.com", "https://new.internal");
        assert_eq!(
            s.mapped_url("https://login.example.com/realms/x/.well-known/openid-configuration")
                .as_deref(),
            Some("http://127.0.0.1:8080/realms/x/.well-known/openid-configuration")
        );
        assert_eq!(
            s.mapped_url("https://login.example.com/realms/x")
                .as_deref(),
            Some("http://127.0.0.1:8080/realms/x/")
        );
        assert_eq!(
            s.mapped_url("https://login.example.com/realms/xy/jwks"),
            None
        );
        assert_eq!(
            s.mapped_url("https://other.example.com/keys").as_deref(),
            Some("https://new.internal/keys")
        );
        assert_eq!(s.mapped_url("https://unmapped.example.com/keys"), None);
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
