//! The path without the macro: a `Policy` from `Policy::builder()` in the router's state, the
//! `Authenticated` extractor, the builder's errors, and the macro's policy built by the same
//! builder, end to end over real HTTP.

use crate::common;

use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use jwks_guard::{
    Alg, Authenticated, Claims, MaybeAuthenticated, Policy, PolicyError, TokenSource, protected,
};
use jwks_guard_test::{TestIssuer, TokenBuilder};
use serde::Deserialize;

use common::{Reply, get_with_token, serve};

const ISSUER_NAME: &str = "https://builder.test/";

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER_NAME).expect("test issuer"));

fn orders_policy() -> Policy {
    Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .scopes(["orders:read"])
        .build()
        .expect("a valid policy")
}

fn token() -> TokenBuilder {
    ISSUER.token().audience("orders-api").subject("alice")
}

async fn me(Authenticated(claims): Authenticated<Claims>) -> String {
    claims.sub.unwrap_or_default()
}

/// `Option<Authenticated<C>>` on axum: `None` only without a token.
async fn maybe_me(auth: Option<Authenticated<Claims>>) -> String {
    auth.map_or_else(
        || "anonymous".to_owned(),
        |Authenticated(claims)| claims.sub.unwrap_or_default(),
    )
}

/// `MaybeAuthenticated<C>`, the same on every framework.
async fn maybe_me_too(MaybeAuthenticated(claims): MaybeAuthenticated<Claims>) -> String {
    claims.map_or_else(
        || "anonymous".to_owned(),
        |claims| claims.sub.unwrap_or_default(),
    )
}

#[tokio::test]
async fn option_authenticated_on_axum_is_none_only_without_a_token() {
    LazyLock::force(&ISSUER);
    let base = serve(
        Router::new()
            .route("/option", get(maybe_me))
            .route("/maybe", get(maybe_me_too))
            .with_state(orders_policy()),
    )
    .await;
    for path in ["/option", "/maybe"] {
        let url = format!("{base}{path}");
        let reply = common::get(&url, &[]).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "anonymous"),
            "{path}"
        );
        let reply = get_with_token(&url, &token().scope("orders:read").sign()).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "alice"),
            "{path}"
        );
        get_with_token(&url, &token().scope("orders:read").expired().sign())
            .await
            .assert_invalid_token(path);
        let reply = get_with_token(&url, &token().sign()).await;
        assert_eq!(
            (reply.status, reply.error().as_str()),
            (403, "insufficient_scope"),
            "{path}"
        );
        let reply = common::get(&url, &[("authorization", "Bearer a,b")]).await;
        assert_eq!(
            (reply.status, reply.error().as_str()),
            (400, "invalid_request"),
            "{path}"
        );
    }
}

/// `/me` behind the builder's policy, held as the router's whole state.
async fn app() -> String {
    LazyLock::force(&ISSUER);
    let base = serve(
        Router::new()
            .route("/me", get(me))
            .with_state(orders_policy()),
    )
    .await;
    format!("{base}/me")
}

#[tokio::test]
async fn builder_policy_in_state_accepts_a_valid_token_with_200_and_its_claims() {
    let url = app().await;
    let reply = get_with_token(&url, &token().scope("orders:read").sign()).await;
    reply.assert_ok("valid token");
    assert_eq!(reply.text, "alice");
}

#[tokio::test]
async fn builder_policy_without_credentials_is_401_with_a_bare_bearer_challenge() {
    let url = app().await;
    common::get(&url, &[])
        .await
        .assert_missing_credentials("no Authorization");
}

#[tokio::test]
async fn builder_policy_refuses_a_wrong_audience_or_expired_token_with_401_invalid_token() {
    let url = app().await;
    let wrong_audience = ISSUER.token().audience("billing-api").scope("orders:read");
    let reply = get_with_token(&url, &wrong_audience.sign()).await;
    reply.assert_invalid_token("wrong audience");
    assert_eq!(reply.description(), "audience mismatch");
    let expired = token().scope("orders:read").expired();
    get_with_token(&url, &expired.sign())
        .await
        .assert_invalid_token("expired");
}

#[tokio::test]
async fn builder_policy_refuses_a_token_lacking_the_scope_with_403_naming_it() {
    let url = app().await;
    let reply = get_with_token(&url, &token().scope("orders:write").sign()).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.www_authenticate.as_deref(),
        Some(r#"Bearer error="insufficient_scope", scope="orders:read""#)
    );
    assert_eq!(reply.description(), "missing scope orders:read");
}

/// An application state of which the policy is one field.
#[derive(Clone)]
struct AppState {
    policy: Policy,
    greeting: &'static str,
}

impl FromRef<AppState> for Policy {
    fn from_ref(state: &AppState) -> Policy {
        state.policy.clone()
    }
}

#[derive(Deserialize)]
struct OrderClaims {
    sub: String,
    tier: String,
}

async fn greet(
    axum::extract::State(state): axum::extract::State<AppState>,
    Authenticated(claims): Authenticated<OrderClaims>,
) -> String {
    format!("{} {} ({})", state.greeting, claims.sub, claims.tier)
}

#[tokio::test]
async fn the_policy_can_be_one_field_of_the_state_and_the_claims_any_deserialisable_type() {
    LazyLock::force(&ISSUER);
    let state = AppState {
        policy: orders_policy(),
        greeting: "hello",
    };
    let base = serve(Router::new().route("/", get(greet)).with_state(state)).await;
    let reply = get_with_token(
        &format!("{base}/"),
        &token().scope("orders:read").claim("tier", "gold").sign(),
    )
    .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, "hello alice (gold)")
    );
    // Claims that do not fit the type: 401, as with `#[protected]`.
    let reply = get_with_token(&format!("{base}/"), &token().scope("orders:read").sign()).await;
    reply.assert_invalid_token("no tier claim");
}

#[tokio::test]
async fn every_builder_method_is_enforced_end_to_end() {
    LazyLock::force(&ISSUER);
    let policy = Policy::builder()
        .issuers([ISSUER_NAME])
        .audiences(["orders-api", "other-api"])
        .client_id("web-app")
        .scopes(["orders:read", "orders:write"])
        .claim("email_verified")
        .claim_equals("tenant", "acme")
        .claim_equals("level", 3)
        .claim_contains("realm_access.roles", ["clerk"])
        .algorithms([Alg::ES256])
        .leeway(Duration::ZERO)
        .typ("at+jwt")
        .build()
        .expect("a valid policy");
    let base = serve(Router::new().route("/me", get(me)).with_state(policy)).await;
    let url = format!("{base}/me");
    let good = || {
        token()
            .alg(Alg::ES256)
            .typ("at+jwt")
            .claim("client_id", "web-app")
            .scope("orders:read orders:write")
            .claim("email_verified", false)
            .claim("tenant", "acme")
            .claim("level", 3)
            .claim("realm_access", serde_json::json!({"roles": ["clerk", "x"]}))
    };
    get_with_token(&url, &good().sign())
        .await
        .assert_ok("every requirement met");
    let cases: [(&str, TokenBuilder, u16); 8] = [
        ("RS256 is not allowed", good().alg(Alg::RS256), 401),
        ("typ", good().typ("JWT"), 401),
        ("client_id", good().claim("client_id", "cli"), 401),
        ("scope", good().scope("orders:read"), 403),
        ("claim present", good().without_claim("email_verified"), 403),
        ("claim equals", good().claim("tenant", "globex"), 403),
        ("integer claim", good().claim("level", "3"), 403),
        (
            "claim contains",
            good().claim("realm_access", serde_json::json!({"roles": ["x"]})),
            403,
        ),
    ];
    for (case, token, status) in cases {
        let reply = get_with_token(&url, &token.sign()).await;
        assert_eq!(reply.status, status, "{case}: {reply:?}");
    }
}

fn error_of(builder: jwks_guard::PolicyBuilder) -> PolicyError {
    builder.build().expect_err("an invalid policy")
}

#[test]
fn builder_errors_are_typed_and_nothing_panics() {
    let base = || {
        Policy::builder()
            .issuer("https://errors.test/")
            .audience("api")
    };
    assert_eq!(
        error_of(Policy::builder().audience("api")),
        PolicyError::NoIssuer
    );
    assert_eq!(
        error_of(Policy::builder().issuer("https://errors.test/")),
        PolicyError::NoAudience
    );
    assert_eq!(
        error_of(
            Policy::builder()
                .issuer("https://errors.test/")
                .audiences(Vec::<String>::new())
        ),
        PolicyError::Empty { key: "audience" }
    );
    assert_eq!(
        error_of(base().client_id("")),
        PolicyError::Empty { key: "client_id" }
    );
    assert_eq!(
        error_of(base().algorithms([])),
        PolicyError::Empty { key: "algorithms" }
    );
    assert_eq!(
        error_of(base().claim_contains("roles", Vec::<String>::new())),
        PolicyError::Empty { key: "claims" }
    );
    assert_eq!(error_of(base().typ(" ")), PolicyError::Empty { key: "typ" });
    assert_eq!(
        error_of(base().audience(" api")),
        PolicyError::Whitespace {
            key: "audience",
            value: " api".to_owned()
        }
    );
    assert_eq!(
        error_of(base().scopes(["orders:read orders:write"])),
        PolicyError::Whitespace {
            key: "scopes",
            value: "orders:read orders:write".to_owned()
        }
    );
    assert_eq!(
        error_of(base().scopes(["a", "b", "a"])),
        PolicyError::Duplicate {
            key: "scopes",
            value: "\"a\"".to_owned()
        }
    );
    assert_eq!(
        error_of(base().algorithms([Alg::RS256, Alg::RS256])),
        PolicyError::Duplicate {
            key: "algorithms",
            value: "RS256".to_owned()
        }
    );
    assert_eq!(
        error_of(base().claim("tenant").claim_equals("tenant", "acme")),
        PolicyError::Duplicate {
            key: "claims",
            value: "\"tenant\"".to_owned()
        }
    );
    assert_eq!(
        error_of(base().issuer("https://login.example.com/{tenant}/v2.0")),
        PolicyError::BadTemplate {
            issuer: "https://login.example.com/{tenant}/v2.0".to_owned()
        }
    );
    assert_eq!(
        error_of(base().tenants(["acme"])),
        PolicyError::TenantsWithoutTemplate
    );
    assert_eq!(
        error_of(base().token_from([])),
        PolicyError::Empty { key: "token_from" }
    );
    assert_eq!(
        error_of(base().token_from([
            TokenSource::header("X-Token"),
            TokenSource::header("x-token")
        ])),
        PolicyError::Duplicate {
            key: "token_from",
            value: "header(\"x-token\")".to_owned()
        }
    );
    for bad in [
        TokenSource::cookie("a session"),
        TokenSource::header(""),
        TokenSource::header("Authorization"),
        TokenSource::header("cookie"),
    ] {
        assert!(
            matches!(
                error_of(base().token_from([bad.clone()])),
                PolicyError::BadTokenSource { .. }
            ),
            "{bad}"
        );
    }
    assert_eq!(
        error_of(base().claim("realm_access..roles")),
        PolicyError::BadClaimName {
            name: "realm_access..roles".to_owned()
        }
    );
    assert!(matches!(
        error_of(Policy::builder().issuer("http://id.example.com/").audience("api")),
        PolicyError::Unfetchable { issuer, .. } if issuer == "http://id.example.com/"
    ));
    assert!(matches!(
        error_of(base().jwks_uri("keys.json")),
        PolicyError::Unfetchable { .. }
    ));
    // Google's issuer without a scheme is accepted beside the same issuer with `https://`.
    assert!(
        Policy::builder()
            .issuers(["https://accounts.google.com", "accounts.google.com"])
            .audience("api")
            .build()
            .is_ok()
    );
    assert!(matches!(
        error_of(
            Policy::builder()
                .issuer("accounts.google.com")
                .audience("api")
        ),
        PolicyError::Unfetchable { .. }
    ));
}

#[test]
fn builder_errors_say_what_to_write() {
    assert_eq!(
        PolicyError::NoIssuer.to_string(),
        "no issuer: add one, e.g. `.issuer(\"https://id.example.com/\")`"
    );
    assert!(
        PolicyError::TenantsWithoutTemplate
            .to_string()
            .contains("{tenantid}")
    );
}

// The same requirements, written as the attribute and with the builder.

#[protected(
    issuer = "https://builder.test/",
    audience = ["orders-api", "other-api"],
    scopes = ["orders:read"],
    claims(tenant = "acme", "realm_access.roles" = ["clerk"]),
    algorithms = ["RS256", "ES256"],
    leeway = 30,
    token_from = ["authorization", cookie("session"), header("X-Forwarded-Access-Token")]
)]
async fn with_the_macro(#[claims] claims: Claims) -> String {
    claims.sub.unwrap_or_default()
}

fn same_policy_with_the_builder() -> Policy {
    Policy::builder()
        .issuer("https://builder.test/")
        .audiences(["orders-api", "other-api"])
        .scopes(["orders:read"])
        .claim_equals("tenant", "acme")
        .claim_contains("realm_access.roles", ["clerk"])
        .algorithms([Alg::RS256, Alg::ES256])
        .leeway(Duration::from_secs(30))
        .token_from([
            TokenSource::Authorization,
            TokenSource::cookie("session"),
            TokenSource::header("x-forwarded-access-token"),
        ])
        .build()
        .expect("a valid policy")
}

#[test]
fn the_macro_policy_is_the_one_the_builder_makes() {
    use jwks_guard::__private::StaticPolicy;
    let from_macro = __with_the_macro_policy::cell()
        .policy()
        .expect("the attribute's policy resolves");
    assert_eq!(
        format!("{from_macro:?}"),
        format!("{:?}", same_policy_with_the_builder())
    );
}

#[tokio::test]
async fn the_macro_and_the_builder_answer_the_same_tokens_the_same_way() {
    LazyLock::force(&ISSUER);
    let base = serve(
        Router::new()
            .route("/macro", get(with_the_macro))
            .route("/builder", get(me))
            .with_state(same_policy_with_the_builder()),
    )
    .await;
    let good = || {
        token()
            .scope("orders:read")
            .claim("tenant", "acme")
            .claim("realm_access", serde_json::json!({"roles": ["clerk"]}))
    };
    let tokens = [
        good().sign(),
        good().alg(Alg::ES256).sign(),
        good().alg(Alg::EdDSA).sign(),
        good().audience("other-api").sign(),
        good().audience("third-api").sign(),
        good().claim("tenant", "globex").sign(),
        good().without_claim("realm_access").sign(),
        good().scope("orders:write").sign(),
        good().expires_at(now() - 10).sign(),
        good().expires_at(now() - 90).sign(),
        good().issuer("https://elsewhere.test/").sign(),
        good().foreign_key().sign(),
        "not-a-token".to_owned(),
    ];
    let seen = |reply: Reply| {
        (
            reply.status,
            reply.www_authenticate,
            reply.retry_after,
            reply.text,
        )
    };
    let mut statuses = Vec::new();
    for token in &tokens {
        let by_macro = seen(get_with_token(&format!("{base}/macro"), token).await);
        let by_builder = seen(get_with_token(&format!("{base}/builder"), token).await);
        assert_eq!(by_macro, by_builder, "token {token}");
        statuses.push(by_macro.0);
    }
    assert_eq!(
        statuses,
        [
            200, 200, 401, 200, 401, 403, 403, 403, 200, 401, 401, 401, 401
        ]
    );
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64)
}

/// The subject and the client key a DPoP-bound token was accepted with.
async fn me_and_key(Authenticated(claims): Authenticated<Claims>) -> String {
    let key = claims.dpop_jkt().unwrap_or("no key").to_owned();
    format!("{} with {key}", claims.sub.unwrap_or_default())
}

/// A router serving `GET /me` under `policy`; its base URL.
async fn serve_dpop(policy: Policy) -> String {
    serve(
        Router::new()
            .route("/me", get(me_and_key))
            .with_state(policy),
    )
    .await
}

fn dpop_policy(mode: jwks_guard::Dpop) -> Policy {
    LazyLock::force(&ISSUER);
    Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .dpop(mode)
        .build()
        .expect("a valid policy")
}

/// GET `url` with `Authorization: {scheme} {token}` and, when given, a `DPoP` proof.
async fn send_dpop(url: &str, scheme: &str, token: &str, proof: Option<&str>) -> Reply {
    let authorization = format!("{scheme} {token}");
    let mut headers = vec![("authorization", authorization.as_str())];
    headers.extend(proof.map(|proof| ("dpop", proof)));
    common::get(url, &headers).await
}

const ALGS: &str = r#"algs="ES256 ES384 PS256 RS256 EdDSA""#;

#[tokio::test]
async fn a_policy_requiring_dpop_accepts_only_bound_tokens_with_their_proofs() {
    let url = format!(
        "{}/me",
        serve_dpop(dpop_policy(jwks_guard::Dpop::Required)).await
    );
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = token().dpop_bound(&client).sign();
    let proof = client.proof("GET", &url).access_token(&bound).sign();
    let reply = send_dpop(&url, "DPoP", &bound, Some(&proof)).await;
    let accepted = format!("alice with {}", client.thumbprint());
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, accepted.as_str())
    );

    let required = "this resource requires a DPoP-bound token: send it as `Authorization: DPoP` with a DPoP proof";
    for (case, token) in [
        ("an unbound token", token().sign()),
        ("a bound token", bound),
    ] {
        let reply = send_dpop(&url, "Bearer", &token, None).await;
        let challenge =
            format!(r#"DPoP error="invalid_token", error_description="{required}", {ALGS}"#);
        assert_eq!(
            (reply.status, reply.challenges.clone()),
            (401, vec![challenge]),
            "{case} as Bearer: {reply:?}"
        );
    }
    let reply = common::get(&url, &[]).await;
    assert_eq!(
        (reply.status, reply.challenges.clone(), reply.error()),
        (401, vec![format!("DPoP {ALGS}")], "unauthorized".to_owned()),
        "no credentials: the DPoP challenge alone: {reply:?}"
    );
}

#[tokio::test]
async fn a_policy_disabling_dpop_ignores_cnf_and_refuses_the_dpop_scheme_as_unknown() {
    let url = format!(
        "{}/me",
        serve_dpop(dpop_policy(jwks_guard::Dpop::Disabled)).await
    );
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = token().dpop_bound(&client).sign();
    let reply = send_dpop(&url, "Bearer", &bound, None).await;
    let accepted = format!("alice with {}", client.thumbprint());
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (200, accepted.as_str())
    );
    let proof = client.proof("GET", &url).access_token(&bound).sign();
    let reply = send_dpop(&url, "DPoP", &bound, Some(&proof)).await;
    assert_eq!(
        (reply.status, reply.challenges.clone()),
        (401, vec!["Bearer".to_owned()]),
        "{reply:?}"
    );
}

#[tokio::test]
async fn policy_authorize_checks_a_proof_given_the_request_line_and_refuses_one_without() {
    use jwks_guard::credentials::WithRequestLine;

    let policy = dpop_policy(jwks_guard::Dpop::Allowed);
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = token().dpop_bound(&client).sign();
    let proof = client
        .proof("GET", "https://api.example.com/orders")
        .access_token(&bound)
        .sign();
    let authorization = format!("DPoP {bound}");
    let headers: &[(&str, &[u8])] = &[
        ("host", b"api.example.com"),
        ("authorization", authorization.as_bytes()),
        ("dpop", proof.as_bytes()),
    ];
    // The proof names https; the request came in over http behind a proxy.
    let request = WithRequestLine::new("GET", "/orders?page=2", headers);
    let refused = policy.authorize::<Claims>(&request).await.map(|c| c.sub);
    assert_eq!(
        refused.map_err(|r| r.description().to_owned()),
        Err("the DPoP proof's htu is not this request's URI (without query and fragment)".into())
    );
    let absolute = WithRequestLine::new("GET", "https://api.example.com/orders", headers);
    let claims = policy.authorize::<Claims>(&absolute).await.map(|c| c.sub);
    assert_eq!(claims.map_err(|r| r.to_string()), Ok(Some("alice".into())));

    let fresh = client
        .proof("GET", "https://api.example.com/orders")
        .access_token(&bound)
        .sign();
    let headers: &[(&str, &[u8])] = &[
        ("authorization", authorization.as_bytes()),
        ("dpop", fresh.as_bytes()),
    ];
    let refused = policy.authorize::<Claims>(headers).await.map(|c| c.sub);
    assert_eq!(
        refused.map_err(|r| (r.status(), r.error_code(), r.description().to_owned())),
        Err((
            401,
            "invalid_dpop_proof",
            "this server cannot check DPoP proofs on this route".to_owned()
        ))
    );
}

#[tokio::test]
async fn a_policy_not_reading_authorization_offers_bearer_alone_without_credentials() {
    LazyLock::force(&ISSUER);
    let policy = Policy::builder()
        .issuer(ISSUER_NAME)
        .audience("orders-api")
        .token_from([TokenSource::cookie("session")])
        .build()
        .expect("a valid policy");
    let url = format!("{}/me", serve_dpop(policy).await);
    let reply = common::get(&url, &[]).await;
    // A `DPoP` token comes in `Authorization`, which this policy never reads.
    assert_eq!(
        (reply.status, reply.challenges.clone()),
        (401, vec!["Bearer".to_owned()]),
        "{reply:?}"
    );
}
