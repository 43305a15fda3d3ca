//! The OpenAPI document of an API whose handlers carry `#[protected]` above `#[utoipa::path]`,
//! as served over HTTP: valid for `openapi-spec-validator` (PyPI, a validator written
//! elsewhere), and saying what the attributes say (each operation's scheme and scopes, the
//! scheme's discovery URL, every answer the guard sent).
//!
//! The validator is a Python package: `.ci/run` installs it into a virtual environment under
//! the target directory when `python3` cannot import it. Without it these tests fail, saying
//! how to install it.

use crate::common;

use std::path::Path;
use std::process::Command;
use std::sync::LazyLock;

use axum::routing;
use axum::{Json, Router};
use jwks_guard::openapi::SecurityAddon;
use jwks_guard::{Claims, protected};
use jwks_guard_test::{Answer, TestIssuer};
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

use common::{get, get_with_token, serve};

const ISSUER: &str = "https://openapi.test/";
/// The variable the partner issuer is read from, in the handler and in the document alike.
const PARTNER_VAR: &str = "JWKS_GUARD_OPENAPI_TEST_PARTNER_ISSUER";
const PARTNER: &str = "https://partner.openapi.test/";

static ISSUER_SERVER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER).expect("the test issuer starts"));

/// An issuer whose provider answers 500 to everything: its handler answers 503.
static DOWN_SERVER: LazyLock<TestIssuer> = LazyLock::new(|| {
    let down = TestIssuer::start_as("https://down.openapi.test/").expect("the test issuer starts");
    down.set_answer(Answer::Status(500));
    down
});

/// Public.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
async fn health() -> &'static str {
    "ok"
}

/// Any valid token.
#[protected(issuer = "https://openapi.test/", audience = "orders-api")]
#[utoipa::path(get, path = "/me", responses((status = 200, description = "The subject")))]
async fn me(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// Two scopes.
#[protected(issuer = "https://openapi.test/", audience = "orders-api", scopes = ["orders:read", "orders:list"])]
#[utoipa::path(get, path = "/orders", responses((status = 200, description = "The orders")))]
async fn list_orders() -> &'static str {
    "[]"
}

/// A required claim, no scope: a 403 is possible all the same.
#[protected(
    issuer = "https://openapi.test/",
    audience = "orders-api",
    claims(email_verified = true)
)]
#[utoipa::path(get, path = "/admin", responses((status = 200, description = "Admin")))]
async fn admin() -> &'static str {
    "admin"
}

/// An issuer read from the environment, under a scheme of its own.
#[protected(
    issuer = env("JWKS_GUARD_OPENAPI_TEST_PARTNER_ISSUER"),
    audience = "orders-api",
    scopes = ["partner:read"],
    openapi_scheme = "partner",
)]
#[utoipa::path(get, path = "/partner/orders", responses((status = 200, description = "Theirs")))]
async fn partner_orders() -> &'static str {
    "[]"
}

/// An issuer whose keys cannot be fetched.
#[protected(
    issuer = "https://down.openapi.test/",
    audience = "orders-api",
    openapi_scheme = "down"
)]
#[utoipa::path(get, path = "/down", responses((status = 200, description = "Never")))]
async fn down() -> &'static str {
    "never"
}

/// A scope; the token in `Authorization` or in the cookie `session`.
#[protected(
    issuer = "https://openapi.test/",
    audience = "orders-api",
    scopes = ["orders:read"],
    token_from = ["authorization", cookie("session")],
)]
#[utoipa::path(get, path = "/session/orders", responses((status = 200, description = "Mine")))]
async fn session_orders() -> &'static str {
    "[]"
}

/// A scope; DPoP-bound tokens only, each request with its proof.
#[protected(
    issuer = "https://openapi.test/",
    audience = "orders-api",
    scopes = ["orders:read"],
    dpop = "required",
)]
#[utoipa::path(get, path = "/bound/orders", responses((status = 200, description = "Mine")))]
async fn bound_orders() -> &'static str {
    "[]"
}

#[protected(issuer = "https://openapi.test/", audience = "orders-api")]
#[utoipa::path(get, path = "/catalogue", responses((status = 200, description = "Prices")))]
async fn catalogue(#[claims] claims: Option<Claims>) -> String {
    match claims {
        Some(claims) => format!("prices for {}", claims.sub.unwrap_or_default()),
        None => "list prices".to_owned(),
    }
}

/// The issuers' schemes.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        SecurityAddon::new(ISSUER)
            .cookie("session")
            .dpop()
            .modify(doc);
        SecurityAddon::from_env(PARTNER_VAR)
            .scheme_name("partner")
            .modify(doc);
        SecurityAddon::new("https://down.openapi.test/")
            .scheme_name("down")
            .modify(doc);
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        health,
        me,
        list_orders,
        admin,
        partner_orders,
        down,
        session_orders,
        bound_orders,
        catalogue
    ),
    modifiers(&Security)
)]
struct ApiDoc;

fn app() -> Router {
    Router::new()
        .route("/health", routing::get(health))
        .route("/me", routing::get(me))
        .route("/orders", routing::get(list_orders))
        .route("/admin", routing::get(admin))
        .route("/partner/orders", routing::get(partner_orders))
        .route("/down", routing::get(down))
        .route("/session/orders", routing::get(session_orders))
        .route("/bound/orders", routing::get(bound_orders))
        .route("/catalogue", routing::get(catalogue))
        .route(
            "/openapi.json",
            routing::get(|| async { Json(ApiDoc::openapi()) }),
        )
}

/// Serves the API and returns its published document.
async fn served_document() -> (String, Value) {
    let base = serve(app()).await;
    let reply = get(&format!("{base}/openapi.json"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    (base, reply.json())
}

/// `openapi-spec-validator`'s verdict on `doc`: `Ok` or its message.
fn validate(doc: &Value, name: &str) -> Result<(), String> {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.openapi.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(doc).expect("serializes"))
        .expect("the document is written");
    let output = Command::new(common::python::python_with("openapi_spec_validator"))
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .expect("the validator runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The statuses documented for `GET path`.
fn statuses(doc: &Value, path: &str) -> Vec<String> {
    doc["paths"][path]["get"]["responses"]
        .as_object()
        .map(|responses| responses.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_served_document_passes_openapi_spec_validator() {
    let (_, doc) = served_document().await;
    if let Err(message) = validate(&doc, "served") {
        panic!("openapi-spec-validator refuses the document:\n{message}\n{doc:#}");
    }
}

#[tokio::test]
async fn the_validator_refuses_an_openid_connect_scheme_without_its_url() {
    // The check above can fail: the validator does read the security schemes.
    let (_, mut doc) = served_document().await;
    doc["components"]["securitySchemes"]["oidc"]
        .as_object_mut()
        .expect("the oidc scheme")
        .remove("openIdConnectUrl");
    let message = validate(&doc, "broken").expect_err("a scheme without its URL is refused");
    assert!(message.contains("openIdConnectUrl"), "{message}");
}

#[tokio::test]
async fn each_operation_requires_its_scheme_with_the_attribute_scopes() {
    let (_, doc) = served_document().await;
    let security = |path: &str| doc["paths"][path]["get"]["security"].clone();
    assert_eq!(security("/health"), Value::Null);
    assert_eq!(security("/me"), json!([{ "oidc": [] }]));
    assert_eq!(
        security("/orders"),
        json!([{ "oidc": ["orders:read", "orders:list"] }])
    );
    assert_eq!(security("/admin"), json!([{ "oidc": [] }]));
    assert_eq!(
        security("/partner/orders"),
        json!([{ "partner": ["partner:read"] }])
    );
}

#[tokio::test]
async fn a_cookie_source_is_an_api_key_alternative_the_guard_accepts() {
    let (base, doc) = served_document().await;
    assert_eq!(
        doc["paths"]["/session/orders"]["get"]["security"],
        json!([{ "oidc": ["orders:read"] }, { "oidc_cookie_session": [] }])
    );
    let scheme = &doc["components"]["securitySchemes"]["oidc_cookie_session"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "cookie");
    assert_eq!(scheme["name"], "session");
    // What the scheme describes is what the guard reads: the token as the cookie's value.
    let token = ISSUER_SERVER
        .token()
        .audience("orders-api")
        .scope("orders:read")
        .sign();
    let reply = get(
        &format!("{base}/session/orders"),
        &[("cookie", &format!("session={token}"))],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn a_required_dpop_proof_is_documented_beside_the_token_as_the_dpop_header() {
    let (_, doc) = served_document().await;
    let operation = &doc["paths"]["/bound/orders"]["get"];
    // One requirement naming both: the token and its proof are needed together.
    assert_eq!(
        operation["security"],
        json!([{ "oidc": ["orders:read"], "oidc_dpop": [] }])
    );
    let proof = &doc["components"]["securitySchemes"]["oidc_dpop"];
    assert_eq!(
        (&proof["type"], &proof["in"], &proof["name"]),
        (&json!("apiKey"), &json!("header"), &json!("DPoP"))
    );
    let how = proof["description"].as_str().unwrap_or_default();
    assert!(how.contains("`Authorization: DPoP <token>`"), "{how}");
    // Its challenges are the `DPoP` scheme's.
    let responses = &operation["responses"];
    for status in ["400", "401", "403"] {
        let challenge = responses[status]["headers"]["WWW-Authenticate"]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(challenge.starts_with("`DPoP"), "{status}: {challenge}");
    }
    // A handler that allows DPoP, the default, is documented as before: bearer tokens work.
    assert_eq!(
        doc["paths"]["/orders"]["get"]["security"],
        json!([{ "oidc": ["orders:read", "orders:list"] }])
    );
}

#[tokio::test]
async fn every_scheme_an_operation_requires_is_in_the_document() {
    // openapi-spec-validator does not check that a requirement names a scheme of the
    // document; a client reading it would find nothing to send.
    let (_, doc) = served_document().await;
    let schemes = &doc["components"]["securitySchemes"];
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut named = Vec::new();
    for (path, item) in paths {
        let requirements = item["get"]["security"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for requirement in requirements {
            for name in requirement
                .as_object()
                .expect("a requirement object")
                .keys()
            {
                // `partner` is read from a variable this process has not set.
                if name != "partner" {
                    assert!(schemes.get(name).is_some(), "{path} requires `{name}`");
                    named.push(name.clone());
                }
            }
        }
    }
    assert!(named.iter().any(|name| name == "oidc_dpop"), "{named:?}");
}

#[tokio::test]
async fn an_optional_handler_documents_no_credentials_as_an_alternative_the_guard_serves() {
    let (base, doc) = served_document().await;
    let operation = &doc["paths"]["/catalogue"]["get"];
    assert_eq!(operation["security"], json!([{ "oidc": [] }, {}]));
    let unauthorized = operation["responses"]["401"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(
        unauthorized.contains("without a token is served"),
        "{unauthorized}"
    );
    // What the document says is what the guard does: no token is served, a bad one refused.
    let anonymous = get(&format!("{base}/catalogue"), &[]).await;
    assert_eq!(
        (anonymous.status, anonymous.text.as_str()),
        (200, "list prices")
    );
    let refused = get(
        &format!("{base}/catalogue"),
        &[("authorization", "Bearer not-a-jwt")],
    )
    .await;
    assert_eq!(refused.status, 401, "{}", refused.text);
}

#[tokio::test]
async fn the_scheme_points_at_the_discovery_document_the_guard_fetches() {
    let (_, doc) = served_document().await;
    assert_eq!(
        doc["components"]["securitySchemes"]["oidc"],
        json!({
            "type": "openIdConnect",
            "openIdConnectUrl": "https://openapi.test/.well-known/openid-configuration"
        })
    );
}

#[tokio::test]
async fn an_env_issuer_scheme_is_read_when_the_document_is_built() {
    // A test cannot set a variable of its own process (no unsafe code): this one runs the
    // check below in a child process that has it.
    let status = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([
            "openapi::env_issuer_in_a_process_that_has_it",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(PARTNER_VAR, PARTNER)
        .status()
        .expect("the test binary runs again");
    assert!(status.success(), "the child process: {status}");
    // Here the variable is unset: the scheme is left out, the operation still names it.
    let (_, doc) = served_document().await;
    assert!(
        doc["components"]["securitySchemes"]
            .get("partner")
            .is_none()
    );
}

#[tokio::test]
#[ignore = "run by `an_env_issuer_scheme_is_read_when_the_document_is_built`, with the variable set"]
async fn env_issuer_in_a_process_that_has_it() {
    let (_, doc) = served_document().await;
    assert_eq!(
        doc["components"]["securitySchemes"]["partner"]["openIdConnectUrl"],
        "https://partner.openapi.test/.well-known/openid-configuration"
    );
    if let Err(message) = validate(&doc, "with_partner") {
        panic!("openapi-spec-validator refuses the document:\n{message}");
    }
}

#[tokio::test]
async fn the_guard_answers_are_documented_with_their_headers_403_only_where_required() {
    let (_, doc) = served_document().await;
    assert_eq!(
        statuses(&doc, "/orders"),
        ["200", "400", "401", "403", "500", "503"]
    );
    assert_eq!(
        statuses(&doc, "/admin"),
        ["200", "400", "401", "403", "500", "503"]
    );
    assert_eq!(statuses(&doc, "/me"), ["200", "400", "401", "500", "503"]);
    assert_eq!(statuses(&doc, "/health"), ["200"]);
    let responses = &doc["paths"]["/orders"]["get"]["responses"];
    for status in ["400", "401", "403"] {
        assert!(
            responses[status]["headers"]
                .get("WWW-Authenticate")
                .is_some(),
            "{status}: {responses:#}"
        );
    }
    assert!(responses["503"]["headers"].get("Retry-After").is_some());
    for status in ["400", "401", "403", "500", "503"] {
        assert!(
            responses[status]["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{status}"
        );
    }
}

#[tokio::test]
async fn every_answer_the_guard_sends_is_documented_for_its_operation() {
    let issuer = &*ISSUER_SERVER;
    let (base, doc) = served_document().await;
    let token = || issuer.token().audience("orders-api");
    let no_scope = token().sign();
    let answers = [
        ("/orders", get(&format!("{base}/orders"), &[]).await),
        (
            "/orders",
            get(
                &format!("{base}/orders"),
                &[("authorization", "Bearer not a token")],
            )
            .await,
        ),
        (
            "/orders",
            get_with_token(&format!("{base}/orders"), &no_scope).await,
        ),
        (
            "/admin",
            get_with_token(&format!("{base}/admin"), &no_scope).await,
        ),
        (
            "/partner/orders",
            get_with_token(&format!("{base}/partner/orders"), &no_scope).await,
        ),
    ];
    let unavailable = DOWN_SERVER.token().audience("orders-api").sign();
    let answers = answers.into_iter().chain([(
        "/down",
        get_with_token(&format!("{base}/down"), &unavailable).await,
    )]);
    let mut seen = Vec::new();
    for (path, reply) in answers {
        let documented = &doc["paths"][path]["get"]["responses"][reply.status.to_string()];
        assert!(
            documented.is_object(),
            "{path} answered {} ({}), which its operation does not document",
            reply.status,
            reply.text
        );
        if reply.www_authenticate.is_some() {
            assert!(
                documented["headers"].get("WWW-Authenticate").is_some(),
                "{path} {}",
                reply.status
            );
        }
        if reply.retry_after.is_some() {
            assert!(
                documented["headers"].get("Retry-After").is_some(),
                "{path} {}",
                reply.status
            );
        }
        seen.push(reply.status);
    }
    // 401 (no token), 400 (malformed), 403 (scope), 403 (claim), 500 (unset variable), 503.
    assert_eq!(seen, [401, 400, 403, 403, 500, 503]);
}
