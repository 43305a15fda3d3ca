use jwks_guard::protected;

#[protected(issuer = env!("OIDC_ISSUER"), audience = "orders-api")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
