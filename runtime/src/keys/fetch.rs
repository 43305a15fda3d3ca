//! Discovery and JWK Set fetching, with size and time limits.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::{
    ACCEPT, CACHE_CONTROL, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, LOCATION,
};
use reqwest::{StatusCode, Url};
use serde::Deserialize;

use super::jwk::{JwksError, KeyLimits, KeySet, TEXT_CHARS, loggable};
use super::transport;
use crate::issuer::{discovery_base, discovery_url};
use crate::settings::Settings;

/// Why no key set could be fetched. Every text in it that a provider chose (a discovered URL,
/// a redirect target, a found issuer) is shown [`loggable`].
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("GET {} failed: {}", loggable(.url, TEXT_CHARS), loggable(.reason, TEXT_CHARS))]
    Transport { url: String, reason: String },
    #[error("GET {}: {reason}", loggable(.url, TEXT_CHARS))]
    Redirect {
        url: String,
        reason: super::transport::RedirectError,
    },
    #[error(
        "GET {}: the client given to Settings::http_client followed a redirect to {} by \
         itself, so its hops could not be checked; build that client with \
         reqwest::redirect::Policy::none(): jwks-guard follows redirects itself and checks \
         every hop",
        loggable(.url, TEXT_CHARS),
        loggable(.landed, TEXT_CHARS)
    )]
    ClientRedirected { url: String, landed: String },
    #[error("GET {} answered {status}", loggable(.url, TEXT_CHARS))]
    Status { url: String, status: StatusCode },
    #[error("GET {}: response larger than {limit} bytes", loggable(.url, TEXT_CHARS))]
    TooLarge { url: String, limit: usize },
    #[error("discovery document at {} is malformed: {reason}", loggable(.url, TEXT_CHARS))]
    Discovery { url: String, reason: String },
    #[error(
        "discovery document at {} names issuer \"{}\", expected \"{}\"",
        loggable(.url, TEXT_CHARS),
        loggable(.found, TEXT_CHARS),
        loggable(.expected, TEXT_CHARS)
    )]
    IssuerMismatch {
        url: String,
        expected: String,
        found: String,
    },
    #[error("JWK Set at {}: {source}", loggable(.url, TEXT_CHARS))]
    Jwks { url: String, source: JwksError },
    #[error("HTTP client unavailable: {0}")]
    Client(String),
    #[error("key refresh did not complete: {0}")]
    Aborted(String),
    /// The source of keys changed (a fetch route was installed or removed) while the refresh
    /// ran: what it brought belongs to the old source.
    #[error("the key source changed during the fetch")]
    Superseded,
}

/// The validators of a fetched JWK Set and the URL that answered with them (the last hop of
/// its redirects), sent back on the next refresh to that URL only.
#[derive(Debug, Clone)]
pub(crate) struct Validators {
    from: Url,
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

impl Validators {
    fn of(from: &Url, headers: &HeaderMap) -> Self {
        Validators {
            from: from.clone(),
            etag: headers.get(ETAG).cloned(),
            last_modified: headers.get(LAST_MODIFIED).cloned(),
        }
    }
}

/// The outcome of a JWKS request.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// A new set, how long it stays fresh, and its validators.
    Modified {
        keys: KeySet,
        max_age: Duration,
        validators: Validators,
    },
    /// `304 Not Modified`: the held set stays, fresh for this long.
    NotModified { max_age: Duration },
}

/// Finds the JWK Set URI of `issuer`: `{issuer}/.well-known/openid-configuration`, whose
/// `issuer` must equal the configured one; if that document is absent (404),
/// `{issuer}/.well-known/jwks.json`.
pub(crate) async fn discover(settings: &Settings, issuer: &str) -> Result<String, FetchError> {
    let base = discovery_base(issuer);
    let url = discovery_url(issuer);
    match get(settings, &url, None).await {
        Ok(Response::Body { body, .. }) => jwks_uri_of(&url, &body, issuer),
        Ok(Response::NotModified { .. }) => Err(FetchError::Status {
            url,
            status: StatusCode::NOT_MODIFIED,
        }),
        Err(FetchError::Status {
            status: StatusCode::NOT_FOUND,
            ..
        }) => Ok(format!("{base}/.well-known/jwks.json")),
        Err(error) => Err(error),
    }
}

/// The `jwks_uri` of the discovery document `body` fetched from `url`, whose `issuer` must
/// equal `issuer` exactly, and which keys may be fetched from: as parsed (what is fetched,
/// stored and logged is the checked URL, never the provider's raw text).
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
    let checked = transport::checked(&jwks_uri).map_err(|_| {
        malformed(&format!(
            "`jwks_uri` {} is not an https (or loopback) URL",
            loggable(&jwks_uri, TEXT_CHARS)
        ))
    })?;
    Ok(checked.into())
}

/// Fetches and prepares the JWK Set of `issuer` at `url`, conditionally on `validators` when
/// the held set came from the same URL.
pub(crate) async fn jwks(
    settings: &Settings,
    issuer: &str,
    url: &str,
    validators: Option<&Validators>,
) -> Result<Fetched, FetchError> {
    match get(settings, url, validators).await? {
        Response::NotModified { headers } => Ok(Fetched::NotModified {
            max_age: freshness(&headers, settings),
        }),
        Response::Body {
            body,
            headers,
            from,
        } => {
            let limits = KeyLimits {
                max_rsa_bits: settings.max_rsa_modulus_bits,
                max_keys: settings.max_keys,
            };
            let keys = KeySet::parse(&body, issuer, limits).map_err(|source| FetchError::Jwks {
                url: url.to_owned(),
                source,
            })?;
            Ok(Fetched::Modified {
                keys,
                max_age: freshness(&headers, settings),
                validators: Validators::of(&from, &headers),
            })
        }
    }
}

/// How long a fetched set stays fresh: its `max-age`, else the default, within the bounds,
/// then spread by the jitter.
fn freshness(headers: &HeaderMap, settings: &Settings) -> Duration {
    let max_age = max_age(headers)
        .unwrap_or(settings.default_max_age)
        .clamp(settings.min_max_age, settings.max_max_age);
    jittered(max_age, settings.jitter)
}

/// `duration` spread uniformly by ±`fraction`.
pub(crate) fn jittered(duration: Duration, fraction: f64) -> Duration {
    if fraction <= 0.0 {
        return duration;
    }
    let mut random = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut random).is_err() {
        return duration;
    }
    // A uniform number in [-1, 1).
    let unit = (u64::from_le_bytes(random) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
    duration.mul_f64((1.0 + fraction * unit).max(0.0))
}

/// `Cache-Control: max-age=N`. `no-cache`, `no-store` and a negative `max-age` count as zero and
/// an overflowing one as the longest (both then clamped to the bounds); an unparsable directive
/// is ignored, so it never erases a valid one.
fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut found = None;
    let mut uncacheable = false;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (name, arg) = directive.split_once('=').unwrap_or((directive, ""));
            let name = name.trim();
            if name.eq_ignore_ascii_case("no-cache") || name.eq_ignore_ascii_case("no-store") {
                uncacheable = true;
            } else if name.eq_ignore_ascii_case("max-age") {
                found = delta_seconds(arg.trim().trim_matches('"')).or(found);
            }
        }
    }
    if uncacheable {
        Some(Duration::ZERO)
    } else {
        found
    }
}

/// RFC 9111 delta-seconds, leniently: digits (saturating), or a negative number as zero.
fn delta_seconds(text: &str) -> Option<Duration> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if negative {
        return Some(Duration::ZERO);
    }
    Some(Duration::from_secs(
        digits.parse::<u64>().unwrap_or(u64::MAX),
    ))
}

/// A successful answer: a body and the URL that sent it, or `304 Not Modified`.
enum Response {
    Body {
        body: Vec<u8>,
        headers: HeaderMap,
        from: Url,
    },
    NotModified {
        headers: HeaderMap,
    },
}

/// One GET and the redirects it leads to, each followed here whatever the client (the
/// default client follows none; one given in `Settings::http_client` must not either), and
/// each hop checked: at most `max_redirects`, to URLs keys may come from, never from `https`
/// to `http`. Then status 2xx (or 304 when `validators` were sent to the URL that answered),
/// body at most `max_response_bytes`. The caller bounds the time.
async fn get(
    settings: &Settings,
    url: &str,
    validators: Option<&Validators>,
) -> Result<Response, FetchError> {
    let mut current = transport::checked(&effective_url(settings, url)).map_err(|error| {
        FetchError::Transport {
            url: url.to_owned(),
            reason: error.to_string(),
        }
    })?;
    let transport = |error: reqwest::Error| FetchError::Transport {
        url: url.to_owned(),
        reason: error_chain(&error),
    };
    let client = client(settings)?;
    let mut followed = 0;
    loop {
        // Validators describe what one URL sent; another URL gets an unconditional request.
        let conditional = validators.filter(|validators| validators.from == current);
        let mut request = client
            .get(current.clone())
            .header(ACCEPT, "application/json");
        if let Some(validators) = conditional {
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag.clone());
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, last_modified.clone());
            }
        }
        let response = request.send().await.map_err(transport)?;
        if *response.url() != current {
            // The client followed redirects by itself: its hops were never seen here.
            return Err(FetchError::ClientRedirected {
                url: url.to_owned(),
                landed: response.url().to_string(),
            });
        }
        let status = response.status();
        if is_redirect(status)
            && let Some(location) = response.headers().get(LOCATION)
        {
            current = transport::next_hop(
                &current,
                location.as_bytes(),
                followed,
                settings.max_redirects,
            )
            .map_err(|reason| FetchError::Redirect {
                url: url.to_owned(),
                reason,
            })?;
            followed += 1;
            continue;
        }
        if status == StatusCode::NOT_MODIFIED && conditional.is_some() {
            return Ok(Response::NotModified {
                headers: response.headers().clone(),
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status,
            });
        }
        let (body, headers) = body(settings, url, response).await?;
        return Ok(Response::Body {
            body,
            headers,
            from: current,
        });
    }
}

/// The statuses whose `Location` is followed (as browsers and reqwest do).
fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The body of `response` (to a GET of `url`) and its headers, at most `max_response_bytes`.
async fn body(
    settings: &Settings,
    url: &str,
    mut response: reqwest::Response,
) -> Result<(Vec<u8>, HeaderMap), FetchError> {
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
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| FetchError::Transport {
            url: url.to_owned(),
            reason: error_chain(&error),
        })?
    {
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, response.headers().clone()))
}

/// The client of `settings`, else the default one, which follows no redirect (`get` does).
fn client(settings: &Settings) -> Result<&reqwest::Client, FetchError> {
    static DEFAULT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    if let Some(client) = &settings.client {
        return Ok(client);
    }
    DEFAULT
        .get_or_init(|| {
            reqwest::Client::builder()
                .user_agent(concat!("jwks-guard/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|error| error_chain(&error))
        })
        .as_ref()
        .map_err(|reason| FetchError::Client(reason.clone()))
}

/// The URL actually requested: under a live [`fetch_from`](crate::fetch_from) route, else
/// under a [`Settings::fetch_from`] mapping, else the same.
pub(crate) fn effective_url(settings: &Settings, url: &str) -> String {
    super::FetchRoute::lookup(url)
        .or_else(|| settings.mapped_url(url))
        .unwrap_or_else(|| url.to_owned())
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

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(CACHE_CONTROL, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn freshness_is_max_age_clamped_to_30_s_and_24_h_with_10_min_by_default() {
        let settings = Settings::new().jitter(0.0);
        let secs = |values: &[&'static str]| freshness(&headers(values), &settings).as_secs();
        assert_eq!(secs(&["max-age=300"]), 300);
        assert_eq!(secs(&["max-age=5"]), 30);
        assert_eq!(secs(&["max-age=0"]), 30);
        assert_eq!(secs(&["no-store"]), 30);
        assert_eq!(secs(&["no-cache, max-age=600"]), 30);
        assert_eq!(secs(&["max-age=-5"]), 30);
        assert_eq!(secs(&["max-age=604800"]), 24 * 60 * 60);
        assert_eq!(secs(&["max-age=18446744073709551615"]), 24 * 60 * 60);
        assert_eq!(secs(&["max-age=99999999999999999999999"]), 24 * 60 * 60);
        assert_eq!(secs(&[]), 600);
    }

    #[test]
    fn an_unparsable_directive_never_erases_a_valid_max_age() {
        assert_eq!(
            max_age(&headers(&["public, max-age=120", "max-age=soon"])),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            max_age(&headers(&["max-age=120, max-age=\"\""])),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            max_age(&headers(&["public", "Max-Age=\"7\""])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(max_age(&headers(&["max-age=soon"])), None);
        assert_eq!(max_age(&headers(&[])), None);
    }

    #[test]
    fn jitter_spreads_within_the_fraction() {
        let base = Duration::from_secs(100);
        let spread: Vec<Duration> = (0..200).map(|_| jittered(base, 0.1)).collect();
        assert!(
            spread
                .iter()
                .all(|d| *d >= Duration::from_secs(90) && *d <= Duration::from_secs(110))
        );
        assert!(spread.iter().any(|d| *d < base) && spread.iter().any(|d| *d > base));
        assert_eq!(jittered(base, 0.0), base);
    }
}
