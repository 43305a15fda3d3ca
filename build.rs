//! Writes the gRPC services of `examples/tonic.rs` and `tests/tonic.rs` into `OUT_DIR` with
//! tonic-build's manual builder, which needs no `protoc`: `helloworld.Greeter` (as in
//! `examples/grpc/helloworld.proto`) and the test suite's `conformance.Probe`, one method per
//! route of the response table. The messages are in `examples/grpc/greeter.rs`.

use tonic_build::manual::{Builder, Method, Service};

/// A unary method taking a `HelloRequest` and answering a `HelloReply`.
fn unary(name: &str, route: &str) -> Method {
    Method::builder()
        .name(name)
        .route_name(route)
        .input_type("super::HelloRequest")
        .output_type("super::HelloReply")
        .codec_path("tonic_prost::ProstCodec")
        .build()
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let greeter = Service::builder()
        .name("Greeter")
        .package("helloworld")
        .method(unary("say_hello", "SayHello"))
        .build();
    let mut probe = Service::builder().name("Probe").package("conformance");
    for (name, route) in [
        ("whoami", "Whoami"),
        ("profile", "Profile"),
        ("orders", "Orders"),
        ("typed", "Typed"),
        ("tenant", "Tenant"),
        ("misconfigured", "Misconfigured"),
        ("empty_env", "EmptyEnv"),
        ("down", "Down"),
        ("garbage", "Garbage"),
        ("liar", "Liar"),
        ("first_requests", "FirstRequests"),
        ("open", "Open"),
    ] {
        probe = probe.method(unary(name, route));
    }
    Builder::new().compile(&[greeter, probe.build()]);
}
