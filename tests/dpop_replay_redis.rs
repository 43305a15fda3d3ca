//! The DPoP replay store in Redis (`RedisReplayStore`, feature `redis`) against a real
//! `redis-server` on 127.0.0.1: stores sharing one server share one view of the proofs; a
//! stopped, hung or restarted server is an error, never a fresh proof, until it is back.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::time::Duration;

use common::redis::{RedisServer, free_port};
use common::{LIMIT, bounded};
use jwks_guard::dpop::{CheckedProof, ProofError, RedisReplayStore, ReplayStore, check_replay_in};

const MINUTE: Duration = Duration::from_secs(60);

fn store(server: &RedisServer) -> RedisReplayStore {
    RedisReplayStore::open(&server.url()).expect("the server's URL")
}

/// `store.insert_new(key, ttl)`, bounded by the tests' limit.
async fn insert(store: &RedisReplayStore, key: &[u8], ttl: Duration) -> Result<bool, String> {
    bounded("insert_new", store.insert_new(key, ttl))
        .await
        .map_err(|error| error.to_string())
}

/// Inserts fresh keys until one is accepted as new, within the tests' limit (a store that has
/// just lost its server needs a few attempts to reconnect).
async fn insert_until_fresh(store: &RedisReplayStore, label: &str) -> u32 {
    let deadline = tokio::time::Instant::now() + LIMIT;
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let key = format!("{label}-{attempts}");
        let outcome = insert(store, key.as_bytes(), MINUTE).await;
        if outcome == Ok(true) {
            return attempts;
        }
        assert!(outcome.is_err(), "a fresh key was answered {outcome:?}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the store did not work again within {LIMIT:?}: {outcome:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn proof(jti: &str) -> CheckedProof {
    CheckedProof {
        jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I".to_owned(),
        jti: jti.to_owned(),
        iat: 1_700_000_000,
        htm: "GET".to_owned(),
        htu: "http://127.0.0.1/orders".to_owned(),
        replay_ttl: MINUTE,
    }
}

#[tokio::test]
async fn a_key_inserted_through_one_store_is_seen_through_another_on_the_same_redis() {
    let server = RedisServer::start();
    let (one, two) = (store(&server), store(&server));
    assert_eq!(insert(&one, b"proof-a", MINUTE).await, Ok(true));
    assert_eq!(insert(&two, b"proof-a", MINUTE).await, Ok(false));
    assert_eq!(insert(&one, b"proof-a", MINUTE).await, Ok(false));
}

#[tokio::test]
async fn distinct_keys_are_each_new_once() {
    let server = RedisServer::start();
    let store = store(&server);
    assert_eq!(insert(&store, b"proof-1", MINUTE).await, Ok(true));
    assert_eq!(insert(&store, b"proof-2", MINUTE).await, Ok(true));
    assert_eq!(insert(&store, b"proof-1", MINUTE).await, Ok(false));
    assert_eq!(insert(&store, b"proof-2", MINUTE).await, Ok(false));
}

#[tokio::test]
async fn stores_with_different_prefixes_do_not_share_keys() {
    let server = RedisServer::start();
    let one = store(&server).prefix("service-one:");
    let two = store(&server).prefix("service-two:");
    assert_eq!(insert(&one, b"proof", MINUTE).await, Ok(true));
    assert_eq!(insert(&two, b"proof", MINUTE).await, Ok(true));
}

#[tokio::test]
async fn a_key_is_new_again_once_its_ttl_in_milliseconds_has_passed() {
    let server = RedisServer::start();
    let store = store(&server);
    let ttl = Duration::from_millis(200);
    assert_eq!(insert(&store, b"short-lived", ttl).await, Ok(true));
    // Read as seconds, 200 would outlive the limit; never forgotten, the loop would never end.
    let deadline = tokio::time::Instant::now() + LIMIT;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        match insert(&store, b"short-lived", ttl).await {
            Ok(true) => break,
            Ok(false) => assert!(
                tokio::time::Instant::now() < deadline,
                "the key was still remembered after {LIMIT:?}"
            ),
            Err(error) => panic!("{error}"),
        }
    }
}

#[tokio::test]
async fn a_stopped_redis_is_an_error_naming_its_address_and_not_its_password() {
    let mut server = RedisServer::start_with_password("hunter2-s3cret");
    let store = store(&server).timeout(Duration::from_millis(500));
    assert_eq!(insert(&store, b"before", MINUTE).await, Ok(true));
    server.stop();
    for key in [&b"before"[..], b"after", b"and-again"] {
        let error = insert(&store, key, MINUTE)
            .await
            .expect_err("a stopped Redis cannot say a proof is new");
        assert!(
            error.contains(&format!("127.0.0.1:{}", server.port())),
            "{error}"
        );
        assert!(!error.contains("hunter2"), "{error}");
    }
}

#[tokio::test]
async fn a_redis_nothing_listens_for_is_an_error_at_the_first_proof() {
    let store = RedisReplayStore::open(&format!("redis://127.0.0.1:{}/", free_port()))
        .expect("a good URL")
        .timeout(Duration::from_millis(300));
    let error = insert(&store, b"proof", MINUTE).await;
    assert!(error.is_err(), "{error:?}");
    let ping = bounded("ping", store.ping()).await;
    assert!(ping.is_err(), "{ping:?}");
}

#[tokio::test]
async fn a_hung_redis_is_an_error_once_the_timeout_has_passed() {
    let server = RedisServer::start();
    let store = store(&server).timeout(Duration::from_millis(300));
    assert_eq!(insert(&store, b"before", MINUTE).await, Ok(true));
    server.pause();
    let outcome = insert(&store, b"while-hung", MINUTE).await;
    server.resume();
    let error = outcome.expect_err("a hung Redis cannot say a proof is new");
    assert!(error.contains("did not answer within 300ms"), "{error}");
}

#[tokio::test]
async fn the_store_works_again_once_redis_is_back_on_its_port() {
    let mut server = RedisServer::start();
    let port = server.port();
    let store = store(&server).timeout(Duration::from_millis(300));
    assert_eq!(insert(&store, b"before", MINUTE).await, Ok(true));
    server.stop();
    assert!(insert(&store, b"while-down", MINUTE).await.is_err());
    let _back = RedisServer::start_on(port, None);
    insert_until_fresh(&store, "after-restart").await;
    assert_eq!(insert(&store, b"after-restart-1", MINUTE).await, Ok(false));
    bounded("ping", store.ping()).await.expect("PONG");
}

#[tokio::test]
async fn check_replay_in_refuses_a_replayed_proof_and_answers_unavailable_when_redis_is_down() {
    let mut server = RedisServer::start();
    let (one, two) = (
        store(&server),
        store(&server).timeout(Duration::from_millis(300)),
    );
    let first = proof("jti-1");
    assert_eq!(check_replay_in(&one, &first).await, Ok(()));
    assert_eq!(
        check_replay_in(&two, &first).await,
        Err(ProofError::Replayed)
    );
    let mut other_uri = proof("jti-1");
    other_uri.htu = "http://127.0.0.1/invoices".to_owned();
    assert_eq!(check_replay_in(&two, &other_uri).await, Ok(()));

    server.stop();
    let down = bounded("check_replay_in", check_replay_in(&two, &proof("jti-2"))).await;
    match down {
        Err(error @ ProofError::ReplayStore(_)) => {
            assert_eq!(error.error_code(), "temporarily_unavailable");
        }
        other => panic!("a proof checked against a stopped Redis: {other:?}"),
    }
}
