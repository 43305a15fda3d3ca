//! The function `#[protected]` is applied to: what it must be, and its `#[claims]` parameter.

use std::mem;

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Error, FnArg, GenericArgument, ItemFn, Meta, Pat, PathArguments, Type, TypePath,
};

use crate::diag::{Errors, where_is};

/// Removes every `#[claims]` attribute from `func`'s parameters and checks that `func` can be a
/// protected handler. Returns the position of the parameter marked `#[claims]`, if any.
///
/// The attributes are removed even on error, so that `func` can be emitted as written without
/// adding "cannot find attribute `claims`" to the real error.
pub(crate) fn check(func: &mut ItemFn) -> syn::Result<Option<usize>> {
    let mut errors = Errors::default();
    if func.sig.asyncness.is_none() {
        errors.push(Error::new(
            func.sig.fn_token.span,
            format!(
                "`#[protected]` handlers must be async: write `async fn {}`",
                func.sig.ident
            ),
        ));
    }
    // The `#[claims]` parameter met first: its position, its `#[claims]`, how to name it.
    let mut claims: Option<(usize, Span, String)> = None;
    for (index, input) in func.sig.inputs.iter_mut().enumerate() {
        let attrs = match input {
            FnArg::Receiver(receiver) => {
                errors.push(Error::new_spanned(
                    &*receiver,
                    "`#[protected]` handlers cannot take `self`: declare the handler as a free \
                     function at module level (the policy type generated next to it cannot be \
                     declared inside an `impl` block)",
                ));
                take_claims_marks(&mut receiver.attrs);
                continue;
            }
            FnArg::Typed(input) => {
                let marks = take_claims_marks(&mut input.attrs);
                (marks, parameter_name(&input.pat))
            }
        };
        let (marks, name) = attrs;
        for mark in marks {
            if !matches!(mark.meta, Meta::Path(_)) {
                errors.push(Error::new_spanned(
                    &mark,
                    "`#[claims]` takes no arguments: write `#[claims]`",
                ));
            }
            match &claims {
                None => claims = Some((index, mark.span(), name.clone())),
                Some((_, first, first_name)) => errors.push(Error::new_spanned(
                    &mark,
                    format!(
                        "only one parameter can receive the verified claims: `#[claims]` is \
                         already on {first_name}, {}; remove one",
                        where_is(*first, mark.span())
                    ),
                )),
            }
        }
    }
    if let Some((index, _, _)) = &claims
        && let Some(FnArg::Typed(input)) = func.sig.inputs.iter().nth(*index)
        && let Some(inner) = optional(&input.ty)
        && optional(inner).is_some()
    {
        errors.push(Error::new_spanned(
            inner,
            "one `Option` makes the handler optional: write `Option<Claims>` (or `Option<C>` \
             for your claims type), `None` when the request carries no token",
        ));
    }
    errors.finish()?;
    Ok(claims.map(|(index, _, _)| index))
}

/// The `T` of a `#[claims]` parameter's type `Option<T>` (or `std::option::Option<T>`,
/// `core::option::Option<T>`): such a parameter makes the handler optional.
pub(crate) fn optional(ty: &Type) -> Option<&Type> {
    let Type::Path(TypePath { qself: None, path }) = ty else {
        return None;
    };
    let last = path.segments.last()?;
    let prefix: Vec<String> = path
        .segments
        .iter()
        .take(path.segments.len() - 1)
        .map(|segment| segment.ident.to_string())
        .collect();
    let prefix_ok = match prefix.as_slice() {
        [] => true,
        [krate, module] => (krate == "std" || krate == "core") && module == "option",
        _ => false,
    };
    if last.ident != "Option" || !prefix_ok {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    match arguments.args.iter().collect::<Vec<_>>().as_slice() {
        [GenericArgument::Type(inner)] => Some(inner),
        _ => None,
    }
}

/// Removes and returns the `#[claims]` attributes among `attrs`.
fn take_claims_marks(attrs: &mut Vec<Attribute>) -> Vec<Attribute> {
    let (marks, others) = mem::take(attrs)
        .into_iter()
        .partition(|attr| attr.path().is_ident("claims"));
    *attrs = others;
    marks
}

/// How an error names a parameter: "`claims`", or "another parameter" for a pattern.
fn parameter_name(pat: &Pat) -> String {
    match pat {
        Pat::Ident(pat) => format!("`{}`", pat.ident),
        _ => "another parameter".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens as _;

    use super::*;

    fn func(source: &str) -> ItemFn {
        match syn::parse_str(source) {
            Ok(func) => func,
            Err(error) => panic!("`{source}`: {error}"),
        }
    }

    /// The messages of every error, each with the source text it points at.
    fn errors(source: &str) -> Vec<(String, String)> {
        match check(&mut func(source)) {
            Ok(claims) => panic!("`{source}` was accepted (claims: {claims:?})"),
            Err(errors) => crate::diag::messages_and_sources(errors),
        }
    }

    #[test]
    fn finds_the_claims_parameter_and_removes_only_its_mark() {
        let mut func = func("async fn f(a: A, #[claims] c: C, #[other] d: D) {}");
        assert!(matches!(check(&mut func), Ok(Some(1))));
        let rewritten = func.to_token_stream().to_string();
        assert_eq!(
            rewritten,
            "async fn f (a : A , c : C , # [other] d : D) { }"
        );
    }

    #[test]
    fn a_handler_without_claims_parameter_is_accepted() {
        assert!(matches!(check(&mut func("async fn f(a: A) {}")), Ok(None)));
        assert!(matches!(check(&mut func("pub async fn f() {}")), Ok(None)));
    }

    #[test]
    fn a_handler_that_is_not_async() {
        assert_eq!(
            errors("fn list_orders() {}"),
            [(
                "`#[protected]` handlers must be async: write `async fn list_orders`".to_owned(),
                "fn".to_owned()
            )]
        );
    }

    #[test]
    fn a_handler_that_takes_self() {
        let errors = errors("async fn list(&self, #[claims] c: C) {}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .0
                .starts_with("`#[protected]` handlers cannot take `self`"),
            "{errors:?}"
        );
        assert_eq!(errors[0].1, "&self");
    }

    #[test]
    fn claims_on_two_parameters_points_at_the_second() {
        assert_eq!(
            errors("async fn f(#[claims] a: A,\n #[claims] b: B) {}"),
            [(
                "only one parameter can receive the verified claims: `#[claims]` is already on \
                 `a`, on line 1; remove one"
                    .to_owned(),
                "#[claims]".to_owned()
            )]
        );
    }

    #[test]
    fn claims_with_arguments() {
        assert_eq!(
            errors("async fn f(#[claims(json)] a: A) {}"),
            [(
                "`#[claims]` takes no arguments: write `#[claims]`".to_owned(),
                "#[claims(json)]".to_owned()
            )]
        );
    }

    #[test]
    fn every_mistake_is_reported_and_every_mark_removed() {
        let mut func = func("fn f(self, #[claims] a: A, #[claims] b: B) {}");
        match check(&mut func) {
            Ok(_) => panic!("accepted"),
            Err(errors) => assert_eq!(errors.into_iter().count(), 3),
        }
        assert!(!func.to_token_stream().to_string().contains("claims"));
    }
}
