//! A fixed number of requests through a `#[protected]` route in memory, for an instruction
//! profile (callgrind counts instructions, whatever else the machine is doing):
//!
//! ```text
//! cargo bench --bench profile_path --no-run
//! valgrind --tool=callgrind --callgrind-out-file=callgrind.out target/release/deps/profile_path-<hash> [rs256|es256|eddsa] [off|hit]
//! callgrind_annotate --inclusive=yes callgrind.out | head -60
//! ```
//!
//! The first argument picks the algorithm (RS256 by default), the second whether the
//! verified-token cache is off (default) or serving hits.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use jwks_guard::{Settings, configure, protected};
use jwks_guard_test::{Alg, TestIssuer};
use tower::ServiceExt as _;

/// Requests sent, unless `PROFILE_REQUESTS` says otherwise (more for a sampling profiler).
const REQUESTS: usize = 2_000;

#[protected(issuer = "https://profile.test/", audience = "api", scopes = ["read"])]
async fn guarded() -> StatusCode {
    StatusCode::OK
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let alg = match args.first().map(String::as_str) {
        Some("es256") => Alg::ES256,
        Some("eddsa") => Alg::EdDSA,
        _ => Alg::RS256,
    };
    let capacity = if args.get(1).map(String::as_str) == Some("hit") {
        10_000
    } else {
        0
    };
    if configure(Settings::new().token_cache_capacity(capacity)).is_err() {
        eprintln!("settings were already installed");
        std::process::exit(1);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("runtime: {error}");
            std::process::exit(1);
        }
    };
    let issuer = match TestIssuer::start_as("https://profile.test/") {
        Ok(issuer) => issuer,
        Err(error) => {
            eprintln!("issuer: {error}");
            std::process::exit(1);
        }
    };
    let token = issuer
        .token()
        .audience("api")
        .scopes(["read"])
        .alg(alg)
        .sign();
    let app = Router::new().route("/", get(guarded));
    let request = || {
        Request::builder()
            .uri("/")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
    };
    let requests = std::env::var("PROFILE_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(REQUESTS);
    let mut accepted = 0;
    runtime.block_on(async {
        for _ in 0..=requests {
            let Ok(request) = request() else { continue };
            let Ok(response) = app.clone().oneshot(request).await;
            accepted += usize::from(response.status() == StatusCode::OK);
        }
    });
    println!("{accepted} of {} requests accepted", requests + 1);
}
