//! A client given in `Settings::http_client` that follows redirects by itself (reqwest's
//! default policy) hides the hops from jwks-guard, so a fetch it redirects fails with an error
//! naming the fix, and keys reached through an unchecked hop are never used; without a
//! redirect, it fetches as any client. `https` servers on 127.0.0.1 with a certificate made at
//! start. Its own binary, since settings are process-wide.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/tls.rs"]
mod tls;

use jwks_guard::{PrefetchError, prefetch};
use jwks_guard_test::TestIssuer;

use common::get_with_token;
use tls::{Answer, protected};

fn setup() {
    tls::setup(reqwest::redirect::Policy::default);
}

fn issuer(name: &str) -> TestIssuer {
    TestIssuer::builder()
        .issuer_name(name)
        .start()
        .expect("issuer")
}

#[tokio::test]
async fn keys_reached_through_a_plain_http_hop_the_client_followed_are_never_used() {
    setup();
    const NAME: &str = "https://client-followed.test/";
    let (provider, attacker) = (issuer(NAME), issuer(NAME));
    // https (the provider) → http (where an on-path attacker answers) → https (its keys).
    let attacker_keys = tls::https(Answer::Json(attacker.jwks())).await;
    let hop = tls::http(Answer::Redirect(format!("{}/jwks", attacker_keys.url))).await;
    let first = tls::https(Answer::Redirect(format!("{}/hop", hop.url))).await;
    let url = protected(NAME, &format!("{}/jwks", first.url)).await;

    let forged = attacker.token().audience("api").subject("mallory").sign();
    let reply = get_with_token(&url, &forged).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (503, "temporarily_unavailable"),
        "the attacker's token: {reply:?}"
    );
    let genuine = provider.token().audience("api").sign();
    assert_eq!(get_with_token(&url, &genuine).await.status, 503);
    assert_eq!(first.hits(), 1, "one fetch, then the backoff");
}

#[tokio::test]
async fn a_fetch_the_client_redirected_fails_with_an_error_naming_the_fix() {
    setup();
    const NAME: &str = "https://client-followed-https.test/";
    let provider = issuer(NAME);
    // Even an https → https redirect: its hops were not seen, so it is not trusted.
    let keys = tls::https(Answer::Json(provider.jwks())).await;
    let moved = tls::https(Answer::Redirect(format!("{}/keys", keys.url))).await;
    let error = prefetch(NAME, Some(&format!("{}/jwks", moved.url))).await;
    assert!(
        matches!(&error, Err(PrefetchError::Unavailable(message))
            if message.contains("Settings::http_client")
                && message.contains("reqwest::redirect::Policy::none()")),
        "{error:?}"
    );
}

#[tokio::test]
async fn without_a_redirect_a_client_with_its_own_policy_fetches_keys() {
    setup();
    const NAME: &str = "https://client-direct.test/";
    let provider = issuer(NAME);
    let keys = tls::https(Answer::Json(provider.jwks())).await;
    let url = protected(NAME, &format!("{}/jwks", keys.url)).await;
    let token = provider.token().audience("api").subject("alice").sign();
    let reply = get_with_token(&url, &token).await;
    reply.assert_ok("no redirect");
    assert_eq!(reply.text, "alice");
}
