//! `RequireTokenLayer`: one policy over a whole axum `Router`, the claims in the request's
//! extensions, end to end over real HTTP.

use crate::{common, conformance};

use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use jwks_guard::layer::RequireTokenLayer;
use jwks_guard::{Authenticated, Claims, Policy};
use jwks_guard_test::{TestIssuer, TokenBuilder};

use common::{get_with_token, post_json, serve};

const ISSUER_NAME: &str = "https://layer.test/";

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER_NAME).expect("test issuer"));

fn policy(scopes: &[&str]) -> Policy {
    LazyLock::force(&ISSUER);
    Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .scopes(scopes.iter().copied())
        .build()
        .expect("a valid policy")
}

fn token() -> TokenBuilder {
    ISSUER.token().audience("orders-api").subject("alice")
}

/// Requests that reached `create`, which only
/// `a_refused_request_never_reaches_the_handler_nor_has_its_body_read` sends requests to.
static CREATED: AtomicUsize = AtomicUsize::new(0);

async fn orders(Extension(claims): Extension<Claims>) -> String {
    format!("orders of {}", claims.sub.unwrap_or_default())
}

async fn invoices(Extension(claims): Extension<Claims>) -> String {
    format!("invoices of {}", claims.sub.unwrap_or_default())
}

async fn create(
    Extension(claims): Extension<Claims>,
    Json(body): Json<serde_json::Value>,
) -> String {
    CREATED.fetch_add(1, Ordering::SeqCst);
    format!(
        "{} created {}",
        claims.sub.unwrap_or_default(),
        body["item"]
    )
}

fn routes() -> Router {
    Router::new()
        .route("/orders", get(orders))
        .route("/invoices", get(invoices))
        .route("/orders", post(create))
}

#[tokio::test]
async fn the_layer_protects_every_route_and_hands_each_handler_the_claims() {
    let base = serve(routes().layer(RequireTokenLayer::new(policy(&["orders:read"])))).await;
    let valid = token().scope("orders:read").sign();
    let reply = get_with_token(&format!("{base}/orders"), &valid).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders of alice")
    );
    let reply = get_with_token(&format!("{base}/invoices"), &valid).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "invoices of alice")
    );
}

#[tokio::test]
async fn the_layer_answers_rfc_6750_rejections_itself_on_every_route() {
    let base = serve(routes().layer(RequireTokenLayer::new(policy(&["orders:read"])))).await;
    for path in ["/orders", "/invoices"] {
        let url = format!("{base}{path}");
        common::get(&url, &[])
            .await
            .assert_missing_credentials(path);
        get_with_token(&url, &token().scope("orders:read").expired().sign())
            .await
            .assert_invalid_token(path);
        common::get(&url, &[("authorization", "Bearer a b")])
            .await
            .assert_invalid_request(path);
        let reply = get_with_token(&url, &token().scope("orders:write").sign()).await;
        assert_eq!(
            (reply.status, reply.www_authenticate.as_deref()),
            (
                403,
                Some(r#"Bearer error="insufficient_scope", scope="orders:read""#)
            ),
            "{path}: {reply:?}"
        );
        assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    }
}

#[tokio::test]
async fn a_refused_request_never_reaches_the_handler_nor_has_its_body_read() {
    let base = serve(routes().layer(RequireTokenLayer::new(policy(&[])))).await;
    let before = CREATED.load(Ordering::SeqCst);
    // A body the handler's `Json` extractor would refuse with 400/422: the 401 comes first.
    let reply = post_json(&format!("{base}/orders"), &[], "{not json").await;
    reply.assert_missing_credentials("POST without a token");
    assert_eq!(CREATED.load(Ordering::SeqCst), before);
    let authorization = format!("Bearer {}", token().sign());
    let reply = post_json(
        &format!("{base}/orders"),
        &[("authorization", &authorization)],
        r#"{"item": "book"}"#,
    )
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, r#"alice created "book""#)
    );
    assert_eq!(CREATED.load(Ordering::SeqCst), before + 1);
}

#[tokio::test]
async fn with_layer_unmatched_paths_are_401_and_with_route_layer_they_are_404() {
    let layered = serve(routes().layer(RequireTokenLayer::new(policy(&[])))).await;
    let route_layered = serve(routes().route_layer(RequireTokenLayer::new(policy(&[])))).await;
    common::get(&format!("{layered}/nowhere"), &[])
        .await
        .assert_missing_credentials("layer, unmatched path");
    let reply = common::get(&format!("{route_layered}/nowhere"), &[]).await;
    assert_eq!(reply.status, 404, "{reply:?}");
    common::get(&format!("{route_layered}/orders"), &[])
        .await
        .assert_missing_credentials("route_layer, matched path");
}

async fn write_orders(Authenticated(claims): Authenticated<Claims>) -> String {
    format!("{} may write", claims.sub.unwrap_or_default())
}

#[tokio::test]
async fn a_route_can_require_more_than_the_layer_with_a_stricter_policy_in_its_state() {
    let writes = Router::new()
        .route("/orders/write", get(write_orders))
        .with_state(policy(&["orders:write"]));
    let app = routes()
        .merge(writes)
        .layer(RequireTokenLayer::new(policy(&["orders:read"])));
    let base = serve(app).await;
    let read_only = token().scope("orders:read").sign();
    let read_write = token().scope("orders:read orders:write").sign();
    let url = format!("{base}/orders/write");
    assert_eq!(get_with_token(&url, &read_only).await.status, 403);
    let reply = get_with_token(&url, &read_write).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "alice may write")
    );
}

#[test]
fn the_service_is_clone_send_and_sync_and_its_future_send() {
    fn assert_service<S>(_: &S)
    where
        S: tower::Service<axum::extract::Request> + Clone + Send + Sync + 'static,
        S::Future: Send,
    {
    }
    let layer = RequireTokenLayer::new(policy(&[]));
    let service = tower::Layer::layer(&layer, routes().into_service::<axum::body::Body>());
    assert_service(&service);
}

#[tokio::test]
async fn the_layer_reads_the_token_from_the_sources_of_its_policy() {
    LazyLock::force(&ISSUER);
    let policy = Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .token_from([
            jwks_guard::TokenSource::cookie("session"),
            jwks_guard::TokenSource::header("X-Forwarded-Access-Token"),
        ])
        .build()
        .expect("a valid policy");
    let base = serve(routes().layer(RequireTokenLayer::new(policy))).await;
    let url = format!("{base}/orders");
    let valid = token().sign();
    let cookie = format!("session={valid}");
    let reply = common::get(&url, &[("cookie", &cookie)]).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders of alice")
    );
    let reply = common::get(&url, &[("x-forwarded-access-token", &valid)]).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders of alice")
    );
    // `Authorization` is not among the sources.
    assert_eq!(get_with_token(&url, &valid).await.status, 401);
    let both = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-access-token", &valid),
    ];
    let reply = common::get(&url, &both).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (400, "invalid_request")
    );
}

async fn maybe_orders(claims: Option<Extension<Claims>>) -> String {
    match claims {
        Some(Extension(claims)) => format!("orders of {}", claims.sub.unwrap_or_default()),
        None => "public orders".to_owned(),
    }
}

#[tokio::test]
async fn the_optional_layer_passes_requests_without_a_token_and_refuses_bad_ones() {
    let app = Router::new().route("/orders", get(maybe_orders));
    let base = serve(app.layer(RequireTokenLayer::optional(policy(&["orders:read"])))).await;
    let url = format!("{base}/orders");
    let reply = common::get(&url, &[]).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "public orders"));
    let reply = get_with_token(&url, &token().scope("orders:read").sign()).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "orders of alice")
    );
    get_with_token(&url, &token().scope("orders:read").expired().sign())
        .await
        .assert_invalid_token("expired");
    get_with_token(&url, &token().scope("orders:read").foreign_key().sign())
        .await
        .assert_invalid_token("foreign key");
    let reply = get_with_token(&url, &token().sign()).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (403, "insufficient_scope")
    );
    let reply = common::get(&url, &[("authorization", "Bearer a,b")]).await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (400, "invalid_request")
    );
}

/// `GET /whoami` behind the layer, with the conformance table's policy: the subject.
async fn whoami(Extension(claims): Extension<Claims>) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn every_dpop_row_of_the_conformance_table_is_answered_by_the_layer() {
    let policy = Policy::builder()
        .issuer(conformance::MAIN.issuer())
        .audience(conformance::AUDIENCE)
        .build()
        .expect("a valid policy");
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(RequireTokenLayer::new(policy));
    let base = serve(app).await;
    conformance::every_dpop_row("the layer", &base, &["/whoami"]).await;
}

/// `GET /protected` behind the layer, with its own `#[protected]` guard as well.
#[jwks_guard::protected(issuer = "https://conformance.test/", audience = "api")]
async fn protected_whoami(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

#[tokio::test]
async fn a_protected_handler_behind_the_layer_accepts_the_proof_the_layer_checked() {
    let policy = Policy::builder()
        .issuer(conformance::MAIN.issuer())
        .audience(conformance::AUDIENCE)
        .build()
        .expect("a valid policy");
    let app = Router::new()
        .route("/protected", get(protected_whoami))
        .layer(RequireTokenLayer::new(policy));
    let url = format!("{}/protected", serve(app).await);
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = conformance::token()
        .subject("dana")
        .dpop_bound(&client)
        .sign();
    let send = |proof: String| {
        let authorization = format!("DPoP {bound}");
        let url = url.clone();
        async move {
            let headers = [("authorization", authorization.as_str()), ("dpop", &proof)];
            common::get(&url, &headers).await
        }
    };
    // The layer checks the proof and spends its `jti`; the handler's guard takes the layer's
    // word for this request instead of refusing the proof as replayed.
    let proof = client.proof("GET", &url).access_token(&bound).sign();
    let reply = send(proof.clone()).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "dana"),
        "{reply:?}"
    );
    // A later request with the same proof is refused by the layer.
    let reply = send(proof).await;
    assert_eq!(
        (reply.status, reply.error()),
        (401, "invalid_dpop_proof".to_owned()),
        "{reply:?}"
    );
    // Without the layer's check, a bound token never reaches the handler as a bearer token.
    let reply = common::get_with_token(&url, &bound).await;
    assert_eq!(
        (reply.status, reply.error()),
        (401, "invalid_token".to_owned())
    );
}
