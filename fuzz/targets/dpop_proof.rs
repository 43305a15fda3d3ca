//! A `DPoP` header value through the proof checks: never a panic, and never accepted (nothing
//! here signs, so an accepted proof is a signature bypass).

use jwks_guard::__fuzz::dpop_proof;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        assert!(!dpop_proof(data), "a proof nobody signed was accepted");
    });
}
