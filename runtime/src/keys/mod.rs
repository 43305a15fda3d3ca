//! Signing keys: the process-wide registry of key caches, fetching, and JWK preparation.

mod budget;
mod cache;
mod fetch;
mod jwk;
mod registry;
mod transport;
mod worker;

pub(crate) use cache::KeyCache;
pub(crate) use jwk::{KeyId, MAX_RSA_BITS, MIN_RSA_BITS};
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
    let source = match jwks_uri {
        Some(jwks_uri) => jwks_uri.to_owned(),
        None => fetch::discovery_base(issuer),
    };
    // Where requests really go: the mapped address, if `fetch_from` maps the source. Read
    // without installing the settings, so that a policy built first leaves `configure` open.
    let target = crate::settings::peek()
        .mapped_url(&source)
        .unwrap_or(source);
    transport::checked(&target).map(drop)
}
