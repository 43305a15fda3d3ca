//! Signing keys: the process-wide registry of key caches, fetching, and JWK preparation.

mod cache;
mod fetch;
mod jwk;
mod registry;
mod worker;

pub(crate) use cache::{Cached, KeyCache};
pub(crate) use jwk::{AlgSet, Lookup};
pub(crate) use registry::cache_for;
