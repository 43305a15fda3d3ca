//! The table of keys: every key of `#[protected(...)]`, with the kind of value it takes, how
//! each of its strings is checked, whether it is required, and the words its messages use.
//!
//! [`KEYS`] is the only place keys are listed. Parsing ([`crate::attr`]), the checks across
//! keys ([`crate::valid`]), the "expected one of" and "did you mean" messages and the
//! expansion ([`crate::expand`]) are all driven by it: a key is one entry here plus its field
//! and `const` method on the runtime's `PolicySpec`.

use syn::{Error, LitStr};

use crate::diag::{backticked, did_you_mean};

/// One key of the attribute.
pub(crate) struct Key {
    /// As written in the attribute, and the name of its `PolicySpec` method.
    pub(crate) name: &'static str,
    /// The value it takes, which decides how it is parsed and expanded.
    pub(crate) kind: Kind,
    /// Where its value goes in the expansion.
    pub(crate) role: Role,
    pub(crate) required: Required,
    /// How to write it, quoted in errors: "missing `audience`: add `audience = "your-api"`".
    pub(crate) example: &'static str,
    /// What its values are, in errors: "write the audience your API expects".
    pub(crate) what: &'static str,
    /// One of its list's elements, in errors: "duplicate scope".
    pub(crate) element: &'static str,
    /// Other words people write for it; "did you mean" suggests the key for them.
    pub(crate) aliases: &'static [&'static str],
    /// Checks each string literal of its value (each element of a list); [`any`] for the kinds
    /// that hold none.
    pub(crate) check: fn(&LitStr, &Key) -> syn::Result<()>,
}

/// The kinds of value a key takes: one parser ([`crate::value`]) and one expansion each.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// `"text"` → `"text"`.
    Str,
    /// `"text"` or `env("VAR")` → a runtime `Setting`.
    StrOrEnv,
    /// `"a"`, `["a", "b"]` or `env("VAR")` → a runtime `Values`.
    StrListOrEnv,
    /// `["a", "b"]` → `&["a", "b"]`.
    StrList,
    /// `["RS256", …]` → `&[Alg::RS256, …]`.
    Algorithms,
    /// `(name, name = value, …)`, written `key(...)` → `&[ClaimSpec { … }, …]`.
    Claims,
    /// `60` → `60`, a number of seconds.
    Seconds,
    /// `"::a::b"` → the path `::a::b`.
    Path,
    /// `["authorization", cookie("name"), header("name")]` → `&[TokenSource::…, …]`.
    TokenSources,
    /// One of a few fixed words, `"required"` → the runtime enum's variant, `Dpop::Required`.
    OneOf(&'static Choices),
}

/// The words a [`Kind::OneOf`] key takes, each naming a variant of one runtime enum (re-exported
/// in `__private`).
#[derive(PartialEq, Eq, Debug)]
pub(crate) struct Choices {
    /// The enum, as `__private` names it.
    pub(crate) ty: &'static str,
    /// Each word as written, the variant it names and what it means, in the order messages
    /// list them.
    pub(crate) words: &'static [(&'static str, &'static str, &'static str)],
}

impl Choices {
    /// The variant `word` names, if it is one of the words.
    pub(crate) fn variant(&self, word: &str) -> Option<&'static str> {
        self.words
            .iter()
            .find(|(written, ..)| *written == word)
            .map(|(_, variant, _)| *variant)
    }

    /// The words as messages list them: `` `"allowed"`, `"required"`, `"disabled"` ``.
    pub(crate) fn expected(&self) -> String {
        backticked(self.words.iter().map(|(word, ..)| format!("{word:?}")))
    }

    /// The words with what each means: `` `"allowed"` (the default: …), `"required"` (…) ``.
    pub(crate) fn explained(&self) -> String {
        self.words
            .iter()
            .map(|(word, _, meaning)| format!("`{word:?}` ({meaning})"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `dpop = "..."`: the runtime's `Dpop`.
const DPOP: Choices = Choices {
    ty: "Dpop",
    words: &[
        (
            "allowed",
            "Allowed",
            "the default: a DPoP-bound token needs its proof, others work as `Bearer`",
        ),
        (
            "required",
            "Required",
            "only DPoP-bound tokens, with their proof",
        ),
        ("disabled", "Disabled", "`Bearer` only, `cnf` ignored"),
    ],
};

impl Kind {
    /// Whether the key is written `key(...)` rather than `key = value`.
    pub(crate) fn is_call(self) -> bool {
        self == Kind::Claims
    }
}

/// Where a key's value goes in the expansion.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    /// An argument of `PolicySpec::new`, in table order.
    New,
    /// The argument of the `PolicySpec` method named like the key.
    Method,
    /// Where the runtime crate is: the expansion's paths start there.
    CratePath,
    /// Not in the policy: what the handler's `#[utoipa::path(...)]` documents
    /// ([`crate::openapi`]).
    OpenApi,
}

/// Whether a key must be given.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Required {
    Yes,
    /// Unless one of these keys is given in its place (`client_id` for `audience`).
    Unless(&'static [&'static str]),
    No,
}

/// Every key, in the order the "expected one of" list shows them.
pub(crate) const KEYS: &[Key] = &[
    Key {
        name: "issuer",
        kind: Kind::StrListOrEnv,
        role: Role::New,
        required: Required::Yes,
        example: r#"issuer = "https://id.example.com/""#,
        what: "the issuer your tokens name",
        element: "issuer",
        aliases: &["iss", "issuer_url", "authority"],
        check: issuer,
    },
    Key {
        name: "audience",
        kind: Kind::StrListOrEnv,
        role: Role::Method,
        required: Required::Unless(&["client_id"]),
        example: r#"audience = "your-api""#,
        what: "the audience your API expects",
        element: "audience",
        aliases: &["aud", "audiences"],
        check: not_blank,
    },
    Key {
        name: "client_id",
        kind: Kind::StrListOrEnv,
        role: Role::Method,
        required: Required::No,
        example: r#"client_id = "your-app-client-id""#,
        what: "the client id your tokens carry",
        element: "client_id",
        aliases: &["client", "clientid", "cid", "azp", "client_ids"],
        check: not_blank,
    },
    Key {
        name: "tenants",
        kind: Kind::StrListOrEnv,
        role: Role::Method,
        required: Required::No,
        example: r#"tenants = ["00000000-0000-0000-0000-000000000000"]"#,
        what: "the tenant ids you accept",
        element: "tenants",
        aliases: &["tenant", "tenant_ids", "tids", "tid"],
        check: not_blank,
    },
    Key {
        name: "jwks_uri",
        kind: Kind::StrOrEnv,
        role: Role::Method,
        required: Required::No,
        example: r#"jwks_uri = "https://id.example.com/.well-known/jwks.json""#,
        what: "the key set's URL",
        element: "jwks_uri",
        aliases: &["jwks", "jwks_url", "jwk_uri", "jwk_url", "keys_uri"],
        check: url,
    },
    Key {
        name: "scopes",
        kind: Kind::StrList,
        role: Role::Method,
        required: Required::No,
        example: r#"scopes = ["orders:read"]"#,
        what: "the scopes a token must carry",
        element: "scope",
        aliases: &["scope", "scp"],
        check: scope,
    },
    Key {
        name: "claims",
        kind: Kind::Claims,
        role: Role::Method,
        required: Required::No,
        example: "claims(email_verified = true)",
        what: "the claims a token must carry",
        element: "claim",
        aliases: &["claim", "require_claims", "required_claims"],
        check: any,
    },
    Key {
        name: "algorithms",
        kind: Kind::Algorithms,
        role: Role::Method,
        required: Required::No,
        example: r#"algorithms = ["RS256"]"#,
        what: "the algorithms accepted",
        element: "algorithm",
        aliases: &["alg", "algs", "algorithm"],
        check: algorithm,
    },
    Key {
        name: "leeway",
        kind: Kind::Seconds,
        role: Role::Method,
        required: Required::No,
        example: "leeway = 60",
        what: "seconds of clock skew allowed",
        element: "leeway",
        aliases: &["skew", "clock_skew", "leeway_secs", "leeway_seconds"],
        check: any,
    },
    Key {
        name: "typ",
        kind: Kind::Str,
        role: Role::Method,
        required: Required::No,
        example: r#"typ = "at+jwt""#,
        what: "the token's required `typ` header",
        element: "typ",
        aliases: &["type"],
        check: not_blank,
    },
    Key {
        name: "openapi_scheme",
        kind: Kind::Str,
        role: Role::OpenApi,
        required: Required::No,
        example: r#"openapi_scheme = "oidc""#,
        what: "the OpenAPI security scheme's name",
        element: "openapi_scheme",
        aliases: &[
            "scheme",
            "security_scheme",
            "openapi_security",
            "scheme_name",
        ],
        check: scheme_name,
    },
    Key {
        name: "token_from",
        kind: Kind::TokenSources,
        role: Role::Method,
        required: Required::No,
        example: r#"token_from = ["authorization", cookie("session")]"#,
        what: "where the token may come from",
        element: "token source",
        aliases: &[
            "token_source",
            "token_sources",
            "tokens_from",
            "source",
            "sources",
            "from",
        ],
        check: any,
    },
    Key {
        name: "dpop",
        kind: Kind::OneOf(&DPOP),
        role: Role::Method,
        required: Required::No,
        example: r#"dpop = "required""#,
        what: "whether DPoP-bound tokens are accepted, required or ignored",
        element: "dpop",
        aliases: &[
            "dpop_mode",
            "sender_constrained",
            "proof_of_possession",
            "pop",
        ],
        check: any,
    },
    Key {
        name: "crate",
        kind: Kind::Path,
        role: Role::CratePath,
        required: Required::No,
        example: r#"crate = "::my_crate::jwks_guard""#,
        what: "the path of the runtime crate",
        element: "crate",
        aliases: &["krate"],
        check: any,
    },
];

/// The key named `name`, as written (raw identifiers unrawed).
pub(crate) fn find(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|key| key.name == name)
}

/// The keys as the "expected one of" list shows them.
pub(crate) fn expected_keys() -> String {
    backticked(KEYS.iter().map(|key| {
        if key.kind.is_call() {
            format!("{}(...)", key.name)
        } else {
            key.name.to_owned()
        }
    }))
}

/// For the kinds that hold no string to check (`Claims`, `Seconds`, `Path`) or check it
/// themselves (`OneOf`).
fn any(_: &LitStr, _: &Key) -> syn::Result<()> {
    Ok(())
}

/// A string value that must not be empty nor padded with whitespace.
fn not_blank(lit: &LitStr, key: &Key) -> syn::Result<()> {
    let value = lit.value();
    if value.trim().is_empty() {
        Err(Error::new(
            lit.span(),
            format!("`{}` cannot be empty, e.g. `{}`", key.name, key.example),
        ))
    } else if value.trim() != value {
        Err(Error::new(
            lit.span(),
            format!("remove the whitespace around the value of `{}`", key.name),
        ))
    } else {
        Ok(())
    }
}

/// An OpenAPI component name (`components.securitySchemes` keys match `^[a-zA-Z0-9._-]+$`).
fn scheme_name(lit: &LitStr, key: &Key) -> syn::Result<()> {
    let value = lit.value();
    if value.is_empty() {
        return Err(Error::new(
            lit.span(),
            format!("`{}` cannot be empty, e.g. `{}`", key.name, key.example),
        ));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(Error::new(
            lit.span(),
            format!(
                "`{}` names an OpenAPI component, which holds only ASCII letters, digits, `.`, \
                 `_` and `-` (found {bad:?}), e.g. `{}`",
                key.name, key.example
            ),
        ));
    }
    Ok(())
}

/// The issuer template placeholder (Entra ID multi-tenant apps).
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// An issuer: not blank, and the only placeholder it may hold is `{tenantid}`, once.
fn issuer(lit: &LitStr, key: &Key) -> syn::Result<()> {
    not_blank(lit, key)?;
    let rest = lit.value().replacen(TENANT_PLACEHOLDER, "", 1);
    if rest.contains('{') || rest.contains('}') {
        return Err(Error::new(
            lit.span(),
            format!(
                "the only placeholder an issuer may hold is `{TENANT_PLACEHOLDER}`, once, filled \
                 from the token's `tid` claim, e.g. \
                 `issuer = \"https://login.microsoftonline.com/{TENANT_PLACEHOLDER}/v2.0\"`"
            ),
        ));
    }
    Ok(())
}

/// An absolute `https://` or `http://` URL.
fn url(lit: &LitStr, key: &Key) -> syn::Result<()> {
    not_blank(lit, key)?;
    let value = lit.value();
    if value.starts_with("https://") || value.starts_with("http://") {
        Ok(())
    } else {
        Err(Error::new(
            lit.span(),
            format!(
                "expected an absolute `https://` (or `http://`) URL, e.g. `{}`",
                key.example
            ),
        ))
    }
}

/// A scope: not empty, and one word (scopes are granted as one space-separated string, so "a b"
/// can never match).
fn scope(lit: &LitStr, _: &Key) -> syn::Result<()> {
    let value = lit.value();
    if value.is_empty() {
        return Err(Error::new(lit.span(), "a scope cannot be empty"));
    }
    if value.chars().any(char::is_whitespace) {
        let each: Vec<String> = value
            .split_whitespace()
            .map(|scope| format!("{scope:?}"))
            .collect();
        return Err(Error::new(
            lit.span(),
            format!(
                "a scope cannot contain whitespace: write each scope as its own string: `{}`",
                each.join(", ")
            ),
        ));
    }
    Ok(())
}

/// The words `algorithms = [...]` accepts, as RFC 7518 spells them. Each is expanded to the
/// runtime's `Alg` variant of the same name, spanned on the user's literal, so a word the runtime
/// lacks cannot compile; the list is here for the messages ("did you mean", "expected one of"),
/// while the default (every algorithm) is the runtime's alone.
pub(crate) const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
];

/// A supported algorithm's name; symmetric and unsigned ones are refused with the reason.
fn algorithm(lit: &LitStr, _: &Key) -> syn::Result<()> {
    let name = lit.value();
    if ALGORITHMS.contains(&name.as_str()) {
        return Ok(());
    }
    let upper = name.to_ascii_uppercase();
    if upper == "NONE" || upper.starts_with("HS") {
        return Err(Error::new(
            lit.span(),
            format!(
                "`{name}` is never accepted: symmetric (HMAC) and unsigned (`none`) algorithms \
                 are never accepted for tokens verified against a public JWKS; use an \
                 asymmetric algorithm such as `RS256` or `ES256`"
            ),
        ));
    }
    let hint = did_you_mean(&name, ALGORITHMS.iter().map(|alg| (*alg, &[][..])))
        .map(|alg| format!("did you mean `{alg}`? "))
        .unwrap_or_default();
    Err(Error::new(
        lit.span(),
        format!(
            "unsupported algorithm `{name}`; {hint}expected one of: {}",
            backticked(ALGORITHMS.iter().copied())
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_aliases_name_no_other_key() {
        for (index, key) in KEYS.iter().enumerate() {
            assert!(
                KEYS[..index].iter().all(|other| other.name != key.name),
                "{} twice",
                key.name
            );
            for alias in key.aliases {
                assert!(find(alias).is_none(), "alias `{alias}` is a key");
            }
        }
    }

    #[test]
    fn every_spec_key_can_name_a_method() {
        // A key's value goes to the `PolicySpec` method of its name.
        for key in KEYS.iter().filter(|key| key.role == Role::Method) {
            assert!(
                syn::parse_str::<syn::Ident>(key.name).is_ok(),
                "`{}` cannot name a method",
                key.name
            );
        }
    }

    #[test]
    fn the_expected_keys_are_listed_in_table_order_with_their_form() {
        let expected = expected_keys();
        assert!(
            expected.starts_with("`issuer`, `audience`, `client_id`, "),
            "{expected}"
        );
        assert!(expected.contains(", `claims(...)`, "), "{expected}");
        assert_eq!(expected.matches('`').count(), KEYS.len() * 2);
    }

    #[test]
    fn an_alternative_to_a_required_key_is_a_key() {
        for key in KEYS {
            if let Required::Unless(others) = key.required {
                for other in others {
                    assert!(find(other).is_some(), "`{other}` is not a key");
                }
            }
        }
    }
}
