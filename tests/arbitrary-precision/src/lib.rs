//! No code: this package exists for its dependency graph and its tests.
//!
//! It depends on `jwks-guard` and on `serde_json` with `arbitrary_precision` turned on, as
//! happens when any crate of an application asks for it: cargo then builds one `serde_json` with
//! the feature for the whole graph, the guard included. With it, serde hands every float and
//! every integer beyond 64 bits over as a one-member map holding the number's text.
//!
//! `tests/numbers.rs` sends tokens through `#[protected]` and `Authenticated` handlers on a
//! real axum server: fractional `exp`, `nbf` and `iat`, float claim values under `claims(...)`
//! rules, integers beyond 64 bits, and claims types of the handler's own with `f64` fields.
//!
//! Its own workspace, so the feature stays out of the main one. Run:
//! `cargo test --manifest-path tests/arbitrary-precision/Cargo.toml`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
