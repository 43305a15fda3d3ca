//! The issuer's HTTP side: routes, fault switches and request counters.
//!
//! Handlers only read small pieces of state (the JWKS body as an `Arc<str>`, the answers, the
//! `Cache-Control` value) under short-lived locks; nothing is held across an `.await`.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::thread::JoinHandle;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::{oneshot, watch};

use super::keys::KeyRing;
use super::{Answer, TestIssuerError};

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

/// State shared by the server, the [`TestIssuer`](super::TestIssuer) and its token builders.
pub(crate) struct Shared {
    /// The issuer string (`iss`, discovery `issuer`).
    pub(crate) issuer: String,
    /// The discovery document, fixed at start.
    discovery_body: String,
    pub(crate) keys: Mutex<KeyRing>,
    publish_alg: RwLock<bool>,
    jwks_body: RwLock<Arc<str>>,
    cache_control: RwLock<Option<String>>,
    answers: watch::Sender<Answers>,
    discovery_requests: AtomicU64,
    jwks_requests: AtomicU64,
    requests: AtomicU64,
}

/// What [`Shared::new`] needs beyond the keys.
pub(crate) struct Config {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: String,
    pub(crate) cache_control: Option<String>,
    pub(crate) publish_alg: bool,
    pub(crate) answers: Answers,
}

impl Shared {
    pub(crate) fn new(config: Config, keys: KeyRing) -> Shared {
        let base = super::rewrite::with_one_slash(&config.issuer);
        let discovery_body = serde_json::json!({
            "issuer": config.issuer,
            "jwks_uri": config.jwks_uri,
            "authorization_endpoint": format!("{base}authorize"),
            "token_endpoint": format!("{base}token"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "ES256", "ES384", "EdDSA"],
        })
        .to_string();
        let jwks_body = RwLock::new(Arc::from(keys.jwks(config.publish_alg)));
        Shared {
            issuer: config.issuer,
            discovery_body,
            keys: Mutex::new(keys),
            publish_alg: RwLock::new(config.publish_alg),
            jwks_body,
            cache_control: RwLock::new(config.cache_control),
            answers: watch::Sender::new(config.answers),
            discovery_requests: AtomicU64::new(0),
            jwks_requests: AtomicU64::new(0),
            requests: AtomicU64::new(0),
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
        let body = Arc::from(keys.jwks(self.publish_alg()));
        *self
            .jwks_body
            .write()
            .unwrap_or_else(PoisonError::into_inner) = body;
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
    pub(crate) fn jwks_body(&self) -> Arc<str> {
        Arc::clone(
            &self
                .jwks_body
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        )
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

    pub(crate) fn count(&self, endpoint: Option<Endpoint>) -> u64 {
        let counter = match endpoint {
            Some(Endpoint::Discovery) => &self.discovery_requests,
            Some(Endpoint::Jwks) => &self.jwks_requests,
            None => &self.requests,
        };
        counter.load(Ordering::SeqCst)
    }

    pub(crate) fn reset_counts(&self) {
        self.discovery_requests.store(0, Ordering::SeqCst);
        self.jwks_requests.store(0, Ordering::SeqCst);
        self.requests.store(0, Ordering::SeqCst);
    }

    /// Waits out `Hang` and `Delay`, then says how to answer.
    async fn settle(&self, endpoint: Endpoint) -> Answer {
        let mut answers = self.answers.subscribe();
        loop {
            let answer = answers.borrow_and_update().of(endpoint).clone();
            match answer {
                Answer::Hang => {
                    // The sender lives as long as `self`: `changed` only fails if it is gone.
                    if answers.changed().await.is_err() {
                        return Answer::Status(503);
                    }
                }
                Answer::Delay(delay) => {
                    tokio::time::sleep(delay).await;
                    return Answer::Normal;
                }
                answer => return answer,
            }
        }
    }

    async fn answer(&self, endpoint: Endpoint) -> Response {
        let counter = match endpoint {
            Endpoint::Discovery => &self.discovery_requests,
            Endpoint::Jwks => &self.jwks_requests,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        let body = match self.settle(endpoint).await {
            Answer::Normal | Answer::Delay(_) | Answer::Hang => match endpoint {
                Endpoint::Discovery => self.discovery_body.clone(),
                Endpoint::Jwks => self.jwks_body().to_string(),
            },
            Answer::Garbage => "<html><body>this is not JSON {".to_owned(),
            Answer::Body(body) => body,
            Answer::Status(code) => {
                let status = StatusCode::from_u16(code)
                    .ok()
                    .filter(|status| !status.is_informational())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return status.into_response();
            }
        };
        let mut response = (StatusCode::OK, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let cache_control = self
            .cache_control
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_deref()
            .and_then(|value| HeaderValue::from_str(value).ok());
        if let Some(value) = cache_control {
            headers.insert(header::CACHE_CONTROL, value);
        }
        response
    }
}

async fn discovery(State(shared): State<Arc<Shared>>) -> Response {
    shared.answer(Endpoint::Discovery).await
}

async fn jwks(State(shared): State<Arc<Shared>>) -> Response {
    shared.answer(Endpoint::Jwks).await
}

/// Counts every request, whatever its path, method or answer.
async fn count(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    shared.requests.fetch_add(1, Ordering::SeqCst);
    next.run(request).await
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/keys", get(jwks))
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
