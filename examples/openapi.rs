//! An axum API that publishes its OpenAPI document (utoipa), security included, at
//! `/openapi.json`.
//!
//! ```text
//! cargo run --example openapi                 # serve on 127.0.0.1:3000
//! cargo run --example openapi -- --self-test  # free ports, check the requests and the document, exit
//! ```
//!
//! `#[protected]` sits above `#[utoipa::path]`, so it writes each operation's security (the
//! handler's scopes under the scheme `oidc`) and the guard's answers (400, 401, 403, 503, 500)
//! into it; nothing is written twice. `SecurityAddon` adds the scheme itself: `openIdConnect`
//! at the issuer's discovery document, which Swagger UI and client generators read to log in.
//!
//! Only the JSON is served: `utoipa-swagger-ui` downloads Swagger UI from GitHub when it is
//! built, which a build limited to the crate registry cannot do. Open the document in any
//! Swagger UI or editor (`https://editor.swagger.io`, or the `swaggerapi/swagger-ui` image
//! with `SWAGGER_JSON_URL`).

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use jwks_guard::openapi::SecurityAddon;
use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use serde_json::{Value, json};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

mod support;

const ISSUER: &str = "https://id.example.com/";

/// Anyone may call this.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "Up")))]
async fn health() -> &'static str {
    "ok"
}

/// Who the token belongs to: any valid token for the `orders-api` audience.
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
#[utoipa::path(get, path = "/me", responses((status = 200, description = "The token's subject and scopes")))]
async fn me(#[claims] claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

/// The caller's orders: a valid token that also grants `orders:read`.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[utoipa::path(get, path = "/orders", responses((status = 200, description = "The caller's orders")))]
async fn list_orders(#[claims] claims: Claims) -> Json<Value> {
    let owner = claims.sub.unwrap_or_default();
    Json(json!([{ "id": 1, "owner": owner, "item": "tea" }]))
}

/// The issuer's security scheme, `oidc` (utoipa's `modifiers(...)` takes a path to a value).
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        SecurityAddon::new(ISSUER).modify(doc);
    }
}

#[derive(OpenApi)]
#[openapi(paths(health, me, list_orders), modifiers(&Security))]
struct ApiDoc;

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/orders", get(list_orders))
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}

#[tokio::main]
async fn main() -> ExitCode {
    support::init_logs();
    match run(support::self_test_requested()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("openapi failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(self_test: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let issuer = TestIssuer::start_as(ISSUER)?;
    let port = if self_test { 0 } else { 3000 };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("demo provider for {ISSUER} at {}", issuer.url());
    println!("API at {base}, its OpenAPI document at {base}/openapi.json");

    if self_test {
        tokio::spawn(async move { axum::serve(listener, app()).await });
        let requests = support::self_test(&issuer, &base).await;
        let document = check_document(&base).await;
        return Ok(if requests == ExitCode::SUCCESS && document {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }

    support::print_try(&issuer, &base);
    println!("Serving until Ctrl-C.");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// Whether the served document says what the attributes say.
async fn check_document(base: &str) -> bool {
    let doc: Value = match reqwest::get(format!("{base}/openapi.json")).await {
        Ok(response) => match response.json().await {
            Ok(doc) => doc,
            Err(error) => {
                println!("GET /openapi.json: not JSON: {error}");
                return false;
            }
        },
        Err(error) => {
            println!("GET /openapi.json failed: {error}");
            return false;
        }
    };
    let checks = [
        (
            "scheme",
            doc["components"]["securitySchemes"]["oidc"].clone(),
            json!({
                "type": "openIdConnect",
                "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration"
            }),
        ),
        (
            "/orders security",
            doc["paths"]["/orders"]["get"]["security"].clone(),
            json!([{ "oidc": ["orders:read"] }]),
        ),
        (
            "/me security",
            doc["paths"]["/me"]["get"]["security"].clone(),
            json!([{ "oidc": [] }]),
        ),
        (
            "/orders 403 challenge",
            json!(
                doc.pointer("/paths/~1orders/get/responses/403/headers/WWW-Authenticate")
                    .is_some()
            ),
            json!(true),
        ),
        (
            "/health security",
            doc["paths"]["/health"]["get"]["security"].clone(),
            Value::Null,
        ),
    ];
    let mut all_as_expected = true;
    for (name, found, expected) in checks {
        let verdict = if found == expected {
            "ok"
        } else {
            "UNEXPECTED"
        };
        println!("{name:<24} {found} {verdict}");
        all_as_expected &= found == expected;
    }
    all_as_expected
}
