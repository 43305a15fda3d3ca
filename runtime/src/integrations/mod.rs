//! Framework adapters, one module per framework, each behind its feature: the guard of
//! `#[protected]` handlers, the [`Authenticated`] extractor and the [`Rejection`] as the
//! framework's response. Each hands the request's headers to the guard (implementing
//! [`RequestHeaders`](crate::credentials::RequestHeaders) for its header map) and turns a
//! [`Rejection`] into a response, nothing more. `tower` (feature `axum`, also at
//! `jwks_guard::layer`) puts one policy over a whole router. What each calls, and what any
//! other framework can call:
//!
//! ```
//! use jwks_guard::{Claims, Policy};
//!
//! let policy = Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .build()?;
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // The request's headers in; the claims, or the answer, out.
//! let headers: &[(&str, &[u8])] = &[("authorization", b"Bearer not-a-jwt")];
//! let rejection = match policy.authorize::<Claims>(headers).await {
//!     Ok(_) => unreachable!("not a token"),
//!     Err(rejection) => rejection,
//! };
//! let response = rejection.response(); // status, headers, body: what every adapter sends
//! assert_eq!(response.status(), 401);
//! assert!(response.header("www-authenticate").is_some_and(|c| c.contains("invalid_token")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Authenticated`]: crate::Authenticated
//! [`Rejection`]: crate::Rejection

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "poem")]
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
pub mod poem;
#[cfg(feature = "rocket")]
#[cfg_attr(docsrs, doc(cfg(feature = "rocket")))]
pub mod rocket;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod tower;

/// Appends a [`RejectionResponse`](crate::RejectionResponse)'s headers to an `http` header map
/// (axum and Poem both answer with `http` types), leaving out any a custom response function
/// made invalid.
#[cfg(any(feature = "axum", feature = "poem"))]
fn append_headers(map: &mut http::HeaderMap, headers: impl IntoIterator<Item = (String, String)>) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            map.append(name, value);
        }
    }
}
