use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audiance = "orders-api")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
}
