// The expansion of `optional_claims.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use axum::Router;
use axum::routing::get;
use jwks_guard::{Claims, protected};
#[doc(hidden)]
#[allow(non_camel_case_types)]
struct __catalogue_policy;
impl ::jwks_guard::__private::StaticPolicy for __catalogue_policy {
    type Claims = Claims;
    fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
        static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
            ::jwks_guard::__private::PolicySpec::new(
                    ::jwks_guard::__private::Values::List(&["https://id.example.com/"]),
                )
                .audience(::jwks_guard::__private::Values::List(&["catalogue-api"])),
        );
        &CELL
    }
}
async fn catalogue(
    __guard: ::jwks_guard::__private::OptionalProtected<__catalogue_policy>,
) -> String {
    let claims: Option<Claims> = ::jwks_guard::__private::OptionalProtected::into_claims(
        __guard,
    );
    match claims {
        Some(claims) => format!("prices for {}", claims.sub.unwrap_or_default()),
        None => "public prices".to_owned(),
    }
}
fn main() {
    let _: Router = Router::new().route("/catalogue", get(catalogue));
}
