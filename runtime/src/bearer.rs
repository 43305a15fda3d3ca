//! `Authorization` header → bearer token (RFC 6750 §2.1), and the token syntax every source of
//! [`credentials`](crate::credentials) shares; public for code that reads credentials itself.
//! [`Policy::authorize`](crate::Policy::authorize) runs it; a framework adapter needs nothing
//! else.

use crate::reject::Rejection;

/// The longest token accepted, in bytes. Real access tokens are far smaller; anything larger
/// is refused before any decoding work.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Extracts the bearer token from the values of every `Authorization` header of a request.
///
/// - no header, or another scheme: 401 with a bare `Bearer` challenge;
/// - several headers, an empty token, a tab after `Bearer`, or characters outside RFC 6750
///   `b64token`: 400;
/// - a token longer than [`MAX_TOKEN_LEN`]: 401 `invalid_token`, before its characters are
///   even looked at.
///
/// ```
/// use jwks_guard::bearer::bearer_token;
///
/// assert_eq!(bearer_token([b"Bearer abc.def.ghi".as_slice()]).ok(), Some("abc.def.ghi"));
/// assert_eq!(bearer_token([b"bearer abc".as_slice()]).ok(), Some("abc"));
/// assert_eq!(bearer_token(Vec::<&[u8]>::new()).map_err(|r| r.status()), Err(401));
/// assert_eq!(bearer_token([b"Bearer a b".as_slice()]).map_err(|r| r.status()), Err(400));
/// ```
///
/// # Errors
/// The [`Rejection`] to answer with, as listed above.
pub fn bearer_token<'a, I>(authorization_values: I) -> Result<&'a str, Rejection>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    match authorization(authorization_values, false) {
        Found::Absent | Found::Dpop(_) => {
            Err(Rejection::missing_credentials("bearer token required"))
        }
        Found::Token(token) => token,
    }
}

/// What one source of credentials holds.
pub(crate) enum Found<'a> {
    /// No token: nothing sent, or a scheme other than Bearer.
    Absent,
    /// A token, or credentials meant as one but malformed.
    Token(Result<&'a str, Rejection>),
    /// A token under the `DPoP` scheme (RFC 9449 §7.1), or credentials meant as one but
    /// malformed: only when the caller accepts that scheme.
    Dpop(Result<&'a str, Rejection>),
}

/// The `Authorization` headers' token: absent without a header or with another scheme (`DPoP`
/// too, unless `accept_dpop`); several headers, or a malformed value, are a malformed token.
pub(crate) fn authorization<'a>(
    values: impl IntoIterator<Item = &'a [u8]>,
    accept_dpop: bool,
) -> Found<'a> {
    let mut values = values.into_iter();
    let Some(value) = values.next() else {
        return Found::Absent;
    };
    if values.next().is_some() {
        return Found::Token(Err(Rejection::invalid_request(
            "several Authorization headers",
        )));
    }
    let value = value.trim_ascii();
    if let Some(rest) = after_bearer(value) {
        return Found::Token(rest.and_then(token));
    }
    match after_scheme(value, b"dpop", "the token must follow `DPoP` and a space") {
        Some(rest) if accept_dpop => Found::Dpop(rest.and_then(token)),
        _ => Found::Absent,
    }
}

/// What follows the scheme of a trimmed `Bearer …` value: `None` when the scheme is another;
/// a tab between the scheme and the token is malformed (RFC 6750 §2.1: `Bearer 1*SP b64token`).
pub(crate) fn after_bearer(value: &[u8]) -> Option<Result<&[u8], Rejection>> {
    after_scheme(
        value,
        b"bearer",
        "the bearer token must follow `Bearer` and a space",
    )
}

/// What follows the scheme `name` (lowercase) of a trimmed value: `None` when the scheme is
/// another; a tab between the scheme and the token is malformed (`malformed` says so).
fn after_scheme<'a>(
    value: &'a [u8],
    name: &[u8],
    malformed: &'static str,
) -> Option<Result<&'a [u8], Rejection>> {
    let (scheme, rest) = match value.iter().position(|&b| b == b' ' || b == b'\t') {
        Some(end) => (&value[..end], &value[end..]),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(name) {
        return None;
    }
    let separator = rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if rest[..separator].contains(&b'\t') {
        return Some(Err(Rejection::invalid_request(malformed)));
    }
    Some(Ok(&rest[separator..]))
}

/// A token's bytes, whichever source they came from: not empty, at most [`MAX_TOKEN_LEN`]
/// bytes (checked first, so an oversized one costs nothing more), RFC 6750 `b64token`.
pub(crate) fn token(token: &[u8]) -> Result<&str, Rejection> {
    if token.is_empty() {
        return Err(Rejection::invalid_request("empty bearer token"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(Rejection::invalid_token("token too large"));
    }
    if !is_b64token(token) {
        return Err(Rejection::invalid_request(
            "bearer token contains characters not allowed by RFC 6750",
        ));
    }
    // `is_b64token` admits ASCII only, so this cannot fail; map it anyway rather than panic.
    std::str::from_utf8(token).map_err(|_| Rejection::invalid_request("malformed bearer token"))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    // Every byte is looked at, without branching, so the loop runs on vectors: tokens are long
    // and this runs on every request.
    body_len > 0
        && token[..body_len]
            .iter()
            .fold(true, |all, &b| all & b64token_char(b))
}

/// `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`, without branches.
fn b64token_char(b: u8) -> bool {
    base64url_char(b) | (b == b'.') | (b == b'~') | (b == b'+') | (b == b'/')
}

/// The base64url alphabet (RFC 4648 §5: `ALPHA / DIGIT / "-" / "_"`), without branches.
pub(crate) fn base64url_char(b: u8) -> bool {
    (b.wrapping_sub(b'a') < 26)
        | (b.wrapping_sub(b'A') < 26)
        | (b.wrapping_sub(b'0') < 10)
        | (b == b'-')
        | (b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RejectionKind;

    fn kind(values: &[&[u8]]) -> Result<&'static str, RejectionKind> {
        let owned: Vec<&'static [u8]> = values
            .iter()
            .map(|v| &*Box::leak(v.to_vec().into_boxed_slice()))
            .collect();
        bearer_token(owned).map_err(|r| r.kind())
    }

    #[test]
    fn scheme_is_case_insensitive_and_extra_spaces_are_tolerated() {
        assert_eq!(kind(&[b"BEARER  t0k.e-n_~+/=="]), Ok("t0k.e-n_~+/=="));
        assert_eq!(kind(&[b" Bearer t "]), Ok("t"));
    }

    #[test]
    fn other_schemes_and_absence_are_missing_credentials() {
        assert_eq!(kind(&[]), Err(RejectionKind::MissingCredentials));
        assert_eq!(
            kind(&[b"Basic dXNlcjpwYXNz"]),
            Err(RejectionKind::MissingCredentials)
        );
        assert_eq!(
            kind(&[b"Bearertoken"]),
            Err(RejectionKind::MissingCredentials)
        );
    }

    #[test]
    fn malformed_credentials_are_invalid_requests() {
        for bad in [
            &b"Bearer"[..],
            b"Bearer   ",
            b"Bearer a,b",
            b"Bearer a=b",
            b"Bearer ===",
            b"Bearer \xff",
        ] {
            assert_eq!(kind(&[bad]), Err(RejectionKind::InvalidRequest), "{bad:?}");
        }
        assert_eq!(
            kind(&[b"Bearer a", b"Bearer b"]),
            Err(RejectionKind::InvalidRequest)
        );
    }

    #[test]
    fn oversized_tokens_are_invalid_whatever_their_characters() {
        for filler in [b'a', b'\xff', b','] {
            let mut header = b"Bearer ".to_vec();
            header.extend(std::iter::repeat_n(filler, MAX_TOKEN_LEN + 1));
            assert_eq!(kind(&[&header]), Err(RejectionKind::InvalidToken));
        }
    }

    #[test]
    fn a_tab_is_not_a_separator_but_whitespace_around_the_value_is_ignored() {
        assert_eq!(kind(&[b"Bearer\tt"]), Err(RejectionKind::InvalidRequest));
        assert_eq!(kind(&[b"Bearer \tt"]), Err(RejectionKind::InvalidRequest));
        assert_eq!(kind(&[b"\tBearer t\t"]), Ok("t"));
        let spaces = vec![b' '; 10_000];
        assert_eq!(kind(&[&spaces]), Err(RejectionKind::MissingCredentials));
        let bearer_spaces = [b"Bearer".as_slice(), &spaces].concat();
        assert_eq!(kind(&[&bearer_spaces]), Err(RejectionKind::InvalidRequest));
    }
}
