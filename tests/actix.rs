//! The README's response table on actix-web 4, over real HTTP: one actix-web server with four
//! workers (each a thread with its own single-threaded Tokio runtime) on 127.0.0.1, and
//! `TestIssuer`s impersonating the `https://actix-*.test/` issuers named below.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::collections::HashSet;
use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use actix_web::{get, post, web};
use jwks_guard::protected;
use jwks_guard_test::{Answer, TestIssuer};
use serde::Deserialize;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use common::Reply;

const AUDIENCE: &str = "actix-api";
const WORKERS: usize = 4;

/// Every request and every server start of this file is bounded by this.
const LIMIT: Duration = Duration::from_secs(20);

/// The healthy provider most tests use, shared by the whole binary like the key cache.
static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://actix-responses.test/").expect("test issuer"));

/// The server, started at the first use: its base URL.
static SERVER: LazyLock<String> = LazyLock::new(|| servers::actix(WORKERS, routes));

// ----- the handlers: `#[protected]` above the route attribute, or registered by hand -----

#[protected(issuer = "https://actix-responses.test/", audience = "actix-api")]
#[get("/whoami")]
async fn whoami(#[claims] claims: jwks_guard::Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// The other order: the route attribute expands first and keeps `#[protected]` on the function
/// it nests in its registration, where it expands in turn.
#[get("/below")]
#[protected(issuer = "https://actix-responses.test/", audience = "actix-api")]
async fn below_the_route_attribute(#[claims] claims: jwks_guard::Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://actix-responses.test/", audience = "actix-api", scopes = ["orders:read", "orders:list"])]
#[get("/orders")]
async fn orders() -> &'static str {
    "orders"
}

#[derive(Deserialize)]
struct User {
    sub: String,
    email: String,
}

/// Registered by hand: `web::resource("/profile").route(web::get().to(profile))`.
#[protected(issuer = "https://actix-responses.test/", audience = "actix-api")]
async fn profile(#[claims] user: User) -> String {
    format!("{} <{}>", user.sub, user.email)
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
}

#[protected(issuer = "https://actix-responses.test/", audience = "actix-api")]
#[post("/orders")]
async fn create_order(order: web::Json<NewOrder>) -> String {
    order.into_inner().item
}

/// The worker thread that answered.
#[protected(issuer = "https://actix-responses.test/", audience = "actix-api")]
#[get("/worker")]
async fn worker() -> String {
    format!("{:?}", std::thread::current().id())
}

#[protected(issuer = "https://actix-workers.test/", audience = "actix-api")]
#[get("/first-requests")]
async fn first_requests() -> String {
    format!("{:?}", std::thread::current().id())
}

/// Registered by hand, for a provider whose first fetch is slow.
#[protected(issuer = "https://actix-cold.test/", audience = "actix-api")]
async fn create_order_cold(order: web::Json<NewOrder>) -> String {
    order.into_inner().item
}

/// Registered by hand, for a provider whose refreshes are slow.
#[protected(issuer = "https://actix-refresh.test/", audience = "actix-api")]
async fn create_order_refresh(order: web::Json<NewOrder>) -> String {
    order.into_inner().item
}

#[protected(issuer = "https://actix-down.test/", audience = "actix-api")]
#[get("/down")]
async fn provider_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "actix-api")]
#[get("/misconfigured")]
async fn misconfigured() -> &'static str {
    "unreachable"
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(whoami)
        .service(below_the_route_attribute)
        .service(orders)
        .service(web::resource("/profile").route(web::get().to(profile)))
        .service(create_order)
        .service(web::resource("/cold").route(web::post().to(create_order_cold)))
        .service(web::resource("/refresh").route(web::post().to(create_order_refresh)))
        .service(worker)
        .service(first_requests)
        .service(provider_down)
        .service(misconfigured);
}

// ----- helpers -----

fn url(path: &str) -> String {
    LazyLock::force(&ISSUER);
    format!("{}{path}", *SERVER)
}

async fn bounded<T>(request: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, request)
        .await
        .expect("the server answers in time")
}

async fn get(path: &str, headers: &[(&str, &str)]) -> Reply {
    bounded(common::get(&url(path), headers)).await
}

async fn get_with_token(path: &str, token: &str) -> Reply {
    bounded(common::get_with_token(&url(path), token)).await
}

fn token() -> jwks_guard_test::TokenBuilder {
    ISSUER.token().audience(AUDIENCE)
}

/// Sends a request head and only the first bytes of its body over a raw connection, and
/// returns the response head (status line and headers), read without sending the rest.
async fn head_answered_before_the_body(path: &str, headers: &str, body_start: &str) -> String {
    let addr = url("").trim_start_matches("http://").to_owned();
    bounded(async move {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let request = format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}\r\n{body_start}");
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut head = Vec::new();
        let mut buffer = [0; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = stream.read(&mut buffer).await.expect("read");
            assert_ne!(read, 0, "connection closed before a response head");
            head.extend_from_slice(&buffer[..read]);
        }
        String::from_utf8_lossy(&head).into_owned()
    })
    .await
}

#[track_caller]
fn assert_json_body(reply: &Reply, error: &str) {
    assert_eq!(
        reply.content_type.as_deref(),
        Some("application/json"),
        "{reply:?}"
    );
    assert_eq!(reply.error(), error, "{reply:?}");
    assert!(
        !reply.description().is_empty(),
        "no error_description: {reply:?}"
    );
}

#[track_caller]
fn assert_invalid_token(reply: &Reply, description: &str) {
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(
            format!(r#"Bearer error="invalid_token", error_description="{description}""#).as_str()
        ),
    );
    assert_eq!(reply.retry_after, None);
    assert_json_body(reply, "invalid_token");
    assert_eq!(reply.description(), description);
}

// ----- 200 -----

#[tokio::test]
async fn valid_token_reaches_a_handler_below_the_route_attribute_with_its_claims() {
    let reply = get_with_token("/whoami", &token().subject("alice").sign()).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "alice"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn the_attribute_below_the_route_attribute_works_the_same() {
    let reply = get_with_token("/below", &token().subject("erin").sign()).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "erin"),
        "{reply:?}"
    );
    let reply = get("/below", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_json_body(&reply, "unauthorized");
}

#[tokio::test]
async fn a_custom_claims_type_receives_the_verified_claims() {
    let token = token()
        .subject("carol")
        .claim("email", "carol@example.com")
        .sign();
    let reply = get_with_token("/profile", &token).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "carol <carol@example.com>"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_handler_registered_by_hand_is_protected() {
    let reply = get("/profile", &[]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_json_body(&reply, "unauthorized");
}

// ----- 401 without error -----

#[tokio::test]
async fn no_authorization_header_is_401_with_exactly_bearer_and_a_json_body() {
    let reply = get("/whoami", &[]).await;
    assert_eq!(
        (
            reply.status,
            reply.www_authenticate.as_deref(),
            reply.retry_after.as_deref()
        ),
        (401, Some("Bearer"), None),
        "{reply:?}"
    );
    assert_json_body(&reply, "unauthorized");
}

#[tokio::test]
async fn another_scheme_is_401_with_exactly_bearer() {
    let reply = get("/whoami", &[("authorization", "Basic dXNlcjpwYXNz")]).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_json_body(&reply, "unauthorized");
}

// ----- 400 -----

#[tokio::test]
async fn malformed_bearer_credentials_are_400_invalid_request_with_a_description() {
    let good = format!("Bearer {}", token().sign());
    let cases: [&[(&str, &str)]; 5] = [
        &[("authorization", "Bearer ")],
        &[("authorization", "Bearer a,b")],
        &[("authorization", "Bearer\tabc")],
        &[("authorization", "Bearer =abc")],
        &[("authorization", &good), ("authorization", &good)],
    ];
    for headers in cases {
        let reply = get("/whoami", headers).await;
        assert_eq!(reply.status, 400, "{headers:?}: {reply:?}");
        let challenge = reply.www_authenticate.as_deref().unwrap_or_default();
        let expected = format!(
            r#"Bearer error="invalid_request", error_description="{}""#,
            reply.description()
        );
        assert_eq!(challenge, expected, "{headers:?}");
        assert_json_body(&reply, "invalid_request");
    }
}

// ----- 401 invalid_token -----

#[tokio::test]
async fn bad_signature_is_401_invalid_token() {
    let reply = get_with_token("/whoami", &token().foreign_key().sign()).await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test]
async fn a_token_that_is_not_a_jws_is_401_invalid_token() {
    let reply = get_with_token("/whoami", "not-a-jwt").await;
    assert_invalid_token(&reply, "not a JWS: expected three dot-separated parts");
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let reply = get_with_token("/whoami", &token().expired().sign()).await;
    assert_invalid_token(&reply, "token expired");
}

#[tokio::test]
async fn claims_that_do_not_fit_the_custom_type_are_401_invalid_token() {
    let reply = get_with_token("/profile", &token().subject("dave").sign()).await;
    assert_invalid_token(&reply, "token claims do not match the expected claims type");
}

// ----- 403 -----

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_naming_the_required_scopes() {
    let reply = get_with_token("/orders", &token().scopes(["orders:read"]).sign()).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:list""#)
    );
    assert_json_body(&reply, "insufficient_scope");
    assert_eq!(reply.description(), "missing scope orders:list");
    let reply = get_with_token(
        "/orders",
        &token().scopes(["orders:list", "orders:read"]).sign(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders"),
        "{reply:?}"
    );
}

// ----- the guard before the body -----

#[tokio::test]
async fn an_invalid_json_body_without_a_token_is_401_not_the_body_extractors_400() {
    let reply = bounded(common::post_json(&url("/orders"), &[], "{not json")).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer"))
    );
    assert_json_body(&reply, "unauthorized");
    let auth = format!("Bearer {}", token().sign());
    let headers = [("authorization", auth.as_str())];
    let reply = bounded(common::post_json(&url("/orders"), &headers, "{not json")).await;
    assert_eq!(
        reply.status, 400,
        "with a valid token the body is read: {reply:?}"
    );
    let reply = bounded(common::post_json(
        &url("/orders"),
        &headers,
        r#"{"item":"tea"}"#,
    ))
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "tea"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_request_without_a_token_is_answered_before_its_body_arrives() {
    let head = head_answered_before_the_body(
        "/orders",
        "Content-Type: application/json\r\nContent-Length: 1000\r\n",
        r#"{"item":"#,
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer\r\n"),
        "{head}"
    );
}

#[tokio::test]
async fn a_body_over_the_json_limit_without_a_token_is_401_not_413() {
    let head = head_answered_before_the_body(
        "/orders",
        "Content-Type: application/json\r\nContent-Length: 10000000\r\n",
        r#"{"item":"#,
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 401 "), "{head}");
}

// actix-web polls all of a handler's extractors together: while the guard waits for keys, the
// body extractor runs too, and only the guard's gate on the body keeps it from answering first.

#[tokio::test]
async fn a_bad_token_waiting_for_the_first_key_fetch_is_401_not_the_body_extractors_400() {
    let issuer = TestIssuer::start_as("https://actix-cold.test/").expect("test issuer");
    issuer.set_discovery_answer(Answer::Delay(Duration::from_millis(500)));
    let token = issuer.token().audience(AUDIENCE).foreign_key().sign();
    let auth = format!("Bearer {token}");
    let reply = bounded(common::post_json(
        &url("/cold"),
        &[("authorization", &auth)],
        "{not json",
    ))
    .await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test]
async fn an_unknown_key_waiting_for_a_key_refresh_is_401_not_the_body_extractors_400() {
    let issuer = TestIssuer::start_as("https://actix-refresh.test/").expect("test issuer");
    let good = format!("Bearer {}", issuer.token().audience(AUDIENCE).sign());
    let reply = bounded(common::post_json(
        &url("/refresh"),
        &[("authorization", &good)],
        r#"{"item":"tea"}"#,
    ))
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "tea"),
        "{reply:?}"
    );
    issuer.set_answer(Answer::Delay(Duration::from_millis(500)));
    let unknown = issuer.token().audience(AUDIENCE).kid("rotated-away").sign();
    let auth = format!("Bearer {unknown}");
    let reply = bounded(common::post_json(
        &url("/refresh"),
        &[("authorization", &auth)],
        "{not json",
    ))
    .await;
    assert_invalid_token(&reply, "unknown signing key");
    assert_eq!(
        issuer.jwks_requests(),
        2,
        "the unknown key caused one refresh"
    );
}

// ----- 503 -----

#[tokio::test]
async fn provider_down_is_503_with_retry_after_and_no_challenge() {
    let down = TestIssuer::start_as("https://actix-down.test/").expect("test issuer");
    down.set_answer(Answer::Status(500));
    let reply = get_with_token("/down", &down.token().audience(AUDIENCE).sign()).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (503, None),
        "{reply:?}"
    );
    let retry_after: u64 = reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=30).contains(&retry_after), "Retry-After {retry_after}");
    assert_json_body(&reply, "temporarily_unavailable");
}

// ----- 500 -----

#[tokio::test]
async fn missing_environment_variable_is_500_server_error_without_challenge() {
    let reply = get_with_token("/misconfigured", &token().sign()).await;
    assert_eq!(
        (
            reply.status,
            reply.www_authenticate.as_deref(),
            reply.retry_after.as_deref()
        ),
        (500, None, None),
        "{reply:?}"
    );
    assert_json_body(&reply, "server_error");
}

// ----- one key cache for every worker runtime -----

#[tokio::test]
async fn concurrent_first_requests_on_different_workers_share_one_key_fetch() {
    let issuer = TestIssuer::start_as("https://actix-workers.test/").expect("test issuer");
    // The first fetch takes a second: every request below arrives while it is in flight.
    let delay = Duration::from_secs(1);
    issuer.set_discovery_answer(Answer::Delay(delay));
    let token = issuer.token().audience(AUDIENCE).sign();
    let url = url("/first-requests");
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..4 * WORKERS {
        let (url, token) = (url.clone(), token.clone());
        requests.spawn(async move {
            let start = Instant::now();
            let reply = bounded(common::get_with_token(&url, &token)).await;
            (reply, start.elapsed())
        });
    }
    let mut workers = HashSet::new();
    while let Some(outcome) = requests.join_next().await {
        let (reply, elapsed) = outcome.expect("request task");
        assert_eq!(reply.status, 200, "{reply:?}");
        assert!(
            elapsed >= delay / 2,
            "answered in {elapsed:?}: not during the first fetch"
        );
        workers.insert(reply.text);
    }
    assert!(
        workers.len() >= 2,
        "all requests on one worker: {workers:?}"
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "one discovery and one JWKS fetch for {} workers",
        workers.len()
    );
}

#[tokio::test]
async fn every_worker_answers_with_the_keys_of_one_fetch() {
    // Each new connection goes to the next worker: a few rounds reach all of them.
    let token = token().sign();
    let mut workers = HashSet::new();
    for _ in 0..16 * WORKERS {
        let reply = get_with_token("/worker", &token).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        workers.insert(reply.text);
        if workers.len() == WORKERS {
            break;
        }
    }
    assert_eq!(workers.len(), WORKERS, "workers seen: {workers:?}");
    assert_eq!(
        (ISSUER.discovery_requests(), ISSUER.jwks_requests()),
        (1, 1)
    );
}
