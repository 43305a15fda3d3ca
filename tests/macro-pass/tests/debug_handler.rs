// axum's `#[debug_handler]` below `#[protected]`: it checks the rewritten handler, guard
// included. (Above `#[protected]` it cannot work: see tests/macro-ui/tests/ui/fail/debug_handler_above.rs.)
#![deny(warnings)]

use axum::Json;
use axum::debug_handler;
use axum::extract::Query;
use jwks_guard::{Claims, protected};
use serde::Deserialize;

#[derive(Deserialize)]
struct Page {
    after: Option<u64>,
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[debug_handler]
async fn list_orders(#[claims] claims: Claims, Query(page): Query<Page>) -> Json<Vec<String>> {
    Json(vec![claims.iss, page.after.unwrap_or_default().to_string()])
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
#[axum::debug_handler]
async fn health() -> &'static str {
    "ok"
}

// Both with `#[tracing::instrument]` on top.
#[tracing::instrument(skip(claims))]
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
#[debug_handler]
async fn me(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/orders", axum::routing::get(list_orders))
        .route("/health", axum::routing::get(health))
        .route("/me", axum::routing::get(me));
}
