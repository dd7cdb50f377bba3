//! Race test: 64 concurrent clients hammer ONE user with acquire / renew / release / crash for
//! 10 s, against (a) the memory store from 64 OS threads and (b) a real redis-server started on a
//! free loopback port from 64 tokio tasks sharing one connection. The independent oracle
//! rebuilds every admitted session's lifetime from the replies and asserts that at no instant
//! more than `max` were live. Zero over-admissions is the bar.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::sync::Mutex;

use csl::{
    Admission, Clock as _, Decision, LimitReached, MemoryStore, MonotonicClock, RedisConfig,
    RedisStore, Released, SessionId, Store, StoreTime, SubjectKey,
};

use common::oracle::{ClientLog, sweep};
use common::redis_server::RedisServer;

const CLIENTS: u64 = 64;
const MAX: u32 = 3;
const RUN_FOR: Duration = Duration::from_secs(10);

/// What a client does next.
enum Step {
    Admit(u64),
    Release(u64),
}

/// One client: holds up to two sessions of its own, renews, releases, or crashes (forgets a
/// session without releasing it, so it must expire by itself).
struct Client {
    id: u64,
    rng: u64,
    held: Vec<u64>,
    next_session: u64,
    log: ClientLog,
}

impl Client {
    fn new(id: u64) -> Self {
        Self {
            id,
            rng: 0x9e37_79b9_7f4a_7c15 ^ (id + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9),
            held: Vec::new(),
            next_session: 0,
            log: ClientLog::default(),
        }
    }

    fn rand(&mut self, n: u64) -> u64 {
        // xorshift64*: reproducible per client, no dependency.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }

    fn step(&mut self) -> Step {
        loop {
            let r = self.rand(100);
            if !self.held.is_empty() {
                let i = self.rand(self.held.len() as u64) as usize;
                match r {
                    0..45 => return Step::Admit(self.held[i]),
                    45..60 => return Step::Release(self.held.swap_remove(i)),
                    60..65 => {
                        self.held.swap_remove(i);
                        continue;
                    }
                    _ => {}
                }
            }
            if self.held.len() < 2 {
                self.next_session += 1;
                return Step::Admit(self.id * 1_000_000_000 + self.next_session);
            }
        }
    }

    fn on_admit(&mut self, s: u64, d: &Decision) {
        match d {
            Decision::Admitted(a) => {
                self.log.admitted(s, a);
                if !self.held.contains(&s) {
                    self.held.push(s);
                }
            }
            Decision::Refused(r) => {
                self.log.refused(s, r);
                self.held.retain(|&h| h != s);
            }
        }
    }
}

fn session(s: u64) -> SessionId {
    SessionId::new(&format!("s{s}")).unwrap()
}

fn check(logs: &[ClientLog], what: &str) {
    let s = sweep(logs, MAX);
    let decisions: u64 = logs.iter().map(|l| l.decisions).sum();
    let admissions: u64 = logs.iter().map(|l| l.new_admissions).sum();
    let refusals: u64 = logs.iter().map(|l| l.refusals).sum();
    let anomalies: Vec<&String> = logs.iter().flat_map(|l| &l.anomalies).collect();
    eprintln!(
        "{what}: {decisions} decisions, {admissions} new admissions, {refusals} refusals, \
         {} lifetimes, max live {}",
        s.lifetimes, s.max_live
    );
    assert!(anomalies.is_empty(), "{what}: {anomalies:?}");
    assert!(
        s.violations.is_empty(),
        "{what}: over-admission at {} instants, first {:?}",
        s.violations.len(),
        &s.violations[..s.violations.len().min(5)]
    );
    assert_eq!(
        s.max_live, MAX,
        "{what}: the limit was never reached: no contention"
    );
    assert!(
        refusals > 0 && admissions > u64::from(MAX),
        "{what}: no churn"
    );
}

/// Runs the 64 clients as OS threads against a synchronous admit/release pair.
fn hammer_threads<S: Send + Sync + 'static>(
    store: Arc<S>,
    run_for: Duration,
    admit: fn(&S, &SessionId) -> Decision,
    release: fn(&S, &SessionId) -> Released,
) -> Vec<ClientLog> {
    let until = Instant::now() + run_for;
    let handles: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut c = Client::new(id);
                while Instant::now() < until {
                    match c.step() {
                        Step::Admit(s) => {
                            let d = admit(&store, &session(s));
                            c.on_admit(s, &d);
                        }
                        Step::Release(s) => {
                            let r = release(&store, &session(s));
                            c.log.released(s, &r);
                        }
                    }
                }
                c.log
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

const LEASE_MEMORY: Duration = Duration::from_millis(2);

fn hammered() -> SubjectKey {
    SubjectKey::new("SITE", "hammered")
}

#[test]
fn memory_store_never_over_admits_under_64_threads() {
    let logs = hammer_threads(
        Arc::new(MemoryStore::new()),
        RUN_FOR,
        |m, s| m.admit_sync(&hammered(), s, NonZeroU32::new(MAX).unwrap(), LEASE_MEMORY),
        |m, s| m.release_sync(&hammered(), s),
    );
    check(&logs, "memory");
}

/// The negative control: a store that checks and adds in two separate critical sections (the
/// classic bug). The same harness and oracle must catch it over-admitting, which shows the race
/// test can fail.
#[derive(Default)]
struct CheckThenAddStore {
    leases: Mutex<Vec<(SessionId, u64)>>,
    clock: MonotonicClock,
}

impl CheckThenAddStore {
    fn admit(&self, s: &SessionId) -> Decision {
        let lease = LEASE_MEMORY.as_micros() as u64;
        let live = {
            let mut l = self.leases.lock().unwrap();
            let now = self.clock.now().as_micros();
            l.retain(|(_, e)| *e > now);
            if l.iter().any(|(id, _)| id == s) {
                0
            } else {
                l.len()
            }
        };
        std::thread::yield_now();
        let mut l = self.leases.lock().unwrap();
        let now = self.clock.now().as_micros();
        l.retain(|(_, e)| *e > now);
        let t = StoreTime::from_micros;
        if let Some(e) = l.iter_mut().find(|(id, _)| id == s) {
            e.1 = now + lease;
            let live = l.len() as u32;
            return Decision::Admitted(Admission {
                live,
                max: MAX,
                now: t(now),
                expires_at: t(now + lease),
                renewed: true,
            });
        }
        if (live as u32) < MAX {
            l.push((s.clone(), now + lease));
            let live = (l.len() as u32).min(MAX);
            return Decision::Admitted(Admission {
                live,
                max: MAX,
                now: t(now),
                expires_at: t(now + lease),
                renewed: false,
            });
        }
        let frees_at = l.iter().map(|(_, e)| *e).min().unwrap_or(now);
        Decision::Refused(LimitReached {
            live: l.len() as u32,
            max: MAX,
            now: t(now),
            frees_at: t(frees_at),
        })
    }

    fn release(&self, s: &SessionId) -> Released {
        let mut l = self.leases.lock().unwrap();
        let now = self.clock.now().as_micros();
        let removed = l.iter().any(|(id, e)| id == s && *e > now);
        l.retain(|(id, _)| id != s);
        Released {
            removed,
            now: StoreTime::from_micros(now),
        }
    }
}

#[test]
fn the_oracle_catches_a_check_then_add_store() {
    let logs = hammer_threads(
        Arc::new(CheckThenAddStore::default()),
        Duration::from_secs(2),
        CheckThenAddStore::admit,
        CheckThenAddStore::release,
    );
    let s = sweep(&logs, MAX);
    eprintln!(
        "check-then-add: max live {}, {} violations",
        s.max_live,
        s.violations.len()
    );
    assert!(s.max_live > MAX, "the oracle missed the over-admission");
    assert!(!s.violations.is_empty());
}

#[test]
fn redis_store_never_over_admits_under_64_tasks() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let logs = rt.block_on(async {
        let store = RedisStore::open(
            &server.url(),
            RedisConfig {
                // Generous: a lost reply would hide a lifetime from the oracle, so none may time out.
                deadline: Duration::from_secs(10),
                ..RedisConfig::default()
            },
        )
        .unwrap();
        store.ping().await.unwrap();
        let store = Arc::new(store);
        let key = SubjectKey::new("SITE", "hammered");
        let max = NonZeroU32::new(MAX).unwrap();
        let lease = Duration::from_millis(30);
        let until = Instant::now() + RUN_FOR;
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let mut c = Client::new(id);
                    while Instant::now() < until {
                        match c.step() {
                            Step::Admit(s) => {
                                let d = store.admit(&key, &session(s), max, lease).await.unwrap();
                                c.on_admit(s, &d);
                            }
                            Step::Release(s) => {
                                let r = store.release(&key, &session(s)).await.unwrap();
                                c.log.released(s, &r);
                            }
                        }
                    }
                    c.log
                })
            })
            .collect();
        let mut logs = Vec::new();
        for t in tasks {
            logs.push(t.await.unwrap());
        }
        logs
    });
    check(&logs, "redis");
}
