use jwks_guard::protected;

#[protected(issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example", client_id = 42)]
async fn list_orders() -> &'static str {
    "[]"
}

fn main() {}
