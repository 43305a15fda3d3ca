//! axum 0.8: [`Authenticated`] as a [`FromRequestParts`] extractor taking its [`Policy`] from
//! the router's state.

use axum_core::extract::{FromRef, FromRequestParts};
use http::HeaderValue;
use http::header::AUTHORIZATION;
use http::request::Parts;

use crate::authenticated::Authenticated;
use crate::guard::ClaimsTarget;
use crate::policy::Policy;
use crate::reject::Rejection;

impl<S, C> FromRequestParts<S> for Authenticated<C>
where
    Policy: FromRef<S>,
    S: Send + Sync,
    C: ClaimsTarget,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        let policy = Policy::from_ref(state);
        let values = parts
            .headers
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        policy.authorize(values).await.map(Authenticated)
    }
}
