//! JSON the signer meant one way and a lenient parser reads another: duplicate members, claims of
//! the wrong type or range, strings that almost match. Every token here is validly signed by the
//! issuer over exactly the text shown.

use jwks_guard_test::Alg;

use super::{ISS, ISSUER, app, call, claims_text, header_text, now, signed};

/// A token of [`ISSUER`] with the standard header and this payload text.
fn with_payload(payload: &str) -> String {
    signed(
        &ISSUER,
        Alg::RS256,
        &header_text("RS256", &ISSUER.kid(Alg::RS256)),
        payload,
    )
}

/// A token of [`ISSUER`] with this header text and a valid payload.
fn with_header(header: &str) -> String {
    signed(&ISSUER, Alg::RS256, header, &claims_text(ISS))
}

/// The payload `{"iss": ISS, "aud": "api", "sub": …, "iat": …, "exp": …}` with `members`
/// replacing the defaults they name (several may be given, in order, JSON text).
fn payload(members: &[(&str, String)]) -> String {
    let now = now();
    let mut fields: Vec<(String, String)> = vec![
        ("iss".into(), format!("\"{ISS}\"")),
        ("aud".into(), "\"api\"".into()),
        ("sub".into(), "\"user-1\"".into()),
        ("iat".into(), now.to_string()),
        ("exp".into(), (now + 3600).to_string()),
    ];
    for (name, _) in members {
        fields.retain(|(field, _)| field != name);
    }
    fields.extend(
        members
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone())),
    );
    let members: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("\"{name}\":{value}"))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Sends each `(case, payload text)` and expects 401 `invalid_token`; then the control.
async fn assert_refused(cases: &[(&str, String)]) {
    let url = app().await;
    for (case, payload) in cases {
        call(&url, &with_payload(payload))
            .await
            .assert_invalid_token(&format!("{case}: {payload}"));
    }
    call(&url, &with_payload(&payload(&[])))
        .await
        .assert_ok("the hand-made control token");
}

fn text(value: &str) -> String {
    format!("\"{value}\"")
}

/// Duplicate header members (RFC 7515 §4: names must be unique; RFC 8725 §3.1): a second
/// `kid`, and two `alg`s in either order, where one parser reads RS256 and another HS256 or
/// none.
#[tokio::test]
async fn duplicate_header_members_are_401() {
    let url = app().await;
    let kid = ISSUER.kid(Alg::RS256);
    let headers = [
        format!(r#"{{"alg":"RS256","kid":"{kid}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"HS256","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","alg":"HS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"none","alg":"RS256","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","alg":"RS256","kid":"{kid}"}}"#),
    ];
    for header in headers {
        call(&url, &with_header(&header))
            .await
            .assert_invalid_token(&header);
    }
    let control = format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#);
    call(&url, &with_header(&control))
        .await
        .assert_ok("the hand-made control token");
}

/// Duplicate claims (RFC 7519 §4: claim names must be unique; parsers disagree on which one
/// wins): two `sub`, two `exp` of which one has passed, two `aud` of which one is ours, each in
/// both orders.
#[tokio::test]
async fn duplicate_claims_are_401() {
    let now = now();
    let (past, future) = ((now - 3600).to_string(), (now + 3600).to_string());
    let twice = |name: &str, first: &str, second: &str| {
        payload(&[(name, first.to_owned()), (name, second.to_owned())])
    };
    assert_refused(&[
        ("two sub", twice("sub", &text("user-1"), &text("admin"))),
        ("two sub", twice("sub", &text("admin"), &text("user-1"))),
        ("two exp", twice("exp", &past, &future)),
        ("two exp", twice("exp", &future, &past)),
        ("two aud", twice("aud", &text("other"), &text("api"))),
        ("two aud", twice("aud", &text("api"), &text("other"))),
    ])
    .await;
}

/// `exp` must be a NumericDate (RFC 7519 §2, §4.1.4) within range: a string, `null`, beyond
/// i64 (an integer and a float), or before 1970 is refused rather than read as "far future" or
/// "absent".
#[tokio::test]
async fn exp_of_the_wrong_type_or_range_is_401() {
    let future = (now() + 3600).to_string();
    assert_refused(&[
        ("exp a string", payload(&[("exp", text(&future))])),
        ("exp null", payload(&[("exp", "null".into())])),
        (
            "exp 2^63",
            payload(&[("exp", "9223372036854775808".into())]),
        ),
        ("exp 1e19", payload(&[("exp", "1e19".into())])),
        ("exp negative", payload(&[("exp", "-1".into())])),
        ("exp true", payload(&[("exp", "true".into())])),
    ])
    .await;
}

/// `nbf` must be a NumericDate (RFC 7519 §4.1.5): a string or `null` is refused.
#[tokio::test]
async fn nbf_of_the_wrong_type_is_401() {
    let past = (now() - 3600).to_string();
    assert_refused(&[
        ("nbf a string", payload(&[("nbf", text(&past))])),
        ("nbf null", payload(&[("nbf", "null".into())])),
    ])
    .await;
}

/// `iat` must be a NumericDate (RFC 7519 §4.1.6): a string is refused.
#[tokio::test]
async fn iat_of_the_wrong_type_is_401() {
    let now = now().to_string();
    assert_refused(&[("iat a string", payload(&[("iat", text(&now))]))]).await;
}

/// NumericDates may be non-integer (RFC 7519 §2): `exp` an hour and a half-second ahead is a
/// valid expiry.
#[tokio::test]
async fn a_fractional_exp_in_the_future_is_accepted() {
    let url = app().await;
    let exp = format!("{}.5", now() + 3600);
    call(&url, &with_payload(&payload(&[("exp", exp)])))
        .await
        .assert_ok("exp now + 3600.5");
}

/// A non-integer `exp` past the leeway (60 s) is expired, not rounded into validity.
#[tokio::test]
async fn a_fractional_exp_past_the_leeway_is_401() {
    let exp = format!("{}.5", now() - 121);
    assert_refused(&[("exp now - 120.5", payload(&[("exp", exp)]))]).await;
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3; RFC 8725 §3.9): a number, an
/// object, or an array that holds our audience next to a non-string is refused.
#[tokio::test]
async fn aud_of_the_wrong_type_is_401() {
    assert_refused(&[
        ("aud a number", payload(&[("aud", "5".into())])),
        (
            "aud an object",
            payload(&[("aud", r#"{"api":true}"#.into())]),
        ),
        ("aud mixed", payload(&[("aud", r#"["api",5]"#.into())])),
    ])
    .await;
}

/// `iss` must equal the issuer exactly (RFC 7519 §4.1.1, OpenID Connect Core §3.1.3.7;
/// RFC 8725 §3.8): not an array holding it, not with a slash more or less, not in other case.
#[tokio::test]
async fn iss_that_is_not_exactly_the_issuer_is_401() {
    assert_refused(&[
        ("iss an array", payload(&[("iss", format!("[\"{ISS}\"]"))])),
        (
            "iss with an extra slash",
            payload(&[("iss", text(&format!("{ISS}/")))]),
        ),
        (
            "iss without its slash",
            payload(&[("iss", text(ISS.trim_end_matches('/')))]),
        ),
        (
            "iss in upper case",
            payload(&[("iss", text(&ISS.to_uppercase()))]),
        ),
        (
            "iss with a capital",
            payload(&[("iss", text(&ISS.replace("attacks", "Attacks")))]),
        ),
    ])
    .await;
}

/// `sub` is a string (RFC 7519 §4.1.2): a number is refused, even by a handler that does not
/// read it.
#[tokio::test]
async fn sub_of_the_wrong_type_is_401() {
    assert_refused(&[("sub a number", payload(&[("sub", "42".into())]))]).await;
}
