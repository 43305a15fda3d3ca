//! actix-web 4: `Protected` (the guard `#[protected]` puts first in a handler) and
//! [`Authenticated`] as [`FromRequest`] extractors, and [`Rejection`] as a [`ResponseError`].
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use jwks_guard::{Claims, protected};
//!
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     format!("orders of {}", claims.sub.unwrap_or_default())
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! HttpServer::new(|| App::new().route("/orders", web::get().to(list_orders)))
//!     .bind("127.0.0.1:3000")?
//!     .run()
//!     .await
//! # }
//! ```
//!
//! With actix-web's route attributes, write `#[protected(...)]` above `#[get("/orders")]` and
//! register the handler with `App::service` (the other order works as well).
//!
//! actix-web's `Option<T>` extractor turns any failure into `None`, so
//! `Option<Authenticated<C>>` would take a refused token as anonymous: for routes that also
//! serve anonymous requests take [`MaybeAuthenticated<C>`], `None` only without a token (or a
//! `#[claims]` parameter of type `Option<C>` under `#[protected]`).
//!
//! `Authenticated<C>` takes its [`Policy`] from the application data:
//! `App::new().app_data(web::Data::new(policy))` (or `.app_data(policy)`); without one there,
//! the request is logged and answered 500.
//!
//! The extractors keep a handle on the request and check its headers
//! with [`Protected::authorize`] or [`Policy::authorize`]; a [`Rejection`] becomes its
//! documented response (status, `WWW-Authenticate`, `Retry-After` and JSON body), or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it.
//! actix-web polls all of a handler's extractors together, so while the guard waits for keys a
//! body extractor would run too: both extractors hold the request body back until they have
//! accepted the request.
//!
//! With server nonces on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), wrap the
//! application in [`DpopNonce`] so that every response carries the current `DPoP-Nonce`
//! (extractors cannot touch responses).

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::MapOk;
use futures_util::{StreamExt as _, TryFutureExt as _, future, stream};

use crate::credentials::RequestHeaders;
use crate::guard::{
    Authenticated, ClaimsTarget, MaybeAuthenticated, OptionalProtected, Protected, StaticPolicy,
    missing_policy,
};
use crate::policy::Policy;
use crate::reject::Rejection;

// The guard of `#[protected]` handlers.

impl<P: StaticPolicy> FromRequest for Protected<P> {
    type Error = Rejection;
    type Future = Guarded<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        guarded(req, payload, |req| async move {
            Protected::authorize(&req).await
        })
    }
}

impl<P: StaticPolicy> FromRequest for OptionalProtected<P> {
    type Error = Rejection;
    type Future = Guarded<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        guarded(req, payload, |req| async move {
            OptionalProtected::authorize(&req).await
        })
    }
}

/// The future of every guard's extractor.
type Guarded<T> = Pin<Box<dyn Future<Output = Result<T, Rejection>>>>;

/// A guard's extractor: `authorize` checks the request (given a clone, a reference count, since
/// the future must not borrow it) while its body is held back from the extractors polled
/// beside the guard, and released once the request is accepted.
fn guarded<T: 'static, F: Future<Output = Result<T, Rejection>> + 'static>(
    req: &HttpRequest,
    payload: &mut Payload,
    authorize: impl FnOnce(HttpRequest) -> F,
) -> Guarded<T> {
    let accepted = hold_body(payload);
    let authorizing = authorize(req.clone());
    Box::pin(async move {
        let guard = authorizing.await?;
        let _ = accepted.send(());
        Ok(guard)
    })
}

impl RequestHeaders for HeaderMap {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).map(HeaderValue::as_bytes)
    }
}

/// A request's headers, method and target.
impl RequestHeaders for HttpRequest {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers().header_values(name)
    }

    fn method(&self) -> Option<&str> {
        Some(HttpRequest::method(self).as_str())
    }

    fn target(&self) -> Option<Cow<'_, str>> {
        let uri = self.uri();
        Some(match (uri.scheme(), uri.path_and_query()) {
            (None, Some(path)) => Cow::Borrowed(path.as_str()),
            _ => Cow::Owned(uri.to_string()),
        })
    }
}

/// Holds the request body back from the extractors polled beside the guard until the returned
/// sender is used (the request is accepted); dropping it unused withholds the body for good.
fn hold_body(payload: &mut Payload) -> tokio::sync::oneshot::Sender<()> {
    let (accepted, gate) = tokio::sync::oneshot::channel::<()>();
    let body = payload.take();
    let gated = stream::once(async move { gate.await.ok().map(|()| body) })
        .filter_map(future::ready)
        .flatten();
    *payload = Payload::Stream {
        payload: Box::pin(gated),
    };
    accepted
}

// `Authenticated`: the policy from the application data.

impl<C: ClaimsTarget> FromRequest for Authenticated<C> {
    type Error = Rejection;
    type Future = Guarded<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // As for `#[protected]`: the body waits until the request is accepted, so that the
        // extractors polled beside this one never read an unauthenticated body.
        let policy = app_policy(req);
        guarded(req, payload, |req| async move {
            let policy = policy.ok_or_else(|| missing_policy("actix-web app data"))?;
            policy.authorize(&req).await.map(Authenticated)
        })
    }
}

/// actix-web's own `Option<Authenticated<C>>` turns every refusal into `None`; this one is
/// `None` only when no token source of the policy carries a token.
impl<C: ClaimsTarget> FromRequest for MaybeAuthenticated<C> {
    type Error = Rejection;
    type Future = Guarded<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let policy = app_policy(req);
        guarded(req, payload, |req| async move {
            let policy = policy.ok_or_else(|| missing_policy("actix-web app data"))?;
            policy
                .authorize_optional(&req)
                .await
                .map(MaybeAuthenticated)
        })
    }
}

/// The policy in the application data, as `web::Data<Policy>` or `Policy`.
fn app_policy(req: &HttpRequest) -> Option<Policy> {
    req.app_data::<web::Data<Policy>>()
        .map(|data| Policy::clone(data))
        .or_else(|| req.app_data::<Policy>().cloned())
}

// Server nonces on every response.

/// A middleware (`App::wrap(DpopNonce)`) that gives every response the current `DPoP-Nonce`
/// when server nonces are on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), and does
/// nothing else. A DPoP client then holds the nonce for its next proof after any response,
/// never needing a `use_dpop_nonce` refusal first (RFC 9449 §8.2), also across a rotation. A
/// response that already carries a `DPoP-Nonce` (a refusal's) keeps it; with nonces off,
/// responses pass through untouched. A nonce is not a secret: every response may carry it,
/// whatever the request's scheme.
///
/// ```no_run
/// use std::time::Duration;
/// use actix_web::{App, HttpServer, web};
/// use jwks_guard::integrations::actix::DpopNonce;
/// use jwks_guard::{Claims, Settings, protected};
///
/// #[protected(issuer = "https://id.example.com/", audience = "orders-api")]
/// async fn list_orders(#[claims] claims: Claims) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// jwks_guard::configure(
///     Settings::new().dpop_nonce(b"32 random bytes, on every replica", Duration::from_secs(60)),
/// )?;
/// HttpServer::new(|| {
///     App::new()
///         .wrap(DpopNonce)
///         .route("/orders", web::get().to(list_orders))
/// })
/// .bind("127.0.0.1:3000")?
/// .run()
/// .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct DpopNonce;

impl<S, B> Transform<S, ServiceRequest> for DpopNonce
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Transform = DpopNonceService<S>;
    type InitError = ();
    type Future = future::Ready<Result<DpopNonceService<S>, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        future::ready(Ok(DpopNonceService { service }))
    }
}

/// The service [`DpopNonce`] wraps around an application's.
#[derive(Debug)]
pub struct DpopNonceService<S> {
    service: S,
}

impl<S, B> Service<ServiceRequest> for DpopNonceService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>>,
{
    type Response = ServiceResponse<B>;
    type Error = S::Error;
    type Future = MapOk<S::Future, fn(ServiceResponse<B>) -> ServiceResponse<B>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        self.service
            .call(request)
            .map_ok(with_dpop_nonce as fn(ServiceResponse<B>) -> ServiceResponse<B>)
    }
}

/// `response` with the current `DPoP-Nonce`, unless it carries one; as it is with nonces off.
fn with_dpop_nonce<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    let name = HeaderName::from_static(super::DPOP_NONCE);
    if !response.headers().contains_key(&name)
        && let Some(nonce) = crate::dpop_request::response_nonce()
        && let Ok(value) = HeaderValue::try_from(nonce)
    {
        response.headers_mut().insert(name, value);
    }
    response
}

// The response to a refused request.

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        status_code(self.response().status())
    }

    fn error_response(&self) -> HttpResponse {
        let (status, headers, body) = self.response().into_parts();
        let mut response = HttpResponse::build(status_code(status));
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                response.append_header((name, value));
            }
        }
        response.body(body)
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
