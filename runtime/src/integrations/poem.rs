//! Poem 3: `Protected` as a [`FromRequest`] extractor and [`Rejection`] as a [`ResponseError`].
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
//! The extractor reads only the `Authorization` headers, never the body: as the first
//! parameter of the handler it answers an unauthenticated request before any body extractor
//! runs. A failed extraction becomes a `poem::Error` whose source is the [`Rejection`] and whose
//! response is its status, `WWW-Authenticate`, `Retry-After` and JSON body, or what
//! [`Settings::rejection_response`](crate::Settings::rejection_response) makes of it.

use poem::error::ResponseError;
use poem::http::header::AUTHORIZATION;
use poem::http::{HeaderName, HeaderValue, StatusCode};
use poem::{FromRequest, Request, RequestBody, Response};

use crate::guard::{Protected, StaticPolicy};
use crate::reject::Rejection;

impl<'a, P: StaticPolicy> FromRequest<'a> for Protected<P> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let values = request
            .headers()
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        Ok(Protected::authorize(values).await?)
    }
}

impl ResponseError for Rejection {
    fn status(&self) -> StatusCode {
        status_code(self.response().status())
    }

    fn as_response(&self) -> Response {
        let (status, headers, body) = self.response().into_parts();
        let mut response = Response::builder().status(status_code(status)).body(body);
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

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
