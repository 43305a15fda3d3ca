//! [`Rejection`] and [`RejectionKind`]: why a request was refused, as data every framework
//! adapter can answer with. The answer itself, [`RejectionResponse`], framework-neutral, which
//! every adapter only translates, is in `response` (re-exported here).
//!
//! ```
//! use jwks_guard::{Rejection, RejectionKind};
//!
//! let rejection = Rejection::new(RejectionKind::InvalidToken, "token expired");
//! assert_eq!(rejection.status(), 401);
//! assert_eq!(
//!     rejection.www_authenticate().as_deref(),
//!     Some(r#"Bearer error="invalid_token", error_description="token expired""#),
//! );
//! assert_eq!(
//!     rejection.body(),
//!     r#"{"error":"invalid_token","error_description":"token expired"}"#,
//! );
//!
//! // The answer every framework adapter sends, unless `Settings::rejection_response` installed
//! // another one.
//! let response = rejection.default_response();
//! assert_eq!(response.status(), 401);
//! assert_eq!(response.header("Content-Type"), Some("application/json"));
//! assert_eq!(response.body(), rejection.body().as_bytes());
//! ```

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

#[cfg(feature = "tonic")]
mod grpc;
mod response;

#[cfg(feature = "tonic")]
pub(crate) use grpc::{GrpcStatusFn, install_grpc_status};
pub use response::RejectionResponse;
pub(crate) use response::{ResponseFn, install_response};

/// The kinds of refusal, each with its status and RFC 6750 challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionKind {
    /// No credentials, or a scheme other than Bearer: 401, `WWW-Authenticate: Bearer`.
    MissingCredentials,
    /// Malformed bearer credentials: 400, `error="invalid_request"`.
    InvalidRequest,
    /// The token is not acceptable: 401, `error="invalid_token"`.
    InvalidToken,
    /// A valid token lacking a required scope or claim: 403, `error="insufficient_scope"`.
    InsufficientScope,
    /// No key set could be obtained from the provider: 503 with `Retry-After`.
    KeysUnavailable,
    /// The handler's configuration is broken (an environment variable missing): 500.
    Misconfigured,
    /// The DPoP proof (RFC 9449) is missing, malformed or not made for this request and
    /// token: 401, `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.
    InvalidDpopProof,
    /// Server nonces are on and the DPoP proof lacks the current one: 401,
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a `DPoP-Nonce` header.
    UseDpopNonce,
    /// The DPoP replay store could not say whether a proof was used before: 503 with
    /// `Retry-After` (never accepted unchecked).
    ReplayStoreUnavailable,
}

impl RejectionKind {
    /// The HTTP status code.
    pub const fn status(self) -> u16 {
        match self {
            RejectionKind::MissingCredentials
            | RejectionKind::InvalidToken
            | RejectionKind::InvalidDpopProof
            | RejectionKind::UseDpopNonce => 401,
            RejectionKind::InvalidRequest => 400,
            RejectionKind::InsufficientScope => 403,
            RejectionKind::KeysUnavailable | RejectionKind::ReplayStoreUnavailable => 503,
            RejectionKind::Misconfigured => 500,
        }
    }

    /// The `error` code of the JSON body (and of the challenge, where there is one).
    pub const fn error_code(self) -> &'static str {
        match self {
            RejectionKind::MissingCredentials => "unauthorized",
            RejectionKind::InvalidRequest => "invalid_request",
            RejectionKind::InvalidToken => "invalid_token",
            RejectionKind::InsufficientScope => "insufficient_scope",
            RejectionKind::KeysUnavailable | RejectionKind::ReplayStoreUnavailable => {
                "temporarily_unavailable"
            }
            RejectionKind::InvalidDpopProof => "invalid_dpop_proof",
            RejectionKind::UseDpopNonce => "use_dpop_nonce",
            RejectionKind::Misconfigured => "server_error",
        }
    }
}

/// A refused request: status, `WWW-Authenticate` challenge, `Retry-After` and JSON body.
///
/// One pointer wide, so that `Result<_, Rejection>` stays small on every step of the path and
/// in every handler's future.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection(Box<Refusal>);

/// What a [`Rejection`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    kind: RejectionKind,
    description: Cow<'static, str>,
    required_scope: Option<String>,
    retry_after: Option<Duration>,
    challenge: Challenge,
    dpop_nonce: Option<String>,
}

/// The authentication scheme a refusal's challenge names: the scheme the client should use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449): a token bound to the client's key, with a proof of possession.
    Dpop,
}

/// Which challenges a refusal carries.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Challenge {
    /// `Bearer …`.
    Bearer,
    /// `DPoP …, algs="…"`, with the algorithms a proof may use.
    Dpop(Box<str>),
    /// Two fields: `Bearer`, then `DPoP algs="…"` (a request without credentials to a handler
    /// accepting both).
    BearerThenDpop(Box<str>),
}

impl Rejection {
    /// A rejection of `kind` with a short human-readable description.
    pub fn new(kind: RejectionKind, description: impl Into<Cow<'static, str>>) -> Self {
        Rejection(Box::new(Refusal {
            kind,
            description: description.into(),
            required_scope: None,
            retry_after: None,
            challenge: Challenge::Bearer,
            dpop_nonce: None,
        }))
    }

    /// The challenge under the `DPoP` scheme, naming the proof algorithms `algs`
    /// (space-separated).
    pub(crate) fn under_dpop(mut self, algs: &str) -> Self {
        self.0.challenge = Challenge::Dpop(algs.into());
        self
    }

    /// Both challenges, `Bearer` first: for a request without credentials to a handler that
    /// accepts either scheme.
    pub(crate) fn under_bearer_and_dpop(mut self, algs: &str) -> Self {
        self.0.challenge = Challenge::BearerThenDpop(algs.into());
        self
    }

    /// Sends `nonce` as the `DPoP-Nonce` header (RFC 9449 §8).
    pub(crate) fn with_dpop_nonce(mut self, nonce: String) -> Self {
        self.0.dpop_nonce = Some(nonce);
        self
    }

    /// A refusal while checking a DPoP proof: 401 `invalid_dpop_proof` (or `use_dpop_nonce`),
    /// 503 when the replay store cannot answer.
    pub(crate) fn dpop_proof(kind: RejectionKind, description: String) -> Self {
        let mut rejection = Rejection::new(kind, description);
        if kind == RejectionKind::ReplayStoreUnavailable {
            rejection.0.retry_after = Some(Duration::from_secs(1));
        }
        rejection
    }

    pub(crate) fn missing_credentials(description: &'static str) -> Self {
        Rejection::new(RejectionKind::MissingCredentials, description)
    }

    pub(crate) fn invalid_request(description: &'static str) -> Self {
        Rejection::new(RejectionKind::InvalidRequest, description)
    }

    pub(crate) fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Rejection::new(RejectionKind::InvalidToken, description)
    }

    pub(crate) fn insufficient_scope(
        description: impl Into<Cow<'static, str>>,
        required_scope: &str,
    ) -> Self {
        let mut rejection = Rejection::new(RejectionKind::InsufficientScope, description);
        rejection.0.required_scope = Some(required_scope.to_owned());
        rejection
    }

    pub(crate) fn keys_unavailable(retry_after: Duration) -> Self {
        let mut rejection = Rejection::new(
            RejectionKind::KeysUnavailable,
            "signing keys are temporarily unavailable",
        );
        rejection.0.retry_after = Some(retry_after);
        rejection
    }

    pub(crate) fn misconfigured() -> Self {
        Rejection::new(
            RejectionKind::Misconfigured,
            "authentication is misconfigured",
        )
    }

    /// What went wrong, in kind.
    pub fn kind(&self) -> RejectionKind {
        self.0.kind
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.0.kind.status()
    }

    /// The `error` code: `invalid_token`, `insufficient_scope`, … (see
    /// [`RejectionKind::error_code`]).
    pub fn error_code(&self) -> &'static str {
        self.0.kind.error_code()
    }

    /// The short description sent as `error_description`. It never contains the token.
    pub fn description(&self) -> &str {
        &self.0.description
    }

    /// The scopes the handler requires, in the order of its attribute, for a 403
    /// ([`RejectionKind::InsufficientScope`]); empty when it requires only claims, and for every
    /// other kind.
    pub fn required_scopes(&self) -> impl Iterator<Item = &str> {
        self.0
            .required_scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|scope| !scope.is_empty())
    }

    /// The scheme the challenge names: [`Scheme::Dpop`] when the request came under the
    /// `DPoP` scheme or the handler requires it (or the refusal is about the proof), else
    /// [`Scheme::Bearer`] (also when both challenges are sent: `Bearer` comes first).
    pub fn scheme(&self) -> Scheme {
        match self.0.challenge {
            Challenge::Bearer | Challenge::BearerThenDpop(_) => Scheme::Bearer,
            Challenge::Dpop(_) => Scheme::Dpop,
        }
    }

    /// The `DPoP-Nonce` value this answer carries (RFC 9449 §8): with server nonces on, the
    /// nonce the client's next proof must hold.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.0.dpop_nonce.as_deref()
    }

    /// The (first) `WWW-Authenticate` value (RFC 6750 §3, RFC 9449 §7.1), for 400, 401 and 403
    /// answers. A 403 names the handler's required scopes (`scope=""` when it requires only
    /// claims); a `DPoP` challenge names the proof algorithms accepted (`algs="ES256 …"`).
    pub fn www_authenticate(&self) -> Option<String> {
        self.www_authenticate_all().into_iter().next()
    }

    /// Every `WWW-Authenticate` value, one per field: two (`Bearer`, then `DPoP algs="…"`)
    /// when a request without credentials reaches a handler accepting either scheme, else at
    /// most one.
    pub fn www_authenticate_all(&self) -> Vec<String> {
        let code = self.0.kind.error_code();
        let params = match self.0.kind {
            RejectionKind::MissingCredentials => String::new(),
            RejectionKind::InvalidRequest
            | RejectionKind::InvalidToken
            | RejectionKind::InvalidDpopProof
            | RejectionKind::UseDpopNonce => format!(
                r#"error="{code}", error_description="{}""#,
                QuotedText(&self.0.description)
            ),
            // The required scopes, even when a required claim (not a scope) is what is missing:
            // the description in the body says which.
            RejectionKind::InsufficientScope => format!(
                r#"error="{code}", scope="{}""#,
                QuotedText(self.0.required_scope.as_deref().unwrap_or_default())
            ),
            RejectionKind::KeysUnavailable
            | RejectionKind::Misconfigured
            | RejectionKind::ReplayStoreUnavailable => return Vec::new(),
        };
        let challenge = |scheme: &str, algs: Option<&str>| {
            let params = [
                Some(params.clone()),
                algs.map(|algs| format!(r#"algs="{algs}""#)),
            ];
            let params: Vec<String> = params
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .collect();
            match params.is_empty() {
                true => scheme.to_owned(),
                false => format!("{scheme} {}", params.join(", ")),
            }
        };
        match &self.0.challenge {
            Challenge::Bearer => vec![challenge("Bearer", None)],
            Challenge::Dpop(algs) => vec![challenge("DPoP", Some(algs))],
            Challenge::BearerThenDpop(algs) => {
                vec![challenge("Bearer", None), challenge("DPoP", Some(algs))]
            }
        }
    }

    /// The `Retry-After` value in whole seconds (at least 1), for 503 answers.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.0
            .retry_after
            .map(|after| after.as_secs() + u64::from(after.subsec_nanos() > 0))
            .map(|secs| secs.max(1))
    }

    /// The response headers, as (lowercase name, value): `content-type: application/json`,
    /// then each `www-authenticate`, `retry-after` and `dpop-nonce` when this rejection has
    /// them: those of [`default_response`](Self::default_response).
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, String)> {
        let challenges = self.www_authenticate_all().into_iter();
        std::iter::once(("content-type", "application/json".to_owned()))
            .chain(challenges.map(|challenge| ("www-authenticate", challenge)))
            .chain(
                self.retry_after_secs()
                    .map(|seconds| ("retry-after", seconds.to_string())),
            )
            .chain(self.0.dpop_nonce.clone().map(|nonce| ("dpop-nonce", nonce)))
    }

    /// The JSON body: `{"error": "…", "error_description": "…"}`.
    pub fn body(&self) -> String {
        serde_json::json!({
            "error": self.0.kind.error_code(),
            "error_description": self.0.description,
        })
        .to_string()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.status(),
            self.0.kind.error_code(),
            self.0.description
        )
    }
}

impl std::error::Error for Rejection {}

/// Text made safe for an RFC 9110 quoted-string: only visible ASCII and spaces, with `"` and
/// `\` escaped; anything else becomes `?`.
struct QuotedText<'a>(&'a str);

impl fmt::Display for QuotedText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write as _;
        for c in self.0.chars() {
            match c {
                '"' | '\\' => {
                    f.write_char('\\')?;
                    f.write_char(c)?;
                }
                ' '..='~' => f.write_char(c)?,
                _ => f.write_char('?')?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_credentials_challenge_has_no_error_attribute() {
        let r = Rejection::missing_credentials("bearer token required");
        assert_eq!(
            (r.status(), r.www_authenticate().as_deref()),
            (401, Some("Bearer"))
        );
    }

    #[test]
    fn insufficient_scope_names_the_required_scopes() {
        let r =
            Rejection::insufficient_scope("missing scope orders:write", "orders:read orders:write");
        assert_eq!(r.status(), 403);
        assert_eq!(
            r.www_authenticate().as_deref(),
            Some(r#"Bearer error="insufficient_scope", scope="orders:read orders:write""#)
        );
    }

    #[test]
    fn unavailable_has_no_challenge_and_rounds_retry_after_up() {
        let r = Rejection::keys_unavailable(Duration::from_millis(1500));
        assert_eq!(
            (r.status(), r.www_authenticate(), r.retry_after_secs()),
            (503, None, Some(2))
        );
        let r = Rejection::keys_unavailable(Duration::ZERO);
        assert_eq!(r.retry_after_secs(), Some(1));
    }

    #[test]
    fn headers_are_the_content_type_then_whatever_the_rejection_has() {
        let names = |r: &Rejection| r.headers().map(|(name, _)| name).collect::<Vec<_>>();
        assert_eq!(
            names(&Rejection::keys_unavailable(Duration::from_secs(2))),
            ["content-type", "retry-after"]
        );
        assert_eq!(
            Rejection::missing_credentials("x")
                .headers()
                .collect::<Vec<_>>(),
            [
                ("content-type", "application/json".to_owned()),
                ("www-authenticate", "Bearer".to_owned())
            ]
        );
        assert_eq!(names(&Rejection::misconfigured()), ["content-type"]);
    }

    #[test]
    fn required_scopes_error_code_and_description_are_exposed() {
        let r = Rejection::insufficient_scope("missing scope b", "a b");
        assert_eq!(r.required_scopes().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            (r.error_code(), r.description()),
            ("insufficient_scope", "missing scope b")
        );
        let claims_only = Rejection::insufficient_scope("missing claim tenant", "");
        assert_eq!(claims_only.required_scopes().count(), 0);
        assert_eq!(Rejection::misconfigured().required_scopes().count(), 0);
    }

    #[test]
    fn quoted_text_escapes_quotes_and_drops_control_characters() {
        let r = Rejection::invalid_token("a \"b\" \\ c\nd");
        assert_eq!(
            r.www_authenticate().as_deref(),
            Some(r#"Bearer error="invalid_token", error_description="a \"b\" \\ c?d""#)
        );
    }
}
