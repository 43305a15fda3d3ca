//! The README's response table on Poem 3, over real HTTP: `#[protected]` above `#[handler]`,
//! handlers registered with `Route::new().at(path, get(handler))`, a real `poem::Server` on a
//! free port of 127.0.0.1 on the test's multi-thread runtime, and `TestIssuer`s impersonating
//! the `https://poem-….test/` issuers named below. Every request is bounded by a timeout.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use jwks_guard::{Claims, protected};
use jwks_guard_test::{Answer, TestIssuer};
use poem::web::Json;
use poem::{Route, get, handler};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::task::JoinSet;

use common::Reply;

const AUDIENCE: &str = "poem-api";

/// How long any request of this binary may take.
const LIMIT: Duration = Duration::from_secs(10);

/// The healthy provider most tests use, shared by the whole binary like the key cache.
static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://poem-responses.test/").expect("test issuer"));

#[protected(issuer = "https://poem-responses.test/", audience = "poem-api")]
#[handler]
async fn whoami(#[claims] claims: jwks_guard::Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://poem-responses.test/", audience = "poem-api", scopes = ["orders:read", "orders:list"])]
#[handler]
async fn list_orders() -> &'static str {
    "orders"
}

#[derive(Deserialize)]
struct User {
    sub: String,
    email: String,
}

#[protected(issuer = "https://poem-responses.test/", audience = "poem-api")]
#[handler]
async fn profile(#[claims] user: User) -> String {
    format!("{} <{}>", user.sub, user.email)
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
}

#[protected(issuer = "https://poem-responses.test/", audience = "poem-api")]
#[handler]
async fn create_order(#[claims] claims: Claims, Json(order): Json<NewOrder>) -> String {
    format!("{} for {}", order.item, claims.sub.unwrap_or_default())
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "poem-api")]
#[handler]
async fn misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://poem-down.test/", audience = "poem-api")]
#[handler]
async fn provider_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://poem-concurrent.test/", audience = "poem-api")]
#[handler]
async fn first_requests(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// The app of the response-table tests.
async fn app() -> String {
    LazyLock::force(&ISSUER);
    servers::poem(
        Route::new()
            .at("/whoami", get(whoami))
            .at("/orders", get(list_orders).post(create_order))
            .at("/profile", get(profile))
            .at("/misconfigured", get(misconfigured))
            .at("/down", get(provider_down)),
    )
    .await
}

fn token() -> jwks_guard_test::TokenBuilder {
    ISSUER.token().audience(AUDIENCE)
}

/// `future`, or a panic naming `what` once [`LIMIT`] has passed.
async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

/// GET `url` with the given headers.
async fn get_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    bounded(url, common::get(url, headers)).await
}

/// GET `url` with `Authorization: Bearer <token>`.
async fn get_with_token(url: &str, token: &str) -> Reply {
    bounded(url, common::get_with_token(url, token)).await
}

/// POST `body` as JSON to `url` with the given headers.
async fn post_json(url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    bounded(url, common::post_json(url, headers, body)).await
}

/// POSTs to `base` + `path` a JSON body announced as 1 GB of which only `{"item":` is ever
/// sent; the answer, or `None` when none came within `wait`.
async fn post_unfinished_body(
    base: &str,
    path: &str,
    authorization: Option<&str>,
    wait: Duration,
) -> Option<Reply> {
    let host = base.trim_start_matches("http://");
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000000000\r\n"
    );
    if let Some(value) = authorization {
        head.push_str(&format!("Authorization: {value}\r\n"));
    }
    head.push_str("\r\n{\"item\":");
    let mut stream = bounded(host, tokio::net::TcpStream::connect(host))
        .await
        .expect("connect to the app");
    bounded(host, stream.write_all(head.as_bytes()))
        .await
        .expect("send the request head");
    tokio::time::timeout(wait, read_response(&mut stream))
        .await
        .ok()
}

/// Reads one HTTP/1.1 response with a `Content-Length` body.
async fn read_response(stream: &mut tokio::net::TcpStream) -> Reply {
    let mut received = Vec::new();
    let mut buffer = [0; 4096];
    let (head, mut body) = loop {
        let read = stream.read(&mut buffer).await.expect("read the response");
        assert!(read > 0, "connection closed mid-response: {received:?}");
        received.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            break (head.to_owned(), body.as_bytes().to_vec());
        }
    };
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .expect("Content-Length");
    while body.len() < length {
        let read = stream.read(&mut buffer).await.expect("read the body");
        assert!(read > 0, "connection closed mid-body");
        body.extend_from_slice(&buffer[..read]);
    }
    Reply {
        status,
        www_authenticate: header("www-authenticate"),
        retry_after: header("retry-after"),
        content_type: header("content-type"),
        text: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// The whole answer: status, exact challenge, `Content-Type: application/json` and the body.
#[track_caller]
fn assert_answer(
    reply: &Reply,
    status: u16,
    challenge: Option<&str>,
    error: &str,
    description: &str,
) {
    assert_eq!(
        (
            reply.status,
            reply.www_authenticate.as_deref(),
            reply.content_type.as_deref(),
            reply.error().as_str(),
            reply.description().as_str(),
        ),
        (
            status,
            challenge,
            Some("application/json"),
            error,
            description
        ),
        "{reply:?}"
    );
}

#[track_caller]
fn assert_invalid_token(reply: &Reply, description: &str) {
    let challenge = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
    assert_answer(reply, 401, Some(&challenge), "invalid_token", description);
}

#[track_caller]
fn assert_invalid_request(reply: &Reply) {
    let challenge = format!(
        r#"Bearer error="invalid_request", error_description="{}""#,
        reply.description()
    );
    assert!(!reply.description().is_empty(), "{reply:?}");
    assert_answer(
        reply,
        400,
        Some(&challenge),
        "invalid_request",
        &reply.description(),
    );
}

#[track_caller]
fn assert_missing_credentials(reply: &Reply) {
    assert_answer(
        reply,
        401,
        Some("Bearer"),
        "unauthorized",
        &reply.description(),
    );
}

// ----- 200 -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protected_above_handler_serves_a_valid_token_through_route_at_and_get() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().subject("alice").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_bind_to_a_custom_deserialize_type() {
    let base = app().await;
    let token = token()
        .subject("carol")
        .claim("email", "carol@example.com")
        .sign();
    let reply = get_with_token(&format!("{base}/profile"), &token).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "carol <carol@example.com>")
    );
}

// ----- 401 without error -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_authorization_header_is_401_with_exactly_a_bare_bearer_challenge() {
    let base = app().await;
    let reply = get_with(&format!("{base}/whoami"), &[]).await;
    assert_missing_credentials(&reply);
    assert_eq!(reply.description(), "bearer token required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_scheme_is_401_with_a_bare_bearer_challenge() {
    let base = app().await;
    let reply = get_with(
        &format!("{base}/whoami"),
        &[("authorization", "Basic dXNlcjpwYXNz")],
    )
    .await;
    assert_missing_credentials(&reply);
}

// ----- 400 -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bearer_credentials_are_400_invalid_request() {
    let base = app().await;
    let url = format!("{base}/whoami");
    for header in ["Bearer ", "Bearer a,b", "Bearer\tabc", "Bearer =abc"] {
        assert_invalid_request(&get_with(&url, &[("authorization", header)]).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_authorization_headers_are_400_invalid_request() {
    let base = app().await;
    let good = format!("Bearer {}", token().sign());
    let reply = get_with(
        &format!("{base}/whoami"),
        &[("authorization", &good), ("authorization", &good)],
    )
    .await;
    assert_invalid_request(&reply);
}

// ----- 401 invalid_token -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_is_not_a_jws_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), "not-a-jwt").await;
    assert_invalid_token(&reply, "not a JWS: expected three dot-separated parts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signature_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().foreign_key().sign()).await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/whoami"), &token().expired().sign()).await;
    assert_invalid_token(&reply, "token expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_audience_is_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(
        &format!("{base}/whoami"),
        &ISSUER.token().audience("another-api").sign(),
    )
    .await;
    assert_invalid_token(&reply, "audience mismatch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_that_do_not_fit_the_custom_type_are_401_invalid_token() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/profile"), &token().subject("dan").sign()).await;
    assert_invalid_token(&reply, "token claims do not match the expected claims type");
}

// ----- 403 -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_scope_is_403_insufficient_scope_naming_the_required_scopes() {
    let base = app().await;
    let url = format!("{base}/orders");
    let reply = get_with_token(&url, &token().scopes(["orders:read"]).sign()).await;
    assert_answer(
        &reply,
        403,
        Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:list""#),
        "insufficient_scope",
        "missing scope orders:list",
    );
    let reply = get_with_token(&url, &token().scopes(["orders:list", "orders:read"]).sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "orders"));
}

// ----- the guard before the body -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_json_body_without_a_token_is_401_not_the_body_extractors_400() {
    let base = app().await;
    let url = format!("{base}/orders");
    assert_missing_credentials(&post_json(&url, &[], "{not json").await);
    // With a token, the body extractor does run: Poem's own 400 for the body, then a 200.
    let auth = format!("Bearer {}", token().subject("erin").sign());
    let reply = post_json(&url, &[("authorization", &auth)], "{not json").await;
    assert_eq!(reply.status, 400, "{reply:?}");
    assert_eq!(reply.www_authenticate, None);
    let reply = post_json(&url, &[("authorization", &auth)], r#"{"item":"tea"}"#).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "tea for erin"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_body_that_never_arrives_is_answered_401_without_being_read() {
    let base = app().await;
    let reply = post_unfinished_body(&base, "/orders", None, LIMIT)
        .await
        .expect("an answer without the body");
    assert_missing_credentials(&reply);
    // The same request with a valid token reaches the body extractor, which waits for the body.
    let auth = format!("Bearer {}", token().sign());
    let waiting =
        post_unfinished_body(&base, "/orders", Some(&auth), Duration::from_millis(500)).await;
    assert!(waiting.is_none(), "answered without the body: {waiting:?}");
}

// ----- 503 -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_down_is_503_with_retry_after_and_no_challenge() {
    let down = TestIssuer::start_as("https://poem-down.test/").expect("test issuer");
    down.set_answer(Answer::Status(500));
    let base = app().await;
    let reply = get_with_token(
        &format!("{base}/down"),
        &down.token().audience(AUDIENCE).sign(),
    )
    .await;
    assert_answer(
        &reply,
        503,
        None,
        "temporarily_unavailable",
        "signing keys are temporarily unavailable",
    );
    let retry_after: u64 = reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=30).contains(&retry_after), "Retry-After {retry_after}");
}

// ----- 500 -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_environment_variable_is_500_without_challenge() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/misconfigured"), &token().sign()).await;
    assert_answer(
        &reply,
        500,
        None,
        "server_error",
        "authentication is misconfigured",
    );
    assert_eq!(reply.retry_after, None);
}

// ----- the runtime -----

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_on_a_multi_thread_runtime_share_one_key_fetch() {
    let issuer = TestIssuer::start_as("https://poem-concurrent.test/").expect("test issuer");
    // Slow enough that every request arrives while the first fetch is in flight.
    issuer.set_discovery_answer(Answer::Delay(Duration::from_millis(500)));
    let base = servers::poem(Route::new().at("/x", get(first_requests))).await;
    let mut requests = JoinSet::new();
    for n in 0..16 {
        let url = format!("{base}/x");
        let token = issuer
            .token()
            .audience(AUDIENCE)
            .subject(format!("user-{n}"))
            .sign();
        requests.spawn(async move { (n, get_with_token(&url, &token).await) });
    }
    while let Some(joined) = requests.join_next().await {
        let (n, reply) = joined.expect("request task");
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, format!("user-{n}").as_str())
        );
    }
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "one discovery and one JWKS request for all first requests"
    );
}
