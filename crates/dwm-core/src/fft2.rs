//! Square 2-D FFTs of the watermark tile (rows, then columns).

use std::sync::Arc;

use rustfft::num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

/// Forward and inverse 2-D FFT plans for an `n` x `n` array (row-major).
pub(crate) struct Fft2 {
    n: usize,
    fwd: Arc<dyn Fft<f32>>,
    inv: Arc<dyn Fft<f32>>,
}

impl Fft2 {
    /// Plans for side `n`.
    pub(crate) fn new(n: usize) -> Self {
        let mut planner = FftPlanner::new();
        Fft2 {
            n,
            fwd: planner.plan_fft_forward(n),
            inv: planner.plan_fft_inverse(n),
        }
    }

    /// In-place forward transform (unnormalised).
    pub(crate) fn forward(&self, data: &mut [Complex32]) {
        self.run(data, &self.fwd);
    }

    /// In-place inverse transform (unnormalised: the result is n*n times the mean).
    pub(crate) fn inverse(&self, data: &mut [Complex32]) {
        self.run(data, &self.inv);
    }

    fn run(&self, data: &mut [Complex32], plan: &Arc<dyn Fft<f32>>) {
        let n = self.n;
        assert_eq!(data.len(), n * n);
        plan.process(data); // every row
        transpose(data, n);
        plan.process(data); // every column (now rows)
        transpose(data, n);
    }
}

fn transpose(data: &mut [Complex32], n: usize) {
    for y in 0..n {
        for x in y + 1..n {
            data.swap(y * n + x, x * n + y);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_then_inverse_is_identity_times_n2() {
        let n = 16;
        let f = Fft2::new(n);
        let orig: Vec<Complex32> = (0..n * n)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut d = orig.clone();
        f.forward(&mut d);
        f.inverse(&mut d);
        for (a, b) in d.iter().zip(&orig) {
            assert!((a / (n * n) as f32 - b).norm() < 1e-4);
        }
    }

    #[test]
    fn a_single_cosine_lands_in_its_bin() {
        let n = 32;
        let f = Fft2::new(n);
        let (kx, ky) = (3usize, 5usize);
        let mut d: Vec<Complex32> = (0..n * n)
            .map(|i| {
                let (x, y) = (i % n, i / n);
                let ph = std::f32::consts::TAU * (kx * x + ky * y) as f32 / n as f32;
                Complex32::new(ph.cos(), 0.0)
            })
            .collect();
        f.forward(&mut d);
        let peak = d[ky * n + kx].norm();
        assert!((peak - (n * n) as f32 / 2.0).abs() < 1.0);
        assert!(d[n + 1].norm() < 1e-2);
    }
}
