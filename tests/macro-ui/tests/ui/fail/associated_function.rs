use jwks_guard::protected;

struct Orders;

impl Orders {
    #[protected(issuer = "https://id.example.com/", audience = "orders-api")]
    async fn list() -> &'static str {
        "[]"
    }
}

fn main() {}
