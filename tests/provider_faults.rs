//! The key cache against a misbehaving provider, over real HTTP on 127.0.0.1: outages at start
//! and after a fetch, slow and hanging endpoints, broken and hostile answers, rotation under
//! load, unknown-`kid` floods, conditional refreshes, `Cache-Control` edge cases, two issuers
//! at once, and the operator API (`prefetch`, `stats`).
//!
//! Every test names its own issuer (key caches are process-wide, one per issuer) and checks
//! both what the client got and what the provider saw. This binary shortens the timings so the
//! states can be observed in seconds, and turns jitter off so the schedules are exact.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::stats::{KeySetState, KeySetStats};
use jwks_guard::{PrefetchError, RejectionKind, Settings, configure, prefetch, protected, stats};
use jwks_guard_test::{Alg, Answer, TestIssuer};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use common::{Reply, eventually, get, get_with_token, get_with_token_on, serve_handler, status_of};

const FETCH_TIMEOUT: Duration = Duration::from_secs(1);
const MIN_MAX_AGE: Duration = Duration::from_secs(1);
const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Longer than any test keeps keys without a successful refresh, except the one about it.
const MAX_STALE: Duration = Duration::from_secs(6);
const COOLDOWN: Duration = Duration::from_secs(1);

fn setup() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        common::trace();
        configure(
            Settings::new()
                .fetch_timeout(FETCH_TIMEOUT)
                .max_age_bounds(MIN_MAX_AGE, Duration::from_secs(24 * 60 * 60))
                .retry_backoff(INITIAL_BACKOFF, MAX_BACKOFF)
                .max_stale(MAX_STALE)
                .unknown_kid_cooldown(COOLDOWN)
                .jitter(0.0),
        )
        .expect("first configuration of this test binary");
    });
}

/// The `stats()` entry of `issuer` (discovered JWKS URI).
#[track_caller]
fn key_set(issuer: &str) -> KeySetStats {
    stats()
        .key_sets
        .into_iter()
        .find(|set| set.issuer == issuer && set.jwks_uri.is_none())
        .unwrap_or_else(|| panic!("stats() lists no key set for {issuer}"))
}

/// 503, `error: "temporarily_unavailable"`, no challenge, and a `Retry-After` of whole seconds
/// no longer than the longest backoff.
#[track_caller]
fn assert_unavailable(reply: &Reply, case: &str) {
    assert_eq!(
        (
            reply.status,
            reply.error().as_str(),
            reply.www_authenticate.as_deref()
        ),
        (503, "temporarily_unavailable", None),
        "{case}: {reply:?}"
    );
    let retry_after: u64 = reply
        .retry_after
        .as_deref()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{case}: no Retry-After in seconds: {reply:?}"));
    let longest = MAX_BACKOFF.as_secs_f64().ceil() as u64;
    assert!(
        (1..=longest).contains(&retry_after),
        "{case}: Retry-After {retry_after} outside 1..={longest}"
    );
}

/// The wait after `failures` consecutive failed fetches, as configured above.
fn backoff(failures: u32) -> Duration {
    INITIAL_BACKOFF
        .saturating_mul(1 << failures.saturating_sub(1).min(31))
        .min(MAX_BACKOFF)
}

/// The most fetch attempts the backoff allows within `window`: each attempt after the first
/// waits the backoff of the failures before it.
fn attempts_allowed(window: Duration) -> u64 {
    let (mut attempts, mut waited) = (1u32, Duration::ZERO);
    loop {
        let next = waited + backoff(attempts);
        if next > window {
            return u64::from(attempts);
        }
        waited = next;
        attempts += 1;
    }
}

/// The `kid` in the header of `token`.
fn kid_of(token: &str) -> String {
    let header = token.split('.').next().unwrap_or_default();
    let header = URL_SAFE_NO_PAD.decode(header).expect("base64url header");
    let header: Value = serde_json::from_slice(&header).expect("JSON header");
    header["kid"].as_str().unwrap_or_default().to_owned()
}

/// The published JWKs of `issuer`, as its JWKS endpoint serves them.
fn published_keys(issuer: &TestIssuer) -> Vec<Value> {
    let jwks: Value = serde_json::from_str(&issuer.jwks()).expect("JWKS JSON");
    jwks["keys"].as_array().expect("a keys array").clone()
}

/// The nearest-rank percentile `p` (0..=100) of sorted `values`.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

// ----- outages -----

#[tokio::test]
async fn provider_down_at_start_is_503_then_200_once_back_and_asked_no_faster_than_the_backoff() {
    setup();
    let issuer = TestIssuer::start_as("https://down-at-start.test/").expect("issuer");
    issuer.set_answer(Answer::Status(500));
    #[protected(issuer = "https://down-at-start.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let token = issuer.token().audience("api").sign();

    // A steady stream of requests through the outage: every one is 503, and only the backoff
    // decides how often the provider is asked.
    let outage = Instant::now();
    let mut replies = Vec::new();
    while outage.elapsed() < Duration::from_millis(2500) {
        replies.push(get_with_token(&url, &token).await);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Each attempt is one discovery request answered 500 (the JWKS is never reached), awaited
    // by the request that started it, so none is still under way.
    let attempts = issuer.requests();
    let window = outage.elapsed();
    for reply in &replies {
        assert_unavailable(reply, "during the outage");
    }
    let allowed = attempts_allowed(window);
    assert!(
        (2..=allowed).contains(&attempts),
        "{attempts} fetch attempts for {} requests in {window:?}; the backoff allows 2..={allowed}",
        replies.len()
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (attempts, 0)
    );
    eprintln!(
        "down at start: {} requests in {window:?} made {attempts} fetch attempts \
         (the backoff allows {allowed})",
        replies.len()
    );

    issuer.set_answer(Answer::Normal);
    let recovered = eventually(Duration::from_secs(5), async || {
        status_of(&url, &token).await == 200
    })
    .await;
    assert!(recovered, "no 200 within 5 s of the provider's return");
    for _ in 0..3 {
        assert_eq!(status_of(&url, &token).await, 200);
    }
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (attempts + 1, 1),
        "one discovery and one JWKS request brought the keys; fresh keys are not fetched again"
    );
}

#[tokio::test]
async fn provider_down_after_a_fetch_serves_held_keys_until_max_stale_then_503_until_it_recovers() {
    setup();
    const ISSUER: &str = "https://down-later.test/";
    let issuer = TestIssuer::builder()
        .impersonate(ISSUER)
        .max_age(1)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://down-later.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let token = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &token).await, 200);
    let first_success = key_set(ISSUER).last_success.expect("a successful fetch");
    issuer.set_answer(Answer::Status(500));

    // Through expiry (1 s) and past max_stale: (status, state) after each request.
    let outage = Instant::now();
    let mut served = Vec::new();
    let mut unavailable = None;
    while outage.elapsed() < MAX_STALE + Duration::from_secs(5) {
        let reply = get_with_token(&url, &token).await;
        let state = key_set(ISSUER).state;
        if reply.status == 503 {
            unavailable = Some((reply, state));
            break;
        }
        assert_eq!(reply.status, 200, "during the outage: {reply:?}");
        served.push(state);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        served.contains(&KeySetState::Failing),
        "held keys were never served in the failing state: {served:?}"
    );
    let (reply, state) = unavailable.expect("still 200 well past max_stale");
    assert_unavailable(&reply, "past max_stale");
    assert_eq!(state, KeySetState::Unavailable);
    assert_unavailable(
        &get_with_token(&url, &token).await,
        "past max_stale, until a fetch succeeds",
    );
    let failing = key_set(ISSUER);
    assert!(failing.failures >= 2, "{failing:?}");
    assert_eq!(failing.last_success, Some(first_success));
    assert!(
        issuer.requests() > 2,
        "the provider was asked again during the outage"
    );

    issuer.set_answer(Answer::Normal);
    let recovered = eventually(Duration::from_secs(5), async || {
        status_of(&url, &token).await == 200
    })
    .await;
    assert!(recovered, "no 200 within 5 s of the provider's return");
    let fresh = key_set(ISSUER);
    assert_eq!(fresh.state, KeySetState::Fresh, "{fresh:?}");
    assert!(fresh.last_success > Some(first_success), "{fresh:?}");
}

#[tokio::test]
async fn slow_discovery_then_a_hanging_jwks_is_503_within_one_fetch_timeout() {
    setup();
    let issuer = TestIssuer::start_as("https://slow.test/").expect("issuer");
    // More than half the timeout on discovery, then a JWKS that never answers: one deadline
    // covers both.
    issuer.set_discovery_answer(Answer::Delay(Duration::from_millis(600)));
    issuer.set_jwks_answer(Answer::Hang);
    #[protected(issuer = "https://slow.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let token = issuer.token().audience("api").sign();

    let started = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(10), get_with_token(&url, &token))
        .await
        .expect("no answer within 10 s");
    let took = started.elapsed();
    assert_unavailable(&reply, "slow discovery, hanging JWKS");
    assert!(
        took < FETCH_TIMEOUT + Duration::from_millis(1500),
        "503 after {took:?}, fetch timeout {FETCH_TIMEOUT:?}"
    );
    eprintln!("slow discovery + hanging JWKS answered 503 after {took:?}");
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "the deadline cut the hanging JWKS request"
    );

    issuer.set_answer(Answer::Normal);
    let recovered = eventually(Duration::from_secs(5), async || {
        status_of(&url, &token).await == 200
    })
    .await;
    assert!(recovered, "no 200 within 5 s of the provider's return");
}

// ----- broken answers after a first fetch -----

/// One way for a refresh to fail after a successful first fetch.
struct Fault {
    name: &'static str,
    issuer: &'static str,
    url: String,
    signer: Arc<TestIssuer>,
    /// Breaks the provider.
    start: Box<dyn FnOnce() + Send + Sync>,
    /// Requests the JWKS endpoint(s) received.
    jwks_hits: Box<dyn Fn() -> u64 + Send + Sync>,
    /// Requests one failed refresh makes to the JWKS endpoint(s).
    hits_per_refresh: u64,
}

/// A first fetch, then the fault, then expiry (max-age 1 s): the background refresh fails,
/// and every request is still 200 from the held keys.
async fn held_keys_survive(fault: Fault) {
    let name = fault.name;
    let token = fault.signer.token().audience("api").sign();
    let first = get_with_token(&fault.url, &token).await;
    assert_eq!(first.status, 200, "{name}, first fetch: {first:?}");
    assert_eq!((fault.jwks_hits)(), 1, "{name}: one JWKS request");
    (fault.start)();
    tokio::time::sleep(MIN_MAX_AGE + Duration::from_millis(200)).await;
    // Stale: served at once, and one background refresh starts against the broken provider.
    let stale = get_with_token(&fault.url, &token).await;
    assert_eq!(stale.status, 200, "{name}, stale: {stale:?}");
    // Polled by hand: an async closure would make this future not `Send` for `JoinSet`.
    let polling = Instant::now();
    let mut failed = false;
    while !failed && polling.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        failed = key_set(fault.issuer).failures >= 1;
    }
    assert!(
        failed,
        "{name}: the refresh did not fail: {:?}",
        key_set(fault.issuer)
    );
    let after = key_set(fault.issuer);
    assert_eq!(
        (after.fetches, after.failures, after.state),
        (2, 1, KeySetState::Failing),
        "{name}: {after:?}"
    );
    assert_eq!(
        (fault.jwks_hits)(),
        1 + fault.hits_per_refresh,
        "{name}: JWKS requests of the failed refresh"
    );
    for _ in 0..3 {
        let reply = get_with_token(&fault.url, &token).await;
        assert_eq!(reply.status, 200, "{name}, held keys: {reply:?}");
    }
}

/// A JWKS endpoint on 127.0.0.1 that serves `jwks` (with `max-age=1`) until `endless` is set,
/// then `{"keys":[` followed by 50 MiB of spaces written chunk by chunk, with no
/// `Content-Length` (the body ends when the connection closes). Counts requests in `hits`.
async fn chunked_jwks_server(
    listener: TcpListener,
    jwks: String,
    endless: Arc<AtomicBool>,
    hits: Arc<AtomicU64>,
) {
    while let Ok((mut socket, _)) = listener.accept().await {
        hits.fetch_add(1, Ordering::SeqCst);
        let (jwks, endless) = (jwks.clone(), endless.load(Ordering::SeqCst));
        tokio::spawn(async move {
            let (mut head, mut buffer) = (Vec::new(), [0u8; 1024]);
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buffer[..n]),
                }
            }
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        cache-control: max-age=1\r\nconnection: close\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            if endless {
                let _ = socket.write_all(br#"{"keys":["#).await;
                let chunk = vec![b' '; 64 * 1024];
                for _ in 0..(50 << 20) / chunk.len() {
                    if socket.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            } else {
                let _ = socket.write_all(jwks.as_bytes()).await;
            }
            let _ = socket.shutdown().await;
        });
    }
}

/// How one provider of the broken-refresh test breaks: its JWKS answer, made from the issuer.
struct Broken {
    name: &'static str,
    issuer: &'static str,
    path: &'static str,
    answer: fn(&TestIssuer) -> Answer,
    hits_per_refresh: u64,
}

macro_rules! fault_handler {
    ($name:ident, $issuer:literal) => {
        #[protected(issuer = $issuer, audience = "api")]
        async fn $name() {}
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_refreshes_after_a_first_fetch_keep_the_held_keys_in_use() {
    setup();
    fault_handler!(status_500, "https://fault-500.test/");
    fault_handler!(html_502, "https://fault-html.test/");
    fault_handler!(html_portal, "https://fault-portal.test/");
    fault_handler!(truncated, "https://fault-truncated.test/");
    fault_handler!(huge, "https://fault-huge.test/");
    fault_handler!(huge_chunked, "https://fault-chunked.test/");
    fault_handler!(empty_set, "https://fault-empty.test/");
    fault_handler!(off_loopback, "https://fault-off-loopback.test/");
    fault_handler!(redirect_loop, "https://fault-redirects.test/");
    let base = common::serve(
        axum::Router::new()
            .route("/500", axum::routing::get(status_500))
            .route("/html", axum::routing::get(html_502))
            .route("/portal", axum::routing::get(html_portal))
            .route("/truncated", axum::routing::get(truncated))
            .route("/huge", axum::routing::get(huge))
            .route("/chunked", axum::routing::get(huge_chunked))
            .route("/empty", axum::routing::get(empty_set))
            .route("/off-loopback", axum::routing::get(off_loopback))
            .route("/redirects", axum::routing::get(redirect_loop)),
    )
    .await;

    let answers = [
        Broken {
            name: "500",
            issuer: "https://fault-500.test/",
            path: "/500",
            answer: |_| Answer::Status(500),
            hits_per_refresh: 1,
        },
        Broken {
            name: "HTML error page",
            issuer: "https://fault-html.test/",
            path: "/html",
            answer: |_| Answer::Html(502),
            hits_per_refresh: 1,
        },
        Broken {
            name: "HTML page with 200",
            issuer: "https://fault-portal.test/",
            path: "/portal",
            answer: |_| Answer::Html(200),
            hits_per_refresh: 1,
        },
        Broken {
            name: "truncated JSON",
            issuer: "https://fault-truncated.test/",
            path: "/truncated",
            answer: |issuer| {
                let jwks = issuer.jwks();
                Answer::Body(jwks[..jwks.len() / 2].to_owned())
            },
            hits_per_refresh: 1,
        },
        Broken {
            name: "50 MiB with Content-Length",
            issuer: "https://fault-huge.test/",
            path: "/huge",
            answer: |_| {
                let mut body = String::from(r#"{"keys":["#);
                body.push_str(&" ".repeat((50 << 20) - body.len()));
                Answer::Body(body)
            },
            hits_per_refresh: 1,
        },
        Broken {
            name: "empty set",
            issuer: "https://fault-empty.test/",
            path: "/empty",
            answer: |_| Answer::Body(r#"{"keys":[]}"#.into()),
            hits_per_refresh: 1,
        },
        Broken {
            name: "redirect to plain http off loopback",
            issuer: "https://fault-off-loopback.test/",
            path: "/off-loopback",
            answer: |_| Answer::Redirect("http://not-loopback.test/jwks".into()),
            hits_per_refresh: 1,
        },
        // The JWKS redirects to itself: the first request and 3 followed redirects, then the
        // fourth redirect is refused.
        Broken {
            name: "more than 3 redirects",
            issuer: "https://fault-redirects.test/",
            path: "/redirects",
            answer: |_| Answer::Redirect("/jwks".into()),
            hits_per_refresh: 4,
        },
    ];
    let mut faults = Vec::new();
    for Broken {
        name,
        issuer: issuer_name,
        path,
        answer,
        hits_per_refresh,
    } in answers
    {
        let issuer = Arc::new(
            TestIssuer::builder()
                .impersonate(issuer_name)
                .max_age(1)
                .start()
                .expect("issuer"),
        );
        let answer = answer(&issuer);
        let (breaks, counts) = (Arc::clone(&issuer), Arc::clone(&issuer));
        faults.push(Fault {
            name,
            issuer: issuer_name,
            url: format!("{base}{path}"),
            signer: issuer,
            start: Box::new(move || breaks.set_jwks_answer(answer)),
            jwks_hits: Box::new(move || counts.jwks_requests()),
            hits_per_refresh,
        });
    }

    // 50 MiB without Content-Length, from a JWKS URI that discovery names on 127.0.0.1.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let jwks_uri = format!("http://{}/jwks", listener.local_addr().expect("address"));
    let chunked = Arc::new(
        TestIssuer::builder()
            .impersonate("https://fault-chunked.test/")
            .jwks_uri(jwks_uri)
            .start()
            .expect("issuer"),
    );
    let (endless, hits) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    tokio::spawn(chunked_jwks_server(
        listener,
        chunked.jwks(),
        Arc::clone(&endless),
        Arc::clone(&hits),
    ));
    let counted = Arc::clone(&hits);
    faults.push(Fault {
        name: "50 MiB chunked, no Content-Length",
        issuer: "https://fault-chunked.test/",
        url: format!("{base}/chunked"),
        signer: chunked,
        start: Box::new(move || endless.store(true, Ordering::SeqCst)),
        jwks_hits: Box::new(move || counted.load(Ordering::SeqCst)),
        hits_per_refresh: 1,
    });

    let mut cases = JoinSet::new();
    for fault in faults {
        cases.spawn(held_keys_survive(fault));
    }
    while let Some(outcome) = cases.join_next().await {
        if let Err(error) = outcome {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

#[tokio::test]
async fn a_refreshed_set_of_10_000_keys_keeps_at_most_max_keys_and_its_valid_keys_verify() {
    setup();
    const ISSUER: &str = "https://ten-thousand-keys.test/";
    const MAX_KEYS: usize = 64;
    const COPIES: usize = 96;
    let issuer = TestIssuer::start_as(ISSUER).expect("issuer");
    #[protected(issuer = "https://ten-thousand-keys.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let rsa = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &rsa).await, 200);

    // 10,000 JWKs: unusable ones (RSA moduli far too short), the issuer's own four, then its
    // Ed25519 key again under 96 further kids. Only the first 64 usable ones are kept.
    let real = published_keys(&issuer);
    let ed25519 = real
        .iter()
        .find(|jwk| jwk["crv"] == "Ed25519")
        .expect("an Ed25519 key")
        .clone();
    let mut keys =
        vec![json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}); 10_000 - real.len() - COPIES];
    keys.extend(real.iter().cloned());
    keys.extend((0..COPIES).map(|i| {
        let mut copy = ed25519.clone();
        copy["kid"] = json!(format!("copy-{i}"));
        copy
    }));
    assert_eq!(keys.len(), 10_000);
    let body = json!({ "keys": keys }).to_string();
    assert!(body.len() < 512 * 1024, "{} bytes", body.len());
    issuer.set_jwks_answer(Answer::Body(body));

    let copy = |i: usize| {
        issuer
            .token()
            .audience("api")
            .alg(Alg::EdDSA)
            .kid(format!("copy-{i}"))
            .sign()
    };
    // An unknown kid refreshes; the new set has it.
    assert_eq!(status_of(&url, &copy(0)).await, 200);
    assert_eq!(issuer.jwks_requests(), 2);
    let held = key_set(ISSUER);
    assert_eq!(
        (held.keys, held.fetches, held.failures),
        (MAX_KEYS, 2, 0),
        "{held:?}"
    );
    let kept_copies = MAX_KEYS - real.len();
    assert_eq!(status_of(&url, &copy(kept_copies - 1)).await, 200);
    assert_eq!(status_of(&url, &rsa).await, 200);
    let dropped = get_with_token(&url, &copy(kept_copies)).await;
    dropped.assert_invalid_token("a usable key past max_keys");
    assert_eq!(dropped.description(), "unknown signing key");
}

#[tokio::test]
async fn a_set_mixing_valid_and_invalid_keys_verifies_with_the_valid_ones() {
    setup();
    const ISSUER: &str = "https://mixed-keys.test/";
    let issuer = TestIssuer::start_as(ISSUER).expect("issuer");
    let mut keys = vec![
        json!({"kty": "RSA", "kid": "short", "n": "AQAB", "e": "AQAB"}),
        json!({"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
        json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
        json!({"kty": "OKP", "kid": "x25519", "crv": "X25519", "x": "AAAA"}),
        json!({"kid": 7}),
        json!("not an object"),
    ];
    for (i, real) in published_keys(&issuer).into_iter().enumerate() {
        keys.insert(2 * i, real);
    }
    issuer.set_jwks_answer(Answer::Body(json!({ "keys": keys }).to_string()));
    #[protected(issuer = "https://mixed-keys.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    for alg in [Alg::RS256, Alg::ES256, Alg::ES384, Alg::EdDSA] {
        let reply = get_with_token(&url, &issuer.token().audience("api").alg(alg).sign()).await;
        assert_eq!(reply.status, 200, "{alg:?}: {reply:?}");
    }
    let held = key_set(ISSUER);
    assert_eq!(
        (held.keys, held.fetches, held.failures),
        (4, 1, 0),
        "{held:?}"
    );
    assert_eq!(issuer.jwks_requests(), 1);
}

// ----- load -----

/// One request of a load test: its token's key, when it was sent and answered, its status.
#[derive(Debug)]
struct Sent {
    kid: String,
    at: Instant,
    done: Instant,
    status: u16,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_under_load_rejects_no_valid_token_and_costs_at_most_two_refreshes() {
    setup();
    const LOAD: Duration = Duration::from_secs(5);
    let issuer = Arc::new(TestIssuer::start_as("https://rotation-load.test/").expect("issuer"));
    #[protected(issuer = "https://rotation-load.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    fn current(issuer: &TestIssuer) -> String {
        issuer.token().audience("api").alg(Alg::ES256).sign()
    }
    assert_eq!(status_of(&url, &current(&issuer)).await, 200);
    let old_kid = issuer.kid(Alg::ES256);
    // Issued before the rotation and used throughout by two of the clients.
    let long_lived = current(&issuer);

    let start = Instant::now();
    let mut clients = JoinSet::new();
    for client in 0..8 {
        let (issuer, url, long_lived) = (Arc::clone(&issuer), url.clone(), long_lived.clone());
        clients.spawn(async move {
            let http = reqwest::Client::new();
            let mut sent = Vec::new();
            while start.elapsed() < LOAD {
                let token = if client < 2 {
                    long_lived.clone()
                } else {
                    current(&issuer)
                };
                let at = Instant::now();
                let status = get_with_token_on(&http, &url, &token).await.status;
                sent.push(Sent {
                    kid: kid_of(&token),
                    at,
                    done: Instant::now(),
                    status,
                });
            }
            sent
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    issuer.rotate_keeping_old().expect("rotation");
    let new_kid = issuer.kid(Alg::ES256);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let removed_at = Instant::now();
    issuer.remove_old_keys();
    let sent: Vec<Sent> = clients.join_all().await.into_iter().flatten().collect();

    assert_ne!(old_kid, new_kid);
    let count = |filter: &dyn Fn(&Sent) -> bool| sent.iter().filter(|s| filter(s)).count();
    let new_key = count(&|s| s.kid == new_kid);
    let old_after_removal = count(&|s| s.kid == old_kid && s.at >= removed_at);
    assert!(new_key > 0, "no request carried the new key");
    assert!(old_after_removal > 0, "no request outlived the removal");
    assert!(
        sent.iter().all(|s| matches!(s.status, 200 | 401)),
        "statuses other than 200 and 401"
    );
    // A token of the removed key may be refused once its request is still being served when
    // the key leaves the set (verified after a refresh that no longer lists it).
    let refusable = |s: &Sent| s.kid == old_kid && s.done >= removed_at;
    let wrongly_refused: Vec<&Sent> = sent
        .iter()
        .filter(|s| s.status != 200 && !refusable(s))
        .collect();
    assert!(
        wrongly_refused.is_empty(),
        "valid tokens refused out of {} (old key {old_kid}, new key {new_kid}, removed at \
         {removed_at:?}): {wrongly_refused:?}",
        sent.len()
    );
    // This binary's `max_stale` (6 s) caps freshness at 3 s, so routine conditional refreshes
    // (answered 304) also happen during the 5 s; the rotation itself may cost at most two
    // fetches of a changed set.
    let refreshes = issuer.jwks_requests() - 1 - issuer.not_modified_responses();
    eprintln!(
        "rotation under load: {} requests ({new_key} with the new key, {old_after_removal} with \
         the removed key after its removal, of which {} refused); {refreshes} JWKS refreshes",
        sent.len(),
        count(&|s| s.kid == old_kid && s.at >= removed_at && s.status != 200),
    );
    assert!(
        refreshes <= 2,
        "{refreshes} JWKS fetches of a changed set beyond the first"
    );
    assert_eq!(issuer.discovery_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_random_kid_flood_costs_the_burst_plus_one_fetch_per_cooldown_and_valid_tokens_pass() {
    setup();
    const REQUESTS: usize = 5_000;
    const CONCURRENCY: usize = 32;
    let issuer = TestIssuer::start_as("https://kid-flood.test/").expect("issuer");
    #[protected(issuer = "https://kid-flood.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let valid = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &valid).await, 200);
    assert_eq!(issuer.jwks_requests(), 1);

    // Every tenth request valid, the others naming a random kid (xorshift, seeded by the clock).
    let mut state = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0x9e37_79b9_7f4a_7c15, |d| d.as_nanos() as u64)
        | 1;
    let mut random = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let requests: Arc<Vec<(bool, String)>> = Arc::new(
        (0..REQUESTS)
            .map(|i| {
                if i % 10 == 0 {
                    (true, valid.clone())
                } else {
                    let kid = format!("{:016x}", random());
                    (
                        false,
                        issuer
                            .token()
                            .audience("api")
                            .alg(Alg::EdDSA)
                            .kid(kid)
                            .sign(),
                    )
                }
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..CONCURRENCY {
        let (requests, next, http, url) = (
            Arc::clone(&requests),
            Arc::clone(&next),
            http.clone(),
            url.clone(),
        );
        workers.spawn(async move {
            let mut outcomes = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((is_valid, token)) = requests.get(i) else {
                    return outcomes;
                };
                let sent = Instant::now();
                let reply = get_with_token_on(&http, &url, token).await;
                outcomes.push((*is_valid, sent.elapsed(), reply));
            }
        });
    }
    let outcomes: Vec<(bool, Duration, Reply)> =
        workers.join_all().await.into_iter().flatten().collect();
    let elapsed = start.elapsed();
    let refreshes = issuer.jwks_requests() - 1;

    assert_eq!(outcomes.len(), REQUESTS);
    for (is_valid, _, reply) in &outcomes {
        if *is_valid {
            reply.assert_ok("a valid token during the flood");
        } else {
            reply.assert_invalid_token("a random kid");
            assert_eq!(reply.description(), "unknown signing key");
        }
    }
    let periods = (elapsed.as_nanos() / COOLDOWN.as_nanos()) as u64;
    assert!(
        refreshes <= 2 + periods,
        "{refreshes} refreshes in {elapsed:?}: more than the burst of 2 plus one per {COOLDOWN:?}"
    );
    assert_eq!(issuer.discovery_requests(), 1);
    let mut latencies: Vec<Duration> = outcomes
        .iter()
        .filter(|(is_valid, _, _)| *is_valid)
        .map(|(_, latency, _)| *latency)
        .collect();
    latencies.sort();
    eprintln!(
        "kid flood: {REQUESTS} requests at concurrency {CONCURRENCY} in {elapsed:?}, {refreshes} \
         refreshes (bound {}); valid requests ({}): p50 {:?}, max {:?}",
        2 + periods,
        latencies.len(),
        percentile(&latencies, 50),
        percentile(&latencies, 100),
    );
}

// ----- freshness -----

#[tokio::test]
async fn a_conditional_refresh_gets_304_and_after_a_rotation_200_with_the_new_key() {
    setup();
    const ISSUER: &str = "https://conditional.test/";
    let issuer = TestIssuer::builder()
        .impersonate(ISSUER)
        .max_age(1)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://conditional.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let old = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &old).await, 200);
    assert_eq!(
        (issuer.jwks_requests(), issuer.conditional_requests()),
        (1, 0)
    );

    tokio::time::sleep(MIN_MAX_AGE + Duration::from_millis(200)).await;
    assert_eq!(status_of(&url, &old).await, 200, "stale keys are served");
    let revalidated = eventually(Duration::from_secs(5), async || {
        key_set(ISSUER).not_modified >= 1
    })
    .await;
    assert!(revalidated, "no 304: {:?}", key_set(ISSUER));
    assert_eq!(
        (
            issuer.jwks_requests(),
            issuer.conditional_requests(),
            issuer.not_modified_responses()
        ),
        (2, 1, 1),
        "the second JWKS request was conditional and answered 304"
    );
    let held = key_set(ISSUER);
    assert_eq!((held.fetches, held.failures, held.not_modified), (2, 0, 1));
    assert_eq!(
        status_of(&url, &old).await,
        200,
        "the held keys still verify"
    );

    issuer.rotate().expect("rotation");
    let (conditional, not_modified) = (
        issuer.conditional_requests(),
        issuer.not_modified_responses(),
    );
    let new = issuer.token().audience("api").sign();
    assert_eq!(status_of(&url, &new).await, 200, "the new key verifies");
    assert!(
        issuer.conditional_requests() > conditional,
        "the refresh after the rotation was not conditional"
    );
    assert_eq!(
        issuer.not_modified_responses(),
        not_modified,
        "the refresh after the rotation got 200"
    );
    let gone = get_with_token(&url, &old).await;
    gone.assert_invalid_token("a token of the rotated-out key");
}

/// Requests `url` every 50 ms for 2.5 s from the first fetch; the JWKS requests `issuer`
/// received, and the time it took.
async fn requests_for_a_while(url: &str, issuer: &TestIssuer) -> (u64, Duration) {
    let token = issuer.token().audience("api").sign();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        assert_eq!(status_of(url, &token).await, 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (issuer.jwks_requests(), start.elapsed())
}

#[tokio::test]
async fn no_store_and_max_age_0_are_refetched_no_sooner_than_the_lower_bound() {
    setup();
    let no_store = TestIssuer::builder()
        .impersonate("https://no-store.test/")
        .cache_control("no-store")
        .start()
        .expect("issuer");
    let zero = TestIssuer::builder()
        .impersonate("https://max-age-zero.test/")
        .max_age(0)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://no-store.test/", audience = "api")]
    async fn no_store_handler() {}
    #[protected(issuer = "https://max-age-zero.test/", audience = "api")]
    async fn zero_handler() {}
    let (no_store_url, zero_url) = (
        serve_handler(no_store_handler).await,
        serve_handler(zero_handler).await,
    );
    let (by_no_store, by_zero) = tokio::join!(
        requests_for_a_while(&no_store_url, &no_store),
        requests_for_a_while(&zero_url, &zero),
    );
    for (case, (fetches, window)) in [("no-store", by_no_store), ("max-age=0", by_zero)] {
        eprintln!("{case}: {fetches} JWKS fetches in {window:?}");
        // Fetch k starts at least (k - 1) lower bounds after the first.
        let allowed = 1 + (window.as_nanos() / MIN_MAX_AGE.as_nanos()) as u64;
        assert!(
            (2..=allowed).contains(&fetches),
            "{case}: {fetches} JWKS fetches in {window:?}; expected 2..={allowed}"
        );
    }
}

#[tokio::test]
async fn an_overflowing_max_age_causes_no_refetch() {
    setup();
    const ISSUER: &str = "https://max-age-overflow.test/";
    let issuer = TestIssuer::builder()
        .impersonate(ISSUER)
        .cache_control("max-age=99999999999999999999")
        .start()
        .expect("issuer");
    #[protected(issuer = "https://max-age-overflow.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    let (fetches, window) = requests_for_a_while(&url, &issuer).await;
    assert_eq!(fetches, 1, "refetched within {window:?}");
    assert_eq!(key_set(ISSUER).state, KeySetState::Fresh);
}

// ----- isolation -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_of_one_issuer_leaves_another_untouched() {
    setup();
    let down = TestIssuer::start_as("https://isolated-down.test/").expect("issuer");
    let up = TestIssuer::start_as("https://isolated-up.test/").expect("issuer");
    down.set_answer(Answer::Hang);
    #[protected(issuer = "https://isolated-down.test/", audience = "api")]
    async fn down_handler() {}
    #[protected(issuer = "https://isolated-up.test/", audience = "api")]
    async fn up_handler() {}
    let (down_url, up_url) = (
        serve_handler(down_handler).await,
        serve_handler(up_handler).await,
    );
    let (down_token, up_token) = (
        down.token().audience("api").sign(),
        up.token().audience("api").sign(),
    );

    let hanging = {
        let (url, token) = (down_url.clone(), down_token.clone());
        tokio::spawn(async move { get_with_token(&url, &token).await })
    };
    let asked = eventually(Duration::from_secs(5), async || {
        down.discovery_requests() == 1
    })
    .await;
    assert!(asked, "the hanging provider was never asked");
    // While the first issuer's fetch hangs, the other fetches and serves.
    assert_eq!(status_of(&up_url, &up_token).await, 200);
    assert!(
        !hanging.is_finished(),
        "the other issuer was served only after the hanging fetch ended"
    );
    let reply = hanging.await.expect("request task");
    assert_unavailable(&reply, "the hanging issuer's first request");
    assert_unavailable(
        &get_with_token(&down_url, &down_token).await,
        "the hanging issuer, backing off",
    );
    for _ in 0..3 {
        assert_eq!(status_of(&up_url, &up_token).await, 200);
    }
    assert_eq!(
        (up.discovery_requests(), up.jwks_requests(), up.requests()),
        (1, 1, 2)
    );
    assert_eq!(
        key_set("https://isolated-up.test/").state,
        KeySetState::Fresh
    );
    assert_eq!(
        key_set("https://isolated-down.test/").state,
        KeySetState::Unavailable
    );
    down.set_answer(Answer::Normal);
}

// ----- operator API -----

#[tokio::test]
async fn prefetch_fetches_once_so_the_first_request_needs_no_fetch_and_stats_list_the_issuer() {
    setup();
    const ISSUER: &str = "https://prefetch.test/";
    let issuer = TestIssuer::start_as(ISSUER).expect("issuer");
    let before = SystemTime::now();
    prefetch(ISSUER, None).await.expect("prefetch");
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );
    let listed = key_set(ISSUER);
    assert_eq!(
        (
            listed.state,
            listed.keys,
            listed.fetches,
            listed.failures,
            listed.jwks_uri.as_deref()
        ),
        (KeySetState::Fresh, 4, 1, 0, None),
        "{listed:?}"
    );
    assert!(
        listed
            .last_success
            .is_some_and(|at| at >= before - Duration::from_secs(1) && at <= SystemTime::now()),
        "{listed:?}"
    );
    // Usable keys held: a second prefetch returns at once.
    prefetch(ISSUER, None).await.expect("second prefetch");
    #[protected(issuer = "https://prefetch.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "the first request needed no fetch"
    );
    assert_eq!(key_set(ISSUER).fetches, 1);
}

#[tokio::test]
async fn prefetch_reports_insecure_urls_as_configuration_and_a_failing_provider_as_unavailable() {
    setup();
    for (issuer, jwks_uri) in [
        ("http://id.example.com/", None),
        (
            "https://id.example.com/",
            Some("http://id.example.com/jwks"),
        ),
        ("id.example.com", None),
    ] {
        let outcome = prefetch(issuer, jwks_uri).await;
        assert!(
            matches!(outcome, Err(PrefetchError::Configuration(_))),
            "{issuer} {jwks_uri:?}: {outcome:?}"
        );
    }
    assert!(
        !stats()
            .key_sets
            .iter()
            .any(|set| set.issuer.contains("id.example.com")),
        "a key cache was made for a URL keys may never come from"
    );

    const DOWN: &str = "https://prefetch-down.test/";
    let down = TestIssuer::start_as(DOWN).expect("issuer");
    down.set_answer(Answer::Status(500));
    let outcome = prefetch(DOWN, None).await;
    assert!(
        matches!(outcome, Err(PrefetchError::Unavailable(_))),
        "{outcome:?}"
    );
    assert_eq!(down.requests(), 1);
    let listed = key_set(DOWN);
    assert_eq!(
        (
            listed.state,
            listed.fetches,
            listed.failures,
            listed.last_success
        ),
        (KeySetState::Unavailable, 1, 1, None),
        "{listed:?}"
    );
}

#[tokio::test]
async fn stats_count_rejections_by_kind() {
    setup();
    let issuer = TestIssuer::start_as("https://rejections.test/").expect("issuer");
    #[protected(issuer = "https://rejections.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    let before = stats().rejections;
    for token in [
        issuer.token().audience("api").expired().sign(),
        issuer.token().audience("other").sign(),
        issuer.token().audience("api").foreign_key().sign(),
    ] {
        get_with_token(&url, &token)
            .await
            .assert_invalid_token("a bad token");
    }
    get(&url, &[]).await.assert_missing_credentials("no token");
    let after = stats().rejections;
    let delta = |kind| after.get(kind) - before.get(kind);
    // Other tests of this binary answer 401 invalid_token at the same time; none answers
    // without credentials or with 403.
    assert!(delta(RejectionKind::InvalidToken) >= 3);
    assert_eq!(delta(RejectionKind::MissingCredentials), 1);
    assert_eq!(delta(RejectionKind::InsufficientScope), 0);
}
