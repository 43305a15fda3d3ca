// Literal settings, a scope, and the claims parameter, which becomes the guard.
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
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
async fn list_orders(#[claims] claims: Claims, Query(page): Query<Page>) -> Json<Vec<Order>> {
    let _ = (claims.sub, page.after);
    Json(vec![Order { id: 1 }])
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
}
