//! Compile tests. `ui/fail` holds one misuse per file, each with the errors it must produce in
//! the `.stderr` next to it; `ui/pass` and the inputs of `expand/` (but Rocket's) must compile
//! and run.
//!
//! After changing a message, regenerate the `.stderr` files and review them:
//! `TRYBUILD=overwrite cargo test -p jwks-guard-macros --test ui`.

use std::fs;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
    // The expansion snapshots' inputs (the snapshots themselves are `*.expanded.rs`).
    let inputs = fs::read_dir("tests/expand")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        });
    for input in inputs {
        // Rocket is no dev-dependency (see Cargo.toml): its snapshot is checked as text only.
        if input.ends_with("rocket_get.rs") {
            continue;
        }
        cases.pass(input);
    }
}
