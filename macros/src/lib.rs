//! The `#[protected]` attribute of [jwks-guard](https://docs.rs/jwks-guard).
//!
//! Use it through that crate, as `jwks_guard::protected`: the code it generates names items of
//! `jwks_guard`, and the two crates are released together.
//!
//! The attribute goes through three steps, each in its own module, all driven by one table of
//! keys (`keys.rs`): `attr.rs` parses the tokens into one entry per key (each value by
//! `value.rs`, one parser per kind of value), `valid.rs` checks the keys together, and
//! `expand.rs` writes the policy type and the rewritten handler (`handler.rs` checks the
//! function). `ast.rs` holds what is parsed; `diag.rs` the shared pieces of messages;
//! `openapi.rs` writes the guard into a `#[utoipa::path(...)]` below the attribute.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ast;
mod attr;
mod diag;
mod expand;
mod handler;
mod keys;
mod openapi;
mod valid;
mod value;

use proc_macro::TokenStream;

/// Protects an async handler with a JWT bearer token.
///
/// Every request must carry `Authorization: Bearer <token>`, where the token is signed by a key
/// of `issuer`'s JSON Web Key Set, issued by `issuer` for `audience`, not expired, and grants
/// everything the attribute requires. Otherwise it is answered 401 (no or bad token) or 403
/// (valid token, missing scope or claim), before any other extractor runs.
///
#[cfg_attr(not(doctest), doc = include_str!("examples/routes.md"))]
///
/// # Keys
///
/// | key | | value |
/// |---|---|---|
/// | `issuer` | required | `"https://id.example.com/"`, `["https://accounts.google.com", "accounts.google.com"]` (any one of them) or `env("VAR")`: the exact `iss`; each issuer's keys are discovered from it. A literal may be a template with `{tenantid}` (`"https://login.microsoftonline.com/{tenantid}/v2.0"`): the token's `tid` fills it in, and keys come from the provider's common discovery document |
/// | `tenants` | | with an issuer template: `["tenant-id", …]` or `env("VAR")`, the tenants accepted (all by default) |
/// | `audience` | required, unless `client_id` is given | `"orders-api"`, `["orders-api", "billing-api"]` (any one of them) or `env("VAR")` |
/// | `client_id` | | `"app-client-id"`, `[...]` or `env("VAR")`: the token's `client_id` claim must be one of them (Cognito access tokens carry `client_id` and no `aud`); with `audience` too, both must match |
/// | `jwks_uri` | | `"https://id.example.com/jwks.json"` or `env("VAR")`: the key set's URL, skipping discovery |
/// | `scopes` | | `["orders:read", "orders:write"]`: every one must be granted (`scope` or `scp`) |
/// | `claims(...)` | | required claims, see below |
/// | `algorithms` | | `["RS256", "ES256"]`: the allowed signature algorithms among `RS256` `RS384` `RS512` `PS256` `PS384` `PS512` `ES256` `ES384` `ES512` `EdDSA` (default: all of them) |
/// | `leeway` | | `30`: seconds of clock skew allowed on `exp` and `nbf` (default: `60`) |
/// | `typ` | | `"at+jwt"`: the token's required `typ` header |
/// | `openapi_scheme` | | `"corp"`: the security scheme the handler's `#[utoipa::path]` names (default: `"oidc"`); ASCII letters, digits, `.`, `_` and `-`. Only with a `#[utoipa::path(...)]` below `#[protected]` (see below) |
/// | `token_from` | | `["authorization", cookie("session"), header("x-forwarded-access-token")]`: where the token may come from (default: `["authorization"]`); a cookie's value is the token, a header's with or without `Bearer `; a token in more than one is 400 |
/// | `dpop` | | `"allowed"` (default), `"required"` or `"disabled"`: DPoP-bound tokens (RFC 9449, `cnf.jkt`). `"allowed"`: a token without `cnf.jkt` works as `Bearer`, a bound one only as `Authorization: DPoP <token>` with a valid `DPoP` proof (as `Bearer` it is refused); `"required"`: only bound tokens with a valid proof (no cookie or header in `token_from`); `"disabled"`: bearer tokens only, `cnf` ignored. Not an `env("VAR")` value |
/// | `crate` | | `"::my_crate::jwks_guard"`: where jwks-guard is, for a crate that re-exports it |
///
/// `env("VAR")` is read once, at the first request; if it is not set (or empty), the handler
/// answers 500 and one error naming the variable is logged through `tracing`, which shows only
/// with a subscriber installed (`tracing_subscriber::fmt::init();` at the top of `main`).
/// Symmetric (`HS256`, ...) and unsigned (`none`) algorithms are never
/// accepted.
///
/// `claims(...)` lists claims the token must carry, by name (an identifier, or a string for any
/// other name; `"realm_access.roles"` looks into nested objects):
/// - `claims(tenant)`: present, with any value;
/// - `claims(email_verified = true, tenant = "acme", level = -1)`: equal to a string, bool or
///   integer;
/// - `claims("realm_access.roles" = ["admin", "auditor"])`: an array containing every value.
///
/// # The handler
///
/// An `async fn` declared at module level (not in an `impl` block), or a gRPC method (below).
/// `#[claims]` marks the parameter that receives the verified claims: [`jwks_guard::Claims`] or
/// any `serde::de::DeserializeOwned + Send + 'static` type. Without one the handler is still
/// protected. As `Option<Claims>` (or `Option<C>`), the handler also serves requests without a
/// token, with `None`; a token that is present is checked as ever (a refused one is answered
/// 401 or 403, never served as anonymous).
///
/// The attribute adds a hidden `__<handler>_policy` type next to the handler and puts the
/// guard first among its parameters, so it runs before every other extractor: a request
/// without a valid token never has its body read. The return type is kept as written, and so
/// are the body's statements: the `#[claims]` parameter becomes one `let` before them.
///
/// # gRPC methods (tonic)
///
/// On a method of a tonic service implementation (jwks-guard's feature `tonic`), the attribute
/// takes the same keys and keeps the signature the trait gives:
/// `async fn say_hello(&self, request: tonic::Request<HelloRequest>) -> Result<tonic::Response<HelloReply>, tonic::Status>`,
/// with or without `#[tonic::async_trait]` on the impl (put `#[protected]` on the method). The
/// token is read from the `authorization` metadata; a refusal is returned as the method's
/// `tonic::Status` before its statements run, and on success the verified
/// [`jwks_guard::Claims`] are in `request.extensions()`.
/// `jwks_guard::integrations::tonic::claims(&request)` reads them as any `Deserialize` type
/// (a method has no spare parameter for `#[claims]`). The policy type is declared inside the
/// method's body. A method of another shape (no `…Request<…>` parameter, more than one, not
/// async) is refused with the shape to write.
///
/// # With other attributes
///
/// Attributes apply from the top down, each to what the ones above it produced. Put
/// `#[protected]` **below** the attributes that should see the handler as you wrote it, and
/// **above** those that should see the guard:
///
/// - the framework's route attribute (actix-web's and Rocket's `#[get]`, Poem's `#[handler]`)
///   and axum's `#[debug_handler]` go **below** `#[protected]`, so that they register and check
///   the rewritten handler, guard included. Above it, they see the handler as written, whose
///   `#[claims]` parameter is no extractor, and the build fails on that parameter's type
///   (`#[debug_handler]`: "the trait bound `Claims: FromRequest<(), …>` is not satisfied …
///   Function argument is not a valid axum extractor"). `#[protected]` cannot report this order
///   itself: an attribute macro does not see the attributes that ran before it;
/// - utoipa's `#[utoipa::path(...)]` goes **below** `#[protected]`, which writes into it what the
///   guard means for the operation: `security((<openapi_scheme> = [<scopes>]))` unless the
///   attribute has its own `security(...)` (with `dpop = "required"`, the requirement also
///   names `"<openapi_scheme>_dpop" = []`, the `DPoP` proof header), and the guard's answers (400, 401, 403 when scopes or
///   claims are required, 503, 500, with their `WWW-Authenticate` and `Retry-After` headers)
///   for the statuses its `responses(...)` does not document. Above `#[protected]`, utoipa
///   documents the handler without the guard, and `#[protected]` cannot tell: with
///   `openapi_scheme` given, the missing `#[utoipa::path]` below is an error; without it, the
///   operation is documented without security. Only `utoipa::path` (or a path ending in it) is
///   recognised: a bare `#[path]` is Rust's built-in attribute, and a renamed import is left
///   alone;
/// - `#[tracing::instrument]` goes **above** `#[protected]`, so that it sees your parameters
///   (`skip(claims)`, `fields(sub = claims.sub)`). Below it, it still compiles, but it sees the
///   guard instead of your `#[claims]` parameter and records it as `__guard`.
///
#[cfg_attr(not(doctest), doc = include_str!("examples/beside_other_attributes.md"))]
///
/// [`jwks_guard::Claims`]: https://docs.rs/jwks-guard/latest/jwks_guard/struct.Claims.html
#[proc_macro_attribute]
pub fn protected(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::protected(attr.into(), item.into()).into()
}
