//! The test issuer's keys: generation, a process-wide pool of RSA keys, and the JWKS document.
//!
//! RSA generation is the slow part (a 2048-bit key takes a noticeable fraction of a second in
//! an unoptimised build, sometimes more), so RSA key material is leased from a process-wide
//! pool: a key goes back to the pool when the issuer that held it is gone, and the next issuer
//! takes it under a new `kid`. An issuer never gets the same material twice (rotation always
//! brings keys it has never seen), and two live issuers share material only when they
//! impersonate the same issuer string: those start with the same keys, kept for the process
//! (see [`KeyRing::for_issuer`]). Other EC and Ed25519 keys are cheap and always fresh.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
    RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RSA_PSS_SHA256, RSA_PSS_SHA384, RSA_PSS_SHA512,
    RsaEncoding, RsaKeyPair,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::{Alg, TestIssuerError};

/// The kinds of key an issuer holds, one current key of each: the runtime's key types.
pub(crate) use jwks_guard::KeyType as KeyKind;

/// The kinds an issuer holds by default, in the order the JWKS lists them.
pub(crate) const KINDS: &[KeyKind] =
    &[KeyKind::Rsa, KeyKind::P256, KeyKind::P384, KeyKind::Ed25519];

/// The kinds an issuer started with
/// [`p521_key(true)`](super::TestIssuerBuilder::p521_key) holds, in the order the JWKS lists
/// them (the order of [`Alg::ALL`]).
pub(crate) const KINDS_WITH_P521: &[KeyKind] = &[
    KeyKind::Rsa,
    KeyKind::P256,
    KeyKind::P384,
    KeyKind::P521,
    KeyKind::Ed25519,
];

/// The `alg` the JWKS publishes for a kind of key: the first it verifies (RS256, ES256, ES384,
/// ES512, EdDSA).
pub(crate) fn published_alg(kind: KeyKind) -> Alg {
    kind.algorithms().next().unwrap_or(Alg::RS256)
}

/// The prefix of the kids given to a kind of key.
fn label(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Rsa => "rsa",
        KeyKind::P256 => "p256",
        KeyKind::P384 => "p384",
        KeyKind::P521 => "p521",
        KeyKind::Ed25519 => "ed25519",
        _ => "key",
    }
}

/// An aws-lc-rs private key.
enum Pair {
    Rsa(RsaKeyPair),
    /// P-256, P-384 or P-521, signing fixed-length `r || s` (the JWS form).
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// A private key and its public JWK parameters (`kty`, `n`/`e`, `crv`/`x`/`y`; no `kid`).
pub(crate) struct Material {
    /// Unique within the process: how an issuer remembers which material it has used.
    id: u64,
    kind: KeyKind,
    pair: Pair,
    /// The public parameters, as JSON members.
    public: Map<String, Value>,
}

impl Material {
    /// The JWS signature of `message` with `alg` (RFC 7518 §3: PKCS#1 v1.5 or PSS for RSA,
    /// fixed-length `r || s` for ECDSA; RFC 8037 for EdDSA).
    pub(crate) fn sign(&self, alg: Alg, message: &[u8]) -> Result<Vec<u8>, TestIssuerError> {
        let mismatch = || {
            let (kind, alg) = (label(self.kind), alg.name());
            TestIssuerError::Sign(format!("a {kind} key cannot sign {alg}"))
        };
        let failed = |_| TestIssuerError::Sign(format!("{} signing failed", alg.name()));
        match &self.pair {
            Pair::Rsa(pair) => {
                let padding = rsa_padding(alg).ok_or_else(mismatch)?;
                let mut signature = vec![0; pair.public_modulus_len()];
                // aws-lc-rs ignores the `rng` argument (it is there for *ring* compatibility).
                pair.sign(padding, &SystemRandom::new(), message, &mut signature)
                    .map_err(failed)?;
                Ok(signature)
            }
            Pair::Ecdsa(pair) if alg.key_type() == self.kind => pair
                .sign(&SystemRandom::new(), message)
                .map(|signature| signature.as_ref().to_vec())
                .map_err(failed),
            Pair::Ed25519(pair) if alg == Alg::EdDSA => Ok(pair.sign(message).as_ref().to_vec()),
            Pair::Ecdsa(_) | Pair::Ed25519(_) => Err(mismatch()),
        }
    }
}

impl Material {
    /// Fresh material of `kind`, never pooled (a DPoP client's key).
    pub(crate) fn fresh(kind: KeyKind) -> Result<Material, TestIssuerError> {
        generate(kind)
    }

    /// The public JWK members (`kty`, `n`/`e`, `crv`/`x`/`y`).
    pub(crate) fn public_members(&self) -> &Map<String, Value> {
        &self.public
    }

    /// The private key's secret value as a JWK's `d` holds it: the EC scalar or the Ed25519
    /// seed; for RSA, whose private exponent aws-lc-rs does not expose, bytes standing in for
    /// it (a verifier must refuse the member, whatever its value).
    pub(crate) fn private_d(&self) -> Vec<u8> {
        use aws_lc_rs::encoding::AsBigEndian as _;
        match &self.pair {
            Pair::Ecdsa(pair) => pair
                .private_key()
                .as_be_bytes()
                .map(|bytes| bytes.as_ref().to_vec())
                .unwrap_or_default(),
            Pair::Ed25519(pair) => pair
                .seed()
                .and_then(|seed| seed.as_be_bytes())
                .map(|bytes| bytes.as_ref().to_vec())
                .unwrap_or_default(),
            Pair::Rsa(pair) => vec![0x5a; pair.public_modulus_len()],
        }
    }
}

/// The RSA signature scheme of `alg`: PKCS#1 v1.5 for RS*, PSS with a salt as long as the hash
/// for PS* (RFC 7518 §3.5); `None` for the other algorithms.
fn rsa_padding(alg: Alg) -> Option<&'static dyn RsaEncoding> {
    Some(match alg {
        Alg::RS256 => &RSA_PKCS1_SHA256,
        Alg::RS384 => &RSA_PKCS1_SHA384,
        Alg::RS512 => &RSA_PKCS1_SHA512,
        Alg::PS256 => &RSA_PSS_SHA256,
        Alg::PS384 => &RSA_PSS_SHA384,
        Alg::PS512 => &RSA_PSS_SHA512,
        _ => return None,
    })
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Generates fresh key material of the given kind.
fn generate(kind: KeyKind) -> Result<Material, TestIssuerError> {
    let failed = |_| TestIssuerError::Key(label(kind));
    let b64 = |bytes: &[u8]| Value::String(URL_SAFE_NO_PAD.encode(bytes));
    let mut public = Map::new();
    let pair = match kind {
        KeyKind::Rsa => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(failed)?;
            let key = pair.public_key();
            public.insert("kty".into(), "RSA".into());
            public.insert(
                "n".into(),
                b64(key.modulus().big_endian_without_leading_zero()),
            );
            public.insert(
                "e".into(),
                b64(key.exponent().big_endian_without_leading_zero()),
            );
            Pair::Rsa(pair)
        }
        KeyKind::P256 | KeyKind::P384 | KeyKind::P521 => {
            let (alg, crv, size) = match kind {
                KeyKind::P256 => (&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", 32),
                KeyKind::P384 => (&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", 48),
                _ => (&ECDSA_P521_SHA512_FIXED_SIGNING, "P-521", 66),
            };
            let pair = EcdsaKeyPair::generate(alg).map_err(failed)?;
            // The uncompressed point: 0x04 || x || y, each coordinate `size` bytes.
            let point = pair.public_key().as_ref();
            let Some((0x04, coordinates)) = point.split_first() else {
                return Err(TestIssuerError::Key(label(kind)));
            };
            if coordinates.len() != 2 * size {
                return Err(TestIssuerError::Key(label(kind)));
            }
            let (x, y) = coordinates.split_at(size);
            public.insert("kty".into(), "EC".into());
            public.insert("crv".into(), crv.into());
            public.insert("x".into(), b64(x));
            public.insert("y".into(), b64(y));
            Pair::Ecdsa(pair)
        }
        KeyKind::Ed25519 => {
            let pair = Ed25519KeyPair::generate().map_err(failed)?;
            public.insert("kty".into(), "OKP".into());
            public.insert("crv".into(), "Ed25519".into());
            public.insert("x".into(), b64(pair.public_key().as_ref()));
            Pair::Ed25519(pair)
        }
        _ => return Err(TestIssuerError::Key(label(kind))),
    };
    Ok(Material {
        id: next_id(),
        kind,
        pair,
        public,
    })
}

/// RSA material not held by any live issuer.
static RSA_POOL: Mutex<Vec<Arc<Material>>> = Mutex::new(Vec::new());

/// Takes RSA material whose id is not in `seen` from the pool, or generates new material.
fn lease_rsa(seen: &HashSet<u64>) -> Result<Arc<Material>, TestIssuerError> {
    {
        let mut pool = RSA_POOL.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = pool.iter().position(|m| !seen.contains(&m.id)) {
            return Ok(pool.swap_remove(at));
        }
    }
    // Generated outside the lock: concurrent tests generate in parallel.
    Ok(Arc::new(generate(KeyKind::Rsa)?))
}

/// Gives RSA material back to the pool.
fn release_rsa(material: Arc<Material>) {
    RSA_POOL
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(material);
}

static NEXT_KID: AtomicU64 = AtomicU64::new(1);

/// A key with its `kid`.
#[derive(Clone)]
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pub(crate) material: Arc<Material>,
}

impl SigningKey {
    /// The public JWK, with `kid`, `use: "sig"` and, if asked, `alg`.
    fn public_jwk(&self, with_alg: bool) -> Value {
        let mut jwk = self.material.public.clone();
        jwk.insert("kid".into(), Value::String(self.kid.clone()));
        jwk.insert("use".into(), Value::String("sig".into()));
        if with_alg {
            let alg = published_alg(self.material.kind).name();
            jwk.insert("alg".into(), Value::String(alg.into()));
        }
        Value::Object(jwk)
    }
}

/// One issuer's keys: the current ones, older ones still published, and foreign ones.
pub(crate) struct KeyRing {
    /// The kinds it holds: [`KINDS`] or [`KINDS_WITH_P521`].
    kinds: &'static [KeyKind],
    /// One per kind of `kinds`, in its order.
    current: Vec<SigningKey>,
    /// Keys replaced by [`KeyRing::rotate`] with `keep_old`, still in the JWKS.
    old: Vec<SigningKey>,
    /// Keys never published, for bad-signature tests; made on first use.
    foreign: Vec<SigningKey>,
    /// Every material id this ring has held.
    seen: HashSet<u64>,
    /// RSA material to give back to the pool when the ring is dropped.
    leased: Vec<Arc<Material>>,
}

impl KeyRing {
    /// A ring with one fresh key of each of `kinds`.
    pub(crate) fn new(kinds: &'static [KeyKind]) -> Result<KeyRing, TestIssuerError> {
        let mut ring = KeyRing::empty(kinds);
        ring.current = ring.fresh_set()?;
        Ok(ring)
    }

    fn empty(kinds: &'static [KeyKind]) -> KeyRing {
        KeyRing {
            kinds,
            current: Vec::new(),
            old: Vec::new(),
            foreign: Vec::new(),
            seen: HashSet::new(),
            leased: Vec::new(),
        }
    }

    /// A ring of `kinds` that starts with the keys every ring for `issuer` started with in
    /// this process (each kind's made by the first ring that held it), so that issuers started
    /// one after another, or side by side, for the same issuer string serve the same keys at
    /// first: a key set the guard fetched from one verifies the tokens of the next. Rotations
    /// are each ring's own.
    pub(crate) fn for_issuer(
        issuer: &str,
        kinds: &'static [KeyKind],
    ) -> Result<KeyRing, TestIssuerError> {
        static INITIAL: LazyLock<Mutex<HashMap<String, Vec<SigningKey>>>> =
            LazyLock::new(Default::default);
        let known = INITIAL
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(issuer)
            .cloned()
            .unwrap_or_default();
        let mut ring = KeyRing::empty(kinds);
        // The kinds no earlier ring for `issuer` held, generated outside the lock.
        let fresh = kinds
            .iter()
            .filter(|&&kind| !known.iter().any(|key| key.material.kind == kind))
            .map(|&kind| ring.fresh(kind))
            .collect::<Result<Vec<_>, _>>()?;
        // Kept for the process: never given back to the RSA pool, so no other issuer signs
        // with them.
        ring.leased.clear();
        let initial = {
            let mut all = INITIAL.lock().unwrap_or_else(PoisonError::into_inner);
            let initial = all.entry(issuer.to_owned()).or_default();
            for key in fresh {
                // A ring started meanwhile may have made this kind first: its key stays.
                if !initial.iter().any(|k| k.material.kind == key.material.kind) {
                    initial.push(key);
                }
            }
            initial.clone()
        };
        ring.current = kinds
            .iter()
            .filter_map(|&kind| initial.iter().find(|key| key.material.kind == kind))
            .cloned()
            .collect();
        ring.seen
            .extend(ring.current.iter().map(|key| key.material.id));
        Ok(ring)
    }

    /// A new key of `kind`, never held by this ring before, under a new kid.
    fn fresh(&mut self, kind: KeyKind) -> Result<SigningKey, TestIssuerError> {
        let material = if kind == KeyKind::Rsa {
            let material = lease_rsa(&self.seen)?;
            self.leased.push(Arc::clone(&material));
            material
        } else {
            Arc::new(generate(kind)?)
        };
        self.seen.insert(material.id);
        let kid = format!(
            "{}-{}",
            label(kind),
            NEXT_KID.fetch_add(1, Ordering::Relaxed)
        );
        Ok(SigningKey { kid, material })
    }

    fn fresh_set(&mut self) -> Result<Vec<SigningKey>, TestIssuerError> {
        let kinds = self.kinds;
        kinds.iter().map(|&kind| self.fresh(kind)).collect()
    }

    /// Replaces the current keys with new ones; the old ones stay published if `keep_old`.
    pub(crate) fn rotate(&mut self, keep_old: bool) -> Result<(), TestIssuerError> {
        let fresh = self.fresh_set()?;
        let previous = std::mem::replace(&mut self.current, fresh);
        if keep_old {
            self.old.extend(previous);
        }
        Ok(())
    }

    /// Stops publishing the keys kept by earlier rotations.
    pub(crate) fn remove_old(&mut self) {
        self.old.clear();
    }

    /// The current key of `kind`; `None` for a kind the ring does not hold (P-521 unless
    /// asked for).
    pub(crate) fn current(&self, kind: KeyKind) -> Option<&SigningKey> {
        self.current.iter().find(|key| key.material.kind == kind)
    }

    /// A key of `kind` that is not, and never will be, in this issuer's JWKS.
    pub(crate) fn foreign(&mut self, kind: KeyKind) -> Result<SigningKey, TestIssuerError> {
        if let Some(key) = self.foreign.iter().find(|key| key.material.kind == kind) {
            return Ok(key.clone());
        }
        let key = self.fresh(kind)?;
        self.foreign.push(key.clone());
        Ok(key)
    }

    /// The kids in the JWKS, in its order.
    pub(crate) fn kids(&self) -> Vec<String> {
        self.published().map(|key| key.kid.clone()).collect()
    }

    fn published(&self) -> impl Iterator<Item = &SigningKey> {
        self.current.iter().chain(&self.old)
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self, with_alg: bool) -> String {
        let keys: Vec<Value> = self.published().map(|k| k.public_jwk(with_alg)).collect();
        serde_json::json!({ "keys": keys }).to_string()
    }
}

impl Drop for KeyRing {
    fn drop(&mut self) {
        for material in self.leased.drain(..) {
            release_rsa(material);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rotation_never_brings_back_material_the_ring_has_held() {
        let mut ring = KeyRing::new(KINDS_WITH_P521).unwrap();
        let mut ids = HashSet::new();
        for _ in 0..3 {
            for &kind in KINDS_WITH_P521 {
                assert!(ids.insert(ring.current(kind).unwrap().material.id));
            }
            ring.rotate(false).unwrap();
        }
        let foreign = ring.foreign(KeyKind::Rsa).unwrap();
        assert!(ids.insert(foreign.material.id));
    }

    #[test]
    fn rings_for_one_issuer_share_their_first_keys_kind_by_kind() {
        let issuer = "https://key-ring.test/p521";
        let id = |ring: &KeyRing, kind| ring.current(kind).map(|key| key.material.id);
        let plain = KeyRing::for_issuer(issuer, KINDS).unwrap();
        let with_p521 = KeyRing::for_issuer(issuer, KINDS_WITH_P521).unwrap();
        let again = KeyRing::for_issuer(issuer, KINDS_WITH_P521).unwrap();
        for &kind in KINDS {
            assert_eq!(id(&plain, kind), id(&with_p521, kind), "{kind:?}");
        }
        assert_eq!(id(&plain, KeyKind::P521), None);
        assert!(id(&with_p521, KeyKind::P521).is_some());
        assert_eq!(id(&with_p521, KeyKind::P521), id(&again, KeyKind::P521));
        assert_eq!(plain.kids().len(), 4);
        let labels: Vec<String> = with_p521
            .kids()
            .iter()
            .map(|kid| kid.split('-').next().unwrap().to_owned())
            .collect();
        assert_eq!(labels, ["rsa", "p256", "p384", "p521", "ed25519"]);
    }

    #[test]
    fn live_rings_never_share_rsa_material() {
        let a = KeyRing::new(KINDS).unwrap();
        let b = KeyRing::new(KINDS).unwrap();
        let rsa = |ring: &KeyRing| ring.current(KeyKind::Rsa).unwrap().material.id;
        assert_ne!(rsa(&a), rsa(&b));
    }
}
