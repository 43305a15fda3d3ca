// The expansion of `crate_path.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
mod platform {
    pub use ::jwks_guard as auth;
}
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __whoami_policy;
impl crate::platform::auth::__private::StaticPolicy for __whoami_policy {
    type Claims = platform::auth::Claims;
    fn cell() -> &'static crate::platform::auth::__private::PolicyCell {
        static CELL: crate::platform::auth::__private::PolicyCell = crate::platform::auth::__private::PolicyCell::new(
            crate::platform::auth::__private::PolicySpec::new(
                    crate::platform::auth::__private::Values::List(
                        &["https://id.example.com/"],
                    ),
                )
                .audience(
                    crate::platform::auth::__private::Values::List(&["orders-api"]),
                ),
        );
        &CELL
    }
}
async fn whoami(
    __guard: crate::platform::auth::__private::Protected<__whoami_policy>,
) -> String {
    let claims: platform::auth::Claims = crate::platform::auth::__private::Protected::into_claims(
        __guard,
    );
    claims.sub.unwrap_or_default()
}
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/whoami", axum::routing::get(whoami));
}
