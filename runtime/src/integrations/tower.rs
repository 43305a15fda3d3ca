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

use std::fmt;
use std::task::{Context, Poll};

use axum_core::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use http::Request;
use tower_layer::Layer;
use tower_service::Service;

use super::{check_then_call, take_ready};
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
            match check_then_call(inner, &policy, anonymous, request).await {
                Ok(response) => response.map(IntoResponse::into_response),
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}
