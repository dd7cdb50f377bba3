//! Invisibility of the embedding DSP on its own (no encoder in the loop): luma PSNR >= 42 dB
//! and SSIM >= 0.99 on every picture (textured, flat grey, dark, bright, gradient, edges), and
//! no flicker: the mark added to consecutive frames of a still scene with camera grain stays
//! the same pattern (the strength follows the picture, not the grain).

use dwm_core::{DwmId, Embedder, FrameGeometry, Plane, PlaneMut, WatermarkKey};

const W: usize = 640;
const H: usize = 360;

/// Deterministic pseudo-random numbers in [-0.5, 0.5).
struct Lcg(u32);

impl Lcg {
    fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (self.0 >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    }
}

/// Test pictures: (name, luma) with camera-like grain of amplitude `grain` from `seed`.
fn pictures(seed: u32, grain: f32) -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = Lcg(seed);
    let mut make = |f: &dyn Fn(f32, f32) -> f32| -> Vec<u8> {
        (0..W * H)
            .map(|i| {
                let (x, y) = ((i % W) as f32, (i / W) as f32);
                (f(x, y) + grain * rng.next()).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    };
    vec![
        (
            "texture",
            make(&|x, y| {
                110.0
                    + 50.0 * (x * 0.031 + y * 0.017).sin()
                    + 30.0 * (x * 0.21).cos() * (y * 0.17).sin()
            }),
        ),
        ("flat grey", make(&|_, _| 128.0)),
        ("dark gradient", make(&|x, _| 8.0 + 40.0 * x / W as f32)),
        ("bright sky", make(&|_, y| 200.0 + 40.0 * y / H as f32)),
        (
            "edges",
            make(&|x, y| {
                if ((x / 40.0) as u32 + (y / 40.0) as u32).is_multiple_of(2) {
                    40.0
                } else {
                    210.0
                }
            }),
        ),
    ]
}

fn marked(e: &Embedder, mark: &dwm_core::MarkPattern, src: &[u8]) -> Vec<u8> {
    let g = FrameGeometry::full(W, H);
    let y = Plane::new(src, W, H, 8).unwrap();
    let s = e.strength(&y, g).unwrap();
    let mut out = vec![0u8; W * H];
    e.apply(
        &y,
        &s,
        mark,
        &mut PlaneMut::new(&mut out[..], W, H, 8).unwrap(),
    )
    .unwrap();
    out
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum::<f64>()
        / a.len() as f64;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0f64 * 255.0 / mse).log10()
    }
}

/// SSIM as FFmpeg's `ssim` filter computes it: 8x8 windows every 4 pixels, plain means.
fn ssim(a: &[u8], b: &[u8]) -> f64 {
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let (mut sum, mut n) = (0.0, 0usize);
    for y0 in (0..=H - 8).step_by(4) {
        for x0 in (0..=W - 8).step_by(4) {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for y in y0..y0 + 8 {
                for x in x0..x0 + 8 {
                    let (p, q) = (f64::from(a[y * W + x]), f64::from(b[y * W + x]));
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let m = 64.0;
            let (ma, mb) = (sa / m, sb / m);
            let (va, vb, cov) = (saa / m - ma * ma, sbb / m - mb * mb, sab / m - ma * mb);
            sum += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1;
        }
    }
    sum / n as f64
}

#[test]
fn marked_frames_meet_the_psnr_and_ssim_goals() {
    let key = WatermarkKey::new(b"quality test key 0123").unwrap();
    let e = Embedder::new(&key);
    let mark = e
        .mark(DwmId::new(0xdead_beef).unwrap(), FrameGeometry::full(W, H))
        .unwrap();
    let mut failed = Vec::new();
    for grain in [0.0, 2.0, 6.0, 40.0] {
        for (name, src) in pictures(7, grain) {
            let out = marked(&e, &mark, &src);
            let (p, s) = (psnr(&src, &out), ssim(&src, &out));
            println!("{name:>13}, grain {grain}: PSNR {p:.2} dB, SSIM {s:.4}");
            if p < 42.0 || s < 0.99 {
                failed.push(format!(
                    "{name} (grain {grain}): PSNR {p:.2} dB, SSIM {s:.4}"
                ));
            }
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn still_scene_with_grain_gets_the_same_mark_every_frame() {
    let key = WatermarkKey::new(b"quality test key 0123").unwrap();
    let e = Embedder::new(&key);
    let mark = e
        .mark(DwmId::new(77).unwrap(), FrameGeometry::full(W, H))
        .unwrap();
    // Two frames of the same still scene, each with its own camera grain.
    let (f1, f2) = (pictures(1, 6.0), pictures(2, 6.0));
    for ((name, a), (_, b)) in f1.iter().zip(&f2) {
        let added = |src: &[u8]| -> Vec<f64> {
            marked(&e, &mark, src)
                .iter()
                .zip(src)
                .map(|(&m, &o)| f64::from(m) - f64::from(o))
                .collect()
        };
        let (da, db) = (added(a), added(b));
        let energy = da.iter().map(|v| v * v).sum::<f64>() / da.len() as f64;
        let change = da
            .iter()
            .zip(&db)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f64>()
            / da.len() as f64;
        // The frame-to-frame change of what was added is small next to the mark itself (the
        // rest is the rounding of each frame to integers), so the mark does not shimmer.
        assert!(
            change <= 0.35 * energy + 0.25,
            "{name}: mark energy {energy:.3}, frame-to-frame change {change:.3}"
        );
    }
}

#[test]
fn a_moving_scene_keeps_a_steady_mark_strength() {
    // A slow pan over a picture that is half flat, half textured, with grain: the frame gain
    // (which scales the whole mark by the frame's SSIM headroom) must not jump between
    // frames, or the mark would pulse.
    let key = WatermarkKey::new(b"quality test key 0123").unwrap();
    let e = Embedder::new(&key);
    let g = FrameGeometry::full(W, H);
    let mut rng = Lcg(5);
    let mut means = Vec::new();
    for frame in 0..12 {
        let dx = 3.0 * frame as f32;
        let luma: Vec<u8> = (0..W * H)
            .map(|i| {
                let (x, y) = ((i % W) as f32 + dx, (i / W) as f32);
                let texture = if x > 0.5 * W as f32 {
                    30.0 * (x * 0.23).sin() * (y * 0.19).cos()
                } else {
                    0.0
                };
                (120.0 + 0.05 * y + texture + 3.0 * rng.next())
                    .round()
                    .clamp(0.0, 255.0) as u8
            })
            .collect();
        let s = e
            .strength(&Plane::new(&luma[..], W, H, 8).unwrap(), g)
            .unwrap();
        let mut sum = 0f64;
        for y in (0..H).step_by(4) {
            for x in (0..W).step_by(4) {
                sum += f64::from(s.at(x, y));
            }
        }
        means.push(sum);
    }
    for (i, w) in means.windows(2).enumerate() {
        let step = (w[1] / w[0] - 1.0).abs();
        assert!(
            step < 0.03,
            "frame {i} -> {}: mean strength moved {step:.3}",
            i + 1
        );
    }
}
