//! Helpers shared by this package's tests: serve a handler on 127.0.0.1 and call it.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;

/// Serves a router with `handler` at `/` on a free port of 127.0.0.1 on the current runtime;
/// returns that route's URL.
pub async fn serve_handler<H, T>(handler: H) -> String
where
    H: axum::handler::Handler<T, ()>,
    T: 'static,
{
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let app = Router::new().route("/", get(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// The status of GET `url` with `Authorization: Bearer <token>`.
///
/// # Panics
///
/// If the server drops the connection instead of answering, as it does when a handler (or
/// the guard in front of it) panics.
pub async fn status_of(client: &reqwest::Client, url: &str, token: &str) -> u16 {
    let response = client
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|error| panic!("no answer (did the guard panic?): {error}"));
    response.status().as_u16()
}
