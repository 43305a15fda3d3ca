//! The one mapping rule of fetch routes ([`fetch_from`](crate::fetch_from)) and
//! [`Settings::fetch_from`](crate::Settings::fetch_from): which URLs lie under an issuer, and
//! where they are fetched from instead.

/// `url` with trailing slashes trimmed and exactly one `/` appended.
pub(crate) fn one_slash(url: &str) -> String {
    format!("{}/", url.trim_end_matches('/'))
}

/// Where `url` is fetched from under `routes`, each `(issuer, base)` with exactly one trailing
/// `/`: `url` is under an issuer when it starts with it (or equals it without its trailing
/// `/`), and goes to the base followed by the rest of `url`. The longest issuer wins, then the
/// latest route. The one rule of both [`fetch_from`](crate::fetch_from) and
/// [`Settings::fetch_from`](crate::Settings::fetch_from).
pub(crate) fn mapped_url<'a>(
    url: &str,
    routes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let mut best: Option<(&str, &str, &str)> = None;
    for (issuer, base) in routes {
        let rest = match url.strip_prefix(issuer) {
            Some(rest) => rest,
            None if url == issuer.trim_end_matches('/') => "",
            None => continue,
        };
        if best.is_none_or(|(chosen, _, _)| issuer.len() >= chosen.len()) {
            best = Some((issuer, base, rest));
        }
    }
    best.map(|(_, base, rest)| format!("{base}{rest}"))
}
