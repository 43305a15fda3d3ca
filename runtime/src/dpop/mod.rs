//! DPoP (RFC 9449): the checks of a proof of possession sent beside an access token.
//!
//! The verification core, framework-neutral: [`check_proof`] runs every check of RFC 9449
//! §4.3 on one `DPoP` header, [`request_uri`] rebuilds the URI the proof's `htu` must name,
//! [`check_replay`] refuses a proof's second use (in memory, or in Redis for every replica:
//! `RedisReplayStore`, feature `redis`), [`NonceSource`] issues and checks server nonces.
//! Every protected handler, `Authenticated` extractor and layer runs them on a request under
//! the `DPoP` scheme (see the README's "DPoP"); they are public for other frameworks and for
//! tests.
//!
//! ```
//! use jwks_guard::dpop::{ProofError, ProofRequest, ProofSettings, check_proof};
//!
//! let request = ProofRequest { method: "GET", uri: "https://api.example.com/orders" };
//! let outcome = check_proof([&b"not.a.proof"[..]], &request, "access-token", None,
//!     &ProofSettings::new(), 1_700_000_000);
//! assert!(matches!(outcome, Err(ProofError::Malformed(_))));
//! ```
//!
//! # The checks, in order
//!
//! Each refusal is a [`ProofError`] naming the rule; its `Display` is the
//! `error_description` of the answer.
//!
//! 1. exactly one `DPoP` header ([`ProofError::Missing`], [`ProofError::Multiple`]);
//! 2. at most [`MAX_TOKEN_LEN`] bytes
//!    ([`ProofError::TooLong`]), one compact JWS: three base64url parts, the header a JSON
//!    object without duplicate members, no `crit` or `b64` ([`ProofError::Malformed`]);
//! 3. `typ` is `dpop+jwt` ([`ProofError::Typ`]);
//! 4. `alg` names an asymmetric algorithm of the allow-list, never `none` or HMAC
//!    ([`ProofError::Algorithm`]);
//! 5. `jwk` is a public key: present ([`ProofError::NoJwk`]), without private members
//!    ([`ProofError::PrivateKey`]), usable with `alg` under the key hygiene of the JWKS path
//!    (RSA 2048 bits up to [`Settings::max_rsa_modulus_bits`](crate::Settings::max_rsa_modulus_bits),
//!    points on their curve, no small-order Ed25519 key, no symmetric key)
//!    ([`ProofError::BadKey`]);
//! 6. the signature verifies with that key ([`ProofError::BadSignature`]);
//! 7. the payload is a JSON object without duplicate members ([`ProofError::Malformed`]), and
//!    `jti` is a non-empty string ([`ProofError::Claim`]);
//! 8. `htm` is the request's method ([`ProofError::Htm`]);
//! 9. `htu` is the request's URI without query and fragment, both normalised
//!    ([`normalize_uri`]) ([`ProofError::Htu`]);
//! 10. `iat` lies within the proof window before now, with the leeway on both sides
//!     ([`ProofError::Iat`]);
//! 11. with server nonces, `nonce` is a current one ([`ProofError::UseNonce`]);
//! 12. `ath` is base64url(SHA-256(the access token)) ([`ProofError::Ath`]);
//! 13. for a token bound to a key, its `cnf.jkt` is the RFC 7638 thumbprint of `jwk`
//!     ([`ProofError::Jkt`]);
//! 14. then, [`check_replay`]: the `jti` (with `htm` and `htu`) was not accepted before within
//!     the window ([`ProofError::Replayed`]; a store that cannot answer,
//!     [`ProofError::ReplayStore`]).
//!
//! Claims of the wrong JSON type are refused at their step as missing ([`ProofError::Claim`]).
//!
//! # What is remembered between proofs
//!
//! A client sends the same header (`typ`, `alg`, `jwk`) and, until it refreshes it, the same
//! access token with every proof. The outcome of steps 3 to 5 (the key parsed for `alg`, its
//! thumbprint) is remembered for up to 4,096 headers of a proof that verified, found by the
//! header's exact text, so a proof only ever finds the key it carries (the algorithm
//! allow-list is checked again each time); `ath`'s hash is remembered for up to 1,024 access
//! tokens, found by the whole token. Every proof's signature and claims are checked every time.

mod htu;
#[cfg(feature = "redis")]
mod redis_store;

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::{DecodeSliceError, Engine as _};
use serde_json::{Map, Value};

use crate::alg::{Alg, AlgSet};
use crate::bearer::{self, MAX_TOKEN_LEN};
use crate::keys::{KeyLimits, PRIVATE_MEMBERS, PreparedKey, prepare_for, thumbprint};
use crate::settings::{DPOP_ALGORITHMS, MAX_RSA_BITS, Settings};
use crate::strict_json::{self, Member, StrictJsonError};
use crate::token::normalize_typ;

pub use crate::dpop_state::{
    InMemoryReplayStore, NonceSource, ReplayFuture, ReplayStore, ReplayStoreError,
};
pub use htu::{RequestParts, RequestUriError, normalize_uri, request_uri};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis_store::{RedisReplayStore, RedisReplayStoreError};

/// The request a proof must have been made for.
#[derive(Debug, Clone, Copy)]
pub struct ProofRequest<'a> {
    /// The HTTP method, as sent (`GET`; methods are case-sensitive).
    pub method: &'a str,
    /// The URI the request was sent to: what [`request_uri`] returns.
    pub uri: &'a str,
}

/// How proofs are checked: the algorithms, the window, the leeway and the nonces. Built from
/// the process-wide [`Settings`] and a handler's leeway with
/// [`from_settings`](Self::from_settings), or by hand.
#[derive(Debug, Clone)]
pub struct ProofSettings {
    algorithms: AlgSet,
    window: Duration,
    leeway: Duration,
    nonce: Option<NonceSource>,
    max_rsa_bits: usize,
}

impl Default for ProofSettings {
    fn default() -> Self {
        ProofSettings {
            algorithms: AlgSet::of(&DPOP_ALGORITHMS),
            window: Duration::from_secs(60),
            leeway: Duration::from_secs(60),
            nonce: None,
            max_rsa_bits: MAX_RSA_BITS,
        }
    }
}

impl ProofSettings {
    /// The defaults: algorithms ES256, ES384, PS256, RS256 and EdDSA, a window of 60 s, a
    /// leeway of 60 s, no nonces, RSA keys up to 8192 bits.
    pub fn new() -> Self {
        ProofSettings::default()
    }

    /// What `settings` configure ([`Settings::dpop_algorithms`],
    /// [`Settings::dpop_proof_window`], [`Settings::dpop_nonce`],
    /// [`Settings::max_rsa_modulus_bits`]), with a handler's `leeway`.
    pub fn from_settings(settings: &Settings, leeway: Duration) -> Self {
        ProofSettings {
            algorithms: settings.dpop_algorithms,
            window: settings.dpop_proof_window,
            leeway,
            nonce: settings.dpop_nonce.clone(),
            max_rsa_bits: settings.max_rsa_modulus_bits,
        }
    }

    /// The algorithms a proof may be signed with; an empty list keeps the current one.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Alg>) -> Self {
        let algorithms: Vec<Alg> = algorithms.into_iter().collect();
        if !algorithms.is_empty() {
            self.algorithms = AlgSet::of(&algorithms);
        }
        self
    }

    /// How old a proof's `iat` may be.
    pub fn window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// The clock skew allowed on both sides of the window.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Requires a nonce `nonces` accepts in every proof.
    pub fn nonce(mut self, nonces: NonceSource) -> Self {
        self.nonce = Some(nonces);
        self
    }

    /// The algorithms allowed, by name, space-separated, elliptic curves first (for the
    /// challenge's `algs`: `ES256 ES384 PS256 RS256 EdDSA` by default).
    pub fn algorithm_names(&self) -> String {
        // Elliptic curves first: the smallest, fastest proofs.
        const PREFERENCE: [Alg; 10] = [
            Alg::ES256,
            Alg::ES384,
            Alg::ES512,
            Alg::PS256,
            Alg::PS384,
            Alg::PS512,
            Alg::RS256,
            Alg::RS384,
            Alg::RS512,
            Alg::EdDSA,
        ];
        PREFERENCE
            .iter()
            .filter(|alg| self.algorithms.contains(**alg))
            .map(|alg| alg.name())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A proof that passed [`check_proof`]: what the request may rely on, and what
/// [`check_replay`] remembers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProof {
    /// The RFC 7638 SHA-256 thumbprint of the proof's key, base64url: the `cnf.jkt` a token
    /// bound to it carries.
    pub jkt: String,
    /// The proof's `jti`.
    pub jti: String,
    /// The proof's `iat`, in Unix seconds.
    pub iat: i64,
    /// The method and normalised URI the proof was made for.
    pub htm: String,
    /// The normalised `htu`.
    pub htu: String,
    /// How long the proof could still be accepted: how long its `jti` must be remembered.
    pub replay_ttl: Duration,
}

impl CheckedProof {
    /// The key a [`ReplayStore`] remembers: SHA-256 of the `jti`, `htm` and `htu`, each
    /// length-prefixed.
    pub fn replay_key(&self) -> [u8; 32] {
        let mut context = digest::Context::new(&digest::SHA256);
        for part in [&self.jti, &self.htm, &self.htu] {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part.as_bytes());
        }
        let mut key = [0; 32];
        key.copy_from_slice(context.finish().as_ref());
        key
    }
}

/// Why a proof is refused. `Display` is the `error_description` of the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// No `DPoP` header.
    #[error("the request has no DPoP header; send one holding a proof made for this request")]
    Missing,
    /// More than one `DPoP` header.
    #[error("the request has more than one DPoP header; send exactly one")]
    Multiple,
    /// Longer than [`MAX_TOKEN_LEN`].
    #[error("the DPoP proof is longer than 16384 bytes")]
    TooLong,
    /// Not a compact JWS with JSON header and payload (the reason given).
    #[error("the DPoP proof is malformed: {0}")]
    Malformed(&'static str),
    /// `typ` is not `dpop+jwt`.
    #[error("the DPoP proof's typ must be dpop+jwt")]
    Typ,
    /// `alg` is missing, `none`, symmetric or not allowed (the allowed names given).
    #[error("the DPoP proof's alg is not allowed; use one of: {0}")]
    Algorithm(String),
    /// No `jwk` header.
    #[error("the DPoP proof has no jwk header holding its public key")]
    NoJwk,
    /// `jwk` carries private key material.
    #[error("the DPoP proof's jwk holds private key material; send the public key only")]
    PrivateKey,
    /// `jwk` is not a usable public key for `alg` (the reason given).
    #[error("the DPoP proof's jwk is not a usable public key: {0}")]
    BadKey(&'static str),
    /// The signature does not verify with `jwk`.
    #[error("the DPoP proof's signature does not verify with its jwk")]
    BadSignature,
    /// A required claim is missing or of the wrong type (its name given).
    #[error("the DPoP proof's `{0}` claim is missing or not of its type")]
    Claim(&'static str),
    /// `htm` is not the request's method.
    #[error("the DPoP proof's htm is not this request's method")]
    Htm,
    /// `htu` is not the request's URI.
    #[error("the DPoP proof's htu is not this request's URI (without query and fragment)")]
    Htu,
    /// `iat` is outside the window.
    #[error(
        "the DPoP proof's iat is outside the accepted window; make a fresh proof for each request"
    )]
    Iat,
    /// Server nonces are on and the proof lacks a current one.
    #[error(
        "the DPoP proof must carry the server's current nonce; use the DPoP-Nonce header of this response"
    )]
    UseNonce,
    /// `ath` is not the hash of the access token.
    #[error("the DPoP proof's ath is not the hash of this access token")]
    Ath,
    /// The token's `cnf.jkt` is not the thumbprint of the proof's key.
    #[error("the access token is bound to another key than the DPoP proof's (cnf.jkt)")]
    Jkt,
    /// The proof was accepted before.
    #[error("the DPoP proof was already used; make a fresh proof (a new jti) for each request")]
    Replayed,
    /// The replay store could not answer: the request is refused, never accepted unchecked.
    #[error("{0}; try again later")]
    ReplayStore(ReplayStoreError),
}

impl ProofError {
    /// The `error` of the answer: `use_dpop_nonce` for [`ProofError::UseNonce`],
    /// `temporarily_unavailable` for [`ProofError::ReplayStore`], else `invalid_dpop_proof`.
    pub fn error_code(&self) -> &'static str {
        match self {
            ProofError::UseNonce => "use_dpop_nonce",
            ProofError::ReplayStore(_) => "temporarily_unavailable",
            _ => "invalid_dpop_proof",
        }
    }
}

/// Checks one request's `DPoP` header values (every value the request carries) against the
/// request, its access token and, for a token bound to a key, the token's `cnf.jkt`, at `now`
/// (Unix seconds), in the order of the [module documentation](self). The replay check is
/// [`check_replay`], after this.
///
/// `token_jkt` is `None` for a token without `cnf.jkt`: whether such a token may come with a
/// proof is the caller's decision; the proof is checked all the same.
///
/// # Errors
/// The first rule the proof breaks.
pub fn check_proof<'a, I>(
    proof_header_values: I,
    request: &ProofRequest<'_>,
    access_token: &str,
    token_jkt: Option<&str>,
    settings: &ProofSettings,
    now: i64,
) -> Result<CheckedProof, ProofError>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    // 1. Exactly one header.
    let mut values = proof_header_values.into_iter();
    let proof = values.next().ok_or(ProofError::Missing)?;
    if values.next().is_some() {
        return Err(ProofError::Multiple);
    }
    // 2. One compact JWS of bounded size.
    if proof.len() > MAX_TOKEN_LEN {
        return Err(ProofError::TooLong);
    }
    // Every byte is looked at, without branching, so the loop runs on vectors.
    if !proof.iter().fold(true, |all, &b| {
        all & (bearer::base64url_char(b) | (b == b'.'))
    }) {
        return Err(ProofError::Malformed("not a compact JWS"));
    }
    let proof =
        std::str::from_utf8(proof).map_err(|_| ProofError::Malformed("not a compact JWS"))?;
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed(if proof.split('.').count() == 5 {
            "encrypted (JWE) proofs are not accepted"
        } else {
            "not a compact JWS: expected three dot-separated parts"
        }));
    };
    // 3.–5. The header: checked now, or found among the headers checked before.
    let (header, remembered) = checked_header(header_b64, settings)?;
    // 6. The signature.
    let mut signature_buffer = [0; 1024];
    let signature = decoded(signature_b64, &mut signature_buffer)
        .ok_or(ProofError::Malformed("the signature is not base64url"))?;
    let signing_input = &proof[..header_b64.len() + 1 + payload_b64.len()];
    if !header
        .key
        .verifies(header.alg, signing_input.as_bytes(), &signature)
    {
        return Err(ProofError::BadSignature);
    }
    if !remembered {
        remember_header(header_b64, &header);
    }
    // 7. The payload; jti.
    let mut payload_buffer = [0; 1024];
    let payload = decoded(payload_b64, &mut payload_buffer)
        .ok_or(ProofError::Malformed(PAYLOAD_PART.not_an_object))?;
    let [jti, htm, htu, iat, nonce, ath] =
        strict_json::members(&payload, ["jti", "htm", "htu", "iat", "nonce", "ath"])
            .map_err(|error| PAYLOAD_PART.refusal(error))?;
    let jti = text_claim(&jti, "jti")?;
    if jti.is_empty() {
        return Err(ProofError::Claim("jti"));
    }
    // 8. htm.
    if text_claim(&htm, "htm")? != request.method {
        return Err(ProofError::Htm);
    }
    // 9. htu.
    let htu_claim = text_claim(&htu, "htu")?;
    let htu = normalize_uri(htu_claim).ok_or(ProofError::Htu)?;
    // The same text normalises the same: only a different spelling needs the request's.
    if htu_claim != request.uri && Some(&htu) != normalize_uri(request.uri).as_ref() {
        return Err(ProofError::Htu);
    }
    // 10. iat.
    let iat = match iat {
        Some(Member::Number(number)) => number
            .as_i64()
            .or_else(|| {
                number
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .ok_or(ProofError::Claim("iat"))?,
        _ => return Err(ProofError::Claim("iat")),
    };
    let seconds = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let (window, leeway) = (seconds(settings.window), seconds(settings.leeway));
    let oldest = now.saturating_sub(window).saturating_sub(leeway);
    if iat < oldest || iat > now.saturating_add(leeway) {
        return Err(ProofError::Iat);
    }
    // 11. nonce.
    if let Some(nonces) = &settings.nonce {
        let fresh = match nonce.as_ref().and_then(Member::as_str) {
            Some(nonce) => nonces.accepts_at(nonce, u64::try_from(now).unwrap_or(0)),
            None => false,
        };
        if !fresh {
            return Err(ProofError::UseNonce);
        }
    }
    // 12. ath.
    if *text_claim(&ath, "ath")? != *token_ath(access_token) {
        return Err(ProofError::Ath);
    }
    // 13. cnf.jkt.
    if token_jkt.is_some_and(|bound| bound != header.jkt) {
        return Err(ProofError::Jkt);
    }
    // Remembered until the proof would be refused as too old anyway.
    let last_accepted = iat.saturating_add(window).saturating_add(leeway);
    let ttl = u64::try_from(last_accepted.saturating_sub(now).saturating_add(1)).unwrap_or(1);
    Ok(CheckedProof {
        jkt: header.jkt.clone(),
        jti: jti.to_owned(),
        iat,
        htm: request.method.to_owned(),
        htu,
        replay_ttl: Duration::from_secs(ttl.max(1)),
    })
}

/// `part` decoded from base64url, into `buffer` when it fits (a proof's payload and
/// signature do), else onto the heap; `None` when it is not base64url.
fn decoded<'b>(part: &str, buffer: &'b mut [u8]) -> Option<Cow<'b, [u8]>> {
    match URL_SAFE_NO_PAD.decode_slice(part, buffer) {
        Ok(len) => buffer.get(..len).map(Cow::Borrowed),
        Err(DecodeSliceError::OutputSliceTooSmall) => {
            URL_SAFE_NO_PAD.decode(part).ok().map(Cow::Owned)
        }
        Err(DecodeSliceError::DecodeError(_)) => None,
    }
}

/// The string claim `name` of a proof, or the refusal naming it.
fn text_claim<'m>(
    member: &'m Option<Member<'_>>,
    name: &'static str,
) -> Result<&'m str, ProofError> {
    member
        .as_ref()
        .and_then(Member::as_str)
        .ok_or(ProofError::Claim(name))
}

/// A proof header that passed steps 3 to 5 of [`check_proof`]: its algorithm, its key parsed
/// for that algorithm, and the key's thumbprint.
struct CheckedHeader {
    alg: Alg,
    /// The key, parsed for `alg`.
    key: PreparedKey,
    jkt: String,
    /// The RSA size limit the key was checked under.
    max_rsa_bits: usize,
}

/// Headers whose proofs verified, by their exact base64url text: a client sends the same
/// header (`typ`, `alg`, `jwk`) with every proof, so its key is parsed and its thumbprint
/// computed once. The key is the whole header, so a proof only ever finds the key it carries;
/// its signature is checked every time.
type HeaderCache = moka::sync::Cache<Box<str>, Arc<CheckedHeader>, foldhash::fast::RandomState>;

/// At most this many headers are remembered (least frequently used forgotten first).
const HEADER_CACHE_ENTRIES: u64 = 4_096;
/// Longer headers (RSA keys of more than about 8,000 bits) are checked every time.
const MAX_CACHED_HEADER_LEN: usize = 2_048;

static HEADERS: LazyLock<HeaderCache> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(HEADER_CACHE_ENTRIES)
        .build_with_hasher(foldhash::fast::RandomState::default())
});

/// Steps 3 to 5 of [`check_proof`] on the header `header_b64`, or their outcome for the same
/// header remembered from an earlier proof that verified (the algorithm allow-list is checked
/// again: it may differ between calls); true when remembered.
fn checked_header(
    header_b64: &str,
    settings: &ProofSettings,
) -> Result<(Arc<CheckedHeader>, bool), ProofError> {
    if let Some(header) = HEADERS
        .get(header_b64)
        .filter(|header| header.max_rsa_bits == settings.max_rsa_bits)
    {
        if !settings.algorithms.contains(header.alg) {
            return Err(ProofError::Algorithm(settings.algorithm_names()));
        }
        return Ok((header, true));
    }
    check_header(header_b64, settings).map(|header| (Arc::new(header), false))
}

/// Remembers a header whose proof verified.
fn remember_header(header_b64: &str, header: &Arc<CheckedHeader>) {
    if header_b64.len() <= MAX_CACHED_HEADER_LEN && !HEADERS.contains_key(header_b64) {
        HEADERS.insert(header_b64.into(), Arc::clone(header));
    }
}

/// Steps 3 to 5 of [`check_proof`]: the header is a JSON object without duplicate members,
/// `crit` or `b64`; `typ`; `alg`; `jwk`.
fn check_header(header_b64: &str, settings: &ProofSettings) -> Result<CheckedHeader, ProofError> {
    let header = json_object(header_b64, &HEADER_PART)?;
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(ProofError::Malformed(
            "unsupported critical header parameters",
        ));
    }
    // 3. typ.
    match header.get("typ") {
        Some(Value::String(typ)) if normalize_typ(typ) == "dpop+jwt" => {}
        _ => return Err(ProofError::Typ),
    }
    // 4. alg.
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(Alg::from_name)
        .filter(|alg| settings.algorithms.contains(*alg))
        .ok_or_else(|| ProofError::Algorithm(settings.algorithm_names()))?;
    // 5. jwk: a public key, usable with alg.
    let jwk = header.get("jwk").ok_or(ProofError::NoJwk)?;
    let Some(members) = jwk.as_object() else {
        return Err(ProofError::BadKey("not a JSON object"));
    };
    if PRIVATE_MEMBERS.iter().any(|m| members.contains_key(*m)) {
        return Err(ProofError::PrivateKey);
    }
    let limits = KeyLimits {
        max_rsa_bits: settings.max_rsa_bits,
        ..KeyLimits::default()
    };
    let key = prepare_for(jwk, limits, alg).map_err(ProofError::BadKey)?;
    let jkt = thumbprint(jwk).ok_or(ProofError::BadKey("no RFC 7638 thumbprint"))?;
    Ok(CheckedHeader {
        alg,
        key,
        jkt,
        max_rsa_bits: settings.max_rsa_bits,
    })
}

/// Refuses a proof whose `jti` (with its `htm` and `htu`) `store` has seen within its
/// replay window, and remembers it otherwise.
///
/// # Errors
/// [`ProofError::Replayed`] the second time; [`ProofError::ReplayStore`] when the store
/// cannot answer (the request must then be refused, never accepted unchecked).
pub async fn check_replay_in(
    store: &dyn ReplayStore,
    proof: &CheckedProof,
) -> Result<(), ProofError> {
    match store
        .insert_new(&proof.replay_key(), proof.replay_ttl)
        .await
    {
        Ok(true) => Ok(()),
        Ok(false) => Err(ProofError::Replayed),
        Err(error) => Err(ProofError::ReplayStore(error)),
    }
}

/// [`check_replay_in`] the store `settings` name ([`Settings::dpop_replay_store`]), or the
/// process-wide [`InMemoryReplayStore`].
///
/// # Errors
/// As [`check_replay_in`].
pub async fn check_replay(settings: &Settings, proof: &CheckedProof) -> Result<(), ProofError> {
    static IN_MEMORY: LazyLock<Arc<dyn ReplayStore>> =
        LazyLock::new(|| Arc::new(InMemoryReplayStore::default()));
    let store = settings.dpop_replay_store.0.as_ref().unwrap_or(&IN_MEMORY);
    check_replay_in(store.as_ref(), proof).await
}

/// The `ath` of recent access tokens, by the whole token: a client sends the same token with
/// many proofs, and its hash costs more than the rest of a proof's claims.
type AthCache = moka::sync::Cache<Box<str>, Arc<str>, foldhash::fast::RandomState>;

/// At most this many tokens' `ath` are remembered (least frequently used forgotten first).
const ATH_CACHE_ENTRIES: u64 = 1_024;
/// Longer tokens are hashed every time.
const MAX_ATH_CACHED_TOKEN_LEN: usize = 4_096;

static ATHS: LazyLock<AthCache> = LazyLock::new(|| {
    moka::sync::Cache::builder()
        .max_capacity(ATH_CACHE_ENTRIES)
        .build_with_hasher(foldhash::fast::RandomState::default())
});

/// [`ath`] of `access_token`, remembered for the next proof sent with the same token.
fn token_ath(access_token: &str) -> Arc<str> {
    if access_token.len() > MAX_ATH_CACHED_TOKEN_LEN {
        return ath(access_token).into();
    }
    if let Some(hash) = ATHS.get(access_token) {
        return hash;
    }
    let hash: Arc<str> = ath(access_token).into();
    ATHS.insert(access_token.into(), Arc::clone(&hash));
    hash
}

/// base64url(SHA-256(the access token)): what a proof's `ath` holds.
fn ath(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, access_token.as_bytes()))
}

/// The reasons a part of a proof that is not one strict JSON object is refused with.
struct JsonPart {
    not_an_object: &'static str,
    duplicate: &'static str,
}

/// The proof's header.
const HEADER_PART: JsonPart = JsonPart {
    not_an_object: "the header is not a JSON object",
    duplicate: "the header has a duplicate member",
};

/// The proof's payload.
const PAYLOAD_PART: JsonPart = JsonPart {
    not_an_object: "the payload is not a JSON object",
    duplicate: "the payload has a duplicate member",
};

impl JsonPart {
    /// The refusal for `error`.
    fn refusal(&self, error: StrictJsonError) -> ProofError {
        ProofError::Malformed(match error {
            StrictJsonError::DuplicateMember => self.duplicate,
            StrictJsonError::NotAnObject => self.not_an_object,
        })
    }
}

/// A base64url part decoded into a JSON object without duplicate members.
fn json_object(part: &str, reasons: &JsonPart) -> Result<Map<String, Value>, ProofError> {
    let json = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Malformed(reasons.not_an_object))?;
    strict_json::object(&json).map_err(|error| reasons.refusal(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ath_is_the_example_of_rfc_9449_section_4_2() {
        assert_eq!(
            ath("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }

    #[test]
    fn a_replay_key_is_one_per_jti_method_and_uri() {
        let proof = CheckedProof {
            jkt: "k".into(),
            jti: "j".into(),
            iat: 0,
            htm: "GET".into(),
            htu: "https://a/".into(),
            replay_ttl: Duration::from_secs(1),
        };
        let key = proof.replay_key();
        let other = |change: fn(&mut CheckedProof)| {
            let mut changed = proof.clone();
            change(&mut changed);
            changed.replay_key()
        };
        assert_ne!(other(|p| p.jti = "j2".into()), key);
        assert_ne!(other(|p| p.htm = "POST".into()), key);
        assert_ne!(other(|p| p.htu = "https://b/".into()), key);
        assert_eq!(other(|p| p.jkt = "other".into()), key);
        // Length prefixes: moving a character from one part to the next is another key.
        assert_ne!(
            other(|p| {
                p.jti = "jG".into();
                p.htm = "ET".into();
            }),
            key
        );
    }
}
