//! Rocket 0.5: [`Authenticated`] as a request guard taking its [`Policy`] from managed state:
//! `rocket::build().manage(policy)`. Attach [`Guard`](super::rocket::Guard) for the complete
//! answer to a refusal, as with `#[protected]`.

use rocket::request::{FromRequest, Outcome, Request};

use super::rocket::Refused;
use crate::authenticated::Authenticated;
use crate::guard::{ClaimsTarget, missing_policy};
use crate::policy::Policy;
use crate::reject::Rejection;

/// The verified claims as a Rocket request guard, the policy taken from managed state
/// (`rocket::build().manage(policy)`); a refused request fails the route with the refusal's
/// status, and the [`Guard`](super::rocket::Guard) fairing completes the catcher's answer.
///
/// As `Option<Authenticated<C>>`, the guard never fails: Rocket turns every refusal into
/// `None` and runs the handler, so `None` means the request carried no token **or** one the
/// policy refused (a bad signature, an expired token, a missing scope, keys that could not be
/// fetched). `Result<Authenticated<C>, Rejection>` hands the handler the [`Rejection`] instead.
/// Either way the handler's answer is sent as it is, except that an answer with the refusal's
/// own status (a 401 to a request without a valid token) gets the refusal's headers and body
/// from the fairing, which cannot tell it from the catcher's. Take `Authenticated<C>` itself
/// where a refused token must stop the request.
#[rocket::async_trait]
impl<'r, C: ClaimsTarget> FromRequest<'r> for Authenticated<C> {
    type Error = Rejection;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Rejection> {
        let outcome = match request.rocket().state::<Policy>() {
            Some(policy) => {
                let values = request.headers().get("Authorization").map(str::as_bytes);
                policy.authorize(values).await
            }
            None => Err(missing_policy("Rocket managed state")),
        };
        match outcome {
            Ok(claims) => Outcome::Success(Authenticated(claims)),
            Err(rejection) => Outcome::Error((Refused::record(request, &rejection), rejection)),
        }
    }
}
