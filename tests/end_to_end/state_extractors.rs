//! `Authenticated` on actix-web, Rocket and Poem: the policy built with `Policy::builder()`,
//! taken from each framework's application state, the same answers as axum's, over real HTTP.

use crate::{common, servers};

use std::sync::LazyLock;

use actix_web::web;
use jwks_guard::{Authenticated, Claims, MaybeAuthenticated, Policy};
use jwks_guard_test::TestIssuer;

use common::{Reply, get_with_token};

const ISSUER_NAME: &str = "https://state-extractors.test/";

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER_NAME).expect("test issuer"));

fn policy() -> Policy {
    LazyLock::force(&ISSUER);
    Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .scopes(["orders:read"])
        .build()
        .expect("a valid policy")
}

fn sub(claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

async fn actix_me(auth: Authenticated<Claims>) -> String {
    sub(auth.0)
}

#[rocket::get("/me")]
async fn rocket_me(auth: Authenticated<Claims>) -> String {
    sub(auth.0)
}

#[poem::handler]
async fn poem_me(auth: Authenticated<Claims>) -> String {
    sub(auth.0)
}

/// What the `/maybe` routes answer: the subject, or `anonymous` without a token.
fn maybe_sub(auth: MaybeAuthenticated<Claims>) -> String {
    auth.0.map_or_else(|| "anonymous".to_owned(), sub)
}

async fn actix_maybe(auth: MaybeAuthenticated<Claims>) -> String {
    maybe_sub(auth)
}

#[rocket::get("/maybe")]
async fn rocket_maybe(auth: MaybeAuthenticated<Claims>) -> String {
    maybe_sub(auth)
}

#[poem::handler]
async fn poem_maybe(auth: MaybeAuthenticated<Claims>) -> String {
    maybe_sub(auth)
}

/// Per framework: its name, the URL of a route with the policy in the state, and of one
/// without.
async fn servers() -> [(&'static str, String, String); 3] {
    LazyLock::force(&ISSUER);
    let actix = servers::actix(1, |config| {
        config
            .app_data(web::Data::new(policy()))
            .route("/me", web::get().to(actix_me))
            .route("/maybe", web::get().to(actix_maybe));
    });
    let actix_bare = servers::actix(1, |config| {
        config.route("/me", web::get().to(actix_me));
    });
    let rocket = servers::rocket(
        rocket::custom(servers::rocket_config())
            .manage(policy())
            .attach(jwks_guard::integrations::rocket::Guard)
            .mount("/", rocket::routes![rocket_me, rocket_maybe]),
    );
    let rocket_bare = servers::rocket(
        rocket::custom(servers::rocket_config())
            .attach(jwks_guard::integrations::rocket::Guard)
            .mount("/", rocket::routes![rocket_me]),
    );
    use poem::EndpointExt as _;
    let poem = servers::poem(
        poem::Route::new()
            .at("/me", poem::get(poem_me.data(policy())))
            .at("/maybe", poem::get(poem_maybe.data(policy())))
            .at("/unconfigured", poem::get(poem_me)),
    )
    .await;
    [
        (
            "actix-web",
            format!("{actix}/me"),
            format!("{actix_bare}/me"),
        ),
        (
            "rocket",
            format!("{rocket}/me"),
            format!("{rocket_bare}/me"),
        ),
        ("poem", format!("{poem}/me"), format!("{poem}/unconfigured")),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn authenticated_answers_alike_on_actix_rocket_and_poem() {
    let token = || ISSUER.token().audience("orders-api").subject("alice");
    let servers = servers().await;
    for (name, url, _) in &servers {
        let name = *name;
        let reply = get_with_token(url, &token().scope("orders:read").sign()).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "alice"),
            "{name}"
        );
        common::get(url, &[]).await.assert_missing_credentials(name);
        get_with_token(url, &token().scope("orders:read").expired().sign())
            .await
            .assert_invalid_token(name);
        let reply: Reply = get_with_token(url, &token().sign()).await;
        assert_eq!(
            (reply.status, reply.www_authenticate.as_deref()),
            (
                403,
                Some(r#"Bearer error="insufficient_scope", scope="orders:read""#)
            ),
            "{name}: {reply:?}"
        );
    }
    for (name, _, bare) in &servers {
        let reply = get_with_token(bare, &token().scope("orders:read").sign()).await;
        assert_eq!(
            (reply.status, reply.error().as_str()),
            (500, "server_error"),
            "{name} without a policy: {reply:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn maybe_authenticated_is_none_only_without_a_token_on_actix_rocket_and_poem() {
    let token = || ISSUER.token().audience("orders-api").subject("alice");
    for (name, url, _) in &servers().await {
        let (name, url) = (*name, url.replace("/me", "/maybe"));
        let reply = common::get(&url, &[]).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "anonymous"),
            "{name}"
        );
        let reply = get_with_token(&url, &token().scope("orders:read").sign()).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "alice"),
            "{name}"
        );
        get_with_token(&url, &token().scope("orders:read").expired().sign())
            .await
            .assert_invalid_token(name);
        get_with_token(&url, &token().scope("orders:read").foreign_key().sign())
            .await
            .assert_invalid_token(name);
        let reply = get_with_token(&url, &token().sign()).await;
        assert_eq!(
            (reply.status, reply.error().as_str()),
            (403, "insufficient_scope"),
            "{name}: {reply:?}"
        );
        let reply = common::get(&url, &[("authorization", "Bearer a,b")]).await;
        assert_eq!(
            (reply.status, reply.error().as_str()),
            (400, "invalid_request"),
            "{name}: {reply:?}"
        );
    }
}
