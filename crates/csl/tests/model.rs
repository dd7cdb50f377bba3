//! Model-based property test: random admit / release / clock-advance / listing sequences run
//! against the reference model (`common/model.rs`), and both stores must agree with it exactly:
//! the memory store on a manual clock, and the Redis store (a real `redis-server` started on a
//! free port) running its production scripts with the time passed in from the same clock.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use csl::{
    ManualClock, MemoryStore, RedisClock, RedisConfig, RedisStore, SessionId, Store, StoreTime,
    SubjectKey,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use common::model::Model;
use common::redis_server::RedisServer;

#[derive(Debug, Clone)]
enum Op {
    Admit {
        user: u8,
        session: u8,
        max: u32,
        lease_ms: u64,
    },
    Release {
        user: u8,
        session: u8,
    },
    Advance {
        micros: u64,
    },
    Live {
        user: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..3u8, 0..5u8, 1..4u32, prop::sample::select(vec![1u64, 3, 10, 40]))
            .prop_map(|(user, session, max, lease_ms)| Op::Admit { user, session, max, lease_ms }),
        2 => (0..3u8, 0..5u8).prop_map(|(user, session)| Op::Release { user, session }),
        3 => prop_oneof![Just(0u64), 0..2_000u64, 0..50_000u64].prop_map(|micros| Op::Advance { micros }),
        1 => (0..3u8).prop_map(|user| Op::Live { user }),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..60)
}

fn key(user: u8) -> SubjectKey {
    SubjectKey::new("SITE", &format!("user{user}"))
}

fn sid(session: u8) -> SessionId {
    SessionId::new(&format!("session-{session}")).unwrap()
}

const START: u64 = 1_000_000;

/// Runs `ops` on `store` and the model, comparing every answer.
async fn run_against_model<S: Store>(
    store: &S,
    clock: &ManualClock,
    ops: &[Op],
) -> Result<(), TestCaseError> {
    let mut model = Model::default();
    for (i, op) in ops.iter().enumerate() {
        let now = clock.now().as_micros();
        match *op {
            Op::Admit {
                user,
                session,
                max,
                lease_ms,
            } => {
                let got = store
                    .admit(
                        &key(user),
                        &sid(session),
                        NonZeroU32::new(max).unwrap(),
                        Duration::from_millis(lease_ms),
                    )
                    .await
                    .map_err(|e| TestCaseError::fail(format!("op {i}: {e}")))?;
                let want = model.admit(now, user, &sid(session), max, lease_ms * 1000);
                prop_assert_eq!(got, want, "op {} {:?}", i, op);
            }
            Op::Release { user, session } => {
                let got = store
                    .release(&key(user), &sid(session))
                    .await
                    .map_err(|e| TestCaseError::fail(format!("op {i}: {e}")))?;
                prop_assert_eq!(
                    got,
                    model.release(now, user, &sid(session)),
                    "op {} {:?}",
                    i,
                    op
                );
            }
            Op::Advance { micros } => clock.advance(Duration::from_micros(micros)),
            Op::Live { user } => {
                let got = store
                    .live(&key(user))
                    .await
                    .map_err(|e| TestCaseError::fail(format!("op {i}: {e}")))?;
                prop_assert_eq!(got, model.live(now, user), "op {} {:?}", i, op);
            }
        }
    }
    Ok(())
}

use csl::Clock as _;

proptest! {
    #![proptest_config(Config { cases: 512, ..Config::default() })]

    #[test]
    fn memory_store_agrees_with_the_model(ops in ops(), shards in 1usize..9) {
        let clock = ManualClock::new(StoreTime::from_micros(START));
        let store = MemoryStore::with_shards(shards, clock.clone());
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(run_against_model(&store, &clock, &ops))?;
    }
}

#[test]
fn redis_store_agrees_with_the_model() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let case = AtomicU64::new(0);
    let mut runner = TestRunner::new(Config {
        cases: 192,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&ops(), |ops| {
        let clock = ManualClock::new(StoreTime::from_micros(START));
        let config = RedisConfig {
            // Each case gets its own key space; the deadline is generous (loaded CI machines).
            key_prefix: format!("model:{}", case.fetch_add(1, Ordering::Relaxed)),
            clock: RedisClock::Client(Arc::new(clock.clone())),
            deadline: Duration::from_secs(10),
            ..RedisConfig::default()
        };
        rt.block_on(async {
            let store = RedisStore::open(&server.url(), config).unwrap();
            run_against_model(&store, &clock, &ops).await
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
