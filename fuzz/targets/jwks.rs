//! A JWK Set document, as fetched: never a panic, and never more usable keys than the
//! document's `keys` array holds.

use jwks_guard::__fuzz::jwks;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// The document as the runtime reads it: members other than `keys` are skipped unread (by
/// serde_json, without even checking that their strings are UTF-8), so `serde_json::Value`
/// would refuse documents the runtime accepts.
#[derive(Deserialize)]
struct Listed {
    keys: Vec<IgnoredAny>,
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let usable = jwks(data);
        if usable > 0 {
            let listed = serde_json::from_slice::<Listed>(data).map_or(0, |set| set.keys.len());
            assert!(
                usable <= listed,
                "{usable} usable keys from {listed} listed"
            );
        }
    });
}
