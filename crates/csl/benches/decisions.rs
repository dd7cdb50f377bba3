//! Decisions per second of the CSL stores (criterion).
//!
//! - `memory/*`: the in-memory store on its production clock: one thread over 100k users, both
//!   cores over 100k users, 64 threads fighting over one user, and the full `Limiter::check`
//!   path (SHA-256 key, rules, store) on one thread.
//! - `redis/*`: a redis-server started on a free loopback port: 64 concurrent tasks on one
//!   multiplexed connection (requests pipelined), and one caller at a time (round-trip bound).
//!   Skipped when redis-server is not installed.
//!
//! Run: `cargo bench -p csl --bench decisions`. Latency percentiles come from
//! `benches/csl-load.sh` (the `csl_load` example), not from here.

#[path = "../tests/common/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csl::{
    FailMode, LicenseRequest, Limiter, MemoryStore, Policy, RedisConfig, RedisStore, SessionId,
    Store, SubjectKey, Verdict,
};

const USERS: usize = 100_000;
const LEASE: Duration = Duration::from_secs(600);

fn users() -> Vec<(SubjectKey, SessionId)> {
    (0..USERS)
        .map(|i| {
            (
                SubjectKey::new("SITE", &format!("user-{i}")),
                SessionId::new(&format!("session-{}", i % 3)).unwrap(),
            )
        })
        .collect()
}

/// Polls a future that is ready at once (the memory store's) without a runtime.
fn ready<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => unreachable!("the memory store answers at once"),
    }
}

fn memory(c: &mut Criterion) {
    let max = NonZeroU32::new(3).unwrap();
    let users = Arc::new(users());
    let mut g = c.benchmark_group("memory");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(5));

    let store = MemoryStore::new();
    let mut i = 0usize;
    g.bench_function("admit_1_thread_100k_users", |b| {
        b.iter(|| {
            let (k, s) = &users[i % USERS];
            i = i.wrapping_add(7919);
            black_box(store.admit_sync(k, s, max, LEASE))
        })
    });

    let store = Arc::new(MemoryStore::new());
    g.bench_function("admit_2_threads_100k_users", |b| {
        b.iter_custom(|iters| parallel(2, iters, &store, &users, false))
    });
    g.bench_function("admit_64_threads_1_user", |b| {
        b.iter_custom(|iters| parallel(64, iters, &store, &users, true))
    });

    let limiter = Limiter::new(MemoryStore::new(), FailMode::default());
    let policy = Policy::default();
    let names: Vec<(String, SessionId)> = (0..USERS)
        .map(|i| {
            (
                format!("user-{i}"),
                SessionId::new(&format!("s{}", i % 3)).unwrap(),
            )
        })
        .collect();
    let mut j = 0usize;
    g.bench_function("limiter_check_1_thread", |b| {
        b.iter(|| {
            let (u, s) = &names[j % USERS];
            j = j.wrapping_add(7919);
            let req = LicenseRequest::streaming("SITE", Some(&policy), Some(u), Some(s));
            let v = ready(limiter.check(&req)).unwrap();
            debug_assert!(matches!(v, Verdict::Admitted(_)));
            black_box(v)
        })
    });
    g.finish();
}

/// `threads` threads share `iters` decisions; `one_user`: all on the same user.
fn parallel(
    threads: u64,
    iters: u64,
    store: &Arc<MemoryStore>,
    users: &Arc<Vec<(SubjectKey, SessionId)>>,
    one_user: bool,
) -> Duration {
    let max = NonZeroU32::new(3).unwrap();
    let per_thread = iters.div_ceil(threads);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                let mut i = (t as usize) * 7;
                for _ in 0..per_thread {
                    let (k, s) = if one_user {
                        (&users[0].0, &users[i % 16].1)
                    } else {
                        let (k, s) = &users[i % USERS];
                        (k, s)
                    };
                    black_box(store.admit_sync(k, s, max, LEASE));
                    i = i.wrapping_add(7919);
                }
            });
        }
    });
    start.elapsed()
}

fn redis(c: &mut Criterion) {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = rt.block_on(async {
        let s = RedisStore::open(
            &server.url(),
            RedisConfig {
                deadline: Duration::from_secs(5),
                ..RedisConfig::default()
            },
        )
        .unwrap();
        s.ping().await.unwrap();
        Arc::new(s)
    });
    let users = Arc::new(users());
    let max = NonZeroU32::new(3).unwrap();
    let mut g = c.benchmark_group("redis");
    g.throughput(Throughput::Elements(1));
    g.measurement_time(Duration::from_secs(8));
    g.sample_size(20);
    g.bench_function("admit_64_tasks_pipelined", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let tasks = 64u64;
                let per_task = iters.div_ceil(tasks);
                let start = Instant::now();
                let handles: Vec<_> = (0..tasks)
                    .map(|t| {
                        let store = Arc::clone(&store);
                        let users = Arc::clone(&users);
                        tokio::spawn(async move {
                            let mut i = (t as usize) * 1009;
                            for _ in 0..per_task {
                                let (k, s) = &users[i % USERS];
                                black_box(store.admit(k, s, max, LEASE).await.unwrap());
                                i = i.wrapping_add(7919);
                            }
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
                start.elapsed()
            })
        })
    });
    let mut i = 0usize;
    g.bench_function("admit_1_caller_round_trip", |b| {
        b.iter(|| {
            let (k, s) = &users[i % USERS];
            i = i.wrapping_add(7919);
            black_box(rt.block_on(store.admit(k, s, max, LEASE)).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, memory, redis);
criterion_main!(benches);
