//! Per-request cost with the verified-token cache off: every request verifies its token's
//! signature, as the first request of each token does. Side by side with the variants of
//! `support` (the floor, a hand-written extractor, the bare signature check, a bare
//! `jsonwebtoken::decode`) in one run. Run: `cargo bench --bench per_request`; the cache-hit
//! counterpart is `cargo bench --bench cache_hit`.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use jwks_guard::{Settings, configure};

fn per_request(c: &mut Criterion) {
    if configure(Settings::new().token_cache_capacity(0)).is_err() {
        panic!("settings were installed before the benchmark");
    }
    support::bench(c, "per_request", "jwks-guard, cache off");
}

criterion_group!(benches, per_request);
criterion_main!(benches);
