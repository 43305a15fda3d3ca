//! Where a bearer token may come from (RFC 6750 §2.1, the `Authorization` request header field,
//! `Bearer 1*SP b64token`) and nowhere else.

use super::{app, call, call_with, token};

/// Two `Authorization` headers (RFC 9110 §11.6.2 allows one credential; a proxy and the app
/// might each read a different one): 400 `invalid_request`, even when both are valid.
#[tokio::test]
async fn two_authorization_headers_are_400() {
    let url = app().await;
    let (first, second) = (token().sign(), token().subject("user-2").sign());
    call_with(
        &url,
        &[
            ("authorization", &format!("Bearer {first}")),
            ("authorization", &format!("Bearer {second}")),
        ],
    )
    .await
    .assert_invalid_request("two Authorization headers");
    call(&url, &first).await.assert_ok("the control token");
}

/// RFC 6750 §2.1 separates the scheme and the token by `1*SP`: two spaces are fine.
#[tokio::test]
async fn two_spaces_after_the_scheme_are_accepted() {
    let url = app().await;
    let value = format!("Bearer  {}", token().sign());
    call_with(&url, &[("authorization", &value)])
        .await
        .assert_ok("Bearer and two spaces");
}

/// A tab is not `SP` (RFC 6750 §2.1, RFC 9110 §11.4): `Bearer<TAB>token` is malformed, 400.
#[tokio::test]
async fn a_tab_after_the_scheme_is_400() {
    let url = app().await;
    let value = format!("Bearer\t{}", token().sign());
    call_with(&url, &[("authorization", &value)])
        .await
        .assert_invalid_request("Bearer and a tab");
}

/// A token in the query string (RFC 6750 §2.3, which RFC 9700 §2.4.2 / OAuth 2.1 drop: URLs end
/// up in logs and Referer headers) is not a credential: 401 with exactly `Bearer`.
#[tokio::test]
async fn a_token_in_the_query_string_is_not_a_credential() {
    let url = app().await;
    let valid = token().sign();
    call_with(&format!("{url}?access_token={valid}"), &[])
        .await
        .assert_missing_credentials("access_token in the query");
    call(&url, &valid).await.assert_ok("the control token");
}

/// A token in another header (`X-Authorization`, `Proxy-Authorization`, which is meant for the
/// proxy, RFC 9110 §11.7.2) is not a credential: 401 with exactly `Bearer`.
#[tokio::test]
async fn a_token_in_another_header_is_not_a_credential() {
    let url = app().await;
    let value = format!("Bearer {}", token().sign());
    for header in ["x-authorization", "proxy-authorization"] {
        call_with(&url, &[(header, &value)])
            .await
            .assert_missing_credentials(header);
    }
    call_with(&url, &[("authorization", &value)])
        .await
        .assert_ok("the control token");
}

/// Auth scheme names are case-insensitive (RFC 9110 §11.1): `bEaReR` is Bearer.
#[tokio::test]
async fn the_scheme_name_is_case_insensitive() {
    let url = app().await;
    let value = format!("bEaReR {}", token().sign());
    call_with(&url, &[("authorization", &value)])
        .await
        .assert_ok("bEaReR");
}
