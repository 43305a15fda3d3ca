//! The README's `tests/api.rs` (section "Testing your handlers"), run as written.
#![allow(clippy::expect_used)]

include!(concat!(env!("OUT_DIR"), "/tests_api.rs"));
