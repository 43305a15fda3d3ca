// The expansion of `openapi_cookie.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::openapi::SecurityAddon;
use jwks_guard::protected;
use utoipa::{Modify, OpenApi};
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __list_orders_policy;
impl ::jwks_guard::__private::StaticPolicy for __list_orders_policy {
    type Claims = ::jwks_guard::__private::NoClaims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::List(&["https://id.example.com/"]),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"]))
                .scopes(&["orders:read"])
                .token_from(
                    &[
                        ::jwks_guard::__private::TokenSource::Authorization,
                        ::jwks_guard::__private::TokenSource::Cookie(
                            ::jwks_guard::__private::Cow::Borrowed("session"),
                        ),
                        ::jwks_guard::__private::TokenSource::Header(
                            ::jwks_guard::__private::Cow::Borrowed("x-access-token"),
                        ),
                    ],
                ),
        );
        &CELL
    }
}
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
    security(
        ("oidc" = ["orders:read"]),
        ("oidc_cookie_session" = []),
        ("oidc_header_x-access-token" = [])
    )
)]
async fn list_orders(
    __guard: ::jwks_guard::__private::Protected<__list_orders_policy>,
) -> &'static str {
    "orders"
}
#[derive(OpenApi)]
#[openapi(paths(list_orders))]
struct ApiDoc;
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/orders", axum::routing::get(list_orders));
    let mut doc = ApiDoc::openapi();
    SecurityAddon::new("https://id.example.com/")
        .cookie("session")
        .header("X-Access-Token")
        .modify(&mut doc);
    let json = serde_json::to_value(&doc).expect("serializes");
    assert_eq!(
        json["paths"] ["/orders"] ["get"] ["security"], serde_json::json!([{ "oidc" :
        ["orders:read"] }, { "oidc_cookie_session" : [] }, { "oidc_header_x-access-token"
        : [] }])
    );
    let schemes = &json["components"]["securitySchemes"];
    assert_eq!(schemes["oidc_cookie_session"] ["in"], "cookie");
    assert_eq!(schemes["oidc_header_x-access-token"] ["name"], "x-access-token");
}
