//! axum 0.8: `Protected` (the guard `#[protected]` puts first in a handler) and
//! [`Authenticated`] as [`FromRequestParts`] extractors, and [`Rejection`] as a response (its
//! [`RejectionResponse`](crate::RejectionResponse): the RFC 6750 answer, or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it).
//!
//! ```
//! use axum::{Router, body::Body, http::Request, routing::get};
//! use jwks_guard::{Claims, protected};
//! use tower::ServiceExt as _;
//!
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! let app = Router::new().route("/orders", get(list_orders));
//! // axum::serve(listener, app).await
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let response = app.oneshot(Request::get("/orders").body(Body::empty())?).await?;
//! assert_eq!(response.status(), 401);
//! assert_eq!(response.headers()["www-authenticate"], "Bearer");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A `#[protected]` handler whose `#[claims]` parameter is an `Option` runs with `None` for a
//! request without a token. `Option<Authenticated<C>>` and [`MaybeAuthenticated<C>`] are the
//! same without the attribute: `None` only without a token, a refused token answered as ever.
//!
//! `Authenticated<C>` takes its [`Policy`] from the router's state (`Policy: FromRef<S>`): the
//! policy itself (`.with_state(policy)`), or a field of your state with `#[derive(FromRef)]`.
//! Both extractors only read headers, so they run before any body extractor: an
//! unauthenticated request is answered before its body is read. [`RequireTokenLayer`] puts one
//! policy over a whole router instead.
//!
//! [`RequireTokenLayer`]: super::tower::RequireTokenLayer

use axum_core::body::Body;
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use crate::guard::{
    Authenticated, ClaimsTarget, MaybeAuthenticated, OptionalProtected, Protected, StaticPolicy,
};
use crate::policy::Policy;
use crate::reject::Rejection;

// The guard of `#[protected]` handlers.

impl<S, P> FromRequestParts<S> for Protected<P>
where
    S: Send + Sync,
    P: StaticPolicy,
{
    type Rejection = Rejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        Protected::authorize(&*parts)
    }
}

impl<S, P> FromRequestParts<S> for OptionalProtected<P>
where
    S: Send + Sync,
    P: StaticPolicy,
{
    type Rejection = Rejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, Rejection>> + Send {
        OptionalProtected::authorize(&*parts)
    }
}

// `Authenticated`: the policy from the router's state.

impl<S, C> FromRequestParts<S> for Authenticated<C>
where
    Policy: FromRef<S>,
    S: Send + Sync,
    C: ClaimsTarget,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        let policy = Policy::from_ref(state);
        policy.authorize(&*parts).await.map(Authenticated)
    }
}

/// `Option<Authenticated<C>>`: `None` only when no token source of the policy carries a token;
/// a token that is present and refused is answered with its [`Rejection`].
impl<S, C> OptionalFromRequestParts<S> for Authenticated<C>
where
    Policy: FromRef<S>,
    S: Send + Sync,
    C: ClaimsTarget,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Rejection> {
        let policy = Policy::from_ref(state);
        let claims = policy.authorize_optional(&*parts).await?;
        Ok(claims.map(Authenticated))
    }
}

impl<S, C> FromRequestParts<S> for MaybeAuthenticated<C>
where
    Policy: FromRef<S>,
    S: Send + Sync,
    C: ClaimsTarget,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Rejection> {
        let policy = Policy::from_ref(state);
        policy
            .authorize_optional(&*parts)
            .await
            .map(MaybeAuthenticated)
    }
}

// The response to a refused request.

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, headers, body) = self.response().into_parts();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        super::append_headers(response.headers_mut(), headers);
        response
    }
}
