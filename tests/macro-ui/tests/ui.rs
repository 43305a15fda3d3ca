//! Compile-fail tests of `#[protected]`: `ui/fail` holds one misuse per file, each with the
//! errors it must produce in the `.stderr` next to it. (The uses that must compile and run are
//! test targets of `tests/macro-pass`.)
//!
//! After changing a message, regenerate the `.stderr` files and review them:
//! `TRYBUILD=overwrite cargo test -p jwks-guard-macro-ui --test ui`.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

use std::process::Command;

/// The rustc flags trybuild gives the cases (trybuild 1.0.122: `--cfg trybuild --verbose -A
/// dead_code`, and `--diagnostic-width=140` when it checks them), as cargo's
/// `CARGO_ENCODED_RUSTFLAGS`.
///
/// trybuild checks the dependencies once without `--diagnostic-width` and then the cases with
/// it; a change of flags makes cargo check every dependency again, which from a fresh clone
/// is most of this test's time (45 of 115 s here). With these flags in the environment, which
/// take precedence over trybuild's, both steps use the same ones. The `.stderr` files were
/// produced with exactly these, so a flag missing here would show as a difference.
const RUSTFLAGS: &str =
    "--cfg\u{1f}trybuild\u{1f}--verbose\u{1f}-A\u{1f}dead_code\u{1f}--diagnostic-width=140";

#[test]
fn ui() {
    let this_test = std::env::current_exe().expect("the test binary's path");
    let status = Command::new(this_test)
        .args(["compile_fail_cases", "--exact", "--ignored", "--nocapture"])
        .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS)
        .status()
        .expect("the test binary runs again");
    assert!(status.success(), "compile-fail cases: {status}");
}

#[test]
#[ignore = "run by `ui`, in a process with the flags above"]
fn compile_fail_cases() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}
