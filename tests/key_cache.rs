//! The process-wide key cache against a real provider on 127.0.0.1: coalescing, freshness,
//! rotation, unknown-`kid` floods, outages, and several Tokio runtimes.
//!
//! This binary shortens a few timings (fetch timeout 1 s, backoff from 200 ms, freshness down
//! to 1 s) so the behaviours can be shown quickly; the unknown-`kid` cooldown keeps its default.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::Once;
use std::time::Duration;

use jwks_guard::{Settings, configure, protected};
use jwks_guard_test::{Answer, TestIssuer};
use tokio::task::JoinSet;

use common::{Reply, eventually, get_with_token, serve_handler, status_of};

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        common::trace();
        configure(
            Settings::new()
                .fetch_timeout(Duration::from_secs(1))
                .retry_backoff(Duration::from_millis(200), Duration::from_secs(2))
                .max_age_bounds(Duration::from_secs(1), Duration::from_secs(24 * 60 * 60)),
        )
        .expect("first configuration of this test binary");
    });
}

async fn concurrently(url: &str, tokens: Vec<String>) -> Vec<Reply> {
    let mut requests = JoinSet::new();
    for token in tokens {
        let url = url.to_owned();
        requests.spawn(async move { get_with_token(&url, &token).await });
    }
    requests.join_all().await
}

#[tokio::test]
async fn concurrent_first_requests_share_one_discovery_and_one_fetch() {
    setup();
    let issuer = TestIssuer::start_as("https://coalesce.test/").expect("issuer");
    issuer.set_jwks_answer(Answer::Delay(Duration::from_millis(300)));
    #[protected(issuer = "https://coalesce.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let tokens = (0..20)
        .map(|_| issuer.token().audience("api").sign())
        .collect();
    let replies = concurrently(&url, tokens).await;
    assert!(replies.iter().all(|r| r.status == 200), "{replies:?}");
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );
}

#[tokio::test]
async fn fresh_keys_are_not_fetched_again() {
    setup();
    let issuer = TestIssuer::builder()
        .impersonate("https://fresh.test/")
        .max_age(300)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://fresh.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    for _ in 0..5 {
        assert_eq!(
            status_of(&url, &issuer.token().audience("api").sign()).await,
            200
        );
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(issuer.jwks_requests(), 1);
}

#[tokio::test]
async fn stale_keys_are_refreshed_in_the_background_after_max_age() {
    setup();
    let issuer = TestIssuer::builder()
        .impersonate("https://stale.test/")
        .max_age(1)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://stale.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // Served from the stale keys at once; the refresh happens beside it.
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert!(eventually(Duration::from_secs(5), async || issuer.jwks_requests() == 2).await);
}

#[tokio::test]
async fn a_failing_provider_leaves_the_cached_keys_in_use() {
    setup();
    let issuer = TestIssuer::builder()
        .impersonate("https://flaky.test/")
        .max_age(1)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://flaky.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    issuer.set_answer(Answer::Status(500));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert!(eventually(Duration::from_secs(5), async || issuer.jwks_requests() >= 2).await);
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
}

#[tokio::test]
async fn a_rotated_key_is_accepted_on_its_first_request() {
    setup();
    let issuer = TestIssuer::start_as("https://rotation.test/").expect("issuer");
    #[protected(issuer = "https://rotation.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    issuer.rotate().expect("rotation");
    let reply = get_with_token(&url, &issuer.token().audience("api").sign()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(issuer.jwks_requests(), 2);
}

#[tokio::test]
async fn an_unknown_kid_flood_costs_the_provider_the_refresh_burst_only() {
    setup();
    let issuer = TestIssuer::start_as("https://flood.test/").expect("issuer");
    #[protected(issuer = "https://flood.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    for wave in 0..3 {
        let tokens = (0..40)
            .map(|i| {
                issuer
                    .token()
                    .audience("api")
                    .kid(format!("random-{wave}-{i}"))
                    .sign()
            })
            .collect();
        let replies = concurrently(&url, tokens).await;
        assert!(
            replies
                .iter()
                .all(|r| r.status == 401 && r.description() == "unknown signing key"),
            "{replies:?}"
        );
    }
    assert_eq!(
        issuer.jwks_requests(),
        3,
        "one initial fetch and the refresh budget's burst of two"
    );
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
}

#[tokio::test]
async fn provider_down_at_the_first_request_is_503_then_200_once_it_is_back() {
    setup();
    let issuer = TestIssuer::start_as("https://outage.test/").expect("issuer");
    issuer.set_answer(Answer::Status(500));
    #[protected(issuer = "https://outage.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let reply = get_with_token(&url, &issuer.token().audience("api").sign()).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.retry_after.is_some());
    issuer.set_answer(Answer::Normal);
    let recovered = eventually(Duration::from_secs(10), async || {
        status_of(&url, &issuer.token().audience("api").sign()).await == 200
    })
    .await;
    assert!(
        recovered,
        "service did not resume after the provider came back"
    );
}

#[tokio::test]
async fn a_hanging_provider_is_answered_503_after_the_fetch_timeout() {
    setup();
    let issuer = TestIssuer::start_as("https://hang.test/").expect("issuer");
    issuer.set_answer(Answer::Hang);
    #[protected(issuer = "https://hang.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let (url, token) = (url.clone(), issuer.token().audience("api").sign());
    let reply = tokio::time::timeout(Duration::from_secs(10), get_with_token(&url, &token))
        .await
        .expect("no answer within 10 s");
    assert_eq!(reply.status, 503, "{reply:?}");
    issuer.set_answer(Answer::Normal);
}

#[test]
fn the_cache_outlives_the_runtime_that_filled_it() {
    setup();
    let issuer = TestIssuer::start_as("https://runtimes.test/").expect("issuer");
    #[protected(issuer = "https://runtimes.test/", audience = "api")]
    async fn handler() {}
    let request_on_a_new_runtime = |token: String| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let status = runtime.block_on(async {
            let url = serve_handler(handler).await;
            status_of(&url, &token).await
        });
        drop(runtime);
        status
    };
    assert_eq!(
        request_on_a_new_runtime(issuer.token().audience("api").sign()),
        200
    );
    // The first runtime is gone; a refresh (new key) must still work from a second one.
    issuer.rotate().expect("rotation");
    assert_eq!(
        request_on_a_new_runtime(issuer.token().audience("api").sign()),
        200
    );
    assert_eq!(issuer.jwks_requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_racing_a_key_rotation_are_all_accepted() {
    setup();
    let issuer = TestIssuer::start_as("https://racing.test/").expect("issuer");
    #[protected(issuer = "https://racing.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    let old_tokens: Vec<String> = (0..100)
        .map(|_| {
            issuer
                .token()
                .audience("api")
                .alg(jwks_guard_test::Alg::ES256)
                .sign()
        })
        .collect();
    issuer.rotate_keeping_old().expect("rotation");
    let new_tokens: Vec<String> = (0..100)
        .map(|_| {
            issuer
                .token()
                .audience("api")
                .alg(jwks_guard_test::Alg::ES256)
                .sign()
        })
        .collect();
    // Old and new keys interleaved, all in flight at once on two worker threads.
    let tokens = old_tokens
        .into_iter()
        .zip(new_tokens)
        .flat_map(|(old, new)| [old, new])
        .collect();
    let replies = concurrently(&url, tokens).await;
    let refused: Vec<&Reply> = replies.iter().filter(|r| r.status != 200).collect();
    assert!(
        refused.is_empty(),
        "{} refused, e.g. {:?}",
        refused.len(),
        refused.first()
    );
    assert_eq!(
        issuer.jwks_requests(),
        2,
        "one initial fetch and one refresh for the new kid"
    );
}
