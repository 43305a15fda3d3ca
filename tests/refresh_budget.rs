//! The refresh budget that unknown `kid`s draw on, with its period shortened to three seconds
//! in this binary so that its refill can be observed (and a loaded machine has room to run the
//! requests within one period).
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::time::Duration;

use jwks_guard::{Settings, configure, protected};
use jwks_guard_test::TestIssuer;

use common::{serve_handler, status_of};

fn settings() {
    // Every test of this binary runs with the same process-wide settings.
    let _ = configure(Settings::new().unknown_kid_cooldown(Duration::from_secs(3)));
}

#[tokio::test]
async fn unknown_kids_get_a_burst_of_two_refreshes_then_one_per_period() {
    settings();
    let issuer = TestIssuer::start_as("https://budget.test/").expect("issuer");
    #[protected(issuer = "https://budget.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let unknown = |kid: &str| issuer.token().audience("api").kid(kid).sign();

    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(issuer.jwks_requests(), 1);
    // Right after the first fetch, unknown kids still refresh, twice...
    assert_eq!(status_of(&url, &unknown("a")).await, 401);
    assert_eq!(status_of(&url, &unknown("b")).await, 401);
    assert_eq!(issuer.jwks_requests(), 3);
    // ...and not again within the period...
    assert_eq!(status_of(&url, &unknown("c")).await, 401);
    assert_eq!(issuer.jwks_requests(), 3);
    // ...but once it has passed, once.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(status_of(&url, &unknown("d")).await, 401);
    assert_eq!(status_of(&url, &unknown("e")).await, 401);
    assert_eq!(issuer.jwks_requests(), 4);
}

#[tokio::test]
async fn a_real_rotation_right_after_a_stray_kid_is_accepted_on_its_first_request() {
    settings();
    let issuer = TestIssuer::start_as("https://budget-rotation.test/").expect("issuer");
    #[protected(issuer = "https://budget-rotation.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    let stray = issuer.token().audience("api").kid("stray").sign();
    assert_eq!(status_of(&url, &stray).await, 401);
    issuer.rotate().expect("rotation");
    let rotated = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &rotated).await, 200);
    assert_eq!(issuer.jwks_requests(), 3);
}

#[tokio::test]
async fn a_token_whose_issuer_or_lifetime_could_never_pass_spends_nothing_of_the_budget() {
    settings();
    let issuer = TestIssuer::start_as("https://budget-prefilter.test/").expect("issuer");
    #[protected(issuer = "https://budget-prefilter.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    // Only `iss`, `exp` and `nbf` decide: the audience, like the rest of the policy, does not
    // (tests/end_to_end/unsigned_callers.rs), so that an unsigned token cannot learn it by
    // timing.
    let hopeless = [
        issuer
            .token()
            .audience("api")
            .issuer("https://elsewhere.test/")
            .kid("x2")
            .sign(),
        issuer.token().audience("api").expired().kid("x3").sign(),
        issuer
            .token()
            .audience("api")
            .not_yet_valid()
            .kid("x4")
            .sign(),
    ];
    for token in &hopeless {
        assert_eq!(status_of(&url, token).await, 401);
    }
    assert_eq!(issuer.jwks_requests(), 1, "no refresh for hopeless tokens");
    // The whole burst is still there.
    issuer.rotate().expect("rotation");
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").kid("y").sign()).await,
        401
    );
    assert_eq!(issuer.jwks_requests(), 3);
}

#[tokio::test]
async fn a_single_key_provider_that_rotates_without_kids_is_picked_up() {
    settings();
    let issuer = TestIssuer::start_as("https://budget-no-kid.test/").expect("issuer");
    #[protected(issuer = "https://budget-no-kid.test/", audience = "api", algorithms = ["EdDSA"])]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let token = || {
        issuer
            .token()
            .audience("api")
            .alg(jwks_guard_test::Alg::EdDSA)
            .no_kid()
            .sign()
    };
    assert_eq!(status_of(&url, &token()).await, 200);
    issuer.rotate().expect("rotation");
    assert_eq!(status_of(&url, &token()).await, 200);
    assert_eq!(issuer.jwks_requests(), 2);
}
