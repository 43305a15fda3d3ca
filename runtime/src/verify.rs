//! Token + policy → verified claims, or the [`Rejection`] to answer with.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::claims::{ClaimsError, numeric_date};
use crate::keys::{Cached, Lookup};
use crate::policy::{Policy, normalize_typ};
use crate::reject::Rejection;
use crate::token::Jws;

/// Verifies `token` against `policy`: signature with a key of the issuer's set, then `iss`,
/// `aud`, `exp`, `nbf`, `typ`, then scopes and required claims.
pub(crate) async fn verify(policy: &Policy, token: &str) -> Result<Map<String, Value>, Rejection> {
    let jws = Jws::parse(token)?;
    if !policy.algorithms.contains(jws.alg) {
        return Err(Rejection::invalid_token("algorithm not allowed"));
    }
    let kid = jws.header.kid.as_deref();
    let cached = policy.keys.keys().await?;
    let outcome = check_signature(&cached, &jws);
    match outcome {
        Err(KeyProblem::UnknownKid) => match policy.keys.refresh_for_unknown_kid(&cached).await {
            Some(refreshed) => check_signature(&refreshed, &jws),
            None => Err(KeyProblem::UnknownKid),
        },
        other => other,
    }
    .map_err(|problem| problem.rejection(kid))?;

    let claims = jws.verified_payload()?;
    check_registered_claims(policy, &jws, &claims, unix_now())?;
    let scopes = crate::Scopes::from_claims(&claims).map_err(claims_rejection)?;
    policy.check_requirements(&claims, &scopes)?;
    Ok(claims)
}

enum KeyProblem {
    UnknownKid,
    WrongAlgorithm,
    Ambiguous,
    BadSignature,
}

impl KeyProblem {
    fn rejection(self, kid: Option<&str>) -> Rejection {
        Rejection::invalid_token(match (self, kid) {
            (KeyProblem::UnknownKid, _) => "unknown signing key",
            (KeyProblem::WrongAlgorithm, Some(_)) => "algorithm not allowed for this key",
            (KeyProblem::WrongAlgorithm, None) => "no signing key for this algorithm",
            (KeyProblem::Ambiguous, _) => "token has no kid and several keys match",
            (KeyProblem::BadSignature, _) => "invalid signature",
        })
    }
}

fn check_signature(cached: &Cached, jws: &Jws<'_>) -> Result<(), KeyProblem> {
    let key = match cached.keys.find(jws.header.kid.as_deref(), jws.alg) {
        Lookup::Found(key) => key,
        Lookup::UnknownKid => return Err(KeyProblem::UnknownKid),
        Lookup::WrongAlgorithm => return Err(KeyProblem::WrongAlgorithm),
        Lookup::Ambiguous => return Err(KeyProblem::Ambiguous),
    };
    let valid = jsonwebtoken::crypto::verify(
        jws.signature,
        jws.signing_input.as_bytes(),
        &key.key,
        jws.alg.to_jsonwebtoken(),
    );
    match valid {
        Ok(true) => Ok(()),
        // A signature that is not base64url, or that the key rejects, is simply not valid.
        Ok(false) | Err(_) => Err(KeyProblem::BadSignature),
    }
}

fn check_registered_claims(
    policy: &Policy,
    jws: &Jws<'_>,
    claims: &Map<String, Value>,
    now: i64,
) -> Result<(), Rejection> {
    match claims.get("iss") {
        Some(Value::String(iss)) if *iss == policy.issuer => {}
        None | Some(Value::Null) => return Err(Rejection::invalid_token("token has no iss claim")),
        Some(_) => return Err(Rejection::invalid_token("issuer mismatch")),
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => policy.audiences.iter().any(|a| a == aud),
        Some(Value::Array(auds)) => auds
            .iter()
            .filter_map(Value::as_str)
            .any(|aud| policy.audiences.iter().any(|a| a == aud)),
        None | Some(Value::Null) => return Err(Rejection::invalid_token("token has no aud claim")),
        Some(_) => false,
    };
    if !audience_ok {
        return Err(Rejection::invalid_token("audience mismatch"));
    }
    let leeway = i64::try_from(policy.leeway).unwrap_or(i64::MAX);
    let exp = numeric_date(claims, "exp")
        .map_err(claims_rejection)?
        .ok_or_else(|| Rejection::invalid_token("token has no exp claim"))?;
    if now >= exp.saturating_add(leeway) {
        return Err(Rejection::invalid_token("token expired"));
    }
    let nbf = numeric_date(claims, "nbf").map_err(claims_rejection)?;
    if nbf.is_some_and(|nbf| now.saturating_add(leeway) < nbf) {
        return Err(Rejection::invalid_token("token not yet valid"));
    }
    if let Some(required) = &policy.typ {
        let matches = jws
            .header
            .typ
            .as_deref()
            .is_some_and(|typ| normalize_typ(typ) == *required);
        if !matches {
            return Err(Rejection::invalid_token("token type mismatch"));
        }
    }
    Ok(())
}

fn claims_rejection(error: ClaimsError) -> Rejection {
    Rejection::invalid_token(error.to_string())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}
