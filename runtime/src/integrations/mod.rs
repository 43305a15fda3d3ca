//! Framework adapters: each converts a request into header values and a [`Rejection`] into a
//! response, nothing more. What each calls, and what any other framework can call:
//!
//! ```
//! use jwks_guard::{Claims, Policy};
//!
//! let policy = Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .build()?;
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // The request's `Authorization` header values in; the claims, or the answer, out.
//! let rejection = match policy.authorize::<Claims>([b"Bearer not-a-jwt".as_slice()]).await {
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
//! [`Rejection`]: crate::Rejection

#[cfg(feature = "actix-web")]
pub mod actix;
#[cfg(feature = "actix-web")]
mod actix_state;
#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "axum")]
mod axum_state;
#[cfg(feature = "poem")]
pub mod poem;
#[cfg(feature = "poem")]
mod poem_state;
#[cfg(feature = "rocket")]
pub mod rocket;
#[cfg(feature = "rocket")]
mod rocket_state;
