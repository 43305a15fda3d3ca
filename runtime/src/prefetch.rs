//! [`prefetch`]: fetch an issuer's keys at start-up, and surface configuration errors early.

use crate::keys;

/// Why [`prefetch`] could not make keys available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PrefetchError {
    /// The issuer or JWKS URI can never be fetched from (not a URL, or plain `http` off
    /// loopback): protected handlers naming it answer 500.
    #[error("configuration error: {0}")]
    Configuration(String),
    /// Discovery or the key set could not be fetched now; requests get 503 until a later
    /// refresh succeeds, which happens by itself.
    #[error("signing keys unavailable: {0}")]
    Unavailable(String),
}

/// Fetches the keys of `issuer` (from `jwks_uri` when given, else by discovery) into the same
/// process-wide cache that `#[protected(issuer = …)]` handlers naming it use, so the first
/// request does not wait for them. Returns at once when usable keys are already held; never
/// panics. The issuer string must be the attribute's exactly (a trailing `/` makes another
/// cache). Call [`configure`](crate::configure) first if you configure settings: the first
/// fetch installs the settings in force.
///
/// ```no_run
/// # async fn start() {
/// if let Err(error) = jwks_guard::prefetch("https://id.example.com/", None).await {
///     // Configuration errors will not fix themselves; an unavailable provider will.
///     eprintln!("keys not ready: {error}");
/// }
/// # }
/// ```
///
/// # Errors
/// [`PrefetchError::Configuration`] for URLs keys may never come from,
/// [`PrefetchError::Unavailable`] when the provider could not be reached or answered badly.
pub async fn prefetch(issuer: &str, jwks_uri: Option<&str>) -> Result<(), PrefetchError> {
    keys::check_sources(issuer, jwks_uri)
        .map_err(|error| PrefetchError::Configuration(error.to_string()))?;
    keys::cache_for(issuer, jwks_uri)
        .prefetch()
        .await
        .map_err(|error| PrefetchError::Unavailable(error.to_string()))
}
