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
//! runs. A failed extraction becomes a `poem::Error` whose response is the [`Rejection`]'s
//! status, `WWW-Authenticate`, `Retry-After` and JSON body.

use poem::error::ResponseError;
use poem::http::header::AUTHORIZATION;
use poem::http::{HeaderValue, StatusCode};
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
        StatusCode::from_u16(Rejection::status(self)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn as_response(&self) -> Response {
        let mut response = Response::builder()
            .status(ResponseError::status(self))
            .body(self.body());
        let headers = response.headers_mut();
        for (name, value) in self.headers() {
            if let Ok(value) = HeaderValue::try_from(value) {
                headers.insert(name, value);
            }
        }
        response
    }
}
