//! Regressions for the defects a security review of the verifier found: each test failed
//! before its fix (the comment says how), over real HTTP against a real test issuer.

use crate::common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::{Claims, protected};
use jwks_guard_test::{Alg, Answer, TestIssuer};
use serde_json::{Value, json};

use common::{Reply, get_with_token, serve_handler};

fn assert_invalid_token(reply: &Reply, description: &str) {
    assert_eq!(
        (reply.status, reply.error().as_str(), reply.description()),
        (401, "invalid_token", description.to_owned()),
        "{reply:?}"
    );
}

/// The issuer's JWKS as JSON, to edit.
fn jwks_of(issuer: &TestIssuer) -> Value {
    serde_json::from_str(&issuer.jwks()).expect("JWKS is JSON")
}

fn keys_mut(jwks: &mut Value) -> &mut Vec<Value> {
    jwks["keys"].as_array_mut().expect("JWKS has keys")
}

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

// Before: a JWK with private members was used like any other, so a provider leaking its
// private key let anyone sign accepted tokens. The issuer's own key, published with `d`, must
// no longer verify anything.
#[tokio::test]
async fn a_published_key_with_private_members_is_never_used() {
    let issuer = TestIssuer::start_as("https://leaked-key.test/").expect("issuer");
    let ed_kid = issuer.kid(Alg::EdDSA);
    let mut jwks = jwks_of(&issuer);
    for key in keys_mut(&mut jwks) {
        if key["kid"] == ed_kid.as_str() {
            key["d"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        }
    }
    issuer.set_jwks_answer(Answer::Body(jwks.to_string()));
    #[protected(issuer = "https://leaked-key.test/", audience = "api")]
    async fn leaked() {}
    let url = serve_handler(leaked).await;
    let ed = issuer.token().audience("api").alg(Alg::EdDSA).sign();
    assert_invalid_token(&get_with_token(&url, &ed).await, "unknown signing key");
    let es = issuer.token().audience("api").alg(Alg::ES256).sign();
    assert_eq!(get_with_token(&url, &es).await.status, 200);
}

// Before: the modulus was sized in whole bytes with no upper bound, so a set whose only key
// was too large to verify with still counted as usable, and every token got 401 "invalid
// signature" instead of the provider's failure being visible as 503.
#[tokio::test]
async fn a_set_whose_only_rsa_key_is_too_large_is_a_failed_fetch() {
    let issuer = TestIssuer::start_as("https://rsa-too-large.test/").expect("issuer");
    let rsa_kid = issuer.kid(Alg::RS256);
    let mut modulus = vec![0xC5u8; 8200 / 8];
    modulus[0] = 0x80;
    let huge = json!({"kty": "RSA", "kid": rsa_kid, "use": "sig", "alg": "RS256",
        "n": URL_SAFE_NO_PAD.encode(&modulus), "e": "AQAB"});
    issuer.set_jwks_answer(Answer::Body(json!({"keys": [huge]}).to_string()));
    #[protected(issuer = "https://rsa-too-large.test/", audience = "api")]
    async fn too_large() {}
    let url = serve_handler(too_large).await;
    let reply = get_with_token(&url, &issuer.token().audience("api").sign()).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (503, "temporarily_unavailable"),
        "{reply:?}"
    );
    assert!(reply.retry_after.is_some());
}

// Before: `"kid": null` read as "no kid", so the only RSA key was picked and the token passed.
// Before: `"crit": null` read as "no crit". Both are header parameters of the wrong type.
#[tokio::test]
async fn null_kid_and_null_crit_are_malformed_not_absent() {
    let issuer = TestIssuer::start_as("https://null-header.test/").expect("issuer");
    #[protected(issuer = "https://null-header.test/", audience = "api")]
    async fn null_header() {}
    let url = serve_handler(null_header).await;
    let null_kid = issuer
        .token()
        .audience("api")
        .header("kid", Value::Null)
        .sign();
    assert_invalid_token(
        &get_with_token(&url, &null_kid).await,
        "token header `kid` is not a string",
    );
    let null_crit = issuer
        .token()
        .audience("api")
        .header("crit", Value::Null)
        .sign();
    assert_invalid_token(
        &get_with_token(&url, &null_crit).await,
        "unsupported critical header parameters",
    );
    let control = issuer.token().audience("api").sign();
    assert_eq!(get_with_token(&url, &control).await.status, 200);
}

// Before: an `aud` array holding a non-string passed on a handler without `#[claims]` (the
// check skipped non-strings) and failed on one with `Claims`. One reading now decides both.
#[tokio::test]
async fn a_malformed_aud_is_refused_alike_with_and_without_claims() {
    let issuer = TestIssuer::start_as("https://mixed-aud.test/").expect("issuer");
    #[protected(issuer = "https://mixed-aud.test/", audience = "api")]
    async fn without_claims() {}
    #[protected(issuer = "https://mixed-aud.test/", audience = "api")]
    async fn with_claims(#[claims] claims: Claims) -> String {
        claims.iss
    }
    let plain = serve_handler(without_claims).await;
    let typed = serve_handler(with_claims).await;
    let mixed = issuer.token().claim("aud", json!(["api", 5])).sign();
    for url in [&plain, &typed] {
        assert_invalid_token(&get_with_token(url, &mixed).await, "malformed `aud` claim");
    }
    let good = issuer.token().audiences(["api", "other"]).sign();
    for url in [&plain, &typed] {
        assert_eq!(get_with_token(url, &good).await.status, 200);
    }
}

// Before: an `exp` beyond i64 saturated to i64::MAX ("never expires"), and a `null` date read as
// absent. Both are NumericDates of the wrong type or range.
#[tokio::test]
async fn numeric_dates_out_of_range_or_null_are_malformed() {
    let issuer = TestIssuer::start_as("https://numeric-dates.test/").expect("issuer");
    #[protected(issuer = "https://numeric-dates.test/", audience = "api")]
    async fn dates() {}
    let url = serve_handler(dates).await;
    for exp in [
        json!(1e19),
        json!(9_223_372_036_854_775_808_u64),
        Value::Null,
    ] {
        let token = issuer
            .token()
            .audience("api")
            .claim("exp", exp.clone())
            .sign();
        assert_invalid_token(&get_with_token(&url, &token).await, "malformed `exp` claim");
    }
    let null_nbf = issuer
        .token()
        .audience("api")
        .claim("nbf", Value::Null)
        .sign();
    assert_invalid_token(
        &get_with_token(&url, &null_nbf).await,
        "malformed `nbf` claim",
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64();
    let fractional = issuer
        .token()
        .audience("api")
        .claim("exp", json!(now + 3600.5))
        .sign();
    assert_eq!(get_with_token(&url, &fractional).await.status, 200);
}

// Before: when two keys shared a `kid`, the first won and tokens signed by the second failed
// as "invalid signature".
#[tokio::test]
async fn a_token_verifies_with_the_second_of_two_keys_sharing_its_kid() {
    let issuer = TestIssuer::start_as("https://shared-kid.test/").expect("issuer");
    let old_kid = issuer.kid(Alg::RS256);
    issuer.rotate_keeping_old().expect("rotation");
    let new_kid = issuer.kid(Alg::RS256);
    let mut jwks = jwks_of(&issuer);
    let keys = keys_mut(&mut jwks);
    // The old RSA key, renamed to the new kid, first; the new key after it.
    keys.retain(|key| key["kty"] == "RSA");
    keys.sort_by_key(|key| key["kid"] != old_kid.as_str());
    for key in keys.iter_mut() {
        key["kid"] = json!(new_kid);
    }
    issuer.set_jwks_answer(Answer::Body(jwks.to_string()));
    #[protected(issuer = "https://shared-kid.test/", audience = "api")]
    async fn shared() {}
    let url = serve_handler(shared).await;
    let token = issuer.token().audience("api").sign();
    assert_eq!(get_with_token(&url, &token).await.status, 200);
    let foreign = issuer.token().audience("api").foreign_key().sign();
    assert_invalid_token(&get_with_token(&url, &foreign).await, "invalid signature");
}

// Before: aws-lc-rs accepts R = identity, S = 0 as a signature of any message under the
// identity point as public key (a "psychic signature" for Ed25519), and such a key was used.
#[tokio::test]
async fn a_small_order_ed25519_key_never_verifies_a_forged_signature() {
    let issuer = TestIssuer::start_as("https://small-order.test/").expect("issuer");
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut jwks = jwks_of(&issuer);
    keys_mut(&mut jwks).push(json!({"kty": "OKP", "crv": "Ed25519", "kid": "weak",
        "use": "sig", "alg": "EdDSA", "x": URL_SAFE_NO_PAD.encode(identity)}));
    issuer.set_jwks_answer(Answer::Body(jwks.to_string()));
    #[protected(issuer = "https://small-order.test/", audience = "api")]
    async fn small_order() {}
    let url = serve_handler(small_order).await;
    let exp = jwks_guard_now() + 3600;
    let payload =
        json!({"iss": "https://small-order.test/", "aud": "api", "sub": "mallory", "exp": exp});
    let mut signature = [0u8; 64];
    signature[..32].copy_from_slice(&identity);
    let forged = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"EdDSA","kid":"weak"}"#),
        b64(&payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    );
    assert_invalid_token(&get_with_token(&url, &forged).await, "unknown signing key");
    let control = issuer.token().audience("api").alg(Alg::EdDSA).sign();
    assert_eq!(get_with_token(&url, &control).await.status, 200);
}

fn jwks_guard_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}
