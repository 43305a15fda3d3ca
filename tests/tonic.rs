//! gRPC with tonic: `#[protected]` methods and `RequireTokenLayer` on a real tonic server,
//! called by tonic's client over 127.0.0.1. Every row of the response table that sends no body
//! (`common/conformance.rs`) is a call of a `conformance.Probe` method, answered with its gRPC
//! status, the `error_description` as message and the HTTP challenge as `www-authenticate`.
//!
//! The process installs a gRPC rejection hook that keeps the default status and adds
//! `x-error: <error code>` metadata, so that every refusal here also proves the hook is used.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

mod common;
#[path = "common/conformance.rs"]
mod conformance;
#[path = "../examples/grpc/greeter.rs"]
mod greeter;

use std::net::SocketAddr;
use std::sync::LazyLock;

use conformance::{AUDIENCE, Expect, MAIN, Profile};
use greeter::greeter_client::GreeterClient;
use greeter::greeter_server::{Greeter, GreeterServer};
use greeter::probe_client::ProbeClient;
use greeter::probe_server::{Probe, ProbeServer};
use greeter::{HelloReply, HelloRequest};
use jwks_guard::integrations::tonic::{RequireTokenLayer, claims};
use jwks_guard::{Claims, Policy, Rejection, Settings, protected};
use tonic::codegen::http;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};
use tower::{Service as _, ServiceExt as _};

/// This framework's name in the table's rows and its providers' issuers
/// (`https://down.tonic.test/` …).
const FRAMEWORK: &str = "tonic";

/// The process's settings: the default gRPC status, plus `x-error: <error code>`.
static SETTINGS: LazyLock<()> = LazyLock::new(|| {
    let hook = |rejection: &Rejection| {
        let mut status = rejection.default_grpc_status();
        status.metadata_mut().insert(
            "x-error",
            MetadataValue::from_static(rejection.error_code()),
        );
        status
    };
    jwks_guard::configure(Settings::new().grpc_rejection_status(hook))
        .expect("the first configure of the process");
});

fn reply(text: impl Into<String>) -> Result<Response<HelloReply>, Status> {
    Ok(Response::new(HelloReply {
        message: text.into(),
    }))
}

fn sub(request: &Request<HelloRequest>) -> String {
    let claims = request.extensions().get::<Claims>();
    claims.and_then(|c| c.sub.clone()).unwrap_or_default()
}

/// The table's handlers as gRPC methods, with the keys of the HTTP ones.
struct Conformance;

#[tonic::async_trait]
impl Probe for Conformance {
    #[protected(issuer = "https://conformance.test/", audience = "api")]
    async fn whoami(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        reply(sub(&request))
    }

    #[protected(issuer = "https://conformance.test/", audience = "api")]
    async fn profile(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let profile: Profile = claims(&request)?;
        reply(profile.answer())
    }

    #[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["orders:read", "orders:list"])]
    async fn orders(
        &self,
        _request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply("orders")
    }

    #[protected(issuer = "https://conformance.test/", audience = "api", typ = "at+jwt")]
    async fn typed(&self, _request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        reply("typed")
    }

    #[protected(
        issuer = "https://conformance.test/",
        audience = "api",
        claims(tenant = "acme")
    )]
    async fn tenant(
        &self,
        _request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply("tenant")
    }

    #[protected(issuer = env("JWKS_GUARD_TEST_UNSET"), audience = "api")]
    async fn misconfigured(
        &self,
        _request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply("misconfigured")
    }

    #[protected(issuer = env("JWKS_GUARD_TEST_EMPTY"), audience = "api")]
    async fn empty_env(
        &self,
        _request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply("empty-env")
    }

    #[protected(issuer = "https://down.tonic.test/", audience = "api")]
    async fn down(&self, _request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        reply("down")
    }

    #[protected(issuer = "https://garbage.tonic.test/", audience = "api")]
    async fn garbage(
        &self,
        _request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply("garbage")
    }

    #[protected(issuer = "https://liar.tonic.test/", audience = "api")]
    async fn liar(&self, _request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        reply("liar")
    }

    #[protected(issuer = "https://first-requests.tonic.test/", audience = "api")]
    async fn first_requests(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply(sub(&request))
    }

    /// Not protected: what the layer lets through.
    async fn open(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        reply(format!("open to {:?}", sub(&request)))
    }
}

/// A greeter without `#[protected]`: the layer guards it.
struct Plain;

#[tonic::async_trait]
impl Greeter for Plain {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply(format!("hello {}", sub(&request)))
    }
}

/// A server with both services on a free port, with `layer` around it when given; its address.
async fn serve(layer: Option<RequireTokenLayer>) -> SocketAddr {
    LazyLock::force(&SETTINGS);
    LazyLock::force(&MAIN);
    conformance::providers(FRAMEWORK);
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
    let addr = incoming.local_addr().expect("the bound address");
    let (probe, plain) = (ProbeServer::new(Conformance), GreeterServer::new(Plain));
    match layer {
        None => {
            let server = Server::builder().add_service(probe).add_service(plain);
            tokio::spawn(server.serve_with_incoming(incoming));
        }
        Some(layer) => {
            let server = Server::builder()
                .layer(layer)
                .add_service(probe)
                .add_service(plain);
            tokio::spawn(server.serve_with_incoming(incoming));
        }
    }
    addr
}

async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("a URI")
        .connect()
        .await
        .expect("connect")
}

/// A request with these `authorization` values (or whatever metadata is named).
fn request(metadata: &[(&'static str, String)]) -> Request<HelloRequest> {
    let mut request = Request::new(HelloRequest {
        name: "probe".into(),
    });
    for (name, value) in metadata {
        let value = MetadataValue::try_from(value.as_str()).expect("an ASCII metadata value");
        request.metadata_mut().append(*name, value);
    }
    request
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

/// Calls the method of `conformance.Probe` serving the table's `path`.
async fn call(
    client: &mut ProbeClient<Channel>,
    path: &str,
    request: Request<HelloRequest>,
) -> Result<Response<HelloReply>, Status> {
    match path {
        "/whoami" => client.whoami(request).await,
        "/profile" => client.profile(request).await,
        "/orders" => client.orders(request).await,
        "/typed" => client.typed(request).await,
        "/tenant" => client.tenant(request).await,
        "/misconfigured" => client.misconfigured(request).await,
        "/empty-env" => client.empty_env(request).await,
        "/down" => client.down(request).await,
        "/garbage" => client.garbage(request).await,
        "/liar" => client.liar(request).await,
        other => panic!("no method serves {other}"),
    }
}

fn text(status: &Status, name: &str) -> Option<String> {
    let value = status.metadata().get(name)?;
    Some(value.to_str().expect("ASCII metadata").to_owned())
}

/// The gRPC code of an HTTP refusal's status.
fn code_of(http: u16) -> Code {
    match http {
        400 | 401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        503 => Code::Unavailable,
        500 => Code::Internal,
        other => panic!("no refusal has status {other}"),
    }
}

/// Checks a call's outcome against a row's answer: a reply, or the status of its refusal.
#[track_caller]
fn check(outcome: Result<Response<HelloReply>, Status>, expect: Expect, case: &str) {
    check_refused_by(outcome, expect, case, Guard::Layer);
}

/// Which guard answers a call.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// The layer, which sees the HTTP request: it offers `Bearer` and `DPoP`.
    Layer,
    /// A `#[protected]` method, whose request does not carry its path: it cannot check DPoP
    /// proofs and offers `Bearer` alone.
    Method,
}

/// As [`check`], for a refusal by `guard`.
#[track_caller]
fn check_refused_by(
    outcome: Result<Response<HelloReply>, Status>,
    expect: Expect,
    case: &str,
    guard: Guard,
) {
    let Some((http, mut challenge, error, description)) = expect.refusal() else {
        let Expect::Ok(body) = expect else {
            panic!("{case}: {expect:?} is not a gRPC answer")
        };
        let message = outcome.map(|reply| reply.into_inner().message);
        assert_eq!(message.as_deref().map_err(Status::code), Ok(body), "{case}");
        return;
    };
    let status = match outcome {
        Ok(reply) => panic!("{case}: served: {reply:?}"),
        Err(status) => status,
    };
    if guard == Guard::Method && matches!(expect, Expect::MissingCredentials) {
        challenge.truncate(1);
    }
    let challenges: Vec<String> = status
        .metadata()
        .get_all("www-authenticate")
        .iter()
        .map(|value| value.to_str().expect("ASCII metadata").to_owned())
        .collect();
    let seen = (status.code(), status.message(), challenges);
    assert_eq!(seen, (code_of(http), description, challenge), "{case}");
    assert_eq!(
        text(&status, "x-error").as_deref(),
        Some(error),
        "{case}: the hook"
    );
    let retry = text(&status, "retry-after");
    match http {
        503 => assert!(
            matches!(retry.as_deref(), Some("1" | "2")),
            "{case}: {retry:?}"
        ),
        _ => assert_eq!(retry, None, "{case}"),
    }
}

#[tokio::test]
async fn every_row_of_the_response_table_is_answered_with_its_grpc_status() {
    let mut client = ProbeClient::new(channel(serve(None).await).await);
    // The rows of token sources (`/sources`, cookies among them) and of optional authentication
    // (`/maybe`) have no method in the probe service: `#[protected]` methods refuse anonymous
    // calls (optional authentication over gRPC is the layer's, tested below).
    let rows = conformance::rows_without_body(FRAMEWORK)
        .into_iter()
        .filter(|(_, path, _, _)| !matches!(*path, "/sources" | "/maybe"));
    for (name, path, metadata, expect) in rows {
        let case = format!("tonic, {name} ({path})");
        let outcome = common::bounded(&case, call(&mut client, path, request(&metadata))).await;
        check_refused_by(outcome, expect, &case, Guard::Method);
    }
    assert_eq!(
        conformance::providers(FRAMEWORK).liar.jwks_requests(),
        0,
        "keys from an unverified document"
    );
}

#[tokio::test]
async fn concurrent_first_calls_share_one_key_fetch() {
    let issuer = &conformance::providers(FRAMEWORK).first_requests;
    let delay = std::time::Duration::from_millis(500);
    issuer.set_discovery_answer(jwks_guard_test::Answer::Delay(delay));
    let channel = channel(serve(None).await).await;
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..16 {
        let token = issuer
            .token()
            .audience(AUDIENCE)
            .subject(format!("user-{n}"));
        let mut client = ProbeClient::new(channel.clone());
        let request = request(&bearer(&token.sign()));
        calls.spawn(async move { (n, client.first_requests(request).await) });
    }
    while let Some(joined) = calls.join_next().await {
        let (n, outcome) = joined.expect("call task");
        let message = outcome.map(|reply| reply.into_inner().message);
        assert_eq!(message.map_err(|s| s.code()), Ok(format!("user-{n}")));
    }
    assert_eq!(
        (issuer.discovery_requests(), issuer.jwks_requests()),
        (1, 1),
        "one discovery and one JWKS request for all first calls"
    );
}

fn policy(scopes: &[&str]) -> Policy {
    Policy::builder()
        .issuer("https://conformance.test/")
        .audience(AUDIENCE)
        .scopes(scopes.iter().copied())
        .build()
        .expect("a valid policy")
}

/// The layer: the default policy over everything, `greet` for `SayHello`, `Open` public.
async fn layered() -> SocketAddr {
    let layer = RequireTokenLayer::new(policy(&[]))
        .method("/helloworld.Greeter/SayHello", policy(&["greet"]))
        .public("/conformance.Probe/Open");
    serve(Some(layer)).await
}

#[tokio::test]
async fn the_layer_checks_each_method_against_its_own_policy() {
    let channel = channel(layered().await).await;
    let mut greeter = GreeterClient::new(channel.clone());
    let mut probe = ProbeClient::new(channel);
    let alice = conformance::token().subject("alice");

    let with_scope = bearer(&alice.clone().scope("greet").sign());
    check(
        greeter.say_hello(request(&with_scope)).await,
        Expect::Ok("hello alice"),
        "SayHello with its scope",
    );
    let without_scope = bearer(&alice.clone().sign());
    let missing = Expect::InsufficientScope {
        scope: "greet",
        description: "missing scope greet",
    };
    check(
        greeter.say_hello(request(&without_scope)).await,
        missing,
        "SayHello without its scope",
    );
    check(
        probe.open(request(&[])).await,
        Expect::Ok("open to \"\""),
        "a public method without a token",
    );
    check(
        probe.open(request(&bearer("not-a-jwt"))).await,
        Expect::Ok("open to \"\""),
        "a public method is not checked",
    );
    // The default policy, then the method's own `#[protected]`, both pass.
    check(
        probe.whoami(request(&without_scope)).await,
        Expect::Ok("alice"),
        "the default policy",
    );
    check(
        probe.whoami(request(&[])).await,
        Expect::MissingCredentials,
        "the default policy without a token",
    );
    check(
        greeter
            .say_hello(request(&bearer(&alice.expired().sign())))
            .await,
        Expect::InvalidToken("token expired"),
        "an expired token",
    );
}

#[tokio::test]
async fn the_layer_checks_dpop_proofs_and_the_methods_behind_it_take_its_word() {
    let addr = layered().await;
    let channel = channel(addr).await;
    let mut greeter = GreeterClient::new(channel.clone());
    let mut probe = ProbeClient::new(channel);
    let client = jwks_guard_test::DpopClient::new().expect("client key");
    let bound = conformance::token()
        .subject("dana")
        .scope("greet")
        .dpop_bound(&client)
        .sign();
    // A gRPC call is a POST to `/<package>.<service>/<method>`.
    let proof_for = |path: &str| {
        let url = format!("http://{addr}{path}");
        client.proof("POST", &url).access_token(&bound).sign()
    };
    let dpop = |proof: String| vec![("authorization", format!("DPoP {bound}")), ("dpop", proof)];
    let say_hello = dpop(proof_for("/helloworld.Greeter/SayHello"));
    check(
        greeter.say_hello(request(&say_hello)).await,
        Expect::Ok("hello dana"),
        "a bound token with its proof, checked by the layer alone",
    );
    check(
        greeter.say_hello(request(&say_hello)).await,
        Expect::DpopProof(
            "the DPoP proof was already used; make a fresh proof (a new jti) for each request",
        ),
        "the same proof again",
    );
    check(
        greeter
            .say_hello(request(&dpop(proof_for("/conformance.Probe/Whoami"))))
            .await,
        Expect::DpopProof(
            "the DPoP proof's htu is not this request's URI (without query and fragment)",
        ),
        "a proof made for another method",
    );
    // The layer, then the method's own `#[protected]`, which takes the layer's word for the
    // proof it checked (a method cannot see its request's path to check one).
    check(
        probe
            .whoami(request(&dpop(proof_for("/conformance.Probe/Whoami"))))
            .await,
        Expect::Ok("dana"),
        "a bound token through the layer and the method's guard",
    );
    check(
        probe.whoami(request(&bearer(&bound))).await,
        Expect::DpopToken(
            "the token is bound to a key (cnf.jkt): send it as `Authorization: DPoP` with a DPoP proof, not as a bearer token",
        ),
        "a bound token as Bearer",
    );
}

#[tokio::test]
async fn an_optional_method_serves_calls_without_a_token_and_refuses_bad_ones() {
    let layer = RequireTokenLayer::new(policy(&[]))
        .optional_method("/conformance.Probe/Open", policy(&["greet"]));
    let mut probe = ProbeClient::new(channel(serve(Some(layer)).await).await);
    let alice = conformance::token().subject("alice");
    check(
        probe.open(request(&[])).await,
        Expect::Ok("open to \"\""),
        "no token: served without claims",
    );
    check(
        probe
            .open(request(&bearer(&alice.clone().scope("greet").sign())))
            .await,
        Expect::Ok("open to \"alice\""),
        "a valid token: served with its claims",
    );
    check(
        probe
            .open(request(&bearer(
                &alice.clone().scope("greet").expired().sign(),
            )))
            .await,
        Expect::InvalidToken("token expired"),
        "an expired token is refused, not served as anonymous",
    );
    check(
        probe.open(request(&bearer(&alice.sign()))).await,
        Expect::InsufficientScope {
            scope: "greet",
            description: "missing scope greet",
        },
        "a token without the scope is refused",
    );
    check(
        probe.open(request(&bearer("a,b"))).await,
        Expect::InvalidRequest("bearer token contains characters not allowed by RFC 6750"),
        "malformed credentials are refused",
    );
}

#[tokio::test]
async fn the_layer_refuses_with_a_trailers_only_grpc_response_never_an_http_error() {
    let mut channel = channel(layered().await).await;
    let http = http::Request::post("/helloworld.Greeter/SayHello")
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(tonic::body::Body::empty())
        .expect("a request");
    let response = channel
        .ready()
        .await
        .expect("ready")
        .call(http)
        .await
        .expect("an answer");
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map(|v| v.to_str().expect("ASCII").to_owned())
    };
    assert_eq!(response.status(), 200);
    assert_eq!(header("grpc-status").as_deref(), Some("16"));
    // Percent-encoded on the wire, as gRPC specifies; clients decode it.
    assert_eq!(
        header("grpc-message").as_deref(),
        Some("bearer%20token%20required")
    );
    assert_eq!(header("www-authenticate").as_deref(), Some("Bearer"));
    assert_eq!(header("content-type").as_deref(), Some("application/grpc"));
}

/// `helloworld.Greeter` with `#[protected]`, for the Python client.
struct Guarded;

#[tonic::async_trait]
impl Greeter for Guarded {
    #[protected(issuer = "https://conformance.test/", audience = "api", scopes = ["greet"])]
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        reply(format!(
            "hello {}, from {}",
            request.get_ref().name,
            sub(&request)
        ))
    }
}

/// The Python client: compiles `helloworld.proto` with grpcio-tools into `argv[1]`, calls
/// `SayHello` at `argv[2]` with each case's metadata, and prints one JSON line per call.
const PYTHON_CLIENT: &str = r#"
import json, subprocess, sys
out, addr, proto_dir = sys.argv[1], sys.argv[2], sys.argv[3]
cases = json.loads(sys.stdin.read())
from grpc_tools import protoc
if protoc.main(["protoc", "-I" + proto_dir, "--python_out=" + out, "--grpc_python_out=" + out,
                proto_dir + "/helloworld.proto"]) != 0:
    sys.exit("grpcio-tools could not compile helloworld.proto")
sys.path.insert(0, out)
import grpc, helloworld_pb2, helloworld_pb2_grpc
stub = helloworld_pb2_grpc.GreeterStub(grpc.insecure_channel(addr))
for case in cases:
    metadata = [tuple(pair) for pair in case["metadata"]]
    try:
        reply = stub.SayHello(helloworld_pb2.HelloRequest(name="python"), metadata=metadata, timeout=20)
        print(json.dumps({"case": case["name"], "code": "OK", "message": reply.message}))
    except grpc.RpcError as error:
        trailers = dict(error.trailing_metadata() or ())
        print(json.dumps({"case": case["name"], "code": error.code().name, "message": error.details(),
                          "www-authenticate": trailers.get("www-authenticate")}))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn python_grpcio_calls_the_server_with_and_without_tokens() {
    let python = common::python::python_with("grpc, grpc_tools");
    LazyLock::force(&SETTINGS);
    LazyLock::force(&MAIN);
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
    let addr = incoming.local_addr().expect("the bound address");
    let server = Server::builder().add_service(GreeterServer::new(Guarded));
    tokio::spawn(server.serve_with_incoming(incoming));

    let token = |scopes: &[&str]| {
        let token = conformance::token()
            .subject("alice")
            .scopes(scopes.iter().copied());
        format!("Bearer {}", token.sign())
    };
    let cases = serde_json::json!([
        {"name": "a valid token", "metadata": [["authorization", token(&["greet"])]]},
        {"name": "no token", "metadata": []},
        {"name": "no scope", "metadata": [["authorization", token(&[])]]},
        {"name": "malformed", "metadata": [["authorization", "Bearer a,b"]]},
    ]);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("grpcio");
    std::fs::create_dir_all(&out).expect("a directory for the generated Python");
    let proto = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/grpc");
    let run = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = std::process::Command::new(python)
            .args(["-c", PYTHON_CLIENT])
            .arg(&out)
            .arg(addr.to_string())
            .arg(proto)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python starts");
        let mut stdin = child.stdin.take().expect("python's stdin");
        stdin
            .write_all(cases.to_string().as_bytes())
            .expect("the cases");
        drop(stdin);
        child.wait_with_output().expect("python ends")
    });
    let output = common::bounded("the Python client", run)
        .await
        .expect("python task");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "python: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let expected = serde_json::json!([
        {"case": "a valid token", "code": "OK", "message": "hello python, from alice"},
        {"case": "no token", "code": "UNAUTHENTICATED", "message": "bearer token required",
         "www-authenticate": "Bearer"},
        {"case": "no scope", "code": "PERMISSION_DENIED", "message": "missing scope greet",
         "www-authenticate": "Bearer error=\"insufficient_scope\", scope=\"greet\""},
        {"case": "malformed", "code": "UNAUTHENTICATED",
         "message": "bearer token contains characters not allowed by RFC 6750",
         "www-authenticate": "Bearer error=\"invalid_request\", error_description=\"bearer token contains characters not allowed by RFC 6750\""},
    ]);
    assert_eq!(serde_json::Value::Array(answers), expected);
}
