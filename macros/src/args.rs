//! The attribute's grammar: the tokens inside `#[protected(...)]` → [`ProtectedArgs`].
//!
//! One table, [`KEYS`], drives parsing, duplicate detection, the "missing" error and the
//! "expected one of" list. Every error is spanned on the tokens it is about, and parsing goes on
//! after an error, so that every mistake is reported at once.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::{
    Error, Ident, LitBool, LitFloat, LitInt, LitStr, Token, bracketed, parenthesized, token,
};

use crate::diag::{Errors, backticked, did_you_mean, where_is};

mod kw {
    syn::custom_keyword!(env);
}

/// Everything one `#[protected(...)]` says, validated. Literals keep their spans so that the
/// expansion points back at what the user wrote.
pub(crate) struct ProtectedArgs {
    /// One issuer or several; a literal may be a template with `{tenantid}`.
    pub(crate) issuer: Values,
    /// At least one of `audience` and `client_id` is given.
    pub(crate) audience: Option<Values>,
    pub(crate) client_id: Option<Values>,
    /// Only with an issuer template.
    pub(crate) tenants: Option<Values>,
    pub(crate) jwks_uri: Option<Setting>,
    pub(crate) scopes: Vec<LitStr>,
    pub(crate) claims: Vec<Claim>,
    /// `None`: every supported algorithm.
    pub(crate) algorithms: Option<Vec<Alg>>,
    /// `None`: the default leeway.
    pub(crate) leeway: Option<Seconds>,
    pub(crate) typ: Option<LitStr>,
    /// `crate = "path"`: where the runtime crate is, for crates that re-export it.
    pub(crate) krate: Option<syn::Path>,
}

/// `"literal"` or `env("VAR")`.
pub(crate) enum Setting {
    Literal(LitStr),
    Env(EnvVar),
}

/// `env("VAR")`.
pub(crate) struct EnvVar {
    /// The variable's name.
    pub(crate) name: LitStr,
}

/// `"value"`, `["a", "b"]` or `env("VAR")`: the form of `issuer`, `audience`, `client_id` and
/// `tenants`.
pub(crate) enum Values {
    List(Vec<LitStr>),
    Env(EnvVar),
}

/// One entry of `claims(...)`.
pub(crate) struct Claim {
    /// The claim's name, a string even when written as an identifier.
    pub(crate) name: LitStr,
    pub(crate) expect: Expect,
}

/// What a `claims(...)` entry requires of its claim.
pub(crate) enum Expect {
    /// `name`.
    Present,
    /// `name = value`.
    Equals(Scalar),
    /// `name = [value, …]`.
    ContainsAll(Vec<Scalar>),
}

/// A string, bool or integer literal in `claims(...)`.
pub(crate) enum Scalar {
    Str(LitStr),
    Bool(LitBool),
    /// An integer; negative ones are written `-5`.
    Int {
        value: i64,
        span: Span,
    },
}

/// One entry of `algorithms = [...]`.
pub(crate) struct Alg {
    /// The JOSE name, which is also the name of the runtime's `Alg` variant.
    pub(crate) name: &'static str,
    pub(crate) span: Span,
}

/// `leeway = 30`.
pub(crate) struct Seconds {
    pub(crate) value: u64,
    pub(crate) span: Span,
}

/// The signature algorithms the runtime supports, spelled as RFC 7518 spells them.
const ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

/// One key of the attribute. [`KEYS`] is the only place keys are listed.
struct Key {
    name: &'static str,
    shape: Shape,
    required: bool,
    /// Other keys that satisfy a required key in its place (`client_id` for `audience`).
    or: &'static [&'static str],
    /// How to write it, quoted in errors: "missing `audience`: add `audience = "your-api"`".
    example: &'static str,
    /// Other words people write for this key; "did you mean" suggests the key for them.
    aliases: &'static [&'static str],
    /// Parses the value (what follows `=`, or the inside of the parentheses) into the fields.
    parse: fn(ParseStream<'_>, &Key, &mut Fields) -> syn::Result<()>,
}

/// How a key is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `key = value`.
    Assign,
    /// `key(...)`.
    Call,
}

const KEYS: &[Key] = &[
    Key {
        name: "issuer",
        shape: Shape::Assign,
        required: true,
        or: &[],
        example: r#"issuer = "https://id.example.com/""#,
        aliases: &["iss", "issuer_url", "authority"],
        parse: parse_issuer,
    },
    Key {
        name: "audience",
        shape: Shape::Assign,
        required: true,
        or: &["client_id"],
        example: r#"audience = "your-api""#,
        aliases: &["aud", "audiences"],
        parse: parse_audience,
    },
    Key {
        name: "client_id",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"client_id = "your-app-client-id""#,
        aliases: &["client", "clientid", "cid", "azp", "client_ids"],
        parse: parse_client_id,
    },
    Key {
        name: "tenants",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"tenants = ["00000000-0000-0000-0000-000000000000"]"#,
        aliases: &["tenant", "tenant_ids", "tids", "tid"],
        parse: parse_tenants,
    },
    Key {
        name: "jwks_uri",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"jwks_uri = "https://id.example.com/.well-known/jwks.json""#,
        aliases: &["jwks", "jwks_url", "jwk_uri", "jwk_url", "keys_uri"],
        parse: parse_jwks_uri,
    },
    Key {
        name: "scopes",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"scopes = ["orders:read"]"#,
        aliases: &["scope", "scp"],
        parse: parse_scopes,
    },
    Key {
        name: "claims",
        shape: Shape::Call,
        required: false,
        or: &[],
        example: r#"claims(email_verified = true)"#,
        aliases: &["claim", "require_claims", "required_claims"],
        parse: parse_claims,
    },
    Key {
        name: "algorithms",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"algorithms = ["RS256"]"#,
        aliases: &["alg", "algs", "algorithm"],
        parse: parse_algorithms,
    },
    Key {
        name: "leeway",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: "leeway = 60",
        aliases: &["skew", "clock_skew", "leeway_secs", "leeway_seconds"],
        parse: parse_leeway,
    },
    Key {
        name: "typ",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"typ = "at+jwt""#,
        aliases: &["type"],
        parse: parse_typ,
    },
    Key {
        name: "crate",
        shape: Shape::Assign,
        required: false,
        or: &[],
        example: r#"crate = "::my_crate::jwks_guard""#,
        aliases: &["krate"],
        parse: parse_crate,
    },
];

/// The keys as the "expected one of" list shows them.
fn expected_keys() -> String {
    backticked(KEYS.iter().map(|key| match key.shape {
        Shape::Assign => key.name.to_owned(),
        Shape::Call => format!("{}(...)", key.name),
    }))
}

/// The values parsed so far; [`ProtectedArgs`] once every required key is there.
#[derive(Default)]
struct Fields {
    issuer: Option<Values>,
    tenants: Option<Values>,
    audience: Option<Values>,
    client_id: Option<Values>,
    jwks_uri: Option<Setting>,
    scopes: Vec<LitStr>,
    claims: Vec<Claim>,
    algorithms: Option<Vec<Alg>>,
    leeway: Option<Seconds>,
    typ: Option<LitStr>,
    krate: Option<syn::Path>,
}

/// Keys met so far: for duplicates, and to know what is missing.
#[derive(Default)]
struct Seen {
    /// Each key given, with where.
    keys: Vec<(&'static str, Span)>,
    /// Keys an unknown key was probably meant to be: not reported missing as well.
    suggested: Vec<&'static str>,
}

impl Seen {
    /// Where `key` was given, if it was.
    fn span_of(&self, key: &str) -> Option<Span> {
        self.keys
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, span)| *span)
    }
}

impl ProtectedArgs {
    /// Parses and validates the attribute's arguments, reporting every mistake.
    pub(crate) fn parse(attr: TokenStream) -> syn::Result<ProtectedArgs> {
        let mut errors = Errors::default();
        let mut fields = Fields::default();
        let mut seen = Seen::default();
        let parsed = (|input: ParseStream<'_>| {
            comma_separated(input, &mut errors, "a key", |input| {
                entry(input, &mut fields, &mut seen)
            });
            Ok(())
        })
        .parse2(attr);
        if let Err(error) = parsed {
            // syn reports tokens left inside a group that an erroring parser abandoned; that
            // only follows from an error already collected.
            if errors.is_empty() {
                errors.push(error);
            }
        }
        let missing: Vec<&Key> = KEYS
            .iter()
            .filter(|key| key.required)
            .filter(|key| {
                !seen
                    .keys
                    .iter()
                    .any(|(name, _)| *name == key.name || key.or.contains(name))
            })
            .filter(|key| {
                !seen
                    .suggested
                    .iter()
                    .any(|name| *name == key.name || key.or.contains(name))
            })
            .collect();
        if !missing.is_empty() {
            let names: Vec<String> = missing
                .iter()
                .map(|key| format!("`{}`", key.name))
                .collect();
            let examples: Vec<&str> = missing.iter().map(|key| key.example).collect();
            errors.push(Error::new(
                Span::call_site(),
                format!(
                    "missing {}: add `{}`",
                    names.join(" and "),
                    examples.join(", ")
                ),
            ));
        }
        if let Some(span) = seen.span_of("tenants") {
            let template = matches!(&fields.issuer, Some(Values::List(issuers))
                if issuers.iter().any(|issuer| issuer.value().contains(TENANT_PLACEHOLDER)));
            if !template && !matches!(&fields.issuer, Some(Values::Env(_)) | None) {
                errors.push(Error::new(
                    span,
                    format!(
                        "`tenants` limits an issuer template to some tenants: write the issuer \
                         with `{TENANT_PLACEHOLDER}`, e.g. \
                         `issuer = \"https://login.microsoftonline.com/{TENANT_PLACEHOLDER}/v2.0\"`"
                    ),
                ));
            }
        }
        errors.finish()?;
        let (Some(issuer), true) = (
            fields.issuer,
            fields.audience.is_some() || fields.client_id.is_some(),
        ) else {
            // Unreachable: a required key that was given but not parsed reported its error.
            return Err(Error::new(
                Span::call_site(),
                "missing `issuer` or `audience`",
            ));
        };
        Ok(ProtectedArgs {
            issuer,
            audience: fields.audience,
            client_id: fields.client_id,
            tenants: fields.tenants,
            jwks_uri: fields.jwks_uri,
            scopes: fields.scopes,
            claims: fields.claims,
            algorithms: fields.algorithms,
            leeway: fields.leeway,
            typ: fields.typ,
            krate: fields.krate,
        })
    }
}

/// One `key = value` or `key(...)`.
fn entry(input: ParseStream<'_>, fields: &mut Fields, seen: &mut Seen) -> syn::Result<()> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let message = match KEYS.iter().find(|key| key.name == lit.value()) {
            Some(key) => {
                seen.suggested.push(key.name);
                format!("write the key without quotes: `{}`", key.example)
            }
            None => format!("expected a key, one of: {}", expected_keys()),
        };
        return Err(Error::new(lit.span(), message));
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a key, one of: {}", expected_keys())));
    }
    let name = Ident::parse_any(input)?;
    let written = name.unraw().to_string();
    let Some(key) = KEYS.iter().find(|key| key.name == written) else {
        let suggestion = did_you_mean(&written, KEYS.iter().map(|key| (key.name, key.aliases)));
        let hint = match suggestion {
            Some(suggestion) => {
                seen.suggested.push(suggestion);
                format!("did you mean `{suggestion}`? ")
            }
            None => String::new(),
        };
        return Err(Error::new(
            name.span(),
            format!(
                "unknown key `{written}`; {hint}expected one of: {}",
                expected_keys()
            ),
        ));
    };
    if let Some((_, first)) = seen.keys.iter().find(|(seen, _)| *seen == key.name) {
        return Err(Error::new(
            name.span(),
            format!(
                "duplicate key `{}`: it is already set {}; keep only one",
                key.name,
                where_is(*first, name.span())
            ),
        ));
    }
    seen.keys.push((key.name, name.span()));
    match key.shape {
        Shape::Assign => {
            if input.peek(token::Paren) {
                return Err(input.error(format!(
                    "expected `=` after `{}`, e.g. `{}`",
                    key.name, key.example
                )));
            }
            if !input.peek(Token![=]) {
                return Err(Error::new(
                    name.span(),
                    format!("expected `=` and a value, e.g. `{}`", key.example),
                ));
            }
            let eq: Token![=] = input.parse()?;
            if input.is_empty() || input.peek(Token![,]) {
                return Err(Error::new(
                    eq.span,
                    format!("expected a value after `=`, e.g. `{}`", key.example),
                ));
            }
            (key.parse)(input, key, fields)
        }
        Shape::Call => {
            if !input.peek(token::Paren) {
                let span = if input.peek(Token![=]) {
                    input.span()
                } else {
                    name.span()
                };
                return Err(Error::new(
                    span,
                    format!(
                        "write `{}(...)` with parentheses, e.g. `{}`",
                        key.name, key.example
                    ),
                ));
            }
            let content;
            parenthesized!(content in input);
            (key.parse)(&content, key, fields)
        }
    }
}

/// Parses `item, item, …` up to the end of `input`. A bad item is reported and parsing resumes
/// after the next comma, so that every mistake is found in one go. `one` names an item in
/// messages ("a key").
fn comma_separated<T>(
    input: ParseStream<'_>,
    errors: &mut Errors,
    one: &str,
    mut item: impl FnMut(ParseStream<'_>) -> syn::Result<T>,
) -> Vec<T> {
    let mut items = Vec::new();
    while !input.is_empty() {
        if input.peek(Token![,]) {
            errors.push(input.error(format!("expected {one} before `,`")));
            skip_comma(input);
            continue;
        }
        match item(input) {
            Ok(value) => {
                items.push(value);
                if input.is_empty() {
                    break;
                }
                if input.peek(Token![,]) {
                    skip_comma(input);
                    continue;
                }
                errors.push(input.error("expected `,`"));
                // A forgotten comma before the next key: parse on from here, so that the key
                // is not also reported missing. Anything else is skipped.
                if !input.peek(Ident::peek_any) {
                    skip_past_comma(input);
                }
            }
            Err(error) => {
                errors.push(error);
                skip_past_comma(input);
            }
        }
    }
    items
}

fn skip_comma(input: ParseStream<'_>) {
    let _ = input.parse::<Token![,]>();
}

/// Skips the rest of a bad item and the comma after it.
fn skip_past_comma(input: ParseStream<'_>) {
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            rest = next;
            if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}

fn parse_issuer(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    let issuer = strings_or_env(input, key, "the issuer your tokens name")?;
    if let Values::List(issuers) = &issuer {
        let mut errors = Errors::default();
        for issuer in issuers {
            errors.take(placeholders(issuer));
        }
        errors.finish()?;
    }
    fields.issuer = Some(issuer);
    Ok(())
}

/// The only placeholder an issuer may hold is `{tenantid}`, once.
fn placeholders(issuer: &LitStr) -> syn::Result<()> {
    let value = issuer.value();
    let rest = value.replacen(TENANT_PLACEHOLDER, "", 1);
    if rest.contains('{') || rest.contains('}') {
        return Err(Error::new(
            issuer.span(),
            format!(
                "the only placeholder an issuer may hold is `{TENANT_PLACEHOLDER}`, once, filled \
                 from the token's `tid` claim, e.g. \
                 `issuer = \"https://login.microsoftonline.com/{TENANT_PLACEHOLDER}/v2.0\"`"
            ),
        ));
    }
    Ok(())
}

/// The issuer template placeholder (Entra ID multi-tenant apps).
const TENANT_PLACEHOLDER: &str = "{tenantid}";

fn parse_tenants(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    fields.tenants = Some(strings_or_env(input, key, "the tenant ids you accept")?);
    Ok(())
}

fn parse_jwks_uri(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    let uri = setting(input, key)?;
    if let Setting::Literal(lit) = &uri {
        not_blank(lit, key)?;
        let value = lit.value();
        if !(value.starts_with("https://") || value.starts_with("http://")) {
            return Err(Error::new(
                lit.span(),
                format!(
                    "expected an absolute `https://` (or `http://`) URL, e.g. `{}`",
                    key.example
                ),
            ));
        }
    }
    fields.jwks_uri = Some(uri);
    Ok(())
}

fn parse_audience(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    fields.audience = Some(strings_or_env(input, key, "the audience your API expects")?);
    Ok(())
}

fn parse_client_id(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    fields.client_id = Some(strings_or_env(
        input,
        key,
        "the client id your tokens carry",
    )?);
    Ok(())
}

/// `"value"`, `["a", "b"]` (not empty, no blanks, no repeats) or `env("VAR")`; `what` says in
/// errors what the values are.
fn strings_or_env(input: ParseStream<'_>, key: &Key, what: &str) -> syn::Result<Values> {
    let values = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        not_blank(&lit, key)?;
        Values::List(vec![lit])
    } else if input.peek(token::Bracket) {
        let list: List<ListStr> = input.parse()?;
        let (values, mut errors) = list.into_parts(|| {
            format!(
                "an empty `{}` list accepts no token: write {what}, e.g. `{}`",
                key.name, key.example
            )
        })?;
        let values: Vec<LitStr> = values.into_iter().map(|s| s.0).collect();
        for value in &values {
            errors.take(not_blank(value, key));
        }
        unique(&values, key.name, LitStr::value, LitStr::span, &mut errors);
        errors.finish()?;
        Values::List(values)
    } else if input.peek(kw::env) {
        Values::Env(input.parse()?)
    } else {
        return Err(input.error(format!(
            "expected a string, a list of strings or `env(\"VAR\")`, e.g. `{}`",
            key.example
        )));
    };
    Ok(values)
}

/// Before a value that must be a `[...]` list: a lone string is told to go in brackets
/// ("expected a list: write `scopes = ["read"]`"), anything else is told what the list holds.
fn expect_list(input: ParseStream<'_>, key: &Key, of_what: &str) -> syn::Result<()> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Err(Error::new(
            lit.span(),
            format!(
                "expected a list: write `{} = [{:?}]`",
                key.name,
                lit.value()
            ),
        ));
    }
    if !input.peek(token::Bracket) {
        return Err(input.error(format!(
            "expected a list of {of_what}, e.g. `{}`",
            key.example
        )));
    }
    Ok(())
}

fn parse_scopes(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    expect_list(input, key, "scopes")?;
    let list: List<ListStr> = input.parse()?;
    let (scopes, mut errors) = list.into_parts(|| {
        format!(
            "an empty `scopes` list requires nothing: remove `scopes`, or list the scopes a \
             token must carry, e.g. `{}`",
            key.example
        )
    })?;
    let scopes: Vec<LitStr> = scopes.into_iter().map(|s| s.0).collect();
    for scope in &scopes {
        let value = scope.value();
        if value.is_empty() {
            errors.push(Error::new(scope.span(), "a scope cannot be empty"));
        } else if value.chars().any(char::is_whitespace) {
            // Scopes are granted as one space-separated string: "a b" can never match.
            let each: Vec<String> = value
                .split_whitespace()
                .map(|scope| format!("{scope:?}"))
                .collect();
            errors.push(Error::new(
                scope.span(),
                format!(
                    "a scope cannot contain whitespace: write each scope as its own string: \
                     `{}`",
                    each.join(", ")
                ),
            ));
        }
    }
    unique(&scopes, "scope", LitStr::value, LitStr::span, &mut errors);
    errors.finish()?;
    fields.scopes = scopes;
    Ok(())
}

fn parse_claims(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    if input.is_empty() {
        // At the end of the parentheses, `input.span()` is the closing one.
        return Err(Error::new(
            input.span(),
            format!(
                "`claims()` requires nothing: remove it, or name the claims a token must \
                 carry, e.g. `{}`",
                key.example
            ),
        ));
    }
    let mut errors = Errors::default();
    let claims = comma_separated(input, &mut errors, "a claim", Claim::parse);
    unique(
        &claims,
        "claim",
        |claim| claim.name.value(),
        |claim| claim.name.span(),
        &mut errors,
    );
    errors.finish()?;
    fields.claims = claims;
    Ok(())
}

fn parse_algorithms(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    expect_list(input, key, "algorithm names")?;
    let list: List<Alg> = input.parse()?;
    let (algorithms, mut errors) = list.into_parts(|| {
        format!(
            "an empty `algorithms` list accepts no token: remove `algorithms` to accept every \
             supported algorithm, or list some, e.g. `{}`",
            key.example
        )
    })?;
    unique(
        &algorithms,
        "algorithm",
        |alg| alg.name,
        |alg| alg.span,
        &mut errors,
    );
    errors.finish()?;
    fields.algorithms = Some(algorithms);
    Ok(())
}

fn parse_leeway(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    let expected = |example: &str| {
        format!(
            "expected an integer number of seconds, e.g. `{} = {example}`",
            key.name
        )
    };
    let negative = |tokens: TokenStream| {
        Error::new_spanned(
            tokens,
            format!("`{}` cannot be negative; {}", key.name, expected("60")),
        )
    };
    if input.peek(LitInt) {
        let lit: LitInt = input.parse()?;
        if lit.base10_digits().starts_with('-') {
            return Err(negative(lit.to_token_stream()));
        }
        if !lit.suffix().is_empty() {
            return Err(Error::new(
                lit.span(),
                format!("{}, without a suffix", expected(lit.base10_digits())),
            ));
        }
        let value = lit.base10_parse::<u64>().map_err(|_| {
            Error::new(
                lit.span(),
                format!("`{}` is too large; {}", key.name, expected("60")),
            )
        })?;
        fields.leeway = Some(Seconds {
            value,
            span: lit.span(),
        });
        return Ok(());
    }
    if input.peek(Token![-]) {
        let minus: Token![-] = input.parse()?;
        let mut tokens = minus.to_token_stream();
        if input.peek(LitInt) || input.peek(LitFloat) {
            tokens.extend(input.parse::<TokenTree>());
        }
        return Err(negative(tokens));
    }
    if input.peek(LitStr) {
        // `leeway = "30"` → "e.g. `leeway = 30`".
        let lit: LitStr = input.parse()?;
        let example = lit
            .value()
            .trim()
            .parse::<u64>()
            .map_or_else(|_| "60".to_owned(), |secs| secs.to_string());
        return Err(Error::new(lit.span(), expected(&example)));
    }
    Err(input.error(expected("60")))
}

fn parse_typ(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    if !input.peek(LitStr) {
        return Err(input.error(format!("expected a string, e.g. `{}`", key.example)));
    }
    let lit: LitStr = input.parse()?;
    not_blank(&lit, key)?;
    fields.typ = Some(lit);
    Ok(())
}

fn parse_crate(input: ParseStream<'_>, key: &Key, fields: &mut Fields) -> syn::Result<()> {
    let expected = format!(
        "expected the path of the runtime crate as a string, e.g. `{}`",
        key.example
    );
    if !input.peek(LitStr) {
        return Err(input.error(expected));
    }
    let lit: LitStr = input.parse()?;
    let path = lit
        .parse::<syn::Path>()
        .map_err(|_| Error::new(lit.span(), expected))?;
    fields.krate = Some(path);
    Ok(())
}

/// A string setting, with an error naming the key when it is neither form.
fn setting(input: ParseStream<'_>, key: &Key) -> syn::Result<Setting> {
    if input.peek(LitStr) || input.peek(kw::env) {
        input.parse()
    } else {
        Err(input.error(format!(
            "expected a string or `env(\"VAR\")`, e.g. `{}`",
            key.example
        )))
    }
}

impl Parse for Setting {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(kw::env) {
            Ok(Setting::Env(input.parse()?))
        } else if input.peek(LitStr) {
            Ok(Setting::Literal(input.parse()?))
        } else {
            Err(input.error("expected a string or `env(\"VAR\")`"))
        }
    }
}

impl Parse for EnvVar {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let env: kw::env = input.parse()?;
        if input.peek(Token![!]) {
            return Err(input.error(
                "write `env(\"VAR\")` without `!`: the variable is read at the first request, \
                 not at compile time",
            ));
        }
        if !input.peek(token::Paren) {
            return Err(Error::new(
                env.span,
                "expected the variable's name in parentheses: `env(\"VAR\")`",
            ));
        }
        let content;
        let parens = parenthesized!(content in input);
        if content.peek(Ident::peek_any) {
            let ident = Ident::parse_any(&content)?;
            return Err(Error::new(
                ident.span(),
                format!("write the variable's name as a string: `env(\"{ident}\")`"),
            ));
        }
        if !content.peek(LitStr) {
            return Err(Error::new(
                parens.span.join(),
                "expected the variable's name as a string: `env(\"VAR\")`",
            ));
        }
        let name: LitStr = content.parse()?;
        if !content.is_empty() {
            return Err(content.error("expected only the variable's name: `env(\"VAR\")`"));
        }
        let value = name.value();
        if value.trim().is_empty() {
            return Err(Error::new(
                name.span(),
                "the variable's name is empty: write `env(\"VAR\")`",
            ));
        }
        if value.contains(['=', '\0']) {
            return Err(Error::new(
                name.span(),
                "an environment variable's name cannot contain `=` or NUL",
            ));
        }
        Ok(EnvVar { name })
    }
}

/// `[a, b, …]`: every element is parsed, and every bad one reported.
struct List<T> {
    /// The brackets and what is between them.
    span: Span,
    items: Vec<T>,
    /// Why the other elements were rejected.
    errors: Errors,
}

impl<T> List<T> {
    /// The elements, and the errors so far for the caller to add its own checks to. An empty
    /// list is an error, with the message `empty` gives.
    fn into_parts(self, empty: impl FnOnce() -> String) -> syn::Result<(Vec<T>, Errors)> {
        if self.items.is_empty() && self.errors.is_empty() {
            return Err(Error::new(self.span, empty()));
        }
        Ok((self.items, self.errors))
    }
}

impl<T: Parse> Parse for List<T> {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        let brackets = bracketed!(content in input);
        let mut errors = Errors::default();
        let items = comma_separated(&content, &mut errors, "an element", T::parse);
        Ok(List {
            span: brackets.span.join(),
            items,
            errors,
        })
    }
}

/// A string literal as a list element.
struct ListStr(LitStr);

impl Parse for ListStr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(LitStr) {
            return Ok(ListStr(input.parse()?));
        }
        if input.peek(kw::env) {
            return Err(input.error(
                "`env(\"VAR\")` cannot be a list element: only a whole value can come from \
                 the environment",
            ));
        }
        if input.peek(Ident::peek_any) {
            let ident = Ident::parse_any(input)?;
            return Err(Error::new(
                ident.span(),
                format!("expected a string: write `\"{ident}\"`"),
            ));
        }
        Err(input.error("expected a string"))
    }
}

impl Parse for Alg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(Ident::peek_any) {
            let ident = Ident::parse_any(input)?;
            return Err(Error::new(
                ident.span(),
                format!("write the algorithm's name as a string: `\"{ident}\"`"),
            ));
        }
        if !input.peek(LitStr) {
            return Err(input.error("expected an algorithm name, e.g. `\"RS256\"`"));
        }
        let lit: LitStr = input.parse()?;
        let name = lit.value();
        if let Some(known) = ALGORITHMS.iter().find(|known| **known == name) {
            return Ok(Alg {
                name: known,
                span: lit.span(),
            });
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
}

impl Parse for Claim {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = if input.peek(LitStr) {
            let name: LitStr = input.parse()?;
            let value = name.value();
            if value.is_empty() {
                return Err(Error::new(name.span(), "a claim name cannot be empty"));
            }
            if value.contains('.') && value.split('.').any(str::is_empty) {
                return Err(Error::new(
                    name.span(),
                    "a nested claim name needs a name between every two dots, e.g. \
                     `\"realm_access.roles\"`",
                ));
            }
            name
        } else if input.peek(Ident::peek_any) {
            let ident = Ident::parse_any(input)?;
            if input.peek(Token![.]) {
                return Err(input.error(format!(
                    "write a nested claim name as a string: `\"{ident}.…\" = …`"
                )));
            }
            LitStr::new(&ident.unraw().to_string(), ident.span())
        } else {
            return Err(input.error(
                "expected a claim name, e.g. `claims(email_verified = true)` or \
                 `claims(\"realm_access.roles\" = [\"admin\"])`",
            ));
        };
        if !input.peek(Token![=]) {
            return Ok(Claim {
                name,
                expect: Expect::Present,
            });
        }
        let eq: Token![=] = input.parse()?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(Error::new(
                eq.span,
                "expected a value after `=`: a string, bool or integer, or a list of them",
            ));
        }
        if !input.peek(token::Bracket) {
            return Ok(Claim {
                name,
                expect: Expect::Equals(input.parse()?),
            });
        }
        let list: List<Scalar> = input.parse()?;
        let (values, mut errors) = list.into_parts(|| {
            format!(
                "an empty list requires nothing of `{0}`: write `claims({0})` to require only \
                 that it is present, or list the values it must contain",
                name.value()
            )
        })?;
        unique(&values, "value", Scalar::value, Scalar::span, &mut errors);
        errors.finish()?;
        Ok(Claim {
            name,
            expect: Expect::ContainsAll(values),
        })
    }
}

/// A scalar's value, to compare entries of a list.
#[derive(PartialEq)]
enum ScalarValue {
    Str(String),
    Bool(bool),
    Int(i64),
}

impl Scalar {
    fn value(&self) -> ScalarValue {
        match self {
            Scalar::Str(lit) => ScalarValue::Str(lit.value()),
            Scalar::Bool(lit) => ScalarValue::Bool(lit.value),
            Scalar::Int { value, .. } => ScalarValue::Int(*value),
        }
    }

    fn span(&self) -> Span {
        match self {
            Scalar::Str(lit) => lit.span(),
            Scalar::Bool(lit) => lit.span,
            Scalar::Int { span, .. } => *span,
        }
    }
}

impl Parse for Scalar {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        const EXPECTED: &str = "expected a string, bool or integer literal";
        if input.peek(LitStr) {
            Ok(Scalar::Str(input.parse()?))
        } else if input.peek(LitBool) {
            Ok(Scalar::Bool(input.parse()?))
        } else if input.peek(LitInt) {
            int(input.parse()?, false)
        } else if input.peek(Token![-]) {
            let minus: Token![-] = input.parse()?;
            if !input.peek(LitInt) {
                return Err(Error::new(minus.span, "expected an integer after `-`"));
            }
            int(input.parse()?, true)
        } else if input.peek(LitFloat) {
            Err(input.error(format!(
                "{EXPECTED}: floating-point numbers are not supported"
            )))
        } else if input.peek(Ident::peek_any) {
            let ident = Ident::parse_any(input)?;
            Err(Error::new(
                ident.span(),
                format!("{EXPECTED}: write text in quotes, e.g. `\"{ident}\"`"),
            ))
        } else {
            Err(input.error(EXPECTED))
        }
    }
}

/// An integer claim value, which must fit an `i64`. `negative`: it came after a `-` token (the
/// compiler splits `-5` in two; `proc_macro2` outside a compiler keeps it as one literal).
fn int(lit: LitInt, negative: bool) -> syn::Result<Scalar> {
    if !lit.suffix().is_empty() {
        return Err(Error::new(
            lit.span(),
            format!(
                "write the integer without a suffix: `{}`",
                lit.base10_digits()
            ),
        ));
    }
    let value = lit
        .base10_parse::<i128>()
        .ok()
        .map(|value| if negative { -value } else { value })
        .and_then(|value| i64::try_from(value).ok())
        .ok_or_else(|| Error::new(lit.span(), "the integer does not fit in an `i64`"))?;
    Ok(Scalar::Int {
        value,
        span: lit.span(),
    })
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

/// Reports every item equal to an earlier one, on the later one.
///
/// A repeated scope, audience, algorithm, claim or claim value changes nothing, so it is
/// usually a slip where something else was meant (`["orders:read", "orders:read"]` for
/// `["orders:read", "orders:write"]`). A proc macro cannot emit warnings on stable Rust, and
/// accepting it silently would hide the slip, so it is an error.
fn unique<T, V: PartialEq>(
    items: &[T],
    what: &str,
    value: impl Fn(&T) -> V,
    span: impl Fn(&T) -> Span,
    errors: &mut Errors,
) {
    for (index, item) in items.iter().enumerate() {
        let this = value(item);
        if let Some(first) = items[..index].iter().find(|earlier| value(earlier) == this) {
            let (first, here) = (span(first), span(item));
            errors.push(Error::new(
                here,
                format!(
                    "duplicate {what}: it is already listed {}; remove one",
                    where_is(first, here)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
