//! A protected axum API in front of a local demo identity provider.
//!
//! ```text
//! cargo run --example quickstart                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example quickstart -- --self-test  # free ports, check six requests, exit
//! ```
//!
//! The handlers below are what you would write for a real provider: they name the issuer
//! `https://id.example.com/`. A `TestIssuer` (`jwks-guard-test`) stands in for that issuer on
//! 127.0.0.1, serving its discovery document and keys, and mints the tokens to try.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Json, Router};
use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use serde_json::{Value, json};

mod support;

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
    support::init_logs();
    match run(support::self_test_requested()).await {
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
        return Ok(support::self_test(&issuer, &base).await);
    }

    support::print_try(&issuer, &base);
    println!("Serving until Ctrl-C.");
    axum::serve(listener, app())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
