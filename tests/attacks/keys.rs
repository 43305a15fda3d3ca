//! Keys the attacker makes or derives itself: DER and PEM forms of the issuer's public keys (for
//! HMAC key confusion), key pairs whose private half the test holds, HMAC.

use aws_lc_rs::encoding::{AsBigEndian, AsDer};
use aws_lc_rs::hmac;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::{b64, unb64};

// ----- DER -----

/// One DER tag-length-value.
pub(crate) fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).expect("short length"));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).expect("length of length"));
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A DER SEQUENCE of already encoded elements.
pub(crate) fn der_sequence(elements: &[&[u8]]) -> Vec<u8> {
    der(0x30, &elements.concat())
}

/// A DER INTEGER holding the unsigned big-endian `bytes`.
pub(crate) fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().take_while(|&&b| b == 0).count();
    let mut content = bytes[start.min(bytes.len().saturating_sub(1))..].to_vec();
    if content.first().is_none_or(|&b| b & 0x80 != 0) {
        content.insert(0, 0);
    }
    der(0x02, &content)
}

/// A DER BIT STRING of whole bytes.
fn der_bits(bytes: &[u8]) -> Vec<u8> {
    der(0x03, &[&[0][..], bytes].concat())
}

/// Reads one DER tag-length-value: `(tag, value, rest)`.
fn read_der(input: &[u8]) -> (u8, &[u8], &[u8]) {
    let (tag, first, rest) = (input[0], input[1], &input[2..]);
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        let len = rest[..count]
            .iter()
            .fold(0, |len, &b| (len << 8) | usize::from(b));
        (len, &rest[count..])
    };
    (tag, &rest[..len], &rest[len..])
}

/// The unsigned big-endian value of a DER INTEGER's content, without its sign byte.
fn unsigned(integer: &[u8]) -> &[u8] {
    match integer {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => integer,
    }
}

const OID_RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const DER_NULL: &[u8] = &[0x05, 0x00];

/// PKCS#1 `RSAPublicKey` of an RSA JWK.
pub(crate) fn rsa_pkcs1(jwk: &Value) -> Vec<u8> {
    let component = |name: &str| unb64(jwk[name].as_str().expect("RSA component"));
    der_sequence(&[&der_uint(&component("n")), &der_uint(&component("e"))])
}

/// X.509 `SubjectPublicKeyInfo` of an RSA JWK.
pub(crate) fn rsa_spki(jwk: &Value) -> Vec<u8> {
    let algorithm = der_sequence(&[OID_RSA_ENCRYPTION, DER_NULL]);
    der_sequence(&[&algorithm, &der_bits(&rsa_pkcs1(jwk))])
}

/// The uncompressed point (`04 || x || y`) of an EC JWK.
pub(crate) fn ec_point(jwk: &Value) -> Vec<u8> {
    let coordinate = |name: &str| unb64(jwk[name].as_str().expect("EC coordinate"));
    [vec![4], coordinate("x"), coordinate("y")].concat()
}

/// X.509 `SubjectPublicKeyInfo` of a P-256 point.
pub(crate) fn p256_spki(point: &[u8]) -> Vec<u8> {
    let algorithm = der_sequence(&[OID_EC_PUBLIC_KEY, OID_P256]);
    der_sequence(&[&algorithm, &der_bits(point)])
}

/// PEM armour around DER.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let base64 = STANDARD.encode(der);
    let lines: Vec<&str> = base64
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// The SPKI aws-lc-rs writes for an RSA public key: a check on [`rsa_spki`].
pub(crate) fn rsa_spki_by_aws_lc(jwk: &Value) -> Vec<u8> {
    let component = |name: &str| unb64(jwk[name].as_str().expect("RSA component"));
    let components = aws_lc_rs::rsa::PublicKeyComponents {
        n: component("n"),
        e: component("e"),
    };
    components.as_der().expect("SPKI").as_ref().to_vec()
}

/// The SPKI aws-lc-rs writes for a fresh P-256 key, and that key's point: a check on
/// [`p256_spki`].
pub(crate) fn p256_spki_by_aws_lc() -> (Vec<u8>, Vec<u8>) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key");
    let spki = pair.public_key().as_der().expect("SPKI").as_ref().to_vec();
    (spki, pair.public_key().as_ref().to_vec())
}

// ----- HMAC -----

/// The base64url HMAC of `input` under `key`, for `HS256`, `HS384` or `HS512`.
pub(crate) fn hmac(alg: &str, key: &[u8], input: &str) -> String {
    let algorithm = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        "HS512" => hmac::HMAC_SHA512,
        other => panic!("not an HMAC algorithm: {other}"),
    };
    b64(hmac::sign(
        &hmac::Key::new(algorithm, key),
        input.as_bytes(),
    ))
}

/// `header.payload.signature` from the texts given, HMAC'd under `key`.
pub(crate) fn hmac_token(alg: &str, key: &[u8], header: &str, payload: &str) -> String {
    let input = format!("{}.{}", b64(header), b64(payload));
    format!("{input}.{}", hmac(alg, key, &input))
}

// ----- key pairs the test holds -----

enum Signer {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A key pair made by the test: its public JWK, its private members, and signing.
pub(crate) struct OwnKey {
    kid: String,
    signer: Signer,
    /// `kty` and the public parameters.
    public: Map<String, Value>,
    /// The private parameters (`d`, and for RSA `p`, `q`, `dp`, `dq`, `qi`).
    private: Map<String, Value>,
}

fn members(pairs: &[(&str, &[u8])]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(name, bytes)| ((*name).to_owned(), Value::String(b64(bytes))))
        .collect()
}

impl OwnKey {
    /// RSA 2048, RS256.
    pub(crate) fn rsa(kid: &str) -> OwnKey {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
        let pkcs8 = pair.as_der().expect("PKCS#8");
        // PrivateKeyInfo { version, algorithm, privateKey OCTET STRING { RSAPrivateKey } }
        let (_, info, _) = read_der(pkcs8.as_ref());
        let (_, _version, rest) = read_der(info);
        let (_, _algorithm, rest) = read_der(rest);
        let (_, rsa_private_key, _) = read_der(rest);
        // RSAPrivateKey { version, n, e, d, p, q, dp, dq, qi }
        let (_, mut rest, _) = read_der(rsa_private_key);
        let mut integers = Vec::new();
        while !rest.is_empty() {
            let (_, value, tail) = read_der(rest);
            integers.push(unsigned(value).to_vec());
            rest = tail;
        }
        let [_, n, e, d, p, q, dp, dq, qi] = &integers[..] else {
            panic!("RSAPrivateKey has 9 integers");
        };
        let mut public = members(&[("n", n), ("e", e)]);
        public.insert("kty".into(), json!("RSA"));
        let private = members(&[
            ("d", d),
            ("p", p),
            ("q", q),
            ("dp", dp),
            ("dq", dq),
            ("qi", qi),
        ]);
        OwnKey {
            kid: kid.to_owned(),
            signer: Signer::Rsa(pair),
            public,
            private,
        }
    }

    /// EC P-256, ES256.
    pub(crate) fn p256(kid: &str) -> OwnKey {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("P-256 key");
        let point = pair.public_key().as_ref().to_vec();
        let d = pair.private_key().as_be_bytes().expect("P-256 scalar");
        let mut public = members(&[("x", &point[1..33]), ("y", &point[33..65])]);
        public.insert("kty".into(), json!("EC"));
        public.insert("crv".into(), json!("P-256"));
        OwnKey {
            kid: kid.to_owned(),
            public,
            private: members(&[("d", d.as_ref())]),
            signer: Signer::P256(pair),
        }
    }

    /// Ed25519, EdDSA.
    pub(crate) fn ed25519(kid: &str) -> OwnKey {
        let pair = Ed25519KeyPair::generate().expect("Ed25519 key");
        let seed = pair
            .seed()
            .expect("seed")
            .as_be_bytes()
            .expect("seed bytes");
        let mut public = members(&[("x", pair.public_key().as_ref())]);
        public.insert("kty".into(), json!("OKP"));
        public.insert("crv".into(), json!("Ed25519"));
        OwnKey {
            kid: kid.to_owned(),
            public,
            private: members(&[("d", seed.as_ref())]),
            signer: Signer::Ed25519(pair),
        }
    }

    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The JWS algorithm this key signs with.
    pub(crate) fn alg(&self) -> &'static str {
        match self.signer {
            Signer::Rsa(_) => "RS256",
            Signer::P256(_) => "ES256",
            Signer::Ed25519(_) => "EdDSA",
        }
    }

    /// The public JWK, with `kid`, `use: "sig"` and `alg`, as a provider publishes it.
    pub(crate) fn public_jwk(&self) -> Value {
        let mut jwk = self.public.clone();
        jwk.insert("kid".into(), json!(self.kid));
        jwk.insert("use".into(), json!("sig"));
        jwk.insert("alg".into(), json!(self.alg()));
        Value::Object(jwk)
    }

    /// The public JWK with the private members too: a provider leaking its signing key.
    pub(crate) fn private_jwk(&self) -> Value {
        let mut jwk = self.public_jwk();
        let object = jwk.as_object_mut().expect("an object");
        object.extend(self.private.clone());
        jwk
    }

    /// The base64url signature of `input`.
    pub(crate) fn sign(&self, input: &str) -> String {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair) => {
                let mut signature = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut signature)
                    .expect("RSA signature");
                b64(signature)
            }
            Signer::P256(pair) => b64(pair.sign(&rng, input.as_bytes()).expect("ECDSA signature")),
            Signer::Ed25519(pair) => b64(pair.sign(input.as_bytes())),
        }
    }

    /// A token with this header and payload text, signed by this key.
    pub(crate) fn token(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        format!("{input}.{}", self.sign(&input))
    }

    /// A token for `iss` and audience `"api"`, its header naming this key's `alg` and `kid`.
    pub(crate) fn token_for(&self, iss: &str) -> String {
        self.token(
            &super::header_text(self.alg(), &self.kid),
            &super::claims_text(iss),
        )
    }
}

// ----- a certificate of the attacker's own -----

/// The attacker's P-256 private key, PKCS#8 DER, base64. Made with OpenSSL 3.0:
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem
/// -out cert.pem -days 36500 -subj /CN=attacker.test`, then
/// `openssl pkcs8 -topk8 -nocrypt -in key.pem -outform DER | base64 -w0`.
const ATTACKER_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgVDfML4+YylHcCZOrTeEWRYuRUCAuVsb+93Q/sexupzChRANCAARjfxr3ULut1qytuSjQXqVpVRc0UH9+OrO4F8rNqKAPGWzZfEp1mYBqkweAUdWxoOUPFDSD86LxCa+L1O5ctOjc";

/// Its self-signed certificate (CN=attacker.test, valid for 100 years), DER, base64 as `x5c`
/// carries it: `openssl x509 -in cert.pem -outform DER | base64 -w0`.
pub(crate) const ATTACKER_CERTIFICATE: &str = "MIIBhjCCAS2gAwIBAgIUG/r2sax0037DtAx1k1U8f3PBTI0wCgYIKoZIzj0EAwIwGDEWMBQGA1UEAwwNYXR0YWNrZXIudGVzdDAgFw0yNjEyMDEwNTEwMDNaGA8yMTI2MTEwNzA1MTAwM1owGDEWMBQGA1UEAwwNYXR0YWNrZXIudGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGN/GvdQu63WrK25KNBepWlVFzRQf346s7gXys2ooA8ZbNl8SnWZgGqTB4BR1bGg5Q8UNIPzovEJr4vU7ly06NyjUzBRMB0GA1UdDgQWBBToIxbxvGsMdyFklrSQX84G08o2oDAfBgNVHSMEGDAWgBToIxbxvGsMdyFklrSQX84G08o2oDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIHKhQuEGn8Mjwu8NlZrti43CUvb9TEQj96I5CoQsYGe2AiAFwKMU7yj9NO4scZ08imNi/1n9kKMGZk8UWDvE8JRnOA==";

/// The key of [`ATTACKER_CERTIFICATE`].
pub(crate) fn attacker_certificate_key() -> EcdsaKeyPair {
    let pkcs8 = STANDARD.decode(ATTACKER_PKCS8).expect("base64");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
        .expect("the attacker's key");
    let certificate = STANDARD.decode(ATTACKER_CERTIFICATE).expect("base64");
    assert!(
        certificate
            .windows(65)
            .any(|window| window == pair.public_key().as_ref()),
        "the certificate holds the attacker's public key"
    );
    pair
}

/// The base64url ES256 signature of `input` by `pair`.
pub(crate) fn es256(pair: &EcdsaKeyPair, input: &str) -> String {
    b64(pair
        .sign(&SystemRandom::new(), input.as_bytes())
        .expect("ECDSA signature"))
}
