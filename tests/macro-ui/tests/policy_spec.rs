//! The policy each attribute generates, read back from the handler's policy type: every key
//! lands in its field, and absent keys are left to the runtime's defaults (the expansion calls
//! `PolicySpec::new` and one method per key written, so no default is restated here).
#![allow(
    dead_code,
    reason = "the handlers are never routed: only their policy types are read"
)]

use jwks_guard::__private::{
    Alg, ClaimSpec, Dpop, Expect, PolicySpec, Scalar, Setting, StaticPolicy, Values,
};
use jwks_guard::{Claims, protected};

fn spec<P: StaticPolicy>() -> PolicySpec {
    *P::cell().spec()
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api")]
async fn minimal() {}

#[test]
fn absent_keys_take_the_runtime_defaults() {
    let expected = PolicySpec::new(Values::List(&["https://id.example.com/"]))
        .audience(Values::List(&["orders-api"]));
    assert_eq!(spec::<__minimal_policy>(), expected);
}

#[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), jwks_uri = env("JWKS"))]
async fn from_the_environment(#[claims] _claims: Claims) {}

#[test]
fn env_settings_name_their_variables() {
    let spec = spec::<__from_the_environment_policy>();
    assert_eq!(spec.issuer, Values::Env("OIDC_ISSUER"));
    assert_eq!(spec.audience, Some(Values::Env("OIDC_AUDIENCE")));
    assert_eq!(spec.jwks_uri, Some(Setting::Env("JWKS")));
}

#[protected(
    issuer = "https://id.example.com/realms/main",
    audience = ["admin-api", "ops-api"],
    jwks_uri = "https://id.example.com/keys",
    scopes = ["tenants:delete", "admin"],
    claims(
        tenant,
        "https://example.com/org",
        email_verified = true,
        plan = "pro",
        level = -1,
        min = -9223372036854775808,
        "realm_access.roles" = ["admin", "auditor"],
        mixed = ["a", 1, false],
        r#type = "staff",
    ),
    algorithms = ["RS256", "ES256", "EdDSA"],
    leeway = 0,
    typ = "at+jwt",
    dpop = "required",
)]
async fn every_key() {}

#[test]
fn every_key_lands_in_its_field() {
    let expected = PolicySpec::new(Values::List(&["https://id.example.com/realms/main"]))
        .audience(Values::List(&["admin-api", "ops-api"]))
        .jwks_uri(Setting::Literal("https://id.example.com/keys"))
        .scopes(&["tenants:delete", "admin"])
        .claims(&[
            ClaimSpec {
                name: "tenant",
                expect: Expect::Present,
            },
            ClaimSpec {
                name: "https://example.com/org",
                expect: Expect::Present,
            },
            ClaimSpec {
                name: "email_verified",
                expect: Expect::Equals(Scalar::Bool(true)),
            },
            ClaimSpec {
                name: "plan",
                expect: Expect::Equals(Scalar::Str("pro")),
            },
            ClaimSpec {
                name: "level",
                expect: Expect::Equals(Scalar::Int(-1)),
            },
            ClaimSpec {
                name: "min",
                expect: Expect::Equals(Scalar::Int(i64::MIN)),
            },
            ClaimSpec {
                name: "realm_access.roles",
                expect: Expect::ContainsAll(&[Scalar::Str("admin"), Scalar::Str("auditor")]),
            },
            ClaimSpec {
                name: "mixed",
                expect: Expect::ContainsAll(&[
                    Scalar::Str("a"),
                    Scalar::Int(1),
                    Scalar::Bool(false),
                ]),
            },
            ClaimSpec {
                name: "type",
                expect: Expect::Equals(Scalar::Str("staff")),
            },
        ])
        .algorithms(&[Alg::RS256, Alg::ES256, Alg::EdDSA])
        .leeway(0)
        .typ("at+jwt")
        .dpop(Dpop::Required);
    let spec = spec::<__every_key_policy>();
    assert_eq!(spec, expected);
    // Each method sets its own field.
    assert_eq!(spec.audience, Some(Values::List(&["admin-api", "ops-api"])));
    assert_eq!(
        spec.jwks_uri,
        Some(Setting::Literal("https://id.example.com/keys"))
    );
    assert_eq!(spec.scopes, ["tenants:delete", "admin"]);
    assert_eq!(spec.claims.len(), 9);
    assert_eq!(
        spec.algorithms,
        Some(&[Alg::RS256, Alg::ES256, Alg::EdDSA][..])
    );
    assert_eq!((spec.leeway, spec.typ), (0, Some("at+jwt")));
    assert_eq!(spec.dpop, Dpop::Required);
}

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    dpop = "allowed"
)]
async fn dpop_allowed() {}

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    dpop = "required"
)]
async fn dpop_required() {}

#[protected(
    issuer = "https://id.example.com/",
    audience = "orders-api",
    dpop = "disabled"
)]
async fn dpop_disabled() {}

#[test]
fn each_dpop_mode_lands_in_its_field_and_its_absence_is_allowed() {
    assert_eq!(
        [
            spec::<__minimal_policy>().dpop,
            spec::<__dpop_allowed_policy>().dpop,
            spec::<__dpop_required_policy>().dpop,
            spec::<__dpop_disabled_policy>().dpop,
        ],
        [Dpop::Allowed, Dpop::Allowed, Dpop::Required, Dpop::Disabled]
    );
}

#[protected(issuer = "https://id.example.com/", audience = "orders-api", algorithms = [
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
])]
async fn every_algorithm() {}

/// Every algorithm the runtime supports can be written (the macro knows their names for its
/// messages; each name is expanded to the runtime's variant of that name).
#[test]
fn every_algorithm_name_maps_to_its_variant() {
    assert_eq!(
        spec::<__every_algorithm_policy>().algorithms,
        Some(Alg::ALL)
    );
}

#[protected(
    issuer = ["https://accounts.google.com", "accounts.google.com"],
    client_id = "app.apps.googleusercontent.com"
)]
async fn google() {}

#[protected(
    issuer = "https://login.microsoftonline.com/{tenantid}/v2.0",
    audience = "api://orders",
    tenants = env("TENANTS")
)]
async fn entra() {}

#[test]
fn issuer_lists_templates_tenants_and_client_ids_land_in_their_fields() {
    let google = spec::<__google_policy>();
    assert_eq!(
        (google.issuer, google.audience, google.client_id),
        (
            Values::List(&["https://accounts.google.com", "accounts.google.com"]),
            None,
            Some(Values::List(&["app.apps.googleusercontent.com"]))
        )
    );
    let entra = spec::<__entra_policy>();
    assert_eq!(
        (entra.issuer, entra.tenants),
        (
            Values::List(&["https://login.microsoftonline.com/{tenantid}/v2.0"]),
            Some(Values::Env("TENANTS"))
        )
    );
}
