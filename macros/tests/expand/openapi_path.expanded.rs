// The expansion of `openapi_path.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use axum::Json;
use jwks_guard::{Claims, protected};
use utoipa::OpenApi;
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __list_orders_policy;
impl ::jwks_guard::__private::StaticPolicy for __list_orders_policy {
    type Claims = Claims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::List(&["https://id.example.com/"]),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"]))
                .scopes(&["orders:read"]),
        );
        &CELL
    }
}
/// Lists the caller's orders.
#[utoipa::path(
    get,
    path = "/orders",
    responses(
        (
            status = 400,
            description = "Malformed bearer credentials (`invalid_request`)",
            headers(
                (
                    "WWW-Authenticate",
                    description = "`Bearer error=\"invalid_request\"`, with a description"
                )
            )
        ),
        (
            status = 401,
            description = "No bearer token, or one that is not valid: bad signature, expired, wrong issuer or audience (`invalid_token`)",
            headers(
                (
                    "WWW-Authenticate",
                    description = "`Bearer`, with `error=\"invalid_token\"` when a token was sent"
                )
            )
        ),
        (
            status = 403,
            description = "A valid token lacking a required scope or claim (`insufficient_scope`)",
            headers(
                (
                    "WWW-Authenticate",
                    description = "`Bearer error=\"insufficient_scope\"`, naming the required scopes"
                )
            )
        ),
        (
            status = 503,
            description = "The issuer's signing keys cannot be obtained now (`temporarily_unavailable`)",
            headers(("Retry-After", description = "Seconds to wait before trying again"))
        ),
        (
            status = 500,
            description = "The guard's configuration is incomplete, e.g. an environment variable is not set (`server_error`)"
        ),
        (status = 200, description = "The orders")
    ),
    security(("oidc" = ["orders:read"]))
)]
async fn list_orders(
    __guard: ::jwks_guard::__private::Protected<__list_orders_policy>,
) -> Json<Vec<String>> {
    let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
    Json(Vec::from([claims.sub.unwrap_or_default()]))
}
#[derive(OpenApi)]
#[openapi(paths(list_orders))]
struct ApiDoc;
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/orders", axum::routing::get(list_orders));
    let doc = ApiDoc::openapi();
    let operation = doc.paths.paths["/orders"].get.as_ref().expect("GET /orders");
    let security = serde_json::to_value(&operation.security).expect("serializes");
    assert_eq!(security, serde_json::json!([{ "oidc" : ["orders:read"] }]));
    let statuses: Vec<&str> = operation
        .responses
        .responses
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(statuses, ["200", "400", "401", "403", "500", "503"]);
}
