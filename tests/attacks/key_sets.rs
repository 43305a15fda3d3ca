//! What the provider publishes decides which keys verify: keys for encryption, keys restricted
//! to another algorithm or curve, private and symmetric keys are never used. Each set also
//! holds one valid key of another type, so the answer is 401 (no such key), not 503 (no keys).

use jwks_guard_test::{Alg, Answer, TestIssuer};
use serde_json::{Value, json};

use super::keys::{OwnKey, hmac_token};
use super::{b64, call, claims_text, header_text, published_jwk};

/// Publishes `keys` as `issuer`'s JWKS.
fn publish(issuer: &TestIssuer, keys: &[Value]) {
    issuer.set_jwks_answer(Answer::Body(json!({ "keys": keys }).to_string()));
}

/// The issuer's published JWK for `alg`, changed by `change`.
fn changed(issuer: &TestIssuer, alg: Alg, change: impl FnOnce(&mut Value)) -> Value {
    let mut jwk = published_jwk(issuer, &issuer.kid(alg));
    change(&mut jwk);
    jwk
}

/// The issuer's published JWK for `alg`, unchanged.
fn unchanged(issuer: &TestIssuer, alg: Alg) -> Value {
    published_jwk(issuer, &issuer.kid(alg))
}

/// A valid token of the issuer for `alg`.
fn token(issuer: &TestIssuer, alg: Alg) -> String {
    issuer.token().audience("api").alg(alg).sign()
}

/// The control for this area: keys the test makes itself, published as providers publish
/// them, verify the tokens the test signs with them; so the refusals below are about what the
/// set says, not about how the test signs.
#[tokio::test]
async fn keys_the_test_generates_verify_when_published_without_private_members() {
    let (issuer, url) = dedicated!("https://attack-jwks-control.test/");
    let own = [
        OwnKey::rsa("own-rsa"),
        OwnKey::p256("own-p256"),
        OwnKey::ed25519("own-ed25519"),
    ];
    let jwks: Vec<Value> = own.iter().map(OwnKey::public_jwk).collect();
    publish(&issuer, &jwks);
    for key in &own {
        call(&url, &key.token_for(issuer.issuer()))
            .await
            .assert_ok(&format!("{} signed by {}", key.alg(), key.kid()));
    }
}

/// A key published for encryption (`use: "enc"`, RFC 7517 §4.2) never verifies a signature.
#[tokio::test]
async fn a_key_published_for_encryption_never_verifies() {
    let (issuer, url) = dedicated!("https://attack-jwks-use-enc.test/");
    let enc = changed(&issuer, Alg::RS256, |jwk| jwk["use"] = json!("enc"));
    publish(&issuer, &[enc, unchanged(&issuer, Alg::ES256)]);
    call(&url, &token(&issuer, Alg::RS256))
        .await
        .assert_invalid_token("RS256 by a `use: enc` key");
    call(&url, &token(&issuer, Alg::ES256))
        .await
        .assert_ok("the control token");
}

/// A key whose `key_ops` (RFC 7517 §4.3) do not include `verify` never verifies.
#[tokio::test]
async fn a_key_whose_key_ops_lack_verify_never_verifies() {
    let (issuer, url) = dedicated!("https://attack-jwks-key-ops.test/");
    let encrypt_only = changed(&issuer, Alg::RS256, |jwk| {
        jwk["key_ops"] = json!(["encrypt"]);
        jwk.as_object_mut().expect("an object").remove("use");
    });
    publish(&issuer, &[encrypt_only, unchanged(&issuer, Alg::ES256)]);
    call(&url, &token(&issuer, Alg::RS256))
        .await
        .assert_invalid_token("RS256 by a `key_ops: [encrypt]` key");
    call(&url, &token(&issuer, Alg::ES256))
        .await
        .assert_ok("the control token");
}

/// A key's `alg` (RFC 7517 §4.4) binds it to one algorithm (RFC 8725 §3.1): an RS256 token is
/// not verified by a key published for RS512, though the RSA key could compute it.
#[tokio::test]
async fn a_key_published_for_another_algorithm_never_verifies() {
    let (issuer, url) = dedicated!("https://attack-jwks-alg.test/");
    let rs512 = changed(&issuer, Alg::RS256, |jwk| jwk["alg"] = json!("RS512"));
    publish(&issuer, &[rs512, unchanged(&issuer, Alg::ES256)]);
    call(&url, &token(&issuer, Alg::RS256))
        .await
        .assert_invalid_token("RS256 by a key published for RS512");
    call(&url, &token(&issuer, Alg::RS512))
        .await
        .assert_ok("RS512 by the key published for RS512");
}

/// A key whose curve contradicts its `alg` (RFC 7518 §3.4: ES256 is P-256; RFC 8725 §3.4):
/// the issuer's P-256 key, published with `crv: "P-384"` and `alg: "ES256"`.
#[tokio::test]
async fn a_key_whose_curve_does_not_fit_its_algorithm_never_verifies() {
    let (issuer, url) = dedicated!("https://attack-jwks-crv.test/");
    let mislabelled = changed(&issuer, Alg::ES256, |jwk| jwk["crv"] = json!("P-384"));
    assert_eq!(mislabelled["alg"], "ES256");
    publish(&issuer, &[mislabelled, unchanged(&issuer, Alg::RS256)]);
    call(&url, &token(&issuer, Alg::ES256))
        .await
        .assert_invalid_token("ES256 by a key saying P-384");
    call(&url, &token(&issuer, Alg::RS256))
        .await
        .assert_ok("the control token");
}

/// A provider publishing a private key (RFC 7517 §9.2: non-public key information must not be
/// disclosed) hands everyone the power to sign: such a key is never trusted.
async fn a_published_private_key_is_never_trusted(
    issuer: &TestIssuer,
    url: &str,
    leaked: &OwnKey,
    other: Alg,
) {
    publish(issuer, &[leaked.private_jwk(), unchanged(issuer, other)]);
    call(url, &leaked.token_for(issuer.issuer()))
        .await
        .assert_invalid_token(&format!("{} by a published private key", leaked.alg()));
    call(url, &token(issuer, other))
        .await
        .assert_ok("the control token");
}

/// RSA, published with `d`, `p`, `q`, `dp`, `dq` and `qi`.
#[tokio::test]
async fn a_published_rsa_private_key_is_never_trusted() {
    let (issuer, url) = dedicated!("https://attack-jwks-rsa-private.test/");
    let leaked = OwnKey::rsa("leaked-rsa");
    a_published_private_key_is_never_trusted(&issuer, &url, &leaked, Alg::ES256).await;
}

/// EC P-256, published with `d`.
#[tokio::test]
async fn a_published_ec_private_key_is_never_trusted() {
    let (issuer, url) = dedicated!("https://attack-jwks-ec-private.test/");
    let leaked = OwnKey::p256("leaked-p256");
    a_published_private_key_is_never_trusted(&issuer, &url, &leaked, Alg::RS256).await;
}

/// Ed25519, published with `d`.
#[tokio::test]
async fn a_published_ed25519_private_key_is_never_trusted() {
    let (issuer, url) = dedicated!("https://attack-jwks-okp-private.test/");
    let leaked = OwnKey::ed25519("leaked-ed25519");
    a_published_private_key_is_never_trusted(&issuer, &url, &leaked, Alg::RS256).await;
}

/// A symmetric key in the set (`kty: "oct"`, RFC 7518 §6.4) is a published secret (RFC 8725
/// §3.1, §3.2): an HS256 token MACed with its `k` is refused, with or without its kid.
#[tokio::test]
async fn a_published_symmetric_key_never_verifies() {
    let (issuer, url) = dedicated!("https://attack-jwks-oct.test/");
    let secret = b"a secret that is published for all to see";
    let oct = json!({"kty": "oct", "kid": "oct-1", "use": "sig", "alg": "HS256", "k": b64(secret)});
    publish(&issuer, &[oct, unchanged(&issuer, Alg::RS256)]);
    let claims = claims_text(issuer.issuer());
    let with_kid = hmac_token("HS256", secret, &header_text("HS256", "oct-1"), &claims);
    call(&url, &with_kid)
        .await
        .assert_invalid_token("HS256 with the published k");
    let without_kid = hmac_token("HS256", secret, r#"{"alg":"HS256","typ":"JWT"}"#, &claims);
    call(&url, &without_kid)
        .await
        .assert_invalid_token("HS256 with the published k, no kid");
    call(&url, &token(&issuer, Alg::RS256))
        .await
        .assert_ok("the control token");
}
