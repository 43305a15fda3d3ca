//! Token + policy → verified claims, or the [`Rejection`] to answer with.
//!
//! [`verify`] is the request path: parse, get the issuer's keys (the only `.await`), then the
//! synchronous checks, which [`check_signature`] and [`check_claims`] expose on their own so
//! that fuzzers and property tests drive exactly the code requests run.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::claims::{ClaimsError, Registered, Scopes};
use crate::keys::{KeyProblem, KeySet};
use crate::policy::{Policy, normalize_typ};
use crate::reject::Rejection;
use crate::token::Jws;

/// Verifies `token` against `policy`: signature with a key of the issuer's set, then `iss`,
/// `aud`, `exp`, `nbf`, `typ`, then scopes and required claims.
pub(crate) async fn verify(policy: &Policy, token: &str) -> Result<Map<String, Value>, Rejection> {
    let jws = Jws::parse(token)?;
    check_algorithm(policy, &jws)?;
    let cached = policy.keys.keys().await?;
    let outcome = match check_signature(&cached.keys, &jws) {
        Err(KeyProblem::UnknownKid) => match policy.keys.refresh_for_unknown_kid(&cached).await {
            Some(refreshed) => check_signature(&refreshed.keys, &jws),
            None => Err(KeyProblem::UnknownKid),
        },
        other => other,
    };
    outcome.map_err(|problem| key_rejection(problem, jws.header.kid.is_some()))?;
    check_claims(policy, &jws, unix_now())
}

/// The policy's algorithm allow-list.
pub(crate) fn check_algorithm(policy: &Policy, jws: &Jws<'_>) -> Result<(), Rejection> {
    if policy.algorithms.contains(jws.alg) {
        Ok(())
    } else {
        Err(Rejection::invalid_token("algorithm not allowed"))
    }
}

/// The signature, with the key of `keys` the token names.
pub(crate) fn check_signature(keys: &KeySet, jws: &Jws<'_>) -> Result<(), KeyProblem> {
    keys.verify(
        jws.header.kid.as_deref(),
        jws.alg,
        jws.signing_input.as_bytes(),
        &jws.signature,
    )
}

/// The answer to a token whose signature no key verified.
pub(crate) fn key_rejection(problem: KeyProblem, has_kid: bool) -> Rejection {
    Rejection::invalid_token(match (problem, has_kid) {
        (KeyProblem::UnknownKid, _) => "unknown signing key",
        (KeyProblem::WrongAlgorithm, true) => "algorithm not allowed for this key",
        (KeyProblem::WrongAlgorithm, false) => "no signing key for this algorithm",
        (KeyProblem::Ambiguous, _) => "token has no kid and several keys match",
        (KeyProblem::BadSignature, _) => "invalid signature",
    })
}

/// Everything after the signature: the payload decoded once, then [`check_payload`].
pub(crate) fn check_claims(
    policy: &Policy,
    jws: &Jws<'_>,
    now: i64,
) -> Result<Map<String, Value>, Rejection> {
    let claims = jws.verified_payload()?;
    check_payload(policy, jws.header.typ.as_deref(), claims, now)
}

/// The registered claims (`iss`, `aud`, `exp`, `nbf`, each of its RFC 7519 type), the `typ`
/// header, then scopes and required claims; `now` in Unix seconds.
pub(crate) fn check_payload(
    policy: &Policy,
    typ: Option<&str>,
    claims: Map<String, Value>,
    now: i64,
) -> Result<Map<String, Value>, Rejection> {
    let registered = Registered::read(&claims).map_err(claims_rejection)?;
    check_registered_claims(policy, typ, &registered, now)?;
    let scopes = Scopes::from_claims(&claims);
    policy.check_requirements(&claims, &scopes)?;
    Ok(claims)
}

fn check_registered_claims(
    policy: &Policy,
    typ: Option<&str>,
    claims: &Registered<'_>,
    now: i64,
) -> Result<(), Rejection> {
    match claims.iss {
        Some(iss) if iss == policy.issuer => {}
        Some(_) => return Err(Rejection::invalid_token("issuer mismatch")),
        None => return Err(Rejection::invalid_token("token has no iss claim")),
    }
    let audience = claims
        .aud
        .ok_or_else(|| Rejection::invalid_token("token has no aud claim"))?;
    if !audience
        .iter()
        .any(|aud| policy.audiences.iter().any(|a| a == aud))
    {
        return Err(Rejection::invalid_token("audience mismatch"));
    }
    let exp = claims
        .exp
        .ok_or_else(|| Rejection::invalid_token("token has no exp claim"))?;
    if exp.reached_by(now, policy.leeway) {
        return Err(Rejection::invalid_token("token expired"));
    }
    if claims.nbf.is_some_and(|nbf| nbf.beyond(now, policy.leeway)) {
        return Err(Rejection::invalid_token("token not yet valid"));
    }
    if let Some(required) = &policy.typ
        && typ.is_none_or(|typ| normalize_typ(typ) != *required)
    {
        return Err(Rejection::invalid_token("token type mismatch"));
    }
    Ok(())
}

fn claims_rejection(error: ClaimsError) -> Rejection {
    Rejection::invalid_token(error.to_string())
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}
