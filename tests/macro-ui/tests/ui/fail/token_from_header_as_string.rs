use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    token_from = ["x-forwarded-access-token"],
)]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
