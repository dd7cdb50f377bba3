//! The keyed layout of the mark in the tile's 2-D spectrum, and tile synthesis.
//!
//! The band of radial frequencies `BAND_LO..=BAND_HI` (cycles per tile) is split, by a keyed
//! shuffle, into the synchronisation bins (fixed keyed phases: the reference pattern that
//! detection aligns to and whose correlation says "a mark is present") and the data bins
//! (keyed phases flipped by one coded bit each, several bins per bit). All bins have the same
//! magnitude, so the mark has a flat spectrum inside the band; sync and data are orthogonal,
//! and so are the patterns of different coded bits.

use rustfft::num_complex::Complex32;

use crate::fft2::Fft2;
use crate::key::WatermarkKey;
use crate::params::{BAND_HI, BAND_LO, CODED_BITS, SYNC_PERCENT, TILE};

/// One frequency bin of the half plane, with its keyed unit phasor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bin {
    /// Horizontal frequency (cycles per tile, may be negative).
    pub(crate) kx: i32,
    /// Vertical frequency (cycles per tile, > 0 or 0 with kx > 0).
    pub(crate) ky: i32,
    /// Index of the bin in a row-major TILE x TILE spectrum.
    pub(crate) index: usize,
    /// Index of its Hermitian mirror (-kx, -ky).
    pub(crate) mirror: usize,
    /// The keyed phase as a unit phasor.
    pub(crate) phasor: Complex32,
}

/// The keyed spectral layout of the mark.
pub(crate) struct Layout {
    /// Synchronisation bins.
    pub(crate) sync: Vec<Bin>,
    /// Data bins.
    pub(crate) data: Vec<Bin>,
    /// The coded bit each data bin carries.
    pub(crate) data_bit: Vec<usize>,
}

fn wrap(k: i32) -> usize {
    k.rem_euclid(TILE as i32) as usize
}

/// All half-plane bins inside the band, in a fixed order.
fn band_bins() -> Vec<(i32, i32)> {
    let half = TILE as i32 / 2;
    let mut out = Vec::new();
    for ky in 0..half {
        for kx in -(half - 1)..half {
            if ky == 0 && kx <= 0 {
                continue;
            }
            let r = ((kx * kx + ky * ky) as f32).sqrt();
            if (BAND_LO..=BAND_HI).contains(&r) {
                out.push((kx, ky));
            }
        }
    }
    out
}

impl Layout {
    /// The layout for `key`.
    pub(crate) fn new(key: &WatermarkKey) -> Self {
        let mut bins = band_bins();
        key.rng("layout").shuffle(&mut bins);
        let mut phases = key.rng("phases");
        let n_sync = bins.len() * SYNC_PERCENT / 100;
        let mk = |(kx, ky): (i32, i32), ph: f32| Bin {
            kx,
            ky,
            index: wrap(ky) * TILE + wrap(kx),
            mirror: wrap(-ky) * TILE + wrap(-kx),
            phasor: Complex32::from_polar(1.0, ph),
        };
        let sync: Vec<Bin> = bins[..n_sync]
            .iter()
            .map(|&b| mk(b, phases.phase()))
            .collect();
        let data: Vec<Bin> = bins[n_sync..]
            .iter()
            .map(|&b| mk(b, phases.phase()))
            .collect();
        let data_bit = (0..data.len()).map(|i| i % CODED_BITS).collect();
        Layout {
            sync,
            data,
            data_bit,
        }
    }

    /// The spatial tile (TILE x TILE, row-major, zero mean, RMS 1) carrying `codeword`
    /// (0/1 per coded bit). With `None`, only the synchronisation pattern.
    pub(crate) fn tile(&self, fft: &Fft2, codeword: Option<&[u8]>) -> Vec<f32> {
        let mut spec = vec![Complex32::new(0.0, 0.0); TILE * TILE];
        let mut put = |b: &Bin, v: Complex32| {
            spec[b.index] = v;
            spec[b.mirror] = v.conj();
        };
        for b in &self.sync {
            put(b, b.phasor);
        }
        if let Some(cw) = codeword {
            for (b, &bit) in self.data.iter().zip(&self.data_bit) {
                let s = if cw[bit] == 1 { 1.0 } else { -1.0 };
                put(b, b.phasor * s);
            }
        }
        fft.inverse(&mut spec);
        let mut tile: Vec<f32> = spec.iter().map(|c| c.re).collect();
        let rms = (tile.iter().map(|v| v * v).sum::<f32>() / tile.len() as f32).sqrt();
        for v in &mut tile {
            *v /= rms;
        }
        tile
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_has_enough_bins_per_coded_bit() {
        let n = band_bins().len();
        let data = n - n * SYNC_PERCENT / 100;
        assert!(
            data >= 2 * CODED_BITS,
            "{data} data bins for {CODED_BITS} bits"
        );
        assert!(n * SYNC_PERCENT / 100 >= 250);
    }

    #[test]
    fn tile_is_real_zero_mean_unit_rms_and_keyed() {
        let fft = Fft2::new(TILE);
        let a = Layout::new(&WatermarkKey::new(b"layout-key-a-0123").unwrap());
        let b = Layout::new(&WatermarkKey::new(b"layout-key-b-0123").unwrap());
        let cw = vec![1u8; CODED_BITS];
        let ta = a.tile(&fft, Some(&cw));
        let tb = b.tile(&fft, Some(&cw));
        let mean: f32 = ta.iter().sum::<f32>() / ta.len() as f32;
        let rms = (ta.iter().map(|v| v * v).sum::<f32>() / ta.len() as f32).sqrt();
        assert!(mean.abs() < 1e-4 && (rms - 1.0).abs() < 1e-4);
        // Independent keys give uncorrelated tiles.
        let corr: f32 = ta.iter().zip(&tb).map(|(x, y)| x * y).sum::<f32>() / ta.len() as f32;
        assert!(corr.abs() < 0.05, "{corr}");
    }
}
