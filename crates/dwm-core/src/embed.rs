//! Embedding: the keyed tile for one ID, mapped onto the frame's active picture through the
//! working grid, added to the luma with the perceptual strength map.
//!
//! Per frame, [`Embedder::strength`] runs once (it depends on the picture only) and
//! [`Embedder::apply`] once per recipient (one multiply-add per pixel).

use rayon::prelude::*;

use crate::error::{DwmError, Result};
use crate::fft2::Fft2;
use crate::geometry::Rect;
use crate::key::WatermarkKey;
use crate::layout::Layout;
use crate::mask::{self, StrengthMap};
use crate::params::{TILE, WORK_H, WORK_W};
use crate::payload::{self, DwmId};
use crate::plane::{Plane, PlaneMut, Sample};

/// Smallest active picture the mark is embedded into (each side, in pixels).
pub const MIN_ACTIVE: usize = 64;

/// Pattern values are clipped to this many RMS units (keeps peaks low).
const PATTERN_CLIP: f32 = 3.0;

/// The size of the frames and their active picture (the area without black bars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameGeometry {
    /// Frame width (luma samples).
    pub width: usize,
    /// Frame height (luma rows).
    pub height: usize,
    /// The active picture inside the frame.
    pub active: Rect,
}

impl FrameGeometry {
    /// A geometry whose active picture is the whole frame.
    pub fn full(width: usize, height: usize) -> Self {
        FrameGeometry {
            width,
            height,
            active: Rect::full(width, height),
        }
    }

    /// Checks the active picture lies inside the frame and is large enough.
    pub fn check(&self) -> Result<()> {
        self.active.check_inside(self.width, self.height)?;
        if self.active.w < MIN_ACTIVE || self.active.h < MIN_ACTIVE {
            return Err(DwmError::Geometry(format!(
                "active picture {}x{} is smaller than {MIN_ACTIVE}x{MIN_ACTIVE}",
                self.active.w, self.active.h
            )));
        }
        Ok(())
    }
}

/// One byte of a stored pattern is this many RMS units: +-127 covers the +-3 RMS clip.
const MARK_STEP: f32 = PATTERN_CLIP / 127.0;

/// One recipient's mark at frame resolution over the active picture: unit-RMS values stored
/// as `i8` steps of `MARK_STEP` (0.024 RMS, far below what survives rounding to the sample
/// grid), so marking a 1080p frame reads 2 MB of pattern instead of 8.
#[derive(Debug, Clone)]
pub struct MarkPattern {
    id: DwmId,
    geometry: FrameGeometry,
    values: Vec<i8>,
}

impl MarkPattern {
    /// The ID this pattern carries.
    pub fn id(&self) -> DwmId {
        self.id
    }

    /// The geometry it was made for.
    pub fn geometry(&self) -> FrameGeometry {
        self.geometry
    }
}

/// Embeds marks made with one key.
pub struct Embedder {
    key: WatermarkKey,
    layout: Layout,
    fft: Fft2,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder").finish_non_exhaustive()
    }
}

impl Embedder {
    /// An embedder for `key`.
    pub fn new(key: &WatermarkKey) -> Self {
        Embedder {
            key: key.clone(),
            layout: Layout::new(key),
            fft: Fft2::new(TILE),
        }
    }

    /// The tile (TILE x TILE working pixels, unit RMS) carrying `id`.
    pub fn tile(&self, id: DwmId) -> Vec<f32> {
        let cw = payload::codeword(&self.key, id);
        let mut t = self.layout.tile(&self.fft, Some(&cw));
        for v in &mut t {
            *v = v.clamp(-PATTERN_CLIP, PATTERN_CLIP);
        }
        t
    }

    /// The mark of `id` for frames of `geometry` (made once per recipient and geometry).
    pub fn mark(&self, id: DwmId, geometry: FrameGeometry) -> Result<MarkPattern> {
        geometry.check()?;
        let tile = self.tile(id);
        let a = geometry.active;
        let taps = |n: usize, work: usize| -> Vec<(usize, usize, f32)> {
            (0..n)
                .map(|i| {
                    let u = (i as f32 + 0.5) * work as f32 / n as f32 - 0.5;
                    let u = u.rem_euclid(TILE as f32);
                    let i0 = (u.floor() as usize) % TILE;
                    (i0, (i0 + 1) % TILE, u - u.floor())
                })
                .collect()
        };
        let cols = taps(a.w, WORK_W);
        let rows = taps(a.h, WORK_H);
        let mut values = vec![0i8; a.w * a.h];
        for (y, &(v0, v1, fy)) in rows.iter().enumerate() {
            let t0 = &tile[v0 * TILE..(v0 + 1) * TILE];
            let t1 = &tile[v1 * TILE..(v1 + 1) * TILE];
            for (o, &(u0, u1, fx)) in values[y * a.w..(y + 1) * a.w].iter_mut().zip(&cols) {
                let p = t0[u0] + (t0[u1] - t0[u0]) * fx;
                let q = t1[u0] + (t1[u1] - t1[u0]) * fx;
                *o = ((p + (q - p) * fy) / MARK_STEP)
                    .round()
                    .clamp(-127.0, 127.0) as i8;
            }
        }
        Ok(MarkPattern {
            id,
            geometry,
            values,
        })
    }

    /// The strength map of one frame (once per frame, shared by all recipients).
    pub fn strength<T: Sample>(
        &self,
        luma: &Plane<'_, T>,
        geometry: FrameGeometry,
    ) -> Result<StrengthMap> {
        geometry.check()?;
        if luma.width != geometry.width || luma.height != geometry.height {
            return Err(DwmError::PlaneMismatch(format!(
                "luma {}x{} vs geometry {}x{}",
                luma.width, luma.height, geometry.width, geometry.height
            )));
        }
        Ok(mask::strength_map(luma, geometry.active))
    }

    /// Writes `src` + strength x mark into `dst` (same size and depth; rows outside the
    /// active picture are copied). Rows are processed in parallel on the rayon pool.
    pub fn apply<T: Sample>(
        &self,
        src: &Plane<'_, T>,
        strength: &StrengthMap,
        mark: &MarkPattern,
        dst: &mut PlaneMut<'_, T>,
    ) -> Result<()> {
        let g = mark.geometry;
        if src.width != g.width
            || src.height != g.height
            || dst.width != g.width
            || dst.height != g.height
            || dst.bit_depth != src.bit_depth
            || strength.rect != g.active
        {
            return Err(DwmError::PlaneMismatch(format!(
                "src {}x{} dst {}x{} mark {}x{} (depth {} vs {})",
                src.width,
                src.height,
                dst.width,
                dst.height,
                g.width,
                g.height,
                src.bit_depth,
                dst.bit_depth
            )));
        }
        let a = g.active;
        let max = src.max_value();
        let (w, stride) = (dst.width, dst.stride);
        dst.data
            .par_chunks_mut(stride)
            .take(dst.height)
            .enumerate()
            .for_each(|(y, out)| {
                let inp = src.row(y);
                let out = &mut out[..w];
                if y < a.y || y >= a.y + a.h {
                    out.copy_from_slice(inp);
                    return;
                }
                let r = y - a.y;
                out[..a.x].copy_from_slice(&inp[..a.x]);
                out[a.x + a.w..].copy_from_slice(&inp[a.x + a.w..]);
                let s = strength.row(r);
                let m = &mark.values[r * a.w..(r + 1) * a.w];
                let o = &mut out[a.x..a.x + a.w];
                let i = &inp[a.x..a.x + a.w];
                mark_row(o, i, s, m, max);
            });
        Ok(())
    }
}

/// `out = in + strength x mark`, rounded and clamped, over one row. In fixed-size chunks with
/// the float results in a local array, so the compiler vectorises both halves.
#[inline]
fn mark_row<T: Sample>(out: &mut [T], inp: &[T], strength: &[f32], mark: &[i8], max: f32) {
    const LANES: usize = 16;
    let mut o = out.chunks_exact_mut(LANES);
    let mut i = inp.chunks_exact(LANES);
    let mut s = strength.chunks_exact(LANES);
    let mut m = mark.chunks_exact(LANES);
    for (((o, i), s), m) in (&mut o).zip(&mut i).zip(&mut s).zip(&mut m) {
        let mut v = [0f32; LANES];
        for j in 0..LANES {
            v[j] = i[j].to_f32() + s[j] * f32::from(m[j]) * MARK_STEP;
        }
        for j in 0..LANES {
            o[j] = T::from_f32(v[j], max);
        }
    }
    let rest = o.into_remainder().iter_mut().zip(i.remainder());
    for ((o, &i), (&s, &m)) in rest.zip(s.remainder().iter().zip(m.remainder())) {
        *o = T::from_f32(i.to_f32() + s * f32::from(m) * MARK_STEP, max);
    }
}
