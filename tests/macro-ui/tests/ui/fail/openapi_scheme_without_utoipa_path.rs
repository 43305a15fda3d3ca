use jwks_guard::protected;

// `openapi_scheme` with no `#[utoipa::path]` below `#[protected]` would do nothing: most likely
// the utoipa attribute is above, where it documented the handler before the guard was added.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", openapi_scheme = "corp")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
