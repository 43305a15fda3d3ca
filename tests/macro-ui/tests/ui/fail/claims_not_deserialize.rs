use jwks_guard::protected;

struct User {
    name: String,
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn me(#[claims] user: User) -> String {
    user.name
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/me", axum::routing::get(me));
}
