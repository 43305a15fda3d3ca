//! The unknown-`kid` cooldown, shortened to one second in this binary so that its end can be
//! observed.

mod common;

use std::time::Duration;

use jwks_guard::test_util::TestIssuer;
use jwks_guard::{Settings, configure, protected};

use common::{serve_handler, status_of};

#[tokio::test]
async fn the_cooldown_counts_from_the_previous_unknown_kid_refresh_not_the_first_fetch() {
    configure(Settings::new().unknown_kid_cooldown(Duration::from_secs(1))).expect("configure");
    let issuer = TestIssuer::start_as("https://cooldown.test/").expect("issuer");
    #[protected(issuer = "https://cooldown.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let unknown = |kid: &str| issuer.token().audience("api").kid(kid).sign();

    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(issuer.jwks_requests(), 1);
    // Right after the first fetch, an unknown kid still refreshes once...
    assert_eq!(status_of(&url, &unknown("a")).await, 401);
    assert_eq!(issuer.jwks_requests(), 2);
    // ...and not again within the cooldown...
    assert_eq!(status_of(&url, &unknown("b")).await, 401);
    assert_eq!(issuer.jwks_requests(), 2);
    // ...but once it has passed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status_of(&url, &unknown("c")).await, 401);
    assert_eq!(issuer.jwks_requests(), 3);
}
