//! A provider whose tokens name one address and whose keys are fetched from another (Keycloak
//! behind Docker, a service mesh): `Settings::fetch_from`. Its own binary, since settings are
//! process-wide.

mod common;

use std::sync::LazyLock;

use jwks_guard::{PrefetchError, Settings, configure, prefetch, protected};
use jwks_guard_test::TestIssuer;

use common::{get_with_token, serve_handler};

const PUBLIC: &str = "https://login.example.com/realms/shop";

/// Reached only at its local address; its tokens and discovery name [`PUBLIC`].
static KEYCLOAK: LazyLock<TestIssuer> = LazyLock::new(|| {
    let issuer = TestIssuer::builder()
        .issuer_name(PUBLIC)
        .start()
        .expect("issuer");
    let _ = configure(
        Settings::new()
            .fetch_from(PUBLIC, issuer.url())
            .fetch_from("https://insecure.example.com/", "http://10.1.2.3:8080/"),
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
