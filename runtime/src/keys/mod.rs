//! Signing keys: the process-wide registry of key caches, fetching, and JWK preparation.

mod budget;
mod cache;
mod fetch;
mod jwk;
mod registry;
mod transport;
mod worker;

pub(crate) use cache::KeyCache;
pub(crate) use jwk::{MAX_RSA_BITS, MIN_RSA_BITS};
pub(crate) use registry::{all_caches, cache_for};
pub(crate) use transport::UrlError;
#[cfg(any(test, fuzzing))]
pub(crate) use {
    fetch::jwks_uri_of,
    jwk::{KeyLimits, KeySet},
};

/// Checks that keys may be fetched for `issuer`: from `jwks_uri` when given (the issuer is then
/// only compared with `iss`), else by discovery under the issuer; and from where
/// [`Settings::fetch_from`](crate::Settings::fetch_from) maps it, if it does.
pub(crate) fn check_sources(issuer: &str, jwks_uri: Option<&str>) -> Result<(), UrlError> {
    let source = jwks_uri.unwrap_or(issuer);
    transport::checked(source)?;
    match crate::settings::current().mapped_url(source) {
        Some(mapped) => transport::checked(&mapped).map(drop),
        None => Ok(()),
    }
}
