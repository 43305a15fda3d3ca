//! Protect web handlers with JWT bearer tokens from any OpenID Connect / OAuth 2 provider.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use jwks_guard::{Claims, protected};
//!
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     format!("orders of {}", claims.sub.unwrap_or_default())
//! }
//!
//! # async fn run() {
//! let app: Router = Router::new().route("/orders", get(list_orders));
//! # }
//! ```
//!
//! [`#[protected]`](macro@protected) discovers the issuer's JSON Web Key Set, caches it
//! process-wide, verifies the token of every request (signature, `iss`, `aud`, `exp`, `nbf`,
//! scopes, required claims), hands the handler its claims, and answers everything else with the
//! right RFC 6750 response (see [`Rejection`]).
//!
//! - **The attribute**: [`#[protected]`](macro@protected) lists every key; the handler receives
//!   [`Claims`] or any `Deserialize` type through `#[claims]`.
//! - **Without the macro**: [`Policy::builder`], the [`Authenticated`] extractor, and
//!   [`layer::RequireTokenLayer`] for a whole router (below).
//! - **Frameworks**: axum (default feature), actix-web, Rocket and Poem, one feature each: see
//!   [`integrations`].
//! - **Settings**: process-wide, installed once with [`configure`]: see [`Settings`]. Answers
//!   of your own (RFC 9457 problem details, a redirect): [`Settings::rejection_response`].
//! - **Tests**: the companion crate [`jwks-guard-test`](https://docs.rs/jwks-guard-test)
//!   starts a [`TestIssuer`](https://docs.rs/jwks-guard-test/latest/jwks_guard_test/struct.TestIssuer.html)
//!   (a local OpenID provider on 127.0.0.1) and signs tokens for it.
//! - **Metrics**: [`stats()`] and the types of the [`stats`](mod@stats) module.
//! - **OpenAPI**: `jwks_guard::openapi` (feature `utoipa`) adds the issuer's security scheme to
//!   a utoipa document, and `Policy::openapi_security` gives a policy's requirement.
//!
//! The attribute is sugar over a public path: a [`Policy`] built at run time with
//! [`Policy::builder`], checked by the [`Authenticated`] extractor (which takes the policy
//! from the framework's state) or by [`layer::RequireTokenLayer`] over a whole router. The
//! expansion holds the attribute as a constant spec and, at the first request, builds its
//! `Policy` with the same builder:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use jwks_guard::{Authenticated, Claims, Policy};
//!
//! // The same requirements as `#[protected(issuer = "https://id.example.com/",
//! // audience = "orders-api", scopes = ["orders:read"])]` above.
//! async fn list_orders(Authenticated(claims): Authenticated<Claims>) -> String {
//!     format!("orders of {}", claims.sub.unwrap_or_default())
//! }
//!
//! # fn main() -> Result<(), jwks_guard::PolicyError> {
//! let policy = Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .scopes(["orders:read"])
//!     .build()?;
//! let app: Router = Router::new().route("/orders", get(list_orders)).with_state(policy);
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alg;
pub mod bearer;
mod checks;
mod claims;
pub mod credentials;
pub mod dpop;
mod dpop_request;
mod dpop_state;
mod guard;
mod issuer;
mod keys;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
mod policy;
mod prefetch;
mod reject;
mod settings;
mod spec;
pub mod stats;
mod strict_json;
mod token;
mod token_cache;
mod url_map;
mod verify;

#[cfg(any(test, fuzzing))]
#[doc(hidden)]
#[path = "fuzz/mod.rs"]
pub mod __fuzz;
pub mod integrations;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use integrations::tower as layer;

pub use alg::{Alg, KeyType};
pub use claims::{Audience, Claims, ClaimsError, Scopes};
pub use dpop_state::Dpop;
pub use guard::{Authenticated, ClaimsTarget, MaybeAuthenticated};
pub use jwks_guard_macros::protected;
pub use keys::{FetchRoute, fetch_from};
pub use policy::{ClaimValue, Policy, PolicyBuilder, PolicyError};
pub use prefetch::{PrefetchError, prefetch};
pub use reject::{Rejection, RejectionKind, RejectionResponse, Scheme};
pub use settings::{ConfigureError, Settings, configure};
pub use spec::TokenSource;
pub use stats::stats;

/// Not public API: the items the `#[protected]` expansion names. May change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::alg::Alg;
    pub use crate::claims::Claims;
    pub use crate::dpop_state::Dpop;
    pub use crate::guard::{
        ClaimsSource, Guard, Guarding, MethodRequest, NoClaims, OptionalProtected, Protected,
        StaticPolicy, authorize_method,
    };
    pub use crate::policy::PolicyCell;
    pub use crate::spec::{ClaimSpec, Expect, PolicySpec, Scalar, Setting, TokenSource, Values};
    pub use ::std::borrow::Cow;
}
