//! The load benchmark's one binary: the server of every variant, and the token feeder of the
//! memory test. `bench/load/run` drives it (see BENCHMARKS.md); by hand:
//!
//! ```text
//! load-bench serve <variant> [--addr-file PATH] [--issuer-url URL]   # one variant, one Tokio worker
//! load-bench issuer [--addr-file PATH]             # only the issuer and its control routes
//! load-bench feed <control-url> <bench-url> <tokens> <server-pid> [--concurrency N] [--batch N]
//!                 [--repeat N] [--large]
//! load-bench variants                              # the variant names
//! ```
//!
//! `serve` starts a `TestIssuer` in the process (RSA, EC and Ed25519 keys, impersonating
//! `https://bench.test/`), then serves the variant's `GET /data` on one listener and the
//! harness's control routes on another (so that the measured router holds only `/data`):
//!
//! - `GET /token?alg=RS256`: a valid token (`aud` = `api`, `scope` = `read`, six hours long);
//! - `GET /mint?n=1000&start=0&alg=EdDSA&large=1`: `n` distinct valid tokens (`jti` =
//!   `start + i`), one a line, signed on every core, for the memory and cache-miss tests
//!   (`large=1`: with 11 KiB of nested arrays, about 230 KB once decoded);
//! - `GET /stats`: the issuer's request counters and jwks-guard's verified-token cache,
//!   `{"jwks": n, "discovery": n, "token_cache": {"capacity", "max_bytes", "entries",
//!   "bytes", "hits", "misses"}}` (`token_cache` is `null` when the cache is off or the
//!   variant is not jwks-guard);
//! - `POST /rotate`: a key rotation (new keys signed with from now on, old keys still
//!   published).
//!
//! With `--issuer-url`, `serve` starts no issuer: it trusts the one `load-bench issuer` serves
//! at that URL (jwks-guard through `fetch_from`, the other variants through its JWKS URL), and
//! its control listener serves only `GET /stats`. The cache-miss test mints its tokens once
//! from that shared issuer and restarts each variant's server for every round, so that no
//! token is ever seen twice by one server.
//!
//! The variant's listener and handler run on one `current_thread` Tokio runtime: one worker.
//! jwks-guard fetches keys on its own runtime (idle between fetches). The issuer (the provider,
//! thread `test-issuer-*`) and the control routes (thread `bench-control`) have threads of their
//! own, which `bench/load/run` moves to the load generator's core.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt as _;
use jwks_guard::protected;
use jwks_guard_test::{Alg, TestIssuer};
use serde::{Deserialize, Serialize};

/// The issuer every variant trusts (impersonated by the in-process `TestIssuer`).
const ISSUER: &str = "https://bench.test/";
/// The audience every variant requires.
const AUDIENCE: &str = "api";
/// The scope every variant requires.
const SCOPE: &str = "read";
/// How long minted tokens stay valid: longer than any run.
const TOKEN_LIFETIME: Duration = Duration::from_secs(6 * 60 * 60);
/// The verified-token cache capacity of `guard-cache-on` (the library's default).
const CACHE_CAPACITY: u64 = 10_000;
/// Arrays of four numbers in a large token: 11 KiB of JSON, about 230 KB once decoded, the
/// token just under jwks-guard's 16 KiB limit.
const LARGE_ARRAYS: usize = 1_100;
/// The hand-written extractor refetches the JWKS for an unknown `kid` at most this often.
const HAND_WRITTEN_COOLDOWN: Duration = Duration::from_secs(30);

// ----- the route, the same for every variant -----

/// The small JSON body of `GET /data`.
#[derive(Serialize)]
struct Reply {
    status: &'static str,
    items: [u32; 3],
}

fn reply() -> Reply {
    Reply {
        status: "ok",
        items: [1, 2, 3],
    }
}

async fn no_auth() -> Json<Reply> {
    Json(reply())
}

async fn no_auth_axum07() -> axum07::Json<Reply> {
    axum07::Json(reply())
}

#[protected(issuer = "https://bench.test/", audience = "api", scopes = ["read"])]
async fn guarded() -> Json<Reply> {
    Json(reply())
}

/// The claims the peers and the hand-written extractor deserialize: the scope to check (their
/// libraries check `iss`, `aud`, `exp` and `nbf` themselves).
#[derive(Clone, Deserialize)]
struct ScopeClaims {
    #[serde(default)]
    scope: String,
}

impl ScopeClaims {
    fn grants(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|granted| granted == scope)
    }
}

// ----- the variants -----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    NoAuth,
    NoAuthAxum07,
    GuardCacheOff,
    GuardCacheOn,
    HandWritten,
    JwtAuthorizer,
    AxumJwtAuth,
}

impl Variant {
    const ALL: [Variant; 7] = [
        Variant::NoAuth,
        Variant::NoAuthAxum07,
        Variant::GuardCacheOff,
        Variant::GuardCacheOn,
        Variant::HandWritten,
        Variant::JwtAuthorizer,
        Variant::AxumJwtAuth,
    ];

    fn name(self) -> &'static str {
        match self {
            Variant::NoAuth => "no-auth",
            Variant::NoAuthAxum07 => "no-auth-axum07",
            Variant::GuardCacheOff => "guard-cache-off",
            Variant::GuardCacheOn => "guard-cache-on",
            Variant::HandWritten => "hand-written",
            Variant::JwtAuthorizer => "jwt-authorizer",
            Variant::AxumJwtAuth => "axum-jwt-auth",
        }
    }

    fn parse(name: &str) -> Result<Variant, String> {
        Variant::ALL
            .into_iter()
            .find(|variant| variant.name() == name)
            .ok_or_else(|| format!("unknown variant {name:?}; try `load-bench variants`"))
    }
}

/// The one place that sets the verified-token cache of the two jwks-guard variants
/// (`Settings::token_cache_capacity`: 0 turns it off); `None` for the other variants, which
/// leave jwks-guard's settings alone.
fn guard_settings(variant: Variant) -> Option<jwks_guard::Settings> {
    let capacity = match variant {
        Variant::GuardCacheOff => 0,
        Variant::GuardCacheOn => CACHE_CAPACITY,
        _ => return None,
    };
    Some(jwks_guard::Settings::new().token_cache_capacity(capacity))
}

/// A variant's router: axum 0.8, or axum 0.7 for jwt-authorizer.
enum App {
    Axum08(axum::Router),
    Axum07(axum07::Router),
}

async fn app(variant: Variant, jwks_url: &str) -> Result<App, String> {
    Ok(match variant {
        Variant::NoAuth => App::Axum08(axum::Router::new().route("/data", get(no_auth))),
        Variant::NoAuthAxum07 => {
            App::Axum07(axum07::Router::new().route("/data", axum07::routing::get(no_auth_axum07)))
        }
        Variant::GuardCacheOff | Variant::GuardCacheOn => {
            App::Axum08(axum::Router::new().route("/data", get(guarded)))
        }
        Variant::HandWritten => {
            let state = HandWritten::start(jwks_url.to_owned()).await?;
            App::Axum08(
                axum::Router::new()
                    .route("/data", get(hand_written))
                    .with_state(Arc::new(state)),
            )
        }
        Variant::JwtAuthorizer => App::Axum07(jwt_authorizer_app(jwks_url).await?),
        Variant::AxumJwtAuth => App::Axum08(axum_jwt_auth_app(jwks_url).await?),
    })
}

// ----- hand-written: jsonwebtoken, keys parsed once per fetch -----

/// A careful hand-written extractor: `DecodingKey`s and `Validation`s built once per fetch and
/// looked up by `kid`; an unknown `kid` refetches the JWKS, at most once per
/// [`HAND_WRITTEN_COOLDOWN`].
struct HandWritten {
    jwks_url: String,
    client: reqwest::Client,
    keys: RwLock<HashMap<String, (jsonwebtoken::DecodingKey, jsonwebtoken::Validation)>>,
    /// When an unknown `kid` last refetched the keys (held while refetching).
    last_refetch: tokio::sync::Mutex<Option<Instant>>,
}

impl HandWritten {
    async fn start(jwks_url: String) -> Result<HandWritten, String> {
        let state = HandWritten {
            jwks_url,
            client: reqwest::Client::new(),
            keys: RwLock::new(HashMap::new()),
            last_refetch: tokio::sync::Mutex::new(None),
        };
        state.fetch().await?;
        Ok(state)
    }

    async fn fetch(&self) -> Result<(), String> {
        let body = self
            .client
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(|response| response.error_for_status())
            .map_err(|error| format!("hand-written: JWKS fetch: {error}"))?
            .bytes()
            .await
            .map_err(|error| format!("hand-written: JWKS fetch: {error}"))?;
        let set: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&body)
            .map_err(|error| format!("hand-written: JWKS parse: {error}"))?;
        let keys = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                let alg = jwk.common.key_algorithm?.to_string().parse().ok()?;
                let key = jsonwebtoken::DecodingKey::from_jwk(jwk).ok()?;
                let mut validation = jsonwebtoken::Validation::new(alg);
                validation.set_issuer(&[ISSUER]);
                validation.set_audience(&[AUDIENCE]);
                validation.leeway = 60;
                validation.validate_nbf = true;
                Some((kid, (key, validation)))
            })
            .collect();
        match self.keys.write() {
            Ok(mut held) => *held = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        Ok(())
    }

    /// `None` when `kid` is not held.
    fn verify(&self, kid: &str, token: &str) -> Option<StatusCode> {
        let keys = match self.keys.read() {
            Ok(keys) => keys,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (key, validation) = keys.get(kid)?;
        Some(
            match jsonwebtoken::decode::<ScopeClaims>(token, key, validation) {
                Ok(data) if data.claims.grants(SCOPE) => StatusCode::OK,
                Ok(_) => StatusCode::FORBIDDEN,
                Err(_) => StatusCode::UNAUTHORIZED,
            },
        )
    }

    /// Refetches for an unknown `kid` unless one did within the cooldown; whether it did.
    async fn refetch(&self) -> bool {
        let mut last = self.last_refetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < HAND_WRITTEN_COOLDOWN) {
            return false;
        }
        *last = Some(Instant::now());
        self.fetch().await.is_ok()
    }
}

async fn hand_written(State(state): State<Arc<HandWritten>>, headers: HeaderMap) -> Response {
    let Some(token) = bearer(&headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let Some(kid) = jsonwebtoken::decode_header(token)
        .ok()
        .and_then(|header| header.kid)
    else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let status = match state.verify(&kid, token) {
        Some(status) => status,
        None if state.refetch().await => state
            .verify(&kid, token)
            .unwrap_or(StatusCode::UNAUTHORIZED),
        None => StatusCode::UNAUTHORIZED,
    };
    if status == StatusCode::OK {
        Json(reply()).into_response()
    } else {
        status.into_response()
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

// ----- peers -----

/// jwt-authorizer 0.15 as its documentation sets it up: `from_jwks_url`, its default refresh
/// (an unknown `kid` refetches once the keys are 10 minutes old), `iss`/`aud`/`exp`/`nbf` with
/// 60 s leeway, and a claims check for the scope (403 otherwise), as an axum 0.7 layer.
async fn jwt_authorizer_app(jwks_url: &str) -> Result<axum07::Router, String> {
    use jwt_authorizer::IntoLayer as _;
    let authorizer: jwt_authorizer::Authorizer<ScopeClaims> =
        jwt_authorizer::JwtAuthorizer::from_jwks_url(jwks_url)
            .validation(
                jwt_authorizer::Validation::new()
                    .iss(&[ISSUER])
                    .aud(&[AUDIENCE])
                    .nbf(true)
                    .leeway(60),
            )
            .check(|claims: &ScopeClaims| claims.grants(SCOPE))
            .build()
            .await
            .map_err(|error| format!("jwt-authorizer: {error}"))?;
    Ok(axum07::Router::new()
        .route("/data", axum07::routing::get(jwt_authorizer_route))
        .layer(authorizer.into_layer()))
}

async fn jwt_authorizer_route(
    jwt_authorizer::JwtClaims(_claims): jwt_authorizer::JwtClaims<ScopeClaims>,
) -> axum07::Json<Reply> {
    axum07::Json(reply())
}

/// axum-jwt-auth 0.7 as its documentation sets it up: a `RemoteJwksDecoder` on the JWKS URL
/// with its defaults (keys fetched at start and refreshed every hour; an unknown `kid` is
/// rejected without a fetch), a `Validation` for RS256 with `iss`/`aud`/`exp`/`nbf` and 60 s
/// leeway, the `Claims` extractor, and the scope checked in the handler.
async fn axum_jwt_auth_app(jwks_url: &str) -> Result<axum::Router, String> {
    let mut validation = jsonwebtoken10::Validation::new(jsonwebtoken10::Algorithm::RS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.leeway = 60;
    validation.validate_nbf = true;
    let decoder = axum_jwt_auth::RemoteJwksDecoder::builder()
        .jwks_url(jwks_url.to_owned())
        .validation(validation)
        .build()
        .map_err(|error| format!("axum-jwt-auth: {error}"))?;
    // The refresh task runs until the process ends: its cancellation token is not needed.
    let _refresh = decoder
        .initialize()
        .await
        .map_err(|error| format!("axum-jwt-auth: {error}"))?;
    let decoder: axum_jwt_auth::Decoder<ScopeClaims> = Arc::new(decoder);
    Ok(axum::Router::new()
        .route("/data", get(axum_jwt_auth_route))
        .with_state(decoder))
}

async fn axum_jwt_auth_route(
    claims: axum_jwt_auth::Claims<ScopeClaims>,
) -> Result<Json<Reply>, StatusCode> {
    if claims.claims.grants(SCOPE) {
        Ok(Json(reply()))
    } else {
        Err(StatusCode::FORBIDDEN)
    }
}

// ----- control routes -----

#[derive(Deserialize)]
struct Mint {
    #[serde(default = "one")]
    n: u64,
    #[serde(default)]
    start: u64,
    #[serde(default)]
    alg: Option<String>,
    /// Another audience, for the harness's check that every variant rejects it.
    #[serde(default)]
    aud: Option<String>,
    /// Another scope claim (`scope=` for none).
    #[serde(default)]
    scope: Option<String>,
    /// Another issuer.
    #[serde(default)]
    iss: Option<String>,
    /// With [`LARGE_ARRAYS`] arrays of nested numbers (`large=1`).
    #[serde(default)]
    large: u8,
}

fn one() -> u64 {
    1
}

fn alg(name: Option<&str>) -> Result<Alg, (StatusCode, String)> {
    match name.unwrap_or("RS256") {
        "RS256" => Ok(Alg::RS256),
        "ES256" => Ok(Alg::ES256),
        "EdDSA" => Ok(Alg::EdDSA),
        other => Err((StatusCode::BAD_REQUEST, format!("alg {other}?"))),
    }
}

fn mint(issuer: &TestIssuer, alg: Alg, jti: Option<u64>, large: bool) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut builder = issuer
        .token()
        .audience(AUDIENCE)
        .scopes([SCOPE])
        .claim("exp", now + TOKEN_LIFETIME.as_secs())
        .alg(alg);
    if large {
        builder = builder.claim(
            "blob",
            serde_json::Value::Array(vec![serde_json::json!([1, 2, 3, 4]); LARGE_ARRAYS]),
        );
    }
    match jti {
        Some(jti) => builder.claim("jti", jti.to_string()).sign(),
        None => builder.sign(),
    }
}

async fn control_token(
    State(issuer): State<Arc<TestIssuer>>,
    Query(query): Query<Mint>,
) -> Result<String, (StatusCode, String)> {
    let alg = alg(query.alg.as_deref())?;
    if query.aud.is_none() && query.scope.is_none() && query.iss.is_none() {
        return Ok(mint(&issuer, alg, None, false));
    }
    let mut builder = issuer
        .token()
        .audience(query.aud.as_deref().unwrap_or(AUDIENCE))
        .scope(query.scope.as_deref().unwrap_or(SCOPE))
        .alg(alg);
    if let Some(iss) = query.iss {
        builder = builder.issuer(iss);
    }
    Ok(builder.sign())
}

async fn control_mint(
    State(issuer): State<Arc<TestIssuer>>,
    Query(query): Query<Mint>,
) -> Result<String, (StatusCode, String)> {
    let alg = alg(query.alg.as_deref())?;
    let n = query.n.min(100_000);
    let (start, large) = (query.start, query.large != 0);
    // Signed on every core (RSA signatures take about a millisecond each).
    let threads = std::thread::available_parallelism().map_or(1, usize::from) as u64;
    let signed = tokio::task::spawn_blocking(move || {
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    let issuer = &issuer;
                    scope.spawn(move || {
                        (start + worker..start.saturating_add(n))
                            .step_by(threads as usize)
                            .map(|jti| (jti, mint(issuer, alg, Some(jti), large)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(u64, String)> = workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap_or_default())
                .collect();
            all.sort_unstable_by_key(|(jti, _)| *jti);
            all
        })
    })
    .await
    .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?;
    let mut tokens = String::new();
    for (_, token) in signed {
        tokens.push_str(&token);
        tokens.push('\n');
    }
    Ok(tokens)
}

async fn control_stats(State(issuer): State<Arc<TestIssuer>>) -> Json<serde_json::Value> {
    Json(stats_json(
        issuer.jwks_requests(),
        issuer.discovery_requests(),
    ))
}

/// `/stats` of a server without an issuer of its own (`serve --issuer-url`).
async fn control_stats_only() -> Json<serde_json::Value> {
    Json(stats_json(0, 0))
}

fn stats_json(jwks: u64, discovery: u64) -> serde_json::Value {
    let cache = jwks_guard::stats().token_cache;
    serde_json::json!({
        "jwks": jwks,
        "discovery": discovery,
        "token_cache": cache.map(|cache| serde_json::json!({
            "capacity": cache.capacity,
            "max_bytes": cache.max_bytes,
            "entries": cache.entries,
            "bytes": cache.bytes,
            "hits": cache.hits,
            "misses": cache.misses,
        })),
    })
}

async fn control_rotate(
    State(issuer): State<Arc<TestIssuer>>,
) -> Result<&'static str, (StatusCode, String)> {
    issuer
        .rotate_keeping_old()
        .map(|()| "rotated\n")
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

fn control(issuer: Arc<TestIssuer>) -> axum::Router {
    axum::Router::new()
        .route("/token", get(control_token))
        .route("/mint", get(control_mint))
        .route("/stats", get(control_stats))
        .route("/rotate", post(control_rotate))
        .with_state(issuer)
}

// ----- serve -----

fn serve(
    variant: Variant,
    addr_file: Option<PathBuf>,
    issuer_url: Option<String>,
) -> Result<(), String> {
    if let Some(settings) = guard_settings(variant) {
        jwks_guard::configure(settings).map_err(|error| error.to_string())?;
    }
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    // The issuer lives as long as the server: this binding holds it.
    let (_issuer, jwks_url, control_addr) = match issuer_url {
        Some(url) => {
            let url = url.trim_end_matches('/').to_owned();
            jwks_guard::fetch_from(ISSUER, format!("{url}/")).keep();
            let control = axum::Router::new().route("/stats", get(control_stats_only));
            (
                None,
                format!("{url}/jwks"),
                start_control(control, loopback)?,
            )
        }
        None => {
            let issuer = Arc::new(
                TestIssuer::start_as(ISSUER).map_err(|error| format!("test issuer: {error}"))?,
            );
            let control_addr = start_control(control(Arc::clone(&issuer)), loopback)?;
            (Some(Arc::clone(&issuer)), issuer.jwks_url(), control_addr)
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("runtime: {error}"))?;
    runtime.block_on(async {
        let bench = tokio::net::TcpListener::bind(loopback)
            .await
            .map_err(|error| format!("bind: {error}"))?;
        let app = app(variant, &jwks_url).await?;
        let addresses = format!(
            "bench=http://{}\ncontrol=http://{control_addr}\n",
            bench.local_addr().map_err(|error| error.to_string())?,
        );
        match &addr_file {
            Some(path) => std::fs::write(path, &addresses)
                .map_err(|error| format!("{}: {error}", path.display()))?,
            None => print!("{addresses}"),
        }
        match app {
            App::Axum08(router) => axum::serve(bench, router).await,
            App::Axum07(router) => axum07::serve(bench, router).await,
        }
        .map_err(|error| format!("serve: {error}"))
    })
}

/// Serves the control routes on a thread of their own, `bench-control`, so that minting and
/// rotating (an RSA key generation) never run on the measured worker; the driver pins this
/// thread and the issuer's (`test-issuer-*`) to the load generator's core.
fn start_control(routes: axum::Router, addr: SocketAddr) -> Result<SocketAddr, String> {
    let listener = std::net::TcpListener::bind(addr).map_err(|error| format!("bind: {error}"))?;
    let local = listener.local_addr().map_err(|error| error.to_string())?;
    listener
        .set_nonblocking(true)
        .map_err(|error| error.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("runtime: {error}"))?;
    std::thread::Builder::new()
        .name("bench-control".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => axum::serve(listener, routes).await,
                    Err(error) => Err(error),
                };
                if let Err(error) = served {
                    eprintln!("load-bench: control routes: {error}");
                }
            });
        })
        .map_err(|error| format!("control thread: {error}"))?;
    Ok(local)
}

/// `load-bench issuer`: the issuer and its control routes alone, until killed. The servers of
/// the cache-miss test trust it (`serve --issuer-url`), so that one minted pool serves every
/// variant and round.
fn issuer(addr_file: Option<PathBuf>) -> Result<(), String> {
    let issuer =
        Arc::new(TestIssuer::start_as(ISSUER).map_err(|error| format!("test issuer: {error}"))?);
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let control_addr = start_control(control(Arc::clone(&issuer)), loopback)?;
    let addresses = format!("issuer={}\ncontrol=http://{control_addr}\n", issuer.url());
    match &addr_file {
        Some(path) => std::fs::write(path, &addresses)
            .map_err(|error| format!("{}: {error}", path.display()))?,
        None => print!("{addresses}"),
    }
    loop {
        std::thread::park();
    }
}

// ----- feed: distinct tokens through one server, for the memory test -----

struct Feed {
    control: String,
    bench: String,
    tokens: u64,
    pid: u32,
    concurrency: usize,
    batch: u64,
    /// How many times each token is sent (the second stores it in jwks-guard's cache).
    repeat: u64,
    /// Tokens with [`LARGE_ARRAYS`] nested arrays.
    large: bool,
}

/// The resident set of `pid`, in KiB, from `/proc/PID/status`.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|error| format!("/proc/{pid}/status: {error}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}

fn feed(feed: Feed) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("runtime: {error}"))?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let checkpoint = (feed.tokens / 10).max(1);
        let (mut sent, mut accepted, mut next_checkpoint) = (0_u64, 0_u64, checkpoint);
        println!("rss {sent} {}", rss_kib(feed.pid)?);
        let started = Instant::now();
        while sent < feed.tokens {
            let n = feed.batch.min(feed.tokens - sent);
            let url = format!(
                "{}/mint?n={n}&start={sent}&alg=EdDSA&large={}",
                feed.control,
                u8::from(feed.large)
            );
            let tokens = client
                .get(&url)
                .send()
                .await
                .and_then(|response| response.error_for_status())
                .map_err(|error| format!("{url}: {error}"))?
                .text()
                .await
                .map_err(|error| format!("{url}: {error}"))?;
            let statuses: Vec<_> = futures_util::stream::iter(tokens.lines())
                .flat_map(|token| futures_util::stream::iter((0..feed.repeat).map(move |_| token)))
                .map(|token| {
                    let request = client.get(&feed.bench).bearer_auth(token);
                    async move { request.send().await.map(|response| response.status()) }
                })
                .buffer_unordered(feed.concurrency)
                .collect()
                .await;
            let mut ok = 0_u64;
            for status in statuses {
                let status = status.map_err(|error| format!("{}: {error}", feed.bench))?;
                ok += u64::from(status == reqwest::StatusCode::OK);
            }
            accepted += ok / feed.repeat;
            sent += n;
            if accepted == 0 {
                return Err(format!(
                    "{}: none of the first {sent} tokens was accepted",
                    feed.bench
                ));
            }
            if sent >= next_checkpoint || sent == feed.tokens {
                println!("rss {sent} {}", rss_kib(feed.pid)?);
                next_checkpoint += checkpoint;
            }
        }
        println!(
            "fed {sent} accepted {accepted} seconds {:.1}",
            started.elapsed().as_secs_f64()
        );
        if accepted == sent {
            Ok(())
        } else {
            Err(format!(
                "{} of {sent} distinct tokens were rejected",
                sent - accepted
            ))
        }
    })
}

// ----- command line -----

const USAGE: &str = "usage:
  load-bench serve <variant> [--addr-file PATH] [--issuer-url URL]
  load-bench issuer [--addr-file PATH]
  load-bench feed <control-url> <bench-url> <tokens> <server-pid> [--concurrency N] [--batch N]
                  [--repeat N] [--large]
  load-bench variants";

fn number<T: std::str::FromStr>(value: Option<String>, what: &str) -> Result<T, String> {
    value
        .as_deref()
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| format!("{what}: a number is needed\n{USAGE}"))
}

fn run(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    match args.next().as_deref() {
        Some("serve") => {
            let variant = Variant::parse(&args.next().ok_or(USAGE)?)?;
            let (mut addr_file, mut issuer_url) = (None, None);
            while let Some(flag) = args.next() {
                match flag.as_str() {
                    "--addr-file" => addr_file = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
                    "--issuer-url" => issuer_url = Some(args.next().ok_or(USAGE)?),
                    other => return Err(format!("unknown option {other}\n{USAGE}")),
                }
            }
            serve(variant, addr_file, issuer_url)
        }
        Some("issuer") => {
            let mut addr_file = None;
            while let Some(flag) = args.next() {
                match flag.as_str() {
                    "--addr-file" => addr_file = Some(PathBuf::from(args.next().ok_or(USAGE)?)),
                    other => return Err(format!("unknown option {other}\n{USAGE}")),
                }
            }
            issuer(addr_file)
        }
        Some("feed") => {
            let control = args.next().ok_or(USAGE)?;
            let bench = args.next().ok_or(USAGE)?;
            let tokens = number(args.next(), "tokens")?;
            let pid = number(args.next(), "server-pid")?;
            let (mut concurrency, mut batch, mut repeat, mut large) = (16, 1000, 1, false);
            while let Some(flag) = args.next() {
                match flag.as_str() {
                    "--concurrency" => concurrency = number(args.next(), "--concurrency")?,
                    "--batch" => batch = number(args.next(), "--batch")?,
                    "--repeat" => repeat = number(args.next(), "--repeat")?,
                    "--large" => large = true,
                    other => return Err(format!("unknown option {other}\n{USAGE}")),
                }
            }
            feed(Feed {
                control,
                bench,
                tokens,
                pid,
                concurrency: concurrency.max(1),
                batch: batch.clamp(1, 100_000),
                repeat: repeat.clamp(1, 100),
                large,
            })
        }
        Some("variants") => {
            for variant in Variant::ALL {
                println!("{}", variant.name());
            }
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    }
}

fn main() -> ExitCode {
    match run(std::env::args().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("load-bench: {error}");
            ExitCode::FAILURE
        }
    }
}
