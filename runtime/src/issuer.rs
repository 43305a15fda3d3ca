//! Issuer names: a literal `iss`, or a template holding [`TENANT_PLACEHOLDER`] that a token's
//! `tid` fills (Entra ID's multi-tenant issuers). Read by the policy, to match a token to its
//! issuer, and by the key cache, to find a template's discovery document.

/// The issuer template placeholder, filled from the token's `tid` claim.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// Whether `name` is a template holding [`TENANT_PLACEHOLDER`].
pub(crate) fn is_template(name: &str) -> bool {
    name.contains(TENANT_PLACEHOLDER)
}

/// Whether a token naming `iss`, and `tid` when it has one, was issued by the issuer `name`:
/// `iss` equals the name exactly, or the template filled with `tid` (letters, digits and `-`
/// only, as tenant ids are).
pub(crate) fn issued(name: &str, iss: &str, tid: Option<&str>) -> bool {
    if !is_template(name) {
        return name == iss;
    }
    tid.is_some_and(|tid| {
        !tid.is_empty()
            && tid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && name.replacen(TENANT_PLACEHOLDER, tid, 1) == iss
    })
}

/// Where the discovery document of `issuer` lives, without a trailing `/`: under the issuer,
/// or for an issuer template, at the provider's common endpoint, whose document names the
/// template itself as its issuer (Entra ID: `…/{tenantid}/v2.0` → `…/common/v2.0`; the v1
/// `https://sts.windows.net/{tenantid}/` → `https://login.microsoftonline.com/common`).
pub(crate) fn discovery_base(issuer: &str) -> String {
    if !is_template(issuer) {
        return issuer.trim_end_matches('/').to_owned();
    }
    if issuer.starts_with("https://sts.windows.net/") {
        return "https://login.microsoftonline.com/common".to_owned();
    }
    issuer
        .replacen(TENANT_PLACEHOLDER, "common", 1)
        .trim_end_matches('/')
        .to_owned()
}

/// The URL of the discovery document of `issuer`: its [`discovery_base`] followed by
/// `/.well-known/openid-configuration`. The key cache fetches it; the
/// OpenAPI security scheme (feature `utoipa`) names it.
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        discovery_base(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issuer_template_is_discovered_at_the_common_endpoint() {
        assert_eq!(
            discovery_base("https://login.microsoftonline.com/{tenantid}/v2.0"),
            "https://login.microsoftonline.com/common/v2.0"
        );
        assert_eq!(
            discovery_base("https://sts.windows.net/{tenantid}/"),
            "https://login.microsoftonline.com/common"
        );
        assert_eq!(
            discovery_base("https://id.example.com/"),
            "https://id.example.com"
        );
        for issuer in ["https://id.example.com/", "https://id.example.com"] {
            assert_eq!(
                discovery_url(issuer),
                "https://id.example.com/.well-known/openid-configuration"
            );
        }
    }

    #[test]
    fn a_template_is_filled_only_by_a_tenant_id_shaped_tid() {
        let template = "https://login.example.com/{tenantid}/v2.0";
        let iss = "https://login.example.com/abc-123/v2.0";
        assert!(issued(template, iss, Some("abc-123")));
        assert!(!issued(template, iss, Some("abc-124")));
        assert!(!issued(template, iss, None));
        assert!(!issued(
            template,
            "https://login.example.com//v2.0",
            Some("")
        ));
        assert!(!issued(
            template,
            "https://login.example.com/a/b/v2.0",
            Some("a/b")
        ));
        assert!(issued(
            "https://id.example.com/",
            "https://id.example.com/",
            Some("x")
        ));
        assert!(!issued(
            "https://id.example.com/",
            "https://id.example.com",
            None
        ));
    }
}
