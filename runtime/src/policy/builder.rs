//! [`PolicyBuilder`]: a [`Policy`] from values known at run time, checked by the rules
//! `#[protected]` checks its attribute by at compile time.

use std::time::Duration;

use super::{Issuer, Policy, Rules};
use crate::alg::{Alg, AlgSet};
use crate::credentials::is_token_name;
use crate::dpop_state::Dpop;
use crate::issuer::{TENANT_PLACEHOLDER, is_template};
use crate::keys;
use crate::spec::{ClaimValue, PolicySpec, TokenSource};
use crate::token::normalize_typ;

/// Builds a [`Policy`]: one method per key of `#[protected(...)]`, then [`build`](Self::build).
///
/// ```no_run
/// use std::time::Duration;
/// use jwks_guard::{Alg, Policy};
///
/// # fn main() -> Result<(), jwks_guard::PolicyError> {
/// // #[protected(
/// //     issuer = "https://id.example.com/",
/// //     audience = "orders-api",
/// //     scopes = ["orders:read"],
/// //     claims(email_verified = true, "realm_access.roles" = ["clerk"]),
/// //     algorithms = ["RS256", "ES256"],
/// //     leeway = 30,
/// //     typ = "at+jwt",
/// // )]
/// let policy = Policy::builder()
///     .issuer("https://id.example.com/")
///     .audience("orders-api")
///     .scopes(["orders:read"])
///     .claim_equals("email_verified", true)
///     .claim_contains("realm_access.roles", ["clerk"])
///     .algorithms([Alg::RS256, Alg::ES256])
///     .leeway(Duration::from_secs(30))
///     .typ("at+jwt")
///     .build()?;
/// # Ok(()) }
/// ```
///
/// Calling a list method again adds to the list (`.issuer(a).issuer(b)` accepts both).
/// [`build`](Self::build) checks what the attribute checks at compile time (an issuer and an
/// audience or client id are given, no empty, padded or repeated value, `tenants` only with an
/// issuer template, …) and that keys can be fetched from where they would be (`https`, or
/// `http` on loopback, after [`Settings::fetch_from`](crate::Settings::fetch_from)): call
/// [`configure`](crate::configure) first if you configure settings. It attaches each issuer's
/// process-wide key cache (the one every policy and `#[protected]` handler naming it shares)
/// and fetches nothing.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct PolicyBuilder {
    issuers: Vec<String>,
    tenants: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    client_ids: Option<Vec<String>>,
    jwks_uri: Option<String>,
    scopes: Vec<String>,
    claims: Vec<ClaimRule>,
    algorithms: Option<Vec<Alg>>,
    leeway: Duration,
    typ: Option<String>,
    token_from: Option<Vec<TokenSource>>,
    dpop: Dpop,
}

/// Why [`PolicyBuilder::build`] refused to build a policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// No issuer was given.
    #[error("no issuer: add one, e.g. `.issuer(\"https://id.example.com/\")`")]
    NoIssuer,
    /// Neither an audience nor a client id was given.
    #[error(
        "neither an audience nor a client id: add one, e.g. `.audience(\"your-api\")` or \
         `.client_id(\"your-app-client-id\")`"
    )]
    NoAudience,
    /// A value or a list is empty: an empty issuer, audience, client id, tenant, JWKS URI,
    /// scope, claim name or `typ`; an empty list of audiences, client ids, tenants,
    /// algorithms or of the values a claim must contain.
    #[error("`{key}` has an empty value or an empty list")]
    Empty {
        /// The attribute key the value is for (`"audience"`, `"algorithms"`, `"claims"`, …).
        key: &'static str,
    },
    /// A value is padded with whitespace, or a scope contains some (scopes are granted as one
    /// space-separated string, so `"a b"` can never match).
    #[error("`{key}`: {value:?} has whitespace around or, for a scope, inside it")]
    Whitespace {
        /// The attribute key the value is for.
        key: &'static str,
        /// The value as given.
        value: String,
    },
    /// A value is listed twice, which changes nothing and is usually a slip.
    #[error("`{key}`: {value} is listed twice")]
    Duplicate {
        /// The attribute key the value is for.
        key: &'static str,
        /// The repeated value.
        value: String,
    },
    /// An issuer holds a placeholder other than `{tenantid}`, or holds it more than once.
    #[error(
        "issuer {issuer:?}: the only placeholder an issuer may hold is `{{tenantid}}`, once, \
         filled from the token's `tid` claim"
    )]
    BadTemplate {
        /// The issuer as given.
        issuer: String,
    },
    /// Tenants were given, but no issuer is a template holding `{tenantid}`.
    #[error(
        "`tenants` limits an issuer template to some tenants, but no issuer holds \
         `{{tenantid}}`, e.g. `https://login.microsoftonline.com/{{tenantid}}/v2.0`"
    )]
    TenantsWithoutTemplate,
    /// A dotted claim name has nothing between two dots (or before or after one).
    #[error(
        "claim {name:?}: a nested claim name needs a name between every two dots, e.g. \
         `realm_access.roles`"
    )]
    BadClaimName {
        /// The claim name as given.
        name: String,
    },
    /// A `token_from` source names a cookie or header that cannot be sent, or reads
    /// `Authorization` or `Cookie` as a plain header.
    #[error("`token_from`: {token_source} cannot be a token source: {reason}")]
    BadTokenSource {
        /// The source as the attribute writes it (`header("x y")`).
        token_source: String,
        /// Why, and what to write instead.
        reason: &'static str,
    },
    /// Keys of an issuer could never be fetched: the issuer (or the JWKS URI) is not an
    /// absolute URL, or is plain `http` off loopback.
    #[error("keys of issuer {issuer:?} can never be fetched: {reason}")]
    Unfetchable {
        /// The issuer as given.
        issuer: String,
        /// Why.
        reason: String,
    },
}

/// One required claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimRule {
    /// Looked up as a top-level claim first; if absent and it contains dots, the dots walk
    /// nested objects.
    pub(crate) name: String,
    pub(crate) expect: ClaimExpect,
}

/// What a required claim must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimExpect {
    /// Present, whatever its value (JSON `null` counts as absent).
    Present,
    /// Equal to the value.
    Equals(ClaimValue),
    /// An array containing every listed element.
    ContainsAll(Box<[ClaimValue]>),
}

impl Default for PolicyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PolicyBuilder {
    /// A builder with no issuer and no audience yet, the leeway at
    /// [`PolicySpec::DEFAULT_LEEWAY`] seconds and every supported algorithm allowed.
    pub fn new() -> Self {
        PolicyBuilder {
            issuers: Vec::new(),
            tenants: None,
            audiences: None,
            client_ids: None,
            jwks_uri: None,
            scopes: Vec::new(),
            claims: Vec::new(),
            algorithms: None,
            leeway: Duration::from_secs(PolicySpec::DEFAULT_LEEWAY),
            typ: None,
            token_from: None,
            dpop: Dpop::Allowed,
        }
    }

    /// `issuer`: the token's `iss` must equal one of the issuers exactly; each issuer's keys
    /// are discovered from it (or taken from [`jwks_uri`](Self::jwks_uri)). An issuer that is
    /// not a URL (`accounts.google.com`) uses the keys of the same issuer with `https://`,
    /// which must be given too. An issuer may be a template holding `{tenantid}`, filled from
    /// the token's `tid`. Adds to the issuers already given.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuers.push(issuer.into());
        self
    }

    /// Several [`issuer`](Self::issuer)s at once.
    pub fn issuers<I: Into<String>>(mut self, issuers: impl IntoIterator<Item = I>) -> Self {
        self.issuers.extend(issuers.into_iter().map(Into::into));
        self
    }

    /// `tenants`: with an issuer template, the tenants (`tid`) whose tokens are accepted;
    /// every tenant when never called. Adds to the tenants already given.
    pub fn tenants<I: Into<String>>(mut self, tenants: impl IntoIterator<Item = I>) -> Self {
        extend(&mut self.tenants, tenants);
        self
    }

    /// `audience`: the token's `aud` (string or array) must contain one of the audiences.
    /// Adds to the audiences already given.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.audiences([audience])
    }

    /// Several [`audience`](Self::audience)s at once.
    pub fn audiences<I: Into<String>>(mut self, audiences: impl IntoIterator<Item = I>) -> Self {
        extend(&mut self.audiences, audiences);
        self
    }

    /// `client_id`: the token's `client_id` claim must be one of the client ids (Cognito access
    /// tokens carry `client_id` and no `aud`); with an audience too, both must match. Adds to
    /// the client ids already given.
    pub fn client_id(self, client_id: impl Into<String>) -> Self {
        self.client_ids([client_id])
    }

    /// Several [`client_id`](Self::client_id)s at once.
    pub fn client_ids<I: Into<String>>(mut self, client_ids: impl IntoIterator<Item = I>) -> Self {
        extend(&mut self.client_ids, client_ids);
        self
    }

    /// `jwks_uri`: where every issuer's keys are fetched from, skipping discovery.
    pub fn jwks_uri(mut self, jwks_uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(jwks_uri.into());
        self
    }

    /// `scopes`: every scope must be granted, by `scope` or `scp` (403 otherwise). Adds to the
    /// scopes already given; an empty list requires nothing.
    pub fn scopes<I: Into<String>>(mut self, scopes: impl IntoIterator<Item = I>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// `claims(name)`: the claim must be present (not `null`). A name is first looked up as a
    /// top-level claim (so `"https://example.com/roles"` works), and otherwise its dots walk
    /// nested objects (`"realm_access.roles"`).
    pub fn claim(self, name: impl Into<String>) -> Self {
        self.require(name.into(), ClaimExpect::Present)
    }

    /// `claims(name = value)`: the claim must equal the value (string, bool or integer).
    pub fn claim_equals(self, name: impl Into<String>, value: impl Into<ClaimValue>) -> Self {
        self.require(name.into(), ClaimExpect::Equals(value.into()))
    }

    /// `claims(name = [..])`: the claim must be an array containing every value.
    pub fn claim_contains<V: Into<ClaimValue>>(
        self,
        name: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let values = values.into_iter().map(Into::into).collect();
        self.require(name.into(), ClaimExpect::ContainsAll(values))
    }

    fn require(mut self, name: String, expect: ClaimExpect) -> Self {
        self.claims.push(ClaimRule { name, expect });
        self
    }

    /// `algorithms`: the allow-list (default: every [`Alg`]). `none` and HS* are never
    /// accepted. Adds to the algorithms already given.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Alg>) -> Self {
        self.algorithms
            .get_or_insert_with(Vec::new)
            .extend(algorithms);
        self
    }

    /// `leeway`: the clock skew allowed on `exp` and `nbf`, in whole seconds (default 60).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// `typ`: the required `typ` header (compared case-insensitively, `application/` prefix
    /// optional), e.g. `"at+jwt"`.
    pub fn typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// `token_from`: where a request's token may come from (default: `Authorization` alone).
    /// Every source is looked at; a request whose token is in more than one is answered 400
    /// (see [`credentials`](crate::credentials)). Adds to the sources already given.
    ///
    /// ```
    /// use jwks_guard::{Policy, TokenSource};
    ///
    /// // #[protected(…, token_from = ["authorization", cookie("session"), header("x-forwarded-access-token")])]
    /// let policy = Policy::builder()
    ///     .issuer("https://id.example.com/")
    ///     .audience("orders-api")
    ///     .token_from([
    ///         TokenSource::Authorization,
    ///         TokenSource::cookie("session"),
    ///         TokenSource::header("x-forwarded-access-token"),
    ///     ])
    ///     .build()?;
    /// # Ok::<(), jwks_guard::PolicyError>(())
    /// ```
    pub fn token_from(mut self, sources: impl IntoIterator<Item = TokenSource>) -> Self {
        self.token_from.get_or_insert_with(Vec::new).extend(sources);
        self
    }

    /// `dpop`: whether DPoP-bound tokens (RFC 9449) are accepted ([`Dpop::Allowed`], the
    /// default), required ([`Dpop::Required`]) or ignored ([`Dpop::Disabled`]); see
    /// [`dpop`](crate::dpop).
    ///
    /// ```
    /// use jwks_guard::{Dpop, Policy};
    ///
    /// // #[protected(…, dpop = "required")]
    /// let policy = Policy::builder()
    ///     .issuer("https://id.example.com/")
    ///     .audience("orders-api")
    ///     .dpop(Dpop::Required)
    ///     .build()?;
    /// assert_eq!(policy.dpop(), Dpop::Required);
    /// # Ok::<(), jwks_guard::PolicyError>(())
    /// ```
    pub fn dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = dpop;
        self
    }

    /// Checks the policy and attaches each issuer's key cache. Never panics; fetches nothing.
    ///
    /// # Errors
    /// The first [`PolicyError`] found.
    pub fn build(self) -> Result<Policy, PolicyError> {
        if self.issuers.is_empty() {
            return Err(PolicyError::NoIssuer);
        }
        if self.audiences.is_none() && self.client_ids.is_none() {
            return Err(PolicyError::NoAudience);
        }
        list("issuer", &self.issuers)?;
        for issuer in &self.issuers {
            let rest = issuer.replacen(TENANT_PLACEHOLDER, "", 1);
            if rest.contains(['{', '}']) {
                return Err(PolicyError::BadTemplate {
                    issuer: issuer.clone(),
                });
            }
        }
        if let Some(tenants) = &self.tenants {
            list("tenants", tenants)?;
            if !self.issuers.iter().any(|issuer| is_template(issuer)) {
                return Err(PolicyError::TenantsWithoutTemplate);
            }
        }
        if let Some(audiences) = &self.audiences {
            list("audience", audiences)?;
        }
        if let Some(client_ids) = &self.client_ids {
            list("client_id", client_ids)?;
        }
        if let Some(jwks_uri) = &self.jwks_uri {
            value("jwks_uri", jwks_uri)?;
        }
        for scope in &self.scopes {
            if scope.is_empty() {
                return Err(PolicyError::Empty { key: "scopes" });
            }
            if scope.contains(char::is_whitespace) {
                return Err(PolicyError::Whitespace {
                    key: "scopes",
                    value: scope.clone(),
                });
            }
        }
        unique("scopes", &self.scopes, |scope| format!("{scope:?}"))?;
        for rule in &self.claims {
            check_claim(rule)?;
        }
        let names: Vec<&str> = self.claims.iter().map(|rule| rule.name.as_str()).collect();
        unique("claims", &names, |name| format!("{name:?}"))?;
        if let Some(algorithms) = &self.algorithms {
            if algorithms.is_empty() {
                return Err(PolicyError::Empty { key: "algorithms" });
            }
            unique("algorithms", algorithms, |alg| alg.name().to_owned())?;
        }
        if let Some(typ) = &self.typ {
            value("typ", typ)?;
        }
        let token_from = token_sources(self.token_from)?;
        if self.dpop == Dpop::Required
            && let Some(source) = token_from
                .iter()
                .find(|source| !matches!(source, TokenSource::Authorization))
        {
            return Err(PolicyError::BadTokenSource {
                token_source: source.to_string(),
                reason: concat!(
                    "with `dpop(Dpop::Required)` only `Authorization: DPoP` carries a token; ",
                    "a cookie or another header carries a bearer token, which is refused",
                ),
            });
        }
        let issuers = key_caches(&self.issuers, self.jwks_uri.as_deref())?;
        Ok(Policy::from_rules(Rules {
            issuers,
            tenants: self.tenants,
            audiences: self.audiences,
            client_ids: self.client_ids,
            algorithms: AlgSet::of(self.algorithms.as_deref().unwrap_or(Alg::ALL)),
            leeway: self.leeway.as_secs(),
            typ: self.typ.as_deref().map(normalize_typ),
            scope_challenge: self.scopes.join(" "),
            scopes: self.scopes.into_boxed_slice(),
            claims: self.claims.into_boxed_slice(),
            token_from,
            dpop: self.dpop,
            proofs: std::sync::OnceLock::new(),
        }))
    }
}

/// The token sources, checked: not empty, none twice, names that can be sent (header names
/// lowercased); `Authorization` is a source of its own, and the `Cookie` header is read through
/// `cookie(..)`.
fn token_sources(sources: Option<Vec<TokenSource>>) -> Result<Box<[TokenSource]>, PolicyError> {
    let Some(sources) = sources else {
        return Ok(Box::new([TokenSource::Authorization]));
    };
    if sources.is_empty() {
        return Err(PolicyError::Empty { key: "token_from" });
    }
    let mut checked = Vec::with_capacity(sources.len());
    for source in sources {
        let bad = |reason| PolicyError::BadTokenSource {
            token_source: source.to_string(),
            reason,
        };
        let source = match &source {
            TokenSource::Authorization => TokenSource::Authorization,
            TokenSource::Cookie(name) if !is_token_name(name) => {
                return Err(bad(
                    "a cookie name is a non-empty HTTP token (no space, `;`, `=`, quote)",
                ));
            }
            TokenSource::Header(name) if !is_token_name(name) => {
                return Err(bad(
                    "a header name is a non-empty HTTP token (letters, digits, `-`, …)",
                ));
            }
            TokenSource::Header(name) if name.eq_ignore_ascii_case("authorization") => {
                return Err(bad(
                    "use `TokenSource::Authorization` for the `Authorization` header",
                ));
            }
            TokenSource::Header(name) if name.eq_ignore_ascii_case("cookie") => {
                return Err(bad("use `TokenSource::cookie(\"name\")` to read a cookie"));
            }
            TokenSource::Header(name) => TokenSource::header(name.to_ascii_lowercase()),
            TokenSource::Cookie(_) => source.clone(),
        };
        checked.push(source);
    }
    unique("token_from", &checked, ToString::to_string)?;
    Ok(checked.into_boxed_slice())
}

fn extend<I: Into<String>>(list: &mut Option<Vec<String>>, values: impl IntoIterator<Item = I>) {
    list.get_or_insert_with(Vec::new)
        .extend(values.into_iter().map(Into::into));
}

/// A string value: neither empty nor padded with whitespace.
fn value(key: &'static str, value: &str) -> Result<(), PolicyError> {
    if value.trim().is_empty() {
        Err(PolicyError::Empty { key })
    } else if value.trim() != value {
        Err(PolicyError::Whitespace {
            key,
            value: value.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// A list of string values: not empty, each value well formed, none repeated.
fn list(key: &'static str, values: &[String]) -> Result<(), PolicyError> {
    if values.is_empty() {
        return Err(PolicyError::Empty { key });
    }
    for one in values {
        value(key, one)?;
    }
    unique(key, values, |value| format!("{value:?}"))
}

/// No item equal to an earlier one; `show` names the repeated one in the error.
fn unique<T: PartialEq>(
    key: &'static str,
    items: &[T],
    show: impl Fn(&T) -> String,
) -> Result<(), PolicyError> {
    match items
        .iter()
        .enumerate()
        .find(|(index, item)| items[..*index].contains(item))
    {
        Some((_, item)) => Err(PolicyError::Duplicate {
            key,
            value: show(item),
        }),
        None => Ok(()),
    }
}

fn check_claim(rule: &ClaimRule) -> Result<(), PolicyError> {
    if rule.name.is_empty() {
        return Err(PolicyError::Empty { key: "claims" });
    }
    if rule.name.contains('.') && rule.name.split('.').any(str::is_empty) {
        return Err(PolicyError::BadClaimName {
            name: rule.name.clone(),
        });
    }
    if let ClaimExpect::ContainsAll(values) = &rule.expect {
        if values.is_empty() {
            return Err(PolicyError::Empty { key: "claims" });
        }
        unique("claims", values, ToString::to_string)?;
    }
    Ok(())
}

/// One key cache per issuer: from `jwks_uri` when given, else discovered from the issuer. An
/// issuer that is not a URL (Google's `accounts.google.com`) shares the cache of the same
/// issuer with `https://`, which must be listed too.
fn key_caches(issuers: &[String], jwks_uri: Option<&str>) -> Result<Vec<Issuer>, PolicyError> {
    issuers
        .iter()
        .map(|name| {
            let fetched_as = match keys::check_sources(name, jwks_uri) {
                Ok(()) => name.clone(),
                Err(error) => {
                    let with_scheme = format!("https://{name}");
                    if name.contains("://") || !issuers.contains(&with_scheme) {
                        return Err(PolicyError::Unfetchable {
                            issuer: name.clone(),
                            reason: error.to_string(),
                        });
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
