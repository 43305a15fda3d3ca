//! One attribute, one behaviour: the same handler on axum, actix-web, Rocket and Poem, the same
//! tokens sent to each, and the same answer from each (status, `WWW-Authenticate`,
//! `Retry-After`, content type and body).
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::sync::LazyLock;
use std::time::Duration;

use jwks_guard::{Claims, protected};
use jwks_guard_test::{Answer, TestIssuer};

use common::Reply;

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://four-frameworks.test/").expect("issuer"));

static DOWN: LazyLock<TestIssuer> = LazyLock::new(|| {
    let issuer = TestIssuer::start_as("https://four-frameworks-down.test/").expect("issuer");
    issuer.set_answer(Answer::Status(500));
    issuer
});

// ----- the same two handlers, once per framework -----

#[protected(issuer = "https://four-frameworks.test/", audience = "api", scopes = ["orders:read"])]
async fn axum_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://four-frameworks-down.test/", audience = "api")]
async fn axum_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://four-frameworks.test/", audience = "api", scopes = ["orders:read"])]
#[actix_web::get("/orders")]
async fn actix_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://four-frameworks-down.test/", audience = "api")]
#[actix_web::get("/down")]
async fn actix_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://four-frameworks.test/", audience = "api", scopes = ["orders:read"])]
#[rocket::get("/orders")]
async fn rocket_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://four-frameworks-down.test/", audience = "api")]
#[rocket::get("/down")]
async fn rocket_down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://four-frameworks.test/", audience = "api", scopes = ["orders:read"])]
#[poem::handler]
async fn poem_orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://four-frameworks-down.test/", audience = "api")]
#[poem::handler]
async fn poem_down() -> &'static str {
    "unreachable"
}

/// The four servers' base URLs, by framework name.
async fn servers() -> [(&'static str, String); 4] {
    LazyLock::force(&ISSUER);
    LazyLock::force(&DOWN);
    let axum = common::serve(
        axum::Router::new()
            .route("/orders", axum::routing::get(axum_orders))
            .route("/down", axum::routing::get(axum_down)),
    )
    .await;
    let actix = servers::actix(2, |config| {
        config.service(actix_orders).service(actix_down);
    });
    let rocket = servers::rocket(
        rocket::custom(servers::rocket_config())
            .attach(jwks_guard::integrations::rocket::Guard)
            .mount("/", rocket::routes![rocket_orders, rocket_down]),
    );
    let poem = servers::poem(
        poem::Route::new()
            .at("/orders", poem::get(poem_orders))
            .at("/down", poem::get(poem_down)),
    )
    .await;
    [
        ("axum", axum),
        ("actix-web", actix),
        ("rocket", rocket),
        ("poem", poem),
    ]
}

/// What must be identical across frameworks: for errors everything a client reads, for
/// successes the status and body.
#[derive(Debug, PartialEq, Eq)]
struct Answered {
    status: u16,
    www_authenticate: Option<String>,
    has_retry_after: bool,
    content_type: Option<String>,
    body: String,
}

impl From<Reply> for Answered {
    fn from(reply: Reply) -> Self {
        let error = reply.status >= 400;
        Answered {
            status: reply.status,
            www_authenticate: reply.www_authenticate,
            has_retry_after: reply.retry_after.is_some(),
            content_type: if error { reply.content_type } else { None },
            body: reply.text,
        }
    }
}

/// A case: its name, the path, the request headers, the expected status.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, String)>, u16);

async fn answer(url: &str, headers: &[(&str, &str)]) -> Answered {
    tokio::time::timeout(Duration::from_secs(20), common::get(url, headers))
        .await
        .expect("an answer within 20 s")
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_four_frameworks_answer_the_same_tokens_identically() {
    let servers = servers().await;
    let token = || ISSUER.token().audience("api");
    let valid = token().subject("alice").scopes(["orders:read"]).sign();
    let bearer = |token: &str| format!("Bearer {token}");
    let cases: Vec<Case<'_>> = vec![
        ("no credentials", "/orders", vec![], 401),
        (
            "another scheme",
            "/orders",
            vec![("authorization", "Basic dXNlcjpwYXNz".into())],
            401,
        ),
        (
            "a tab after Bearer",
            "/orders",
            vec![("authorization", format!("Bearer\t{valid}"))],
            400,
        ),
        (
            "two Authorization headers",
            "/orders",
            vec![
                ("authorization", bearer(&valid)),
                ("authorization", bearer(&valid)),
            ],
            400,
        ),
        (
            "not a JWS",
            "/orders",
            vec![("authorization", bearer("abc.def"))],
            401,
        ),
        (
            "a forged signature",
            "/orders",
            vec![(
                "authorization",
                bearer(&token().scopes(["orders:read"]).foreign_key().sign()),
            )],
            401,
        ),
        (
            "an expired token",
            "/orders",
            vec![(
                "authorization",
                bearer(&token().scopes(["orders:read"]).expired().sign()),
            )],
            401,
        ),
        (
            "a token lacking the scope",
            "/orders",
            vec![("authorization", bearer(&token().sign()))],
            403,
        ),
        (
            "a valid token",
            "/orders",
            vec![("authorization", bearer(&valid))],
            200,
        ),
        (
            "a provider that is down",
            "/down",
            vec![(
                "authorization",
                bearer(&DOWN.token().audience("api").sign()),
            )],
            503,
        ),
    ];
    for (case, path, headers, expected) in cases {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let mut answers = Vec::new();
        for (framework, base) in &servers {
            answers.push((*framework, answer(&format!("{base}{path}"), &headers).await));
        }
        let (reference_framework, reference) = &answers[0];
        assert_eq!(reference.status, expected, "{case}: {answers:#?}");
        for (framework, answered) in &answers[1..] {
            assert_eq!(
                answered, reference,
                "{case}: {framework} differs from {reference_framework}"
            );
        }
    }
}
