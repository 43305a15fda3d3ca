// tonic: `#[protected]` on a method of a service implementation. The policy type is declared
// in the body, the guard opens it, and the signature is the trait's. (Compiled by
// tests/macro-pass, where `#[tonic::async_trait]` runs first and the guard opens its `async`
// block.)
use jwks_guard::protected;
use tonic::{Request, Response, Status};

struct Greeter;

#[tonic::async_trait]
trait Greet: Send + Sync + 'static {
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status>;
}

#[tonic::async_trait]
impl Greet for Greeter {
    #[protected(issuer = "https://id.example.com/", audience = "greeter", scopes = ["greet"])]
    async fn say_hello(&self, request: Request<String>) -> Result<Response<String>, Status> {
        let claims = request.extensions().get::<jwks_guard::Claims>();
        let sub = claims
            .and_then(|claims| claims.sub.clone())
            .unwrap_or_default();
        Ok(Response::new(format!("hello {sub}, {}", request.get_ref())))
    }
}

impl Greeter {
    #[protected(issuer = "https://id.example.com/", audience = "greeter")]
    async fn inherent(&self, mut request: Request<String>) -> Result<Response<String>, Status> {
        request.get_mut().push('!');
        Ok(Response::new(request.into_inner()))
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else { return };
    runtime.block_on(async {
        let refused = Greeter.say_hello(Request::new("x".into())).await;
        assert_eq!(
            refused.err().map(|s| s.code()),
            Some(tonic::Code::Unauthenticated)
        );
        let refused = Greeter.inherent(Request::new("x".into())).await;
        assert_eq!(
            refused.err().map(|s| s.code()),
            Some(tonic::Code::Unauthenticated)
        );
    });
}
