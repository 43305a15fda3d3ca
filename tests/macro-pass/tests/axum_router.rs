// Protected handlers are ordinary axum handlers: with state, path, query and body extractors,
// with the claims parameter anywhere, with claims types of their own, across modules.
#![deny(warnings)]

use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use jwks_guard::{Claims, protected};
use serde::Deserialize;

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[derive(Deserialize)]
struct Page {
    after: Option<u64>,
}

#[derive(Deserialize)]
struct NewOrder {
    item: String,
}

/// Claims of the handler's own shape.
#[derive(Deserialize)]
struct Staff {
    sub: String,
    #[serde(default)]
    roles: Vec<String>,
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
async fn list_orders(
    State(state): State<AppState>,
    Query(page): Query<Page>,
    #[claims] claims: Claims,
) -> String {
    format!("{} {:?} {:?}", state.greeting, page.after, claims.sub)
}

// The body extractor stays last; the guard runs before it.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:write"])]
async fn create_order(
    #[claims] mut staff: Staff,
    Json(order): Json<NewOrder>,
) -> Json<Vec<String>> {
    staff.roles.push(order.item);
    staff.roles.push(staff.sub);
    Json(staff.roles)
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn order(Path(id): Path<u64>) -> String {
    id.to_string()
}

mod admin {
    use jwks_guard::protected;

    #[protected(
        issuer = env("OIDC_ISSUER"),
        audience = env("OIDC_AUDIENCE"),
        claims("realm_access.roles" = ["admin"]),
    )]
    pub async fn stats() -> &'static str {
        "ok"
    }

    #[protected(issuer = "https://id.example.com/", audience = "admin-api")]
    pub(crate) async fn reindex(#[claims] _claims: jwks_guard::Claims) {}
}

fn main() {
    let _: Router = Router::new()
        .route("/orders", get(list_orders).post(create_order))
        .route("/orders/{id}", get(order))
        .route("/admin/stats", get(admin::stats))
        .route("/admin/reindex", post(admin::reindex))
        .with_state(AppState { greeting: "hi" });
}
