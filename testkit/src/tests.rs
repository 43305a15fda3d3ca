//! The test issuer, tested over real sockets.

use std::io::{Read, Write};
use std::time::Duration;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P384_SHA384_FIXED, ECDSA_P521_SHA512_FIXED, ED25519,
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_2048_8192_SHA384, RSA_PKCS1_2048_8192_SHA512,
    RSA_PSS_2048_8192_SHA256, RSA_PSS_2048_8192_SHA384, RSA_PSS_2048_8192_SHA512,
    RsaPublicKeyComponents, UnparsedPublicKey, VerificationAlgorithm,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use jwks_guard::FetchRoute;

use super::*;

struct Got {
    status: u16,
    cache_control: Option<String>,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Got {
    /// The value of a response header.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }
}

/// A `GET`, without following redirects.
async fn get(url: &str) -> Got {
    get_with(url, &[]).await
}

/// A `GET` with these request headers, without following redirects.
async fn get_with(url: &str, headers: &[(&str, &str)]) -> Got {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let cache_control = headers
        .get("cache-control")
        .map(|value| value.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    Got {
        status,
        cache_control,
        headers,
        body,
    }
}

async fn get_json(url: &str) -> Value {
    let got = get(url).await;
    assert_eq!(got.status, 200, "{url}: {}", got.body);
    serde_json::from_str(&got.body).unwrap()
}

/// A blocking `GET`, over a plain socket: the status line and the body.
fn blocking_get(issuer: &TestIssuer, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(issuer.addr()).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        issuer.addr()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The JWK of `kid` in a JWKS document.
fn find<'a>(jwks: &'a Value, kid: &str) -> Option<&'a Value> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|jwk| jwk["kid"] == kid)
}

/// A base64url member of a JWK, decoded.
fn octets(jwk: &Value, member: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(jwk[member].as_str().unwrap())
        .unwrap()
}

/// aws-lc-rs's verification algorithm for `alg` (RFC 7518 §3, RFC 8037).
fn verification_algorithm(alg: Alg) -> &'static dyn VerificationAlgorithm {
    match alg {
        Alg::RS256 => &RSA_PKCS1_2048_8192_SHA256,
        Alg::RS384 => &RSA_PKCS1_2048_8192_SHA384,
        Alg::RS512 => &RSA_PKCS1_2048_8192_SHA512,
        Alg::PS256 => &RSA_PSS_2048_8192_SHA256,
        Alg::PS384 => &RSA_PSS_2048_8192_SHA384,
        Alg::PS512 => &RSA_PSS_2048_8192_SHA512,
        Alg::ES256 => &ECDSA_P256_SHA256_FIXED,
        Alg::ES384 => &ECDSA_P384_SHA384_FIXED,
        Alg::ES512 => &ECDSA_P521_SHA512_FIXED,
        Alg::EdDSA => &ED25519,
        other => panic!("no verification algorithm for {other:?} in this test"),
    }
}

/// Checks the signature of `token` with `jwk`, by aws-lc-rs directly and from the JWK's
/// members alone: independent of the test issuer's key objects and of the crate's verifier.
fn signature_verifies(jwk: &Value, alg: Alg, token: &str) -> bool {
    let public_key = match jwk["kty"].as_str().unwrap() {
        // An X.509 SubjectPublicKeyInfo, which UnparsedPublicKey takes for RSA.
        "RSA" => RsaPublicKeyComponents {
            n: octets(jwk, "n"),
            e: octets(jwk, "e"),
        }
        .as_der()
        .unwrap()
        .as_ref()
        .to_vec(),
        // The uncompressed point.
        "EC" => [vec![0x04], octets(jwk, "x"), octets(jwk, "y")].concat(),
        "OKP" => octets(jwk, "x"),
        kty => panic!("unexpected kty {kty}"),
    };
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    UnparsedPublicKey::new(verification_algorithm(alg), public_key)
        .verify(input.as_bytes(), &signature)
        .is_ok()
}

/// Why [`verify`] refused a token.
#[derive(Debug, PartialEq, Eq)]
enum Refused {
    UnknownKid,
    Signature,
    Expired,
    NotYetValid,
}

/// Verifies `token` against the issuer's JWKS, as a relying party for the audience `"api"`
/// would (signature, `iss`, `aud`, then `exp` and `nbf` with a minute of leeway): the claims.
fn verify(issuer: &TestIssuer, token: &str, alg: Alg) -> Result<Value, Refused> {
    const LEEWAY: i64 = 60;
    let jwks: Value = serde_json::from_str(&issuer.jwks()).unwrap();
    let kid = segment(token, 0)["kid"].as_str().unwrap().to_owned();
    let jwk = find(&jwks, &kid).ok_or(Refused::UnknownKid)?;
    if !signature_verifies(jwk, alg, token) {
        return Err(Refused::Signature);
    }
    let claims = segment(token, 1);
    assert_eq!(claims["iss"], issuer.issuer());
    assert_eq!(claims["aud"], "api");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    if claims["exp"].as_i64().unwrap() + LEEWAY < now {
        return Err(Refused::Expired);
    }
    if claims["nbf"].as_i64().is_some_and(|nbf| nbf - LEEWAY > now) {
        return Err(Refused::NotYetValid);
    }
    Ok(claims)
}

#[tokio::test]
async fn the_jwks_served_over_http_is_a_jwk_set_with_kid_use_and_alg() {
    let issuer = TestIssuer::start().unwrap();
    for path in ["/jwks", "/.well-known/jwks.json", "/keys"] {
        let body = get(&format!("{}{path}", issuer.url())).await.body;
        let raw: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(raw["keys"].as_array().unwrap().len(), 4, "{path}");
        let algs: Vec<&str> = raw["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|jwk| {
                assert_eq!(jwk["use"], "sig");
                assert!(jwk["kid"].is_string());
                jwk["alg"].as_str().unwrap()
            })
            .collect();
        assert_eq!(algs, ["RS256", "ES256", "ES384", "EdDSA"]);
    }
}

/// An issuer holding every kind of key, P-521 included: one for every algorithm.
fn issuer_with_every_key() -> TestIssuer {
    TestIssuer::builder().p521_key(true).start().unwrap()
}

#[test]
fn published_jwks_carry_exactly_the_public_members_of_their_key() {
    let issuer = issuer_with_every_key();
    let jwks: Value = serde_json::from_str(&issuer.jwks()).unwrap();
    let members =
        |jwk: &Value| -> Vec<String> { jwk.as_object().unwrap().keys().cloned().collect() };
    let rsa = find(&jwks, &issuer.kid(Alg::RS256)).unwrap();
    assert_eq!(members(rsa), ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(rsa["kty"], "RSA");
    assert_eq!(rsa["e"], "AQAB");
    let n = octets(rsa, "n");
    assert_eq!(n.len(), 256, "a 2048-bit modulus, no leading zero byte");
    assert_ne!(n[0], 0);
    for (alg, crv, size) in [
        (Alg::ES256, "P-256", 32),
        (Alg::ES384, "P-384", 48),
        (Alg::ES512, "P-521", 66),
    ] {
        let ec = find(&jwks, &issuer.kid(alg)).unwrap();
        assert_eq!(members(ec), ["alg", "crv", "kid", "kty", "use", "x", "y"]);
        assert_eq!((&ec["kty"], &ec["crv"]), (&json!("EC"), &json!(crv)));
        assert_eq!(octets(ec, "x").len(), size, "{crv} x, fixed length");
        assert_eq!(octets(ec, "y").len(), size, "{crv} y, fixed length");
    }
    let okp = find(&jwks, &issuer.kid(Alg::EdDSA)).unwrap();
    assert_eq!(members(okp), ["alg", "crv", "kid", "kty", "use", "x"]);
    assert_eq!(
        (&okp["kty"], &okp["crv"]),
        (&json!("OKP"), &json!("Ed25519"))
    );
    assert_eq!(octets(okp, "x").len(), 32);
}

#[test]
fn aws_lc_rs_verifies_every_algorithms_signature_from_the_published_jwk_alone() {
    let issuer = issuer_with_every_key();
    let jwks: Value = serde_json::from_str(&issuer.jwks()).unwrap();
    for &alg in Alg::ALL {
        let jwk = find(&jwks, &issuer.kid(alg)).unwrap();
        let token = issuer.token().alg(alg).sign();
        assert!(signature_verifies(jwk, alg, &token), "{alg:?}");
        let signature = URL_SAFE_NO_PAD
            .decode(token.rsplit_once('.').unwrap().1)
            .unwrap();
        let length = match alg {
            Alg::ES256 | Alg::EdDSA => 64,
            Alg::ES384 => 96,
            Alg::ES512 => 132,
            _ => 256,
        };
        assert_eq!(
            signature.len(),
            length,
            "{alg:?}: the JWS form of the signature"
        );

        let input = "eyJhbGciOiJub25lIn0.e30";
        let by_hand = format!("{input}.{}", issuer.sign_input(alg, input).unwrap());
        assert!(
            signature_verifies(jwk, alg, &by_hand),
            "{alg:?}: sign_input"
        );

        let (header, rest) = token.split_once('.').unwrap();
        let (_, signature) = rest.split_once('.').unwrap();
        let tampered = format!("{header}.e30.{signature}");
        assert!(
            !signature_verifies(jwk, alg, &tampered),
            "{alg:?}: tampered"
        );
        // PKCS#1 v1.5 and PSS are told apart: the padding is the one `alg` names.
        let sibling = match alg {
            Alg::RS256 => Some(Alg::PS256),
            Alg::RS384 => Some(Alg::PS384),
            Alg::RS512 => Some(Alg::PS512),
            Alg::PS256 => Some(Alg::RS256),
            Alg::PS384 => Some(Alg::RS384),
            Alg::PS512 => Some(Alg::RS512),
            _ => None,
        };
        if let Some(sibling) = sibling {
            assert!(
                !signature_verifies(jwk, sibling, &token),
                "{alg:?} as {sibling:?}"
            );
        }
    }
}

#[test]
fn a_token_of_every_algorithm_verifies_with_the_published_key() {
    let issuer = issuer_with_every_key();
    for &alg in Alg::ALL {
        let token = issuer.token().audience("api").alg(alg).sign();
        assert_eq!(segment(&token, 0)["alg"], alg.name());
        assert_eq!(segment(&token, 0)["kid"], issuer.kid(alg));
        let claims = verify(&issuer, &token, alg).unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        assert_eq!(claims["sub"], "user-1");
    }
}

#[test]
fn default_tokens_are_rs256_jwt_from_the_issuer_valid_for_an_hour() {
    let issuer = TestIssuer::start().unwrap();
    let token = issuer.token().sign();
    let header = segment(&token, 0);
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], issuer.kid(Alg::RS256));
    let claims = segment(&token, 1);
    assert_eq!(claims["iss"], issuer.issuer());
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    assert!(claims.get("aud").is_none());
}

#[test]
fn builder_methods_set_claims_and_header() {
    let issuer = TestIssuer::start().unwrap();
    let token = issuer
        .token()
        .audiences(["a"])
        .subject("alice")
        .scopes(["read", "write"])
        .scp(["x", "y"])
        .claim("roles", json!(["admin"]))
        .without_claim("iat")
        .issuer("https://elsewhere.example/")
        .not_before(100)
        .typ("at+jwt")
        .kid("nobody")
        .header("crit", json!(["exp"]))
        .header("jku", "https://evil.example/jwks")
        .sign();
    let header = segment(&token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["kid"], "nobody");
    assert_eq!(header["crit"], json!(["exp"]));
    assert_eq!(header["jku"], "https://evil.example/jwks");
    let claims = segment(&token, 1);
    assert_eq!(claims["aud"], json!(["a"]));
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "read write");
    assert_eq!(claims["scp"], json!(["x", "y"]));
    assert_eq!(claims["roles"], json!(["admin"]));
    assert_eq!(claims["iss"], "https://elsewhere.example/");
    assert_eq!(claims["nbf"], 100);
    assert!(claims.get("iat").is_none());

    let bare = issuer
        .token()
        .no_kid()
        .no_typ()
        .without_header("alg")
        .sign();
    assert_eq!(segment(&bare, 0), json!({}));
}

#[test]
fn expired_and_not_yet_valid_tokens_fail_validation() {
    let issuer = TestIssuer::start().unwrap();
    let expired = issuer.token().audience("api").expired().sign();
    assert_eq!(
        verify(&issuer, &expired, Alg::RS256).unwrap_err(),
        Refused::Expired
    );
    let early = issuer.token().audience("api").not_yet_valid().sign();
    assert_eq!(
        verify(&issuer, &early, Alg::RS256).unwrap_err(),
        Refused::NotYetValid
    );
    let soon = segment(
        &issuer.token().expires_in(Duration::from_secs(60)).sign(),
        1,
    );
    assert_eq!(
        soon["exp"].as_i64().unwrap() - soon["iat"].as_i64().unwrap(),
        60
    );
}

#[test]
fn a_foreign_key_keeps_the_kid_and_breaks_the_signature() {
    let issuer = issuer_with_every_key();
    for alg in [
        Alg::RS256,
        Alg::PS512,
        Alg::ES256,
        Alg::ES384,
        Alg::ES512,
        Alg::EdDSA,
    ] {
        let token = issuer.token().audience("api").alg(alg).foreign_key().sign();
        assert_eq!(segment(&token, 0)["kid"], issuer.kid(alg));
        assert_eq!(
            verify(&issuer, &token, alg).unwrap_err(),
            Refused::Signature,
            "{alg:?}"
        );
    }
}

#[tokio::test]
async fn a_p521_key_is_held_on_request_published_rotated_and_signs_es512() {
    let issuer = issuer_with_every_key();
    let jwks = get_json(&issuer.jwks_url()).await;
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|jwk| jwk["alg"].as_str().unwrap())
        .collect();
    assert_eq!(algs, ["RS256", "ES256", "ES384", "ES512", "EdDSA"]);
    let discovery = get_json(&issuer.discovery_url()).await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(algs)
    );

    let token = issuer.token().audience("api").alg(Alg::ES512).sign();
    let header = segment(&token, 0);
    assert_eq!(header["alg"], "ES512");
    assert!(header["kid"].as_str().unwrap().starts_with("p521-"));
    let signature = URL_SAFE_NO_PAD
        .decode(token.rsplit_once('.').unwrap().1)
        .unwrap();
    assert_eq!(signature.len(), 132, "r || s, 66 bytes each");
    verify(&issuer, &token, Alg::ES512).unwrap();
    let jwk = find(&jwks, &issuer.kid(Alg::ES512)).unwrap();
    assert!(!signature_verifies(jwk, Alg::ES384, &token), "ES512 only");

    let before = issuer.kids();
    issuer.rotate().unwrap();
    let after = issuer.kids();
    assert_eq!(after.len(), 5);
    assert!(after.iter().all(|kid| !before.contains(kid)));
    let rotated = issuer.token().audience("api").alg(Alg::ES512).sign();
    assert_ne!(segment(&rotated, 0)["kid"], header["kid"]);
    verify(&issuer, &rotated, Alg::ES512).unwrap();
}

#[test]
fn without_a_p521_key_an_es512_token_is_an_error_that_says_how_to_get_one() {
    let issuer = TestIssuer::start().unwrap();
    assert_eq!(issuer.kids().len(), 4);
    assert_eq!(issuer.kid(Alg::ES512), "");
    let discovery_algs = Layout::generic(issuer.issuer(), None, keys::KINDS).discovery
        ["id_token_signing_alg_values_supported"]
        .clone();
    assert_eq!(discovery_algs, json!(["RS256", "ES256", "ES384", "EdDSA"]));
    for error in [
        issuer.token().alg(Alg::ES512).try_sign().unwrap_err(),
        issuer
            .token()
            .alg(Alg::ES512)
            .foreign_key()
            .try_sign()
            .unwrap_err(),
        issuer.sign_input(Alg::ES512, "e30.e30").unwrap_err(),
    ] {
        let message = error.to_string();
        assert!(
            message.contains("ES512 needs a P-521 key")
                && message.contains("TestIssuer::builder().p521_key(true)"),
            "{message}"
        );
    }
    // The other algorithms are untouched.
    issuer.token().alg(Alg::ES384).try_sign().unwrap();
}

#[test]
fn unsigned_tokens_say_alg_none_and_have_an_empty_signature() {
    let issuer = TestIssuer::start().unwrap();
    let token = issuer.token().unsigned();
    assert!(token.ends_with('.'));
    assert_eq!(segment(&token, 0)["alg"], "none");
    let forged = issuer.token().header("alg", "HS256").unsigned();
    assert_eq!(segment(&forged, 0)["alg"], "HS256");
}

#[tokio::test]
async fn rotation_replaces_every_kid_and_new_tokens_use_the_new_keys() {
    let issuer = TestIssuer::start().unwrap();
    let before = issuer.kids();
    let old_token = issuer.token().audience("api").sign();
    issuer.rotate().unwrap();
    let after = issuer.kids();
    assert_eq!(after.len(), 4);
    assert!(after.iter().all(|kid| !before.contains(kid)));
    let served = get_json(&issuer.jwks_url()).await;
    assert!(before.iter().all(|kid| find(&served, kid).is_none()));
    let new_token = issuer.token().audience("api").sign();
    assert_eq!(segment(&new_token, 0)["kid"], issuer.kid(Alg::RS256));
    verify(&issuer, &new_token, Alg::RS256).unwrap();
    assert!(find(&served, segment(&old_token, 0)["kid"].as_str().unwrap()).is_none());
}

#[test]
fn rotation_keeping_old_keys_publishes_both_until_told_otherwise() {
    let issuer = TestIssuer::start().unwrap();
    let old_token = issuer.token().audience("api").sign();
    let before = issuer.kids();
    issuer.rotate_keeping_old().unwrap();
    assert_eq!(issuer.kids().len(), 8);
    verify(&issuer, &old_token, Alg::RS256).unwrap();
    issuer.remove_old_keys();
    let after = issuer.kids();
    assert_eq!(after.len(), 4);
    assert!(after.iter().all(|kid| !before.contains(kid)));
}

#[tokio::test]
async fn discovery_announces_the_issuer_and_its_jwks_uri() {
    let issuer = TestIssuer::start().unwrap();
    let discovery = get_json(&issuer.discovery_url()).await;
    assert_eq!(discovery["issuer"], issuer.issuer());
    assert_eq!(discovery["issuer"], issuer.url());
    assert_eq!(discovery["jwks_uri"], issuer.jwks_url());
    let jwks = get_json(discovery["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn an_impersonating_issuer_redirects_fetches_while_it_lives() {
    let issuer = TestIssuer::start_as("https://impersonated.example.com/").unwrap();
    assert_eq!(issuer.issuer(), "https://impersonated.example.com/");
    let discovery_url =
        FetchRoute::lookup("https://impersonated.example.com/.well-known/openid-configuration")
            .unwrap();
    assert_eq!(discovery_url, issuer.discovery_url());
    let discovery = get_json(&discovery_url).await;
    assert_eq!(discovery["issuer"], "https://impersonated.example.com/");
    assert_eq!(
        discovery["jwks_uri"],
        "https://impersonated.example.com/jwks"
    );
    let jwks_url = FetchRoute::lookup(discovery["jwks_uri"].as_str().unwrap()).unwrap();
    assert_eq!(
        get_json(&jwks_url).await["keys"].as_array().unwrap().len(),
        4
    );
    let fallback =
        FetchRoute::lookup("https://impersonated.example.com/.well-known/jwks.json").unwrap();
    assert_eq!(get(&fallback).await.status, 200);
    assert_eq!(segment(&issuer.token().sign(), 1)["iss"], issuer.issuer());
    drop(issuer);
    assert_eq!(
        FetchRoute::lookup("https://impersonated.example.com/jwks"),
        None
    );
}

#[tokio::test]
async fn answers_can_fail_and_come_back() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_answer(Answer::Status(500));
    assert_eq!(get(&issuer.discovery_url()).await.status, 500);
    assert_eq!(get(&issuer.jwks_url()).await.status, 500);

    issuer.set_answer(Answer::Garbage);
    let garbage = get(&issuer.jwks_url()).await;
    assert_eq!(garbage.status, 200);
    assert!(serde_json::from_str::<Value>(&garbage.body).is_err());

    issuer.set_jwks_answer(Answer::Body(r#"{"keys":[{"kty":"oct","k":"AA"}]}"#.into()));
    issuer.set_discovery_answer(Answer::Status(404));
    assert_eq!(
        get(&issuer.jwks_url()).await.body,
        r#"{"keys":[{"kty":"oct","k":"AA"}]}"#
    );
    assert_eq!(get(&issuer.discovery_url()).await.status, 404);

    for invalid in [0, 100, 1000] {
        issuer.set_answer(Answer::Status(invalid));
        assert_eq!(get(&issuer.jwks_url()).await.status, 500);
    }

    issuer.set_answer(Answer::Normal);
    assert_eq!(get(&issuer.discovery_url()).await.status, 200);
    assert_eq!(get(&issuer.jwks_url()).await.body, issuer.jwks());
}

#[tokio::test]
async fn discovery_can_be_unpublished_at_start() {
    let issuer = TestIssuer::builder().discovery(false).start().unwrap();
    assert_eq!(get(&issuer.discovery_url()).await.status, 404);
    assert_eq!(
        get(&format!("{}/.well-known/jwks.json", issuer.url()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_hanging_endpoint_answers_once_released_and_others_are_served_meanwhile() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_jwks_answer(Answer::Hang);
    let url = issuer.jwks_url();
    let hung = tokio::spawn(async move { get(&url).await });
    assert_eq!(jwks_requests_reach(&issuer, 1).await, 1);
    let waited = tokio::time::timeout(Duration::from_millis(300), get(&issuer.jwks_url())).await;
    assert!(waited.is_err(), "a hanging endpoint answered");
    assert_eq!(get(&issuer.discovery_url()).await.status, 200);
    assert_eq!(jwks_requests_reach(&issuer, 2).await, 2);
    issuer.set_jwks_answer(Answer::Normal);
    let released = tokio::time::timeout(Duration::from_secs(30), hung)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(released.status, 200);
}

/// The issuer's count of key set requests once it reaches `count`, or after 30 s: on a loaded
/// machine a request sent may reach the server late (what is tested is the answers, not their
/// speed).
async fn jwks_requests_reach(issuer: &TestIssuer, count: u64) -> u64 {
    for _ in 0..600 {
        if issuer.jwks_requests() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    issuer.jwks_requests()
}

#[tokio::test]
async fn a_delayed_endpoint_answers_late() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_jwks_answer(Answer::Delay(Duration::from_millis(200)));
    let started = std::time::Instant::now();
    assert_eq!(get(&issuer.jwks_url()).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test(flavor = "current_thread")]
async fn the_server_answers_while_the_tests_runtime_is_blocked() {
    let issuer = TestIssuer::start().unwrap();
    let (status, body) = blocking_get(&issuer, "/jwks");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, issuer.jwks());
}

#[test]
fn counters_count_each_endpoint_and_every_request() {
    let issuer = TestIssuer::start().unwrap();
    blocking_get(&issuer, "/.well-known/openid-configuration");
    blocking_get(&issuer, "/jwks");
    blocking_get(&issuer, "/keys");
    let (status, _) = blocking_get(&issuer, "/nothing-here");
    assert_eq!(status, "HTTP/1.1 404 Not Found");
    assert_eq!(issuer.discovery_requests(), 1);
    assert_eq!(issuer.jwks_requests(), 2);
    assert_eq!(issuer.requests(), 4);
    issuer.reset_counters();
    assert_eq!(
        (
            issuer.discovery_requests(),
            issuer.jwks_requests(),
            issuer.requests()
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn cache_control_defaults_to_five_minutes_and_can_change() {
    let issuer = TestIssuer::start().unwrap();
    assert_eq!(
        get(&issuer.jwks_url()).await.cache_control.as_deref(),
        Some("max-age=300")
    );
    assert_eq!(
        get(&issuer.discovery_url()).await.cache_control.as_deref(),
        Some("max-age=300")
    );
    issuer.set_max_age(5);
    assert_eq!(
        get(&issuer.jwks_url()).await.cache_control.as_deref(),
        Some("max-age=5")
    );
    issuer.set_cache_control("no-store");
    assert_eq!(
        get(&issuer.jwks_url()).await.cache_control.as_deref(),
        Some("no-store")
    );
    issuer.remove_cache_control();
    assert_eq!(get(&issuer.jwks_url()).await.cache_control, None);

    let quiet = TestIssuer::builder().no_cache_control().start().unwrap();
    assert_eq!(get(&quiet.jwks_url()).await.cache_control, None);
    let brief = TestIssuer::builder().max_age(1).start().unwrap();
    assert_eq!(
        get(&brief.jwks_url()).await.cache_control.as_deref(),
        Some("max-age=1")
    );
}

#[tokio::test]
async fn jwks_can_be_published_without_alg() {
    let issuer = TestIssuer::builder().publish_alg(false).start().unwrap();
    let jwks = get_json(&issuer.jwks_url()).await;
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|jwk| jwk.get("alg").is_none())
    );
    issuer.set_publish_alg(true);
    let jwks = get_json(&issuer.jwks_url()).await;
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|jwk| jwk["alg"].is_string())
    );
}

#[tokio::test]
async fn a_custom_jwks_uri_is_announced() {
    let issuer = TestIssuer::builder()
        .jwks_uri("https://keys.example.net/certs")
        .start()
        .unwrap();
    let discovery = get_json(&issuer.discovery_url()).await;
    assert_eq!(discovery["jwks_uri"], "https://keys.example.net/certs");
}

#[test]
fn dropping_the_issuer_stops_its_server() {
    let issuer = TestIssuer::start().unwrap();
    let addr = issuer.addr();
    drop(issuer);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn dropping_the_issuer_does_not_wait_for_hanging_requests() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_answer(Answer::Hang);
    let mut stream = std::net::TcpStream::connect(issuer.addr()).unwrap();
    write!(stream, "GET /jwks HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    while issuer.jwks_requests() == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(issuer);
    let mut rest = Vec::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(stream.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn an_issuer_can_live_in_a_static() {
    fn assert_shareable<T: Send + Sync + 'static>() {}
    assert_shareable::<TestIssuer>();
    assert_shareable::<TokenBuilder>();
    static SHARED: std::sync::LazyLock<TestIssuer> =
        std::sync::LazyLock::new(|| TestIssuer::start().unwrap());
    let token = SHARED.token().audience("api").sign();
    verify(&SHARED, &token, Alg::RS256).unwrap();
}

#[tokio::test]
async fn normal_answers_carry_a_strong_etag_and_a_last_modified_date() {
    let issuer = TestIssuer::start().unwrap();
    let jwks = get(&issuer.jwks_url()).await;
    let discovery = get(&issuer.discovery_url()).await;
    for got in [&jwks, &discovery] {
        let etag = got.header("etag").unwrap();
        assert!(etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'));
        let last_modified = got.header("last-modified").unwrap();
        assert!(last_modified.ends_with(" GMT"), "{last_modified}");
        let seconds = conditional::parse_http_date(last_modified).unwrap();
        assert!((conditional::now() - seconds).abs() <= 5, "{last_modified}");
    }
    assert_ne!(jwks.header("etag"), discovery.header("etag"));
    for path in ["/.well-known/jwks.json", "/keys"] {
        let other = get(&format!("{}{path}", issuer.url())).await;
        assert_eq!(other.header("etag"), jwks.header("etag"), "{path}");
    }
}

#[tokio::test]
async fn a_matching_if_none_match_is_answered_304_with_etag_and_cache_control_and_no_body() {
    let issuer = TestIssuer::start().unwrap();
    for url in [issuer.jwks_url(), issuer.discovery_url()] {
        let etag = get(&url).await.header("etag").unwrap().to_owned();
        let weak = format!("W/{etag}");
        let listed = format!("\"other\", {etag}");
        for matching in [etag.as_str(), &weak, &listed, "*"] {
            let got = get_with(&url, &[("if-none-match", matching)]).await;
            assert_eq!(got.status, 304, "{url}: {matching}");
            assert_eq!(got.header("etag"), Some(etag.as_str()));
            assert_eq!(got.cache_control.as_deref(), Some("max-age=300"));
            assert_eq!(got.body, "");
        }
        let other = get_with(&url, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(other.status, 200);
        assert_eq!(other.header("etag"), Some(etag.as_str()));
    }
}

#[tokio::test]
async fn rotation_changes_the_etag_and_an_old_etag_gets_the_new_keys() {
    let issuer = TestIssuer::start().unwrap();
    let old = get(&issuer.jwks_url())
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    issuer.rotate().unwrap();
    let got = get_with(&issuer.jwks_url(), &[("if-none-match", &old)]).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, issuer.jwks());
    let new = got.header("etag").unwrap().to_owned();
    assert_ne!(new, old);
    let again = get_with(&issuer.jwks_url(), &[("if-none-match", &new)]).await;
    assert_eq!(again.status, 304);

    issuer.set_publish_alg(false);
    let without_alg = get(&issuer.jwks_url()).await;
    assert_ne!(without_alg.header("etag"), Some(new.as_str()));
    issuer.set_max_age(5);
    let shorter = get(&issuer.jwks_url()).await;
    assert_eq!(shorter.header("etag"), without_alg.header("etag"));
}

#[tokio::test]
async fn if_modified_since_not_before_last_modified_is_answered_304() {
    let issuer = TestIssuer::start().unwrap();
    let url = issuer.jwks_url();
    let last_modified = get(&url).await.header("last-modified").unwrap().to_owned();
    let seconds = conditional::parse_http_date(&last_modified).unwrap();
    let later = conditional::format_http_date(seconds + 3600);
    let earlier = conditional::format_http_date(seconds - 1);
    for (since, status) in [
        (last_modified.as_str(), 304),
        (&later, 304),
        (&earlier, 200),
        ("not a date", 200),
    ] {
        let got = get_with(&url, &[("if-modified-since", since)]).await;
        assert_eq!(got.status, status, "If-Modified-Since: {since}");
    }
    // If-None-Match, when present, decides alone.
    let both = [
        ("if-none-match", "\"other\""),
        ("if-modified-since", &later),
    ];
    assert_eq!(get_with(&url, &both).await.status, 200);

    issuer.rotate().unwrap();
    let rotated = get_with(&url, &[("if-modified-since", &last_modified)]).await;
    assert_eq!(rotated.status, 200, "the rotated JWKS has a later date");
    assert_ne!(
        rotated.header("last-modified"),
        Some(last_modified.as_str())
    );
}

#[tokio::test]
async fn without_validators_there_is_no_etag_no_last_modified_and_never_a_304() {
    let issuer = TestIssuer::builder().validators(false).start().unwrap();
    let url = issuer.jwks_url();
    let far_future = conditional::format_http_date(conditional::now() + 86_400);
    for conditions in [
        &[][..],
        &[("if-none-match", "*")],
        &[("if-modified-since", far_future.as_str())],
    ] {
        let got = get_with(&url, conditions).await;
        assert_eq!(got.status, 200, "{conditions:?}");
        assert_eq!(got.header("etag"), None);
        assert_eq!(got.header("last-modified"), None);
    }
    assert_eq!(issuer.not_modified_responses(), 0);

    issuer.set_validators(true);
    let etag = get(&url).await.header("etag").unwrap().to_owned();
    assert_eq!(
        get_with(&url, &[("if-none-match", &etag)]).await.status,
        304
    );
    issuer.set_validators(false);
    assert_eq!(
        get_with(&url, &[("if-none-match", &etag)]).await.status,
        200
    );
}

#[tokio::test]
async fn only_normal_answers_carry_validators_and_delayed_ones_still_do() {
    let issuer = TestIssuer::start().unwrap();
    let url = issuer.jwks_url();
    issuer.set_jwks_answer(Answer::Body(issuer.jwks()));
    let body = get_with(&url, &[("if-none-match", "*")]).await;
    assert_eq!(body.status, 200);
    assert_eq!(body.header("etag"), None);
    issuer.set_jwks_answer(Answer::Status(503));
    assert_eq!(get_with(&url, &[("if-none-match", "*")]).await.status, 503);
    issuer.set_jwks_answer(Answer::Delay(Duration::from_millis(50)));
    assert_eq!(get_with(&url, &[("if-none-match", "*")]).await.status, 304);
}

#[tokio::test]
async fn a_redirect_answers_302_with_its_location_and_no_body() {
    let issuer = TestIssuer::start().unwrap();
    let target = TestIssuer::start().unwrap();
    issuer.set_jwks_answer(Answer::Redirect(target.jwks_url()));
    let got = get(&issuer.jwks_url()).await;
    assert_eq!(got.status, 302);
    assert_eq!(got.header("location"), Some(target.jwks_url().as_str()));
    assert_eq!(got.body, "");
    // A client that follows it gets the other issuer's keys.
    let followed = reqwest::get(issuer.jwks_url()).await.unwrap();
    assert_eq!(followed.text().await.unwrap(), target.jwks());
    assert_eq!(target.jwks_requests(), 1);

    issuer.set_discovery_answer(Answer::Redirect("/keys".into()));
    let relative = get(&issuer.discovery_url()).await;
    assert_eq!(relative.status, 302);
    assert_eq!(relative.header("location"), Some("/keys"));
    issuer.set_answer(Answer::Redirect("http://bad\nheader".into()));
    assert_eq!(get(&issuer.jwks_url()).await.status, 500);
}

#[tokio::test]
async fn an_html_answer_is_an_error_page_with_its_status() {
    let issuer = TestIssuer::start().unwrap();
    issuer.set_jwks_answer(Answer::Html(502));
    let got = get(&issuer.jwks_url()).await;
    assert_eq!(got.status, 502);
    assert_eq!(got.header("content-type"), Some("text/html"));
    assert!(got.body.starts_with("<html>"), "{}", got.body);
    assert!(got.body.contains("502 Bad Gateway"), "{}", got.body);
    assert!(serde_json::from_str::<Value>(&got.body).is_err());

    issuer.set_discovery_answer(Answer::Html(200));
    let portal = get(&issuer.discovery_url()).await;
    assert_eq!(portal.status, 200);
    assert_eq!(portal.header("content-type"), Some("text/html"));
    issuer.set_answer(Answer::Html(99));
    assert_eq!(get(&issuer.jwks_url()).await.status, 500);
}

#[tokio::test]
async fn counters_count_conditional_requests_and_304s() {
    let issuer = TestIssuer::start().unwrap();
    let url = issuer.jwks_url();
    let etag = get(&url).await.header("etag").unwrap().to_owned();
    get_with(&url, &[("if-none-match", &etag)]).await;
    get_with(&url, &[("if-none-match", "\"other\"")]).await;
    get_with(&issuer.discovery_url(), &[("if-none-match", "*")]).await;
    let since = conditional::format_http_date(conditional::now() + 60);
    get_with(&url, &[("if-modified-since", &since)]).await;
    issuer.set_jwks_answer(Answer::Status(500));
    get_with(&url, &[("if-none-match", &etag)]).await;
    assert_eq!(issuer.conditional_requests(), 5);
    assert_eq!(issuer.not_modified_responses(), 3);
    assert_eq!(issuer.requests(), 6);
    issuer.reset_counters();
    assert_eq!(
        (
            issuer.conditional_requests(),
            issuer.not_modified_responses()
        ),
        (0, 0)
    );
}

// ----- provider presets -----

/// Presets impersonate fixed issuer strings (and Entra ID's common endpoints): their tests run
/// one at a time, so that every fetch reaches the issuer the test started.
static PRESETS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A preset's issuer, its discovery document and the header and claims of its default token.
struct Preset {
    issuer: TestIssuer,
    discovery: Value,
    header: Value,
    claims: Value,
}

/// Starts `provider`'s preset and checks what every preset does: it impersonates the provider's
/// issuer, whose discovery document names that issuer and `jwks_uri`; that URL reaches this
/// issuer's JWKS; the default token carries the issuer and its signature verifies with the JWK
/// fetched there.
async fn preset(provider: Provider, jwks_uri: &str) -> Preset {
    let issuer = TestIssuer::like(provider).unwrap();
    assert_eq!(issuer.issuer(), provider.issuer());
    assert_eq!(issuer.provider(), Some(provider));
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        provider.issuer().trim_end_matches('/')
    );
    let local = FetchRoute::lookup(&discovery_url).unwrap();
    assert_eq!(local, issuer.discovery_url(), "{provider:?}");
    let discovery = get_json(&local).await;
    assert_eq!(discovery["issuer"], provider.issuer(), "{provider:?}");
    assert_eq!(discovery["jwks_uri"], jwks_uri, "{provider:?}");
    assert!(discovery["response_types_supported"].is_array());
    assert!(discovery["subject_types_supported"].is_array());
    assert!(discovery["id_token_signing_alg_values_supported"].is_array());
    let jwks_url = FetchRoute::lookup(jwks_uri).unwrap();
    assert!(jwks_url.starts_with(issuer.url()), "{jwks_url}");
    let jwks = get_json(&jwks_url).await;
    let token = issuer.token().sign();
    let header = segment(&token, 0);
    let jwk = find(&jwks, header["kid"].as_str().unwrap()).unwrap();
    assert!(
        signature_verifies(jwk, Alg::RS256, &token),
        "{provider:?}: the signature"
    );
    let claims = segment(&token, 1);
    assert_eq!(claims["iss"], provider.issuer());
    assert!(claims["iat"].is_i64() && claims["exp"].is_i64());
    assert!(claims["sub"].is_string());
    Preset {
        issuer,
        discovery,
        header,
        claims,
    }
}

/// Whether `value` is a string of the form of a UUID.
fn is_uuid(value: &Value) -> bool {
    value.as_str().is_some_and(|text| {
        let groups: Vec<usize> = text.split('-').map(str::len).collect();
        groups == [8, 4, 4, 4, 12] && text.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
    })
}

/// What a member of a preset's discovery document, token header or claims must be.
enum Is {
    Exactly(Value),
    Absent,
    /// A string of the form of a UUID.
    Uuid,
    Integer,
    Text,
    Array,
    StartsWith(&'static str),
    EndsWith(&'static str),
    /// A string of ASCII digits.
    Digits,
    /// An array holding this value.
    Holding(Value),
    /// A space-separated string with this word.
    Word(&'static str),
}

impl Is {
    #[track_caller]
    fn check(&self, value: Option<&Value>, what: &str) {
        let text = value.and_then(Value::as_str);
        let holds = match self {
            Is::Exactly(expected) => value == Some(expected),
            Is::Absent => value.is_none(),
            Is::Uuid => value.is_some_and(is_uuid),
            Is::Integer => value.is_some_and(Value::is_i64),
            Is::Text => text.is_some(),
            Is::Array => value.is_some_and(Value::is_array),
            Is::StartsWith(prefix) => text.is_some_and(|text| text.starts_with(prefix)),
            Is::EndsWith(suffix) => text.is_some_and(|text| text.ends_with(suffix)),
            Is::Digits => {
                text.is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            }
            Is::Holding(item) => value
                .and_then(Value::as_array)
                .is_some_and(|a| a.contains(item)),
            Is::Word(word) => text.is_some_and(|text| text.split(' ').any(|w| w == *word)),
        };
        assert!(holds, "{what}: {value:?}");
    }
}

/// One preset: what it is said to mint, its provider, the `jwks_uri` its discovery document
/// names, and the members its document, token header and token claims must have (JSON
/// pointers).
struct PresetRow {
    mints: &'static str,
    provider: Provider,
    jwks_uri: String,
    discovery: Vec<(&'static str, Is)>,
    header: Vec<(&'static str, Is)>,
    claims: Vec<(&'static str, Is)>,
}

/// Every preset, as data.
#[rustfmt::skip]
fn preset_rows() -> Vec<PresetRow> {
    use Is::*;
    let tenant = ENTRA_TENANT_ID;
    let jwt = || vec![("/typ", Exactly(json!("JWT")))];
    let no_typ = || vec![("/typ", Absent)];
    vec![
        PresetRow {
            mints: "Cognito access tokens with client_id, token_use and no aud",
            provider: Provider::Cognito,
            jwks_uri: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json".into(),
            discovery: vec![
                ("/userinfo_endpoint", Exactly(json!("https://example.auth.eu-west-1.amazoncognito.com/oauth2/userInfo"))),
                ("/scopes_supported", Exactly(json!(["openid", "email", "phone", "profile"]))),
            ],
            header: no_typ(),
            claims: vec![
                ("/aud", Absent),
                ("/client_id", Exactly(json!("1example23456789"))),
                ("/token_use", Exactly(json!("access"))),
                ("/scope", Word("aws.cognito.signin.user.admin")),
                ("/username", Exactly(json!("alice"))),
                ("/version", Exactly(json!(2))),
                ("/auth_time", Integer),
                ("/jti", Uuid),
                ("/event_id", Uuid),
                ("/sub", Uuid),
                ("/cognito:groups", Exactly(json!(["admin"]))),
            ],
        },
        PresetRow {
            mints: "Entra ID v1 tokens with the sts.windows.net issuer",
            provider: Provider::EntraV1,
            jwks_uri: format!("https://login.microsoftonline.com/{tenant}/discovery/keys"),
            discovery: vec![(
                "/userinfo_endpoint",
                Exactly(json!(format!("https://login.microsoftonline.com/{tenant}/openid/userinfo"))),
            )],
            header: jwt(),
            claims: vec![
                ("/iss", Exactly(json!(format!("https://sts.windows.net/{tenant}/")))),
                ("/aud", Exactly(json!("api://00001111-aaaa-2222-bbbb-3333cccc4444"))),
                ("/tid", Exactly(json!(tenant))),
                ("/ver", Exactly(json!("1.0"))),
                ("/appid", Exactly(json!("11112222-bbbb-3333-cccc-4444dddd5555"))),
                ("/scp", Exactly(json!("Orders.Read"))),
                ("/oid", Uuid),
                ("/upn", Exactly(json!("alice@example.com"))),
                ("/amr", Exactly(json!(["pwd"]))),
                ("/azp", Absent),
            ],
        },
        PresetRow {
            mints: "Entra ID v2 tokens of its tenant",
            provider: Provider::EntraV2,
            jwks_uri: format!("https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys"),
            discovery: vec![(
                "/token_endpoint",
                Exactly(json!(format!("https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"))),
            )],
            header: jwt(),
            claims: vec![
                ("/iss", Exactly(json!(format!("https://login.microsoftonline.com/{tenant}/v2.0")))),
                ("/aud", Exactly(json!("00001111-aaaa-2222-bbbb-3333cccc4444"))),
                ("/tid", Exactly(json!(tenant))),
                ("/ver", Exactly(json!("2.0"))),
                ("/scp", Exactly(json!("Orders.Read"))),
                ("/azp", Exactly(json!("11112222-bbbb-3333-cccc-4444dddd5555"))),
                ("/azpacr", Exactly(json!("0"))),
                ("/oid", Uuid),
                ("/preferred_username", Exactly(json!("alice@example.com"))),
                ("/nbf", Integer),
                ("/appid", Absent),
            ],
        },
        PresetRow {
            mints: "Auth0 tokens with an aud array naming the userinfo endpoint",
            provider: Provider::Auth0,
            jwks_uri: "https://example.eu.auth0.com/.well-known/jwks.json".into(),
            discovery: vec![
                ("/userinfo_endpoint", Exactly(json!("https://example.eu.auth0.com/userinfo"))),
                ("/token_endpoint", Exactly(json!("https://example.eu.auth0.com/oauth/token"))),
            ],
            header: jwt(),
            claims: vec![
                ("/aud", Exactly(json!(["https://api.example.com", "https://example.eu.auth0.com/userinfo"]))),
                ("/azp", Text),
                ("/scope", Exactly(json!("openid profile email read:orders"))),
                ("/permissions", Exactly(json!(["read:orders"]))),
                ("/sub", StartsWith("auth0|")),
            ],
        },
        PresetRow {
            mints: "Okta tokens with an scp array and a numeric ver",
            provider: Provider::Okta,
            jwks_uri: "https://example.okta.com/oauth2/default/v1/keys".into(),
            discovery: vec![(
                "/introspection_endpoint",
                Exactly(json!("https://example.okta.com/oauth2/default/v1/introspect")),
            )],
            header: no_typ(),
            claims: vec![
                ("/aud", Exactly(json!("api://default"))),
                ("/cid", Text),
                ("/uid", Text),
                ("/scp", Exactly(json!(["openid", "profile", "orders:read"]))),
                ("/scope", Absent),
                ("/ver", Exactly(json!(1))),
                ("/jti", StartsWith("AT.")),
                ("/sub", Exactly(json!("alice@example.com"))),
            ],
        },
        PresetRow {
            mints: "Keycloak tokens for the account audience with realm roles",
            provider: Provider::Keycloak,
            jwks_uri: "https://login.example.com/realms/shop/protocol/openid-connect/certs".into(),
            discovery: vec![(
                "/token_endpoint",
                Exactly(json!("https://login.example.com/realms/shop/protocol/openid-connect/token")),
            )],
            header: jwt(),
            claims: vec![
                ("/aud", Exactly(json!("account"))),
                ("/azp", Exactly(json!("shop-frontend"))),
                ("/typ", Exactly(json!("Bearer"))),
                ("/realm_access/roles", Holding(json!("offline_access"))),
                ("/resource_access/account/roles", Array),
                ("/scope", Exactly(json!("openid email profile"))),
                ("/preferred_username", Exactly(json!("alice"))),
                ("/sid", Uuid),
                ("/sub", Uuid),
                ("/email_verified", Exactly(json!(true))),
            ],
        },
        PresetRow {
            mints: "Spring Authorization Server tokens whose scope is an array",
            provider: Provider::Spring,
            jwks_uri: "https://auth.example.com/oauth2/jwks".into(),
            discovery: vec![
                ("/token_endpoint", Exactly(json!("https://auth.example.com/oauth2/token"))),
                ("/issuer", Exactly(json!("https://auth.example.com"))),
            ],
            header: no_typ(),
            claims: vec![
                ("/aud", Exactly(json!("orders-client"))),
                ("/scope", Exactly(json!(["openid", "orders.read"]))),
                ("/nbf", Integer),
                ("/jti", Uuid),
            ],
        },
        PresetRow {
            mints: "Google ID tokens for a Google client id with a verified email",
            provider: Provider::Google,
            jwks_uri: "https://accounts.google.com/oauth2/v3/certs".into(),
            discovery: vec![("/token_endpoint", Exactly(json!("https://oauth2.googleapis.com/token")))],
            header: jwt(),
            claims: vec![
                ("/aud", EndsWith(".apps.googleusercontent.com")),
                ("/email", Exactly(json!("alice@example.com"))),
                ("/email_verified", Exactly(json!(true))),
                ("/sub", Digits),
            ],
        },
        PresetRow {
            mints: "Zuplo identity tokens naming account and project",
            provider: Provider::Zuplo,
            jwks_uri: "https://dev.zuplo.com/v1/client-auth/auth_o8PUdhKxSTOiB794GWPwLQCD/.well-known/jwks.json".into(),
            discovery: vec![],
            header: vec![("/alg", Exactly(json!("RS256")))],
            claims: vec![
                ("/aud", Exactly(json!("https://my-api.example.com"))),
                ("/sub", StartsWith("atcl_")),
                ("/account", Exactly(json!("my-account"))),
                ("/project", Exactly(json!("my-project"))),
                ("/deployment", Text),
                ("/environment_type", Exactly(json!("production"))),
            ],
        },
        PresetRow {
            mints: "AuthAction tokens for an API identifier with a scope string",
            provider: Provider::AuthAction,
            jwks_uri: "https://example.eu.authaction.com/.well-known/jwks.json".into(),
            discovery: vec![
                ("/token_endpoint", Exactly(json!("https://example.eu.authaction.com/oauth2/token"))),
                ("/userinfo_endpoint", Exactly(json!("https://example.eu.authaction.com/oauth2/user"))),
            ],
            header: jwt(),
            claims: vec![
                ("/aud", Exactly(json!("https://api.example.com"))),
                ("/scope", Exactly(json!("read:orders"))),
                ("/sub", EndsWith("@clients")),
            ],
        },
    ]
}

/// What one provider's preset does beyond its row: the tokens a few overrides away, and
/// members that depend on each other.
fn specifics(provider: Provider, preset: &Preset) {
    let Preset { issuer, claims, .. } = preset;
    match provider {
        Provider::Cognito => {
            // An ID token is a few overrides away.
            let id_token = issuer
                .token()
                .without_claim("client_id")
                .audience("1example23456789")
                .claim("token_use", "id");
            let id_token = segment(&id_token.sign(), 1);
            assert_eq!(id_token["aud"], "1example23456789");
            assert_eq!(id_token["token_use"], "id");
            assert!(id_token.get("client_id").is_none());
        }
        Provider::EntraV1 | Provider::EntraV2 => {
            assert_eq!(issuer.tenant_id(), Some(ENTRA_TENANT_ID), "{provider:?}");
        }
        Provider::Auth0 => {
            // Defaults give way to the builder's methods.
            let other_api = issuer
                .token()
                .audience("https://billing.example.com")
                .without_claim("permissions");
            let other_api = segment(&other_api.sign(), 1);
            assert_eq!(other_api["aud"], "https://billing.example.com");
            assert!(other_api.get("permissions").is_none());
        }
        Provider::Keycloak => {
            // With an audience mapper for the API.
            let roles = json!({"roles": ["orders-reader", "offline_access"]});
            let mapped = issuer
                .token()
                .audiences(["orders-api", "account"])
                .claim("realm_access", roles);
            let mapped = segment(&mapped.sign(), 1);
            assert_eq!(mapped["aud"], json!(["orders-api", "account"]));
            assert_eq!(mapped["realm_access"]["roles"][0], "orders-reader");
        }
        Provider::Google => {
            assert_eq!(claims["azp"], claims["aud"]);
            let schemeless = segment(&issuer.token().issuer("accounts.google.com").sign(), 1);
            assert_eq!(schemeless["iss"], "accounts.google.com");
        }
        Provider::Zuplo => {
            let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
            assert_eq!(lifetime, 10 * 3600);
        }
        Provider::Okta | Provider::Spring | Provider::AuthAction => {}
    }
}

#[tokio::test]
async fn every_preset_mints_tokens_and_serves_documents_shaped_like_its_provider() {
    let _one = PRESETS.lock().await;
    let rows = preset_rows();
    let providers: Vec<Provider> = rows.iter().map(|row| row.provider).collect();
    assert_eq!(providers, Provider::ALL, "one row per preset");
    for row in rows {
        let preset = preset(row.provider, &row.jwks_uri).await;
        let parts = [
            ("discovery", &preset.discovery, &row.discovery),
            ("header", &preset.header, &row.header),
            ("claims", &preset.claims, &row.claims),
        ];
        for (part, value, members) in parts {
            for (pointer, is) in members {
                is.check(
                    value.pointer(pointer),
                    &format!("{}: {part} {pointer}", row.mints),
                );
            }
        }
        specifics(row.provider, &preset);
    }
}

#[tokio::test]
async fn entra_v2_preset_serves_the_template_at_the_common_endpoint_with_the_same_keys() {
    let _one = PRESETS.lock().await;
    let issuer = TestIssuer::like(Provider::EntraV2).unwrap();
    let common = FetchRoute::lookup(
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    )
    .unwrap();
    assert_eq!(
        common,
        format!("{}/common/.well-known/openid-configuration", issuer.url())
    );
    let discovery = get_json(&common).await;
    assert_eq!(
        discovery["issuer"],
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    assert_eq!(
        discovery["jwks_uri"],
        "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    );
    assert_eq!(
        discovery["authorization_endpoint"],
        "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    );
    let keys = FetchRoute::lookup(discovery["jwks_uri"].as_str().unwrap()).unwrap();
    assert_eq!(get(&keys).await.body, issuer.jwks());
    assert_eq!(issuer.discovery_requests(), 1);
    drop(issuer);
    assert_eq!(
        FetchRoute::lookup("https://login.microsoftonline.com/common/discovery/v2.0/keys"),
        None
    );
}

#[tokio::test]
async fn entra_v1_and_v2_presets_live_together_each_answering_its_own_common_endpoint() {
    let _one = PRESETS.lock().await;
    let v1 = TestIssuer::like(Provider::EntraV1).unwrap();
    let v2 = TestIssuer::like(Provider::EntraV2).unwrap();
    let v1_common = FetchRoute::lookup(
        "https://login.microsoftonline.com/common/.well-known/openid-configuration",
    )
    .unwrap();
    assert!(v1_common.starts_with(v1.url()), "{v1_common}");
    let discovery = get_json(&v1_common).await;
    assert_eq!(discovery["issuer"], "https://sts.windows.net/{tenantid}/");
    assert_eq!(
        discovery["jwks_uri"],
        "https://login.microsoftonline.com/common/discovery/keys"
    );
    let v1_keys =
        FetchRoute::lookup("https://login.microsoftonline.com/common/discovery/keys").unwrap();
    assert_eq!(get(&v1_keys).await.body, v1.jwks());

    let v2_common = FetchRoute::lookup(
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    )
    .unwrap();
    assert!(v2_common.starts_with(v2.url()), "{v2_common}");
    let v2_keys =
        FetchRoute::lookup("https://login.microsoftonline.com/common/discovery/v2.0/keys").unwrap();
    assert_eq!(get(&v2_keys).await.body, v2.jwks());
    assert_ne!(v1.jwks(), v2.jwks());
}

#[test]
fn tenant_mints_a_token_of_another_tenant_with_iss_and_tid_that_agree() {
    let other = "bbbbcccc-1111-dddd-2222-eeee3333ffff";
    // `issuer_name`: the preset's shapes without impersonating anything.
    let v2 = TestIssuer::builder()
        .like(Provider::EntraV2)
        .issuer_name(Provider::EntraV2.issuer())
        .start()
        .unwrap();
    let claims = segment(&v2.token().tenant(other).sign(), 1);
    assert_eq!(
        claims["iss"],
        format!("https://login.microsoftonline.com/{other}/v2.0")
    );
    assert_eq!(claims["tid"], other);
    let v1 = TestIssuer::builder()
        .like(Provider::EntraV1)
        .issuer_name(Provider::EntraV1.issuer())
        .start()
        .unwrap();
    let claims = segment(&v1.token().tenant(other).sign(), 1);
    assert_eq!(claims["iss"], format!("https://sts.windows.net/{other}/"));
    assert_eq!(claims["tid"], other);

    let plain = TestIssuer::start().unwrap();
    let claims = segment(&plain.token().tenant(other).sign(), 1);
    assert_eq!(claims["iss"], plain.issuer(), "no template: iss stays");
    assert_eq!(claims["tid"], other);
    assert_eq!(plain.tenant_id(), None);
}

#[tokio::test]
async fn an_entra_preset_takes_its_tenant_from_an_issuer_of_its_shape() {
    let _one = PRESETS.lock().await;
    let tenant = "ccccdddd-2222-eeee-3333-ffff4444aaaa";
    let issuer = TestIssuer::builder()
        .like(Provider::EntraV2)
        .impersonate(format!("https://login.microsoftonline.com/{tenant}/v2.0"))
        .start()
        .unwrap();
    assert_eq!(issuer.tenant_id(), Some(tenant));
    assert_eq!(segment(&issuer.token().sign(), 1)["tid"], tenant);
    let discovery = get_json(&issuer.discovery_url()).await;
    let jwks_uri = format!("https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys");
    assert_eq!(discovery["jwks_uri"], jwks_uri);
    assert_eq!(
        get(&FetchRoute::lookup(&jwks_uri).unwrap()).await.body,
        issuer.jwks()
    );
}

#[tokio::test]
async fn a_preset_with_another_issuer_keeps_the_providers_shapes() {
    let issuer = TestIssuer::builder()
        .like(Provider::Okta)
        .impersonate("https://preset-other.okta.example/oauth2/aus1")
        .start()
        .unwrap();
    let discovery = get_json(&issuer.discovery_url()).await;
    assert_eq!(
        discovery["issuer"],
        "https://preset-other.okta.example/oauth2/aus1"
    );
    assert_eq!(
        discovery["jwks_uri"],
        "https://preset-other.okta.example/oauth2/aus1/v1/keys"
    );
    let keys = FetchRoute::lookup("https://preset-other.okta.example/oauth2/aus1/v1/keys").unwrap();
    assert_eq!(get(&keys).await.body, issuer.jwks());
    let claims = segment(&issuer.token().sign(), 1);
    assert_eq!(
        claims["iss"],
        "https://preset-other.okta.example/oauth2/aus1"
    );
    assert!(claims["scp"].is_array());
    assert_eq!(issuer.tenant_id(), None);
}

#[test]
fn every_preset_has_its_own_issuer_string() {
    let mut issuers: Vec<&str> = Provider::ALL.iter().map(|p| p.issuer()).collect();
    issuers.sort_unstable();
    issuers.dedup();
    assert_eq!(issuers.len(), Provider::ALL.len());
    assert_eq!(
        providers::tenant_in(
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            Provider::EntraV2.issuer()
        ),
        Some(ENTRA_TENANT_ID)
    );
    assert_eq!(
        providers::tenant_in(
            "https://login.microsoftonline.com/{tenantid}/v2.0",
            "https://login.microsoftonline.com/a/b/v2.0"
        ),
        None
    );
}
