// A `#[claims]` parameter of type `Option<…>`: the handler also serves requests without a token
// (`None`); a token that is present is checked as ever.
use axum::Router;
use axum::routing::get;
use jwks_guard::{Claims, protected};

#[protected(issuer = "https://id.example.com/", audience = "catalogue-api")]
async fn catalogue(#[claims] claims: Option<Claims>) -> String {
    match claims {
        Some(claims) => format!("prices for {}", claims.sub.unwrap_or_default()),
        None => "public prices".to_owned(),
    }
}

fn main() {
    let _: Router = Router::new().route("/catalogue", get(catalogue));
}
