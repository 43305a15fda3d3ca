use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/")]
async fn list_orders(#[claims] claims: jwks_guard::Claims) -> String {
    claims.iss
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/orders", axum::routing::get(list_orders));
}
