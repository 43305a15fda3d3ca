//! Every row of the README's response table, over real HTTP: a `TestIssuer` impersonating the
//! issuers named below and an axum app with `#[protected]` handlers.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::LazyLock;

use axum::routing::{get, post};
use axum::{Json, Router};
use jwks_guard::{Claims, protected};
use jwks_guard_test::{Alg, Answer, TestIssuer};
use serde::Deserialize;
use serde_json::json;

use common::{Reply, get as get_with_headers, get_with_token, post_json, serve};

const AUDIENCE: &str = "responses-api";

/// The healthy provider most tests use, shared by the whole binary like the key cache.
static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://responses.test/").expect("test issuer"));

#[protected(issuer = "https://responses.test/", audience = "responses-api")]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://responses.test/", audience = "responses-api", scopes = ["orders:read", "orders:list"])]
async fn orders() -> &'static str {
    "orders"
}

#[protected(
    issuer = "https://responses.test/",
    audience = "responses-api",
    claims(tenant = "acme")
)]
async fn tenant_only() -> &'static str {
    "tenant"
}

#[protected(
    issuer = "https://responses.test/",
    audience = "responses-api",
    typ = "at+jwt"
)]
async fn access_tokens_only() -> &'static str {
    "typed"
}

#[derive(Deserialize)]
struct Profile {
    email: String,
}

#[protected(issuer = "https://responses.test/", audience = "responses-api")]
async fn profile(#[claims] profile: Profile) -> String {
    profile.email
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
}

#[protected(issuer = "https://responses.test/", audience = "responses-api")]
async fn create_order(Json(order): Json<NewOrder>) -> String {
    order.item
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "responses-api")]
async fn misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "responses-api")]
async fn empty_env() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://down.test/", audience = "responses-api")]
async fn provider_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://garbage.test/", audience = "responses-api")]
async fn provider_garbage() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://liar.test/", audience = "responses-api")]
async fn provider_names_other_issuer() -> &'static str {
    "unreachable"
}

async fn app() -> String {
    LazyLock::force(&ISSUER);
    serve(
        Router::new()
            .route("/whoami", get(whoami))
            .route("/orders", get(orders))
            .route("/tenant", get(tenant_only))
            .route("/typed", get(access_tokens_only))
            .route("/profile", get(profile))
            .route("/orders", post(create_order))
            .route("/misconfigured", get(misconfigured))
            .route("/empty-env", get(empty_env))
            .route("/down", get(provider_down))
            .route("/garbage", get(provider_garbage))
            .route("/liar", get(provider_names_other_issuer)),
    )
    .await
}

fn token() -> jwks_guard_test::TokenBuilder {
    ISSUER.token().audience(AUDIENCE)
}

fn assert_invalid_token(reply: &Reply, description: &str) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            format!(r#"Bearer error="invalid_token", error_description="{description}""#).as_str()
        ),
    );
    assert_eq!(reply.error(), "invalid_token");
    assert_eq!(reply.description(), description);
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
}

fn assert_invalid_request(reply: &Reply) {
    assert_eq!(reply.status, 400, "{reply:?}");
    let challenge = reply.www_authenticate.as_deref().unwrap_or_default();
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_request", error_description=""#),
        "{challenge}"
    );
    assert_eq!(reply.error(), "invalid_request");
}

fn assert_unavailable(reply: &Reply) {
    assert_eq!(reply.status, 503, "{reply:?}");
    assert_eq!(reply.www_authenticate, None);
    let retry_after: u64 = reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=30).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(reply.error(), "temporarily_unavailable");
}

// ----- 200 -----

#[tokio::test]
async fn valid_token_reaches_the_handler_with_its_claims() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().subject("alice").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));
}

#[tokio::test]
async fn scheme_name_is_case_insensitive() {
    let base = app().await;
    let header = format!("bEaReR {}", token().subject("bob").sign());
    let reply = get_with_headers(&format!("{base}/whoami"), &[("authorization", &header)]).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "bob"));
}

// ----- 401 without error -----

#[tokio::test]
async fn no_authorization_header_is_401_with_a_bare_bearer_challenge() {
    let base = app().await;
    let reply = get_with_headers(&format!("{base}/whoami"), &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
}

#[tokio::test]
async fn another_scheme_is_401_with_a_bare_bearer_challenge() {
    let base = app().await;
    let reply = get_with_headers(
        &format!("{base}/whoami"),
        &[("authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
}

// ----- 400 -----

#[tokio::test]
async fn empty_bearer_token_is_400_invalid_request() {
    let base = app().await;
    assert_invalid_request(
        &get_with_headers(&format!("{base}/whoami"), &[("authorization", "Bearer ")]).await,
    );
    assert_invalid_request(
        &get_with_headers(&format!("{base}/whoami"), &[("authorization", "Bearer")]).await,
    );
}

#[tokio::test]
async fn token_with_characters_outside_b64token_is_400_invalid_request() {
    let base = app().await;
    for header in ["Bearer a,b", "Bearer a b", "Bearer a\"b", "Bearer =abc"] {
        assert_invalid_request(
            &get_with_headers(&format!("{base}/whoami"), &[("authorization", header)]).await,
        );
    }
}

#[tokio::test]
async fn several_authorization_headers_are_400_invalid_request() {
    let base = app().await;
    let good = format!("Bearer {}", token().sign());
    let reply = get_with_headers(
        &format!("{base}/whoami"),
        &[("authorization", &good), ("authorization", &good)],
    )
    .await;
    assert_invalid_request(&reply);
}

// ----- 401 invalid_token -----

#[tokio::test]
async fn a_token_that_is_not_a_jws_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), "not-a-jwt").await;
    assert_invalid_token(&reply, "not a JWS: expected three dot-separated parts");
}

#[tokio::test]
async fn bad_signature_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().foreign_key().sign()).await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test]
async fn tampered_payload_is_401_invalid_token() {
    let base = app().await;
    let good = token().subject("alice").sign();
    let other = token().subject("mallory").sign();
    let mut parts: Vec<&str> = good.split('.').collect();
    parts[1] = other.split('.').nth(1).expect("payload");
    let reply = get_with_token(&format!("{base}/whoami"), &parts.join(".")).await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test]
async fn unknown_key_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(
        &format!("{base}/whoami"),
        &token().kid("no-such-key").sign(),
    )
    .await;
    assert_invalid_token(&reply, "unknown signing key");
}

#[tokio::test]
async fn algorithm_not_allowed_is_401_invalid_token() {
    let base = app().await;
    let hs256 = token().header("alg", "HS256").sign();
    assert_invalid_token(
        &get_with_token(&format!("{base}/whoami"), &hs256).await,
        "algorithm not allowed",
    );
    let none = token().header("alg", "none").sign();
    assert_invalid_token(
        &get_with_token(&format!("{base}/whoami"), &none).await,
        "unsigned tokens are not accepted",
    );
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().expired().sign()).await;
    assert_invalid_token(&reply, "token expired");
}

#[tokio::test]
async fn not_yet_valid_token_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().not_yet_valid().sign()).await;
    assert_invalid_token(&reply, "token not yet valid");
}

#[tokio::test]
async fn missing_or_wrong_registered_claims_are_401_invalid_token() {
    let base = app().await;
    let url = format!("{base}/whoami");
    let cases = [
        (token().without_claim("exp"), "token has no exp claim"),
        (token().without_claim("iss"), "token has no iss claim"),
        (token().issuer("https://elsewhere.test/"), "issuer mismatch"),
        (ISSUER.token(), "token has no aud claim"),
        (ISSUER.token().audience("another-api"), "audience mismatch"),
        (token().claim("exp", "tomorrow"), "malformed `exp` claim"),
    ];
    for (builder, description) in cases {
        assert_invalid_token(&get_with_token(&url, &builder.sign()).await, description);
    }
}

#[tokio::test]
async fn wrong_typ_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/typed"), &token().typ("JWT").sign()).await;
    assert_invalid_token(&reply, "token type mismatch");
    let reply = get_with_token(
        &format!("{base}/typed"),
        &token().typ("application/at+jwt").sign(),
    )
    .await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn claims_that_do_not_fit_the_handler_type_are_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/profile"), &token().sign()).await;
    assert_invalid_token(&reply, "token claims do not match the expected claims type");
    let reply = get_with_token(
        &format!("{base}/profile"),
        &token().claim("email", "a@example.com").sign(),
    )
    .await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "a@example.com"));
}

#[tokio::test]
async fn descriptions_never_echo_the_token() {
    let base = app().await;
    let token = token().expired().claim("secret", "s3cr3t-value").sign();
    let reply = get_with_token(&format!("{base}/whoami"), &token).await;
    let everything = format!(
        "{} {}",
        reply.text,
        reply.www_authenticate.unwrap_or_default()
    );
    for part in token.split('.') {
        assert!(!everything.contains(part), "response echoes the token");
    }
    assert!(!everything.contains("s3cr3t-value"));
}

// ----- 403 -----

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_naming_the_required_scopes() {
    let base = app().await;
    let reply = get_with_token(
        &format!("{base}/orders"),
        &token().scopes(["orders:read"]).sign(),
    )
    .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:list""#)
    );
    assert_eq!(
        (reply.error().as_str(), reply.description().as_str()),
        ("insufficient_scope", "missing scope orders:list")
    );
    let reply = get_with_token(
        &format!("{base}/orders"),
        &token().scopes(["orders:list", "orders:read"]).sign(),
    )
    .await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "orders"));
}

#[tokio::test]
async fn missing_required_claim_is_403_insufficient_scope() {
    let base = app().await;
    let url = format!("{base}/tenant");
    let reply = get_with_token(&url, &token().sign()).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (403, "insufficient_scope"),
        "{reply:?}"
    );
    assert_eq!(reply.description(), "missing claim tenant");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="""#)
    );
    let reply = get_with_token(&url, &token().claim("tenant", "globex").sign()).await;
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (403, "claim tenant does not have the required value")
    );
    let reply = get_with_token(&url, &token().claim("tenant", "acme").sign()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
}

#[tokio::test]
async fn the_guard_runs_before_the_body_is_read() {
    let base = app().await;
    let reply = post_json(&format!("{base}/orders"), &[], "{not json").await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    let auth = format!("Bearer {}", token().sign());
    let reply = post_json(
        &format!("{base}/orders"),
        &[("authorization", &auth)],
        r#"{"item":"tea"}"#,
    )
    .await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "tea"));
}

// ----- 503 -----

#[tokio::test]
async fn provider_unreachable_is_503_with_retry_after() {
    let down = TestIssuer::start_as("https://down.test/").expect("test issuer");
    down.set_answer(Answer::Status(500));
    let base = app().await;
    let token = down.token().audience(AUDIENCE).sign();
    let reply = get_with_token(&format!("{base}/down"), &token).await;
    assert_unavailable(&reply);
    // The first retry waits the default initial backoff of one second, spread by ±10 % and
    // rounded up to whole seconds.
    assert!(
        matches!(reply.retry_after.as_deref(), Some("1" | "2")),
        "{reply:?}"
    );
}

#[tokio::test]
async fn provider_answering_garbage_is_503() {
    let garbage = TestIssuer::start_as("https://garbage.test/").expect("test issuer");
    garbage.set_jwks_answer(Answer::Garbage);
    let base = app().await;
    let token = garbage.token().audience(AUDIENCE).alg(Alg::ES256).sign();
    assert_unavailable(&get_with_token(&format!("{base}/garbage"), &token).await);
}

#[tokio::test]
async fn discovery_document_naming_another_issuer_is_503() {
    let liar = TestIssuer::start_as("https://liar.test/").expect("test issuer");
    let document =
        json!({"issuer": "https://evil.test/", "jwks_uri": format!("{}jwks", liar.issuer())});
    liar.set_discovery_answer(Answer::Body(document.to_string()));
    let base = app().await;
    let token = liar.token().audience(AUDIENCE).sign();
    assert_unavailable(&get_with_token(&format!("{base}/liar"), &token).await);
    assert_eq!(
        liar.jwks_requests(),
        0,
        "keys must not be fetched from an unverified document"
    );
}

// ----- 500 -----

#[tokio::test]
async fn missing_or_empty_environment_variable_is_500_without_challenge() {
    let base = app().await;
    for path in ["misconfigured", "empty-env"] {
        let reply = get_with_token(&format!("{base}/{path}"), &token().sign()).await;
        assert_eq!(
            (reply.status, reply.www_authenticate.as_deref()),
            (500, None),
            "{reply:?}"
        );
        assert_eq!(reply.error(), "server_error");
    }
}
