//! The runtime's top-level modules import each other without cycles: each module may use only
//! modules below it, so a reader can take them bottom-up (ARCHITECTURE.md draws the layers).
//!
//! A module's imports are the `crate::<module>` paths in its files (`use crate::x::…`,
//! `use crate::{x, y::…}`, `crate::x::f(…)`), comments, `doc = "…"` attributes and
//! `#[cfg(test)] mod tests` left out.
//! `lib.rs` (the crate's front, which re-exports) and `fuzz` (the fuzzers' entry points, above
//! everything) are not layers.
#![allow(clippy::expect_used)] // a test stops with a message on a broken setup

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read src/") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of a file without comments and without its unit tests.
fn code(text: &str) -> String {
    let text = text
        .find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at]);
    text.lines()
        // Documentation written as `doc = "…"` attributes links, it does not import.
        .filter(|line| !line.contains("doc = \""))
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules `code` names through `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let name = identifier(part.trim());
                if !name.is_empty() {
                    found.insert(name.to_owned());
                }
            }
        } else {
            found.insert(identifier(rest).to_owned());
        }
    }
    found
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = Graph::new();
    let files = rust_files(&src);
    let module_of = |path: &Path| -> String {
        let relative = path.strip_prefix(&src).expect("a file under src/");
        let first = relative.components().next().expect("a path");
        let name = first.as_os_str().to_string_lossy();
        name.trim_end_matches(".rs").to_owned()
    };
    for path in &files {
        graph.entry(module_of(path)).or_default();
    }
    for path in &files {
        let module = module_of(path);
        let text = fs::read_to_string(path).expect("read a source file");
        let uses: BTreeSet<String> = imports(&code(&text))
            .into_iter()
            .filter(|name| *name != module && graph.contains_key(name))
            .collect();
        graph.entry(module).or_default().extend(uses);
    }
    for front in ["lib", "fuzz"] {
        graph.remove(front);
    }
    for uses in graph.values_mut() {
        uses.retain(|name| name != "lib" && name != "fuzz");
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, module: &'g str) {
            let index = self.index.len();
            self.index.insert(module, index);
            self.low.insert(module, index);
            self.stack.push(module);
            for next in &self.graph[module] {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[module].min(self.low[next]);
                    self.low.insert(module, low);
                } else if self.stack.contains(&next) {
                    let low = self.low[module].min(self.index[next]);
                    self.low.insert(module, low);
                }
            }
            if self.low[module] == self.index[module] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    component.push(top.to_owned());
                    if top == module {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for module in graph.keys() {
        if !walk.index.contains_key(module.as_str()) {
            walk.visit(module);
        }
    }
    walk.found
}

#[test]
fn the_runtimes_top_level_modules_import_each_other_without_cycles() {
    let graph = graph();
    assert!(graph.len() > 10, "modules found: {graph:?}");
    let cycles = cycles(&graph);
    let listing: String = graph
        .iter()
        .map(|(module, uses)| format!("  {module} -> {uses:?}\n"))
        .collect();
    assert!(
        cycles.is_empty(),
        "modules that import each other in a cycle: {cycles:?}\nthe graph:\n{listing}"
    );
}

#[test]
fn the_cycle_finder_finds_a_ring_and_passes_a_ladder() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    let ring = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
    assert_eq!(cycles(&ring), [["a", "b", "c"]]);
    let ladder = graph(&[("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")]);
    assert!(cycles(&ladder).is_empty());
    assert_eq!(
        imports(&code(
            "use crate::{alg::Alg, keys};\nlet x = crate::settings::current(); // crate::json"
        )),
        ["alg", "keys", "settings"]
            .into_iter()
            .map(str::to_owned)
            .collect()
    );
}
