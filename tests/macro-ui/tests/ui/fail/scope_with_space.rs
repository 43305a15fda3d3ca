use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    scopes = ["orders:read orders:write"],
)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
