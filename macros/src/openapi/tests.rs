use proc_macro2::TokenStream;
use quote::ToTokens as _;

use super::*;
use crate::diag::Errors;
use crate::{attr, valid};

fn args(source: &str) -> Args {
    let tokens: TokenStream = match source.parse() {
        Ok(tokens) => tokens,
        Err(error) => panic!("`{source}`: {error}"),
    };
    let mut errors = Errors::default();
    let parsed = attr::parse(tokens, &mut errors);
    match valid::check(parsed, errors) {
        Ok(args) => args,
        Err(error) => panic!("`{source}`: {error}"),
    }
}

fn func(source: &str) -> ItemFn {
    match syn::parse_str(source) {
        Ok(func) => func,
        Err(error) => panic!("`{source}`: {error}"),
    }
}

/// The handler's attributes after the rewrite, as text.
fn rewritten(attr: &str, item: &str) -> String {
    let mut func = func(item);
    if let Err(error) = rewrite(&args(attr), &mut func, false) {
        panic!("`{attr}` on `{item}`: {error}");
    }
    func.attrs
        .iter()
        .map(|attr| attr.to_token_stream().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

const ISSUER: &str = r#"issuer = "https://id.example.com/", audience = "api""#;

/// The statuses of the response tuples in `text`, in order.
fn statuses(text: &str) -> Vec<u16> {
    text.split("status = ")
        .skip(1)
        .filter_map(|rest| rest.get(..3)?.parse().ok())
        .collect()
}

#[test]
fn security_lists_the_scopes_under_the_default_scheme() {
    let text = rewritten(
        &format!(r#"{ISSUER}, scopes = ["orders:read", "orders:write"]"#),
        r#"#[utoipa::path(get, path = "/orders")] async fn f() {}"#,
    );
    assert!(
        text.contains(r#"security (("oidc" = ["orders:read" , "orders:write"]))"#),
        "{text}"
    );
}

#[test]
fn no_scopes_is_an_empty_list_under_the_named_scheme() {
    let text = rewritten(
        &format!(r#"{ISSUER}, openapi_scheme = "corp""#),
        r#"#[utoipa::path(get, path = "/me",)] async fn f() {}"#,
    );
    assert!(text.contains(r#"security (("corp" = []))"#), "{text}");
    assert!(!text.contains(", ,"), "{text}");
}

#[test]
fn the_users_security_stands() {
    let text = rewritten(
        &format!(r#"{ISSUER}, scopes = ["a"]"#),
        r#"#[utoipa::path(get, path = "/x", security(("mine" = ["b"])))] async fn f() {}"#,
    );
    assert_eq!(text.matches("security").count(), 1, "{text}");
    assert!(text.contains(r#"security (("mine" = ["b"]))"#), "{text}");
    assert!(!text.contains("oidc"), "{text}");
}

#[test]
fn the_guard_answers_are_added_403_only_when_something_is_required() {
    let item = r#"#[utoipa::path(get, path = "/x")] async fn f() {}"#;
    assert_eq!(
        statuses(&rewritten(ISSUER, item)),
        [400, 401, 503, 500],
        "no scopes, no claims: no 403"
    );
    assert_eq!(
        statuses(&rewritten(&format!(r#"{ISSUER}, scopes = ["a"]"#), item)),
        [400, 401, 403, 503, 500]
    );
    assert_eq!(
        statuses(&rewritten(&format!(r#"{ISSUER}, claims(tenant)"#), item)),
        [400, 401, 403, 503, 500]
    );
}

#[test]
fn the_answers_document_their_headers() {
    let text = rewritten(
        &format!(r#"{ISSUER}, scopes = ["a"]"#),
        r#"#[utoipa::path(get, path = "/x")] async fn f() {}"#,
    );
    assert_eq!(
        text.matches(r#"headers (("WWW-Authenticate""#).count(),
        3,
        "{text}"
    );
    assert_eq!(
        text.matches(r#"headers (("Retry-After""#).count(),
        1,
        "{text}"
    );
}

#[test]
fn a_status_the_user_documented_stays_theirs() {
    let text = rewritten(
        &format!(r#"{ISSUER}, scopes = ["a"]"#),
        r#"#[utoipa::path(get, path = "/x", responses(
            (status = 200, description = "ok"),
            (status = 401, description = "mine"),
            (status = StatusCode::FORBIDDEN, description = "also mine"),
            (status = "5XX", description = "a range documents no exact status"),
        ))] async fn f() {}"#,
    );
    assert_eq!(statuses(&text), [400, 503, 500, 200, 401], "{text}");
    assert!(text.contains(r#"description = "mine""#), "{text}");
    assert!(text.contains("StatusCode :: FORBIDDEN"), "{text}");
    assert_eq!(text.matches("responses").count(), 1, "{text}");
}

#[test]
fn a_response_type_of_the_user_comes_after_the_guard_answers() {
    // utoipa inserts the responses in order: the user's type overrides a status it shares.
    let text = rewritten(
        ISSUER,
        r#"#[utoipa::path(get, path = "/x", responses(MyResponses))] async fn f() {}"#,
    );
    let guard = text.find("status = 500").unwrap_or(usize::MAX);
    let theirs = text.find("MyResponses").unwrap_or(0);
    assert!(guard < theirs, "{text}");
}

#[test]
fn only_utoipa_path_attributes_are_rewritten() {
    let text = rewritten(
        ISSUER,
        r#"#[::utoipa::path(get, path = "/a")] #[other::path(x)] #[doc = "d"] async fn f() {}"#,
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("security"), "{text}");
    assert_eq!(lines[1], "# [other :: path (x)]");
    assert_eq!(lines[2], r#"# [doc = "d"]"#);
}

#[test]
fn openapi_scheme_without_a_utoipa_path_below_is_an_error_naming_the_fix() {
    let mut bare = func("async fn f() {}");
    match rewrite(
        &args(&format!(r#"{ISSUER}, openapi_scheme = "corp""#)),
        &mut bare,
        false,
    ) {
        Ok(()) => panic!("accepted"),
        Err(error) => assert!(
            error
                .to_string()
                .contains("put `#[utoipa::path(...)]` below `#[protected]`"),
            "{error}"
        ),
    }
    // Without the key, a handler without utoipa is left alone.
    let mut plain = func("#[doc = \"d\"] async fn f() {}");
    assert!(rewrite(&args(ISSUER), &mut plain, false).is_ok());
    assert_eq!(plain.attrs.len(), 1);
}

#[test]
fn cookie_and_header_sources_are_alternatives_to_the_scheme() {
    let text = rewritten(
        &format!(
            r#"{ISSUER}, scopes = ["orders:read"], openapi_scheme = "corp", token_from = ["authorization", cookie("__Host-sess!on"), header("X-Access-Token")]"#
        ),
        r#"#[utoipa::path(get, path = "/orders")] async fn f() {}"#,
    );
    assert!(
        text.contains(
            r#"security (("corp" = ["orders:read"]) , ("corp_cookie___Host-sess_on" = []) , ("corp_header_x-access-token" = []))"#
        ),
        "{text}"
    );
}

#[test]
fn a_cookie_only_handler_offers_only_the_cookie() {
    // The issuer's scheme means a token in `Authorization`, which this guard does not read.
    let text = rewritten(
        &format!(r#"{ISSUER}, token_from = [cookie("session")]"#),
        r#"#[utoipa::path(get, path = "/orders")] async fn f() {}"#,
    );
    assert!(
        text.contains(r#"security (("oidc_cookie_session" = []))"#),
        "{text}"
    );
}

#[test]
fn an_optional_handler_offers_no_credentials_as_an_alternative_and_says_when_it_answers_401() {
    let mut func = func(r#"#[utoipa::path(get, path = "/catalogue")] async fn f() {}"#);
    if let Err(error) = rewrite(&args(ISSUER), &mut func, true) {
        panic!("{error}");
    }
    let text = func.attrs[0].to_token_stream().to_string();
    assert!(text.contains(r#"security (("oidc" = []) , ())"#), "{text}");
    assert!(
        text.contains("a request without a token is served"),
        "{text}"
    );
}

#[test]
fn a_required_dpop_proof_goes_with_the_token() {
    let text = rewritten(
        &format!(
            r#"{ISSUER}, scopes = ["orders:read"], openapi_scheme = "corp", dpop = "required""#
        ),
        r#"#[utoipa::path(get, path = "/orders")] async fn f() {}"#,
    );
    assert!(
        text.contains(r#"security (("corp" = ["orders:read"] , "corp_dpop" = [])))"#),
        "{text}"
    );
    // The challenges are the `DPoP` scheme's.
    assert!(
        text.contains(r#"`DPoP error=\"insufficient_scope\"`"#),
        "{text}"
    );
    assert!(text.contains("(`invalid_dpop_proof`)"), "{text}");
    assert!(!text.contains("Bearer error"), "{text}");
}

#[test]
fn an_allowed_or_disabled_dpop_mode_documents_what_the_default_does() {
    let item = r#"#[utoipa::path(get, path = "/orders")] async fn f() {}"#;
    let default = rewritten(&format!(r#"{ISSUER}, scopes = ["a"]"#), item);
    for mode in ["allowed", "disabled"] {
        let text = rewritten(
            &format!(r#"{ISSUER}, scopes = ["a"], dpop = "{mode}""#),
            item,
        );
        assert_eq!(text, default, "{mode}");
    }
    assert!(!default.contains("dpop"), "{default}");
}
