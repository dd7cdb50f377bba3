//! Load generator for the CSL stores: decisions per second and per-decision latency
//! percentiles. Driven by `benches/csl-load.sh`, which also measures the raw `EVALSHA` ceiling
//! of the same redis-server with `redis-benchmark`.
//!
//! ```text
//! csl_load --store memory|redis://HOST:PORT/ [--workers N] [--decisions N] [--users N] [--max N]
//!          [--rate N]
//! ```
//! - memory: `--workers` OS threads (default 2) calling the store directly;
//! - redis: `--workers` concurrent tokio tasks (default 64) on one multiplexed connection, so
//!   their requests are pipelined (closed loop: each task sends its next decision when the
//!   previous one is answered, so latency includes queueing behind the other 63); the runtime
//!   has 2 worker threads;
//! - redis with `--rate N`: open loop, the way a license service meets its callers: decision
//!   `i` is due at `start + i / N` whatever the earlier ones are doing, each on its own task on
//!   the same multiplexed connection, and its latency counts from when it was due (so a slow
//!   reply that delays the next sends is not hidden: no coordinated omission).
//!
//! Prints one `key=value` line per run (wall-clock rate, latency percentiles, and the CPU time
//! the client used, which tells how much of the machine it actually got), and for Redis the
//! admit script's SHA-1.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use csl::{MemoryStore, RedisConfig, RedisStore, SessionId, Store, StoreSpec, SubjectKey};

const LEASE: Duration = Duration::from_secs(600);
/// The open-loop sender's shortest sleep.
const SENDER_TICK: Duration = Duration::from_micros(250);

struct Args {
    store: StoreSpec,
    workers: Option<usize>,
    decisions: u64,
    users: usize,
    max: u32,
    rate: Option<f64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        store: StoreSpec::Memory,
        workers: None,
        decisions: 1_000_000,
        users: 10_000,
        max: 3,
        rate: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--store" => a.store = value()?.parse().map_err(|e| format!("{e}"))?,
            "--workers" => a.workers = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--decisions" => a.decisions = value()?.parse().map_err(|e| format!("{e}"))?,
            "--users" => a.users = value()?.parse().map_err(|e| format!("{e}"))?,
            "--max" => a.max = value()?.parse().map_err(|e| format!("{e}"))?,
            "--rate" => a.rate = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.users == 0 || a.decisions == 0 || a.max == 0 {
        return Err("--users, --decisions and --max must be above 0".into());
    }
    if a.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be above 0".into());
    }
    Ok(a)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("csl_load: {e}");
            std::process::exit(2);
        }
    };
    let subjects: Arc<Vec<(SubjectKey, Vec<SessionId>)>> = Arc::new(
        (0..args.users)
            .map(|i| {
                let sessions = (0..4)
                    .map(|s| SessionId::new(&format!("session-{s}")).unwrap())
                    .collect();
                (SubjectKey::new("SITE", &format!("user-{i}")), sessions)
            })
            .collect(),
    );
    let max = NonZeroU32::new(args.max).unwrap();
    let result = match &args.store {
        StoreSpec::Memory => run_memory(&args, subjects, max),
        StoreSpec::Redis(url) => match args.rate {
            Some(rate) => run_redis_open_loop(&args, url, subjects, max, rate),
            None => run_redis(&args, url, subjects, max),
        },
    };
    if let Err(e) = result {
        eprintln!("csl_load: {e}");
        std::process::exit(1);
    }
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`
/// (Linux; in USER_HZ = 100 ticks per second). `None` elsewhere.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, i.e. 11 and 12 after the name.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The next (user, session) of a worker: a stride walk, so users and sessions mix.
fn pick(subjects: &[(SubjectKey, Vec<SessionId>)], i: usize) -> (&SubjectKey, &SessionId) {
    let (k, s) = &subjects[i % subjects.len()];
    (k, &s[(i / subjects.len()) % s.len()])
}

fn run_memory(
    args: &Args,
    subjects: Arc<Vec<(SubjectKey, Vec<SessionId>)>>,
    max: NonZeroU32,
) -> Result<(), String> {
    let workers = args.workers.unwrap_or(2) as u64;
    let store = Arc::new(MemoryStore::new());
    let per = args.decisions.div_ceil(workers);
    let cpu = cpu_seconds();
    let start = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            let store = Arc::clone(&store);
            let subjects = Arc::clone(&subjects);
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(per as usize);
                let mut i = (w as usize) * 104_729;
                for _ in 0..per {
                    let (k, s) = pick(&subjects, i);
                    let t = Instant::now();
                    std::hint::black_box(store.admit_sync(k, s, max, LEASE));
                    lat.push(t.elapsed().as_nanos() as u64);
                    i = i.wrapping_add(7919);
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::new();
    for h in handles {
        lat.extend(h.join().map_err(|_| "a worker panicked")?);
    }
    let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
    report("memory", workers, args, start.elapsed(), cpu, lat, 0);
    Ok(())
}

fn run_redis(
    args: &Args,
    url: &str,
    subjects: Arc<Vec<(SubjectKey, Vec<SessionId>)>>,
    max: NonZeroU32,
) -> Result<(), String> {
    let workers = args.workers.unwrap_or(64) as u64;
    let (rt, store) = redis_runtime(url, &subjects, max)?;
    rt.block_on(async {
        let per = args.decisions.div_ceil(workers);
        let cpu = cpu_seconds();
        let start = Instant::now();
        let tasks: Vec<_> = (0..workers)
            .map(|w| {
                let store = Arc::clone(&store);
                let subjects = Arc::clone(&subjects);
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(per as usize);
                    let mut errors = 0u64;
                    let mut i = (w as usize) * 104_729;
                    for _ in 0..per {
                        let (k, s) = pick(&subjects, i);
                        let t = Instant::now();
                        if store.admit(k, s, max, LEASE).await.is_err() {
                            errors += 1;
                        }
                        lat.push(t.elapsed().as_nanos() as u64);
                        i = i.wrapping_add(7919);
                    }
                    (lat, errors)
                })
            })
            .collect();
        let mut lat = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (l, e) = t.await.map_err(|e| e.to_string())?;
            lat.extend(l);
            errors += e;
        }
        let elapsed = start.elapsed();
        let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
        report("redis", workers, args, elapsed, cpu, lat, errors);
        println!("admit_script_sha={}", store.admit_script_sha());
        Ok(())
    })
}

/// A runtime like the service's (2 worker threads) and an opened, warmed-up Redis store.
fn redis_runtime(
    url: &str,
    subjects: &[(SubjectKey, Vec<SessionId>)],
    max: NonZeroU32,
) -> Result<(tokio::runtime::Runtime, Arc<RedisStore>), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let store = rt.block_on(async {
        let store = RedisStore::open(
            url,
            RedisConfig {
                deadline: Duration::from_secs(2),
                ..RedisConfig::default()
            },
        )
        .map_err(|e| e.to_string())?;
        store.ping().await.map_err(|e| e.to_string())?;
        // Warm up: load the script, open the connection.
        let (k, s) = pick(subjects, 0);
        store
            .admit(k, s, max, LEASE)
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(store)
    })?;
    Ok((rt, Arc::new(store)))
}

fn run_redis_open_loop(
    args: &Args,
    url: &str,
    subjects: Arc<Vec<(SubjectKey, Vec<SessionId>)>>,
    max: NonZeroU32,
    rate: f64,
) -> Result<(), String> {
    let (rt, store) = redis_runtime(url, &subjects, max)?;
    let n = args.decisions;
    let cpu = cpu_seconds();
    // The sender is a plain thread sleeping until each decision is due (the OS wakes it within
    // tens of microseconds; tokio's timer only every millisecond), spawning each decision onto
    // the runtime.
    let handle = rt.handle().clone();
    let start = Instant::now();
    let sender = {
        let store = Arc::clone(&store);
        let subjects = Arc::clone(&subjects);
        std::thread::spawn(move || {
            let mut tasks = Vec::with_capacity(n as usize);
            for i in 0..n {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    // At most 4 000 wake-ups a second: each costs the client CPU the server
                    // shares; decisions due within the next 250 µs go out together.
                    std::thread::sleep(wait.max(SENDER_TICK));
                }
                let store = Arc::clone(&store);
                let subjects = Arc::clone(&subjects);
                tasks.push(handle.spawn(async move {
                    let (k, s) = pick(&subjects, (i as usize).wrapping_mul(7919));
                    let sent = Instant::now();
                    let ok = store.admit(k, s, max, LEASE).await.is_ok();
                    let done = Instant::now();
                    (
                        (done - due).as_nanos() as u64,
                        (done - sent).as_nanos() as u64,
                        ok,
                    )
                }));
            }
            tasks
        })
    };
    let tasks = sender.join().map_err(|_| "the sender panicked")?;
    rt.block_on(async {
        let mut lat = Vec::with_capacity(n as usize);
        let mut from_send = Vec::with_capacity(n as usize);
        let mut errors = 0;
        for t in tasks {
            let (l, f, ok) = t.await.map_err(|e| e.to_string())?;
            lat.push(l);
            from_send.push(f);
            errors += u64::from(!ok);
        }
        let elapsed = start.elapsed();
        let cpu = cpu.zip(cpu_seconds()).map(|(a, b)| b - a);
        from_send.sort_unstable();
        let at = |p: f64| from_send[((from_send.len() - 1) as f64 * p).round() as usize] as f64 / 1e3;
        // From send: what the store and the connection cost; from due (the main line): that
        // plus the sender's lateness (up to one tick) and the wait for a runtime thread.
        println!(
            "# open loop: {rate:.0} decisions/s offered; latency from send p50_us={:.2} p99_us={:.2} p999_us={:.2}",
            at(0.5),
            at(0.99),
            at(0.999)
        );
        report("redis-open-loop", 0, args, elapsed, cpu, lat, errors);
        println!("admit_script_sha={}", store.admit_script_sha());
        Ok(())
    })
}

fn report(
    what: &str,
    workers: u64,
    args: &Args,
    elapsed: Duration,
    cpu: Option<f64>,
    mut lat: Vec<u64>,
    errors: u64,
) {
    lat.sort_unstable();
    let pct = |p: f64| {
        let i = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat[i.min(lat.len() - 1)] as f64 / 1000.0
    };
    let n = lat.len() as f64;
    println!(
        "store={what} workers={workers} users={} decisions={} elapsed_s={:.3} decisions_per_s={:.0} \
         p50_us={:.2} p99_us={:.2} p999_us={:.2} max_us={:.2} client_cpu_s={} errors={errors}",
        args.users,
        lat.len(),
        elapsed.as_secs_f64(),
        n / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        pct(1.0),
        cpu.map_or("n/a".to_owned(), |c| format!("{c:.2}")),
    );
}
