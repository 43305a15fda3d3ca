//! Where keys may come from: `https` URLs, plain `http` only on loopback, and redirects that
//! never leave those rules nor go from `https` to `http`.

use std::net::IpAddr;

use reqwest::Url;
use reqwest::redirect::{Attempt, Policy};

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

/// Follows at most `max` redirects, each to a URL keys may come from, never from `https` to
/// `http`.
pub(crate) fn redirect_policy(max: usize) -> Policy {
    Policy::custom(move |attempt: Attempt<'_>| {
        let downgrade = attempt
            .previous()
            .last()
            .is_some_and(|from| from.scheme() == "https" && attempt.url().scheme() == "http");
        if attempt.previous().len() > max {
            attempt.error(format!("more than {max} redirects"))
        } else if downgrade {
            attempt.error("redirect from https to http")
        } else if !allowed(attempt.url()) {
            let target = attempt.url().to_string();
            attempt.error(UrlError::Insecure(target))
        } else {
            attempt.follow()
        }
    })
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
}
