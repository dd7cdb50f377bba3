//! Memory footprint of the in-memory store: resident bytes per live lease, from the process's
//! RSS (`/proc/self/statm`, Linux) before and after admitting 1M users with 1, then 3 leases
//! each (36-byte UUID session ids, the usual EME session id size).
//!
//! `cargo run --release -p csl --example csl_footprint`

use std::num::NonZeroU32;
use std::time::Duration;

use csl::{MemoryStore, SessionId, SubjectKey};

const USERS: usize = 1_000_000;

fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn main() {
    let keys: Vec<SubjectKey> = (0..USERS)
        .map(|i| SubjectKey::new("SITE", &format!("user-{i}")))
        .collect();
    let sessions: Vec<SessionId> = (0..3)
        .map(|s| SessionId::new(&format!("{s}b6f6d4e-3c52-4a5e-9d55-6f5f0e2f3a11")).unwrap())
        .collect();
    let max = NonZeroU32::new(3).unwrap();
    let lease = Duration::from_secs(600);
    let store = MemoryStore::new();
    let Some(before) = rss_bytes() else {
        eprintln!("csl_footprint: /proc/self/statm not readable (Linux only)");
        std::process::exit(1);
    };
    for (n, s) in sessions.iter().enumerate() {
        for k in &keys {
            store.admit_sync(k, s, max, lease);
        }
        let leases = (USERS * (n + 1)) as u64;
        let grown = rss_bytes().unwrap_or(before).saturating_sub(before);
        println!(
            "users={USERS} leases_per_user={} live_leases={} bytes_per_lease={}",
            n + 1,
            store.lease_count(),
            grown / leases
        );
    }
}
