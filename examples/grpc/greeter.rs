//! The messages of `helloworld.proto`, written by hand with prost's derive, and the services
//! `build.rs` generates around them (`greeter_server`, `greeter_client`, and the test suite's
//! `probe_server`, `probe_client`).
#![allow(dead_code, unreachable_pub, missing_docs, clippy::all)]

/// `helloworld.HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `helloworld.HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

include!(concat!(env!("OUT_DIR"), "/helloworld.Greeter.rs"));
include!(concat!(env!("OUT_DIR"), "/conformance.Probe.rs"));
