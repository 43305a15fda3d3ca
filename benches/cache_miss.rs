//! Per-request cost when every request carries a token the server has not seen before (a
//! service whose clients rarely reuse a token), with the verified-token cache on (the default
//! settings) and off (`token_cache_capacity(0)`), side by side in one run. Run:
//! `cargo bench --bench cache_miss`.
//!
//! Settings are process-wide, so the cache-off half runs in a second process: this binary runs
//! itself again with `JWKS_GUARD_BENCH_CACHE=off` (and the same arguments) before its own
//! group, and criterion reports both functions under `cache_miss/RS256`.
//!
//! Each iteration sends the next token of a pool of distinct RS256 tokens, larger than the
//! cache and its admission filter remember with the default settings, so no token is ever
//! found: at the end, each half prints how many of its requests were hits (none, but for the
//! admission filter's rare false positives).
//!
//! For an instruction count, which a busy machine does not disturb, `CACHE_MISS_COUNT=<n>`
//! skips criterion and sends `n` distinct tokens once each through one half, inside
//! `send_each_once` (`CACHE_MISS_CAPACITY=<entries>` sets a smaller cache, so that a few
//! thousand tokens fill it):
//!
//! ```text
//! cargo bench --bench cache_miss --no-run
//! CACHE_MISS_COUNT=3000 CACHE_MISS_CAPACITY=1000 [JWKS_GUARD_BENCH_CACHE=off] \
//!     valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*send_each_once*' \
//!     target/release/deps/cache_miss-<hash>
//! ```
#![allow(clippy::expect_used)] // a benchmark stops with a message on a broken setup

mod halves;

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use criterion::Criterion;
use jwks_guard::{Settings, configure, protected, stats};
use jwks_guard_test::TestIssuer;
use tower::ServiceExt as _;

/// Distinct tokens cycled through: three times what the default settings can remember (10,000
/// entries, and an admission filter that forgets after 20,000 tokens).
const POOL: usize = 60_000;

#[protected(issuer = "https://bench.test/", audience = "api", scopes = ["read"])]
async fn guarded() -> StatusCode {
    StatusCode::OK
}

fn request(token: &str) -> Request<Body> {
    Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

/// `size` distinct tokens, signed on every core.
fn pool(issuer: &TestIssuer, size: usize) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                scope.spawn(move || {
                    (worker..size)
                        .step_by(threads)
                        .map(|n| {
                            issuer
                                .token()
                                .audience("api")
                                .scopes(["read"])
                                .claim("jti", format!("miss-{n}"))
                                .sign()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("minting thread"))
            .collect()
    })
}

/// The route, the runtime and the issuer of one half, its settings installed and its key
/// cache warmed with a token outside the pool.
fn setup(cache_on: bool) -> (Router, tokio::runtime::Runtime, TestIssuer) {
    let capacity = std::env::var("CACHE_MISS_CAPACITY")
        .ok()
        .and_then(|n| n.parse().ok());
    match (cache_on, capacity) {
        (false, _) => configure(Settings::new().token_cache_capacity(0)),
        (true, Some(capacity)) => configure(Settings::new().token_cache_capacity(capacity)),
        (true, None) => Ok(()),
    }
    .expect("settings installed before the benchmark");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let issuer = TestIssuer::builder()
        .impersonate("https://bench.test/")
        .start()
        .expect("issuer");
    let app = Router::new().route("/", get(guarded));
    let warm = issuer.token().audience("api").scopes(["read"]).sign();
    let status = runtime
        .block_on(app.clone().oneshot(request(&warm)))
        .map(|r| r.status());
    assert_eq!(status.ok(), Some(StatusCode::OK));
    (app, runtime, issuer)
}

/// Sends each token once; how many were accepted.
#[inline(never)]
fn send_each_once(app: &Router, runtime: &tokio::runtime::Runtime, tokens: &[String]) -> usize {
    runtime.block_on(async {
        let mut accepted = 0;
        for token in tokens {
            let response = app.clone().oneshot(request(token)).await;
            accepted += usize::from(response.is_ok_and(|r| r.status() == StatusCode::OK));
        }
        accepted
    })
}

fn count(requests: usize, cache_on: bool) {
    let (app, runtime, issuer) = setup(cache_on);
    let tokens = pool(&issuer, requests);
    let (started, cpu_before) = (std::time::Instant::now(), halves::thread_cpu_ns());
    let accepted = send_each_once(&app, &runtime, &tokens);
    let n = requests.max(1) as f64;
    let wall_us = started.elapsed().as_secs_f64() * 1e6 / n;
    let cpu_us = halves::thread_cpu_ns().saturating_sub(cpu_before) as f64 / 1e3 / n;
    println!(
        "{accepted} of {requests} distinct tokens accepted: {wall_us:.2} µs each, {cpu_us:.2} µs \
         of this thread's CPU time each"
    );
    if let Some(cache) = stats().token_cache {
        println!("token cache: {cache:?}");
    }
}

fn cache_miss(c: &mut Criterion, cache_on: bool) {
    let (app, runtime, issuer) = setup(cache_on);
    let tokens = pool(&issuer, POOL);

    let before = stats().token_cache;
    let next = AtomicUsize::new(0);
    let label = if cache_on {
        "jwks-guard, cache on"
    } else {
        "jwks-guard, cache off"
    };
    let mut group = c.benchmark_group("cache_miss/RS256");
    group.bench_function(label, |b| {
        b.to_async(&runtime).iter(|| {
            let token = &tokens[next.fetch_add(1, Ordering::Relaxed) % POOL];
            let response = app.clone().oneshot(request(token));
            async move { black_box(response.await.map(|r| r.status())) }
        })
    });
    group.finish();
    if let (Some(before), Some(after)) = (before, stats().token_cache) {
        println!(
            "{label}: {} hits, {} misses during the measurement; {} entries, {} bytes held",
            after.hits - before.hits,
            after.misses - before.misses,
            after.entries,
            after.bytes,
        );
    }
}

fn main() {
    halves::run("CACHE_MISS_COUNT", count, cache_miss);
}
