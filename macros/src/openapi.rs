//! What the handler's `#[utoipa::path(...)]` documents: the security requirement and the
//! answers of the guard, written into that attribute when it sits below `#[protected]`.
//!
//! Only utoipa's own syntax is emitted, inside utoipa's attribute, so nothing depends on a cargo
//! feature: a handler without `#[utoipa::path]` is expanded as before. The user's tokens stay
//! as written; what is added goes around them:
//!
//! - `security((<scheme> = [<scopes>]))`, unless the attribute has a `security(...)` already;
//!   with `token_from`, each `cookie("name")` and `header("name")` source adds an alternative
//!   requirement `("<scheme>_cookie_<name>" = [])` / `("<scheme>_header_<name>" = [])`, the
//!   runtime's `source_scheme_name` (the same rule, written twice: the macro cannot call it);
//!   with `dpop = "required"` (which reads the token from `Authorization` alone), the
//!   issuer's requirement also names `"<scheme>_dpop" = []`, the `DPoP` proof header (the
//!   runtime's `dpop_scheme_name`), which goes with the token;
//! - in `responses(...)`, before the user's, the guard's answers whose status the user did not
//!   document: 400, 401, 403 (only when scopes or claims are required), 503 and 500. They come
//!   first so that a response type of the user's (`responses(MyResponses)`) still wins. With
//!   `dpop = "required"` the challenges they describe are under the `DPoP` scheme.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::{Attribute, Error, ItemFn, LitStr, Meta};

use crate::ast::{Args, Source, Value};

/// The scheme name when `openapi_scheme` is not given: the runtime's `DEFAULT_SCHEME_NAME`.
const DEFAULT_SCHEME: &str = "oidc";

/// What the guard of one handler means for its OpenAPI operation.
struct Operation {
    /// The security scheme's name.
    scheme: LitStr,
    /// The scopes every token must carry, as the user wrote them.
    scopes: Vec<LitStr>,
    /// Whether a valid token can still be refused (403): scopes or claims are required.
    forbids: bool,
    /// The `apiKey` schemes of the `cookie(...)` and `header(...)` token sources, in order.
    alternatives: Vec<LitStr>,
    /// Whether the token may come in `Authorization` (no `token_from`, or one naming it): only
    /// then is the issuer's scheme, whose token a client sends there, a way in.
    bearer: bool,
    /// Whether a request without a token is served (an `Option<C>` claims parameter).
    optional: bool,
    /// With `dpop = "required"`: the scheme of the `DPoP` proof header, which every way in
    /// needs beside the token.
    dpop: Option<LitStr>,
}

impl Operation {
    fn of(args: &Args, optional: bool) -> Operation {
        let value = |name: &str| {
            args.entries
                .iter()
                .find(|entry| entry.key.name == name)
                .map(|entry| &entry.value)
        };
        let scheme = match value("openapi_scheme") {
            Some(Value::Str(lit)) => lit.clone(),
            _ => LitStr::new(DEFAULT_SCHEME, Span::call_site()),
        };
        let scopes = match value("scopes") {
            Some(Value::List(scopes)) => scopes.clone(),
            _ => Vec::new(),
        };
        let claims = matches!(value("claims"), Some(Value::Claims(claims)) if !claims.is_empty());
        let alternatives = match value("token_from") {
            Some(Value::TokenSources(sources)) => sources
                .iter()
                .filter_map(|source| {
                    let (kind, name) = match source {
                        Source::Authorization(_) => return None,
                        Source::Cookie(name) => ("cookie", name.value()),
                        Source::Header(name) => ("header", name.value().to_ascii_lowercase()),
                    };
                    let component = source_scheme_name(&scheme.value(), kind, &name);
                    Some(LitStr::new(&component, source.span()))
                })
                .collect(),
            _ => Vec::new(),
        };
        let bearer = match value("token_from") {
            Some(Value::TokenSources(sources)) => sources
                .iter()
                .any(|source| matches!(source, Source::Authorization(_))),
            _ => true,
        };
        let dpop = match value("dpop") {
            Some(Value::OneOf(word)) if word.variant == "Required" => Some(LitStr::new(
                &dpop_scheme_name(&scheme.value()),
                word.lit.span(),
            )),
            _ => None,
        };
        Operation {
            forbids: !scopes.is_empty() || claims,
            dpop,
            alternatives,
            bearer,
            optional,
            scheme,
            scopes,
        }
    }
}

/// Rewrites every `#[utoipa::path(...)]` among `func`'s attributes (those below
/// `#[protected]`). An error when `openapi_scheme` is given and there is none: the key would
/// do nothing, most likely because `#[utoipa::path]` is above `#[protected]`, where it ran
/// first and documented the handler without its guard.
///
/// `optional`: the handler serves requests without a token (its claims are an `Option`).
pub(crate) fn rewrite(args: &Args, func: &mut ItemFn, optional: bool) -> syn::Result<()> {
    let operation = Operation::of(args, optional);
    let mut found = false;
    for attr in &mut func.attrs {
        if !is_utoipa_path(attr) {
            continue;
        }
        found = true;
        if let Meta::List(list) = &mut attr.meta {
            list.tokens = rewrite_path_args(std::mem::take(&mut list.tokens), &operation);
        }
    }
    if found {
        return Ok(());
    }
    match args
        .entries
        .iter()
        .find(|entry| entry.key.name == "openapi_scheme")
    {
        Some(entry) => Err(Error::new(
            entry.span,
            "`openapi_scheme` names the security scheme of the `#[utoipa::path(...)]` below \
             `#[protected]`, and this handler has none: put `#[utoipa::path(...)]` below \
             `#[protected]` (above it, utoipa documents the handler before the guard exists), \
             or remove `openapi_scheme` (for a document written by hand, \
             `Policy::openapi_security_as(\"name\")` names the scheme)",
        )),
        None => Ok(()),
    }
}

/// The component name of the `apiKey` scheme of a `kind` (`cookie`, `header`) token source:
/// `<scheme>_<kind>_<name>`, each character of `name` outside `[A-Za-z0-9._-]` (a cookie or
/// header name may hold `!#$%&'*+^`|~`) written `_`. The runtime's `source_scheme_name`.
fn source_scheme_name(scheme: &str, kind: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{scheme}_{kind}_{name}")
}

/// The component name of the scheme of the `DPoP` proof header beside the issuer's scheme
/// `scheme`: `<scheme>_dpop`. The runtime's `dpop_scheme_name`.
fn dpop_scheme_name(scheme: &str) -> String {
    format!("{scheme}_dpop")
}

/// `#[utoipa::path(...)]`, `#[::utoipa::path(...)]`, or a path ending in `utoipa::path` (a
/// re-export). A bare `#[path(...)]` is Rust's built-in attribute (with `use utoipa::path;` in
/// scope it is ambiguous, an error of the compiler's), and a renamed import cannot be told
/// from any other attribute.
fn is_utoipa_path(attr: &Attribute) -> bool {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    segments.ends_with(&["utoipa".to_owned(), "path".to_owned()])
}

/// The arguments of `#[utoipa::path(...)]` with the guard's security and responses added.
fn rewrite_path_args(tokens: TokenStream, operation: &Operation) -> TokenStream {
    let mut out: Vec<TokenTree> = Vec::new();
    let mut has_security = false;
    let mut has_responses = false;
    let mut item_start = true;
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        match &tree {
            TokenTree::Ident(ident) if item_start && ident == "security" => has_security = true,
            TokenTree::Ident(ident) if item_start && ident == "responses" => {
                if let Some(TokenTree::Group(group)) = trees.peek()
                    && group.delimiter() == Delimiter::Parenthesis
                {
                    has_responses = true;
                    let group = group.clone();
                    trees.next();
                    out.push(tree);
                    out.push(TokenTree::Group(responses(&group, operation)));
                    item_start = false;
                    continue;
                }
            }
            _ => {}
        }
        item_start = is_comma(&tree);
        out.push(tree);
    }
    let mut added = Vec::new();
    if !has_responses {
        let guard = guard_responses(&[], operation);
        added.push(quote!(responses(#(#guard),*)));
    }
    if !has_security {
        let scheme = &operation.scheme;
        let scopes = &operation.scopes;
        // Alternatives, any one of which lets a request in: the issuer's scheme when the
        // token may come in `Authorization`, each cookie or header source, and `()` (no
        // credentials) for an optional handler. A required `DPoP` proof goes with the token
        // (names in one requirement are all needed), which then comes in `Authorization` alone
        // (`valid` refuses cookie and header sources with `dpop = "required"`).
        let proof = operation.dpop.as_ref().map(|dpop| quote!(, #dpop = []));
        let issuer = operation
            .bearer
            .then(|| quote!((#scheme = [#(#scopes),*] #proof)));
        let alternatives = operation
            .alternatives
            .iter()
            .map(|name| quote!((#name = [])));
        let anonymous = operation.optional.then(|| quote!(()));
        let requirements = issuer.into_iter().chain(alternatives).chain(anonymous);
        added.push(quote!(security(#(#requirements),*)));
    }
    let separator = out
        .last()
        .is_some_and(|tree| !is_comma(tree) && !added.is_empty())
        .then(|| quote!(,));
    let tokens: TokenStream = out.into_iter().collect();
    quote!(#tokens #separator #(#added),*)
}

fn is_comma(tree: &TokenTree) -> bool {
    matches!(tree, TokenTree::Punct(punct) if punct.as_char() == ',')
}

/// The user's `responses(...)` group with the guard's undocumented answers before theirs.
fn responses(group: &Group, operation: &Operation) -> Group {
    let documented = documented_statuses(group.stream());
    let guard = guard_responses(&documented, operation);
    let theirs = group.stream();
    let stream = if guard.is_empty() {
        theirs
    } else if theirs.is_empty() {
        quote!(#(#guard),*)
    } else {
        quote!(#(#guard,)* #theirs)
    };
    let mut rewritten = Group::new(Delimiter::Parenthesis, stream);
    rewritten.set_span(group.span());
    rewritten
}

/// The statuses of the `(status = …, …)` entries of a `responses(...)` group: integers, and
/// `StatusCode::NAME` paths for the names of the guard's statuses. Ranges (`"4XX"`) and response
/// types document no exact status.
fn documented_statuses(responses: TokenStream) -> Vec<u16> {
    responses
        .into_iter()
        .filter_map(|tree| match tree {
            TokenTree::Group(group) if group.delimiter() == Delimiter::Parenthesis => {
                status_of(group.stream())
            }
            _ => None,
        })
        .collect()
}

/// The value of `status = …` in one response tuple.
fn status_of(tuple: TokenStream) -> Option<u16> {
    let mut trees = tuple.into_iter();
    let mut item_start = true;
    while let Some(tree) = trees.next() {
        if item_start && matches!(&tree, TokenTree::Ident(ident) if ident == "status") {
            let value: Vec<TokenTree> = trees
                .by_ref()
                .skip_while(
                    |tree| matches!(tree, TokenTree::Punct(punct) if punct.as_char() == '='),
                )
                .take_while(|tree| !is_comma(tree))
                .collect();
            return match value.as_slice() {
                [TokenTree::Literal(lit)] => lit.to_string().parse().ok(),
                [.., TokenTree::Ident(name)] => named_status(&name.to_string()),
                _ => None,
            };
        }
        item_start = is_comma(&tree);
    }
    None
}

/// The guard's statuses by their `http::StatusCode` names.
fn named_status(name: &str) -> Option<u16> {
    GUARD_RESPONSES
        .iter()
        .find(|response| response.name == name)
        .map(|response| response.status)
}

/// One answer of the guard.
struct GuardResponse {
    status: u16,
    /// `http::StatusCode`'s constant.
    name: &'static str,
    description: &'static str,
    header: Option<(&'static str, &'static str)>,
}

const WWW_AUTHENTICATE: &str = "WWW-Authenticate";

/// The 401 of an optional handler, which serves a request without a token.
const OPTIONAL_UNAUTHORIZED: &str = "A token was sent and is not valid: bad signature, expired, \
                                     wrong issuer or audience (`invalid_token`); a request \
                                     without a token is served";

/// What the answers that carry a challenge say under `dpop = "required"`, where it is a `DPoP`
/// one: the status, the description and the `WWW-Authenticate` header's description.
const DPOP_REQUIRED: &[(u16, &str, &str)] = &[
    (
        400,
        "Malformed credentials (`invalid_request`)",
        "`DPoP error=\"invalid_request\"`, with a description",
    ),
    (
        401,
        "No DPoP-bound token with a valid `DPoP` proof: no token, a `Bearer` token, a proof that \
         is missing or not valid (`invalid_dpop_proof`), or a token that is not valid \
         (`invalid_token`)",
        "`DPoP` with the accepted proof algorithms (`algs`), and `error` when credentials were \
         sent",
    ),
    (
        403,
        "A valid token lacking a required scope or claim (`insufficient_scope`)",
        "`DPoP error=\"insufficient_scope\"`, naming the required scopes",
    ),
];

/// Every answer the guard can send, as the README's table of responses describes them.
const GUARD_RESPONSES: &[GuardResponse] = &[
    GuardResponse {
        status: 400,
        name: "BAD_REQUEST",
        description: "Malformed bearer credentials (`invalid_request`)",
        header: Some((
            WWW_AUTHENTICATE,
            "`Bearer error=\"invalid_request\"`, with a description",
        )),
    },
    GuardResponse {
        status: 401,
        name: "UNAUTHORIZED",
        description: "No bearer token, or one that is not valid: bad signature, expired, wrong \
                      issuer or audience (`invalid_token`)",
        header: Some((
            WWW_AUTHENTICATE,
            "`Bearer`, with `error=\"invalid_token\"` when a token was sent",
        )),
    },
    GuardResponse {
        status: 403,
        name: "FORBIDDEN",
        description: "A valid token lacking a required scope or claim (`insufficient_scope`)",
        header: Some((
            WWW_AUTHENTICATE,
            "`Bearer error=\"insufficient_scope\"`, naming the required scopes",
        )),
    },
    GuardResponse {
        status: 503,
        name: "SERVICE_UNAVAILABLE",
        description: "The issuer's signing keys cannot be obtained now \
                      (`temporarily_unavailable`)",
        header: Some(("Retry-After", "Seconds to wait before trying again")),
    },
    GuardResponse {
        status: 500,
        name: "INTERNAL_SERVER_ERROR",
        description: "The guard's configuration is incomplete, e.g. an environment variable \
                      is not set (`server_error`)",
        header: None,
    },
];

/// The guard's answers, as utoipa response tuples, but those in `documented`.
fn guard_responses(documented: &[u16], operation: &Operation) -> Vec<TokenStream> {
    GUARD_RESPONSES
        .iter()
        .filter(|response| response.status != 403 || operation.forbids)
        .filter(|response| !documented.contains(&response.status))
        .map(|response| {
            let status = proc_macro2::Literal::u16_unsuffixed(response.status);
            let dpop = DPOP_REQUIRED
                .iter()
                .find(|(status, ..)| *status == response.status)
                .filter(|_| operation.dpop.is_some());
            let description = match (response.status, dpop) {
                (401, _) if operation.optional => OPTIONAL_UNAUTHORIZED,
                (_, Some((_, description, _))) => description,
                _ => response.description,
            };
            let header = match (response.header, dpop) {
                (Some((name, _)), Some((_, _, challenge))) => Some((name, *challenge)),
                (header, _) => header,
            };
            let headers = header
                .map(|(name, description)| quote!(, headers((#name, description = #description))));
            quote!((status = #status, description = #description #headers))
        })
        .collect()
}

#[cfg(test)]
mod tests;
