//! OpenAPI security for [utoipa](https://docs.rs/utoipa/5) documents (feature `utoipa`): the
//! security scheme of an issuer, and the requirement of a [`Policy`] (its scopes), so that a
//! published document says what the guard checks without writing the scopes twice.
//!
//! ```
//! use jwks_guard::openapi::SecurityAddon;
//! use utoipa::Modify;
//! use utoipa::openapi::OpenApiBuilder;
//!
//! let mut doc = OpenApiBuilder::new().build();
//! SecurityAddon::new("https://id.example.com/").modify(&mut doc);
//!
//! let json = serde_json::to_value(&doc).expect("a document serializes");
//! assert_eq!(
//!     json["components"]["securitySchemes"]["oidc"],
//!     serde_json::json!({
//!         "type": "openIdConnect",
//!         "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration"
//!     })
//! );
//! ```
//!
//! With utoipa's derive: `#[openapi(modifiers(...))]` takes `&` and a name (utoipa 5 parses
//! no other expression there), so the addon goes in a unit struct of the application's:
//!
//! ```
//! use jwks_guard::openapi::SecurityAddon;
//! use utoipa::openapi::OpenApi as Document;
//! use utoipa::{Modify, OpenApi};
//!
//! struct Security;
//!
//! impl Modify for Security {
//!     fn modify(&self, doc: &mut Document) {
//!         SecurityAddon::new("https://id.example.com/").modify(doc);
//!     }
//! }
//!
//! #[derive(OpenApi)]
//! #[openapi(modifiers(&Security))]
//! struct ApiDoc;
//!
//! let json = serde_json::to_value(ApiDoc::openapi()).expect("a document serializes");
//! assert_eq!(json["components"]["securitySchemes"]["oidc"]["type"], "openIdConnect");
//! ```
//!
//! What is emitted:
//!
//! - **One issuer**: one scheme, `openIdConnect` by default, whose `openIdConnectUrl` is the
//!   discovery document the guard itself fetches (`{issuer}/.well-known/openid-configuration`,
//!   a trailing `/` of the issuer dropped first, as the key cache does).
//! - **An issuer template** (`{tenantid}`): the provider's common discovery document, the one
//!   the key cache reads for templates (Entra ID `…/{tenantid}/v2.0` →
//!   `…/common/v2.0/.well-known/openid-configuration`; `https://sts.windows.net/{tenantid}/` →
//!   `https://login.microsoftonline.com/common/.well-known/openid-configuration`).
//! - **Several issuers**: one addon per issuer, each under its own
//!   [`scheme_name`](SecurityAddon::scheme_name); a requirement per scheme
//!   ([`Policy::openapi_security_as`]) on the operation then reads "any one of them", which is
//!   what the guard accepts.
//! - **`env("VAR")` issuers**: [`SecurityAddon::from_env`] reads the variable when the document
//!   is built ([`Modify::modify`] runs), not before.
//!
//! - **Cookie and header token sources** (`token_from`): each `cookie("name")` or
//!   `header("name")` is an `apiKey` scheme named by [`source_scheme_name`]
//!   (`<scheme>_cookie_<name>`, `<scheme>_header_<name>`), added by
//!   [`SecurityAddon::cookie`] and [`SecurityAddon::header`]. An operation lists it as an
//!   alternative requirement beside the issuer's scheme, which stays even when `token_from`
//!   leaves `"authorization"` out: the token is the issuer's JWT wherever it is carried.
//!
//! - **A required DPoP proof** (`dpop = "required"`, [`Dpop::Required`]): the `DPoP` request
//!   header is an `apiKey` scheme named by [`dpop_scheme_name`] (`<scheme>_dpop`), added by
//!   [`SecurityAddon::dpop`], and the operation's requirement names it beside the token's
//!   scheme (names in one requirement are all needed). Such a policy reads the token from
//!   `Authorization` alone: a cookie or another header carries a bearer token, which it would
//!   refuse, so the attribute and the builder refuse those sources with it. OpenAPI's own way of saying it, an `http`
//!   scheme `DPoP`, cannot be written through utoipa 5, whose `http` schemes are a closed list;
//!   the `apiKey` scheme's description says how the token and the proof are sent. A handler
//!   that allows DPoP (the default) is documented as a bearer one: its bearer tokens work.
//!
//! Each operation's requirement is written by `#[protected]` into the `#[utoipa::path(...)]`
//! below it (`security((<openapi_scheme> = [<scopes>]), ("<openapi_scheme>_cookie_<name>" =
//! []))`, with the guard's answers), so that the addon is the only thing to add. Without the macro (the builder, aide, poem-openapi),
//! [`Policy::openapi_security_requirements`] gives the requirements and
//! [`SecurityAddon::scheme`] and [`SecurityAddon::source_schemes`] the schemes, to add by hand.

use std::fmt;

use utoipa::Modify;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, OAuth2, OpenIdConnect, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::{Components, OpenApi};

use crate::dpop_state::Dpop;
use crate::issuer;
use crate::policy::{EnvUnread, Policy, env_value};
use crate::spec::TokenSource;

/// The scheme name used unless [`SecurityAddon::scheme_name`] sets another.
pub const DEFAULT_SCHEME_NAME: &str = "oidc";

/// The component name of the `apiKey` scheme of a token source beside the issuer's scheme
/// `scheme`: `<scheme>_cookie_<name>` for `cookie("name")`, `<scheme>_header_<name>` for
/// `header("name")` (the header's name in lowercase), each character of `name` outside
/// `[A-Za-z0-9._-]` written `_` (component names allow no other). `None` for
/// `"authorization"`, which is the issuer's scheme itself. `#[protected]` names the
/// alternatives of its operations by the same rule.
///
/// ```
/// use jwks_guard::TokenSource;
/// use jwks_guard::openapi::source_scheme_name;
///
/// let name = source_scheme_name("oidc", &TokenSource::cookie("__Host-session"));
/// assert_eq!(name.as_deref(), Some("oidc_cookie___Host-session"));
/// let name = source_scheme_name("oidc", &TokenSource::header("X-Token"));
/// assert_eq!(name.as_deref(), Some("oidc_header_x-token"));
/// assert_eq!(source_scheme_name("oidc", &TokenSource::Authorization), None);
/// ```
pub fn source_scheme_name(scheme: &str, source: &TokenSource) -> Option<String> {
    let (kind, name) = match source {
        TokenSource::Authorization => return None,
        TokenSource::Cookie(name) => ("cookie", name.to_string()),
        TokenSource::Header(name) => ("header", name.to_ascii_lowercase()),
    };
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(format!("{scheme}_{kind}_{name}"))
}

/// The component name of the `apiKey` scheme of the `DPoP` proof header beside the issuer's
/// scheme `scheme`: `<scheme>_dpop`. The operations of `dpop = "required"` handlers name it
/// (`#[protected]` by the same rule), and [`SecurityAddon::dpop`] adds it.
///
/// ```
/// use jwks_guard::openapi::dpop_scheme_name;
///
/// assert_eq!(dpop_scheme_name("oidc"), "oidc_dpop");
/// ```
pub fn dpop_scheme_name(scheme: &str) -> String {
    format!("{scheme}_dpop")
}

/// Adds an issuer's security scheme to an OpenAPI document: a [`utoipa::Modify`].
///
/// By default the scheme is named `"oidc"` and is of type `openIdConnect`, pointing at the
/// issuer's discovery document, so that Swagger UI can log in. [`bearer`](Self::bearer) makes
/// it an `http` `bearer` scheme with `bearerFormat: JWT`, [`oauth2`](Self::oauth2) an `oauth2`
/// scheme with the flows given. Schemes already in the document stay; one of the same name is
/// replaced.
///
/// ```
/// use jwks_guard::openapi::SecurityAddon;
/// use utoipa::Modify;
/// use utoipa::openapi::OpenApiBuilder;
///
/// let mut doc = OpenApiBuilder::new().build();
/// SecurityAddon::new("https://id.example.com/")
///     .scheme_name("bearerAuth")
///     .bearer()
///     .modify(&mut doc);
///
/// let json = serde_json::to_value(&doc).expect("a document serializes");
/// assert_eq!(
///     json["components"]["securitySchemes"]["bearerAuth"],
///     serde_json::json!({ "type": "http", "scheme": "bearer", "bearerFormat": "JWT" })
/// );
/// ```
#[derive(Clone, Debug)]
pub struct SecurityAddon {
    issuer: IssuerSource,
    name: String,
    kind: Kind,
    /// The `cookie(...)` and `header(...)` token sources, each an `apiKey` scheme.
    sources: Vec<TokenSource>,
    /// Whether the `DPoP` proof header's scheme is added too.
    dpop: bool,
}

/// Where the issuer comes from.
#[derive(Clone, Debug)]
enum IssuerSource {
    Literal(String),
    /// The name of an environment variable, read when the document is built.
    Env(String),
}

/// The type of the scheme emitted.
#[derive(Clone)]
enum Kind {
    OpenIdConnect,
    Bearer,
    OAuth2(OAuth2),
}

// utoipa's types are `Debug` only with its `debug` feature: the flows are not shown.
impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::OpenIdConnect => f.write_str("OpenIdConnect"),
            Kind::Bearer => f.write_str("Bearer"),
            Kind::OAuth2(_) => f.write_str("OAuth2(..)"),
        }
    }
}

impl SecurityAddon {
    /// The `openIdConnect` scheme `"oidc"` of `issuer` (an exact `iss`, or a template holding
    /// `{tenantid}`: see the [module documentation](self)).
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://login.microsoftonline.com/{tenantid}/v2.0").modify(&mut doc);
    ///
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// assert_eq!(
    ///     json["components"]["securitySchemes"]["oidc"]["openIdConnectUrl"],
    ///     "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
    /// );
    /// ```
    pub fn new(issuer: impl Into<String>) -> SecurityAddon {
        SecurityAddon {
            issuer: IssuerSource::Literal(issuer.into()),
            name: DEFAULT_SCHEME_NAME.to_owned(),
            kind: Kind::OpenIdConnect,
            sources: Vec::new(),
            dpop: false,
        }
    }

    /// The scheme of the issuer named by the environment variable `var`, read each time the
    /// document is built (when [`Modify::modify`] runs), like an `env("VAR")` issuer of
    /// `#[protected]` is read at the first request, and read the same way (surrounding whitespace
    /// trimmed).
    ///
    /// An `openIdConnect` scheme needs the issuer: when the variable is unset, empty or not
    /// Unicode, no scheme is added, a `tracing` warning says why, and nothing panics. The
    /// [`bearer`](Self::bearer) and [`oauth2`](Self::oauth2) schemes do not name the issuer and
    /// are added whatever the variable holds.
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::from_env("JWKS_GUARD_DOC_EXAMPLE_UNSET_ISSUER").modify(&mut doc);
    /// // The variable is unset: nothing is added (and a warning is logged).
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// assert!(json["components"]["securitySchemes"].get("oidc").is_none());
    /// ```
    pub fn from_env(var: impl Into<String>) -> SecurityAddon {
        SecurityAddon {
            issuer: IssuerSource::Env(var.into()),
            ..SecurityAddon::new(String::new())
        }
    }

    /// The name of the scheme in `components.securitySchemes` (`"oidc"` by default), which
    /// the requirements of operations name ([`Policy::openapi_security_as`]).
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/").scheme_name("corp").modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// assert_eq!(json["components"]["securitySchemes"]["corp"]["type"], "openIdConnect");
    /// ```
    #[must_use]
    pub fn scheme_name(mut self, name: impl Into<String>) -> SecurityAddon {
        self.name = name.into();
        self
    }

    /// An `http` scheme instead: `{"type":"http","scheme":"bearer","bearerFormat":"JWT"}`
    /// (Swagger UI then asks for a token to paste).
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/").bearer().modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// assert_eq!(json["components"]["securitySchemes"]["oidc"]["bearerFormat"], "JWT");
    /// ```
    #[must_use]
    pub fn bearer(mut self) -> SecurityAddon {
        self.kind = Kind::Bearer;
        self
    }

    /// An `oauth2` scheme instead, with `flows` as given (their URLs and scopes are the
    /// provider's: utoipa's [`OAuth2`] and [`Flow`](utoipa::openapi::security::Flow)).
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    /// use utoipa::openapi::security::{AuthorizationCode, Flow, OAuth2, Scopes};
    ///
    /// let flows = OAuth2::new([Flow::AuthorizationCode(AuthorizationCode::new(
    ///     "https://id.example.com/authorize",
    ///     "https://id.example.com/token",
    ///     Scopes::one("orders:read", "read the orders"),
    /// ))]);
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/").oauth2(flows).modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// let scheme = &json["components"]["securitySchemes"]["oidc"];
    /// assert_eq!(scheme["type"], "oauth2");
    /// assert_eq!(
    ///     scheme["flows"]["authorizationCode"]["tokenUrl"],
    ///     "https://id.example.com/token"
    /// );
    /// ```
    #[must_use]
    pub fn oauth2(mut self, flows: OAuth2) -> SecurityAddon {
        self.kind = Kind::OAuth2(flows);
        self
    }

    /// Also the `apiKey` scheme of the cookie `name`, for handlers whose `token_from` has
    /// `cookie("name")`: `{"type":"apiKey","in":"cookie","name":<name>}`, under the name
    /// [`source_scheme_name`] gives (`<scheme>_cookie_<name>`), which the operations of those
    /// handlers list as an alternative. Call it again for each cookie.
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/").cookie("session").modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// let scheme = &json["components"]["securitySchemes"]["oidc_cookie_session"];
    /// assert_eq!(scheme["type"], "apiKey");
    /// assert_eq!(scheme["in"], "cookie");
    /// assert_eq!(scheme["name"], "session");
    /// ```
    #[must_use]
    pub fn cookie(mut self, name: impl Into<String>) -> SecurityAddon {
        self.sources.push(TokenSource::cookie(name.into()));
        self
    }

    /// Also the `apiKey` scheme of the header `name` (in lowercase), for handlers whose
    /// `token_from` has `header("name")`: `{"type":"apiKey","in":"header","name":<name>}`,
    /// under the name [`source_scheme_name`] gives (`<scheme>_header_<name>`).
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/")
    ///     .header("X-Access-Token")
    ///     .modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// let scheme = &json["components"]["securitySchemes"]["oidc_header_x-access-token"];
    /// assert_eq!(scheme["in"], "header");
    /// assert_eq!(scheme["name"], "x-access-token");
    /// ```
    #[must_use]
    pub fn header(mut self, name: impl Into<String>) -> SecurityAddon {
        self.sources
            .push(TokenSource::header(name.into().to_ascii_lowercase()));
        self
    }

    /// Also the `apiKey` scheme of the `DPoP` proof header, for handlers with
    /// `dpop = "required"` ([`Dpop::Required`]): `{"type":"apiKey","in":"header","name":"DPoP"}`,
    /// under the name [`dpop_scheme_name`] gives (`<scheme>_dpop`), which every requirement
    /// of those handlers names beside the token's scheme.
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::Modify;
    /// use utoipa::openapi::OpenApiBuilder;
    ///
    /// let mut doc = OpenApiBuilder::new().build();
    /// SecurityAddon::new("https://id.example.com/").dpop().modify(&mut doc);
    /// let json = serde_json::to_value(&doc).expect("a document serializes");
    /// let scheme = &json["components"]["securitySchemes"]["oidc_dpop"];
    /// assert_eq!(scheme["type"], "apiKey");
    /// assert_eq!(scheme["in"], "header");
    /// assert_eq!(scheme["name"], "DPoP");
    /// ```
    #[must_use]
    pub fn dpop(mut self) -> SecurityAddon {
        self.dpop = true;
        self
    }

    /// The `apiKey` schemes of the [`cookie`](Self::cookie) and [`header`](Self::header)
    /// sources and of the [`dpop`](Self::dpop) proof, and their names, for documents built
    /// without utoipa's `Modify`. They do not name the issuer and are there even when
    /// [`scheme`](Self::scheme) is `None`.
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    ///
    /// let schemes = SecurityAddon::new("https://id.example.com/")
    ///     .cookie("session")
    ///     .source_schemes();
    /// assert_eq!(schemes.len(), 1);
    /// assert_eq!(schemes[0].0, "oidc_cookie_session");
    /// ```
    pub fn source_schemes(&self) -> Vec<(String, SecurityScheme)> {
        self.sources
            .iter()
            .filter_map(|source| {
                let name = source_scheme_name(&self.name, source)?;
                let key = match source {
                    TokenSource::Authorization => return None,
                    TokenSource::Cookie(cookie) => ApiKey::Cookie(ApiKeyValue::with_description(
                        cookie.to_string(),
                        format!(
                            "The issuer's JWT (the `{}` scheme's token) as the value of this \
                             cookie",
                            self.name
                        ),
                    )),
                    TokenSource::Header(header) => ApiKey::Header(ApiKeyValue::with_description(
                        header.to_string(),
                        format!(
                            "The issuer's JWT (the `{}` scheme's token) as the value of this \
                             header, with or without `Bearer `",
                            self.name
                        ),
                    )),
                };
                Some((name, SecurityScheme::ApiKey(key)))
            })
            .chain(self.dpop.then(|| {
                let proof = ApiKeyValue::with_description(
                    "DPoP".to_owned(),
                    format!(
                        "A DPoP proof (RFC 9449), made afresh for each request and signed by the \
                         key the token is bound to (its `cnf.jkt`); the token (the `{}` \
                         scheme's) goes in `Authorization: DPoP <token>`, not `Bearer`",
                        self.name
                    ),
                );
                (
                    dpop_scheme_name(&self.name),
                    SecurityScheme::ApiKey(ApiKey::Header(proof)),
                )
            }))
            .collect()
    }

    /// The scheme [`Modify::modify`] adds and its name, for documents built without utoipa's
    /// `Modify` (aide, poem-openapi, or a document assembled by hand). `None` where
    /// [`modify`](Modify::modify) adds nothing: an `openIdConnect` scheme whose
    /// [`from_env`](Self::from_env) variable is unset or empty (a warning is logged), or
    /// whose issuer is empty.
    ///
    /// ```
    /// use jwks_guard::openapi::SecurityAddon;
    /// use utoipa::openapi::security::SecurityScheme;
    ///
    /// let (name, scheme) = SecurityAddon::new("https://id.example.com/")
    ///     .scheme()
    ///     .expect("a literal issuer always has a scheme");
    /// assert_eq!(name, "oidc");
    /// assert!(matches!(scheme, SecurityScheme::OpenIdConnect(_)));
    /// ```
    pub fn scheme(&self) -> Option<(String, SecurityScheme)> {
        let scheme = match &self.kind {
            Kind::Bearer => SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
            Kind::OAuth2(flows) => SecurityScheme::OAuth2(flows.clone()),
            Kind::OpenIdConnect => {
                let issuer = self.issuer()?;
                SecurityScheme::OpenIdConnect(OpenIdConnect::new(issuer::discovery_url(&issuer)))
            }
        };
        Some((self.name.clone(), scheme))
    }

    /// The issuer, read now; `None` (with a warning) when there is none to read.
    fn issuer(&self) -> Option<String> {
        let issuer = match &self.issuer {
            IssuerSource::Literal(issuer) => issuer.clone(),
            IssuerSource::Env(var) => match env_value(var) {
                Ok(issuer) => issuer,
                Err(unread) => {
                    let why = match unread {
                        EnvUnread::Missing => "is not set",
                        EnvUnread::Empty => "is empty",
                        EnvUnread::NotUnicode => "is not valid Unicode",
                    };
                    tracing::warn!(
                        var = %var,
                        scheme = %self.name,
                        "the OpenAPI security scheme is left out: its issuer's variable {why}"
                    );
                    return None;
                }
            },
        };
        if issuer.is_empty() {
            tracing::warn!(
                scheme = %self.name,
                "the OpenAPI security scheme is left out: its issuer is empty"
            );
            return None;
        }
        Some(issuer)
    }
}

impl Modify for SecurityAddon {
    /// Adds the [`scheme`](SecurityAddon::scheme) and the
    /// [`source_schemes`](SecurityAddon::source_schemes) to `components.securitySchemes`
    /// (creating the components when the document has none), keeping every other scheme there.
    fn modify(&self, openapi: &mut OpenApi) {
        for (name, scheme) in self.scheme().into_iter().chain(self.source_schemes()) {
            openapi
                .components
                .get_or_insert_with(Components::new)
                .add_security_scheme(name, scheme);
        }
    }
}

impl Policy {
    /// The OpenAPI security requirement of this policy: the scheme `"oidc"` (the default name
    /// of [`SecurityAddon`]) with the policy's required [`scopes`](Policy::scopes), for an
    /// operation's `security` list (feature `utoipa`).
    ///
    /// ```
    /// use jwks_guard::Policy;
    ///
    /// # fn main() -> Result<(), jwks_guard::PolicyError> {
    /// let policy = Policy::builder()
    ///     .issuer("https://id.example.com/")
    ///     .audience("orders-api")
    ///     .scopes(["orders:read", "orders:write"])
    ///     .build()?;
    /// let requirement = serde_json::to_value(policy.openapi_security()).expect("serializes");
    /// assert_eq!(requirement, serde_json::json!({ "oidc": ["orders:read", "orders:write"] }));
    /// # Ok(()) }
    /// ```
    pub fn openapi_security(&self) -> SecurityRequirement {
        self.openapi_security_as(DEFAULT_SCHEME_NAME)
    }

    /// The OpenAPI security requirement of this policy under the scheme name `scheme` (one
    /// set with [`SecurityAddon::scheme_name`]), listing the policy's required scopes.
    ///
    /// ```
    /// use jwks_guard::Policy;
    ///
    /// # fn main() -> Result<(), jwks_guard::PolicyError> {
    /// let policy = Policy::builder()
    ///     .issuer("https://id.example.com/")
    ///     .audience("orders-api")
    ///     .scopes(["orders:read"])
    ///     .build()?;
    /// let requirement = serde_json::to_value(policy.openapi_security_as("bearerAuth"))
    ///     .expect("serializes");
    /// assert_eq!(requirement, serde_json::json!({ "bearerAuth": ["orders:read"] }));
    /// # Ok(()) }
    /// ```
    pub fn openapi_security_as(&self, scheme: impl Into<String>) -> SecurityRequirement {
        SecurityRequirement::new(scheme.into(), self.scopes().iter().map(String::as_str))
    }

    /// The OpenAPI security requirements of this policy, alternatives of which a request meets
    /// one: [`openapi_security`](Self::openapi_security) first when the policy reads the token
    /// from `Authorization` (the issuer's scheme means a token there), then one requirement
    /// without scopes per `cookie(...)` or `header(...)`
    /// [token source](crate::PolicyBuilder::token_from),
    /// under the name [`source_scheme_name`] gives (the schemes of [`SecurityAddon::cookie`] and
    /// [`SecurityAddon::header`]). When the policy requires DPoP ([`Dpop::Required`]), each
    /// requirement also names the proof's scheme, [`dpop_scheme_name`] (that of
    /// [`SecurityAddon::dpop`]).
    ///
    /// ```
    /// use jwks_guard::{Policy, TokenSource};
    ///
    /// # fn main() -> Result<(), jwks_guard::PolicyError> {
    /// let policy = Policy::builder()
    ///     .issuer("https://id.example.com/")
    ///     .audience("orders-api")
    ///     .scopes(["orders:read"])
    ///     .token_from([TokenSource::Authorization, TokenSource::cookie("session")])
    ///     .build()?;
    /// let requirements = serde_json::to_value(policy.openapi_security_requirements())
    ///     .expect("serializes");
    /// assert_eq!(
    ///     requirements,
    ///     serde_json::json!([{ "oidc": ["orders:read"] }, { "oidc_cookie_session": [] }])
    /// );
    /// # Ok(()) }
    /// ```
    pub fn openapi_security_requirements(&self) -> Vec<SecurityRequirement> {
        self.openapi_security_requirements_as(DEFAULT_SCHEME_NAME)
    }

    /// [`openapi_security_requirements`](Self::openapi_security_requirements) under the scheme
    /// name `scheme` (one set with [`SecurityAddon::scheme_name`]).
    pub fn openapi_security_requirements_as(
        &self,
        scheme: impl Into<String>,
    ) -> Vec<SecurityRequirement> {
        let scheme = scheme.into();
        let alternatives = self
            .token_from()
            .iter()
            .filter_map(|source| source_scheme_name(&scheme, source))
            .map(|name| SecurityRequirement::new(name, Vec::<String>::new()));
        // The issuer's scheme means a token in `Authorization`: offered only when the policy
        // reads it there.
        let bearer = self
            .token_from()
            .iter()
            .any(|source| matches!(source, TokenSource::Authorization));
        let issuer = bearer.then(|| self.openapi_security_as(scheme.clone()));
        // A required proof goes with the token in `Authorization`; a cookie or another header
        // carries a bearer token, which such a policy refuses.
        if self.dpop() == Dpop::Required {
            let proof = dpop_scheme_name(&scheme);
            return issuer
                .map(|requirement| requirement.add(proof, Vec::<String>::new()))
                .into_iter()
                .collect();
        }
        issuer.into_iter().chain(alternatives).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)] // a test stops with a message on a broken setup

    use serde_json::{Value, json};
    use utoipa::openapi::OpenApiBuilder;
    use utoipa::openapi::security::{ApiKey, ApiKeyValue, ClientCredentials, Flow, Scopes};

    use super::*;

    fn schemes_after(addon: &SecurityAddon, doc: &mut OpenApi) -> Value {
        addon.modify(doc);
        let json = serde_json::to_value(&*doc).expect("a document serializes");
        json["components"]["securitySchemes"].clone()
    }

    fn schemes(addon: &SecurityAddon) -> Value {
        schemes_after(addon, &mut OpenApiBuilder::new().build())
    }

    #[test]
    fn the_default_scheme_is_openid_connect_at_the_discovery_url() {
        for issuer in ["https://id.example.com/", "https://id.example.com"] {
            assert_eq!(
                schemes(&SecurityAddon::new(issuer))["oidc"],
                json!({
                    "type": "openIdConnect",
                    "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration"
                }),
                "issuer {issuer}"
            );
        }
    }

    #[test]
    fn the_url_is_the_one_the_key_cache_fetches() {
        for issuer in [
            "https://id.example.com/realms/x/",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://sts.windows.net/{tenantid}/",
        ] {
            assert_eq!(
                schemes(&SecurityAddon::new(issuer))["oidc"]["openIdConnectUrl"],
                json!(issuer::discovery_url(issuer))
            );
        }
        assert_eq!(
            schemes(&SecurityAddon::new("https://sts.windows.net/{tenantid}/"))["oidc"]["openIdConnectUrl"],
            "https://login.microsoftonline.com/common/.well-known/openid-configuration"
        );
    }

    #[test]
    fn bearer_is_an_http_scheme_with_the_jwt_format() {
        assert_eq!(
            schemes(&SecurityAddon::new("https://id.example.com/").bearer())["oidc"],
            json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        );
    }

    #[test]
    fn oauth2_carries_the_flows_given() {
        let flows = OAuth2::new([Flow::ClientCredentials(ClientCredentials::new(
            "https://id.example.com/token",
            Scopes::one("orders:read", "read"),
        ))]);
        let scheme = &schemes(&SecurityAddon::new("https://id.example.com/").oauth2(flows))["oidc"];
        assert_eq!(scheme["type"], "oauth2");
        assert_eq!(
            scheme["flows"]["clientCredentials"]["tokenUrl"],
            "https://id.example.com/token"
        );
    }

    #[test]
    fn the_name_can_be_changed() {
        let schemes = schemes(&SecurityAddon::new("https://id.example.com/").scheme_name("corp"));
        assert_eq!(schemes["corp"]["type"], "openIdConnect");
        assert!(schemes.get("oidc").is_none());
    }

    #[test]
    fn schemes_already_in_the_document_stay() {
        let mut doc = OpenApiBuilder::new()
            .components(Some(Components::new()))
            .build();
        if let Some(components) = doc.components.as_mut() {
            components.add_security_scheme(
                "apiKey",
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
            );
        }
        SecurityAddon::new("https://a.example.com/").modify(&mut doc);
        let schemes = schemes_after(
            &SecurityAddon::new("https://b.example.com/").scheme_name("b"),
            &mut doc,
        );
        assert_eq!(schemes["apiKey"]["type"], "apiKey");
        assert_eq!(
            schemes["oidc"]["openIdConnectUrl"],
            "https://a.example.com/.well-known/openid-configuration"
        );
        assert_eq!(
            schemes["b"]["openIdConnectUrl"],
            "https://b.example.com/.well-known/openid-configuration"
        );
    }

    #[test]
    fn an_env_issuer_is_read_when_the_document_is_built() {
        // The tests cannot set a variable (no unsafe code): `CARGO_PKG_NAME`, which cargo sets
        // for the test process, stands for a set one; the expected value is read the same way,
        // so a run outside cargo checks the unset path instead.
        let addon = SecurityAddon::from_env("CARGO_PKG_NAME");
        let url = &schemes(&addon)["oidc"]["openIdConnectUrl"];
        match std::env::var("CARGO_PKG_NAME") {
            Ok(name) => assert_eq!(url, &json!(issuer::discovery_url(&name))),
            Err(_) => assert!(url.is_null()),
        }
    }

    #[test]
    fn an_unset_env_issuer_adds_no_scheme_and_does_not_panic() {
        let var = "JWKS_GUARD_TEST_CERTAINLY_UNSET_ISSUER";
        assert!(std::env::var_os(var).is_none());
        let mut doc = OpenApiBuilder::new().build();
        SecurityAddon::from_env(var).modify(&mut doc);
        assert!(doc.components.is_none());
        assert!(SecurityAddon::from_env(var).scheme().is_none());
        // A bearer scheme does not name the issuer: it is added all the same.
        assert_eq!(
            schemes(&SecurityAddon::from_env(var).bearer())["oidc"]["type"],
            "http"
        );
        assert!(SecurityAddon::new("").scheme().is_none());
    }

    #[test]
    fn cookie_and_header_sources_add_api_key_schemes_under_the_scheme_name() {
        let schemes = schemes(
            &SecurityAddon::new("https://id.example.com/")
                .scheme_name("corp")
                .cookie("session")
                .header("X-Access-Token"),
        );
        assert_eq!(schemes["corp"]["type"], "openIdConnect");
        assert_eq!(
            schemes["corp_cookie_session"],
            json!({
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The issuer's JWT (the `corp` scheme's token) as the value of \
                                this cookie"
            })
        );
        let header = &schemes["corp_header_x-access-token"];
        assert_eq!(header["type"], "apiKey");
        assert_eq!(header["in"], "header");
        assert_eq!(header["name"], "x-access-token");
    }

    #[test]
    fn source_schemes_are_added_without_the_issuer() {
        let var = "JWKS_GUARD_TEST_CERTAINLY_UNSET_ISSUER";
        let schemes = schemes(&SecurityAddon::from_env(var).cookie("session"));
        assert!(schemes.get("oidc").is_none());
        assert_eq!(schemes["oidc_cookie_session"]["in"], "cookie");
    }

    #[test]
    fn source_scheme_names_keep_only_component_name_characters() {
        let name = |source| source_scheme_name("oidc", &source);
        assert_eq!(
            name(TokenSource::cookie("a!#$%&'*+-.^_`|~9")),
            Some("oidc_cookie_a________-._____9".to_owned())
        );
        assert_eq!(
            name(TokenSource::header("X-Token")),
            Some("oidc_header_x-token".to_owned())
        );
        assert_eq!(name(TokenSource::Authorization), None);
    }

    #[test]
    fn requirements_list_each_cookie_and_header_source_as_an_alternative() {
        let policy = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .scopes(["orders:read"])
            .token_from([
                TokenSource::Authorization,
                TokenSource::cookie("session"),
                TokenSource::header("x-token"),
            ])
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(policy.openapi_security_requirements_as("corp"))
                .expect("serializes"),
            json!([
                {"corp": ["orders:read"]},
                {"corp_cookie_session": []},
                {"corp_header_x-token": []}
            ])
        );
        // Without `Authorization` among the sources, the issuer's scheme is no way in.
        let cookie_only = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .token_from([TokenSource::cookie("session")])
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(cookie_only.openapi_security_requirements()).expect("serializes"),
            json!([{"oidc_cookie_session": []}])
        );
        // The single requirement stays what it was.
        assert_eq!(
            serde_json::to_value(policy.openapi_security()).expect("serializes"),
            json!({"oidc": ["orders:read"]})
        );
        let bearer_only = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(bearer_only.openapi_security_requirements()).expect("serializes"),
            json!([{"oidc": []}])
        );
    }

    #[test]
    fn a_policy_requiring_dpop_names_the_proof_scheme_beside_the_token() {
        let builder = || {
            Policy::builder()
                .issuer("https://id.example.com/")
                .audience("orders-api")
                .scopes(["orders:read"])
                .token_from([TokenSource::Authorization, TokenSource::cookie("session")])
        };
        let required = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .scopes(["orders:read"])
            .dpop(Dpop::Required)
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(required.openapi_security_requirements_as("corp"))
                .expect("serializes"),
            json!([{"corp": ["orders:read"], "corp_dpop": []}])
        );
        // A cookie carries a bearer token, which such a policy would refuse: not a policy.
        assert_eq!(
            builder()
                .dpop(Dpop::Required)
                .build()
                .map_err(|error| error.to_string())
                .err()
                .as_deref(),
            Some(
                "`token_from`: cookie(\"session\") cannot be a token source: with \
                 `dpop(Dpop::Required)` only `Authorization: DPoP` carries a token; a cookie or \
                 another header carries a bearer token, which is refused"
            )
        );
        for mode in [Dpop::Allowed, Dpop::Disabled] {
            let policy = builder().dpop(mode).build().expect("a valid policy");
            assert_eq!(
                serde_json::to_value(policy.openapi_security_requirements()).expect("serializes"),
                json!([{"oidc": ["orders:read"]}, {"oidc_cookie_session": []}]),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn the_dpop_scheme_is_the_proof_header_under_the_scheme_name() {
        let added = schemes(
            &SecurityAddon::new("https://id.example.com/")
                .scheme_name("corp")
                .dpop(),
        );
        let proof = &added["corp_dpop"];
        assert_eq!(
            (&proof["type"], &proof["in"], &proof["name"]),
            (&json!("apiKey"), &json!("header"), &json!("DPoP"))
        );
        let description = proof["description"].as_str().unwrap_or_default();
        assert!(
            description.contains("`Authorization: DPoP <token>`"),
            "{description}"
        );
        assert!(description.contains("the `corp` scheme's"), "{description}");
        assert!(
            schemes(&SecurityAddon::new("https://id.example.com/"))
                .get("oidc_dpop")
                .is_none()
        );
    }

    #[test]
    fn openapi_security_lists_the_scopes() {
        let policy = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .scopes(["orders:read", "orders:write"])
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(policy.openapi_security()).expect("serializes"),
            json!({"oidc": ["orders:read", "orders:write"]})
        );
        assert_eq!(
            serde_json::to_value(policy.openapi_security_as("corp")).expect("serializes"),
            json!({"corp": ["orders:read", "orders:write"]})
        );
        let no_scopes = Policy::builder()
            .issuer("https://id.example.com/")
            .audience("orders-api")
            .build()
            .expect("a valid policy");
        assert_eq!(
            serde_json::to_value(no_scopes.openapi_security()).expect("serializes"),
            json!({"oidc": []})
        );
    }
}
