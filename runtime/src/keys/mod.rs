//! Signing keys: the process-wide registry of key caches, fetching, and JWK preparation.

mod budget;
mod cache;
mod fetch;
mod fetch_runtime;
mod jwk;
mod registry;
mod route;
mod snapshot;
mod transport;

pub(crate) use cache::KeyCache;
pub(crate) use jwk::KeyThumbprint;
pub(crate) use jwk::{KeyLimits, PRIVATE_MEMBERS, PreparedKey, prepare_for, thumbprint};
pub(crate) use jwk::{TEXT_CHARS, loggable};
pub(crate) use registry::{all_caches, cache_for};
pub use route::{FetchRoute, fetch_from};
pub use snapshot::{KeySetState, KeySetStats};
pub(crate) use transport::UrlError;
#[cfg(any(test, fuzzing))]
pub(crate) use {fetch::jwks_uri_of, jwk::KeySet};

/// Checks that keys may be fetched for `issuer`: from `jwks_uri` when given (the issuer is then
/// only compared with `iss`), else by discovery under the issuer; and from where a
/// [`fetch_from`] route or [`Settings::fetch_from`](crate::Settings::fetch_from) maps it, if
/// one does.
pub(crate) fn check_sources(issuer: &str, jwks_uri: Option<&str>) -> Result<(), UrlError> {
    let source = match jwks_uri {
        Some(jwks_uri) => jwks_uri.to_owned(),
        None => crate::issuer::discovery_base(issuer),
    };
    // Where requests really go: the mapped address, if a route or `fetch_from` maps the source.
    // The settings are read without installing them, so that a policy built first leaves
    // `configure` open.
    let target = fetch::effective_url(crate::settings::peek(), &source);
    transport::checked(&target).map(drop)
}
