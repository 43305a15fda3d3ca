// Settings read from the environment at the first request, and no claims parameter.
use jwks_guard::protected;

#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
async fn health_detail() -> &'static str {
    "ok"
}

fn main() {
    let _: axum::Router =
        axum::Router::new().route("/health/detail", axum::routing::get(health_detail));
}
