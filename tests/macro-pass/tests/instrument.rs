// `#[tracing::instrument]` beside `#[protected]`, in either order. Above, it sees the handler
// as written (`skip(claims)` names your parameter); below, it sees the rewritten one, and records
// the guard, which holds the verified claims, as `__guard`.
#![deny(warnings)]

use jwks_guard::{Claims, protected};

#[tracing::instrument(skip(claims), fields(sub = claims.sub.as_deref()))]
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn instrument_above(
    #[claims] claims: Claims,
    axum::extract::Path(id): axum::extract::Path<u64>,
) -> String {
    format!("{id} {:?}", claims.sub)
}

#[tracing::instrument]
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn instrument_above_without_claims() -> &'static str {
    "ok"
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
#[tracing::instrument(level = "debug")]
async fn instrument_below(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
#[tracing::instrument(skip_all)]
async fn instrument_below_skipping_all(#[claims] claims: Claims) -> String {
    claims.iss
}

fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/a/{id}", axum::routing::get(instrument_above))
        .route("/b", axum::routing::get(instrument_above_without_claims))
        .route("/c", axum::routing::get(instrument_below))
        .route("/d", axum::routing::get(instrument_below_skipping_all));
}
