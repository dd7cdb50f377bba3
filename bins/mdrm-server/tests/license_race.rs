//! Race test through the service: 64 concurrent HTTP clients hammer one user with acquire,
//! renew and release for 10 s against the real `mdrm-server`, on the memory store and on a real
//! `redis-server`. An independent checker keeps, for every admitted session, the interval in
//! which it was certainly live in the store (from the moment its admission answer arrived to
//! the moment its release was sent; the store's own interval contains it) and sweeps them:
//! at no instant may more than `max` be live. Zero over-admissions is the bar.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::ServerFiles;
use common::license::{LicenseClient, STREAMING, content_keys, token};
use common::redis_server::RedisServer;

const CLIENTS: usize = 64;
const MAX: usize = 3;
const RUN: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Tally {
    intervals: Vec<(Instant, Instant)>,
    admitted: u64,
    renewed: u64,
    refused: u64,
    unavailable: u64,
}

/// A small deterministic generator per client (no shared state, no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The most intervals live at one instant. Intervals touching at an instant overlap there.
fn max_overlap(intervals: &[(Instant, Instant)]) -> usize {
    let mut events: Vec<(Instant, i32)> = Vec::with_capacity(intervals.len() * 2);
    for (a, b) in intervals {
        events.push((*a, 1));
        events.push((*b, -1));
    }
    // At equal instants, starts before ends.
    events.sort_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
    let (mut live, mut max) = (0i64, 0i64);
    for (_, d) in events {
        live += i64::from(d);
        max = max.max(live);
    }
    usize::try_from(max).unwrap_or(0)
}

fn hammer(store: Option<&RedisServer>) -> Tally {
    let files = ServerFiles::new();
    let creds = files.add_site("DEMO");
    let keys = content_keys(&files, "DEMO", "movie-1", &["ALL"]);
    // A roomy store deadline: this test is about atomicity, not about a loaded 2-core machine's
    // latency (store failures would only be counted, never admitted).
    let cfg = files.dir.path().join("race.toml");
    std::fs::write(&cfg, "[license]\ncsl_store_deadline = \"5s\"\n").unwrap();
    let mut args = vec![
        "--config".to_string(),
        cfg.display().to_string(),
        "--csl-max-streams".into(),
        MAX.to_string(),
        "--csl-renewal-interval".into(),
        "120s".into(),
    ];
    if let Some(r) = store {
        args.extend(["--csl-store".to_string(), r.url()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = files.start(&args);
    let client = LicenseClient::new(&server.url());
    let kid = [keys[0].kid];
    let tally = Arc::new(Mutex::new(Tally::default()));
    let end = Instant::now() + RUN;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (client, tally) = (client.clone(), Arc::clone(&tally));
            let tok = token(&creds, "hammered", "movie-1", STREAMING);
            std::thread::spawn(move || {
                let mut rng = Lcg(i as u64 + 1);
                let mut local = Tally::default();
                let mut n = 0;
                while Instant::now() < end {
                    n += 1;
                    let sid = format!("c{i}-{n}");
                    let a = client.license(&tok, Some(&sid), None, &kid);
                    match a.status {
                        200 => {
                            assert!(
                                a.streams().is_some_and(|s| s as usize <= MAX),
                                "{:?}",
                                a.headers
                            );
                            let live_from = Instant::now();
                            local.admitted += 1;
                            for _ in 0..rng.next(3) {
                                std::thread::sleep(Duration::from_millis(rng.next(10)));
                                let r = client.license(&tok, Some(&sid), None, &kid);
                                assert_eq!(r.status, 200, "renewal of a live session: {}", r.body);
                                local.renewed += 1;
                            }
                            std::thread::sleep(Duration::from_millis(rng.next(15)));
                            let live_to = Instant::now();
                            let r = client.release(&tok, Some(&sid));
                            assert_eq!(r.status, 200, "{}", r.body);
                            local.intervals.push((live_from, live_to));
                        }
                        403 => {
                            assert_eq!(a.code(), "CSL_LIMIT_REACHED");
                            local.refused += 1;
                            std::thread::sleep(Duration::from_millis(rng.next(4)));
                        }
                        503 => local.unavailable += 1,
                        s => panic!("unexpected status {s}: {}", a.body),
                    }
                }
                let mut t = tally.lock().unwrap();
                t.intervals.extend(local.intervals);
                t.admitted += local.admitted;
                t.renewed += local.renewed;
                t.refused += local.refused;
                t.unavailable += local.unavailable;
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    drop(server);
    Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap()
}

fn check(name: &str, t: &Tally) {
    let max = max_overlap(&t.intervals);
    eprintln!(
        "{name}: {} admitted, {} renewed, {} refused, {} store failures; most live at once: {max}",
        t.admitted, t.renewed, t.refused, t.unavailable
    );
    assert!(
        max <= MAX,
        "{name}: {max} sessions live at once, limit {MAX}"
    );
    // The run really contended at the limit (a test that cannot fail proves nothing).
    assert!(
        t.admitted >= 100 && t.refused >= 100,
        "{name}: too little traffic"
    );
    assert_eq!(max, MAX, "{name}: the limit was never reached");
}

#[test]
fn max_overlap_counts_touching_intervals_as_overlapping() {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    assert_eq!(max_overlap(&[(at(0), at(10)), (at(10), at(20))]), 2);
    assert_eq!(max_overlap(&[(at(0), at(10)), (at(11), at(20))]), 1);
    assert_eq!(
        max_overlap(&[(at(0), at(30)), (at(5), at(8)), (at(7), at(9))]),
        3
    );
}

#[test]
fn sixty_four_clients_never_over_admit_on_the_memory_store() {
    let t = hammer(None);
    assert_eq!(t.unavailable, 0);
    check("memory", &t);
}

#[test]
fn sixty_four_clients_never_over_admit_on_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let t = hammer(Some(&redis));
    check("redis", &t);
}
