//! The attribute grammar: every key and form, and the message and place of every error.

use proc_macro2::TokenStream;

use super::*;
use crate::ast::{Args, Expect, Scalar, Setting, Value, Values};
use crate::keys::ALGORITHMS;

/// Parses and checks, as the expansion does.
fn parse_tokens(tokens: TokenStream) -> syn::Result<Args> {
    let mut errors = Errors::default();
    let parsed = super::parse(tokens, &mut errors);
    crate::valid::check(parsed, errors)
}

fn parse(source: &str) -> syn::Result<Args> {
    match source.parse::<TokenStream>() {
        Ok(tokens) => parse_tokens(tokens),
        Err(error) => panic!("`{source}` does not tokenize: {error}"),
    }
}

fn ok(source: &str) -> Args {
    match parse(source) {
        Ok(args) => args,
        Err(error) => panic!("`{source}` was rejected: {error}"),
    }
}

/// Every error: its message, and the source text it points at ("" for the whole attribute).
fn errors(source: &str) -> Vec<(String, String)> {
    match parse(source) {
        Ok(_) => panic!("`{source}` was accepted"),
        Err(errors) => crate::diag::messages_and_sources(errors),
    }
}

/// The one error of `source`.
fn error(source: &str) -> (String, String) {
    match errors(source).as_slice() {
        [error] => error.clone(),
        errors => panic!("`{source}`: expected one error, got {errors:#?}"),
    }
}

/// `source` with a valid `issuer` and `audience` in front.
fn with_required(rest: &str) -> String {
    format!(r#"issuer = "https://id.example.com/", audience = "orders-api", {rest}"#)
}

/// A `StrListOrEnv` or `StrOrEnv` value as written ("none" when the key is absent).
fn values(args: &Args, key: &str) -> String {
    match args.get(key) {
        Some(Value::Values(Values::List(list))) => format!("{:?}", strings(list)),
        Some(Value::Values(Values::Env(var))) => format!("env({:?})", var.name.value()),
        Some(Value::Setting(Setting::Literal(value))) => format!("{:?}", value.value()),
        Some(Value::Setting(Setting::Env(var))) => format!("env({:?})", var.name.value()),
        Some(_) => panic!("`{key}` is not a string setting"),
        None => "none".to_owned(),
    }
}

/// A list's strings (`scopes`, `algorithms`); empty when the key is absent.
fn list(args: &Args, key: &str) -> Vec<String> {
    match args.get(key) {
        Some(Value::List(list) | Value::Algorithms(list)) => strings(list),
        Some(_) => panic!("`{key}` is not a list"),
        None => Vec::new(),
    }
}

fn strings(list: &[LitStr]) -> Vec<String> {
    list.iter().map(LitStr::value).collect()
}

fn scalar(scalar: &Scalar) -> String {
    match scalar {
        Scalar::Str(value) => format!("{:?}", value.value()),
        Scalar::Bool(value) => value.value.to_string(),
        Scalar::Int { value, .. } => value.to_string(),
    }
}

fn claims(args: &Args) -> Vec<String> {
    let Some(Value::Claims(claims)) = args.get("claims") else {
        return Vec::new();
    };
    claims
        .iter()
        .map(|claim| {
            let name = claim.name.value();
            match &claim.expect {
                Expect::Present => name,
                Expect::Equals(value) => format!("{name} = {}", scalar(value)),
                Expect::ContainsAll(values) => {
                    let values: Vec<String> = values.iter().map(scalar).collect();
                    format!("{name} ⊇ [{}]", values.join(", "))
                }
            }
        })
        .collect()
}

mod accepts {
    use super::*;

    #[test]
    fn literal_issuer_and_audience_with_every_other_key_at_its_default() {
        let args = ok(r#"issuer = "https://id.example.com/", audience = "orders-api""#);
        assert_eq!(values(&args, "issuer"), r#"["https://id.example.com/"]"#);
        assert_eq!(values(&args, "audience"), r#"["orders-api"]"#);
        // Only the keys written: every other one is left to the runtime's defaults.
        let written: Vec<&str> = args.entries.iter().map(|entry| entry.key.name).collect();
        assert_eq!(written, ["issuer", "audience"]);
        assert!(args.krate().is_none());
    }

    #[test]
    fn issuer_and_audience_from_the_environment() {
        let args = ok(r#"issuer = env("OIDC_ISSUER"), audience = env("OIDC_AUDIENCE")"#);
        assert_eq!(values(&args, "issuer"), r#"env("OIDC_ISSUER")"#);
        assert_eq!(values(&args, "audience"), r#"env("OIDC_AUDIENCE")"#);
    }

    #[test]
    fn a_list_of_audiences() {
        let args = ok(r#"issuer = "https://a/", audience = ["orders-api", "billing-api"]"#);
        assert_eq!(
            values(&args, "audience"),
            r#"["orders-api", "billing-api"]"#
        );
        assert_eq!(values(&args, "client_id"), "none");
    }

    #[test]
    fn issuer_lists_and_templates_with_tenants() {
        let google = ok(
            r#"issuer = ["https://accounts.google.com", "accounts.google.com"], audience = "a""#,
        );
        assert_eq!(
            values(&google, "issuer"),
            r#"["https://accounts.google.com", "accounts.google.com"]"#
        );
        let entra = ok(
            r#"issuer = "https://login.microsoftonline.com/{tenantid}/v2.0", audience = "a", tenants = ["t1", "t2"]"#,
        );
        assert_eq!(values(&entra, "tenants"), r#"["t1", "t2"]"#);
    }

    #[test]
    fn client_id_in_place_of_or_beside_audience() {
        let cognito = ok(r#"issuer = "https://a/", client_id = "app""#);
        assert_eq!(
            (values(&cognito, "audience"), values(&cognito, "client_id")),
            ("none".to_owned(), r#"["app"]"#.to_owned())
        );
        let both = ok(r#"issuer = "https://a/", audience = "api", client_id = ["a", "b"]"#);
        assert_eq!(
            (values(&both, "audience"), values(&both, "client_id")),
            (r#"["api"]"#.to_owned(), r#"["a", "b"]"#.to_owned())
        );
        let env = ok(r#"issuer = "https://a/", client_id = env("CLIENT")"#);
        assert_eq!(values(&env, "client_id"), r#"env("CLIENT")"#);
    }

    #[test]
    fn keys_in_any_order_with_a_trailing_comma() {
        let args = ok(r#"audience = "orders-api", scopes = ["a"], issuer = "https://a/","#);
        assert_eq!(values(&args, "issuer"), r#"["https://a/"]"#);
        assert_eq!(list(&args, "scopes"), ["a"]);
    }

    #[test]
    fn jwks_uri_literal_or_from_the_environment() {
        let args = ok(&with_required(
            r#"jwks_uri = "https://id.example.com/keys""#,
        ));
        assert_eq!(
            values(&args, "jwks_uri"),
            r#""https://id.example.com/keys""#
        );
        let args = ok(&with_required(r#"jwks_uri = env("JWKS_URI")"#));
        assert_eq!(values(&args, "jwks_uri"), r#"env("JWKS_URI")"#);
    }

    #[test]
    fn scopes() {
        let args = ok(&with_required(
            r#"scopes = ["orders:read", "orders:write"]"#,
        ));
        assert_eq!(list(&args, "scopes"), ["orders:read", "orders:write"]);
    }

    #[test]
    fn claims_in_every_form() {
        let args = ok(&with_required(
            r#"claims(
                tenant,
                "https://example.com/org",
                email_verified = true,
                disabled = false,
                plan = "pro",
                level = 3,
                offset = -7,
                "realm_access.roles" = ["admin", "auditor"],
                mixed = ["a", 1, -2, true],
                r#type = "user",
            )"#,
        ));
        assert_eq!(
            claims(&args),
            [
                "tenant",
                "https://example.com/org",
                "email_verified = true",
                "disabled = false",
                r#"plan = "pro""#,
                "level = 3",
                "offset = -7",
                r#"realm_access.roles ⊇ ["admin", "auditor"]"#,
                r#"mixed ⊇ ["a", 1, -2, true]"#,
                r#"type = "user""#,
            ]
        );
    }

    #[test]
    fn claim_integers_across_the_whole_i64_range() {
        let args = ok(&with_required(
            "claims(min = -9223372036854775808, max = 9223372036854775807, hex = 0x10)",
        ));
        assert_eq!(
            claims(&args),
            [
                "min = -9223372036854775808",
                "max = 9223372036854775807",
                "hex = 16"
            ]
        );
    }

    #[test]
    fn negative_integers_as_the_compiler_splits_them() {
        // The compiler hands `-5` over as `-` and `5`; `proc_macro2` on its own lexes one token.
        let args = parse_tokens(quote::quote!(
            issuer = "https://a/",
            audience = "x",
            claims(a = -5, b = [-1, 2])
        ));
        match args {
            Ok(args) => assert_eq!(claims(&args), ["a = -5", "b ⊇ [-1, 2]"]),
            Err(error) => panic!("{error}"),
        }
        let args = parse_tokens(quote::quote!(
            issuer = "https://a/",
            audience = "x",
            leeway = -5
        ));
        match args {
            Ok(_) => panic!("a negative leeway was accepted"),
            Err(error) => assert!(error.to_string().starts_with("`leeway` cannot be negative")),
        }
    }

    #[test]
    fn every_supported_algorithm() {
        let args = ok(&with_required(
            r#"algorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]"#,
        ));
        assert_eq!(list(&args, "algorithms"), ALGORITHMS);
    }

    #[test]
    fn leeway_typ_and_crate() {
        let args = ok(&with_required(
            r#"leeway = 0, typ = "at+jwt", crate = "::platform::jwks_guard""#,
        ));
        assert!(matches!(args.get("leeway"), Some(Value::Seconds(leeway)) if leeway.value == 0));
        assert!(matches!(args.get("typ"), Some(Value::Str(typ)) if typ.value() == "at+jwt"));
        let krate = args.krate().map(|path| quote::quote!(#path).to_string());
        assert_eq!(krate.as_deref(), Some(":: platform :: jwks_guard"));
    }

    #[test]
    fn each_dpop_mode_names_its_variant() {
        for (word, variant) in [
            ("allowed", "Allowed"),
            ("required", "Required"),
            ("disabled", "Disabled"),
        ] {
            let args = ok(&with_required(&format!("dpop = {word:?}")));
            let Some(Value::OneOf(written)) = args.get("dpop") else {
                panic!("`dpop = {word:?}` is not a word");
            };
            assert_eq!(
                (written.lit.value().as_str(), written.ty, written.variant),
                (word, "Dpop", variant)
            );
        }
        assert!(ok(&with_required("leeway = 0")).get("dpop").is_none());
    }
}

mod keys {
    use super::*;

    #[test]
    fn a_misspelled_key_suggests_the_key_and_is_not_also_reported_missing() {
        let (message, at) = error(r#"issuer = "https://a/", audiance = "orders-api""#);
        assert_eq!(
            message,
            format!(
                "unknown key `audiance`; did you mean `audience`? expected one of: {}",
                crate::keys::expected_keys()
            )
        );
        assert_eq!(at, "audiance");
    }

    #[test]
    fn a_common_other_name_suggests_the_key() {
        let (message, at) = error(r#"iss = "https://a/", audience = "orders-api""#);
        assert!(
            message.starts_with("unknown key `iss`; did you mean `issuer`?"),
            "{message}"
        );
        assert_eq!(at, "iss");
        let (message, _) = error(&with_required(r#"type = "at+jwt""#));
        assert!(
            message.starts_with("unknown key `type`; did you mean `typ`?"),
            "{message}"
        );
    }

    #[test]
    fn an_unknown_key_lists_the_keys() {
        let (message, at) = error(&with_required("timeout = 5"));
        assert!(
            message.starts_with("unknown key `timeout`; expected one of: `issuer`, "),
            "{message}"
        );
        assert_eq!(at, "timeout");
    }

    #[test]
    fn a_quoted_key_is_told_to_drop_the_quotes() {
        let (message, at) = error(r#""issuer" = "https://a/", audience = "x""#);
        assert_eq!(
            message,
            r#"write the key without quotes: `issuer = "https://id.example.com/"`"#
        );
        assert_eq!(at, r#""issuer""#);
    }

    #[test]
    fn missing_audience_is_reported_on_the_attribute_with_what_to_add() {
        let (message, at) = error(r#"issuer = "https://a/""#);
        assert_eq!(
            message,
            r#"missing `audience`: add `audience = "your-api"`"#
        );
        assert_eq!(at, "");
    }

    #[test]
    fn missing_issuer_and_audience_is_one_error() {
        let (message, _) = error("");
        assert_eq!(
            message,
            r#"missing `issuer` and `audience`: add `issuer = "https://id.example.com/", audience = "your-api"`"#
        );
    }

    #[test]
    fn a_duplicate_key_points_at_the_second_and_says_where_the_first_is() {
        let (message, at) = error(
            r#"issuer = "https://a/",
               audience = "orders-api",
               issuer = "https://b/""#,
        );
        assert_eq!(
            message,
            "duplicate key `issuer`: it is already set on line 1; keep only one"
        );
        assert_eq!(at, "issuer");
        let (message, _) = error(&with_required("leeway = 1, leeway = 2"));
        assert_eq!(
            message,
            "duplicate key `leeway`: it is already set earlier on this line; keep only one"
        );
    }

    #[test]
    fn a_key_without_its_value() {
        let (message, at) = error(&with_required("leeway"));
        assert_eq!(message, "expected `=` and a value, e.g. `leeway = 60`");
        assert_eq!(at, "leeway");
        let (message, at) = error(&with_required("leeway ="));
        assert_eq!(message, "expected a value after `=`, e.g. `leeway = 60`");
        assert_eq!(at, "=");
        let (message, at) = error(&with_required(r#"typ("at+jwt")"#));
        assert_eq!(
            message,
            r#"expected `=` after `typ`, e.g. `typ = "at+jwt"`"#
        );
        assert_eq!(at, "(");
    }

    #[test]
    fn claims_without_parentheses() {
        let (message, at) = error(&with_required("claims = [tenant]"));
        assert_eq!(
            message,
            "write `claims(...)` with parentheses, e.g. `claims(email_verified = true)`"
        );
        assert_eq!(at, "=");
    }

    #[test]
    fn a_forgotten_comma_is_one_error() {
        let (message, at) = error(r#"issuer = "https://a/" audience = "orders-api""#);
        assert_eq!(message, "expected `,`");
        assert_eq!(at, "audience");
    }

    #[test]
    fn an_empty_entry() {
        let (message, at) = error(r#"issuer = "https://a/",, audience = "orders-api""#);
        assert_eq!(message, "expected a key before `,`");
        assert_eq!(at, ",");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let messages: Vec<(String, String)> = errors(
            r#"issuer = "", audiance = "x", leeway = "60", scopes = [], algorithms = ["HS256"]"#,
        );
        let at: Vec<&str> = messages.iter().map(|(_, at)| at.as_str()).collect();
        assert_eq!(at, [r#""""#, "audiance", r#""60""#, "[]", r#""HS256""#]);
    }
}

mod values {
    use super::*;

    #[test]
    fn issuer_of_the_wrong_type() {
        let (message, at) = error(r#"issuer = 5, audience = "x""#);
        assert_eq!(
            message,
            r#"expected a string, a list of strings or `env("VAR")`, e.g. `issuer = "https://id.example.com/"`"#
        );
        assert_eq!(at, "5");
    }

    #[test]
    fn empty_or_padded_issuer() {
        let (message, at) = error(r#"issuer = "", audience = "x""#);
        assert_eq!(
            message,
            r#"`issuer` cannot be empty, e.g. `issuer = "https://id.example.com/"`"#
        );
        assert_eq!(at, r#""""#);
        let (message, _) = error(r#"issuer = " https://a/", audience = "x""#);
        assert_eq!(
            message,
            "remove the whitespace around the value of `issuer`"
        );
    }

    #[test]
    fn env_mistakes() {
        let cases = [
            (
                r#"env!("ISSUER")"#,
                "!",
                r#"write `env("VAR")` without `!`: the variable is read at the first request, not at compile time"#,
            ),
            (
                "env(ISSUER)",
                "ISSUER",
                r#"write the variable's name as a string: `env("ISSUER")`"#,
            ),
            (
                "env",
                "env",
                r#"expected the variable's name in parentheses: `env("VAR")`"#,
            ),
            (
                "env()",
                "()",
                r#"expected the variable's name as a string: `env("VAR")`"#,
            ),
            (
                r#"env("")"#,
                r#""""#,
                r#"the variable's name is empty: write `env("VAR")`"#,
            ),
            (
                r#"env("A=B")"#,
                r#""A=B""#,
                "an environment variable's name cannot contain `=` or NUL",
            ),
            (
                r#"env("A", "B")"#,
                ",",
                r#"expected only the variable's name: `env("VAR")`"#,
            ),
        ];
        for (value, expected_at, expected) in cases {
            let (message, at) = error(&format!(r#"issuer = {value}, audience = "x""#));
            assert_eq!(
                (message.as_str(), at.as_str()),
                (expected, expected_at),
                "{value}"
            );
        }
    }

    #[test]
    fn audience_of_the_wrong_type() {
        let (message, at) = error(r#"issuer = "https://a/", audience = 5"#);
        assert_eq!(
            message,
            r#"expected a string, a list of strings or `env("VAR")`, e.g. `audience = "your-api"`"#
        );
        assert_eq!(at, "5");
    }

    #[test]
    fn issuer_placeholders_other_than_tenantid_say_what_to_write() {
        let (message, at) =
            error(r#"issuer = "https://login.microsoftonline.com/{tid}/v2.0", audience = "api""#);
        assert!(
            message.starts_with("the only placeholder an issuer may hold is `{tenantid}`, once"),
            "{message}"
        );
        assert_eq!(at, r#""https://login.microsoftonline.com/{tid}/v2.0""#);
        let (message, at) = error(r#"issuer = "https://a/", audience = "api", tenants = ["t"]"#);
        assert!(
            message.starts_with("`tenants` limits an issuer template to some tenants"),
            "{message}"
        );
        assert_eq!(at, "tenants");
    }

    #[test]
    fn client_id_mistakes_say_what_to_write() {
        let (message, at) = error(r#"issuer = "https://a/", client_id = 5"#);
        assert_eq!(
            message,
            r#"expected a string, a list of strings or `env("VAR")`, e.g. `client_id = "your-app-client-id"`"#
        );
        assert_eq!(at, "5");
        let (message, _) = error(r#"issuer = "https://a/", client_id = []"#);
        assert_eq!(
            message,
            r#"an empty `client_id` list accepts no token: write the client id your tokens carry, e.g. `client_id = "your-app-client-id"`"#
        );
        let (message, at) = error(r#"issuer = "https://a/", clientid = "app""#);
        assert!(
            message.starts_with("unknown key `clientid`; did you mean `client_id`?"),
            "{message}"
        );
        assert_eq!(at, "clientid");
    }

    #[test]
    fn empty_audience_list() {
        let (message, at) = error(r#"issuer = "https://a/", audience = []"#);
        assert_eq!(
            message,
            r#"an empty `audience` list accepts no token: write the audience your API expects, e.g. `audience = "your-api"`"#
        );
        assert_eq!(at, "[]");
    }

    #[test]
    fn audience_list_mistakes() {
        let errors = errors(r#"issuer = "https://a/", audience = ["a", "", env("X"), b, "a"]"#);
        let errors: Vec<(&str, &str)> = errors
            .iter()
            .map(|(message, at)| (message.as_str(), at.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (
                    r#"`env("VAR")` cannot be a list element: only a whole value can come from the environment"#,
                    "env"
                ),
                (r#"expected a string: write `"b"`"#, "b"),
                (
                    r#"`audience` cannot be empty, e.g. `audience = "your-api"`"#,
                    r#""""#
                ),
                (
                    "duplicate audience: it is already listed earlier on this line; remove one",
                    r#""a""#
                ),
            ]
        );
    }

    #[test]
    fn jwks_uri_must_be_a_url() {
        let (message, at) = error(&with_required(r#"jwks_uri = "id.example.com/keys""#));
        assert_eq!(
            message,
            "expected an absolute `https://` (or `http://`) URL, e.g. `jwks_uri = \"https://id.example.com/.well-known/jwks.json\"`"
        );
        assert_eq!(at, r#""id.example.com/keys""#);
        let (message, _) = error(&with_required("jwks_uri = [1]"));
        assert!(
            message.starts_with(r#"expected a string or `env("VAR")`"#),
            "{message}"
        );
    }

    #[test]
    fn scopes_as_a_single_string() {
        let (message, at) = error(&with_required(r#"scopes = "orders:read""#));
        assert_eq!(
            message,
            r#"expected a list: write `scopes = ["orders:read"]`"#
        );
        assert_eq!(at, r#""orders:read""#);
    }

    #[test]
    fn empty_scopes() {
        let (message, at) = error(&with_required("scopes = []"));
        assert_eq!(
            message,
            r#"an empty `scopes` list requires nothing: remove `scopes`, or list the scopes a token must carry, e.g. `scopes = ["orders:read"]`"#
        );
        assert_eq!(at, "[]");
    }

    #[test]
    fn scope_mistakes() {
        let errors = errors(&with_required(
            r#"scopes = ["orders:read orders:write", "", "a", "a", 5]"#,
        ));
        let expected = [
            ("expected a string", "5"),
            (
                r#"a scope cannot contain whitespace: write each scope as its own string: `"orders:read", "orders:write"`"#,
                r#""orders:read orders:write""#,
            ),
            ("a scope cannot be empty", r#""""#),
            (
                "duplicate scope: it is already listed earlier on this line; remove one",
                r#""a""#,
            ),
        ];
        let errors: Vec<(&str, &str)> = errors
            .iter()
            .map(|(message, at)| (message.as_str(), at.as_str()))
            .collect();
        assert_eq!(errors, expected);
    }

    #[test]
    fn symmetric_and_unsigned_algorithms_are_never_accepted() {
        for name in ["HS256", "HS384", "HS512", "none", "None", "hs256"] {
            let (message, at) = error(&with_required(&format!(r#"algorithms = ["{name}"]"#)));
            assert_eq!(
                message,
                format!(
                    "`{name}` is never accepted: symmetric (HMAC) and unsigned (`none`) \
                     algorithms are never accepted for tokens verified against a public JWKS; \
                     use an asymmetric algorithm such as `RS256` or `ES256`"
                )
            );
            assert_eq!(at, format!("{name:?}"));
        }
    }

    #[test]
    fn unknown_algorithms() {
        let (message, at) = error(&with_required(r#"algorithms = ["RS265"]"#));
        assert_eq!(
            message,
            "unsupported algorithm `RS265`; did you mean `RS256`? expected one of: `RS256`, \
             `RS384`, `RS512`, `PS256`, `PS384`, `PS512`, `ES256`, `ES384`, `ES512`, `EdDSA`"
        );
        assert_eq!(at, r#""RS265""#);
        let (message, _) = error(&with_required(r#"algorithms = ["eddsa"]"#));
        assert!(message.contains("did you mean `EdDSA`?"), "{message}");
        let (message, _) = error(&with_required(r#"algorithms = ["ES521"]"#));
        assert!(message.contains("did you mean `ES512`?"), "{message}");
        let (message, _) = error(&with_required(r#"algorithms = ["RSA-OAEP"]"#));
        assert!(
            message.starts_with("unsupported algorithm `RSA-OAEP`; expected one of:"),
            "{message}"
        );
    }

    #[test]
    fn algorithm_list_mistakes() {
        let (message, at) = error(&with_required("algorithms = [RS256]"));
        assert_eq!(
            message,
            r#"write the algorithm's name as a string: `"RS256"`"#
        );
        assert_eq!(at, "RS256");
        let (message, _) = error(&with_required(r#"algorithms = "RS256""#));
        assert_eq!(
            message,
            r#"expected a list: write `algorithms = ["RS256"]`"#
        );
        let (message, at) = error(&with_required("algorithms = []"));
        assert_eq!(
            message,
            r#"an empty `algorithms` list accepts no token: remove `algorithms` to accept every supported algorithm, or list some, e.g. `algorithms = ["RS256"]`"#
        );
        assert_eq!(at, "[]");
        let (message, at) = error(&with_required(
            r#"algorithms = ["RS256", "ES256", "RS256"]"#,
        ));
        assert_eq!(
            message,
            "duplicate algorithm: it is already listed earlier on this line; remove one"
        );
        assert_eq!(at, r#""RS256""#);
    }

    #[test]
    fn leeway_of_the_wrong_type() {
        let cases = [
            (
                r#""60""#,
                r#""60""#,
                "expected an integer number of seconds, e.g. `leeway = 60`",
            ),
            (
                r#""30""#,
                r#""30""#,
                "expected an integer number of seconds, e.g. `leeway = 30`",
            ),
            (
                "-5",
                "-5",
                "`leeway` cannot be negative; expected an integer number of seconds, e.g. `leeway = 60`",
            ),
            (
                "60s",
                "60s",
                "expected an integer number of seconds, e.g. `leeway = 60`, without a suffix",
            ),
            (
                "1.5",
                "1.5",
                "expected an integer number of seconds, e.g. `leeway = 60`",
            ),
            (
                "99999999999999999999",
                "99999999999999999999",
                "`leeway` is too large; expected an integer number of seconds, e.g. `leeway = 60`",
            ),
        ];
        for (value, expected_at, expected) in cases {
            let (message, at) = error(&with_required(&format!("leeway = {value}")));
            assert_eq!(
                (message.as_str(), at.as_str()),
                (expected, expected_at),
                "{value}"
            );
        }
    }

    #[test]
    fn typ_of_the_wrong_type() {
        let (message, at) = error(&with_required("typ = at_jwt"));
        assert_eq!(message, r#"expected a string, e.g. `typ = "at+jwt"`"#);
        assert_eq!(at, "at_jwt");
        let (message, _) = error(&with_required(r#"typ = """#));
        assert_eq!(message, r#"`typ` cannot be empty, e.g. `typ = "at+jwt"`"#);
    }

    #[test]
    fn an_unknown_dpop_mode_lists_the_three_and_suggests_a_near_miss() {
        let expected = r#"expected one of: `"allowed"`, `"required"`, `"disabled"`"#;
        let cases = [
            (r#""require""#, r#"did you mean `"required"`? "#),
            (r#""Required""#, r#"did you mean `"required"`? "#),
            (r#""disable""#, r#"did you mean `"disabled"`? "#),
            (r#""optional""#, ""),
            (r#""""#, ""),
        ];
        for (value, hint) in cases {
            let (message, at) = error(&with_required(&format!("dpop = {value}")));
            let word: String = value.trim_matches('"').to_owned();
            assert_eq!(
                (message, at.as_str()),
                (
                    format!("unknown `dpop` value {word:?}; {hint}{expected}"),
                    value
                ),
            );
        }
    }

    #[test]
    fn dpop_of_the_wrong_type() {
        let one_of = r#"expected a string, one of: `"allowed"`, `"required"`, `"disabled"`, e.g. `dpop = "required"`"#;
        let cases = [
            (
                "true",
                "true",
                "`dpop` takes a string, not a bool, one of: `\"allowed\"` (the default: a \
                 DPoP-bound token needs its proof, others work as `Bearer`), `\"required\"` \
                 (only DPoP-bound tokens, with their proof), `\"disabled\"` (`Bearer` only, \
                 `cnf` ignored)"
                    .to_owned(),
            ),
            ("1", "1", one_of.to_owned()),
            (
                r#"["required"]"#,
                r#"["required"]"#,
                r#"`dpop` takes one value, not a list: write one of `"allowed"`, `"required"`, `"disabled"`, e.g. `dpop = "required"`"#.to_owned(),
            ),
            (
                "required",
                "required",
                r#"write the value as a string: `dpop = "required"`"#.to_owned(),
            ),
            (
                "Allowed",
                "Allowed",
                r#"write the value as a string: `dpop = "allowed"`"#.to_owned(),
            ),
            ("maybe", "maybe", one_of.to_owned()),
            (
                r#"env("DPOP")"#,
                "env",
                r#"`dpop` is fixed when the handler is compiled and cannot come from the environment: write one of `"allowed"`, `"required"`, `"disabled"`, e.g. `dpop = "required"`"#.to_owned(),
            ),
        ];
        for (value, expected_at, expected) in cases {
            let (message, at) = error(&with_required(&format!("dpop = {value}")));
            assert_eq!(
                (message.as_str(), at.as_str()),
                (expected.as_str(), expected_at),
                "{value}"
            );
        }
    }

    #[test]
    fn crate_that_is_not_a_path() {
        let expected = r#"expected the path of the runtime crate as a string, e.g. `crate = "::my_crate::jwks_guard"`"#;
        let (message, at) = error(&with_required("crate = jwks_guard"));
        assert_eq!((message.as_str(), at.as_str()), (expected, "jwks_guard"));
        let (message, at) = error(&with_required(r#"crate = "not a path""#));
        assert_eq!(
            (message.as_str(), at.as_str()),
            (expected, r#""not a path""#)
        );
    }

    #[test]
    fn empty_claims() {
        let (message, _) = error(&with_required("claims()"));
        assert_eq!(
            message,
            "`claims()` requires nothing: remove it, or name the claims a token must carry, e.g. \
             `claims(email_verified = true)`"
        );
        let (message, at) = error(&with_required("claims(roles = [])"));
        assert_eq!(
            message,
            "an empty list requires nothing of `roles`: write `claims(roles)` to require only \
             that it is present, or list the values it must contain"
        );
        assert_eq!(at, "[]");
    }

    #[test]
    fn claim_mistakes_are_each_reported() {
        let errors = errors(&with_required(
            r#"claims(
                tenant,
                ratio = 1.5,
                role = admin,
                realm_access.roles = ["a"],
                level = -x,
                big = 9223372036854775808,
                small = 5u8,
                "" = 1,
                "a..b",
                tenant = "other",
                roles = ["a", "a"],
                7,
                flag =
            )"#,
        ));
        let errors: Vec<(&str, &str)> = errors
            .iter()
            .map(|(message, at)| (message.as_str(), at.as_str()))
            .collect();
        assert_eq!(
            errors,
            [
                (
                    "expected a string, bool or integer literal: floating-point numbers are not supported",
                    "1.5"
                ),
                (
                    r#"expected a string, bool or integer literal: write text in quotes, e.g. `"admin"`"#,
                    "admin"
                ),
                (
                    r#"write a nested claim name as a string: `"realm_access.…" = …`"#,
                    "."
                ),
                ("expected an integer after `-`", "-"),
                (
                    "the integer does not fit in an `i64`",
                    "9223372036854775808"
                ),
                ("write the integer without a suffix: `5`", "5u8"),
                ("a claim name cannot be empty", r#""""#),
                (
                    r#"a nested claim name needs a name between every two dots, e.g. `"realm_access.roles"`"#,
                    r#""a..b""#
                ),
                (
                    "duplicate value: it is already listed earlier on this line; remove one",
                    r#""a""#
                ),
                (
                    r#"expected a claim name, e.g. `claims(email_verified = true)` or `claims("realm_access.roles" = ["admin"])`"#,
                    "7"
                ),
                (
                    "expected a value after `=`: a string, bool or integer, or a list of them",
                    "="
                ),
                (
                    "duplicate claim: it is already listed on line 2; remove one",
                    "tenant"
                ),
            ]
        );
    }
}
