//! Unit tests of the product rules and the fail modes, on a manual clock.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::*;
use crate::decision::Decision;
use crate::time::{ManualClock, StoreTime};

/// A memory store that can be switched to failing, like a Redis that went away.
struct FlakyStore {
    inner: MemoryStore<ManualClock>,
    down: AtomicBool,
}

impl FlakyStore {
    fn check(&self) -> Result<(), CslError> {
        if self.down.load(Ordering::SeqCst) {
            Err(CslError::StoreUnavailable {
                detail: "connection refused".into(),
            })
        } else {
            Ok(())
        }
    }
}

impl Store for FlakyStore {
    async fn admit(
        &self,
        key: &SubjectKey,
        session: &SessionId,
        max: NonZeroU32,
        lease: Duration,
    ) -> Result<Decision, CslError> {
        self.check()?;
        Ok(self.inner.admit_sync(key, session, max, lease))
    }

    async fn release(&self, key: &SubjectKey, session: &SessionId) -> Result<Released, CslError> {
        self.check()?;
        Ok(self.inner.release_sync(key, session))
    }

    async fn live(&self, key: &SubjectKey) -> Result<LiveSessions, CslError> {
        self.check()?;
        Ok(self.inner.live_sync(key))
    }
}

fn sid(s: &str) -> SessionId {
    SessionId::new(s).unwrap()
}

fn policy(max: u32, secs: u64) -> Policy {
    Policy::new(max, Duration::from_secs(secs)).unwrap()
}

fn memory_limiter() -> (Limiter<MemoryStore<ManualClock>>, ManualClock) {
    let clock = ManualClock::new(StoreTime::from_micros(1));
    let store = MemoryStore::with_clock(clock.clone());
    (Limiter::new(store, FailMode::default()), clock)
}

fn flaky_limiter(mode: FailMode) -> (Limiter<FlakyStore, ManualClock>, ManualClock) {
    let clock = ManualClock::new(StoreTime::from_micros(1));
    let store = FlakyStore {
        inner: MemoryStore::with_clock(clock.clone()),
        down: AtomicBool::new(false),
    };
    (Limiter::with_clock(store, mode, clock.clone()), clock)
}

fn set_down<C: Clock>(l: &Limiter<FlakyStore, C>, down: bool) {
    l.store().down.store(down, Ordering::SeqCst);
}

async fn check<S: Store, C: Clock>(
    l: &Limiter<S, C>,
    p: &Policy,
    user: &str,
    session: &SessionId,
) -> Verdict {
    l.check(&LicenseRequest::streaming(
        "SITE",
        Some(p),
        Some(user),
        Some(session),
    ))
    .await
    .unwrap()
}

fn refusal(v: Verdict) -> Refusal {
    match v {
        Verdict::Refused(r) => r,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn admits_with_license_terms_from_the_policy() {
    let (l, _) = memory_limiter();
    let p = policy(2, 600).with_grace(Duration::from_secs(30)).unwrap();
    let Verdict::Admitted(a) = check(&l, &p, "u", &sid("s1")).await else {
        panic!("not admitted")
    };
    assert_eq!(a.license_duration, Duration::from_secs(600));
    assert_eq!(a.renewal_delay, Duration::from_secs(480));
    assert_eq!(
        a.admission.expires_at.since(a.admission.now),
        Duration::from_secs(630),
        "the lease is interval + grace"
    );
}

#[tokio::test]
async fn limit_refusal_carries_counts_and_retry_after() {
    let (l, clock) = memory_limiter();
    let p = policy(2, 600);
    check(&l, &p, "u", &sid("s1")).await;
    clock.advance(Duration::from_secs(100));
    check(&l, &p, "u", &sid("s2")).await;
    let r = refusal(check(&l, &p, "u", &sid("s3")).await);
    assert_eq!(r.reason, RefusalReason::LimitReached);
    assert_eq!((r.current_streams, r.max_streams), (Some(2), 2));
    assert_eq!(r.retry_after, Some(Duration::from_secs(500)));
    assert_eq!(r.fail_mode, None);
    assert_eq!(r.reason.http_status(), 403);
}

#[tokio::test]
async fn persistent_and_cast_licenses_are_neither_counted_nor_refused() {
    let (l, _) = memory_limiter();
    let p = policy(1, 600);
    check(&l, &p, "u", &sid("s1")).await;
    for (kind, exemption) in [
        (LicenseKind::Persistent, Exemption::Persistent),
        (LicenseKind::CastReceiver, Exemption::CastReceiver),
    ] {
        for _ in 0..3 {
            let mut req = LicenseRequest::streaming("SITE", Some(&p), Some("u"), None);
            req.kind = kind;
            assert_eq!(l.check(&req).await.unwrap(), Verdict::Exempt(exemption));
            assert_eq!(
                l.check(&req).await.unwrap().license_duration(),
                None,
                "issued without renewal"
            );
        }
    }
    // Persistent licenses need no user id either.
    let mut req = LicenseRequest::streaming("SITE", Some(&p), None, None);
    req.kind = LicenseKind::Persistent;
    assert!(l.check(&req).await.unwrap().issues_license());
    assert_eq!(l.status("SITE", "u").await.unwrap().leases.len(), 1);
    assert_eq!(LicenseKind::from_flags(true, true), LicenseKind::Persistent);
    assert_eq!(
        LicenseKind::from_flags(false, true),
        LicenseKind::CastReceiver
    );
    assert_eq!(
        LicenseKind::from_flags(false, false),
        LicenseKind::Streaming
    );
}

#[tokio::test]
async fn sites_without_csl_are_exempt() {
    let (l, _) = memory_limiter();
    let req = LicenseRequest::streaming("SITE", None, None, None);
    assert_eq!(
        l.check(&req).await.unwrap(),
        Verdict::Exempt(Exemption::CslDisabled)
    );
}

#[tokio::test]
async fn a_missing_user_id_is_an_error_when_csl_is_enabled() {
    let (l, _) = memory_limiter();
    let p = policy(3, 600);
    let s = sid("s1");
    for user in [None, Some(""), Some("   "), Some(ANONYMOUS_USER_ID)] {
        let e = l
            .check(&LicenseRequest::streaming("SITE", Some(&p), user, Some(&s)))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            CslError::MissingUserId {
                site: "SITE".into()
            }
        );
        assert_eq!(
            (e.code(), e.number(), e.http_status()),
            ("CSL_USER_ID_REQUIRED", 7101, 400)
        );
    }
    let e = l
        .check(&LicenseRequest::streaming(
            "SITE",
            Some(&p),
            Some("u"),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(e, CslError::MissingSessionId);
}

#[tokio::test]
async fn key_rotation_on_a_csl_site_is_refused_per_request_too() {
    let (l, _) = memory_limiter();
    let p = policy(3, 600);
    let s = sid("s1");
    let mut req = LicenseRequest::streaming("SITE", Some(&p), Some("u"), Some(&s));
    req.key_rotation = true;
    assert!(matches!(
        l.check(&req).await,
        Err(CslError::KeyRotationConflict { .. })
    ));
}

#[tokio::test]
async fn the_token_override_wins_over_the_site_value() {
    let (l, _) = memory_limiter();
    let p = policy(3, 600);
    let (s1, s2) = (sid("s1"), sid("s2"));
    let mut req = LicenseRequest::streaming("SITE", Some(&p), Some("u"), Some(&s1));
    req.max_stream_per_user = Some(1);
    assert!(matches!(l.check(&req).await.unwrap(), Verdict::Admitted(_)));
    req.session = Some(&s2);
    let r = refusal(l.check(&req).await.unwrap());
    assert_eq!(r.max_streams, 1);
    req.max_stream_per_user = Some(0);
    assert!(
        matches!(l.check(&req).await.unwrap(), Verdict::Admitted(a) if a.admission.max == 3),
        "0 means the site value"
    );
    req.max_stream_per_user = Some(100_000);
    assert!(matches!(
        l.check(&req).await,
        Err(CslError::InvalidPolicy { .. })
    ));
}

#[tokio::test]
async fn release_and_status_go_to_the_store() {
    let (l, _) = memory_limiter();
    let p = policy(1, 600);
    check(&l, &p, "u", &sid("s1")).await;
    assert_eq!(l.status("SITE", "u").await.unwrap().leases.len(), 1);
    assert!(l.release("SITE", "u", &sid("s1")).await.unwrap().removed);
    assert!(matches!(
        check(&l, &p, "u", &sid("s2")).await,
        Verdict::Admitted(_)
    ));
}

#[tokio::test]
async fn fail_closed_refuses_everyone_with_a_distinct_code() {
    let (l, _) = flaky_limiter(FailMode::Closed);
    let p = policy(3, 600);
    check(&l, &p, "u", &sid("s1")).await;
    set_down(&l, true);
    for s in ["s1", "s2"] {
        let r = refusal(check(&l, &p, "u", &sid(s)).await);
        assert_eq!(r.reason, RefusalReason::StoreUnavailable);
        assert_eq!(r.fail_mode, Some(FailMode::Closed));
        assert_eq!((r.current_streams, r.max_streams), (None, 3));
        assert!(r.cause.as_ref().is_some_and(CslError::is_store_failure));
    }
    set_down(&l, false);
    assert!(matches!(
        check(&l, &p, "u", &sid("s2")).await,
        Verdict::Admitted(_)
    ));
}

#[tokio::test]
async fn fail_open_lets_everyone_through_unverified() {
    let (l, _) = flaky_limiter(FailMode::Open);
    let p = policy(1, 600);
    check(&l, &p, "u", &sid("s1")).await;
    set_down(&l, true);
    for s in ["s1", "s2", "s3"] {
        let Verdict::Degraded(d) = check(&l, &p, "u", &sid(s)).await else {
            panic!("fail-open must issue")
        };
        assert_eq!(d.mode, FailMode::Open);
        assert_eq!(d.known_session, s == "s1");
        assert_eq!(d.license_duration, Duration::from_secs(600));
    }
}

#[tokio::test]
async fn open_for_renewals_keeps_known_sessions_and_refuses_new_ones() {
    let (l, clock) = flaky_limiter(FailMode::OpenForRenewals);
    let p = policy(3, 60);
    check(&l, &p, "u", &sid("known")).await;
    set_down(&l, true);
    // The known session renews through a long outage: each renewal keeps it known.
    for _ in 0..5 {
        clock.advance(Duration::from_secs(50));
        let Verdict::Degraded(d) = check(&l, &p, "u", &sid("known")).await else {
            panic!("a known session keeps playing")
        };
        assert!(d.known_session);
        assert_eq!(d.mode, FailMode::OpenForRenewals);
    }
    let r = refusal(check(&l, &p, "u", &sid("new")).await);
    assert_eq!(r.reason, RefusalReason::NewStreamsSuspended);
    assert_eq!(r.reason.code(), "CSL_NEW_STREAMS_SUSPENDED");
    assert_eq!(r.fail_mode, Some(FailMode::OpenForRenewals));
    // A session the caller vouches for (e.g. a renewal ticket it signed) is let through.
    let s = sid("vouched");
    let mut req = LicenseRequest::streaming("SITE", Some(&p), Some("u"), Some(&s));
    req.previously_admitted = true;
    assert!(matches!(
        l.check(&req).await.unwrap(),
        Verdict::Degraded(Degraded {
            known_session: true,
            ..
        })
    ));
}

#[tokio::test]
async fn a_session_that_stopped_renewing_is_forgotten_after_its_lease() {
    let (l, clock) = flaky_limiter(FailMode::OpenForRenewals);
    let p = policy(3, 60);
    check(&l, &p, "u", &sid("a")).await;
    clock.advance(Duration::from_secs(60));
    set_down(&l, true);
    let r = refusal(check(&l, &p, "u", &sid("a")).await);
    assert_eq!(r.reason, RefusalReason::NewStreamsSuspended);
}

#[tokio::test]
async fn released_and_refused_sessions_are_not_known() {
    let (l, _) = flaky_limiter(FailMode::OpenForRenewals);
    let p = policy(1, 60);
    check(&l, &p, "u", &sid("a")).await;
    l.release("SITE", "u", &sid("a")).await.unwrap();
    check(&l, &p, "u", &sid("b")).await;
    refusal(check(&l, &p, "u", &sid("c")).await);
    set_down(&l, true);
    for s in ["a", "c"] {
        let r = refusal(check(&l, &p, "u", &sid(s)).await);
        assert_eq!(r.reason, RefusalReason::NewStreamsSuspended, "session {s}");
    }
    assert!(matches!(
        check(&l, &p, "u", &sid("b")).await,
        Verdict::Degraded(_)
    ));
    assert!(
        l.release("SITE", "u", &sid("b"))
            .await
            .unwrap_err()
            .is_store_failure()
    );
}

/// The service runs `check` inside axum handlers: its future must be `Send` for every store.
#[test]
fn check_futures_are_send_for_every_store() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<Limiter<crate::AnyStore>>();
    assert_sync::<Limiter<crate::RedisStore>>();
    let limiter = Limiter::new(MemoryStore::new(), FailMode::default());
    let p = policy(1, 60);
    let s = sid("a");
    let req = LicenseRequest::streaming("SITE", Some(&p), Some("u"), Some(&s));
    assert_send(&limiter.check(&req));
    assert_send(&limiter.release("SITE", "u", &s));
    assert_send(&limiter.status("SITE", "u"));
    fn any_store_check_is_send(l: &Limiter<crate::AnyStore>, req: &LicenseRequest<'_>) {
        assert_send(&l.check(req));
    }
    let _ = any_store_check_is_send;
}
