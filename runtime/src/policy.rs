//! [`Policy`]: what a handler requires, resolved from its [`PolicySpec`] at the first request.

use std::sync::{Arc, OnceLock};

use crate::keys::{self, KeyCache};
use crate::reject::Rejection;
use crate::spec::{Alg, AlgSet, ClaimSpec, PolicySpec, Setting, Values};

/// A handler's requirements with every `env("VAR")` read and its key cache attached.
pub(crate) struct Policy {
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
    pub(crate) scopes: &'static [&'static str],
    /// `scopes` joined by spaces, for the `scope` attribute of a 403 challenge.
    pub(crate) scope_challenge: String,
    pub(crate) claims: &'static [ClaimSpec],
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
    /// Whether a token naming `iss`, and `tid` when it has one, was issued by this issuer:
    /// `iss` equals the name exactly, or the template filled with `tid` (letters, digits and
    /// `-` only, as tenant ids are).
    fn issued(&self, iss: &str, tid: Option<&str>) -> bool {
        if !self.name.contains(TENANT_PLACEHOLDER) {
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
    /// The issuer of a token naming `iss` (and `tid`), within the tenants allowed.
    ///
    /// # Errors
    /// 401 when no configured issuer produces `iss` exactly, or its tenant is not allowed.
    pub(crate) fn issuer(&self, iss: &str, tid: Option<&str>) -> Result<&Issuer, Rejection> {
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.issued(iss, tid))
            .ok_or_else(|| Rejection::invalid_token("issuer mismatch"))?;
        if issuer.name.contains(TENANT_PLACEHOLDER)
            && let Some(tenants) = &self.tenants
            && !tid.is_some_and(|tid| tenants.iter().any(|t| t == tid))
        {
            return Err(Rejection::invalid_token("tenant not allowed"));
        }
        Ok(issuer)
    }
}

/// A handler's constant [`PolicySpec`] and, once the first request has resolved it, its
/// resolved policy. Not public API: the `#[protected]` expansion declares one per handler.
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

    /// The resolved policy. Environment variables are read once; if one is missing or empty,
    /// that is logged once and every request is answered 500.
    pub(crate) fn policy(&self) -> Result<&Policy, Rejection> {
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

impl std::fmt::Debug for PolicyCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyCell")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// A `#[protected]` setting that could not be resolved.
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
    #[error("keys can never be fetched: {0}")]
    Source(#[from] keys::UrlError),
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

fn resolve(spec: &PolicySpec) -> Result<Policy, ConfigError> {
    let issuers = values("issuer", spec.issuer)?;
    let audiences = spec
        .audience
        .map(|audience| values("audience", audience))
        .transpose()?;
    let client_ids = spec
        .client_id
        .map(|client_id| values("client_id", client_id))
        .transpose()?;
    let tenants = spec
        .tenants
        .map(|tenants| values("tenants", tenants))
        .transpose()?;
    let jwks_uri = spec
        .jwks_uri
        .map(|uri| setting("jwks_uri", uri))
        .transpose()?;
    Ok(Policy {
        issuers: key_caches(&issuers, jwks_uri.as_deref())?,
        tenants,
        audiences,
        client_ids,
        algorithms: AlgSet::of(spec.algorithms.unwrap_or(Alg::ALL)),
        leeway: spec.leeway,
        typ: spec.typ.map(normalize_typ),
        scopes: spec.scopes,
        scope_challenge: spec.scopes.join(" "),
        claims: spec.claims,
    })
}

/// The values of `issuer`, `audience`, `client_id` or `tenants`; an `env` list of tenants may
/// separate them with commas or spaces.
fn values(key: &'static str, spec: Values) -> Result<Vec<String>, ConfigError> {
    match spec {
        Values::List(list) => Ok(list.iter().map(|value| (*value).to_owned()).collect()),
        Values::Env(var) if key == "tenants" => Ok(setting(key, Setting::Env(var))?
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|tenant| !tenant.is_empty())
            .map(str::to_owned)
            .collect()),
        Values::Env(var) => Ok(vec![setting(key, Setting::Env(var))?]),
    }
}

/// One key cache per issuer: from `jwks_uri` when given, else discovered from the issuer. An
/// issuer that is not a URL (Google's `accounts.google.com`) shares the cache of the same
/// issuer with `https://`, which must be listed too.
fn key_caches(issuers: &[String], jwks_uri: Option<&str>) -> Result<Vec<Issuer>, ConfigError> {
    issuers
        .iter()
        .map(|name| {
            let fetched_as = match keys::check_sources(name, jwks_uri) {
                Ok(()) => name.clone(),
                Err(error) => {
                    let with_scheme = format!("https://{name}");
                    if name.contains("://") || !issuers.contains(&with_scheme) {
                        return Err(ConfigError::Source(error));
                    }
                    with_scheme
                }
            };
            Ok(Issuer {
                name: name.clone(),
                keys: keys::cache_for(&fetched_as, jwks_uri),
            })
        })
        .collect()
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
    fn typ_is_normalized() {
        assert_eq!(normalize_typ("application/AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("at+jwt"), "at+jwt");
    }
}
