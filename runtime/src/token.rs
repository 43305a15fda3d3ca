//! Compact JWS → header, signing input, signature and (once verified) payload.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::alg::Alg;
use crate::reject::Rejection;
use crate::strict_json::{self, StrictJsonError};

/// The longest signature accepted, in bytes: RSA 8192.
const MAX_SIGNATURE_LEN: usize = 1024;

/// The JOSE header members this library reads. `jku`, `x5u`, `jwk` and `x5c` are deliberately
/// never read: a token never chooses where its key comes from.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
}

/// A token split into its parts; the signature is not verified yet.
#[derive(Debug)]
pub(crate) struct Jws<'a> {
    pub(crate) header: Header,
    pub(crate) alg: Alg,
    /// `base64(header) "." base64(payload)`.
    pub(crate) signing_input: &'a str,
    payload: &'a str,
    /// The decoded signature.
    pub(crate) signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits `token`, decodes its header and signature, and refuses what this library never
    /// accepts: other than three parts, `alg: none` and algorithms it does not implement,
    /// encrypted or nested tokens, `crit`, unencoded payloads, duplicate header members and
    /// header members of the wrong JSON type. Whether the key and the policy allow the
    /// algorithm is decided later.
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
        let members = strict_json::object(&header_json).map_err(|error| match error {
            StrictJsonError::DuplicateMember => {
                Rejection::invalid_token("token header has a duplicate member")
            }
            StrictJsonError::NotAnObject => Rejection::invalid_token("malformed token header"),
        })?;
        let (alg, header) = read_header(&members)?;
        if signature.len() > MAX_SIGNATURE_LEN * 4 / 3 + 4 {
            return Err(Rejection::invalid_token("malformed token signature"));
        }
        // The signature is the suffix after the last '.', so the signing input ends before it.
        let signing_input = &token[..token.len() - signature.len() - 1];
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| Rejection::invalid_token("malformed token signature"))?;
        Ok(Jws {
            header,
            alg,
            signing_input,
            payload,
            signature,
        })
    }

    /// Decodes the payload into a JSON object with no duplicate member names. Nothing in it is
    /// trusted until the signature is verified.
    pub(crate) fn payload(&self) -> Result<Map<String, Value>, Rejection> {
        let json = URL_SAFE_NO_PAD
            .decode(self.payload)
            .map_err(|_| Rejection::invalid_token("malformed token payload"))?;
        payload_object(&json)
    }
}

/// A decoded payload as a JSON object with no duplicate member names.
pub(crate) fn payload_object(json: &[u8]) -> Result<Map<String, Value>, Rejection> {
    strict_json::object(json).map_err(|error| match error {
        StrictJsonError::DuplicateMember => {
            Rejection::invalid_token("token payload has a duplicate member")
        }
        StrictJsonError::NotAnObject => {
            Rejection::invalid_token("token payload is not a JSON object")
        }
    })
}

/// The algorithm and the header members the verifier uses, each of its RFC 7515 type.
fn read_header(members: &Map<String, Value>) -> Result<(Alg, Header), Rejection> {
    let string = |name: &'static str| match members.get(name) {
        None => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.as_str())),
        Some(_) => Err(Rejection::invalid_token(format!(
            "token header `{name}` is not a string"
        ))),
    };
    // Members that change how the token must be processed, none of which this library does:
    // any presence refuses the token, whatever the value (`null` included).
    if members.contains_key("crit") {
        return Err(Rejection::invalid_token(
            "unsupported critical header parameters",
        ));
    }
    if members.contains_key("enc") || members.contains_key("zip") {
        return Err(Rejection::invalid_token(
            "encrypted tokens (JWE) are not accepted",
        ));
    }
    if members.contains_key("b64") {
        return Err(Rejection::invalid_token(
            "unencoded payloads (RFC 7797) are not accepted",
        ));
    }
    if string("cty")?.is_some_and(|cty| normalize_typ(cty) == "jwt") {
        return Err(Rejection::invalid_token("nested tokens are not accepted"));
    }
    let alg_name = string("alg")?.ok_or_else(|| Rejection::invalid_token("token has no alg"))?;
    let alg = match Alg::from_name(alg_name) {
        Some(alg) => alg,
        None if alg_name.eq_ignore_ascii_case("none") => {
            return Err(Rejection::invalid_token("unsigned tokens are not accepted"));
        }
        None => return Err(Rejection::invalid_token("algorithm not allowed")),
    };
    let header = Header {
        kid: string("kid")?.map(str::to_owned),
        typ: string("typ")?.map(str::to_owned),
    };
    Ok((alg, header))
}

/// `typ` compares case-insensitively with the `application/` prefix optional (RFC 7515 §4.1.9).
pub(crate) fn normalize_typ(typ: &str) -> String {
    let lower = typ.trim().to_ascii_lowercase();
    match lower.strip_prefix("application/") {
        Some(rest) => rest.to_owned(),
        None => lower,
    }
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
            (jws.alg, jws.header.kid.as_deref(), jws.signature.as_slice()),
            (Alg::ES256, Some("k1"), b"sig".as_slice())
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

    #[test]
    fn header_members_of_the_wrong_type_or_twice_are_rejected() {
        let p = b64("{}");
        for (header, reason) in [
            (
                r#"{"alg":"RS256","kid":null}"#,
                "token header `kid` is not a string",
            ),
            (
                r#"{"alg":"RS256","kid":5}"#,
                "token header `kid` is not a string",
            ),
            (
                r#"{"alg":"RS256","typ":["JWT"]}"#,
                "token header `typ` is not a string",
            ),
            (r#"{"alg":null}"#, "token header `alg` is not a string"),
            (r#"{"kid":"k"}"#, "token has no alg"),
            (
                r#"{"alg":"RS256","crit":null}"#,
                "unsupported critical header parameters",
            ),
            (
                r#"{"alg":"RS256","enc":"A128GCM"}"#,
                "encrypted tokens (JWE) are not accepted",
            ),
            (
                r#"{"alg":"RS256","b64":false}"#,
                "unencoded payloads (RFC 7797) are not accepted",
            ),
            (
                r#"{"alg":"RS256","cty":"JWT"}"#,
                "nested tokens are not accepted",
            ),
            (
                r#"{"alg":"RS256","kid":"a","kid":"a"}"#,
                "token header has a duplicate member",
            ),
            (
                r#"{"alg":"RS256","alg":"none"}"#,
                "token header has a duplicate member",
            ),
        ] {
            assert_eq!(
                desc(&format!("{}.{p}.c2ln", b64(header))),
                reason,
                "{header}"
            );
        }
        assert_eq!(
            desc(&format!(
                "{}.{p}.c2ln",
                b64(r#"{"alg":"RS256","cty":"json"}"#)
            )),
            "ok"
        );
    }

    #[test]
    fn signatures_must_be_canonical_unpadded_base64url() {
        let h = b64(r#"{"alg":"ES256"}"#);
        let p = b64("{}");
        assert_eq!(desc(&format!("{h}.{p}.c2lnbg")), "ok");
        for sig in ["c2lnbg==", "c2l+bg", "c2l/bg", "c2lnbh"] {
            assert_eq!(
                desc(&format!("{h}.{p}.{sig}")),
                "malformed token signature",
                "{sig}"
            );
        }
        let long = "A".repeat(2000);
        assert_eq!(
            desc(&format!("{h}.{p}.{long}")),
            "malformed token signature"
        );
    }

    #[test]
    fn typ_is_normalized() {
        assert_eq!(normalize_typ("application/AT+JWT"), "at+jwt");
        assert_eq!(normalize_typ("at+jwt"), "at+jwt");
    }
}
