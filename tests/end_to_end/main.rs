//! The end-to-end tests that run with the default settings, in one binary: each file of this
//! folder is a module (`cargo test --test end_to_end hostile::` runs one), and their tests run
//! side by side in one process. One binary links the frameworks once, where a binary per file
//! linked them each time.
//!
//! What is process-wide stays shared here, so every module keeps to these rules:
//!
//! - Nothing calls `jwks_guard::configure` or installs a global `tracing` subscriber. A test
//!   that needs its own settings or subscriber is a binary of its own (`tests/*.rs`).
//! - Key caches and fetch routes are one per issuer string, for the whole process: a module
//!   names issuers no other module uses, unless nothing it asserts depends on their state
//!   (the conformance table's healthy provider, shared by every framework; its failing and
//!   first-requests providers are one set per framework).
//! - Counters are read per provider (`TestIssuer::jwks_requests`), never process-wide
//!   (`jwks_guard::stats`).
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/conformance.rs"]
mod conformance;
#[path = "../common/servers.rs"]
mod servers;

mod actix;
mod attributes;
mod builder;
mod dpop_interop;
mod dpop_proofs;
mod hostile;
mod layer;
mod openapi;
mod per_test_issuers;
mod poem;
mod providers;
mod responses;
mod rocket;
mod state_extractors;
mod unsigned_callers;
mod verifier_regressions;
