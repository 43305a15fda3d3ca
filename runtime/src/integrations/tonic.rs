//! tonic 0.14 (gRPC): `#[protected]` on the methods of a service implementation,
//! [`RequireTokenLayer`] over a whole tonic server, and every refusal as a [`tonic::Status`].
//!
//! The token is read from the `authorization` metadata (`Bearer <token>`), checked exactly as
//! over HTTP, and the verified [`Claims`] are put in the request's extensions
//! (`request.extensions().get::<jwks_guard::Claims>()`); [`claims`] reads them as a type of
//! your own. A method keeps the signature its trait gives it (write `#[protected]` inside the
//! impl, below `#[tonic::async_trait]`):
//!
//! ```
//! use jwks_guard::{Claims, protected};
//! use tonic::{Request, Response, Status};
//!
//! struct Greeter;
//!
//! // In a service: `#[tonic::async_trait] impl greeter_server::Greeter for Greeter { … }`.
//! impl Greeter {
//!     #[protected(issuer = "https://id.example.com/", audience = "greeter", scopes = ["greet"])]
//!     async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
//!         let sub = request.extensions().get::<Claims>().and_then(|c| c.sub.as_deref());
//!         Ok(Response::new(format!("hello {}", sub.unwrap_or_default())))
//!     }
//! }
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let refused = Greeter.say_hello(Request::new("no token".into())).await;
//! let status = refused.err().ok_or("a request without a token was served")?;
//! assert_eq!(status.code(), tonic::Code::Unauthenticated);
//! assert_eq!(status.message(), "bearer token required");
//! assert_eq!(status.metadata().get("www-authenticate").map(|v| v.as_encoded_bytes()), Some(&b"Bearer"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A refusal is the status of [`Rejection::grpc_status`]:
//!
//! | HTTP | gRPC code | when |
//! |---|---|---|
//! | 401 | `UNAUTHENTICATED` (16) | no token, a bad, expired or foreign token |
//! | 400 | `UNAUTHENTICATED` (16) | a malformed `authorization` value |
//! | 403 | `PERMISSION_DENIED` (7) | a missing scope or required claim |
//! | 503 | `UNAVAILABLE` (14) | the issuer's keys cannot be obtained (`retry-after` metadata) |
//! | 500 | `INTERNAL` (13) | the policy is misconfigured (an environment variable unset) |
//!
//! The message is the `error_description`, and the `www-authenticate` metadata carries the
//! challenge HTTP clients get (`Bearer error="insufficient_scope", scope="…"`).
//! [`Settings::grpc_rejection_status`](crate::Settings::grpc_rejection_status) installs another
//! answer.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use tonic::Status;
use tower_layer::Layer;
use tower_service::Service;

use super::{add_dpop_nonce, check_then_call, take_ready};
use crate::claims::Claims;
use crate::credentials::{ProofCheckedUpstream, RequestHeaders};
use crate::guard::{
    Anonymous, MethodRequest, StaticPolicy, authorize_with_cell, claims_mismatch, required,
};
use crate::policy::Policy;
use crate::reject::Rejection;

// The guard of `#[protected]` methods.

impl<T: Send> MethodRequest for tonic::Request<T> {
    type Refusal = Status;

    fn authorize<P: StaticPolicy<Claims = Claims>>(
        &mut self,
    ) -> impl Future<Output = Result<(), Status>> + Send + '_ {
        // Copied out, so that the future does not borrow the metadata across the key fetch
        // (a `Streaming` request body is `Send` but not `Sync`).
        let headers = MethodHeaders {
            headers: self.metadata().clone().into_headers(),
            upstream: self.extensions().get::<ProofCheckedUpstream>().cloned(),
        };
        async move {
            let claims = authorize_with_cell::<Claims, _>(P::cell(), &headers, Anonymous::Refused)
                .await
                .and_then(required)
                .map_err(|rejection| rejection.grpc_status())?;
            self.extensions_mut().insert(claims);
            Ok(())
        }
    }
}

/// A method's request as the guard reads it: its metadata as headers (no method nor path: a
/// method checks no DPoP proof itself), and the proof the layer in front checked, if any.
struct MethodHeaders {
    headers: http::HeaderMap,
    upstream: Option<ProofCheckedUpstream>,
}

impl RequestHeaders for MethodHeaders {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.header_values(name)
    }

    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        self.upstream.as_ref()
    }
}

/// The verified claims of a request that a `#[protected]` method or a [`RequireTokenLayer`]
/// accepted, as `C`: any `serde::de::DeserializeOwned` type (one serde pass over the claims).
///
/// ```
/// # use jwks_guard::protected;
/// # use tonic::{Request, Response, Status};
/// #[derive(serde::Deserialize)]
/// struct Caller {
///     sub: String,
///     email: String,
/// }
///
/// # struct Greeter;
/// # impl Greeter {
/// #[protected(issuer = "https://id.example.com/", audience = "greeter")]
/// async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
///     let caller: Caller = jwks_guard::integrations::tonic::claims(&request)?;
///     Ok(Response::new(format!("hello {} <{}>", caller.sub, caller.email)))
/// }
/// # }
/// ```
///
/// # Errors
/// `UNAUTHENTICATED` when the claims do not fit `C` (a missing field is named, as over HTTP);
/// `INTERNAL` when the request holds no verified claims (the method is not protected). Both
/// through [`Rejection::grpc_status`].
pub fn claims<C: DeserializeOwned, T>(request: &tonic::Request<T>) -> Result<C, Status> {
    let Some(claims) = request.extensions().get::<Claims>() else {
        tracing::error!(
            "jwks_guard::integrations::tonic::claims found no verified claims: protect the \
             method with #[protected] or the server with RequireTokenLayer"
        );
        return Err(Rejection::misconfigured().grpc_status());
    };
    C::deserialize(claims.as_map()).map_err(|error| {
        tracing::debug!("claims do not fit the requested claims type");
        Rejection::invalid_token(claims_mismatch(&error)).grpc_status()
    })
}

// The layer over a whole server.

/// A [`tower_layer::Layer`] for a tonic server (`Server::builder().layer(…)`): every call is
/// checked against the policy of its method, or the default policy; a refused call is answered
/// with its [`tonic::Status`] as a trailers-only gRPC response (HTTP 200, `grpc-status`,
/// `grpc-message`, `www-authenticate`) and never reaches the service; an accepted one reaches
/// it with the verified [`Claims`] in its extensions. With server nonces on
/// ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), every response of the layer
/// carries the current nonce in its `dpop-nonce` metadata (RFC 9449 §8.2).
///
/// Methods are named by their gRPC path, `/package.Service/Method`:
///
/// ```
/// use jwks_guard::Policy;
/// use jwks_guard::integrations::tonic::RequireTokenLayer;
///
/// let policy = |scopes: &[&str]| {
///     Policy::builder()
///         .issuer("https://id.example.com/")
///         .audience("greeter")
///         .scopes(scopes.iter().copied())
///         .build()
/// };
/// let layer = RequireTokenLayer::new(policy(&[])?)
///     .method("/helloworld.Greeter/SayGoodbye", policy(&["farewell"])?)
///     .public("/grpc.health.v1.Health/Check");
/// // tonic::transport::Server::builder().layer(layer).add_service(…).serve(addr).await
/// # Ok::<(), jwks_guard::PolicyError>(())
/// ```
#[derive(Clone)]
pub struct RequireTokenLayer {
    policies: Arc<Policies>,
}

/// The default policy and the methods' own (`None`: not checked), each with whether a call
/// without a token goes through.
#[derive(Clone)]
struct Policies {
    default: (Policy, Anonymous),
    methods: HashMap<String, Option<(Policy, Anonymous)>>,
}

impl Policies {
    fn of(&self, path: &str) -> Option<&(Policy, Anonymous)> {
        match self.methods.get(path) {
            Some(policy) => policy.as_ref(),
            None => Some(&self.default),
        }
    }
}

impl RequireTokenLayer {
    /// A layer checking every call against `policy`.
    pub fn new(policy: Policy) -> Self {
        RequireTokenLayer {
            policies: Arc::new(Policies {
                default: (policy, Anonymous::Refused),
                methods: HashMap::new(),
            }),
        }
    }

    /// Calls of the method at `path` (`/package.Service/Method`) are checked against `policy`
    /// instead of the default one.
    #[must_use]
    pub fn method(self, path: impl Into<String>, policy: Policy) -> Self {
        self.with(path.into(), Some((policy, Anonymous::Refused)))
    }

    /// Optional authentication for the method at `path`: a call carrying no token reaches the
    /// service without claims in its extensions; a call carrying one is checked against `policy`
    /// and refused as any other when the token is bad, expired or lacks a scope (never let
    /// through as anonymous).
    #[must_use]
    pub fn optional_method(self, path: impl Into<String>, policy: Policy) -> Self {
        self.with(path.into(), Some((policy, Anonymous::Allowed)))
    }

    /// Calls of the method at `path` (`/package.Service/Method`) go through unchecked: a health
    /// check, reflection. They carry no claims.
    #[must_use]
    pub fn public(self, path: impl Into<String>) -> Self {
        self.with(path.into(), None)
    }

    fn with(mut self, path: String, policy: Option<(Policy, Anonymous)>) -> Self {
        Arc::make_mut(&mut self.policies)
            .methods
            .insert(path, policy);
        self
    }
}

impl fmt::Debug for RequireTokenLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireTokenLayer")
            .field("default", &self.policies.default)
            .field("methods", &self.policies.methods)
            .finish()
    }
}

impl<S> Layer<S> for RequireTokenLayer {
    type Service = RequireToken<S>;

    fn layer(&self, inner: S) -> RequireToken<S> {
        RequireToken {
            inner,
            policies: Arc::clone(&self.policies),
        }
    }
}

/// The service [`RequireTokenLayer`] wraps around a tonic server's routes.
#[derive(Clone)]
pub struct RequireToken<S> {
    inner: S,
    policies: Arc<Policies>,
}

impl<S: fmt::Debug> fmt::Debug for RequireToken<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireToken")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, B, RB> Service<http::Request<B>> for RequireToken<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<http::Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let mut inner = take_ready(&mut self.inner);
        let policies = Arc::clone(&self.policies);
        Box::pin(async move {
            let mut response = match policies.of(request.uri().path()) {
                None => inner.call(request).await?,
                Some((policy, anonymous)) => {
                    match check_then_call(inner, policy, *anonymous, request).await {
                        Ok(response) => response?,
                        // Trailers-only: the status in the headers of an HTTP 200, no message.
                        Err(rejection) => rejection.grpc_status().into_http(),
                    }
                }
            };
            add_dpop_nonce(response.headers_mut());
            Ok(response)
        })
    }
}
