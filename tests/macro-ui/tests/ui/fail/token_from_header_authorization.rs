use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    token_from = [header("Authorization")],
)]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
