//! tower: [`RequireTokenLayer`], one [`Policy`] over a whole axum `Router` (or any tower
//! service taking `http::Request`s), the verified [`Claims`](crate::Claims) in each request's extensions.
//! Also at `jwks_guard::layer`, the path the examples use.
//!
//! ```no_run
//! use axum::{Extension, Router, routing::get};
//! use jwks_guard::Claims;
//! use jwks_guard::layer::RequireTokenLayer;
//!
//! async fn orders(Extension(claims): Extension<Claims>) -> String {
//!     format!("orders of {}", claims.sub.unwrap_or_default())
//! }
//!
//! async fn invoices(Extension(claims): Extension<Claims>) -> String {
//!     format!("invoices of {}", claims.sub.unwrap_or_default())
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = jwks_guard::Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .build()?;
//! let app = Router::new()
//!     .route("/orders", get(orders))
//!     .route("/invoices", get(invoices))
//!     .layer(RequireTokenLayer::new(policy));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! The layer answers a refused request itself, with its [`Rejection`](crate::Rejection)'s response (the same
//! statuses, challenges and bodies as `#[protected]`), before the request reaches the router:
//! its body is never read. With `Router::layer` every request is checked, also those no route
//! matches (so an unauthenticated client cannot probe which paths exist); with
//! `Router::route_layer` only those a route matches, and the others get the router's 404.
//! [`RequireTokenLayer::optional`] lets requests without a token through too, without claims
//! (`Option<Extension<Claims>>` in the handlers), and still refuses a token that is present and
//! refused.
//! Routes that need more than the layer's policy (a scope for writes) can add `#[protected]`
//! or [`Authenticated`](crate::Authenticated) with a stricter policy of their own.
//!
//! With server nonces on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), every
//! response of the layer carries the current `DPoP-Nonce` (RFC 9449 §8.2), so that a DPoP client
//! always holds the nonce for its next proof. Routes protected by the extractors alone
//! (`#[protected]`, [`Authenticated`](crate::Authenticated)) get it from [`DpopNonceLayer`].

use std::fmt;
use std::task::{Context, Poll};

use axum_core::response::{IntoResponse, Response};
use futures_util::TryFutureExt as _;
use futures_util::future::{BoxFuture, MapOk};
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use super::{add_dpop_nonce, check_then_call, take_ready};
use crate::guard::Anonymous;
use crate::policy::Policy;

/// A [`tower_layer::Layer`] that checks every request's bearer token against one [`Policy`],
/// answers refused requests itself, and puts the verified [`Claims`](crate::Claims) in the extensions of the
/// others (`axum::Extension<Claims>` in a handler). See the [module docs](self).
#[derive(Clone)]
pub struct RequireTokenLayer {
    policy: Policy,
    anonymous: Anonymous,
}

impl RequireTokenLayer {
    /// A layer checking requests against `policy`.
    pub fn new(policy: Policy) -> Self {
        RequireTokenLayer {
            policy,
            anonymous: Anonymous::Refused,
        }
    }

    /// A layer that also lets requests without a token through, without
    /// [`Claims`](crate::Claims) in their extensions (`Option<Extension<Claims>>` in a handler).
    /// A request in which a token source of `policy` carries a token is checked as with
    /// [`new`](Self::new): a refused token is answered with its 401 or 403, never passed on as
    /// anonymous.
    pub fn optional(policy: Policy) -> Self {
        RequireTokenLayer {
            policy,
            anonymous: Anonymous::Allowed,
        }
    }
}

impl fmt::Debug for RequireTokenLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireTokenLayer")
            .field("policy", &self.policy)
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl<S> Layer<S> for RequireTokenLayer {
    type Service = RequireToken<S>;

    fn layer(&self, inner: S) -> RequireToken<S> {
        RequireToken {
            inner,
            policy: self.policy.clone(),
            anonymous: self.anonymous,
        }
    }
}

/// The service [`RequireTokenLayer`] wraps around `S`: a request whose token passes the policy
/// goes on to `S` with its [`Claims`](crate::Claims) in its extensions; any other is answered with its
/// [`Rejection`](crate::Rejection).
#[derive(Clone)]
pub struct RequireToken<S> {
    inner: S,
    policy: Policy,
    anonymous: Anonymous,
}

impl<S> RequireToken<S> {
    /// Wraps `inner`, checking requests against `policy`.
    pub fn new(inner: S, policy: Policy) -> Self {
        RequireToken {
            inner,
            policy,
            anonymous: Anonymous::Refused,
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for RequireToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireToken")
            .field("inner", &self.inner)
            .field("policy", &self.policy)
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl<S, B> Service<Request<B>> for RequireToken<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let inner = take_ready(&mut self.inner);
        let (policy, anonymous) = (self.policy.clone(), self.anonymous);
        Box::pin(async move {
            let mut response = match check_then_call(inner, &policy, anonymous, request).await {
                Ok(response) => response?.into_response(),
                Err(rejection) => rejection.into_response(),
            };
            add_dpop_nonce(response.headers_mut());
            Ok(response)
        })
    }
}

/// A [`tower_layer::Layer`] that gives every response the current `DPoP-Nonce` when server
/// nonces are on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), and does nothing
/// else: for routers whose handlers are protected by `#[protected]` or
/// [`Authenticated`](crate::Authenticated), which cannot touch the response (a
/// [`RequireTokenLayer`] does it on its own). A client then holds the nonce for its next proof
/// after any response, never needing a `use_dpop_nonce` refusal first (RFC 9449 §8.2), also
/// across a rotation. A response that already carries a `DPoP-Nonce` (a refusal's) keeps it;
/// with nonces off, responses pass through untouched. A nonce is not a secret: every response
/// may carry it, whatever the request's scheme.
///
/// ```
/// use std::time::Duration;
/// use axum::{Router, body::Body, http::Request, routing::get};
/// use jwks_guard::layer::DpopNonceLayer;
/// use jwks_guard::{Claims, Settings, protected};
/// use tower::ServiceExt as _;
///
/// #[protected(issuer = "https://id.example.com/", audience = "orders-api")]
/// async fn list_orders(#[claims] claims: Claims) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// jwks_guard::configure(
///     Settings::new().dpop_nonce(b"32 random bytes, on every replica", Duration::from_secs(60)),
/// )?;
/// let app = Router::new()
///     .route("/orders", get(list_orders))
///     .route("/health", get(|| async { "ok" }))
///     .layer(DpopNonceLayer);
/// let response = app.oneshot(Request::get("/health").body(Body::empty())?).await?;
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.headers()["dpop-nonce"].len(), 43);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DpopNonceLayer;

impl<S> Layer<S> for DpopNonceLayer {
    type Service = DpopNonce<S>;

    fn layer(&self, inner: S) -> DpopNonce<S> {
        DpopNonce { inner }
    }
}

/// The service [`DpopNonceLayer`] wraps around `S`.
#[derive(Debug, Clone)]
pub struct DpopNonce<S> {
    inner: S,
}

impl<S, B, RB> Service<Request<B>> for DpopNonce<S>
where
    S: Service<Request<B>, Response = http::Response<RB>>,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(http::Response<RB>) -> http::Response<RB>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        self.inner
            .call(request)
            .map_ok(with_dpop_nonce as fn(http::Response<RB>) -> http::Response<RB>)
    }
}

/// `response` with the current `DPoP-Nonce`, when nonces are on.
fn with_dpop_nonce<RB>(mut response: http::Response<RB>) -> http::Response<RB> {
    add_dpop_nonce(response.headers_mut());
    response
}
