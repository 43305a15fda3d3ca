//! JWK Set document → [`KeySet`] of public keys parsed once for aws-lc-rs.
//!
//! Each usable key is parsed once per fetch, for each algorithm it may verify, and every
//! signature is checked by aws-lc-rs directly: no process-wide crypto provider is consulted,
//! whatever else the application's dependency graph enables.
//!
//! A key that cannot be used is skipped, never failing the whole set: encryption keys, keys
//! whose `key_ops` lack `verify`, unknown types or curves, an `alg` that does not fit its type,
//! RSA moduli outside 2048 bits to [`Settings::max_rsa_modulus_bits`](crate::Settings) or with
//! an even or tiny exponent, points not on their curve, Ed25519 keys of small order. Two kinds
//! are skipped with a warning naming the issuer and `kid`, once per fetched set, because they
//! mean the provider is misconfigured: keys carrying private members (`d`, `p`, `q`, `dp`,
//! `dq`, `qi`, `oth`: a leaked private key lets anyone sign) and symmetric (`oct`) keys.
//!
//! A DPoP proof's `jwk` goes through the same checks ([`prepare_for`], parsed for the proof's
//! `alg` only), and [`thumbprint`] names a key as RFC 7638 does (a token's `cnf.jkt`).

use aws_lc_rs::digest;
use aws_lc_rs::signature::{
    self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents, VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;

use crate::alg::{Alg, AlgSet, KeyType};
use crate::settings::{MAX_RSA_BITS, MIN_RSA_BITS};

/// The most keys sharing one `kid` that a token is tried against.
const MAX_SHARED_KID: usize = 4;

/// The JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2).
pub(crate) const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

/// What limits the keys of a set: from [`Settings`](crate::Settings).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyLimits {
    pub(crate) max_rsa_bits: usize,
    /// The most usable keys kept from one set; real sets hold a handful.
    pub(crate) max_keys: usize,
}

impl Default for KeyLimits {
    fn default() -> Self {
        KeyLimits {
            max_rsa_bits: MAX_RSA_BITS,
            max_keys: 64,
        }
    }
}

/// Which key verified a token: a SHA-256 digest of its type and public key material, so the
/// same key refetched (even re-parsed after a `200` without validators) keeps its identity and
/// a key that leaves the set is recognised as gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct KeyThumbprint([u8; 32]);

#[cfg(test)]
impl KeyThumbprint {
    pub(crate) fn for_tests(byte: u8) -> Self {
        KeyThumbprint([byte; 32])
    }
}

/// One verification key: its public key parsed for each algorithm it may verify.
pub(crate) struct PreparedKey {
    pub(crate) kid: Option<String>,
    pub(crate) id: KeyThumbprint,
    /// The algorithms this key may verify: its `alg`, or every one its type allows.
    pub(crate) algs: AlgSet,
    parsed: Vec<(Alg, ParsedPublicKey)>,
}

impl PreparedKey {
    /// Whether `signature` is this key's signature of `message` with `alg`.
    pub(crate) fn verifies(&self, alg: Alg, message: &[u8], signature: &[u8]) -> bool {
        self.parsed
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, key)| key.verify_sig(message, signature).is_ok())
    }
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

/// Why a token's signature was not verified by a key of the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// The token names a `kid` the set lacks.
    UnknownKid,
    /// Keys of that `kid` (or, without `kid`, all keys) exist, none for the token's algorithm.
    WrongAlgorithm,
    /// No `kid`, and several keys fit the algorithm.
    Ambiguous,
    /// The key (every key sharing the `kid`) rejects the signature.
    BadSignature,
}

impl KeyProblem {
    /// The answer to a token whose signature no key verified.
    pub(crate) fn rejection(self, has_kid: bool) -> crate::reject::Rejection {
        crate::reject::Rejection::invalid_token(match (self, has_kid) {
            (KeyProblem::UnknownKid, _) => "unknown signing key",
            (KeyProblem::WrongAlgorithm, true) => "algorithm not allowed for this key",
            (KeyProblem::WrongAlgorithm, false) => "no signing key for this algorithm",
            (KeyProblem::Ambiguous, _) => "token has no kid and several keys match",
            (KeyProblem::BadSignature, _) => "invalid signature",
        })
    }
}

impl KeySet {
    /// Parses a JWK Set document (RFC 7517 §5) published by `issuer` (named in warnings).
    pub(crate) fn parse(
        document: &[u8],
        issuer: &str,
        limits: KeyLimits,
    ) -> Result<Self, JwksError> {
        #[derive(Deserialize)]
        struct Document {
            keys: Vec<Value>,
        }
        let document: Document =
            serde_json::from_slice(document).map_err(|_| JwksError::NotAJwks)?;
        let keys: Vec<PreparedKey> = document
            .keys
            .iter()
            .filter_map(|jwk| match prepare(jwk, limits, None) {
                Ok(key) => Some(key),
                Err(Skip::Debug(reason)) => {
                    tracing::debug!(issuer, kid = kid_of(jwk), reason, "skipping JWK");
                    None
                }
                Err(Skip::Warn(reason)) => {
                    tracing::warn!(issuer, kid = kid_of(jwk), reason, "skipping JWK");
                    None
                }
            })
            .take(limits.max_keys)
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        let set = KeySet { keys };
        for kid in set.shared_kids() {
            tracing::warn!(
                issuer,
                kid = loggable(kid, ID_CHARS),
                "several keys of the JWK Set share this kid; tokens naming it are tried against each"
            );
        }
        Ok(set)
    }

    /// Verifies `signature` of `message` with the key the token names, and says which key it
    /// was.
    ///
    /// With a `kid`: the keys of that id that may verify `alg` (usually one; a handful at most
    /// are tried). Without one: the only key of the set that may verify `alg`; several
    /// candidates is ambiguous.
    pub(crate) fn verify(
        &self,
        kid: Option<&str>,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<KeyThumbprint, KeyProblem> {
        self.candidates(kid, alg)?
            .find(|key| key.verifies(alg, message, signature))
            .map(|key| key.id)
            .ok_or(KeyProblem::BadSignature)
    }

    /// Whether [`verify`](Self::verify) would still try the key `id` for a token naming `kid`
    /// with `alg`: the same selection, without the signature. What a cached token relies on.
    pub(crate) fn selects(&self, kid: Option<&str>, alg: Alg, id: KeyThumbprint) -> bool {
        self.candidates(kid, alg)
            .is_ok_and(|mut keys| keys.any(|key| key.id == id))
    }

    /// The keys a token naming `kid` with `alg` is checked against, in order.
    fn candidates<'s>(
        &'s self,
        kid: Option<&'s str>,
        alg: Alg,
    ) -> Result<impl Iterator<Item = &'s PreparedKey>, KeyProblem> {
        let fits = move |key: &&PreparedKey| {
            key.algs.contains(alg) && kid.is_none_or(|kid| key.kid.as_deref() == Some(kid))
        };
        let mut fitting = self.keys.iter().filter(fits);
        match (kid, fitting.next(), fitting.next()) {
            (Some(kid), None, _) => Err(
                if self.keys.iter().any(|key| key.kid.as_deref() == Some(kid)) {
                    KeyProblem::WrongAlgorithm
                } else {
                    KeyProblem::UnknownKid
                },
            ),
            (None, None, _) => Err(KeyProblem::WrongAlgorithm),
            (None, Some(_), Some(_)) => Err(KeyProblem::Ambiguous),
            _ => Ok(self.keys.iter().filter(fits).take(MAX_SHARED_KID)),
        }
    }

    /// The `kid`s of the set, for events (each made [`loggable`]).
    pub(crate) fn kids(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| loggable(k.kid.as_deref().unwrap_or("-"), ID_CHARS))
            .collect()
    }

    /// The `kid`s held by several keys whose algorithms overlap (so a token naming one may
    /// have been signed by either), each once.
    fn shared_kids(&self) -> Vec<&str> {
        let mut shared: Vec<&str> = Vec::new();
        for (i, a) in self.keys.iter().enumerate() {
            let Some(kid) = a.kid.as_deref() else {
                continue;
            };
            let clash = self.keys[i + 1..]
                .iter()
                .any(|b| b.kid.as_deref() == Some(kid) && a.algs.intersects(b.algs));
            if clash && !shared.contains(&kid) {
                shared.push(kid);
            }
        }
        shared
    }
}

/// A JWK's `kid` for logs: at most 64 characters, control characters escaped.
fn kid_of(jwk: &Value) -> String {
    loggable(
        jwk.get("kid").and_then(Value::as_str).unwrap_or(""),
        ID_CHARS,
    )
}

/// The longest identifier (a `kid`) [`loggable`] keeps.
pub(crate) const ID_CHARS: usize = 64;

/// The longest URL or message [`loggable`] keeps.
pub(crate) const TEXT_CHARS: usize = 256;

/// Text from a provider or a token made safe for a log line: control characters, quotes,
/// backslashes and non-ASCII characters escaped (`\n`, `\u{202e}`), so an event stays one line
/// that says what it says; longer than `max_chars`, its beginning and end are kept around a `…`
/// (the end of a message often says what was expected).
pub(crate) fn loggable(text: &str, max_chars: usize) -> String {
    let escape = |part: &str| {
        part.chars()
            .flat_map(char::escape_default)
            .collect::<String>()
    };
    let count = text.chars().count();
    if count <= max_chars {
        return escape(text);
    }
    let head = max_chars.div_ceil(2);
    let tail = max_chars - head;
    let split = |at: usize| text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
    let mut out = escape(&text[..split(head)]);
    out.push('…');
    out.push_str(&escape(&text[split(count - tail)..]));
    out
}

/// Why a JWK is not used, and how loudly to say so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Skip {
    /// An ordinary key this library does not use (encryption keys, other types): debug.
    Debug(&'static str),
    /// A key that should never be in a public signing key set: warning.
    Warn(&'static str),
}

/// One JWK, alone (a DPoP proof's `jwk` header), checked as a key of a set is and parsed for
/// `alg` only; the error says why the key is not usable.
pub(crate) fn prepare_for(
    jwk: &Value,
    limits: KeyLimits,
    alg: Alg,
) -> Result<PreparedKey, &'static str> {
    prepare(jwk, limits, Some(alg)).map_err(|(Skip::Debug(reason) | Skip::Warn(reason))| reason)
}

/// The RFC 7638 thumbprint of a public JWK: base64url(SHA-256) of its required members, in
/// lexicographic order, without whitespace (`crv`, `kty`, `x`, `y` for EC; `e`, `kty`, `n` for
/// RSA; `crv`, `kty`, `x` for OKP). `None` when a required member is missing or not a string,
/// or the type is not one of those.
pub(crate) fn thumbprint(jwk: &Value) -> Option<String> {
    let required: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, name) in required.iter().enumerate() {
        let value = jwk.get(*name)?.as_str()?;
        if i > 0 {
            canonical.push(',');
        }
        // `Value::String` serialises with JSON escapes, as RFC 7638 §3.3 requires.
        canonical.push_str(&format!("\"{name}\":{}", Value::from(value)));
    }
    canonical.push('}');
    Some(URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes())))
}

fn prepare(jwk: &Value, limits: KeyLimits, only: Option<Alg>) -> Result<PreparedKey, Skip> {
    let skip = |reason| Err(Skip::Debug(reason));
    let Some(members) = jwk.as_object() else {
        return skip("not a JSON object");
    };
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(Skip::Warn(
            "the JWK carries private key material; it is never used, and the provider should \
             treat the key as leaked",
        ));
    }
    let field = |name: &str| members.get(name).and_then(Value::as_str);
    match members.get("use") {
        None => {}
        Some(Value::String(usage)) if usage == "sig" => {}
        Some(_) => return skip("`use` is not `sig`"),
    }
    if let Some(ops) = members.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return skip("`key_ops` does not include `verify`");
        }
    }
    let kid = match members.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return skip("`kid` is not a string"),
    };
    let stated_alg = match members.get("alg") {
        None => None,
        Some(alg) => Some(
            alg.as_str()
                .and_then(Alg::from_name)
                .ok_or(Skip::Debug("unsupported `alg`"))?,
        ),
    };
    let b64 = |name: &str, what: &'static str| {
        field(name)
            .and_then(|text| URL_SAFE_NO_PAD.decode(text).ok())
            .ok_or(Skip::Debug(what))
    };
    let (key_type, public) = match (field("kty"), field("crv")) {
        (Some("RSA"), _) => {
            let n = b64("n", "RSA `n` is missing or not base64url")?;
            let e = b64("e", "RSA `e` is missing or not base64url")?;
            (KeyType::Rsa, PublicKey::rsa(n, e, limits)?)
        }
        (Some("EC"), Some("P-256")) => (KeyType::P256, PublicKey::ec(&b64, 32)?),
        (Some("EC"), Some("P-384")) => (KeyType::P384, PublicKey::ec(&b64, 48)?),
        (Some("EC"), Some("P-521")) => (KeyType::P521, PublicKey::ec(&b64, 66)?),
        (Some("OKP"), Some("Ed25519")) => {
            let x = b64("x", "OKP `x` is missing or not base64url")?;
            (KeyType::Ed25519, PublicKey::ed25519(x)?)
        }
        (Some("oct"), _) => {
            return Err(Skip::Warn(
                "symmetric (`oct`) keys are never used to verify tokens",
            ));
        }
        _ => return skip("unsupported key type or curve"),
    };
    let algs: Vec<Alg> = match stated_alg {
        Some(alg) if alg.key_type() == key_type => vec![alg],
        Some(_) => return skip("`alg` does not fit the key type"),
        None => key_type.algorithms().collect(),
    };
    let algs = match only {
        None => algs,
        Some(only) if algs.contains(&only) => vec![only],
        Some(_) => return skip("the key does not fit `alg`"),
    };
    let parsed = algs
        .iter()
        .map(|alg| public.parse(*alg).map(|key| (*alg, key)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PreparedKey {
        kid,
        id: public.id(),
        algs: AlgSet::of(&algs),
        parsed,
    })
}

/// A JWK's public key, checked, in the form aws-lc-rs parses.
enum PublicKey {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// An uncompressed point, `04 || x || y`.
    Ec(Vec<u8>),
    Ed25519(Vec<u8>),
}

impl PublicKey {
    fn rsa(n: Vec<u8>, e: Vec<u8>, limits: KeyLimits) -> Result<Self, Skip> {
        let n = without_leading_zeros(n);
        let e = without_leading_zeros(e);
        let bits = bit_length(&n);
        if bits < MIN_RSA_BITS {
            return Err(Skip::Debug("RSA modulus is shorter than 2048 bits"));
        }
        if bits > limits.max_rsa_bits.clamp(MIN_RSA_BITS, MAX_RSA_BITS) {
            return Err(Skip::Debug(
                "RSA modulus is longer than the configured maximum",
            ));
        }
        // An odd exponent of at least 3 and at most 32 bits (65537 in practice).
        let odd = e.last().is_some_and(|last| last & 1 == 1);
        if !odd || bit_length(&e) < 2 || e.len() > 4 {
            return Err(Skip::Debug(
                "RSA exponent is not an odd number from 3 to 2^32",
            ));
        }
        Ok(PublicKey::Rsa { n, e })
    }

    fn ec(
        b64: &impl Fn(&str, &'static str) -> Result<Vec<u8>, Skip>,
        len: usize,
    ) -> Result<Self, Skip> {
        let x = b64("x", "EC `x` is missing or not base64url")?;
        let y = b64("y", "EC `y` is missing or not base64url")?;
        if x.len() != len || y.len() != len {
            return Err(Skip::Debug("EC coordinates do not fit the curve"));
        }
        let mut point = Vec::with_capacity(1 + 2 * len);
        point.push(0x04);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(PublicKey::Ec(point))
    }

    fn ed25519(x: Vec<u8>) -> Result<Self, Skip> {
        let Ok(point) = <[u8; 32]>::try_from(x.as_slice()) else {
            return Err(Skip::Debug("Ed25519 key is not 32 bytes"));
        };
        if ed25519_is_weak(&point) {
            return Err(Skip::Warn(
                "Ed25519 key is a small-order or non-canonical point",
            ));
        }
        Ok(PublicKey::Ed25519(x))
    }

    /// The key's identity: a digest of its type and public material, each part
    /// length-prefixed so that no two keys share an encoding.
    fn id(&self) -> KeyThumbprint {
        let mut context = digest::Context::new(&digest::SHA256);
        let parts: [&[u8]; 3] = match self {
            PublicKey::Rsa { n, e } => [b"RSA", n, e],
            PublicKey::Ec(point) => [b"EC", point, &[]],
            PublicKey::Ed25519(x) => [b"Ed25519", x, &[]],
        };
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let mut id = [0; 32];
        id.copy_from_slice(context.finish().as_ref());
        KeyThumbprint(id)
    }

    /// The key parsed for `alg`; a point off its curve or a modulus aws-lc-rs refuses skips
    /// the key.
    fn parse(&self, alg: Alg) -> Result<ParsedPublicKey, Skip> {
        let parsed = match (self, verifier(alg)) {
            (PublicKey::Rsa { n, e }, Verifier::Rsa(parameters)) => {
                RsaPublicKeyComponents { n, e }.to_parsed_public_key(parameters)
            }
            (PublicKey::Ec(point), Verifier::Curve(algorithm)) => {
                ParsedPublicKey::new(algorithm, point)
            }
            (PublicKey::Ed25519(x), Verifier::Curve(algorithm)) => {
                ParsedPublicKey::new(algorithm, x)
            }
            _ => return Err(Skip::Debug("`alg` does not fit the key type")),
        };
        parsed.map_err(|_| Skip::Debug("the public key is not valid for its type"))
    }
}

/// How aws-lc-rs verifies an algorithm: RSA (the 2048–8192-bit variants), or a curve. ECDSA
/// signatures are the fixed-length `R || S` of RFC 7518 §3.4, never DER.
enum Verifier {
    Rsa(&'static RsaParameters),
    Curve(&'static dyn VerificationAlgorithm),
}

fn verifier(alg: Alg) -> Verifier {
    match alg {
        Alg::RS256 => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
        Alg::RS384 => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
        Alg::RS512 => Verifier::Rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
        Alg::PS256 => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA256),
        Alg::PS384 => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA384),
        Alg::PS512 => Verifier::Rsa(&signature::RSA_PSS_2048_8192_SHA512),
        Alg::ES256 => Verifier::Curve(&signature::ECDSA_P256_SHA256_FIXED),
        Alg::ES384 => Verifier::Curve(&signature::ECDSA_P384_SHA384_FIXED),
        Alg::ES512 => Verifier::Curve(&signature::ECDSA_P521_SHA512_FIXED),
        Alg::EdDSA => Verifier::Curve(&signature::ED25519),
    }
}

fn without_leading_zeros(mut bytes: Vec<u8>) -> Vec<u8> {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.drain(..zeros);
    bytes
}

/// The bit length of a big-endian number without leading zero bytes.
fn bit_length(bytes: &[u8]) -> usize {
    match bytes.first() {
        None => 0,
        Some(first) => (bytes.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// Whether an Ed25519 public key is one of the eight small-order points (in any encoding) or
/// a non-canonical encoding (`y` ≥ p). With such a key, the forged signature R = the
/// identity, S = 0 verifies for every message on verifiers without the check; the list is the
/// one libsodium refuses.
fn ed25519_is_weak(point: &[u8; 32]) -> bool {
    let mut y = *point;
    y[31] &= 0x7f;
    if SMALL_ORDER.contains(&y) {
        return true;
    }
    // Non-canonical: y ≥ p = 2^255 − 19, i.e. bytes ed..ff followed by ff…ff 7f.
    y[0] >= 0xed && y[1..31].iter().all(|&b| b == 0xff) && y[31] == 0x7f
}

// Little-endian `y` values, sign bit cleared: 0 and 1 (orders 4 and 1), p − 1 (order 2),
// the two y of the order-8 points, and p, p + 1 (non-canonical 0 and 1).
const SMALL_ORDER: [[u8; 32]; 7] = [
    [0; 32],
    {
        let mut one = [0; 32];
        one[0] = 1;
        one
    },
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
    field_element_near_p(0xec),
    field_element_near_p(0xed),
    field_element_near_p(0xee),
];

/// p − 1 + (low − 0xec): the little-endian field elements p − 1, p and p + 1 for low = 0xec,
/// 0xed, 0xee.
const fn field_element_near_p(low: u8) -> [u8; 32] {
    let mut bytes = [0xff; 32];
    bytes[0] = low;
    bytes[31] = 0x7f;
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
        ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    };
    use serde_json::json;

    /// A modulus of exactly `bits` bits (not a real key: these tests never verify with it).
    fn modulus(bits: usize) -> String {
        let mut n = vec![0xC5u8; bits.div_ceil(8)];
        let top_bits = bits - (n.len() - 1) * 8;
        n[0] = (0xFFu8 >> (8 - top_bits)) | (1 << (top_bits - 1));
        URL_SAFE_NO_PAD.encode(n)
    }

    fn rsa_n() -> String {
        modulus(2048)
    }

    fn set(keys: Value) -> Result<KeySet, JwksError> {
        set_with(keys, KeyLimits::default())
    }

    fn set_with(keys: Value, limits: KeyLimits) -> Result<KeySet, JwksError> {
        KeySet::parse(
            json!({ "keys": keys }).to_string().as_bytes(),
            "https://issuer.test/",
            limits,
        )
    }

    fn kids(keys: Value) -> Vec<String> {
        set(keys).map_or_else(|_| Vec::new(), |ks| ks.kids())
    }

    fn ed25519() -> (Ed25519KeyPair, Value) {
        let pair = Ed25519KeyPair::generate().unwrap_or_else(|e| panic!("{e}"));
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        (pair, json!({"kty": "OKP", "crv": "Ed25519", "x": x}))
    }

    fn with_kid(mut jwk: Value, kid: &str) -> Value {
        jwk["kid"] = json!(kid);
        jwk
    }

    fn problem(
        ks: &KeySet,
        kid: Option<&str>,
        alg: Alg,
        message: &[u8],
        sig: &[u8],
    ) -> Option<KeyProblem> {
        ks.verify(kid, alg, message, sig).err()
    }

    #[test]
    fn unusable_keys_are_skipped_and_usable_ones_kept() {
        let ks = set(json!([
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": rsa_n(), "e": "AQAB"},
            {"kty": "RSA", "kid": "use-null", "use": null, "n": rsa_n(), "e": "AQAB"},
            {"kty": "RSA", "kid": "ops", "key_ops": ["encrypt"], "n": rsa_n(), "e": "AQAB"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "mismatch", "alg": "ES256", "n": rsa_n(), "e": "AQAB"},
            {"kty": "RSA", "kid": "alg-null", "alg": null, "n": rsa_n(), "e": "AQAB"},
            {"kty": "EC", "kid": "short", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            {"kty": "EC", "kid": "crv-alg", "crv": "P-384", "alg": "ES256", "x": "AAAA", "y": "AAAA"},
            {"kty": "OKP", "kid": "x448", "crv": "X448", "x": "AAAA"},
            {"kty": "RSA", "kid": "good", "alg": "PS256", "n": rsa_n(), "e": "AQAB"},
            "not an object",
        ]));
        let ks = ks.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.kids(), ["good"]);
        let bad = Some(KeyProblem::BadSignature);
        assert_eq!(problem(&ks, Some("good"), Alg::PS256, b"m", b"s"), bad);
        assert_eq!(
            problem(&ks, Some("good"), Alg::RS256, b"m", b"s"),
            Some(KeyProblem::WrongAlgorithm)
        );
        assert_eq!(
            problem(&ks, Some("enc"), Alg::RS256, b"m", b"s"),
            Some(KeyProblem::UnknownKid)
        );
    }

    #[test]
    fn keys_carrying_private_members_are_never_used() {
        let (pair, public) = ed25519();
        let message = b"header.payload";
        let signature = pair.sign(message);
        let ks = set(json!([with_kid(public.clone(), "k")])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ks.verify(Some("k"), Alg::EdDSA, message, signature.as_ref())
                .map(|_| ()),
            Ok(())
        );
        for member in PRIVATE_MEMBERS {
            let mut leaked = with_kid(public.clone(), "k");
            leaked[member] = json!("AQAB");
            assert_eq!(
                set(json!([leaked])).err(),
                Some(JwksError::NoUsableKey),
                "{member}"
            );
        }
        let mut rsa_private = json!({"kty": "RSA", "kid": "r", "n": rsa_n(), "e": "AQAB"});
        rsa_private["d"] = json!(rsa_n());
        assert_eq!(kids(json!([rsa_private, with_kid(public, "k")])), ["k"]);
    }

    #[test]
    fn rsa_keys_are_sized_in_bits_and_need_an_odd_exponent_of_at_least_3() {
        let rsa = |kid: &str, n: String, e: &str| json!({"kty": "RSA", "kid": kid, "n": n, "e": e});
        let leading_zero = URL_SAFE_NO_PAD.encode(
            [
                &[0u8][..],
                &URL_SAFE_NO_PAD.decode(modulus(2048)).unwrap_or_default(),
            ]
            .concat(),
        );
        assert_eq!(
            kids(json!([
                rsa("2041", modulus(2041), "AQAB"),
                rsa("2047", modulus(2047), "AQAB"),
                rsa("2048", modulus(2048), "AQAB"),
                rsa("2048-zero-padded", leading_zero, "AQAB"),
                rsa("8192", modulus(8192), "AQAB"),
                rsa("8193", modulus(8193), "AQAB"),
                rsa("e=3", modulus(2048), "Aw"),
                rsa("e=1", modulus(2048), "AQ"),
                rsa("e-even", modulus(2048), "AQAA"),
                rsa("e-empty", modulus(2048), ""),
                rsa("e-33-bits", modulus(2048), "AQAAAAE"),
            ])),
            ["2048", "2048-zero-padded", "8192", "e=3"]
        );
        let limits = KeyLimits {
            max_rsa_bits: 4096,
            ..KeyLimits::default()
        };
        let ks = set_with(
            json!([
                rsa("4096", modulus(4096), "AQAB"),
                rsa("4097", modulus(4097), "AQAB")
            ]),
            limits,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.kids(), ["4096"]);
    }

    #[test]
    fn a_set_left_without_usable_keys_is_an_error_not_an_empty_set() {
        assert_eq!(
            set(json!([{"kty": "RSA", "kid": "big", "n": modulus(8200), "e": "AQAB"}])).err(),
            Some(JwksError::NoUsableKey)
        );
    }

    #[test]
    fn a_key_without_alg_allows_its_type_family() {
        let ks = set(json!([{"kty": "RSA", "kid": "r", "n": rsa_n(), "e": "AQAB"}]));
        let ks = ks.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problem(&ks, Some("r"), Alg::RS512, b"m", b"s"),
            Some(KeyProblem::BadSignature)
        );
        assert_eq!(
            problem(&ks, Some("r"), Alg::ES256, b"m", b"s"),
            Some(KeyProblem::WrongAlgorithm)
        );
    }

    #[test]
    fn a_token_without_kid_needs_exactly_one_fitting_key() {
        let (pair, public) = ed25519();
        let signature = pair.sign(b"m");
        let one = set(json!([
            {"kty": "RSA", "kid": "a", "n": rsa_n(), "e": "AQAB"},
            with_kid(public, "b"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            one.verify(None, Alg::EdDSA, b"m", signature.as_ref())
                .map(|_| ()),
            Ok(())
        );
        assert_eq!(
            problem(&one, None, Alg::ES256, b"m", b"s"),
            Some(KeyProblem::WrongAlgorithm)
        );
        let two = set(json!([
            {"kty": "RSA", "kid": "a", "n": rsa_n(), "e": "AQAB"},
            {"kty": "RSA", "kid": "b", "n": rsa_n(), "e": "AQAB"},
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            problem(&two, None, Alg::RS256, b"m", b"s"),
            Some(KeyProblem::Ambiguous)
        );
    }

    #[test]
    fn every_key_sharing_a_kid_is_tried() {
        let (first, first_jwk) = ed25519();
        let (second, second_jwk) = ed25519();
        let ks = set(json!([
            with_kid(first_jwk, "same"),
            with_kid(second_jwk, "same")
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        for pair in [&first, &second] {
            let signature = pair.sign(b"m");
            assert_eq!(
                ks.verify(Some("same"), Alg::EdDSA, b"m", signature.as_ref())
                    .map(|_| ()),
                Ok(())
            );
        }
        assert_eq!(ks.shared_kids(), ["same"]);
        let (other, _) = ed25519();
        assert_eq!(
            problem(
                &ks,
                Some("same"),
                Alg::EdDSA,
                b"m",
                other.sign(b"m").as_ref()
            ),
            Some(KeyProblem::BadSignature)
        );
    }

    #[test]
    fn keys_sharing_a_kid_across_types_are_told_apart_by_algorithm() {
        let (pair, public) = ed25519();
        let ks = set(json!([
            {"kty": "RSA", "kid": "same", "n": rsa_n(), "e": "AQAB"},
            with_kid(public, "same"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        let signature = pair.sign(b"m");
        assert_eq!(
            ks.verify(Some("same"), Alg::EdDSA, b"m", signature.as_ref())
                .map(|_| ()),
            Ok(())
        );
        assert_eq!(
            problem(&ks, Some("same"), Alg::RS256, b"m", b"s"),
            Some(KeyProblem::BadSignature)
        );
        assert_eq!(
            problem(&ks, Some("same"), Alg::ES256, b"m", b"s"),
            Some(KeyProblem::WrongAlgorithm)
        );
        assert!(
            ks.shared_kids().is_empty(),
            "no overlap of algorithms, nothing to warn about"
        );
    }

    #[test]
    fn ec_keys_verify_fixed_length_signatures_and_points_must_be_on_the_curve() {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .unwrap_or_else(|e| panic!("{e}"));
        let point = pair.public_key().as_ref();
        let (x, y) = (&point[1..33], &point[33..]);
        let jwk = json!({"kty": "EC", "kid": "ec", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)});
        let ks = set(json!([jwk])).unwrap_or_else(|e| panic!("{e}"));
        let signature = pair.sign(&rng, b"m").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ks.verify(Some("ec"), Alg::ES256, b"m", signature.as_ref())
                .map(|_| ()),
            Ok(())
        );
        for forged in [
            vec![0u8; 64],
            vec![0xffu8; 64],
            signature.as_ref()[..63].to_vec(),
        ] {
            assert_eq!(
                problem(&ks, Some("ec"), Alg::ES256, b"m", &forged),
                Some(KeyProblem::BadSignature)
            );
        }
        let mut off_curve = y.to_vec();
        off_curve[31] ^= 1;
        let off = json!({"kty": "EC", "kid": "off", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(off_curve)});
        assert_eq!(set(json!([off])).err(), Some(JwksError::NoUsableKey));
    }

    /// A fresh P-521 key pair and its coordinates, 66 bytes each.
    fn p521() -> (EcdsaKeyPair, Vec<u8>, Vec<u8>) {
        let pair = EcdsaKeyPair::generate(&ECDSA_P521_SHA512_FIXED_SIGNING)
            .unwrap_or_else(|e| panic!("{e}"));
        let point = pair.public_key().as_ref();
        assert_eq!(point.len(), 1 + 2 * 66, "an uncompressed P-521 point");
        let (x, y) = (point[1..67].to_vec(), point[67..].to_vec());
        (pair, x, y)
    }

    fn p521_jwk(kid: &str, x: &[u8], y: &[u8]) -> Value {
        json!({"kty": "EC", "kid": kid, "crv": "P-521",
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y)})
    }

    #[test]
    fn p521_keys_verify_es512_fixed_length_signatures_and_nothing_else() {
        let rng = SystemRandom::new();
        let (pair, x, y) = p521();
        let ks = set(json!([p521_jwk("p521", &x, &y)])).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ks.kids(), ["p521"]);
        let signature = pair.sign(&rng, b"m").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(signature.as_ref().len(), 132, "r || s, 66 bytes each");
        assert_eq!(
            ks.verify(Some("p521"), Alg::ES512, b"m", signature.as_ref())
                .map(|_| ()),
            Ok(())
        );
        assert_eq!(
            problem(&ks, Some("p521"), Alg::ES512, b"other", signature.as_ref()),
            Some(KeyProblem::BadSignature)
        );
        for forged in [
            vec![0u8; 132],
            signature.as_ref()[..131].to_vec(),
            [signature.as_ref(), &[0]].concat(),
        ] {
            assert_eq!(
                problem(&ks, Some("p521"), Alg::ES512, b"m", &forged),
                Some(KeyProblem::BadSignature)
            );
        }
        // A key without `alg` verifies its curve's algorithm only.
        assert_eq!(KeyType::P521.algorithms().collect::<Vec<_>>(), [Alg::ES512]);
        for other in [Alg::ES256, Alg::ES384, Alg::RS512, Alg::EdDSA] {
            assert_eq!(
                problem(&ks, Some("p521"), other, b"m", signature.as_ref()),
                Some(KeyProblem::WrongAlgorithm),
                "{other:?}"
            );
        }
    }

    #[test]
    fn p521_coordinates_must_be_66_bytes_and_the_point_on_the_curve() {
        let (_, x, y) = p521();
        let padded = |c: &[u8]| [&[0u8][..], c].concat();
        // A coordinate is 521 bits, so its first byte is 0 or 1; an encoder that drops a
        // leading zero writes 65 bytes, and RFC 7518 §6.2.1.2 asks for the full 66.
        let mut off_curve = y.clone();
        off_curve[65] ^= 1;
        assert_eq!(
            kids(json!([
                p521_jwk("x-65", &x[1..], &y),
                p521_jwk("y-65", &x, &y[1..]),
                p521_jwk("x-67", &padded(&x), &y),
                p521_jwk("y-67", &x, &padded(&y)),
                p521_jwk("p384-sized", &x[..48], &y[..48]),
                p521_jwk("off-curve", &x, &off_curve),
                p521_jwk("good", &x, &y),
            ])),
            ["good"]
        );
    }

    #[test]
    fn a_p521_key_whose_alg_is_not_es512_is_skipped() {
        let (_, x, y) = p521();
        let with_alg = |kid: &str, alg: &str| {
            let mut jwk = p521_jwk(kid, &x, &y);
            jwk["alg"] = json!(alg);
            jwk
        };
        let p384 = EcdsaKeyPair::generate(&ECDSA_P384_SHA384_FIXED_SIGNING)
            .unwrap_or_else(|e| panic!("{e}"));
        let point = p384.public_key().as_ref();
        let p384_as_es512 = json!({"kty": "EC", "kid": "p384-es512", "crv": "P-384",
            "alg": "ES512", "x": URL_SAFE_NO_PAD.encode(&point[1..49]),
            "y": URL_SAFE_NO_PAD.encode(&point[49..])});
        assert_eq!(
            kids(json!([
                with_alg("es384", "ES384"),
                with_alg("es256", "ES256"),
                with_alg("rs512", "RS512"),
                p384_as_es512,
                with_alg("es512", "ES512"),
            ])),
            ["es512"]
        );
    }

    #[test]
    fn small_order_ed25519_keys_are_filtered_because_forged_signatures_verify_with_them() {
        // With the identity as public key, R = identity and S = 0 satisfy the verification
        // equation for every message, and aws-lc-rs 1.19 accepts that signature: the key must
        // never reach it.
        let identity = {
            let mut one = [0u8; 32];
            one[0] = 1;
            one
        };
        for weak in [
            identity,
            [0u8; 32],
            [
                0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef,
                0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88,
                0x6d, 0x53, 0xfc, 0x85,
            ],
            [
                0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10,
                0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77,
                0x92, 0xac, 0x03, 0xfa,
            ],
            field_element_near_p(0xec),
            field_element_near_p(0xed),
            field_element_near_p(0xee),
            {
                let mut negative_zero = identity;
                negative_zero[31] |= 0x80;
                negative_zero
            },
        ] {
            assert!(ed25519_is_weak(&weak), "{weak:02x?}");
            let jwk = json!({"kty": "OKP", "kid": "weak", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(weak)});
            assert_eq!(set(json!([jwk])).err(), Some(JwksError::NoUsableKey));
        }
        // The order-8 entries really are of small order: with R = identity and S = 0, some
        // messages verify under them (those whose hash is a multiple of 8 modulo the order).
        let mut forged = [0u8; 64];
        forged[..32].copy_from_slice(&identity);
        for point in [&SMALL_ORDER[2], &SMALL_ORDER[3]] {
            let forged_somewhere = (0u8..64).any(|message| {
                ParsedPublicKey::new(&signature::ED25519, point)
                    .is_ok_and(|key| key.verify_sig(&[message], &forged).is_ok())
            });
            assert!(forged_somewhere, "{point:02x?} is not of small order");
        }
        let (_, public) = ed25519();
        assert_eq!(kids(json!([with_kid(public, "fine")])), ["fine"]);
    }

    #[test]
    fn the_thumbprint_of_the_rfc_7638_example_key_is_the_rfcs() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
        assert_eq!(thumbprint(&json!({"kty": "RSA", "e": "AQAB"})), None);
        assert_eq!(thumbprint(&json!({"kty": "oct", "k": "AQAB"})), None);
    }

    #[test]
    fn a_proof_key_is_prepared_for_its_algorithm_only() {
        let (_, public) = ed25519();
        assert!(prepare_for(&public, KeyLimits::default(), Alg::EdDSA).is_ok());
        assert_eq!(
            prepare_for(&public, KeyLimits::default(), Alg::ES256).err(),
            Some("the key does not fit `alg`")
        );
    }

    #[test]
    fn rsa_keys_verify_exactly_the_rs_and_ps_algorithms() {
        let names: Vec<&str> = KeyType::Rsa.algorithms().map(Alg::name).collect();
        assert_eq!(
            names,
            ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
        );
    }

    #[test]
    fn the_key_cap_counts_usable_keys_only() {
        let mut keys: Vec<Value> = (0..KeyLimits::default().max_keys + 10)
            .map(|i| json!({"kty": "RSA", "kid": format!("enc-{i}"), "use": "enc", "n": rsa_n(), "e": "AQAB"}))
            .collect();
        keys.push(json!({"kty": "RSA", "kid": "sig", "n": rsa_n(), "e": "AQAB"}));
        assert_eq!(kids(Value::Array(keys)), ["sig"]);
    }

    #[test]
    fn documents_that_are_not_key_sets_are_errors() {
        let parse = |doc: &[u8]| KeySet::parse(doc, "i", KeyLimits::default()).err();
        assert_eq!(parse(b"<html>"), Some(JwksError::NotAJwks));
        assert_eq!(parse(br#"{"keys": 3}"#), Some(JwksError::NotAJwks));
        assert_eq!(parse(br#"{"keys": []}"#), Some(JwksError::NoUsableKey));
    }

    #[test]
    fn loggable_text_is_one_line_of_ascii_within_its_length_keeping_both_ends() {
        assert_eq!(loggable("kid-1", ID_CHARS), "kid-1");
        assert_eq!(
            loggable("a\r\nb\tc\u{1b}[2J\u{202e}\\", ID_CHARS),
            "a\\r\\nb\\tc\\u{1b}[2J\\u{202e}\\\\"
        );
        let long = format!("unknown variant `{}`, expected `admin`", "x\n".repeat(500));
        let shown = loggable(&long, 40);
        assert!(shown.starts_with("unknown variant `x\\nx"), "{shown}");
        assert!(shown.ends_with("`, expected `admin`"), "{shown}");
        assert!(shown.contains('…') && !shown.contains('\n'), "{shown}");
        assert_eq!(
            loggable(&"é".repeat(10), 4),
            "\\u{e9}\\u{e9}…\\u{e9}\\u{e9}"
        );
    }
}
