//! The process-wide registry: one [`KeyCache`] per (issuer, JWKS URI), created on first use
//! and shared by every handler that names it.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use super::cache::KeyCache;

type Key = (String, Option<String>);

static REGISTRY: LazyLock<Mutex<HashMap<Key, Arc<KeyCache>>>> = LazyLock::new(Default::default);

/// The cache for `issuer` whose keys live at `jwks_uri` (discovered when `None`).
///
/// Called once per handler policy, not per request.
pub(crate) fn cache_for(issuer: &str, jwks_uri: Option<&str>) -> Arc<KeyCache> {
    let key = (issuer.to_owned(), jwks_uri.map(str::to_owned));
    // The map is only ever inserted into, so a poisoned lock still holds consistent data.
    let mut caches = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    Arc::clone(caches.entry(key).or_insert_with(|| {
        Arc::new(KeyCache::new(
            issuer.to_owned(),
            jwks_uri.map(str::to_owned),
        ))
    }))
}

/// Every key cache created so far, for [`crate::stats`].
pub(crate) fn all_caches() -> Vec<Arc<KeyCache>> {
    let caches = REGISTRY.lock().unwrap_or_else(PoisonError::into_inner);
    caches.values().cloned().collect()
}

/// Tells every cache that fetches from under `prefix` that its source changed (see
/// [`KeyCache::source_changed`]): a fetch route for it was installed or removed.
pub(crate) fn source_changed_under(prefix: &str) {
    for cache in all_caches() {
        if cache.fetches_under(prefix) {
            cache.source_changed();
        }
    }
}
