//! Compact JWS → header, signing input, signature and (once verified) payload.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::reject::Rejection;
use crate::spec::Alg;

/// The JOSE header fields this library reads. `jku`, `x5u`, `jwk` and `x5c` are deliberately
/// absent: a token never chooses where its key comes from.
#[derive(Debug, Deserialize)]
pub(crate) struct Header {
    alg: String,
    #[serde(default)]
    pub(crate) kid: Option<String>,
    #[serde(default)]
    pub(crate) typ: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// A token split into its parts; the signature is not verified yet.
#[derive(Debug)]
pub(crate) struct Jws<'a> {
    pub(crate) header: Header,
    pub(crate) alg: Alg,
    /// `base64(header) "." base64(payload)`.
    pub(crate) signing_input: &'a str,
    payload: &'a str,
    pub(crate) signature: &'a str,
}

impl<'a> Jws<'a> {
    /// Splits `token` and decodes its header. The algorithm must be one this library
    /// implements; whether the key and the policy allow it is decided later.
    pub(crate) fn parse(token: &'a str) -> Result<Self, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(Rejection::invalid_token(
                "not a JWS: expected three dot-separated parts",
            ));
        };
        match parts.count() {
            0 => {}
            2 => {
                return Err(Rejection::invalid_token(
                    "encrypted tokens (JWE) are not accepted",
                ));
            }
            _ => {
                return Err(Rejection::invalid_token(
                    "not a JWS: expected three dot-separated parts",
                ));
            }
        }
        if signature.is_empty() {
            return Err(Rejection::invalid_token("token is unsigned"));
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| Rejection::invalid_token("malformed token header"))?;
        let header: Header = serde_json::from_slice(&header_json)
            .map_err(|_| Rejection::invalid_token("malformed token header"))?;
        if header.crit.is_some() {
            return Err(Rejection::invalid_token(
                "unsupported critical header parameters",
            ));
        }
        let alg = match Alg::from_name(&header.alg) {
            Some(alg) => alg,
            None if header.alg.eq_ignore_ascii_case("none") => {
                return Err(Rejection::invalid_token("unsigned tokens are not accepted"));
            }
            None => return Err(Rejection::invalid_token("algorithm not allowed")),
        };
        Ok(Jws {
            header,
            alg,
            signing_input: &token[..header_len_plus_payload(token, signature)],
            payload,
            signature,
        })
    }

    /// Decodes the payload into a JSON object. Call only after the signature is verified.
    pub(crate) fn verified_payload(&self) -> Result<Map<String, Value>, Rejection> {
        let json = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| Rejection::invalid_token("malformed token payload"))?;
        serde_json::from_slice(&json)
            .map_err(|_| Rejection::invalid_token("token payload is not a JSON object"))
    }
}

fn header_len_plus_payload(token: &str, signature: &str) -> usize {
    // `signature` is the suffix after the last '.', so the signing input ends before that dot.
    token.len() - signature.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn desc(token: &str) -> String {
        match Jws::parse(token) {
            Ok(_) => "ok".into(),
            Err(r) => r.description().to_owned(),
        }
    }

    #[test]
    fn a_well_formed_token_splits_into_its_parts() {
        let token = format!(
            "{}.{}.c2ln",
            b64(r#"{"alg":"ES256","kid":"k1","jku":"https://evil"}"#),
            b64("{}")
        );
        let jws = Jws::parse(&token).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            (jws.alg, jws.header.kid.as_deref(), jws.signature),
            (Alg::ES256, Some("k1"), "c2ln")
        );
        assert_eq!(jws.signing_input, &token[..token.len() - 5]);
    }

    #[test]
    fn hostile_headers_are_rejected_with_a_reason() {
        let p = b64("{}");
        assert_eq!(
            desc(&format!("{}.{p}.sig", b64(r#"{"alg":"none"}"#))),
            "unsigned tokens are not accepted"
        );
        assert_eq!(
            desc(&format!("{}.{p}.", b64(r#"{"alg":"RS256"}"#))),
            "token is unsigned"
        );
        assert_eq!(
            desc(&format!("{}.{p}.sig", b64(r#"{"alg":"HS256"}"#))),
            "algorithm not allowed"
        );
        assert_eq!(
            desc(&format!(
                "{}.{p}.sig",
                b64(r#"{"alg":"RS256","crit":["exp"]}"#)
            )),
            "unsupported critical header parameters"
        );
        assert_eq!(
            desc(&format!("{}.{p}.sig", b64("[1]"))),
            "malformed token header"
        );
        assert_eq!(desc("a.b"), "not a JWS: expected three dot-separated parts");
        assert_eq!(desc("a.b.c.d.e"), "encrypted tokens (JWE) are not accepted");
        assert_eq!(desc("!!.b.c"), "malformed token header");
    }
}
