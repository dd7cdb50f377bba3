//! Picture geometry: rectangles, the active picture (letterbox/pillarbox bars removed), and
//! resampling between frame pixels and the working grid.

use crate::error::{DwmError, Result};

/// A rectangle of whole pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
}

impl Rect {
    /// The whole of a `w` x `h` picture.
    pub fn full(w: usize, h: usize) -> Self {
        Rect { x: 0, y: 0, w, h }
    }

    /// Checks that the rectangle is non-empty and lies inside a `w` x `h` picture.
    pub fn check_inside(&self, w: usize, h: usize) -> Result<()> {
        if self.w == 0 || self.h == 0 || self.x + self.w > w || self.y + self.h > h {
            return Err(DwmError::Geometry(format!(
                "rectangle {}x{}+{}+{} is not inside a {w}x{h} picture",
                self.w, self.h, self.x, self.y
            )));
        }
        Ok(())
    }
}

/// Luma (8-bit units) at or below which a row or column may be a black bar.
const BAR_DARK: f32 = 40.0;
/// Standard deviation (8-bit units) at or below which a row or column is flat.
const BAR_FLAT: f32 = 4.0;
/// A line is a bar when it is dark and flat in at least this share of the informative frames
/// (burnt-in subtitles in the bars make some frames disagree).
const BAR_SHARE: f32 = 0.8;
/// Bars never take more than this share of a dimension on each side.
const BAR_MAX_SIDE: f32 = 0.35;

/// Per-row and per-column statistics over frames, to find letterbox and pillarbox bars.
#[derive(Debug, Clone)]
pub struct BarStats {
    w: usize,
    h: usize,
    row_dark: Vec<u32>,
    col_dark: Vec<u32>,
    frames: u32,
}

impl BarStats {
    /// Empty statistics for `w` x `h` pictures.
    pub fn new(w: usize, h: usize) -> Self {
        BarStats {
            w,
            h,
            row_dark: vec![0; h],
            col_dark: vec![0; w],
            frames: 0,
        }
    }

    /// Frames counted so far (frames that are black all over are not counted).
    pub fn frames(&self) -> u32 {
        self.frames
    }

    /// Adds one picture (`w * h` samples in 8-bit units, row-major).
    pub fn add(&mut self, pic: &[f32]) {
        let (w, h) = (self.w, self.h);
        debug_assert_eq!(pic.len(), w * h);
        let mut row_sum = vec![0f32; h];
        let mut row_sq = vec![0f32; h];
        let mut col_sum = vec![0f32; w];
        let mut col_sq = vec![0f32; w];
        for y in 0..h {
            let row = &pic[y * w..(y + 1) * w];
            let (mut s, mut q) = (0f32, 0f32);
            for ((&v, cs), cq) in row.iter().zip(col_sum.iter_mut()).zip(col_sq.iter_mut()) {
                s += v;
                q += v * v;
                *cs += v;
                *cq += v * v;
            }
            row_sum[y] = s;
            row_sq[y] = q;
        }
        let dark_flat = |s: f32, q: f32, n: usize| {
            let mean = s / n as f32;
            let var = (q / n as f32 - mean * mean).max(0.0);
            mean <= BAR_DARK && var.sqrt() <= BAR_FLAT
        };
        let total: f32 = row_sum.iter().sum();
        let total_sq: f32 = row_sq.iter().sum();
        if dark_flat(total, total_sq, w * h) {
            return; // a black frame (fade) says nothing about bars
        }
        self.frames += 1;
        for y in 0..h {
            if dark_flat(row_sum[y], row_sq[y], w) {
                self.row_dark[y] += 1;
            }
        }
        for x in 0..w {
            if dark_flat(col_sum[x], col_sq[x], h) {
                self.col_dark[x] += 1;
            }
        }
    }

    /// The active picture: the rectangle left after removing bars from each side.
    pub fn active_area(&self) -> Rect {
        if self.frames == 0 {
            return Rect::full(self.w, self.h);
        }
        let need = (self.frames as f32 * BAR_SHARE).ceil() as u32;
        let is_bar = |c: u32| c >= need;
        let span = |counts: &[u32]| {
            let n = counts.len();
            let max = (n as f32 * BAR_MAX_SIDE) as usize;
            let lead = counts.iter().take_while(|&&c| is_bar(c)).count().min(max);
            let trail = counts
                .iter()
                .rev()
                .take_while(|&&c| is_bar(c))
                .count()
                .min(max);
            (lead, n - lead - trail)
        };
        let (y, h) = span(&self.row_dark);
        let (x, w) = span(&self.col_dark);
        Rect { x, y, w, h }
    }
}

/// Averages `factor` x `factor` blocks of a plane into 8-bit-unit floats (`factor` >= 1).
/// Returns the picture and its size.
pub(crate) fn box_downscale<T: crate::plane::Sample>(
    plane: &crate::plane::Plane<'_, T>,
    factor: usize,
) -> (Vec<f32>, usize, usize) {
    let ow = plane.width / factor;
    let oh = plane.height / factor;
    let norm = plane.to_8bit_scale() / (factor * factor) as f32;
    let mut out = vec![0f32; ow * oh];
    let mut acc = vec![0f32; ow];
    for oy in 0..oh {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for dy in 0..factor {
            let row = &plane.row(oy * factor + dy)[..ow * factor];
            if factor == 1 {
                for (a, v) in acc.iter_mut().zip(row) {
                    *a += v.to_f32();
                }
            } else if factor == 2 {
                for (a, p) in acc.iter_mut().zip(row.chunks_exact(2)) {
                    *a += p[0].to_f32() + p[1].to_f32();
                }
            } else {
                for (a, c) in acc.iter_mut().zip(row.chunks_exact(factor)) {
                    *a += c.iter().map(|v| v.to_f32()).sum::<f32>();
                }
            }
        }
        for (o, a) in out[oy * ow..(oy + 1) * ow].iter_mut().zip(&acc) {
            *o = a * norm;
        }
    }
    (out, ow, oh)
}

/// Bilinear resampling of the `src` rectangle (`src` is `sw` x `sh`, row-major) to `dw` x `dh`.
/// Pixel centres are aligned (the rectangle's edges map to the output's edges).
pub(crate) fn resample(
    src: &[f32],
    sw: usize,
    sh: usize,
    rect: Rect,
    dw: usize,
    dh: usize,
) -> Vec<f32> {
    let sx = rect.w as f32 / dw as f32;
    let sy = rect.h as f32 / dh as f32;
    let cols: Vec<(usize, usize, f32)> = (0..dw)
        .map(|i| axis_tap(rect.x as f32 + (i as f32 + 0.5) * sx - 0.5, sw))
        .collect();
    let mut out = vec![0f32; dw * dh];
    for j in 0..dh {
        let (y0, y1, fy) = axis_tap(rect.y as f32 + (j as f32 + 0.5) * sy - 0.5, sh);
        let r0 = &src[y0 * sw..(y0 + 1) * sw];
        let r1 = &src[y1 * sw..(y1 + 1) * sw];
        for (o, &(x0, x1, fx)) in out[j * dw..(j + 1) * dw].iter_mut().zip(&cols) {
            let a = r0[x0] + (r0[x1] - r0[x0]) * fx;
            let b = r1[x0] + (r1[x1] - r1[x0]) * fx;
            *o = a + (b - a) * fy;
        }
    }
    out
}

/// The two neighbouring sample indices around coordinate `c` (clamped to `0..n`) and the weight
/// of the second.
#[inline]
pub(crate) fn axis_tap(c: f32, n: usize) -> (usize, usize, f32) {
    let c = c.clamp(0.0, (n - 1) as f32);
    let i0 = c.floor() as usize;
    let i1 = (i0 + 1).min(n - 1);
    (i0, i1, c - i0 as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letterboxed(w: usize, h: usize, top: usize, bottom: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..w * h)
            .map(|i| {
                let y = i / w;
                if y < top || y >= h - bottom {
                    16.0
                } else {
                    s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    60.0 + (s >> 24) as f32 / 2.0
                }
            })
            .collect()
    }

    #[test]
    fn finds_letterbox_bars() {
        let mut st = BarStats::new(64, 36);
        for f in 0..10 {
            st.add(&letterboxed(64, 36, 5, 4, f));
        }
        assert_eq!(
            st.active_area(),
            Rect {
                x: 0,
                y: 5,
                w: 64,
                h: 27
            }
        );
    }

    #[test]
    fn black_frames_are_ignored_and_full_black_means_no_bars() {
        let mut st = BarStats::new(32, 18);
        st.add(&vec![16.0; 32 * 18]);
        assert_eq!(st.frames(), 0);
        assert_eq!(st.active_area(), Rect::full(32, 18));
    }

    #[test]
    fn resample_identity_and_constant() {
        let src: Vec<f32> = (0..20).map(|v| v as f32).collect();
        let out = resample(&src, 5, 4, Rect::full(5, 4), 5, 4);
        assert_eq!(out, src);
        let c = vec![7.0f32; 100];
        assert!(
            resample(&c, 10, 10, Rect::full(10, 10), 23, 17)
                .iter()
                .all(|&v| (v - 7.0).abs() < 1e-5)
        );
    }
}
