//! Hostile tokens and key sets: every one gets a 4xx or a 503 with a reason, never a 500, a
//! panic or a hang, and no token ever chooses where keys come from.

use crate::common;

use std::sync::LazyLock;

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::protected;
use jwks_guard_test::{Alg, Answer, TestIssuer, TokenBuilder};
use serde_json::{Value, json};

use common::{Reply, get as get_with_headers, get_with_token, serve, serve_handler, status_of};

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://hostile.test/").expect("test issuer"));

#[protected(issuer = "https://hostile.test/", audience = "api")]
async fn handler() -> &'static str {
    "ok"
}

async fn app() -> String {
    LazyLock::force(&ISSUER);
    serve_handler(handler).await
}

fn token() -> TokenBuilder {
    ISSUER.token().audience("api")
}

fn assert_invalid_token(reply: &Reply, description: &str) {
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (401, "invalid_token"),
        "{reply:?}"
    );
    assert_eq!(reply.description(), description);
}

#[tokio::test]
async fn header_key_sources_never_supply_a_key_or_trigger_a_fetch() {
    let url = app().await;
    let attacker = TestIssuer::start().expect("attacker issuer");
    let attacker_jwks: Value = serde_json::from_str(&attacker.jwks()).expect("attacker JWKS");
    let attacker_jwk = attacker_jwks["keys"][0].clone();
    let attacker_kid = attacker_jwk["kid"].as_str().expect("kid").to_owned();
    // Signed by the attacker's key, pointing at it every way JOSE allows.
    let forged = attacker
        .token()
        .issuer(ISSUER.issuer())
        .audience("api")
        .kid(attacker_kid)
        .header("jku", attacker.jwks_url())
        .header("x5u", attacker.jwks_url())
        .header("jwk", attacker_jwk)
        .header(
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        )
        .sign();
    assert_invalid_token(&get_with_token(&url, &forged).await, "unknown signing key");
    assert_eq!(
        attacker.requests(),
        0,
        "a token header made the library fetch from the attacker"
    );
}

#[tokio::test]
async fn a_kid_of_one_key_type_cannot_carry_another_algorithm() {
    let url = app().await;
    // ES256 signature, but naming the RSA key: the key's algorithm decides.
    let confused = token().alg(Alg::ES256).kid(ISSUER.kid(Alg::RS256)).sign();
    assert_invalid_token(
        &get_with_token(&url, &confused).await,
        "algorithm not allowed for this key",
    );
}

#[tokio::test]
async fn a_token_without_kid_is_accepted_when_exactly_one_key_fits() {
    let url = app().await;
    for alg in [Alg::RS256, Alg::ES256, Alg::EdDSA] {
        let reply = get_with_token(&url, &token().alg(alg).no_kid().sign()).await;
        assert_eq!(reply.status, 200, "{alg:?}: {reply:?}");
    }
}

#[tokio::test]
async fn a_token_without_kid_is_refused_when_several_keys_fit() {
    let issuer = TestIssuer::start_as("https://two-keys.test/").expect("issuer");
    issuer.rotate_keeping_old().expect("rotation");
    #[protected(issuer = "https://two-keys.test/", audience = "api")]
    async fn two_keys() {}
    let url = serve_handler(two_keys).await;
    let reply = get_with_token(&url, &issuer.token().audience("api").no_kid().sign()).await;
    assert_invalid_token(&reply, "token has no kid and several keys match");
    let with_kid = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &with_kid).await, 200);
}

#[tokio::test]
async fn keys_not_meant_for_signatures_are_skipped() {
    let issuer = TestIssuer::start_as("https://enc-keys.test/").expect("issuer");
    let mut jwks: Value = serde_json::from_str(&issuer.jwks()).expect("JWKS");
    let rsa_kid = issuer.kid(Alg::RS256);
    for key in jwks["keys"].as_array_mut().expect("keys") {
        if key["kid"] == rsa_kid.as_str() {
            key["use"] = json!("enc");
        }
    }
    issuer.set_jwks_answer(Answer::Body(jwks.to_string()));
    #[protected(issuer = "https://enc-keys.test/", audience = "api")]
    async fn enc_keys() {}
    let url = serve_handler(enc_keys).await;
    let rsa = issuer.token().audience("api").alg(Alg::RS256).sign();
    assert_invalid_token(&get_with_token(&url, &rsa).await, "unknown signing key");
    let ec = issuer.token().audience("api").alg(Alg::ES256).sign();
    assert_eq!(status_of(&url, &ec).await, 200);
}

#[tokio::test]
async fn critical_headers_and_encrypted_tokens_are_refused() {
    let url = app().await;
    let crit = token()
        .header("crit", json!(["exp"]))
        .header("exp", 1)
        .sign();
    assert_invalid_token(
        &get_with_token(&url, &crit).await,
        "unsupported critical header parameters",
    );
    assert_invalid_token(
        &get_with_token(&url, "a.b.c.d.e").await,
        "encrypted tokens (JWE) are not accepted",
    );
}

#[tokio::test]
async fn malformed_tokens_are_4xx_never_500() {
    let url = app().await;
    let b64 = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let good = token().sign();
    let parts: Vec<&str> = good.split('.').collect();
    let long_kid = "k".repeat(5000);
    let hostile = vec![
        ".".to_owned(),
        "..".to_owned(),
        "a.b.c".to_owned(),
        format!("{}.{}.{}", b64("not json"), parts[1], parts[2]),
        format!("{}.{}.{}", b64("[]"), parts[1], parts[2]),
        format!("{}.{}.{}", b64(r#"{"alg":7}"#), parts[1], parts[2]),
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256","kid":5}"#),
            parts[1],
            parts[2]
        ),
        format!(
            "{}.{}.{}",
            b64(&format!(r#"{{"alg":"RS256","kid":"{long_kid}"}}"#)),
            parts[1],
            parts[2]
        ),
        format!("{}.{}.{}", parts[0], parts[1], "!!!!"),
        format!(
            "{}.{}.{}",
            parts[0],
            parts[1],
            &parts[2][..parts[2].len() / 2]
        ),
        format!("{}.{}.{}", parts[0], b64("[1,2]"), parts[2]),
        format!("{}.{}.", parts[0], parts[1]),
        format!("{}=.{}.{}", parts[0], parts[1], parts[2]),
        "a".repeat(20_000),
    ];
    for token in hostile {
        let reply = get_with_headers(&url, &[("authorization", &format!("Bearer {token}"))]).await;
        assert!(
            matches!(reply.status, 400 | 401),
            "{} → {reply:?}",
            &token[..token.len().min(60)]
        );
        assert!(!reply.description().is_empty());
    }
    assert_eq!(status_of(&url, &good).await, 200, "the server still serves");
}

macro_rules! hostile_key_set_handler {
    ($name:ident, $issuer:literal) => {
        #[protected(issuer = $issuer, audience = "api")]
        async fn $name() {}
    };
}

#[tokio::test]
async fn hostile_key_sets_are_503_never_500() {
    hostile_key_set_handler!(not_an_object, "https://jwks-array.test/");
    hostile_key_set_handler!(keys_not_a_list, "https://jwks-keys-string.test/");
    hostile_key_set_handler!(no_usable_key, "https://jwks-unusable.test/");
    hostile_key_set_handler!(oversized, "https://jwks-oversized.test/");
    let huge_key = json!({"kty": "RSA", "kid": "k", "n": "A".repeat(600 * 1024), "e": "AQAB"});
    let cases = [
        ("https://jwks-array.test/", "/array", "[]".to_owned()),
        ("https://jwks-keys-string.test/", "/keys-string", r#"{"keys":"none"}"#.to_owned()),
        (
            "https://jwks-unusable.test/",
            "/unusable",
            json!({"keys": [{"kty": "RSA", "n": "!!!", "e": "AQAB"}, {"kty": "oct", "k": "c2VjcmV0"}]}).to_string(),
        ),
        ("https://jwks-oversized.test/", "/oversized", json!({"keys": [huge_key]}).to_string()),
    ];
    let base = serve(
        Router::new()
            .route("/array", get(not_an_object))
            .route("/keys-string", get(keys_not_a_list))
            .route("/unusable", get(no_usable_key))
            .route("/oversized", get(oversized)),
    )
    .await;
    let mut issuers = Vec::new();
    for (issuer_name, path, body) in cases {
        let issuer = TestIssuer::start_as(issuer_name).expect("issuer");
        issuer.set_jwks_answer(Answer::Body(body));
        let reply = get_with_token(
            &format!("{base}{path}"),
            &issuer.token().audience("api").sign(),
        )
        .await;
        assert_eq!(
            (reply.status, reply.www_authenticate.as_deref()),
            (503, None),
            "{path}: {reply:?}"
        );
        assert!(reply.retry_after.is_some(), "{path}");
        issuers.push(issuer);
    }
}
