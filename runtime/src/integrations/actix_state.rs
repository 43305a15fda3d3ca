//! actix-web 4: [`Authenticated`] as a [`FromRequest`] extractor taking its [`Policy`] from the
//! application data: `App::new().app_data(web::Data::new(policy))` (or
//! `.app_data(policy)`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderValue;
use actix_web::{FromRequest, HttpRequest, web};

use super::actix::{authorization_values, hold_body};
use crate::authenticated::Authenticated;
use crate::guard::{ClaimsTarget, missing_policy};
use crate::policy::Policy;
use crate::reject::Rejection;

impl<C: ClaimsTarget> FromRequest for Authenticated<C> {
    type Error = Rejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Rejection>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let policy = req
            .app_data::<web::Data<Policy>>()
            .map(|data| Policy::clone(data))
            .or_else(|| req.app_data::<Policy>().cloned());
        let values = authorization_values(req);
        // As for `#[protected]`: the body waits until the request is accepted, so that the
        // extractors polled beside this one never read an unauthenticated body.
        let accepted = hold_body(payload);
        Box::pin(async move {
            let policy = policy.ok_or_else(|| missing_policy("actix-web app data"))?;
            let claims = policy
                .authorize(values.iter().map(HeaderValue::as_bytes))
                .await?;
            let _ = accepted.send(());
            Ok(Authenticated(claims))
        })
    }
}
