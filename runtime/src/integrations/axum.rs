//! axum 0.8: `Protected` as a [`FromRequestParts`] extractor and [`Rejection`] as a response
//! (its [`RejectionResponse`](crate::RejectionResponse): the RFC 6750 answer, or what
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
//! The extractor only reads headers, so it runs before any body extractor: an unauthenticated
//! request is answered before its body is read.

use axum_core::body::Body;
use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderName, HeaderValue, StatusCode};

use crate::guard::{Protected, StaticPolicy};
use crate::reject::Rejection;

impl<S, P> FromRequestParts<S> for Protected<P>
where
    S: Send + Sync,
    P: StaticPolicy,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Rejection> {
        let values = parts
            .headers
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        Protected::authorize(values).await
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let (status, headers, body) = self.response().into_parts();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let map = response.headers_mut();
        for (name, value) in headers {
            if let (Ok(name), Ok(value)) =
                (HeaderName::try_from(name), HeaderValue::try_from(value))
            {
                map.append(name, value);
            }
        }
        response
    }
}
