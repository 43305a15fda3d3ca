use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "catalogue-api")]
async fn catalogue(#[claims] claims: Option<Option<Claims>>) -> String {
    format!("{}", claims.is_some())
}

fn main() {}
