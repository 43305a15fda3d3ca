//! The token's `alg` never chooses the verification: no `none`, no HMAC keyed with a public key.

use jwks_guard_test::Alg;

use super::keys::{
    ec_point, hmac_token, p256_spki, p256_spki_by_aws_lc, pem, rsa_pkcs1, rsa_spki,
    rsa_spki_by_aws_lc,
};
use super::{b64, call, claims_text, header_text, published_jwk};

/// `alg: none` (RFC 8725 §2.1, §3.1; the case-variant bypass "noNE" of RFC 8725bis §2): an
/// unsigned token, in every spelling, with and without something in the signature part.
#[tokio::test]
async fn alg_none_in_any_spelling_is_401_and_fetches_nothing() {
    let (issuer, url) = dedicated!("https://attack-alg-none.test/");
    let kid = issuer.kid(Alg::RS256);
    for spelling in ["none", "None", "NONE", "nOnE"] {
        let empty_signature = issuer
            .token()
            .audience("api")
            .header("alg", spelling)
            .unsigned();
        call(&url, &empty_signature)
            .await
            .assert_invalid_token(&format!("alg {spelling}, empty signature"));

        let header = format!(r#"{{"alg":"{spelling}","typ":"JWT","kid":"{kid}"}}"#);
        let input = format!("{}.{}", b64(&header), b64(claims_text(issuer.issuer())));
        // A real RS256 signature of the same input: a verifier that believes `alg` skips it.
        let signature = issuer.sign_input(Alg::RS256, &input).expect("signature");
        call(&url, &format!("{input}.{signature}"))
            .await
            .assert_invalid_token(&format!("alg {spelling}, signature present"));
        call(&url, &format!("{input}.{}", b64("x")))
            .await
            .assert_invalid_token(&format!("alg {spelling}, junk signature"));
    }
    assert_eq!(issuer.requests(), 0, "an unsigned token made a key fetch");
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}

/// RS256 → HS256 key confusion (CVE-2015-9235, node-jsonwebtoken; CVE-2016-10555,
/// jwt-simple; RFC 8725 §2.1, §3.1): an HMAC keyed with the issuer's own RSA public key, in
/// every form a verifier might hand its HMAC: PEM (SPKI and PKCS#1), DER (SPKI and PKCS#1),
/// the raw modulus.
#[tokio::test]
async fn hmac_keyed_with_the_issuers_rsa_public_key_is_401_and_fetches_nothing() {
    let (issuer, url) = dedicated!("https://attack-hs-rsa.test/");
    let kid = issuer.kid(Alg::RS256);
    let jwk = published_jwk(&issuer, &kid);
    let spki = rsa_spki(&jwk);
    assert_eq!(
        spki,
        rsa_spki_by_aws_lc(&jwk),
        "the hand-made SPKI is the real one"
    );
    let modulus = super::unb64(jwk["n"].as_str().expect("n"));
    let keys: [(&str, Vec<u8>); 5] = [
        ("PEM SPKI", pem("PUBLIC KEY", &spki).into_bytes()),
        (
            "PEM PKCS#1",
            pem("RSA PUBLIC KEY", &rsa_pkcs1(&jwk)).into_bytes(),
        ),
        ("DER SPKI", spki.clone()),
        ("DER PKCS#1", rsa_pkcs1(&jwk)),
        ("raw n", modulus),
    ];
    let claims = claims_text(issuer.issuer());
    for (form, key) in &keys {
        for alg in ["HS256", "HS384", "HS512"] {
            let with_kid = hmac_token(alg, key, &header_text(alg, &kid), &claims);
            call(&url, &with_kid)
                .await
                .assert_invalid_token(&format!("{alg} keyed with {form}"));
            let header = format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#);
            let without_kid = hmac_token(alg, key, &header, &claims);
            call(&url, &without_kid)
                .await
                .assert_invalid_token(&format!("{alg} keyed with {form}, no kid"));
        }
    }
    assert_eq!(issuer.requests(), 0, "an HMAC token made a key fetch");
    let valid = issuer.token().audience("api").sign();
    call(&url, &valid).await.assert_ok("the control token");
}

/// ES256 → HS256 key confusion (the CVE-2015-9235 family with an EC key; RFC 8725 §3.1): an
/// HMAC keyed with the issuer's P-256 public key as PEM, as DER, as the raw point.
#[tokio::test]
async fn hmac_keyed_with_the_issuers_ec_public_key_is_401_and_fetches_nothing() {
    let (issuer, url) = dedicated!("https://attack-hs-ec.test/");
    let (reference_spki, reference_point) = p256_spki_by_aws_lc();
    assert_eq!(
        p256_spki(&reference_point),
        reference_spki,
        "the hand-made SPKI is the real one"
    );
    let kid = issuer.kid(Alg::ES256);
    let jwk = published_jwk(&issuer, &kid);
    let point = ec_point(&jwk);
    let spki = p256_spki(&point);
    let keys: [(&str, Vec<u8>); 4] = [
        ("PEM SPKI", pem("PUBLIC KEY", &spki).into_bytes()),
        ("DER SPKI", spki.clone()),
        ("raw point", point),
        ("JWK text", jwk.to_string().into_bytes()),
    ];
    let claims = claims_text(issuer.issuer());
    for (form, key) in &keys {
        let token = hmac_token("HS256", key, &header_text("HS256", &kid), &claims);
        call(&url, &token)
            .await
            .assert_invalid_token(&format!("HS256 keyed with {form}"));
    }
    assert_eq!(issuer.requests(), 0, "an HMAC token made a key fetch");
    let valid = issuer.token().audience("api").alg(Alg::ES256).sign();
    call(&url, &valid).await.assert_ok("the control token");
}
