// Every key; a public handler with doc comments and attributes (`#[utoipa::path]` among them,
// which the attribute writes into); a claims parameter written last, as a pattern, with a type
// of the handler's own.
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

    /// Deletes a tenant.
    #[protected(
        issuer = "https://id.example.com/realms/main",
        audience = ["admin-api", "ops-api"],
        jwks_uri = env("JWKS_URI"),
        scopes = ["tenants:delete", "admin"],
        claims(
            email_verified = true,
            tenant,
            "realm_access.roles" = ["admin", "auditor"],
            level = -1,
            r#type = "staff",
        ),
        algorithms = ["RS256", "ES256", "EdDSA"],
        leeway = 30,
        typ = "at+jwt",
        openapi_scheme = "corp",
        token_from = ["authorization", cookie("session"), header("X-Forwarded-Access-Token")],
        dpop = "disabled",
    )]
    #[utoipa::path(delete, path = "/tenants/{id}", params(("id" = String, Path)))]
    #[allow(clippy::unused_async)]
    pub async fn delete_tenant(
        Path(id): Path<String>,
        #[claims] Admin { sub, tenant }: Admin,
    ) -> String {
        format!("{sub} deleted {id} of {tenant}")
    }
}

fn main() {
    let _: axum::Router =
        axum::Router::new().route("/tenants/{id}", axum::routing::delete(admin::delete_tenant));
}
