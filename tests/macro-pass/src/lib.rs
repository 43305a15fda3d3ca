//! Nothing: this package's content is its test targets (see its `Cargo.toml`), the uses of
//! `#[protected]` that must compile and run.
