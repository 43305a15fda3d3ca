//! Per-request cost of a protected axum handler with a warm key cache, side by side with the
//! same route written by hand, in one run:
//!
//! - `unprotected`: the route with no authentication (the floor);
//! - `jwks-guard`: `#[protected]`;
//! - `hand-written, prepared key`: a careful hand-written check: `jsonwebtoken::decode` with a
//!   `DecodingKey` and `Validation` built once;
//! - `hand-written, key per request`: the common mistake of building the decoding key from the
//!   JWKS document on every request.
//!
//! Requests go through the router in memory (`tower::ServiceExt::oneshot`), so the numbers are
//! the cost of routing and verification, not of sockets. Run: `cargo bench --bench per_request`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer};
use serde_json::Value;
use tower::ServiceExt as _;

const ISSUER: &str = "https://bench.test/";

#[protected(issuer = "https://bench.test/", audience = "api", scopes = ["read"])]
async fn guarded() -> StatusCode {
    StatusCode::OK
}

async fn unprotected() -> StatusCode {
    StatusCode::OK
}

struct Prepared {
    keys: HashMap<String, (DecodingKey, Validation)>,
}

async fn hand_prepared(State(state): State<Arc<Prepared>>, headers: HeaderMap) -> StatusCode {
    let Some(token) = bearer(&headers) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some((key, validation)) = header.kid.and_then(|kid| state.keys.get(&kid)) else {
        return StatusCode::UNAUTHORIZED;
    };
    match jsonwebtoken::decode::<Value>(token, key, validation) {
        Ok(data) if has_scope(&data.claims, "read") => StatusCode::OK,
        Ok(_) => StatusCode::FORBIDDEN,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

async fn hand_per_request(State(jwks): State<Arc<String>>, headers: HeaderMap) -> StatusCode {
    let Some(token) = bearer(&headers) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Ok(set) = serde_json::from_str::<JwkSet>(&jwks) else {
        return StatusCode::SERVICE_UNAVAILABLE;
    };
    let Some(jwk) = header.kid.as_deref().and_then(|kid| set.find(kid)) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Ok(key) = DecodingKey::from_jwk(jwk) else {
        return StatusCode::UNAUTHORIZED;
    };
    match jsonwebtoken::decode::<Value>(token, &key, &validation(header.alg)) {
        Ok(data) if has_scope(&data.claims, "read") => StatusCode::OK,
        Ok(_) => StatusCode::FORBIDDEN,
        Err(_) => StatusCode::UNAUTHORIZED,
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn has_scope(claims: &Value, scope: &str) -> bool {
    claims["scope"]
        .as_str()
        .is_some_and(|s| s.split(' ').any(|g| g == scope))
}

fn validation(alg: jsonwebtoken::Algorithm) -> Validation {
    let mut validation = Validation::new(alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&["api"]);
    validation.leeway = 60;
    validation
}

fn request(token: &str) -> Request<Body> {
    Request::builder()
        .uri("/")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap_or_else(|error| panic!("request: {error}"))
}

fn per_request(c: &mut Criterion) {
    // What a careful application does before its first use of jsonwebtoken: pick the crypto
    // provider itself. jsonwebtoken only picks one when exactly one of its backends is enabled
    // in the whole build, and panics otherwise (a workspace build unifies `rust_crypto` in from
    // tests/crypto-graph). An `Err` means a provider is already installed, which is as good.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("runtime: {error}"));
    let issuer = TestIssuer::start_as(ISSUER).unwrap_or_else(|error| panic!("issuer: {error}"));
    let jwks = issuer.jwks();
    let set: JwkSet = serde_json::from_str(&jwks).unwrap_or_else(|error| panic!("jwks: {error}"));
    let prepared = Prepared {
        keys: set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = jwk.common.key_algorithm?.to_string().parse().ok()?;
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, validation(alg))))
            })
            .collect(),
    };
    let guarded_app = Router::new().route("/", get(guarded));
    let unprotected_app = Router::new().route("/", get(unprotected));
    let prepared_app = Router::new()
        .route("/", get(hand_prepared))
        .with_state(Arc::new(prepared));
    let per_request_app = Router::new()
        .route("/", get(hand_per_request))
        .with_state(Arc::new(jwks));

    for (alg, name) in [
        (Alg::RS256, "RS256"),
        (Alg::ES256, "ES256"),
        (Alg::EdDSA, "EdDSA"),
    ] {
        let token = issuer
            .token()
            .audience("api")
            .scopes(["read"])
            .alg(alg)
            .sign();
        let apps = [
            ("unprotected", &unprotected_app),
            ("jwks-guard", &guarded_app),
            ("hand-written, prepared key", &prepared_app),
            ("hand-written, key per request", &per_request_app),
        ];
        for (_, app) in apps {
            // Warm the cache and check every variant accepts the token.
            let status = runtime
                .block_on(app.clone().oneshot(request(&token)))
                .map(|r| r.status());
            assert_eq!(status.ok(), Some(StatusCode::OK), "{name}");
        }
        let mut group = c.benchmark_group(format!("per_request/{name}"));
        for (label, app) in apps {
            group.bench_function(label, |b| {
                b.to_async(&runtime).iter(|| async {
                    let response = app.clone().oneshot(request(&token)).await;
                    black_box(response.map(|r| r.status()))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, per_request);
criterion_main!(benches);
