// `crate = "..."`: a crate that re-exports jwks-guard points the expansion at its re-export.
mod platform {
    pub use ::jwks_guard as auth;
}

#[platform::auth::protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    crate = "crate::platform::auth"
)]
async fn whoami(#[claims] claims: platform::auth::Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn main() {
    let _: axum::Router = axum::Router::new().route("/whoami", axum::routing::get(whoami));
}
