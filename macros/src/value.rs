//! The one value parser: what follows `key =` (or the inside of `key(...)`) → a [`Value`],
//! by the key's [`Kind`]. Each string literal goes through the key's own check, and every bad
//! element of a list is reported, not only the first.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens as _;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream};
use syn::{
    Error, Ident, LitBool, LitFloat, LitInt, LitStr, Token, bracketed, parenthesized, token,
};

use crate::ast::{Claim, EnvVar, Expect, Scalar, Seconds, Setting, Source, Value, Values, Word};
use crate::attr::comma_separated;
use crate::diag::{Errors, backticked, did_you_mean, where_is};
use crate::keys::{Choices, Key, Kind};

mod kw {
    syn::custom_keyword!(env);
}

/// Parses `key`'s value from `input`, which holds at least one token.
pub(crate) fn parse(input: ParseStream<'_>, key: &Key) -> syn::Result<Value> {
    match key.kind {
        Kind::Str => {
            if !input.peek(LitStr) {
                return Err(input.error(format!("expected a string, e.g. `{}`", key.example)));
            }
            let lit: LitStr = input.parse()?;
            (key.check)(&lit, key)?;
            Ok(Value::Str(lit))
        }
        Kind::StrOrEnv => {
            if input.peek(kw::env) {
                return Ok(Value::Setting(Setting::Env(input.parse()?)));
            }
            if !input.peek(LitStr) {
                return Err(input.error(format!(
                    "expected a string or `env(\"VAR\")`, e.g. `{}`",
                    key.example
                )));
            }
            let lit: LitStr = input.parse()?;
            (key.check)(&lit, key)?;
            Ok(Value::Setting(Setting::Literal(lit)))
        }
        Kind::StrListOrEnv => {
            if input.peek(kw::env) {
                return Ok(Value::Values(Values::Env(input.parse()?)));
            }
            if input.peek(LitStr) {
                let lit: LitStr = input.parse()?;
                (key.check)(&lit, key)?;
                return Ok(Value::Values(Values::List(vec![lit])));
            }
            if !input.peek(token::Bracket) {
                return Err(input.error(format!(
                    "expected a string, a list of strings or `env(\"VAR\")`, e.g. `{}`",
                    key.example
                )));
            }
            let list = strings(input, key, "expected a string", |key| {
                format!(
                    "an empty `{}` list accepts no token: write {}, e.g. `{}`",
                    key.name, key.what, key.example
                )
            })?;
            Ok(Value::Values(Values::List(list)))
        }
        Kind::StrList => {
            expect_list(input, key)?;
            let list = strings(input, key, "expected a string", |key| {
                format!(
                    "an empty `{0}` list requires nothing: remove `{0}`, or list {1}, e.g. `{2}`",
                    key.name, key.what, key.example
                )
            })?;
            Ok(Value::List(list))
        }
        Kind::Algorithms => {
            expect_list(input, key)?;
            let list = strings(
                input,
                key,
                "expected an algorithm name, e.g. `\"RS256\"`",
                |key| {
                    format!(
                        "an empty `{0}` list accepts no token: remove `{0}` to accept every \
                         supported algorithm, or list some, e.g. `{1}`",
                        key.name, key.example
                    )
                },
            )?;
            Ok(Value::Algorithms(list))
        }
        Kind::Claims => claims(input, key).map(Value::Claims),
        Kind::TokenSources => {
            expect_list(input, key)?;
            sources(input, key).map(Value::TokenSources)
        }
        Kind::Seconds => seconds(input, key).map(Value::Seconds),
        Kind::OneOf(choices) => one_of(input, key, choices).map(Value::OneOf),
        Kind::Path => {
            let expected = format!("expected {} as a string, e.g. `{}`", key.what, key.example);
            if !input.peek(LitStr) {
                return Err(input.error(expected));
            }
            let lit: LitStr = input.parse()?;
            let path = lit
                .parse::<syn::Path>()
                .map_err(|_| Error::new(lit.span(), expected))?;
            Ok(Value::Path(path))
        }
    }
}

/// Before a value that must be a `[...]` list: a lone string is told to go in brackets
/// ("expected a list: write `scopes = ["read"]`"), anything else is told what the list holds.
fn expect_list(input: ParseStream<'_>, key: &Key) -> syn::Result<()> {
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
            "expected a list of {}s, e.g. `{}`",
            key.element, key.example
        )));
    }
    Ok(())
}

/// `["a", "b"]`: not empty (`empty` says what to write instead), every element a string that
/// passes the key's check, none twice. `expected` is the error for an element of another kind.
fn strings(
    input: ParseStream<'_>,
    key: &Key,
    expected: &str,
    empty: fn(&Key) -> String,
) -> syn::Result<Vec<LitStr>> {
    let content;
    let brackets = bracketed!(content in input);
    let mut errors = Errors::default();
    let items = comma_separated(&content, &mut errors, "an element", |input| {
        list_string(input, key, expected)
    });
    if items.is_empty() && errors.is_empty() {
        return Err(Error::new(brackets.span.join(), empty(key)));
    }
    let values: Vec<LitStr> = items
        .into_iter()
        .filter(|lit| errors.take((key.check)(lit, key)).is_some())
        .collect();
    unique(
        &values,
        key.element,
        LitStr::value,
        LitStr::span,
        &mut errors,
    );
    errors.finish()?;
    Ok(values)
}

/// The forms a token source is written in, for messages.
const SOURCE_FORMS: &[&str] = &[
    r#""authorization""#,
    r#"cookie("name")"#,
    r#"header("name")"#,
];

/// `["authorization", cookie("name"), header("name")]`: not empty, every element a source,
/// none twice.
fn sources(input: ParseStream<'_>, key: &Key) -> syn::Result<Vec<Source>> {
    let content;
    let brackets = bracketed!(content in input);
    let mut errors = Errors::default();
    let items = comma_separated(&content, &mut errors, "a token source", source);
    if items.is_empty() && errors.is_empty() {
        return Err(Error::new(
            brackets.span.join(),
            format!(
                "an empty `{0}` list accepts no token: remove `{0}` to read the `Authorization` \
                 header, or list sources, e.g. `{1}`",
                key.name, key.example
            ),
        ));
    }
    unique(
        &items,
        key.element,
        Source::identity,
        Source::span,
        &mut errors,
    );
    errors.finish()?;
    Ok(items)
}

/// One token source.
fn source(input: ParseStream<'_>) -> syn::Result<Source> {
    let forms = backticked(SOURCE_FORMS.iter().copied());
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let value = lit.value();
        if value == "authorization" {
            return Ok(Source::Authorization(lit.span()));
        }
        let message = if value.eq_ignore_ascii_case("authorization") {
            "write the `Authorization` header in lowercase: `\"authorization\"`".to_owned()
        } else if value.eq_ignore_ascii_case("cookie") {
            "name the cookie that holds the token: `cookie(\"name\")`".to_owned()
        } else {
            format!(
                "a string names only the `Authorization` header; for another header write \
                 `header({value:?})`; expected one of: {forms}"
            )
        };
        return Err(Error::new(lit.span(), message));
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a token source: one of {forms}")));
    }
    let ident = Ident::parse_any(input)?;
    let word = ident.unraw().to_string();
    if word != "cookie" && word != "header" {
        let message = if word.eq_ignore_ascii_case("authorization") {
            "write `\"authorization\"` as a string".to_owned()
        } else {
            let hint = did_you_mean(&word, [("cookie", &[][..]), ("header", &["headers"][..])])
                .map(|form| format!("did you mean `{form}(\"name\")`? "))
                .unwrap_or_default();
            format!("unknown token source `{word}`; {hint}expected one of: {forms}")
        };
        return Err(Error::new(ident.span(), message));
    }
    if !input.peek(token::Paren) {
        return Err(Error::new(
            ident.span(),
            format!("expected the {word}'s name in parentheses: `{word}(\"name\")`"),
        ));
    }
    let content;
    let parens = parenthesized!(content in input);
    if !content.peek(LitStr) {
        return Err(Error::new(
            parens.span.join(),
            format!("expected the {word}'s name as a string: `{word}(\"name\")`"),
        ));
    }
    let name: LitStr = content.parse()?;
    if !content.is_empty() {
        return Err(content.error(format!(
            "expected only the {word}'s name: `{word}(\"name\")`"
        )));
    }
    let value = name.value();
    if !is_token_name(&value) {
        return Err(Error::new(
            name.span(),
            format!(
                "{value:?} cannot be a {word} name: a {word} name is a non-empty run of \
                 letters, digits and `!#$%&'*+-.^_`|~`, with no space, `;`, `=` or quote"
            ),
        ));
    }
    if word == "cookie" {
        return Ok(Source::Cookie(name));
    }
    if value.eq_ignore_ascii_case("authorization") {
        return Err(Error::new(
            name.span(),
            "the `Authorization` header is a source of its own, read with its `Bearer` scheme: \
             write `\"authorization\"`",
        ));
    }
    if value.eq_ignore_ascii_case("cookie") {
        return Err(Error::new(
            name.span(),
            "read a cookie with `cookie(\"name\")`, naming the cookie that holds the token",
        ));
    }
    Ok(Source::Header(name))
}

/// Whether `name` is an HTTP token (RFC 9110 §5.6.2), as header and cookie names must be.
fn is_token_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A string literal as a list element.
fn list_string(input: ParseStream<'_>, key: &Key, expected: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    if input.peek(kw::env) {
        return Err(input.error(
            "`env(\"VAR\")` cannot be a list element: only a whole value can come from the \
             environment",
        ));
    }
    if input.peek(Ident::peek_any) {
        let ident = Ident::parse_any(input)?;
        let message = if key.kind == Kind::Algorithms {
            format!("write the algorithm's name as a string: `\"{ident}\"`")
        } else {
            format!("expected a string: write `\"{ident}\"`")
        };
        return Err(Error::new(ident.span(), message));
    }
    Err(input.error(expected))
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

/// The inside of `claims(...)`.
fn claims(input: ParseStream<'_>, key: &Key) -> syn::Result<Vec<Claim>> {
    if input.is_empty() {
        // At the end of the parentheses, `input.span()` is the closing one.
        return Err(Error::new(
            input.span(),
            format!(
                "`{}()` requires nothing: remove it, or name {}, e.g. `{}`",
                key.name, key.what, key.example
            ),
        ));
    }
    let mut errors = Errors::default();
    let claims = comma_separated(input, &mut errors, "a claim", Claim::parse);
    unique(
        &claims,
        key.element,
        |claim| claim.name.value(),
        |claim| claim.name.span(),
        &mut errors,
    );
    errors.finish()?;
    Ok(claims)
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
        let mut errors = list.errors;
        if list.items.is_empty() && errors.is_empty() {
            return Err(Error::new(
                list.span,
                format!(
                    "an empty list requires nothing of `{0}`: write `claims({0})` to require \
                     only that it is present, or list the values it must contain",
                    name.value()
                ),
            ));
        }
        unique(
            &list.items,
            "value",
            Scalar::value,
            Scalar::span,
            &mut errors,
        );
        errors.finish()?;
        Ok(Claim {
            name,
            expect: Expect::ContainsAll(list.items),
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

/// A non-negative integer number of seconds, without a suffix.
fn seconds(input: ParseStream<'_>, key: &Key) -> syn::Result<Seconds> {
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
        return Ok(Seconds {
            value,
            span: lit.span(),
        });
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

/// One of `choices`' words, as a string: `dpop = "required"`. A near miss (`"require"`,
/// `"Required"`) is told the word it most likely means; every other mistake is told the words.
fn one_of(input: ParseStream<'_>, key: &Key, choices: &'static Choices) -> syn::Result<Word> {
    let expected = choices.expected();
    let suggest = |word: &str| {
        did_you_mean(
            word,
            choices.words.iter().map(|(word, ..)| (*word, &[][..])),
        )
    };
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let word = lit.value();
        if let Some(variant) = choices.variant(&word) {
            return Ok(Word {
                lit,
                ty: choices.ty,
                variant,
            });
        }
        let hint = suggest(&word)
            .map(|word| format!("did you mean `{word:?}`? "))
            .unwrap_or_default();
        return Err(Error::new(
            lit.span(),
            format!(
                "unknown `{}` value {word:?}; {hint}expected one of: {expected}",
                key.name
            ),
        ));
    }
    if input.peek(kw::env) && input.peek2(token::Paren) {
        return Err(input.error(format!(
            "`{}` is fixed when the handler is compiled and cannot come from the environment: \
             write one of {expected}, e.g. `{}`",
            key.name, key.example
        )));
    }
    if input.peek(LitBool) {
        let lit: LitBool = input.parse()?;
        return Err(Error::new(
            lit.span,
            format!(
                "`{}` takes a string, not a bool, one of: {}",
                key.name,
                choices.explained()
            ),
        ));
    }
    if input.peek(token::Bracket) {
        let list: TokenTree = input.parse()?;
        return Err(Error::new_spanned(
            list,
            format!(
                "`{}` takes one value, not a list: write one of {expected}, e.g. `{}`",
                key.name, key.example
            ),
        ));
    }
    if input.peek(Ident::peek_any) {
        let ident = Ident::parse_any(input)?;
        let word = ident.unraw().to_string();
        let message = match choices
            .variant(&word)
            .map(|_| word.as_str())
            .or(suggest(&word))
        {
            Some(word) => format!("write the value as a string: `{} = {word:?}`", key.name),
            None => format!(
                "expected a string, one of: {expected}, e.g. `{}`",
                key.example
            ),
        };
        return Err(Error::new(ident.span(), message));
    }
    Err(input.error(format!(
        "expected a string, one of: {expected}, e.g. `{}`",
        key.example
    )))
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
