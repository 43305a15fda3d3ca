//! jwks-guard: protect web handlers with JWT bearer tokens from any OpenID Connect provider.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod spec;

/// Not public API: the items the `#[protected]` expansion names. May change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::spec::{Alg, AudienceSpec, ClaimSpec, Expect, PolicySpec, Scalar, Setting};
}

#[cfg(feature = "test-util")]
pub mod test_util;
