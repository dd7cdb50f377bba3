//! Store time and the clocks that produce it.
//!
//! Every decision is made in the *store's* time, never in the caller's: the Redis store reads
//! `TIME` inside its script, the memory store reads one process-wide [`Clock`]. So replicas with
//! skewed clocks agree, and all timestamps of one store can be compared with each other.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A point in a store's time, in microseconds since that store's epoch.
///
/// Only differences between two values of the same store mean something: the Redis store
/// counts from the Unix epoch, the memory store from its clock's start. Leases are live on
/// the half-open interval `[admitted, expires_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StoreTime(u64);

impl StoreTime {
    /// The time `micros` microseconds after the store's epoch.
    pub const fn from_micros(micros: u64) -> Self {
        Self(micros)
    }

    /// Microseconds since the store's epoch.
    pub const fn as_micros(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating at the end of time.
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(micros(d)))
    }

    /// How long from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: StoreTime) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for StoreTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

/// A duration in whole microseconds, saturating.
pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// A source of store time for the in-process stores.
pub trait Clock: Send + Sync {
    /// The current time. Implementations should not go backwards; the stores guard against it
    /// anyway (time never runs backwards inside a store).
    fn now(&self) -> StoreTime;
}

/// The production clock of the memory store: monotonic (`Instant`), immune to wall-clock
/// changes, counting from its creation (which is time 1 µs, so 0 never means "now").
#[derive(Debug, Clone, Copy)]
pub struct MonotonicClock {
    start: Instant,
}

impl MonotonicClock {
    /// A clock starting now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for MonotonicClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for MonotonicClock {
    fn now(&self) -> StoreTime {
        StoreTime(micros(self.start.elapsed()).saturating_add(1))
    }
}

/// A clock that moves only when told to (tests, simulations). Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicU64>);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: StoreTime) -> Self {
        Self(Arc::new(AtomicU64::new(start.0)))
    }

    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(micros(d), Ordering::SeqCst);
    }

    /// Sets the clock to `t` (may go backwards, to test that stores never do).
    pub fn set(&self, t: StoreTime) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> StoreTime {
        StoreTime(self.0.load(Ordering::SeqCst))
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> StoreTime {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_clones_share_time() {
        let c = ManualClock::new(StoreTime::from_micros(10));
        let d = c.clone();
        c.advance(Duration::from_micros(5));
        assert_eq!(d.now(), StoreTime::from_micros(15));
        d.set(StoreTime::from_micros(3));
        assert_eq!(c.now(), StoreTime::from_micros(3));
    }

    #[test]
    fn monotonic_clock_never_goes_back_and_starts_above_zero() {
        let c = MonotonicClock::new();
        let a = c.now();
        let b = c.now();
        assert!(a.as_micros() >= 1);
        assert!(b >= a);
    }

    #[test]
    fn store_time_arithmetic_saturates() {
        let t = StoreTime::from_micros(u64::MAX - 1);
        assert_eq!(
            t.saturating_add(Duration::from_secs(1)).as_micros(),
            u64::MAX
        );
        assert_eq!(
            StoreTime::from_micros(5).since(StoreTime::from_micros(9)),
            Duration::ZERO
        );
        assert_eq!(StoreTime::from_micros(1_500_000).to_string(), "1.500000s");
    }
}
