//! What the framework examples share: configuration from the environment (and a `.env` file),
//! the embedded demo provider they fall back to, and the self-test every example runs with
//! `-- --self-test`. The handlers themselves live in each example, written for its framework.
#![allow(dead_code)]

use std::process::ExitCode;

use jwks_guard_test::TestIssuer;

/// The issuer the examples use when nothing is configured, served by a local [`TestIssuer`].
pub(crate) const DEMO_ISSUER: &str = "https://id.example.com/";

/// The audience the examples use when nothing is configured.
pub(crate) const DEMO_AUDIENCE: &str = "orders-api";

/// Where the example's handlers get their issuer and audience (`env("OIDC_ISSUER")`,
/// `env("OIDC_AUDIENCE")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) issuer: String,
    pub(crate) audience: String,
}

impl Config {
    /// Whether the embedded demo provider stands in for the issuer.
    pub(crate) fn is_demo(&self) -> bool {
        self.issuer == DEMO_ISSUER
    }
}

/// Reads `OIDC_ISSUER` and `OIDC_AUDIENCE` from the environment, then from `.env` when present,
/// and fills in the demo values for what is still unset. Call it first thing in `main`,
/// before any thread starts: it sets process environment variables (through `dotenvy`).
pub(crate) fn load_config() -> Config {
    match dotenvy::dotenv() {
        Ok(path) => println!("read {}", path.display()),
        Err(error) if error.not_found() => {}
        Err(error) => eprintln!("warning: .env not read: {error}"),
    }
    let defaults = format!("OIDC_ISSUER={DEMO_ISSUER}\nOIDC_AUDIENCE={DEMO_AUDIENCE}\n");
    // Sets only what neither the environment nor `.env` set.
    if let Err(error) = dotenvy::from_read(defaults.as_bytes()) {
        eprintln!("warning: demo defaults not applied: {error}");
    }
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    Config {
        issuer: var("OIDC_ISSUER"),
        audience: var("OIDC_AUDIENCE"),
    }
}

/// Starts the demo provider when the configuration is the demo one.
pub(crate) fn demo_issuer(
    config: &Config,
) -> Result<Option<TestIssuer>, Box<dyn std::error::Error>> {
    if !config.is_demo() {
        println!("provider: {} (audience {})", config.issuer, config.audience);
        return Ok(None);
    }
    let issuer = TestIssuer::start_as(DEMO_ISSUER)?;
    println!("demo provider for {DEMO_ISSUER} at {}", issuer.url());
    Ok(Some(issuer))
}

/// Prints curl commands to try against `base` with tokens of the demo provider.
pub(crate) fn print_try(issuer: &TestIssuer, base: &str) {
    let token = issuer
        .token()
        .audience(DEMO_AUDIENCE)
        .subject("alice")
        .scopes(["orders:read"])
        .sign();
    let without_scope = issuer.token().audience(DEMO_AUDIENCE).subject("bob").sign();
    println!();
    println!("Try (tokens valid for one hour):");
    println!("  curl -i {base}/health");
    println!("  curl -i {base}/orders");
    println!("  curl -i -H 'Authorization: Bearer {token}' {base}/orders");
    println!("  curl -i -H 'Authorization: Bearer {without_scope}' {base}/orders");
    println!();
}

/// Sends the requests that show what the guard does to the API at `base` (routes `/health`,
/// `/me`, `/orders` needing `orders:read`); success only if each status is the expected one.
pub(crate) async fn self_test(issuer: &TestIssuer, base: &str) -> ExitCode {
    let token = || issuer.token().audience(DEMO_AUDIENCE);
    let valid = token().subject("alice").scopes(["orders:read"]).sign();
    let no_scope = token().subject("bob").sign();
    let expired = token().scopes(["orders:read"]).expired().sign();
    let cases: [(&str, &str, Option<&str>, u16); 6] = [
        ("public route", "health", None, 200),
        ("no token", "orders", None, 401),
        ("valid token", "orders", Some(&valid), 200),
        ("any valid token", "me", Some(&no_scope), 200),
        ("token lacking the scope", "orders", Some(&no_scope), 403),
        ("expired token", "orders", Some(&expired), 401),
    ];
    let client = reqwest::Client::new();
    let mut all_as_expected = true;
    for (name, path, token, expected) in cases {
        let mut request = client.get(format!("{base}/{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let status = match request.send().await {
            Ok(response) => response.status().as_u16(),
            Err(error) => {
                println!("{name:<24} request failed: {error}");
                all_as_expected = false;
                continue;
            }
        };
        let verdict = if status == expected {
            "ok"
        } else {
            "UNEXPECTED"
        };
        println!("{name:<24} GET /{path:<7} -> {status} (expected {expected}) {verdict}");
        all_as_expected &= status == expected;
    }
    if all_as_expected {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The start of every framework example's `main`, before any thread starts: the
/// configuration (see [`load_config`]), logs, and whether `--self-test` was given. `None`, after
/// saying why, when a self-test is asked for without the demo provider.
pub(crate) fn start() -> Option<(Config, bool)> {
    let config = load_config();
    init_logs();
    let self_test = self_test_requested();
    if self_test && !config.is_demo() {
        eprintln!(
            "the self-test needs the demo provider: OIDC_ISSUER is {}, not {} (unset it, and \
             remove it from .env)",
            config.issuer, DEMO_ISSUER
        );
        return None;
    }
    Some((config, self_test))
}

/// Whether `--self-test` was given.
pub(crate) fn self_test_requested() -> bool {
    std::env::args().any(|arg| arg == "--self-test")
}

/// Installs a log subscriber (`RUST_LOG` selects events; `jwks_guard=info` by default).
pub(crate) fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "jwks_guard=info".into()),
        )
        .init();
}
