//! Rocket 0.5: `Protected` (the guard `#[protected]` puts first in a handler) and
//! [`Authenticated`] as [`FromRequest`] request guards, and the [`Guard`] fairing that answers
//! their refusals with the status, `WWW-Authenticate`, `Retry-After` and JSON body of the
//! [`Rejection`].
//!
//! ```no_run
//! use jwks_guard::{Claims, protected};
//! use rocket::{get, routes};
//!
//! // `#[protected]` above `#[get]`: Rocket must see the handler as rewritten.
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! #[get("/orders")]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     format!("orders of {}", claims.sub.unwrap_or_default())
//! }
//!
//! # async fn run() -> Result<(), rocket::Error> {
//! rocket::build()
//!     .attach(jwks_guard::integrations::rocket::Guard)
//!     .mount("/", routes![list_orders])
//!     .launch()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! `Authenticated<C>` takes its [`Policy`] from managed state: `rocket::build().manage(policy)`;
//! without one there, the request is logged and answered 500.
//!
//! The guards only read headers and Rocket runs request guards before data guards, so an
//! unauthenticated request is answered before its body is read. A failing request guard hands
//! Rocket a status only, which Rocket answers through its catcher (yours or its default one):
//! **attach [`Guard`]** (once, nothing to register) and it completes that answer with the
//! headers and the JSON body of the refusal. Without it the status is the same, the rest is the
//! catcher's. The answer is the [`Rejection`]'s documented one, or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it, computed
//! once by the guard.
//!
//! [`Guard`] rewrites only an answer that carries the refusal's status. Rocket tells a fairing
//! nothing about who produced a response, and an `Option<Authenticated<C>>` or
//! `Result<Authenticated<C>, Rejection>` guard turns a refusal into `None` or `Err` and runs the
//! handler: the handler's own answer is sent as it is, unless its status is the refusal's (a 401
//! of its own to a request without a valid token), which gets the refusal's headers and body.
//!
//! With server nonces on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), [`Guard`]
//! also gives every response of the application the current `DPoP-Nonce` (RFC 9449 §8.2; a
//! nonce is not a secret), so that a DPoP client always holds the nonce for its next proof.
//!
//! Rocket drops header values that are not UTF-8, so such an `Authorization` header (or token
//! header, or `Cookie` header) counts as absent (401) rather than malformed (400).

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::{Mutex, PoisonError};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Response;

use crate::credentials::RequestHeaders;
use crate::guard::{
    Authenticated, ClaimsTarget, MaybeAuthenticated, OptionalProtected, Protected, StaticPolicy,
    missing_policy,
};
use crate::policy::Policy;
use crate::reject::{Rejection, RejectionResponse};

// The guard of `#[protected]` handlers.

#[rocket::async_trait]
impl<'r, P: StaticPolicy> FromRequest<'r> for Protected<P> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        outcome(request, Protected::authorize(request).await)
    }
}

#[rocket::async_trait]
impl<'r, P: StaticPolicy> FromRequest<'r> for OptionalProtected<P> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        outcome(request, OptionalProtected::authorize(request).await)
    }
}

impl RequestHeaders for rocket::http::HeaderMap<'_> {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get(name).map(str::as_bytes)
    }
}

/// The method a request was sent with, noted by [`Guard`] before Rocket routes it.
struct SentMethod(rocket::http::Method);

/// A request's headers, method and target.
impl RequestHeaders for Request<'_> {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers().header_values(name)
    }

    /// As sent: what [`Guard`] noted (without it, a `HEAD` served by a `GET` route reads
    /// `GET`).
    fn method(&self) -> Option<&str> {
        Some(
            self.local_cache(|| SentMethod(Request::method(self)))
                .0
                .as_str(),
        )
    }

    /// Absolute, with the host Rocket read (`Host`, or HTTP/2's `:authority`, which Rocket
    /// keeps out of the headers) and `https` when Rocket serves TLS.
    fn target(&self) -> Option<Cow<'_, str>> {
        let path = self.uri();
        Some(Cow::Owned(match self.host() {
            Some(host) => {
                let scheme = if self.rocket().config().tls_enabled() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{host}{path}")
            }
            None => path.to_string(),
        }))
    }
}

/// A guard's answer: the value, or the refusal, recorded for [`Guard`] and failing the route
/// with its status.
fn outcome<T>(request: &Request<'_>, result: Result<T, Rejection>) -> Outcome<T, Rejection> {
    match result {
        Ok(value) => Outcome::Success(value),
        Err(rejection) => Outcome::Error((Refused::record(request, &rejection), rejection)),
    }
}

// `Authenticated`: the policy from managed state.

/// The verified claims as a Rocket request guard, the policy taken from managed state
/// (`rocket::build().manage(policy)`); a refused request fails the route with the refusal's
/// status, and the [`Guard`] fairing completes the catcher's answer.
///
/// As `Option<Authenticated<C>>`, the guard never fails: Rocket turns every refusal into
/// `None` and runs the handler, so `None` means the request carried no token **or** one the
/// policy refused (a bad signature, an expired token, a missing scope, keys that could not be
/// fetched). `Result<Authenticated<C>, Rejection>` hands the handler the [`Rejection`] instead.
/// Either way the handler's answer is sent as it is, except that an answer with the refusal's
/// own status (a 401 to a request without a valid token) gets the refusal's headers and body
/// from the fairing, which cannot tell it from the catcher's. Take `Authenticated<C>` itself
/// where a refused token must stop the request, or [`MaybeAuthenticated<C>`] where a request
/// without a token is welcome but a refused token must still stop it.
#[rocket::async_trait]
impl<'r, C: ClaimsTarget> FromRequest<'r> for Authenticated<C> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        let claims = match request.rocket().state::<Policy>() {
            Some(policy) => policy.authorize(request).await,
            None => Err(missing_policy("Rocket managed state")),
        };
        outcome(request, claims.map(Authenticated))
    }
}

/// The verified claims, or `None` for a request in which no token source of the policy carries
/// a token: unlike `Option<Authenticated<C>>`, a token that is present and refused fails the
/// route with its refusal (401, 403, 400, 503), which the [`Guard`] fairing answers.
#[rocket::async_trait]
impl<'r, C: ClaimsTarget> FromRequest<'r> for MaybeAuthenticated<C> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        let claims = match request.rocket().state::<Policy>() {
            Some(policy) => policy.authorize_optional(request).await,
            None => Err(missing_policy("Rocket managed state")),
        };
        outcome(request, claims.map(MaybeAuthenticated))
    }
}

// The response to a refused request: the fairing completes the catcher's answer.

/// The fairing that answers a request refused by a `#[protected]` handler or an
/// [`Authenticated`] guard with its [`Rejection`]: status,
/// `WWW-Authenticate`, `Retry-After`, JSON body. Attach it once:
/// `rocket::build().attach(Guard)`.
///
/// It completes the catcher's answer to the refusal and leaves any answer with another status
/// alone, such as the response of a handler that took `Option<Authenticated<C>>` and ran with
/// `None`.
///
/// With server nonces on ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)), it gives
/// every response of the application that carries no `DPoP-Nonce` the current one, the
/// handlers' successful answers among them: a DPoP client then never needs a
/// `use_dpop_nonce` refusal to learn the nonce for its next proof, also across a rotation.
///
/// ```no_run
/// use std::time::Duration;
/// use jwks_guard::Settings;
///
/// # fn build() -> Result<rocket::Rocket<rocket::Build>, jwks_guard::ConfigureError> {
/// jwks_guard::configure(
///     Settings::new().dpop_nonce(b"32 random bytes, on every replica", Duration::from_secs(60)),
/// )?;
/// Ok(rocket::build().attach(jwks_guard::integrations::rocket::Guard))
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Guard;

/// The answer to this request's last refusal by a guard, if any: what [`Guard`] writes.
#[derive(Default)]
struct Refused(Mutex<Option<RejectionResponse>>);

impl Refused {
    /// Keeps `rejection`'s answer for [`Guard`], replacing an earlier refusal of the same request
    /// (a refusal that `Option` or `Result` turned into a value, then a guard that failed the
    /// route); returns the status the guard fails with.
    fn record(request: &Request<'_>, rejection: &Rejection) -> Status {
        let response = rejection.response();
        let status = Status::new(response.status());
        let slot = request.local_cache(Refused::default);
        *slot.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(response);
        status
    }

    /// The answer to the request's last refusal, taken out.
    fn take(request: &Request<'_>) -> Option<RejectionResponse> {
        let slot = request.local_cache(Refused::default);
        slot.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

#[rocket::async_trait]
impl Fairing for Guard {
    fn info(&self) -> Info {
        Info {
            name: "jwks-guard rejections",
            kind: Kind::Request | Kind::Response | Kind::Singleton,
        }
    }

    /// Notes the request's method before routing: Rocket answers `HEAD` (and a form's
    /// `_method`) through another method's routes by changing it, and a DPoP proof names the
    /// method the client sent.
    async fn on_request(&self, request: &mut Request<'_>, _: &mut rocket::Data<'_>) {
        request.local_cache(|| SentMethod(request.method()));
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        if let Some(refusal) = Refused::take(request) {
            answer_refusal(refusal, response);
        }
        if !response.headers().contains(super::DPOP_NONCE)
            && let Some(nonce) = crate::dpop_request::response_nonce()
        {
            response.set_header(Header::new(super::DPOP_NONCE, nonce));
        }
    }
}

/// Completes the catcher's `response` to a refused request with the refusal's answer.
fn answer_refusal(refusal: RejectionResponse, response: &mut Response<'_>) {
    // A refused route answers through the catcher for the refusal's status. Another status
    // is not that answer: a handler ran after `Option`/`Result` took the refusal (its 200,
    // its 404), or the application's catcher chose its own (a redirect): leave it alone.
    if response.status().code != refusal.status() {
        return;
    }
    let (status, headers, body) = refusal.into_parts();
    response.set_status(Status::new(status));
    // What the catcher wrote goes; the refusal's own headers replace it.
    for name in ["content-type", "www-authenticate", "retry-after"] {
        response.remove_header(name);
    }
    for (name, _) in &headers {
        response.remove_header(name);
    }
    for (name, value) in headers {
        response.adjoin_header(Header::new(name, value));
    }
    response.set_sized_body(body.len(), Cursor::new(body));
}
