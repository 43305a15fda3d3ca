//! A key set that should never have been published (private members, symmetric keys, keys
//! sharing a `kid`) is warned about once per fetched set, naming the issuer and the `kid`, and
//! never per request.
//!
//! Its own test binary: it installs a process-wide `tracing` subscriber, since key sets are
//! fetched on the library's own runtime thread.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::protected;
use jwks_guard_test::{Alg, Answer, TestIssuer};
use serde_json::{Value, json};
use tracing_subscriber::field::Visit;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::{Layer, Registry};

use common::{get_with_token, serve_handler};

/// One warning: its `issuer` and `kid` fields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Warning {
    issuer: String,
    kid: String,
}

#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<Warning>>>);

impl Warnings {
    fn for_issuer(&self, issuer: &str) -> Vec<String> {
        let all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mut kids: Vec<String> = all
            .iter()
            .filter(|w| w.issuer == issuer)
            .map(|w| w.kid.clone())
            .collect();
        kids.sort();
        kids
    }
}

impl<S: tracing::Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if *event.metadata().level() != tracing::Level::WARN {
            return;
        }
        struct Fields<'a>(&'a mut Warning);
        impl Visit for Fields<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "issuer" => self.0.issuer = value.to_owned(),
                    "kid" => self.0.kid = value.to_owned(),
                    _ => {}
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut warning = Warning::default();
        event.record(&mut Fields(&mut warning));
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(warning);
    }
}

#[tokio::test]
async fn keys_that_should_not_be_published_are_warned_about_once_per_set() {
    let warnings = Warnings::default();
    tracing::subscriber::set_global_default(Registry::default().with(warnings.clone()))
        .expect("the only subscriber of this binary");

    let issuer = TestIssuer::start_as("https://warned-keys.test/").expect("issuer");
    let ed_kid = issuer.kid(Alg::EdDSA);
    let rsa_kid = issuer.kid(Alg::RS256);
    let mut jwks: Value = serde_json::from_str(&issuer.jwks()).expect("JWKS");
    let keys = jwks["keys"].as_array_mut().expect("keys");
    let mut twin = keys
        .iter()
        .find(|key| key["kid"] == rsa_kid.as_str())
        .expect("the RSA key")
        .clone();
    twin["n"] = json!(URL_SAFE_NO_PAD.encode([0xC5u8; 256]));
    keys.push(twin);
    keys.push(json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}));
    for key in keys.iter_mut() {
        if key["kid"] == ed_kid.as_str() {
            key["d"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        }
    }
    issuer.set_jwks_answer(Answer::Body(jwks.to_string()));

    #[protected(issuer = "https://warned-keys.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;
    for _ in 0..5 {
        let token = issuer.token().audience("api").alg(Alg::ES256).sign();
        assert_eq!(get_with_token(&url, &token).await.status, 200);
    }
    assert_eq!(issuer.jwks_requests(), 1);
    let mut expected = vec![ed_kid, "hmac".to_owned(), rsa_kid];
    expected.sort();
    assert_eq!(warnings.for_issuer("https://warned-keys.test/"), expected);
}
