//! The routes, tokens and bare checks both per-request benchmarks measure side by side.
//!
//! For each algorithm (RS256, PS256, ES256, EdDSA), in one run:
//!
//! - `unprotected`: the route with no authentication, the floor;
//! - `jwks-guard`: `#[protected]` (with the verified-token cache off in `per_request`, hit in
//!   `cache_hit`);
//! - `hand-written, prepared key`: a careful hand-written extractor: `jsonwebtoken::decode`
//!   with a `DecodingKey` and a `Validation` built once, looked up by `kid`, plus the scope;
//! - `bare signature`: the signature check alone: an aws-lc-rs public key parsed once,
//!   verifying the token's signing input against its decoded signature;
//! - `bare signature + one parse`: that, plus decoding the payload and parsing it once with
//!   `serde_json`: the least any verifier does;
//! - `bare jsonwebtoken::decode`: `jsonwebtoken::decode` alone on the same token and key.
//!
//! Routes are called in memory (`tower::ServiceExt::oneshot`): routing and verification, not
//! sockets.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::Criterion;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer};
use serde_json::Value;
use tower::ServiceExt as _;

pub const ISSUER: &str = "https://bench.test/";

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

/// The JWK of `kid` in `jwks`, as an aws-lc-rs public key parsed for `alg`.
fn parsed_key(jwks: &Value, kid: &str, alg: Alg) -> ParsedPublicKey {
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .unwrap_or_else(|| panic!("no key {kid}"));
    let b64 = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().unwrap_or_default())
            .unwrap_or_else(|error| panic!("{name}: {error}"))
    };
    let parsed = match alg {
        Alg::RS256 => RsaPublicKeyComponents {
            n: b64("n"),
            e: b64("e"),
        }
        .to_parsed_public_key(&signature::RSA_PKCS1_2048_8192_SHA256),
        Alg::PS256 => RsaPublicKeyComponents {
            n: b64("n"),
            e: b64("e"),
        }
        .to_parsed_public_key(&signature::RSA_PSS_2048_8192_SHA256),
        Alg::ES256 => {
            let point = [&[4][..], &b64("x"), &b64("y")].concat();
            ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
        }
        _ => ParsedPublicKey::new(&signature::ED25519, b64("x")),
    };
    parsed.unwrap_or_else(|error| panic!("key: {error}"))
}

/// Registers every variant for each algorithm under `group_prefix`; `guard_label` names the
/// `#[protected]` variant (which cache state it measures).
pub fn bench(c: &mut Criterion, group_prefix: &str, guard_label: &str) {
    // What a careful application does before its first use of jsonwebtoken: pick the crypto
    // provider itself. jsonwebtoken only picks one when exactly one of its backends is enabled
    // in the whole build, and panics otherwise (a workspace build unifies `rust_crypto` in from
    // tests/crypto-graph). An `Err` means a provider is already installed, which is as good.
    let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| panic!("runtime: {error}"));
    // Keys published without `alg`, so that the RSA key verifies PS256 as well as RS256.
    let issuer = TestIssuer::builder()
        .impersonate(ISSUER)
        .publish_alg(false)
        .start()
        .unwrap_or_else(|error| panic!("issuer: {error}"));
    let jwks = issuer.jwks();
    let jwks_json: Value =
        serde_json::from_str(&jwks).unwrap_or_else(|error| panic!("jwks: {error}"));
    let set: JwkSet = serde_json::from_str(&jwks).unwrap_or_else(|error| panic!("jwks: {error}"));
    let prepared = Arc::new(Prepared {
        keys: set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                // The algorithms the key's type verifies, as a careful extractor allows them.
                let algorithms = match &jwk.algorithm {
                    AlgorithmParameters::RSA(_) => vec![Algorithm::RS256, Algorithm::PS256],
                    AlgorithmParameters::EllipticCurve(_) => vec![Algorithm::ES256],
                    AlgorithmParameters::OctetKeyPair(_) => vec![Algorithm::EdDSA],
                    _ => return None,
                };
                let mut validation = validation(algorithms[0]);
                validation.algorithms = algorithms;
                Some((kid, (DecodingKey::from_jwk(jwk).ok()?, validation)))
            })
            .collect(),
    });
    let guarded_app = Router::new().route("/", get(guarded));
    let unprotected_app = Router::new().route("/", get(unprotected));
    let prepared_app = Router::new()
        .route("/", get(hand_prepared))
        .with_state(Arc::clone(&prepared));

    for (alg, name) in [
        (Alg::RS256, "RS256"),
        (Alg::PS256, "PS256"),
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
            (guard_label, &guarded_app),
            ("hand-written, prepared key", &prepared_app),
        ];
        for (label, app) in apps {
            // Warm the key cache and check every variant accepts the token.
            let status = runtime
                .block_on(app.clone().oneshot(request(&token)))
                .map(|r| r.status());
            assert_eq!(status.ok(), Some(StatusCode::OK), "{name} {label}");
        }

        let kid = issuer.kid(alg);
        let key = parsed_key(&jwks_json, &kid, alg);
        let (signing_input, signature) = token
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("token without a signature"));
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .unwrap_or_else(|error| panic!("signature: {error}"));
        let payload = signing_input
            .split_once('.')
            .map(|(_, payload)| payload)
            .unwrap_or_default();
        assert!(key.verify_sig(signing_input.as_bytes(), &signature).is_ok());
        let (decoding_key, decode_validation) = prepared
            .keys
            .get(&kid)
            .unwrap_or_else(|| panic!("no prepared key {kid}"));
        assert!(jsonwebtoken::decode::<Value>(&token, decoding_key, decode_validation).is_ok());

        let mut group = c.benchmark_group(format!("{group_prefix}/{name}"));
        for (label, app) in apps {
            group.bench_function(label, |b| {
                b.to_async(&runtime).iter(|| async {
                    let response = app.clone().oneshot(request(&token)).await;
                    black_box(response.map(|r| r.status()))
                })
            });
        }
        group.bench_function("bare signature", |b| {
            b.iter(|| black_box(key.verify_sig(signing_input.as_bytes(), &signature).is_ok()))
        });
        group.bench_function("bare signature + one parse", |b| {
            b.iter(|| {
                let verified = key.verify_sig(signing_input.as_bytes(), &signature).is_ok();
                let claims = URL_SAFE_NO_PAD
                    .decode(payload)
                    .ok()
                    .and_then(|json| serde_json::from_slice::<Value>(&json).ok());
                black_box((verified, claims))
            })
        });
        group.bench_function("bare jsonwebtoken::decode", |b| {
            b.iter(|| {
                black_box(
                    jsonwebtoken::decode::<Value>(&token, decoding_key, decode_validation).is_ok(),
                )
            })
        });
        group.finish();
    }
}
