//! A decoded token payload through every claims check, as if its signature had verified.
//! `payload` itself panics when the checks accept claims that `Claims` refuses.

use jwks_guard::__fuzz::payload;

fn main() {
    // Builds the policy before AFL's fork server starts, so that every run sees the same state
    // (AFL's "stability").
    payload(br#"{"iss":"https://fuzz.test/","aud":"fuzz-api","exp":1700003600}"#);
    afl::fuzz!(|data: &[u8]| {
        let status = payload(data);
        assert!(matches!(status, 200 | 401 | 403), "status {status}");
    });
}
