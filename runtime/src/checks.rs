//! Every check a token's claims go through, on the one reading of them: the algorithm
//! allow-list and the issuer (before the signature, which the issuer's keys verify), then the
//! tenant, `aud`, `client_id`, `exp`, `nbf` and `typ` (401 when failed), then scopes and
//! `claims(...)` (403). [`crate::verify`] orders them, once, for a freshly verified token and
//! for every hit of the verified-token cache.

use serde_json::{Map, Value};

use crate::alg::Alg;
use crate::claims::{ClaimsError, Registered, for_each_scope};
use crate::dpop::ProofError;
use crate::dpop_state::Dpop;
use crate::policy::{ClaimExpect, ClaimValue, Issuer, Policy};
use crate::reject::{Rejection, RejectionKind, Scheme};
use crate::token::normalize_typ;

/// The policy's algorithm allow-list.
pub(crate) fn check_algorithm(policy: &Policy, alg: Alg) -> Result<(), Rejection> {
    if policy.rules().algorithms.contains(alg) {
        Ok(())
    } else {
        Err(Rejection::invalid_token("algorithm not allowed"))
    }
}

/// The registered claims read with their RFC 7519 types, and the configured issuer that
/// produces `iss` exactly (with `tid` for an issuer template): its keys verify the signature.
/// Failing either is 401. Whether that tenant is allowed is [`check_tenant`]'s, after the
/// signature.
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

/// The tenant allow-list, for a token of an issuer template. Failing it is 401.
pub(crate) fn check_tenant(
    policy: &Policy,
    issuer: &Issuer,
    claims: &Map<String, Value>,
) -> Result<(), Rejection> {
    let tid = claims.get("tid").and_then(Value::as_str);
    if policy.tenant_allowed(issuer, tid) {
        Ok(())
    } else {
        Err(Rejection::invalid_token("tenant not allowed"))
    }
}

/// `exp` (required) and `nbf`, with the policy's leeway. Failing either is 401.
pub(crate) fn check_lifetime(
    policy: &Policy,
    claims: &Registered<'_>,
    now: i64,
) -> Result<(), Rejection> {
    let leeway = policy.rules().leeway;
    let exp = claims
        .exp
        .ok_or_else(|| Rejection::invalid_token("token has no exp claim"))?;
    if exp.reached_by(now, leeway) {
        return Err(Rejection::invalid_token("token expired"));
    }
    if claims.nbf.is_some_and(|nbf| nbf.beyond(now, leeway)) {
        return Err(Rejection::invalid_token("token not yet valid"));
    }
    Ok(())
}

/// How a request presented its token: what [`check_binding`] compares with the token's
/// `cnf.jkt`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Binding<'a> {
    /// The scheme of the credentials (a cookie or another header: `Bearer`).
    pub(crate) scheme: Scheme,
    /// Under the `DPoP` scheme, the thumbprint of the key of the proof, which has passed its
    /// checks.
    pub(crate) proof_jkt: Option<&'a str>,
}

/// The token's key binding (RFC 9449 §7): unless the policy disables DPoP, a token bound to a
/// key (`cnf.jkt`) is accepted only under the `DPoP` scheme with a proof made with that key
/// (never as a bearer token: §7.2, no downgrade), and only a bound token under the `DPoP`
/// scheme. Failing is 401.
pub(crate) fn check_binding(
    policy: &Policy,
    binding: Binding<'_>,
    claims: &Map<String, Value>,
) -> Result<(), Rejection> {
    if policy.dpop() == Dpop::Disabled {
        return Ok(());
    }
    let jkt = match claims.get("cnf").and_then(|cnf| cnf.get("jkt")) {
        None => None,
        Some(Value::String(jkt)) => Some(jkt.as_str()),
        Some(_) => {
            return Err(Rejection::invalid_token(
                "the token's cnf.jkt is not a string",
            ));
        }
    };
    match (binding.scheme, jkt) {
        (Scheme::Dpop, Some(jkt)) if binding.proof_jkt == Some(jkt) => Ok(()),
        (Scheme::Dpop, Some(_)) => Err(Rejection::dpop_proof(
            RejectionKind::InvalidDpopProof,
            ProofError::Jkt.to_string(),
        )),
        (Scheme::Dpop, None) => Err(Rejection::invalid_token(
            "the token is not bound to a key (no cnf.jkt): it cannot be sent under the DPoP scheme",
        )),
        (_, Some(_)) => Err(Rejection::invalid_token(
            "the token is bound to a key (cnf.jkt): send it as `Authorization: DPoP` with a DPoP proof, not as a bearer token",
        )
        .under_dpop("")),
        (_, None) => Ok(()),
    }
}

/// `aud`, `client_id`, `exp`, `nbf` and the `typ` header. Failing any is 401.
pub(crate) fn check_registered_claims(
    policy: &Policy,
    typ: Option<&str>,
    claims: &Registered<'_>,
    now: i64,
) -> Result<(), Rejection> {
    let rules = policy.rules();
    if let Some(audiences) = &rules.audiences {
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
    if let Some(client_ids) = &rules.client_ids {
        let client_id = claims
            .client_id
            .ok_or_else(|| Rejection::invalid_token("token has no client_id claim"))?;
        if !client_ids.iter().any(|c| c == client_id) {
            return Err(Rejection::invalid_token("client_id mismatch"));
        }
    }
    check_lifetime(policy, claims, now)?;
    if let Some(required) = &rules.typ
        && typ.is_none_or(|typ| normalize_typ(typ) != *required)
    {
        return Err(Rejection::invalid_token("token type mismatch"));
    }
    Ok(())
}

/// What a valid token may still lack: scopes and `claims(...)`. Failing either is 403.
pub(crate) fn check_requirements(
    policy: &Policy,
    claims: &Map<String, Value>,
) -> Result<(), Rejection> {
    let policy = policy.rules();
    if let Some(missing) = policy.scopes.iter().find(|scope| !granted(claims, scope)) {
        return Err(Rejection::insufficient_scope(
            format!("missing scope {missing}"),
            &policy.scope_challenge,
        ));
    }
    for requirement in &policy.claims {
        let met = match (&requirement.expect, lookup(claims, &requirement.name)) {
            (_, None) => {
                return Err(Rejection::insufficient_scope(
                    format!("missing claim {}", requirement.name),
                    &policy.scope_challenge,
                ));
            }
            (ClaimExpect::Present, Some(_)) => true,
            (ClaimExpect::Equals(expected), Some(value)) => scalar_eq(expected, value),
            (ClaimExpect::ContainsAll(expected), Some(Value::Array(items))) => expected
                .iter()
                .all(|e| items.iter().any(|item| scalar_eq(e, item))),
            (ClaimExpect::ContainsAll(_), Some(_)) => false,
        };
        if !met {
            return Err(Rejection::insufficient_scope(
                format!(
                    "claim {} does not have the required value",
                    requirement.name
                ),
                &policy.scope_challenge,
            ));
        }
    }
    Ok(())
}

/// Whether `scope` is granted by `scope` or `scp`, read in place (see
/// [`Scopes`](crate::Scopes) for the shapes accepted).
fn granted(claims: &Map<String, Value>, scope: &str) -> bool {
    ["scope", "scp"].into_iter().any(|name| {
        let mut found = false;
        for_each_scope(claims.get(name), |granted| {
            found |= !granted.is_empty() && granted == scope;
        });
        found
    })
}

fn claims_rejection(error: ClaimsError) -> Rejection {
    Rejection::invalid_token(error.to_string())
}

/// A claim by name: top-level first (so URL-like names work), else, for a dotted name, a walk
/// through nested objects. `null` counts as absent.
pub(crate) fn lookup<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let found = match claims.get(name) {
        Some(value) => Some(value),
        None if name.contains('.') => {
            let mut parts = name.split('.');
            let first = claims.get(parts.next()?)?;
            parts.try_fold(first, |value, part| value.as_object()?.get(part))
        }
        None => None,
    };
    found.filter(|value| !value.is_null())
}

/// Exact integer equality; a float counts only when it is exactly that integer (`3.0`).
fn int_eq(expected: i64, number: &serde_json::Number) -> bool {
    if let Some(i) = number.as_i64() {
        return i == expected;
    }
    if number.is_u64() {
        return false; // above i64::MAX, so never equal
    }
    // A float equals `expected` only when it is integral and `expected` converts to exactly that
    // float and back, which excludes the neighbours of integers above 2^53.
    number.as_f64().is_some_and(|f| {
        let back = expected as f64;
        f.fract() == 0.0 && back == f && back as i64 == expected
    })
}

fn scalar_eq(expected: &ClaimValue, value: &Value) -> bool {
    match (expected, value) {
        (ClaimValue::Str(s), Value::String(v)) => s == v,
        (ClaimValue::Bool(b), Value::Bool(v)) => b == v,
        (ClaimValue::Int(i), Value::Number(n)) => int_eq(*i, n),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn lookup_prefers_top_level_names_then_walks_dots() {
        let claims = map(json!({
            "https://example.com/roles": ["admin"],
            "realm_access": {"roles": ["viewer"]},
            "a.b": 1, "a": {"b": 2},
            "gone": null,
        }));
        assert_eq!(
            lookup(&claims, "https://example.com/roles"),
            Some(&json!(["admin"]))
        );
        assert_eq!(
            lookup(&claims, "realm_access.roles"),
            Some(&json!(["viewer"]))
        );
        assert_eq!(lookup(&claims, "a.b"), Some(&json!(1)));
        assert_eq!(lookup(&claims, "realm_access.missing"), None);
        assert_eq!(lookup(&claims, "gone"), None);
    }

    #[test]
    fn scopes_are_granted_by_scope_or_scp_in_either_shape() {
        let claims = map(json!({"scope": "a b", "scp": ["c"]}));
        assert!(["a", "b", "c"].iter().all(|s| granted(&claims, s)));
        assert!(!granted(&claims, "a b"));
        assert!(!granted(&claims, ""));
        let odd = map(json!({"scope": ["a", 1], "scp": {"b": true}}));
        assert!(!granted(&odd, "a") && !granted(&odd, "b"));
    }

    #[test]
    fn scalars_compare_by_json_type() {
        assert!(scalar_eq(&ClaimValue::from("x"), &json!("x")));
        assert!(!scalar_eq(&ClaimValue::from("1"), &json!(1)));
        assert!(scalar_eq(&ClaimValue::Int(3), &json!(3)));
        assert!(scalar_eq(&ClaimValue::Int(3), &json!(3.0)));
        assert!(!scalar_eq(&ClaimValue::Int(3), &json!(3.5)));
        assert!(!scalar_eq(
            &ClaimValue::Int(9_007_199_254_740_993),
            &json!(9_007_199_254_740_992_i64)
        ));
        assert!(!scalar_eq(
            &ClaimValue::Int(9_007_199_254_740_993),
            &json!(9_007_199_254_740_992.0)
        ));
        assert!(!scalar_eq(&ClaimValue::Int(i64::MAX), &json!(u64::MAX)));
        assert!(scalar_eq(&ClaimValue::Bool(true), &json!(true)));
        assert!(!scalar_eq(&ClaimValue::Bool(true), &json!("true")));
    }
}
