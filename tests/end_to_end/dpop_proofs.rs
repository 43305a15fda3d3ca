//! DPoP proofs (RFC 9449 §4.3) made by the test kit's `DpopClient` for tokens a `TestIssuer`
//! binds to its key, through the runtime's verification core: a good proof passes, and a proof
//! breaking one rule is refused with that rule's `ProofError`.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::Alg;
use jwks_guard::dpop::{
    CheckedProof, InMemoryReplayStore, NonceSource, ProofError, ProofRequest, ProofSettings,
    ReplayFuture, ReplayStore, ReplayStoreError, check_proof, check_replay_in,
};
use jwks_guard_test::{DpopClient, ProofBuilder, TestIssuer};
use serde_json::{Value, json};

static ISSUER: LazyLock<TestIssuer> = LazyLock::new(|| TestIssuer::start().expect("test issuer"));
static CLIENT: LazyLock<DpopClient> = LazyLock::new(|| DpopClient::new().expect("client key"));

const URL: &str = "http://127.0.0.1:8080/orders";

fn now() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(elapsed.as_secs()).expect("seconds fit")
}

/// A token bound to `client`, signed by the issuer.
fn bound_token(client: &DpopClient) -> String {
    ISSUER.token().audience("api").dpop_bound(client).sign()
}

/// The `cnf.jkt` of a token, read from its payload.
fn jkt_of(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims["cnf"]["jkt"].as_str().map(str::to_owned)
}

/// Checks `proofs` for a `GET` of [`URL`] with `token`, bound as the token says.
fn check_with(
    proofs: &[&str],
    token: &str,
    settings: &ProofSettings,
) -> Result<CheckedProof, ProofError> {
    let request = ProofRequest {
        method: "GET",
        uri: URL,
    };
    let jkt = jkt_of(token);
    check_proof(
        proofs.iter().map(|p| p.as_bytes()),
        &request,
        token,
        jkt.as_deref(),
        settings,
        now(),
    )
}

/// One proof of [`CLIENT`] for a token bound to it, as `change` makes it.
fn outcome(change: impl FnOnce(ProofBuilder) -> ProofBuilder) -> Result<CheckedProof, ProofError> {
    let token = bound_token(&CLIENT);
    let proof = change(CLIENT.proof("GET", URL).access_token(&token)).sign();
    check_with(&[&proof], &token, &ProofSettings::new())
}

#[test]
fn a_good_proof_of_each_default_algorithm_passes_and_names_the_clients_key() {
    for alg in [Alg::ES256, Alg::ES384, Alg::PS256, Alg::RS256, Alg::EdDSA] {
        let client = DpopClient::with_alg(alg).expect("client key");
        let token = bound_token(&client);
        assert_eq!(jkt_of(&token), Some(client.thumbprint()));
        let proof = client
            .proof("GET", &format!("{URL}?page=2"))
            .access_token(&token)
            .sign();
        let checked = check_with(&[&proof], &token, &ProofSettings::new())
            .unwrap_or_else(|error| panic!("{alg:?}: {error}"));
        assert_eq!(checked.jkt, client.thumbprint(), "{alg:?}");
        assert_eq!((checked.htm.as_str(), checked.htu.as_str()), ("GET", URL));
    }
}

#[test]
fn a_request_without_a_dpop_header_is_refused_as_missing() {
    let token = bound_token(&CLIENT);
    assert_eq!(
        check_with(&[], &token, &ProofSettings::new()),
        Err(ProofError::Missing)
    );
}

#[test]
fn two_dpop_headers_are_refused_even_when_both_are_good() {
    let token = bound_token(&CLIENT);
    let one = CLIENT.proof("GET", URL).access_token(&token).sign();
    let two = CLIENT.proof("GET", URL).access_token(&token).sign();
    assert_eq!(
        check_with(&[&one, &two], &token, &ProofSettings::new()),
        Err(ProofError::Multiple)
    );
}

#[test]
fn a_proof_longer_than_the_token_limit_is_refused_before_parsing() {
    let huge = outcome(|p| p.claim("padding", "x".repeat(jwks_guard::bearer::MAX_TOKEN_LEN)));
    assert_eq!(huge, Err(ProofError::TooLong));
}

#[test]
fn a_proof_that_is_not_one_compact_jws_is_malformed() {
    let token = bound_token(&CLIENT);
    let good = CLIENT.proof("GET", URL).access_token(&token).sign();
    let header = good.split('.').next().expect("a header");
    let duplicate = URL_SAFE_NO_PAD.encode(r#"{"typ":"dpop+jwt","typ":"dpop+jwt"}"#);
    for bad in [
        "not-a-jws".to_owned(),
        format!("{header}.e30"),
        format!("{good}.x.y"),
        format!("{good} "),
        format!("{duplicate}.e30.c2ln"),
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode("[1]")),
    ] {
        assert!(
            matches!(
                check_with(&[&bad], &token, &ProofSettings::new()),
                Err(ProofError::Malformed(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        outcome(|p| p.header("crit", json!(["exp"]))),
        Err(ProofError::Malformed(_))
    ));
}

#[test]
fn a_proof_whose_typ_is_not_dpop_jwt_is_refused() {
    assert_eq!(outcome(|p| p.typ("JWT")), Err(ProofError::Typ));
    assert_eq!(outcome(|p| p.without_header("typ")), Err(ProofError::Typ));
    assert!(outcome(|p| p.typ("application/dpop+jwt")).is_ok());
}

#[test]
fn a_proof_whose_alg_is_none_symmetric_or_not_allowed_is_refused() {
    for alg in ["none", "HS256", "ES256K", "es256"] {
        assert!(
            matches!(
                outcome(|p| p.header("alg", alg)),
                Err(ProofError::Algorithm(_))
            ),
            "{alg}"
        );
    }
    assert!(matches!(
        outcome(|p| p.without_header("alg")),
        Err(ProofError::Algorithm(_))
    ));
    let token = bound_token(&CLIENT);
    let proof = CLIENT.proof("GET", URL).access_token(&token).sign();
    let only_eddsa = ProofSettings::new().algorithms([Alg::EdDSA]);
    assert_eq!(
        check_with(&[&proof], &token, &only_eddsa),
        Err(ProofError::Algorithm("EdDSA".into()))
    );
    let p521 = DpopClient::with_alg(Alg::ES512).expect("client key");
    let token = bound_token(&p521);
    let proof = p521.proof("GET", URL).access_token(&token).sign();
    assert_eq!(
        check_with(&[&proof], &token, &ProofSettings::new()),
        Err(ProofError::Algorithm(
            "ES256 ES384 PS256 RS256 EdDSA".into()
        )),
        "ES512 is not in the default allow-list"
    );
}

#[test]
fn a_proof_without_jwk_is_refused() {
    assert_eq!(outcome(|p| p.without_header("jwk")), Err(ProofError::NoJwk));
}

#[test]
fn a_proof_whose_jwk_holds_the_private_key_is_refused() {
    assert_eq!(
        outcome(ProofBuilder::private_key_in_jwk),
        Err(ProofError::PrivateKey)
    );
    for member in ["p", "q", "dp", "dq", "qi", "oth"] {
        assert_eq!(
            outcome(|p| p.jwk_member(member, "AQAB")),
            Err(ProofError::PrivateKey),
            "{member}"
        );
    }
}

#[test]
fn a_proof_whose_jwk_fails_the_key_hygiene_of_the_jwks_path_is_refused() {
    let bad_key = |change: fn(ProofBuilder) -> ProofBuilder| {
        matches!(outcome(change), Err(ProofError::BadKey(_)))
    };
    // Off the curve.
    assert!(bad_key(
        |p| p.jwk_member("y", URL_SAFE_NO_PAD.encode([7u8; 32]))
    ));
    // Of a type that does not fit `alg`, symmetric, or a string.
    assert!(bad_key(|p| p.jwk_member("crv", "P-384")));
    assert!(bad_key(
        |p| p.header("jwk", json!({"kty": "oct", "k": "c2VjcmV0"}))
    ));
    assert!(bad_key(|p| p.header("jwk", "a key")));
    // A small-order Ed25519 key, with which a forged signature would verify.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(identity)});
    let ed = DpopClient::with_alg(Alg::EdDSA).expect("client key");
    let token = bound_token(&ed);
    let proof = ed
        .proof("GET", URL)
        .access_token(&token)
        .header("jwk", weak)
        .sign();
    assert!(matches!(
        check_with(&[&proof], &token, &ProofSettings::new()),
        Err(ProofError::BadKey(_))
    ));
    // An RSA modulus under 2048 bits.
    let rsa = DpopClient::with_alg(Alg::RS256).expect("client key");
    let token = bound_token(&rsa);
    let proof = rsa
        .proof("GET", URL)
        .access_token(&token)
        .jwk_member("n", URL_SAFE_NO_PAD.encode([0xc5u8; 128]))
        .sign();
    assert!(matches!(
        check_with(&[&proof], &token, &ProofSettings::new()),
        Err(ProofError::BadKey(_))
    ));
}

#[test]
fn a_proof_signed_by_another_key_than_its_jwk_is_refused() {
    let other = DpopClient::new().expect("client key");
    assert_eq!(
        outcome(|p| p.signed_by(&other)),
        Err(ProofError::BadSignature)
    );
}

#[test]
fn a_proof_without_jti_or_with_claims_of_the_wrong_type_is_refused() {
    assert_eq!(
        outcome(|p| p.without_claim("jti")),
        Err(ProofError::Claim("jti"))
    );
    assert_eq!(outcome(|p| p.jti("")), Err(ProofError::Claim("jti")));
    assert_eq!(
        outcome(|p| p.claim("jti", 5)),
        Err(ProofError::Claim("jti"))
    );
    assert_eq!(
        outcome(|p| p.without_claim("htm")),
        Err(ProofError::Claim("htm"))
    );
    assert_eq!(
        outcome(|p| p.without_claim("htu")),
        Err(ProofError::Claim("htu"))
    );
    assert_eq!(
        outcome(|p| p.without_claim("iat")),
        Err(ProofError::Claim("iat"))
    );
    assert_eq!(
        outcome(|p| p.claim("iat", "now")),
        Err(ProofError::Claim("iat"))
    );
}

#[test]
fn a_proof_for_another_method_is_refused() {
    assert_eq!(outcome(|p| p.htm("POST")), Err(ProofError::Htm));
    assert_eq!(
        outcome(|p| p.htm("get")),
        Err(ProofError::Htm),
        "methods are case-sensitive"
    );
}

#[test]
fn a_proof_for_another_uri_is_refused_and_equivalent_spellings_pass() {
    for other in [
        "http://127.0.0.1:8080/orders/1",
        "http://127.0.0.1:8081/orders",
        "https://127.0.0.1:8080/orders",
        "http://localhost:8080/orders",
        "/orders",
    ] {
        assert_eq!(outcome(|p| p.htu(other)), Err(ProofError::Htu), "{other}");
    }
    for same in [
        "HTTP://127.0.0.1:8080/orders",
        "http://127.0.0.1:8080/%6Frders",
        "http://127.0.0.1:8080/a/../orders?x=1#f",
    ] {
        assert!(outcome(|p| p.htu(same)).is_ok(), "{same}");
    }
}

#[test]
fn a_proof_issued_outside_the_window_and_leeway_is_refused() {
    let now = now();
    // Default window 60 s, leeway 60 s: from now − 120 s to now + 60 s.
    assert_eq!(outcome(|p| p.issued_at(now - 600)), Err(ProofError::Iat));
    assert_eq!(outcome(|p| p.issued_at(now + 600)), Err(ProofError::Iat));
    assert!(outcome(|p| p.issued_at(now - 90)).is_ok());
    assert!(outcome(|p| p.issued_at(now + 30)).is_ok());
    let token = bound_token(&CLIENT);
    let proof = CLIENT
        .proof("GET", URL)
        .access_token(&token)
        .issued_at(now - 90)
        .sign();
    let strict = ProofSettings::new()
        .window(Duration::from_secs(10))
        .leeway(Duration::ZERO);
    assert_eq!(check_with(&[&proof], &token, &strict), Err(ProofError::Iat));
}

#[test]
fn with_server_nonces_a_proof_needs_a_current_one() {
    let nonces = NonceSource::new(b"a secret shared by the replicas", Duration::from_secs(60));
    let settings = ProofSettings::new().nonce(nonces.clone());
    let token = bound_token(&CLIENT);
    let check = |proof: ProofBuilder| check_with(&[&proof.sign()], &token, &settings);
    let proof = || CLIENT.proof("GET", URL).access_token(&token);
    assert_eq!(check(proof()), Err(ProofError::UseNonce));
    assert_eq!(check(proof().nonce("made-up")), Err(ProofError::UseNonce));
    let elsewhere = NonceSource::new(b"another secret", Duration::from_secs(60));
    assert_eq!(
        check(proof().nonce(elsewhere.current())),
        Err(ProofError::UseNonce)
    );
    assert!(check(proof().nonce(nonces.current())).is_ok());
    assert_eq!(ProofError::UseNonce.error_code(), "use_dpop_nonce");
}

#[test]
fn a_proof_for_another_access_token_is_refused() {
    assert_eq!(
        outcome(|p| p.access_token("another-token")),
        Err(ProofError::Ath)
    );
    assert_eq!(
        outcome(|p| p.without_claim("ath")),
        Err(ProofError::Claim("ath"))
    );
}

#[test]
fn a_token_bound_to_another_key_is_refused_with_a_good_proof_of_this_one() {
    let other = DpopClient::new().expect("client key");
    let token = bound_token(&other);
    let proof = CLIENT.proof("GET", URL).access_token(&token).sign();
    assert_eq!(
        check_with(&[&proof], &token, &ProofSettings::new()),
        Err(ProofError::Jkt)
    );
}

#[tokio::test]
async fn a_proof_is_accepted_once_and_its_replay_refused() {
    let store = InMemoryReplayStore::new(100);
    let token = bound_token(&CLIENT);
    let proof = CLIENT
        .proof("GET", URL)
        .access_token(&token)
        .jti("once")
        .sign();
    let checked = check_with(&[&proof], &token, &ProofSettings::new()).expect("a good proof");
    assert_eq!(check_replay_in(&store, &checked).await, Ok(()));
    let again = check_with(&[&proof], &token, &ProofSettings::new()).expect("still well made");
    assert_eq!(
        check_replay_in(&store, &again).await,
        Err(ProofError::Replayed)
    );
    // The same jti for another URI is another proof.
    let request = ProofRequest {
        method: "GET",
        uri: "http://127.0.0.1:8080/invoices",
    };
    let elsewhere = CLIENT
        .proof("GET", request.uri)
        .access_token(&token)
        .jti("once")
        .sign();
    let jkt = jkt_of(&token);
    let checked = check_proof(
        [elsewhere.as_bytes()],
        &request,
        &token,
        jkt.as_deref(),
        &ProofSettings::new(),
        now(),
    )
    .expect("a good proof");
    assert_eq!(check_replay_in(&store, &checked).await, Ok(()));
}

/// A replay store whose backend is down.
struct Unreachable;

impl ReplayStore for Unreachable {
    fn insert_new<'a>(&'a self, _key: &'a [u8], _ttl: Duration) -> ReplayFuture<'a> {
        Box::pin(async { Err(ReplayStoreError("connection refused".into())) })
    }
}

#[tokio::test]
async fn a_replay_store_that_cannot_answer_refuses_the_proof() {
    let token = bound_token(&CLIENT);
    let proof = CLIENT.proof("GET", URL).access_token(&token).sign();
    let checked = check_with(&[&proof], &token, &ProofSettings::new()).expect("a good proof");
    let outcome = check_replay_in(&Unreachable, &checked).await;
    assert!(
        matches!(outcome, Err(ProofError::ReplayStore(_))),
        "{outcome:?}"
    );
    let error = outcome.expect_err("refused");
    assert_eq!(error.error_code(), "temporarily_unavailable");
    assert!(error.to_string().contains("try again later"), "{error}");
}

#[test]
fn a_header_seen_before_is_held_to_the_allow_list_and_its_signature_as_the_first_time() {
    // A client of its own, so that its header is first seen here.
    let client = DpopClient::new().expect("client key");
    let token = bound_token(&client);
    let proof = || client.proof("GET", URL).access_token(&token);
    for _ in 0..2 {
        let accepted = check_with(&[&proof().sign()], &token, &ProofSettings::new());
        assert_eq!(accepted.map(|p| p.jkt), Ok(client.thumbprint()));
    }
    let only_eddsa = ProofSettings::new().algorithms([Alg::EdDSA]);
    assert_eq!(
        check_with(&[&proof().sign()], &token, &only_eddsa),
        Err(ProofError::Algorithm("EdDSA".into()))
    );
    let other = DpopClient::new().expect("client key");
    assert_eq!(
        check_with(
            &[&proof().signed_by(&other).sign()],
            &token,
            &ProofSettings::new()
        ),
        Err(ProofError::BadSignature)
    );
    assert_eq!(
        check_with(
            &[&proof().sign()],
            &bound_token(&other),
            &ProofSettings::new()
        ),
        Err(ProofError::Ath),
        "a proof is for the token it names"
    );
}
