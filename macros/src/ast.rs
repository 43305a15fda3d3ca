//! What one `#[protected(...)]` says: the keys written, each with its value. Literals keep
//! their spans so that errors and the expansion point back at what the user wrote.

use proc_macro2::Span;
use syn::{LitBool, LitStr};

use crate::keys::Key;

/// The attribute's keys, parsed ([`crate::attr`]) and checked together ([`crate::valid`]).
pub(crate) struct Args {
    /// In the order written; each key at most once.
    pub(crate) entries: Vec<Entry>,
}

impl Args {
    /// The value of the key `name`, if it was written.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|entry| entry.key.name == name)
            .map(|entry| &entry.value)
    }

    /// `crate = "path"`: where the runtime crate is, for crates that re-export it.
    pub(crate) fn krate(&self) -> Option<&syn::Path> {
        self.entries.iter().find_map(|entry| match &entry.value {
            Value::Path(path) => Some(path),
            _ => None,
        })
    }
}

/// One `key = value` or `key(...)`.
pub(crate) struct Entry {
    pub(crate) key: &'static Key,
    /// The key as written.
    pub(crate) span: Span,
    pub(crate) value: Value,
}

/// A key's value, one variant per [`Kind`](crate::keys::Kind).
pub(crate) enum Value {
    /// `Str`: `"text"`.
    Str(LitStr),
    /// `StrOrEnv`: `"text"` or `env("VAR")`.
    Setting(Setting),
    /// `StrListOrEnv`: `"a"`, `["a", "b"]` or `env("VAR")`.
    Values(Values),
    /// `StrList`: `["a", "b"]`.
    List(Vec<LitStr>),
    /// `Algorithms`: `["RS256", "ES256"]`, each a supported algorithm's name.
    Algorithms(Vec<LitStr>),
    /// `Claims`: `claims(...)`.
    Claims(Vec<Claim>),
    /// `Seconds`: `60`.
    Seconds(Seconds),
    /// `Path`: `"::a::b"`.
    Path(syn::Path),
    /// `TokenSources`: `["authorization", cookie("session"), header("x-token")]`.
    TokenSources(Vec<Source>),
    /// `OneOf`: `"required"`, one of the key's words.
    OneOf(Word),
}

/// One of a [`Kind::OneOf`](crate::keys::Kind::OneOf) key's words, and what it names.
pub(crate) struct Word {
    /// As written.
    pub(crate) lit: LitStr,
    /// The runtime enum (`Dpop`).
    pub(crate) ty: &'static str,
    /// Its variant the word names (`Required`).
    pub(crate) variant: &'static str,
}

/// One element of `token_from = [...]`.
pub(crate) enum Source {
    /// `"authorization"`.
    Authorization(Span),
    /// `cookie("name")`: the name as written.
    Cookie(LitStr),
    /// `header("name")`: the name as written (compared case-insensitively).
    Header(LitStr),
}

impl Source {
    /// What makes two sources the same: the kind, and the name (a header's in lowercase).
    pub(crate) fn identity(&self) -> (u8, String) {
        match self {
            Source::Authorization(_) => (0, String::new()),
            Source::Cookie(name) => (1, name.value()),
            Source::Header(name) => (2, name.value().to_ascii_lowercase()),
        }
    }

    /// Where it is written.
    pub(crate) fn span(&self) -> Span {
        match self {
            Source::Authorization(span) => *span,
            Source::Cookie(name) | Source::Header(name) => name.span(),
        }
    }
}

/// `"literal"` or `env("VAR")`.
pub(crate) enum Setting {
    Literal(LitStr),
    Env(EnvVar),
}

/// `env("VAR")`.
pub(crate) struct EnvVar {
    /// The variable's name.
    pub(crate) name: LitStr,
}

/// `"value"` (a list of one), `["a", "b"]` or `env("VAR")`.
pub(crate) enum Values {
    List(Vec<LitStr>),
    Env(EnvVar),
}

/// One entry of `claims(...)`.
pub(crate) struct Claim {
    /// The claim's name, a string even when written as an identifier.
    pub(crate) name: LitStr,
    pub(crate) expect: Expect,
}

/// What a `claims(...)` entry requires of its claim.
pub(crate) enum Expect {
    /// `name`.
    Present,
    /// `name = value`.
    Equals(Scalar),
    /// `name = [value, …]`.
    ContainsAll(Vec<Scalar>),
}

/// A string, bool or integer literal in `claims(...)`.
pub(crate) enum Scalar {
    Str(LitStr),
    Bool(LitBool),
    /// An integer; negative ones are written `-5`.
    Int {
        value: i64,
        span: Span,
    },
}

/// `leeway = 30`.
pub(crate) struct Seconds {
    pub(crate) value: u64,
    pub(crate) span: Span,
}
