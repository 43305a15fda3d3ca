//! A discovery document, as fetched: never a panic, and a JWKS URI only from a document
//! whose `issuer` is the configured one.

use jwks_guard::__fuzz::{ISSUER, discovery};
use serde::Deserialize;

/// The document as the runtime reads it: other members are skipped unread (see jwks.rs).
#[derive(Deserialize)]
struct Document {
    issuer: Option<String>,
    jwks_uri: Option<String>,
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if discovery(data) {
            let document = serde_json::from_slice::<Document>(data).ok();
            let document = document.as_ref();
            assert_eq!(
                document.and_then(|d| d.issuer.as_deref()),
                Some(ISSUER),
                "a JWKS URI from another issuer"
            );
            assert!(
                document.is_some_and(|d| d.jwks_uri.is_some()),
                "a JWKS URI from no `jwks_uri`"
            );
        }
    });
}
