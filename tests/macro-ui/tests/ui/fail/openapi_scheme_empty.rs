use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", openapi_scheme = "")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
