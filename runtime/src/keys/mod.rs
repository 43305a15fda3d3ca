//! Signing keys: the process-wide registry of key caches, fetching, and JWK preparation.

mod cache;
mod fetch;
mod jwk;
mod registry;
mod worker;

pub(crate) use cache::KeyCache;
pub(crate) use jwk::{AlgSet, KeyProblem, KeySet, MAX_RSA_BITS, MIN_RSA_BITS};
pub(crate) use registry::cache_for;
#[cfg(any(test, fuzzing))]
pub(crate) use {fetch::jwks_uri_of, jwk::KeyLimits};
