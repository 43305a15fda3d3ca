use jwks_guard::protected;

#[protected(issuer = "https://login.microsoftonline.com/{tid}/v2.0", audience = "api")]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
