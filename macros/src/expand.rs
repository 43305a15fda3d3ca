//! [`Args`] + the handler → a policy type and the handler with its guard first.
//!
//! The generated code names only absolute paths into the runtime's hidden `__private` module
//! (and `::core`), so it does not depend on the caller's imports or on names it declares. The
//! policy is `PolicySpec::new(issuer)` and one method per other key written: every default is
//! the runtime's.

use std::mem;

use proc_macro2::{Literal, Span, TokenStream};
use quote::{ToTokens as _, format_ident, quote, quote_spanned};
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Block, Error, FnArg, Ident, Item, ItemFn, LitInt, PatType, Stmt, Token};

use crate::ast::{Args, Entry, Expect, Scalar, Setting, Source, Value, Values};
use crate::diag::Errors;
use crate::keys::{KEYS, Role};
use crate::{attr, handler, openapi, valid};

/// `#[protected(attr)] item` → the expansion. On a mistake, the errors come with the function
/// as written (or, when only the attribute is wrong, as it would have been expanded), so that
/// one mistake yields one error and the rest of the crate still type-checks.
pub(crate) fn protected(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut func = match syn::parse2::<Item>(item.clone()) {
        Ok(Item::Fn(func)) => func,
        Ok(_) => {
            let error = Error::new(
                Span::call_site(),
                "`#[protected]` applies to an `async fn` handler",
            );
            return with_error(error, item);
        }
        Err(error) => return with_error(error, item),
    };
    let mut errors = Errors::default();
    let parsed = attr::parse(attr, &mut errors);
    let args = valid::check(parsed, errors);
    if handler::is_method(&func) {
        return match (args, handler::check_method(&mut func)) {
            (Ok(args), Ok(method)) => match http_only_keys(&args) {
                Ok(()) => expand_method(Some(&args), func, &method),
                Err(error) => with_error(error, func.into_token_stream()),
            },
            (Err(error), Ok(method)) => with_error(error, expand_method(None, func, &method)),
            (args, Err(method_error)) => {
                let error = match args {
                    Ok(_) => method_error,
                    Err(mut error) => {
                        error.combine(method_error);
                        error
                    }
                };
                with_error(error, func.into_token_stream())
            }
        };
    }
    let claims = handler::check(&mut func);
    match (args, claims) {
        (Ok(args), Ok(claims)) => {
            let optional = optional(&func, claims);
            match openapi::rewrite(&args, &mut func, optional) {
                Ok(()) => expand(Some(&args), func, claims),
                Err(error) => with_error(error, expand(Some(&args), func, claims)),
            }
        }
        (Err(error), Ok(claims)) => with_error(error, expand(None, func, claims)),
        (args, Err(handler_error)) => {
            let error = match args {
                Ok(_) => handler_error,
                Err(mut error) => {
                    error.combine(handler_error);
                    error
                }
            };
            with_error(error, func.into_token_stream())
        }
    }
}

fn with_error(error: Error, item: TokenStream) -> TokenStream {
    let error = error.into_compile_error();
    quote!(#error #item)
}

/// The policy type and the handler with the guard as its first parameter. Without `args` (the
/// attribute had errors, already reported) the policy is a placeholder that never runs: the
/// crate does not compile.
fn expand(args: Option<&Args>, mut func: ItemFn, claims: Option<usize>) -> TokenStream {
    let krate = args.and_then(Args::krate);
    let private = |span: Span| match krate {
        Some(krate) => quote_spanned!(span=> #krate::__private),
        None => quote_spanned!(span=> ::jwks_guard::__private),
    };
    let p = private(Span::call_site());
    let policy = format_ident!(
        "__{}_policy",
        func.sig.ident.unraw(),
        span = func.sig.ident.span()
    );

    let mut claims_param = None;
    let mut others = Punctuated::<FnArg, Token![,]>::new();
    for (index, input) in mem::take(&mut func.sig.inputs).into_iter().enumerate() {
        match input {
            FnArg::Typed(input) if claims == Some(index) => claims_param = Some(input),
            input => others.push(input),
        }
    }
    // The guard is a plain `ident: Type` parameter, which every framework's route attribute
    // accepts (Rocket's takes nothing else); its name is hygienic, so it can clash with none of
    // the handler's. The claims type goes into the policy's `type Claims`, on the user's
    // tokens, so that an error about it (not `Deserialize`) lands on the type itself; the
    // `#[claims]` parameter becomes a `let` before the user's statements, which stay as written.
    // A `#[claims]` parameter of type `Option<C>` makes the handler optional: the guard is
    // `OptionalProtected`, the policy's claims type `C`.
    let guard = Ident::new("__guard", Span::mixed_site());
    let optional = claims_param
        .as_ref()
        .and_then(|param| handler::optional(&param.ty))
        .cloned();
    let guard_ty = match optional {
        Some(_) => quote!(#p::OptionalProtected),
        None => quote!(#p::Protected),
    };
    let claims_ty = match claims_param {
        Some(PatType { attrs, pat, ty, .. }) => {
            let span = ty.span();
            let p = private(span);
            let guard_ty = match optional {
                Some(_) => quote_spanned!(span=> #p::OptionalProtected),
                None => quote_spanned!(span=> #p::Protected),
            };
            let binding: Stmt = syn::parse_quote_spanned! {span=>
                #(#attrs)*
                let #pat: #ty = #guard_ty::into_claims(#guard);
            };
            func.block.stmts.insert(0, binding);
            match &optional {
                Some(inner) => quote_spanned!(inner.span()=> #inner),
                None => quote_spanned!(span=> #ty),
            }
        }
        None => quote!(#p::NoClaims),
    };
    let guard_param: FnArg = syn::parse_quote!(#guard: #guard_ty<#policy>);
    func.sig.inputs = std::iter::once(guard_param).chain(others).collect();

    let cell = policy_cell(args, &p);
    let vis = &func.vis;
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        #vis struct #policy;
        impl #p::StaticPolicy for #policy {
            type Claims = #claims_ty;
            fn cell() -> &'static #p::PolicyCell {
                #cell
            }
        }
        #func
    }
}

/// The keys a gRPC method cannot take, each an error: `token_from` (gRPC reads the token from
/// the `authorization` metadata) and `openapi_scheme` (no `#[utoipa::path]` documents a gRPC
/// method).
fn http_only_keys(args: &Args) -> syn::Result<()> {
    let mut errors = Errors::default();
    for entry in &args.entries {
        let why = match entry.key.name {
            "token_from" => {
                "`token_from` is for HTTP handlers: a gRPC method reads the token from the \
                 `authorization` metadata; remove `token_from`"
            }
            "openapi_scheme" => {
                "`openapi_scheme` names the scheme of a `#[utoipa::path(...)]`, which documents \
                 HTTP handlers, not gRPC methods; remove `openapi_scheme`"
            }
            _ => continue,
        };
        errors.push(Error::new(entry.span, why));
    }
    errors.finish()
}

/// Whether the `#[claims]` parameter at `claims` is an `Option<C>` (an optional handler).
fn optional(func: &ItemFn, claims: Option<usize>) -> bool {
    claims
        .and_then(|index| func.sig.inputs.iter().nth(index))
        .is_some_and(
            |input| matches!(input, FnArg::Typed(input) if handler::optional(&input.ty).is_some()),
        )
}

/// The body of `StaticPolicy::cell`: the policy as a `static` built from the constant spec, or,
/// when the attribute's arguments had errors (already reported), a body that is never run.
fn policy_cell(args: Option<&Args>, p: &TokenStream) -> TokenStream {
    match args {
        Some(args) => {
            let spec = spec(args, p);
            quote! {
                static CELL: #p::PolicyCell = #p::PolicyCell::new(#spec);
                &CELL
            }
        }
        None => quote!(::core::unreachable!()),
    }
}

/// A gRPC method (`&self, request: tonic::Request<…>`): its signature as written, its body
/// opening with the policy type (declared there: an `impl` block cannot hold it) and the guard,
/// which returns the refusal as the method's error or puts the verified claims in the
/// request's extensions. In an `#[async_trait]` method the guard opens the `async` block.
fn expand_method(args: Option<&Args>, mut func: ItemFn, method: &handler::Method) -> TokenStream {
    let krate = args.and_then(Args::krate);
    let p = match krate {
        Some(krate) => quote!(#krate::__private),
        None => quote!(::jwks_guard::__private),
    };
    let policy = format_ident!(
        "__{}_policy",
        func.sig.ident.unraw(),
        span = func.sig.ident.span()
    );
    let cell = policy_cell(args, &p);
    let request = &method.request;
    let rebind = (!method.mutable).then(|| quote!(let mut #request = #request;));
    let refusal = Ident::new("__refusal", Span::mixed_site());
    let guard: Block = syn::parse_quote! {{
        #[doc(hidden)]
        #[allow(non_camel_case_types)]
        struct #policy;
        impl #p::StaticPolicy for #policy {
            type Claims = #p::Claims;
            fn cell() -> &'static #p::PolicyCell {
                #cell
            }
        }
        #rebind
        if let ::core::result::Result::Err(#refusal) =
            #p::authorize_method::<#policy, _>(&mut #request).await
        {
            return ::core::result::Result::Err(::core::convert::From::from(#refusal));
        }
    }};
    let body = match method.boxed {
        true => handler::async_block(&mut func.block),
        false => Some(&mut *func.block),
    };
    if let Some(body) = body {
        body.stmts.splice(0..0, guard.stmts);
    }
    func.into_token_stream()
}

/// The `PolicySpec` constant: `PolicySpec::new(issuer)`, then one method per other key written,
/// named on the user's key so that an error about it lands there.
fn spec(args: &Args, p: &TokenStream) -> TokenStream {
    let new = KEYS
        .iter()
        .filter(|key| key.role == Role::New)
        .filter_map(|key| args.entries.iter().find(|entry| entry.key.name == key.name))
        .map(|entry| value(&entry.value, p));
    let methods = args
        .entries
        .iter()
        .filter(|entry| entry.key.role == Role::Method)
        .map(|entry: &Entry| {
            let method = Ident::new(entry.key.name, entry.span);
            let value = value(&entry.value, p);
            quote!(.#method(#value))
        });
    quote!(#p::PolicySpec::new(#(#new),*) #(#methods)*)
}

/// A value as the runtime's `PolicySpec` takes it, by kind.
fn value(value: &Value, p: &TokenStream) -> TokenStream {
    match value {
        Value::Str(lit) => lit.to_token_stream(),
        Value::Setting(value) => setting(value, p),
        Value::Values(Values::List(values)) => quote!(#p::Values::List(&[#(#values),*])),
        Value::Values(Values::Env(var)) => {
            let name = &var.name;
            quote!(#p::Values::Env(#name))
        }
        Value::List(list) => quote!(&[#(#list),*]),
        Value::Algorithms(list) => {
            let variants = list.iter().map(|alg| {
                let variant = Ident::new(&alg.value(), alg.span());
                quote!(#p::Alg::#variant)
            });
            quote!(&[#(#variants),*])
        }
        Value::Claims(claims) => {
            let claims = claims.iter().map(|claim| {
                let name = &claim.name;
                let expect = match &claim.expect {
                    Expect::Present => quote!(#p::Expect::Present),
                    Expect::Equals(value) => {
                        let value = scalar(value, p);
                        quote!(#p::Expect::Equals(#value))
                    }
                    Expect::ContainsAll(values) => {
                        let values = values.iter().map(|value| scalar(value, p));
                        quote!(#p::Expect::ContainsAll(&[#(#values),*]))
                    }
                };
                quote!(#p::ClaimSpec { name: #name, expect: #expect })
            });
            quote!(&[#(#claims),*])
        }
        Value::Seconds(seconds) => {
            LitInt::new(&seconds.value.to_string(), seconds.span).into_token_stream()
        }
        Value::Path(path) => path.to_token_stream(),
        Value::TokenSources(sources) => {
            let sources = sources.iter().map(|source| match source {
                Source::Authorization(span) => {
                    quote_spanned!(*span=> #p::TokenSource::Authorization)
                }
                Source::Cookie(name) => {
                    quote_spanned!(name.span()=> #p::TokenSource::Cookie(#p::Cow::Borrowed(#name)))
                }
                Source::Header(name) => {
                    let lower = syn::LitStr::new(&name.value().to_ascii_lowercase(), name.span());
                    quote_spanned!(name.span()=> #p::TokenSource::Header(#p::Cow::Borrowed(#lower)))
                }
            });
            quote!(&[#(#sources),*])
        }
        Value::OneOf(word) => {
            let ty = Ident::new(word.ty, word.lit.span());
            let variant = Ident::new(word.variant, word.lit.span());
            quote_spanned!(word.lit.span()=> #p::#ty::#variant)
        }
    }
}

fn setting(setting: &Setting, p: &TokenStream) -> TokenStream {
    match setting {
        Setting::Literal(value) => quote!(#p::Setting::Literal(#value)),
        Setting::Env(var) => {
            let name = &var.name;
            quote!(#p::Setting::Env(#name))
        }
    }
}

fn scalar(scalar: &Scalar, p: &TokenStream) -> TokenStream {
    match scalar {
        Scalar::Str(value) => quote!(#p::Scalar::Str(#value)),
        Scalar::Bool(value) => quote!(#p::Scalar::Bool(#value)),
        Scalar::Int { value, span } => {
            let mut magnitude = Literal::u64_unsuffixed(value.unsigned_abs());
            magnitude.set_span(*span);
            if *value < 0 {
                quote_spanned!(*span=> #p::Scalar::Int(-#magnitude))
            } else {
                quote_spanned!(*span=> #p::Scalar::Int(#magnitude))
            }
        }
    }
}

#[cfg(test)]
mod tests;
