//! The framework-neutral guard: a request's headers + a policy → claims, for the
//! `#[protected]` expansion ([`Protected`], the policy as a type) and without the attribute
//! ([`Authenticated`], the policy in the framework's state). Each framework's extractors live
//! in its module under [`integrations`](crate::integrations).

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::de::DeserializeOwned;

use crate::checks::Binding;
use crate::claims::{Claims, ClaimsError};
use crate::credentials::{ProofCheckedUpstream, RequestHeaders, presented};
use crate::dpop_request;
use crate::dpop_state::Dpop;
use crate::policy::{Policy, PolicyCell};
use crate::reject::{Rejection, RejectionKind};
use crate::verify::{AcceptedClaims, verify};

/// A handler's policy as a type. Not public API: the `#[protected]` expansion implements it
/// for one hidden type per handler.
pub trait StaticPolicy: 'static {
    /// The type the handler receives its claims as ([`NoClaims`] without a `#[claims]`
    /// parameter).
    type Claims: ClaimsTarget;
    /// The handler's policy.
    fn cell() -> &'static PolicyCell;
}

/// A type a handler can receive its verified claims as: [`Claims`](crate::Claims), or any
/// `serde::de::DeserializeOwned + Send + 'static` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive verified claims",
    label = "the `#[claims]` parameter's type must be deserialisable",
    note = "use `jwks_guard::Claims`, or add `#[derive(serde::Deserialize)]` to `{Self}`"
)]
pub trait ClaimsTarget: Sized + Send + 'static {
    /// Builds the value from the token's verified claims. Not public API.
    ///
    /// # Errors
    /// The claims do not fit the type.
    #[doc(hidden)]
    fn from_verified(claims: ClaimsSource<'_>) -> Result<Self, serde_json::Error>;
}

/// A verified token's claims, as read once by the checks. Not public API.
#[doc(hidden)]
pub struct ClaimsSource<'a>(AcceptedClaims<'a>);

impl<T: DeserializeOwned + Send + 'static> ClaimsTarget for T {
    /// [`Claims`] is built from the claims as the checks read them, sharing the decoded
    /// payload; any other type is deserialised from the payload in one pass.
    fn from_verified(ClaimsSource(verified): ClaimsSource<'_>) -> Result<Self, serde_json::Error> {
        if TypeId::of::<T>() == TypeId::of::<Claims>() {
            let mut claims = Some(Claims::from_verified(verified.claims, verified.registered));
            if let Some(Some(Ok(claims))) = (&mut claims as &mut dyn Any)
                .downcast_mut::<Option<Result<T, ClaimsError>>>()
                .map(Option::take)
            {
                return Ok(claims);
            }
        }
        T::deserialize(&**verified.claims)
    }
}

/// The claims type of a handler without a `#[claims]` parameter: verification happens, nothing
/// is deserialised. Not public API.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoClaims;

impl ClaimsTarget for NoClaims {
    fn from_verified(_: ClaimsSource<'_>) -> Result<Self, serde_json::Error> {
        Ok(NoClaims)
    }
}

/// The extractor the `#[protected]` expansion puts first in a handler's parameters: the verified
/// claims, for the policy `P`. Not public API.
pub struct Protected<P: StaticPolicy>(pub P::Claims, pub PhantomData<fn() -> P>);

impl<P: StaticPolicy> std::fmt::Debug for Protected<P>
where
    P::Claims: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Protected").field(&self.0).finish()
    }
}

impl<P: StaticPolicy> Protected<P> {
    /// The verified claims, as the handler's `#[claims]` parameter receives them.
    pub fn into_claims(self) -> P::Claims {
        self.0
    }

    /// Checks a request, through its headers, against the policy `P`: the entry point each
    /// framework adapter calls for `#[protected]` handlers. The policy is resolved at the first
    /// call and then checked by [`authorize`], as a [`Policy`](crate::Policy) built by hand is.
    ///
    /// All that is particular to `P` is the [`Guarding`] around the work, which is done by a
    /// future generic in the claims type and the header map alone, shared by every handler with
    /// the same claims type (so each `#[protected]` handler adds little to its crate's build).
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub fn authorize<H: RequestHeaders + ?Sized>(
        headers: &H,
    ) -> Guarding<impl Future<Output = Result<P::Claims, Rejection>>, Self> {
        Guarding::new(authorize_required::<P::Claims, H>(P::cell(), headers))
    }
}

impl<P: StaticPolicy> Guard for Protected<P> {
    type Outcome = P::Claims;

    fn wrap(claims: P::Claims) -> Self {
        Protected(claims, PhantomData)
    }
}

/// A guard type that holds what the shared verification future yields. Not public API.
pub trait Guard {
    /// What the shared verification future yields when it accepts the request.
    type Outcome;

    /// The guard holding it.
    fn wrap(outcome: Self::Outcome) -> Self;
}

pin_project_lite::pin_project! {
    /// The future of [`Protected::authorize`] and [`OptionalProtected::authorize`]: the shared
    /// verification future `F` (one per claims type and header map, whatever the policy), its
    /// outcome wrapped into the guard `G` when it completes. A plain struct rather than a
    /// combinator, so that each `#[protected]` handler adds one small `poll` to its crate's
    /// build. Not public API.
    pub struct Guarding<F, G> {
        #[pin]
        shared: F,
        guard: PhantomData<fn() -> G>,
    }
}

impl<F, G> Guarding<F, G> {
    fn new(shared: F) -> Self {
        Guarding {
            shared,
            guard: PhantomData,
        }
    }
}

impl<F, G> Future for Guarding<F, G>
where
    F: Future<Output = Result<G::Outcome, Rejection>>,
    G: Guard,
{
    type Output = Result<G, Rejection>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().shared.poll(cx) {
            Poll::Ready(Ok(outcome)) => Poll::Ready(Ok(G::wrap(outcome))),
            Poll::Ready(Err(rejection)) => Poll::Ready(Err(rejection)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The request a `#[protected]` method takes (`&self`, then one `tonic::Request<…>`): where the
/// guard reads the token, puts the verified [`Claims`] and finds what a refusal becomes.
/// Implemented for `tonic::Request<T>` by the feature `tonic`. Not public API.
#[diagnostic::on_unimplemented(
    message = "`#[protected]` on a method needs a `tonic::Request<…>` parameter and jwks-guard's feature `tonic`",
    label = "`{Self}` is not a `tonic::Request<…>` the guard can read",
    note = "enable the feature in Cargo.toml: jwks-guard = {{ version = \"0.1\", features = [\"tonic\"] }}"
)]
pub trait MethodRequest: Send {
    /// What the method returns as its error on a refusal (`tonic::Status`).
    type Refusal;

    /// Checks the request's token against `P`'s policy and puts the verified [`Claims`] in its
    /// extensions, or gives the refusal to return.
    fn authorize<P: StaticPolicy<Claims = Claims>>(
        &mut self,
    ) -> impl Future<Output = Result<(), Self::Refusal>> + Send + '_;
}

/// The call the `#[protected]` expansion puts first in a method's body. Not public API.
///
/// # Errors
/// The refusal the method returns instead of running.
pub fn authorize_method<P: StaticPolicy<Claims = Claims>, R: MethodRequest>(
    request: &mut R,
) -> impl Future<Output = Result<(), R::Refusal>> + Send + '_ {
    request.authorize::<P>()
}

/// The guard the `#[protected]` expansion puts first in a handler whose `#[claims]` parameter is
/// an `Option`: `None` when no source of the policy carries a token, the verified claims when
/// one does, and the usual refusal when that token is refused. Not public API.
pub struct OptionalProtected<P: StaticPolicy>(pub Option<P::Claims>, pub PhantomData<fn() -> P>);

impl<P: StaticPolicy> std::fmt::Debug for OptionalProtected<P>
where
    P::Claims: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OptionalProtected").field(&self.0).finish()
    }
}

impl<P: StaticPolicy> OptionalProtected<P> {
    /// The verified claims, or `None` for a request without a token.
    pub fn into_claims(self) -> Option<P::Claims> {
        self.0
    }

    /// As [`Protected::authorize`], except that a request in which no source of the policy
    /// carries a token is accepted as `None`; a token that is present is checked as ever.
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub fn authorize<H: RequestHeaders + ?Sized>(
        headers: &H,
    ) -> Guarding<impl Future<Output = Result<Option<P::Claims>, Rejection>>, Self> {
        Guarding::new(authorize_with_cell::<P::Claims, H>(
            P::cell(),
            headers,
            Anonymous::Allowed,
        ))
    }
}

impl<P: StaticPolicy> Guard for OptionalProtected<P> {
    type Outcome = Option<P::Claims>;

    fn wrap(claims: Option<P::Claims>) -> Self {
        OptionalProtected(claims, PhantomData)
    }
}

/// Whether [`check_marking`] makes the mark of the proof it checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    No,
    Yes,
}

/// Whether a request without a token is accepted (as `None`) or refused with 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anonymous {
    Refused,
    Allowed,
}

/// The `#[protected]` path: the policy `cell` holds, resolved at its first use (a configuration
/// error is logged and answered like any refusal), then [`authorize`].
pub(crate) async fn authorize_with_cell<C: ClaimsTarget, H: RequestHeaders + ?Sized>(
    cell: &'static PolicyCell,
    headers: &H,
    anonymous: Anonymous,
) -> Result<Option<C>, Rejection> {
    let policy = cell
        .policy()
        .inspect_err(|rejection| rejected(rejection, &cell.spec().issuer))?;
    check::<C, H>(policy, headers, anonymous).await
}

/// [`authorize_with_cell`] refusing a request without a token.
pub(crate) async fn authorize_required<C: ClaimsTarget, H: RequestHeaders + ?Sized>(
    cell: &'static PolicyCell,
    headers: &H,
) -> Result<C, Rejection> {
    required(authorize_with_cell::<C, H>(cell, headers, Anonymous::Refused).await?)
}

/// The claims of a check that refuses anonymous requests (which never yields `None`).
pub(crate) fn required<C>(claims: Option<C>) -> Result<C, Rejection> {
    claims.ok_or_else(|| Rejection::missing_credentials("bearer token required"))
}

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
#[cfg_attr(
    feature = "rocket",
    doc = "| Rocket | managed state | `rocket::build().manage(policy).attach(Guard)` (see [`Guard`](crate::integrations::rocket::Guard)) |"
)]
#[cfg_attr(
    not(feature = "rocket"),
    doc = "| Rocket | managed state | `rocket::build().manage(policy).attach(Guard)` (see `integrations::rocket::Guard`, feature `rocket`) |"
)]
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

/// An extractor for handlers that also serve anonymous requests: `None` when no token source
/// of the [`Policy`](crate::Policy) in the application's state carries a token, the verified
/// claims when one does. A token that is present is checked as [`Authenticated`] checks it: an
/// invalid, expired or under-scoped token is refused with its 401 or 403 (a client with a
/// stale token learns it must refresh), malformed credentials with their 400; never silently
/// anonymous.
///
/// It finds the policy where [`Authenticated`] does. On axum, `Option<Authenticated<C>>` means
/// the same (axum lets the extractor decide what `Option` means); actix-web's, Poem's and
/// Rocket's own `Option<T>` turn every refusal into `None`, so take `MaybeAuthenticated<C>`
/// there.
///
/// ```no_run
/// use jwks_guard::{Claims, MaybeAuthenticated};
///
/// async fn catalogue(MaybeAuthenticated(claims): MaybeAuthenticated<Claims>) -> String {
///     match claims {
///         Some(claims) => format!("prices for {}", claims.sub.unwrap_or_default()),
///         None => "public prices".to_owned(),
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MaybeAuthenticated<C = Claims>(pub Option<C>);

impl<C> MaybeAuthenticated<C> {
    /// The verified claims, or `None` for a request without a token.
    pub fn into_inner(self) -> Option<C> {
        self.0
    }
}

impl Policy {
    /// Checks a request, through its headers (read from the policy's
    /// [`token_from`](Policy::token_from) sources), against this policy and builds the verified
    /// claims as `C` ([`Claims`](crate::Claims), or any
    /// `serde::de::DeserializeOwned + Send + 'static` type): what every framework adapter
    /// calls, exposed for frameworks without one (implement
    /// [`RequestHeaders`] for their header map, or pass `(name, value)` pairs).
    ///
    /// ```no_run
    /// # async fn run(policy: jwks_guard::Policy, headers: http::HeaderMap) {
    /// use jwks_guard::Claims;
    ///
    /// match policy.authorize::<Claims>(&headers).await {
    ///     Ok(claims) => println!("hello {:?}", claims.sub),
    ///     Err(rejection) => println!("{} {}", rejection.status(), rejection.body()),
    /// }
    /// # }
    /// ```
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub async fn authorize<C: ClaimsTarget>(
        &self,
        headers: &(impl RequestHeaders + ?Sized),
    ) -> Result<C, Rejection> {
        required(check(self, headers, Anonymous::Refused).await?)
    }

    /// As [`authorize`](Self::authorize), for routes that also serve anonymous requests:
    /// `None` when no token source of the policy carries a token; a token that is present is
    /// checked as ever (refused with its 401 or 403, never taken as anonymous), and malformed
    /// credentials are 400.
    ///
    /// # Errors
    /// The [`Rejection`] to answer the request with.
    pub async fn authorize_optional<C: ClaimsTarget>(
        &self,
        headers: &(impl RequestHeaders + ?Sized),
    ) -> Result<Option<C>, Rejection> {
        check(self, headers, Anonymous::Allowed).await
    }
}

/// Checks a request's headers against `policy`, and builds the claims as `C`: the one path
/// every request takes, with the macro's policy or one built by hand. `None` only for a
/// request without a token when `anonymous` allows it.
pub(crate) async fn check<C: ClaimsTarget, H: RequestHeaders + ?Sized>(
    policy: &Policy,
    headers: &H,
    anonymous: Anonymous,
) -> Result<Option<C>, Rejection> {
    check_marking(policy, headers, anonymous, Mark::No)
        .await
        .map(|(claims, _)| claims)
}

/// As [`check`], with the mark of the DPoP proof it checked, which a layer puts in the
/// request's extensions for the guards behind it.
pub(crate) async fn check_marking<C: ClaimsTarget, H: RequestHeaders + ?Sized>(
    policy: &Policy,
    headers: &H,
    anonymous: Anonymous,
    mark: Mark,
) -> Result<(Option<C>, Option<ProofCheckedUpstream>), Rejection> {
    let mut scheme = None;
    let outcome = async {
        let accept_dpop = policy.dpop() != Dpop::Disabled;
        let presented = match presented(&policy.rules().token_from, headers, accept_dpop) {
            Err(rejection)
                if anonymous == Anonymous::Allowed
                    && rejection.kind() == RejectionKind::MissingCredentials =>
            {
                return Ok((None, None));
            }
            presented => presented?,
        };
        scheme = Some(presented.scheme);
        let proof = dpop_request::admit(policy, headers, presented)?;
        let binding = Binding {
            scheme: presented.scheme,
            proof_jkt: proof.as_ref().map(dpop_request::Proof::jkt),
        };
        let claims = verify(policy, presented.token, binding, |verified| {
            C::from_verified(ClaimsSource(verified)).map_err(|error| {
                // serde's message may quote the token's own text (an unknown variant or field).
                tracing::debug!(
                    error = %crate::keys::loggable(&error.to_string(), crate::keys::TEXT_CHARS),
                    "claims do not fit the handler's claims type"
                );
                Rejection::invalid_token(claims_mismatch(&error))
            })
        })
        .await?;
        if let Some(proof) = &proof {
            dpop_request::check_replay(proof).await?;
        }
        // A digest of the token: only for a layer, which has guards behind it.
        let mark = proof
            .filter(|_| mark == Mark::Yes)
            .map(|proof| proof.mark(presented.token));
        Ok((Some(claims), mark))
    }
    .await
    .map_err(|rejection| {
        let checkable = headers.method().is_some() && headers.target().is_some();
        dpop_request::challenge(rejection, policy, scheme, checkable)
    });
    if let Err(rejection) = &outcome {
        rejected(rejection, &IssuerNames(policy));
    }
    outcome
}

/// The `error_description` when a verified token's claims do not fit the handler's claims
/// type. A missing field is named (the name comes from the handler's type, never from the
/// token); anything else serde reports may quote the token's own text, so it is only logged.
pub(crate) fn claims_mismatch(error: &serde_json::Error) -> String {
    const MISMATCH: &str = "token claims do not match the expected claims type";
    let message = error.to_string();
    let field = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(field, _)| field)
        // RFC 6750 §3: `error_description` holds no `"` nor `\`; field names are short.
        .filter(|field| {
            field.len() <= 64
                && field
                    .bytes()
                    .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
        });
    match field {
        Some(field) => format!("{MISMATCH}: missing field {field}"),
        None => MISMATCH.to_owned(),
    }
}

/// The answer when an adapter finds no [`Policy`] where the application should have put one
/// (`where_` names the place, e.g. "actix-web app data"): logged, counted, 500.
#[cfg_attr(
    not(any(feature = "actix-web", feature = "rocket", feature = "poem")),
    allow(dead_code)
)]
pub(crate) fn missing_policy(where_: &'static str) -> Rejection {
    tracing::error!(
        place = where_,
        "`Authenticated` found no jwks_guard::Policy in the application's state; answering 500"
    );
    let rejection = Rejection::misconfigured();
    crate::stats::count_rejection(rejection.kind());
    rejection
}

/// Counts a rejection and logs it at debug level, naming the policy's issuers.
fn rejected(rejection: &Rejection, issuer: &dyn std::fmt::Debug) {
    crate::stats::count_rejection(rejection.kind());
    tracing::debug!(
        issuer = ?issuer,
        status = rejection.status(),
        reason = rejection.description(),
        "request rejected"
    );
}

/// A policy's issuers, listed only when a log line is written.
struct IssuerNames<'a>(&'a Policy);

impl std::fmt::Debug for IssuerNames<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.issuers()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Profile {
        email: String,
        level: u8,
    }

    fn mismatch(json: &str) -> String {
        match serde_json::from_str::<Profile>(json) {
            Ok(profile) => format!("fits: {profile:?}"),
            Err(error) => claims_mismatch(&error),
        }
    }

    #[test]
    fn a_missing_field_is_named_and_nothing_of_the_token_is_quoted() {
        assert_eq!(
            mismatch(r#"{"level": 1}"#),
            "token claims do not match the expected claims type: missing field email"
        );
        // The token's own text (a value of the wrong type) is never repeated.
        let wrong_type = mismatch(r#"{"email": "x", "level": "secret-value"}"#);
        assert_eq!(
            wrong_type,
            "token claims do not match the expected claims type"
        );
    }
}
