//! Entry points for fuzzers and property tests: the request path's own functions over
//! arbitrary bytes, with no network. Not public API: compiled only for this crate's tests and
//! under `--cfg fuzzing` (which `cargo afl` sets). See CONTRIBUTING.md.
//!
//! Each entry point must return for every input, never panic; the returned status is the one a
//! request would be answered with.

use std::sync::LazyLock;

use crate::bearer::bearer_token;
use crate::checks::{check_algorithm, check_registered_claims, check_requirements, issuer_of};
use crate::claims::Claims;
use crate::keys::{self, KeyLimits, KeySet};
use crate::policy::{ClaimExpect, ClaimRule, ClaimValue, Issuer, Policy, Rules};
use crate::reject::Rejection;
use crate::spec::{Alg, AlgSet};
use crate::token::{Jws, payload_object};

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

static KEYS: LazyLock<Option<KeySet>> =
    LazyLock::new(|| KeySet::parse(JWKS.as_bytes(), ISSUER, KeyLimits::default()).ok());

static POLICY: LazyLock<Policy> = LazyLock::new(|| {
    Policy::from_rules(Rules {
        issuers: vec![Issuer {
            name: ISSUER.to_owned(),
            // Never fetched from: these entry points verify with `KEYS`.
            keys: keys::cache_for(ISSUER, Some("https://fuzz.test/jwks")),
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
    })
});

/// One `Authorization` header value through the request path (bearer syntax, JWS parsing,
/// the signature against [`JWKS`], the claims against a policy for [`ISSUER`] and
/// [`AUDIENCE`] requiring scope `read` and `realm_access.roles` ⊇ `["admin"]`), at [`NOW`].
/// Returns the status: 200 when accepted.
pub fn authorization(value: &[u8]) -> u16 {
    status(authorize(value))
}

fn authorize(value: &[u8]) -> Result<(), Rejection> {
    let token = bearer_token([value])?;
    let jws = Jws::parse(token)?;
    check_algorithm(&POLICY, jws.alg)?;
    let claims = jws.payload()?;
    let (_, registered) = issuer_of(&POLICY, &claims)?;
    let keys = KEYS
        .as_ref()
        .ok_or_else(|| Rejection::invalid_token("no fuzzing keys"))?;
    keys.verify(
        jws.header.kid.as_deref(),
        jws.alg,
        jws.signing_input.as_bytes(),
        &jws.signature,
    )
    .map_err(|problem| problem.rejection(jws.header.kid.is_some()))
    .map(drop)?;
    check_registered_claims(&POLICY, jws.header.typ.as_deref(), &registered, NOW)?;
    check_requirements(&POLICY, &claims)?;
    claims_agree(claims);
    Ok(())
}

/// A decoded token payload (JSON, as if its signature had verified) through every claims check
/// of [`authorization`]'s policy, at [`NOW`]. When the checks accept it, [`Claims`] must accept
/// it too (one reading of the claims whatever the handler's type): a disagreement panics.
pub fn payload(json: &[u8]) -> u16 {
    status(payload_object(json).and_then(|claims| {
        let (_, registered) = issuer_of(&POLICY, &claims)?;
        check_registered_claims(&POLICY, None, &registered, NOW)?;
        check_requirements(&POLICY, &claims)?;
        claims_agree(claims);
        Ok(())
    }))
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
