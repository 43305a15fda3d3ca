use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = [])]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
