//! A real OpenID Connect provider for the tests of a [`jwks-guard`](jwks_guard) application:
//! [`TestIssuer`], and the tokens it signs ([`TokenBuilder`]). Add it as a dev-dependency:
//!
//! ```toml
//! [dev-dependencies]
//! jwks-guard-test = "0.1"
//! ```
//!
//! ```
//! use axum::{Router, routing::get};
//! use jwks_guard_test::TestIssuer;
//! use jwks_guard::{Claims, protected};
//!
//! // The application's handler, exactly as it is written for production.
//! #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:read"])]
//! async fn list_orders(#[claims] claims: Claims) -> String {
//!     claims.sub.unwrap_or_default()
//! }
//!
//! // In your test suite, under `#[tokio::test]`:
//! async fn orders_need_a_token_with_the_scope() -> Result<(), Box<dyn std::error::Error>> {
//!     // Stands in for https://id.example.com/ while it lives.
//!     let issuer = TestIssuer::start_as("https://id.example.com/")?;
//!
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//!     let orders = format!("http://{}/orders", listener.local_addr()?);
//!     let app = Router::new().route("/orders", get(list_orders));
//!     tokio::spawn(async move { axum::serve(listener, app).await });
//!
//!     let token = issuer.token().audience("orders-api").subject("alice").scopes(["orders:read"]).sign();
//!     let response = reqwest::Client::new().get(&orders).bearer_auth(token).send().await?;
//!     assert_eq!(response.status(), 200);
//!     assert_eq!(response.text().await?, "alice");
//!
//!     let without_scope = issuer.token().audience("orders-api").sign();
//!     let response = reqwest::Client::new().get(&orders).bearer_auth(without_scope).send().await?;
//!     assert_eq!(response.status(), 403);
//!     Ok(())
//! }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build()?
//! #         .block_on(orders_need_a_token_with_the_scope())
//! # }
//! ```
//!
//! # What it is
//!
//! A [`TestIssuer`] is an HTTP server on `127.0.0.1` (a free port) that serves
//!
//! - `GET /.well-known/openid-configuration`: `issuer`, `jwks_uri` and the usual few fields;
//! - `GET /jwks`, `/.well-known/jwks.json` and `/keys` (and the key path of a
//!   [provider preset](#provider-presets), such as Okta's `/v1/keys`): its JWKS, with
//!   `Cache-Control: max-age=300` unless configured otherwise;
//!
//! both with the validators `ETag` and `Last-Modified`, answering a conditional `GET` that
//! names the current version (`If-None-Match`, else `If-Modified-Since`) with `304 Not
//! Modified` (see [`TestIssuerBuilder::validators`]).
//!
//! holds an RSA 2048, an EC P-256, an EC P-384 and an Ed25519 key, each with a `kid`, published
//! with `use: "sig"` and `alg` (RS256, ES256, ES384, EdDSA), and signs tokens with them
//! ([`TestIssuer::token`]); with [`TestIssuerBuilder::p521_key`], an EC P-521 key (ES512) as
//! well. It can rotate its keys, fail or redirect on demand ([`Answer`]) and count the requests
//! it gets, conditional ones and `304`s too, so a test can check how often keys are fetched
//! and revalidated.
//!
//! The server runs on its own thread with its own single-threaded Tokio runtime: it works from
//! `#[test]`, from `#[tokio::test]` (of any flavour, even while that test's runtime is blocked)
//! and from a shared `static`. It stops when the `TestIssuer` is dropped.
//!
//! # Impersonation
//!
//! [`TestIssuer::start`] names the issuer after its own URL (`http://127.0.0.1:PORT`), which
//! changes from run to run. [`TestIssuer::start_as`] takes the issuer string your
//! configuration and your `#[protected]` attributes already use (`"https://id.example.com/"`):
//! tokens carry it in `iss`, discovery announces it, and, while the `TestIssuer` lives, the
//! guard fetches every URL under that issuer (the issuer with exactly one trailing `/`, then
//! anything) from the local server instead, keeping the path. The `jwks_uri` it
//! announces is under the issuer too (`https://id.example.com/jwks`), so it goes there as well.
//!
//! Impersonation is the runtime's public [`jwks_guard::fetch_from`] route, which exists for
//! providers reached at an address known only once the process runs (service discovery, a
//! sidecar's port): the `TestIssuer` holds one route per impersonated prefix and drops them
//! when it is dropped. The runtime has no test-only code path, feature or switch; what a
//! `TestIssuer` does, the application could do with the same public call. Routes are
//! process-wide, like the key cache they feed: if two live issuers impersonate the same issuer
//! string, the most recently started one wins until it is dropped. Installing a route logs an
//! `info` event naming both addresses.
//!
//! # Provider presets
//!
//! [`TestIssuer::like`] starts an issuer that looks like a real provider: it impersonates that
//! provider's issuer string (an example tenant, pool or realm), serves a discovery document
//! with that provider's members, and mints that provider's access tokens by default, with
//! their claim names and JSON types (Cognito's `client_id` and no `aud`, Auth0's `aud` array,
//! Okta's `scp` array, Keycloak's `realm_access.roles`, Spring's `scope` array, Entra ID's
//! `tid` and `ver` …). Test the attribute you deploy against the tokens your provider sends:
//!
//! ```
//! use jwks_guard_test::{Provider, TestIssuer};
//!
//! let cognito = TestIssuer::like(Provider::Cognito)?;
//! assert_eq!(cognito.issuer(), "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example");
//! // Cognito's access token: `client_id`, `token_use: "access"`, no `aud`.
//! let token = cognito.token().sign();
//! // Every default can be changed: an ID token instead.
//! let id_token = cognito
//!     .token()
//!     .without_claim("client_id")
//!     .audience("1example23456789")
//!     .claim("token_use", "id")
//!     .sign();
//! # assert_ne!(token, id_token);
//! # Ok::<(), jwks_guard_test::TestIssuerError>(())
//! ```
//!
//! Each [`Provider`] variant documents its issuer, its token and the attribute its users
//! write. The Entra ID presets also answer at Microsoft's common discovery endpoint, whose
//! document names the `{tenantid}` template as its issuer, for multi-tenant attributes;
//! [`TokenBuilder::tenant`] mints a token for another tenant.
//!
//! # DPoP
//!
//! A [`DpopClient`] holds a client's key (ES256 by default) and signs DPoP proofs (RFC 9449)
//! for a method and URL, with a method for each way a proof can be wrong (its `typ`, `alg`,
//! `jwk`, a private key in it, another signing key, each claim); [`TokenBuilder::dpop_bound`]
//! binds a token to its key (`cnf.jkt` = [`DpopClient::thumbprint`]).
//!
//! **This crate is for tests**: take it under `[dev-dependencies]`, never as a dependency of
//! a build that serves real traffic, where a `TestIssuer` could stand in for your provider.
//! It enables none of the runtime's features, so your application's choice of framework
//! features stays yours.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod conditional;
mod dpop;
mod keys;
mod providers;
mod server;
mod token;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jwks_guard::FetchRoute;

pub use dpop::{DpopClient, ProofBuilder};
pub use providers::{ENTRA_TENANT_ID, Provider};
pub use token::TokenBuilder;

/// The signature algorithms, as [`TokenBuilder::alg`] and [`TestIssuer::kid`] take them: the
/// runtime's own [`jwks_guard::Alg`].
pub use jwks_guard::Alg;

use keys::KeyRing;
use providers::Layout;
use server::{Answers, Config, Counter, Endpoint, Server, Shared};

/// Why a [`TestIssuer`] could not start, or a key or token could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestIssuerError {
    /// The local server could not be started.
    #[error("the test issuer could not start its server: {0}")]
    Server(#[from] std::io::Error),
    /// A key could not be generated (the kind of key is named).
    #[error("the test issuer could not generate its {0} key")]
    Key(&'static str),
    /// A token could not be signed.
    #[error("the test issuer could not sign the token: {0}")]
    Sign(String),
}

/// How an endpoint answers: see [`TestIssuer::set_answer`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Answer {
    /// The discovery document or the JWKS, `200 OK`, with `ETag` and `Last-Modified`; `304 Not
    /// Modified` to a conditional `GET` that names the current version (see
    /// [`TestIssuerBuilder::validators`]).
    #[default]
    Normal,
    /// This status and an empty body (`Status(500)`, `Status(404)`, `Status(429)` …); a code
    /// that is not a valid final HTTP status (below 200 or above 999) becomes 500.
    Status(u16),
    /// Accepts the request and does not answer until the endpoint's answer is changed; then
    /// answers according to the new one. Other requests are served meanwhile.
    Hang,
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// `200 OK`, `Content-Type: application/json`, and a body that is not JSON.
    Garbage,
    /// `200 OK`, `Content-Type: application/json`, and this body: hostile key sets, wrong
    /// discovery documents. No validators, never `304`.
    Body(String),
    /// `302 Found`, `Location:` this URL (absolute, or relative to the request's), and an empty
    /// body: for redirect-rule tests, such as
    /// `Answer::Redirect("http://127.0.0.1:PORT/jwks".into())` to another issuer's
    /// [`jwks_url`](TestIssuer::jwks_url). The three JWKS paths share one answer, so a JWKS
    /// answer that redirects to this issuer's own JWKS redirects forever. A location that is
    /// not a valid header value becomes 500.
    Redirect(String),
    /// This status, `Content-Type: text/html`, and a small HTML error page, as a misconfigured
    /// proxy in front of the provider answers; a code that is not a valid final HTTP status
    /// becomes 500, as with [`Status`](Answer::Status).
    Html(u16),
}

/// Options for a [`TestIssuer`]; made by [`TestIssuer::builder`].
///
/// ```
/// # use jwks_guard_test::TestIssuer;
/// let issuer = TestIssuer::builder()
///     .impersonate("https://login.example.com/tenant/v2.0")
///     .max_age(60)
///     .discovery(false) // discovery answers 404
///     .publish_alg(false) // JWKs without `alg`
///     .start()?;
/// # Ok::<(), jwks_guard_test::TestIssuerError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is called"]
pub struct TestIssuerBuilder {
    /// The provider imitated ([`TestIssuerBuilder::like`]).
    provider: Option<Provider>,
    impersonate: Option<String>,
    /// The issuer string, when named without impersonation.
    name: Option<String>,
    cache_control: Option<String>,
    discovery: bool,
    publish_alg: bool,
    jwks_uri: Option<String>,
    validators: bool,
    p521_key: bool,
}

impl Default for TestIssuerBuilder {
    fn default() -> Self {
        TestIssuerBuilder {
            provider: None,
            impersonate: None,
            name: None,
            cache_control: Some("max-age=300".into()),
            discovery: true,
            publish_alg: true,
            jwks_uri: None,
            validators: true,
            p521_key: false,
        }
    }
}

impl TestIssuerBuilder {
    /// Looks like `provider`: its discovery document, its access tokens by default, and, unless
    /// [`impersonate`](Self::impersonate) or [`issuer_name`](Self::issuer_name) names another
    /// issuer, its issuer string, impersonated (see [`Provider`] and [`TestIssuer::like`]).
    ///
    /// With another issuer the shapes stay the provider's: `like(Provider::Cognito)
    /// .impersonate("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc")` for your own
    /// pool. An Entra ID preset takes the tenant from an issuer of its template's shape
    /// (`https://login.microsoftonline.com/{tenant}/v2.0`), and impersonates Microsoft's
    /// common endpoints and key locations as well whenever it impersonates.
    ///
    /// ```
    /// # use jwks_guard_test::{Provider, TestIssuer};
    /// let keycloak = TestIssuer::builder()
    ///     .like(Provider::Keycloak)
    ///     .impersonate("https://sso.example.org/realms/billing")
    ///     .start()?;
    /// assert_eq!(keycloak.issuer(), "https://sso.example.org/realms/billing");
    /// # Ok::<(), jwks_guard_test::TestIssuerError>(())
    /// ```
    pub fn like(mut self, provider: Provider) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Uses `issuer` as the issuer string and impersonates it (see the
    /// [module documentation](crate#impersonation)), instead of naming the issuer after the
    /// local server's URL.
    pub fn impersonate(mut self, issuer: impl Into<String>) -> Self {
        self.impersonate = Some(issuer.into());
        self
    }

    /// Uses `issuer` as the issuer string without impersonating it: tokens and discovery name
    /// it, but nothing is redirected to the local server, so the application must be told
    /// where to fetch from, as with a provider reached at another address than the one its
    /// tokens name ([`Settings::fetch_from`](jwks_guard::Settings::fetch_from), or the
    /// run-time route [`jwks_guard::fetch_from`], with [`TestIssuer::url`]). Its keys are its
    /// own, even beside another issuer of the same name (an impostor, in attack tests).
    pub fn issuer_name(mut self, issuer: impl Into<String>) -> Self {
        self.name = Some(issuer.into());
        self
    }

    /// `Cache-Control: max-age=<seconds>` on the discovery document and the JWKS (default 300).
    pub fn max_age(self, seconds: u64) -> Self {
        self.cache_control(format!("max-age={seconds}"))
    }

    /// This `Cache-Control` value on the discovery document and the JWKS (`"no-store"` …).
    pub fn cache_control(mut self, value: impl Into<String>) -> Self {
        self.cache_control = Some(value.into());
        self
    }

    /// No `Cache-Control` header.
    pub fn no_cache_control(mut self) -> Self {
        self.cache_control = None;
        self
    }

    /// Whether discovery is published (default `true`). Without it,
    /// `/.well-known/openid-configuration` answers 404 and clients fall back to
    /// `{issuer}/.well-known/jwks.json`. Same as starting with
    /// [`set_discovery_answer(Answer::Status(404))`](TestIssuer::set_discovery_answer).
    pub fn discovery(mut self, published: bool) -> Self {
        self.discovery = published;
        self
    }

    /// Whether the JWKs carry `alg` (default `true`).
    pub fn publish_alg(mut self, published: bool) -> Self {
        self.publish_alg = published;
        self
    }

    /// The `jwks_uri` discovery announces, instead of `{issuer}/jwks` (or the provider's key
    /// location, with [`like`](Self::like)): for instance a URL on another host, or one that
    /// does not answer.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Whether normal answers carry validators (default `true`): an `ETag` (a strong tag that
    /// changes whenever the document does) and a `Last-Modified` date (when it last changed;
    /// each change moves it forward by at least a second, so after changes in quick succession
    /// it can run a few seconds ahead of the clock). A `GET` whose `If-None-Match` matches the
    /// `ETag` (`*`, a list, `W/` tags: the weak comparison), or, without `If-None-Match`, whose
    /// `If-Modified-Since` is not before `Last-Modified`, gets `304 Not Modified` with the
    /// `ETag`, the `Cache-Control` and no body. With `false`, neither header and never `304`.
    pub fn validators(mut self, on: bool) -> Self {
        self.validators = on;
        self
    }

    /// Whether the issuer also holds an EC P-521 key, which signs ES512 tokens (default
    /// `false`). The key is published after the P-384 key (`crv: "P-521"`, `alg: "ES512"`),
    /// rotates with the others, and, without a provider preset, discovery lists ES512 among the
    /// signing algorithms. Without it, an ES512 token cannot be signed:
    /// [`TokenBuilder::try_sign`] returns an error naming this method, and
    /// [`TestIssuer::kid`]`(Alg::ES512)` is empty.
    ///
    /// ```
    /// # use jwks_guard_test::{Alg, TestIssuer};
    /// let issuer = TestIssuer::builder().p521_key(true).start()?;
    /// assert_eq!(issuer.kids().len(), 5);
    /// let token = issuer.token().alg(Alg::ES512).sign();
    /// # assert_eq!(token.split('.').count(), 3);
    /// assert!(TestIssuer::start()?.token().alg(Alg::ES512).try_sign().is_err());
    /// # Ok::<(), jwks_guard_test::TestIssuerError>(())
    /// ```
    pub fn p521_key(mut self, held: bool) -> Self {
        self.p521_key = held;
        self
    }

    /// Generates the keys and starts the server.
    pub fn start(self) -> Result<TestIssuer, TestIssuerError> {
        let listener = Server::bind()?;
        let local = format!("http://{}", listener.local_addr()?);
        let impersonated = match (&self.impersonate, &self.name, self.provider) {
            (Some(issuer), _, _) => Some(issuer.clone()),
            (None, None, Some(provider)) => Some(provider.issuer().to_owned()),
            _ => None,
        };
        let issuer = impersonated
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| local.clone());
        let jwks_uri = self.jwks_uri.as_deref();
        let kinds = if self.p521_key {
            keys::KINDS_WITH_P521
        } else {
            keys::KINDS
        };
        let layout = match self.provider {
            Some(provider) => provider.layout(&issuer, jwks_uri),
            None => Layout::generic(&issuer, jwks_uri, kinds),
        };
        let aliases = layout.aliases.clone();
        let answers = Answers {
            discovery: if self.discovery {
                Answer::Normal
            } else {
                Answer::Status(404)
            },
            jwks: Answer::Normal,
        };
        let config = Config {
            issuer: issuer.clone(),
            provider: self.provider,
            layout,
            cache_control: self.cache_control,
            publish_alg: self.publish_alg,
            validators: self.validators,
            answers,
        };
        // Issuers impersonating the same issuer string start with the same keys (see
        // `KeyRing::for_issuer`); one named without impersonation is a signer of its own.
        let ring = match &impersonated {
            Some(issuer) => KeyRing::for_issuer(issuer, kinds)?,
            None => KeyRing::new(kinds)?,
        };
        let shared = Arc::new(Shared::new(config, ring));
        let server = Server::start(listener, Arc::clone(&shared))?;
        // The issuer first, then the provider's other addresses (Entra ID's common endpoints
        // and key locations), each to its local path.
        let routes = match impersonated {
            Some(issuer) => std::iter::once((issuer, ""))
                .chain(aliases)
                .map(|(prefix, path)| jwks_guard::fetch_from(&prefix, format!("{local}{path}")))
                .collect(),
            None => Vec::new(),
        };
        Ok(TestIssuer {
            shared,
            local,
            _routes: routes,
            server,
        })
    }
}

/// An OpenID Connect provider on `127.0.0.1` for tests: discovery, a JWKS, tokens, rotation,
/// faults and request counts. See the [crate documentation](crate).
///
/// `Send + Sync`: share one in a `static` (`LazyLock`) or start one per test. Both work with the
/// default settings, in parallel or not: issuers started in one process to impersonate the same
/// issuer string start with the same keys, and starting or dropping one (its fetch route) makes the
/// guard fetch that issuer's keys afresh at the next request. Starting takes
/// about a millisecond once the process has an RSA key to spare: RSA keys come from a
/// process-wide pool, and only the first issuers of a test binary wait for one to be generated
/// (a fifth of a second on average in an unoptimised build). The server stops when the
/// `TestIssuer` is dropped.
pub struct TestIssuer {
    shared: Arc<Shared>,
    /// `http://127.0.0.1:PORT`.
    local: String,
    /// The impersonations, ended on drop ([`jwks_guard::fetch_from`] routes). Declared before
    /// `server`, so that they end before the server stops.
    _routes: Vec<FetchRoute>,
    /// Stops the server when dropped.
    server: Server,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("issuer", &self.shared.issuer)
            .field("url", &self.local)
            .finish_non_exhaustive()
    }
}

impl TestIssuer {
    /// Starts an issuer named after its own URL (`http://127.0.0.1:PORT`).
    pub fn start() -> Result<TestIssuer, TestIssuerError> {
        TestIssuer::builder().start()
    }

    /// Starts an issuer that impersonates `issuer` (`"https://id.example.com/"`): see the
    /// [module documentation](crate#impersonation).
    pub fn start_as(issuer: impl Into<String>) -> Result<TestIssuer, TestIssuerError> {
        TestIssuer::builder().impersonate(issuer).start()
    }

    /// Starts an issuer that looks like `provider`, impersonating its issuer string: see
    /// [`Provider`] for each one's issuer, discovery document, token and attribute.
    ///
    /// ```
    /// # use jwks_guard_test::{Provider, TestIssuer};
    /// let auth0 = TestIssuer::like(Provider::Auth0)?;
    /// assert_eq!(auth0.issuer(), "https://example.eu.auth0.com/");
    /// let token = auth0.token().sign(); // aud: [API, userinfo], scope, permissions …
    /// let other_api = auth0.token().audience("https://billing.example.com").sign();
    /// # assert_ne!(token, other_api);
    /// # Ok::<(), jwks_guard_test::TestIssuerError>(())
    /// ```
    pub fn like(provider: Provider) -> Result<TestIssuer, TestIssuerError> {
        TestIssuer::builder().like(provider).start()
    }

    /// Options: provider preset, impersonation, `Cache-Control`, validators, discovery, `alg`
    /// in the JWKs, `jwks_uri`, a P-521 key.
    pub fn builder() -> TestIssuerBuilder {
        TestIssuerBuilder::default()
    }

    /// The issuer string: `iss` of its tokens, `issuer` of its discovery document.
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The provider it looks like, if started with [`like`](Self::like).
    pub fn provider(&self) -> Option<Provider> {
        self.shared.provider
    }

    /// The Entra ID tenant of an Entra ID preset ([`ENTRA_TENANT_ID`] unless the issuer names
    /// another): the `tid` of its tokens and the tenant in its issuer. `None` for others.
    pub fn tenant_id(&self) -> Option<&str> {
        self.shared.tenant.as_deref()
    }

    /// The local server's URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.local
    }

    /// The local server's address.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The local discovery URL, `http://127.0.0.1:PORT/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.local)
    }

    /// The local JWKS URL, `http://127.0.0.1:PORT/jwks`.
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.local)
    }

    /// A builder for a token signed by this issuer: see [`TokenBuilder`].
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(Arc::clone(&self.shared))
    }

    // ----- keys -----

    /// Replaces every key with a new one under a new `kid`; the old keys leave the JWKS.
    /// Tokens signed from now on use the new keys.
    pub fn rotate(&self) -> Result<(), TestIssuerError> {
        self.shared.update_keys(|keys| keys.rotate(false))
    }

    /// Like [`rotate`](Self::rotate), but the old keys stay in the JWKS (after the new ones)
    /// until [`remove_old_keys`](Self::remove_old_keys): tokens signed before still verify.
    pub fn rotate_keeping_old(&self) -> Result<(), TestIssuerError> {
        self.shared.update_keys(|keys| keys.rotate(true))
    }

    /// Removes the keys kept by [`rotate_keeping_old`](Self::rotate_keeping_old) from the JWKS.
    pub fn remove_old_keys(&self) {
        let _ = self.shared.update_keys(|keys| {
            keys.remove_old();
            Ok(())
        });
    }

    /// The `kid` of the current key that signs `alg`; empty if the issuer holds no such key
    /// (ES512 without [`p521_key(true)`](TestIssuerBuilder::p521_key)).
    pub fn kid(&self, alg: Alg) -> String {
        self.shared
            .keys()
            .current(alg.key_type())
            .map(|key| key.kid.clone())
            .unwrap_or_default()
    }

    /// Signs arbitrary bytes with the issuer's current key for `alg` and returns the base64url
    /// signature: for hostile tokens whose header or payload text [`TokenBuilder`] cannot write
    /// (duplicate members, padding, another base64 alphabet).
    ///
    /// ```
    /// # use jwks_guard_test::{Alg, TestIssuer};
    /// # let issuer = TestIssuer::start()?;
    /// let input = "eyJhbGciOiJFUzI1NiJ9.e30"; // {"alg":"ES256"}.{}
    /// let token = format!("{input}.{}", issuer.sign_input(Alg::ES256, input)?);
    /// # assert_eq!(token.split('.').count(), 3);
    /// # Ok::<(), jwks_guard_test::TestIssuerError>(())
    /// ```
    pub fn sign_input(&self, alg: Alg, signing_input: &str) -> Result<String, TestIssuerError> {
        token::sign_with_current_key(&self.shared, alg, signing_input)
    }

    /// The kids the JWKS publishes, in its order.
    pub fn kids(&self) -> Vec<String> {
        self.shared.keys().kids()
    }

    /// The JWKS document as the JWKS endpoint serves it when answering normally: a start for
    /// hostile variants served with [`Answer::Body`].
    pub fn jwks(&self) -> String {
        self.shared.jwks().body.to_string()
    }

    /// Whether the JWKs carry `alg`.
    pub fn set_publish_alg(&self, published: bool) {
        self.shared.set_publish_alg(published);
    }

    // ----- answers -----

    /// How both the discovery and the JWKS endpoints answer from now on;
    /// `set_answer(Answer::Normal)` puts things back.
    pub fn set_answer(&self, answer: Answer) {
        self.shared.set_answer(None, answer);
    }

    /// How the discovery endpoint answers from now on.
    pub fn set_discovery_answer(&self, answer: Answer) {
        self.shared.set_answer(Some(Endpoint::Discovery), answer);
    }

    /// How the JWKS endpoints (`/jwks`, `/.well-known/jwks.json`, `/keys`) answer from now on.
    pub fn set_jwks_answer(&self, answer: Answer) {
        self.shared.set_answer(Some(Endpoint::Jwks), answer);
    }

    /// `Cache-Control: max-age=<seconds>` from now on.
    pub fn set_max_age(&self, seconds: u64) {
        self.shared
            .set_cache_control(Some(format!("max-age={seconds}")));
    }

    /// This `Cache-Control` value from now on.
    pub fn set_cache_control(&self, value: &str) {
        self.shared.set_cache_control(Some(value.to_owned()));
    }

    /// No `Cache-Control` header from now on.
    pub fn remove_cache_control(&self) {
        self.shared.set_cache_control(None);
    }

    /// Whether normal answers carry `ETag` and `Last-Modified` and answer conditional requests
    /// with `304` from now on: see [`TestIssuerBuilder::validators`].
    pub fn set_validators(&self, on: bool) {
        self.shared.set_validators(on);
    }

    // ----- counters -----

    /// Discovery requests received, whatever the answer (a hanging one counts on arrival).
    pub fn discovery_requests(&self) -> u64 {
        self.shared.count(Counter::Discovery)
    }

    /// JWKS requests received, on any of the JWKS paths, whatever the answer.
    pub fn jwks_requests(&self) -> u64 {
        self.shared.count(Counter::Jwks)
    }

    /// Every request received, whatever its path, method or answer (unknown paths get 404).
    pub fn requests(&self) -> u64 {
        self.shared.count(Counter::Requests)
    }

    /// Requests that carried `If-None-Match` or `If-Modified-Since`, whatever their path or
    /// answer.
    pub fn conditional_requests(&self) -> u64 {
        self.shared.count(Counter::Conditional)
    }

    /// `304 Not Modified` answers sent.
    pub fn not_modified_responses(&self) -> u64 {
        self.shared.count(Counter::NotModified)
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.shared.reset_counts();
    }
}
