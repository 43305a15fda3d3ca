//! actix-web 4: `Protected` as a [`FromRequest`] extractor and [`Rejection`] as a
//! [`ResponseError`].
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
//! The extractor copies the `Authorization` header values out of the request and checks them
//! with [`Protected::authorize`]; a [`Rejection`] becomes its documented response (status,
//! `WWW-Authenticate`, `Retry-After` and JSON body), or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it.
//! actix-web polls all of a handler's extractors together, so while the guard waits for keys a
//! body extractor would run too: the extractor holds the request body back until it has
//! accepted the request.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::{StreamExt as _, future, stream};

use crate::guard::{Protected, StaticPolicy};
use crate::reject::Rejection;

impl<P: StaticPolicy> FromRequest for Protected<P> {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let values = authorization_values(req);
        let accepted = hold_body(payload);
        Box::pin(async move {
            let protected = Protected::authorize(values.iter().map(HeaderValue::as_bytes)).await?;
            let _ = accepted.send(());
            Ok(protected)
        })
    }
}

/// The request's `Authorization` values, copied out (cheap clones of shared bytes): the
/// extractor's future must not borrow the request.
pub(super) fn authorization_values(req: &HttpRequest) -> Vec<HeaderValue> {
    req.headers().get_all(AUTHORIZATION).cloned().collect()
}

/// Holds the request body back from the extractors polled beside the guard until the returned
/// sender is used (the request is accepted); dropping it unused withholds the body for good.
pub(super) fn hold_body(payload: &mut Payload) -> tokio::sync::oneshot::Sender<()> {
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
