//! Signatures are checked as JWA defines them: raw fixed-length ECDSA `r || s` with both in
//! `[1, n-1]`, canonical Ed25519 `S`.

use jwks_guard_test::Alg;

use super::keys::{der_sequence, der_uint};
use super::{app, b64, call, parts, token, unb64};

/// The order n of P-256, big-endian.
const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
/// The order n of P-384, big-endian.
const P384_N: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";
/// The order n of P-521, big-endian, in the 66 bytes of a P-521 scalar.
const P521_N: &str = concat!(
    "01ff",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "fffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
);
/// The order L of the Ed25519 group, 2^252 + 27742317777372353535851937790883648493,
/// little-endian as Ed25519 encodes `S`.
const ED25519_L_LE: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).expect("hex"))
        .collect()
}

/// A valid token of `alg` whose signature is replaced by `forge(valid signature bytes)`.
fn with_signature(alg: Alg, forge: impl Fn(&[u8]) -> Vec<u8>) -> (String, String) {
    let valid = token().alg(alg).sign();
    let [header, payload, signature] = parts(&valid);
    let forged = format!("{header}.{payload}.{}", b64(forge(&unb64(signature))));
    (valid, forged)
}

const ECDSA: [(Alg, &str); 3] = [
    (Alg::ES256, P256_N),
    (Alg::ES384, P384_N),
    (Alg::ES512, P521_N),
];

/// "Psychic signatures" (CVE-2022-21449, Java 15–18 ECDSA): `r = s = 0` verifies against any
/// key and message in a verifier that does not check `0 < r, s < n`.
#[tokio::test]
async fn ecdsa_signatures_of_zeros_are_401() {
    let url = app().await;
    for (alg, _) in ECDSA {
        let (valid, forged) = with_signature(alg, |signature| vec![0; signature.len()]);
        call(&url, &forged)
            .await
            .assert_invalid_token(&format!("{alg:?} r = s = 0"));
        call(&url, &valid)
            .await
            .assert_ok(&format!("{alg:?} control token"));
    }
}

/// The other end of CVE-2022-21449's range check: `r = s = n`, which is 0 modulo n.
#[tokio::test]
async fn ecdsa_signatures_equal_to_the_curve_order_are_401() {
    let url = app().await;
    for (alg, order) in ECDSA {
        let (_, forged) = with_signature(alg, |_| [hex(order), hex(order)].concat());
        call(&url, &forged)
            .await
            .assert_invalid_token(&format!("{alg:?} r = s = n"));
    }
    call(&url, &token().alg(Alg::ES256).sign())
        .await
        .assert_ok("the control token");
}

/// ECDSA in JWS is the fixed-length `r || s` (RFC 7518 §3.4), not the DER `ECDSA-Sig-Value`:
/// accepting both gives one signature two encodings (RFC 8725 §3.4).
#[tokio::test]
async fn der_encoded_ecdsa_signatures_are_401() {
    let url = app().await;
    for (alg, _) in ECDSA {
        let (_, forged) = with_signature(alg, |signature| {
            let (r, s) = signature.split_at(signature.len() / 2);
            der_sequence(&[&der_uint(r), &der_uint(s)])
        });
        call(&url, &forged)
            .await
            .assert_invalid_token(&format!("{alg:?} DER signature"));
    }
    call(&url, &token().alg(Alg::ES256).sign())
        .await
        .assert_ok("the control token");
}

/// RFC 7518 §3.4: an ECDSA signature is exactly twice the curve's byte length; a byte short or
/// a byte long is not "close enough".
#[tokio::test]
async fn ecdsa_signatures_of_the_wrong_length_are_401() {
    let url = app().await;
    for (alg, _) in ECDSA {
        let (_, short) = with_signature(alg, |signature| signature[..signature.len() - 1].to_vec());
        call(&url, &short)
            .await
            .assert_invalid_token(&format!("{alg:?} one byte short"));
        let (_, long) = with_signature(alg, |signature| [signature, &[0]].concat());
        call(&url, &long)
            .await
            .assert_invalid_token(&format!("{alg:?} one byte long"));
        let (_, long) = with_signature(alg, |signature| [&[0], signature].concat());
        call(&url, &long)
            .await
            .assert_invalid_token(&format!("{alg:?} one leading zero byte more"));
    }
    call(&url, &token().alg(Alg::ES256).sign())
        .await
        .assert_ok("the control token");
}

/// Ed25519 malleability (RFC 8032 §5.1.7: `S` must be below L; RFC 8725 §3.4): a valid
/// signature with L added to `S` is a second encoding of the same signature.
#[tokio::test]
async fn eddsa_signatures_with_a_non_canonical_s_are_401() {
    let url = app().await;
    let (valid, forged) = with_signature(Alg::EdDSA, |signature| {
        let (r, s) = signature.split_at(32);
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for (at, (a, b)) in s.iter().zip(ED25519_L_LE).enumerate() {
            let total = u16::from(*a) + u16::from(b) + carry;
            sum[at] = total.to_le_bytes()[0];
            carry = total >> 8;
        }
        assert_eq!(carry, 0, "S + L fits 256 bits since S < L < 2^253");
        [r, &sum].concat()
    });
    call(&url, &forged)
        .await
        .assert_invalid_token("EdDSA with S + L");
    call(&url, &valid).await.assert_ok("the control token");
}
