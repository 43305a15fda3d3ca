//! The response table (`tests/common/conformance.rs`) on Poem 3: `#[protected]` above
//! `#[handler]`, handlers registered with `Route::new().at(path, get(handler))`, a real
//! `poem::Server` on 127.0.0.1 on the test's multi-thread runtime.

use crate::{conformance, servers};

use jwks_guard::{Claims, protected};
use poem::web::Json;
use poem::{Route, get, handler};

use conformance::{NewOrder, Profile};

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[handler]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[handler]
async fn profile(#[claims] profile: Profile) -> String {
    profile.answer()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[handler]
async fn list_orders() -> &'static str {
    "orders"
}

#[protected(issuer = "https://conformance.test/", audience = "api")]
#[handler]
async fn create_order(#[claims] claims: Claims, Json(order): Json<NewOrder>) -> String {
    conformance::new_order(&claims, &order)
}

#[protected(issuer = "https://conformance.test/", audience = "api", typ = "at+jwt")]
#[handler]
async fn typed() -> &'static str {
    "typed"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    claims(tenant = "acme")
)]
#[handler]
async fn tenant() -> &'static str {
    "tenant"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]
)]
#[handler]
async fn sources(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read"])]
#[handler]
async fn maybe(#[claims] claims: Option<Claims>) -> String {
    conformance::maybe(claims.as_ref())
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "required"
)]
#[handler]
async fn dpop_required(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "disabled"
)]
#[handler]
async fn bearer_only(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "api")]
#[handler]
async fn misconfigured() {}

#[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "api")]
#[handler]
async fn empty_env() {}

#[protected(issuer = "https://down.poem.test/", audience = "api")]
#[handler]
async fn down() {}

#[protected(issuer = "https://garbage.poem.test/", audience = "api")]
#[handler]
async fn garbage() {}

#[protected(issuer = "https://liar.poem.test/", audience = "api")]
#[handler]
async fn liar() {}

#[protected(issuer = "https://first-requests.poem.test/", audience = "api")]
#[handler]
async fn first_requests(#[claims] claims: Claims) -> String {
    conformance::first_request(&claims)
}

async fn app() -> String {
    servers::poem(
        Route::new()
            .at("/whoami", get(whoami))
            .at("/profile", get(profile))
            .at("/orders", get(list_orders).post(create_order))
            .at("/typed", get(typed))
            .at("/tenant", get(tenant))
            .at("/sources", get(sources))
            .at("/maybe", get(maybe))
            .at("/dpop-required", get(dpop_required))
            .nest("/nested", Route::new().at("/whoami", get(whoami)))
            .at("/bearer-only", get(bearer_only))
            .at("/misconfigured", get(misconfigured))
            .at("/empty-env", get(empty_env))
            .at("/down", get(down))
            .at("/garbage", get(garbage))
            .at("/liar", get(liar))
            .at("/first-requests", get(first_requests)),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_response_table_on_poem() {
    conformance::every_row("poem", &app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_without_a_token_is_answered_before_its_body_on_poem() {
    conformance::a_request_without_a_token_is_answered_before_its_body("poem", &app().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_requests_on_a_multi_thread_runtime_share_one_key_fetch() {
    conformance::first_requests_share_one_key_fetch("poem", &app().await).await;
}
