//! The README's `tests/dpop.rs` (section "DPoP: tokens bound to the client's key"), run as
//! written.
#![allow(clippy::expect_used)]

include!(concat!(env!("OUT_DIR"), "/tests_dpop.rs"));
