//! The in-memory DPoP replay store under a flood of distinct proofs: inserts 1,000,000
//! distinct replay keys (what `CheckedProof::replay_key` makes: SHA-256 of a `jti`, `htm` and
//! `htu`) through `InMemoryReplayStore` with its default capacity (100,000 proofs) and the
//! default proof window plus leeway (120 s, so nothing expires during the run), and prints the
//! process's resident memory (`VmRSS`, peak `VmHWM`, from `/proc/self/status`) and the
//! entries held, before and as the keys go in. Run: `cargo bench --bench replay_memory`
//! (`REPLAY_PROOFS=<n>` and `REPLAY_CAPACITY=<entries>` change the counts).

use std::time::{Duration, Instant};

use jwks_guard::dpop::{CheckedProof, InMemoryReplayStore};

/// `VmRSS` and `VmHWM` of this process, in KiB (0 where `/proc` is not there).
fn resident_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn report(label: &str, store: &InMemoryReplayStore) {
    let entries = store.len();
    let (rss, hwm) = resident_kib();
    println!(
        "{label:>36}: {entries:>9} entries held, VmRSS {:>7.1} MiB, VmHWM {:>7.1} MiB",
        mib(rss),
        mib(hwm)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let proofs = env_number("REPLAY_PROOFS", 1_000_000);
    let capacity = env_number("REPLAY_CAPACITY", InMemoryReplayStore::DEFAULT_CAPACITY);
    let ttl = Duration::from_secs(120);
    println!("{proofs} distinct proofs into an InMemoryReplayStore of capacity {capacity}");
    let (rss, hwm) = resident_kib();
    println!(
        "{:>36}: VmRSS {:>7.1} MiB, VmHWM {:>7.1} MiB",
        "before the store",
        mib(rss),
        mib(hwm)
    );
    let store = InMemoryReplayStore::new(capacity);
    report("empty store", &store);
    let started = Instant::now();
    let mut refused = 0u64;
    let tenth = (proofs / 10).max(1);
    let mut lap = Instant::now();
    for n in 0..proofs {
        let proof = CheckedProof {
            jkt: String::new(),
            jti: format!("jti-{n:016x}"),
            iat: 0,
            htm: "GET".to_owned(),
            htu: "https://api.example.com/orders".to_owned(),
            replay_ttl: ttl,
        };
        if !store.insert_new_now(&proof.replay_key(), ttl) {
            refused += 1;
        }
        if (n + 1) % tenth == 0 {
            let per_insert = lap.elapsed().as_secs_f64() * 1e6 / tenth as f64;
            report(
                &format!("after {} ({per_insert:.2} µs each)", n + 1),
                &store,
            );
            lap = Instant::now();
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{refused} refused as replays (expected 0); {:.2} µs per insert including the key's \
         digest",
        elapsed.as_secs_f64() * 1e6 / proofs.max(1) as f64
    );
    let held = store.len();
    println!("entries held at the end: {held} (capacity {capacity})");
    // The newest `capacity` proofs at least, twice that at most.
    if held > 2 * capacity || held < capacity.min(proofs) {
        eprintln!("the store holds {held} proofs: not between its capacity and twice that");
        std::process::exit(1);
    }
}
