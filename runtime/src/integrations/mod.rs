//! Framework adapters, one module per framework, each behind its feature: the guard of
//! `#[protected]` handlers, the [`Authenticated`] extractor and the [`Rejection`] as the
//! framework's response. Each hands the request's headers to the guard (implementing
//! [`RequestHeaders`](crate::credentials::RequestHeaders) for its header map) and turns a
//! [`Rejection`] into a response, nothing more. `tower` (feature `axum`, also at
//! `jwks_guard::layer`) puts one policy over a whole router. What each calls, and what any
//! other framework can call:
//!
//! ```
//! use jwks_guard::{Claims, Policy};
//!
//! let policy = Policy::builder()
//!     .issuer("https://id.example.com/")
//!     .audience("orders-api")
//!     .build()?;
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! // The request's headers in; the claims, or the answer, out.
//! let headers: &[(&str, &[u8])] = &[("authorization", b"Bearer not-a-jwt")];
//! let rejection = match policy.authorize::<Claims>(headers).await {
//!     Ok(_) => unreachable!("not a token"),
//!     Err(rejection) => rejection,
//! };
//! let response = rejection.response(); // status, headers, body: what every adapter sends
//! assert_eq!(response.status(), 401);
//! assert!(response.header("www-authenticate").is_some_and(|c| c.contains("invalid_token")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Authenticated`]: crate::Authenticated
//! [`Rejection`]: crate::Rejection

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;
#[cfg(feature = "poem")]
#[cfg_attr(docsrs, doc(cfg(feature = "poem")))]
pub mod poem;
#[cfg(feature = "rocket")]
#[cfg_attr(docsrs, doc(cfg(feature = "rocket")))]
pub mod rocket;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod tonic;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod tower;

/// What the tower layers (axum's and tonic's) do with a request: check its token against
/// `policy`, then call `inner` with the verified [`Claims`](crate::Claims) in the request's
/// extensions (none for an anonymous request the layer lets through); or the [`Rejection`](crate::Rejection) to answer with, `inner` never called.
#[cfg(any(feature = "axum", feature = "tonic"))]
async fn check_then_call<S, B>(
    mut inner: S,
    policy: &crate::Policy,
    anonymous: crate::guard::Anonymous,
    request: http::Request<B>,
) -> Result<Result<S::Response, S::Error>, crate::Rejection>
where
    S: tower_service::Service<http::Request<B>>,
{
    let (mut parts, body) = request.into_parts();
    let (claims, proof) = crate::guard::check_marking::<crate::Claims, _>(
        policy,
        &parts,
        anonymous,
        crate::guard::Mark::Yes,
    )
    .await?;
    if let Some(claims) = claims {
        parts.extensions.insert(claims);
    }
    // A `#[protected]` handler or method behind the layer accepts the proof checked here.
    if let Some(proof) = proof {
        parts.extensions.insert(proof);
    }
    Ok(inner.call(http::Request::from_parts(parts, body)).await)
}

/// The service a layer polled ready, for the request at hand; a clone of it stays in `slot` for
/// the next one (tower's usual pattern).
#[cfg(any(feature = "axum", feature = "tonic"))]
fn take_ready<S: Clone>(slot: &mut S) -> S {
    let clone = slot.clone();
    std::mem::replace(slot, clone)
}

/// Appends a [`RejectionResponse`](crate::RejectionResponse)'s headers to an `http` header map
/// (axum and Poem both answer with `http` types), leaving out any a custom response function
/// made invalid.
#[cfg(any(feature = "axum", feature = "poem"))]
fn append_headers(map: &mut http::HeaderMap, headers: impl IntoIterator<Item = (String, String)>) {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name),
            http::HeaderValue::try_from(value),
        ) {
            map.append(name, value);
        }
    }
}

/// The name of the header carrying a server nonce (RFC 9449 §8.1).
#[cfg(any(
    feature = "axum",
    feature = "actix-web",
    feature = "rocket",
    feature = "poem",
    feature = "tonic"
))]
const DPOP_NONCE: &str = "dpop-nonce";

/// With server nonces on, gives a response of `http` types (axum, tonic, Poem) the current
/// `DPoP-Nonce`, unless it carries one already (a refusal's own).
#[cfg(any(feature = "axum", feature = "poem", feature = "tonic"))]
fn add_dpop_nonce(headers: &mut http::HeaderMap) {
    if headers.contains_key(DPOP_NONCE) {
        return;
    }
    if let Some(nonce) = crate::dpop_request::response_nonce()
        && let Ok(value) = http::HeaderValue::try_from(nonce)
    {
        headers.insert(DPOP_NONCE, value);
    }
}
