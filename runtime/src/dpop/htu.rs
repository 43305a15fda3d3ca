//! The URI a proof's `htu` is compared with: the request's, rebuilt from its target and
//! headers (or the configured public origin), and both normalised as RFC 3986 §6.2.2–6.2.3
//! say before they are compared.

use crate::settings::Settings;

/// The parts of a request the URI it was sent to is rebuilt from, as header values (bytes,
/// whatever the framework).
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestParts<'a> {
    /// The request target as received: origin form (`/orders?page=2`) or absolute form
    /// (`https://api.example.com/orders`, as HTTP/2 requests and proxies send).
    pub target: &'a [u8],
    /// The `Host` header.
    pub host: Option<&'a [u8]>,
    /// The first `Forwarded` header (RFC 7239); read only with
    /// [`Settings::trust_forwarded_headers`].
    pub forwarded: Option<&'a [u8]>,
    /// The first `X-Forwarded-Proto` header; read only with
    /// [`Settings::trust_forwarded_headers`].
    pub x_forwarded_proto: Option<&'a [u8]>,
    /// The first `X-Forwarded-Host` header; read only with
    /// [`Settings::trust_forwarded_headers`].
    pub x_forwarded_host: Option<&'a [u8]>,
}

/// Why the URI a request was sent to could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestUriError {
    /// No authority: neither an absolute target nor a `Host` header.
    #[error("the request has neither a Host header nor an absolute target")]
    NoHost,
    /// The target is not a path or an absolute `http`/`https` URI.
    #[error("the request target is not a path or an absolute http(s) URI")]
    BadTarget,
    /// A `Host`, `Forwarded` or `X-Forwarded-*` value is not a scheme or host.
    #[error("the {0} header does not hold a valid value")]
    BadHeader(&'static str),
    /// [`Settings::public_origin`] is not an origin.
    #[error(
        "Settings::public_origin is not an origin such as \"https://api.example.com\": fix the setting"
    )]
    BadPublicOrigin,
}

/// The URI the request was sent to, without query and fragment, normalised (see
/// [`normalize_uri`]): what a proof's `htu` must name.
///
/// Scheme and authority, in order of precedence: [`Settings::public_origin`]; with
/// [`Settings::trust_forwarded_headers`], `Forwarded`'s `proto=` and `host=` (its first
/// element), then `X-Forwarded-Proto` and `X-Forwarded-Host` (their first item), each read
/// separately; the target's own when absolute; else `http` and the `Host` header. The path is
/// the target's.
///
/// # Errors
/// When no authority is known, or a value is malformed (see [`RequestUriError`]).
pub fn request_uri(
    parts: &RequestParts<'_>,
    settings: &Settings,
) -> Result<String, RequestUriError> {
    let target = std::str::from_utf8(parts.target).map_err(|_| RequestUriError::BadTarget)?;
    let (mut scheme, mut authority, path) = if target.starts_with('/') {
        (None, None, target)
    } else {
        let (scheme, rest) = split_scheme(target).ok_or(RequestUriError::BadTarget)?;
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        (
            Some(scheme.to_owned()),
            Some(rest[..end].to_owned()),
            &rest[end..],
        )
    };
    if let Some(origin) = &settings.public_origin {
        let (origin_scheme, origin_authority) =
            parse_origin(origin).ok_or(RequestUriError::BadPublicOrigin)?;
        scheme = Some(origin_scheme);
        authority = Some(origin_authority);
    } else if settings.trust_forwarded_headers {
        let forwarded = match parts.forwarded {
            Some(value) => parse_forwarded(value).ok_or(RequestUriError::BadHeader("Forwarded"))?,
            None => Forwarded::default(),
        };
        let proto = match forwarded.proto {
            Some(proto) => Some(proto),
            None => first_item(parts.x_forwarded_proto, "X-Forwarded-Proto")?,
        };
        if let Some(proto) = proto {
            let proto = proto.to_ascii_lowercase();
            if proto != "http" && proto != "https" {
                return Err(RequestUriError::BadHeader("Forwarded or X-Forwarded-Proto"));
            }
            scheme = Some(proto);
        }
        let host = match forwarded.host {
            Some(host) => Some(host),
            None => first_item(parts.x_forwarded_host, "X-Forwarded-Host")?,
        };
        if let Some(host) = host {
            if !is_authority(&host) {
                return Err(RequestUriError::BadHeader("Forwarded or X-Forwarded-Host"));
            }
            authority = Some(host);
        }
    }
    let authority = match authority {
        Some(authority) => authority,
        None => {
            let host = parts.host.ok_or(RequestUriError::NoHost)?;
            let host = std::str::from_utf8(host)
                .map_err(|_| RequestUriError::BadHeader("Host"))?
                .trim();
            if !is_authority(host) {
                return Err(RequestUriError::BadHeader("Host"));
            }
            host.to_owned()
        }
    };
    let scheme = scheme.as_deref().unwrap_or("http");
    let mut uri = String::with_capacity(scheme.len() + 3 + authority.len() + path.len());
    for part in [scheme, "://", &authority, path] {
        uri.push_str(part);
    }
    if is_normal(&uri) {
        return Ok(uri);
    }
    normalized(&uri).ok_or(RequestUriError::BadTarget)
}

/// `uri` normalised as RFC 3986 §6.2.2–6.2.3 say, without its query and fragment: scheme and
/// host in lower case, the default port (80 for `http`, 443 for `https`) and an empty port
/// left out, percent-encodings in upper case and those of unreserved characters decoded, dot
/// segments removed, an empty path written `/`. `None` for anything but an absolute `http` or
/// `https` URI of visible ASCII characters with a host and no user information.
pub fn normalize_uri(uri: &str) -> Option<String> {
    if is_normal(uri) {
        return Some(uri.to_owned());
    }
    normalized(uri)
}

/// Whether `uri` is already what [`normalize_uri`] makes of it, as clients usually write it:
/// `http://` or `https://`, a host of lower-case letters, digits, dots and hyphens without a
/// port, a path of visible characters without `?`, `#`, `%` or a `.` or `..` segment.
fn is_normal(uri: &str) -> bool {
    let Some(rest) = uri
        .strip_prefix("http://")
        .or_else(|| uri.strip_prefix("https://"))
    else {
        return false;
    };
    let Some(slash) = rest.find('/') else {
        return false;
    };
    let (host, path) = rest.split_at(slash);
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'?' | b'#' | b'%'))
        && !path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

/// [`normalize_uri`] step by step.
fn normalized(uri: &str) -> Option<String> {
    if !uri.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let uri = uri.split(['?', '#']).next().unwrap_or("");
    let (scheme, rest) = split_scheme(uri)?;
    let end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if !is_authority(authority) {
        return None;
    }
    let (host, port) = split_port(authority)?;
    if host.is_empty() {
        return None;
    }
    let host = percent_normalized(&host.to_ascii_lowercase())?;
    let default_port = if scheme == "https" { 443 } else { 80 };
    let port = match port {
        None | Some("") => None,
        Some(port) => {
            let number: u16 = port.parse().ok()?;
            (number != default_port).then_some(number)
        }
    };
    let path = remove_dot_segments(&percent_normalized(path)?);
    let path = if path.is_empty() { "/" } else { &path };
    Some(match port {
        Some(port) => format!("{scheme}://{host}:{port}{path}"),
        None => format!("{scheme}://{host}{path}"),
    })
}

/// `http://rest` or `https://rest` (scheme in any case) → (lower-case scheme, rest).
fn split_scheme(uri: &str) -> Option<(String, &str)> {
    let (scheme, rest) = uri.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    (scheme == "http" || scheme == "https").then_some((scheme, rest))
}

/// Host and port of an authority: `[v6]:port` or `name:port`, the port `None` when absent.
fn split_port(authority: &str) -> Option<(&str, Option<&str>)> {
    if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, rest) = authority.split_at(close + 1);
        match rest {
            "" => Some((host, None)),
            _ => Some((host, Some(rest.strip_prefix(':')?))),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => {
                Some((host, Some(port)))
            }
            Some(_) => None,
            None => Some((authority, None)),
        }
    }
}

/// Whether `text` may be a URI authority without user information: unreserved characters,
/// sub-delimiters, `:`, `[`, `]` and percent-encodings; nothing that ends an authority.
fn is_authority(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b))
}

/// Percent-encodings in upper case, those of unreserved characters decoded (RFC 3986
/// §6.2.2.1–6.2.2.2); `None` for a `%` not followed by two hexadecimal digits.
fn percent_normalized(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            let value = u8::from_str_radix(hex, 16).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            if value.is_ascii_alphanumeric() || b"-._~".contains(&value) {
                out.push(char::from(value));
            } else {
                out.push_str(&format!("%{value:02X}"));
            }
            i += 3;
        } else {
            out.push(char::from(bytes[i]));
            i += 1;
        }
    }
    Some(out)
}

/// RFC 3986 §5.2.4: `.` and `..` segments removed from an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {
                if last {
                    output.push("");
                }
            }
            ".." => {
                output.pop();
                if last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    if path.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(path.len());
    for segment in output {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// `proto=` and `host=` of a `Forwarded` value's first element.
#[derive(Debug, Default, PartialEq, Eq)]
struct Forwarded {
    proto: Option<String>,
    host: Option<String>,
}

/// Parses the first element of a `Forwarded` value (RFC 7239 §4): `pair *( ";" pair )`, each
/// `token "=" ( token / quoted-string )`, names in any case. `None` when malformed.
fn parse_forwarded(value: &[u8]) -> Option<Forwarded> {
    let value = std::str::from_utf8(value).ok()?;
    let mut forwarded = Forwarded::default();
    let mut rest = value.trim_start();
    loop {
        let eq = rest.find('=')?;
        let name = rest[..eq].trim();
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return None;
        }
        rest = &rest[eq + 1..];
        let field = if let Some(quoted) = rest.strip_prefix('"') {
            let mut text = String::new();
            let mut chars = quoted.char_indices();
            let mut end = None;
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => text.push(chars.next()?.1),
                    '"' => {
                        end = Some(at + 1);
                        break;
                    }
                    c => text.push(c),
                }
            }
            rest = &quoted[end?..];
            text
        } else {
            let end = rest.find([';', ',']).unwrap_or(rest.len());
            let token = rest[..end].trim();
            if token.is_empty() || !token.bytes().all(is_tchar) {
                return None;
            }
            rest = &rest[end..];
            token.to_owned()
        };
        let slot = match name.to_ascii_lowercase().as_str() {
            "proto" => Some(&mut forwarded.proto),
            "host" => Some(&mut forwarded.host),
            _ => None,
        };
        if let Some(slot) = slot {
            if slot.is_some() {
                return None; // a parameter twice in one element
            }
            *slot = Some(field);
        }
        rest = rest.trim_start();
        match rest.as_bytes().first() {
            None | Some(b',') => return Some(forwarded),
            Some(b';') => rest = rest[1..].trim_start(),
            Some(_) => return None,
        }
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The first comma-separated item of an `X-Forwarded-*` value, trimmed.
fn first_item(value: Option<&[u8]>, name: &'static str) -> Result<Option<String>, RequestUriError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let text = std::str::from_utf8(value).map_err(|_| RequestUriError::BadHeader(name))?;
    let item = text.split(',').next().unwrap_or("").trim();
    if item.is_empty() {
        return Err(RequestUriError::BadHeader(name));
    }
    Ok(Some(item.to_owned()))
}

/// `https://host[:port]` with at most a trailing `/` → (scheme, authority).
fn parse_origin(origin: &str) -> Option<(String, String)> {
    let (scheme, rest) = split_scheme(origin.trim())?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    is_authority(authority).then(|| (scheme, authority.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(uri: &str) -> Option<String> {
        normalize_uri(uri)
    }

    #[test]
    fn uris_are_normalised_as_rfc_3986_section_6_2_2_and_6_2_3_say() {
        let same = [
            (
                "HTTPS://API.Example.COM/orders",
                "https://api.example.com/orders",
            ),
            (
                "https://api.example.com:443/orders",
                "https://api.example.com/orders",
            ),
            (
                "http://api.example.com:80/orders",
                "http://api.example.com/orders",
            ),
            (
                "http://api.example.com:/orders",
                "http://api.example.com/orders",
            ),
            ("https://api.example.com", "https://api.example.com/"),
            (
                "https://api.example.com/a%2fb",
                "https://api.example.com/a%2Fb",
            ),
            (
                "https://api.example.com/%7Euser/%41",
                "https://api.example.com/~user/A",
            ),
            (
                "https://api.example.com/a/./b/../c",
                "https://api.example.com/a/c",
            ),
            (
                "https://api.example.com/orders?page=2#top",
                "https://api.example.com/orders",
            ),
            ("https://[::1]:443/x", "https://[::1]/x"),
            ("http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
        ];
        for (input, expected) in same {
            assert_eq!(n(input).as_deref(), Some(expected), "{input}");
        }
        assert_ne!(
            n("https://api.example.com/Orders"),
            n("https://api.example.com/orders")
        );
        assert_ne!(
            n("https://api.example.com:8443/"),
            n("https://api.example.com/")
        );
        assert_ne!(n("http://api.example.com/"), n("https://api.example.com/"));
    }

    #[test]
    fn what_is_not_an_absolute_http_uri_does_not_normalise() {
        for bad in [
            "/orders",
            "ftp://example.com/",
            "https:///path",
            "https://user@example.com/",
            "https://example.com/a b",
            "https://example.com/%zz",
            "https://example.com/%4",
            "https://example.com:99999/",
            "https://example.com:x/",
            "https://exa\u{e9}mple.com/",
        ] {
            assert_eq!(n(bad), None, "{bad}");
        }
    }

    fn uri(parts: RequestParts<'_>, settings: &Settings) -> Result<String, RequestUriError> {
        request_uri(&parts, settings)
    }

    #[test]
    fn the_request_uri_is_http_and_host_unless_the_target_is_absolute() {
        let s = Settings::new();
        let parts = RequestParts {
            target: b"/orders?page=2",
            host: Some(b"API.example.com:80"),
            ..RequestParts::default()
        };
        assert_eq!(
            uri(parts, &s).as_deref(),
            Ok("http://api.example.com/orders")
        );
        let absolute = RequestParts {
            target: b"https://api.example.com/orders",
            host: Some(b"ignored.example.com"),
            ..RequestParts::default()
        };
        assert_eq!(
            uri(absolute, &s).as_deref(),
            Ok("https://api.example.com/orders")
        );
        let no_host = RequestParts {
            target: b"/orders",
            ..RequestParts::default()
        };
        assert_eq!(uri(no_host, &s), Err(RequestUriError::NoHost));
        for target in [&b"*"[..], b"example.com:443", b"\xff"] {
            let parts = RequestParts {
                target,
                host: Some(b"example.com"),
                ..RequestParts::default()
            };
            assert_eq!(uri(parts, &s), Err(RequestUriError::BadTarget));
        }
        let injected = RequestParts {
            target: b"/orders",
            host: Some(b"evil.example/x?"),
            ..RequestParts::default()
        };
        assert_eq!(uri(injected, &s), Err(RequestUriError::BadHeader("Host")));
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_trusted() {
        let parts = RequestParts {
            target: b"/orders",
            host: Some(b"backend:8080"),
            forwarded: Some(b"proto=https;host=api.example.com"),
            x_forwarded_proto: Some(b"https"),
            x_forwarded_host: Some(b"api.example.com"),
        };
        assert_eq!(
            uri(parts, &Settings::new()).as_deref(),
            Ok("http://backend:8080/orders")
        );
        let trusted = Settings::new().trust_forwarded_headers(true);
        assert_eq!(
            uri(parts, &trusted).as_deref(),
            Ok("https://api.example.com/orders")
        );
    }

    #[test]
    fn forwarded_comes_first_then_x_forwarded_each_part_on_its_own() {
        let trusted = Settings::new().trust_forwarded_headers(true);
        let base = RequestParts {
            target: b"/orders",
            host: Some(b"backend:8080"),
            ..RequestParts::default()
        };
        let with = |forwarded: Option<&'static [u8]>,
                    proto: Option<&'static [u8]>,
                    host: Option<&'static [u8]>| {
            uri(
                RequestParts {
                    forwarded,
                    x_forwarded_proto: proto,
                    x_forwarded_host: host,
                    ..base
                },
                &trusted,
            )
        };
        assert_eq!(
            with(
                Some(b"for=192.0.2.60;PROTO=HTTPS;by=203.0.113.43, proto=http;host=second"),
                Some(b"http"),
                Some(b"xfh.example.com")
            )
            .as_deref(),
            Ok("https://xfh.example.com/orders"),
            "Forwarded's proto, X-Forwarded-Host for the host it lacks"
        );
        assert_eq!(
            with(
                Some(br#"host="[2001:db8::1]:8443";proto=https"#),
                None,
                None
            )
            .as_deref(),
            Ok("https://[2001:db8::1]:8443/orders")
        );
        assert_eq!(
            with(
                None,
                Some(b"https, http"),
                Some(b"api.example.com, proxy.internal")
            )
            .as_deref(),
            Ok("https://api.example.com/orders")
        );
        for bad in [
            &b"proto=https;proto=http"[..],
            b"proto",
            b"proto=\"https",
            b"host=a b",
            b"proto=ftp",
            b"host=\"evil.example/path\"",
        ] {
            assert!(
                with(Some(bad), None, None).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(with(None, Some(b"gopher"), None).is_err());
        assert!(with(None, None, Some(b"")).is_err());
    }

    #[test]
    fn the_public_origin_fixes_scheme_and_authority() {
        let s = Settings::new()
            .public_origin("HTTPS://api.example.com/")
            .trust_forwarded_headers(true);
        let parts = RequestParts {
            target: b"http://backend:8080/orders/../orders/%7e1?x",
            host: Some(b"backend:8080"),
            forwarded: Some(b"proto=http;host=evil.example"),
            ..RequestParts::default()
        };
        assert_eq!(
            uri(parts, &s).as_deref(),
            Ok("https://api.example.com/orders/~1")
        );
        for bad in ["api.example.com", "https://api.example.com/base", "ftp://x"] {
            let s = Settings::new().public_origin(bad);
            assert_eq!(
                uri(parts, &s),
                Err(RequestUriError::BadPublicOrigin),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_uri_taken_as_already_normal_is_what_the_steps_make_of_it() {
        let normal = [
            "https://api.example.com/orders",
            "http://127.0.0.1:8080/orders",
            "http://api.test/",
            "https://a-b.example/x//y/.well-known/z",
            "https://api.example.com/a;b=c/~d_e!$&'()*+,=:@",
        ];
        for uri in normal {
            assert_eq!(normalized(uri).as_deref(), Some(uri), "{uri}");
        }
        let taken = normal.iter().filter(|uri| is_normal(uri)).count();
        assert_eq!(taken, normal.len() - 1, "all but the one with a port");
        for other in [
            "HTTPS://api.example.com/orders",
            "https://API.example.com/orders",
            "https://api.example.com:443/orders",
            "https://api.example.com",
            "https://api.example.com/a/./b",
            "https://api.example.com/a/..",
            "https://api.example.com/%7e",
            "https://api.example.com/a?b",
            "https://api.example.com/a#b",
            "https://user@api.example.com/",
            "https:///orders",
            "https://api.example.com/a b",
            "ftp://api.example.com/",
        ] {
            assert!(!is_normal(other), "{other}");
        }
    }
}
