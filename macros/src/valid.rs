//! The checks across keys: every required key is there (or one that stands in for it),
//! `tenants` comes with an issuer template, and `dpop = "required"` reads no token from a
//! cookie or another header.

use proc_macro2::Span;
use syn::Error;

use crate::ast::{Args, Source, Value, Values};
use crate::attr::Parsed;
use crate::diag::Errors;
use crate::keys::{KEYS, Key, Required, TENANT_PLACEHOLDER};

/// The attribute's arguments, if neither parsing (whose errors are in `errors`) nor these checks
/// found a mistake; otherwise every mistake.
pub(crate) fn check(parsed: Parsed, mut errors: Errors) -> syn::Result<Args> {
    missing(&parsed, &mut errors);
    tenants_need_a_template(&parsed, &mut errors);
    required_dpop_needs_authorization(&parsed, &mut errors);
    errors.finish()?;
    Ok(Args {
        entries: parsed.entries,
    })
}

/// One error for every required key missing: "missing `issuer` and `audience`: add …". A key
/// that a misspelled or quoted key was probably meant to be is not reported again.
fn missing(parsed: &Parsed, errors: &mut Errors) {
    let given = |names: &[&str]| {
        names
            .iter()
            .any(|name| parsed.span_of(name).is_some() || parsed.suggested.contains(name))
    };
    let missing: Vec<&Key> = KEYS
        .iter()
        .filter(|key| match key.required {
            Required::Yes => !given(&[key.name]),
            Required::Unless(others) => !given(&[key.name]) && !given(others),
            Required::No => false,
        })
        .collect();
    if missing.is_empty() {
        return;
    }
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

/// `tenants` limits an issuer template (`{tenantid}`) to some tenants: with literal issuers
/// none of which is a template, it would mean nothing. An `env` issuer may be a template.
fn tenants_need_a_template(parsed: &Parsed, errors: &mut Errors) {
    let Some(span) = parsed.span_of("tenants") else {
        return;
    };
    let issuer = parsed
        .entries
        .iter()
        .find(|entry| entry.key.name == "issuer")
        .map(|entry| &entry.value);
    let Some(Value::Values(Values::List(issuers))) = issuer else {
        return;
    };
    if issuers
        .iter()
        .any(|issuer| issuer.value().contains(TENANT_PLACEHOLDER))
    {
        return;
    }
    errors.push(Error::new(
        span,
        format!(
            "`tenants` limits an issuer template to some tenants: write the issuer with \
             `{TENANT_PLACEHOLDER}`, e.g. \
             `issuer = \"https://login.microsoftonline.com/{TENANT_PLACEHOLDER}/v2.0\"`"
        ),
    ));
}

/// `dpop = "required"` accepts tokens under the `DPoP` scheme of `Authorization` only: a token
/// in a cookie or another header comes without a scheme, as a bearer token, which it refuses.
fn required_dpop_needs_authorization(parsed: &Parsed, errors: &mut Errors) {
    let value = |name: &str| {
        parsed
            .entries
            .iter()
            .find(|entry| entry.key.name == name)
            .map(|entry| &entry.value)
    };
    let Some(Value::OneOf(word)) = value("dpop") else {
        return;
    };
    if word.variant != "Required" {
        return;
    }
    let Some(Value::TokenSources(sources)) = value("token_from") else {
        return;
    };
    for source in sources {
        let (kind, name) = match source {
            Source::Authorization(_) => continue,
            Source::Cookie(name) => ("cookie", name.value()),
            Source::Header(name) => ("header", name.value()),
        };
        errors.push(Error::new(
            source.span(),
            format!(
                "`dpop = \"required\"` accepts tokens sent as `Authorization: DPoP` only: a token \
                 in {kind} `{name}` is a bearer token, which it refuses; remove `{kind}(\"{name}\")` \
                 from `token_from`, or write `dpop = \"allowed\"`"
            ),
        ));
    }
}
