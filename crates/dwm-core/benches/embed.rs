//! Embedding DSP cost per 1080p frame (the goal is >= 120 frames/s on one core), and the
//! per-frame cost of blind detection.
//!
//! Run: `cargo bench -p dwm-core --bench embed`
//!
//! Times are the CPU time of the benchmarking thread (from `/proc/thread-self/schedstat`), not
//! wall time: on a shared machine wall time counts the time other processes ran, CPU time
//! measures what the code costs on one core.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dwm_core::{BlindDetector, DwmId, Embedder, FrameGeometry, Plane, PlaneMut, WatermarkKey};

const W: usize = 1920;
const H: usize = 1080;

/// A textured test frame (deterministic).
fn frame() -> Vec<u8> {
    let mut s = 0x1234_5678u32;
    (0..W * H)
        .map(|i| {
            let (x, y) = ((i % W) as f32, (i / W) as f32);
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let base = 120.0 + 60.0 * (x * 0.013).sin() * (y * 0.021).cos();
            (base + ((s >> 27) as f32) - 16.0).clamp(0.0, 255.0) as u8
        })
        .collect()
}

/// CPU time consumed by the current thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux)")
}

/// Criterion measurement: CPU time of the measuring thread.
struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, i: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(i))
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &CpuFormatter
    }
}

/// Formats nanoseconds as ms/us and throughput per CPU second.
struct CpuFormatter;

impl ValueFormatter for CpuFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical >= 1e6 {
            (1e6, "ms (cpu)")
        } else {
            (1e3, "us (cpu)")
        };
        values.iter_mut().for_each(|v| *v /= div);
        unit
    }
    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let _ = typical;
        let n = match throughput {
            Throughput::Elements(n)
            | Throughput::Bytes(n)
            | Throughput::BytesDecimal(n)
            | Throughput::Bits(n) => *n as f64,
            _ => 1.0,
        };
        values.iter_mut().for_each(|v| *v = n * 1e9 / *v);
        "frames/cpu-s"
    }
    fn scale_for_machines(&self, values: &mut [f64]) -> &'static str {
        let _ = values;
        "ns"
    }
}

fn one_core<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(f)
}

fn bench(c: &mut Criterion<ThreadCpuTime>) {
    let key = WatermarkKey::new(b"bench-key-0123456789").expect("key");
    let e = Embedder::new(&key);
    let g = FrameGeometry::full(W, H);
    let mark = e.mark(DwmId::new(12345).expect("id"), g).expect("mark");
    let src = frame();
    let mut dst = vec![0u8; W * H];
    let mut grp = c.benchmark_group("embed_1080p_one_core");
    grp.throughput(Throughput::Elements(1));
    grp.bench_function("strength_map", |b| {
        one_core(|| {
            b.iter(|| {
                let y = Plane::new(&src[..], W, H, 8).expect("plane");
                e.strength(&y, g).expect("strength")
            })
        })
    });
    let y = Plane::new(&src[..], W, H, 8).expect("plane");
    let s = e.strength(&y, g).expect("strength");
    grp.bench_function("apply_one_recipient", |b| {
        one_core(|| {
            b.iter(|| {
                let mut d = PlaneMut::new(&mut dst[..], W, H, 8).expect("plane");
                e.apply(&y, &s, &mark, &mut d).expect("apply")
            })
        })
    });
    grp.bench_function("frame_total_one_recipient", |b| {
        one_core(|| {
            b.iter(|| {
                let s = e.strength(&y, g).expect("strength");
                let mut d = PlaneMut::new(&mut dst[..], W, H, 8).expect("plane");
                e.apply(&y, &s, &mark, &mut d).expect("apply")
            })
        })
    });
    grp.finish();
    let mut det = c.benchmark_group("detect_1080p_one_core");
    det.throughput(Throughput::Elements(1));
    let mut d = BlindDetector::new(&key, W, H).expect("detector");
    det.bench_function("push_frame", |b| {
        one_core(|| b.iter(|| d.push(&y).expect("push")))
    });
    det.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime).sample_size(20);
    targets = bench
}
criterion_main!(benches);
