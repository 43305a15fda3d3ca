//! The issuer's HTTP side: routes, fault switches, validators and request counters.
//!
//! Handlers only read small pieces of state (the JWKS [`Document`], the answers, the
//! `Cache-Control` value) under short-lived locks; nothing is held across an `.await`.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{oneshot, watch};

use super::conditional;
use super::keys::KeyRing;
use super::{Answer, Provider, TestIssuerError};

/// The two endpoints whose answers can be switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Discovery,
    Jwks,
}

/// How each endpoint answers at the moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answers {
    pub(crate) discovery: Answer,
    pub(crate) jwks: Answer,
}

impl Answers {
    fn of(&self, endpoint: Endpoint) -> &Answer {
        match endpoint {
            Endpoint::Discovery => &self.discovery,
            Endpoint::Jwks => &self.jwks,
        }
    }
}

/// The documents served, each under the answers and counters of its [`Endpoint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Served {
    /// The discovery document under the issuer.
    Discovery,
    /// The common (multi-tenant) discovery document of an Entra ID preset.
    CommonDiscovery,
    Jwks,
}

impl Served {
    fn endpoint(self) -> Endpoint {
        match self {
            Served::Discovery | Served::CommonDiscovery => Endpoint::Discovery,
            Served::Jwks => Endpoint::Jwks,
        }
    }
}

/// A document as served on a normal answer, with its validators.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub(crate) body: Arc<str>,
    /// The strong entity tag, quotes included.
    etag: String,
    /// When the body last changed, in seconds since the Unix epoch.
    last_modified: i64,
}

impl Document {
    fn new(body: String) -> Document {
        Document {
            etag: conditional::etag(&body),
            body: Arc::from(body),
            last_modified: conditional::now(),
        }
    }

    /// The document with this body: `self` if the body is the same. `Last-Modified` moves
    /// forward by at least a second, so that `If-Modified-Since` tells every version apart.
    fn revised(&self, body: String) -> Document {
        if *self.body == *body {
            return self.clone();
        }
        let last_modified = conditional::now().max(self.last_modified + 1);
        Document {
            last_modified,
            ..Document::new(body)
        }
    }
}

/// State shared by the server, the [`TestIssuer`](super::TestIssuer) and its token builders.
pub(crate) struct Shared {
    /// The issuer string (`iss`, discovery `issuer`).
    pub(crate) issuer: String,
    /// The provider whose tokens and documents are imitated, if any.
    pub(crate) provider: Option<Provider>,
    /// The Entra ID tenant of the issuer (`tid`), for presets with an issuer template.
    pub(crate) tenant: Option<String>,
    /// The discovery document, fixed at start.
    discovery: Document,
    /// The common discovery document (Entra ID presets), fixed at start.
    common_discovery: Option<Document>,
    /// JWKS paths beyond the three every issuer serves.
    jwks_paths: &'static [&'static str],
    pub(crate) keys: Mutex<KeyRing>,
    publish_alg: RwLock<bool>,
    jwks: RwLock<Document>,
    cache_control: RwLock<Option<String>>,
    /// Whether normal answers carry `ETag` and `Last-Modified` and may be `304`.
    validators: AtomicBool,
    answers: watch::Sender<Answers>,
    discovery_requests: AtomicU64,
    jwks_requests: AtomicU64,
    requests: AtomicU64,
    conditional_requests: AtomicU64,
    not_modified: AtomicU64,
}

/// What [`Shared::new`] needs beyond the keys.
pub(crate) struct Config {
    pub(crate) issuer: String,
    pub(crate) provider: Option<Provider>,
    /// What the issuer serves: discovery documents, JWKS paths, tenant.
    pub(crate) layout: super::providers::Layout,
    pub(crate) cache_control: Option<String>,
    pub(crate) publish_alg: bool,
    pub(crate) validators: bool,
    pub(crate) answers: Answers,
}

impl Shared {
    pub(crate) fn new(config: Config, keys: KeyRing) -> Shared {
        let layout = config.layout;
        let jwks = RwLock::new(Document::new(keys.jwks(config.publish_alg)));
        Shared {
            issuer: config.issuer,
            provider: config.provider,
            tenant: layout.tenant,
            discovery: Document::new(layout.discovery.to_string()),
            common_discovery: layout
                .common_discovery
                .map(|document| Document::new(document.to_string())),
            jwks_paths: layout.jwks_paths,
            keys: Mutex::new(keys),
            publish_alg: RwLock::new(config.publish_alg),
            jwks,
            cache_control: RwLock::new(config.cache_control),
            validators: AtomicBool::new(config.validators),
            answers: watch::Sender::new(config.answers),
            discovery_requests: AtomicU64::new(0),
            jwks_requests: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            conditional_requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
        }
    }

    /// The key ring, locked.
    pub(crate) fn keys(&self) -> MutexGuard<'_, KeyRing> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the keys and republishes the JWKS.
    pub(crate) fn update_keys<T>(
        &self,
        change: impl FnOnce(&mut KeyRing) -> Result<T, TestIssuerError>,
    ) -> Result<T, TestIssuerError> {
        let mut keys = self.keys();
        let result = change(&mut keys)?;
        self.republish(&keys);
        Ok(result)
    }

    fn republish(&self, keys: &KeyRing) {
        let body = keys.jwks(self.publish_alg());
        let mut jwks = self.jwks.write().unwrap_or_else(PoisonError::into_inner);
        *jwks = jwks.revised(body);
    }

    pub(crate) fn publish_alg(&self) -> bool {
        *self
            .publish_alg
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_publish_alg(&self, with_alg: bool) {
        let keys = self.keys();
        *self
            .publish_alg
            .write()
            .unwrap_or_else(PoisonError::into_inner) = with_alg;
        self.republish(&keys);
    }

    /// The JWKS document as served when the JWKS endpoint answers normally.
    pub(crate) fn jwks(&self) -> Document {
        self.jwks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn set_validators(&self, on: bool) {
        self.validators.store(on, Ordering::SeqCst);
    }

    pub(crate) fn set_cache_control(&self, value: Option<String>) {
        *self
            .cache_control
            .write()
            .unwrap_or_else(PoisonError::into_inner) = value;
    }

    pub(crate) fn set_answer(&self, endpoint: Option<Endpoint>, answer: Answer) {
        self.answers.send_modify(|answers| match endpoint {
            Some(Endpoint::Discovery) => answers.discovery = answer,
            Some(Endpoint::Jwks) => answers.jwks = answer,
            None => {
                answers.discovery = answer.clone();
                answers.jwks = answer;
            }
        });
    }

    pub(crate) fn count(&self, counter: Counter) -> u64 {
        self.counter(counter).load(Ordering::SeqCst)
    }

    fn counter(&self, counter: Counter) -> &AtomicU64 {
        match counter {
            Counter::Discovery => &self.discovery_requests,
            Counter::Jwks => &self.jwks_requests,
            Counter::Requests => &self.requests,
            Counter::Conditional => &self.conditional_requests,
            Counter::NotModified => &self.not_modified,
        }
    }

    pub(crate) fn reset_counts(&self) {
        for counter in Counter::ALL {
            self.counter(counter).store(0, Ordering::SeqCst);
        }
    }

    /// Waits out `Hang` and `Delay`, then says how to answer.
    async fn settle(&self, endpoint: Endpoint) -> Settled {
        let mut answers = self.answers.subscribe();
        loop {
            let answer = answers.borrow_and_update().of(endpoint).clone();
            return match answer {
                Answer::Hang => {
                    // The sender lives as long as `self`: `changed` only fails if it is gone.
                    if answers.changed().await.is_err() {
                        return Settled::Status(503);
                    }
                    continue;
                }
                Answer::Delay(delay) => {
                    tokio::time::sleep(delay).await;
                    Settled::Normal
                }
                Answer::Normal => Settled::Normal,
                Answer::Status(code) => Settled::Status(code),
                Answer::Garbage => Settled::Garbage,
                Answer::Body(body) => Settled::Body(body),
                Answer::Redirect(location) => Settled::Redirect(location),
                Answer::Html(code) => Settled::Html(code),
            };
        }
    }

    async fn answer(&self, served: Served, request: &HeaderMap) -> Response {
        let endpoint = served.endpoint();
        let counter = match endpoint {
            Endpoint::Discovery => &self.discovery_requests,
            Endpoint::Jwks => &self.jwks_requests,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let body = match self.settle(endpoint).await {
            Settled::Normal => return self.normal(served, request),
            Settled::Garbage => "<html><body>this is not JSON {".to_owned(),
            Settled::Body(body) => body,
            Settled::Status(code) => return final_status(code).into_response(),
            Settled::Html(code) => return html(final_status(code)),
            Settled::Redirect(location) => return redirect(&location),
        };
        self.json(body)
    }

    /// The document, or `304 Not Modified` if the request's preconditions say it has it.
    fn normal(&self, served: Served, request: &HeaderMap) -> Response {
        let document = match served {
            Served::Discovery => self.discovery.clone(),
            Served::CommonDiscovery => match &self.common_discovery {
                Some(document) => document.clone(),
                None => return StatusCode::NOT_FOUND.into_response(),
            },
            Served::Jwks => self.jwks(),
        };
        if !self.validators.load(Ordering::SeqCst) {
            return self.json(document.body.to_string());
        }
        let etag = HeaderValue::from_str(&document.etag).ok();
        if conditional::not_modified(request, &document.etag, document.last_modified) {
            self.not_modified.fetch_add(1, Ordering::SeqCst);
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            let headers = response.headers_mut();
            insert(headers, header::ETAG, etag);
            insert(headers, header::CACHE_CONTROL, self.cache_control());
            return response;
        }
        let last_modified = conditional::format_http_date(document.last_modified);
        let mut response = self.json(document.body.to_string());
        let headers = response.headers_mut();
        insert(headers, header::ETAG, etag);
        insert(
            headers,
            header::LAST_MODIFIED,
            HeaderValue::from_str(&last_modified).ok(),
        );
        response
    }

    /// `200 OK`, `Content-Type: application/json`, the configured `Cache-Control`, and `body`.
    fn json(&self, body: String) -> Response {
        let mut response = (StatusCode::OK, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        insert(headers, header::CACHE_CONTROL, self.cache_control());
        response
    }

    fn cache_control(&self) -> Option<HeaderValue> {
        self.cache_control
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .and_then(|value| HeaderValue::from_str(value).ok())
    }
}

/// The counters a [`TestIssuer`](super::TestIssuer) reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Discovery,
    Jwks,
    Requests,
    Conditional,
    NotModified,
}

impl Counter {
    const ALL: [Counter; 5] = [
        Counter::Discovery,
        Counter::Jwks,
        Counter::Requests,
        Counter::Conditional,
        Counter::NotModified,
    ];
}

fn insert(headers: &mut HeaderMap, name: HeaderName, value: Option<HeaderValue>) {
    if let Some(value) = value {
        headers.insert(name, value);
    }
}

/// `code` as a final status; anything else (below 200 or above 999) as 500.
fn final_status(code: u16) -> StatusCode {
    StatusCode::from_u16(code)
        .ok()
        .filter(|status| !status.is_informational())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An error page, as a web server or a proxy in front of the provider answers.
fn html(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
         <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n\
         </body>\r\n</html>\r\n"
    );
    let mut response = (status, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// `302 Found` to `location`; a location that is not a valid header value gets 500.
fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn discovery(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.answer(Served::Discovery, &headers).await
}

async fn common_discovery(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.answer(Served::CommonDiscovery, &headers).await
}

async fn jwks(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    shared.answer(Served::Jwks, &headers).await
}

/// Counts every request, whatever its path, method or answer, and those that are conditional.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let headers = request.headers();
    if headers.contains_key(header::IF_NONE_MATCH)
        || headers.contains_key(header::IF_MODIFIED_SINCE)
    {
        shared.conditional_requests.fetch_add(1, Ordering::SeqCst);
    }
    next.run(request).await
}

/// The JWKS paths every issuer serves.
const JWKS_PATHS: [&str; 3] = ["/jwks", "/.well-known/jwks.json", "/keys"];

fn router(shared: Arc<Shared>) -> Router {
    let mut router = Router::new().route("/.well-known/openid-configuration", get(discovery));
    if shared.common_discovery.is_some() {
        router = router.route(
            "/common/.well-known/openid-configuration",
            get(common_discovery),
        );
    }
    let extra = shared
        .jwks_paths
        .iter()
        .filter(|path| !JWKS_PATHS.contains(path));
    for path in JWKS_PATHS.iter().chain(extra) {
        router = router.route(path, get(jwks));
    }
    router
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), count))
        .with_state(shared)
}

/// A server on its own thread and its own current-thread runtime; stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// A listener on `127.0.0.1`, on a free port.
    pub(crate) fn bind() -> std::io::Result<std::net::TcpListener> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        Ok(listener)
    }

    /// Starts serving on `listener` (from [`Server::bind`]).
    pub(crate) fn start(
        listener: std::net::TcpListener,
        shared: Arc<Shared>,
    ) -> std::io::Result<Server> {
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _context = runtime.enter();
            tokio::net::TcpListener::from_std(listener)?
        };
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("test-issuer-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let serve = axum::serve(listener, router(shared)).into_future();
                    // Either the server fails (it does not, short of the runtime going away)
                    // or the issuer is dropped.
                    let _ = futures_util::future::select(Box::pin(serve), stopped).await;
                });
                // Dropping the runtime here cancels every open connection, hung ones included.
            })?;
        Ok(Server {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An [`Answer`] once `Hang` and `Delay` are waited out: what is actually sent.
enum Settled {
    Normal,
    Status(u16),
    Garbage,
    Body(String),
    Redirect(String),
    Html(u16),
}
