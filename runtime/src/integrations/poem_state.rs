//! Poem 3: [`Authenticated`] as a [`FromRequest`] extractor taking its [`Policy`] from the
//! request's data: `get(handler.data(policy))`, or `.data(policy)` on a whole `Route`.

use poem::http::HeaderValue;
use poem::http::header::AUTHORIZATION;
use poem::{FromRequest, Request, RequestBody};

use crate::authenticated::Authenticated;
use crate::guard::{ClaimsTarget, missing_policy};
use crate::policy::Policy;

impl<'a, C: ClaimsTarget> FromRequest<'a> for Authenticated<C> {
    async fn from_request(request: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let policy = request
            .data::<Policy>()
            .ok_or_else(|| missing_policy("Poem request data"))?;
        let values = request
            .headers()
            .get_all(AUTHORIZATION)
            .iter()
            .map(HeaderValue::as_bytes);
        Ok(Authenticated(policy.authorize(values).await?))
    }
}
