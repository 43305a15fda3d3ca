//! The quickstart's API without the attribute: policies built with `Policy::builder()`, the
//! `Authenticated` extractor taking one from the router's state, and `RequireTokenLayer`
//! protecting a group of routes with another.
//!
//! ```text
//! cargo run --example builder                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example builder -- --self-test  # free ports, check six requests, exit
//! ```
//!
//! The issuer and audience come from `OIDC_ISSUER` / `OIDC_AUDIENCE` (or `.env`); without them
//! a local demo provider stands in for `https://id.example.com/`.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::routing::get;
use axum::{Extension, Json, Router};
use jwks_guard::layer::RequireTokenLayer;
use jwks_guard::{Authenticated, Claims, Policy, PolicyError};
use serde_json::{Value, json};

mod support;

/// Anyone may call this.
async fn health() -> &'static str {
    "ok"
}

/// Any valid token for the audience: the policy comes from the router's state.
async fn me(Authenticated(claims): Authenticated<Claims>) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

/// Behind the layer, which requires `orders:read` and leaves the claims in the extensions.
async fn list_orders(Extension(claims): Extension<Claims>) -> Json<Value> {
    let owner = claims.sub.unwrap_or_default();
    Json(
        json!([{ "id": 1, "owner": owner, "item": "tea" }, { "id": 2, "owner": owner, "item": "scones" }]),
    )
}

/// What `#[protected(issuer = …, audience = …, scopes = [..])]` would say, built at run time.
fn policy(config: &support::Config, scopes: &[&str]) -> Result<Policy, PolicyError> {
    Policy::builder()
        .issuer(&config.issuer)
        .audience(&config.audience)
        .scopes(scopes.iter().copied())
        .build()
}

fn app(config: &support::Config) -> Result<Router, PolicyError> {
    let orders = Router::new()
        .route("/orders", get(list_orders))
        .route_layer(RequireTokenLayer::new(policy(config, &["orders:read"])?));
    Ok(Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .with_state(policy(config, &[])?)
        .merge(orders))
}

fn main() -> ExitCode {
    // Sets OIDC_ISSUER / OIDC_AUDIENCE, so it runs before any thread starts.
    let Some((config, self_test)) = support::start() else {
        return ExitCode::FAILURE;
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| runtime.block_on(run(config, self_test)));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("builder example failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    config: support::Config,
    self_test: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let issuer = support::demo_issuer(&config)?;
    // A configuration mistake is a typed error here, at start-up, not a 500 at the first request.
    let app = app(&config)?;
    let port = if self_test { 0 } else { 3000 };
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("API at {base}");

    if let (true, Some(issuer)) = (self_test, &issuer) {
        tokio::spawn(async move { axum::serve(listener, app).await });
        return Ok(support::self_test(issuer, &base).await);
    }
    if let Some(issuer) = &issuer {
        support::print_try(issuer, &base);
    }
    println!("Serving until Ctrl-C.");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(ExitCode::SUCCESS)
}
