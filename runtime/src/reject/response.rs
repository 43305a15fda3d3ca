//! [`RejectionResponse`]: the HTTP answer to a refused request, framework-neutral, with its
//! builder methods and the checks on the headers they set; how a [`Rejection`] becomes one
//! ([`Rejection::default_response`], [`Rejection::response`]) and the function
//! [`Settings::rejection_response`](crate::Settings::rejection_response) installs in its place.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::Rejection;

impl Rejection {
    /// The documented RFC 6750 answer: [`status`](Self::status), [`headers`](Self::headers)
    /// and the JSON [`body`](Self::body). Every framework adapter sends it unless
    /// [`Settings::rejection_response`](crate::Settings::rejection_response) installed a
    /// function, which usually starts from it.
    pub fn default_response(&self) -> RejectionResponse {
        RejectionResponse {
            status: self.status(),
            headers: self
                .headers()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
            body: self.body().into_bytes(),
        }
    }

    /// The response every framework adapter sends: the function installed with
    /// [`Settings::rejection_response`](crate::Settings::rejection_response), else
    /// [`default_response`](Self::default_response). A function that panics is answered with
    /// the default response (and an error log). Code answering [`Policy::authorize`]'s
    /// rejections on another framework sends this too.
    ///
    /// [`Policy::authorize`]: crate::Policy::authorize
    pub fn response(&self) -> RejectionResponse {
        self.response_with(INSTALLED.get())
    }

    /// The response `function` makes of this rejection (the default one without a function, or
    /// when it panics).
    #[cfg_attr(
        not(any(feature = "axum", feature = "actix-web", feature = "rocket", feature = "poem")),
        allow(dead_code) // only the framework adapters answer rejections
    )]
    fn response_with(&self, function: Option<&ResponseFn>) -> RejectionResponse {
        match function {
            None => self.default_response(),
            Some(function) => match catch_unwind(AssertUnwindSafe(|| (function.0)(self))) {
                Ok(response) => response,
                Err(_) => {
                    tracing::error!(
                        status = self.status(),
                        "the function installed with Settings::rejection_response panicked; \
                         answering with the default response"
                    );
                    self.default_response()
                }
            },
        }
    }
}

/// The function [`configure`](crate::configure) installed from
/// [`Settings::rejection_response`](crate::Settings::rejection_response), if any.
static INSTALLED: OnceLock<ResponseFn> = OnceLock::new();

/// Installs the function every adapter answers rejections through: once, by
/// [`configure`](crate::configure).
pub(crate) fn install_response(function: ResponseFn) {
    // `configure` succeeds once, so this is the first and only call.
    let _ = INSTALLED.set(function);
}

/// The function installed with
/// [`Settings::rejection_response`](crate::Settings::rejection_response).
#[cfg_attr(
    not(any(feature = "axum", feature = "actix-web", feature = "rocket", feature = "poem")),
    allow(dead_code) // only the framework adapters answer rejections
)]
#[derive(Clone)]
pub(crate) struct ResponseFn(pub(crate) Arc<dyn Fn(&Rejection) -> RejectionResponse + Send + Sync>);

impl fmt::Debug for ResponseFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseFn(..)")
    }
}

/// The HTTP answer to a refused request, whatever the framework: status, headers and body.
/// Every framework adapter translates it as it is, adding only what its server adds to every
/// response (`content-length`, `date`, …).
///
/// [`Rejection::default_response`] builds the documented RFC 6750 answer; a function installed
/// with [`Settings::rejection_response`](crate::Settings::rejection_response) starts from it
/// and changes what it wants, so that `WWW-Authenticate` (and `Retry-After`) stay unless it
/// removes them with [`without_header`](Self::without_header). An RFC 9457 problem document:
///
/// ```
/// use jwks_guard::{Rejection, RejectionKind, RejectionResponse};
///
/// fn problem_json(rejection: &Rejection) -> RejectionResponse {
///     let problem = serde_json::json!({
///         "type": "about:blank",
///         "title": rejection.error_code(),
///         "status": rejection.status(),
///         "detail": rejection.description(),
///     });
///     rejection
///         .default_response()
///         .with_body("application/problem+json", problem.to_string())
/// }
///
/// let response = problem_json(&Rejection::new(RejectionKind::InvalidToken, "token expired"));
/// assert_eq!(response.status(), 401);
/// assert_eq!(response.header("content-type"), Some("application/problem+json"));
/// assert_eq!(
///     response.header("www-authenticate"),
///     Some(r#"Bearer error="invalid_token", error_description="token expired""#),
/// );
/// ```
///
/// Header names are kept in lowercase and compared case-insensitively. A header this type
/// refuses (a name that is not an RFC 9110 token, a value with characters other than visible
/// ASCII, spaces and tabs, or `content-length`, `transfer-encoding` and `connection`, which
/// the server sets) and a status outside 300 to 599 leave the response as it was, with a
/// warning logged once per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectionResponse {
    status: u16,
    /// (lowercase name, value), in the order they are sent.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RejectionResponse {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of the header `name` (any case), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header, as (lowercase name, value), in the order they are sent; a name appears
    /// once per value.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The status code instead: 300 to 599 (a redirect to a login page, another error); a
    /// refused request never gets a success status, so another value is ignored.
    #[must_use]
    pub fn with_status(mut self, status: u16) -> Self {
        if (300..=599).contains(&status) {
            self.status = status;
        } else {
            warn_once(format_args!(
                "status {status} is outside 300 to 599 and was ignored"
            ));
        }
        self
    }

    /// The header `name` set to `value`, replacing every value it had.
    #[must_use]
    pub fn with_header(mut self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        if let Some(header) = checked_header(name.as_ref(), value.into()) {
            self.replace_header(header);
        }
        self
    }

    /// One more value of the header `name`, after those it has (a second challenge in
    /// `WWW-Authenticate`, a `Link`, …).
    #[must_use]
    pub fn with_added_header(mut self, name: impl AsRef<str>, value: impl Into<String>) -> Self {
        if let Some(header) = checked_header(name.as_ref(), value.into()) {
            self.headers.push(header);
        }
        self
    }

    /// The response without the header `name` (any case). Removing `www-authenticate` takes the
    /// RFC 6750 challenge out of 400, 401 and 403 answers: do it on purpose only.
    #[must_use]
    pub fn without_header(mut self, name: &str) -> Self {
        self.headers
            .retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        self
    }

    /// `body` instead, with `Content-Type: content_type` (`application/problem+json`, …). An
    /// invalid content type leaves the response as it was.
    #[must_use]
    pub fn with_body(mut self, content_type: impl Into<String>, body: impl Into<Vec<u8>>) -> Self {
        if let Some(header) = checked_header("content-type", content_type.into()) {
            self.replace_header(header);
            self.body = body.into();
        }
        self
    }

    /// `header` (checked, name in lowercase) in place of every value of its name.
    fn replace_header(&mut self, header: (String, String)) {
        self.headers.retain(|(known, _)| *known != header.0);
        self.headers.push(header);
    }

    /// Status, headers and body, for an adapter to move into its own response type.
    #[cfg_attr(
        not(any(feature = "axum", feature = "actix-web", feature = "rocket", feature = "poem")),
        allow(dead_code) // only the framework adapters answer rejections
    )]
    pub(crate) fn into_parts(self) -> (u16, Vec<(String, String)>, Vec<u8>) {
        (self.status, self.headers, self.body)
    }
}

/// `(name in lowercase, value)` if every framework can send it as it is and it is not one the
/// server sets; otherwise `None`, and a warning.
fn checked_header(name: &str, value: String) -> Option<(String, String)> {
    if !is_token(name) || !is_field_value(&value) {
        warn_once(format_args!(
            "header {name:?} has an invalid name or value and was left out"
        ));
        None
    } else if SERVER_HEADERS
        .iter()
        .any(|server| server.eq_ignore_ascii_case(name))
    {
        warn_once(format_args!(
            "header {name:?} is set by the server and was left out"
        ));
        None
    } else {
        Some((name.to_ascii_lowercase(), value))
    }
}

/// Headers that describe the message framing, which each server computes itself.
const SERVER_HEADERS: [&str; 3] = ["content-length", "transfer-encoding", "connection"];

/// An RFC 9110 token (a header name).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A header value every framework sends as it is: visible ASCII, spaces and tabs.
fn is_field_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Logs a mistake of the installed response function once per process: it is made on every
/// rejection alike, and rejections come as fast as clients send requests.
fn warn_once(what: fmt::Arguments<'_>) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!("RejectionResponse: {what} (warned once)");
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn function(f: impl Fn(&Rejection) -> RejectionResponse + Send + Sync + 'static) -> ResponseFn {
        ResponseFn(Arc::new(f))
    }

    #[test]
    fn the_default_response_is_the_status_headers_and_json_body() {
        for rejection in [
            Rejection::missing_credentials("bearer token required"),
            Rejection::invalid_request("empty bearer token"),
            Rejection::invalid_token("token expired"),
            Rejection::insufficient_scope("missing scope b", "a b"),
            Rejection::keys_unavailable(Duration::from_secs(3)),
            Rejection::misconfigured(),
        ] {
            let response = rejection.default_response();
            assert_eq!(response.status(), rejection.status());
            assert_eq!(
                response.headers().collect::<Vec<_>>(),
                rejection
                    .headers()
                    .collect::<Vec<_>>()
                    .iter()
                    .map(|(name, value)| (*name, value.as_str()))
                    .collect::<Vec<_>>()
            );
            assert_eq!(response.body(), rejection.body().as_bytes());
            assert_eq!(rejection.response_with(None), response);
        }
    }

    #[test]
    fn a_new_body_keeps_the_challenge_and_replaces_the_content_type() {
        let rejection = Rejection::insufficient_scope("missing scope b", "a b");
        let response = rejection
            .default_response()
            .with_body("application/problem+json", b"{}".to_vec());
        assert_eq!(
            response.headers().collect::<Vec<_>>(),
            [
                (
                    "www-authenticate",
                    r#"Bearer error="insufficient_scope", scope="a b""#
                ),
                ("content-type", "application/problem+json"),
            ]
        );
        assert_eq!((response.status(), response.body()), (403, &b"{}"[..]));
    }

    #[test]
    fn headers_are_removed_replaced_and_added_whatever_the_case() {
        let response = Rejection::keys_unavailable(Duration::from_secs(1))
            .default_response()
            .without_header("Retry-After")
            .with_header("X-Request-Id", "a")
            .with_header("x-request-id", "b")
            .with_added_header("Link", "<https://a>")
            .with_added_header("link", "<https://b>");
        assert_eq!(response.header("retry-after"), None);
        assert_eq!(response.header("X-REQUEST-ID"), Some("b"));
        assert_eq!(
            response
                .headers()
                .filter(|(name, _)| *name == "link")
                .count(),
            2
        );
    }

    #[test]
    fn invalid_headers_and_statuses_leave_the_response_unchanged() {
        let default = Rejection::invalid_token("x").default_response();
        for (name, value) in [
            ("", "v"),
            ("bad name", "v"),
            ("x-value", "line\r\nbreak"),
            ("x-value", "caf\u{e9}"),
            ("Content-Length", "1"),
            ("www-authenticate", "Bearer\nrealm"),
            ("transfer-encoding", "chunked"),
        ] {
            assert_eq!(
                default.clone().with_added_header(name, value),
                default,
                "{name}: {value}"
            );
            assert_eq!(
                default.clone().with_header(name, value),
                default,
                "{name}: {value}"
            );
        }
        assert_eq!(
            default.clone().with_body("text/plain\n", b"x".to_vec()),
            default
        );
        for status in [0, 101, 199, 200, 204, 299, 600, 999] {
            assert_eq!(default.clone().with_status(status), default, "{status}");
        }
        assert_eq!(default.clone().with_status(302).status(), 302);
    }

    #[test]
    fn the_installed_function_answers_and_a_panic_falls_back_to_the_default() {
        let rejection = Rejection::invalid_token("token expired");
        let teapot = function(|r| r.default_response().with_status(418));
        assert_eq!(rejection.response_with(Some(&teapot)).status(), 418);
        let panics = function(|_| panic!("a bug in the function"));
        assert_eq!(
            rejection.response_with(Some(&panics)),
            rejection.default_response()
        );
    }
}
