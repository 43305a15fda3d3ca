//! A protected axum API in front of a local demo identity provider.
//!
//! ```text
//! cargo run --example quickstart                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example quickstart -- --self-test  # free ports, check four requests, exit
//! ```
//!
//! The handlers below are what you would write for a real provider: they name the issuer
//! `https://id.example.com/`. A `TestIssuer` (feature `test-util`) stands in for that issuer on
//! 127.0.0.1, serving its discovery document and keys, and mints the tokens to try.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use jwks_guard::test_util::TestIssuer;
use jwks_guard::{Claims, protected};
use serde_json::{Value, json};

/// Anyone may call this.
async fn health() -> &'static str {
    "ok"
}

/// Any valid token for the `orders-api` audience.
#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn me(#[claims] claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

/// A valid token that also grants `orders:read`.
#[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
async fn list_orders(#[claims] claims: Claims) -> Json<Value> {
    let owner = claims.sub.unwrap_or_default();
    Json(
        json!([{ "id": 1, "owner": owner, "item": "tea" }, { "id": 2, "owner": owner, "item": "scones" }]),
    )
}

fn app() -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/orders", get(list_orders))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "jwks_guard=info".into()),
        )
        .init();
    let self_test = std::env::args().any(|arg| arg == "--self-test");
    match run(self_test).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("quickstart failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(self_test: bool) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let issuer = TestIssuer::start_as("https://id.example.com/")?;
    let port = if self_test { 0 } else { 3000 };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        "demo provider for https://id.example.com/ at {}",
        issuer.url()
    );
    println!("API at {base}");

    if self_test {
        tokio::spawn(async move { axum::serve(listener, app()).await });
        return Ok(check(&issuer, &base).await);
    }

    let token = issuer
        .token()
        .audience("orders-api")
        .subject("alice")
        .scopes(["orders:read"])
        .sign();
    let without_scope = issuer.token().audience("orders-api").subject("bob").sign();
    println!();
    println!("Try (tokens valid for one hour):");
    println!("  curl -i {base}/health");
    println!("  curl -i {base}/orders");
    println!("  curl -i -H 'Authorization: Bearer {token}' {base}/orders");
    println!("  curl -i -H 'Authorization: Bearer {without_scope}' {base}/orders");
    println!();
    println!("Serving until Ctrl-C.");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// Sends the four requests that show what the guard does; success only if each status is the
/// expected one.
async fn check(issuer: &TestIssuer, base: &str) -> ExitCode {
    let valid = issuer
        .token()
        .audience("orders-api")
        .subject("alice")
        .scopes(["orders:read"])
        .sign();
    let no_scope = issuer.token().audience("orders-api").subject("bob").sign();
    let expired = issuer
        .token()
        .audience("orders-api")
        .scopes(["orders:read"])
        .expired()
        .sign();
    let cases: [(&str, Option<&str>, u16); 5] = [
        ("public route", None, 200),
        ("no token", None, 401),
        ("valid token", Some(&valid), 200),
        ("token lacking the scope", Some(&no_scope), 403),
        ("expired token", Some(&expired), 401),
    ];
    let client = reqwest::Client::new();
    let mut all_as_expected = true;
    for (name, token, expected) in cases {
        let path = if name == "public route" {
            "health"
        } else {
            "orders"
        };
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
