//! Real providers' tokens, as they really are: for each provider, the attribute its users write
//! (README, "Providers"), a token shaped like that provider's → 200 with the expected claims,
//! and that provider's common mistakes → the documented answer. Each provider's preset is used
//! by one test only: presets impersonate fixed issuer strings.

use crate::common;

use jwks_guard::{Claims, protected};
use jwks_guard_test::{ENTRA_TENANT_ID, Provider, TestIssuer};
use serde_json::json;

use Gets::{Body, EndsWith, Misconfigured, Refused, Status};
use common::{get_with_token, serve_handler};

/// What a handler answers: the subject and scopes it received.
fn seen(claims: &Claims) -> String {
    let scopes: Vec<&str> = claims.scopes.iter().collect();
    format!(
        "{} {}",
        claims.sub.as_deref().unwrap_or("-"),
        scopes.join(",")
    )
}

/// What a case expects.
enum Gets {
    /// 200 with exactly this body.
    Body(&'static str),
    /// 200 with a body ending with this.
    EndsWith(&'static str),
    /// This status.
    Status(u16),
    /// 401 with this description.
    Refused(&'static str),
    /// 500 `server_error`.
    Misconfigured,
}

/// Sends each case's token to its URL and checks the answer; a failure names the case.
async fn check(cases: Vec<(&str, &str, String, Gets)>) {
    for (case, url, token, gets) in cases {
        let reply = get_with_token(url, &token).await;
        let holds = match gets {
            Gets::Body(body) => reply.status == 200 && reply.text == body,
            Gets::EndsWith(end) => reply.status == 200 && reply.text.ends_with(end),
            Gets::Status(status) => reply.status == status,
            Gets::Misconfigured => (reply.status, &*reply.error()) == (500, "server_error"),
            Gets::Refused(description) => {
                (reply.status, &*reply.description()) == (401, description)
            }
        };
        assert!(holds, "{case}: {reply:?}");
    }
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
    let url = &*serve_handler(cognito).await;
    // An ID token of the same pool: its client in `aud`, `token_use: "id"`.
    let id_token = issuer
        .token()
        .audience("1example23456789")
        .claim("token_use", "id");
    let other_client = issuer.token().claim("client_id", "another-app");
    #[rustfmt::skip]
    let cases = vec![
        ("an access token", url, issuer.token().sign(), EndsWith("aws.cognito.signin.user.admin,orders/read")),
        ("an ID token", url, id_token.sign(), Status(403)),
        ("another client", url, other_client.sign(), Refused("client_id mismatch")),
    ];
    check(cases).await;
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
    let v2_url = &*serve_handler(entra_v2).await;
    let v1_url = &*serve_handler(entra_v1).await;
    let stranger = "99998888-7777-6666-5555-444433332222";
    let v1_token = v1.token().audience("00001111-aaaa-2222-bbbb-3333cccc4444");
    #[rustfmt::skip]
    let cases = vec![
        ("a v2 token", v2_url, v2.token().sign(), Body(ENTRA_TENANT_ID)),
        ("a v1 token", v1_url, v1.token().sign(), Body(ENTRA_TENANT_ID)),
        // Another tenant: accepted by the v1 handler (no allow-list), not by the v2 one.
        ("another tenant, v2", v2_url, v2.token().tenant(stranger).sign(), Refused("tenant not allowed")),
        ("another tenant, v1", v1_url, v1.token().tenant(stranger).sign(), Body(stranger)),
        ("a v1 token on the v2 issuer", v2_url, v1_token.sign(), Refused("issuer mismatch")),
        ("an iss whose tenant is not tid", v2_url, v2.token().claim("tid", stranger).sign(), Refused("issuer mismatch")),
    ];
    check(cases).await;
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
    let url = &*serve_handler(auth0).await;
    let other_api = issuer.token().audiences([
        "https://billing.example.com",
        "https://example.eu.auth0.com/userinfo",
    ]);
    #[rustfmt::skip]
    let cases = vec![
        ("an access token", url, issuer.token().sign(), Status(200)),
        ("another API", url, other_api.sign(), Refused("audience mismatch")),
    ];
    check(cases).await;
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
    let url = &*serve_handler(okta).await;
    #[rustfmt::skip]
    let cases = vec![
        ("an access token", url, issuer.token().sign(), EndsWith("openid,profile,orders:read")),
        ("without the scope", url, issuer.token().scp(["openid"]).sign(), Status(403)),
    ];
    check(cases).await;
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
    let url = &*serve_handler(keycloak).await;
    let no_role = issuer.token().audiences(["orders-api", "account"]);
    let reader = no_role
        .clone()
        .claim("realm_access", json!({"roles": ["orders-reader"]}));
    #[rustfmt::skip]
    let cases = vec![
        // Keycloak's default `aud: "account"` is not this API.
        ("the default token", url, issuer.token().sign(), Refused("audience mismatch")),
        ("without the role", url, no_role.sign(), Status(403)),
        ("with the role", url, reader.sign(), Status(200)),
    ];
    check(cases).await;
}

#[protected(issuer = "https://auth.example.com", audience = "orders-client", scopes = ["orders.read"])]
async fn spring(#[claims] claims: Claims) -> String {
    seen(&claims)
}

#[tokio::test]
async fn spring_scope_arrays_grant_their_scopes() {
    let issuer = TestIssuer::like(Provider::Spring).expect("issuer");
    let url = &*serve_handler(spring).await;
    #[rustfmt::skip]
    let cases = vec![
        ("an access token", url, issuer.token().sign(), Body("alice openid,orders.read")),
    ];
    check(cases).await;
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
    let url = &*serve_handler(google).await;
    // Without the `https://` form listed, it is a configuration error: 500, logged once.
    let misconfigured = &*serve_handler(google_without_scheme).await;
    let (https, schemeless) = ("https://accounts.google.com", "accounts.google.com");
    let unverified = issuer.token().claim("email_verified", false);
    #[rustfmt::skip]
    let cases = vec![
        (https, url, issuer.token().issuer(https).sign(), Body(https)),
        (schemeless, url, issuer.token().issuer(schemeless).sign(), Body(schemeless)),
        ("an unverified email", url, unverified.sign(), Status(403)),
        ("no https:// form listed", misconfigured, issuer.token().issuer(schemeless).sign(), Misconfigured),
    ];
    check(cases).await;
    assert_eq!(issuer.jwks_requests(), 1, "both forms share one key cache");
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
    let url = &*serve_handler(zuplo).await;
    let other_account = issuer.token().claim("account", "someone-else");
    #[rustfmt::skip]
    let cases = vec![
        ("an identity token", url, issuer.token().sign(), Status(200)),
        ("another account", url, other_account.sign(), Status(403)),
    ];
    check(cases).await;
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
    let url = &*serve_handler(authaction).await;
    #[rustfmt::skip]
    let cases = vec![
        ("an access token", url, issuer.token().sign(), Status(200)),
        ("no scope", url, issuer.token().without_claim("scope").sign(), Status(403)),
    ];
    check(cases).await;
}
