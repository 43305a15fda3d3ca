//! The README's `tests/actix.rs` (section "Testing your handlers"), run as written.
#![allow(clippy::expect_used)]

include!(concat!(env!("OUT_DIR"), "/tests_actix.rs"));
