// The expansion of `list_orders.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use axum::Json;
use axum::extract::Query;
use jwks_guard::{Claims, protected};
use serde::{Deserialize, Serialize};
#[derive(Deserialize)]
struct Page {
    after: Option<u64>,
}
#[derive(Serialize)]
struct Order {
    id: u64,
    owner: String,
}
fn orders_of(owner: Option<&str>, page: Page) -> Vec<Order> {
    let id = page.after.unwrap_or_default() + 1;
    let owner = owner.unwrap_or_default().to_owned();
    Vec::from([Order { id, owner }])
}
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
async fn list_orders(
    __guard: ::jwks_guard::__private::Protected<__list_orders_policy>,
    Query(page): Query<Page>,
) -> Json<Vec<Order>> {
    let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
    Json(orders_of(claims.sub.as_deref(), page))
}
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/orders", axum::routing::get(list_orders));
}
