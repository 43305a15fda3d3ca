//! Server nonces (RFC 9449 §8–9) end to end, on real servers of every framework on 127.0.0.1:
//! a proof without the current nonce is refused 401 `use_dpop_nonce` with a `DPoP-Nonce`
//! header, a proof carrying that nonce is served, and every response, successful ones
//! included, hands out the current nonce (so that a client never needs the extra 401 round
//! trip). Bearer requests are not constrained by nonces.
//!
//! Nonces are process-wide settings: every test first calls [`nonces_on`], which installs
//! them once, before any request. One table of steps ([`STEPS`]), run against each server:
//!
//! | server | protected by | the nonce on responses from |
//! |---|---|---|
//! | axum | `#[protected]` | `jwks_guard::layer::DpopNonceLayer` |
//! | axum | `jwks_guard::layer::RequireTokenLayer` | the layer itself |
//! | actix-web | `#[protected]` | `jwks_guard::integrations::actix::DpopNonce` (`wrap`) |
//! | Rocket | `#[protected]` | the `jwks_guard::integrations::rocket::Guard` fairing |
//! | Poem | `#[protected]` | `jwks_guard::integrations::poem::DpopNonce` (`with`) |
//! | tonic (gRPC) | `jwks_guard::integrations::tonic::RequireTokenLayer` | the layer itself |
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "../examples/grpc/greeter.rs"]
mod greeter;
#[path = "common/servers.rs"]
mod servers;

use std::sync::{LazyLock, Once};
use std::time::Duration;

use jwks_guard::dpop::NonceSource;
use jwks_guard::{Claims, Settings};
use jwks_guard_test::{DpopClient, TestIssuer};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use greeter::HelloRequest;
use greeter::greeter_client::GreeterClient;

use common::{Reply, bounded};

const ISSUER_NAME: &str = "https://nonces.test/";
const AUDIENCE: &str = "api";
const SECRET: &[u8] = b"the nonce secret of dpop_nonces.rs";
/// Long enough that the steps of one table mostly share a slot; a step across a rotation still
/// passes, since the previous slot's nonce is accepted.
const ROTATION: Duration = Duration::from_secs(300);

/// The proof algorithms a `DPoP` challenge names by default.
const ALGS: &str = "ES256 ES384 PS256 RS256 EdDSA";

static ISSUER: LazyLock<TestIssuer> =
    LazyLock::new(|| TestIssuer::start_as(ISSUER_NAME).expect("test issuer"));

/// The nonces the servers issue and accept, as a client-side check of what they hand out.
static NONCES: LazyLock<NonceSource> = LazyLock::new(|| NonceSource::new(SECRET, ROTATION));

/// Installs server nonces for the whole binary, once, before any request; starts the issuer.
fn nonces_on() {
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        jwks_guard::configure(Settings::new().dpop_nonce(SECRET, ROTATION))
            .expect("the first settings of the binary");
    });
    LazyLock::force(&ISSUER);
}

/// What `GET /whoami` answers on every server: the subject.
fn whoami_of(claims: &Claims) -> String {
    claims.sub.clone().unwrap_or_default()
}

/// Where a step's proof gets its `nonce` claim.
#[derive(Debug, Clone, Copy)]
enum Nonce {
    /// None.
    Absent,
    /// The `DPoP-Nonce` of the previous step's answer.
    Issued,
    /// The current nonce under another secret: well formed, never issued by the server.
    Foreign,
    /// A string that is not a nonce at all.
    MadeUp,
}

/// What a step sends to `GET /whoami`.
#[derive(Debug, Clone, Copy)]
enum Credentials {
    /// A token bound to the client's key (subject `dana`) under `DPoP`, with a fresh proof.
    Proof(Nonce),
    /// A token bound to no key (subject `bea`) as `Bearer`.
    Bearer,
    /// No credentials.
    Nothing,
}

/// The answer a step expects; each carries the current nonce in `DPoP-Nonce`.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// 200 with this body.
    Served(&'static str),
    /// 401 `use_dpop_nonce` under the `DPoP` scheme.
    UseNonce,
    /// 401 `unauthorized` with the `Bearer` and the `DPoP` challenges.
    MissingCredentials,
}

/// The steps, in order: a step with [`Nonce::Issued`] uses the nonce of the one before.
const STEPS: &[(&str, Credentials, Expect)] = &[
    (
        "a proof without a nonce",
        Credentials::Proof(Nonce::Absent),
        Expect::UseNonce,
    ),
    (
        "a proof with the nonce of that refusal",
        Credentials::Proof(Nonce::Issued),
        Expect::Served("dana"),
    ),
    (
        "a proof with the nonce of that successful answer",
        Credentials::Proof(Nonce::Issued),
        Expect::Served("dana"),
    ),
    (
        "a proof with a nonce under another secret",
        Credentials::Proof(Nonce::Foreign),
        Expect::UseNonce,
    ),
    (
        "a proof with a made-up nonce",
        Credentials::Proof(Nonce::MadeUp),
        Expect::UseNonce,
    ),
    (
        "an unbound token as Bearer",
        Credentials::Bearer,
        Expect::Served("bea"),
    ),
    (
        "a request without credentials",
        Credentials::Nothing,
        Expect::MissingCredentials,
    ),
];

/// How a server is called.
enum Transport {
    /// `GET {base}/whoami` over HTTP/1.1.
    Http,
    /// The unary method `helloworld.Greeter/SayHello` over gRPC (HTTP/2, `POST`).
    Grpc(GreeterClient<Channel>),
}

impl Transport {
    /// Sends `headers` (as gRPC metadata over gRPC) to `url`; the answer as a [`Reply`] (a
    /// gRPC refusal: `UNAUTHENTICATED` as 401, its message as the text, its metadata as the
    /// headers).
    async fn send(&mut self, url: &str, headers: &[(&'static str, String)]) -> Reply {
        let Transport::Grpc(client) = self else {
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            return common::get(url, &headers).await;
        };
        let mut request = tonic::Request::new(HelloRequest {
            name: "nonces".into(),
        });
        for (name, value) in headers {
            let value = MetadataValue::try_from(value.as_str()).expect("an ASCII metadata value");
            request.metadata_mut().append(*name, value);
        }
        let (status, metadata, text) = match client.say_hello(request).await {
            Ok(response) => (
                200,
                response.metadata().clone(),
                response.into_inner().message,
            ),
            Err(status) => {
                let code = match status.code() {
                    tonic::Code::Unauthenticated => 401,
                    other => panic!("an unexpected gRPC status {other:?}: {status:?}"),
                };
                (code, status.metadata().clone(), status.message().to_owned())
            }
        };
        let text_of = |value: &MetadataValue<_>| value.to_str().expect("ASCII metadata").to_owned();
        let challenges: Vec<String> = metadata
            .get_all("www-authenticate")
            .iter()
            .map(text_of)
            .collect();
        Reply {
            status,
            www_authenticate: challenges.first().cloned(),
            challenges,
            dpop_nonce: metadata.get("dpop-nonce").map(text_of),
            retry_after: metadata.get("retry-after").map(text_of),
            content_type: None,
            text,
        }
    }
}

/// Runs [`STEPS`] against the server at `url` (the URL its proofs name) called with `method`
/// over `transport`; a failure names the server and the step.
async fn every_step(server: &str, method: &str, url: &str, mut transport: Transport) {
    let client = DpopClient::new().expect("client key");
    let bound = ISSUER
        .token()
        .audience(AUDIENCE)
        .subject("dana")
        .dpop_bound(&client)
        .sign();
    let unbound = ISSUER.token().audience(AUDIENCE).subject("bea").sign();
    let foreign = NonceSource::new(b"another secret", ROTATION).current();
    let mut issued: Option<String> = None;
    for (name, send, expect) in STEPS {
        let case = format!("{server}: {name}");
        let headers = match send {
            Credentials::Proof(nonce) => {
                let proof = client.proof(method, url).access_token(&bound);
                let proof = match nonce {
                    Nonce::Absent => proof,
                    Nonce::Issued => proof.nonce(
                        issued
                            .clone()
                            .unwrap_or_else(|| panic!("{case}: no nonce handed out before")),
                    ),
                    Nonce::Foreign => proof.nonce(foreign.clone()),
                    Nonce::MadeUp => proof.nonce("made-up"),
                };
                vec![
                    ("authorization", format!("DPoP {bound}")),
                    ("dpop", proof.sign()),
                ]
            }
            Credentials::Bearer => vec![("authorization", format!("Bearer {unbound}"))],
            Credentials::Nothing => vec![],
        };
        let reply = bounded(&case, transport.send(url, &headers)).await;
        let http = matches!(transport, Transport::Http);
        check(*expect, &reply, &case, http);
        issued = reply.dpop_nonce;
    }
}

/// Checks the status, the challenges, the text and the nonce of `reply`, and over `http` the
/// `error` of a refusal's JSON body (a gRPC refusal names it in its challenge only).
#[track_caller]
fn check(expect: Expect, reply: &Reply, case: &str, http: bool) {
    let nonce = reply.dpop_nonce.as_deref();
    assert!(
        nonce.is_some_and(|nonce| NONCES.accepts(nonce)),
        "{case}: no current DPoP-Nonce in {reply:?}"
    );
    match expect {
        Expect::Served(body) => {
            assert_eq!((reply.status, reply.text.as_str()), (200, body), "{case}");
            assert!(reply.challenges.is_empty(), "{case}: {reply:?}");
        }
        Expect::UseNonce => {
            assert_eq!(reply.status, 401, "{case}: {reply:?}");
            if http {
                assert_eq!(reply.error(), "use_dpop_nonce", "{case}: {reply:?}");
            }
            let [challenge] = reply.challenges.as_slice() else {
                panic!("{case}: one challenge expected: {reply:?}");
            };
            assert!(
                challenge.starts_with(r#"DPoP error="use_dpop_nonce", error_description=""#)
                    && challenge.ends_with(&format!(r#", algs="{ALGS}""#)),
                "{case}: {challenge}"
            );
        }
        Expect::MissingCredentials => {
            assert_eq!(
                (reply.status, reply.challenges.clone()),
                (
                    401,
                    vec!["Bearer".to_owned(), format!(r#"DPoP algs="{ALGS}""#)]
                ),
                "{case}: {reply:?}"
            );
        }
    }
}

mod axum_servers {
    use axum::routing::get;
    use axum::{Extension, Router};
    use jwks_guard::layer::{DpopNonceLayer, RequireTokenLayer};
    use jwks_guard::{Claims, Policy, protected};

    use super::{AUDIENCE, ISSUER_NAME, common, whoami_of};

    #[protected(issuer = "https://nonces.test/", audience = "api")]
    async fn whoami(#[claims] claims: Claims) -> String {
        whoami_of(&claims)
    }

    /// `#[protected]` handlers, the nonce from `DpopNonceLayer`.
    pub(super) async fn extractor() -> String {
        common::serve(
            Router::new()
                .route("/whoami", get(whoami))
                .layer(DpopNonceLayer),
        )
        .await
    }

    async fn layered(Extension(claims): Extension<Claims>) -> String {
        whoami_of(&claims)
    }

    /// A router under `RequireTokenLayer`.
    pub(super) async fn layer() -> String {
        let policy = Policy::builder()
            .issuer(ISSUER_NAME)
            .audience(AUDIENCE)
            .build()
            .expect("a valid policy");
        common::serve(
            Router::new()
                .route("/whoami", get(layered))
                .layer(RequireTokenLayer::new(policy)),
        )
        .await
    }
}

mod actix_server {
    use actix_web::{get, web};
    use jwks_guard::integrations::actix::DpopNonce;
    use jwks_guard::{Claims, protected};

    use super::{servers, whoami_of};

    #[protected(issuer = "https://nonces.test/", audience = "api")]
    #[get("/whoami")]
    async fn whoami(#[claims] claims: Claims) -> String {
        whoami_of(&claims)
    }

    fn routes(config: &mut web::ServiceConfig) {
        config.service(web::scope("").wrap(DpopNonce).service(whoami));
    }

    pub(super) fn start() -> String {
        servers::actix(2, routes)
    }
}

mod rocket_server {
    use jwks_guard::{Claims, protected};
    use rocket::{get, routes};

    use super::{servers, whoami_of};

    #[protected(issuer = "https://nonces.test/", audience = "api")]
    #[get("/whoami")]
    async fn whoami(#[claims] claims: Claims) -> String {
        whoami_of(&claims)
    }

    pub(super) fn start() -> String {
        servers::rocket(
            rocket::custom(servers::rocket_config())
                .attach(jwks_guard::integrations::rocket::Guard)
                .mount("/", routes![whoami]),
        )
    }
}

mod poem_server {
    use jwks_guard::integrations::poem::DpopNonce;
    use jwks_guard::{Claims, protected};
    use poem::{EndpointExt as _, Route, get, handler};

    use super::{servers, whoami_of};

    #[protected(issuer = "https://nonces.test/", audience = "api")]
    #[handler]
    async fn whoami(#[claims] claims: Claims) -> String {
        whoami_of(&claims)
    }

    pub(super) async fn start() -> String {
        servers::poem(Route::new().at("/whoami", get(whoami).with(DpopNonce))).await
    }
}

#[tokio::test]
async fn axum_handlers_under_the_nonce_layer_hand_out_and_require_server_nonces() {
    nonces_on();
    let base = axum_servers::extractor().await;
    every_step(
        "axum, DpopNonceLayer",
        "GET",
        &format!("{base}/whoami"),
        Transport::Http,
    )
    .await;
}

#[tokio::test]
async fn the_tower_layer_hands_out_and_requires_server_nonces() {
    nonces_on();
    let base = axum_servers::layer().await;
    every_step(
        "axum, RequireTokenLayer",
        "GET",
        &format!("{base}/whoami"),
        Transport::Http,
    )
    .await;
}

#[tokio::test]
async fn actix_handlers_under_the_nonce_middleware_hand_out_and_require_server_nonces() {
    nonces_on();
    let base = actix_server::start();
    every_step(
        "actix-web",
        "GET",
        &format!("{base}/whoami"),
        Transport::Http,
    )
    .await;
}

#[tokio::test]
async fn rocket_handlers_with_the_guard_fairing_hand_out_and_require_server_nonces() {
    nonces_on();
    let base = rocket_server::start();
    every_step("Rocket", "GET", &format!("{base}/whoami"), Transport::Http).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poem_handlers_under_the_nonce_middleware_hand_out_and_require_server_nonces() {
    nonces_on();
    let base = poem_server::start().await;
    every_step("Poem", "GET", &format!("{base}/whoami"), Transport::Http).await;
}

mod tonic_server {
    use std::net::SocketAddr;

    use jwks_guard::integrations::tonic::RequireTokenLayer;
    use jwks_guard::{Claims, Policy};
    use tonic::transport::Server;
    use tonic::transport::server::TcpIncoming;
    use tonic::{Request, Response, Status};

    use super::greeter::greeter_server::{Greeter, GreeterServer};
    use super::greeter::{HelloReply, HelloRequest};
    use super::{AUDIENCE, ISSUER_NAME, whoami_of};

    /// Answers the subject of the claims the layer put in the request.
    struct Whoami;

    #[tonic::async_trait]
    impl Greeter for Whoami {
        async fn say_hello(
            &self,
            request: Request<HelloRequest>,
        ) -> Result<Response<HelloReply>, Status> {
            let claims = request.extensions().get::<Claims>();
            let message = claims.map(whoami_of).unwrap_or_default();
            Ok(Response::new(HelloReply { message }))
        }
    }

    /// A tonic server under `RequireTokenLayer`; its address.
    pub(super) fn start() -> SocketAddr {
        let policy = Policy::builder()
            .issuer(ISSUER_NAME)
            .audience(AUDIENCE)
            .build()
            .expect("a valid policy");
        let incoming = TcpIncoming::bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
        let addr = incoming.local_addr().expect("the bound address");
        let server = Server::builder()
            .layer(RequireTokenLayer::new(policy))
            .add_service(GreeterServer::new(Whoami));
        tokio::spawn(server.serve_with_incoming(incoming));
        addr
    }
}

#[tokio::test]
async fn the_tonic_layer_hands_out_and_requires_server_nonces() {
    nonces_on();
    let base = format!("http://{}", tonic_server::start());
    let channel = Channel::from_shared(base.clone())
        .expect("a URI")
        .connect()
        .await
        .expect("connect");
    let url = format!("{base}/helloworld.Greeter/SayHello");
    let transport = Transport::Grpc(GreeterClient::new(channel));
    every_step("tonic, RequireTokenLayer", "POST", &url, transport).await;
}
