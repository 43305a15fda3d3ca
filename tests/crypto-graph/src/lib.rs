//! No code: this package exists for its dependency graph and its tests.
//!
//! It depends on `jwks-guard` and on `jsonwebtoken` with both of its crypto backends
//! (`rust_crypto` and `aws_lc_rs`) turned on, as happens when two crates of one application each
//! pick a different one. In such a graph `jsonwebtoken` cannot choose a process-wide
//! `CryptoProvider` by itself and panics on first use unless the application installs one.
//!
//! - `tests/no_provider_installed.rs`: the hazard is real, and `#[protected]` handlers still
//!   answer 200 to good tokens and 401 to bad signatures;
//! - `tests/provider_installed_by_the_app.rs`: an application that installs its own provider
//!   keeps using `jsonwebtoken`, and the guard never calls that provider.
//!
//! Run: `cargo test -p jwks-guard-crypto-graph`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
