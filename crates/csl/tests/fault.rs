//! Fault tests against a real redis-server owned by the test (only its pid is signalled):
//! - Redis SIGKILLed mid-run and restarted on the same port, once per fail mode: no panic, every
//!   call returns within its deadline, the verdicts during the outage are exactly the fail
//!   mode's, the store recovers by itself within a few seconds after Redis is back, and from
//!   the restart on nothing is over-admitted (the lost state is documented: docs/csl.md).
//! - `SCRIPT FLUSH` mid-run: callers see no error (EVALSHA falls back to loading the script).
//! - `CLIENT PAUSE ... WRITE`: calls time out during the pause, then decisions resume.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use csl::{
    FailMode, LicenseRequest, Limiter, Policy, RedisConfig, RedisStore, RefusalReason, SessionId,
    Verdict,
};

use common::oracle::{ClientLog, sweep};
use common::redis_server::RedisServer;

const CLIENTS: u64 = 8;
const MAX: u32 = 3;
const DEADLINE: Duration = Duration::from_millis(100);

/// One call as seen by a client.
struct Call {
    started: Instant,
    took: Duration,
    /// The session had been admitted by the store before (the limiter knows it).
    known: bool,
    verdict: Verdict,
}

/// Runs `CLIENTS` clients for `run_for`, each playing one session (renewing every 40 ms) and
/// now and then trying a second, new one. Returns every call, and each client's oracle log of
/// the store-verified admissions whose replies arrived after `epoch` (once it is set).
async fn run_clients(
    limiter: Arc<Limiter<RedisStore>>,
    run_for: Duration,
    epoch: Arc<Mutex<Option<Instant>>>,
) -> (Vec<Call>, Vec<ClientLog>) {
    // Leases of 1 s: long against the 40 ms renewals, so a client starved by a loaded machine
    // does not lose its session between two calls.
    let policy = Policy::new(MAX, Duration::from_secs(1)).unwrap();
    let until = Instant::now() + run_for;
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let limiter = Arc::clone(&limiter);
            let epoch = Arc::clone(&epoch);
            tokio::spawn(async move {
                let mut calls = Vec::new();
                let mut log = ClientLog::default();
                let mut known = false;
                let mut n = 0u64;
                let main = id * 1_000_000;
                while Instant::now() < until {
                    n += 1;
                    let s = if n.is_multiple_of(10) { main + n } else { main };
                    let sid = SessionId::new(&format!("c{s}")).unwrap();
                    let req =
                        LicenseRequest::streaming("SITE", Some(&policy), Some("u"), Some(&sid));
                    let started = Instant::now();
                    let verdict = limiter.check(&req).await.expect("no request error");
                    let finished = Instant::now();
                    let took = finished - started;
                    // A reply that arrives after the restart began came from the new server
                    // (the old one was killed seconds before and every call has a deadline of
                    // 100 ms), even when its call started during the outage: such a call can
                    // be admitted by the new server while it reconnects, and its session's next
                    // call is then a renewal the oracle must have seen start (seen in CI).
                    let after_epoch = epoch.lock().unwrap().is_some_and(|e| finished >= e);
                    if let Verdict::Admitted(a) = &verdict
                        && after_epoch
                    {
                        log.admitted(s, &a.admission);
                    }
                    if let Verdict::Refused(r) = &verdict
                        && r.reason == RefusalReason::LimitReached
                        && after_epoch
                    {
                        log.limit_reached(s);
                    }
                    // A call that failed on the store side may still have been applied: a
                    // deadline that expired after Redis got the request (a restarted server
                    // loading the script on a loaded machine, or a paused one that runs its
                    // queue once the pause ends) only lost the reply (seen in CI).
                    if !is_store_verified(&verdict) && after_epoch {
                        log.outcome_unknown(s);
                    }
                    calls.push(Call {
                        started,
                        took,
                        known: s == main && known,
                        verdict: verdict.clone(),
                    });
                    if s == main {
                        match verdict {
                            Verdict::Admitted(_) => known = true,
                            Verdict::Refused(ref r) if r.reason == RefusalReason::LimitReached => {
                                known = false
                            }
                            _ => {}
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(40)).await;
                }
                (calls, log)
            })
        })
        .collect();
    let mut calls = Vec::new();
    let mut logs = Vec::new();
    for t in tasks {
        let (c, l) = t.await.expect("a client panicked");
        calls.extend(c);
        logs.push(l);
    }
    (calls, logs)
}

fn limiter(server: &RedisServer, mode: FailMode) -> Arc<Limiter<RedisStore>> {
    let store = RedisStore::open(
        &server.url(),
        RedisConfig {
            deadline: DEADLINE,
            ..RedisConfig::default()
        },
    )
    .unwrap();
    Arc::new(Limiter::new(store, mode))
}

fn is_store_verified(v: &Verdict) -> bool {
    matches!(v, Verdict::Admitted(_))
        || matches!(v, Verdict::Refused(r) if r.reason == RefusalReason::LimitReached)
}

async fn kill_and_restart(mode: FailMode) {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let limiter = limiter(&server, mode);
    limiter.store().ping().await.unwrap();
    let epoch = Arc::new(Mutex::new(None));
    let clients = tokio::spawn(run_clients(
        Arc::clone(&limiter),
        Duration::from_secs(9),
        Arc::clone(&epoch),
    ));
    let server = Arc::new(Mutex::new(server));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = Arc::clone(&server);
    let killed = tokio::task::spawn_blocking(move || {
        s.lock().unwrap().kill();
        Instant::now()
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = Arc::clone(&server);
    let restart_begins = Instant::now();
    // The oracle starts from the restart's beginning, not its end: a call that is in flight
    // while the new redis-server comes up can already be admitted by it.
    *epoch.lock().unwrap() = Some(restart_begins);
    let back = tokio::task::spawn_blocking(move || {
        s.lock().unwrap().restart();
        Instant::now()
    })
    .await
    .unwrap();
    let (calls, logs) = clients.await.unwrap();

    // No call ever hung: each returned within its deadline plus scheduling slack.
    let slowest = calls.iter().map(|c| c.took).max().unwrap();
    assert!(slowest < Duration::from_secs(2), "a call took {slowest:?}");

    // During the outage, exactly the fail mode's verdicts.
    let outage: Vec<&Call> = calls
        .iter()
        .filter(|c| c.started > killed && c.started + c.took < restart_begins)
        .collect();
    assert!(
        outage.len() > 20,
        "too few calls during the outage: {}",
        outage.len()
    );
    let mut known_seen = 0;
    for c in &outage {
        match (mode, &c.verdict) {
            (FailMode::Closed, Verdict::Refused(r)) => {
                assert_eq!(r.reason, RefusalReason::StoreUnavailable);
                assert_eq!(r.fail_mode, Some(FailMode::Closed));
                assert!(r.cause.as_ref().is_some_and(|e| e.is_store_failure()));
            }
            (FailMode::Open, Verdict::Degraded(d)) => assert_eq!(d.mode, FailMode::Open),
            (FailMode::OpenForRenewals, Verdict::Degraded(d)) if c.known => {
                assert!(d.known_session);
                known_seen += 1;
            }
            (FailMode::OpenForRenewals, Verdict::Refused(r)) if !c.known => {
                assert_eq!(r.reason, RefusalReason::NewStreamsSuspended);
            }
            (m, v) => panic!(
                "fail mode {m}: unexpected verdict during the outage: {v:?} (known {})",
                c.known
            ),
        }
    }
    if mode == FailMode::OpenForRenewals {
        assert!(known_seen > 0, "no known session renewed during the outage");
    }

    // Recovery: the first store-verified decision after Redis is back.
    let recovered = calls
        .iter()
        .filter(|c| c.started >= back && is_store_verified(&c.verdict))
        .map(|c| c.started + c.took)
        .min()
        .expect("the store never recovered");
    let recovery = recovered.duration_since(back);
    eprintln!(
        "{mode}: {} calls, {} during the outage, slowest {slowest:?}, recovered {recovery:?} after restart",
        calls.len(),
        outage.len()
    );
    assert!(
        recovery < Duration::from_secs(5),
        "recovery took {recovery:?}"
    );

    // From the restart on (the state before it was lost), nothing is over-admitted.
    let s = sweep(&logs, MAX);
    assert!(
        s.violations.is_empty(),
        "{:?}",
        &s.violations[..s.violations.len().min(5)]
    );
    assert!(s.max_live >= 1 && s.max_live <= MAX);
    let anomalies: Vec<&String> = logs.iter().flat_map(|l| &l.anomalies).collect();
    assert!(anomalies.is_empty(), "{anomalies:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_fail_closed() {
    kill_and_restart(FailMode::Closed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_fail_open() {
    kill_and_restart(FailMode::Open).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_and_restarted_open_for_renewals() {
    kill_and_restart(FailMode::OpenForRenewals).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn script_flush_mid_run_is_invisible_to_callers() {
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
    let limiter = Arc::new(Limiter::new(store, FailMode::Closed));
    let epoch = Arc::new(Mutex::new(Some(Instant::now())));
    let clients = tokio::spawn(run_clients(limiter, Duration::from_secs(2), epoch));
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(server.command("SCRIPT FLUSH"), "+OK");
    }
    let (calls, logs) = clients.await.unwrap();
    let failed: Vec<&Verdict> = calls
        .iter()
        .map(|c| &c.verdict)
        .filter(|v| !is_store_verified(v))
        .collect();
    assert!(
        failed.is_empty(),
        "{} calls failed, e.g. {:?}",
        failed.len(),
        failed[0]
    );
    assert!(sweep(&logs, MAX).violations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_pause_times_out_then_resumes() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let limiter = limiter(&server, FailMode::OpenForRenewals);
    limiter.store().ping().await.unwrap();
    let epoch = Arc::new(Mutex::new(Some(Instant::now())));
    let clients = tokio::spawn(run_clients(limiter, Duration::from_secs(4), epoch));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let paused = Instant::now();
    assert_eq!(server.command("CLIENT PAUSE 1500 WRITE"), "+OK");
    let (calls, logs) = clients.await.unwrap();
    let timeouts = calls
        .iter()
        .filter(|c| c.started > paused && c.started < paused + Duration::from_millis(1000))
        .filter(|c| {
            let cause = match &c.verdict {
                Verdict::Degraded(d) => Some(&d.cause),
                Verdict::Refused(r) => r.cause.as_ref(),
                _ => None,
            };
            cause.is_some_and(|e| e.code() == "CSL_STORE_TIMEOUT")
        })
        .count();
    assert!(timeouts > 0, "no call timed out during the pause");
    let slowest = calls.iter().map(|c| c.took).max().unwrap();
    assert!(slowest < Duration::from_secs(2), "a call took {slowest:?}");
    let resumed = calls
        .iter()
        .any(|c| c.started > paused + Duration::from_millis(2000) && is_store_verified(&c.verdict));
    assert!(resumed, "decisions did not resume after the pause");
    assert!(sweep(&logs, MAX).violations.is_empty());
    let anomalies: Vec<&String> = logs.iter().flat_map(|l| &l.anomalies).collect();
    assert!(anomalies.is_empty(), "{anomalies:?}");
}
