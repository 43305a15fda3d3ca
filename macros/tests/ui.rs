//! Compile-fail tests: `ui/fail` holds one misuse per file, each with the errors it must produce
//! in the `.stderr` next to it. (The uses that must compile and run, `ui/pass` and the inputs of
//! `expand/`, are test targets of `tests/macro-pass` in the workspace.)
//!
//! After changing a message, regenerate the `.stderr` files and review them:
//! `TRYBUILD=overwrite cargo test -p jwks-guard-macros --test ui`.

#[test]
fn ui() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
