//! The product guide's scenario, with max 2 and a short interval: devices 1 and 2 are admitted,
//! device 3 is refused with the counts a 403 body needs; device 1 stops renewing; one lease
//! later device 3 is admitted; the independent oracle never sees more than 2 streams live.
//! Run on the memory store (manual clock) and on a real redis-server (real time).

mod common;

use std::time::Duration;

use csl::{
    FailMode, LicenseRequest, Limiter, ManualClock, MemoryStore, Policy, RedisConfig, RedisStore,
    RefusalReason, SessionId, Store, StoreTime, Verdict,
};

use common::oracle::{ClientLog, sweep};
use common::redis_server::RedisServer;

struct Devices<'a, S: Store> {
    limiter: &'a Limiter<S>,
    policy: Policy,
    log: ClientLog,
}

impl<S: Store> Devices<'_, S> {
    /// Device `n` asks for (or renews) its license.
    async fn request(&mut self, n: u64) -> Verdict {
        let id = SessionId::new(&format!("device-{n}")).unwrap();
        let req = LicenseRequest::streaming("SITE", Some(&self.policy), Some("alice"), Some(&id));
        let v = self.limiter.check(&req).await.unwrap();
        match &v {
            Verdict::Admitted(a) => self.log.admitted(n, &a.admission),
            Verdict::Refused(r) => assert_eq!(r.reason, RefusalReason::LimitReached),
            other => panic!("unexpected verdict {other:?}"),
        }
        v
    }
}

fn expires(v: &Verdict) -> StoreTime {
    match v {
        Verdict::Admitted(a) => a.admission.expires_at,
        other => panic!("device not admitted: {other:?}"),
    }
}

fn assert_limit_refusal(v: &Verdict) {
    let Verdict::Refused(r) = v else {
        panic!("device 3 must be refused, got {v:?}")
    };
    assert_eq!(r.reason.code(), "CSL_LIMIT_REACHED");
    assert_eq!(r.reason.number(), 7001);
    assert_eq!(r.reason.http_status(), 403);
    assert_eq!((r.current_streams, r.max_streams), (Some(2), 2));
    assert!(r.retry_after.is_some());
    assert!(r.message().contains("2 of 2"));
}

#[tokio::test]
async fn memory_store_scenario() {
    let clock = ManualClock::new(StoreTime::from_micros(1));
    let limiter = Limiter::new(MemoryStore::with_clock(clock.clone()), FailMode::default());
    let policy = Policy::new(2, Duration::from_secs(10)).unwrap();
    let mut d = Devices {
        limiter: &limiter,
        policy,
        log: ClientLog::default(),
    };
    let step = Duration::from_secs(1);
    let mut last1 = expires(&d.request(1).await);
    clock.advance(step);
    let mut last2 = expires(&d.request(2).await);
    clock.advance(step);
    assert_limit_refusal(&d.request(3).await);
    // Both play and renew every 8 s for a while; device 3 keeps being refused.
    for _ in 0..3 {
        clock.advance(Duration::from_secs(8));
        last1 = expires(&d.request(1).await);
        last2 = expires(&d.request(2).await);
        assert_limit_refusal(&d.request(3).await);
    }
    // Device 1 stops renewing (crash: no release). Device 2 keeps renewing; device 3 retries
    // every second and gets in exactly when device 1's lease ends.
    let admitted_at = loop {
        clock.advance(step);
        if clock_now(&clock) >= last2.as_micros().saturating_sub(2_000_000) {
            last2 = expires(&d.request(2).await);
        }
        match d.request(3).await {
            Verdict::Admitted(a) => break a.admission.now,
            Verdict::Refused(r) => assert_eq!(r.current_streams, Some(2)),
            other => panic!("{other:?}"),
        }
    };
    assert!(
        admitted_at >= last1,
        "device 3 got in before device 1's lease ended"
    );
    assert!(admitted_at.since(last1) < step + Duration::from_micros(1));
    let s = sweep([&d.log], 2);
    assert_eq!(s.max_live, 2);
    assert!(s.violations.is_empty() && d.log.anomalies.is_empty());
}

fn clock_now(c: &ManualClock) -> u64 {
    use csl::Clock as _;
    c.now().as_micros()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_scenario() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let store = RedisStore::open(
        &server.url(),
        RedisConfig {
            deadline: Duration::from_secs(5),
            ..RedisConfig::default()
        },
    )
    .unwrap();
    store.ping().await.unwrap();
    let limiter = Limiter::new(store, FailMode::default());
    // 1 s leases renewed every 150 ms: a starved test task still renews in time.
    let interval = Duration::from_secs(1);
    let policy = Policy::new(2, interval).unwrap();
    let mut d = Devices {
        limiter: &limiter,
        policy,
        log: ClientLog::default(),
    };
    let renew_every = Duration::from_millis(150);
    let mut last1 = expires(&d.request(1).await);
    expires(&d.request(2).await);
    assert_limit_refusal(&d.request(3).await);
    for _ in 0..4 {
        tokio::time::sleep(renew_every).await;
        last1 = expires(&d.request(1).await);
        expires(&d.request(2).await);
        assert_limit_refusal(&d.request(3).await);
    }
    // Device 1 stops renewing; device 2 renews; device 3 retries every 20 ms.
    let started = std::time::Instant::now();
    let mut next_renewal = started + renew_every;
    let admitted_at = loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if std::time::Instant::now() >= next_renewal {
            expires(&d.request(2).await);
            next_renewal += renew_every;
        }
        if let Verdict::Admitted(a) = d.request(3).await {
            break a.admission.now;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "device 3 was never admitted"
        );
    };
    assert!(
        admitted_at >= last1,
        "device 3 admitted at {admitted_at} before device 1's lease ended at {last1}"
    );
    let s = sweep([&d.log], 2);
    assert_eq!(s.max_live, 2);
    assert!(s.violations.is_empty(), "{:?}", s.violations);
    assert!(d.log.anomalies.is_empty(), "{:?}", d.log.anomalies);
}
