//! A token never says where its key comes from: `jku`, `x5u`, `jwk` and `x5c` are ignored, and
//! the attacker's server never hears from us.

use jwks_guard_test::{Alg, TestIssuer, TokenBuilder};
use serde_json::{Value, json};

use super::keys::{ATTACKER_CERTIFICATE, attacker_certificate_key, es256};
use super::{ISSUER, app, b64, call, claims_text, published_jwk, token};

/// A server of the attacker's, holding the key it signs with.
fn attacker() -> TestIssuer {
    TestIssuer::start().expect("attacker issuer")
}

/// Tokens the attacker signs for [`ISSUER`]'s handler, under its own kid, under the real
/// issuer's kid, and without kid.
fn forged(
    attacker: &TestIssuer,
    dress: impl Fn(TokenBuilder) -> TokenBuilder,
) -> Vec<(String, String)> {
    let base = || dress(attacker.token().issuer(ISSUER.issuer()).audience("api"));
    vec![
        ("the attacker's kid".to_owned(), base().sign()),
        (
            "the issuer's kid".to_owned(),
            base().kid(ISSUER.kid(Alg::RS256)).sign(),
        ),
        ("no kid".to_owned(), base().no_kid().sign()),
    ]
}

async fn assert_refused(url: &str, attack: &str, tokens: Vec<(String, String)>) {
    for (kid, token) in tokens {
        call(url, &token)
            .await
            .assert_invalid_token(&format!("{attack}, {kid}"));
    }
}

/// `jku` (RFC 8725 §3.10, RFC 7515 §4.1.2): the header points at the attacker's JWKS.
#[tokio::test]
async fn a_jku_header_never_supplies_a_key_nor_triggers_a_fetch() {
    let url = app().await;
    let attacker = attacker();
    let tokens = forged(&attacker, |t| t.header("jku", attacker.jwks_url()));
    assert_refused(&url, "jku", tokens).await;
    assert_eq!(attacker.requests(), 0, "jku made the library fetch");
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// `x5u` (RFC 8725 §3.10, RFC 7515 §4.1.5): the header points at a URL the attacker serves.
#[tokio::test]
async fn an_x5u_header_never_supplies_a_key_nor_triggers_a_fetch() {
    let url = app().await;
    let attacker = attacker();
    let tokens = forged(&attacker, |t| t.header("x5u", attacker.jwks_url()));
    assert_refused(&url, "x5u", tokens).await;
    assert_eq!(attacker.requests(), 0, "x5u made the library fetch");
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// Embedded `jwk` (CVE-2018-0114, node-jose; RFC 7515 §4.1.3): the token carries the public
/// key that verifies it.
#[tokio::test]
async fn an_embedded_jwk_never_supplies_a_key() {
    let url = app().await;
    let attacker = attacker();
    let jwk = published_jwk(&attacker, &attacker.kid(Alg::RS256));
    let tokens = forged(&attacker, |t| t.header("jwk", jwk.clone()));
    assert_refused(&url, "embedded jwk", tokens).await;
    assert_eq!(attacker.requests(), 0, "an embedded jwk made a fetch");
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// `x5c` (RFC 8725 §3.10, RFC 7515 §4.1.6): the token carries a self-signed certificate of
/// the key that signed it.
#[tokio::test]
async fn an_x5c_certificate_never_supplies_a_key() {
    let url = app().await;
    let key = attacker_certificate_key();
    let header = |kid: Option<String>| {
        let mut header = json!({"alg": "ES256", "typ": "JWT", "x5c": [ATTACKER_CERTIFICATE]});
        if let Some(kid) = kid {
            header["kid"] = Value::String(kid);
        }
        header.to_string()
    };
    let claims = claims_text(ISSUER.issuer());
    let cases = [
        ("the attacker's kid", header(Some("attacker-x5c".into()))),
        ("the issuer's kid", header(Some(ISSUER.kid(Alg::ES256)))),
        ("no kid", header(None)),
    ];
    for (kid, header) in cases {
        let input = format!("{}.{}", b64(&header), b64(&claims));
        let forged = format!("{input}.{}", es256(&key, &input));
        call(&url, &forged)
            .await
            .assert_invalid_token(&format!("x5c, {kid}"));
    }
    call(&url, &token().alg(Alg::ES256).sign())
        .await
        .assert_ok("the control token");
}
