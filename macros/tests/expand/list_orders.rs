// The README's example: literal settings, a scope, and the claims parameter, which becomes the
// guard. Its expansion is the README's excerpt (`scripts/expand-readme` copies it there).
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

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
async fn list_orders(#[claims] claims: Claims, Query(page): Query<Page>) -> Json<Vec<Order>> {
    Json(orders_of(claims.sub.as_deref(), page))
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
}
