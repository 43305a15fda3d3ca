//! Where a request's token comes from: the sources a policy lists ([`TokenSource`]:
//! `Authorization`, a cookie, another header), read from any framework's headers through
//! [`RequestHeaders`].
//!
//! ```
//! use jwks_guard::TokenSource;
//! use jwks_guard::credentials::token;
//!
//! let sources = [TokenSource::Authorization, TokenSource::cookie("session")];
//! let headers: &[(&str, &[u8])] = &[("cookie", b"theme=dark; session=abc.def.ghi")];
//! assert_eq!(token(&sources, headers).ok(), Some("abc.def.ghi"));
//!
//! // One method per request (RFC 6750 §2): a token in two places is 400.
//! let headers: &[(&str, &[u8])] =
//!     &[("authorization", b"Bearer abc.def.ghi"), ("cookie", b"session=abc.def.ghi")];
//! assert_eq!(token(&sources, headers).map_err(|r| r.status()), Err(400));
//! ```
//!
//! Every listed source is looked at, in the order listed:
//!
//! - `Authorization`: as [`bearer_token`](crate::bearer::bearer_token) reads it; another scheme
//!   (`Basic …`) carries no token.
//! - a cookie: every `Cookie` header is read (HTTP/2 may split cookies over several); each
//!   `name=value` pair is separated by `;`, whitespace around a pair is ignored, and names are
//!   compared exactly (cookie names are case-sensitive). The value as sent is the token, with
//!   no scheme and no unquoting. The cookie with an empty value counts as absent (a cleared
//!   cookie); the cookie sent twice is 400, since which of the two is the client's cannot be
//!   told (another site of the same domain may set one).
//! - another header: its value, trimmed, with or without a `Bearer ` prefix; the header sent
//!   twice is 400, an empty one 400.
//!
//! No source carrying a token is 401 with a bare `Bearer` challenge; a token in more than one
//! source is 400 `invalid_request`; a token is checked as in `Authorization` (empty, or
//! characters outside `b64token`: 400; over [`MAX_TOKEN_LEN`](crate::bearer::MAX_TOKEN_LEN):
//! 401 `invalid_token`).

use std::borrow::Cow;

use crate::bearer::{self, Found};
use crate::reject::{Rejection, Scheme};
use crate::spec::TokenSource;

/// A request's headers as the guard reads them: every value of one header, by name. Each
/// framework adapter implements it for its header map; implement it to call
/// [`Policy::authorize`](crate::Policy::authorize) from anywhere else.
///
/// Implemented for `http::HeaderMap` (features `axum`, `poem`), actix-web's and Rocket's
/// header maps, and a slice of `(name, value)` pairs (names compared case-insensitively).
///
/// A DPoP proof (RFC 9449) names the request's method and URI, so the guard checks one only
/// when it is given them: every framework adapter gives them; a bare header map does not (a
/// DPoP request is then refused, saying so), and [`WithRequestLine`] adds them to one.
pub trait RequestHeaders {
    /// The values of every header named `name` (lowercase ASCII), in the order received.
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a;

    /// The request's method (`GET`), when known: what a DPoP proof's `htm` must be.
    fn method(&self) -> Option<&str> {
        None
    }

    /// The request target as received, when known: a path with its query (`/orders?page=2`),
    /// or an absolute URI (HTTP/2 requests, proxies). With the `Host` header (or
    /// [`Settings::public_origin`](crate::Settings::public_origin)), what a DPoP proof's `htu`
    /// must name.
    fn target(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// The DPoP proof a guard in front of this one (a layer) already checked for this very
    /// request, from the request's extensions. Not public API.
    #[doc(hidden)]
    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        None
    }
}

/// A request's DPoP proof, checked (replay included) by a guard in front (a layer), which puts
/// this in the request's extensions: a `#[protected]` handler or method behind it accepts the
/// same token with the same key without checking the proof, spent already, a second time.
/// Only the guard makes one. Not public API.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofCheckedUpstream {
    /// SHA-256 of the access token the proof was checked with.
    pub(crate) token_digest: [u8; 32],
    /// The thumbprint of the proof's key.
    pub(crate) jkt: String,
}

impl ProofCheckedUpstream {
    /// The mark of a proof of the key `jkt` checked with `token`.
    pub(crate) fn new(token: &str, jkt: &str) -> Self {
        ProofCheckedUpstream {
            token_digest: digest(token),
            jkt: jkt.to_owned(),
        }
    }

    /// The key's thumbprint, when the proof was checked with `token`.
    pub(crate) fn jkt_for(&self, token: &str) -> Option<&str> {
        (self.token_digest == digest(token)).then_some(self.jkt.as_str())
    }
}

/// SHA-256 of a token.
fn digest(token: &str) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes()).as_ref(),
    );
    out
}

impl<T: RequestHeaders + ?Sized> RequestHeaders for &T {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        T::header_values(self, name)
    }

    fn method(&self) -> Option<&str> {
        T::method(self)
    }

    fn target(&self) -> Option<Cow<'_, str>> {
        T::target(self)
    }

    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        T::proof_checked_upstream(self)
    }
}

/// Headers with the request's method and target: what [`Policy::authorize`](crate::Policy::authorize)
/// needs to check DPoP proofs when called with a bare header map.
///
/// ```
/// use jwks_guard::credentials::{RequestHeaders, WithRequestLine};
///
/// let headers: &[(&str, &[u8])] = &[("host", b"api.example.com")];
/// let request = WithRequestLine::new("GET", "/orders?page=2", headers);
/// assert_eq!(request.method(), Some("GET"));
/// assert_eq!(request.target().as_deref(), Some("/orders?page=2"));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct WithRequestLine<'a, H: ?Sized> {
    method: &'a str,
    target: &'a str,
    headers: &'a H,
}

impl<'a, H: RequestHeaders + ?Sized> WithRequestLine<'a, H> {
    /// `headers` of a request whose method is `method` and whose target (as received) is
    /// `target`.
    pub fn new(method: &'a str, target: &'a str, headers: &'a H) -> Self {
        WithRequestLine {
            method,
            target,
            headers,
        }
    }
}

impl<H: RequestHeaders + ?Sized> RequestHeaders for WithRequestLine<'_, H> {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.header_values(name)
    }

    fn method(&self) -> Option<&str> {
        Some(self.method)
    }

    fn target(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.target))
    }

    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        self.headers.proof_checked_upstream()
    }
}

impl<'h> RequestHeaders for [(&'h str, &'h [u8])] {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    }
}

#[cfg(any(feature = "axum", feature = "poem", feature = "tonic"))]
impl RequestHeaders for http::HeaderMap {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).iter().map(http::HeaderValue::as_bytes)
    }
}

/// A request's head: its headers, method and target.
#[cfg(any(feature = "axum", feature = "tonic"))]
impl RequestHeaders for http::request::Parts {
    fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.header_values(name)
    }

    fn method(&self) -> Option<&str> {
        Some(self.method.as_str())
    }

    /// The URI as the client sent it: inside a nested axum router, `uri` has lost the prefix,
    /// and `OriginalUri` keeps it.
    fn target(&self) -> Option<Cow<'_, str>> {
        #[cfg(feature = "axum")]
        if let Some(axum::extract::OriginalUri(uri)) = self.extensions.get() {
            return Some(uri_target(uri));
        }
        Some(uri_target(&self.uri))
    }

    fn proof_checked_upstream(&self) -> Option<&ProofCheckedUpstream> {
        self.extensions.get()
    }
}

/// The target of `uri` as received: borrowed in origin form (`/path?query`), rebuilt when
/// absolute.
#[cfg(any(feature = "axum", feature = "poem", feature = "tonic"))]
pub(crate) fn uri_target(uri: &http::Uri) -> Cow<'_, str> {
    match (uri.scheme(), uri.path_and_query()) {
        (None, Some(path)) => Cow::Borrowed(path.as_str()),
        _ => Cow::Owned(uri.to_string()),
    }
}

/// A request's token, and the scheme it came under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Presented<'a> {
    pub(crate) token: &'a str,
    pub(crate) scheme: Scheme,
}

/// The token of a request whose headers are `headers`, from the one source of `sources`
/// carrying one.
///
/// # Errors
/// 401 when no source carries a token; 400 when several do, or the one that does is
/// malformed; 401 `invalid_token` for a token over the size limit.
pub fn token<'a, H: RequestHeaders + ?Sized>(
    sources: &'a [TokenSource],
    headers: &'a H,
) -> Result<&'a str, Rejection> {
    presented(sources, headers, false).map(|presented| presented.token)
}

/// As [`token`], with the scheme it came under: `Authorization: DPoP …` is a token only when
/// `accept_dpop` (else another scheme, carrying none).
pub(crate) fn presented<'a, H: RequestHeaders + ?Sized>(
    sources: &'a [TokenSource],
    headers: &'a H,
    accept_dpop: bool,
) -> Result<Presented<'a>, Rejection> {
    let mut found = None;
    for source in sources {
        let (scheme, token) = match read(source, headers, accept_dpop) {
            Found::Absent => continue,
            Found::Token(token) => (Scheme::Bearer, token),
            // Malformed, it is still answered under the scheme it was sent with.
            Found::Dpop(token) => (Scheme::Dpop, token.map_err(|r| r.under_dpop(""))),
        };
        if found.is_some() {
            return Err(Rejection::invalid_request(
                "a token in more than one place: send it one way only",
            ));
        }
        found = Some(token.map(|token| Presented { token, scheme }));
    }
    found.unwrap_or_else(|| Err(Rejection::missing_credentials("bearer token required")))
}

/// What one source holds.
fn read<'a, H: RequestHeaders + ?Sized>(
    source: &'a TokenSource,
    headers: &'a H,
    accept_dpop: bool,
) -> Found<'a> {
    match source {
        TokenSource::Authorization => {
            bearer::authorization(headers.header_values("authorization"), accept_dpop)
        }
        TokenSource::Cookie(name) => cookie(headers.header_values("cookie"), name),
        TokenSource::Header(name) => header(headers.header_values(name)),
    }
}

/// The cookie `name` among the `Cookie` header values.
fn cookie<'a>(values: impl Iterator<Item = &'a [u8]>, name: &str) -> Found<'a> {
    let mut found: Option<&[u8]> = None;
    for pair in values.flat_map(|value| value.split(|&b| b == b';')) {
        let Some(at) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        if pair[..at].trim_ascii() != name.as_bytes() {
            continue;
        }
        if found.is_some() {
            return Found::Token(Err(Rejection::invalid_request(
                "the token's cookie is sent more than once",
            )));
        }
        found = Some(pair[at + 1..].trim_ascii());
    }
    match found {
        None | Some([]) => Found::Absent,
        Some(value) => Found::Token(bearer::token(value)),
    }
}

/// The token of a header other than `Authorization`: its value, with or without `Bearer `.
fn header<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> Found<'a> {
    let Some(value) = values.next() else {
        return Found::Absent;
    };
    if values.next().is_some() {
        return Found::Token(Err(Rejection::invalid_request(
            "the token's header is sent more than once",
        )));
    }
    let value = value.trim_ascii();
    Found::Token(match bearer::after_bearer(value) {
        Some(rest) => rest.and_then(bearer::token),
        None => bearer::token(value),
    })
}

/// Whether `name` is an HTTP token (RFC 9110 §5.6.2), as header and cookie names must be.
pub(crate) fn is_token_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RejectionKind;

    fn all() -> [TokenSource; 3] {
        [
            TokenSource::Authorization,
            TokenSource::cookie("session"),
            TokenSource::header("x-forwarded-access-token"),
        ]
    }

    fn read(headers: &[(&str, &[u8])]) -> Result<&'static str, RejectionKind> {
        let headers: &'static [(&'static str, &'static [u8])] = Box::leak(
            headers
                .iter()
                .map(|(n, v)| {
                    (
                        &*Box::leak(n.to_string().into_boxed_str()),
                        &*Box::leak(v.to_vec().into_boxed_slice()),
                    )
                })
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        );
        let sources: &'static [TokenSource] = Box::leak(Box::new(all()));
        token(sources, headers).map_err(|r| r.kind())
    }

    #[test]
    fn each_source_alone_gives_its_token() {
        assert_eq!(read(&[("Authorization", b"Bearer a.b.c")]), Ok("a.b.c"));
        assert_eq!(read(&[("cookie", b"a=1; session=a.b.c; z")]), Ok("a.b.c"));
        assert_eq!(
            read(&[("cookie", b"a=1"), ("cookie", b"session=t")]),
            Ok("t")
        );
        assert_eq!(read(&[("x-forwarded-access-token", b"a.b.c")]), Ok("a.b.c"));
        assert_eq!(
            read(&[("X-Forwarded-Access-Token", b"bearer  a.b.c ")]),
            Ok("a.b.c")
        );
    }

    #[test]
    fn nothing_another_scheme_or_an_empty_cookie_is_missing_credentials() {
        assert_eq!(read(&[]), Err(RejectionKind::MissingCredentials));
        assert_eq!(
            read(&[
                ("authorization", b"Basic dXNlcjpwYXNz"),
                ("cookie", b"session=")
            ]),
            Err(RejectionKind::MissingCredentials)
        );
        assert_eq!(
            read(&[("cookie", b"sessions=t; Session=t; xsession=t; session")]),
            Err(RejectionKind::MissingCredentials)
        );
    }

    #[test]
    fn two_sources_the_cookie_twice_or_the_header_twice_are_invalid_requests() {
        for headers in [
            &[
                ("authorization", &b"Bearer t"[..]),
                ("cookie", b"session=t"),
            ][..],
            &[("cookie", b"session=t"), ("x-forwarded-access-token", b"t")],
            &[("cookie", b"session=t; session=u")],
            &[("cookie", b"session=t"), ("cookie", b"session=t")],
            &[
                ("x-forwarded-access-token", b"t"),
                ("x-forwarded-access-token", b"t"),
            ],
            &[("x-forwarded-access-token", b"")],
            &[("x-forwarded-access-token", b"Bearer")],
            &[("cookie", b"session=\"t\"")],
            &[("cookie", b"session=a,b")],
        ] {
            assert_eq!(
                read(headers),
                Err(RejectionKind::InvalidRequest),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn an_oversized_cookie_or_header_token_is_invalid_like_in_authorization() {
        let big = vec![b'a'; bearer::MAX_TOKEN_LEN + 1];
        let cookie = [b"session=".as_slice(), &big].concat();
        assert_eq!(
            read(&[("cookie", &cookie)]),
            Err(RejectionKind::InvalidToken)
        );
        assert_eq!(
            read(&[("x-forwarded-access-token", &big)]),
            Err(RejectionKind::InvalidToken)
        );
    }

    #[test]
    fn header_and_cookie_names_are_http_tokens() {
        assert!(is_token_name("x-forwarded-access-token"));
        assert!(is_token_name("__Host-session"));
        for bad in ["", "a b", "a;b", "a=b", "é", "a\"b", "a,b"] {
            assert!(!is_token_name(bad), "{bad:?}");
        }
    }
}
