//! Concurrent stream limiting (CSL) for streaming licenses.
//!
//! A streaming license lives one renewal interval; a playing stream renews it with the same
//! session id before it runs out. Each user's live sessions are counted in a [`Store`]: a
//! session that stops renewing drops out of the count within one lease, even if the player
//! crashed, and a new stream is refused while the user is at the limit.
//!
//! - [`Policy`]: per site, `max_streams_per_user` (default 3), `renewal_interval` (default
//!   600 s) and an optional grace; a token's `max_stream_per_user` wins. [`validate_site`]
//!   rejects CSL together with key rotation at start-up.
//! - [`Store::admit`] is the one decision: a live session is extended (renewal, idempotent),
//!   an absent or expired one is admitted only if fewer than `max` are live, else refused with
//!   the live count and when the next slot frees. [`Store::release`] ends a session.
//!   Implementations: [`MemoryStore`] (sharded, embedded default) and [`RedisStore`] (one
//!   sorted set per user, one Lua script per decision, the Redis server's clock), so several
//!   service replicas share one count. [`AnyStore`] picks one at run time.
//! - [`Limiter::check`] applies the product rules (persistent and cast-receiver licenses are
//!   exempt, a `user_id` is required) and turns store failures into the configured
//!   [`FailMode`]. The [`Verdict`] carries what a license service answers: a license duration,
//!   or a [`Refusal`] with a stable code, the live count, the limit and when to retry.
//!
//! Store keys are a hash of (site, user) ([`SubjectKey`]), so no user id reaches a key name.
//! All times are the store's ([`StoreTime`]), never the caller's.
//!
//! # Why `async`
//!
//! The only user is `mdrm-server`, an axum/tokio service; the packaging path never uses this
//! crate. The Redis store does network I/O, which must not block a tokio worker, so the
//! [`Store`] trait is `async` (return-position `impl Future + Send`, static dispatch, no boxing).
//! The memory store's work is a sub-microsecond critical section with no I/O, so it answers
//! with an already-completed future and also offers blocking-free synchronous methods
//! ([`MemoryStore::admit_sync`]) for benchmarks and threads.
//!
//! ```
//! use csl::{Limiter, FailMode, LicenseRequest, MemoryStore, Policy, SessionId, Verdict};
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let policy = Policy::default(); // 3 streams, 10-minute renewals
//! let limiter = Limiter::new(MemoryStore::new(), FailMode::default());
//! let session = SessionId::new("tab-1").unwrap();
//! let req = LicenseRequest::streaming("ABCD", Some(&policy), Some("user1"), Some(&session));
//! match limiter.check(&req).await.unwrap() {
//!     Verdict::Admitted(a) => assert_eq!(a.admission.live, 1),
//!     other => panic!("{other:?}"),
//! }
//! # });
//! ```

mod decision;
mod error;
mod key;
mod limiter;
mod memory;
mod policy;
mod redis_store;
mod store;
mod time;
mod verdict;

pub use decision::{Admission, Decision, Lease, LimitReached, LiveSessions, Released};
pub use error::CslError;
pub use key::{MAX_SESSION_ID_LEN, SessionId, SubjectKey};
pub use limiter::{ANONYMOUS_USER_ID, LicenseKind, LicenseRequest, Limiter};
pub use memory::MemoryStore;
pub use policy::{DEFAULT_MAX_STREAMS, DEFAULT_RENEWAL_INTERVAL, Policy, limits, validate_site};
pub use redis_store::{RedisClock, RedisConfig, RedisStore};
pub use store::{AnyStore, Store, StoreSpec};
pub use time::{Clock, ManualClock, MonotonicClock, StoreTime};
pub use verdict::{Admitted, Degraded, Exemption, FailMode, Refusal, RefusalReason, Verdict};
