//! The attack catalog: the public JWT bypasses of the last decade, one test each, named after
//! the sentence it proves, with the attack's reference (a CVE where one exists, otherwise the
//! RFC section) in a comment.
//!
//! Every attack gets a 4xx with the RFC 6750 challenge, never a 500, a panic or a hang (every
//! request is bounded). Where a token can be refused before any key is needed, the test uses
//! an issuer of its own and checks that nothing was fetched: the key cache is process-wide per
//! issuer, so a shared issuer's counters would count other tests' fetches. Each area also sends
//! one valid token, so a test whose handler never answers 200 cannot pass by accident.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

#[path = "../common/mod.rs"]
mod common;

/// Starts an issuer impersonating `$issuer` and serves a handler protected by it (audience
/// `"api"`); evaluates to `(TestIssuer, url)`. For tests that count the issuer's requests.
macro_rules! dedicated {
    ($issuer:literal) => {{
        #[jwks_guard::protected(issuer = $issuer, audience = "api")]
        async fn dedicated_handler() -> &'static str {
            "ok"
        }
        let issuer = jwks_guard_test::TestIssuer::start_as($issuer).expect("test issuer");
        let url = crate::common::serve_handler(dedicated_handler).await;
        (issuer, url)
    }};
}

mod algorithms;
mod encoding;
mod header;
mod header_forms;
mod json;
mod key_sets;
mod key_sources;
mod keys;
mod kid;
mod signatures;

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer, TokenBuilder};
use serde_json::Value;

use common::Reply;

/// The issuer most attacks aim at.
const ISS: &str = "https://attacks.test/";

/// It holds a P-521 key beside the default ones, so that ES512 is attacked like the others.
static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| {
    TestIssuer::builder()
        .impersonate(ISS)
        .p521_key(true)
        .start()
        .expect("test issuer")
});

#[protected(issuer = "https://attacks.test/", audience = "api")]
async fn handler() -> &'static str {
    "ok"
}

/// Serves [`handler`]; returns its URL.
async fn app() -> String {
    LazyLock::force(&ISSUER);
    common::serve_handler(handler).await
}

/// A valid token of [`ISSUER`] for [`handler`].
fn token() -> TokenBuilder {
    ISSUER.token().audience("api")
}

/// How long any one answer may take.
const PATIENCE: Duration = Duration::from_secs(10);

/// `future`, or a panic after [`PATIENCE`]: no attack may hang a request.
async fn bounded<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("{what}: no answer within {PATIENCE:?}"),
    }
}

/// GET `url` with `Authorization: Bearer <token>`, bounded.
async fn call(url: &str, token: &str) -> Reply {
    bounded("request", common::get_with_token(url, token)).await
}

/// GET `url` with these headers, bounded.
async fn call_with(url: &str, headers: &[(&str, &str)]) -> Reply {
    bounded("request", common::get(url, headers)).await
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since.as_secs()).expect("seconds fit i64")
}

/// The text of a valid claims set for `iss` and audience `"api"`.
fn claims_text(iss: &str) -> String {
    let now = now();
    format!(
        r#"{{"iss":"{iss}","sub":"user-1","aud":"api","iat":{now},"exp":{}}}"#,
        now + 3600
    )
}

/// The text of a header naming `alg` and `kid`.
fn header_text(alg: &str, kid: &str) -> String {
    format!(r#"{{"alg":"{alg}","typ":"JWT","kid":"{kid}"}}"#)
}

/// `header.payload.signature` from the texts given, signed by `issuer`'s current key for `alg`.
fn signed(issuer: &TestIssuer, alg: Alg, header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    let signature = issuer.sign_input(alg, &input).expect("signature");
    format!("{input}.{signature}")
}

/// The issuer's published JWK with this `kid`.
fn published_jwk(issuer: &TestIssuer, kid: &str) -> Value {
    let jwks: Value = serde_json::from_str(&issuer.jwks()).expect("JWKS");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|key| key["kid"] == kid)
        .cloned()
        .expect("the key is published")
}

/// The three dot-separated parts of a compact JWS.
fn parts(token: &str) -> [&str; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    parts.try_into().expect("three parts")
}
