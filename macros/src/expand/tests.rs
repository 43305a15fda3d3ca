//! Expansion snapshots: every `tests/expand/<name>.rs` is expanded here, in-process, pretty-printed
//! and compared with `tests/expand/<name>.expanded.rs`, so that a reader sees what the attribute
//! generates. After changing the expansion, regenerate them with
//! `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`, review the diff, and run
//! `scripts/expand-readme` to copy `list_orders`'s into the README.

use std::fs;
use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::ToTokens as _;
use syn::{Attribute, Item, Meta};

#[test]
fn expansions_match_their_snapshots() {
    let update = std::env::var_os("UPDATE_EXPAND").is_some();
    let inputs = inputs();
    assert!(!inputs.is_empty(), "no inputs in tests/expand");
    let mut stale = Vec::new();
    for input in inputs {
        let name = input.file_name().unwrap_or_default().to_string_lossy();
        let expanded = format!(
            "// The expansion of `{name}`. Regenerate: `UPDATE_EXPAND=1 cargo test -p jwks-guard-macros`.\n{}",
            expand_file(&input)
        );
        let snapshot = input.with_extension("expanded.rs");
        if update {
            if let Err(error) = fs::write(&snapshot, &expanded) {
                panic!("cannot write {}: {error}", snapshot.display());
            }
            continue;
        }
        let committed = fs::read_to_string(&snapshot).unwrap_or_default();
        if committed != expanded {
            let line = committed
                .lines()
                .zip(expanded.lines())
                .position(|(committed, expanded)| committed != expanded)
                .unwrap_or_else(|| committed.lines().count().min(expanded.lines().count()));
            let now = expanded.lines().nth(line).unwrap_or("<end>");
            stale.push(format!(
                "{}: differs from line {}; now: {now}",
                snapshot.display(),
                line + 1
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "expansion snapshots out of date (regenerate with UPDATE_EXPAND=1 and review):\n{}",
        stale.join("\n")
    );
}

/// `tests/expand/*.rs`, without the snapshots, in a stable order.
fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(error) => panic!("cannot read {}: {error}", dir.display()),
    };
    let mut inputs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    inputs
}

/// The file with every `#[protected]` function replaced by its expansion, pretty-printed.
fn expand_file(path: &Path) -> String {
    let source = match fs::read_to_string(path) {
        Ok(source) => source,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    };
    let mut file = match syn::parse_file(&source) {
        Ok(file) => file,
        Err(error) => panic!("{}: {error}", path.display()),
    };
    file.items = expand_items(std::mem::take(&mut file.items));
    prettyplease::unparse(&file)
}

fn expand_items(items: Vec<Item>) -> Vec<Item> {
    let mut expanded = Vec::new();
    for item in items {
        match item {
            Item::Fn(mut func) => match func.attrs.iter().position(is_protected) {
                Some(index) => {
                    // As the compiler does: the attribute's own tokens, and the item without it.
                    let attr = func.attrs.remove(index);
                    let args = match attr.meta {
                        Meta::List(list) => list.tokens,
                        _ => TokenStream::new(),
                    };
                    let tokens = super::protected(args, func.into_token_stream());
                    match syn::parse2::<syn::File>(tokens) {
                        Ok(file) => expanded.extend(file.items),
                        Err(error) => panic!("the expansion does not parse: {error}"),
                    }
                }
                None => expanded.push(Item::Fn(func)),
            },
            Item::Impl(mut block) => {
                for item in &mut block.items {
                    let syn::ImplItem::Fn(method) = item else {
                        continue;
                    };
                    let Some(index) = method.attrs.iter().position(is_protected) else {
                        continue;
                    };
                    let attr = method.attrs.remove(index);
                    let args = match attr.meta {
                        Meta::List(list) => list.tokens,
                        _ => TokenStream::new(),
                    };
                    let tokens = super::protected(args, method.to_token_stream());
                    match syn::parse2::<syn::ImplItemFn>(tokens) {
                        Ok(expanded) => *method = expanded,
                        Err(error) => panic!("the method's expansion does not parse: {error}"),
                    }
                }
                expanded.push(Item::Impl(block));
            }
            Item::Mod(mut module) => {
                if let Some((brace, items)) = module.content.take() {
                    module.content = Some((brace, expand_items(items)));
                }
                expanded.push(Item::Mod(module));
            }
            item => expanded.push(item),
        }
    }
    expanded
}

fn is_protected(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "protected")
}

/// The expansion of `#[protected(attr)] item`, as text.
fn expand(attr: &str, item: &str) -> String {
    match (attr.parse::<TokenStream>(), item.parse::<TokenStream>()) {
        (Ok(attr), Ok(item)) => super::protected(attr, item).to_string(),
        _ => panic!("`{attr}` or `{item}` does not tokenize"),
    }
}

#[test]
fn an_attribute_mistake_comes_with_the_handler_as_it_would_be_expanded() {
    // Uses of the handler (`get(list_orders)`) keep type-checking: one mistake, one error.
    let expansion = expand(
        r#"issuer = "https://id.example.com/""#,
        "async fn list_orders(#[claims] claims: Claims) {}",
    );
    assert!(expansion.contains("compile_error !"), "{expansion}");
    assert!(expansion.contains("missing `audience`"), "{expansion}");
    assert!(
        expansion
            .contains("impl :: jwks_guard :: __private :: StaticPolicy for __list_orders_policy"),
        "{expansion}"
    );
    assert!(
        expansion.contains(":: core :: unreachable ! ()"),
        "{expansion}"
    );
    assert!(
        expansion.contains("type Claims = Claims ;")
            && expansion.contains("Protected < __list_orders_policy >"),
        "{expansion}"
    );
}

#[test]
fn a_handler_mistake_comes_with_the_handler_as_written_without_its_claims_marks() {
    let expansion = expand(
        r#"issuer = "https://id.example.com/", audience = "orders-api""#,
        "fn list_orders(#[claims] claims: Claims) {}",
    );
    assert!(expansion.contains("must be async"), "{expansion}");
    assert!(
        expansion.ends_with("fn list_orders (claims : Claims) { }"),
        "{expansion}"
    );
    assert!(!expansion.contains("__list_orders_policy"), "{expansion}");
}

#[test]
fn attribute_and_handler_mistakes_are_reported_together() {
    let expansion = expand("audiance = \"x\"", "fn f() {}");
    for message in [
        "unknown key `audiance`",
        "missing `issuer`",
        "must be async",
    ] {
        assert!(expansion.contains(message), "{message}: {expansion}");
    }
}

#[test]
fn an_item_that_is_not_a_function_is_kept() {
    let expansion = expand(r#"issuer = "https://a/", audience = "b""#, "struct Orders;");
    assert!(
        expansion.contains("`#[protected]` applies to an `async fn` handler"),
        "{expansion}"
    );
    assert!(expansion.ends_with("struct Orders ;"), "{expansion}");
}

#[test]
fn the_policy_type_has_the_handler_visibility_and_a_raw_name_is_unrawed() {
    let expansion = expand(
        r#"issuer = "https://a/", audience = "b""#,
        "pub(crate) async fn r#type() {}",
    );
    assert!(
        expansion.contains("pub (crate) struct __type_policy ;"),
        "{expansion}"
    );
}

/// The generated items of a snapshot: from the policy type (with its two attributes) to the end
/// of the handler, as `scripts/expand-readme` copies them.
fn excerpt(snapshot: &str) -> String {
    let lines: Vec<&str> = snapshot.lines().collect();
    let Some(policy) = lines.iter().position(|line| {
        line.strip_prefix("struct __")
            .is_some_and(|rest| rest.ends_with("_policy;"))
    }) else {
        panic!("no policy type in the snapshot");
    };
    let mut excerpt = Vec::new();
    let mut in_fn = false;
    for line in &lines[policy.saturating_sub(2)..] {
        excerpt.push(*line);
        in_fn |= line.starts_with("async fn ");
        if in_fn && *line == "}" {
            break;
        }
    }
    excerpt.join("\n")
}

#[test]
fn the_readme_shows_the_snapshot_of_its_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &Path| match fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    };
    let snapshot = read(&root.join("tests/expand/list_orders.expanded.rs"));
    let readme = read(&root.join("../README.md"));
    let expected = format!(
        "<!-- expand-readme:start -->\n```rust\n{}\n```\n<!-- expand-readme:end -->",
        excerpt(&snapshot)
    );
    assert!(
        readme.contains(&expected),
        "README.md's expansion excerpt differs from list_orders.expanded.rs: run \
         scripts/expand-readme"
    );
}

#[test]
fn a_plain_handler_expands_to_fewer_than_25_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let snapshot = match fs::read_to_string(root.join("tests/expand/health_detail.expanded.rs")) {
        Ok(text) => text,
        Err(error) => panic!("{error}"),
    };
    let lines = excerpt(&snapshot).lines().count();
    assert!(lines < 25, "{lines} lines");
}
