//! The in-memory store: the embedded default for a single `mdrm-server`.
//!
//! Users are spread over a power-of-two number of shards (at least 16, 4 per core), each a
//! `Mutex<HashMap<SubjectKey, Vec<lease>>>`. One decision is one hash, one lock held only for
//! a purge-look-up-count-insert over the user's few leases, and no `await` inside the lock, so
//! all cores decide in parallel and a decision is atomic per user. Expired leases of a user are
//! purged whenever that user is touched; idle users are swept incrementally (each shard is
//! swept after as many operations as it holds users) or by [`MemoryStore::sweep`].

use std::collections::HashMap;
use std::future::ready;
use std::hash::{BuildHasher, Hasher};
use std::num::NonZeroU32;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::decision::{Admission, Decision, Lease, LimitReached, LiveSessions, Released};
use crate::error::CslError;
use crate::key::{SessionId, SubjectKey};
use crate::store::Store;
use crate::time::{Clock, MonotonicClock, StoreTime, micros};

/// A shard is swept after at least this many operations (and at least as many as it has users).
const SWEEP_MIN_OPS: u64 = 4096;

/// The in-process store. See the module docs.
pub struct MemoryStore<C: Clock = MonotonicClock> {
    shards: Box<[Shard]>,
    shard_mask: u64,
    hasher: KeyHasher,
    clock: C,
}

impl<C: Clock> std::fmt::Debug for MemoryStore<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

/// One shard on its own cache line, so two cores locking neighbours do not contend.
#[repr(align(64))]
struct Shard(Mutex<ShardState>);

struct ShardState {
    users: HashMap<SubjectKey, Vec<LeaseEntry>, KeyHasher>,
    /// The latest time this shard has seen: time never runs backwards in a shard, even if the
    /// clock does, so a lease seen expired never comes back to life.
    high_water: u64,
    ops_since_sweep: u64,
}

struct LeaseEntry {
    session: SessionId,
    expires_at: u64,
}

impl MemoryStore<MonotonicClock> {
    /// A store on the process's monotonic clock, with 4 shards per core (at least 16).
    pub fn new() -> Self {
        Self::with_clock(MonotonicClock::new())
    }
}

impl Default for MemoryStore<MonotonicClock> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Clock> MemoryStore<C> {
    /// A store on `clock` (e.g. a [`crate::ManualClock`] in tests), 4 shards per core (at least 16).
    pub fn with_clock(clock: C) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::with_shards(cores.saturating_mul(4).max(16), clock)
    }

    /// A store with `shards` shards (rounded up to a power of two, at least 1).
    pub fn with_shards(shards: usize, clock: C) -> Self {
        let n = shards.max(1).checked_next_power_of_two().unwrap_or(1 << 16);
        let hasher = KeyHasher::random();
        let shards = (0..n)
            .map(|_| {
                Shard(Mutex::new(ShardState {
                    users: HashMap::with_hasher(hasher),
                    high_water: 0,
                    ops_since_sweep: 0,
                }))
            })
            .collect();
        Self {
            shards,
            shard_mask: (n as u64) - 1,
            hasher,
            clock,
        }
    }

    /// The clock decisions are made with.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    fn lock(&self, key: &SubjectKey) -> MutexGuard<'_, ShardState> {
        let idx = (self.hasher.mix(key.high64()) & self.shard_mask) as usize;
        // A panic never happens while a shard is locked (no unwrap, no user code inside), but
        // if one did, the map is still consistent: keep serving.
        self.shards[idx].0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`Store::admit`], synchronously (the store never blocks on I/O).
    pub fn admit_sync(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> Decision {
        let mut shard = self.lock(key);
        let now = shard.observe(self.clock.now());
        shard.count_op(now);
        let max = max.get();
        let expires_at = now.saturating_add(micros(lease));
        let leases = shard.users.entry(*key).or_default();
        leases.retain(|l| l.expires_at > now);
        let live = u32::try_from(leases.len()).unwrap_or(u32::MAX);
        if let Some(l) = leases.iter_mut().find(|l| l.session == *session) {
            l.expires_at = expires_at;
            return Decision::Admitted(Admission {
                live,
                max,
                now: StoreTime::from_micros(now),
                expires_at: StoreTime::from_micros(expires_at),
                renewed: true,
            });
        }
        if live < max {
            if leases.capacity() == 0 {
                leases.reserve_exact(1);
            }
            leases.push(LeaseEntry {
                session: session.clone(),
                expires_at,
            });
            return Decision::Admitted(Admission {
                live: live + 1,
                max,
                now: StoreTime::from_micros(now),
                expires_at: StoreTime::from_micros(expires_at),
                renewed: false,
            });
        }
        // live >= max >= 1, so `leases` is not empty and the user entry stays.
        let frees_at = nth_earliest_expiry(leases, (live - max) as usize);
        Decision::Refused(LimitReached {
            live,
            max,
            now: StoreTime::from_micros(now),
            frees_at: StoreTime::from_micros(frees_at),
        })
    }

    /// [`Store::release`], synchronously.
    pub fn release_sync(&self, key: &SubjectKey, session: &SessionId) -> Released {
        let mut shard = self.lock(key);
        let now = shard.observe(self.clock.now());
        shard.count_op(now);
        let mut removed = false;
        if let Some(leases) = shard.users.get_mut(key) {
            if let Some(i) = leases.iter().position(|l| l.session == *session) {
                removed = leases.swap_remove(i).expires_at > now;
            }
            leases.retain(|l| l.expires_at > now);
            if leases.is_empty() {
                shard.users.remove(key);
            }
        }
        Released {
            removed,
            now: StoreTime::from_micros(now),
        }
    }

    /// [`Store::live`], synchronously.
    pub fn live_sync(&self, key: &SubjectKey) -> LiveSessions {
        let mut shard = self.lock(key);
        let now = shard.observe(self.clock.now());
        let mut leases: Vec<Lease> = shard
            .users
            .get(key)
            .into_iter()
            .flatten()
            .filter(|l| l.expires_at > now)
            .map(|l| Lease {
                session: l.session.clone(),
                expires_at: StoreTime::from_micros(l.expires_at),
            })
            .collect();
        leases.sort_by(|a, b| (a.expires_at, &a.session).cmp(&(b.expires_at, &b.session)));
        LiveSessions {
            now: StoreTime::from_micros(now),
            leases,
        }
    }

    /// Removes every expired lease and every user left without one, in all shards (one shard
    /// locked at a time). A service may call this periodically; decisions also sweep
    /// incrementally on their own.
    pub fn sweep(&self) {
        for shard in self.shards.iter() {
            let mut s = shard.0.lock().unwrap_or_else(|p| p.into_inner());
            let now = s.observe(self.clock.now());
            s.sweep(now);
        }
    }

    /// Users with at least one lease entry (live or not yet purged).
    pub fn user_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.0.lock().unwrap_or_else(|p| p.into_inner()).users.len())
            .sum()
    }

    /// Lease entries held (live or not yet purged).
    pub fn lease_count(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.0.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .users
                    .values()
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }
}

impl ShardState {
    fn observe(&mut self, clock: StoreTime) -> u64 {
        self.high_water = self.high_water.max(clock.as_micros());
        self.high_water
    }

    fn count_op(&mut self, now: u64) {
        self.ops_since_sweep += 1;
        if self.ops_since_sweep >= SWEEP_MIN_OPS.max(self.users.len() as u64) {
            self.sweep(now);
        }
    }

    fn sweep(&mut self, now: u64) {
        self.users.retain(|_, leases| {
            leases.retain(|l| l.expires_at > now);
            !leases.is_empty()
        });
        self.ops_since_sweep = 0;
    }
}

/// The expiry of the `n`-th (0-based) earliest lease; `n < leases.len()`.
fn nth_earliest_expiry(leases: &[LeaseEntry], n: usize) -> u64 {
    if n == 0 {
        return leases.iter().map(|l| l.expires_at).min().unwrap_or(0);
    }
    let mut expiries: Vec<u64> = leases.iter().map(|l| l.expires_at).collect();
    let n = n.min(expiries.len().saturating_sub(1));
    *expiries.select_nth_unstable(n).1
}

impl<C: Clock> Store for MemoryStore<C> {
    fn admit(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> impl Future<Output = Result<Decision, CslError>> + Send {
        ready(Ok(self.admit_sync(key, session, max, lease)))
    }

    fn release(
        &self,
        key: &SubjectKey,
        session: &SessionId,
    ) -> impl Future<Output = Result<Released, CslError>> + Send {
        ready(Ok(self.release_sync(key, session)))
    }

    fn live(
        &self,
        key: &SubjectKey,
    ) -> impl Future<Output = Result<LiveSessions, CslError>> + Send {
        ready(Ok(self.live_sync(key)))
    }

    fn is_infallible(&self) -> bool {
        true
    }
}

/// Hashes a [`SubjectKey`] (already a SHA-256 prefix) with one multiply and a per-store random
/// seed, so nobody can grind user ids into one hash bucket without knowing the seed.
#[derive(Clone, Copy)]
struct KeyHasher {
    seed: u64,
}

impl KeyHasher {
    fn random() -> Self {
        // std's RandomState is seeded from the OS; hashing a constant yields a random u64.
        let seed = std::collections::hash_map::RandomState::new().hash_one(0x6373_6c5f_u64);
        Self { seed }
    }

    fn mix(&self, v: u64) -> u64 {
        (v ^ self.seed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29)
    }
}

impl BuildHasher for KeyHasher {
    type Hasher = KeyHash;
    fn build_hasher(&self) -> KeyHash {
        KeyHash {
            hasher: *self,
            value: 0,
        }
    }
}

/// The hasher [`KeyHasher`] builds.
struct KeyHash {
    hasher: KeyHasher,
    value: u64,
}

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.value
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if something other than SubjectKey is hashed: fold the bytes in.
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.value = self.hasher.mix(self.value ^ v);
    }
}

#[cfg(test)]
mod tests;
