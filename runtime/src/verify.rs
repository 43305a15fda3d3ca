//! Token + policy → verified claims, or the [`Rejection`] to answer with: the one place that
//! orders the steps of the request path.
//!
//! 1. A token the verified-token cache holds is rechecked (see [`crate::token_cache`]): its
//!    algorithm and issuer, whether its issuer's keys would still pick the key that verified
//!    it, then [`judge`].
//! 2. Any other is parsed and its algorithm checked against the allow-list; its payload is
//!    decoded once (not trusted yet) and its registered claims read with their types; its
//!    `iss` picks the issuer, whose keys verify the signature (401).
//! 3. The signature, which that issuer's key cache owns (the only `.await`). A token naming a
//!    key the set lacks may spend a refresh only when its `exp` and `nbf` lie within the
//!    accepted window: nothing else the policy holds (audiences, client ids, tenants, `typ`)
//!    decides whether, or how fast, an unsigned token is answered.
//! 4. [`judge`]: the tenant, `aud`, `client_id`, `exp`, `nbf`, `typ` (401), then scopes and
//!    `claims(...)` (403), on a token whose signature is known good.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::checks::{
    Binding, check_algorithm, check_binding, check_lifetime, check_registered_claims,
    check_requirements, check_tenant, issuer_of,
};
use crate::claims::Registered;
use crate::policy::{Issuer, Policy};
use crate::reject::Rejection;
use crate::token::Jws;
use crate::token_cache::{self, CachedVerification, KeySelection, TokenCache};

/// The claims of a token that passed every check, as read once: what a handler's claims type
/// is built from.
pub(crate) struct AcceptedClaims<'a> {
    pub(crate) claims: &'a Arc<Map<String, Value>>,
    pub(crate) registered: &'a Registered<'a>,
}

/// Verifies `token`, presented as `binding` says, against `policy` and builds the handler's
/// claims from it with `build`.
pub(crate) async fn verify<T>(
    policy: &Policy,
    token: &str,
    binding: Binding<'_>,
    build: impl FnOnce(AcceptedClaims<'_>) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    let now = unix_now();
    let cache = token_cache::cache();
    if let Some(cache) = cache
        && let Some(hit) = cache.get(token)
    {
        match recheck(policy, &hit, binding, now) {
            Recheck::Passed(registered) => {
                return build(AcceptedClaims {
                    claims: &hit.claims,
                    registered: &registered,
                });
            }
            Recheck::Failed(rejection) => return Err(rejection),
            Recheck::Afresh(KeySelection::Gone) => cache.invalidate(token),
            Recheck::Afresh(_) => {}
        }
    }
    // Boxed: the first verification awaits the key cache, and its state inside every
    // request's future would make a cache hit's future that much larger to move around.
    Box::pin(verify_afresh(policy, token, binding, now, cache, build)).await
}

/// The first verification of a token: parse, issuer, signature, [`judge`]; remembered (see
/// [`TokenCache::remember`]) once [`judge`] finds it valid for this handler, scopes and claims
/// aside.
async fn verify_afresh<T>(
    policy: &Policy,
    token: &str,
    binding: Binding<'_>,
    now: i64,
    cache: Option<&TokenCache>,
    build: impl FnOnce(AcceptedClaims<'_>) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    let jws = Jws::parse(token)?;
    check_algorithm(policy, jws.alg)?;
    let claims = Arc::new(jws.payload()?);
    let typ = jws.header.typ.as_deref();
    let (issuer, registered) = issuer_of(policy, &claims)?;
    let key = issuer
        .keys
        .verify(&jws, || check_lifetime(policy, &registered, now).is_ok())
        .await?;
    judge(
        policy,
        issuer,
        typ,
        &claims,
        &registered,
        binding,
        now,
        || {
            if let Some(cache) = cache {
                cache.remember(token, registered.exp, now, || {
                    CachedVerification::of(&jws, &claims, &issuer.keys, key)
                });
            }
        },
    )?;
    build(AcceptedClaims {
        claims: &claims,
        registered: &registered,
    })
}

/// The checks of a token whose signature is known good (or that a cache hit stands for), in
/// their documented order: the tenant, `aud`, `client_id`, `exp`, `nbf` and `typ` (401), then
/// the key binding (`cnf.jkt` against the scheme and the DPoP proof: 401), then scopes and
/// `claims(...)` (403). `valid` runs after the token's own checks, once it is known to be
/// valid for this API whatever it may lack; the binding is the request's, never remembered.
#[allow(clippy::too_many_arguments)]
pub(crate) fn judge(
    policy: &Policy,
    issuer: &Issuer,
    typ: Option<&str>,
    claims: &Map<String, Value>,
    registered: &Registered<'_>,
    binding: Binding<'_>,
    now: i64,
    valid: impl FnOnce(),
) -> Result<(), Rejection> {
    check_tenant(policy, issuer, claims)?;
    check_registered_claims(policy, typ, registered, now)?;
    valid();
    check_binding(policy, binding, claims)?;
    check_requirements(policy, claims)
}

/// What a cached token's checks under this handler's policy say.
enum Recheck<'a> {
    /// Every check passed.
    Passed(Registered<'a>),
    /// A check failed: the answer, as the token's first verification would have given it.
    Failed(Rejection),
    /// Verify it afresh: see [`KeySelection`].
    Afresh(KeySelection),
}

/// The steps of a first verification, minus parsing and the signature, whose place the key
/// selection takes.
fn recheck<'a>(
    policy: &Policy,
    hit: &'a CachedVerification,
    binding: Binding<'_>,
    now: i64,
) -> Recheck<'a> {
    let origin = check_algorithm(policy, hit.alg).and_then(|()| issuer_of(policy, &hit.claims));
    let (issuer, registered) = match origin {
        Ok(origin) => origin,
        Err(rejection) => return Recheck::Failed(rejection),
    };
    match hit.key_selection(&issuer.keys) {
        KeySelection::Held => {}
        other => return Recheck::Afresh(other),
    }
    let typ = hit.typ.as_deref();
    match judge(
        policy,
        issuer,
        typ,
        &hit.claims,
        &registered,
        binding,
        now,
        || {},
    ) {
        Ok(()) => Recheck::Passed(registered),
        Err(rejection) => Recheck::Failed(rejection),
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}
