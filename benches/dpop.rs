//! What a DPoP request (RFC 9449) costs beside a Bearer request, through the real guard
//! (`Policy::authorize::<Claims>` given the request line and headers), with the verified-token
//! cache on (the default settings, the client reusing its token) and off, side by side in one
//! run with the one signature check a proof cannot avoid. Run: `cargo bench --bench dpop`.
//!
//! In group `dpop/RS256 token, ES256 proof`:
//!
//! - `Bearer, cache on|off`: `Authorization: Bearer` with an RS256 token that is not bound to a
//!   key, of the same size and shape as the bound one (an unregistered claim `cnx` holding a
//!   `jkt` in place of `cnf`), so that the difference between the two is the proof's;
//! - `DPoP, cache on|off`: `Authorization: DPoP` with an RS256 token bound to the client's
//!   P-256 key (`cnf.jkt`) and a fresh ES256 proof (`DPoP` header) for `GET
//!   http://api.test/orders`: every request needs a new `jti`, so proofs are signed before the
//!   timed part (criterion's `iter_batched`), one per request;
//! - `bare ES256 verify`: the proof's signature alone, an aws-lc-rs public key parsed once
//!   verifying the proof's signing input against its decoded signature;
//! - `proof checks alone`: `jwks_guard::dpop::check_proof` and the replay insert into an
//!   in-memory store, without the token: parsing, key, signature, claims, thumbprint.
//!
//! Settings are process-wide, so the cache-off half runs in a second process: this binary runs
//! itself again with `JWKS_GUARD_BENCH_CACHE=off` (and the same arguments) before its own half.
//!
//! On a machine busy with other work, `DPOP_COUNT=<n>` skips criterion: `n` Bearer requests, `n`
//! DPoP requests and `n` bare verifications in interleaved rounds of a thousand of each (nine
//! shorter rounds when `n` is under 9,000), timed by this thread's CPU time; it prints each kind's median and the
//! median and quartiles of the rounds' own ratios. Each kind runs in its own function, so that
//! callgrind can count the instructions of each:
//!
//! ```text
//! cargo bench --bench dpop --no-run
//! DPOP_COUNT=45000 [JWKS_GUARD_BENCH_CACHE=off] target/release/deps/dpop-<hash>
//! DPOP_COUNT=2000 [JWKS_GUARD_BENCH_CACHE=off] valgrind --tool=callgrind --collect-atstart=no \
//!     --toggle-collect='*send_each_once*' --toggle-collect='*send_each_dpop_once*' \
//!     --toggle-collect='*verify_each_once*' target/release/deps/dpop-<hash>
//! callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep each_
//! ```
#![allow(clippy::expect_used)] // a benchmark stops with a message on a broken setup

mod halves;

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use criterion::{BatchSize, Criterion};
use jwks_guard::credentials::WithRequestLine;
use jwks_guard::dpop::{
    InMemoryReplayStore, ProofRequest, ProofSettings, check_proof, check_replay_in,
};
use jwks_guard::{Claims, Policy, Settings, configure, stats};
use jwks_guard_test::{DpopClient, TestIssuer};

const ISSUER: &str = "https://bench.test/";
const HOST: &str = "api.test";
const TARGET: &str = "/orders";
const URL: &str = "http://api.test/orders";

/// What one request sends: its `Authorization` value and, for DPoP, its proof.
struct Sent {
    authorization: String,
    proof: Option<String>,
}

impl Sent {
    /// `token` as a bearer token.
    fn bearer(token: &str) -> Self {
        Sent {
            authorization: format!("Bearer {token}"),
            proof: None,
        }
    }

    /// `token` under the DPoP scheme, with a fresh proof by `client` for `GET` [`URL`].
    fn dpop(client: &DpopClient, token: &str) -> Self {
        Sent {
            authorization: format!("DPoP {token}"),
            proof: Some(client.proof("GET", URL).access_token(token).sign()),
        }
    }
}

/// The request through the guard; whether it was accepted.
async fn authorize(policy: &Policy, sent: &Sent) -> bool {
    let mut headers: [(&str, &[u8]); 3] = [
        ("host", HOST.as_bytes()),
        ("authorization", sent.authorization.as_bytes()),
        ("dpop", b""),
    ];
    let headers = match &sent.proof {
        Some(proof) => {
            headers[2].1 = proof.as_bytes();
            &headers[..]
        }
        None => &headers[..2],
    };
    let request = WithRequestLine::new("GET", TARGET, headers);
    policy.authorize::<Claims>(&request).await.is_ok()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(0))
}

/// What both modes start from: the settings (the token cache off when `cache_on` is false), a
/// runtime, the issuer (kept alive), the policy, a client key and the two tokens.
struct Setup {
    runtime: tokio::runtime::Runtime,
    _issuer: TestIssuer,
    policy: Policy,
    client: DpopClient,
    bearer_token: String,
    bound_token: String,
}

fn setup(cache_on: bool) -> Setup {
    if !cache_on {
        configure(Settings::new().token_cache_capacity(0))
            .expect("settings installed before the benchmark");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let issuer = TestIssuer::builder()
        .impersonate(ISSUER)
        .start()
        .expect("issuer");
    let policy = Policy::builder()
        .issuer(ISSUER)
        .audience("api")
        .scopes(["read"])
        .build()
        .expect("policy");
    let client = DpopClient::new().expect("client key");
    // The same size and shape as the bound token (an unregistered claim in place of `cnf`), so
    // that the difference between the two requests is the proof's alone.
    let bearer_token = issuer
        .token()
        .audience("api")
        .scopes(["read"])
        .claim("cnx", serde_json::json!({ "jkt": client.thumbprint() }))
        .sign();
    let bound_token = issuer
        .token()
        .audience("api")
        .scopes(["read"])
        .dpop_bound(&client)
        .sign();
    Setup {
        runtime,
        _issuer: issuer,
        policy,
        client,
        bearer_token,
        bound_token,
    }
}

fn bench(c: &mut Criterion, cache_on: bool) {
    let Setup {
        runtime,
        _issuer,
        policy,
        client,
        bearer_token,
        bound_token,
    } = setup(cache_on);
    let bearer = || Sent::bearer(&bearer_token);
    let dpop = || Sent::dpop(&client, &bound_token);

    // Warm the key cache, and check that each request is accepted and a replay refused.
    for sent in [bearer(), dpop()] {
        assert!(runtime.block_on(authorize(&policy, &sent)), "accepted");
    }
    let replayed = dpop();
    assert!(runtime.block_on(authorize(&policy, &replayed)));
    assert!(!runtime.block_on(authorize(&policy, &replayed)), "replay");
    let unbound_as_dpop = Sent::dpop(&client, &bearer_token);
    let bound_as_bearer = Sent::bearer(&bound_token);
    assert!(
        !runtime.block_on(authorize(&policy, &unbound_as_dpop)),
        "unbound as DPoP"
    );
    assert!(
        !runtime.block_on(authorize(&policy, &bound_as_bearer)),
        "downgrade"
    );

    let state = if cache_on { "cache on" } else { "cache off" };
    let before = stats().token_cache;
    let mut group = c.benchmark_group("dpop/RS256 token, ES256 proof");
    group.bench_function(format!("Bearer, {state}"), |b| {
        b.to_async(&runtime).iter_batched(
            bearer,
            |sent| {
                let policy = &policy;
                async move { black_box(authorize(policy, &sent).await) }
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function(format!("DPoP, {state}"), |b| {
        b.to_async(&runtime).iter_batched(
            dpop,
            |sent| {
                let policy = &policy;
                async move { black_box(authorize(policy, &sent).await) }
            },
            BatchSize::SmallInput,
        )
    });
    if cache_on {
        bare(&mut group, &client, &bound_token);
    }
    group.finish();
    if let (Some(before), Some(after)) = (before, stats().token_cache) {
        println!(
            "{state}: {} token cache hits, {} misses during the measurement",
            after.hits - before.hits,
            after.misses - before.misses,
        );
    }
}

/// The proof's signature check alone, and the proof's checks without the token.
fn bare(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    client: &DpopClient,
    token: &str,
) {
    let proof = client.proof("GET", URL).access_token(token).sign();
    let key = bare_key(client);
    let (signing_input, signature) = proof.rsplit_once('.').expect("a compact JWS");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    assert!(key.verify_sig(signing_input.as_bytes(), &signature).is_ok());
    group.bench_function("bare ES256 verify", |b| {
        b.iter(|| black_box(key.verify_sig(signing_input.as_bytes(), &signature).is_ok()))
    });

    let settings = ProofSettings::new();
    let store = InMemoryReplayStore::default();
    let jkt = client.thumbprint();
    let request = ProofRequest {
        method: "GET",
        uri: URL,
    };
    group.bench_function("proof checks alone", |b| {
        b.iter_batched(
            || client.proof("GET", URL).access_token(token).sign(),
            |proof| {
                let checked = check_proof(
                    [proof.as_bytes()],
                    &request,
                    token,
                    Some(&jkt),
                    &settings,
                    now(),
                );
                let fresh = checked.map(|checked| {
                    futures_now(check_replay_in(&store, &checked)).is_some_and(|r| r.is_ok())
                });
                black_box(fresh == Ok(true))
            },
            BatchSize::SmallInput,
        )
    });
}

/// The client's P-256 public key, parsed once by aws-lc-rs.
fn bare_key(client: &DpopClient) -> ParsedPublicKey {
    let jwk = client.jwk();
    let coordinate = |name: &str| {
        URL_SAFE_NO_PAD
            .decode(jwk[name].as_str().expect("EC coordinate"))
            .expect("base64url")
    };
    let point = [&[4][..], &coordinate("x"), &coordinate("y")].concat();
    ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point).expect("P-256 key")
}

/// The output of a future that is ready at once (the in-memory store's).
fn futures_now<F: std::future::Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(output) => Some(output),
        std::task::Poll::Pending => None,
    }
}

/// Sends each request once through the guard; how many were accepted.
#[inline(always)]
fn send_all(policy: &Policy, runtime: &tokio::runtime::Runtime, sent: &[Sent]) -> usize {
    runtime.block_on(async {
        let mut accepted = 0;
        for sent in sent {
            accepted += usize::from(authorize(policy, sent).await);
        }
        accepted
    })
}

/// [`send_all`] for the Bearer requests, as a symbol of its own for a profiler.
#[inline(never)]
fn send_each_once(policy: &Policy, runtime: &tokio::runtime::Runtime, sent: &[Sent]) -> usize {
    send_all(policy, runtime, sent)
}

/// [`send_all`] for the DPoP requests, as a symbol of its own for a profiler.
#[inline(never)]
fn send_each_dpop_once(policy: &Policy, runtime: &tokio::runtime::Runtime, sent: &[Sent]) -> usize {
    // Not folded into `send_each_once` by the optimiser.
    black_box(send_all(policy, runtime, sent))
}

/// Verifies each proof's signature alone, with a key parsed once; how many verified.
#[inline(never)]
fn verify_each_once(key: &ParsedPublicKey, proofs: &[(String, Vec<u8>)]) -> usize {
    proofs
        .iter()
        .filter(|(signing_input, signature)| {
            key.verify_sig(signing_input.as_bytes(), signature).is_ok()
        })
        .count()
}

/// Without criterion: `n` Bearer requests, `n` DPoP requests and `n` bare verifications of
/// their proofs, each kind in its own function (for `valgrind --tool=callgrind
/// --toggle-collect`), in interleaved rounds, with this thread's CPU time per request (medians).
fn count(n: usize, cache_on: bool) {
    let Setup {
        runtime,
        _issuer,
        policy,
        client,
        bearer_token,
        bound_token,
    } = setup(cache_on);
    let bearer: Vec<Sent> = (0..=n).map(|_| Sent::bearer(&bearer_token)).collect();
    let dpop: Vec<Sent> = (0..=n).map(|_| Sent::dpop(&client, &bound_token)).collect();
    let b64 = |part: &str| URL_SAFE_NO_PAD.decode(part).expect("base64url");
    let key = bare_key(&client);
    let proofs: Vec<(String, Vec<u8>)> = dpop[1..]
        .iter()
        .filter_map(|sent| {
            let (signing_input, signature) = sent.proof.as_deref()?.rsplit_once('.')?;
            Some((signing_input.to_owned(), b64(signature)))
        })
        .collect();
    // The first of each warms the key and token caches.
    let warm = send_each_once(&policy, &runtime, &bearer[..1])
        + send_each_dpop_once(&policy, &runtime, &dpop[..1]);
    assert_eq!(warm, 2, "the first requests are accepted");
    // Rounds interleave the three kinds, so that a change in the machine's load touches all;
    // short rounds (a thousand requests of each kind), so that each round's ratio is measured
    // under one load.
    let rounds = (n / 1000).max(9);
    let chunk = (n / rounds).max(1);
    let (mut times, mut accepted) = ([Vec::new(), Vec::new(), Vec::new()], [0, 0, 0]);
    for round in 0..rounds {
        let range = (1 + round * chunk).min(n + 1)..(1 + (round + 1) * chunk).min(n + 1);
        let timed = |run: &mut dyn FnMut() -> usize| {
            let cpu = halves::thread_cpu_ns();
            let count = run();
            (halves::thread_cpu_ns() - cpu, count)
        };
        // Bearer requests with the cache on cost a microsecond: sent again, so that a round's
        // Bearer time is as long as the others'.
        let repeat = if cache_on { 40 } else { 1 };
        let runs = [
            timed(&mut || {
                (0..repeat)
                    .map(|_| send_each_once(&policy, &runtime, &bearer[range.clone()]))
                    .sum::<usize>()
                    / repeat
            }),
            timed(&mut || send_each_dpop_once(&policy, &runtime, &dpop[range.clone()])),
            timed(&mut || verify_each_once(&key, &proofs[range.start - 1..range.end - 1])),
        ];
        for (kind, (ns, count)) in runs.into_iter().enumerate() {
            let sent = range.len().max(1) * if kind == 0 { repeat } else { 1 };
            times[kind].push(ns as f64 / 1e3 / sent as f64);
            accepted[kind] += count;
        }
    }
    let median = |mut t: Vec<f64>| {
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };
    let per_round: Vec<f64> = (0..rounds)
        .map(|round| (times[1][round] - times[0][round]) / times[2][round])
        .collect();
    let (ratio_low, ratio_high) = quartiles(&per_round);
    let ratio = median(per_round);
    let [bearer_us, dpop_us, verify_us] = times.map(median);
    let state = if cache_on { "cache on" } else { "cache off" };
    println!(
        "{state}, this thread's CPU time, medians of {rounds} interleaved rounds of {chunk} requests: Bearer \
         {bearer_us:.2} µs, DPoP {dpop_us:.2} µs, bare ES256 verify {verify_us:.2} µs; (DPoP − \
         Bearer) ÷ verify = {:.3}; per round: median {ratio:.3}, quartiles {ratio_low:.3} – \
         {ratio_high:.3}; accepted {accepted:?} of {}",
        (dpop_us - bearer_us) / verify_us,
        chunk * rounds
    );
}

/// The first and third quartiles of `values`.
fn quartiles(values: &[f64]) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: usize| {
        sorted
            .get(sorted.len() * q / 4)
            .copied()
            .unwrap_or(f64::NAN)
    };
    (at(1), at(3))
}

fn main() {
    halves::run("DPOP_COUNT", count, bench);
}
