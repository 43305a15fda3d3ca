//! The README, checked: `cargo test -p jwks-guard-readme` compiles every ```rust block of
//! README.md as a doc test (`no_run` ones are compiled, not run), and runs the testing
//! section's `tests/*.rs` blocks as this crate's tests.
//!
//! This library is the README's `src/lib.rs` block, copied by `build.rs` and named `orders_api`
//! as the README's own crate is, so that the README's `tests/api.rs` compiles and runs here
//! exactly as a reader copies it. A test attribute (`#[tokio::test]` …) removes its function
//! from a doc test, which is why the test blocks also run as real tests (`tests/`).
#![forbid(unsafe_code)]

include!(concat!(env!("OUT_DIR"), "/src_lib.rs"));

/// README.md, every Rust block a doc test, reported at its line of README.md.
#[cfg(doctest)]
mod readme;
