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
//! the attribute as a constant [`PolicySpec`](crate::__private::PolicySpec), which the first request resolves (reading any
//! `env("VAR")`) by feeding the builder.

mod builder;
mod cell;

use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::alg::{Alg, AlgSet};
use crate::dpop::ProofSettings;
use crate::dpop_state::Dpop;
use crate::issuer;
use crate::keys::KeyCache;
use crate::reject::Rejection;
use crate::spec::TokenSource;

pub use crate::spec::ClaimValue;
pub(crate) use builder::{ClaimExpect, ClaimRule};
pub use builder::{PolicyBuilder, PolicyError};
pub use cell::PolicyCell;
#[cfg_attr(not(feature = "utoipa"), allow(unused_imports))]
pub(crate) use cell::{EnvUnread, env_value};

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
    /// Where the token may come from (at least one source, none twice).
    pub(crate) token_from: Box<[TokenSource]>,
    /// Whether DPoP-bound tokens are accepted, required or ignored.
    pub(crate) dpop: Dpop,
    /// How DPoP proofs are checked: the process-wide settings with this policy's leeway, read
    /// at the first proof.
    pub(crate) proofs: OnceLock<ProofSettings>,
}

/// One accepted issuer and the key cache its tokens are verified with.
pub(crate) struct Issuer {
    /// The exact `iss`, or a template holding [`TENANT_PLACEHOLDER`](issuer::TENANT_PLACEHOLDER).
    pub(crate) name: String,
    pub(crate) keys: Arc<KeyCache>,
}

impl Issuer {
    /// Whether the name is a template holding [`TENANT_PLACEHOLDER`](issuer::TENANT_PLACEHOLDER).
    pub(crate) fn is_template(&self) -> bool {
        issuer::is_template(&self.name)
    }

    /// Whether a token naming `iss`, and `tid` when it has one, was issued by this issuer.
    fn issued(&self, iss: &str, tid: Option<&str>) -> bool {
        issuer::issued(&self.name, iss, tid)
    }
}

impl Policy {
    /// A builder with no issuer and no audience yet, the leeway at 60 seconds and every
    /// supported algorithm allowed: see [`PolicyBuilder`].
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::new()
    }

    /// The accepted issuers (templates included), as given.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.rules.issuers.iter().map(|issuer| issuer.name.as_str())
    }

    /// The scopes every token must be granted.
    pub fn scopes(&self) -> &[String] {
        &self.rules.scopes
    }

    /// Where a request's token may come from, in the order tried.
    pub fn token_from(&self) -> &[TokenSource] {
        &self.rules.token_from
    }

    /// Whether DPoP-bound tokens are accepted, required or ignored.
    pub fn dpop(&self) -> Dpop {
        self.rules.dpop
    }

    /// How this policy checks DPoP proofs: [`Settings`](crate::Settings)' DPoP settings, with
    /// its leeway.
    pub(crate) fn proof_settings(&self) -> &ProofSettings {
        self.rules.proofs.get_or_init(|| {
            let leeway = std::time::Duration::from_secs(self.rules.leeway);
            ProofSettings::from_settings(crate::settings::current(), leeway)
        })
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
            .field("token_from", &rules.token_from)
            .field("dpop", &rules.dpop)
            .finish()
    }
}
