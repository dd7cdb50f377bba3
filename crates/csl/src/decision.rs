//! What a store answers.

use std::time::Duration;

use crate::key::SessionId;
use crate::time::StoreTime;

/// The answer of [`crate::Store::admit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The session holds a slot until `expires_at`.
    Admitted(Admission),
    /// The user is at the limit; the session holds no slot.
    Refused(LimitReached),
}

impl Decision {
    /// The store time the decision was made at.
    pub fn now(&self) -> StoreTime {
        match self {
            Self::Admitted(a) => a.now,
            Self::Refused(r) => r.now,
        }
    }
}

/// A session that holds a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Live sessions of the user after this decision (this one included).
    pub live: u32,
    /// The limit the decision was made with.
    pub max: u32,
    /// Store time of the decision (the lease starts here).
    pub now: StoreTime,
    /// End of the lease: the session is live on `[now, expires_at)`.
    pub expires_at: StoreTime,
    /// True when the session was live and its lease was extended (a renewal); false when it
    /// was absent or expired and took a new slot.
    pub renewed: bool,
}

/// A refusal: `live` sessions already hold slots and `live >= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitReached {
    /// Live sessions of the user.
    pub live: u32,
    /// The limit the decision was made with.
    pub max: u32,
    /// Store time of the decision.
    pub now: StoreTime,
    /// When, at the latest, a slot frees without any release: the moment enough leases have
    /// expired for `live < max` (the `(live - max + 1)`-th earliest expiry).
    pub frees_at: StoreTime,
}

impl LimitReached {
    /// How long until a slot frees at the latest (for `Retry-After`).
    pub fn retry_after(&self) -> Duration {
        self.frees_at.since(self.now)
    }
}

/// The answer of [`crate::Store::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    /// True when the session was live (held a slot) at `now`; it holds none from here on.
    pub removed: bool,
    /// Store time of the release: the slot is free from here on.
    pub now: StoreTime,
}

/// One live lease, as shown to support staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The session holding the slot.
    pub session: SessionId,
    /// When the slot frees unless renewed.
    pub expires_at: StoreTime,
}

/// The answer of [`crate::Store::live`]: the user's live leases, earliest expiry first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSessions {
    /// Store time of the listing.
    pub now: StoreTime,
    /// Live leases, sorted by expiry then session id.
    pub leases: Vec<Lease>,
}
