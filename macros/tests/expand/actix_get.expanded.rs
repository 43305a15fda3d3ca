// The expansion of `actix_get.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use actix_web::{App, get, web};
use jwks_guard::{Claims, protected};
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
#[get("/orders")]
async fn list_orders(
    __guard: ::jwks_guard::__private::Protected<__list_orders_policy>,
    query: web::Query<Vec<(String, String)>>,
) -> String {
    let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
    format!("{:?} {}", claims.sub, query.len())
}
fn main() {
    let _ = App::new().service(list_orders);
}
