//! Framework adapters: each converts a request into header values and a [`Rejection`] into a
//! response, nothing more.
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
