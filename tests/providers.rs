//! Real providers' tokens, as they really are: for each provider, the attribute its users write
//! (README, "Providers"), a token shaped like that provider's → 200 with the expected claims,
//! and that provider's common mistakes → the documented answer. Each provider's preset is used
//! by one test only: presets impersonate fixed issuer strings.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;

use jwks_guard::{Claims, protected};
use jwks_guard_test::{ENTRA_TENANT_ID, Provider, TestIssuer};
use serde_json::json;

use common::{Reply, get_with_token, serve_handler};

/// What a handler answers: the subject and scopes it received.
fn seen(claims: &Claims) -> String {
    let scopes: Vec<&str> = claims.scopes.iter().collect();
    format!(
        "{} {}",
        claims.sub.as_deref().unwrap_or("-"),
        scopes.join(",")
    )
}

fn assert_401(reply: &Reply, description: &str) {
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (401, description),
        "{reply:?}"
    );
}

#[protected(
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
    client_id = "1example23456789",
    scopes = ["orders/read"],
    claims(token_use = "access")
)]
async fn cognito(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn cognito_access_tokens_pass_on_client_id_and_id_tokens_do_not() {
    let issuer = TestIssuer::like(Provider::Cognito).expect("issuer");
    let url = serve_handler(cognito).await;
    let reply = get_with_token(&url, &issuer.token().sign()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply
            .text
            .ends_with("aws.cognito.signin.user.admin,orders/read")
    );
    // An ID token of the same pool: its client in `aud`, `token_use: "id"`.
    let id_token = issuer
        .token()
        .audience("1example23456789")
        .claim("token_use", "id")
        .sign();
    assert_eq!(get_with_token(&url, &id_token).await.status, 403);
    let other_client = issuer.token().claim("client_id", "another-app").sign();
    assert_401(
        &get_with_token(&url, &other_client).await,
        "client_id mismatch",
    );
}

#[protected(
    issuer = "https://login.microsoftonline.com/{tenantid}/v2.0",
    tenants = ["aaaabbbb-0000-cccc-1111-dddd2222eeee"],
    audience = "00001111-aaaa-2222-bbbb-3333cccc4444",
    scopes = ["Orders.Read"]
)]
async fn entra_v2(#[claims] claims: Claims) -> String {
    claims.get::<String>("tid").unwrap_or_default()
}

#[protected(
    issuer = "https://sts.windows.net/{tenantid}/",
    audience = "api://00001111-aaaa-2222-bbbb-3333cccc4444",
    scopes = ["Orders.Read"]
)]
async fn entra_v1(#[claims] claims: Claims) -> String {
    claims.get::<String>("tid").unwrap_or_default()
}

#[tokio::test]
async fn entra_multi_tenant_issuers_are_filled_from_tid_and_limited_to_the_listed_tenants() {
    let v2 = TestIssuer::like(Provider::EntraV2).expect("v2 issuer");
    let v1 = TestIssuer::like(Provider::EntraV1).expect("v1 issuer");
    let v2_url = serve_handler(entra_v2).await;
    let v1_url = serve_handler(entra_v1).await;

    let reply = get_with_token(&v2_url, &v2.token().sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, ENTRA_TENANT_ID));
    let reply = get_with_token(&v1_url, &v1.token().sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, ENTRA_TENANT_ID));

    // Another tenant: accepted by the v1 handler (no allow-list), not by the v2 one.
    let stranger = "99998888-7777-6666-5555-444433332222";
    assert_401(
        &get_with_token(&v2_url, &v2.token().tenant(stranger).sign()).await,
        "tenant not allowed",
    );
    let reply = get_with_token(&v1_url, &v1.token().tenant(stranger).sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, stranger));

    // A v1 token on the v2 issuer, and an `iss` whose tenant is not the token's `tid`.
    let v1_token = v1
        .token()
        .audience("00001111-aaaa-2222-bbbb-3333cccc4444")
        .sign();
    assert_401(&get_with_token(&v2_url, &v1_token).await, "issuer mismatch");
    let mismatched = v2.token().claim("tid", stranger).sign();
    assert_401(
        &get_with_token(&v2_url, &mismatched).await,
        "issuer mismatch",
    );
}

#[protected(
    issuer = "https://example.eu.auth0.com/",
    audience = "https://api.example.com",
    scopes = ["read:orders"]
)]
async fn auth0(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn auth0_tokens_with_the_userinfo_audience_pass_and_tokens_for_another_api_do_not() {
    let issuer = TestIssuer::like(Provider::Auth0).expect("issuer");
    let url = serve_handler(auth0).await;
    assert_eq!(
        get_with_token(&url, &issuer.token().sign()).await.status,
        200
    );
    let other_api = issuer
        .token()
        .audiences([
            "https://billing.example.com",
            "https://example.eu.auth0.com/userinfo",
        ])
        .sign();
    assert_401(&get_with_token(&url, &other_api).await, "audience mismatch");
}

#[protected(
    issuer = "https://example.okta.com/oauth2/default",
    audience = "api://default",
    scopes = ["orders:read"]
)]
async fn okta(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn okta_scp_arrays_grant_their_scopes() {
    let issuer = TestIssuer::like(Provider::Okta).expect("issuer");
    let url = serve_handler(okta).await;
    let reply = get_with_token(&url, &issuer.token().sign()).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply.text.ends_with("openid,profile,orders:read"),
        "{}",
        reply.text
    );
    let without = issuer.token().scp(["openid"]).sign();
    assert_eq!(get_with_token(&url, &without).await.status, 403);
}

#[protected(
    issuer = "https://login.example.com/realms/shop",
    audience = "orders-api",
    claims("realm_access.roles" = ["orders-reader"])
)]
async fn keycloak(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn keycloak_tokens_need_the_api_audience_and_the_realm_role() {
    let issuer = TestIssuer::like(Provider::Keycloak).expect("issuer");
    let url = serve_handler(keycloak).await;
    // Keycloak's default `aud: "account"` is not this API.
    assert_401(
        &get_with_token(&url, &issuer.token().sign()).await,
        "audience mismatch",
    );
    let no_role = issuer.token().audiences(["orders-api", "account"]).sign();
    assert_eq!(get_with_token(&url, &no_role).await.status, 403);
    let reader = issuer
        .token()
        .audiences(["orders-api", "account"])
        .claim("realm_access", json!({"roles": ["orders-reader"]}))
        .sign();
    assert_eq!(get_with_token(&url, &reader).await.status, 200);
}

#[protected(issuer = "https://auth.example.com", audience = "orders-client", scopes = ["orders.read"])]
async fn spring(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn spring_scope_arrays_grant_their_scopes() {
    let issuer = TestIssuer::like(Provider::Spring).expect("issuer");
    let url = serve_handler(spring).await;
    let reply = get_with_token(&url, &issuer.token().sign()).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "alice openid,orders.read")
    );
}

#[protected(
    issuer = ["https://accounts.google.com", "accounts.google.com"],
    audience = "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
    claims(email_verified = true)
)]
async fn google(#[claims] claims: Claims) -> String {
    claims.iss
}

/// A common mistake: Google's issuer without its scheme alone, from which no keys can be
/// discovered.
#[protected(
    issuer = "accounts.google.com",
    audience = "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com"
)]
async fn google_without_scheme() {}

#[tokio::test]
async fn google_tokens_pass_with_either_issuer_form() {
    let issuer = TestIssuer::like(Provider::Google).expect("issuer");
    let url = serve_handler(google).await;
    for iss in ["https://accounts.google.com", "accounts.google.com"] {
        let reply = get_with_token(&url, &issuer.token().issuer(iss).sign()).await;
        assert_eq!((reply.status, reply.text.as_str()), (200, iss));
    }
    assert_eq!(issuer.jwks_requests(), 1, "both forms share one key cache");
    let unverified = issuer.token().claim("email_verified", false).sign();
    assert_eq!(get_with_token(&url, &unverified).await.status, 403);
    // Without the `https://` form listed, it is a configuration error: 500, logged once.
    let misconfigured = serve_handler(google_without_scheme).await;
    let reply = get_with_token(
        &misconfigured,
        &issuer.token().issuer("accounts.google.com").sign(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (500, "server_error")
    );
}

#[protected(
    issuer = "https://dev.zuplo.com/v1/client-auth/auth_o8PUdhKxSTOiB794GWPwLQCD",
    audience = "https://my-api.example.com",
    claims(account = "my-account", project = "my-project")
)]
async fn zuplo(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn zuplo_identity_tokens_need_the_account_and_project() {
    let issuer = TestIssuer::like(Provider::Zuplo).expect("issuer");
    let url = serve_handler(zuplo).await;
    assert_eq!(
        get_with_token(&url, &issuer.token().sign()).await.status,
        200
    );
    let other_account = issuer.token().claim("account", "someone-else").sign();
    assert_eq!(get_with_token(&url, &other_account).await.status, 403);
}

#[protected(
    issuer = "https://example.eu.authaction.com/",
    audience = "https://api.example.com",
    scopes = ["read:orders"]
)]
async fn authaction(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn authaction_tokens_pass_and_need_their_scope() {
    let issuer = TestIssuer::like(Provider::AuthAction).expect("issuer");
    let url = serve_handler(authaction).await;
    assert_eq!(
        get_with_token(&url, &issuer.token().sign()).await.status,
        200
    );
    let no_scope = issuer.token().without_claim("scope").sign();
    assert_eq!(get_with_token(&url, &no_scope).await.status, 403);
}
