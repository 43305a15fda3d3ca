//! Discovery and JWK Set fetching, with size and time limits.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde::Deserialize;

use super::jwk::{JwksError, KeyLimits, KeySet};
use crate::settings::Settings;

/// Why no key set could be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("GET {url} failed: {reason}")]
    Transport { url: String, reason: String },
    #[error("GET {url} answered {status}")]
    Status { url: String, status: StatusCode },
    #[error("GET {url}: response larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("discovery document at {url} is malformed: {reason}")]
    Discovery { url: String, reason: String },
    #[error("discovery document at {url} names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch {
        url: String,
        expected: String,
        found: String,
    },
    #[error("JWK Set at {url}: {source}")]
    Jwks { url: String, source: JwksError },
    #[error("HTTP client unavailable: {0}")]
    Client(String),
    #[error("key refresh did not complete: {0}")]
    Aborted(String),
}

/// A fetched key set and how long it stays fresh.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) keys: KeySet,
    pub(crate) max_age: Duration,
}

/// Finds the JWK Set URI of `issuer`: `{issuer}/.well-known/openid-configuration`, whose
/// `issuer` must equal the configured one; if that document is absent (404),
/// `{issuer}/.well-known/jwks.json`.
pub(crate) async fn discover(settings: &Settings, issuer: &str) -> Result<String, FetchError> {
    let base = issuer.trim_end_matches('/');
    let url = format!("{base}/.well-known/openid-configuration");
    match get(settings, &url).await {
        Ok((body, _)) => jwks_uri_of(&url, &body, issuer),
        Err(FetchError::Status {
            status: StatusCode::NOT_FOUND,
            ..
        }) => Ok(format!("{base}/.well-known/jwks.json")),
        Err(error) => Err(error),
    }
}

/// The `jwks_uri` of the discovery document `body` fetched from `url`, whose `issuer` must
/// equal `issuer` exactly.
pub(crate) fn jwks_uri_of(url: &str, body: &[u8], issuer: &str) -> Result<String, FetchError> {
    #[derive(Deserialize)]
    struct Discovery {
        issuer: Option<String>,
        jwks_uri: Option<String>,
    }
    let malformed = |reason: &str| FetchError::Discovery {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let document: Discovery =
        serde_json::from_slice(body).map_err(|_| malformed("not a JSON object"))?;
    let found = document.issuer.ok_or_else(|| malformed("no `issuer`"))?;
    if found != issuer {
        return Err(FetchError::IssuerMismatch {
            url: url.to_owned(),
            expected: issuer.to_owned(),
            found,
        });
    }
    let jwks_uri = document
        .jwks_uri
        .ok_or_else(|| malformed("no `jwks_uri`"))?;
    reqwest::Url::parse(&jwks_uri).map_err(|_| malformed("`jwks_uri` is not an absolute URL"))?;
    Ok(jwks_uri)
}

/// Fetches and prepares the JWK Set of `issuer` at `url`.
pub(crate) async fn jwks(
    settings: &Settings,
    issuer: &str,
    url: &str,
) -> Result<Fetched, FetchError> {
    let (body, headers) = get(settings, url).await?;
    let limits = KeyLimits {
        max_rsa_bits: settings.max_rsa_modulus_bits,
    };
    let keys = KeySet::parse(&body, issuer, limits).map_err(|source| FetchError::Jwks {
        url: url.to_owned(),
        source,
    })?;
    Ok(Fetched {
        keys,
        max_age: freshness(&headers, settings),
    })
}

/// How long a fetched set stays fresh: its `max-age`, else the default, within the bounds.
fn freshness(headers: &HeaderMap, settings: &Settings) -> Duration {
    max_age(headers)
        .unwrap_or(settings.default_max_age)
        .clamp(settings.min_max_age, settings.max_max_age)
}

/// `Cache-Control: max-age=N`; `no-cache`/`no-store` count as zero (then clamped up).
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                return Some(Duration::ZERO);
            }
            if name.eq_ignore_ascii_case("max-age") {
                found = arg
                    .trim_matches('"')
                    .parse::<u64>()
                    .ok()
                    .map(Duration::from_secs);
            }
        }
    }
    found
}

/// One bounded GET: status 2xx, body at most `max_response_bytes`, whole exchange within
/// `fetch_timeout`.
async fn get(settings: &Settings, url: &str) -> Result<(Vec<u8>, HeaderMap), FetchError> {
    let target = effective_url(url);
    let transport = |error: reqwest::Error| FetchError::Transport {
        url: url.to_owned(),
        reason: error_chain(&error),
    };
    let exchange = async {
        let mut response = client(settings)?
            .get(target.as_ref())
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let limit = settings.max_response_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok((body, response.headers().clone()))
    };
    tokio::time::timeout(settings.fetch_timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(FetchError::Transport {
                url: url.to_owned(),
                reason: format!("timed out after {:?}", settings.fetch_timeout),
            })
        })
}

fn client(settings: &Settings) -> Result<&reqwest::Client, FetchError> {
    static DEFAULT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    if let Some(client) = &settings.client {
        return Ok(client);
    }
    DEFAULT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("jwks-guard/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|error| error_chain(&error))
        })
        .as_ref()
        .map_err(|reason| FetchError::Client(reason.clone()))
}

/// The URL actually requested: the same, unless a test issuer impersonates its host.
fn effective_url(url: &str) -> std::borrow::Cow<'_, str> {
    #[cfg(feature = "test-util")]
    if let Some(local) = crate::test_util::rewrite_url(url) {
        return std::borrow::Cow::Owned(local);
    }
    std::borrow::Cow::Borrowed(url)
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(CACHE_CONTROL, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn freshness_is_max_age_clamped_to_30_s_and_24_h_with_10_min_by_default() {
        let settings = Settings::new();
        let secs = |values: &[&'static str]| freshness(&headers(values), &settings).as_secs();
        assert_eq!(secs(&["max-age=300"]), 300);
        assert_eq!(secs(&["max-age=5"]), 30);
        assert_eq!(secs(&["no-store"]), 30);
        assert_eq!(secs(&["max-age=604800"]), 24 * 60 * 60);
        assert_eq!(secs(&["max-age=18446744073709551615"]), 24 * 60 * 60);
        assert_eq!(secs(&[]), 600);
    }

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            max_age(&headers(&["public, max-age=120"])),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            max_age(&headers(&["public", "Max-Age=\"7\""])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            max_age(&headers(&["no-store, max-age=600"])),
            Some(Duration::ZERO)
        );
        assert_eq!(max_age(&headers(&["max-age=soon"])), None);
        assert_eq!(max_age(&headers(&[])), None);
    }
}
