//! `kid` is an opaque string looked up among the fetched keys, nothing more.

use jwks_guard_test::Alg;
use serde_json::{Value, json};

use super::keys::hmac_token;
use super::{app, call, claims_text, header_text, token};

/// Injection through `kid` (RFC 8725 §2.9, §3.10): path traversal to an empty file (whose
/// contents would key an HMAC with nothing), SQL, a 10 KB string, the empty string. Each is
/// sent signed by the issuer's real RSA key and as HS256 keyed with the empty secret.
#[tokio::test]
async fn hostile_kid_strings_are_401() {
    let url = app().await;
    let long = "k".repeat(10 * 1024);
    let kids = [
        ("path traversal", "../../../../dev/null"),
        ("SQL", "' OR '1'='1"),
        ("10 KB", long.as_str()),
        ("empty", ""),
    ];
    let claims = claims_text(super::ISS);
    for (name, kid) in kids {
        call(&url, &token().kid(kid).sign())
            .await
            .assert_invalid_token(&format!("{name} kid, RS256"));
        let hmac = hmac_token("HS256", b"", &header_text("HS256", kid), &claims);
        call(&url, &hmac)
            .await
            .assert_invalid_token(&format!("{name} kid, HS256 with an empty key"));
    }
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// `kid` of another JSON type (RFC 7515 §4.1.4: a string), `null` included: neither "no kid"
/// (which would pick the only key that fits) nor a reason to refetch the keys.
#[tokio::test]
async fn non_string_kids_are_401_without_another_key_fetch() {
    let (issuer, url) = dedicated!("https://attack-kid-types.test/");
    let valid = issuer.token().audience("api");
    call(&url, &valid.sign())
        .await
        .assert_ok("the control token");
    let fetches = issuer.requests();
    let kids: [Value; 6] = [
        json!(5),
        json!(true),
        json!({}),
        json!([]),
        json!([issuer.kid(Alg::RS256)]),
        Value::Null,
    ];
    for kid in kids {
        let hostile = valid.clone().header("kid", kid.clone()).sign();
        call(&url, &hostile)
            .await
            .assert_invalid_token(&format!("kid {kid}"));
    }
    assert_eq!(
        issuer.requests(),
        fetches,
        "a kid of the wrong type made a key fetch"
    );
}

/// Key/algorithm confusion through `kid` (RFC 8725 §3.1: each key is used with exactly one
/// algorithm): an ES256 token naming the issuer's RSA key.
#[tokio::test]
async fn an_rsa_kid_on_an_es256_token_is_401_without_another_key_fetch() {
    let (issuer, url) = dedicated!("https://attack-kid-alg.test/");
    let valid = issuer.token().audience("api");
    call(&url, &valid.sign())
        .await
        .assert_ok("the control token");
    let fetches = issuer.requests();
    let confused = valid
        .clone()
        .alg(Alg::ES256)
        .kid(issuer.kid(Alg::RS256))
        .sign();
    call(&url, &confused)
        .await
        .assert_invalid_token("ES256 with the RSA kid");
    assert_eq!(
        issuer.requests(),
        fetches,
        "a kid of the wrong key type made a key fetch"
    );
}
