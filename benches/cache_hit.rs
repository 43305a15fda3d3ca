//! Per-request cost when the client reuses its token (the verified-token cache's default
//! settings): the signature is checked once, and every later request runs only the handler's
//! checks on the cached claims. Side by side with the variants of `support` in one run. Run:
//! `cargo bench --bench cache_hit`.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};

fn cache_hit(c: &mut Criterion) {
    support::bench(c, "cache_hit", "jwks-guard, cache hit");
}

criterion_group!(benches, cache_hit);
criterion_main!(benches);
