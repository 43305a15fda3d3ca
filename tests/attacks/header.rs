//! The JOSE header of a plain signed JWT: anything that would change how it is read (encryption,
//! nesting, critical extensions, an unencoded payload) is refused, however well it is signed.

use jwks_guard_test::Alg;
use serde_json::{Value, json};

use super::{b64, call, signed};

/// A JWS header carrying `enc` (RFC 7516 §9: `enc` marks a JWE; RFC 8725 §2.3, the
/// JWS/JWE confusion of CVE-2023-51774), otherwise valid and validly signed.
#[tokio::test]
async fn a_signed_token_whose_header_carries_enc_is_401() {
    let (issuer, url) = dedicated!("https://attack-header-enc.test/");
    let token = issuer
        .token()
        .audience("api")
        .header("enc", "A256GCM")
        .sign();
    call(&url, &token)
        .await
        .assert_invalid_token("enc in a JWS header");
    assert_eq!(
        issuer.requests(),
        0,
        "a header alone decides, no key needed"
    );
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}

/// A JWE in compact form (five segments, RFC 7516 §7.1; RFC 8725 §2.3): never decrypted, never
/// taken for a JWS.
#[tokio::test]
async fn a_five_segment_jwe_is_401() {
    let (issuer, url) = dedicated!("https://attack-header-jwe.test/");
    let header = b64(r#"{"alg":"RSA-OAEP-256","enc":"A256GCM"}"#);
    let jwe = format!(
        "{header}.{}.{}.{}.{}",
        b64([7u8; 256]),
        b64([1u8; 12]),
        b64(super::claims_text(issuer.issuer())),
        b64([2u8; 16])
    );
    call(&url, &jwe).await.assert_invalid_token("a compact JWE");
    assert_eq!(issuer.requests(), 0, "a JWE made a key fetch");
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}

/// A nested JWT (RFC 7519 §5.2 `cty: "JWT"`, §7.2 step 8; RFC 8725 §2.3): validly signed, its
/// payload another valid JWT. An access token is one signed JWT; a nested one is refused, not
/// unwrapped.
#[tokio::test]
async fn a_nested_jwt_is_401() {
    let url = super::app().await;
    let issuer = &*super::ISSUER;
    let inner = super::token().sign();
    let header = json!({"alg": "RS256", "typ": "JWT", "cty": "JWT", "kid": issuer.kid(Alg::RS256)});
    let nested = signed(issuer, Alg::RS256, &header.to_string(), &inner);
    call(&url, &nested)
        .await
        .assert_invalid_token("a nested JWT");
    call(&url, &inner).await.assert_ok("the inner token alone");
}

/// `crit` (RFC 7515 §4.1.11): a critical extension this library does not implement, or a
/// registered name (which must not be listed), or a `crit` that is not a list, makes the token
/// invalid. Each is valid and validly signed otherwise.
#[tokio::test]
async fn critical_header_parameters_are_401() {
    let (issuer, url) = dedicated!("https://attack-header-crit.test/");
    let token = || issuer.token().audience("api");
    let cases = [
        (
            "crit [exp]",
            token().header("crit", json!(["exp"])).header("exp", 1),
        ),
        (
            "crit [x-unknown]",
            token()
                .header("crit", json!(["x-unknown"]))
                .header("x-unknown", true),
        ),
        ("crit null", token().header("crit", Value::Null)),
        ("crit \"x-unknown\"", token().header("crit", "x-unknown")),
    ];
    for (case, builder) in cases {
        call(&url, &builder.sign()).await.assert_invalid_token(case);
    }
    assert_eq!(
        issuer.requests(),
        0,
        "a header alone decides, no key needed"
    );
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}

/// An unencoded payload (RFC 7797 `b64: false`, which §6 requires to be listed in `crit`):
/// refused whether declared critical or not, so a payload is never read two ways. The tokens
/// are signed over the ordinary base64url input, so a verifier ignoring `b64` would accept them.
#[tokio::test]
async fn an_unencoded_payload_header_is_401() {
    let (issuer, url) = dedicated!("https://attack-header-b64.test/");
    let declared = issuer
        .token()
        .audience("api")
        .header("b64", false)
        .header("crit", json!(["b64"]))
        .sign();
    call(&url, &declared)
        .await
        .assert_invalid_token("b64 false, crit [b64]");
    let undeclared = issuer.token().audience("api").header("b64", false).sign();
    call(&url, &undeclared)
        .await
        .assert_invalid_token("b64 false without crit");
    assert_eq!(
        issuer.requests(),
        0,
        "a header alone decides, no key needed"
    );
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}
