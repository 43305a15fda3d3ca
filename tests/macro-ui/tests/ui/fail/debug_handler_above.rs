// `#[debug_handler]` above `#[protected]` checks the handler as written, before the guard is
// there: `#[claims]` is not an extractor. Put `#[protected]` first.
use axum::debug_handler;
use jwks_guard::{Claims, protected};

#[debug_handler]
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn me(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/me", axum::routing::get(me));
}
