//! Poem 3: `Protected` (the guard `#[protected]` puts first in a handler) and [`Authenticated`]
//! as [`FromRequest`] extractors, and [`Rejection`] as a [`ResponseError`].
//!
//! Put `#[protected]` above `#[handler]`, so that `#[handler]` sees the rewritten function:
//!
//! ```
//! use jwks_guard::{Claims, protected};
//! use poem::{Endpoint, Request, Route, get, handler};
//!
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! #[handler]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! let app = Route::new().at("/orders", get(list_orders));
//! // poem::Server::new(poem::listener::TcpListener::bind("127.0.0.1:3000")).run(app).await
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let response = app.get_response(Request::builder().uri_str("/orders").finish()).await;
//! assert_eq!(response.status(), 401);
//! assert_eq!(response.header("www-authenticate"), Some("Bearer"));
//! # });
//! ```
//!
//! Poem's `Option<T>` extractor turns any failure into `None`, so `Option<Authenticated<C>>`
//! would take a refused token as anonymous: for routes that also serve anonymous requests take
//! [`MaybeAuthenticated<C>`], `None` only without a token (or a `#[claims]` parameter of type
//! `Option<C>` under `#[protected]`).
//!
//! `Authenticated<C>` takes its [`Policy`] from the request's data: `get(handler.data(policy))`,
//! or `.data(policy)` on a whole `Route`; without one there, the request is logged and answered
//! 500.
//!
//! The extractors read only the headers of the policy's token sources, never the body: as the first
//! parameter of the handler they answer an unauthenticated request before any body extractor
//! runs. A failed extraction becomes a `poem::Error` whose source is the [`Rejection`] and whose
//! response is its status, `WWW-Authenticate`, `Retry-After` and JSON body, or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it.
//!
//! With server nonces on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), add
//! [`DpopNonce`] (`.with(DpopNonce)`) so that every response carries the current `DPoP-Nonce`
//! (extractors cannot touch responses).

use std::borrow::Cow;

use poem::error::ResponseError;
use poem::http::StatusCode;
use poem::{Endpoint, FromRequest, IntoResponse, Middleware, Request, RequestBody, Response};

use crate::credentials::{ProofCheckedUpstream, RequestHeaders, uri_target};
use crate::guard::{
    Authenticated, ClaimsTarget, MaybeAuthenticated, OptionalProtected, Protected, StaticPolicy,
    missing_policy,
};
use crate::policy::Policy;
use crate::reject::Rejection;

// The guard of `#[protected]` handlers.

impl<'a, P: StaticPolicy> FromRequest<'a> for Protected<P> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Protected::authorize(request).await?)
    }
}

impl<'a, P: StaticPolicy> FromRequest<'a> for OptionalProtected<P> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        Ok(OptionalProtected::authorize(request).await?)
    }
}

// `Authenticated`: the policy from the request's data.

impl<'a, C: ClaimsTarget> FromRequest<'a> for Authenticated<C> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let policy = request
            .data::<Policy>()
            .ok_or_else(|| missing_policy("Poem request data"))?;
        Ok(Authenticated(policy.authorize(request).await?))
    }
}

/// Poem's own `Option<Authenticated<C>>` turns every refusal into `None`; this one is `None` only
/// when no token source of the policy carries a token.
impl<'a, C: ClaimsTarget> FromRequest<'a> for MaybeAuthenticated<C> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let policy = request
            .data::<Policy>()
            .ok_or_else(|| missing_policy("Poem request data"))?;
        Ok(MaybeAuthenticated(
            policy.authorize_optional(request).await?,
        ))
    }
}

/// A request's headers, method and target.
impl RequestHeaders for Request {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers().header_values(name)
    }

    fn method(&self) -> Option<&str> {
        Some(Request::method(self).as_str())
    }

    /// The URI as the client sent it (inside `Route::nest`, `uri()` has lost the prefix).
    fn target(&self) -> Option<Cow<'_, str>> {
        Some(uri_target(self.original_uri()))
    }

    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        self.extensions().get()
    }
}

// Server nonces on every response.

/// A middleware (`.with(DpopNonce)` on a `Route` or an endpoint) that gives every response the
/// current `DPoP-Nonce` when server nonces are on
/// ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), and does nothing else. A DPoP
/// client then holds the nonce for its next proof after any response, never needing a
/// `use_dpop_nonce` refusal first (RFC 9449 §8.2), also across a rotation. A response that
/// already carries a `DPoP-Nonce` keeps it; with nonces off, responses pass through untouched.
/// A nonce is not a secret: every response may carry it, whatever the request's scheme. As
/// with Poem's own header middlewares, an endpoint's error passes through as it is (a refusal
/// of the guard among them, which carries the nonce with its `DPoP` challenges).
///
/// ```
/// use std::time::Duration;
/// use jwks_guard::integrations::poem::DpopNonce;
/// use jwks_guard::{Claims, Settings, protected};
/// use poem::{Endpoint, EndpointExt as _, Request, Route, get, handler};
///
/// #[handler]
/// fn health() -> &'static str {
///     "ok"
/// }
///
/// #[protected(issuer = "https://id.example.com/", audience = "orders-api")]
/// #[handler]
/// async fn list_orders(#[claims] claims: Claims) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// jwks_guard::configure(
///     Settings::new().dpop_nonce(b"32 random bytes, on every replica", Duration::from_secs(60)),
/// )?;
/// let app = Route::new()
///     .at("/health", get(health))
///     .at("/orders", get(list_orders))
///     .with(DpopNonce);
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let response = app.get_response(Request::builder().uri_str("/health").finish()).await;
/// assert_eq!(response.header("dpop-nonce").map(str::len), Some(43));
/// # });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DpopNonce;

impl<E: Endpoint> Middleware<E> for DpopNonce {
    type Output = DpopNonceEndpoint<E>;

    fn transform(&self, inner: E) -> DpopNonceEndpoint<E> {
        DpopNonceEndpoint { inner }
    }
}

/// The endpoint [`DpopNonce`] wraps around `E`.
#[derive(Debug)]
pub struct DpopNonceEndpoint<E> {
    inner: E,
}

impl<E: Endpoint> Endpoint for DpopNonceEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        let mut response = self.inner.call(request).await?.into_response();
        super::add_dpop_nonce(response.headers_mut());
        Ok(response)
    }
}

// The response to a refused request.

impl ResponseError for Rejection {
    fn status(&self) -> StatusCode {
        status_code(self.response().status())
    }

    fn as_response(&self) -> Response {
        let (status, headers, body) = self.response().into_parts();
        let mut response = Response::builder().status(status_code(status)).body(body);
        super::append_headers(response.headers_mut(), headers);
        response
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
