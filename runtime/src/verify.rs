//! Token + policy → verified claims, or the [`Rejection`] to answer with.
//!
//! [`verify`] is the request path: parse; the payload decoded once (not trusted yet); the
//! registered claims read with their types and the issuer that picks the key set; the
//! signature, which that issuer's key cache owns (the only `.await`), and whose unknown-key
//! refresh only a token that could otherwise pass may spend; then the remaining 401 checks
//! (`aud`, `client_id`, `exp`, `nbf`, `typ`) and the scopes and claims a valid token may lack
//! (403). The synchronous steps are exposed on their own so that fuzzers and property tests
//! drive exactly the code requests run.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::claims::{ClaimsError, Registered, Scopes};
use crate::policy::{Issuer, Policy, normalize_typ};
use crate::reject::Rejection;
use crate::token::Jws;

/// Verifies `token` against `policy`: the issuer, the signature with a key of its set, then
/// `aud`, `client_id`, `exp`, `nbf`, `typ`, then scopes and required claims.
pub(crate) async fn verify(policy: &Policy, token: &str) -> Result<Map<String, Value>, Rejection> {
    let jws = Jws::parse(token)?;
    check_algorithm(policy, &jws)?;
    let claims = jws.payload()?;
    let typ = jws.header.typ.as_deref();
    let now = unix_now();
    let (issuer, registered) = issuer_of(policy, &claims)?;
    // The signature first, so that an unsigned token learns nothing of the policy; the other
    // checks decide whether a token naming an unknown key may spend a refresh.
    issuer
        .keys
        .verify(&jws, || {
            check_registered_claims(policy, typ, &registered, now).is_ok()
        })
        .await?;
    check_registered_claims(policy, typ, &registered, now)?;
    check_requirements(policy, &claims)?;
    Ok(claims)
}

/// The policy's algorithm allow-list.
pub(crate) fn check_algorithm(policy: &Policy, jws: &Jws<'_>) -> Result<(), Rejection> {
    if policy.algorithms.contains(jws.alg) {
        Ok(())
    } else {
        Err(Rejection::invalid_token("algorithm not allowed"))
    }
}

/// The registered claims read with their RFC 7519 types, and the configured issuer that
/// produces `iss` exactly (with `tid` for an issuer template): its keys verify the signature.
/// Failing either is 401.
pub(crate) fn issuer_of<'p, 'c>(
    policy: &'p Policy,
    claims: &'c Map<String, Value>,
) -> Result<(&'p Issuer, Registered<'c>), Rejection> {
    let registered = Registered::read(claims).map_err(claims_rejection)?;
    let iss = registered
        .iss
        .ok_or_else(|| Rejection::invalid_token("token has no iss claim"))?;
    let tid = claims.get("tid").and_then(Value::as_str);
    Ok((policy.issuer(iss, tid)?, registered))
}

/// What a valid token may still lack: scopes and `claims(...)`. Failing either is 403.
pub(crate) fn check_requirements(
    policy: &Policy,
    claims: &Map<String, Value>,
) -> Result<(), Rejection> {
    policy.check_requirements(claims, &Scopes::from_claims(claims))
}

/// `aud`, `client_id`, `exp`, `nbf` and the `typ` header. Failing any is 401.
pub(crate) fn check_registered_claims(
    policy: &Policy,
    typ: Option<&str>,
    claims: &Registered<'_>,
    now: i64,
) -> Result<(), Rejection> {
    if let Some(audiences) = &policy.audiences {
        let audience = claims
            .aud
            .ok_or_else(|| Rejection::invalid_token("token has no aud claim"))?;
        if !audience
            .iter()
            .any(|aud| audiences.iter().any(|a| a == aud))
        {
            return Err(Rejection::invalid_token("audience mismatch"));
        }
    }
    if let Some(client_ids) = &policy.client_ids {
        let client_id = claims
            .client_id
            .ok_or_else(|| Rejection::invalid_token("token has no client_id claim"))?;
        if !client_ids.iter().any(|c| c == client_id) {
            return Err(Rejection::invalid_token("client_id mismatch"));
        }
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
