//! Non-blind detection from one captured frame and the original video.
//!
//! 1. Find the original frame: compare small normalised luma thumbnails ([`Thumbnail`]) of
//!    the capture and of every original frame (the caller decodes the original at thumbnail
//!    size and keeps the best match, or is told the time).
//! 2. Register the capture to that frame on the working grid: scale (per axis) by a coarse
//!    then fine search, translation by phase correlation with a sub-pixel peak, brightness and
//!    contrast by least squares.
//! 3. Subtract the registered original: what is left is the mark plus coding noise, and one
//!    frame then carries enough signal for the same keyed correlation as blind detection.

use rustfft::num_complex::Complex32;

use crate::detect::{Detection, Searcher};
use crate::error::{DwmError, Result};
use crate::fft2::Fft2;
use crate::geometry::{BarStats, Rect, axis_tap, box_downscale, resample};
use crate::key::WatermarkKey;
use crate::params::{WORK_H, WORK_W};
use crate::plane::{Plane, Sample};
use crate::residual;

/// Thumbnail width used to match a capture to an original frame.
pub const THUMB_W: usize = 64;
/// Thumbnail height.
pub const THUMB_H: usize = 36;

/// A small, zero-mean, unit-norm luma thumbnail of a picture's active area.
#[derive(Debug, Clone, PartialEq)]
pub struct Thumbnail(Vec<f32>);

impl Thumbnail {
    /// The thumbnail of `active` in `luma` (any size; area-averaged, then normalised).
    pub fn new<T: Sample>(luma: &Plane<'_, T>, active: Rect) -> Result<Self> {
        Self::with_crop(luma, active, 0.0)
    }

    /// The thumbnail of the centre of `active`, `crop` (0..0.5) of each side cut away: a
    /// capture of a cropped leak matches the original frame's thumbnail at that crop.
    pub fn with_crop<T: Sample>(luma: &Plane<'_, T>, active: Rect, crop: f32) -> Result<Self> {
        active.check_inside(luma.width, luma.height)?;
        let crop = crop.clamp(0.0, 0.4);
        let (cx, cy) = (
            (active.w as f32 * crop / 2.0) as usize,
            (active.h as f32 * crop / 2.0) as usize,
        );
        let active = Rect {
            x: active.x + cx,
            y: active.y + cy,
            w: (active.w - 2 * cx).max(1),
            h: (active.h - 2 * cy).max(1),
        };
        let factor = (active.h / (2 * THUMB_H)).max(1);
        let (pic, w, h) = box_downscale(luma, factor);
        let rect = scaled_rect(active, factor, w, h);
        let mut v = resample(&pic, w, h, rect, THUMB_W, THUMB_H);
        v = residual::blur(&v, THUMB_W, THUMB_H);
        let mean = v.iter().sum::<f32>() / v.len() as f32;
        v.iter_mut().for_each(|x| *x -= mean);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 1e-6 {
            v.iter_mut().for_each(|x| *x /= norm);
        }
        Ok(Thumbnail(v))
    }

    /// Normalised correlation with another thumbnail (1 = same picture up to brightness and
    /// contrast; 0 for a flat picture).
    pub fn similarity(&self, other: &Thumbnail) -> f32 {
        self.0.iter().zip(&other.0).map(|(a, b)| a * b).sum()
    }
}

/// `rect` (in a picture's pixels) in the same picture box-downscaled by `factor` to `w` x `h`.
fn scaled_rect(rect: Rect, factor: usize, w: usize, h: usize) -> Rect {
    let x = (rect.x / factor).min(w - 1);
    let y = (rect.y / factor).min(h - 1);
    Rect {
        x,
        y,
        w: (rect.w / factor).clamp(1, w - x),
        h: (rect.h / factor).clamp(1, h - y),
    }
}

/// The active area of a single picture (bars removed).
pub fn single_frame_active_area<T: Sample>(luma: &Plane<'_, T>) -> Rect {
    let (pic, w, h) = box_downscale(luma, 1);
    let mut bars = BarStats::new(w, h);
    bars.add(&pic);
    bars.active_area()
}

/// A picture's active area on the working grid (8-bit units).
fn to_work<T: Sample>(luma: &Plane<'_, T>, active: Rect) -> Result<Vec<f32>> {
    active.check_inside(luma.width, luma.height)?;
    let factor = (active.h / WORK_H).max(1);
    let (pic, w, h) = box_downscale(luma, factor);
    Ok(resample(
        &pic,
        w,
        h,
        scaled_rect(active, factor, w, h),
        WORK_W,
        WORK_H,
    ))
}

/// How the capture maps onto the original: capture(u) ~ gain * original(m (u - d)) + offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Registration {
    /// Scale of original pixels per capture pixel (horizontal, vertical), on the working grid.
    pub scale: (f32, f32),
    /// Translation in capture working pixels.
    pub shift: (f32, f32),
    /// Phase-correlation peak (0..1): how well the pictures match after registration.
    pub peak: f32,
}

/// Samples `src` (`w` x `h`) at m (u - d) for every u of a `w` x `h` grid; returns the picture
/// and a mask of samples that fell inside `src`.
fn warp(src: &[f32], w: usize, h: usize, m: (f32, f32), d: (f32, f32)) -> (Vec<f32>, Vec<bool>) {
    let mut out = vec![0f32; w * h];
    let mut valid = vec![false; w * h];
    let cols: Vec<(f32, bool)> = (0..w)
        .map(|x| {
            let c = m.0 * (x as f32 - d.0);
            (c, c >= 0.0 && c <= (w - 1) as f32)
        })
        .collect();
    for y in 0..h {
        let r = m.1 * (y as f32 - d.1);
        let row_ok = r >= 0.0 && r <= (h - 1) as f32;
        let (y0, y1, fy) = axis_tap(r, h);
        for (x, &(c, col_ok)) in cols.iter().enumerate() {
            let (x0, x1, fx) = axis_tap(c, w);
            let a = src[y0 * w + x0] + (src[y0 * w + x1] - src[y0 * w + x0]) * fx;
            let b = src[y1 * w + x0] + (src[y1 * w + x1] - src[y1 * w + x0]) * fx;
            out[y * w + x] = a + (b - a) * fy;
            valid[y * w + x] = row_ok && col_ok;
        }
    }
    (out, valid)
}

/// Zero-mean, Hann-windowed copy of a `w` x `h` picture in an `n` x `n` complex array,
/// transformed.
fn windowed_spectrum(pic: &[f32], w: usize, h: usize, fft: &Fft2, n: usize) -> Vec<Complex32> {
    let mean = pic.iter().sum::<f32>() / pic.len() as f32;
    let hann = |i: usize, len: usize| {
        0.5 - 0.5 * (std::f32::consts::TAU * (i as f32 + 0.5) / len as f32).cos()
    };
    let wx: Vec<f32> = (0..w).map(|x| hann(x, w)).collect();
    let mut spec = vec![Complex32::new(0.0, 0.0); n * n];
    for y in 0..h {
        let wy = hann(y, h);
        for x in 0..w {
            spec[y * n + x] = Complex32::new((pic[y * w + x] - mean) * wx[x] * wy, 0.0);
        }
    }
    fft.forward(&mut spec);
    spec
}

/// Phase correlation: the shift d with a(u) ~ b(u - d), sub-pixel, and the peak height.
fn phase_correlate(fa: &[Complex32], fb: &[Complex32], fft: &Fft2, n: usize) -> ((f32, f32), f32) {
    let mut p: Vec<Complex32> = fa
        .iter()
        .zip(fb)
        .map(|(a, b)| {
            let c = a * b.conj();
            let m = c.norm();
            if m > 1e-12 { c / m } else { c }
        })
        .collect();
    fft.inverse(&mut p);
    let (mut best, mut at) = (f32::NEG_INFINITY, 0usize);
    for (i, c) in p.iter().enumerate() {
        if c.re > best {
            best = c.re;
            at = i;
        }
    }
    let (px, py) = (at % n, at / n);
    let val = |x: usize, y: usize| p[(y % n) * n + (x % n)].re;
    let sub = |m: f32, c: f32, q: f32| {
        let d = m - 2.0 * c + q;
        if d < 0.0 {
            (0.5 * (m - q) / d).clamp(-0.5, 0.5)
        } else {
            0.0
        }
    };
    let dx = px as f32 + sub(val(px + n - 1, py), best, val(px + 1, py));
    let dy = py as f32 + sub(val(px, py + n - 1), best, val(px, py + 1));
    let wrap = |v: f32| if v >= n as f32 / 2.0 { v - n as f32 } else { v };
    ((wrap(dx), wrap(dy)), best / (n * n) as f32)
}

/// Registers `cap` to `orig` (both WORK_W x WORK_H): scale search, then translation.
fn register(cap: &[f32], orig: &[f32]) -> Registration {
    let best = register_coarse(cap, orig);
    register_fine(cap, orig, best)
}

/// How well a captured frame registers to an original frame (coarse scale search at half
/// resolution; 0..1): ranks candidate frames found by thumbnails before the full detection.
pub fn match_score<T: Sample, U: Sample>(
    capture: &Plane<'_, T>,
    original: &Plane<'_, U>,
    original_active: Rect,
) -> Result<f32> {
    let cap = to_work(capture, single_frame_active_area(capture))?;
    let orig = to_work(original, original_active)?;
    Ok(register_coarse(&cap, &orig).peak)
}

/// Uniform scale search at half resolution.
fn register_coarse(cap: &[f32], orig: &[f32]) -> Registration {
    let (hw, hh) = (WORK_W / 2, WORK_H / 2);
    let half = |p: &[f32]| resample(p, WORK_W, WORK_H, Rect::full(WORK_W, WORK_H), hw, hh);
    let (cap_h, orig_h) = (half(cap), half(orig));
    let n_small = 512;
    let fft_small = Fft2::new(n_small);
    let fa = windowed_spectrum(&cap_h, hw, hh, &fft_small, n_small);
    let mut best = Registration {
        scale: (1.0, 1.0),
        shift: (0.0, 0.0),
        peak: f32::NEG_INFINITY,
    };
    for i in 0..=30 {
        let m = 0.80 + i as f32 * 0.01;
        let r = try_scale((m, m), &fft_small, n_small, &fa, &orig_h, hw, hh);
        if r.peak > best.peak {
            best = r;
        }
    }
    best
}

fn try_scale(
    m: (f32, f32),
    fft: &Fft2,
    n: usize,
    fa: &[Complex32],
    o: &[f32],
    w: usize,
    h: usize,
) -> Registration {
    let (om, _) = warp(o, w, h, m, (0.0, 0.0));
    let fb = windowed_spectrum(&om, w, h, fft, n);
    let (d, peak) = phase_correlate(fa, &fb, fft, n);
    Registration {
        scale: m,
        shift: d,
        peak,
    }
}

/// Per-axis scale search at full resolution around a coarse registration.
fn register_fine(cap: &[f32], orig: &[f32], coarse: Registration) -> Registration {
    let mut best = coarse;
    let n = 1024;
    let fft = Fft2::new(n);
    let fa = windowed_spectrum(cap, WORK_W, WORK_H, &fft, n);
    let m0 = best.scale;
    best.peak = f32::NEG_INFINITY;
    for iy in -3..=3 {
        for ix in -3..=3 {
            let m = (m0.0 + ix as f32 * 0.004, m0.1 + iy as f32 * 0.004);
            let r = try_scale(m, &fft, n, &fa, orig, WORK_W, WORK_H);
            if r.peak > best.peak {
                best = r;
            }
        }
    }
    best
}

/// Reads the mark from one captured frame, given the matching original frame and the active
/// area the original was marked in (the same area the embedder used).
pub fn detect_with_original<T: Sample, U: Sample>(
    key: &WatermarkKey,
    capture: &Plane<'_, T>,
    original: &Plane<'_, U>,
    original_active: Rect,
) -> Result<(Detection, Registration)> {
    let cap_active = single_frame_active_area(capture);
    if cap_active.w < 64 || cap_active.h < 64 {
        return Err(DwmError::Registration(format!(
            "the captured picture's active area {}x{} is too small",
            cap_active.w, cap_active.h
        )));
    }
    let cap = to_work(capture, cap_active)?;
    let orig = to_work(original, original_active)?;
    let reg = register(&cap, &orig);
    let (om, valid) = warp(&orig, WORK_W, WORK_H, reg.scale, reg.shift);
    // Brightness and contrast by least squares over the overlap.
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0f64, 0f64, 0f64, 0f64, 0f64);
    for ((&c, &o), &ok) in cap.iter().zip(&om).zip(&valid) {
        if ok {
            let (x, y) = (f64::from(o), f64::from(c));
            n += 1.0;
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
        }
    }
    if n < (WORK_W * WORK_H / 4) as f64 {
        return Err(DwmError::Registration(
            "the capture overlaps less than a quarter of the original frame".into(),
        ));
    }
    let var = sxx - sx * sx / n;
    let gain = if var > 1e-9 {
        (sxy - sx * sy / n) / var
    } else {
        1.0
    };
    let offset = (sy - gain * sx) / n;
    let diff: Vec<f32> = cap
        .iter()
        .zip(&om)
        .zip(&valid)
        .map(|((&c, &o), &ok)| {
            if ok {
                c - (gain as f32 * o + offset as f32)
            } else {
                0.0
            }
        })
        .collect();
    let res = residual::residual(&diff, WORK_W, WORK_H);
    // The mark's period in capture pixels is TILE / m: fold at 1 / m.
    let scale = (1.0 / reg.scale.0, 1.0 / reg.scale.1);
    let det = Searcher::new(key).search(&res, &[scale], true, 1, 1, cap_active);
    Ok((det, reg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texture(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut s = seed;
        (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let v = 110.0
                    + 50.0 * (x * 0.031 + y * 0.017).sin()
                    + 30.0 * (x * 0.11).cos() * (y * 0.07).sin()
                    + ((s >> 28) as f32 - 8.0);
                v.clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    #[test]
    fn thumbnails_match_the_same_picture_not_another() {
        let (w, h) = (320, 180);
        let a = texture(w, h, 1);
        let b: Vec<u8> = texture(w, h, 1)
            .iter()
            .map(|&v| (f32::from(v) * 0.9 + 12.0) as u8)
            .collect();
        let c = texture(w, h, 99)
            .iter()
            .enumerate()
            .map(|(i, &v)| v.wrapping_add((i % 97) as u8))
            .collect::<Vec<u8>>();
        let full = Rect::full(w, h);
        let ta = Thumbnail::new(&Plane::new(&a[..], w, h, 8).unwrap(), full).unwrap();
        let tb = Thumbnail::new(&Plane::new(&b[..], w, h, 8).unwrap(), full).unwrap();
        let tc = Thumbnail::new(&Plane::new(&c[..], w, h, 8).unwrap(), full).unwrap();
        assert!(ta.similarity(&tb) > 0.99);
        assert!(ta.similarity(&tc) < ta.similarity(&tb));
    }

    #[test]
    fn phase_correlation_finds_a_translation() {
        let (w, h) = (WORK_W, WORK_H);
        let base: Vec<f32> = texture(w, h, 5).iter().map(|&v| f32::from(v)).collect();
        let (moved, _) = warp(&base, w, h, (1.0, 1.0), (7.25, -3.5));
        let n = 1024;
        let fft = Fft2::new(n);
        let fa = windowed_spectrum(&moved, w, h, &fft, n);
        let fb = windowed_spectrum(&base, w, h, &fft, n);
        let ((dx, dy), peak) = phase_correlate(&fa, &fb, &fft, n);
        assert!(
            (dx - 7.25).abs() < 0.3 && (dy + 3.5).abs() < 0.3,
            "{dx} {dy}"
        );
        assert!(peak > 0.1);
    }
}
