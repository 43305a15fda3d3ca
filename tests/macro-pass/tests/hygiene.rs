// The expansion leans on nothing of the caller's: not its prelude, not its imports, not the
// names it declares, and it triggers no lint.
#![deny(warnings, unused_qualifications)]
#![allow(dead_code)]

mod core {}
mod std {}
mod jwks_guard {}
struct Result;
struct Option;
struct Some;
struct None;
struct PolicyCell;
struct PolicySpec;
trait StaticPolicy {}
static CELL: u8 = 0;

#[no_implicit_prelude]
mod handlers {
    #[::jwks_guard::protected(
        issuer = "https://id.example.com/",
        audience = ["orders-api", "billing-api"],
        jwks_uri = "https://id.example.com/keys",
        scopes = ["orders:read"],
        claims(tenant, level = -1, verified = true, roles = ["admin", "auditor"]),
        algorithms = ["RS256", "EdDSA"],
        leeway = 5,
        typ = "at+jwt",
    )]
    pub async fn with_claims(#[claims] claims: ::jwks_guard::Claims) -> ::std::string::String {
        claims.iss
    }

    #[::jwks_guard::protected(issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE"))]
    pub async fn without_claims() -> &'static str {
        "ok"
    }

    /// A gRPC method: the policy type and the guard go into its body.
    pub struct Greeter;

    impl Greeter {
        #[::jwks_guard::protected(issuer = "https://id.example.com/", audience = "greeter")]
        pub async fn say_hello(
            &self,
            request: ::tonic::Request<::std::string::String>,
        ) -> ::core::result::Result<::tonic::Response<::std::string::String>, ::tonic::Status>
        {
            ::core::result::Result::Ok(::tonic::Response::new(request.into_inner()))
        }
    }
}

fn main() {
    let _: ::axum::Router = ::axum::Router::new()
        .route("/a", ::axum::routing::get(handlers::with_claims))
        .route("/b", ::axum::routing::get(handlers::without_claims));
}
