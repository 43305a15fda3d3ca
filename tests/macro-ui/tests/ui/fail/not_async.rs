use jwks_guard::protected;

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
