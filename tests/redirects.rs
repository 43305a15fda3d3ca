//! Redirects of a key fetch are followed by jwks-guard itself, each hop checked, with a client
//! given in `Settings::http_client` that follows none (`Policy::none()`, as documented): an
//! `https` → `https` redirect is followed; a hop through plain `http` is refused, and the keys
//! behind it are never fetched nor used. `https` servers on 127.0.0.1 with a certificate made at
//! start. Its own binary, since settings are process-wide.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/tls.rs"]
mod tls;

use jwks_guard_test::TestIssuer;

use common::{Reply, get_with_token};
use tls::{Answer, protected};

fn setup() {
    tls::setup(reqwest::redirect::Policy::none);
}

/// A provider named `name` whose tokens are signed by keys held by a server of its own, and a
/// second signer claiming the same name with keys of its own (the attacker).
fn provider_and_attacker(name: &str) -> (TestIssuer, TestIssuer) {
    let start = || {
        TestIssuer::builder()
            .issuer_name(name)
            .start()
            .expect("issuer")
    };
    (start(), start())
}

#[track_caller]
fn assert_unavailable(reply: &Reply, case: &str) {
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (503, "temporarily_unavailable"),
        "{case}: {reply:?}"
    );
}

#[tokio::test]
async fn an_https_to_https_redirect_is_followed_and_its_keys_verify_tokens() {
    setup();
    let (provider, _) = provider_and_attacker("https://redirect-followed.test/");
    let keys = tls::https(Answer::Json(provider.jwks())).await;
    let moved = tls::https(Answer::Redirect(format!("{}/keys", keys.url))).await;
    let url = protected(provider.issuer(), &format!("{}/jwks", moved.url)).await;

    let token = provider.token().audience("api").subject("alice").sign();
    let reply = get_with_token(&url, &token).await;
    reply.assert_ok("token of the provider, keys behind an https redirect");
    assert_eq!(reply.text, "alice");
    assert_eq!((moved.hits(), keys.hits()), (1, 1));
}

#[tokio::test]
async fn a_redirect_through_plain_http_is_refused_and_the_keys_behind_it_are_never_fetched() {
    setup();
    let (provider, attacker) = provider_and_attacker("https://redirect-downgraded.test/");
    // https (the provider) → http (where an on-path attacker answers) → https (its keys).
    let attacker_keys = tls::https(Answer::Json(attacker.jwks())).await;
    let hop = tls::http(Answer::Redirect(format!("{}/jwks", attacker_keys.url))).await;
    let first = tls::https(Answer::Redirect(format!("{}/hop", hop.url))).await;
    let url = protected(provider.issuer(), &format!("{}/jwks", first.url)).await;

    let forged = attacker.token().audience("api").sign();
    assert_unavailable(&get_with_token(&url, &forged).await, "attacker's token");
    let genuine = provider.token().audience("api").sign();
    assert_unavailable(&get_with_token(&url, &genuine).await, "provider's token");
    assert_eq!(first.hits(), 1, "one fetch, then the backoff");
    assert_eq!(
        (hop.hits(), attacker_keys.hits()),
        (0, 0),
        "the plain-http hop is never requested"
    );
}

#[tokio::test]
async fn a_redirect_chain_longer_than_max_redirects_is_refused() {
    setup();
    let (provider, _) = provider_and_attacker("https://redirect-chain.test/");
    let keys = tls::https(Answer::Json(provider.jwks())).await;
    let mut next = format!("{}/jwks", keys.url);
    let mut hops = Vec::new();
    for _ in 0..4 {
        let hop = tls::https(Answer::Redirect(next)).await;
        next = format!("{}/jwks", hop.url);
        hops.push(hop);
    }
    let url = protected(provider.issuer(), &next).await;

    let token = provider.token().audience("api").sign();
    assert_unavailable(&get_with_token(&url, &token).await, "four redirects");
    // The first request and 3 redirects followed (the default `max_redirects`); the fourth
    // redirect, to the keys, is not.
    let hits: Vec<u64> = hops.iter().rev().map(tls::Server::hits).collect();
    assert_eq!((hits, keys.hits()), (vec![1, 1, 1, 1], 0));
}

#[tokio::test]
async fn validators_go_only_to_the_url_whose_answer_carried_them() {
    setup();
    let (provider, _) = provider_and_attacker("https://redirect-validators.test/");
    let keys = tls::https(Answer::Tagged(provider.jwks())).await;
    let moved = tls::https(Answer::Redirect(format!("{}/keys", keys.url))).await;
    let url = protected(provider.issuer(), &format!("{}/jwks", moved.url)).await;
    let token = provider.token().audience("api");
    get_with_token(&url, &token.clone().sign())
        .await
        .assert_ok("first fetch");

    // An unknown kid refreshes at once: conditionally where the held set came from only.
    let unknown = get_with_token(&url, &token.kid("rotated-in").sign()).await;
    unknown.assert_invalid_token("unknown kid after a refresh");
    assert_eq!((moved.hits(), moved.conditional_hits()), (2, 0));
    assert_eq!((keys.hits(), keys.conditional_hits()), (2, 1));
}
