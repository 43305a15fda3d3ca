use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    issuer = "https://login.example.com/",
)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
