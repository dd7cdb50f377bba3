//! Folding, whitening and keyed correlation of a residual picture on the working grid.
//!
//! The residual (working-grid pixels) is resampled for a candidate scale, folded into one
//! tile (all tile-sized blocks added), transformed, whitened ring by ring, and correlated with
//! the synchronisation phases for every cyclic shift at once. The best shift aligns the data
//! bins, whose correlations are the soft coded bits.

use rustfft::num_complex::Complex32;

use crate::fft2::Fft2;
use crate::layout::Layout;
use crate::params::{BAND_HI, BAND_LO, CODED_BITS, TILE};
use crate::stats;

/// Whitened bins are limited to this many times their ring's RMS: most bins end up with unit
/// magnitude (phase-only matching), which measured best and tames periodic content.
const WHITE_CLIP: f32 = 0.8;

/// The result of correlating at one scale.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Scale of the residual relative to the embedded mark, horizontally.
    pub(crate) mx: f32,
    /// Vertically.
    pub(crate) my: f32,
    /// Normalised synchronisation peak.
    pub(crate) z: f64,
    /// ln of the Bernstein bound for one hypothesis at this z.
    pub(crate) ln_tail: f64,
    /// Sub-pixel cyclic shift of the tile (working pixels).
    pub(crate) shift: (f32, f32),
    /// Whitened spectrum of the folded tile.
    white: Vec<Complex32>,
}

/// Correlates residual pictures with one key's layout.
pub(crate) struct Correlator<'a> {
    pub(crate) layout: &'a Layout,
    pub(crate) fft: &'a Fft2,
    ring_of: Vec<u16>,
}

const NO_RING: u16 = u16::MAX;

impl<'a> Correlator<'a> {
    pub(crate) fn new(layout: &'a Layout, fft: &'a Fft2) -> Self {
        let half = (TILE / 2) as i32;
        let mut ring_of = vec![NO_RING; TILE * TILE];
        for ky in -half..half {
            for kx in -half..half {
                let r = ((kx * kx + ky * ky) as f32).sqrt();
                if (BAND_LO - 1.0..=BAND_HI + 1.0).contains(&r) {
                    let idx = ky.rem_euclid(TILE as i32) as usize * TILE
                        + kx.rem_euclid(TILE as i32) as usize;
                    ring_of[idx] = r.round() as u16;
                }
            }
        }
        Correlator {
            layout,
            fft,
            ring_of,
        }
    }

    /// Folds `res` (`w` x `h`) resampled by (`mx`, `my`) into one tile.
    pub(crate) fn fold(res: &[f32], w: usize, h: usize, mx: f32, my: f32) -> Vec<f32> {
        let mut tile = vec![0f32; TILE * TILE];
        let nw = ((w as f32 - 1.0) / mx).floor() as usize + 1;
        let nh = ((h as f32 - 1.0) / my).floor() as usize + 1;
        let cols: Vec<(usize, usize, f32)> = (0..nw)
            .map(|i| crate::geometry::axis_tap(i as f32 * mx, w))
            .collect();
        for j in 0..nh {
            let (y0, y1, fy) = crate::geometry::axis_tap(j as f32 * my, h);
            let r0 = &res[y0 * w..(y0 + 1) * w];
            let r1 = &res[y1 * w..(y1 + 1) * w];
            let trow = &mut tile[(j % TILE) * TILE..(j % TILE + 1) * TILE];
            for (i, &(x0, x1, fx)) in cols.iter().enumerate() {
                let a = r0[x0] + (r0[x1] - r0[x0]) * fx;
                let b = r1[x0] + (r1[x1] - r1[x0]) * fx;
                trow[i % TILE] += a + (b - a) * fy;
            }
        }
        tile
    }

    /// Whitened spectrum of a folded tile: each band ring scaled to unit RMS, clipped.
    pub(crate) fn whiten(&self, tile: &[f32]) -> Vec<Complex32> {
        let mut spec: Vec<Complex32> = tile.iter().map(|&v| Complex32::new(v, 0.0)).collect();
        self.fft.forward(&mut spec);
        let rings = BAND_HI as usize + 3;
        let mut energy = vec![0f64; rings];
        let mut count = vec![0u32; rings];
        for (c, &r) in spec.iter().zip(&self.ring_of) {
            if r != NO_RING {
                energy[r as usize] += f64::from(c.norm_sqr());
                count[r as usize] += 1;
            }
        }
        let scale: Vec<f32> = energy
            .iter()
            .zip(&count)
            .map(|(&e, &n)| {
                if n > 0 && e > 0.0 {
                    (1.0 / (e / f64::from(n)).sqrt()) as f32
                } else {
                    0.0
                }
            })
            .collect();
        for (c, &r) in spec.iter_mut().zip(&self.ring_of) {
            if r == NO_RING {
                *c = Complex32::new(0.0, 0.0);
            } else {
                *c *= scale[r as usize];
                let n = c.norm();
                if n > WHITE_CLIP {
                    *c *= WHITE_CLIP / n;
                }
            }
        }
        spec
    }

    /// Correlates a whitened spectrum with the sync phases over all shifts; returns the best.
    pub(crate) fn sync(&self, white: Vec<Complex32>, mx: f32, my: f32) -> Candidate {
        let mut z = vec![Complex32::new(0.0, 0.0); TILE * TILE];
        let (mut var, mut bmax) = (0f64, 0f32);
        for b in &self.layout.sync {
            let v = white[b.index] * b.phasor.conj();
            z[b.index] = v;
            z[b.mirror] = v.conj();
            var += 2.0 * f64::from(v.norm_sqr());
            bmax = bmax.max(2.0 * v.norm());
        }
        self.fft.inverse(&mut z);
        let (mut best, mut at) = (f32::NEG_INFINITY, 0usize);
        for (i, c) in z.iter().enumerate() {
            if c.re > best {
                best = c.re;
                at = i;
            }
        }
        let sd = var.sqrt().max(1e-30);
        let score = f64::from(best) / sd;
        let (px, py) = (at % TILE, at / TILE);
        let val = |x: usize, y: usize| z[(y % TILE) * TILE + (x % TILE)].re;
        let sub = |m: f32, c: f32, p: f32| {
            let d = m - 2.0 * c + p;
            if d < 0.0 {
                (0.5 * (m - p) / d).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        };
        let dx = sub(val(px + TILE - 1, py), best, val(px + 1, py));
        let dy = sub(val(px, py + TILE - 1), best, val(px, py + 1));
        Candidate {
            mx,
            my,
            z: score,
            ln_tail: stats::ln_bernstein_tail(score, f64::from(bmax) / sd),
            shift: (px as f32 + dx, py as f32 + dy),
            white,
        }
    }

    /// Fold, whiten and correlate at one scale.
    pub(crate) fn evaluate(&self, res: &[f32], w: usize, h: usize, mx: f32, my: f32) -> Candidate {
        let tile = Self::fold(res, w, h, mx, my);
        let white = self.whiten(&tile);
        self.sync(white, mx, my)
    }

    /// Soft coded bits at the candidate's shift (positive = 1).
    pub(crate) fn soft_bits(&self, c: &Candidate) -> Vec<f32> {
        let mut soft = vec![0f32; CODED_BITS];
        let (sx, sy) = c.shift;
        let w = std::f32::consts::TAU / TILE as f32;
        for (b, &bit) in self.layout.data.iter().zip(&self.layout.data_bit) {
            let ramp = Complex32::from_polar(1.0, w * (b.kx as f32 * sx + b.ky as f32 * sy));
            soft[bit] += 2.0 * (c.white[b.index] * b.phasor.conj() * ramp).re;
        }
        soft
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::WatermarkKey;

    #[test]
    fn fold_of_a_tiled_pattern_is_the_pattern() {
        let tile: Vec<f32> = (0..TILE * TILE).map(|i| ((i * 31) % 17) as f32).collect();
        let (w, h) = (TILE * 3, TILE * 2);
        let res: Vec<f32> = (0..w * h)
            .map(|i| tile[(i / w % TILE) * TILE + (i % w) % TILE])
            .collect();
        let f = Correlator::fold(&res, w, h, 1.0, 1.0);
        for (a, b) in f.iter().zip(&tile) {
            assert!((a - 6.0 * b).abs() < 1e-3);
        }
    }

    #[test]
    fn finds_a_shifted_sync_pattern() {
        let key = WatermarkKey::new(b"correlate-key-01234").unwrap();
        let layout = Layout::new(&key);
        let fft = Fft2::new(TILE);
        let t = layout.tile(&fft, None);
        let (dx, dy) = (37usize, 90usize);
        let shifted: Vec<f32> = (0..TILE * TILE)
            .map(|i| {
                let (x, y) = (i % TILE, i / TILE);
                t[((y + TILE - dy) % TILE) * TILE + (x + TILE - dx) % TILE]
            })
            .collect();
        let c = Correlator::new(&layout, &fft);
        let cand = c.sync(c.whiten(&shifted), 1.0, 1.0);
        assert!((cand.shift.0 - dx as f32).abs() < 0.01, "{:?}", cand.shift);
        assert!((cand.shift.1 - dy as f32).abs() < 0.01);
        assert!(cand.z > 15.0, "{}", cand.z);
    }
}
