//! JWK Set document → [`KeySet`] of ready-to-use decoding keys.
//!
//! Each usable key is prepared once per fetch. A key that cannot be used (encryption keys,
//! symmetric keys, unknown types or curves, an `alg` that does not fit its type, RSA moduli
//! under 2048 bits) is skipped with a debug event; it never fails the whole set.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;
use serde_json::Value;

use crate::spec::Alg;

/// The most usable keys kept from one set; real sets hold a handful.
const MAX_KEYS: usize = 64;

/// A set of algorithms, as a bit mask over [`Alg::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    pub(crate) fn of(algs: &[Alg]) -> Self {
        AlgSet(algs.iter().fold(0, |bits, alg| bits | Self::bit(*alg)))
    }

    pub(crate) fn contains(self, alg: Alg) -> bool {
        self.0 & Self::bit(alg) != 0
    }

    fn bit(alg: Alg) -> u16 {
        1 << Alg::ALL.iter().position(|a| *a == alg).unwrap_or(15)
    }
}

/// One verification key, prepared.
pub(crate) struct PreparedKey {
    pub(crate) kid: Option<String>,
    /// The algorithms this key may verify: its `alg`, or every one its type allows.
    pub(crate) algs: AlgSet,
    pub(crate) key: DecodingKey,
}

impl std::fmt::Debug for PreparedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedKey")
            .field("kid", &self.kid)
            .field("algs", &self.algs)
            .finish()
    }
}

/// The usable keys of one fetched JWK Set.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    pub(crate) keys: Vec<PreparedKey>,
}

/// Why a document is not a usable JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum JwksError {
    #[error("not a JWK Set document")]
    NotAJwks,
    #[error("the JWK Set holds no usable signing key")]
    NoUsableKey,
}

impl KeySet {
    /// Parses a JWK Set document (RFC 7517 §5).
    pub(crate) fn parse(document: &[u8]) -> Result<Self, JwksError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<Value>,
        }
        let document: Document =
            serde_json::from_slice(document).map_err(|_| JwksError::NotAJwks)?;
        let keys: Vec<PreparedKey> = document
            .keys
            .iter()
            .filter_map(|jwk| match prepare(jwk) {
                Ok(key) => Some(key),
                Err(reason) => {
                    let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("");
                    tracing::debug!(kid, reason, "skipping JWK");
                    None
                }
            })
            .take(MAX_KEYS)
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(KeySet { keys })
    }

    /// The key to verify a token signed with `alg` and carrying `kid`.
    ///
    /// With a `kid`, the key of that id, provided it may verify `alg`. Without one, the only key
    /// of the set that may verify `alg`; several candidates is ambiguous and yields none.
    pub(crate) fn find(&self, kid: Option<&str>, alg: Alg) -> Lookup<'_> {
        match kid {
            Some(kid) => {
                let mut named = self
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if named.peek().is_none() {
                    return Lookup::UnknownKid;
                }
                // Several keys may share a `kid` (one per type): the one for `alg` is wanted.
                match named.find(|k| k.algs.contains(alg)) {
                    Some(key) => Lookup::Found(key),
                    None => Lookup::WrongAlgorithm,
                }
            }
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.algs.contains(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Lookup::Found(key),
                    (Some(_), Some(_)) => Lookup::Ambiguous,
                    (None, _) => Lookup::WrongAlgorithm,
                }
            }
        }
    }

    /// The `kid`s of the set, for events.
    pub(crate) fn kids(&self) -> Vec<&str> {
        self.keys
            .iter()
            .map(|k| k.kid.as_deref().unwrap_or("-"))
            .collect()
    }
}

/// The outcome of [`KeySet::find`].
#[derive(Debug)]
pub(crate) enum Lookup<'a> {
    Found(&'a PreparedKey),
    UnknownKid,
    WrongAlgorithm,
    Ambiguous,
}

fn prepare(jwk: &Value) -> Result<PreparedKey, &'static str> {
    let field = |name: &str| jwk.get(name).and_then(Value::as_str);
    if jwk
        .get("use")
        .is_some_and(|usage| usage.as_str() != Some("sig"))
    {
        return Err("`use` is not `sig`");
    }
    if let Some(ops) = jwk.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err("`key_ops` does not include `verify`");
        }
    }
    let kid = match jwk.get("kid") {
        None | Some(Value::Null) => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err("`kid` is not a string"),
    };
    let (type_algs, key): (&[Alg], DecodingKey) = match (field("kty"), field("crv")) {
        (Some("RSA"), _) => {
            let (n, e) = field("n")
                .zip(field("e"))
                .ok_or("RSA key lacks `n` or `e`")?;
            let n_bytes = URL_SAFE_NO_PAD
                .decode(n)
                .map_err(|_| "RSA `n` is not base64url")?;
            let e_bytes = URL_SAFE_NO_PAD
                .decode(e)
                .map_err(|_| "RSA `e` is not base64url")?;
            let leading_zeros = n_bytes.iter().take_while(|&&b| b == 0).count();
            if (n_bytes.len() - leading_zeros) * 8 < 2048 {
                return Err("RSA modulus is shorter than 2048 bits");
            }
            if e_bytes.is_empty() {
                return Err("RSA `e` is empty");
            }
            (
                &[
                    Alg::RS256,
                    Alg::RS384,
                    Alg::RS512,
                    Alg::PS256,
                    Alg::PS384,
                    Alg::PS512,
                ],
                DecodingKey::from_rsa_raw_components(&n_bytes, &e_bytes),
            )
        }
        (Some("EC"), Some(crv @ ("P-256" | "P-384"))) => {
            let (alg, len) = if crv == "P-256" {
                (&[Alg::ES256], 32)
            } else {
                (&[Alg::ES384], 48)
            };
            let (x, y) = field("x")
                .zip(field("y"))
                .ok_or("EC key lacks `x` or `y`")?;
            let x_len = URL_SAFE_NO_PAD
                .decode(x)
                .map_err(|_| "EC `x` is not base64url")?
                .len();
            let y_len = URL_SAFE_NO_PAD
                .decode(y)
                .map_err(|_| "EC `y` is not base64url")?
                .len();
            if x_len != len || y_len != len {
                return Err("EC coordinates do not fit the curve");
            }
            let key = DecodingKey::from_ec_components(x, y).map_err(|_| "malformed EC key")?;
            (alg, key)
        }
        (Some("OKP"), Some("Ed25519")) => {
            let x = field("x").ok_or("OKP key lacks `x`")?;
            let x_len = URL_SAFE_NO_PAD
                .decode(x)
                .map_err(|_| "OKP `x` is not base64url")?
                .len();
            if x_len != 32 {
                return Err("Ed25519 key is not 32 bytes");
            }
            let key = DecodingKey::from_ed_components(x).map_err(|_| "malformed Ed25519 key")?;
            (&[Alg::EdDSA], key)
        }
        (Some("oct"), _) => return Err("symmetric keys are never used"),
        _ => return Err("unsupported key type or curve"),
    };
    let algs = match jwk.get("alg") {
        None | Some(Value::Null) => AlgSet::of(type_algs),
        Some(alg) => {
            let alg = alg
                .as_str()
                .and_then(Alg::from_name)
                .ok_or("unsupported `alg`")?;
            if !type_algs.contains(&alg) {
                return Err("`alg` does not fit the key type");
            }
            AlgSet::of(&[alg])
        }
    };
    Ok(PreparedKey { kid, algs, key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rsa_n() -> String {
        URL_SAFE_NO_PAD.encode([0xC5u8; 256])
    }

    fn set(keys: Value) -> Result<KeySet, JwksError> {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes())
    }

    #[test]
    fn unusable_keys_are_skipped_and_usable_ones_kept() {
        let ks = set(json!([
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": rsa_n(), "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "small", "n": URL_SAFE_NO_PAD.encode([0xC5u8; 128]), "e": "AQAB"},
            {"kty": "RSA", "kid": "mismatch", "alg": "ES256", "n": rsa_n(), "e": "AQAB"},
            {"kty": "EC", "kid": "short", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            {"kty": "OKP", "kid": "x448", "crv": "X448", "x": "AAAA"},
            {"kty": "RSA", "kid": "good", "alg": "PS256", "n": rsa_n(), "e": "AQAB"},
            "not an object",
        ]));
        let ks = ks.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.kids(), ["good"]);
        assert!(matches!(
            ks.find(Some("good"), Alg::PS256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            ks.find(Some("good"), Alg::RS256),
            Lookup::WrongAlgorithm
        ));
        assert!(matches!(
            ks.find(Some("enc"), Alg::RS256),
            Lookup::UnknownKid
        ));
    }

    #[test]
    fn a_key_without_alg_allows_its_type_family() {
        let ks = set(json!([{"kty": "RSA", "kid": "r", "n": rsa_n(), "e": "AQAB"}]));
        let ks = ks.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(ks.find(Some("r"), Alg::RS512), Lookup::Found(_)));
        assert!(matches!(
            ks.find(Some("r"), Alg::ES256),
            Lookup::WrongAlgorithm
        ));
    }

    #[test]
    fn a_token_without_kid_needs_exactly_one_fitting_key() {
        let one = set(json!([
            {"kty": "RSA", "kid": "a", "n": rsa_n(), "e": "AQAB"},
            {"kty": "OKP", "kid": "b", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([7u8; 32])},
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(one.find(None, Alg::EdDSA), Lookup::Found(k) if k.kid.as_deref() == Some("b"))
        );
        let two = set(json!([
            {"kty": "RSA", "kid": "a", "n": rsa_n(), "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": rsa_n(), "e": "AQAB"},
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(two.find(None, Alg::RS256), Lookup::Ambiguous));
    }

    #[test]
    fn keys_sharing_a_kid_are_told_apart_by_algorithm() {
        let ks = set(json!([
            {"kty": "RSA", "kid": "same", "n": rsa_n(), "e": "AQAB"},
            {"kty": "OKP", "kid": "same", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode([7u8; 32])},
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(ks.find(Some("same"), Alg::EdDSA), Lookup::Found(k) if k.algs == AlgSet::of(&[Alg::EdDSA]))
        );
        assert!(matches!(
            ks.find(Some("same"), Alg::RS256),
            Lookup::Found(_)
        ));
        assert!(matches!(
            ks.find(Some("same"), Alg::ES256),
            Lookup::WrongAlgorithm
        ));
    }

    #[test]
    fn the_key_cap_counts_usable_keys_only() {
        let mut keys: Vec<Value> = (0..MAX_KEYS + 10)
            .map(|i| json!({"kty": "RSA", "kid": format!("enc-{i}"), "use": "enc", "n": rsa_n(), "e": "AQAB"}))
            .collect();
        keys.push(json!({"kty": "RSA", "kid": "sig", "n": rsa_n(), "e": "AQAB"}));
        let ks = set(Value::Array(keys)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.kids(), ["sig"]);
    }

    #[test]
    fn documents_that_are_not_key_sets_are_errors() {
        assert_eq!(KeySet::parse(b"<html>").err(), Some(JwksError::NotAJwks));
        assert_eq!(
            KeySet::parse(br#"{"keys": 3}"#).err(),
            Some(JwksError::NotAJwks)
        );
        assert_eq!(
            KeySet::parse(br#"{"keys": []}"#).err(),
            Some(JwksError::NoUsableKey)
        );
    }
}
