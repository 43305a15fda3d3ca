//! [`DpopClient`]: a client's DPoP key (RFC 9449) and the proofs it signs, good or hostile.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::keys::Material;
use super::{Alg, TestIssuerError};

/// A client holding a DPoP key: makes proofs ([`DpopClient::proof`]) and names its key by
/// thumbprint ([`DpopClient::thumbprint`]), the `cnf.jkt` of the tokens bound to it
/// ([`TokenBuilder::dpop_bound`](super::TokenBuilder::dpop_bound)).
///
/// ```
/// use jwks_guard_test::{DpopClient, TestIssuer};
///
/// let issuer = TestIssuer::start()?;
/// let client = DpopClient::new()?; // ES256
/// let token = issuer.token().audience("orders-api").dpop_bound(&client).sign();
/// let proof = client.proof("GET", "http://127.0.0.1:8080/orders").access_token(&token).sign();
/// // Send `Authorization: DPoP {token}` and `DPoP: {proof}`.
/// # assert_eq!(proof.split('.').count(), 3);
/// # Ok::<(), jwks_guard_test::TestIssuerError>(())
/// ```
#[derive(Clone)]
pub struct DpopClient {
    alg: Alg,
    key: Arc<Material>,
}

impl fmt::Debug for DpopClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopClient")
            .field("alg", &self.alg)
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

impl DpopClient {
    /// A client with a fresh P-256 key, signing ES256 proofs.
    ///
    /// # Errors
    /// If the key cannot be generated.
    pub fn new() -> Result<DpopClient, TestIssuerError> {
        DpopClient::with_alg(Alg::ES256)
    }

    /// A client with a fresh key for `alg` (RSA 2048 for RS* and PS*, the curve of ES256,
    /// ES384 or ES512, Ed25519 for EdDSA), signing proofs with `alg`.
    ///
    /// # Errors
    /// If the key cannot be generated.
    pub fn with_alg(alg: Alg) -> Result<DpopClient, TestIssuerError> {
        Ok(DpopClient {
            alg,
            key: Arc::new(Material::fresh(alg.key_type())?),
        })
    }

    /// The algorithm its proofs are signed with.
    pub fn alg(&self) -> Alg {
        self.alg
    }

    /// The public JWK its proofs carry in their `jwk` header.
    pub fn jwk(&self) -> Value {
        Value::Object(self.key.public_members().clone())
    }

    /// The RFC 7638 SHA-256 thumbprint of its key, base64url: a bound token's `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        jwk_thumbprint(self.key.public_members()).unwrap_or_default()
    }

    /// A proof for a request of `method` to `url` (its query and fragment are left out of
    /// `htu`), with a fresh random `jti` and `iat` = now.
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder {
        let mut claims = Map::new();
        claims.insert("jti".into(), Value::String(random_jti()));
        claims.insert("htm".into(), Value::String(method.to_owned()));
        let htu = url.split(['?', '#']).next().unwrap_or(url);
        claims.insert("htu".into(), Value::String(htu.to_owned()));
        claims.insert("iat".into(), Value::from(now()));
        ProofBuilder {
            client: self.clone(),
            alg: self.alg,
            signer: None,
            header: Vec::new(),
            jwk: Vec::new(),
            claims,
        }
    }
}

/// The RFC 7638 thumbprint of public JWK members: written out member by member, apart from
/// the runtime's, so that each checks the other.
fn jwk_thumbprint(members: &Map<String, Value>) -> Option<String> {
    let member = |name: &str| members.get(name).and_then(Value::as_str);
    let canonical = match member("kty")? {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            member("crv")?,
            member("x")?,
            member("y")?
        ),
        "RSA" => format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            member("e")?,
            member("n")?
        ),
        "OKP" => format!(
            r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#,
            member("crv")?,
            member("x")?
        ),
        _ => return None,
    };
    Some(URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes())))
}

/// base64url(SHA-256(`access_token`)): a proof's `ath`.
pub(crate) fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, access_token.as_bytes()))
}

/// Builds one DPoP proof of a [`DpopClient`]: made by [`DpopClient::proof`].
///
/// Defaults: header `typ: "dpop+jwt"`, `alg` of the client, `jwk` = the client's public key;
/// claims `jti` (random), `htm`, `htu`, `iat` = now, and `ath` and `nonce` when
/// [`access_token`](Self::access_token) and [`nonce`](Self::nonce) are given. Every other
/// method makes it wrong in one way, for tests of the verifier. Two `DPoP` headers are two
/// proofs.
#[derive(Clone)]
#[must_use = "a proof builder does nothing until `sign` is called"]
pub struct ProofBuilder {
    client: DpopClient,
    alg: Alg,
    /// Signs with another client's key while carrying this client's `jwk`.
    signer: Option<DpopClient>,
    /// Header members set or removed (`None`), applied last, in order.
    header: Vec<(String, Option<Value>)>,
    /// `jwk` members set or removed (`None`), applied in order.
    jwk: Vec<(String, Option<Value>)>,
    claims: Map<String, Value>,
}

impl fmt::Debug for ProofBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofBuilder")
            .field("alg", &self.alg)
            .field("header", &self.header)
            .field("jwk", &self.jwk)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl ProofBuilder {
    /// `ath` = base64url(SHA-256(`token`)): a proof sent with that access token.
    pub fn access_token(self, token: &str) -> Self {
        self.claim("ath", ath(token))
    }

    /// `nonce`, as the server's `DPoP-Nonce` gave it.
    pub fn nonce(self, nonce: impl Into<String>) -> Self {
        self.claim("nonce", nonce.into())
    }

    /// `jti`, instead of a random one (the same `jti` twice: a replay).
    pub fn jti(self, jti: impl Into<String>) -> Self {
        self.claim("jti", jti.into())
    }

    /// `iat`, in Unix seconds, instead of now.
    pub fn issued_at(self, unix_seconds: i64) -> Self {
        self.claim("iat", unix_seconds)
    }

    /// `htm`, instead of the method given.
    pub fn htm(self, method: impl Into<String>) -> Self {
        self.claim("htm", method.into())
    }

    /// `htu`, instead of the URL given (kept as is, query included).
    pub fn htu(self, url: impl Into<String>) -> Self {
        self.claim("htu", url.into())
    }

    /// Sets any claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim (`without_claim("jti")`).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// The `typ` header, instead of `dpop+jwt`.
    pub fn typ(self, typ: impl Into<String>) -> Self {
        self.header("typ", typ.into())
    }

    /// Signs with `alg` (the client's key must be able to: RS256 and PS256 with an RSA key).
    pub fn alg(mut self, alg: Alg) -> Self {
        self.alg = alg;
        self
    }

    /// Sets any header member, last, over the defaults: `alg: "none"`, `alg: "HS256"`, a `jwk`
    /// of another key, `crit` … (the signature is still made with [`alg`](Self::alg)).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.push((name.into(), Some(value.into())));
        self
    }

    /// Removes a header member, last (`without_header("jwk")`).
    pub fn without_header(mut self, name: impl Into<String>) -> Self {
        self.header.push((name.into(), None));
        self
    }

    /// Sets a member of the `jwk` header (`kty`, `x`, `d` …).
    pub fn jwk_member(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.jwk.push((name.into(), Some(value.into())));
        self
    }

    /// Puts the private key in the `jwk` header (`d`: the EC scalar or the Ed25519 seed), as
    /// a client exporting its whole key pair by mistake does.
    pub fn private_key_in_jwk(self) -> Self {
        let d = URL_SAFE_NO_PAD.encode(self.client.key.private_d());
        self.jwk_member("d", d)
    }

    /// Signs with `other`'s key while carrying this client's `jwk`: the signature does not
    /// verify with the key the proof names.
    pub fn signed_by(mut self, other: &DpopClient) -> Self {
        self.signer = Some(other.clone());
        self
    }

    /// The compact JWS.
    ///
    /// # Panics
    /// If signing fails: an [`alg`](Self::alg) the key cannot sign with.
    /// [`try_sign`](Self::try_sign) returns the error instead.
    pub fn sign(&self) -> String {
        match self.try_sign() {
            Ok(proof) => proof,
            Err(error) => panic!("{error}"),
        }
    }

    /// The compact JWS, or why it could not be signed.
    ///
    /// # Errors
    /// An [`alg`](Self::alg) the key cannot sign with.
    pub fn try_sign(&self) -> Result<String, TestIssuerError> {
        let mut jwk = self.client.key.public_members().clone();
        for (name, value) in &self.jwk {
            match value {
                Some(value) => jwk.insert(name.clone(), value.clone()),
                None => jwk.remove(name),
            };
        }
        let mut header = Map::new();
        header.insert("typ".into(), Value::String("dpop+jwt".into()));
        header.insert("alg".into(), Value::String(self.alg.name().into()));
        header.insert("jwk".into(), Value::Object(jwk));
        for (name, value) in &self.header {
            match value {
                Some(value) => header.insert(name.clone(), value.clone()),
                None => header.remove(name),
            };
        }
        let encode = |members: &Map<String, Value>| {
            URL_SAFE_NO_PAD.encode(Value::Object(members.clone()).to_string())
        };
        let message = format!("{}.{}", encode(&header), encode(&self.claims));
        let signer = self.signer.as_ref().unwrap_or(&self.client);
        let signature = signer.key.sign(self.alg, message.as_bytes())?;
        Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// 16 random bytes, base64url.
fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    // A failing system generator leaves zeros: proofs then share a jti, which tests notice.
    let _ = SystemRandom::new().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_of_the_rfc_7638_example_key_is_the_rfcs() {
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        let members = jwk.as_object().cloned().unwrap_or_default();
        assert_eq!(
            jwk_thumbprint(&members).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn ath_is_the_example_of_rfc_9449_section_4_2() {
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
