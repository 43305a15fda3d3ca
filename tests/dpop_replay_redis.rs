//! The DPoP replay store in Redis (`RedisReplayStore`, feature `redis`) against a real
//! `redis-server` on 127.0.0.1: stores sharing one server share one view of the proofs; a
//! stopped, hung or restarted server is an error, never a fresh proof, until it is back. End to
//! end: two replicas, two processes, one Redis: a proof accepted by one is refused by the other,
//! and both answer 503 with `Retry-After` once Redis is gone.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::redis::{RedisServer, free_port};
use common::{LIMIT, bounded};
use jwks_guard::dpop::{CheckedProof, ProofError, RedisReplayStore, ReplayStore, check_replay_in};
use jwks_guard::{Authenticated, Claims, Dpop, Policy, Settings};
use jwks_guard_test::{DpopClient, TestIssuer};

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

/// The origin clients call both replicas at (behind one load balancer): proofs name it.
const PUBLIC_ORIGIN: &str = "http://api.example.test";

/// Set (to the issuer and Redis URLs) in the second replica's environment: see [`replica`].
const REPLICA_ENV: &str = "JWKS_GUARD_TEST_REDIS_REPLICA";

/// What a replica prints once it serves, then its URL.
const LISTENING: &str = "replica listening on ";

/// A replica's settings: behind `PUBLIC_ORIGIN`, proofs remembered in the Redis at `redis`.
fn replica_settings(redis: &str) -> Settings {
    let store = RedisReplayStore::open(redis)
        .expect("the server's URL")
        .timeout(Duration::from_millis(300));
    Settings::new()
        .public_origin(PUBLIC_ORIGIN)
        .dpop_replay_store(store)
}

async fn whoami(Authenticated(claims): Authenticated<Claims>) -> String {
    claims.sub.unwrap_or_default()
}

/// A replica's routes: `/whoami`, for DPoP-bound tokens of `issuer` only.
fn replica_app(issuer: &str) -> Router {
    let policy = Policy::builder()
        .issuer(issuer)
        .audience("api")
        .dpop(Dpop::Required)
        .build()
        .expect("policy");
    Router::new()
        .route("/whoami", get(whoami))
        .with_state(policy)
}

/// The second replica, in a process of its own (settings are per process): this test binary
/// run again with only this test and [`REPLICA_ENV`] set, serving until its standard input
/// closes. Ignored in ordinary runs (it is not a test of its own): the first replica runs it
/// with `--ignored`.
#[tokio::test]
#[ignore = "the second replica's process, started by the Redis end-to-end test"]
async fn replica() {
    let Ok(config) = std::env::var(REPLICA_ENV) else {
        return;
    };
    let (issuer, redis) = config.split_once(' ').expect("the issuer and Redis URLs");
    jwks_guard::configure(replica_settings(redis)).expect("configure the replica");
    let url = common::serve(replica_app(issuer)).await;
    println!("{LISTENING}{url}");
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().lines().count();
    })
    .await
    .expect("wait for the parent");
}

/// The second replica's process, killed on drop.
struct Replica {
    child: Child,
    url: String,
}

impl Replica {
    fn start(issuer: &str, redis: &str) -> Replica {
        let mut child = Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "replica",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(REPLICA_ENV, format!("{issuer} {redis}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the second replica");
        let stdout = child.stdout.take().expect("its standard output");
        let url = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            // libtest writes `test replica ... ` before it on the same line.
            .find_map(|line| line.split_once(LISTENING).map(|(_, url)| url.to_owned()))
            .expect("the second replica's URL (it exited first)");
        Replica { child, url }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn two_replicas_sharing_one_redis_refuse_a_proof_replayed_against_the_other_and_answer_503_without_it()
 {
    let issuer = TestIssuer::start().expect("test issuer");
    let mut redis = RedisServer::start();
    jwks_guard::configure(replica_settings(&redis.url())).expect("configure this replica");
    let one = common::serve(replica_app(issuer.issuer())).await;
    let two = tokio::task::spawn_blocking({
        let (issuer, redis) = (issuer.issuer().to_owned(), redis.url());
        move || Replica::start(&issuer, &redis)
    });
    let two = bounded("the second replica's start", two)
        .await
        .expect("the second replica");

    let client = DpopClient::new().expect("client key");
    let token = issuer
        .token()
        .audience("api")
        .subject("dana")
        .dpop_bound(&client)
        .sign();
    let proof = || {
        client
            .proof("GET", &format!("{PUBLIC_ORIGIN}/whoami"))
            .access_token(&token)
            .sign()
    };
    let call = |base: &str, proof: &str| {
        let (url, authorization, proof) = (
            format!("{base}/whoami"),
            format!("DPoP {token}"),
            proof.to_owned(),
        );
        async move {
            let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
            bounded("a request", common::get(&url, &headers)).await
        }
    };
    let replayed =
        "the DPoP proof was already used; make a fresh proof (a new jti) for each request";

    for (first, second) in [(&one, &two.url), (&two.url, &one)] {
        let proof = proof();
        let accepted = call(first, &proof).await;
        assert_eq!((accepted.status, accepted.text.as_str()), (200, "dana"));
        let refused = call(second, &proof).await;
        assert_eq!(refused.status, 401, "{refused:?}");
        assert_eq!(
            (refused.error(), refused.description()),
            ("invalid_dpop_proof".to_owned(), replayed.to_owned())
        );
    }

    redis.stop();
    for replica in [&one, &two.url] {
        let down = call(replica, &proof()).await;
        assert_eq!(down.status, 503, "{down:?}");
        assert_eq!(down.error(), "temporarily_unavailable");
        assert!(down.retry_after.is_some(), "{down:?}");
        assert!(down.challenges.is_empty(), "{down:?}");
    }
}
