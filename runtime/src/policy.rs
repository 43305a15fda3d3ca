//! [`Policy`]: what a protected route requires, with its issuers' key caches attached.
//!
//! ```no_run
//! use std::time::Duration;
//! use jwks_guard::Policy;
//!
//! # fn main() -> Result<(), jwks_guard::PolicyError> {
//! let policy = Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .scopes(["orders:read"])
//!     .leeway(Duration::from_secs(30))
//!     .build()?;
//! # Ok(()) }
//! ```
//!
//! A policy is built by [`PolicyBuilder::build`], which checks it (typed [`PolicyError`]s,
//! never a panic) and attaches the process-wide key cache of each issuer; nothing is fetched
//! until a request needs keys (or [`prefetch`](crate::prefetch) is called). `#[protected]`
//! builds its policy through the same builder: its expansion declares a [`PolicyCell`] holding
//! the attribute as a constant [`PolicySpec`], which the first request resolves (reading any
//! `env("VAR")`) by feeding the builder.

mod builder;

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::guard::ClaimsTarget;
use crate::keys::KeyCache;
use crate::reject::Rejection;
use crate::spec::{Alg, AlgSet, Expect, PolicySpec, Scalar, Setting, Values};

pub(crate) use builder::{ClaimExpect, ClaimRule};
pub use builder::{ClaimValue, PolicyBuilder, PolicyError};

/// What a protected route requires of a token: issuers (each with its key cache), tenants,
/// audiences or client ids, algorithms, leeway, `typ`, scopes and claims.
///
/// Built with [`Policy::builder`]; `#[protected]` builds one per handler through the same
/// builder. Cloning is cheap (the rules are shared), so a policy can sit in a framework's
/// state: [`Authenticated`](crate::Authenticated) takes it from there, and
/// [`RequireTokenLayer`](crate::layer::RequireTokenLayer) protects a whole router with it.
///
/// ```no_run
/// use axum::{Router, routing::get};
/// use jwks_guard::{Authenticated, Claims, Policy};
///
/// async fn me(Authenticated(claims): Authenticated<Claims>) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// # fn main() -> Result<(), jwks_guard::PolicyError> {
/// let policy = Policy::builder()
///     .issuer("https://id.example.com/")
///     .audience("orders-api")
///     .build()?;
/// let app: Router = Router::new().route("/me", get(me)).with_state(policy);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Policy {
    rules: Arc<Rules>,
}

/// The rules of a [`Policy`], as the checks read them.
pub(crate) struct Rules {
    /// The accepted issuers, each with its key cache.
    pub(crate) issuers: Vec<Issuer>,
    /// With an issuer template: the accepted tenants (`None`: every tenant).
    pub(crate) tenants: Option<Vec<String>>,
    /// `None`: `aud` is not checked (a `client_id`-only policy).
    pub(crate) audiences: Option<Vec<String>>,
    /// `None`: `client_id` is not checked.
    pub(crate) client_ids: Option<Vec<String>>,
    pub(crate) algorithms: AlgSet,
    pub(crate) leeway: u64,
    /// The required `typ`, lowercased, without any `application/` prefix.
    pub(crate) typ: Option<String>,
    pub(crate) scopes: Box<[String]>,
    /// `scopes` joined by spaces, for the `scope` attribute of a 403 challenge.
    pub(crate) scope_challenge: String,
    pub(crate) claims: Box<[ClaimRule]>,
}

/// One accepted issuer and the key cache its tokens are verified with.
pub(crate) struct Issuer {
    /// The exact `iss`, or a template holding [`TENANT_PLACEHOLDER`].
    pub(crate) name: String,
    pub(crate) keys: Arc<KeyCache>,
}

/// The issuer template placeholder, filled from the token's `tid` claim.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

impl Issuer {
    /// Whether the name is a template holding [`TENANT_PLACEHOLDER`].
    pub(crate) fn is_template(&self) -> bool {
        self.name.contains(TENANT_PLACEHOLDER)
    }

    /// Whether a token naming `iss`, and `tid` when it has one, was issued by this issuer:
    /// `iss` equals the name exactly, or the template filled with `tid` (letters, digits and
    /// `-` only, as tenant ids are).
    fn issued(&self, iss: &str, tid: Option<&str>) -> bool {
        if !self.is_template() {
            return self.name == iss;
        }
        tid.is_some_and(|tid| {
            !tid.is_empty()
                && tid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && self.name.replacen(TENANT_PLACEHOLDER, tid, 1) == iss
        })
    }
}

impl Policy {
    /// A builder with no issuer and no audience yet, the leeway at 60 seconds and every
    /// supported algorithm allowed: see [`PolicyBuilder`].
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::new()
    }

    /// Checks the values of every `Authorization` header of a request against this policy and
    /// builds the verified claims as `C` ([`Claims`](crate::Claims), or any
    /// `serde::de::DeserializeOwned + Send + 'static` type): what every framework adapter
    /// calls, exposed for frameworks without one.
    ///
    /// ```no_run
    /// # async fn run(policy: jwks_guard::Policy, headers: http::HeaderMap) {
    /// use jwks_guard::Claims;
    ///
    /// let values = headers.get_all(http::header::AUTHORIZATION).iter().map(|v| v.as_bytes());
    /// match policy.authorize::<Claims>(values).await {
    ///     Ok(claims) => println!("hello {:?}", claims.sub),
    ///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body()),
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub async fn authorize<'a, C: ClaimsTarget>(
        &self,
        authorization_values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<C, Rejection> {
        crate::guard::authorize(self, authorization_values).await
    }

    /// The accepted issuers (templates included), as given.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.rules.issuers.iter().map(|issuer| issuer.name.as_str())
    }

    /// The scopes every token must be granted.
    pub fn scopes(&self) -> &[String] {
        &self.rules.scopes
    }

    /// The rules, for the checks.
    pub(crate) fn rules(&self) -> &Rules {
        &self.rules
    }

    pub(crate) fn from_rules(rules: Rules) -> Policy {
        Policy {
            rules: Arc::new(rules),
        }
    }

    /// The issuer of a token naming `iss` (and `tid`): a literal issuer equal to `iss` first,
    /// whatever the order the issuers were given in, else the first template that `tid` fills
    /// to `iss`. The tenant allow-list is not consulted here: it is checked after the signature
    /// ([`Policy::tenant_allowed`]), so that an unsigned token learns nothing of it.
    ///
    /// # Errors
    /// 401 when no configured issuer produces `iss` exactly.
    pub(crate) fn issuer(&self, iss: &str, tid: Option<&str>) -> Result<&Issuer, Rejection> {
        let issuers = &self.rules().issuers;
        issuers
            .iter()
            .find(|issuer| !issuer.is_template() && issuer.name == iss)
            .or_else(|| {
                issuers
                    .iter()
                    .find(|issuer| issuer.is_template() && issuer.issued(iss, tid))
            })
            .ok_or_else(|| Rejection::invalid_token("issuer mismatch"))
    }

    /// Whether a token of `issuer` with tenant `tid` is within the tenants allowed: always for a
    /// literal issuer or without a `tenants` list.
    pub(crate) fn tenant_allowed(&self, issuer: &Issuer, tid: Option<&str>) -> bool {
        match &self.rules().tenants {
            Some(tenants) if issuer.is_template() => {
                tid.is_some_and(|tid| tenants.iter().any(|t| t == tid))
            }
            _ => true,
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules = self.rules();
        f.debug_struct("Policy")
            .field("issuers", &self.issuers().collect::<Vec<_>>())
            .field("tenants", &rules.tenants)
            .field("audiences", &rules.audiences)
            .field("client_ids", &rules.client_ids)
            .field(
                "algorithms",
                &Alg::ALL
                    .iter()
                    .filter(|alg| rules.algorithms.contains(**alg))
                    .collect::<Vec<_>>(),
            )
            .field("leeway", &rules.leeway)
            .field("typ", &rules.typ)
            .field("scopes", &rules.scopes)
            .field("claims", &rules.claims)
            .finish()
    }
}

/// A handler's constant [`PolicySpec`] and, once the first request has resolved it, its
/// [`Policy`]. Not public API: the `#[protected]` expansion declares one per handler.
pub struct PolicyCell {
    spec: PolicySpec,
    resolved: OnceLock<Option<Policy>>,
}

impl PolicyCell {
    /// A cell for `spec`, resolved at first use.
    pub const fn new(spec: PolicySpec) -> Self {
        PolicyCell {
            spec,
            resolved: OnceLock::new(),
        }
    }

    /// The spec as written in the attribute.
    pub fn spec(&self) -> &PolicySpec {
        &self.spec
    }

    /// The resolved policy: the spec's environment variables read once and the result built
    /// by [`PolicyBuilder`]. If that fails, it is logged once and every request is answered
    /// 500.
    pub fn policy(&self) -> Result<&Policy, Rejection> {
        self.resolved
            .get_or_init(|| match resolve(&self.spec) {
                Ok(policy) => Some(policy),
                Err(error) => {
                    tracing::error!(%error, "protected handler is misconfigured; answering 500");
                    None
                }
            })
            .as_ref()
            .ok_or_else(Rejection::misconfigured)
    }
}

impl fmt::Debug for PolicyCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyCell")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// A `#[protected]` attribute that could not be resolved into a [`Policy`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ConfigError {
    #[error("environment variable `{var}` (for `{key}`) is not set")]
    Missing {
        key: &'static str,
        var: &'static str,
    },
    #[error("environment variable `{var}` (for `{key}`) is empty")]
    Empty {
        key: &'static str,
        var: &'static str,
    },
    #[error("environment variable `{var}` (for `{key}`) is not valid Unicode")]
    NotUnicode {
        key: &'static str,
        var: &'static str,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

fn setting(key: &'static str, setting: Setting) -> Result<String, ConfigError> {
    match setting {
        Setting::Literal(value) => Ok(value.to_owned()),
        Setting::Env(var) => match std::env::var(var) {
            Ok(value) if value.trim().is_empty() => Err(ConfigError::Empty { key, var }),
            Ok(value) => Ok(value.trim().to_owned()),
            Err(std::env::VarError::NotPresent) => Err(ConfigError::Missing { key, var }),
            Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::NotUnicode { key, var }),
        },
    }
}

/// The spec's environment variables read, and every value fed to the [`PolicyBuilder`]: the
/// attribute and the builder make their policies with the same code.
fn resolve(spec: &PolicySpec) -> Result<Policy, ConfigError> {
    let mut builder = Policy::builder().issuers(values("issuer", spec.issuer)?);
    if let Some(audience) = spec.audience {
        builder = builder.audiences(values("audience", audience)?);
    }
    if let Some(client_id) = spec.client_id {
        builder = builder.client_ids(values("client_id", client_id)?);
    }
    if let Some(tenants) = spec.tenants {
        builder = builder.tenants(values("tenants", tenants)?);
    }
    if let Some(uri) = spec.jwks_uri {
        builder = builder.jwks_uri(setting("jwks_uri", uri)?);
    }
    builder = builder.scopes(spec.scopes.iter().copied());
    for claim in spec.claims {
        builder = match claim.expect {
            Expect::Present => builder.claim(claim.name),
            Expect::Equals(value) => builder.claim_equals(claim.name, value),
            Expect::ContainsAll(values) => {
                builder.claim_contains(claim.name, values.iter().copied())
            }
        };
    }
    if let Some(algorithms) = spec.algorithms {
        builder = builder.algorithms(algorithms.iter().copied());
    }
    if let Some(typ) = spec.typ {
        builder = builder.typ(typ);
    }
    Ok(builder.leeway(Duration::from_secs(spec.leeway)).build()?)
}

/// The values of `issuer`, `audience`, `client_id` or `tenants`; an `env` list of tenants may
/// separate them with commas or spaces, and may name a tenant twice.
fn values(key: &'static str, spec: Values) -> Result<Vec<String>, ConfigError> {
    match spec {
        Values::List(list) => Ok(list.iter().map(|value| (*value).to_owned()).collect()),
        Values::Env(var) if key == "tenants" => {
            let mut tenants: Vec<String> = Vec::new();
            for tenant in
                setting(key, Setting::Env(var))?.split(|c: char| c == ',' || c.is_whitespace())
            {
                if !tenant.is_empty() && !tenants.iter().any(|t| t == tenant) {
                    tenants.push(tenant.to_owned());
                }
            }
            Ok(tenants)
        }
        Values::Env(var) => Ok(vec![setting(key, Setting::Env(var))?]),
    }
}

impl From<Scalar> for ClaimValue {
    fn from(scalar: Scalar) -> Self {
        match scalar {
            Scalar::Str(value) => ClaimValue::Str(value.to_owned()),
            Scalar::Bool(value) => ClaimValue::Bool(value),
            Scalar::Int(value) => ClaimValue::Int(value),
        }
    }
}

/// `typ` compares case-insensitively with the `application/` prefix optional (RFC 7515 §4.1.9).
pub(crate) fn normalize_typ(typ: &str) -> String {
    let lower = typ.trim().to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_is_resolved_by_the_builder_and_its_rules_apply_to_env_values() {
        let spec = PolicySpec::new(Values::List(&["https://resolve.test/"]))
            .audience(Values::Env("JWKS_GUARD_TEST_AUDIENCE"));
        let built = Policy::builder()
            .issuer("https://resolve.test/")
            .audience("env-api")
            .build();
        assert_eq!(
            format!("{:?}", resolve(&spec).map_err(|e| e.to_string())),
            format!("{:?}", built.map_err(|e| e.to_string()))
        );
        // `tenants` with an issuer from the environment: the macro cannot tell whether it is a
        // template, the builder can.
        let spec = PolicySpec {
            issuer: Values::Env("JWKS_GUARD_TEST_ISSUER"),
            tenants: Some(Values::List(&["acme"])),
            ..spec
        };
        assert!(matches!(
            resolve(&spec),
            Err(ConfigError::Policy(PolicyError::TenantsWithoutTemplate))
        ));
        let spec = PolicySpec {
            issuer: Values::Env("JWKS_GUARD_TEST_UNSET"),
            ..spec
        };
        assert!(matches!(
            resolve(&spec),
            Err(ConfigError::Missing { key: "issuer", .. })
        ));
    }

    #[test]
    fn typ_is_normalized() {
        assert_eq!(normalize_typ("application/AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("at+jwt"), "at+jwt");
    }
}
