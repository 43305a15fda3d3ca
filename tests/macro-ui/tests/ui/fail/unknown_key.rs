use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", timeout = 5)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
