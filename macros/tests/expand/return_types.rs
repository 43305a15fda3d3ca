// Return types are kept as written: a generic `Result`, and `impl IntoResponse`.
use axum::Json;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn order(#[claims] claims: Claims) -> Result<Json<Vec<String>>, (StatusCode, &'static str)> {
    match claims.sub {
        Some(sub) => Ok(Json(vec![sub])),
        None => Err((StatusCode::NOT_FOUND, "no subject")),
    }
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn health() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/order", axum::routing::get(order))
        .route("/health", axum::routing::get(health));
}
