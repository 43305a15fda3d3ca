use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn list_orders(#[claims] claims: Claims, #[claims] again: Claims) -> String {
    format!("{} {}", claims.iss, again.iss)
}

fn main() {}
