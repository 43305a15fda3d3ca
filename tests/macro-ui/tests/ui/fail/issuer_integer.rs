use jwks_guard::protected;

#[protected(issuer = 443, audience = "orders-api")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
