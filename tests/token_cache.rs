//! The verified-token cache end to end: a token is stored at its second verification and
//! skips the signature from its third request, yet still meets each handler's policy; it stops
//! being accepted at `exp` and is dropped when its key leaves the set; distinct tokens never
//! grow the cache past its capacity, nor large ones past its byte bound.
//!
//! This binary sets the capacity to 500, the byte bound to 4 MiB and freshness down to 1 s;
//! its tests take turns (the cache and its counters are process-wide), so the hit counts they
//! read are their own.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::Once;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jwks_guard::stats::TokenCacheStats;
use jwks_guard::{Claims, Settings, configure, protected, stats};
use jwks_guard_test::TestIssuer;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use common::{Reply, get_with_token, get_with_token_on, serve, status_of};

const CAPACITY: u64 = 200;
const MAX_BYTES: u64 = 4 << 20;

static TURNS: Mutex<()> = Mutex::const_new(());

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        common::trace();
        // A metrics exporter may read the counters before the settings are installed.
        assert_eq!(
            stats().token_cache,
            None,
            "no cache before the first request"
        );
        configure(
            Settings::new()
                .token_cache_capacity(CAPACITY)
                .token_cache_max_bytes(MAX_BYTES)
                .max_age_bounds(Duration::from_secs(1), Duration::from_secs(24 * 60 * 60)),
        )
        .expect("first configuration of this test binary");
    });
}

fn cache_stats() -> TokenCacheStats {
    stats().token_cache.expect("the cache is on in this binary")
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[tokio::test]
async fn a_reused_token_skips_the_signature_but_still_meets_each_handlers_policy() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-hit.test/").expect("issuer");
    #[protected(issuer = "https://cache-hit.test/", audience = "api", scopes = ["read"])]
    async fn read(#[claims] claims: Claims) -> String {
        claims.sub.unwrap_or_default()
    }
    #[protected(issuer = "https://cache-hit.test/", audience = "api", scopes = ["write"])]
    async fn write() {}
    #[protected(issuer = "https://cache-hit.test/", audience = "other")]
    async fn other_audience() {}
    #[protected(issuer = "https://cache-hit.test/", audience = "api", typ = "at+jwt")]
    async fn typed() {}
    let base = serve(
        axum::Router::new()
            .route("/read", axum::routing::get(read))
            .route("/write", axum::routing::get(write))
            .route("/other", axum::routing::get(other_audience))
            .route("/typed", axum::routing::get(typed)),
    )
    .await;
    let token = issuer
        .token()
        .audience("api")
        .subject("user-7")
        .scope("read")
        .no_typ()
        .sign();

    let before = cache_stats();
    let first = get_with_token(&format!("{base}/read"), &token).await;
    assert_eq!((first.status, first.text.as_str()), (200, "user-7"));
    let after_first = cache_stats();
    assert_eq!(after_first.hits, before.hits, "{after_first:?}");
    assert_eq!(after_first.entries, before.entries, "noted, not stored");

    let second = get_with_token(&format!("{base}/read"), &token).await;
    assert_eq!((second.status, second.text.as_str()), (200, "user-7"));
    let after_second = cache_stats();
    assert_eq!(after_second.hits, before.hits, "verified again");
    assert!(after_second.entries > before.entries, "{after_second:?}");

    let again = get_with_token(&format!("{base}/read"), &token).await;
    assert_eq!((again.status, again.text.as_str()), (200, "user-7"));
    assert_eq!(cache_stats().hits, before.hits + 1);

    // Hits of the same entry, each judged by its own handler's policy.
    let write = get_with_token(&format!("{base}/write"), &token).await;
    assert_eq!(write.status, 403, "{write:?}");
    assert_eq!(write.error(), "insufficient_scope");
    let other = get_with_token(&format!("{base}/other"), &token).await;
    assert_eq!(
        (other.status, other.description().as_str()),
        (401, "audience mismatch")
    );
    let typed = get_with_token(&format!("{base}/typed"), &token).await;
    assert_eq!(
        (typed.status, typed.description().as_str()),
        (401, "token type mismatch")
    );
    assert_eq!(cache_stats().hits, before.hits + 4);
    assert_eq!(issuer.jwks_requests(), 1);

    // One byte changed anywhere is another token: verified afresh, and refused.
    let mut tampered = token.clone();
    let last = tampered
        .pop()
        .map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    tampered.push(last);
    let refused = get_with_token(&format!("{base}/read"), &tampered).await;
    assert_eq!(refused.status, 401, "{refused:?}");
    assert_eq!(cache_stats().hits, before.hits + 4);
}

#[tokio::test]
async fn a_cached_token_stops_being_accepted_at_its_exp() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-exp.test/").expect("issuer");
    #[protected(issuer = "https://cache-exp.test/", audience = "api", leeway = 0)]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    // Far enough ahead that the first request (which fetches the keys) lands before it on a
    // loaded machine.
    let exp = unix_now() + 5;
    let token = issuer.token().audience("api").expires_at(exp).sign();
    let hits = cache_stats().hits;
    for _ in 0..3 {
        assert_eq!(status_of(&url, &token).await, 200);
    }
    assert_eq!(cache_stats().hits, hits + 1, "the third request is a hit");

    while unix_now() < exp {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expired = get_with_token(&url, &token).await;
    assert_eq!(
        (expired.status, expired.description().as_str()),
        (401, "token expired")
    );
    assert_eq!(
        cache_stats().hits,
        hits + 2,
        "refused on a hit, not re-verified"
    );
}

#[tokio::test]
async fn a_cached_token_is_dropped_when_its_key_leaves_the_set() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-rotation.test/").expect("issuer");
    #[protected(issuer = "https://cache-rotation.test/", audience = "api")]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    let old = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &old).await, 200);
    assert_eq!(status_of(&url, &old).await, 200);
    let hits = cache_stats().hits;
    assert_eq!(status_of(&url, &old).await, 200);
    assert_eq!(cache_stats().hits, hits + 1, "served from the cache");

    // Every key is replaced; a token of the new key makes the cache fetch the new set.
    issuer.rotate().expect("rotate");
    let new = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &new).await, 200);
    assert_eq!(issuer.jwks_requests(), 2);

    let hits = cache_stats().hits;
    let dropped: Reply = get_with_token(&url, &old).await;
    assert_eq!(
        (dropped.status, dropped.description().as_str()),
        (401, "unknown signing key"),
        "{dropped:?}"
    );
    assert_eq!(
        cache_stats().hits,
        hits + 1,
        "found, then refused: its key is gone"
    );
    // Forgotten, not just refused: the next request misses and is verified afresh.
    let misses = cache_stats().misses;
    assert_eq!(status_of(&url, &old).await, 401);
    assert_eq!(cache_stats().misses, misses + 1);
}

#[tokio::test]
async fn distinct_tokens_never_grow_the_cache_past_its_capacity() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-capacity.test/").expect("issuer");
    #[protected(issuer = "https://cache-capacity.test/", audience = "api")]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    let client = reqwest::Client::new();
    let distinct = 4 * CAPACITY as usize;
    let mut requests = JoinSet::new();
    for worker in 0..8 {
        let (client, url) = (client.clone(), url.clone());
        let tokens: Vec<String> = (0..distinct / 8)
            .map(|i| {
                issuer
                    .token()
                    .audience("api")
                    .claim("n", worker * distinct + i)
                    .sign()
            })
            .collect();
        // Each token twice: the second verification stores it.
        requests.spawn(async move {
            let mut ok = 0;
            for token in tokens {
                for _ in 0..2 {
                    ok += usize::from(get_with_token_on(&client, &url, &token).await.status == 200);
                }
            }
            ok
        });
    }
    let accepted: usize = requests.join_all().await.into_iter().sum();
    assert_eq!(accepted, 2 * distinct);
    let stats = cache_stats();
    assert!(stats.entries <= CAPACITY, "{stats:?}");
    assert!(
        stats.entries >= CAPACITY / 2,
        "the cache was filled: {stats:?}"
    );
    assert_eq!((stats.capacity, stats.max_bytes), (CAPACITY, MAX_BYTES));
}

#[tokio::test]
async fn a_cached_token_is_judged_by_the_key_selection_of_the_current_set() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-selection.test/").expect("issuer");
    #[protected(issuer = "https://cache-selection.test/", audience = "api")]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    // Without `kid`, a token is accepted only while one key of the set fits its algorithm.
    let kidless = issuer.token().audience("api").no_kid().sign();
    assert_eq!(status_of(&url, &kidless).await, 200);
    assert_eq!(status_of(&url, &kidless).await, 200);
    let hits = cache_stats().hits;
    assert_eq!(status_of(&url, &kidless).await, 200);
    assert_eq!(cache_stats().hits, hits + 1, "served from the cache");

    // A second key for the same algorithm; a token naming it makes the cache fetch the set.
    issuer.rotate_keeping_old().expect("rotate");
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );

    let hits = cache_stats().hits;
    let ambiguous = get_with_token(&url, &kidless).await;
    assert_eq!(
        (ambiguous.status, ambiguous.description().as_str()),
        (401, "token has no kid and several keys match"),
        "{ambiguous:?}"
    );
    assert_eq!(
        cache_stats().hits,
        hits + 1,
        "found, then judged as a fresh token"
    );
}

#[tokio::test]
async fn a_token_its_handler_refuses_is_not_remembered() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-refused.test/").expect("issuer");
    #[protected(issuer = "https://cache-refused.test/", audience = "other-api")]
    async fn other() {}
    #[protected(issuer = "https://cache-refused.test/", audience = "api")]
    async fn mine() {}
    let base = serve(
        axum::Router::new()
            .route("/other", axum::routing::get(other))
            .route("/mine", axum::routing::get(mine)),
    )
    .await;
    let token = issuer.token().audience("api").sign();
    let entries = cache_stats().entries;
    for _ in 0..2 {
        assert_eq!(status_of(&format!("{base}/other"), &token).await, 401);
    }
    assert_eq!(cache_stats().entries, entries, "a token for another API");

    // Its refusals did not count as sightings: this handler's first request only notes it.
    let hits = cache_stats().hits;
    assert_eq!(status_of(&format!("{base}/mine"), &token).await, 200);
    assert_eq!(cache_stats().entries, entries, "noted, not stored");
    assert_eq!(status_of(&format!("{base}/mine"), &token).await, 200);
    assert_eq!(cache_stats().hits, hits, "verified afresh twice");
    assert_eq!(status_of(&format!("{base}/mine"), &token).await, 200);
    assert_eq!(cache_stats().hits, hits + 1);
}

#[tokio::test]
async fn a_token_sent_once_is_never_stored() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-once.test/").expect("issuer");
    #[protected(issuer = "https://cache-once.test/", audience = "api")]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    let before = cache_stats();
    for n in 0..20 {
        let token = issuer.token().audience("api").claim("n", n).sign();
        assert_eq!(status_of(&url, &token).await, 200);
    }
    let after = cache_stats();
    assert_eq!(after.misses, before.misses + 20, "{after:?}");
    assert_eq!(
        (after.entries, after.bytes),
        (before.entries, before.bytes),
        "tokens sent once cost no entry"
    );
}

/// The resident set of this process, in KiB.
fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status")
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

#[tokio::test]
async fn large_tokens_stay_within_the_byte_bound_and_small_ones_are_still_served_from_the_cache() {
    setup();
    let _turn = TURNS.lock().await;
    let issuer = TestIssuer::start_as("https://cache-bytes.test/").expect("issuer");
    #[protected(issuer = "https://cache-bytes.test/", audience = "api")]
    async fn handler() {}
    let url = format!(
        "{}/",
        serve(axum::Router::new().route("/", axum::routing::get(handler))).await
    );
    // 11 KiB of arrays of four numbers: about 230 KB once decoded (the token is 15 KiB).
    let blob = serde_json::Value::Array(vec![serde_json::json!([1, 2, 3, 4]); 1_100]);
    let large = |n: usize| {
        issuer
            .token()
            .audience("api")
            .claim("n", n)
            .claim("blob", blob.clone())
            .sign()
    };
    assert!(large(0).len() <= jwks_guard::bearer::MAX_TOKEN_LEN);
    let client = reqwest::Client::new();
    // Each token twice, so that its second verification offers it to the cache.
    let send = |from: usize, to: usize| {
        let (client, url) = (client.clone(), url.clone());
        let tokens: Vec<String> = (from..to).map(large).collect();
        async move {
            for token in tokens {
                for _ in 0..2 {
                    let reply = get_with_token_on(&client, &url, &token).await;
                    assert_eq!(reply.status, 200, "{reply:?}");
                }
            }
        }
    };
    // Settle the allocator and the connection pool before the baseline.
    send(0, 50).await;
    let baseline = resident_kib();
    for batch in 0..9 {
        let mut requests = JoinSet::new();
        for worker in 0..5 {
            let from = 50 + batch * 50 + worker * 10;
            requests.spawn(send(from, from + 10));
        }
        requests.join_all().await;
    }
    let grown_kib = resident_kib().saturating_sub(baseline);
    let stats = cache_stats();
    assert!(stats.bytes <= MAX_BYTES, "{stats:?}");
    assert!(
        stats.entries > 0,
        "large tokens that fit are stored: {stats:?}"
    );
    // A generous bound: the 4 MiB of the cache, and the allocator's own slack. Without a byte
    // bound, the 200 entries of these tokens the capacity allows hold more than 40 MiB.
    assert!(
        grown_kib < 32 * 1024,
        "resident memory grew by {grown_kib} KiB over 500 large tokens; {stats:?}"
    );

    // A token that fits is stored and then found, even in a cache full of large tokens (moka
    // admits it once it is requested more often than the entries it evicts).
    let small = issuer.token().audience("api").sign();
    let hits = cache_stats().hits;
    for _ in 0..6 {
        assert_eq!(status_of(&url, &small).await, 200);
    }
    assert!(cache_stats().hits > hits, "{:?}", cache_stats());
}
