// The expansion of `tonic_method.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::protected;
use tonic::{Request, Response, Status};
struct Greeter;
#[tonic::async_trait]
trait Greet: Send + Sync + 'static {
    async fn say_hello(
        &self,
        request: Request<String>,
    ) -> Result<Response<String>, Status>;
}
#[tonic::async_trait]
impl Greet for Greeter {
    async fn say_hello(
        &self,
        request: Request<String>,
    ) -> Result<Response<String>, Status> {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct __say_hello_policy;
        impl ::jwks_guard::__private::StaticPolicy for __say_hello_policy {
            type Claims = ::jwks_guard::__private::Claims;
            fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
                static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
                    ::jwks_guard::__private::PolicySpec::new(
                            ::jwks_guard::__private::Values::List(
                                &["https://id.example.com/"],
                            ),
                        )
                        .audience(::jwks_guard::__private::Values::List(&["greeter"]))
                        .scopes(&["greet"]),
                );
                &CELL
            }
        }
        let mut request = request;
        if let ::core::result::Result::Err(__refusal) = ::jwks_guard::__private::authorize_method::<
            __say_hello_policy,
            _,
        >(&mut request)
            .await
        {
            return ::core::result::Result::Err(::core::convert::From::from(__refusal));
        }
        let claims = request.extensions().get::<jwks_guard::Claims>();
        let sub = claims.and_then(|claims| claims.sub.clone()).unwrap_or_default();
        Ok(Response::new(format!("hello {sub}, {}", request.get_ref())))
    }
}
impl Greeter {
    async fn inherent(
        &self,
        mut request: Request<String>,
    ) -> Result<Response<String>, Status> {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct __inherent_policy;
        impl ::jwks_guard::__private::StaticPolicy for __inherent_policy {
            type Claims = ::jwks_guard::__private::Claims;
            fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
                static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
                    ::jwks_guard::__private::PolicySpec::new(
                            ::jwks_guard::__private::Values::List(
                                &["https://id.example.com/"],
                            ),
                        )
                        .audience(::jwks_guard::__private::Values::List(&["greeter"])),
                );
                &CELL
            }
        }
        if let ::core::result::Result::Err(__refusal) = ::jwks_guard::__private::authorize_method::<
            __inherent_policy,
            _,
        >(&mut request)
            .await
        {
            return ::core::result::Result::Err(::core::convert::From::from(__refusal));
        }
        request.get_mut().push('!');
        Ok(Response::new(request.into_inner()))
    }
}
fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    let Ok(runtime) = runtime else { return };
    runtime
        .block_on(async {
            let refused = Greeter.say_hello(Request::new("x".into())).await;
            assert_eq!(
                refused.err().map(| s | s.code()), Some(tonic::Code::Unauthenticated)
            );
            let refused = Greeter.inherent(Request::new("x".into())).await;
            assert_eq!(
                refused.err().map(| s | s.code()), Some(tonic::Code::Unauthenticated)
            );
        });
}
