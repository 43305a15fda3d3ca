//! [`PolicyCell`]: a `#[protected]` handler's constant [`PolicySpec`], resolved into its
//! [`Policy`] at the first request: `env("VAR")` values read once, then every value fed to the
//! same [`PolicyBuilder`](super::PolicyBuilder) as a policy built by hand.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use super::{Policy, PolicyError};
use crate::reject::Rejection;
use crate::spec::{Expect, PolicySpec, Setting, Values};

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
    /// by [`PolicyBuilder`](super::PolicyBuilder). If that fails, it is logged once and every request is answered
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
        Setting::Env(var) => env_value(var).map_err(|unread| match unread {
            EnvUnread::Missing => ConfigError::Missing { key, var },
            EnvUnread::Empty => ConfigError::Empty { key, var },
            EnvUnread::NotUnicode => ConfigError::NotUnicode { key, var },
        }),
    }
}

/// Why an `env("VAR")` value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnvUnread {
    Missing,
    Empty,
    NotUnicode,
}

/// The value of `var` as an `env("VAR")` setting reads it: trimmed; unset, blank or not Unicode
/// is an error.
pub(crate) fn env_value(var: &str) -> Result<String, EnvUnread> {
    match std::env::var(var) {
        Ok(value) if value.trim().is_empty() => Err(EnvUnread::Empty),
        Ok(value) => Ok(value.trim().to_owned()),
        Err(std::env::VarError::NotPresent) => Err(EnvUnread::Missing),
        Err(std::env::VarError::NotUnicode(_)) => Err(EnvUnread::NotUnicode),
    }
}

/// The spec's environment variables read, and every value fed to the [`PolicyBuilder`](super::PolicyBuilder): the
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
            Expect::Equals(value) => builder.claim_equals(claim.name, value.into_owned()),
            Expect::ContainsAll(values) => {
                builder.claim_contains(claim.name, values.iter().map(|value| value.into_owned()))
            }
        };
    }
    if let Some(algorithms) = spec.algorithms {
        builder = builder.algorithms(algorithms.iter().copied());
    }
    if let Some(typ) = spec.typ {
        builder = builder.typ(typ);
    }
    builder = builder
        .token_from(spec.token_from.iter().cloned())
        .dpop(spec.dpop);
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
}
