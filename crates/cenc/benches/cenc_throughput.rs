//! Throughput of sample encryption and decryption over 100 MB of realistic H.264 samples.
//!
//! The buffer imitates a 1080p stream: GOPs of 50 frames (IDR with in-band SPS/PPS and an
//! SEI, then P and B frames), 1 to 4 slices per frame with real slice headers (from the
//! shared test stream) and pseudo-random slice data. Every iteration runs the full per-sample
//! path: NAL parsing, slice header parsing, subsample map, AES. Samples are encrypted in place
//! again and again; slice headers stay clear, so every pass sees valid samples.
//!
//! Time is the benchmark thread's CPU time (`/proc/thread-self/schedstat`), like the default
//! of `openssl speed` (user CPU time): on a shared, loaded machine wall time would mostly
//! measure the other processes. Where that file is missing, wall time is used.
//!
//! Also measured: whole-sample encryption (the cipher alone), the RustCrypto `ctr` crate on
//! the same samples, and a cache-resident 16 KB case comparable to `openssl speed -bytes 16384`.
//!
//! Run: `cargo bench -p cenc --bench cenc_throughput` (or `benches/cenc-vs-openssl.sh`, which
//! prints the figures next to `openssl speed`).

use std::hint::black_box;
use std::ops::Range;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cenc::{
    AudioCodec, EncryptorConfig, IvPolicy, SampleAuxInfo, SampleDecryptor, SampleEncryptor, Scheme,
    TrackCodec,
};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keys::{ContentKey, KeyId};

const TOTAL: usize = 100 * 1000 * 1000;

/// CPU time of the calling thread in nanoseconds (wall time since the first call when the
/// kernel does not expose it).
fn thread_cpu_ns() -> u64 {
    static FALLBACK: OnceLock<Instant> = OnceLock::new();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| FALLBACK.get_or_init(Instant::now).elapsed().as_nanos() as u64)
}

/// Criterion measurement: thread CPU time.
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> Duration {
        Duration::from_nanos(thread_cpu_ns().saturating_sub(start))
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
        WALL.formatter()
    }
}

const SPS: &str = "6764001eacd940a02ff97011000003000100000300320f162d96";
const PPS: &str = "68efbcb0";
const IDR: &str = "658884002bff90f04461a641";
const P: &str = "419a221884ff6e00b7ce5c6f";
const B: &str = "019e4145fffae9c633cafd4f";

fn hex(s: &str) -> Vec<u8> {
    keys::decode_hex("bench", s).expect("hex")
}

/// xorshift64*: reproducible sizes and payload without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, r: Range<usize>) -> usize {
        r.start + (self.next() as usize) % (r.end - r.start)
    }
}

fn push_nal(buf: &mut Vec<u8>, nal_start: &[u8], payload: usize, rng: &mut Rng) {
    let len = nal_start.len() + payload;
    buf.extend_from_slice(&(len as u32).to_be_bytes());
    buf.extend_from_slice(nal_start);
    buf.extend((0..payload).map(|_| rng.next() as u8));
}

/// The samples (as ranges of one buffer) of about `TOTAL` bytes.
fn realistic_samples() -> (Vec<u8>, Vec<Range<usize>>) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (sps, pps) = (hex(SPS), hex(PPS));
    let (idr, p, b) = (hex(IDR), hex(P), hex(B));
    let sei = [0x06u8, 0x05, 0xff];
    let mut buf = Vec::with_capacity(TOTAL + 200_000);
    let mut samples = Vec::new();
    let mut frame = 0usize;
    while buf.len() < TOTAL {
        let start = buf.len();
        let slices = rng.range(1..5);
        let (head, size) = match frame % 50 {
            0 => {
                push_nal(&mut buf, &sps[..], 0, &mut rng);
                push_nal(&mut buf, &pps[..], 0, &mut rng);
                push_nal(&mut buf, &sei, 700, &mut rng);
                (&idr, rng.range(150_000..250_000))
            }
            f if f % 3 == 1 => (&p, rng.range(20_000..60_000)),
            _ => (&b, rng.range(5_000..20_000)),
        };
        for _ in 0..slices {
            push_nal(&mut buf, head, size / slices, &mut rng);
        }
        samples.push(start..buf.len());
        frame += 1;
    }
    (buf, samples)
}

fn encryptor(scheme: Scheme) -> SampleEncryptor {
    let (sps, pps) = (hex(SPS), hex(PPS));
    let iv = match scheme {
        Scheme::Cbcs => IvPolicy::Constant([7; 16]),
        _ => IvPolicy::Counter8([7; 8]),
    };
    SampleEncryptor::new(EncryptorConfig {
        scheme,
        kid: KeyId([1; 16]),
        key: ContentKey::new([2; 16]),
        iv,
        pattern: None,
        codec: TrackCodec::avc(4, &[&sps, &pps]).expect("parameter sets"),
    })
    .expect("encryptor")
}

fn bench(c: &mut Criterion<ThreadCpuTime>) {
    eprintln!(
        "AES hardware acceleration: {}",
        if cenc::aes_hardware_accelerated() {
            "yes"
        } else {
            "NO (software fallback)"
        }
    );
    let (mut buf, samples) = realistic_samples();
    let mut group = c.benchmark_group("cenc_100MB");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(2));
    group.measurement_time(Duration::from_secs(8));
    group.throughput(Throughput::Bytes(buf.len() as u64));

    for scheme in [Scheme::Cenc, Scheme::Cbcs] {
        let mut enc = encryptor(scheme);
        let mut aux = SampleAuxInfo::default();
        group.bench_function(format!("{scheme}_encrypt_video"), |bench| {
            bench.iter(|| encrypt_all(&mut enc, &mut buf, &samples, &mut aux))
        });

        // Records for decryption, from one encryption pass.
        let mut enc = encryptor(scheme);
        let records: Vec<SampleAuxInfo> = samples
            .iter()
            .map(|r| {
                let mut aux = SampleAuxInfo::default();
                enc.encrypt_sample(&mut buf[r.clone()], &mut aux)
                    .expect("encrypt");
                aux
            })
            .collect();
        let info = enc.track_info();
        let dec = SampleDecryptor::new(
            scheme,
            &ContentKey::new([2; 16]),
            info.pattern,
            info.constant_iv,
        )
        .expect("decryptor");
        group.bench_function(format!("{scheme}_decrypt_video"), |bench| {
            bench.iter(|| {
                for (r, aux) in samples.iter().zip(&records) {
                    dec.decrypt_sample(&mut buf[r.clone()], aux)
                        .expect("decrypt");
                }
                black_box(&buf);
            })
        });
    }

    // Whole-sample (audio-style) encryption: the cipher alone, no NAL parsing.
    for scheme in [Scheme::Cenc, Scheme::Cbcs] {
        let mut enc = whole_sample_encryptor(scheme);
        let mut aux = SampleAuxInfo::default();
        group.bench_function(format!("{scheme}_encrypt_whole_samples"), |bench| {
            bench.iter(|| encrypt_all(&mut enc, &mut buf, &samples, &mut aux))
        });
    }
    // Reference: the RustCrypto `ctr` crate (Ctr64BE) over the same samples.
    group.bench_function("ctr_crate_whole_samples", |bench| {
        bench.iter(|| ctr_crate_pass(&mut buf, &samples))
    });
    group.finish();

    // The same 16 KB again and again: cache-resident, like `openssl speed -bytes 16384`.
    let mut group = c.benchmark_group("cenc_16KB_cache_resident");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    let small: Vec<Range<usize>> = (0..6000).map(|_| 0..16384).collect();
    group.throughput(Throughput::Bytes(6000 * 16384));
    let mut enc = whole_sample_encryptor(Scheme::Cenc);
    let mut aux = SampleAuxInfo::default();
    group.bench_function("cenc_encrypt_whole_samples", |bench| {
        bench.iter(|| encrypt_all(&mut enc, &mut buf, &small, &mut aux))
    });
    group.bench_function("ctr_crate_whole_samples", |bench| {
        bench.iter(|| ctr_crate_pass(&mut buf, &small))
    });
    group.finish();
}

/// An encryptor that treats samples as audio: whole-sample encryption.
fn whole_sample_encryptor(scheme: Scheme) -> SampleEncryptor {
    let iv = match scheme {
        Scheme::Cbcs => IvPolicy::Constant([7; 16]),
        _ => IvPolicy::Counter8([7; 8]),
    };
    SampleEncryptor::new(EncryptorConfig {
        scheme,
        kid: KeyId([1; 16]),
        key: ContentKey::new([2; 16]),
        iv,
        pattern: None,
        codec: TrackCodec::audio(AudioCodec::Aac),
    })
    .expect("encryptor")
}

fn encrypt_all(
    enc: &mut SampleEncryptor,
    buf: &mut [u8],
    samples: &[Range<usize>],
    aux: &mut SampleAuxInfo,
) {
    for r in samples {
        enc.encrypt_sample(&mut buf[r.clone()], aux)
            .expect("encrypt");
    }
    black_box(buf);
}

/// `ctr::Ctr64BE<Aes128>` over every sample, 8-byte IV = sample number.
fn ctr_crate_pass(buf: &mut [u8], samples: &[Range<usize>]) {
    use cipher::array::Array;
    use cipher::{KeyIvInit, StreamCipher};
    let key = Array::from([2u8; 16]);
    for (i, r) in samples.iter().enumerate() {
        let mut iv = [0u8; 16];
        iv[..8].copy_from_slice(&(i as u64).to_be_bytes());
        ctr::Ctr64BE::<aes::Aes128>::new(&key, &Array::from(iv))
            .apply_keystream(&mut buf[r.clone()]);
    }
    black_box(buf);
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench
}
criterion_main!(benches);
