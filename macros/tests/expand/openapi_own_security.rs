// The user's own `security(...)` stands, and so do the statuses they documented (401 here).
// Where the attribute writes the requirement (`/me`), `openapi_scheme` names its scheme. No
// scopes nor claims: no 403.
use jwks_guard::protected;
use utoipa::OpenApi;

#[protected(issuer = env("OIDC_ISSUER"), audience = "orders-api", openapi_scheme = "corp")]
#[utoipa::path(
    get,
    path = "/health",
    security((), ("apiKey" = [])),
    responses(
        (status = 200, description = "Healthy"),
        (status = 401, description = "Log in first"),
    ),
)]
async fn health() -> &'static str {
    "ok"
}

/// No scopes: the requirement lists none.
#[protected(issuer = env("OIDC_ISSUER"), audience = "orders-api", openapi_scheme = "corp")]
#[utoipa::path(get, path = "/me")]
async fn me() -> &'static str {
    "me"
}

#[derive(OpenApi)]
#[openapi(paths(health, me))]
struct ApiDoc;

fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/health", axum::routing::get(health))
        .route("/me", axum::routing::get(me));
    let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
    let health = &doc["paths"]["/health"]["get"];
    assert_eq!(
        health["security"],
        serde_json::json!([{}, { "apiKey": [] }])
    );
    assert_eq!(health["responses"]["401"]["description"], "Log in first");
    assert!(health["responses"].get("403").is_none());
    assert_eq!(
        doc["paths"]["/me"]["get"]["security"],
        serde_json::json!([{ "corp": [] }])
    );
}
