//! Clock tests of the Redis store, whose only clock is the Redis server's `TIME`:
//! - the server's wall clock is shifted back 10 minutes (libfaketime, Debian `faketime`) in the
//!   middle of a run with many clients on one user: nobody is admitted too many, store time
//!   never runs backwards, renewals and releases keep working;
//! - shifted forward 10 minutes, every lease expires at once (the documented limit);
//! - two store instances ("replicas") share one count and one clock: the server's, not theirs.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use csl::{Decision, RedisConfig, RedisStore, SessionId, Store, StoreTime, SubjectKey};

use common::oracle::{ClientLog, sweep};
use common::redis_server::RedisServer;

const MAX: u32 = 3;

fn store(server: &RedisServer) -> RedisStore {
    RedisStore::open(
        &server.url(),
        RedisConfig {
            deadline: Duration::from_secs(10),
            ..RedisConfig::default()
        },
    )
    .unwrap()
}

fn server_time(server: &RedisServer) -> u64 {
    // Inline reply: *2 $10 <secs> $6 <micros>
    let reply = server.command("TIME");
    let nums: Vec<u64> = reply
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    nums[0] * 1_000_000 + nums[1]
}

fn local_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as u64
}

fn sid(s: u64) -> SessionId {
    SessionId::new(&format!("s{s}")).unwrap()
}

/// 16 clients, each renewing its session every 10 ms, releasing it now and then, and starting
/// new ones; returns their logs and every store time seen, in each client's order.
async fn clients(store: Arc<RedisStore>, run_for: Duration) -> Vec<(ClientLog, Vec<StoreTime>)> {
    let key = SubjectKey::new("SITE", "clocked");
    let max = NonZeroU32::new(MAX).unwrap();
    let lease = Duration::from_millis(150);
    let until = Instant::now() + run_for;
    let tasks: Vec<_> = (0..16u64)
        .map(|id| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut log = ClientLog::default();
                let mut times = Vec::new();
                let mut n = 0u64;
                let mut current = id * 1_000_000;
                while Instant::now() < until {
                    n += 1;
                    if n.is_multiple_of(25) {
                        let r = store.release(&key, &sid(current)).await.unwrap();
                        log.released(current, &r);
                        times.push(r.now);
                        current += 1;
                    } else {
                        let d = store.admit(&key, &sid(current), max, lease).await.unwrap();
                        times.push(d.now());
                        match &d {
                            Decision::Admitted(a) => log.admitted(current, a),
                            Decision::Refused(r) => log.refused(current, r),
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                (log, times)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_clock_shifted_back_ten_minutes_mid_run_admits_no_one_too_many() {
    let Some(server) = RedisServer::start_faketime() else {
        return;
    };
    let before = server_time(&server);
    assert!(
        before.abs_diff(local_time()) < 60_000_000,
        "faketime starts at +0"
    );
    let store = Arc::new(store(&server));
    store.ping().await.unwrap();
    let run = tokio::spawn(clients(Arc::clone(&store), Duration::from_secs(5)));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    server.shift_clock("-10m");
    let shifted = server_time(&server);
    assert!(
        local_time().saturating_sub(shifted) > 590_000_000,
        "the server's clock did not go back"
    );
    let results = run.await.unwrap();

    let logs: Vec<&ClientLog> = results.iter().map(|(l, _)| l).collect();
    let s = sweep(logs.iter().copied(), MAX);
    let anomalies: Vec<&String> = logs.iter().flat_map(|l| &l.anomalies).collect();
    eprintln!(
        "faketime -10m: {} decisions, {} lifetimes, max live {}",
        logs.iter().map(|l| l.decisions).sum::<u64>(),
        s.lifetimes,
        s.max_live
    );
    assert!(
        s.violations.is_empty(),
        "over-admission: {:?}",
        &s.violations[..s.violations.len().min(5)]
    );
    assert!(anomalies.is_empty(), "{anomalies:?}");
    assert_eq!(s.max_live, MAX);
    for (_, times) in &results {
        assert!(
            times.windows(2).all(|w| w[0] <= w[1]),
            "store time ran backwards for a client"
        );
    }
    // Decisions after the shift happened in store time at or after the last one before it.
    let latest = results.iter().flat_map(|(_, t)| t).max().unwrap();
    assert!(latest.as_micros() >= before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_clock_shifted_forward_expires_every_lease_as_documented() {
    let Some(server) = RedisServer::start_faketime() else {
        return;
    };
    let store = store(&server);
    let key = SubjectKey::new("SITE", "forward");
    let max = NonZeroU32::new(2).unwrap();
    let lease = Duration::from_secs(60);
    for s in 0..2 {
        assert!(matches!(
            store.admit(&key, &sid(s), max, lease).await.unwrap(),
            Decision::Admitted(_)
        ));
    }
    assert!(matches!(
        store.admit(&key, &sid(2), max, lease).await.unwrap(),
        Decision::Refused(_)
    ));
    server.shift_clock("+10m");
    match store.admit(&key, &sid(2), max, lease).await.unwrap() {
        Decision::Admitted(a) => assert_eq!(a.live, 1, "all earlier leases expired"),
        d => panic!("{d:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_share_one_count_and_the_servers_clock() {
    let Some(server) = RedisServer::start_faketime() else {
        return;
    };
    // The server runs 5 minutes behind this process: decisions must follow the server.
    server.shift_clock("-5m");
    let a = store(&server);
    let b = store(&server);
    let key = SubjectKey::new("SITE", "shared");
    let max = NonZeroU32::new(3).unwrap();
    let lease = Duration::from_secs(30);
    let mut last = StoreTime::default();
    for (i, replica) in [&a, &b, &a, &b, &a].into_iter().enumerate() {
        let d = replica
            .admit(&key, &sid(i as u64), max, lease)
            .await
            .unwrap();
        assert!(d.now() >= last, "the replicas disagree on time");
        last = d.now();
        let behind = local_time().saturating_sub(d.now().as_micros());
        assert!(
            (290_000_000..310_000_000).contains(&behind),
            "store time is not the server's"
        );
        match (i, d) {
            (0..3, Decision::Admitted(adm)) => assert_eq!(adm.live as usize, i + 1),
            (3.., Decision::Refused(r)) => assert_eq!(r.live, 3),
            (_, d) => panic!("replica decision {i}: {d:?}"),
        }
    }
    assert_eq!(
        a.live(&key).await.unwrap().leases,
        b.live(&key).await.unwrap().leases
    );
}
