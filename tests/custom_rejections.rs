//! `Settings::rejection_response`, end to end: this binary installs one function that answers
//! every rejection with an RFC 9457 problem document (and, on purpose, takes the challenge out
//! of 400 answers), serves the same handlers on axum, actix-web, Rocket and Poem, and checks
//! that all four send what the function made: status, `Content-Type: application/problem+json`,
//! the document's members, `WWW-Authenticate` and `Retry-After` kept. Settings are
//! process-wide, hence a binary of its own.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::sync::{LazyLock, Mutex, Once};
use std::time::Duration;

use jwks_guard::{Claims, Rejection, RejectionKind, RejectionResponse, Settings, protected};
use jwks_guard_test::{Answer, TestIssuer};
use serde_json::{Value, json};

use common::Reply;

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://custom-rejections.test/").expect("issuer"));

static DOWN: LazyLock<TestIssuer> = LazyLock::new(|| {
    let issuer = TestIssuer::start_as("https://custom-rejections-down.test/").expect("issuer");
    issuer.set_answer(Answer::Status(500));
    issuer
});

/// Everything the installed function was shown, as `{:?}`: the tests check that no token is in
/// it.
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The function under test: an RFC 9457 problem document, starting from the default response
/// so that `WWW-Authenticate` and `Retry-After` stay; 400 answers lose their challenge, on
/// purpose.
fn problem_json(rejection: &Rejection) -> RejectionResponse {
    if let Ok(mut seen) = SEEN.lock() {
        seen.push(format!("{rejection:?}"));
    }
    let problem = json!({
        "type": format!("https://errors.example.com/{}", rejection.error_code()),
        "title": match rejection.status() {
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        },
        "status": rejection.status(),
        "detail": rejection.description(),
        "required_scopes": rejection.required_scopes().collect::<Vec<_>>(),
        "scheme": format!("{:?}", rejection.scheme()),
    });
    let response = rejection
        .default_response()
        .with_body("application/problem+json", problem.to_string());
    if rejection.kind() == RejectionKind::InvalidRequest {
        response.without_header("www-authenticate")
    } else {
        response
    }
}

/// Installs the function before any protected request of this binary.
fn configure() {
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        jwks_guard::configure(Settings::new().rejection_response(problem_json))
            .expect("the first configure of this binary");
    });
}

// ----- the same three handlers, once per framework -----

#[protected(issuer = "https://custom-rejections.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
async fn axum_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://custom-rejections-down.test/", audience = "api")]
async fn axum_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_CUSTOM_REJECTIONS_UNSET"), audience = "api")]
async fn axum_misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://custom-rejections.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[actix_web::get("/orders")]
async fn actix_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://custom-rejections-down.test/", audience = "api")]
#[actix_web::get("/down")]
async fn actix_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_CUSTOM_REJECTIONS_UNSET"), audience = "api")]
#[actix_web::get("/misconfigured")]
async fn actix_misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://custom-rejections.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[rocket::get("/orders")]
async fn rocket_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://custom-rejections-down.test/", audience = "api")]
#[rocket::get("/down")]
async fn rocket_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_CUSTOM_REJECTIONS_UNSET"), audience = "api")]
#[rocket::get("/misconfigured")]
async fn rocket_misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://custom-rejections.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[poem::handler]
async fn poem_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://custom-rejections-down.test/", audience = "api")]
#[poem::handler]
async fn poem_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_CUSTOM_REJECTIONS_UNSET"), audience = "api")]
#[poem::handler]
async fn poem_misconfigured() -> &'static str {
    "unreachable"
}

/// The four servers' base URLs, by framework name, started once for the whole binary (axum and
/// Poem on a runtime of their own, so that they outlive each test's runtime).
static SERVERS: LazyLock<[(&str, String); 4]> = LazyLock::new(|| {
    configure();
    LazyLock::force(&ISSUER);
    LazyLock::force(&DOWN);
    let (started, urls) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the axum and Poem servers");
        runtime.block_on(async move {
            let axum = common::serve(
                axum::Router::new()
                    .route("/orders", axum::routing::get(axum_orders))
                    .route("/down", axum::routing::get(axum_down))
                    .route("/misconfigured", axum::routing::get(axum_misconfigured)),
            )
            .await;
            let poem = servers::poem(
                poem::Route::new()
                    .at("/orders", poem::get(poem_orders))
                    .at("/down", poem::get(poem_down))
                    .at("/misconfigured", poem::get(poem_misconfigured)),
            )
            .await;
            let _ = started.send((axum, poem));
            std::future::pending::<()>().await;
        });
    });
    let (axum, poem) = urls
        .recv_timeout(Duration::from_secs(30))
        .expect("the axum and Poem servers start");
    let actix = servers::actix(2, |config| {
        config
            .service(actix_orders)
            .service(actix_down)
            .service(actix_misconfigured);
    });
    let rocket = servers::rocket(
        rocket::custom(servers::rocket_config())
            .attach(jwks_guard::integrations::rocket::Guard)
            .mount(
                "/",
                rocket::routes![rocket_orders, rocket_down, rocket_misconfigured],
            ),
    );
    [
        ("axum", axum),
        ("actix-web", actix),
        ("rocket", rocket),
        ("poem", poem),
    ]
});

/// GET `path` with `headers` from each of the four servers.
async fn ask_all(path: &str, headers: &[(&str, &str)]) -> Vec<(&'static str, Reply)> {
    let mut replies = Vec::new();
    for (framework, base) in SERVERS.iter() {
        let reply = tokio::time::timeout(
            Duration::from_secs(20),
            common::get(&format!("{base}{path}"), headers),
        )
        .await
        .expect("an answer within 20 s");
        replies.push((*framework, reply));
    }
    replies
}

/// Checks every reply is the problem document of `status` and `error_code` with
/// `Content-Type: application/problem+json` and `challenge`, and that the four agree on
/// everything but the `Retry-After` value; returns the first reply's document.
#[track_caller]
fn assert_problems(
    replies: &[(&str, Reply)],
    status: u16,
    error_code: &str,
    challenge: Option<&str>,
) -> Value {
    for (framework, reply) in replies {
        assert_eq!(reply.status, status, "{framework}: {reply:?}");
        assert_eq!(
            reply.content_type.as_deref(),
            Some("application/problem+json"),
            "{framework}: {reply:?}"
        );
        assert_eq!(
            reply.www_authenticate.as_deref(),
            challenge,
            "{framework}: {reply:?}"
        );
        let problem = reply.json();
        assert_eq!(
            problem["type"],
            format!("https://errors.example.com/{error_code}"),
            "{framework}: {reply:?}"
        );
        assert_eq!(problem["status"], status, "{framework}: {reply:?}");
        assert!(
            problem["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{framework}: {reply:?}"
        );
        assert!(
            problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{framework}: {reply:?}"
        );
        assert_eq!(
            problem.get("error"),
            None,
            "{framework}: the RFC 6750 body is gone"
        );
    }
    let (reference, first) = &replies[0];
    for (framework, reply) in &replies[1..] {
        assert_eq!(
            (
                &reply.www_authenticate,
                reply.retry_after.is_some(),
                &reply.text
            ),
            (
                &first.www_authenticate,
                first.retry_after.is_some(),
                &first.text
            ),
            "{framework} differs from {reference}"
        );
    }
    first.json()
}

/// Neither the bodies nor anything the installed function was shown contain `token`.
#[track_caller]
fn assert_token_not_leaked(replies: &[(&str, Reply)], token: &str) {
    for (framework, reply) in replies {
        assert!(
            !reply.text.contains(token),
            "{framework}: the body holds the token"
        );
        assert!(
            !reply
                .www_authenticate
                .as_deref()
                .unwrap_or_default()
                .contains(token),
            "{framework}: the challenge holds the token"
        );
    }
    let seen = SEEN.lock().expect("the record of rejections");
    assert!(!seen.is_empty(), "the installed function was called");
    assert!(
        seen.iter().all(|rejection| !rejection.contains(token)),
        "the installed function was shown the token"
    );
}

fn token() -> jwks_guard_test::TokenBuilder {
    ISSUER.token().audience("api")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn no_token_is_a_401_problem_document_with_the_bare_bearer_challenge() {
    let replies = ask_all("/orders", &[]).await;
    let problem = assert_problems(&replies, 401, "unauthorized", Some("Bearer"));
    assert_eq!(problem["title"], "Unauthorized");
    assert_eq!(problem["detail"], "bearer token required");
}

#[tokio::test]
async fn an_expired_token_is_a_401_problem_document_with_the_invalid_token_challenge() {
    let expired = token()
        .scopes(["orders:read", "orders:list"])
        .expired()
        .sign();
    let replies = ask_all("/orders", &[("authorization", &bearer(&expired))]).await;
    let problem = assert_problems(
        &replies,
        401,
        "invalid_token",
        Some(r#"Bearer error="invalid_token", error_description="token expired""#),
    );
    assert_eq!(problem["detail"], "token expired");
    assert_token_not_leaked(&replies, &expired);
}

#[tokio::test]
async fn a_forged_token_is_a_401_problem_document_that_holds_no_part_of_it() {
    let forged = token()
        .scopes(["orders:read", "orders:list"])
        .foreign_key()
        .sign();
    let replies = ask_all("/orders", &[("authorization", &bearer(&forged))]).await;
    let problem = assert_problems(
        &replies,
        401,
        "invalid_token",
        Some(r#"Bearer error="invalid_token", error_description="invalid signature""#),
    );
    assert_eq!(problem["detail"], "invalid signature");
    assert_token_not_leaked(&replies, &forged);
    for segment in forged.split('.') {
        assert_token_not_leaked(&replies, segment);
    }
}

#[tokio::test]
async fn a_token_lacking_a_scope_is_a_403_problem_document_naming_the_required_scopes() {
    let lacking = token().subject("alice").scopes(["orders:read"]).sign();
    let replies = ask_all("/orders", &[("authorization", &bearer(&lacking))]).await;
    let problem = assert_problems(
        &replies,
        403,
        "insufficient_scope",
        Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:list""#),
    );
    assert_eq!(problem["title"], "Forbidden");
    assert_eq!(problem["detail"], "missing scope orders:list");
    assert_eq!(
        problem["required_scopes"],
        json!(["orders:read", "orders:list"])
    );
    assert_token_not_leaked(&replies, &lacking);
}

#[tokio::test]
async fn an_unavailable_provider_is_a_503_problem_document_keeping_retry_after() {
    let token = DOWN.token().audience("api").sign();
    let replies = ask_all("/down", &[("authorization", &bearer(&token))]).await;
    let problem = assert_problems(&replies, 503, "temporarily_unavailable", None);
    assert_eq!(problem["title"], "Service Unavailable");
    for (framework, reply) in &replies {
        assert!(
            reply
                .retry_after
                .as_deref()
                .is_some_and(|after| after.parse::<u64>().is_ok_and(|secs| secs >= 1)),
            "{framework}: {reply:?}"
        );
    }
    assert_token_not_leaked(&replies, &token);
}

#[tokio::test]
async fn a_misconfigured_handler_is_a_500_problem_document() {
    let token = token().sign();
    let replies = ask_all("/misconfigured", &[("authorization", &bearer(&token))]).await;
    let problem = assert_problems(&replies, 500, "server_error", None);
    assert_eq!(problem["detail"], "authentication is misconfigured");
    assert_token_not_leaked(&replies, &token);
}

#[tokio::test]
async fn malformed_credentials_are_a_400_problem_document_without_the_removed_challenge() {
    let valid = token().scopes(["orders:read", "orders:list"]).sign();
    let replies = ask_all("/orders", &[("authorization", &format!("Bearer\t{valid}"))]).await;
    let problem = assert_problems(&replies, 400, "invalid_request", None);
    assert_eq!(problem["title"], "Bad Request");
    assert_token_not_leaked(&replies, &valid);
}

#[tokio::test]
async fn a_valid_token_reaches_the_handler_untouched_by_the_function() {
    let valid = token()
        .subject("alice")
        .scopes(["orders:read", "orders:list"])
        .sign();
    for (framework, reply) in ask_all("/orders", &[("authorization", &bearer(&valid))]).await {
        assert_eq!(
            (reply.status, reply.text.as_str(), reply.www_authenticate),
            (200, "alice", None),
            "{framework}"
        );
        assert_ne!(
            reply.content_type.as_deref(),
            Some("application/problem+json"),
            "{framework}"
        );
    }
}

#[tokio::test]
async fn the_layer_and_the_state_extractor_answer_through_the_same_function() {
    use jwks_guard::layer::RequireTokenLayer;
    use jwks_guard::{Authenticated, Policy};

    async fn orders(Authenticated(claims): Authenticated<Claims>) -> String {
        claims.sub.unwrap_or_default()
    }
    async fn layered(axum::Extension(claims): axum::Extension<Claims>) -> String {
        claims.sub.unwrap_or_default()
    }

    let base = &SERVERS[0].1;
    let policy = Policy::builder()
        .issuer("https://custom-rejections.test/")
        .audience("api")
        .scopes(["orders:read", "orders:list"])
        .build()
        .expect("the same policy as the attribute's");
    let state = common::serve(
        axum::Router::new()
            .route("/orders", axum::routing::get(orders))
            .with_state(policy.clone()),
    )
    .await;
    let layer = common::serve(
        axum::Router::new()
            .route("/orders", axum::routing::get(layered))
            .layer(RequireTokenLayer::new(policy)),
    )
    .await;

    let expired = token()
        .scopes(["orders:read", "orders:list"])
        .expired()
        .sign();
    let lacking = token().scope("orders:read").sign();
    /// The request's headers, and the status and error code every path must answer with.
    type Case = (Vec<(&'static str, String)>, u16, &'static str);
    let cases: [Case; 4] = [
        (vec![], 401, "unauthorized"),
        (
            vec![("authorization", bearer(&expired))],
            401,
            "invalid_token",
        ),
        (
            vec![("authorization", bearer(&lacking))],
            403,
            "insufficient_scope",
        ),
        (
            vec![("authorization", "Bearer a b".to_owned())],
            400,
            "invalid_request",
        ),
    ];
    for (headers, status, error_code) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let mut replies = Vec::new();
        for (path, base) in [
            ("#[protected]", base.as_str()),
            ("Authenticated", state.as_str()),
            ("RequireTokenLayer", layer.as_str()),
        ] {
            replies.push((path, common::get(&format!("{base}/orders"), &headers).await));
        }
        let challenge = replies[0].1.www_authenticate.clone();
        assert_problems(&replies, status, error_code, challenge.as_deref());
    }
}

#[tokio::test]
async fn a_dpop_refusal_reaches_the_function_which_sees_its_scheme() {
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = token()
        .scopes(["orders:read", "orders:list"])
        .dpop_bound(&client)
        .sign();
    let mut replies = Vec::new();
    for (framework, base) in SERVERS.iter() {
        let url = format!("{base}/orders");
        // A proof made for a POST, sent with a GET.
        let proof = client.proof("POST", &url).access_token(&bound).sign();
        let headers = [("authorization", format!("DPoP {bound}")), ("dpop", proof)];
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let reply = tokio::time::timeout(Duration::from_secs(20), common::get(&url, &headers))
            .await
            .expect("an answer within 20 s");
        replies.push((*framework, reply));
    }
    let problem = assert_problems(
        &replies,
        401,
        "invalid_dpop_proof",
        Some(
            r#"DPoP error="invalid_dpop_proof", error_description="the DPoP proof's htm is not this request's method", algs="ES256 ES384 PS256 RS256 EdDSA""#,
        ),
    );
    assert_eq!(problem["scheme"], "Dpop");
    assert_eq!(
        problem["detail"],
        "the DPoP proof's htm is not this request's method"
    );
    assert_token_not_leaked(&replies, &bound);
}
