use jwks_guard::protected;

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    dpop = "required",
    token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")],
)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
