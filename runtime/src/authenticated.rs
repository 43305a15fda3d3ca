//! [`Authenticated`]: a handler's verified claims, checked against the [`Policy`] its framework
//! holds in its state, without the attribute.
//!
//! [`Policy`]: crate::Policy

use crate::claims::Claims;

/// An extractor: the request's verified claims, checked against the [`Policy`](crate::Policy)
/// the application's state holds. The path without `#[protected]`: build the policy at start-up
/// with [`Policy::builder`](crate::Policy::builder), put it in the state, and take
/// `Authenticated<C>` as a handler parameter; a refused request is answered with its
/// [`Rejection`](crate::Rejection) (the same statuses, challenges and bodies as
/// `#[protected]`), and the handler does not run.
///
/// `C` is [`Claims`] by default, or any `serde::de::DeserializeOwned + Send + 'static` type.
///
/// Where each framework finds the policy:
///
/// | framework | the policy in | |
/// |---|---|---|
/// | axum | the router's state: `Policy: FromRef<S>` | the policy itself (`.with_state(policy)`), or a field of your state with `#[derive(FromRef)]` |
/// | actix-web | application data | `App::new().app_data(web::Data::new(policy))` (or `.app_data(policy)`) |
/// | Rocket | managed state | `rocket::build().manage(policy).attach(Guard)` (see [`Guard`](crate::integrations::rocket::Guard)) |
/// | Poem | request data | `get(handler.data(policy))`, or `.data(policy)` on a `Route` |
///
/// Where axum checks at compile time that the state holds a policy, the others look for it at
/// each request: a policy missing there is logged and answered 500. The extractor reads
/// headers only, so it answers an unauthenticated request before any body extractor runs (on
/// actix-web, it holds the body back until it has accepted the request, as `#[protected]`
/// does).
///
/// ```no_run
/// use axum::extract::FromRef;
/// use axum::{Router, routing::get};
/// use jwks_guard::{Authenticated, Claims, Policy};
///
/// #[derive(Clone)]
/// struct AppState {
///     policy: Policy,
///     greeting: String,
/// }
///
/// // What axum's `#[derive(FromRef)]` (feature `macros`) writes.
/// impl FromRef<AppState> for Policy {
///     fn from_ref(state: &AppState) -> Policy {
///         state.policy.clone()
///     }
/// }
///
/// async fn me(Authenticated(claims): Authenticated<Claims>) -> String {
///     claims.sub.unwrap_or_default()
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = Policy::builder()
///     .issuer("https://id.example.com/")
///     .audience("orders-api")
///     .scopes(["orders:read"])
///     .build()?;
/// let app = Router::new()
///     .route("/me", get(me))
///     .with_state(AppState { policy, greeting: "hello".to_owned() });
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// axum::serve(listener, app).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Authenticated<C = Claims>(pub C);

impl<C> Authenticated<C> {
    /// The verified claims.
    pub fn into_inner(self) -> C {
        self.0
    }
}
