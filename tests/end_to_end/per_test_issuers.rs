//! One `TestIssuer` per test, all for the same issuer string, as the README's testing section
//! shows: every test passes whatever runs beside or before it, with the default settings, in
//! parallel and with `--test-threads=1` (CI runs both). Issuers for one issuer string start
//! with the same keys, and starting or dropping one (a fetch route installed or removed) is a
//! new source of keys: the guard refreshes from it, and a key only it has is picked up at once.

use crate::common;

use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;

use common::{get_with_token, serve_handler};

const ISSUER: &str = "https://per-test.example/";

#[protected(issuer = "https://per-test.example/", audience = "orders-api")]
async fn orders(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

/// What each test does: its own issuer, its own token, 200.
async fn own_issuer_is_accepted(subject: &str) {
    let issuer = TestIssuer::start_as(ISSUER).expect("test issuer");
    let url = serve_handler(orders).await;
    let token = issuer
        .token()
        .audience("orders-api")
        .subject(subject)
        .sign();
    let reply = get_with_token(&url, &token).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, subject),
        "{reply:?}"
    );
}

macro_rules! per_test_issuer {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            own_issuer_is_accepted(stringify!($name)).await;
        }
    )*};
}

per_test_issuer!(
    test_01, test_02, test_03, test_04, test_05, test_06, test_07, test_08, test_09, test_10,
    test_11, test_12, test_13, test_14, test_15, test_16, test_17, test_18, test_19, test_20,
);

#[protected(issuer = "https://rotating.example/", audience = "orders-api")]
async fn rotating(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn an_issuer_started_after_one_that_rotated_its_keys_is_picked_up_on_its_first_request() {
    let url = serve_handler(rotating).await;
    // More rounds than the refresh budget's burst: each new issuer is picked up because its
    // route is a new source of keys, whose refresh budget is whole.
    for round in 0..5 {
        let issuer = TestIssuer::start_as("https://rotating.example/").expect("test issuer");
        let token = || {
            issuer
                .token()
                .audience("orders-api")
                .subject("alice")
                .sign()
        };
        let reply = get_with_token(&url, &token()).await;
        assert_eq!(reply.status, 200, "round {round}, first key set: {reply:?}");
        issuer.rotate().expect("rotation");
        let reply = get_with_token(&url, &token()).await;
        assert_eq!(reply.status, 200, "round {round}, rotated: {reply:?}");
    }
}
