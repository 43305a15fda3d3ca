// The expansion of `health_detail.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::protected;
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __health_detail_policy;
impl ::jwks_guard::__private::StaticPolicy for __health_detail_policy {
    type Claims = ::jwks_guard::__private::NoClaims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::Env("OIDC_ISSUER"),
                )
                .audience(::jwks_guard::__private::Values::Env("OIDC_AUDIENCE")),
        );
        &CELL
    }
}
async fn health_detail(
    __guard: ::jwks_guard::__private::Protected<__health_detail_policy>,
) -> &'static str {
    "ok"
}
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/health/detail", axum::routing::get(health_detail));
}
