//! Entry points for fuzzers and property tests: the request path itself over arbitrary bytes,
//! with no network (the policy's key cache holds [`JWKS`] for good and never refreshes). Not public API: compiled only for this crate's tests and
//! under `--cfg fuzzing` (which `cargo afl` sets). See CONTRIBUTING.md.
//!
//! Each entry point must return for every input, never panic; the returned status is the one a
//! request would be answered with.

use std::sync::LazyLock;

use futures_util::FutureExt as _;

use crate::alg::{Alg, AlgSet};
use crate::checks::issuer_of;
use crate::claims::Claims;
use crate::keys::{self, KeyCache, KeyLimits, KeySet};
use crate::policy::{ClaimExpect, ClaimRule, ClaimValue, Issuer, Policy, Rules};
use crate::reject::Rejection;
use crate::token::payload_object;
use crate::verify::judge;

#[cfg(test)]
mod props;

/// The issuer of [`POLICY`].
pub const ISSUER: &str = "https://fuzz.test/";

/// The audience of [`POLICY`].
pub const AUDIENCE: &str = "fuzz-api";

/// The instant the checks run at, in Unix seconds (2023-11-14): fixed, so that a fuzzer's
/// findings reproduce.
pub const NOW: i64 = 1_700_000_000;

/// The key set of [`authorization`]: public keys of each type (RSA 2048, P-256, Ed25519) with
/// kids `fuzz-rsa`, `fuzz-p256`, `fuzz-ed25519`. Their private halves were discarded.
pub const JWKS: &str = include_str!("keys.json");

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    let keys = KeySet::parse(JWKS.as_bytes(), ISSUER, KeyLimits::default())
        .unwrap_or_else(|error| panic!("the fuzzing key set does not parse: {error}"));
    Policy::from_rules(Rules {
        issuers: vec![Issuer {
            name: ISSUER.to_owned(),
            keys: KeyCache::pinned(ISSUER, keys),
        }],
        tenants: None,
        audiences: Some(vec![AUDIENCE.to_owned()]),
        client_ids: None,
        algorithms: AlgSet::of(Alg::ALL),
        leeway: 60,
        typ: None,
        scopes: Box::new(["read".to_owned()]),
        scope_challenge: "read".to_owned(),
        claims: Box::new([ClaimRule {
            name: "realm_access.roles".to_owned(),
            expect: ClaimExpect::ContainsAll(Box::new([ClaimValue::from("admin")])),
        }]),
        token_from: Box::new([crate::spec::TokenSource::Authorization]),
        dpop: crate::Dpop::Allowed,
        proofs: std::sync::OnceLock::new(),
    })
});

/// One `Authorization` header value through the request path every protected handler takes
/// ([`Policy::authorize`] with [`Claims`]: bearer syntax, the verified-token cache, JWS
/// parsing, the signature against [`JWKS`], then every check in its order) for a policy for
/// [`ISSUER`] and [`AUDIENCE`] requiring scope `read` and `realm_access.roles` ⊇ `["admin"]`.
/// Returns the status: 200 when accepted.
///
/// # Panics
/// When the request path waits for anything: with the keys held for good, it never should.
pub fn authorization(value: &[u8]) -> u16 {
    let headers: &[(&str, &[u8])] = &[("authorization", value)];
    match POLICY.authorize::<Claims>(headers).now_or_never() {
        Some(outcome) => status(outcome.map(drop)),
        None => panic!("the request path waited although its keys are held"),
    }
}

/// A decoded token payload (JSON, as if its signature had verified) through the request
/// path's checks ([`judge`], after the issuer that picks the keys) of [`authorization`]'s
/// policy, at [`NOW`]. When the checks accept it, [`Claims`] must accept it too (one reading of
/// the claims whatever the handler's type): a disagreement panics.
pub fn payload(json: &[u8]) -> u16 {
    status(payload_object(json).and_then(|claims| {
        let (issuer, registered) = issuer_of(&POLICY, &claims)?;
        let bearer = crate::checks::Binding {
            scheme: crate::Scheme::Bearer,
            proof_jkt: None,
        };
        judge(
            &POLICY,
            issuer,
            None,
            &claims,
            &registered,
            bearer,
            NOW,
            || {},
        )?;
        claims_agree(claims);
        Ok(())
    }))
}

/// A `DPoP` header value through [`check_proof`](crate::dpop::check_proof) for a `GET` of
/// `https://fuzz.test/orders` with the access token `token`, at [`NOW`], with the default
/// settings and server nonces under a fixed secret. Returns whether the proof was accepted:
/// never, since nothing here signs (a proof names its own key, so a fuzzer that forged one
/// would have found a signature bypass).
pub fn dpop_proof(value: &[u8]) -> bool {
    let request = crate::dpop::ProofRequest {
        method: "GET",
        uri: "https://fuzz.test/orders",
    };
    let settings = crate::dpop::ProofSettings::new().nonce(crate::dpop::NonceSource::new(
        b"fuzz",
        std::time::Duration::from_secs(60),
    ));
    crate::dpop::check_proof([value], &request, "token", Some("jkt"), &settings, NOW).is_ok()
}

/// A JWK Set document, as fetched for [`ISSUER`]. Returns how many keys are usable.
pub fn jwks(document: &[u8]) -> usize {
    KeySet::parse(document, ISSUER, KeyLimits::default()).map_or(0, |set| set.keys.len())
}

/// A discovery document, as fetched for [`ISSUER`]. Returns whether it yields a JWKS URI.
pub fn discovery(document: &[u8]) -> bool {
    keys::jwks_uri_of(
        "https://fuzz.test/.well-known/openid-configuration",
        document,
        ISSUER,
    )
    .is_ok()
}

fn claims_agree(claims: serde_json::Map<String, serde_json::Value>) {
    if let Err(error) = Claims::from_map(claims) {
        panic!("the checks accepted claims that `Claims` refuses: {error}");
    }
}

fn status(outcome: Result<(), Rejection>) -> u16 {
    outcome.map_or_else(|rejection| rejection.status(), |()| 200)
}
