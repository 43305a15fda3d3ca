// The expansion of `poem_handler.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::{Claims, protected};
use poem::web::Query;
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
#[poem::handler]
async fn list_orders(
    __guard: ::jwks_guard::__private::Protected<__list_orders_policy>,
    Query(after): Query<Option<u64>>,
) -> String {
    let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
    format!("{:?} {after:?}", claims.sub)
}
fn main() {
    let _ = poem::Route::new().at("/orders", poem::get(list_orders));
}
