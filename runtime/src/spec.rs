//! The constant description of a handler's requirements, as written in `#[protected(...)]`.
//!
//! The attribute macro turns its arguments into one [`PolicySpec`] constant, built by
//! [`PolicySpec::new`] and one `const` method per key written: every default is defined here,
//! nowhere in the macro. Nothing here touches the environment or the network: values written
//! as `env("VAR")` are only named here and read once, at the first request (see
//! [`crate::policy`]).

use std::borrow::Cow;
use std::fmt;

use crate::alg::Alg;
use crate::dpop_state::Dpop;

/// A string setting: written in the attribute, or read from an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// `"literal"`.
    Literal(&'static str),
    /// `env("VAR")`: read once, at the first request.
    Env(&'static str),
}

/// Accepted values of `issuer`, `audience`, `client_id` or `tenants`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// `"a"` or `["a", "b"]`: the token's claim must be one of them.
    List(&'static [&'static str]),
    /// `env("VAR")`: read once at the first request; for `tenants`, a list separated by commas
    /// or spaces, for the others one value.
    Env(&'static str),
}

/// A value a claim is compared with: equal only to a JSON value of the same type (a float counts
/// as an integer only when it is exactly that integer, as `3.0`).
///
/// The builder's [`claim_equals`](crate::PolicyBuilder::claim_equals) and
/// [`claim_contains`](crate::PolicyBuilder::claim_contains) take the owned form, `ClaimValue`
/// (`ClaimValue<String>`); the attribute writes the same type borrowing its strings from the
/// program ([`Scalar`]) into a handler's constant policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimValue<S = String> {
    /// A JSON string.
    Str(S),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON integer.
    Int(i64),
}

/// A [`ClaimValue`] as the attribute writes it: its string a `'static` literal.
pub type Scalar = ClaimValue<&'static str>;

impl<S: AsRef<str>> ClaimValue<S> {
    /// The same value, owning its string.
    #[must_use]
    pub fn into_owned(self) -> ClaimValue {
        match self {
            ClaimValue::Str(value) => ClaimValue::Str(value.as_ref().to_owned()),
            ClaimValue::Bool(value) => ClaimValue::Bool(value),
            ClaimValue::Int(value) => ClaimValue::Int(value),
        }
    }
}

impl<S: AsRef<str>> fmt::Display for ClaimValue<S> {
    /// As JSON: `"text"`, `true`, `3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimValue::Str(value) => write!(f, "{:?}", value.as_ref()),
            ClaimValue::Bool(value) => write!(f, "{value}"),
            ClaimValue::Int(value) => write!(f, "{value}"),
        }
    }
}

impl From<&str> for ClaimValue {
    fn from(value: &str) -> Self {
        ClaimValue::Str(value.to_owned())
    }
}

impl From<String> for ClaimValue {
    fn from(value: String) -> Self {
        ClaimValue::Str(value)
    }
}

impl From<bool> for ClaimValue {
    fn from(value: bool) -> Self {
        ClaimValue::Bool(value)
    }
}

impl From<i64> for ClaimValue {
    fn from(value: i64) -> Self {
        ClaimValue::Int(value)
    }
}

impl From<i32> for ClaimValue {
    fn from(value: i32) -> Self {
        ClaimValue::Int(value.into())
    }
}

impl From<u32> for ClaimValue {
    fn from(value: u32) -> Self {
        ClaimValue::Int(value.into())
    }
}

/// What a required claim must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `claims(name)`: present, whatever its value (JSON `null` counts as absent).
    Present,
    /// `claims(name = value)`: equal to the value.
    Equals(Scalar),
    /// `claims(name = [..])`: an array containing every listed element.
    ContainsAll(&'static [Scalar]),
}

/// One entry of `claims(...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimSpec {
    /// The claim name: looked up as a top-level claim first; if absent and it contains dots,
    /// the dots walk nested objects (`"realm_access.roles"`).
    pub name: &'static str,
    /// What the claim must hold.
    pub expect: Expect,
}

/// Where a request's token may come from: `token_from = [...]` in `#[protected(...)]`,
/// [`PolicyBuilder::token_from`](crate::PolicyBuilder::token_from) without the macro.
///
/// Every source a policy lists is looked at; exactly one may carry a token (RFC 6750 §2: one
/// method per request), and each answers malformed or oversized tokens as `Authorization` does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenSource {
    /// `"authorization"`: `Authorization: Bearer <token>` (the default).
    Authorization,
    /// `cookie("name")`: the value of the cookie `name` is the token, without a scheme. A
    /// cookie sent with an empty value counts as absent; the cookie sent twice is 400.
    Cookie(Cow<'static, str>),
    /// `header("name")`: the value of the header `name` (compared case-insensitively) is the
    /// token, with or without a `Bearer ` prefix; the header sent twice is 400.
    Header(Cow<'static, str>),
}

impl TokenSource {
    /// `cookie("name")`.
    pub fn cookie(name: impl Into<Cow<'static, str>>) -> Self {
        TokenSource::Cookie(name.into())
    }

    /// `header("name")`.
    pub fn header(name: impl Into<Cow<'static, str>>) -> Self {
        TokenSource::Header(name.into())
    }
}

impl std::fmt::Display for TokenSource {
    /// As written in the attribute: `"authorization"`, `cookie("session")`, `header("x-token")`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::Authorization => f.write_str("\"authorization\""),
            TokenSource::Cookie(name) => write!(f, "cookie({name:?})"),
            TokenSource::Header(name) => write!(f, "header({name:?})"),
        }
    }
}

/// Everything one `#[protected(...)]` attribute says, as constant data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySpec {
    /// `issuer`: the exact `iss` values accepted, each with its key set (discovered from it, or
    /// from `jwks_uri`). A literal may hold `{tenantid}`: the token's `tid` fills it in, and
    /// keys come from the provider's common discovery document.
    pub issuer: Values,
    /// `tenants`: with an issuer template, the tenants accepted (all when `None`).
    pub tenants: Option<Values>,
    /// `audience`: the token's `aud` must contain one of them. At least one of `audience` and
    /// `client_id` is set.
    pub audience: Option<Values>,
    /// `client_id`: the token's `client_id` claim must be one of them (Cognito access tokens
    /// carry `client_id` and no `aud`).
    pub client_id: Option<Values>,
    /// `jwks_uri`: skips discovery when set.
    pub jwks_uri: Option<Setting>,
    /// `scopes`: every one must be granted.
    pub scopes: &'static [&'static str],
    /// `claims(...)`.
    pub claims: &'static [ClaimSpec],
    /// `algorithms`: the allow-list; `None` means [`Alg::ALL`].
    pub algorithms: Option<&'static [Alg]>,
    /// `leeway`: seconds of clock skew allowed on `exp`/`nbf`.
    pub leeway: u64,
    /// `typ`: the required `typ` header, if any.
    pub typ: Option<&'static str>,
    /// `token_from`: where the token may come from, by default `Authorization` alone.
    pub token_from: &'static [TokenSource],
    /// `dpop`: whether DPoP-bound tokens (RFC 9449) are accepted, required or ignored.
    pub dpop: Dpop,
}

impl PolicySpec {
    /// The default leeway, in seconds.
    pub const DEFAULT_LEEWAY: u64 = 60;

    /// A spec accepting tokens of `issuer`, with every other key at its default: no audience
    /// nor client id check, every tenant, keys discovered from the issuer, no scope or claim
    /// required, every algorithm of [`Alg::ALL`], [`Self::DEFAULT_LEEWAY`], any `typ`.
    ///
    /// The `#[protected]` expansion calls this and then one method per key written, so that
    /// the defaults are defined here only:
    ///
    /// ```
    /// # use jwks_guard::__private::{PolicySpec, Values};
    /// const SPEC: PolicySpec = PolicySpec::new(Values::List(&["https://id.example.com/"]))
    ///     .audience(Values::List(&["orders-api"]))
    ///     .scopes(&["orders:read"]);
    /// assert_eq!(SPEC.leeway, PolicySpec::DEFAULT_LEEWAY);
    /// ```
    pub const fn new(issuer: Values) -> Self {
        PolicySpec {
            issuer,
            tenants: None,
            audience: None,
            client_id: None,
            jwks_uri: None,
            scopes: &[],
            claims: &[],
            algorithms: None,
            leeway: Self::DEFAULT_LEEWAY,
            typ: None,
            token_from: &[TokenSource::Authorization],
            dpop: Dpop::Allowed,
        }
    }

    /// `tenants = ...`.
    #[must_use]
    pub const fn tenants(mut self, tenants: Values) -> Self {
        self.tenants = Some(tenants);
        self
    }

    /// `audience = ...`.
    #[must_use]
    pub const fn audience(mut self, audience: Values) -> Self {
        self.audience = Some(audience);
        self
    }

    /// `client_id = ...`.
    #[must_use]
    pub const fn client_id(mut self, client_id: Values) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// `jwks_uri = ...`.
    #[must_use]
    pub const fn jwks_uri(mut self, jwks_uri: Setting) -> Self {
        self.jwks_uri = Some(jwks_uri);
        self
    }

    /// `scopes = [...]`.
    #[must_use]
    pub const fn scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.scopes = scopes;
        self
    }

    /// `claims(...)`.
    #[must_use]
    pub const fn claims(mut self, claims: &'static [ClaimSpec]) -> Self {
        self.claims = claims;
        self
    }

    /// `algorithms = [...]`.
    #[must_use]
    pub const fn algorithms(mut self, algorithms: &'static [Alg]) -> Self {
        self.algorithms = Some(algorithms);
        self
    }

    /// `leeway = ...`, in seconds.
    #[must_use]
    pub const fn leeway(mut self, leeway: u64) -> Self {
        self.leeway = leeway;
        self
    }

    /// `typ = "..."`.
    #[must_use]
    pub const fn typ(mut self, typ: &'static str) -> Self {
        self.typ = Some(typ);
        self
    }

    /// `token_from = [...]`.
    #[must_use]
    pub const fn token_from(mut self, sources: &'static [TokenSource]) -> Self {
        self.token_from = sources;
        self
    }

    /// `dpop = "allowed" | "required" | "disabled"`.
    #[must_use]
    pub const fn dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = dpop;
        self
    }
}
