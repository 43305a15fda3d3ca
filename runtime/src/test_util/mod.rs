//! Test issuer.
