use jwks_guard::protected;

// An OpenAPI component name holds only ASCII letters, digits, `.`, `_` and `-`.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", openapi_scheme = "corp sso")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
