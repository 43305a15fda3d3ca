// actix-web: `#[protected]` above `#[get]`, which then registers the rewritten function.
use actix_web::{App, get, web};
use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[get("/orders")]
async fn list_orders(#[claims] claims: Claims, query: web::Query<Vec<(String, String)>>) -> String {
    format!("{:?} {}", claims.sub, query.len())
}

fn main() {
    let _ = App::new().service(list_orders);
}
