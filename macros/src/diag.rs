//! Diagnostics shared by the parsers: error collection, "did you mean", "where is the first one".

use proc_macro2::Span;

/// Collects every error so that all mistakes are reported at once.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Adds every error of `other`.
    pub(crate) fn extend(&mut self, other: Errors) {
        if let Some(errors) = other.0 {
            self.push(errors);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// Adds the error of `result`, if any, and returns its value.
    pub(crate) fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    /// `Ok` if nothing was collected, else every collected error.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.0 {
            Some(errors) => Err(errors),
            None => Ok(()),
        }
    }
}

/// The candidate a misspelled `input` most likely means, compared case-insensitively; `None`
/// when nothing is close or two candidates are equally close (`S512` is one edit from `RS512`,
/// `PS512` and `ES512`: suggesting any would mislead). Each candidate comes with the other
/// words people write for it (`iss` for `issuer`).
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = (&'a str, &'a [&'a str])>,
) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    // Two edits for longer words, one for short ones: `scope` → `scopes`, `type` → `typ`, but
    // `foo` is not a misspelling of `typ`.
    let budget = if input.chars().count() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for (candidate, aliases) in candidates {
        let distance = if aliases.contains(&input.as_str()) {
            0
        } else {
            edit_distance(&input, &candidate.to_ascii_lowercase())
        };
        match best {
            _ if distance > budget => {}
            Some((closest, _)) if distance > closest => {}
            Some((closest, _)) if distance == closest => tied = true,
            _ => {
                best = Some((distance, candidate));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
/// adjacent characters each cost one (`audeince` is one edit from `audience`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between the first i characters of a and the first j of b.
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + substitution);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// Where `first` is, as seen from an error at `second`: "earlier on this line", "on line 3".
pub(crate) fn where_is(first: Span, second: Span) -> String {
    let (first, second) = (first.start().line, second.start().line);
    if first == 0 || second == 0 {
        // Line numbers are not available (some IDE expansion servers).
        "earlier".to_owned()
    } else if first == second {
        "earlier on this line".to_owned()
    } else {
        format!("on line {first}")
    }
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn backticked(words: impl IntoIterator<Item = impl std::fmt::Display>) -> String {
    words
        .into_iter()
        .map(|word| format!("`{word}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every error of `errors` as its message and the source text it points at ("" where the
/// span has none), for tests.
#[cfg(test)]
pub(crate) fn messages_and_sources(errors: syn::Error) -> Vec<(String, String)> {
    errors
        .into_iter()
        .map(|error| {
            let text = error.span().source_text().unwrap_or_default();
            (error.to_string(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[(&str, &[&str])] = &[
        ("issuer", &["iss"]),
        ("audience", &["aud"]),
        ("scopes", &[]),
        ("typ", &["type"]),
    ];

    #[test]
    fn edit_distance_counts_a_transposition_as_one_edit() {
        assert_eq!(edit_distance("audeince", "audience"), 1);
        assert_eq!(edit_distance("audiance", "audience"), 1);
        assert_eq!(edit_distance("issuer", "issuer"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn near_misses_and_aliases_are_suggested() {
        assert_eq!(
            did_you_mean("audiance", KEYS.iter().copied()),
            Some("audience")
        );
        assert_eq!(did_you_mean("Issuer", KEYS.iter().copied()), Some("issuer"));
        assert_eq!(did_you_mean("scope", KEYS.iter().copied()), Some("scopes"));
        assert_eq!(did_you_mean("iss", KEYS.iter().copied()), Some("issuer"));
        assert_eq!(did_you_mean("type", KEYS.iter().copied()), Some("typ"));
    }

    #[test]
    fn equally_close_candidates_get_no_suggestion() {
        let algorithms: &[(&str, &[&str])] = &[("RS512", &[]), ("PS512", &[]), ("RS256", &[])];
        assert_eq!(did_you_mean("S512", algorithms.iter().copied()), None);
        assert_eq!(
            did_you_mean("RS265", algorithms.iter().copied()),
            Some("RS256")
        );
        assert_eq!(
            did_you_mean("rs512", algorithms.iter().copied()),
            Some("RS512")
        );
    }

    #[test]
    fn unrelated_words_get_no_suggestion() {
        assert_eq!(did_you_mean("foo", KEYS.iter().copied()), None);
        assert_eq!(did_you_mean("timeout", KEYS.iter().copied()), None);
    }
}
