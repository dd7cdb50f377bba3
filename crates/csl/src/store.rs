//! The `Store` trait: one atomic decision per call, in the store's own time.

use std::future::Future;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::decision::{Decision, LiveSessions, Released};
use crate::error::CslError;
use crate::key::{SessionId, SubjectKey};
use crate::memory::MemoryStore;
use crate::redis_store::{RedisConfig, RedisStore};

/// Where leases live. Every implementation must make [`admit`](Store::admit) one atomic step
/// (purge expired, look up, count, add) per user, decide in its own time, and treat a lease
/// as live on `[admitted, expires_at)`.
///
/// The methods are `async` because the Redis store does network I/O under tokio; the memory
/// store answers with an already-completed future. `max` and `lease` come with every call
/// (never configured per key), which is how a token's `max_stream_per_user` override works.
pub trait Store: Send + Sync {
    /// Admits or renews `session` for `key`:
    /// - live session: its lease is extended to `now + lease` (renewal, idempotent), even when
    ///   the user is above a since-lowered `max`;
    /// - absent or expired session: admitted only if fewer than `max` sessions are live,
    ///   else refused with the live count and when the next slot frees.
    fn admit(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> impl Future<Output = Result<Decision, CslError>> + Send;

    /// Ends `session` now (an explicit stop); its slot is free at once.
    fn release(
        &self,
        key: &SubjectKey,
        session: &SessionId,
    ) -> impl Future<Output = Result<Released, CslError>> + Send;

    /// The user's live leases (for a support status page); changes nothing.
    fn live(&self, key: &SubjectKey)
    -> impl Future<Output = Result<LiveSessions, CslError>> + Send;

    /// True when calls cannot fail (an in-process store): the limiter then skips the
    /// bookkeeping it keeps for fail modes.
    fn is_infallible(&self) -> bool {
        false
    }
}

/// The store picked at run time (`--csl-store memory|redis://...`).
#[derive(Debug)]
pub enum AnyStore {
    /// The embedded default.
    Memory(MemoryStore),
    /// Shared by several replicas.
    Redis(Box<RedisStore>),
}

/// A parsed `--csl-store` value.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// `memory`.
    Memory,
    /// `redis://...` or `rediss://...` (kept whole; it may hold a password).
    Redis(String),
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Memory => f.write_str("Memory"),
            Self::Redis(_) => f.write_str("Redis(<url>)"),
        }
    }
}

impl std::str::FromStr for StoreSpec {
    type Err = CslError;
    fn from_str(s: &str) -> Result<Self, CslError> {
        let s = s.trim();
        if s == "memory" {
            Ok(Self::Memory)
        } else if s.starts_with("redis://")
            || s.starts_with("rediss://")
            || s.starts_with("redis+unix://")
        {
            Ok(Self::Redis(s.to_owned()))
        } else {
            Err(CslError::InvalidStoreSpec {
                reason: "expected `memory` or a `redis://host:port[/db]` URL".into(),
            })
        }
    }
}

impl AnyStore {
    /// Opens the store `spec` names. A Redis store connects lazily (the service can start while
    /// Redis is down; its fail mode decides meanwhile), so this must run inside a tokio runtime.
    pub fn open(spec: &StoreSpec, redis: RedisConfig) -> Result<Self, CslError> {
        match spec {
            StoreSpec::Memory => Ok(Self::Memory(MemoryStore::new())),
            StoreSpec::Redis(url) => Ok(Self::Redis(Box::new(RedisStore::open(url, redis)?))),
        }
    }

    /// Drops idle users of a memory store ([`MemoryStore::sweep`]); nothing to do for Redis,
    /// whose keys expire on their own. A service calls this from a periodic task (every few
    /// seconds) so memory follows the live leases even when traffic stops.
    pub fn sweep(&self) {
        if let Self::Memory(m) = self {
            m.sweep();
        }
    }
}

impl Store for AnyStore {
    async fn admit(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> Result<Decision, CslError> {
        match self {
            Self::Memory(m) => m.admit(key, session, max, lease).await,
            Self::Redis(r) => r.admit(key, session, max, lease).await,
        }
    }

    async fn release(&self, key: &SubjectKey, session: &SessionId) -> Result<Released, CslError> {
        match self {
            Self::Memory(m) => m.release(key, session).await,
            Self::Redis(r) => r.release(key, session).await,
        }
    }

    async fn live(&self, key: &SubjectKey) -> Result<LiveSessions, CslError> {
        match self {
            Self::Memory(m) => m.live(key).await,
            Self::Redis(r) => r.live(key).await,
        }
    }

    fn is_infallible(&self) -> bool {
        matches!(self, Self::Memory(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_spec_parses_memory_and_redis_and_hides_the_url() {
        assert_eq!("memory".parse::<StoreSpec>().unwrap(), StoreSpec::Memory);
        let r: StoreSpec = "redis://:secret@127.0.0.1:6379/0".parse().unwrap();
        assert!(matches!(r, StoreSpec::Redis(_)));
        assert!(!format!("{r:?}").contains("secret"));
        let e = "postgres://x".parse::<StoreSpec>().unwrap_err();
        assert_eq!(e.code(), "CSL_STORE_SPEC_INVALID");
    }

    #[test]
    fn any_memory_store_decides_and_sweeps() {
        let store = AnyStore::open(&StoreSpec::Memory, RedisConfig::default()).unwrap();
        assert!(store.is_infallible());
        let AnyStore::Memory(m) = &store else {
            panic!("memory spec opened {store:?}")
        };
        let key = SubjectKey::new("S", "u");
        let sid = SessionId::new("s").unwrap();
        m.admit_sync(&key, &sid, NonZeroU32::MIN, Duration::from_micros(1));
        std::thread::sleep(Duration::from_millis(2));
        store.sweep();
        assert_eq!(m.user_count(), 0);
    }
}
