//! Servers on 127.0.0.1 for the redirect tests: `https` with a certificate made when the test
//! binary starts (for the IP address 127.0.0.1), plain `http` for the hops between them, and a
//! `reqwest` client that trusts that certificate alone; the settings and the protected route
//! both redirect tests use. Included with `#[path = "common/tls.rs"] mod tls;` (beside
//! `mod common;`) by the binaries that need it.
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What a server answers every request with.
#[derive(Debug, Clone)]
pub enum Answer {
    /// `302 Found` to this location.
    Redirect(String),
    /// `200 OK`, `application/json`, this body.
    Json(String),
    /// `200 OK`, `application/json`, this body and `ETag: "v1"`; `304 Not Modified` to a
    /// request with `If-None-Match: "v1"`.
    Tagged(String),
}

/// A running server: its base URL (no trailing `/`) and what it saw.
pub struct Server {
    pub url: String,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    hits: AtomicU64,
    conditional: AtomicU64,
}

impl Server {
    /// How many requests it has answered.
    pub fn hits(&self) -> u64 {
        self.counts.hits.load(Ordering::SeqCst)
    }

    /// How many of them carried `If-None-Match` or `If-Modified-Since`.
    pub fn conditional_hits(&self) -> u64 {
        self.counts.conditional.load(Ordering::SeqCst)
    }
}

/// The certificate of this test binary's `https` servers, and their TLS configuration.
struct Identity {
    certificate: CertificateDer<'static>,
    acceptor: TlsAcceptor,
}

static IDENTITY: LazyLock<Identity> = LazyLock::new(|| {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("a self-signed certificate for 127.0.0.1");
    let certificate = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certificate.clone()], key)
        .expect("a server certificate");
    Identity {
        certificate,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    }
});

/// A client for `Settings::http_client` that trusts only this binary's certificate, with
/// `policy` for redirects.
pub fn client(policy: reqwest::redirect::Policy) -> reqwest::Client {
    let certificate = reqwest::Certificate::from_der(&IDENTITY.certificate).expect("DER");
    reqwest::Client::builder()
        .tls_certs_only([certificate])
        .redirect(policy)
        .build()
        .expect("HTTP client")
}

/// An `https` server on 127.0.0.1 answering every request with `answer`.
pub async fn https(answer: Answer) -> Server {
    serve(answer, true).await
}

/// A plain `http` server on 127.0.0.1 answering every request with `answer`.
pub async fn http(answer: Answer) -> Server {
    serve(answer, false).await
}

async fn serve(answer: Answer, tls: bool) -> Server {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let counts = Arc::new(Counts::default());
    let counted = Arc::clone(&counts);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (answer, counted) = (answer.clone(), Arc::clone(&counted));
            tokio::spawn(async move {
                if tls {
                    if let Ok(stream) = IDENTITY.acceptor.accept(stream).await {
                        respond(stream, &answer, &counted).await;
                    }
                } else {
                    respond(stream, &answer, &counted).await;
                }
            });
        }
    });
    let scheme = if tls { "https" } else { "http" };
    Server {
        url: format!("{scheme}://{addr}"),
        counts,
    }
}

/// Reads one request head and answers it, then closes the connection.
async fn respond<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    answer: &Answer,
    counts: &Counts,
) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    counts.hits.fetch_add(1, Ordering::SeqCst);
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    if head.contains("\r\nif-none-match:") || head.contains("\r\nif-modified-since:") {
        counts.conditional.fetch_add(1, Ordering::SeqCst);
    }
    let response = match answer {
        Answer::Redirect(location) => format!(
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n"
        ),
        Answer::Json(body) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        ),
        Answer::Tagged(_) if head.contains("\r\nif-none-match: \"v1\"") => {
            "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n".to_owned()
        }
        Answer::Tagged(body) => format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nETag: \"v1\"\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    };
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Installs this binary's settings once: a client trusting the test certificate with the
/// redirect `policy` given, and short backoffs.
pub fn setup(policy: fn() -> reqwest::redirect::Policy) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::common::trace();
        jwks_guard::configure(
            jwks_guard::Settings::new()
                .http_client(client(policy()))
                .retry_backoff(
                    std::time::Duration::from_millis(100),
                    std::time::Duration::from_millis(200),
                )
                .jitter(0.0),
        )
        .expect("first configuration of this test binary");
    });
}

/// A route protected by a policy for `issuer` whose keys are at `jwks_uri`; returns its URL.
pub async fn protected(issuer: &str, jwks_uri: &str) -> String {
    async fn me(
        jwks_guard::Authenticated(claims): jwks_guard::Authenticated<jwks_guard::Claims>,
    ) -> String {
        claims.sub.unwrap_or_default()
    }
    let policy = jwks_guard::Policy::builder()
        .issuer(issuer)
        .audience("api")
        .jwks_uri(jwks_uri)
        .build()
        .expect("a valid policy");
    let app = axum::Router::new()
        .route("/", axum::routing::get(me))
        .with_state(policy);
    format!("{}/", crate::common::serve(app).await)
}
