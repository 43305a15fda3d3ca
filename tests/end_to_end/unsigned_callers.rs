//! What a caller without any signing key can learn of a policy: whether the token's issuer is
//! accepted, and nothing else. Forged tokens that differ only in what the policy keeps (the
//! audience, the tenant allow-list) get the same answer and cost the provider the same number
//! of key fetches; and a literal issuer is matched before an issuer template, whatever the order
//! they were given in.

use crate::common;

use axum::Router;
use axum::routing::get;
use jwks_guard::{Authenticated, Claims, Policy};
use jwks_guard_test::TestIssuer;

use common::{Reply, get_with_token, serve};

async fn me(Authenticated(claims): Authenticated<Claims>) -> String {
    claims.sub.unwrap_or_default()
}

/// Serves `policy` at `/`; returns that route's URL.
async fn serve_policy(policy: Policy) -> String {
    let base = serve(Router::new().route("/", get(me)).with_state(policy)).await;
    format!("{base}/")
}

/// The whole answer, as a caller sees it.
fn answer(reply: &Reply) -> (u16, Option<String>, String) {
    (
        reply.status,
        reply.www_authenticate.clone(),
        reply.text.clone(),
    )
}

/// Sends `token` and returns the answer and the key fetches it caused.
async fn probe(keys: &TestIssuer, url: &str, token: &str) -> ((u16, Option<String>, String), u64) {
    let before = keys.jwks_requests();
    let reply = get_with_token(url, token).await;
    (answer(&reply), keys.jwks_requests() - before)
}

#[tokio::test]
async fn forged_unknown_kid_tokens_differing_only_in_aud_are_answered_alike_with_the_same_fetches()
{
    const ISSUER: &str = "https://unsigned-aud.test/";
    let keys = TestIssuer::start().expect("test issuer");
    let policy = Policy::builder()
        .issuer(ISSUER)
        .audience("orders-api")
        .jwks_uri(keys.jwks_url())
        .build()
        .expect("a valid policy");
    let url = serve_policy(policy).await;
    let token = || keys.token().issuer(ISSUER).subject("alice");
    // The keys are held before the forged tokens come.
    let reply = get_with_token(&url, &token().audience("orders-api").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));

    let forged = |aud: &str| {
        token()
            .audience(aud)
            .kid("a-key-nobody-published")
            .foreign_key()
            .sign()
    };
    let (right, right_fetches) = probe(&keys, &url, &forged("orders-api")).await;
    let (wrong, wrong_fetches) = probe(&keys, &url, &forged("another-api")).await;
    assert_eq!(right.0, 401, "{right:?}");
    assert!(right.2.contains("unknown signing key"), "{right:?}");
    assert_eq!(right, wrong, "the audience shows through the answer");
    assert_eq!(
        (right_fetches, wrong_fetches),
        (1, 1),
        "both tokens may spend the refresh budget (a burst of 2), or the audience shows through \
         the time taken"
    );
}

#[tokio::test]
async fn a_forged_token_of_an_unlisted_tenant_is_answered_as_one_of_a_listed_tenant() {
    const TEMPLATE: &str = "https://unsigned-tenant.test/{tenantid}/";
    let keys = TestIssuer::start().expect("test issuer");
    let policy = Policy::builder()
        .issuer(TEMPLATE)
        .tenants(["listed"])
        .audience("orders-api")
        .jwks_uri(keys.jwks_url())
        .build()
        .expect("a valid policy");
    let url = serve_policy(policy).await;
    let token = |tenant: &str| {
        keys.token()
            .issuer(TEMPLATE.replace("{tenantid}", tenant))
            .claim("tid", tenant)
            .audience("orders-api")
            .subject("alice")
    };
    let reply = get_with_token(&url, &token("listed").sign()).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "alice"));

    let forged = |tenant: &str| {
        token(tenant)
            .kid("a-key-nobody-published")
            .foreign_key()
            .sign()
    };
    let (listed, listed_fetches) = probe(&keys, &url, &forged("listed")).await;
    let (unlisted, unlisted_fetches) = probe(&keys, &url, &forged("unlisted")).await;
    assert_eq!(listed.0, 401, "{listed:?}");
    assert_eq!(
        listed, unlisted,
        "the tenant allow-list shows through the answer"
    );
    assert_eq!((listed_fetches, unlisted_fetches), (1, 1));

    // Signed by the issuer's keys, the unlisted tenant is refused as before.
    let reply = get_with_token(&url, &token("unlisted").sign()).await;
    assert_eq!(
        (reply.status, reply.description().as_str()),
        (401, "tenant not allowed"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_literal_issuer_wins_over_a_template_whatever_the_order() {
    const TEMPLATE: &str = "https://issuer-order.test/{tenantid}/";
    const LITERAL: &str = "https://issuer-order.test/partner/";
    let keys = TestIssuer::start().expect("test issuer");
    let policy = |issuers: [&str; 2]| {
        Policy::builder()
            .issuer(issuers[0])
            .issuer(issuers[1])
            .tenants(["home"])
            .audience("orders-api")
            .jwks_uri(keys.jwks_url())
            .build()
            .expect("a valid policy")
    };
    // A token of the literal issuer whose `tid` also fills the template to its `iss`.
    let literal = keys
        .token()
        .issuer(LITERAL)
        .claim("tid", "partner")
        .audience("orders-api")
        .subject("partner-app")
        .sign();
    let tenant = |tid: &str| {
        keys.token()
            .issuer(TEMPLATE.replace("{tenantid}", tid))
            .claim("tid", tid)
            .audience("orders-api")
            .subject(tid)
            .sign()
    };
    for order in [[TEMPLATE, LITERAL], [LITERAL, TEMPLATE]] {
        let url = serve_policy(policy(order)).await;
        let reply = get_with_token(&url, &literal).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "partner-app"),
            "{order:?}: {reply:?}"
        );
        // The template still serves its listed tenant, and still refuses another.
        let reply = get_with_token(&url, &tenant("home")).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (200, "home"),
            "{order:?}"
        );
        let reply = get_with_token(&url, &tenant("stranger")).await;
        assert_eq!(
            (reply.status, reply.description().as_str()),
            (401, "tenant not allowed"),
            "{order:?}: {reply:?}"
        );
    }
}
