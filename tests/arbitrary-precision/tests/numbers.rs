//! With serde_json's `arbitrary_precision` on, numbers reach the guard's checks and the
//! handler's claims as numbers: fractional NumericDates are judged by their value, float claim
//! values match `claims(...)` rules, integers beyond 64 bits keep every digit, and claims types
//! with `f64` fields read floats. Every request goes through a real axum server on 127.0.0.1.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use jwks_guard::{Authenticated, Claims, Policy, protected};
use jwks_guard_test::TestIssuer;
use serde::Deserialize;
use serde_json::{Value, json};

const ISSUER_NAME: &str = "https://arbitrary-precision.test/";

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER_NAME).expect("test issuer"));

/// The status and body of a response, and the `error_description` of a refusal's JSON body.
#[derive(Debug)]
struct Reply {
    status: u16,
    text: String,
}

impl Reply {
    fn description(&self) -> String {
        let body: Value = serde_json::from_str(&self.text).unwrap_or(Value::Null);
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Serves `app` on a free port of 127.0.0.1 on the current runtime; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// GET `url` with `Authorization: Bearer <token>`.
async fn call(url: &str, token: &str) -> Reply {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|error| panic!("no answer (did the guard panic?): {error}"));
    let status = response.status().as_u16();
    let text = response.text().await.expect("a response body");
    Reply { status, text }
}

/// The current Unix time, in whole seconds.
fn now() -> i64 {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    i64::try_from(seconds).expect("a clock before the year 292 billion")
}

/// A JSON number spelled exactly as `text` (with `arbitrary_precision`, kept as written).
fn number(text: &str) -> Value {
    Value::Number(text.parse().expect("a JSON number"))
}

/// A token for audience `api`, with `claims` set on top of the test kit's defaults.
fn token(claims: &[(&str, Value)]) -> String {
    let mut builder = ISSUER.token().audience("api");
    for (name, value) in claims {
        builder = builder.claim(*name, value.clone());
    }
    builder.sign()
}

#[protected(issuer = "https://arbitrary-precision.test/", audience = "api")]
async fn dates(#[claims] claims: Claims) -> String {
    format!("{} {:?} {:?}", claims.exp, claims.nbf, claims.iat)
}

#[protected(
    issuer = "https://arbitrary-precision.test/",
    audience = "api",
    claims(level = 3, ranks = [1, 2])
)]
async fn leveled() -> &'static str {
    "ok"
}

/// A claims type of the handler's own, with floats and an integer beyond 64 bits.
#[derive(Debug, Deserialize)]
struct Reading {
    exp: f64,
    score: f64,
    ratio: f64,
    serial: u128,
}

#[protected(issuer = "https://arbitrary-precision.test/", audience = "api")]
async fn reading(#[claims] reading: Reading) -> String {
    format!(
        "{} {} {} {}",
        reading.exp, reading.score, reading.ratio, reading.serial
    )
}

#[protected(
    issuer = "https://arbitrary-precision.test/",
    audience = "api",
    claims(serial)
)]
async fn serial(#[claims] claims: Claims) -> String {
    let as_sent = claims.as_map().get("serial").cloned().unwrap_or_default();
    let read = claims.get::<serde_json::Number>("serial");
    format!(
        "{as_sent} {}",
        read.map(|n| n.to_string()).unwrap_or_default()
    )
}

#[protected(
    issuer = "https://arbitrary-precision.test/",
    audience = "api",
    claims(serial = 9_223_372_036_854_775_807)
)]
async fn serial_at_most_i64() -> &'static str {
    "ok"
}

async fn authenticated_reading(Authenticated(reading): Authenticated<Reading>) -> String {
    format!("{} {}", reading.score, reading.ratio)
}

/// `dates`, `leveled`, `reading`, `serial` and `serial_at_most_i64` behind `#[protected]`; the
/// same reading behind `Authenticated` with a built policy requiring `level` = 3.
async fn app() -> String {
    LazyLock::force(&ISSUER);
    let policy = Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("api")
        .claim_equals("level", 3)
        .build()
        .expect("a valid policy");
    serve(
        Router::new()
            .route("/dates", get(dates))
            .route("/leveled", get(leveled))
            .route("/reading", get(reading))
            .route("/serial", get(serial))
            .route("/serial-at-most-i64", get(serial_at_most_i64))
            .route("/authenticated", get(authenticated_reading))
            .with_state(policy),
    )
    .await
}

#[tokio::test]
async fn fractional_exp_nbf_and_iat_are_accepted_while_valid_and_read_rounded_down() {
    let url = app().await;
    let now = now();
    let exp = now + 3600;
    // `iat` as a whole number written with a fraction and an exponent: 1234.567e3 = 1234567.
    let iat_text = format!("{}.{:03}e3", (now - 30) / 1000, (now - 30) % 1000);
    let token = token(&[
        ("exp", number(&format!("{exp}.25"))),
        ("nbf", number(&format!("{}.5", now - 30))),
        ("iat", number(&iat_text)),
    ]);
    let reply = call(&format!("{url}dates"), &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.text,
        format!("{exp} Some({}) Some({})", now - 30, now - 30)
    );
}

#[tokio::test]
async fn a_fractional_exp_in_the_past_is_refused_as_expired() {
    let url = app().await;
    let token = token(&[("exp", number(&format!("{}.5", now() - 3600)))]);
    let reply = call(&format!("{url}dates"), &token).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.description(), "token expired");
}

#[tokio::test]
async fn a_fractional_nbf_in_the_future_is_refused_as_not_yet_valid() {
    let url = app().await;
    let token = token(&[("nbf", number(&format!("{}.5", now() + 1800)))]);
    let reply = call(&format!("{url}dates"), &token).await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert_eq!(reply.description(), "token not yet valid");
}

#[tokio::test]
async fn float_claim_values_equal_to_the_required_integers_pass_the_attributes_rules() {
    let url = format!("{}leveled", app().await);
    let passing = token(&[
        ("level", number("3.0")),
        ("ranks", json!([number("2e0"), number("1.00"), 7.5])),
    ]);
    let reply = call(&url, &passing).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let fractional_level = token(&[("level", json!(3.5)), ("ranks", json!([1, 2]))]);
    assert_eq!(call(&url, &fractional_level).await.status, 403);
    let a_rank_missing = token(&[("level", json!(3)), ("ranks", json!([1.0, 2.5]))]);
    assert_eq!(call(&url, &a_rank_missing).await.status, 403);
}

#[tokio::test]
async fn a_built_policy_matches_float_claim_values_for_authenticated() {
    let url = format!("{}authenticated", app().await);
    let reading = [
        ("score", json!(0.75)),
        ("ratio", number("2.50")),
        ("serial", json!(1)),
        ("exp", json!(now() + 600)),
    ];
    let mut claims = reading.to_vec();
    claims.push(("level", number("3.0")));
    let reply = call(&url, &token(&claims)).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "0.75 2.5"));

    let mut claims = reading.to_vec();
    claims.push(("level", number("3.25")));
    assert_eq!(call(&url, &token(&claims)).await.status, 403);
}

#[tokio::test]
async fn a_claims_type_with_f64_and_u128_fields_reads_floats_and_integers_beyond_64_bits() {
    let url = format!("{}reading", app().await);
    let exp = now() + 600;
    let token = token(&[
        ("exp", number(&format!("{exp}.5"))),
        ("score", json!(0.75)),
        ("ratio", number("2.50")),
        ("serial", number("123456789012345678901234567890")),
    ]);
    let reply = call(&url, &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.text,
        format!("{exp}.5 0.75 2.5 123456789012345678901234567890")
    );
}

#[tokio::test]
async fn an_integer_beyond_64_bits_is_a_number_with_every_digit_and_never_equals_an_i64_rule() {
    let url = app().await;
    let big = "-123456789012345678901234567890";
    let token = token(&[("serial", number(big))]);
    let reply = call(&format!("{url}serial"), &token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.text, format!("{big} {big}"));

    let above_i64 = self::token(&[("serial", number("9223372036854775808"))]);
    let url = format!("{url}serial-at-most-i64");
    assert_eq!(call(&url, &above_i64).await.status, 403);
    let far_above = self::token(&[("serial", number("92233720368547758070"))]);
    assert_eq!(call(&url, &far_above).await.status, 403);
    let equal = self::token(&[("serial", number("9223372036854775807"))]);
    assert_eq!(call(&url, &equal).await.status, 200);
}
