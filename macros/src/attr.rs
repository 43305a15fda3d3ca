//! The attribute's syntax: `key = value, key(...), …` → one [`Entry`] per key, by the table of
//! [`keys`](crate::keys). Unknown, quoted, repeated and malformed keys are reported on their
//! tokens, and parsing goes on after an error, so that every mistake is reported at once.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::{Error, Ident, LitStr, Token, parenthesized, token};

use crate::ast::Entry;
use crate::diag::{Errors, did_you_mean, where_is};
use crate::keys::{self, KEYS, Key};
use crate::value;

/// The keys parsed, before the checks across keys.
pub(crate) struct Parsed {
    /// The keys whose value parsed, in the order written.
    pub(crate) entries: Vec<Entry>,
    /// Every key written, with where, whether or not its value parsed.
    pub(crate) written: Vec<(&'static str, Span)>,
    /// Keys an unknown key was probably meant to be: not reported missing as well.
    pub(crate) suggested: Vec<&'static str>,
}

impl Parsed {
    /// Where `key` was written, if it was.
    pub(crate) fn span_of(&self, key: &str) -> Option<Span> {
        self.written
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, span)| *span)
    }
}

/// Parses the tokens inside `#[protected(...)]`; the errors go to `errors`.
pub(crate) fn parse(attr: TokenStream, errors: &mut Errors) -> Parsed {
    let mut parsed = Parsed {
        entries: Vec::new(),
        written: Vec::new(),
        suggested: Vec::new(),
    };
    let mut found = Errors::default();
    let result = (|input: ParseStream<'_>| {
        parsed.entries = comma_separated(input, &mut found, "a key", |input| {
            entry(input, &mut parsed.written, &mut parsed.suggested)
        });
        Ok(())
    })
    .parse2(attr);
    // syn reports tokens left inside a group that an erroring parser abandoned; that only
    // follows from an error already collected.
    if let (Err(error), true) = (result, found.is_empty()) {
        found.push(error);
    }
    errors.extend(found);
    parsed
}

/// One `key = value` or `key(...)`.
fn entry(
    input: ParseStream<'_>,
    written: &mut Vec<(&'static str, Span)>,
    suggested: &mut Vec<&'static str>,
) -> syn::Result<Entry> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let message = match keys::find(&lit.value()) {
            Some(key) => {
                suggested.push(key.name);
                format!("write the key without quotes: `{}`", key.example)
            }
            None => format!("expected a key, one of: {}", keys::expected_keys()),
        };
        return Err(Error::new(lit.span(), message));
    }
    if !input.peek(Ident::peek_any) {
        return Err(input.error(format!("expected a key, one of: {}", keys::expected_keys())));
    }
    let name = Ident::parse_any(input)?;
    let span = name.span();
    let written_as = name.unraw().to_string();
    let Some(key) = keys::find(&written_as) else {
        let suggestion = did_you_mean(&written_as, KEYS.iter().map(|key| (key.name, key.aliases)));
        let hint = match suggestion {
            Some(suggestion) => {
                suggested.push(suggestion);
                format!("did you mean `{suggestion}`? ")
            }
            None => String::new(),
        };
        return Err(Error::new(
            span,
            format!(
                "unknown key `{written_as}`; {hint}expected one of: {}",
                keys::expected_keys()
            ),
        ));
    };
    if let Some((_, first)) = written.iter().find(|(seen, _)| *seen == key.name) {
        return Err(Error::new(
            span,
            format!(
                "duplicate key `{}`: it is already set {}; keep only one",
                key.name,
                where_is(*first, span)
            ),
        ));
    }
    written.push((key.name, span));
    let value = if key.kind.is_call() {
        call(input, key, span)?
    } else {
        assign(input, key, span)?
    };
    Ok(Entry { key, span, value })
}

/// `= value`, after the key.
fn assign(input: ParseStream<'_>, key: &Key, name: Span) -> syn::Result<crate::ast::Value> {
    if input.peek(token::Paren) {
        return Err(input.error(format!(
            "expected `=` after `{}`, e.g. `{}`",
            key.name, key.example
        )));
    }
    if !input.peek(Token![=]) {
        return Err(Error::new(
            name,
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
    value::parse(input, key)
}

/// `(...)`, after the key.
fn call(input: ParseStream<'_>, key: &Key, name: Span) -> syn::Result<crate::ast::Value> {
    if !input.peek(token::Paren) {
        let span = if input.peek(Token![=]) {
            input.span()
        } else {
            name
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
    value::parse(&content, key)
}

/// Parses `item, item, …` up to the end of `input`. A bad item is reported and parsing resumes
/// after the next comma, so that every mistake is found in one go. `one` names an item in
/// messages ("a key").
pub(crate) fn comma_separated<T>(
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

#[cfg(test)]
mod tests;
