//! Framework adapters: each converts a request into header values and a [`Rejection`] into a
//! response, nothing more.
//!
//! [`Rejection`]: crate::Rejection

#[cfg(feature = "axum")]
pub mod axum;
