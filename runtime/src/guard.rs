//! The framework-neutral guard: `Authorization` headers + a handler's policy → claims.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::bearer::bearer_token;
use crate::policy::PolicyCell;
use crate::reject::Rejection;
use crate::verify::verify;

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
    /// Builds the value from the token's verified claims.
    ///
    /// # Errors
    /// The claims do not fit the type.
    fn from_claims(claims: Map<String, Value>) -> Result<Self, serde_json::Error>;
}

impl<T: DeserializeOwned + Send + 'static> ClaimsTarget for T {
    fn from_claims(claims: Map<String, Value>) -> Result<Self, serde_json::Error> {
        serde_json::from_value(Value::Object(claims))
    }
}

/// The claims type of a handler without a `#[claims]` parameter: verification happens, nothing
/// is deserialised. Not public API.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClaims;

impl ClaimsTarget for NoClaims {
    fn from_claims(_: Map<String, Value>) -> Result<Self, serde_json::Error> {
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
    /// the one entry point each framework adapter calls.
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub async fn authorize<'a>(
        authorization_values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, Rejection> {
        let claims = authorize::<P::Claims>(P::cell(), authorization_values).await?;
        Ok(Protected(claims, PhantomData))
    }
}

/// Checks a request's `Authorization` header values against `cell`'s policy.
async fn authorize<'a, C: ClaimsTarget>(
    cell: &'static PolicyCell,
    authorization_values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<C, Rejection> {
    let outcome = async {
        let policy = cell.policy()?;
        let token = bearer_token(authorization_values)?;
        let claims = verify(policy, token).await?;
        C::from_claims(claims).map_err(|error| {
            tracing::debug!(%error, "claims do not fit the handler's claims type");
            Rejection::invalid_token("token claims do not match the expected claims type")
        })
    }
    .await;
    if let Err(rejection) = &outcome {
        crate::stats::count_rejection(rejection.kind());
        tracing::debug!(
            issuer = ?cell.spec().issuer,
            status = rejection.status(),
            reason = rejection.description(),
            "request rejected"
        );
    }
    outcome
}
