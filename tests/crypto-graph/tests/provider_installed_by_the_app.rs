//! The application installs its own jsonwebtoken `CryptoProvider`, as it must in a graph where
//! both of jsonwebtoken's backends are on, and uses jsonwebtoken for its own tokens: the guard
//! answers without ever calling that provider.
//!
//! Its own test binary: a provider is installed once per process, for good.
#![allow(clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils, rust_crypto};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer};
use serde_json::{Value, json};

use common::{serve_handler, status_of};

static SIGNERS: AtomicUsize = AtomicUsize::new(0);
static VERIFIERS: AtomicUsize = AtomicUsize::new(0);

/// RustCrypto's provider, counting every signer and verifier jsonwebtoken asks it for.
static APP_PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: counting_signer,
    verifier_factory: counting_verifier,
    key_utils: KeyUtils {
        ..rust_crypto::DEFAULT_PROVIDER.key_utils
    },
};

fn counting_signer(
    alg: &Algorithm,
    key: &EncodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtSigner>> {
    SIGNERS.fetch_add(1, Ordering::SeqCst);
    (rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
}

fn counting_verifier(
    alg: &Algorithm,
    key: &DecodingKey,
) -> jsonwebtoken::errors::Result<Box<dyn JwtVerifier>> {
    VERIFIERS.fetch_add(1, Ordering::SeqCst);
    (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
}

#[protected(issuer = "https://crypto-graph-app.test/", audience = "api")]
async fn handler() -> &'static str {
    "ok"
}

/// One test, so that nothing else in the process moves the counters while it looks at them.
#[tokio::test]
async fn the_guard_never_calls_the_jsonwebtoken_provider_the_application_installed() {
    // At start-up, as the application would.
    APP_PROVIDER
        .install_default()
        .expect("the first provider installed in this process");

    // The application's own use of jsonwebtoken goes through its provider.
    let secret = b"the application's own HMAC secret";
    let own = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({ "sub": "job-42", "exp": 4_102_444_800_u64 }),
        &EncodingKey::from_secret(secret),
    )
    .expect("the application signs with jsonwebtoken");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    let claims =
        jsonwebtoken::decode::<Value>(&own, &DecodingKey::from_secret(secret), &validation)
            .expect("the application verifies with jsonwebtoken")
            .claims;
    assert_eq!(claims["sub"], "job-42");
    assert_eq!(
        (
            SIGNERS.load(Ordering::SeqCst),
            VERIFIERS.load(Ordering::SeqCst)
        ),
        (1, 1),
        "the counters see the application's use of jsonwebtoken"
    );

    // Protected requests: keys fetched, tokens verified, none of it through jsonwebtoken.
    let issuer = TestIssuer::start_as("https://crypto-graph-app.test/").expect("test issuer");
    let url = serve_handler(handler).await;
    let client = reqwest::Client::new();
    for alg in [Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA] {
        let token = issuer.token().audience("api").alg(alg).sign();
        assert_eq!(status_of(&client, &url, &token).await, 200, "{alg:?}");
    }
    let forged = issuer.token().audience("api").foreign_key().sign();
    assert_eq!(status_of(&client, &url, &forged).await, 401);
    assert_eq!(
        VERIFIERS.load(Ordering::SeqCst),
        1,
        "the guard verified through the application's jsonwebtoken provider"
    );
    assert_eq!(
        SIGNERS.load(Ordering::SeqCst),
        1,
        "the test issuer signed through the application's jsonwebtoken provider"
    );
}
