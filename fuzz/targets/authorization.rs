//! An `Authorization` header value through the whole request path (bearer syntax, JWS
//! parsing, signature, claims). The fuzzing keys' private halves are gone, so nothing can be
//! accepted (200), nor reach the scope and role checks (403): every answer is 400 or 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwks_guard::__fuzz::{ISSUER, authorization};

fn main() {
    warm_up();
    afl::fuzz!(|data: &[u8]| {
        let status = authorization(data);
        assert!(matches!(status, 400 | 401), "status {status}");
    });
}

/// Runs a token to the signature check of each fuzzing key before AFL's fork server starts, so
/// that the key set and the keys' lazily computed state exist in every run (otherwise the
/// first input of each process to get that far takes other paths: AFL's "stability" drops).
fn warm_up() {
    let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"iss":"{ISSUER}"}}"#));
    for (header, signature_len) in [
        (r#"{"alg":"RS256","kid":"fuzz-rsa"}"#, 256),
        (r#"{"alg":"PS256","kid":"fuzz-rsa"}"#, 256),
        (r#"{"alg":"ES256","kid":"fuzz-p256"}"#, 64),
        (r#"{"alg":"EdDSA","kid":"fuzz-ed25519"}"#, 64),
        (r#"{"alg":"EdDSA"}"#, 64),
    ] {
        let token = format!(
            "Bearer {}.{payload}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(vec![1_u8; signature_len]),
        );
        authorization(token.as_bytes());
    }
}
