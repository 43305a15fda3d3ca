//! Rocket 0.5: `Protected` (the guard `#[protected]` puts first in a handler) as a
//! [`FromRequest`] request guard, and the [`Guard`] fairing that answers its refusals with the
//! status, `WWW-Authenticate`, `Retry-After` and JSON body of the [`Rejection`].
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
//! The guard only reads headers and Rocket runs request guards before data guards, so an
//! unauthenticated request is answered before its body is read. A failing request guard hands
//! Rocket a status only, which Rocket answers through its catcher: **attach [`Guard`]** (once,
//! nothing to register) and it completes that answer with the headers and the JSON body of the
//! refusal. Without it the status is the same, the rest is Rocket's catcher's. The answer is
//! the [`Rejection`]'s documented one, or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it, computed
//! once by the guard.
//!
//! Rocket drops header values that are not UTF-8, so such an `Authorization` header counts as
//! absent (401) rather than malformed (400).

use std::io::Cursor;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{Header, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Response;

use crate::guard::{Protected, StaticPolicy};
use crate::reject::{Rejection, RejectionResponse};

/// The fairing that answers a request refused by a `#[protected]` handler with its
/// [`Rejection`]: status, `WWW-Authenticate`, `Retry-After`, JSON body. Attach it once:
/// `rocket::build().attach(Guard)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Guard;

/// The answer to this request, if a guard refused it: what [`Guard`] writes.
pub(super) struct Refused(pub(super) Option<RejectionResponse>);

#[rocket::async_trait]
impl<'r, P: StaticPolicy> FromRequest<'r> for Protected<P> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        let values = request.headers().get("Authorization").map(str::as_bytes);
        match Protected::authorize(values).await {
            Ok(guard) => Outcome::Success(guard),
            Err(rejection) => {
                let response = rejection.response();
                let status = Status::new(response.status());
                request.local_cache(|| Refused(Some(response)));
                Outcome::Error((status, rejection))
            }
        }
    }
}

#[rocket::async_trait]
impl Fairing for Guard {
    fn info(&self) -> Info {
        Info {
            name: "jwks-guard rejections",
            kind: Kind::Response | Kind::Singleton,
        }
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let Refused(Some(refusal)) = request.local_cache(|| Refused(None)) else {
            return;
        };
        let (status, headers, body) = refusal.clone().into_parts();
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
}
