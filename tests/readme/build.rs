//! Puts the README's Rust snippets where the compiler sees them, in `OUT_DIR`:
//!
//! - `README.md`: the README, which `src/lib.rs` includes as doc tests (every ```rust block is
//!   one), with the setup of the expansion excerpt added as hidden lines: that excerpt is a
//!   byte-exact copy of a snapshot (`scripts/expand-readme`), so its setup cannot live in it;
//! - one file per block whose first line names a file of the reader's crate
//!   (`// src/lib.rs`, `// tests/<name>.rs`): `lib.rs` becomes this crate's library, and
//!   `tests_<name>.rs` is run by `tests/<name>.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::{env, fs};

const README: &str = "../../README.md";

/// The line before the expansion excerpt's fence.
const EXPANSION_MARKER: &str = "<!-- expand-readme:start -->";

/// What the expansion excerpt names from the README's first example.
const EXPANSION_SETUP: &str = "\
# use axum::{Json, extract::Query};
# use jwks_guard::Claims;
# #[derive(serde::Deserialize)] struct Page { after: Option<u64> }
# #[derive(serde::Serialize)] struct Order { id: u64, owner: String }
# fn orders_of(owner: Option<&str>, page: Page) -> Vec<Order> { let _ = (owner, page); Vec::new() }
";

/// The blocks this crate's library and tests include.
const REQUIRED: [&str; 6] = [
    "src/lib.rs",
    "tests/api.rs",
    "tests/dpop.rs",
    "tests/actix.rs",
    "tests/rocket.rs",
    "tests/poem.rs",
];

fn main() -> Result<(), String> {
    println!("cargo::rerun-if-changed={README}");
    let readme = fs::read_to_string(README).map_err(|error| format!("{README}: {error}"))?;
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|error| format!("OUT_DIR: {error}"))?);

    let mut doc = String::with_capacity(readme.len() + EXPANSION_SETUP.len());
    let mut files = BTreeMap::new();
    // The open block: whether it is Rust, and its lines.
    let mut block: Option<(bool, Vec<&str>)> = None;
    let mut previous = "";
    for line in readme.lines() {
        doc.push_str(line);
        doc.push('\n');
        let fence = line.trim_start().strip_prefix("```");
        match (&mut block, fence) {
            (None, Some(info)) => {
                let rust = info
                    .split(',')
                    .next()
                    .is_some_and(|lang| lang.trim() == "rust");
                if rust && previous.trim() == EXPANSION_MARKER {
                    doc.push_str(EXPANSION_SETUP);
                }
                block = Some((rust, Vec::new()));
            }
            (Some((rust, lines)), Some(_)) => {
                let named = lines.first().and_then(|first| first.strip_prefix("// "));
                if let (true, Some(name)) = (*rust, named.filter(|name| REQUIRED.contains(name))) {
                    let code = lines.join("\n") + "\n";
                    if files.insert(name.to_owned(), code).is_some() {
                        return Err(format!("{README}: two Rust blocks start with `// {name}`"));
                    }
                }
                block = None;
            }
            (Some((_, lines)), None) => lines.push(line),
            (None, None) => {}
        }
        previous = line;
    }

    for name in REQUIRED {
        let Some(code) = files.get(name) else {
            return Err(format!(
                "{README} has no ```rust block starting with `// {name}`: this crate compiles and \
                 runs that block (see tests/readme/build.rs)"
            ));
        };
        let file = out.join(name.replace('/', "_"));
        fs::write(&file, code).map_err(|error| format!("{}: {error}", file.display()))?;
    }
    let file = out.join("README.md");
    fs::write(&file, doc).map_err(|error| format!("{}: {error}", file.display()))
}
