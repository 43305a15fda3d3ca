//! One token, one spelling (RFC 7515 §2: base64url without padding; RFC 6750 §2.1 b64token):
//! padding, the other base64 alphabet, whitespace, stray bytes and sheer size are refused,
//! and the server keeps serving.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE};
use jwks_guard_test::Alg;

use super::{
    ISS, ISSUER, app, bounded, call, call_with, claims_text, header_text, parts, token, unb64,
};
use crate::common;

/// Padding after the signature (RFC 7515 §2, §3.1: no `=`), the token otherwise valid.
#[tokio::test]
async fn padding_at_the_end_of_the_signature_is_401() {
    let url = app().await;
    let valid = token().sign();
    let [header, payload, signature] = parts(&valid);
    let padded = URL_SAFE.encode(unb64(signature));
    assert!(padded.ends_with('='), "a 256-byte signature needs padding");
    call(&url, &format!("{header}.{payload}.{padded}"))
        .await
        .assert_invalid_token("a padded signature");
    call(&url, &valid).await.assert_ok("the control token");
}

/// Padding inside the token (`header=.payload.signature`): the b64token grammar allows `=` only
/// at the end, so this is 400 `invalid_request` or, at worst, 401 `invalid_token`.
#[tokio::test]
async fn padding_inside_the_token_is_4xx() {
    let url = app().await;
    let valid = token().sign();
    let [header, payload, signature] = parts(&valid);
    for (case, hostile) in [
        ("header=", format!("{header}=.{payload}.{signature}")),
        ("payload==", format!("{header}.{payload}==.{signature}")),
    ] {
        let reply = call(&url, &hostile).await;
        match reply.status {
            400 => reply.assert_invalid_request(case),
            _ => reply.assert_invalid_token(case),
        }
    }
    call(&url, &valid).await.assert_ok("the control token");
}

/// The standard base64 alphabet (`+`, `/`) where base64url is required (RFC 7515 §2; RFC 8725
/// §2.6: one token must not have two spellings): in the signature of a valid token, and in a
/// header and payload that the issuer really signed in that alphabet.
#[tokio::test]
async fn standard_base64_in_a_segment_is_401() {
    let url = app().await;
    // A signature whose base64url has `-` or `_` (a few tries at most).
    let valid = (0..64)
        .map(|n| token().claim("jti", format!("jti-{n}")).sign())
        .find(|t| parts(t)[2].contains(['-', '_']))
        .expect("a signature with - or _");
    let [header, payload, signature] = parts(&valid);
    let standard_signature = signature.replace('-', "+").replace('_', "/");
    call(&url, &format!("{header}.{payload}.{standard_signature}"))
        .await
        .assert_invalid_token("+/ in the signature");

    // `???` and `>>>` encode to `Pz8/` and `Pj4+`: a claim holding them puts `/` or `+` in the
    // standard encoding of the payload, however it is aligned.
    let claims = claims_text(ISS).replace("\"sub\"", "\"note\":\"???>>>???>>>???>>>\",\"sub\"");
    let header = header_text("RS256", &ISSUER.kid(Alg::RS256));
    let input = format!(
        "{}.{}",
        STANDARD_NO_PAD.encode(&header),
        STANDARD_NO_PAD.encode(&claims)
    );
    assert!(input.contains(['+', '/']), "{input}");
    let signature = ISSUER.sign_input(Alg::RS256, &input).expect("signature");
    call(&url, &format!("{input}.{signature}"))
        .await
        .assert_invalid_token("a payload signed in standard base64");
    call(&url, &valid).await.assert_ok("the control token");
}

/// Whitespace inside the token (RFC 6750 §2.1: b64token has none): 400 `invalid_request`.
#[tokio::test]
async fn whitespace_inside_the_token_is_400() {
    let url = app().await;
    let valid = token().sign();
    let [header, payload, signature] = parts(&valid);
    for (case, hostile) in [
        (
            "a space in the payload",
            format!("{header}.{} {}.{signature}", &payload[..10], &payload[10..]),
        ),
        (
            "a space after a dot",
            format!("{header}. {payload}.{signature}"),
        ),
        (
            "a tab in the signature",
            format!(
                "{header}.{payload}.{}\t{}",
                &signature[..10],
                &signature[10..]
            ),
        ),
    ] {
        call_with(&url, &[("authorization", &format!("Bearer {hostile}"))])
            .await
            .assert_invalid_request(case);
    }
    call(&url, &valid).await.assert_ok("the control token");
}

/// Bytes outside ASCII in the `Authorization` value (RFC 6750 §2.1; RFC 9110 §5.5 obs-text):
/// 400 `invalid_request`, not a decoding error and not a 500.
#[tokio::test]
async fn non_ascii_bytes_in_the_authorization_header_are_400() {
    let url = app().await;
    let valid = token().sign();
    let [header, payload, signature] = parts(&valid);
    for (case, middle) in [
        ("Latin-1 é", &b"\xe9"[..]),
        ("UTF-8 é", b"\xc3\xa9"),
        ("a lone 0xff", b"\xff"),
    ] {
        let value = [
            b"Bearer ".as_slice(),
            header.as_bytes(),
            b".",
            middle,
            payload.as_bytes(),
            b".",
            signature.as_bytes(),
        ]
        .concat();
        bounded(
            "request",
            common::get_bytes(&url, &[("authorization", &value)]),
        )
        .await
        .assert_invalid_request(case);
    }
    call(&url, &valid).await.assert_ok("the control token");
}

/// A trailing dot makes four segments: neither a JWS (three) nor a JWE (five), 401.
#[tokio::test]
async fn a_trailing_dot_is_401() {
    let url = app().await;
    let valid = token().sign();
    call(&url, &format!("{valid}."))
        .await
        .assert_invalid_token("a trailing dot");
    call(&url, &valid).await.assert_ok("the control token");
}

/// A newline inside the token cannot cross HTTP/1 (RFC 9110 §5.5), so the bearer parser is
/// asked directly: 400 `invalid_request`.
#[test]
fn a_newline_inside_the_token_is_400() {
    for value in [
        &b"Bearer a.b\nc.d"[..],
        b"Bearer a.b\r\nc.d",
        b"Bearer a.b\0c.d",
    ] {
        let rejection = jwks_guard::bearer::bearer_token([value]).expect_err("refused");
        assert_eq!(
            (rejection.status(), rejection.kind().error_code()),
            (400, "invalid_request"),
            "{value:?}"
        );
    }
}

/// A megabyte token (a denial-of-service attempt on the decoder): the bearer parser refuses it
/// as too large (401 `invalid_token`) before any decoding; over HTTP the server answers a 4xx
/// (hyper may answer 431 before the handler runs) and keeps serving.
#[tokio::test]
async fn a_megabyte_token_is_refused_and_the_server_keeps_serving() {
    let huge = format!("Bearer {}", "a".repeat(1024 * 1024));
    let rejection = jwks_guard::bearer::bearer_token([huge.as_bytes()]).expect_err("refused");
    assert_eq!(
        (rejection.status(), rejection.kind().error_code()),
        (401, "invalid_token")
    );
    assert!(!rejection.description().is_empty());

    let url = app().await;
    let reply = call_with(&url, &[("authorization", &huge)]).await;
    assert!(
        (400..500).contains(&reply.status),
        "a megabyte token: {}",
        reply.status
    );
    if reply.status == 401 {
        reply.assert_invalid_token("a megabyte token");
    }
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// An `Authorization` value of 10,000 spaces carries no credentials: 401 with exactly
/// `WWW-Authenticate: Bearer`.
#[tokio::test]
async fn an_authorization_header_of_spaces_is_401_without_error() {
    let url = app().await;
    let spaces = " ".repeat(10_000);
    call_with(&url, &[("authorization", &spaces)])
        .await
        .assert_missing_credentials("10,000 spaces");
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}

/// `Bearer` followed by 10,000 spaces is an empty token: 400 `invalid_request`.
#[tokio::test]
async fn bearer_followed_by_spaces_is_400() {
    let url = app().await;
    let value = format!("Bearer{}", " ".repeat(10_000));
    call_with(&url, &[("authorization", &value)])
        .await
        .assert_invalid_request("Bearer and 10,000 spaces");
    call(&url, &token().sign())
        .await
        .assert_ok("the control token");
}
