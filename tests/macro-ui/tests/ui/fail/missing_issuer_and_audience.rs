use jwks_guard::protected;

#[protected]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
