//! A provider whose tokens name one address and whose keys are fetched from another (Keycloak
//! behind Docker, a service mesh): `Settings::fetch_from`, and the run-time route
//! `jwks_guard::fetch_from`. Its own binary, since settings are process-wide.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::LazyLock;

use jwks_guard::{FetchRoute, PrefetchError, Settings, configure, prefetch, protected};
use jwks_guard_test::TestIssuer;

use common::{get_with_token, serve_handler};

const PUBLIC: &str = "https://login.example.com/realms/shop";

/// Mapped by the settings to an address keys may not come from; a run-time route overrides it.
const OVERRIDDEN: &str = "https://overridden.example.com/";

/// Reached only at its local address; its tokens and discovery name [`PUBLIC`].
static KEYCLOAK: LazyLock<TestIssuer> = LazyLock::new(|| {
    let issuer = TestIssuer::builder()
        .issuer_name(PUBLIC)
        .start()
        .expect("issuer");
    let _ = configure(
        Settings::new()
            .fetch_from(PUBLIC, issuer.url())
            .fetch_from("https://insecure.example.com/", "http://10.1.2.3:8080/")
            .fetch_from(OVERRIDDEN, "http://10.1.2.3:8080/"),
    );
    issuer
});

#[protected(issuer = "https://login.example.com/realms/shop", audience = "account")]
async fn handler() -> &'static str {
    "ok"
}

#[tokio::test]
async fn keys_are_fetched_from_the_mapped_address_and_iss_is_checked_unchanged() {
    let url = serve_handler(handler).await;
    let token = KEYCLOAK.token().audience("account").sign();
    assert_eq!(get_with_token(&url, &token).await.status, 200);
    assert_eq!(
        (KEYCLOAK.discovery_requests(), KEYCLOAK.jwks_requests()),
        (1, 1)
    );
    // The iss check still wants the public name, not the address keys came from.
    let local_iss = KEYCLOAK
        .token()
        .audience("account")
        .issuer(KEYCLOAK.url())
        .sign();
    let reply = get_with_token(&url, &local_iss).await;
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (401, "issuer mismatch")
    );
}

#[tokio::test]
async fn a_mapping_to_plain_http_off_loopback_is_a_configuration_error() {
    LazyLock::force(&KEYCLOAK);
    let error = prefetch("https://insecure.example.com/", None).await;
    assert!(
        matches!(&error, Err(PrefetchError::Configuration(message)) if message.contains("http://10.1.2.3:8080/")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_route_installed_at_run_time_sends_fetches_to_its_address_while_it_lives() {
    LazyLock::force(&KEYCLOAK);
    // An address found once the process runs (service discovery): not impersonated, routed.
    let provider = TestIssuer::builder()
        .issuer_name("https://discovered.example.com/")
        .start()
        .expect("issuer");
    #[protected(issuer = "https://discovered.example.com/", audience = "api")]
    async fn discovered() -> &'static str {
        "ok"
    }
    let url = serve_handler(discovered).await;
    let token = provider.token().audience("api").sign();

    let route = jwks_guard::fetch_from(provider.issuer(), provider.url());
    assert_eq!(
        FetchRoute::lookup("https://discovered.example.com/jwks"),
        Some(format!("{}/jwks", provider.url()))
    );
    assert_eq!(get_with_token(&url, &token).await.status, 200);
    assert_eq!(
        (provider.discovery_requests(), provider.jwks_requests()),
        (1, 1)
    );
    drop(route);
    assert_eq!(
        FetchRoute::lookup("https://discovered.example.com/jwks"),
        None
    );
}

#[tokio::test]
async fn a_run_time_route_is_consulted_before_the_settings_mapping() {
    LazyLock::force(&KEYCLOAK);
    let provider = TestIssuer::builder()
        .issuer_name(OVERRIDDEN)
        .start()
        .expect("issuer");
    let _route = jwks_guard::fetch_from(OVERRIDDEN, provider.url());
    assert_eq!(prefetch(OVERRIDDEN, None).await, Ok(()));
    assert_eq!(provider.jwks_requests(), 1);
}
