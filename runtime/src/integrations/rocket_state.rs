//! Rocket 0.5: [`Authenticated`] as a request guard taking its [`Policy`] from managed state:
//! `rocket::build().manage(policy)`. Attach [`Guard`](super::rocket::Guard) for the complete
//! answer to a refusal, as with `#[protected]`.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use super::rocket::Refused;
use crate::authenticated::Authenticated;
use crate::guard::{ClaimsTarget, missing_policy};
use crate::policy::Policy;
use crate::reject::Rejection;

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
            Err(rejection) => {
                let response = rejection.response();
                let status = Status::new(response.status());
                request.local_cache(|| Refused(Some(response)));
                Outcome::Error((status, rejection))
            }
        }
    }
}
