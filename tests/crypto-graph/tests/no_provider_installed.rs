//! Nothing installs a jsonwebtoken `CryptoProvider` in this process, and both of jsonwebtoken's
//! backends are on: jsonwebtoken panics on first use, and `#[protected]` handlers work anyway.
#![allow(clippy::expect_used)]

mod common;

use std::sync::LazyLock;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer};

use common::{serve_handler, status_of};

/// Publishes its keys without `alg`, so the RSA key verifies RS* and PS* alike; holds a P-521
/// key too, so that every algorithm has a key.
static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| {
    TestIssuer::builder()
        .impersonate("https://crypto-graph.test/")
        .publish_alg(false)
        .p521_key(true)
        .start()
        .expect("test issuer")
});

#[protected(issuer = "https://crypto-graph.test/", audience = "api")]
async fn handler() -> &'static str {
    "ok"
}

async fn app() -> String {
    LazyLock::force(&ISSUER);
    serve_handler(handler).await
}

#[test]
fn jsonwebtoken_panics_on_first_use_when_both_backends_are_on_and_no_provider_is_installed() {
    let token = ISSUER.token().audience("api").sign();
    let jwks: JwkSet = serde_json::from_str(&ISSUER.jwks()).expect("JWKS");
    let jwk = jwks.find(&ISSUER.kid(Alg::RS256)).expect("the RSA key");
    let key = DecodingKey::from_jwk(jwk).expect("decoding key");
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["api"]);
    validation.set_issuer(&[ISSUER.issuer()]);
    let decoded = std::panic::catch_unwind(|| {
        jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation)
    });
    let panic = decoded.expect_err(
        "jsonwebtoken picked a provider by itself: this graph does not show the hazard",
    );
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(
        message.contains("Could not automatically determine the process-level CryptoProvider"),
        "jsonwebtoken panicked for another reason: {message}"
    );
}

#[tokio::test]
async fn a_protected_handler_verifies_every_algorithm_when_both_backends_are_on() {
    let url = app().await;
    let client = reqwest::Client::new();
    for &alg in Alg::ALL {
        let token = ISSUER.token().audience("api").alg(alg).sign();
        assert_eq!(status_of(&client, &url, &token).await, 200, "{alg:?}");
    }
}

#[tokio::test]
async fn a_wrong_signature_is_401_and_the_server_keeps_serving() {
    let url = app().await;
    let client = reqwest::Client::new();
    for alg in [
        Alg::RS256,
        Alg::PS256,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ] {
        let forged = ISSUER.token().audience("api").alg(alg).foreign_key().sign();
        assert_eq!(status_of(&client, &url, &forged).await, 401, "{alg:?}");
        let good = ISSUER.token().audience("api").alg(alg).sign();
        assert_eq!(status_of(&client, &url, &good).await, 200, "{alg:?}");
    }
}
