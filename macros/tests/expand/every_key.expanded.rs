// The expansion of `every_key.rs`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.
use axum::extract::Path;
use jwks_guard::protected;
use serde::Deserialize;
#[derive(Deserialize)]
pub struct Admin {
    pub sub: String,
    pub tenant: String,
}
pub mod admin {
    use super::*;
    #[doc(hidden)]
    #[allow(non_camel_case_types)]
    pub struct __delete_tenant_policy;
    impl ::jwks_guard::__private::StaticPolicy for __delete_tenant_policy {
        type Claims = Admin;
        fn cell() -> &'static ::jwks_guard::__private::PolicyCell {
            static CELL: ::jwks_guard::__private::PolicyCell = ::jwks_guard::__private::PolicyCell::new(
                ::jwks_guard::__private::PolicySpec::new(
                        ::jwks_guard::__private::Values::List(
                            &["https://id.example.com/realms/main"],
                        ),
                    )
                    .audience(
                        ::jwks_guard::__private::Values::List(&["admin-api", "ops-api"]),
                    )
                    .jwks_uri(::jwks_guard::__private::Setting::Env("JWKS_URI"))
                    .scopes(&["tenants:delete", "admin"])
                    .claims(
                        &[
                            ::jwks_guard::__private::ClaimSpec {
                                name: "email_verified",
                                expect: ::jwks_guard::__private::Expect::Equals(
                                    ::jwks_guard::__private::Scalar::Bool(true),
                                ),
                            },
                            ::jwks_guard::__private::ClaimSpec {
                                name: "tenant",
                                expect: ::jwks_guard::__private::Expect::Present,
                            },
                            ::jwks_guard::__private::ClaimSpec {
                                name: "realm_access.roles",
                                expect: ::jwks_guard::__private::Expect::ContainsAll(
                                    &[
                                        ::jwks_guard::__private::Scalar::Str("admin"),
                                        ::jwks_guard::__private::Scalar::Str("auditor"),
                                    ],
                                ),
                            },
                            ::jwks_guard::__private::ClaimSpec {
                                name: "level",
                                expect: ::jwks_guard::__private::Expect::Equals(
                                    ::jwks_guard::__private::Scalar::Int(-1),
                                ),
                            },
                            ::jwks_guard::__private::ClaimSpec {
                                name: "type",
                                expect: ::jwks_guard::__private::Expect::Equals(
                                    ::jwks_guard::__private::Scalar::Str("staff"),
                                ),
                            },
                        ],
                    )
                    .algorithms(
                        &[
                            ::jwks_guard::__private::Alg::RS256,
                            ::jwks_guard::__private::Alg::ES256,
                            ::jwks_guard::__private::Alg::EdDSA,
                        ],
                    )
                    .leeway(30)
                    .typ("at+jwt")
                    .token_from(
                        &[
                            ::jwks_guard::__private::TokenSource::Authorization,
                            ::jwks_guard::__private::TokenSource::Cookie(
                                ::jwks_guard::__private::Cow::Borrowed("session"),
                            ),
                            ::jwks_guard::__private::TokenSource::Header(
                                ::jwks_guard::__private::Cow::Borrowed(
                                    "x-forwarded-access-token",
                                ),
                            ),
                        ],
                    )
                    .dpop(::jwks_guard::__private::Dpop::Disabled),
            );
            &CELL
        }
    }
    /// Deletes a tenant.
    #[utoipa::path(
        delete,
        path = "/tenants/{id}",
        params(("id" = String, Path)),
        responses(
            (
                status = 400,
                description = "Malformed bearer credentials (`invalid_request`)",
                headers(
                    (
                        "WWW-Authenticate",
                        description = "`Bearer error=\"invalid_request\"`, with a description"
                    )
                )
            ),
            (
                status = 401,
                description = "No bearer token, or one that is not valid: bad signature, expired, wrong issuer or audience (`invalid_token`)",
                headers(
                    (
                        "WWW-Authenticate",
                        description = "`Bearer`, with `error=\"invalid_token\"` when a token was sent"
                    )
                )
            ),
            (
                status = 403,
                description = "A valid token lacking a required scope or claim (`insufficient_scope`)",
                headers(
                    (
                        "WWW-Authenticate",
                        description = "`Bearer error=\"insufficient_scope\"`, naming the required scopes"
                    )
                )
            ),
            (
                status = 503,
                description = "The issuer's signing keys cannot be obtained now (`temporarily_unavailable`)",
                headers(
                    ("Retry-After", description = "Seconds to wait before trying again")
                )
            ),
            (
                status = 500,
                description = "The guard's configuration is incomplete, e.g. an environment variable is not set (`server_error`)"
            )
        ),
        security(
            ("corp" = ["tenants:delete", "admin"]),
            ("corp_cookie_session" = []),
            ("corp_header_x-forwarded-access-token" = [])
        )
    )]
    #[allow(clippy::unused_async)]
    pub async fn delete_tenant(
        __guard: ::jwks_guard::__private::Protected<__delete_tenant_policy>,
        Path(id): Path<String>,
    ) -> String {
        let Admin { sub, tenant }: Admin = ::jwks_guard::__private::Protected::into_claims(
            __guard,
        );
        format!("{sub} deleted {id} of {tenant}")
    }
}
fn main() {
    let _: axum::Router = axum::Router::new()
        .route("/tenants/{id}", axum::routing::delete(admin::delete_tenant));
}
