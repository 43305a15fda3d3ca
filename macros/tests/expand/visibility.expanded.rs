// The expansion of `visibility.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use jwks_guard::{Claims, protected};
pub mod orders {
    use super::*;
    #[doc(hidden)]
    #[allow(non_camel_case_types)]
    pub struct __list_policy;
    impl ::jwks_guard::__private::StaticPolicy for __list_policy {
        type Claims = Claims;
        fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
            static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
                ::jwks_guard::__private::PolicySpec::new(
                        ::jwks_guard::__private::Values::List(
                            &["https://id.example.com/"],
                        ),
                    )
                    .audience(::jwks_guard::__private::Values::List(&["orders-api"])),
            );
            &CELL
        }
    }
    /// Lists the caller's orders.
    ///
    /// Any valid token for `orders-api`.
    #[allow(clippy::unused_async)]
    pub async fn list(
        __guard: ::jwks_guard::__private::Protected<__list_policy>,
    ) -> String {
        let claims: Claims = ::jwks_guard::__private::Protected::into_claims(__guard);
        claims.sub.unwrap_or_default()
    }
    #[doc(hidden)]
    #[allow(non_camel_case_types)]
    pub(crate) struct __purge_policy;
    impl ::jwks_guard::__private::StaticPolicy for __purge_policy {
        type Claims = ::jwks_guard::__private::NoClaims;
        fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
            static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
                ::jwks_guard::__private::PolicySpec::new(
                        ::jwks_guard::__private::Values::List(
                            &["https://id.example.com/"],
                        ),
                    )
                    .audience(::jwks_guard::__private::Values::List(&["orders-api"]))
                    .scopes(&["orders:admin"]),
            );
            &CELL
        }
    }
    /// Deletes every order.
    #[deprecated = "use the batch API"]
    pub(crate) async fn purge(
        __guard: ::jwks_guard::__private::Protected<__purge_policy>,
    ) {}
}
#[allow(deprecated)]
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/orders", axum::routing::get(orders::list).delete(orders::purge));
}
