//! The function `#[protected]` is applied to: what it must be, and its `#[claims]` parameter;
//! or, for a method (a function with a receiver), its request parameter.

use std::mem;

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{
    Attribute, Block, Error, Expr, FnArg, GenericArgument, Ident, ItemFn, Meta, Pat, PathArguments,
    Stmt, Type, TypePath,
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

/// Whether `func` takes a receiver: a method, which [`check_method`] checks.
pub(crate) fn is_method(func: &ItemFn) -> bool {
    matches!(func.sig.inputs.first(), Some(FnArg::Receiver(_)))
}

/// A method `#[protected]` accepts: `&self` and one `…Request<…>` parameter (tonic's).
pub(crate) struct Method {
    /// The request parameter's name.
    pub(crate) request: Ident,
    /// Whether the parameter is already `mut request`.
    pub(crate) mutable: bool,
    /// Whether the method is `#[async_trait]`'s rewriting of an `async fn`: its body is
    /// `Box::pin(async move { … })`, and the guard goes first in that block.
    pub(crate) boxed: bool,
}

/// The shape every `#[protected]` method must have, for the error messages.
const METHOD_SHAPE: &str = "`async fn say_hello(&self, request: tonic::Request<HelloRequest>) \
     -> Result<tonic::Response<HelloReply>, tonic::Status>`";

/// Checks that `func`, a method, has the shape of a gRPC method: async (or `#[async_trait]`'s
/// rewriting of an `async fn`), a receiver, then one parameter named by an identifier and typed
/// `…Request<…>`. `#[claims]` marks are refused (and removed): the claims go into the request's
/// extensions.
pub(crate) fn check_method(func: &mut ItemFn) -> syn::Result<Method> {
    let mut errors = Errors::default();
    let boxed = func.sig.asyncness.is_none() && async_block(&mut func.block).is_some();
    if func.sig.asyncness.is_none() && !boxed {
        errors.push(Error::new(
            func.sig.fn_token.span,
            format!(
                "`#[protected]` methods must be async: write `async fn {}`",
                func.sig.ident
            ),
        ));
    }
    let mut typed = Vec::new();
    for input in &mut func.sig.inputs {
        let attrs = match input {
            FnArg::Receiver(receiver) => &mut receiver.attrs,
            FnArg::Typed(input) => {
                typed.push(input.clone());
                &mut input.attrs
            }
        };
        for mark in take_claims_marks(attrs) {
            errors.push(Error::new_spanned(
                &mark,
                "`#[claims]` has no place on a method: the verified claims are in the request's \
                 extensions (`request.extensions().get::<jwks_guard::Claims>()`); read them as \
                 another type with `jwks_guard::integrations::tonic::claims(&request)`",
            ));
        }
    }
    let request = match typed.as_slice() {
        [input] => match (&*input.pat, is_request(&input.ty)) {
            (Pat::Ident(pat), true) if pat.by_ref.is_none() && pat.subpat.is_none() => {
                Some((pat.ident.clone(), pat.mutability.is_some()))
            }
            (_, true) => {
                errors.push(Error::new_spanned(
                    &input.pat,
                    "name the request parameter with an identifier (`request`): the guard \
                     reads it before the method's statements",
                ));
                None
            }
            (_, false) => {
                errors.push(wrong_shape(&input.ty));
                None
            }
        },
        _ => {
            errors.push(wrong_shape(&func.sig.inputs));
            None
        }
    };
    errors.finish()?;
    let (request, mutable) = request.ok_or_else(|| wrong_shape(&func.sig.inputs))?;
    Ok(Method {
        request,
        mutable,
        boxed,
    })
}

/// The error for a method's parameters that are not `&self` and one `…Request<…>`.
fn wrong_shape(tokens: impl quote::ToTokens) -> Error {
    Error::new_spanned(
        tokens,
        format!("`#[protected]` methods take `&self` and one `tonic::Request<…>`: {METHOD_SHAPE}"),
    )
}

/// Whether `ty` is `…Request<…>` (a path whose last segment is `Request` with type arguments).
fn is_request(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| {
            last.ident == "Request"
                && matches!(&last.arguments, PathArguments::AngleBracketed(args)
                    if args.args.iter().any(|arg| matches!(arg, GenericArgument::Type(_))))
        })
}

/// The statements of the `async` block in a body that is only `Box::pin(async move { … })`
/// (how `#[async_trait]` rewrites an `async fn`).
pub(crate) fn async_block(body: &mut Block) -> Option<&mut Block> {
    let [Stmt::Expr(Expr::Call(call), None)] = body.stmts.as_mut_slice() else {
        return None;
    };
    let Expr::Path(callee) = &*call.func else {
        return None;
    };
    let is_pin = callee
        .path
        .segments
        .last()
        .is_some_and(|last| last.ident == "pin");
    if !is_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut() {
        Some(Expr::Async(block)) => Some(&mut block.block),
        _ => None,
    }
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

    fn method_errors(source: &str) -> Vec<(String, String)> {
        match check_method(&mut func(source)) {
            Ok(_) => panic!("`{source}` was accepted"),
            Err(errors) => crate::diag::messages_and_sources(errors),
        }
    }

    #[test]
    fn a_grpc_method_is_accepted_in_both_forms() {
        let native = func("async fn f(&self, mut req: tonic::Request<A>) -> R { x }");
        assert!(is_method(&native) && !is_method(&func("async fn f(a: A) {}")));
        let method = check_method(&mut native.clone()).ok();
        let seen = method.map(|m| (m.request.to_string(), m.mutable, m.boxed));
        assert_eq!(seen, Some(("req".to_owned(), true, false)));
        let boxed = "fn f<'a>(&'a self, request: Request<A>) -> Pin<Box<dyn Future<Output = R>>> \
                     { Box::pin(async move { x }) }";
        let method = check_method(&mut func(boxed)).ok();
        assert_eq!(method.map(|m| (m.mutable, m.boxed)), Some((false, true)));
    }

    #[test]
    fn a_method_of_another_shape_names_the_shape() {
        let errors = method_errors("async fn list(&self) {}");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .0
                .contains("take `&self` and one `tonic::Request<…>`")
        );
        let errors = method_errors("async fn list(&self, page: Page) {}");
        assert_eq!(errors[0].1, "Page");
        let errors = method_errors("fn list(&self, r: Request<A>) -> R { x }");
        assert!(errors[0].0.contains("must be async"), "{errors:?}");
        let errors = method_errors("async fn list(&self, #[claims] r: Request<A>) {}");
        assert!(errors[0].0.contains("no place on a method"), "{errors:?}");
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
