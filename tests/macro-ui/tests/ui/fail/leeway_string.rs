use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", leeway = "60")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
