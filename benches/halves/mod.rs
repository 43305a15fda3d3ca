//! The two halves of a bench comparing the verified-token cache on and off: settings are
//! process-wide, so the cache-off half runs in a process of its own (this bench run again with
//! [`HALF`] set), and a counting mode (`<COUNT_VAR>=<n>`) replaces criterion on a busy machine.
//! Included with `mod halves;` by the benches that need it.

use criterion::Criterion;
use std::time::Duration;

/// Set (to `off`) in the second process, which measures the cache turned off.
pub(crate) const HALF: &str = "JWKS_GUARD_BENCH_CACHE";

/// Whether this process measures the cache on (the first half).
fn cache_on() -> bool {
    std::env::var_os(HALF).is_none()
}

/// The bench's `main`: `count(n, cache_on)` when `count_var` holds a number; else the cache-off
/// half in a second process (first, from the cache-on half), then `bench` for this process's
/// half under criterion.
pub(crate) fn run(count_var: &str, count: fn(usize, bool), bench: fn(&mut Criterion, bool)) {
    let cache_on = cache_on();
    if let Some(n) = std::env::var(count_var).ok().and_then(|n| n.parse().ok()) {
        return count(n, cache_on);
    }
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    if cache_on {
        let status = std::env::current_exe()
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .args(std::env::args_os().skip(1))
                    .env(HALF, "off")
                    .status()
            })
            .expect("the cache-off half");
        assert!(status.success(), "the cache-off half failed: {status}");
    }
    bench(&mut c, cache_on);
    c.final_summary();
}

/// The time the calling thread has run on a CPU, in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`,
/// exact, where Linux's schedstat advances only at the scheduler's ticks; 0 elsewhere): on a
/// machine busy with other work, far steadier than wall time.
pub(crate) fn thread_cpu_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        use nix::time::{ClockId, clock_gettime};
        clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map_or(0, |time| {
            u64::try_from(time.tv_sec()).unwrap_or(0) * 1_000_000_000
                + u64::try_from(time.tv_nsec()).unwrap_or(0)
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}
