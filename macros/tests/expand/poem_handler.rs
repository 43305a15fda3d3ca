// Poem: `#[protected]` above `#[handler]`, which then turns the rewritten function into an
// endpoint.
use jwks_guard::{Claims, protected};
use poem::web::Query;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
#[poem::handler]
async fn list_orders(#[claims] claims: Claims, Query(after): Query<Option<u64>>) -> String {
    format!("{:?} {after:?}", claims.sub)
}

fn main() {
    let _ = poem::Route::new().at("/orders", poem::get(list_orders));
}
