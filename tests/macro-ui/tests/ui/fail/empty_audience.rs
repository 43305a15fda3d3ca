use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = [])]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
