// A handler whose token may come in a cookie or a header: each is an alternative requirement
// (an `apiKey` scheme named `<scheme>_cookie_<name>` / `<scheme>_header_<name>`) beside the
// issuer's scheme, which keeps the scopes.
use jwks_guard::openapi::SecurityAddon;
use jwks_guard::protected;
use utoipa::{Modify, OpenApi};

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    scopes = ["orders:read"],
    token_from = ["authorization", cookie("session"), header("X-Access-Token")],
)]
#[utoipa::path(get, path = "/orders", responses((status = 200, description = "The orders")))]
async fn list_orders() -> &'static str {
    "orders"
}

#[derive(OpenApi)]
#[openapi(paths(list_orders))]
struct ApiDoc;

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
    let mut doc = ApiDoc::openapi();
    SecurityAddon::new("https://id.example.com/")
        .cookie("session")
        .header("X-Access-Token")
        .modify(&mut doc);
    let json = serde_json::to_value(&doc).expect("serializes");
    assert_eq!(
        json["paths"]["/orders"]["get"]["security"],
        serde_json::json!([
            { "oidc": ["orders:read"] },
            { "oidc_cookie_session": [] },
            { "oidc_header_x-access-token": [] }
        ])
    );
    let schemes = &json["components"]["securitySchemes"];
    assert_eq!(schemes["oidc_cookie_session"]["in"], "cookie");
    assert_eq!(
        schemes["oidc_header_x-access-token"]["name"],
        "x-access-token"
    );
}
