// `#[utoipa::path]` below `#[protected]`: the attribute writes the handler's security (its
// scopes under the scheme `oidc`) and the guard's answers into it, beside the user's 200.
use axum::Json;
use jwks_guard::{Claims, protected};
use utoipa::OpenApi;

/// Lists the caller's orders.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[utoipa::path(get, path = "/orders", responses((status = 200, description = "The orders")))]
async fn list_orders(#[claims] claims: Claims) -> Json<Vec<String>> {
    Json(Vec::from([claims.sub.unwrap_or_default()]))
}

#[derive(OpenApi)]
#[openapi(paths(list_orders))]
struct ApiDoc;

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
    let doc = ApiDoc::openapi();
    let operation = doc.paths.paths["/orders"]
        .get
        .as_ref()
        .expect("GET /orders");
    let security = serde_json::to_value(&operation.security).expect("serializes");
    assert_eq!(security, serde_json::json!([{ "oidc": ["orders:read"] }]));
    let statuses: Vec<&str> = operation
        .responses
        .responses
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(statuses, ["200", "400", "401", "403", "500", "503"]);
}
