// Rocket: `#[protected]` above `#[get]`, whose request guards then include the guard.
use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[rocket::get("/orders?<after>")]
async fn list_orders(#[claims] claims: Claims, after: Option<u64>) -> String {
    format!("{:?} {after:?}", claims.sub)
}

fn main() {
    let _ = rocket::build()
        .attach(jwks_guard::integrations::rocket::Guard)
        .mount("/", rocket::routes![list_orders]);
}
