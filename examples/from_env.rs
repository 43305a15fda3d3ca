//! The quickstart's API, configured for a real provider from the environment.
//!
//! ```text
//! OIDC_ISSUER=https://your-tenant.eu.auth0.com/ OIDC_AUDIENCE=orders-api \
//!     cargo run --example from_env
//! curl -i -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3000/orders
//! ```
//!
//! `OIDC_ISSUER` must be exactly the `iss` your provider puts in its tokens (trailing slash
//! included or not, as the provider writes it). The variables are read at the first request;
//! if one is missing, protected routes answer 500 and the log says which.

use std::net::SocketAddr;

use axum::routing::get;
use axum::{Json, Router};
use jwks_guard::{Claims, protected};
use serde_json::{Value, json};

async fn health() -> &'static str {
    "ok"
}

#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
async fn me(#[claims] claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), scopes = ["orders:read"])]
async fn list_orders(#[claims] claims: Claims) -> Json<Value> {
    Json(json!([{ "id": 1, "owner": claims.sub }]))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "jwks_guard=debug,info".into()),
        )
        .init();
    for var in ["OIDC_ISSUER", "OIDC_AUDIENCE"] {
        if std::env::var(var).map_or(true, |v| v.trim().is_empty()) {
            eprintln!("warning: {var} is not set; protected routes will answer 500");
        }
    }
    let app = Router::new()
        .route("/health", get(health))
        .route("/me", get(me))
        .route("/orders", get(list_orders));
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 3000))).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
