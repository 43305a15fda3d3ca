//! The quickstart's API on Poem 3, in front of the provider named by `OIDC_ISSUER`.
//!
//! ```text
//! cargo run --example poem                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example poem -- --self-test  # a free port, check six requests, exit
//! ```
//!
//! The handlers read their issuer and audience from `OIDC_ISSUER` and `OIDC_AUDIENCE` (the
//! environment, then a `.env` file). With neither set, they name the demo issuer
//! `https://id.example.com/` and a `TestIssuer` (`jwks-guard-test`) stands in for it on
//! 127.0.0.1, serving its discovery document and keys and minting the tokens to try.
//!
//! `#[protected]` goes above `#[handler]`: it rewrites the function's parameters, and
//! `#[handler]` then builds the endpoint from the rewritten function.

use std::process::ExitCode;

use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use poem::listener::{Acceptor as _, Listener as _, TcpAcceptor, TcpListener};
use poem::web::Json;
use poem::{Route, Server, get, handler};
use serde_json::{Value, json};

mod support;

/// Anyone may call this.
#[handler]
async fn health() -> &'static str {
    "ok"
}

/// Any valid token for the configured audience.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
#[handler]
async fn me(#[claims] claims: Claims) -> Json<Value> {
    Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

/// A valid token that also grants `orders:read`.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), scopes = ["orders:read"])]
#[handler]
async fn list_orders(#[claims] claims: Claims) -> Json<Value> {
    let owner = claims.sub.unwrap_or_default();
    Json(
        json!([{ "id": 1, "owner": owner, "item": "tea" }, { "id": 2, "owner": owner, "item": "scones" }]),
    )
}

fn app() -> Route {
    Route::new()
        .at("/health", get(health))
        .at("/me", get(me))
        .at("/orders", get(list_orders))
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
        .and_then(|runtime| runtime.block_on(run(&config, self_test)));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("poem example failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    config: &support::Config,
    self_test: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let issuer = support::demo_issuer(config)?;
    let port = if self_test { 0 } else { 3000 };
    let acceptor = TcpListener::bind(("127.0.0.1", port))
        .into_acceptor()
        .await?;
    let base = base_url(&acceptor).ok_or("the listener has no TCP address")?;
    println!("API at {base}");

    match (&issuer, self_test) {
        (Some(issuer), true) => return Ok(self_test_against(issuer, acceptor, &base).await),
        (Some(issuer), false) => support::print_try(issuer, &base),
        (None, _) => println!("Try: curl -i -H \"Authorization: Bearer $ACCESS_TOKEN\" {base}/me"),
    }
    println!("Serving until Ctrl-C.");
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            app(),
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            None,
        )
        .await?;
    Ok(ExitCode::SUCCESS)
}

/// Serves the API in the background and sends the self-test's requests to it.
async fn self_test_against(issuer: &TestIssuer, acceptor: TcpAcceptor, base: &str) -> ExitCode {
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app()));
    support::self_test(issuer, base).await
}

/// `http://ADDR` of the acceptor's TCP address.
fn base_url(acceptor: &TcpAcceptor) -> Option<String> {
    let addrs = acceptor.local_addr();
    let addr = addrs.first()?.as_socket_addr()?;
    Some(format!("http://{addr}"))
}
