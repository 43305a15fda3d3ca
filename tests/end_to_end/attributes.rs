//! Every `#[protected]` key and form, end to end over real HTTP.

use crate::common;

use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use jwks_guard::{Claims, protected};
use jwks_guard_test::{Alg, TestIssuer, TokenBuilder};
use serde::Deserialize;

use common::{get_with_token, serve, serve_handler, status_of};

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://attributes.test/").expect("test issuer"));

/// Issuer and audience from the environment (see `.cargo/config.toml`).
static ENV_ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as("https://env-issuer.test/").expect("test issuer"));

#[protected(issuer = "https://attributes.test/", audience = ["first-api", "second-api"])]
async fn many_audiences() -> &'static str {
    "ok"
}

#[protected(issuer = env("JWKS_GUARD_TEST_ISSUER"), audience = env("JWKS_GUARD_TEST_AUDIENCE"))]
async fn from_env(#[claims] claims: Claims) -> String {
    claims.iss
}

#[protected(
    issuer = env("JWKS_GUARD_TEST_ISSUER"),
    audience = env("JWKS_GUARD_TEST_AUDIENCE"),
    jwks_uri = env("JWKS_GUARD_TEST_JWKS_URI")
)]
async fn jwks_uri_from_env() -> &'static str {
    "ok"
}

#[protected(issuer = "https://attributes.test/", audience = "api", scopes = ["read", "write"])]
async fn scoped() -> &'static str {
    "ok"
}

#[protected(
    issuer = "https://attributes.test/",
    audience = "api",
    claims(email_verified)
)]
async fn claim_present() -> &'static str {
    "ok"
}

#[protected(
    issuer = "https://attributes.test/",
    audience = "api",
    claims(tenant = "acme", admin = true, level = 3, groups = ["ops", "dev"], "realm_access.roles" = ["admin"], "https://example.com/roles" = ["auditor"])
)]
async fn claim_values() -> &'static str {
    "ok"
}

#[protected(issuer = "https://attributes.test/", audience = "api", algorithms = ["ES256", "EdDSA"])]
async fn curves_only() -> &'static str {
    "ok"
}

#[protected(issuer = "https://attributes.test/", audience = "api")]
async fn default_algorithms() -> &'static str {
    "ok"
}

#[protected(issuer = "https://attributes.test/", audience = "api", leeway = 0)]
async fn no_leeway() -> &'static str {
    "ok"
}

#[protected(issuer = "https://attributes.test/", audience = "api", typ = "at+jwt")]
async fn typed() -> &'static str {
    "ok"
}

#[derive(Deserialize)]
struct OrderClaims {
    sub: String,
    #[serde(rename = "https://example.com/tier")]
    tier: String,
    #[serde(flatten)]
    base: Claims,
}

#[protected(issuer = "https://attributes.test/", audience = "api")]
async fn custom_claims(#[claims] claims: OrderClaims) -> String {
    format!("{} {} {}", claims.sub, claims.tier, claims.base.iss)
}

#[protected(issuer = "https://attributes.test/", audience = "api")]
async fn claims_not_first(
    axum::extract::Path(id): axum::extract::Path<u32>,
    #[claims] claims: Claims,
) -> String {
    format!("{id} {}", claims.sub.unwrap_or_default())
}

async fn app() -> String {
    LazyLock::force(&ISSUER);
    LazyLock::force(&ENV_ISSUER);
    serve(
        Router::new()
            .route("/many-audiences", get(many_audiences))
            .route("/from-env", get(from_env))
            .route("/jwks-uri-from-env", get(jwks_uri_from_env))
            .route("/scoped", get(scoped))
            .route("/claim-present", get(claim_present))
            .route("/claim-values", get(claim_values))
            .route("/curves-only", get(curves_only))
            .route("/default-algorithms", get(default_algorithms))
            .route("/no-leeway", get(no_leeway))
            .route("/typed", get(typed))
            .route("/custom-claims", get(custom_claims))
            .route("/items/{id}", get(claims_not_first)),
    )
    .await
}

fn token() -> TokenBuilder {
    ISSUER.token().audience("api")
}

#[tokio::test]
async fn audience_list_accepts_any_listed_audience_in_string_or_array_form() {
    let base = app().await;
    let url = || format!("{base}/many-audiences");
    assert_eq!(
        status_of(&url(), &ISSUER.token().audience("second-api").sign()).await,
        200
    );
    assert_eq!(
        status_of(
            &url(),
            &ISSUER.token().audiences(["other", "first-api"]).sign()
        )
        .await,
        200
    );
    assert_eq!(
        status_of(&url(), &ISSUER.token().audiences(["other", "third"]).sign()).await,
        401
    );
}

#[tokio::test]
async fn issuer_and_audience_can_come_from_the_environment() {
    let base = app().await;
    let reply = get_with_token(
        &format!("{base}/from-env"),
        &ENV_ISSUER.token().audience("env-api").sign(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "https://env-issuer.test/")
    );
    let wrong_audience = ENV_ISSUER.token().audience("api").sign();
    assert_eq!(
        status_of(&format!("{base}/from-env"), &wrong_audience).await,
        401
    );
}

#[tokio::test]
async fn jwks_uri_skips_discovery() {
    let issuer = TestIssuer::builder()
        .impersonate("https://jwks-uri.test/")
        .discovery(false)
        .start()
        .expect("issuer");
    #[protected(
        issuer = "https://jwks-uri.test/",
        audience = "api",
        jwks_uri = "https://jwks-uri.test/keys"
    )]
    async fn handler() -> &'static str {
        "ok"
    }
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (0, 1)
    );
}

#[tokio::test]
async fn jwks_uri_can_come_from_the_environment() {
    let base = app().await;
    let token = ENV_ISSUER.token().audience("env-api").sign();
    assert_eq!(
        status_of(&format!("{base}/jwks-uri-from-env"), &token).await,
        200
    );
}

#[tokio::test]
async fn without_a_discovery_document_keys_come_from_well_known_jwks_json() {
    let issuer = TestIssuer::builder()
        .impersonate("https://no-discovery.test")
        .discovery(false)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://no-discovery.test", audience = "api")]
    async fn handler() -> &'static str {
        "ok"
    }
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1)
    );
}

#[tokio::test]
async fn issuer_with_a_path_and_no_trailing_slash_is_discovered() {
    let issuer = TestIssuer::start_as("https://tenant.test/realms/main").expect("issuer");
    #[protected(issuer = "https://tenant.test/realms/main", audience = "api")]
    async fn handler() -> &'static str {
        "ok"
    }
    let url = serve_handler(handler).await;
    assert_eq!(
        status_of(&url, &issuer.token().audience("api").sign()).await,
        200
    );
    assert_eq!(issuer.discovery_requests(), 1);
}

#[tokio::test]
async fn every_listed_scope_is_required_from_scope_or_scp() {
    let base = app().await;
    let url = || format!("{base}/scoped");
    assert_eq!(
        status_of(&url(), &token().scope("write read").sign()).await,
        200
    );
    assert_eq!(
        status_of(&url(), &token().scp(["read", "write"]).sign()).await,
        200
    );
    assert_eq!(
        status_of(&url(), &token().claim("scp", "read write").sign()).await,
        200
    );
    assert_eq!(
        status_of(&url(), &token().scope("read").scp(["write"]).sign()).await,
        200
    );
    assert_eq!(status_of(&url(), &token().scope("read").sign()).await, 403);
    assert_eq!(status_of(&url(), &token().sign()).await, 403);
}

#[tokio::test]
async fn bare_claim_name_requires_presence() {
    let base = app().await;
    let url = || format!("{base}/claim-present");
    assert_eq!(
        status_of(&url(), &token().claim("email_verified", false).sign()).await,
        200
    );
    assert_eq!(status_of(&url(), &token().sign()).await, 403);
    assert_eq!(
        status_of(
            &url(),
            &token()
                .claim("email_verified", serde_json::Value::Null)
                .sign()
        )
        .await,
        403
    );
}

fn all_claim_values() -> TokenBuilder {
    token()
        .claim("tenant", "acme")
        .claim("admin", true)
        .claim("level", 3)
        .claim("groups", serde_json::json!(["dev", "ops", "qa"]))
        .claim(
            "realm_access",
            serde_json::json!({"roles": ["admin", "user"]}),
        )
        .claim("https://example.com/roles", serde_json::json!(["auditor"]))
}

#[tokio::test]
async fn claim_values_strings_booleans_integers_arrays_and_paths_must_match() {
    let base = app().await;
    let url = || format!("{base}/claim-values");
    assert_eq!(status_of(&url(), &all_claim_values().sign()).await, 200);
    let spoiled = [
        all_claim_values().claim("tenant", "globex"),
        all_claim_values().claim("admin", "true"),
        all_claim_values().claim("level", 4),
        all_claim_values().claim("groups", serde_json::json!(["ops"])),
        all_claim_values().claim("realm_access", serde_json::json!({"roles": ["user"]})),
        all_claim_values().without_claim("https://example.com/roles"),
    ];
    for token in spoiled {
        assert_eq!(status_of(&url(), &token.sign()).await, 403);
    }
}

#[tokio::test]
async fn algorithms_is_an_allow_list() {
    let base = app().await;
    let url = || format!("{base}/curves-only");
    assert_eq!(
        status_of(&url(), &token().alg(Alg::ES256).sign()).await,
        200
    );
    assert_eq!(
        status_of(&url(), &token().alg(Alg::EdDSA).sign()).await,
        200
    );
    let reply = get_with_token(&url(), &token().alg(Alg::RS256).sign()).await;
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (401, "algorithm not allowed")
    );
}

#[tokio::test]
async fn es512_with_a_p521_key_is_allowed_by_default_and_refused_where_the_list_leaves_it_out() {
    let issuer = TestIssuer::builder()
        .impersonate("https://es512.test/")
        .p521_key(true)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://es512.test/", audience = "api")]
    async fn every_algorithm() -> &'static str {
        "ok"
    }
    #[protected(issuer = "https://es512.test/", audience = "api", algorithms = ["ES512"])]
    async fn es512_only() -> &'static str {
        "ok"
    }
    #[protected(issuer = "https://es512.test/", audience = "api", algorithms = ["ES256"])]
    async fn es256_only() -> &'static str {
        "ok"
    }
    let base = serve(
        Router::new()
            .route("/default", get(every_algorithm))
            .route("/es512", get(es512_only))
            .route("/es256", get(es256_only)),
    )
    .await;
    let es512 = issuer.token().audience("api").alg(Alg::ES512).sign();
    for route in ["default", "es512"] {
        get_with_token(&format!("{base}/{route}"), &es512)
            .await
            .assert_ok(&format!("ES512 at /{route}"));
    }

    // The same signature over another payload, and a signature with one bit flipped.
    let (header, rest) = es512.split_once('.').expect("a JWS");
    let (_, signature) = rest.split_once('.').expect("a JWS");
    let other_payload = issuer
        .token()
        .audience("api")
        .alg(Alg::ES512)
        .subject("mallory")
        .sign();
    let other_payload = other_payload.split('.').nth(1).expect("a payload");
    let moved = format!("{header}.{other_payload}.{signature}");
    let mut flipped = es512.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ASCII");
    for (case, tampered) in [("moved signature", &moved), ("flipped bit", &flipped)] {
        let reply = get_with_token(&format!("{base}/default"), tampered).await;
        reply.assert_invalid_token(case);
        assert_eq!(reply.description(), "invalid signature", "{case}");
    }

    let reply = get_with_token(&format!("{base}/es256"), &es512).await;
    reply.assert_invalid_token("ES512 where only ES256 is allowed");
    assert_eq!(reply.description(), "algorithm not allowed");
    let es256 = issuer.token().audience("api").alg(Alg::ES256).sign();
    get_with_token(&format!("{base}/es256"), &es256)
        .await
        .assert_ok("the control token");
    let reply = get_with_token(&format!("{base}/es512"), &es256).await;
    reply.assert_invalid_token("ES256 where only ES512 is allowed");
}

#[tokio::test]
async fn default_algorithms_accept_rsa_pss_ecdsa_and_eddsa_when_the_jwks_names_no_alg() {
    let issuer = TestIssuer::builder()
        .impersonate("https://no-alg.test/")
        .publish_alg(false)
        .p521_key(true)
        .start()
        .expect("issuer");
    #[protected(issuer = "https://no-alg.test/", audience = "api")]
    async fn handler() -> &'static str {
        "ok"
    }
    let url = serve_handler(handler).await;
    for &alg in Alg::ALL {
        let reply = get_with_token(&url, &issuer.token().audience("api").alg(alg).sign()).await;
        assert_eq!(reply.status, 200, "{alg:?}: {reply:?}");
    }
}

#[tokio::test]
async fn the_jwk_alg_decides_not_the_token_header() {
    let base = app().await;
    // The RSA JWK says `alg: RS256`; a PS256 signature by the same key is refused.
    let reply = get_with_token(
        &format!("{base}/default-algorithms"),
        &token().alg(Alg::PS256).sign(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (401, "algorithm not allowed for this key")
    );
    assert_eq!(
        status_of(
            &format!("{base}/default-algorithms"),
            &token().alg(Alg::RS256).sign()
        )
        .await,
        200
    );
}

#[tokio::test]
async fn leeway_is_configurable() {
    let base = app().await;
    let just_expired = || token().expires_in(Duration::ZERO).claim("exp", now() - 5);
    assert_eq!(
        status_of(
            &format!("{base}/default-algorithms"),
            &just_expired().sign()
        )
        .await,
        200
    );
    assert_eq!(
        status_of(&format!("{base}/no-leeway"), &just_expired().sign()).await,
        401
    );
}

#[tokio::test]
async fn leeway_also_applies_to_not_before() {
    let base = app().await;
    let soon = || token().not_before(now() + 5);
    assert_eq!(
        status_of(&format!("{base}/default-algorithms"), &soon().sign()).await,
        200
    );
    assert_eq!(
        status_of(&format!("{base}/no-leeway"), &soon().sign()).await,
        401
    );
}

#[tokio::test]
async fn typ_compares_case_insensitively_with_optional_application_prefix() {
    let base = app().await;
    let url = || format!("{base}/typed");
    assert_eq!(status_of(&url(), &token().typ("at+jwt").sign()).await, 200);
    assert_eq!(
        status_of(&url(), &token().typ("application/AT+JWT").sign()).await,
        200
    );
    assert_eq!(status_of(&url(), &token().typ("JWT").sign()).await, 401);
    assert_eq!(status_of(&url(), &token().no_typ().sign()).await, 401);
}

#[tokio::test]
async fn a_custom_claims_type_receives_the_claims() {
    let base = app().await;
    let token = token()
        .subject("carol")
        .claim("https://example.com/tier", "gold")
        .sign();
    let reply = get_with_token(&format!("{base}/custom-claims"), &token).await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "carol gold https://attributes.test/")
    );
}

#[tokio::test]
async fn claims_parameter_may_come_after_other_extractors() {
    let base = app().await;
    let reply = get_with_token(&format!("{base}/items/7"), &token().subject("dave").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "7 dave"));
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

// ----- client_id (Cognito access tokens: `client_id`, no `aud`) -----

#[protected(
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attrs",
    client_id = "app-client",
    claims(token_use = "access")
)]
async fn cognito_access(#[claims] claims: Claims) -> String {
    claims.client_id.unwrap_or_default()
}

#[protected(
    issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attrs",
    audience = "orders-api",
    client_id = ["app-client", "other-client"]
)]
async fn audience_and_client_id() -> &'static str {
    "ok"
}

#[tokio::test]
async fn client_id_replaces_audience_for_tokens_without_aud() {
    let cognito =
        TestIssuer::start_as("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Attrs")
            .expect("issuer");
    let url = serve_handler(cognito_access).await;
    let access = |client: &str| {
        cognito
            .token()
            .claim("client_id", client)
            .claim("token_use", "access")
            .scope("aws.cognito.signin.user.admin")
    };
    let reply = get_with_token(&url, &access("app-client").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "app-client"));
    let other = get_with_token(&url, &access("someone-else").sign()).await;
    assert_eq!(
        (other.status, other.description().as_str()),
        (401, "client_id mismatch")
    );
    let missing = get_with_token(&url, &cognito.token().claim("token_use", "access").sign()).await;
    assert_eq!(
        (missing.status, missing.description().as_str()),
        (401, "token has no client_id claim")
    );
    // A Cognito ID token (token_use "id", its client in `aud`) is kept out by the claim.
    let id_token = cognito
        .token()
        .audience("app-client")
        .claim("client_id", "app-client")
        .claim("token_use", "id")
        .sign();
    assert_eq!(status_of(&url, &id_token).await, 403);

    let both = serve_handler(audience_and_client_id).await;
    let token = |aud: &str, client: &str| {
        cognito
            .token()
            .audience(aud)
            .claim("client_id", client)
            .sign()
    };
    assert_eq!(
        status_of(&both, &token("orders-api", "other-client")).await,
        200
    );
    assert_eq!(
        status_of(&both, &token("orders-api", "stranger")).await,
        401
    );
    assert_eq!(
        status_of(&both, &token("billing-api", "app-client")).await,
        401
    );
}
