// The expansion of `return_types.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jwks_guard::{Claims, protected};
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __order_policy;
impl ::jwks_guard::__private::StaticPolicy for __order_policy {
    type Claims = Claims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::List(&["https://id.example.com/"]),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"])),
        );
        &CELL
    }
}
async fn order(
    __guard: ::jwks_guard::__private::Protected<__order_policy>,
) -> Result<Json<Vec<String>>, (StatusCode, &'static str)> {
    let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
    match claims.sub {
        Some(sub) => Ok(Json(vec![sub])),
        None => Err((StatusCode::NOT_FOUND, "no subject")),
    }
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __health_policy;
impl ::jwks_guard::__private::StaticPolicy for __health_policy {
    type Claims = ::jwks_guard::__private::NoClaims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::List(&["https://id.example.com/"]),
                )
                .audience(::jwks_guard::__private::Values::List(&["orders-api"])),
        );
        &CELL
    }
}
async fn health(
    __guard: ::jwks_guard::__private::Protected<__health_policy>,
) -> impl IntoResponse {
    (StatusCode::OK, "ok")
}
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/order", axum::routing::get(order))
        .route("/health", axum::routing::get(health));
}
