//! Text a provider or a token chooses reaches the library's logs escaped, one line per event: a
//! discovered `jwks_uri` with CR, LF and tab is fetched, stored and logged as parsed; a custom
//! claims type's deserialisation error quoting the token is escaped.
//!
//! Its own test binary: it installs a process-wide `tracing` subscriber (at DEBUG for the
//! library) that writes formatted events into a buffer, since key sets are fetched on the
//! library's own runtime thread.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use jwks_guard::protected;
use jwks_guard_test::{Answer, TestIssuer};
use serde::Deserialize;
use serde_json::json;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt as _;

use common::{get_with_token, serve_handler};

/// Everything the library logged in this binary, as formatted lines.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The log of this binary, installed at the first use.
static LOG: LazyLock<Captured> = LazyLock::new(|| {
    let captured = Captured::default();
    let format = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .without_time()
        .with_writer(captured.clone());
    let subscriber = tracing_subscriber::registry()
        .with(format)
        .with(Targets::new().with_target("jwks_guard", tracing::Level::DEBUG));
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber of this binary");
    captured
});

/// Asserts that every event is one line starting with its level, without a tab or a CR
/// anywhere; returns the log.
#[track_caller]
fn one_line_per_event() -> String {
    let log = LOG.text();
    assert!(!log.contains('\r') && !log.contains('\t'), "{log:?}");
    for line in log.lines() {
        let level = line.trim_start().split(' ').next().unwrap_or_default();
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level),
            "a line that is no event: {line:?} in {log}"
        );
    }
    log
}

#[tokio::test]
async fn a_jwks_uri_with_cr_lf_and_tab_is_fetched_and_logged_as_parsed() {
    LazyLock::force(&LOG);
    let issuer = TestIssuer::start_as("https://log-jwks-uri.test/").expect("issuer");
    // Url::parse drops CR, LF and tab: the parsed URL is the issuer's own JWKS URL.
    let raw = issuer.jwks_url().replace("/jwks", "/jw\r\n\tks\r\n");
    issuer.set_discovery_answer(Answer::Body(
        json!({"issuer": issuer.issuer(), "jwks_uri": raw}).to_string(),
    ));
    #[protected(issuer = "https://log-jwks-uri.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;

    let token = issuer.token().audience("api").sign();
    assert_eq!(get_with_token(&url, &token).await.status, 200);
    assert_eq!(issuer.jwks_requests(), 1);
    let log = one_line_per_event();
    assert!(
        log.contains(&format!("jwks_uri={}", issuer.jwks_url())),
        "the parsed URL is logged: {log}"
    );
}

#[tokio::test]
async fn a_jwks_uri_that_parses_elsewhere_is_refused_and_logged_on_one_line() {
    LazyLock::force(&LOG);
    let issuer = TestIssuer::start_as("https://log-jwks-uri-404.test/").expect("issuer");
    // Parsed, this is a path the issuer does not serve: the fetch fails, and is logged.
    let raw = issuer
        .jwks_url()
        .replace("/jwks", "/x\r\nERROR forged line\n");
    issuer.set_discovery_answer(Answer::Body(
        json!({"issuer": issuer.issuer(), "jwks_uri": raw}).to_string(),
    ));
    #[protected(issuer = "https://log-jwks-uri-404.test/", audience = "api")]
    async fn handler() {}
    let url = serve_handler(handler).await;

    let token = issuer.token().audience("api").sign();
    assert_eq!(get_with_token(&url, &token).await.status, 503);
    let log = one_line_per_event();
    assert!(
        log.contains("signing key refresh failed") && log.contains("/xERROR%20forged%20line"),
        "the failure names the parsed URL: {log}"
    );
}

#[tokio::test]
async fn a_claims_error_quoting_the_token_is_logged_escaped() {
    LazyLock::force(&LOG);
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Role {
        Admin,
        User,
    }
    #[derive(Debug, Deserialize)]
    struct Custom {
        #[allow(dead_code)] // read by serde only
        role: Role,
    }
    let issuer = TestIssuer::start_as("https://log-claims.test/").expect("issuer");
    #[protected(issuer = "https://log-claims.test/", audience = "api")]
    async fn handler(#[claims] claims: Custom) -> String {
        format!("{claims:?}")
    }
    let url = serve_handler(handler).await;

    let token = issuer
        .token()
        .audience("api")
        .claim("role", "admin\r\nERROR forged\tline")
        .sign();
    let reply = get_with_token(&url, &token).await;
    reply.assert_invalid_token("a role no variant names");
    let log = one_line_per_event();
    assert!(
        log.contains(r"unknown variant `admin\r\nERROR forged\tline`, expected `admin` or `user`"),
        "the error keeps its meaning, escaped: {log}"
    );
}
