//! DPoP (RFC 9449) on the request path: whether the scheme a token came under is admitted by
//! the policy's [`Dpop`] mode, the request's proof checked against its method, URI and token,
//! the replay check once the token is accepted, and the challenges of a refusal.
//!
//! [`guard::check`](crate::guard) calls them in this order:
//!
//! 1. [`admit`]: under `Bearer`, nothing to check unless the policy requires DPoP (then 401
//!    `invalid_token`); under `DPoP`, the proof passes every check of
//!    [`check_proof`](crate::dpop::check_proof) but the key binding (401
//!    `invalid_dpop_proof`, `use_dpop_nonce`);
//! 2. the token is verified, the key binding checked among its 401 checks
//!    ([`check_binding`](crate::checks::check_binding): `cnf.jkt` is the proof key's
//!    thumbprint; a bound token never passes as a bearer token);
//! 3. [`check_replay`]: the proof was not accepted before (401), or the store cannot say
//!    (503);
//! 4. a refusal gets its challenges from [`challenge`].
//!
//! With server nonces on, every response also carries the current nonce: each framework's
//! response hook (the tower layers, Rocket's fairing, the actix-web and Poem middlewares) asks
//! [`response_nonce`] for it.

use crate::credentials::{Presented, ProofCheckedUpstream, RequestHeaders};
use crate::dpop::{self, CheckedProof, ProofError, ProofRequest, RequestParts, RequestUriError};
use crate::dpop_state::Dpop;
use crate::policy::Policy;
use crate::reject::{Rejection, RejectionKind, Scheme};
use crate::settings;
use crate::spec::TokenSource;
use crate::verify::unix_now;

/// The proof of a request under the `DPoP` scheme.
#[derive(Debug)]
pub(crate) enum Proof<'a> {
    /// Checked here, but for its key binding and replay.
    Checked(CheckedProof),
    /// Checked, replay included, by a guard in front, for this request and token.
    CheckedUpstream(&'a str),
}

impl Proof<'_> {
    /// The thumbprint of the proof's key.
    pub(crate) fn jkt(&self) -> &str {
        match self {
            Proof::Checked(proof) => &proof.jkt,
            Proof::CheckedUpstream(jkt) => jkt,
        }
    }

    /// What a guard behind this one finds in the request's extensions.
    pub(crate) fn mark(&self, token: &str) -> ProofCheckedUpstream {
        ProofCheckedUpstream::new(token, self.jkt())
    }
}

/// Whether the policy admits a token presented as `presented` says; under the `DPoP` scheme,
/// the request's proof, checked but for its key binding (or checked in front of this guard).
///
/// # Errors
/// 401 `invalid_token` for a bearer token where DPoP is required; the proof's refusal.
pub(crate) fn admit<'r, H: RequestHeaders + ?Sized>(
    policy: &Policy,
    request: &'r H,
    presented: Presented<'_>,
) -> Result<Option<Proof<'r>>, Rejection> {
    match (presented.scheme, policy.dpop()) {
        (Scheme::Bearer, Dpop::Required) => Err(Rejection::invalid_token(
            "this resource requires a DPoP-bound token: send it as `Authorization: DPoP` with a DPoP proof",
        )),
        (Scheme::Bearer, _) => Ok(None),
        (Scheme::Dpop, _) => {
            let upstream = request.proof_checked_upstream();
            if let Some(jkt) = upstream.and_then(|mark| mark.jkt_for(presented.token)) {
                return Ok(Some(Proof::CheckedUpstream(jkt)));
            }
            check_request_proof(policy, request, presented.token)
                .map(|proof| Some(Proof::Checked(proof)))
        }
    }
}

/// The request's `DPoP` header checked against its method, its URI (see
/// [`request_uri`](crate::dpop::request_uri)) and `token`.
fn check_request_proof<H: RequestHeaders + ?Sized>(
    policy: &Policy,
    request: &H,
    token: &str,
) -> Result<CheckedProof, Rejection> {
    let (Some(method), Some(target)) = (request.method(), request.target()) else {
        // `Policy::authorize` given a bare header map, or a gRPC method (whose request does not
        // carry its path: the tonic layer does).
        tracing::warn!(
            "a DPoP request reached a guard that was given the request's headers only: give it \
             the method and target (jwks_guard::credentials::WithRequestLine), or protect gRPC \
             services with the tonic layer, to check DPoP proofs"
        );
        return Err(Rejection::dpop_proof(
            RejectionKind::InvalidDpopProof,
            "this server cannot check DPoP proofs on this route".to_owned(),
        ));
    };
    let settings = settings::current();
    let first = |name| request.header_values(name).next();
    // The forwarding headers are read only when they are trusted.
    let forwarded = |name| {
        settings
            .trust_forwarded_headers
            .then(|| first(name))
            .flatten()
    };
    let parts = RequestParts {
        target: target.as_bytes(),
        host: first("host"),
        forwarded: forwarded("forwarded"),
        x_forwarded_proto: forwarded("x-forwarded-proto"),
        x_forwarded_host: forwarded("x-forwarded-host"),
    };
    let uri = dpop::request_uri(&parts, settings).map_err(|error| match error {
        RequestUriError::BadPublicOrigin => {
            tracing::error!(%error, "DPoP proofs cannot be checked");
            Rejection::misconfigured()
        }
        error => Rejection::dpop_proof(
            RejectionKind::InvalidDpopProof,
            format!("the request's URI cannot be known, so no DPoP proof can match it: {error}"),
        ),
    })?;
    dpop::check_proof(
        request.header_values("dpop"),
        &ProofRequest { method, uri: &uri },
        token,
        None,
        policy.proof_settings(),
        unix_now(),
    )
    .map_err(proof_rejection)
}

/// Refuses a proof accepted before (401), or any proof when the replay store cannot say (503
/// with `Retry-After`); nothing for a proof a guard in front checked.
///
/// # Errors
/// The refusal.
pub(crate) async fn check_replay(proof: &Proof<'_>) -> Result<(), Rejection> {
    match proof {
        Proof::Checked(proof) => dpop::check_replay(settings::current(), proof)
            .await
            .map_err(proof_rejection),
        Proof::CheckedUpstream(_) => Ok(()),
    }
}

/// A proof's refusal as the answer: `use_dpop_nonce`, 503 for a replay store that cannot
/// answer (its error logged, never sent), else `invalid_dpop_proof`.
fn proof_rejection(error: ProofError) -> Rejection {
    match error {
        ProofError::UseNonce => {
            Rejection::dpop_proof(RejectionKind::UseDpopNonce, error.to_string())
        }
        ProofError::ReplayStore(store) => {
            tracing::warn!(error = %store, "the DPoP replay store cannot answer: refusing the request");
            Rejection::dpop_proof(
                RejectionKind::ReplayStoreUnavailable,
                "the DPoP replay check is unavailable; try again later".to_owned(),
            )
        }
        error => Rejection::dpop_proof(RejectionKind::InvalidDpopProof, error.to_string()),
    }
}

/// The challenges of `rejection` under the policy's DPoP mode, for a request whose
/// credentials came under `scheme` (`None`: none found, or unreadable): under `DPoP` when the
/// request used it, the policy requires it or the refusal is about the proof; `Bearer` then
/// `DPoP` for a request without credentials where both are accepted; `Bearer` otherwise. Each
/// `DPoP` challenge names the proof algorithms; with server nonces on, the answer carries the
/// current nonce. A guard that cannot check proofs (`checkable` false: it was not given the
/// request's method and target), or a policy not reading `Authorization`, offers `Bearer`
/// alone where both would be accepted.
pub(crate) fn challenge(
    rejection: Rejection,
    policy: &Policy,
    scheme: Option<Scheme>,
    checkable: bool,
) -> Rejection {
    let mode = policy.dpop();
    let kind = rejection.kind();
    if mode == Dpop::Disabled
        || matches!(
            kind,
            RejectionKind::KeysUnavailable
                | RejectionKind::Misconfigured
                | RejectionKind::ReplayStoreUnavailable
        )
    {
        return rejection;
    }
    let algs = policy.proof_settings().algorithm_names();
    let rejection = if kind == RejectionKind::MissingCredentials && mode == Dpop::Allowed {
        // `DPoP` is offered where it could work: the token read from `Authorization`, and a
        // guard that can check proofs.
        let reads_authorization = policy
            .token_from()
            .iter()
            .any(|source| matches!(source, TokenSource::Authorization));
        if !checkable || !reads_authorization {
            return rejection;
        }
        rejection.under_bearer_and_dpop(&algs)
    } else if scheme == Some(Scheme::Dpop)
        || mode == Dpop::Required
        || rejection.scheme() == Scheme::Dpop
        || matches!(
            kind,
            RejectionKind::InvalidDpopProof | RejectionKind::UseDpopNonce
        )
    {
        // Where DPoP is required, a request without credentials is told what to send.
        let rejection = match (kind, mode) {
            (RejectionKind::MissingCredentials, Dpop::Required) => {
                Rejection::missing_credentials("a DPoP-bound token and its DPoP proof required")
            }
            _ => rejection,
        };
        rejection.under_dpop(&algs)
    } else {
        return rejection;
    };
    match response_nonce() {
        Some(nonce) => rejection.with_dpop_nonce(nonce),
        None => rejection,
    }
}

/// The `DPoP-Nonce` to send with a response when server nonces are on
/// ([`Settings::dpop_nonce`](crate::Settings::dpop_nonce)): the current one, so that a client
/// always holds a nonce its next proof can carry (RFC 9449 §8.2), also across a rotation. A
/// nonce is not a secret, so every response may carry it. `None` with nonces off. Reads the
/// settings without installing them.
pub(crate) fn response_nonce() -> Option<String> {
    settings::peek()
        .dpop_nonce
        .as_ref()
        .map(crate::dpop::NonceSource::current)
}
