//! Where keys may come from: `https` URLs, plain `http` only on loopback, and redirects that
//! never leave those rules nor go from `https` to `http`, each hop checked here (the fetch
//! follows redirects itself, whatever the client).

use std::net::IpAddr;

use reqwest::Url;

use super::jwk::{TEXT_CHARS, loggable};

/// A URL keys may not be fetched from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UrlError {
    #[error("`{0}` is not an absolute URL")]
    NotAbsolute(String),
    #[error(
        "`{0}`: keys are fetched over https only (plain http only from loopback hosts: \
         127.0.0.0/8, ::1, localhost)"
    )]
    Insecure(String),
}

/// `url` parsed, if keys may be fetched from it.
pub(crate) fn checked(url: &str) -> Result<Url, UrlError> {
    let parsed = Url::parse(url).map_err(|_| UrlError::NotAbsolute(url.to_owned()))?;
    if allowed(&parsed) {
        Ok(parsed)
    } else {
        Err(UrlError::Insecure(url.to_owned()))
    }
}

fn allowed(url: &Url) -> bool {
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// Why a redirect is not followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RedirectError {
    #[error("more than {0} redirects (Settings::max_redirects)")]
    TooMany(usize),
    #[error("redirect `Location` {0} is not a URL")]
    BadLocation(String),
    #[error("redirect from https to http ({0}), refused")]
    Downgrade(String),
    #[error("redirect to {0}")]
    Insecure(UrlError),
}

/// The next URL of a redirect chain: `location` (the `Location` of the answer from `from`)
/// resolved against `from`, when `followed` redirects came before and at most `max` may be
/// followed, the target is a URL keys may come from, and the hop does not go from `https` to
/// `http`.
pub(crate) fn next_hop(
    from: &Url,
    location: &[u8],
    followed: usize,
    max: usize,
) -> Result<Url, RedirectError> {
    if followed >= max {
        return Err(RedirectError::TooMany(max));
    }
    let bad =
        || RedirectError::BadLocation(loggable(&String::from_utf8_lossy(location), TEXT_CHARS));
    let next = std::str::from_utf8(location)
        .ok()
        .and_then(|location| from.join(location).ok())
        .ok_or_else(bad)?;
    let shown = || loggable(next.as_str(), TEXT_CHARS);
    if from.scheme() == "https" && next.scheme() == "http" {
        return Err(RedirectError::Downgrade(shown()));
    }
    if !allowed(&next) {
        return Err(RedirectError::Insecure(UrlError::Insecure(shown())));
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_on_loopback() {
        for ok in [
            "https://id.example.com/",
            "https://10.0.0.1/keys",
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "http://[::1]:9000/jwks",
            "http://localhost/realms/x",
            "http://LOCALHOST:1/",
        ] {
            assert!(checked(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://id.example.com/",
            "http://10.0.0.1/",
            "http://localhost.example.com/",
            "http://[::2]/",
            "ftp://id.example.com/",
            "file:///etc/passwd",
        ] {
            assert_eq!(
                checked(insecure),
                Err(UrlError::Insecure(insecure.to_owned())),
                "{insecure}"
            );
        }
        assert_eq!(
            checked("id.example.com"),
            Err(UrlError::NotAbsolute("id.example.com".into()))
        );
    }

    fn hop(from: &str, location: &str, followed: usize) -> Result<String, RedirectError> {
        let from = checked(from).map_err(|_| RedirectError::BadLocation(from.to_owned()))?;
        next_hop(&from, location.as_bytes(), followed, 3).map(String::from)
    }

    #[test]
    fn a_redirect_is_resolved_against_the_url_that_answered() {
        assert_eq!(
            hop("https://id.example.com/a/b", "/keys", 0).as_deref(),
            Ok("https://id.example.com/keys")
        );
        assert_eq!(
            hop("https://id.example.com/a/b", "c", 2).as_deref(),
            Ok("https://id.example.com/a/c")
        );
        assert_eq!(
            hop(
                "http://127.0.0.1:8080/jwks",
                "https://keys.example.com/jwks",
                0
            )
            .as_deref(),
            Ok("https://keys.example.com/jwks")
        );
    }

    #[test]
    fn a_redirect_never_goes_from_https_to_http_off_the_rules_or_past_the_limit() {
        assert_eq!(
            hop(
                "https://id.example.com/jwks",
                "http://127.0.0.1:8080/jwks",
                0
            ),
            Err(RedirectError::Downgrade(
                "http://127.0.0.1:8080/jwks".into()
            ))
        );
        assert_eq!(
            hop("http://127.0.0.1/jwks", "http://keys.example.com/jwks", 0),
            Err(RedirectError::Insecure(UrlError::Insecure(
                "http://keys.example.com/jwks".into()
            )))
        );
        assert_eq!(
            hop("https://id.example.com/", "file:///etc/passwd", 0),
            Err(RedirectError::Insecure(UrlError::Insecure(
                "file:///etc/passwd".into()
            )))
        );
        assert_eq!(
            hop("https://id.example.com/", "/keys", 3),
            Err(RedirectError::TooMany(3))
        );
        assert!(matches!(
            hop("https://id.example.com/", "https://[bad", 0),
            Err(RedirectError::BadLocation(_))
        ));
    }
}
