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
/// With axum (feature `axum`), the state is anything the [`Policy`](crate::Policy) can be
/// taken from (`Policy: FromRef<S>`): the policy itself, or a field of your state with
/// `#[derive(FromRef)]`. The extractor reads headers only, so it answers an unauthenticated
/// request before any body extractor runs.
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
