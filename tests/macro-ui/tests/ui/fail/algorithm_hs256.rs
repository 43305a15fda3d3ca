use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    algorithms = ["RS256", "HS256"],
)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
