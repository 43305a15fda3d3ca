//! Signature algorithms: [`Alg`], the [`KeyType`] each verifies with, and [`AlgSet`], a set of
//! them as a bit mask.

/// A signature algorithm that may appear in the `algorithms = [...]` allow-list.
///
/// More may be added in a minor release (`#[non_exhaustive]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
    EdDSA,
}

impl Alg {
    /// Every supported algorithm, which is also the default allow-list.
    pub const ALL: &'static [Alg] = &[
        Alg::RS256,
        Alg::RS384,
        Alg::RS512,
        Alg::PS256,
        Alg::PS384,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ];

    /// The JOSE name (`"RS256"`, `"EdDSA"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::EdDSA => "EdDSA",
        }
    }

    /// Parses a JOSE name exactly (case-sensitive, as RFC 7518 spells them).
    pub fn from_name(name: &str) -> Option<Alg> {
        Alg::ALL.iter().copied().find(|alg| alg.name() == name)
    }

    /// The type of key that verifies it.
    pub const fn key_type(self) -> KeyType {
        match self {
            Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512 => {
                KeyType::Rsa
            }
            Alg::ES256 => KeyType::P256,
            Alg::ES384 => KeyType::P384,
            Alg::ES512 => KeyType::P521,
            Alg::EdDSA => KeyType::Ed25519,
        }
    }
}

/// The type of public key an [`Alg`] verifies with: a JWK's `kty` and, for elliptic curves,
/// its `crv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// `kty: "RSA"`: RS256 … RS512, PS256 … PS512.
    Rsa,
    /// `kty: "EC"`, `crv: "P-256"`: ES256.
    P256,
    /// `kty: "EC"`, `crv: "P-384"`: ES384.
    P384,
    /// `kty: "EC"`, `crv: "P-521"`: ES512.
    P521,
    /// `kty: "OKP"`, `crv: "Ed25519"`: EdDSA.
    Ed25519,
}

impl KeyType {
    /// The algorithms a key of this type verifies, in [`Alg::ALL`] order.
    pub fn algorithms(self) -> impl Iterator<Item = Alg> {
        Alg::ALL
            .iter()
            .copied()
            .filter(move |alg| alg.key_type() == self)
    }
}

/// A set of algorithms (a handler's allow-list, what a key may verify), as a bit mask over
/// [`Alg::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    pub(crate) fn of(algs: &[Alg]) -> Self {
        AlgSet(algs.iter().fold(0, |bits, alg| bits | Self::bit(*alg)))
    }

    pub(crate) fn contains(self, alg: Alg) -> bool {
        self.0 & Self::bit(alg) != 0
    }

    /// Whether the two sets share an algorithm.
    pub(crate) fn intersects(self, other: AlgSet) -> bool {
        self.0 & other.0 != 0
    }

    fn bit(alg: Alg) -> u16 {
        // Bit 15 is no algorithm's: every algorithm has a bit of its own below it.
        const _: () = assert!(
            Alg::ALL.len() <= 15,
            "AlgSet's u16 holds at most 15 algorithms"
        );
        1 << Alg::ALL.iter().position(|a| *a == alg).unwrap_or(15)
    }
}
