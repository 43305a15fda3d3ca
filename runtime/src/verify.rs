//! Token + policy → verified claims, or the [`Rejection`] to answer with.
//!
//! [`verify`] is the request path. A token the verified-token cache holds skips straight to
//! the checks (see [`crate::token_cache`]). Any other is parsed; its payload decoded once (not
//! trusted yet); the registered claims read with their types and the issuer that picks the key
//! set; then the signature, which that issuer's key cache owns (the only `.await`), and whose
//! unknown-key refresh only a token that could otherwise pass may spend; then the checks of
//! [`crate::checks`]: `aud`, `client_id`, `exp`, `nbf`, `typ` (401), scopes and claims (403).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::checks::{check_algorithm, check_registered_claims, check_requirements, issuer_of};
use crate::claims::Registered;
use crate::policy::Policy;
use crate::reject::Rejection;
use crate::token::Jws;
use crate::token_cache::{self, TokenCache, VerifiedToken};

/// The claims of a token that passed every check, as read once: what a handler's claims type
/// is built from.
pub(crate) struct Verified<'a> {
    pub(crate) claims: &'a Arc<Map<String, Value>>,
    pub(crate) registered: &'a Registered<'a>,
}

/// Verifies `token` against `policy` and builds the handler's claims from it with `build`.
pub(crate) async fn verify<T>(
    policy: &Policy,
    token: &str,
    build: impl FnOnce(Verified<'_>) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    let now = unix_now();
    let cache = token_cache::cache();
    if let Some(cache) = cache
        && let Some(hit) = cache.get(token)
    {
        match recheck(policy, &hit, now) {
            Recheck::Passed(registered) => {
                return build(Verified {
                    claims: &hit.claims,
                    registered: &registered,
                });
            }
            Recheck::Failed(rejection) => return Err(rejection),
            Recheck::KeyGone => cache.invalidate(token),
            Recheck::OtherKeys => {}
        }
    }
    // Boxed: the first verification awaits the key cache, and its state inside every
    // request's future would make a cache hit's future that much larger to move around.
    Box::pin(verify_afresh(policy, token, now, cache, build)).await
}

/// The first verification of a token: parse, issuer, signature, checks; remembered when the
/// cache is on and the token passed its `aud`/`client_id`/`exp`/`nbf`/`typ` checks.
async fn verify_afresh<T>(
    policy: &Policy,
    token: &str,
    now: i64,
    cache: Option<&TokenCache>,
    build: impl FnOnce(Verified<'_>) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    let jws = Jws::parse(token)?;
    check_algorithm(policy, jws.alg)?;
    let claims = Arc::new(jws.payload()?);
    let typ = jws.header.typ.as_deref();
    let (issuer, registered) = issuer_of(policy, &claims)?;
    // The signature first, so that an unsigned token learns nothing of the policy; the other
    // checks, read now, decide whether a token naming an unknown key may spend a refresh.
    let registered_checks = check_registered_claims(policy, typ, &registered, now);
    let key = issuer
        .keys
        .verify(&jws, || registered_checks.is_ok())
        .await?;
    registered_checks?;
    // Only a token this handler takes (scopes and claims aside) is remembered, so tokens of
    // the issuer meant for other APIs do not take the places of this API's clients.
    if let Some(cache) = cache
        && registered.exp.is_some_and(|exp| !exp.reached_by(now, 0))
    {
        let verified = VerifiedToken {
            claims: Arc::clone(&claims),
            alg: jws.alg,
            kid: jws.header.kid.as_deref().map(Box::from),
            typ: typ.map(Box::from),
            keys: Arc::clone(&issuer.keys),
            key,
        };
        cache.insert(token, Arc::new(verified));
    }
    check_requirements(policy, &claims)?;
    build(Verified {
        claims: &claims,
        registered: &registered,
    })
}

/// What a cached token's checks under this handler's policy say.
enum Recheck<'a> {
    /// Every check passed.
    Passed(Registered<'a>),
    /// A check failed: the answer, as the token's first verification would have given it.
    Failed(Rejection),
    /// The key that verified it has left its set, or would no longer be chosen for its `kid`
    /// and algorithm: verify it afresh (and forget the entry).
    KeyGone,
    /// The policy takes this issuer's keys from another key cache (another `jwks_uri`):
    /// verify it afresh against those (which then replaces the entry; two policies naming one
    /// issuer with two `jwks_uri`s share no entries, a rare set-up that costs only speed).
    OtherKeys,
}

/// The checks of a first verification, in the same order, minus parsing and the signature.
fn recheck<'a>(policy: &Policy, hit: &'a VerifiedToken, now: i64) -> Recheck<'a> {
    let checks = || {
        check_algorithm(policy, hit.alg)?;
        let (issuer, registered) = issuer_of(policy, &hit.claims)?;
        Ok((Arc::ptr_eq(&issuer.keys, &hit.keys), registered))
    };
    let registered = match checks() {
        Ok((true, registered)) => registered,
        Ok((false, _)) => return Recheck::OtherKeys,
        Err(rejection) => return Recheck::Failed(rejection),
    };
    if !hit.keys.still_selects(hit.kid.as_deref(), hit.alg, hit.key) {
        return Recheck::KeyGone;
    }
    let outcome = check_registered_claims(policy, hit.typ.as_deref(), &registered, now)
        .and_then(|()| check_requirements(policy, &hit.claims));
    match outcome {
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
