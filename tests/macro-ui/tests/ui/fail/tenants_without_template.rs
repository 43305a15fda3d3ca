use jwks_guard::protected;

#[protected(issuer = "https://login.microsoftonline.com/0000/v2.0", audience = "api", tenants = ["0000"])]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
