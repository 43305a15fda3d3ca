//! The README's responses on Rocket 0.5, over real HTTP: `#[protected]` above `#[get]`/`#[post]`
//! and `Authenticated` (bare, in `Option`, in `Result`) with the policy in managed state, the
//! `Guard` fairing attached, a real Rocket server on 127.0.0.1 (its own multi-threaded runtime,
//! four workers) and `TestIssuer`s impersonating the `rocket-*.test` issuers below.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jwks_guard::{Authenticated, Claims, Policy, Rejection, protected};
use jwks_guard_test::{Answer, TestIssuer};
use rocket::data::{Data, FromData, Outcome as DataOutcome, ToByteUnit};
use rocket::http::Status;
use rocket::response::status;
use rocket::{Build, Request, Rocket, catch, catchers, get, post, routes};
use serde::Deserialize;
use tokio::task::JoinSet;

use common::{Reply, get as get_with_headers, get_bytes, get_with_token, post_json};

const AUDIENCE: &str = "rocket-api";

/// The healthy provider most tests use, shared by the whole binary like the key cache.
static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://rocket-responses.test/").expect("test issuer"));

/// The app with the `Guard` fairing, as the module documentation says to build it.
static APP: LazyLock<String> =
    LazyLock::new(|| servers::rocket(app().attach(jwks_guard::integrations::rocket::Guard)));

/// The same app without the fairing.
static APP_WITHOUT_FAIRING: LazyLock<String> = LazyLock::new(|| servers::rocket(app()));

// ----- the handlers -----

#[protected(issuer = "https://rocket-responses.test/", audience = "rocket-api")]
#[get("/whoami")]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[derive(Deserialize)]
struct User {
    email: String,
}

#[protected(issuer = "https://rocket-responses.test/", audience = "rocket-api")]
#[get("/profile")]
async fn profile(#[claims] user: User) -> String {
    user.email
}

#[protected(issuer = "https://rocket-responses.test/", audience = "rocket-api", scopes = ["orders:read", "orders:list"])]
#[get("/orders")]
async fn list_orders() -> &'static str {
    "orders"
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
}

#[protected(issuer = "https://rocket-responses.test/", audience = "rocket-api")]
#[post("/orders", data = "<order>")]
async fn create_order(order: JsonBody<NewOrder>) -> String {
    order.0.item
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "rocket-api")]
#[get("/misconfigured")]
async fn misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://rocket-down.test/", audience = "rocket-api")]
#[get("/down")]
async fn provider_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://rocket-coalesce.test/", audience = "rocket-api")]
#[get("/coalesce")]
async fn coalesce() -> &'static str {
    "shared"
}

#[get("/health")]
fn health() -> &'static str {
    "ok"
}

/// The policy in managed state, for the `Authenticated` handlers below.
fn policy() -> Policy {
    Policy::builder()
        .issuer("https://rocket-responses.test/")
        .audience(AUDIENCE)
        .build()
        .expect("a valid policy")
}

#[get("/authenticated")]
async fn authenticated(auth: Authenticated<Claims>) -> String {
    auth.0.sub.unwrap_or_default()
}

/// The subject, or `anonymous` when the guard gave `None`.
#[get("/optional")]
async fn optional(auth: Option<Authenticated<Claims>>) -> String {
    match auth {
        Some(Authenticated(claims)) => claims.sub.unwrap_or_default(),
        None => "anonymous".to_owned(),
    }
}

/// A 404 of the handler's own when the guard gave `None`.
#[get("/optional/profile")]
async fn optional_or_404(
    auth: Option<Authenticated<Claims>>,
) -> Result<String, status::NotFound<&'static str>> {
    auth.map(|Authenticated(claims)| claims.sub.unwrap_or_default())
        .ok_or(status::NotFound("no profile without a token"))
}

/// A 401 of the handler's own when the guard gave `None`.
#[get("/optional/sign-in")]
async fn optional_or_401(
    auth: Option<Authenticated<Claims>>,
) -> Result<String, status::Custom<&'static str>> {
    auth.map(|Authenticated(claims)| claims.sub.unwrap_or_default())
        .ok_or(status::Custom(Status::Unauthorized, "sign in first"))
}

/// The refusal handed to the handler, which answers 200 with its status.
#[get("/result")]
async fn result(auth: Result<Authenticated<Claims>, Rejection>) -> String {
    match auth {
        Ok(Authenticated(claims)) => claims.sub.unwrap_or_default(),
        Err(rejection) => format!("refused with {}", rejection.status()),
    }
}

/// The application's own 401 catcher, for the routes mounted under `/caught`.
#[catch(401)]
fn caught() -> &'static str {
    "the application's catcher"
}

/// How many request bodies the data guard below has started to read.
static BODIES_READ: AtomicUsize = AtomicUsize::new(0);

/// A JSON data guard answering as Rocket's `Json<T>` does (413 over its limit, 400 for bad
/// syntax, 422 for the wrong shape), which needs Rocket's `json` feature; this one counts
/// the bodies it reads.
struct JsonBody<T>(T);

#[rocket::async_trait]
impl<'r, T: serde::de::DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = String;

    async fn from_data(_: &'r Request<'_>, data: Data<'r>) -> DataOutcome<'r, Self> {
        BODIES_READ.fetch_add(1, Ordering::SeqCst);
        let body = match data.open(16.kibibytes()).into_string().await {
            Ok(body) if body.is_complete() => body.into_inner(),
            Ok(_) => return DataOutcome::Error((Status::PayloadTooLarge, "too large".into())),
            Err(error) => return DataOutcome::Error((Status::BadRequest, error.to_string())),
        };
        match serde_json::from_str(&body) {
            Ok(value) => DataOutcome::Success(JsonBody(value)),
            Err(error) if error.is_data() => {
                DataOutcome::Error((Status::UnprocessableEntity, error.to_string()))
            }
            Err(error) => DataOutcome::Error((Status::BadRequest, error.to_string())),
        }
    }
}

// ----- the server -----

fn app() -> Rocket<Build> {
    LazyLock::force(&ISSUER);
    let config = servers::rocket_config();
    rocket::custom(config)
        .manage(policy())
        .mount(
            "/",
            routes![
                whoami,
                profile,
                list_orders,
                create_order,
                misconfigured,
                provider_down,
                coalesce,
                health,
                authenticated,
                optional,
                optional_or_404,
                optional_or_401,
                result
            ],
        )
        .mount("/caught", routes![whoami, authenticated])
        .register("/caught", catchers![caught])
}

/// `request`, or a failed test after ten seconds.
async fn bounded<T>(request: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), request)
        .await
        .expect("an answer within 10 s")
}

fn token() -> jwks_guard_test::TokenBuilder {
    ISSUER.token().audience(AUDIENCE)
}

/// The JSON body `{"error": error, "error_description": …}` with `Content-Type:
/// application/json`.
#[track_caller]
fn assert_json_error(reply: &Reply, error: &str) {
    assert_eq!(
        reply.content_type.as_deref(),
        Some("application/json"),
        "{reply:?}"
    );
    assert_eq!(reply.error(), error, "{reply:?}");
    assert!(!reply.description().is_empty(), "{reply:?}");
    let members = reply.json().as_object().map(|o| o.len());
    assert_eq!(members, Some(2), "{reply:?}");
}

#[track_caller]
fn assert_invalid_token(reply: &Reply, description: &str) {
    assert_eq!(reply.status, 401, "{reply:?}");
    let challenge = format!(r#"Bearer error="invalid_token", error_description="{description}""#);
    assert_eq!(reply.www_authenticate.as_deref(), Some(challenge.as_str()));
    assert_eq!(reply.retry_after, None);
    assert_json_error(reply, "invalid_token");
    assert_eq!(reply.description(), description);
}

#[track_caller]
fn assert_invalid_request(reply: &Reply, description: &str) {
    assert_eq!(reply.status, 400, "{reply:?}");
    let challenge = format!(r#"Bearer error="invalid_request", error_description="{description}""#);
    assert_eq!(reply.www_authenticate.as_deref(), Some(challenge.as_str()));
    assert_json_error(reply, "invalid_request");
    assert_eq!(reply.description(), description);
}

#[track_caller]
fn assert_missing_credentials(reply: &Reply) {
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (401, Some("Bearer")),
        "{reply:?}"
    );
    assert_json_error(reply, "unauthorized");
}

// ----- 200 -----

#[tokio::test]
async fn valid_token_reaches_the_handler_with_its_claims() {
    let url = format!("{}/whoami", *APP);
    let reply = bounded(get_with_token(&url, &token().subject("alice").sign())).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "alice"),
        "{reply:?}"
    );
    assert_eq!(reply.www_authenticate, None);
}

#[tokio::test]
async fn a_custom_claims_type_receives_the_verified_claims() {
    let url = format!("{}/profile", *APP);
    let token = token().claim("email", "alice@example.com").sign();
    let reply = bounded(get_with_token(&url, &token)).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "alice@example.com"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn claims_that_do_not_fit_the_custom_type_are_401_invalid_token() {
    let url = format!("{}/profile", *APP);
    let reply = bounded(get_with_token(&url, &token().sign())).await;
    assert_invalid_token(&reply, "token claims do not match the expected claims type");
}

#[tokio::test]
async fn public_routes_and_rocket_404s_are_left_alone() {
    let reply = bounded(get_with_headers(&format!("{}/health", *APP), &[])).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "ok"));
    assert_eq!(reply.www_authenticate, None);
    let reply = bounded(get_with_headers(&format!("{}/nowhere", *APP), &[])).await;
    assert_eq!((reply.status, reply.www_authenticate), (404, None));
}

// ----- 401 without error -----

#[tokio::test]
async fn no_authorization_header_is_401_with_exactly_a_bare_bearer_challenge() {
    let reply = bounded(get_with_headers(&format!("{}/whoami", *APP), &[])).await;
    assert_missing_credentials(&reply);
    assert_eq!(reply.description(), "bearer token required");
}

#[tokio::test]
async fn another_scheme_is_401_with_exactly_a_bare_bearer_challenge() {
    let url = format!("{}/whoami", *APP);
    let headers = [("authorization", "Basic dXNlcjpwYXNz")];
    assert_missing_credentials(&bounded(get_with_headers(&url, &headers)).await);
}

#[tokio::test]
async fn an_authorization_header_that_is_not_utf8_counts_as_absent_under_rocket() {
    // Rocket drops header values that are not UTF-8 before any guard sees them.
    let url = format!("{}/whoami", *APP);
    let reply = bounded(get_bytes(&url, &[("authorization", b"Bearer \xff\xfe")])).await;
    assert_missing_credentials(&reply);
}

// ----- 400 -----

#[tokio::test]
async fn malformed_bearer_credentials_are_400_invalid_request() {
    let url = format!("{}/whoami", *APP);
    let cases = [
        ("Bearer", "empty bearer token"),
        (
            "Bearer a,b",
            "bearer token contains characters not allowed by RFC 6750",
        ),
        (
            "Bearer\tabc",
            "the bearer token must follow `Bearer` and a space",
        ),
    ];
    for (header, description) in cases {
        let reply = bounded(get_with_headers(&url, &[("authorization", header)])).await;
        assert_invalid_request(&reply, description);
    }
}

#[tokio::test]
async fn several_authorization_headers_are_400_invalid_request() {
    let url = format!("{}/whoami", *APP);
    let good = format!("Bearer {}", token().sign());
    let headers = [
        ("authorization", good.as_str()),
        ("authorization", good.as_str()),
    ];
    let reply = bounded(get_with_headers(&url, &headers)).await;
    assert_invalid_request(&reply, "several Authorization headers");
}

// ----- 401 invalid_token -----

#[tokio::test]
async fn a_token_that_is_not_a_jws_is_401_invalid_token() {
    let reply = bounded(get_with_token(&format!("{}/whoami", *APP), "not-a-jwt")).await;
    assert_invalid_token(&reply, "not a JWS: expected three dot-separated parts");
}

#[tokio::test]
async fn bad_signature_is_401_invalid_token() {
    let url = format!("{}/whoami", *APP);
    let reply = bounded(get_with_token(&url, &token().foreign_key().sign())).await;
    assert_invalid_token(&reply, "invalid signature");
}

#[tokio::test]
async fn expired_token_is_401_invalid_token() {
    let url = format!("{}/whoami", *APP);
    let reply = bounded(get_with_token(&url, &token().expired().sign())).await;
    assert_invalid_token(&reply, "token expired");
}

#[tokio::test]
async fn wrong_audience_is_401_invalid_token() {
    let url = format!("{}/whoami", *APP);
    let token = ISSUER.token().audience("another-api").sign();
    assert_invalid_token(
        &bounded(get_with_token(&url, &token)).await,
        "audience mismatch",
    );
}

// ----- 403 -----

#[tokio::test]
async fn missing_scope_is_403_insufficient_scope_naming_the_required_scopes() {
    let url = format!("{}/orders", *APP);
    let reply = bounded(get_with_token(
        &url,
        &token().scopes(["orders:read"]).sign(),
    ))
    .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:list""#)
    );
    assert_json_error(&reply, "insufficient_scope");
    assert_eq!(reply.description(), "missing scope orders:list");
    let token = token().scopes(["orders:list", "orders:read"]).sign();
    let reply = bounded(get_with_token(&url, &token)).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders"),
        "{reply:?}"
    );
}

// ----- 503 -----

#[tokio::test]
async fn unreachable_provider_is_503_with_retry_after_and_no_challenge() {
    let down = TestIssuer::start_as("https://rocket-down.test/").expect("test issuer");
    down.set_answer(Answer::Status(500));
    let url = format!("{}/down", *APP);
    let reply = bounded(get_with_token(
        &url,
        &down.token().audience(AUDIENCE).sign(),
    ))
    .await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (503, None),
        "{reply:?}"
    );
    // The first retry waits the initial backoff of one second, ±10 %, rounded up.
    assert!(
        matches!(reply.retry_after.as_deref(), Some("1" | "2")),
        "{reply:?}"
    );
    assert_json_error(&reply, "temporarily_unavailable");
}

// ----- 500 -----

#[tokio::test]
async fn missing_environment_variable_is_500_server_error_without_challenge() {
    let url = format!("{}/misconfigured", *APP);
    let reply = bounded(get_with_token(&url, &token().sign())).await;
    assert_eq!(
        (reply.status, reply.www_authenticate.as_deref()),
        (500, None),
        "{reply:?}"
    );
    assert_eq!(reply.retry_after, None);
    assert_json_error(&reply, "server_error");
}

// ----- Authenticated, bare and in Option or Result -----

#[tokio::test]
async fn authenticated_without_a_token_is_401_with_exactly_a_bare_bearer_challenge() {
    let url = format!("{}/authenticated", *APP);
    let reply = bounded(get_with_headers(&url, &[])).await;
    assert_missing_credentials(&reply);
    assert_eq!(reply.description(), "bearer token required");
    let reply = bounded(get_with_token(&url, &token().subject("alice").sign())).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));
}

#[tokio::test]
async fn option_authenticated_without_a_token_is_the_handlers_own_200_with_none() {
    let reply = bounded(get_with_headers(&format!("{}/optional", *APP), &[])).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "anonymous"),
        "{reply:?}"
    );
    assert_eq!(reply.www_authenticate, None);
}

#[tokio::test]
async fn option_authenticated_with_a_refused_token_is_the_handlers_own_200_with_none() {
    let url = format!("{}/optional", *APP);
    for refused in [token().expired().sign(), token().foreign_key().sign()] {
        let reply = bounded(get_with_token(&url, &refused)).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "anonymous"),
            "{reply:?}"
        );
        assert_eq!(reply.www_authenticate, None);
    }
    let reply = bounded(get_with_headers(&url, &[("authorization", "Bearer")])).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "anonymous"));
}

#[tokio::test]
async fn option_authenticated_with_a_valid_token_is_some() {
    let url = format!("{}/optional", *APP);
    let reply = bounded(get_with_token(&url, &token().subject("alice").sign())).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));
}

#[tokio::test]
async fn a_handlers_own_404_after_option_took_the_refusal_is_kept() {
    let url = format!("{}/optional/profile", *APP);
    let reply = bounded(get_with_headers(&url, &[])).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (404, "no profile without a token"),
        "{reply:?}"
    );
    assert_eq!(reply.www_authenticate, None);
}

#[tokio::test]
async fn a_handlers_own_401_after_a_refusal_with_another_status_is_kept() {
    // The malformed header is refused with 400; the handler answers 401 of its own.
    let url = format!("{}/optional/sign-in", *APP);
    let reply = bounded(get_with_headers(&url, &[("authorization", "Bearer")])).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (401, "sign in first"),
        "{reply:?}"
    );
    assert_eq!(reply.www_authenticate, None);
}

#[tokio::test]
async fn a_handlers_own_answer_with_the_refusals_status_gets_the_refusals_headers_and_body() {
    // What the fairing cannot tell from the catcher's answer, as documented.
    let url = format!("{}/optional/sign-in", *APP);
    assert_missing_credentials(&bounded(get_with_headers(&url, &[])).await);
}

#[tokio::test]
async fn result_authenticated_hands_the_rejection_to_the_handler_whose_answer_is_kept() {
    let url = format!("{}/result", *APP);
    let reply = bounded(get_with_headers(&url, &[])).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "refused with 401"),
        "{reply:?}"
    );
    assert_eq!(reply.www_authenticate, None);
    let reply = bounded(get_with_token(&url, &token().subject("alice").sign())).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));
}

#[tokio::test]
async fn the_applications_own_catcher_answer_to_a_refusal_is_completed_by_the_fairing() {
    for path in ["/caught/whoami", "/caught/authenticated"] {
        let reply = bounded(get_with_headers(&format!("{}{path}", *APP), &[])).await;
        assert_missing_credentials(&reply);
        let url = format!("{}{path}", *APP);
        let reply = bounded(get_with_token(&url, &token().expired().sign())).await;
        assert_invalid_token(&reply, "token expired");
    }
}

// ----- the guard before the body -----

#[tokio::test]
async fn the_guard_runs_before_the_body_is_read() {
    let url = format!("{}/orders", *APP);
    let before = BODIES_READ.load(Ordering::SeqCst);
    let large = format!(r#"{{"item":"{}"}}"#, "a".repeat(64 * 1024));
    for body in ["{not json", large.as_str()] {
        let reply = bounded(post_json(&url, &[], body)).await;
        assert_missing_credentials(&reply);
    }
    assert_eq!(
        BODIES_READ.load(Ordering::SeqCst),
        before,
        "a body was read"
    );

    let auth = format!("Bearer {}", token().sign());
    let headers = [("authorization", auth.as_str())];
    let reply = bounded(post_json(&url, &headers, "{not json")).await;
    assert_eq!(
        reply.status, 400,
        "the data guard refuses bad JSON: {reply:?}"
    );
    let reply = bounded(post_json(&url, &headers, &large)).await;
    assert_eq!(
        reply.status, 413,
        "the data guard refuses a large body: {reply:?}"
    );
    let reply = bounded(post_json(&url, &headers, r#"{"item":"tea"}"#)).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "tea"),
        "{reply:?}"
    );
}

// ----- the key cache under Rocket's workers -----

#[tokio::test]
async fn concurrent_first_requests_share_one_discovery_and_one_key_fetch() {
    let issuer = TestIssuer::start_as("https://rocket-coalesce.test/").expect("test issuer");
    issuer.set_jwks_answer(Answer::Delay(Duration::from_millis(300)));
    let url = format!("{}/coalesce", *APP);
    let mut requests = JoinSet::new();
    for _ in 0..20 {
        let (url, token) = (url.clone(), issuer.token().audience(AUDIENCE).sign());
        requests.spawn(async move { bounded(get_with_token(&url, &token)).await });
    }
    let replies = requests.join_all().await;
    assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );
}

// ----- without the fairing -----

#[tokio::test]
async fn without_the_fairing_the_status_is_still_right() {
    let base = &*APP_WITHOUT_FAIRING;
    let reply = bounded(get_with_headers(&format!("{base}/whoami"), &[])).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    let reply = bounded(get_with_headers(
        &format!("{base}/whoami"),
        &[("authorization", "Bearer")],
    ))
    .await;
    assert_eq!(reply.status, 400, "{reply:?}");
    let url = format!("{base}/orders");
    let reply = bounded(get_with_token(
        &url,
        &token().scopes(["orders:read"]).sign(),
    ))
    .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    let reply = bounded(get_with_token(
        &format!("{base}/misconfigured"),
        &token().sign(),
    ))
    .await;
    assert_eq!(reply.status, 500, "{reply:?}");
    let reply = bounded(get_with_token(
        &format!("{base}/whoami"),
        &token().subject("bob").sign(),
    ))
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "bob"),
        "{reply:?}"
    );
}
