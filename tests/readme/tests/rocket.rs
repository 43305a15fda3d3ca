//! The README's `tests/rocket.rs` (section "Testing your handlers"), run as written.
#![allow(clippy::expect_used)]

include!(concat!(env!("OUT_DIR"), "/tests_rocket.rs"));
