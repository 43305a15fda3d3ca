use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api", dpop = "require")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
