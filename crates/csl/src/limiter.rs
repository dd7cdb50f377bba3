//! The limiter: the product rules in front of a [`Store`], and the fail modes behind it.

use std::num::NonZeroU32;

use crate::decision::{Decision, LiveSessions, Released};
use crate::error::CslError;
use crate::key::{SessionId, SubjectKey};
use crate::memory::MemoryStore;
use crate::policy::Policy;
use crate::store::Store;
use crate::time::{Clock, MonotonicClock};
use crate::verdict::{Admitted, Degraded, Exemption, FailMode, Refusal, RefusalReason, Verdict};

/// The user id the PallyCon-style token format puts in a token issued without a user; it
/// names nobody, so CSL treats it like a missing `user_id`.
pub const ANONYMOUS_USER_ID: &str = "LICENSETOKEN";

/// What kind of license is requested (from the token's policy and the request's flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LicenseKind {
    /// A streaming license (`persistent: false`): counted, must be renewed.
    #[default]
    Streaming,
    /// A persistent / offline license (`persistent: true`): neither counted nor refused.
    Persistent,
    /// A license for AirPlay / cast-receiver playback flagged as such: issued without renewal,
    /// not counted (the sending device's stream is the one counted).
    CastReceiver,
}

impl LicenseKind {
    /// The kind for a token's `persistent` flag and the request's cast-receiver flag
    /// (persistent wins).
    pub fn from_flags(persistent: bool, cast_receiver: bool) -> Self {
        if persistent {
            Self::Persistent
        } else if cast_receiver {
            Self::CastReceiver
        } else {
            Self::Streaming
        }
    }
}

/// One license request or renewal, as the license service has verified it.
#[derive(Debug, Clone, Copy)]
pub struct LicenseRequest<'a> {
    /// The site (tenant) id.
    pub site_id: &'a str,
    /// The site's CSL policy; `None` when CSL is off for the site.
    pub policy: Option<&'a Policy>,
    /// The token's `user_id`.
    pub user_id: Option<&'a str>,
    /// The playback session; the same id on every renewal.
    pub session: Option<&'a SessionId>,
    /// Streaming, persistent or cast receiver.
    pub kind: LicenseKind,
    /// The token's `max_stream_per_user` (0 or `None`: the site's value).
    pub max_stream_per_user: Option<u32>,
    /// The token asks for key rotation (a conflict on a CSL site).
    pub key_rotation: bool,
    /// The caller can prove the session was admitted before (e.g. a renewal ticket it signed
    /// in an earlier response). Only matters while the store is failing, in
    /// [`FailMode::OpenForRenewals`].
    pub previously_admitted: bool,
}

impl<'a> LicenseRequest<'a> {
    /// A streaming request with no override, no key rotation, not vouched for.
    pub fn streaming(
        site_id: &'a str,
        policy: Option<&'a Policy>,
        user_id: Option<&'a str>,
        session: Option<&'a SessionId>,
    ) -> Self {
        Self {
            site_id,
            policy,
            user_id,
            session,
            kind: LicenseKind::Streaming,
            max_stream_per_user: None,
            key_rotation: false,
            previously_admitted: false,
        }
    }
}

/// Applies the product rules, asks the store, and turns store failures into the configured
/// [`FailMode`]'s verdict.
///
/// For [`FailMode::OpenForRenewals`] the limiter remembers, in memory, the sessions the store
/// admitted within their lease; while the store fails, those (and sessions the caller vouches
/// for) keep getting licenses and keep being remembered as they renew.
pub struct Limiter<S, C: Clock = MonotonicClock> {
    store: S,
    fail_mode: FailMode,
    known: Option<MemoryStore<C>>,
}

impl<S: std::fmt::Debug, C: Clock> std::fmt::Debug for Limiter<S, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("store", &self.store)
            .field("fail_mode", &self.fail_mode)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Limiter<S> {
    /// A limiter on `store` with `fail_mode`.
    pub fn new(store: S, fail_mode: FailMode) -> Self {
        Self::with_clock(store, fail_mode, MonotonicClock::new())
    }
}

impl<S: Store, C: Clock> Limiter<S, C> {
    /// A limiter whose memory of admitted sessions runs on `clock` (tests).
    pub fn with_clock(store: S, fail_mode: FailMode, clock: C) -> Self {
        let known = (!store.is_infallible()).then(|| MemoryStore::with_clock(clock));
        Self {
            store,
            fail_mode,
            known,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The fail mode.
    pub fn fail_mode(&self) -> FailMode {
        self.fail_mode
    }

    /// Decides one license request or renewal.
    ///
    /// Errors are for requests that must be rejected as malformed whatever the counts
    /// (missing user id, bad override, key-rotation conflict); refusals are [`Verdict::Refused`].
    pub async fn check(&self, req: &LicenseRequest<'_>) -> Result<Verdict, CslError> {
        let Some(policy) = req.policy else {
            return Ok(Verdict::Exempt(Exemption::CslDisabled));
        };
        if req.key_rotation {
            return Err(CslError::KeyRotationConflict {
                site: req.site_id.to_owned(),
            });
        }
        match req.kind {
            LicenseKind::Persistent => return Ok(Verdict::Exempt(Exemption::Persistent)),
            LicenseKind::CastReceiver => return Ok(Verdict::Exempt(Exemption::CastReceiver)),
            LicenseKind::Streaming => {}
        }
        let user = req
            .user_id
            .map(str::trim)
            .filter(|u| !u.is_empty() && *u != ANONYMOUS_USER_ID)
            .ok_or_else(|| CslError::MissingUserId {
                site: req.site_id.to_owned(),
            })?;
        let session = req.session.ok_or(CslError::MissingSessionId)?;
        let max = policy.effective_max(req.max_stream_per_user)?;
        let key = SubjectKey::new(req.site_id, user);
        let lease = policy.lease();
        match self.store.admit(&key, session, max, lease).await {
            Ok(Decision::Admitted(admission)) => {
                self.remember(&key, session, policy);
                Ok(Verdict::Admitted(Admitted {
                    admission,
                    license_duration: policy.license_duration(),
                    renewal_delay: policy.renewal_delay(),
                }))
            }
            Ok(Decision::Refused(r)) => {
                self.forget(&key, session);
                Ok(Verdict::Refused(Refusal {
                    reason: RefusalReason::LimitReached,
                    current_streams: Some(r.live),
                    max_streams: r.max,
                    retry_after: Some(r.retry_after()),
                    fail_mode: None,
                    cause: None,
                }))
            }
            Err(e) if e.is_store_failure() => {
                Ok(self.on_store_failure(e, &key, session, max, policy, req.previously_admitted))
            }
            Err(e) => Err(e),
        }
    }

    fn on_store_failure(
        &self,
        cause: CslError,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        policy: &Policy,
        vouched: bool,
    ) -> Verdict {
        let known = vouched || self.is_known(key, session);
        let degraded = |cause| {
            Verdict::Degraded(Degraded {
                mode: self.fail_mode,
                known_session: known,
                cause,
                license_duration: policy.license_duration(),
                renewal_delay: policy.renewal_delay(),
            })
        };
        let refused = |reason, cause| {
            Verdict::Refused(Refusal {
                reason,
                current_streams: None,
                max_streams: max.get(),
                retry_after: None,
                fail_mode: Some(self.fail_mode),
                cause: Some(cause),
            })
        };
        match self.fail_mode {
            FailMode::Closed => refused(RefusalReason::StoreUnavailable, cause),
            FailMode::Open => degraded(cause),
            FailMode::OpenForRenewals if known => {
                // Keep remembering it while it renews, however long the outage lasts.
                self.remember(key, session, policy);
                degraded(cause)
            }
            FailMode::OpenForRenewals => refused(RefusalReason::NewStreamsSuspended, cause),
        }
    }

    /// Ends a session explicitly (player stopped); its slot is free at once.
    pub async fn release(
        &self,
        site_id: &str,
        user_id: &str,
        session: &SessionId,
    ) -> Result<Released, CslError> {
        let key = SubjectKey::new(site_id, user_id);
        self.forget(&key, session);
        self.store.release(&key, session).await
    }

    /// The user's live sessions (support status page).
    pub async fn status(&self, site_id: &str, user_id: &str) -> Result<LiveSessions, CslError> {
        self.store.live(&SubjectKey::new(site_id, user_id)).await
    }

    fn remember(&self, key: &SubjectKey, session: &SessionId, policy: &Policy) {
        if let Some(known) = &self.known {
            known.admit_sync(key, session, NonZeroU32::MAX, policy.lease());
        }
    }

    fn forget(&self, key: &SubjectKey, session: &SessionId) {
        if let Some(known) = &self.known {
            known.release_sync(key, session);
        }
    }

    fn is_known(&self, key: &SubjectKey, session: &SessionId) -> bool {
        self.known.as_ref().is_some_and(|k| {
            k.live_sync(key)
                .leases
                .iter()
                .any(|l| l.session == *session)
        })
    }
}

#[cfg(test)]
mod tests;
