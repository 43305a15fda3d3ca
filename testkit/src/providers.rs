//! Provider presets: [`Provider`], and for each the issuer string, the discovery document and the
//! access token shape a [`TestIssuer`](super::TestIssuer) takes on with
//! [`TestIssuer::like`](super::TestIssuer::like).

use serde_json::{Map, Value, json};

use super::keys::{KeyKind, published_alg};

/// The tenant GUID of the Entra ID presets, as a literal for `concat!`.
macro_rules! entra_tenant {
    () => {
        "aaaabbbb-0000-cccc-1111-dddd2222eeee"
    };
}

/// The Entra ID tenant that [`Provider::EntraV1`] and [`Provider::EntraV2`] stand for: the `tid`
/// of their tokens and the tenant in their issuers (the placeholder GUID of Microsoft's own
/// documentation). [`TestIssuer::tenant_id`](super::TestIssuer::tenant_id) returns it too.
pub const ENTRA_TENANT_ID: &str = entra_tenant!();

/// The application (client) id of the API that Entra ID tokens are for: `aud` of the
/// [`EntraV2`](Provider::EntraV2) preset, and in `api://…` of [`EntraV1`](Provider::EntraV1).
const ENTRA_API_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
/// The application (client) id of the app that asked for the token: `azp` (v2), `appid` (v1).
const ENTRA_CLIENT_ID: &str = "11112222-bbbb-3333-cccc-4444dddd5555";
/// Microsoft's documented (and only) issuer templates, `{tenantid}` filled from `tid`.
const ENTRA_V2_TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
const ENTRA_V1_TEMPLATE: &str = "https://sts.windows.net/{tenantid}/";
const TENANT_PLACEHOLDER: &str = "{tenantid}";
const MICROSOFT_LOGIN: &str = "https://login.microsoftonline.com";

/// An OpenID provider whose tokens and discovery document a [`TestIssuer`](super::TestIssuer)
/// imitates: see [`TestIssuer::like`](super::TestIssuer::like).
///
/// A preset impersonates the provider's issuer string exactly as the provider writes `iss`
/// (an example tenant, pool or realm), serves a discovery document with the members that
/// provider publishes, and makes [`TestIssuer::token`](super::TestIssuer::token) start from
/// the provider's **access token**: its claim names, its JSON types (`scope` as a string or an
/// array, `aud` as a string or an array, `ver` as a string or a number …) and its header
/// (`typ: "JWT"` or none). Every default can be replaced or removed with the
/// [`TokenBuilder`](super::TokenBuilder) methods (`audience`, `claim`, `without_claim`,
/// `scopes`, `scp` …). `iat` is now and `exp` an hour later for every preset but Zuplo.
///
/// Each variant shows the attribute a user of that provider writes; the presets are made so
/// that attribute accepts their default token (for Keycloak, once the audience is added).
///
/// The issuer strings are fixed, so two live issuers of the same preset compete for them like
/// any two impersonations of one issuer (the newest wins): tests that use the same preset
/// should share one issuer (a `static`) or run one at a time. Another issuer string with a
/// provider's shape: [`TestIssuerBuilder::like`](super::TestIssuerBuilder::like) with
/// [`impersonate`](super::TestIssuerBuilder::impersonate).
///
/// A multi-tenant Entra ID handler, tested against the tokens Entra ID sends (the attribute
/// discovers its keys at Microsoft's common endpoint, which the preset impersonates):
///
/// ```
/// use axum::{Router, routing::get};
/// use jwks_guard_test::{ENTRA_TENANT_ID, Provider, TestIssuer};
/// use jwks_guard::{Claims, protected};
///
/// #[protected(
///     issuer = "https://login.microsoftonline.com/{tenantid}/v2.0",
///     tenants = ["aaaabbbb-0000-cccc-1111-dddd2222eeee"],
///     audience = "00001111-aaaa-2222-bbbb-3333cccc4444",
///     scopes = ["Orders.Read"],
/// )]
/// async fn list_orders(#[claims] claims: Claims) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// // In your test suite, under `#[tokio::test]`:
/// async fn orders_take_tokens_of_the_listed_tenants() -> Result<(), Box<dyn std::error::Error>> {
///     let entra = TestIssuer::like(Provider::EntraV2)?;
///
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
///     let orders = format!("http://{}/orders", listener.local_addr()?);
///     let app = Router::new().route("/orders", get(list_orders));
///     tokio::spawn(async move { axum::serve(listener, app).await });
///     let client = reqwest::Client::new();
///
///     let token = entra.token().sign();
///     let response = client.get(&orders).bearer_auth(token).send().await?;
///     assert_eq!(response.status(), 200);
///
///     // Another tenant, not on the list.
///     let stranger = entra.token().tenant("bbbbcccc-1111-dddd-2222-eeee3333ffff").sign();
///     let response = client.get(&orders).bearer_auth(stranger).send().await?;
///     assert_eq!(response.status(), 401);
///
///     // A v1.0 token of the same tenant.
///     let v1 = entra
///         .token()
///         .issuer(format!("https://sts.windows.net/{ENTRA_TENANT_ID}/"))
///         .claim("ver", "1.0")
///         .sign();
///     let response = client.get(&orders).bearer_auth(v1).send().await?;
///     assert_eq!(response.status(), 401);
///     Ok(())
/// }
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// #     tokio::runtime::Builder::new_current_thread().enable_all().build()?
/// #         .block_on(orders_take_tokens_of_the_listed_tenants())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// Amazon Cognito user pool `eu-west-1_Example`.
    ///
    /// Issuer: `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example` (no trailing
    /// slash); keys at `{issuer}/.well-known/jwks.json`; the hosted UI endpoints on
    /// `example.auth.eu-west-1.amazoncognito.com`, as Cognito announces them.
    ///
    /// Access token: **no `aud`**, `client_id: "1example23456789"`, `token_use: "access"`,
    /// `scope: "aws.cognito.signin.user.admin orders/read"` (a string), `username: "alice"`,
    /// `sub` (a UUID), `cognito:groups: ["admin"]`, `auth_time`, `version: 2` (a number),
    /// `jti`, `origin_jti`, `event_id`; header without `typ`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
    ///     client_id = "1example23456789",
    ///     claims(token_use = "access"),
    /// )]
    /// async fn list_orders() -> &'static str { "orders" }
    /// ```
    /// `claims(token_use = "access")` keeps Cognito ID tokens (`token_use: "id"`, `aud` = the
    /// client id, no `client_id`) out; roles are in `"cognito:groups"`.
    Cognito,
    /// Microsoft Entra ID (Azure AD) **v1.0** access tokens, tenant [`ENTRA_TENANT_ID`].
    ///
    /// Issuer: `https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/` (trailing
    /// slash). Discovery answers at the issuer with that issuer, and, as for a multi-tenant
    /// app, at the common endpoint `https://login.microsoftonline.com/common/` with the
    /// literal template `https://sts.windows.net/{tenantid}/` as `issuer`. The keys are where
    /// Microsoft serves them,
    /// `https://login.microsoftonline.com/{tenant or common}/discovery/keys`, impersonated too.
    ///
    /// Access token: `aud: "api://00001111-aaaa-2222-bbbb-3333cccc4444"` (the App ID URI),
    /// `tid`, `ver: "1.0"` (a string), `appid`, `appidacr`, `scp: "Orders.Read"` (a
    /// space-separated string), `oid`, `upn`, `unique_name`, `name`, `amr: ["pwd"]`, `nbf`;
    /// header `typ: "JWT"`. [`TokenBuilder::tenant`](super::TokenBuilder::tenant) mints one
    /// for another tenant.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// // One tenant:
    /// #[protected(
    ///     issuer = "https://sts.windows.net/aaaabbbb-0000-cccc-1111-dddd2222eeee/",
    ///     audience = "api://00001111-aaaa-2222-bbbb-3333cccc4444",
    ///     scopes = ["Orders.Read"],
    /// )]
    /// # async fn handler_1() {}
    /// // Multi-tenant:
    /// #[protected(
    ///     issuer = "https://sts.windows.net/{tenantid}/",
    ///     tenants = ["aaaabbbb-0000-cccc-1111-dddd2222eeee"],
    ///     audience = "api://00001111-aaaa-2222-bbbb-3333cccc4444",
    /// )]
    /// # async fn handler_2() {}
    /// ```
    EntraV1,
    /// Microsoft Entra ID (Azure AD) **v2.0** access tokens, tenant [`ENTRA_TENANT_ID`].
    ///
    /// Issuer: `https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0`.
    /// Discovery answers at the issuer with that issuer, and, as for a multi-tenant app, at
    /// the common endpoint `https://login.microsoftonline.com/common/v2.0/` with the literal
    /// template `https://login.microsoftonline.com/{tenantid}/v2.0` as `issuer`. The keys are
    /// where Microsoft serves them,
    /// `https://login.microsoftonline.com/{tenant or common}/discovery/v2.0/keys`, impersonated
    /// too.
    ///
    /// Access token: `aud: "00001111-aaaa-2222-bbbb-3333cccc4444"` (the API's client id; v2
    /// tokens carry the GUID even when the App ID URI was asked for), `tid`, `ver: "2.0"` (a
    /// string), `scp: "Orders.Read"` (a space-separated string), `oid`, `azp`, `azpacr`,
    /// `preferred_username`, `name`, `uti`, `nbf`, `sub` (pairwise, opaque); header
    /// `typ: "JWT"`. Application (client credentials) tokens carry `roles` instead of `scp`:
    /// `.without_claim("scp").claim("roles", json!(["Orders.Read.All"]))`.
    /// [`TokenBuilder::tenant`](super::TokenBuilder::tenant) mints one for another tenant.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// // One tenant:
    /// #[protected(
    ///     issuer = "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0",
    ///     audience = "00001111-aaaa-2222-bbbb-3333cccc4444",
    ///     scopes = ["Orders.Read"],
    /// )]
    /// # async fn handler_3() {}
    /// // Multi-tenant, keys from the common discovery document:
    /// #[protected(
    ///     issuer = "https://login.microsoftonline.com/{tenantid}/v2.0",
    ///     tenants = ["aaaabbbb-0000-cccc-1111-dddd2222eeee"],
    ///     audience = "00001111-aaaa-2222-bbbb-3333cccc4444",
    ///     scopes = ["Orders.Read"],
    /// )]
    /// # async fn handler_4() {}
    /// ```
    EntraV2,
    /// Auth0 tenant `example` in the EU region.
    ///
    /// Issuer: `https://example.eu.auth0.com/` (**with** the trailing slash); keys at
    /// `{issuer}.well-known/jwks.json`.
    ///
    /// Access token (an API token asked for with `openid`): `aud` an **array**,
    /// `["https://api.example.com", "https://example.eu.auth0.com/userinfo"]`, `azp` (the
    /// client id), `scope: "openid profile email read:orders"` (a string),
    /// `permissions: ["read:orders"]` (an array, with RBAC on), `sub: "auth0|…"`; header
    /// `typ: "JWT"`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://example.eu.auth0.com/",
    ///     audience = "https://api.example.com",
    ///     scopes = ["read:orders"],
    /// )]
    /// # async fn handler_5() {}
    /// ```
    /// Roles added by an Action are namespaced: `claims("https://example.com/roles" = ["admin"])`.
    Auth0,
    /// Okta, the `default` custom authorization server of `example.okta.com`.
    ///
    /// Issuer: `https://example.okta.com/oauth2/default` (no trailing slash); keys at
    /// `{issuer}/v1/keys`.
    ///
    /// Access token: `aud: "api://default"`, `cid` (the client id), `uid` (the user id),
    /// `scp: ["openid", "profile", "orders:read"]` (an **array**), `ver: 1` (a number),
    /// `jti: "AT.…"`, `auth_time`, `sub: "alice@example.com"` (the login); header without
    /// `typ`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://example.okta.com/oauth2/default",
    ///     audience = "api://default",
    ///     scopes = ["orders:read"],
    /// )]
    /// # async fn handler_6() {}
    /// ```
    /// Groups need a `groups` claim configured on the authorization server:
    /// `claims(groups = ["admins"])`.
    Okta,
    /// Keycloak realm `shop`, published under `https://login.example.com`.
    ///
    /// Issuer: `https://login.example.com/realms/shop`; keys at
    /// `{issuer}/protocol/openid-connect/certs`.
    ///
    /// Access token: `aud: "account"` (Keycloak's default, the account console: not your
    /// API), `azp: "shop-frontend"`, `typ: "Bearer"` (a claim), `realm_access: {roles: [...]}`,
    /// `resource_access: {account: {roles: [...]}}`, `scope: "openid email profile"` (a
    /// string), `preferred_username`, `sid`, `jti`, `acr`, `allowed-origins`, `email`,
    /// `email_verified: true`; header `typ: "JWT"`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://login.example.com/realms/shop",
    ///     audience = "orders-api",
    ///     claims("realm_access.roles" = ["orders-reader"]),
    /// )]
    /// # async fn handler_7() {}
    /// ```
    /// With an audience mapper adding `orders-api`, Keycloak sends
    /// `.audiences(["orders-api", "account"])`; the default `aud: "account"` alone must be
    /// refused by such a handler. Behind Docker the issuer stays the public one and keys are
    /// fetched elsewhere ([`Settings::fetch_from`](jwks_guard::Settings::fetch_from)).
    Keycloak,
    /// Spring Authorization Server at `https://auth.example.com`.
    ///
    /// Issuer: `https://auth.example.com` (no trailing slash); keys at `{issuer}/oauth2/jwks`.
    ///
    /// Access token: `aud: "orders-client"` (the client id, a string),
    /// `scope: ["openid", "orders.read"]` (a JSON **array**), `nbf`, `jti`, `sub: "alice"`;
    /// header without `typ`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://auth.example.com",
    ///     audience = "orders-client",
    ///     scopes = ["orders.read"],
    /// )]
    /// # async fn handler_8() {}
    /// ```
    Spring,
    /// Google: Google's access tokens are opaque, so what an API verifies is a Google **ID
    /// token** (Sign-In, or a service's identity token), and that is what this preset mints.
    ///
    /// Issuer: `https://accounts.google.com`. Google's keys live on another host
    /// (`https://www.googleapis.com/oauth2/v3/certs`); the preset announces and serves them
    /// under the issuer instead, at `https://accounts.google.com/oauth2/v3/certs`, so that
    /// only the issuer is impersonated.
    ///
    /// Token: `aud` and `azp` a `….apps.googleusercontent.com` client id, `sub` (digits),
    /// `email`, `email_verified: true` (a bool), `at_hash`, `name`, `given_name`,
    /// `family_name`, `picture`; header `typ: "JWT"`. Google also writes `iss` without the
    /// scheme: `.issuer("accounts.google.com")`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = ["https://accounts.google.com", "accounts.google.com"],
    ///     audience = "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
    ///     claims(email_verified = true),
    /// )]
    /// # async fn handler_9() {}
    /// ```
    Google,
    /// Zuplo Identity Token: the token a Zuplo API gateway sends to your backend
    /// (`ZuploServices.getIDToken(context, { audience })`).
    ///
    /// Issuer: `https://dev.zuplo.com/v1/client-auth/auth_o8PUdhKxSTOiB794GWPwLQCD`, the same
    /// for every Zuplo customer (Zuplo's documentation); keys at
    /// `{issuer}/.well-known/jwks.json`. Zuplo does not document its discovery document: the
    /// preset serves a minimal one (`issuer`, `jwks_uri`, the supported subject types,
    /// response types and signing algorithms).
    ///
    /// Token: `aud: "https://my-api.example.com"` (the audience asked for), `sub:
    /// "atcl_…"` (the deployment's OAuth client), `account`, `project`, `deployment`,
    /// `environment_type: "production"`, valid for 10 hours; RS256, header `typ: "JWT"`.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://dev.zuplo.com/v1/client-auth/auth_o8PUdhKxSTOiB794GWPwLQCD",
    ///     audience = "https://my-api.example.com",
    ///     claims(account = "my-account", project = "my-project"),
    /// )]
    /// # async fn handler_10() {}
    /// ```
    /// Every Zuplo customer shares the issuer: check `account` and `project`. (Zuplo's JWT
    /// Service Plugin is another issuer, `https://{deployment}.zuplo.com/__zuplo/issuer`,
    /// EdDSA: `TestIssuer::builder().like(Provider::Zuplo).impersonate(...)` and
    /// `.alg(Alg::EdDSA)`.)
    Zuplo,
    /// AuthAction tenant `example` in the EU region.
    ///
    /// Issuer: `https://example.eu.authaction.com/` (with the trailing slash, as AuthAction's
    /// endpoint reference and its Node examples write it); keys at
    /// `{issuer}.well-known/jwks.json`; OAuth endpoints under `{issuer}oauth2/`.
    ///
    /// Access token: `aud: "https://api.example.com"` (the API server's identifier, a
    /// string), `scope: "read:orders"` (a string), `sub: "…@clients"` (a client credentials
    /// token, the form AuthAction's examples show); RS256, header `typ: "JWT"`. AuthAction
    /// does not document more claims; the preset has no others.
    ///
    /// ```
    /// # use jwks_guard::protected;
    /// #[protected(
    ///     issuer = "https://example.eu.authaction.com/",
    ///     audience = "https://api.example.com",
    ///     scopes = ["read:orders"],
    /// )]
    /// # async fn handler_11() {}
    /// ```
    AuthAction,
}

/// What a [`TestIssuer`](super::TestIssuer) serves, resolved at start from its provider (if
/// any) and its issuer string.
pub(crate) struct Layout {
    /// The discovery document at `/.well-known/openid-configuration`.
    pub(crate) discovery: Value,
    /// The common (multi-tenant) discovery document at
    /// `/common/.well-known/openid-configuration`: Entra ID presets only.
    pub(crate) common_discovery: Option<Value>,
    /// Local JWKS paths beyond `/jwks`, `/.well-known/jwks.json` and `/keys`.
    pub(crate) jwks_paths: &'static [&'static str],
    /// More impersonations while impersonating: each URL prefix and the local path it maps to.
    pub(crate) aliases: Vec<(String, &'static str)>,
    /// The Entra ID tenant (`tid`), filled into the issuer template.
    pub(crate) tenant: Option<String>,
}

impl Layout {
    /// No provider: the few usual members, the JWKS at `jwks_uri` or `{issuer}/jwks`, and the
    /// algorithms of the kinds of key the issuer holds.
    pub(crate) fn generic(issuer: &str, jwks_uri: Option<&str>, kinds: &[KeyKind]) -> Layout {
        let base = with_one_slash(issuer);
        let jwks_uri = jwks_uri.map_or_else(|| format!("{base}jwks"), str::to_owned);
        let algs: Vec<&str> = kinds
            .iter()
            .map(|&kind| published_alg(kind).name())
            .collect();
        Layout {
            discovery: json!({
                "issuer": issuer,
                "jwks_uri": jwks_uri,
                "authorization_endpoint": format!("{base}authorize"),
                "token_endpoint": format!("{base}token"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": algs,
            }),
            common_discovery: None,
            jwks_paths: &[],
            aliases: Vec::new(),
            tenant: None,
        }
    }
}

impl Provider {
    /// Every preset, in declaration order.
    #[cfg(test)]
    pub(crate) const ALL: [Provider; 10] = [
        Provider::Cognito,
        Provider::EntraV1,
        Provider::EntraV2,
        Provider::Auth0,
        Provider::Okta,
        Provider::Keycloak,
        Provider::Spring,
        Provider::Google,
        Provider::Zuplo,
        Provider::AuthAction,
    ];

    /// The issuer string the preset impersonates, exactly as the provider writes `iss`.
    pub fn issuer(self) -> &'static str {
        match self {
            Provider::Cognito => "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example",
            Provider::EntraV1 => concat!("https://sts.windows.net/", entra_tenant!(), "/"),
            Provider::EntraV2 => {
                concat!(
                    "https://login.microsoftonline.com/",
                    entra_tenant!(),
                    "/v2.0"
                )
            }
            Provider::Auth0 => "https://example.eu.auth0.com/",
            Provider::Okta => "https://example.okta.com/oauth2/default",
            Provider::Keycloak => "https://login.example.com/realms/shop",
            Provider::Spring => "https://auth.example.com",
            Provider::Google => "https://accounts.google.com",
            Provider::Zuplo => "https://dev.zuplo.com/v1/client-auth/auth_o8PUdhKxSTOiB794GWPwLQCD",
            Provider::AuthAction => "https://example.eu.authaction.com/",
        }
    }

    /// The issuer template whose `{tenantid}` the token's `tid` fills: Entra ID only.
    pub(crate) fn issuer_template(self) -> Option<&'static str> {
        match self {
            Provider::EntraV1 => Some(ENTRA_V1_TEMPLATE),
            Provider::EntraV2 => Some(ENTRA_V2_TEMPLATE),
            _ => None,
        }
    }

    /// The `typ` header of the provider's access tokens.
    pub(crate) fn typ(self) -> Option<&'static str> {
        match self {
            Provider::Cognito | Provider::Okta | Provider::Spring => None,
            _ => Some("JWT"),
        }
    }

    /// What an issuer named `issuer` (the preset's, or another one given with it) serves;
    /// `jwks_uri` replaces the announced key location.
    pub(crate) fn layout(self, issuer: &str, jwks_uri: Option<&str>) -> Layout {
        let base = with_one_slash(issuer);
        let jwks = |path: &str| jwks_uri.map_or_else(|| format!("{base}{path}"), str::to_owned);
        let (discovery, jwks_paths): (Value, &'static [&'static str]) = match self {
            Provider::EntraV1 | Provider::EntraV2 => return self.entra(issuer, jwks_uri),
            Provider::Cognito => (cognito(issuer, &jwks(".well-known/jwks.json")), &[]),
            Provider::Auth0 => (auth0(issuer, &base, &jwks(".well-known/jwks.json")), &[]),
            Provider::Okta => (okta(issuer, &base, &jwks("v1/keys")), &["/v1/keys"]),
            Provider::Keycloak => (
                keycloak(issuer, &base, &jwks("protocol/openid-connect/certs")),
                &["/protocol/openid-connect/certs"],
            ),
            Provider::Spring => (
                spring(issuer, &base, &jwks("oauth2/jwks")),
                &["/oauth2/jwks"],
            ),
            Provider::Google => (
                google(issuer, &jwks("oauth2/v3/certs")),
                &["/oauth2/v3/certs"],
            ),
            Provider::Zuplo => (minimal(issuer, &jwks(".well-known/jwks.json")), &[]),
            Provider::AuthAction => (
                authaction(issuer, &base, &jwks(".well-known/jwks.json")),
                &[],
            ),
        };
        Layout {
            discovery,
            common_discovery: None,
            jwks_paths,
            aliases: Vec::new(),
            tenant: None,
        }
    }

    /// Entra ID: the tenant's document, the common one, and Microsoft's key locations.
    fn entra(self, issuer: &str, jwks_uri: Option<&str>) -> Layout {
        let v2 = self == Provider::EntraV2;
        let template = if v2 {
            ENTRA_V2_TEMPLATE
        } else {
            ENTRA_V1_TEMPLATE
        };
        let tenant = tenant_in(template, issuer).unwrap_or(ENTRA_TENANT_ID);
        let keys = if v2 { "discovery/v2.0" } else { "discovery" };
        let key_url = |segment: &str| {
            jwks_uri.map_or_else(
                || format!("{MICROSOFT_LOGIN}/{segment}/{keys}/keys"),
                str::to_owned,
            )
        };
        let common = if v2 { "common/v2.0" } else { "common" };
        Layout {
            discovery: entra_discovery(v2, tenant, issuer, &key_url(tenant)),
            common_discovery: Some(entra_discovery(v2, "common", template, &key_url("common"))),
            jwks_paths: &[],
            aliases: vec![
                (format!("{MICROSOFT_LOGIN}/{tenant}/{keys}"), ""),
                (format!("{MICROSOFT_LOGIN}/{common}"), "/common"),
                (format!("{MICROSOFT_LOGIN}/common/{keys}"), ""),
            ],
            tenant: Some(tenant.to_owned()),
        }
    }

    /// The provider's access token claims, but `iss` and `iat` (and `exp`, but for Zuplo's
    /// ten hours).
    pub(crate) fn claims(self, issuer: &str, tenant: Option<&str>, now: i64) -> Map<String, Value> {
        let tenant = tenant.unwrap_or(ENTRA_TENANT_ID);
        let claims = match self {
            Provider::Cognito => json!({
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "cognito:groups": ["admin"],
                "version": 2,
                "client_id": "1example23456789",
                "origin_jti": random_uuid(),
                "event_id": random_uuid(),
                "token_use": "access",
                "scope": "aws.cognito.signin.user.admin orders/read",
                "auth_time": now,
                "jti": random_uuid(),
                "username": "alice",
            }),
            Provider::EntraV1 => json!({
                "aud": format!("api://{ENTRA_API_ID}"),
                "nbf": now,
                "acr": "1",
                "amr": ["pwd"],
                "appid": ENTRA_CLIENT_ID,
                "appidacr": "0",
                "family_name": "Example",
                "given_name": "Alice",
                "name": "Alice Example",
                "oid": "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb",
                "scp": "Orders.Read",
                "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
                "tid": tenant,
                "unique_name": "alice@example.com",
                "upn": "alice@example.com",
                "uti": random_base64url(16),
                "ver": "1.0",
            }),
            Provider::EntraV2 => json!({
                "aud": ENTRA_API_ID,
                "nbf": now,
                "azp": ENTRA_CLIENT_ID,
                "azpacr": "0",
                "name": "Alice Example",
                "oid": "aaaaaaaa-0000-1111-2222-bbbbbbbbbbbb",
                "preferred_username": "alice@example.com",
                "scp": "Orders.Read",
                "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
                "tid": tenant,
                "uti": random_base64url(16),
                "ver": "2.0",
            }),
            Provider::Auth0 => json!({
                "sub": "auth0|64b7f0c2e4a1b2c3d4e5f601",
                "aud": ["https://api.example.com", format!("{}userinfo", with_one_slash(issuer))],
                "azp": "Xb3pQ9vN2kLm8RtYwZ4c6D1fG7hJ0aS5",
                "scope": "openid profile email read:orders",
                "permissions": ["read:orders"],
            }),
            Provider::Okta => json!({
                "ver": 1,
                "jti": format!("AT.{}", random_base64url(32)),
                "aud": "api://default",
                "cid": "0oa1b2c3d4e5f6g7h8i9",
                "uid": "00u1b2c3d4e5f6g7h8i9",
                "scp": ["openid", "profile", "orders:read"],
                "auth_time": now,
                "sub": "alice@example.com",
            }),
            Provider::Keycloak => json!({
                "auth_time": now,
                "jti": random_uuid(),
                "aud": "account",
                "sub": "f1c3a5e7-2b4d-4f60-8a9c-0e1d2c3b4a59",
                "typ": "Bearer",
                "azp": "shop-frontend",
                "sid": random_uuid(),
                "acr": "1",
                "allowed-origins": ["https://shop.example.com"],
                "realm_access": {
                    "roles": ["default-roles-shop", "offline_access", "uma_authorization"],
                },
                "resource_access": {
                    "account": {
                        "roles": ["manage-account", "manage-account-links", "view-profile"],
                    },
                },
                "scope": "openid email profile",
                "email_verified": true,
                "name": "Alice Example",
                "preferred_username": "alice",
                "given_name": "Alice",
                "family_name": "Example",
                "email": "alice@example.com",
            }),
            Provider::Spring => json!({
                "sub": "alice",
                "aud": "orders-client",
                "nbf": now,
                "scope": ["openid", "orders.read"],
                "jti": random_uuid(),
            }),
            Provider::Google => json!({
                "azp": GOOGLE_CLIENT_ID,
                "aud": GOOGLE_CLIENT_ID,
                "sub": "110169484474386276334",
                "email": "alice@example.com",
                "email_verified": true,
                "at_hash": random_base64url(16),
                "name": "Alice Example",
                "picture": "https://lh3.googleusercontent.com/a/example",
                "given_name": "Alice",
                "family_name": "Example",
            }),
            Provider::Zuplo => json!({
                "aud": "https://my-api.example.com",
                "sub": "atcl_8GLgIDYRw38Jqg0tHR8tiZfh",
                "account": "my-account",
                "project": "my-project",
                "deployment": "copper-bedbug-main-53c4947",
                "environment_type": "production",
                "exp": now.saturating_add(10 * 3600),
            }),
            Provider::AuthAction => json!({
                "sub": "Zx8kP2mQ7vR4tY9wB3nL6cF1@clients",
                "aud": "https://api.example.com",
                "scope": "read:orders",
            }),
        };
        match claims {
            Value::Object(claims) => claims,
            _ => Map::new(),
        }
    }
}

/// The Google client id of the [`Provider::Google`] preset (`aud`, `azp`).
const GOOGLE_CLIENT_ID: &str =
    "1234567890-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com";

/// The tenant in `issuer` when it has the shape of `template` (`{tenantid}` standing for one
/// path segment).
pub(crate) fn tenant_in<'a>(template: &str, issuer: &'a str) -> Option<&'a str> {
    let (prefix, suffix) = template.split_once(TENANT_PLACEHOLDER)?;
    let tenant = issuer.strip_prefix(prefix)?.strip_suffix(suffix)?;
    (!tenant.is_empty() && !tenant.contains('/')).then_some(tenant)
}

/// `template` with its tenant filled in.
pub(crate) fn fill(template: &str, tenant: &str) -> String {
    template.replacen(TENANT_PLACEHOLDER, tenant, 1)
}

fn cognito(issuer: &str, jwks_uri: &str) -> Value {
    const HOSTED: &str = "https://example.auth.eu-west-1.amazoncognito.com/oauth2";
    json!({
        "authorization_endpoint": format!("{HOSTED}/authorize"),
        "end_session_endpoint": "https://example.auth.eu-west-1.amazoncognito.com/logout",
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["code", "token"],
        "revocation_endpoint": format!("{HOSTED}/revoke"),
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": format!("{HOSTED}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": format!("{HOSTED}/userInfo"),
    })
}

/// Entra ID's discovery document for `segment` (a tenant, or `common`), v1 or v2.
fn entra_discovery(v2: bool, segment: &str, issuer: &str, jwks_uri: &str) -> Value {
    let at = format!("{MICROSOFT_LOGIN}/{segment}");
    let oauth = if v2 {
        format!("{at}/oauth2/v2.0")
    } else {
        format!("{at}/oauth2")
    };
    let region = if segment == "common" {
        Value::Null
    } else {
        Value::from("EU")
    };
    let mut document = json!({
        "token_endpoint": format!("{oauth}/token"),
        "token_endpoint_auth_methods_supported":
            ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": jwks_uri,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": issuer,
        "authorization_endpoint": format!("{oauth}/authorize"),
        "device_authorization_endpoint": format!("{oauth}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{oauth}/logout"),
        "kerberos_endpoint": format!("{at}/kerberos"),
        "tenant_region_scope": region,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    });
    let specific = if v2 {
        json!({
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "claims_supported": [
                "sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
                "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email",
            ],
        })
    } else {
        json!({
            "response_types_supported":
                ["code", "id_token", "code id_token", "token id_token", "token"],
            "scopes_supported": ["openid"],
            "microsoft_multi_refresh_token": true,
            "check_session_iframe": format!("{oauth}/checksession"),
            "userinfo_endpoint": format!("{at}/openid/userinfo"),
            "claims_supported": [
                "sub", "iss", "cloud_instance_name", "cloud_instance_host_name",
                "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr",
                "amr", "nonce", "email", "given_name", "family_name", "nickname",
            ],
        })
    };
    if let (Value::Object(document), Value::Object(specific)) = (&mut document, specific) {
        document.extend(specific);
    }
    document
}

fn auth0(issuer: &str, base: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}authorize"),
        "token_endpoint": format!("{base}oauth/token"),
        "device_authorization_endpoint": format!("{base}oauth/device/code"),
        "userinfo_endpoint": format!("{base}userinfo"),
        "mfa_challenge_endpoint": format!("{base}mfa/challenge"),
        "jwks_uri": jwks_uri,
        "registration_endpoint": format!("{base}oidc/register"),
        "revocation_endpoint": format!("{base}oauth/revoke"),
        "scopes_supported": [
            "openid", "profile", "offline_access", "name", "given_name", "family_name",
            "nickname", "email", "email_verified", "picture", "created_at", "identities",
            "phone", "address",
        ],
        "response_types_supported": [
            "code", "token", "id_token", "code token", "code id_token", "token id_token",
            "code token id_token",
        ],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "claims_supported": [
            "aud", "auth_time", "created_at", "email", "email_verified", "exp", "family_name",
            "given_name", "iat", "identities", "iss", "name", "nickname", "phone_number",
            "picture", "sub",
        ],
        "request_uri_parameter_supported": false,
        "request_parameter_supported": false,
        "id_token_signing_alg_values_supported": ["HS256", "RS256", "PS256"],
        "end_session_endpoint": format!("{base}oidc/logout"),
    })
}

fn okta(issuer: &str, base: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}v1/authorize"),
        "token_endpoint": format!("{base}v1/token"),
        "userinfo_endpoint": format!("{base}v1/userinfo"),
        "jwks_uri": jwks_uri,
        "response_types_supported": [
            "code", "id_token", "code id_token", "code token", "id_token token",
            "code id_token token",
        ],
        "response_modes_supported": ["query", "fragment", "form_post", "okta_post_message"],
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "password", "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": [
            "openid", "profile", "email", "address", "phone", "offline_access", "device_sso",
        ],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt",
            "none",
        ],
        "claims_supported": [
            "iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr", "idp", "nonce",
            "name", "nickname", "preferred_username", "given_name", "middle_name",
            "family_name", "email", "email_verified", "profile", "zoneinfo", "locale",
            "address", "phone_number", "picture", "website", "gender", "birthdate",
            "updated_at", "at_hash", "c_hash",
        ],
        "code_challenge_methods_supported": ["S256"],
        "introspection_endpoint": format!("{base}v1/introspect"),
        "revocation_endpoint": format!("{base}v1/revoke"),
        "end_session_endpoint": format!("{base}v1/logout"),
        "request_parameter_supported": true,
    })
}

fn keycloak(issuer: &str, base: &str, jwks_uri: &str) -> Value {
    let oidc = format!("{base}protocol/openid-connect");
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{oidc}/auth"),
        "token_endpoint": format!("{oidc}/token"),
        "introspection_endpoint": format!("{oidc}/token/introspect"),
        "userinfo_endpoint": format!("{oidc}/userinfo"),
        "end_session_endpoint": format!("{oidc}/logout"),
        "frontchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "jwks_uri": jwks_uri,
        "check_session_iframe": format!("{oidc}/login-status-iframe.html"),
        "grant_types_supported": [
            "authorization_code", "implicit", "refresh_token", "password", "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code", "urn:openid:params:grant-type:ciba",
        ],
        "response_types_supported": [
            "code", "none", "id_token", "token", "id_token token", "code id_token",
            "code token", "code id_token token",
        ],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": [
            "PS384", "ES384", "RS384", "HS256", "HS512", "ES256", "RS256", "HS384", "ES512",
            "PS256", "PS512", "RS512",
        ],
        "scopes_supported": [
            "openid", "acr", "address", "basic", "email", "microprofile-jwt", "offline_access",
            "organization", "phone", "profile", "roles", "web-origins",
        ],
        "claims_supported": [
            "aud", "sub", "iss", "auth_time", "name", "given_name", "family_name",
            "preferred_username", "email", "acr",
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "revocation_endpoint": format!("{oidc}/revoke"),
        "device_authorization_endpoint": format!("{oidc}/auth/device"),
    })
}

fn spring(issuer: &str, base: &str, jwks_uri: &str) -> Value {
    let client_auth = [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "tls_client_auth",
        "self_signed_tls_client_auth",
    ];
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}oauth2/authorize"),
        "device_authorization_endpoint": format!("{base}oauth2/device_authorization"),
        "token_endpoint": format!("{base}oauth2/token"),
        "token_endpoint_auth_methods_supported": client_auth,
        "jwks_uri": jwks_uri,
        "userinfo_endpoint": format!("{base}userinfo"),
        "end_session_endpoint": format!("{base}connect/logout"),
        "response_types_supported": ["code"],
        "grant_types_supported": [
            "authorization_code", "client_credentials", "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
        "revocation_endpoint": format!("{base}oauth2/revoke"),
        "revocation_endpoint_auth_methods_supported": client_auth,
        "introspection_endpoint": format!("{base}oauth2/introspect"),
        "introspection_endpoint_auth_methods_supported": client_auth,
        "code_challenge_methods_supported": ["S256"],
        "tls_client_certificate_bound_access_tokens": true,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
    })
}

fn google(issuer: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
        "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
        "token_endpoint": "https://oauth2.googleapis.com/token",
        "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
        "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
        "jwks_uri": jwks_uri,
        "response_types_supported": [
            "code", "token", "id_token", "code token", "code id_token", "token id_token",
            "code token id_token", "none",
        ],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": [
            "aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss",
            "name", "picture", "sub",
        ],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": [
            "authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
        ],
    })
}

/// The members every discovery document has, for a provider that does not document its own.
fn minimal(issuer: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "jwks_uri": jwks_uri,
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })
}

fn authaction(issuer: &str, base: &str, jwks_uri: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}oauth2/authorize"),
        "token_endpoint": format!("{base}oauth2/token"),
        "userinfo_endpoint": format!("{base}oauth2/user"),
        "jwks_uri": jwks_uri,
        "registration_endpoint": format!("{base}oauth2/register"),
        "end_session_endpoint": format!("{base}oauth2/logout"),
        "revocation_endpoint": format!("{base}oauth2/revoke"),
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email"],
    })
}

/// A random version 4 UUID, as providers write `jti`, `sid`, `event_id`.
fn random_uuid() -> String {
    let mut bytes = random(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// `length` random bytes in base64url, as Entra writes `uti` and Okta the rest of `jti`.
fn random_base64url(length: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random(length))
}

fn random(length: usize) -> Vec<u8> {
    let mut bytes = vec![0; length];
    // Only identifiers depend on it; on failure they are zeros, still well-formed.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes
}

/// `url` with trailing slashes trimmed and exactly one `/` appended.
fn with_one_slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}
