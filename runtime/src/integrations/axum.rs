//! axum 0.8: `Protected` as a [`FromRequestParts`] extractor and [`Rejection`] as a response.
//!
//! The extractor only reads headers, so it runs before any body extractor: an unauthenticated
//! request is answered before its body is read.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

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
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body()).into_response();
        let headers = response.headers_mut();
        for (name, value) in self.headers() {
            if let Ok(value) = HeaderValue::try_from(value) {
                headers.insert(name, value);
            }
        }
        response
    }
}
