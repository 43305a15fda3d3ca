// The expansion of `openapi_own_security.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::protected;
use utoipa::OpenApi;
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __health_policy;
impl ::jwks_guard::__private::StaticPolicy for __health_policy {
    type Claims = ::jwks_guard::__private::NoClaims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::Env("OIDC_ISSUER"),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"])),
        );
        &CELL
    }
}
#[utoipa::path(
    get,
    path = "/health",
    security((), ("apiKey" = [])),
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
            status = 503,
            description = "The issuer's signing keys cannot be obtained now (`temporarily_unavailable`)",
            headers(("Retry-After", description = "Seconds to wait before trying again"))
        ),
        (
            status = 500,
            description = "The guard's configuration is incomplete, e.g. an environment variable is not set (`server_error`)"
        ),
        (status = 200, description = "Healthy"),
        (status = 401, description = "Log in first"),
    ),
)]
async fn health(
    __guard: ::jwks_guard::__private::Protected<__health_policy>,
) -> &'static str {
    "ok"
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __me_policy;
impl ::jwks_guard::__private::StaticPolicy for __me_policy {
    type Claims = ::jwks_guard::__private::NoClaims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::Env("OIDC_ISSUER"),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"])),
        );
        &CELL
    }
}
/// No scopes: the requirement lists none.
#[utoipa::path(
    get,
    path = "/me",
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
            status = 503,
            description = "The issuer's signing keys cannot be obtained now (`temporarily_unavailable`)",
            headers(("Retry-After", description = "Seconds to wait before trying again"))
        ),
        (
            status = 500,
            description = "The guard's configuration is incomplete, e.g. an environment variable is not set (`server_error`)"
        )
    ),
    security(("corp" = []))
)]
async fn me(__guard: ::jwks_guard::__private::Protected<__me_policy>) -> &'static str {
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
    assert_eq!(health["security"], serde_json::json!([{}, { "apiKey" : [] }]));
    assert_eq!(health["responses"] ["401"] ["description"], "Log in first");
    assert!(health["responses"].get("403").is_none());
    assert_eq!(
        doc["paths"] ["/me"] ["get"] ["security"], serde_json::json!([{ "corp" : [] }])
    );
}
