//! The quickstart's API on Rocket 0.5, configured from the environment: `OIDC_ISSUER` and
//! `OIDC_AUDIENCE` (or a `.env` file), with a local demo provider when they are unset.
//!
//! ```text
//! cargo run --example rocket                 # serve on 127.0.0.1:3000, print a curl to try
//! cargo run --example rocket -- --self-test  # free ports, check six requests, exit
//! ```
//!
//! `#[protected]` goes above Rocket's route attribute, and the `Guard` fairing is attached so
//! that a refused request gets its `WWW-Authenticate` header and JSON body, not only its status.

use std::process::ExitCode;

use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use rocket::fairing::AdHoc;
use rocket::response::content::RawJson;
use rocket::tokio::sync::oneshot;
use rocket::{get, routes};
use serde_json::json;

mod support;

/// Anyone may call this.
#[get("/health")]
fn health() -> &'static str {
    "ok"
}

/// Any valid token for the configured audience.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
#[get("/me")]
async fn me(#[claims] claims: Claims) -> RawJson<String> {
    RawJson(
        json!({ "sub": claims.sub, "scopes": claims.scopes.iter().collect::<Vec<_>>() })
            .to_string(),
    )
}

/// A valid token that also grants `orders:read`.
#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), scopes = ["orders:read"])]
#[get("/orders")]
async fn list_orders(#[claims] claims: Claims) -> RawJson<String> {
    let owner = claims.sub.unwrap_or_default();
    RawJson(
        json!([{ "id": 1, "owner": owner, "item": "tea" }, { "id": 2, "owner": owner, "item": "scones" }])
            .to_string(),
    )
}

fn main() -> ExitCode {
    // Sets OIDC_ISSUER / OIDC_AUDIENCE, so it runs before any thread starts.
    let Some((config, self_test)) = support::start() else {
        return ExitCode::FAILURE;
    };
    let outcome =
        support::demo_issuer(&config).and_then(|issuer| rocket::execute(run(issuer, self_test)));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("the rocket example failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    issuer: Option<TestIssuer>,
    self_test: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let port: u16 = if self_test { 0 } else { 3000 };
    let (listening, bound_port) = oneshot::channel();
    let rocket = rocket::custom(
        rocket::Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", port)),
    )
    .attach(jwks_guard::integrations::rocket::Guard)
    .attach(AdHoc::on_liftoff("bound port", |rocket| {
        let _ = listening.send(rocket.config().port);
        Box::pin(async {})
    }))
    .mount("/", routes![health, me, list_orders])
    .ignite()
    .await?;
    let shutdown = rocket.shutdown();
    let server = rocket::tokio::spawn(rocket.launch());
    let Ok(port) = bound_port.await else {
        // The server stopped before it listened: its error says why.
        server.await??;
        return Err("the server stopped before it listened".into());
    };
    let base = format!("http://127.0.0.1:{port}");
    println!("API at {base}");

    match (&issuer, self_test) {
        (Some(issuer), true) => {
            let code = support::self_test(issuer, &base).await;
            shutdown.notify();
            server.await??;
            return Ok(code);
        }
        (Some(issuer), false) => support::print_try(issuer, &base),
        (None, _) => {}
    }
    println!("Serving until Ctrl-C.");
    server.await??;
    Ok(ExitCode::SUCCESS)
}
