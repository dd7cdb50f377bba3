//! Perceptual masking: how strongly the mark may be added at each pixel.
//!
//! Texture hides noise, flat areas and dark areas show it, and a strong edge next to a flat
//! area shows a halo. So the strength follows the local activity measured as the *smallest*
//! variance of the four quarters of each block (an edge leaves at least one quarter flat),
//! eroded over the 3x3 neighbouring blocks (so a textured block does not spill strength into
//! a flat neighbour), with a luminance factor that lowers it in dark and near-white areas.
//! A frame gain then scales the map so that the frame's predicted SSIM loss meets its target
//! (more mark where the picture leaves headroom, less on flat bright pictures). Finally the
//! frame's mean squared strength is capped, which bounds the mark's energy per frame
//! (PSNR >= 43 dB before rounding) whatever the content.

use rayon::prelude::*;

use crate::geometry::Rect;
use crate::plane::{Plane, Sample};

/// Squared strength in flat areas (8-bit units; the pattern has unit RMS).
const S2_FLAT: f32 = 0.7;
/// Squared strength added per unit of local variance. Together with `S2_FLAT` this keeps the
/// SSIM loss of a window, about s^2 / (2 var + 58.5), near 1% whatever the texture.
const S2_GAIN: f32 = 0.035;
/// Largest strength.
const S_MAX: f32 = 4.0;
/// Predicted mean SSIM loss per frame the frame gain aims at (see [`ssim_gain`]).
const SSIM_LOSS_TARGET: f32 = 0.0105;
/// Smallest frame gain.
const GAIN_MIN: f32 = 0.75;
/// Largest frame gain.
const GAIN_MAX: f32 = 2.0;
/// The frame gain's statistic reads every this many blocks.
const GAIN_SAMPLE: usize = 4;
/// Cap on the frame's mean squared strength (MSE of the mark, 8-bit units): 43.3 dB PSNR.
const S2_BUDGET: f32 = 3.0;

/// Luminance factor for a block mean `y` in 8-bit units.
fn luminance_factor(y: f32) -> f32 {
    const DARK0: f32 = 24.0; // at or below: 0.3
    const DARK1: f32 = 72.0; // at or above: 1.0
    const BRIGHT0: f32 = 215.0; // above: fades to 0.5 at 245
    if y <= DARK0 {
        0.3
    } else if y < DARK1 {
        0.3 + 0.7 * (y - DARK0) / (DARK1 - DARK0)
    } else if y > BRIGHT0 {
        (1.0 - 0.5 * ((y - BRIGHT0) / 30.0).min(1.0)).max(0.5)
    } else {
        1.0
    }
}

/// The block side (frame pixels) used for a picture of height `h`: 8 at 1080p, scaled.
pub(crate) fn block_size(h: usize) -> usize {
    ((h as f32 / 135.0).round() as usize).clamp(4, 32) & !1
}

/// The strength over the active rectangle, in the plane's sample units: one value per block
/// centre, interpolated bilinearly to every pixel once per frame (so each recipient's mark
/// costs one multiply-add per pixel, not an interpolation).
#[derive(Debug, Clone)]
pub struct StrengthMap {
    pub(crate) rect: Rect,
    block: usize,
    bw: usize,
    bh: usize,
    blocks: Vec<f32>,
    frac: Vec<f32>,
    /// Per pixel, `rect.w` values per row.
    pixels: Vec<f32>,
}

impl StrengthMap {
    /// The rectangle the map covers.
    pub fn rect(&self) -> Rect {
        self.rect
    }

    /// The per-pixel strengths of row `y` (relative to the rectangle; `rect.w` long).
    pub(crate) fn row(&self, y: usize) -> &[f32] {
        let w = self.rect.w;
        &self.pixels[y * w..(y + 1) * w]
    }

    /// Interpolates the strengths of row `y` (relative to the rectangle) into `out`.
    fn interpolate_row(&self, y: usize, line: &mut Vec<f32>, out: &mut [f32]) {
        let b = self.block as f32;
        let (y0, y1, fy) = crate::geometry::axis_tap((y as f32 + 0.5) / b - 0.5, self.bh);
        let bw = self.bw;
        let (r0, r1) = (
            &self.blocks[y0 * bw..(y0 + 1) * bw],
            &self.blocks[y1 * bw..(y1 + 1) * bw],
        );
        line.clear();
        line.extend(r0.iter().zip(r1).map(|(a, c)| a + (c - a) * fy));
        interpolate_line(line, self.block, &self.frac, out);
    }

    /// The strength at (x, y) relative to the rectangle (tests and diagnostics).
    pub fn at(&self, x: usize, y: usize) -> f32 {
        self.row(y)[x]
    }

    /// Fills `pixels` from the block values, rows in parallel on the rayon pool.
    fn expand(&mut self) {
        let w = self.rect.w;
        let mut pixels = vec![0f32; w * self.rect.h];
        pixels
            .par_chunks_mut(w.max(1))
            .enumerate()
            .for_each_init(Vec::new, |line, (y, out)| {
                self.interpolate_row(y, line, out)
            });
        self.pixels = pixels;
    }
}

/// Computes the strength map of one frame over `rect`.
pub(crate) fn strength_map<T: Sample>(luma: &Plane<'_, T>, rect: Rect) -> StrengthMap {
    let b = block_size(luma.height);
    let half = b / 2;
    let bw = rect.w.div_ceil(b);
    let bh = rect.h.div_ceil(b);
    let to8 = luma.to_8bit_scale();
    let mut act = vec![0f32; bw * bh];
    let mut mean = vec![0f32; bw * bh];
    let mut var = vec![0f32; bw * bh];
    // Quarter sums per block row: 2 quarter rows x (2 * bw) quarter columns.
    let qw = 2 * bw;
    let mut qs = vec![0f32; 2 * qw];
    let mut qq = vec![0f32; 2 * qw];
    let mut qn = vec![0f32; 2 * qw];
    for by in 0..bh {
        qs.iter_mut().for_each(|v| *v = 0.0);
        qq.iter_mut().for_each(|v| *v = 0.0);
        qn.iter_mut().for_each(|v| *v = 0.0);
        let y0 = by * b;
        let y1 = (y0 + b).min(rect.h);
        for y in y0..y1 {
            let qy = usize::from(y - y0 >= half);
            let row = &luma.row(rect.y + y)[rect.x..rect.x + rect.w];
            let o = qy * qw;
            T::group_sums(row, half, &mut qs[o..o + qw], &mut qq[o..o + qw]);
            for (qx, n) in qn[o..o + qw].iter_mut().enumerate() {
                *n += (rect.w.saturating_sub(qx * half)).min(half) as f32;
            }
        }
        for bx in 0..bw {
            let mut min_var = f32::INFINITY;
            let (mut s_all, mut q_all, mut n_all) = (0f32, 0f32, 0f32);
            for qy in 0..2 {
                for qx in 0..2 {
                    let i = qy * qw + 2 * bx + qx;
                    let n = qn[i];
                    if n == 0.0 {
                        continue;
                    }
                    let m = qs[i] / n;
                    let var = (qq[i] / n - m * m).max(0.0);
                    min_var = min_var.min(var);
                    s_all += qs[i];
                    q_all += qq[i];
                    n_all += n;
                }
            }
            act[by * bw + bx] = if min_var.is_finite() {
                min_var.sqrt() * to8
            } else {
                0.0
            };
            if n_all > 0.0 {
                let m = s_all / n_all;
                mean[by * bw + bx] = m * to8;
                var[by * bw + bx] = (q_all / n_all - m * m).max(0.0) * to8 * to8;
            }
        }
    }
    // Erode activity over 3x3 blocks, then turn it into a strength.
    let mut strength = vec![0f32; bw * bh];
    for by in 0..bh {
        for bx in 0..bw {
            let mut m = f32::INFINITY;
            for ny in by.saturating_sub(1)..(by + 2).min(bh) {
                for nx in bx.saturating_sub(1)..(bx + 2).min(bw) {
                    m = m.min(act[ny * bw + nx]);
                }
            }
            let s = (S2_FLAT + S2_GAIN * m * m).sqrt().min(S_MAX);
            strength[by * bw + bx] = s * luminance_factor(mean[by * bw + bx]);
        }
    }
    // Spend the frame's SSIM allowance, then cap its energy.
    let gain = ssim_gain(&strength, &var, to8);
    let ms: f32 = gain * gain * strength.iter().map(|s| s * s).sum::<f32>() / strength.len() as f32;
    let cap = if ms > S2_BUDGET {
        (S2_BUDGET / ms).sqrt()
    } else {
        1.0
    };
    let unit = gain * cap / to8; // back to sample units
    strength.iter_mut().for_each(|v| *v *= unit);
    let mut map = StrengthMap {
        rect,
        block: b,
        bw,
        bh,
        blocks: strength,
        frac: (0..b).map(|j| (j as f32 + 0.5) / b as f32).collect(),
        pixels: Vec::new(),
    };
    map.expand();
    map
}

/// The SSIM loss of a block with host variance `var` when a mark of variance `s2` (8-bit
/// units, rounding to the sample grid included) is added: 1 - (2 var + C2) / (2 var + s2 + C2),
/// the structure term of SSIM for independent host and mark (the luminance term does not move).
fn block_ssim_loss(var: f32, s2: f32) -> f32 {
    const C2: f32 = (0.03 * 255.0) * (0.03 * 255.0);
    s2 / (2.0 * var + s2 + C2)
}

/// The frame gain that brings the predicted mean SSIM loss of `strength` (8-bit units per
/// block, host variances `var`) to [`SSIM_LOSS_TARGET`], within `GAIN_MIN..=GAIN_MAX`.
/// Frames whose masking leaves SSIM headroom (dark or low-texture pictures, where the mark
/// is weakest and the encoder most likely to erase it) get a stronger mark; flat bright
/// pictures, where the floor strength alone would cost more than the target, a weaker one.
/// The gain follows the picture's statistics over many blocks, so grain does not make it
/// flicker.
fn ssim_gain(strength: &[f32], var: &[f32], to8: f32) -> f32 {
    if strength.is_empty() {
        return 1.0;
    }
    let rounding = to8 * to8 / 12.0;
    // Every GAIN_SAMPLE-th block: the mean over thousands of blocks is as stable, and the
    // search costs a quarter.
    let n = strength.len().div_ceil(GAIN_SAMPLE) as f32;
    let loss = |g: f32| {
        let g2 = g * g;
        strength
            .iter()
            .zip(var)
            .step_by(GAIN_SAMPLE)
            .map(|(s, &v)| block_ssim_loss(v, g2 * s * s + rounding))
            .sum::<f32>()
            / n
    };
    if loss(GAIN_MAX) <= SSIM_LOSS_TARGET {
        return GAIN_MAX;
    }
    if loss(GAIN_MIN) >= SSIM_LOSS_TARGET {
        return GAIN_MIN;
    }
    let (mut lo, mut hi) = (GAIN_MIN, GAIN_MAX);
    // 12 halvings: the gain to within 0.0003, far below what a viewer or the detector notices.
    for _ in 0..12 {
        let mid = 0.5 * (lo + hi);
        if loss(mid) > SSIM_LOSS_TARGET {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

/// Linear interpolation of block-centre values `line` (block side `b`) to pixels: pixel `x`
/// sits at (x + 0.5) / b - 0.5 in block units; `frac[j]` = (j + 0.5) / b.
fn interpolate_line(line: &[f32], b: usize, frac: &[f32], out: &mut [f32]) {
    let half = b / 2;
    let n = out.len();
    // Up to the first block centre and after the last one the value is constant.
    let head = half.min(n);
    out[..head].iter_mut().for_each(|v| *v = line[0]);
    let mut x = head;
    for seg in 0..line.len().saturating_sub(1) {
        if x >= n {
            break;
        }
        let a = line[seg];
        let d = line[seg + 1] - a;
        let len = b.min(n - x);
        for (o, f) in out[x..x + len].iter_mut().zip(frac) {
            *o = a + d * f;
        }
        x += len;
    }
    let last = line[line.len() - 1];
    out[x..].iter_mut().for_each(|v| *v = last);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane_of(data: &[u8], w: usize, h: usize) -> Plane<'_, u8> {
        Plane::new(data, w, h, 8).unwrap()
    }

    #[test]
    fn flat_areas_get_less_than_texture() {
        let (w, h) = (128, 72);
        let mut data = vec![128u8; w * h];
        // Right quarter: strong texture.
        for y in 0..h {
            for x in 3 * w / 4..w {
                data[y * w + x] = if (x + y) % 2 == 0 { 116 } else { 140 };
            }
        }
        let m = strength_map(&plane_of(&data, w, h), Rect::full(w, h));
        let flat = m.at(5, 30);
        let floor = S2_FLAT.sqrt();
        assert!((GAIN_MIN * floor - 1e-3..=GAIN_MAX * floor + 1e-3).contains(&flat));
        assert!(m.at(120, 30) > 2.0 * flat);
    }

    #[test]
    fn the_frame_gain_spends_the_ssim_allowance() {
        let n = 1000;
        let floor = vec![S2_FLAT.sqrt(); n];
        let predicted = |g: f32, var: &[f32]| {
            floor
                .iter()
                .zip(var)
                .map(|(s, &v)| block_ssim_loss(v, g * g * s * s + 1.0 / 12.0))
                .sum::<f32>()
                / n as f32
        };
        // Flat grey: the floor alone costs more than the target, so a little less.
        let flat = vec![0f32; n];
        let g = ssim_gain(&floor, &flat, 1.0);
        assert!((GAIN_MIN..1.0).contains(&g), "{g}");
        assert!((predicted(g, &flat) - SSIM_LOSS_TARGET).abs() < 1e-4);
        // Light grain leaves headroom: stronger, up to the largest gain.
        let grain = vec![20f32; n];
        let g = ssim_gain(&floor, &grain, 1.0);
        assert!(g > 1.0 && (predicted(g, &grain) - SSIM_LOSS_TARGET).abs() < 1e-4);
        assert_eq!(ssim_gain(&floor, &vec![400f32; n], 1.0), GAIN_MAX);
        assert_eq!(ssim_gain(&[], &[], 1.0), 1.0);
    }

    #[test]
    fn line_interpolation_matches_the_formula() {
        let b = 8;
        let line = [1.0f32, 3.0, -2.0, 5.0];
        let frac: Vec<f32> = (0..b).map(|j| (j as f32 + 0.5) / b as f32).collect();
        for n in [29usize, 32, 37] {
            let mut out = vec![0f32; n];
            interpolate_line(&line, b, &frac, &mut out);
            for (x, v) in out.iter().enumerate() {
                let (i0, i1, f) =
                    crate::geometry::axis_tap((x as f32 + 0.5) / b as f32 - 0.5, line.len());
                let want = line[i0] + (line[i1] - line[i0]) * f;
                assert!((v - want).abs() < 1e-5, "n {n} x {x}: {v} vs {want}");
            }
        }
    }

    #[test]
    fn dark_areas_get_less() {
        let (w, h) = (64, 36);
        let data: Vec<u8> = (0..w * h)
            .map(|i| if i % w < w / 2 { 16 } else { 128 })
            .collect();
        let m = strength_map(&plane_of(&data, w, h), Rect::full(w, h));
        assert!(m.at(5, 10) < 0.5 * m.at(60, 10));
    }

    #[test]
    fn energy_is_capped() {
        let (w, h) = (64, 64);
        let data: Vec<u8> = (0..w * h)
            .map(|i| if (i * 7919) % 13 > 6 { 40 } else { 220 })
            .collect();
        let m = strength_map(&plane_of(&data, w, h), Rect::full(w, h));
        let mut sum = 0f32;
        for y in 0..h {
            for x in 0..w {
                sum += m.at(x, y).powi(2);
            }
        }
        let ms = sum / (w * h) as f32;
        assert!(ms <= S2_BUDGET * 1.05, "{ms}");
    }

    #[test]
    fn ten_bit_planes_scale_with_the_depth() {
        let (w, h) = (64, 36);
        let d8 = vec![128u8; w * h];
        let d10 = vec![512u16; w * h];
        let m8 = strength_map(&plane_of(&d8, w, h), Rect::full(w, h));
        let p10 = Plane::new(&d10[..], w, h, 10).unwrap();
        let m10 = strength_map(&p10, Rect::full(w, h));
        // Four times the 8-bit strength, a little more where the finer grid's rounding
        // leaves more SSIM allowance to the frame gain.
        let ratio = m10.at(3, 3) / m8.at(3, 3);
        assert!((4.0..4.4).contains(&ratio), "{ratio}");
    }
}
