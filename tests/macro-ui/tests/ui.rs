//! Compile-fail tests of `#[protected]`: `ui/fail` holds one misuse per file, each with the
//! errors it must produce in the `.stderr` next to it. (The uses that must compile and run are
//! test targets of `tests/macro-pass`.)
//!
//! After changing a message, regenerate the `.stderr` files and review them:
//! `TRYBUILD=overwrite cargo test -p jwks-guard-macro-ui --test ui`.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
