//! Helpers shared by the end-to-end tests: serve an axum app on 127.0.0.1 and call it.
#![allow(dead_code, unreachable_pub)]

pub mod python;
pub mod redis;

use std::net::SocketAddr;
use std::sync::LazyLock;

use axum::Router;
use serde_json::Value;

/// How long any one request (or server start) of a test may take.
pub const LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// `future`, or a panic naming `what` once [`LIMIT`] has passed.
#[track_caller]
pub fn bounded<T>(what: &str, future: impl Future<Output = T>) -> impl Future<Output = T> {
    let caller = std::panic::Location::caller();
    let what = what.to_owned();
    async move {
        tokio::time::timeout(LIMIT, future)
            .await
            .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?} ({caller})"))
    }
}

/// Serves `app` on a free port of 127.0.0.1 on the current runtime; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// Serves a router with `handler` at `/`; returns that route's URL.
pub async fn serve_handler<H, T>(handler: H) -> String
where
    H: axum::handler::Handler<T, ()>,
    T: 'static,
{
    let base = serve(Router::new().route("/", axum::routing::get(handler))).await;
    format!("{base}/")
}

/// The status of GET `url` with `Authorization: Bearer <token>`.
pub async fn status_of(url: &str, token: &str) -> u16 {
    get_with_token(url, token).await.status
}

/// What a test looks at in a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The first `WWW-Authenticate` field.
    pub www_authenticate: Option<String>,
    /// Every `WWW-Authenticate` field, in order.
    pub challenges: Vec<String>,
    /// The `DPoP-Nonce` header.
    pub dpop_nonce: Option<String>,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub text: String,
}

impl Reply {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// The `error` member of the JSON body.
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }

    /// The `error_description` member of the JSON body.
    pub fn description(&self) -> String {
        self.json()["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// One client for the whole binary. Tests run on many runtimes, so it keeps no idle
/// connections: a pooled connection would belong to the runtime of the test that opened it.
fn client() -> &'static reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("HTTP client")
    });
    &CLIENT
}

/// GET `url` with `Authorization: Bearer <token>`.
pub async fn get_with_token(url: &str, token: &str) -> Reply {
    get(url, &[("authorization", &format!("Bearer {token}"))]).await
}

/// GET `url` with the given headers (repeated names are sent as repeated headers).
pub async fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    send(client().get(url), headers).await
}

/// POST `body` as JSON to `url` with the given headers.
pub async fn post_json(url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let request = client()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    send(request, headers).await
}

async fn send(mut request: reqwest::RequestBuilder, headers: &[(&str, &str)]) -> Reply {
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("request to the test app");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    };
    let (status, www_authenticate, retry_after, content_type) = (
        response.status().as_u16(),
        header("www-authenticate"),
        header("retry-after"),
        header("content-type"),
    );
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().expect("ASCII header").to_owned())
        .collect();
    let dpop_nonce = header("dpop-nonce");
    let text = response.text().await.expect("response body");
    Reply {
        status,
        www_authenticate,
        challenges,
        dpop_nonce,
        retry_after,
        content_type,
        text,
    }
}

/// Installs a `tracing` subscriber once per test binary (`RUST_LOG` selects events).
pub fn trace() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// GET `url` with raw header values: bytes a `&str` cannot carry (obs-text, non-ASCII).
pub async fn get_bytes(url: &str, headers: &[(&str, &[u8])]) -> Reply {
    let mut request = client().get(url);
    for (name, value) in headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).expect("a header value");
        request = request.header(*name, value);
    }
    send(request, &[]).await
}

/// What the RFC 6750 answers must look like; `case` names the request in a failure.
impl Reply {
    /// 401, `error: "invalid_token"`, `WWW-Authenticate: Bearer error="invalid_token", …`, and
    /// a description.
    #[track_caller]
    pub fn assert_invalid_token(&self, case: &str) {
        self.assert_challenge(case, 401, "invalid_token");
    }

    /// 400, `error: "invalid_request"`, `WWW-Authenticate: Bearer error="invalid_request", …`,
    /// and a description.
    #[track_caller]
    pub fn assert_invalid_request(&self, case: &str) {
        self.assert_challenge(case, 400, "invalid_request");
    }

    /// 401, `error: "unauthorized"` and exactly `WWW-Authenticate: Bearer` (RFC 6750 §3.1).
    #[track_caller]
    pub fn assert_missing_credentials(&self, case: &str) {
        assert_eq!(
            (
                self.status,
                self.error().as_str(),
                self.www_authenticate.as_deref()
            ),
            (401, "unauthorized", Some("Bearer")),
            "{case}: {self:?}"
        );
    }

    /// 200.
    #[track_caller]
    pub fn assert_ok(&self, case: &str) {
        assert_eq!(self.status, 200, "{case}: {self:?}");
    }

    #[track_caller]
    fn assert_challenge(&self, case: &str, status: u16, error: &str) {
        assert_eq!(
            (self.status, self.error().as_str()),
            (status, error),
            "{case}: {self:?}"
        );
        let prefix = format!(r#"Bearer error="{error}", "#);
        assert!(
            self.www_authenticate
                .as_deref()
                .is_some_and(|challenge| challenge.starts_with(&prefix)),
            "{case}: challenge {:?} does not start with {prefix:?}",
            self.www_authenticate
        );
        assert!(
            !self.description().is_empty(),
            "{case}: no error_description"
        );
    }
}

/// Polls `condition` every 50 ms for at most `limit`; whether it came true.
pub async fn eventually(
    limit: std::time::Duration,
    mut condition: impl AsyncFnMut() -> bool,
) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if condition().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// GET `url` with `Authorization: Bearer <token>` through `client`: for a test that makes many
/// requests on its own runtime and wants their connections reused.
pub async fn get_with_token_on(client: &reqwest::Client, url: &str, token: &str) -> Reply {
    send(
        client.get(url),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}
