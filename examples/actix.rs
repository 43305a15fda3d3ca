//! The quickstart's API on actix-web 4, in front of the provider named by `OIDC_ISSUER`.
//!
//! ```text
//! cargo run --example actix                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example actix -- --self-test  # a free port, check six requests, exit
//! ```
//!
//! The handlers read their issuer and audience from `OIDC_ISSUER` and `OIDC_AUDIENCE` (the
//! environment, then a `.env` file). With neither set, they name the demo issuer
//! `https://id.example.com/` and a `TestIssuer` (`jwks-guard-test`) stands in for it on
//! 127.0.0.1, serving its discovery document and keys and minting the tokens to try.
//!
//! `#[protected]` goes above `#[get(...)]`: it puts the guard first among the function's
//! parameters, and `#[get]` then registers the rewritten function. Every worker of the server
//! (a thread with its own single-threaded runtime) shares the one process-wide key cache.

use std::process::ExitCode;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, get, web};
use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use serde_json::{Value, json};

mod support;

/// Anyone may call this.
#[get("/health")]
async fn health() -> &'static str {
    "ok"
}

/// Any valid token for the configured audience.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
#[get("/me")]
async fn me(#[claims] claims: Claims) -> web::Json<Value> {
    web::Json(json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() }))
}

/// A valid token that also grants `orders:read`.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), scopes = ["orders:read"])]
#[get("/orders")]
async fn list_orders(#[claims] claims: Claims) -> web::Json<Value> {
    let owner = claims.sub.unwrap_or_default();
    web::Json(
        json!([{ "id": 1, "owner": owner, "item": "tea" }, { "id": 2, "owner": owner, "item": "scones" }]),
    )
}

fn routes(config: &mut web::ServiceConfig) {
    config.service(health).service(me).service(list_orders);
}

fn main() -> ExitCode {
    // Sets OIDC_ISSUER / OIDC_AUDIENCE, so it runs before any thread starts.
    let Some((config, self_test)) = support::start() else {
        return ExitCode::FAILURE;
    };
    match actix_web::rt::System::new().block_on(run(&config, self_test)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("actix example failed: {error}");
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
    let server = HttpServer::new(|| App::new().configure(routes)).bind(("127.0.0.1", port))?;
    let addr = *server.addrs().first().ok_or("the server has no address")?;
    let base = format!("http://{addr}");
    // Starts serving when awaited or spawned.
    let server = server.run();
    println!("API at {base}");

    match (&issuer, self_test) {
        (Some(issuer), true) => return Ok(self_test_against(issuer, server, &base).await),
        (Some(issuer), false) => support::print_try(issuer, &base),
        (None, _) => println!("Try: curl -i -H \"Authorization: Bearer $ACCESS_TOKEN\" {base}/me"),
    }
    println!("Serving until Ctrl-C.");
    server.await?;
    Ok(ExitCode::SUCCESS)
}

/// Serves the API in the background and sends the self-test's requests to it.
async fn self_test_against(issuer: &TestIssuer, server: Server, base: &str) -> ExitCode {
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let code = support::self_test(issuer, base).await;
    handle.stop(false).await;
    code
}
