//! Nothing but the doc tests below: this package's content is its tests (see its `Cargo.toml`).

/// The examples of `#[protected]`'s documentation (`macros/src/examples/`), compiled as doc tests
/// here, where the runtime they use is at hand. The macro crate shows them in its documentation
/// and leaves them out of its own doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../macros/src/examples/routes.md")]
#[doc = include_str!("../../../macros/src/examples/beside_other_attributes.md")]
pub struct ProtectedExamples;
