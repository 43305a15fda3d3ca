//! The response table (`tests/common/conformance.rs`) on axum 0.8, over real HTTP: the shared
//! handlers registered with `Router::route`, served by `axum::serve` on 127.0.0.1.

use crate::{common, conformance};

use axum::routing::get;
use axum::{Json, Router};
use jwks_guard::{Claims, protected};

use conformance::{NewOrder, Profile};

#[protected(issuer = "https://conformance.test/", audience = "api")]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
async fn profile(#[claims] profile: Profile) -> String {
    profile.answer()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
async fn list_orders() -> &'static str {
    "orders"
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
async fn create_order(#[claims] claims: Claims, Json(order): Json<NewOrder>) -> String {
    conformance::new_order(&claims, &order)
}

#[protected(issuer = "https://conformance.test/", audience = "api", typ = "at+jwt")]
async fn typed() -> &'static str {
    "typed"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    claims(tenant = "acme")
)]
async fn tenant() -> &'static str {
    "tenant"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]
)]
async fn sources(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read"])]
async fn maybe(#[claims] claims: Option<Claims>) -> String {
    conformance::maybe(claims.as_ref())
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "required"
)]
async fn dpop_required(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "disabled"
)]
async fn bearer_only(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "api")]
async fn misconfigured() {}

#[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "api")]
async fn empty_env() {}

#[protected(issuer = "https://down.axum.test/", audience = "api")]
async fn down() {}

#[protected(issuer = "https://garbage.axum.test/", audience = "api")]
async fn garbage() {}

#[protected(issuer = "https://liar.axum.test/", audience = "api")]
async fn liar() {}

#[protected(issuer = "https://first-requests.axum.test/", audience = "api")]
async fn first_requests(#[claims] claims: Claims) -> String {
    conformance::first_request(&claims)
}

async fn app() -> String {
    common::serve(
        Router::new()
            .route("/whoami", get(whoami))
            .route("/profile", get(profile))
            .route("/orders", get(list_orders).post(create_order))
            .route("/typed", get(typed))
            .route("/tenant", get(tenant))
            .route("/sources", get(sources))
            .route("/maybe", get(maybe))
            .route("/dpop-required", get(dpop_required))
            .nest("/nested", Router::new().route("/whoami", get(whoami)))
            .route("/bearer-only", get(bearer_only))
            .route("/misconfigured", get(misconfigured))
            .route("/empty-env", get(empty_env))
            .route("/down", get(down))
            .route("/garbage", get(garbage))
            .route("/liar", get(liar))
            .route("/first-requests", get(first_requests)),
    )
    .await
}

#[tokio::test]
async fn every_row_of_the_response_table_on_axum() {
    conformance::every_row("axum", &app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_on_axum_share_one_key_fetch() {
    conformance::first_requests_share_one_key_fetch("axum", &app().await).await;
}

#[tokio::test]
async fn a_request_without_a_token_is_answered_before_its_body_on_axum() {
    conformance::a_request_without_a_token_is_answered_before_its_body("axum", &app().await).await;
}
