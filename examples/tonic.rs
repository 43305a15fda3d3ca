//! gRPC with tonic: `helloworld.Greeter` (`examples/grpc/helloworld.proto`) in front of the
//! provider named by `OIDC_ISSUER`.
//!
//! ```text
//! cargo run --example tonic                 # serve on 127.0.0.1:50051, print a grpcurl to try
//! cargo run --example tonic -- --self-test  # a free port, check four calls, exit
//! ```
//!
//! `SayHello` needs a token for `OIDC_AUDIENCE` granting `orders:read` in the `authorization`
//! metadata; the reply greets its subject. A refused call gets `UNAUTHENTICATED` or
//! `PERMISSION_DENIED`, the reason as message and the challenge in `www-authenticate`. With
//! neither variable set, a `TestIssuer` (`jwks-guard-test`) stands in for the demo issuer
//! `https://id.example.com/` on 127.0.0.1 and mints the tokens to try.
//!
//! `#[protected]` goes on the method, below `#[tonic::async_trait]` on the impl; the service
//! code comes from `build.rs` (tonic-build's manual builder, no `protoc` needed).

use std::net::SocketAddr;
use std::process::ExitCode;

use jwks_guard::{Claims, protected};
use jwks_guard_test::TestIssuer;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Response, Status};

#[path = "grpc/greeter.rs"]
mod greeter;
mod support;

use greeter::greeter_client::GreeterClient;
use greeter::greeter_server::{Greeter, GreeterServer};
use greeter::{HelloReply, HelloRequest};

struct Hello;

#[tonic::async_trait]
impl Greeter for Hello {
    /// A valid token for the configured audience that grants `orders:read`.
    #[protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"), scopes = ["orders:read"])]
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let claims = request.extensions().get::<Claims>();
        let sub = claims
            .and_then(|claims| claims.sub.as_deref())
            .unwrap_or("?");
        Ok(Response::new(HelloReply {
            message: format!("hello {}, from {sub}", request.get_ref().name),
        }))
    }
}

fn main() -> ExitCode {
    // Sets OIDC_ISSUER / OIDC_AUDIENCE, so it runs before any thread starts.
    let Some((config, self_test)) = support::start() else {
        return ExitCode::FAILURE;
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| runtime.block_on(run(&config, self_test)));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("tonic example failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    config: &support::Config,
    self_test: bool,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let issuer = support::demo_issuer(config)?;
    let port = if self_test { 0 } else { 50051 };
    let incoming = TcpIncoming::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
    let addr = incoming.local_addr()?;
    println!("gRPC at {addr}");
    let server = Server::builder()
        .add_service(GreeterServer::new(Hello))
        .serve_with_incoming_shutdown(incoming, async {
            let _ = tokio::signal::ctrl_c().await;
        });
    match (&issuer, self_test) {
        (Some(issuer), true) => {
            tokio::spawn(server);
            return Ok(self_test_against(issuer, addr).await);
        }
        (Some(issuer), false) => {
            let token = issuer
                .token()
                .audience(support::DEMO_AUDIENCE)
                .subject("alice")
                .scopes(["orders:read"])
                .sign();
            println!("Try (the token is valid for one hour):");
            println!(
                "  grpcurl -plaintext -proto examples/grpc/helloworld.proto \
                 -H 'authorization: Bearer {token}' -d '{{\"name\": \"you\"}}' \
                 {addr} helloworld.Greeter/SayHello"
            );
        }
        (None, _) => println!(
            "Try: grpcurl -plaintext -proto examples/grpc/helloworld.proto \
             -H \"authorization: Bearer $ACCESS_TOKEN\" {addr} helloworld.Greeter/SayHello"
        ),
    }
    println!("Serving until Ctrl-C.");
    server.await?;
    Ok(ExitCode::SUCCESS)
}

/// Four calls, each checked: a valid token, none, one without the scope, an expired one.
async fn self_test_against(issuer: &TestIssuer, addr: SocketAddr) -> ExitCode {
    let channel = match Channel::from_shared(format!("http://{addr}")) {
        Ok(endpoint) => endpoint.connect().await,
        Err(error) => {
            eprintln!("self-test: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut client = match channel {
        Ok(channel) => GreeterClient::new(channel),
        Err(error) => {
            eprintln!("self-test: cannot connect: {error}");
            return ExitCode::FAILURE;
        }
    };
    let token = || {
        issuer
            .token()
            .audience(support::DEMO_AUDIENCE)
            .subject("alice")
    };
    let cases = [
        (
            "a valid token",
            Some(token().scopes(["orders:read"]).sign()),
            Code::Ok,
        ),
        ("no token", None, Code::Unauthenticated),
        (
            "no orders:read",
            Some(token().sign()),
            Code::PermissionDenied,
        ),
        (
            "an expired token",
            Some(token().scopes(["orders:read"]).expired().sign()),
            Code::Unauthenticated,
        ),
    ];
    let mut failed = 0;
    for (case, token, expected) in cases {
        let mut request = Request::new(HelloRequest {
            name: "self-test".into(),
        });
        if let Some(token) = token {
            match MetadataValue::try_from(format!("Bearer {token}")) {
                Ok(value) => {
                    request.metadata_mut().insert("authorization", value);
                }
                Err(error) => {
                    eprintln!("self-test: {case}: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        let (code, text) = match client.say_hello(request).await {
            Ok(reply) => (Code::Ok, reply.into_inner().message),
            Err(status) => (status.code(), status.message().to_owned()),
        };
        let ok = code == expected;
        println!(
            "{} {case}: {code:?} {text}",
            if ok { "ok  " } else { "FAIL" }
        );
        failed += usize::from(!ok);
    }
    if failed == 0 {
        println!("self-test passed");
        ExitCode::SUCCESS
    } else {
        println!("self-test: {failed} call(s) failed");
        ExitCode::FAILURE
    }
}
