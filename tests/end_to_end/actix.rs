//! The response table (`tests/common/conformance.rs`) on actix-web 4, and what is actix's own:
//! `#[protected]` on either side of the route attribute or on a handler registered by hand, the
//! guard's hold on the body while it waits for keys (actix polls a handler's extractors
//! together), and one key cache for every worker (each a thread with its own single-threaded
//! Tokio runtime). One server with four workers on 127.0.0.1.

use crate::{common, conformance, servers};

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use actix_web::{get, post, web};
use jwks_guard::{Claims, protected};
use jwks_guard_test::{Answer, TestIssuer};

use common::{bounded, post_json};
use conformance::{Expect, NewOrder, Profile};

const WORKERS: usize = 4;

/// The server, started at the first use: its base URL.
static SERVER: LazyLock<String> = LazyLock::new(|| servers::actix(WORKERS, routes));

/// `#[protected]` above the route attribute, as the README writes it.
#[protected(issuer = "https://conformance.test/", audience = "api")]
#[get("/whoami")]
async fn whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// Registered by hand: `web::resource("/profile").route(web::get().to(profile))`.
#[protected(issuer = "https://conformance.test/", audience = "api")]
async fn profile(#[claims] profile: Profile) -> String {
    profile.answer()
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
#[get("/orders")]
async fn list_orders() -> &'static str {
    "orders"
}

/// The other order: the route attribute expands first and keeps `#[protected]` on the function
/// it nests in its registration, where it expands in turn.
#[post("/orders")]
#[protected(issuer = "https://conformance.test/", audience = "api")]
async fn create_order(#[claims] claims: Claims, order: web::Json<NewOrder>) -> String {
    conformance::new_order(&claims, &order)
}

#[protected(issuer = "https://conformance.test/", audience = "api", typ = "at+jwt")]
#[get("/typed")]
async fn typed() -> &'static str {
    "typed"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    claims(tenant = "acme")
)]
#[get("/tenant")]
async fn tenant() -> &'static str {
    "tenant"
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")]
)]
#[get("/sources")]
async fn sources(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "required"
)]
#[get("/dpop-required")]
async fn dpop_required(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(
    issuer = "https://conformance.test/",
    audience = "api",
    dpop = "disabled"
)]
#[get("/bearer-only")]
async fn bearer_only(#[claims] claims: Claims) -> String {
    conformance::bound_to(&claims)
}

#[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read"])]
#[get("/maybe")]
async fn maybe(#[claims] claims: Option<Claims>) -> String {
    conformance::maybe(claims.as_ref())
}

#[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "api")]
#[get("/misconfigured")]
async fn misconfigured() -> &'static str {
    "unreachable"
}

#[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "api")]
#[get("/empty-env")]
async fn empty_env() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://down.actix-web.test/", audience = "api")]
#[get("/down")]
async fn down() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://garbage.actix-web.test/", audience = "api")]
#[get("/garbage")]
async fn garbage() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://liar.actix-web.test/", audience = "api")]
#[get("/liar")]
async fn liar() -> &'static str {
    "unreachable"
}

#[protected(issuer = "https://first-requests.actix-web.test/", audience = "api")]
#[get("/first-requests")]
async fn first_requests(#[claims] claims: Claims) -> String {
    conformance::first_request(&claims)
}

/// Registered by hand, for a provider whose first fetch is slow.
#[protected(issuer = "https://actix-cold.test/", audience = "api")]
async fn create_order_cold(order: web::Json<NewOrder>) -> String {
    order.into_inner().item
}

/// Registered by hand, for a provider whose refreshes are slow.
#[protected(issuer = "https://actix-refresh.test/", audience = "api")]
async fn create_order_refresh(order: web::Json<NewOrder>) -> String {
    order.into_inner().item
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .service(whoami)
        .service(web::resource("/profile").route(web::get().to(profile)))
        .service(list_orders)
        .service(create_order)
        .service(typed)
        .service(tenant)
        .service(sources)
        .service(maybe)
        .service(dpop_required)
        .service(web::scope("/nested").service(whoami))
        .service(bearer_only)
        .service(misconfigured)
        .service(empty_env)
        .service(down)
        .service(garbage)
        .service(liar)
        .service(first_requests)
        .service(web::resource("/cold").route(web::post().to(create_order_cold)))
        .service(web::resource("/refresh").route(web::post().to(create_order_refresh)));
}

#[tokio::test]
async fn every_row_of_the_response_table_on_actix() {
    conformance::every_row("actix-web", &SERVER).await;
}

#[tokio::test]
async fn a_request_without_a_token_is_answered_before_its_body_on_actix() {
    conformance::a_request_without_a_token_is_answered_before_its_body("actix-web", &SERVER).await;
}

#[tokio::test]
async fn concurrent_first_requests_on_different_workers_share_one_key_fetch_every_worker_uses() {
    let threads = conformance::first_requests_share_one_key_fetch("actix-web", &SERVER).await;
    assert!(threads.len() >= 2, "all on one worker: {threads:?}");
    // Each new connection goes to the next worker: a few more rounds reach all of them.
    let (issuer, url) = (
        &conformance::providers("actix-web").first_requests,
        format!("{}/first-requests", *SERVER),
    );
    let token = issuer.token().audience(conformance::AUDIENCE).sign();
    let mut workers = HashSet::new();
    for _ in 0..16 * WORKERS {
        let reply = bounded(&url, common::get_with_token(&url, &token)).await;
        assert_eq!(reply.status, 200, "{reply:?}");
        workers.extend(reply.text.split_once(" on ").map(|(_, t)| t.to_owned()));
        if workers.len() == WORKERS {
            break;
        }
    }
    assert_eq!(workers.len(), WORKERS, "workers seen: {workers:?}");
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );
}

// While the guard waits for keys, actix runs the body extractor too: only the guard's hold on
// the body keeps that extractor from answering first.

#[tokio::test]
async fn a_bad_token_waiting_for_the_first_key_fetch_is_401_not_the_body_extractors_400() {
    let issuer = TestIssuer::start_as("https://actix-cold.test/").expect("test issuer");
    issuer.set_discovery_answer(Answer::Delay(Duration::from_millis(500)));
    let token = issuer.token().audience("api").foreign_key().sign();
    let (url, auth) = (format!("{}/cold", *SERVER), format!("Bearer {token}"));
    let reply = bounded(
        &url,
        post_json(&url, &[("authorization", &auth)], "{not json"),
    )
    .await;
    Expect::InvalidToken("invalid signature").check(&reply, "a forged token, cold");
}

#[tokio::test]
async fn an_unknown_key_waiting_for_a_key_refresh_is_401_not_the_body_extractors_400() {
    let issuer = TestIssuer::start_as("https://actix-refresh.test/").expect("test issuer");
    let url = format!("{}/refresh", *SERVER);
    let good = format!("Bearer {}", issuer.token().audience("api").sign());
    let headers = [("authorization", good.as_str())];
    let reply = bounded(&url, post_json(&url, &headers, r#"{"item":"tea"}"#)).await;
    Expect::Ok("tea").check(&reply, "a valid token");
    issuer.set_answer(Answer::Delay(Duration::from_millis(500)));
    let unknown = issuer.token().audience("api").kid("rotated-away").sign();
    let auth = format!("Bearer {unknown}");
    let reply = bounded(
        &url,
        post_json(&url, &[("authorization", &auth)], "{not json"),
    )
    .await;
    Expect::InvalidToken("unknown signing key").check(&reply, "an unknown kid, refreshing");
    assert_eq!(
        issuer.jwks_requests(),
        2,
        "the unknown key caused one refresh"
    );
}
