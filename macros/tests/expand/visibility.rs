// `pub` and `pub(crate)` handlers keep their visibility, and so does the policy type; doc
// comments and other attributes stay on the handler.
use jwks_guard::{Claims, protected};

pub mod orders {
    use super::*;

    /// Lists the caller's orders.
    ///
    /// Any valid token for `orders-api`.
    #[protected(issuer = "https://id.example.com/", audience = "orders-api")]
    #[allow(clippy::unused_async)]
    pub async fn list(#[claims] claims: Claims) -> String {
        claims.sub.unwrap_or_default()
    }

    /// Deletes every order.
    #[protected(issuer = "https://id.example.com/", audience = "orders-api", scopes = ["orders:admin"])]
    #[deprecated = "use the batch API"]
    pub(crate) async fn purge() {}
}

#[allow(deprecated)]
fn main() {
    let _: axum::Router = axum::Router::new().route(
        "/orders",
        axum::routing::get(orders::list).delete(orders::purge),
    );
}
