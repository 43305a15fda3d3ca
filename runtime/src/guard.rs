//! The framework-neutral guard: `Authorization` headers + a handler's policy → claims.

use std::any::{Any, TypeId};
use std::marker::PhantomData;

use serde::de::DeserializeOwned;

use crate::bearer::bearer_token;
use crate::claims::{Claims, ClaimsError};
use crate::policy::{Policy, PolicyCell};
use crate::reject::Rejection;
use crate::verify::{Verified, verify};

/// A handler's policy as a type. Not public API: the `#[protected]` expansion implements it
/// for one hidden type per handler.
pub trait StaticPolicy: 'static {
    /// The type the handler receives its claims as ([`NoClaims`] without a `#[claims]`
    /// parameter).
    type Claims: ClaimsTarget;
    /// The handler's policy.
    fn cell() -> &'static PolicyCell;
}

/// A type a handler can receive its verified claims as: [`Claims`](crate::Claims), or any
/// `serde::de::DeserializeOwned + Send + 'static` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive verified claims",
    label = "the `#[claims]` parameter's type must be deserialisable",
    note = "use `jwks_guard::Claims`, or add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait ClaimsTarget: Sized + Send + 'static {
    /// Builds the value from the token's verified claims. Not public API.
    ///
    /// # Errors
    /// The claims do not fit the type.
    #[doc(hidden)]
    fn from_verified(claims: VerifiedClaims<'_>) -> Result<Self, serde_json::Error>;
}

/// A verified token's claims, as read once by the checks. Not public API.
#[doc(hidden)]
pub struct VerifiedClaims<'a>(Verified<'a>);

impl<T: DeserializeOwned + Send + 'static> ClaimsTarget for T {
    /// [`Claims`] is built from the claims as the checks read them, sharing the decoded
    /// payload; any other type is deserialised from the payload in one pass.
    fn from_verified(
        VerifiedClaims(verified): VerifiedClaims<'_>,
    ) -> Result<Self, serde_json::Error> {
        if TypeId::of::<T>() == TypeId::of::<Claims>() {
            let mut claims = Some(Claims::from_verified(verified.claims, verified.registered));
            if let Some(Some(Ok(claims))) = (&mut claims as &mut dyn Any)
                .downcast_mut::<Option<Result<T, ClaimsError>>>()
                .map(Option::take)
            {
                return Ok(claims);
            }
        }
        T::deserialize(&**verified.claims)
    }
}

/// The claims type of a handler without a `#[claims]` parameter: verification happens, nothing
/// is deserialised. Not public API.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClaims;

impl ClaimsTarget for NoClaims {
    fn from_verified(_: VerifiedClaims<'_>) -> Result<Self, serde_json::Error> {
        Ok(NoClaims)
    }
}

/// The extractor the `#[protected]` expansion puts first in a handler's parameters: the verified
/// claims, for the policy `P`. Not public API.
pub struct Protected<P: StaticPolicy>(pub P::Claims, pub PhantomData<fn() -> P>);

impl<P: StaticPolicy> std::fmt::Debug for Protected<P>
where
    P::Claims: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Protected").field(&self.0).finish()
    }
}

impl<P: StaticPolicy> Protected<P> {
    /// The verified claims, as the handler's `#[claims]` parameter receives them.
    pub fn into_claims(self) -> P::Claims {
        self.0
    }

    /// Checks the values of every `Authorization` header of a request against the policy `P`:
    /// the entry point each framework adapter calls for `#[protected]` handlers. The policy is
    /// resolved at the first call and then checked by [`authorize`], as a
    /// [`Policy`](crate::Policy) built by hand is.
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub async fn authorize<'a>(
        authorization_values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, Rejection> {
        let cell = P::cell();
        let policy = cell
            .policy()
            .inspect_err(|rejection| rejected(rejection, &cell.spec().issuer))?;
        let claims = authorize::<P::Claims>(policy, authorization_values).await?;
        Ok(Protected(claims, PhantomData))
    }
}

/// Checks a request's `Authorization` header values against `policy`, and builds the claims
/// as `C`: the one path every request takes, with the macro's policy or one built by hand.
pub(crate) async fn authorize<'a, C: ClaimsTarget>(
    policy: &Policy,
    authorization_values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<C, Rejection> {
    let outcome = async {
        let token = bearer_token(authorization_values)?;
        verify(policy, token, |verified| {
            C::from_verified(VerifiedClaims(verified)).map_err(|error| {
                // serde's message may quote the token's own text (an unknown variant or field).
                tracing::debug!(
                    error = %crate::keys::loggable(&error.to_string(), crate::keys::TEXT_CHARS),
                    "claims do not fit the handler's claims type"
                );
                Rejection::invalid_token("token claims do not match the expected claims type")
            })
        })
        .await
    }
    .await;
    if let Err(rejection) = &outcome {
        rejected(rejection, &IssuerNames(policy));
    }
    outcome
}

/// The answer when an adapter finds no [`Policy`] where the application should have put one
/// (`where_` names the place, e.g. "actix-web app data"): logged, counted, 500.
#[cfg_attr(
    not(any(feature = "actix-web", feature = "rocket", feature = "poem")),
    allow(dead_code)
)]
pub(crate) fn missing_policy(where_: &'static str) -> Rejection {
    tracing::error!(
        place = where_,
        "`Authenticated` found no jwks_guard::Policy in the application's state; answering 500"
    );
    let rejection = Rejection::misconfigured();
    crate::stats::count_rejection(rejection.kind());
    rejection
}

/// Counts a rejection and logs it at debug level, naming the policy's issuers.
fn rejected(rejection: &Rejection, issuer: &dyn std::fmt::Debug) {
    crate::stats::count_rejection(rejection.kind());
    tracing::debug!(
        issuer = ?issuer,
        status = rejection.status(),
        reason = rejection.description(),
        "request rejected"
    );
}

/// A policy's issuers, listed only when a log line is written.
struct IssuerNames<'a>(&'a Policy);

impl std::fmt::Debug for IssuerNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.issuers()).finish()
    }
}
