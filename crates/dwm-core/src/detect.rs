//! Blind detection: accumulate the residual of every frame of a suspect clip, then search
//! scale and shift, decode the payload and decide.
//!
//! Decision rule (a wrong accusation is the worst outcome):
//! - an ID is reported only when the decoded payload passes the keyed 32-bit check. The check
//!   is HMAC-SHA256 under a key derived from the site key, independent of the pattern keys, so
//!   whatever was decoded (noise, another key's mark, another ID, a mix of two IDs) passes by
//!   chance with probability 2^-32 per decoding attempt; one attempt is made per look, so
//!   the false-identification probability is at most `looks x 2^-32` (2.3e-10 per look);
//! - otherwise "mark present but unreadable" when the synchronisation peak's false-alarm
//!   bound, taken over every scale and shift tried and every look, is at most
//!   [`MARK_P_GATE`], else "no watermark".

use crate::correlate::{Candidate, Correlator};
use crate::error::{DwmError, Result};
use crate::fft2::Fft2;
use crate::geometry::{BarStats, Rect, box_downscale, resample};
use crate::key::WatermarkKey;
use crate::layout::Layout;
use crate::params::{TILE, WORK_H, WORK_W};
use crate::payload::{self, CHECK_FALSE_PASS, DwmId};
use crate::plane::{Plane, Sample};
use crate::residual;

/// Largest union-bounded false-alarm probability of the sync peak for "mark present".
pub const MARK_P_GATE: f64 = 1e-3;

/// Coarse scale search range and step (residual scale relative to the embedded mark).
const SCALE_MIN: f32 = 0.90;
const SCALE_MAX: f32 = 1.12;
const SCALE_STEP: f32 = 0.005;
/// Fine search: +-FINE_SPAN around the best coarse scale, in FINE_STEP steps, per axis.
const FINE_SPAN: i32 = 3;
const FINE_STEP: f32 = 0.002;

/// What detection concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A mark made with this key carrying this ID.
    Identified(DwmId),
    /// A mark made with this key is present but its payload could not be read reliably.
    MarkUnreadable,
    /// No mark made with this key was found.
    NoWatermark,
}

/// The full result of a detection, with the statistics behind the verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// The verdict.
    pub verdict: Verdict,
    /// Normalised synchronisation peak (about N(0,1) per hypothesis without a mark).
    pub sync_z: f64,
    /// Union-bounded probability that content without this key's mark peaks this high.
    pub mark_p_value: f64,
    /// Upper bound on the probability that the reported ID is wrong (1 when none reported).
    pub false_id_bound: f64,
    /// 1 - `false_id_bound` when an ID is reported, else 0.
    pub confidence: f64,
    /// Fraction of coded bits whose hard decision disagreed with the decoded codeword
    /// (the raw bit error rate before error correction, meaningful when identified).
    pub raw_ber: f32,
    /// Soft coded bits (for evaluation against a known ID).
    pub soft_bits: Vec<f32>,
    /// Scale of the suspect relative to the original (horizontal, vertical).
    pub scale: (f32, f32),
    /// Cyclic shift of the tile found (working pixels).
    pub shift: (f32, f32),
    /// Number of frames analysed.
    pub frames: usize,
    /// Active picture found in the suspect (frame pixels).
    pub active: Rect,
}

impl Detection {
    /// Raw bit error rate of the soft bits against the codeword of a known `id` (evaluation).
    pub fn raw_ber_against(&self, key: &WatermarkKey, id: DwmId) -> f32 {
        payload::raw_error_rate(&self.soft_bits, &payload::codeword(key, id))
    }

    /// A detection that found nothing.
    fn nothing(frames: usize, active: Rect) -> Self {
        Detection {
            verdict: Verdict::NoWatermark,
            sync_z: 0.0,
            mark_p_value: 1.0,
            false_id_bound: 1.0,
            confidence: 0.0,
            raw_ber: 0.5,
            soft_bits: Vec::new(),
            scale: (1.0, 1.0),
            shift: (0.0, 0.0),
            frames,
            active,
        }
    }
}

/// Searches scale and shift on a working-grid residual and decodes.
pub(crate) struct Searcher {
    key: WatermarkKey,
    layout: Layout,
    fft: Fft2,
}

impl Searcher {
    pub(crate) fn new(key: &WatermarkKey) -> Self {
        Searcher {
            key: key.clone(),
            layout: Layout::new(key),
            fft: Fft2::new(TILE),
        }
    }

    /// Full search over scales on `res` (WORK_W x WORK_H). `looks` is the number of earlier
    /// searches on the same material (they count as hypotheses too).
    pub(crate) fn search(
        &self,
        res: &[f32],
        scales: &[(f32, f32)],
        fine: bool,
        looks: u32,
        frames: usize,
        active: Rect,
    ) -> Detection {
        let corr = Correlator::new(&self.layout, &self.fft);
        let mut evaluated = 0usize;
        let mut best: Option<Candidate> = None;
        let consider = |c: Candidate, best: &mut Option<Candidate>| {
            if best.as_ref().is_none_or(|b| c.z > b.z) {
                *best = Some(c);
            }
        };
        for &(mx, my) in scales {
            evaluated += 1;
            consider(corr.evaluate(res, WORK_W, WORK_H, mx, my), &mut best);
        }
        if fine && let Some(b) = best.clone() {
            for iy in -FINE_SPAN..=FINE_SPAN {
                for ix in -FINE_SPAN..=FINE_SPAN {
                    if ix == 0 && iy == 0 {
                        continue;
                    }
                    let mx = b.mx + ix as f32 * FINE_STEP;
                    let my = b.my + iy as f32 * FINE_STEP;
                    evaluated += 1;
                    consider(corr.evaluate(res, WORK_W, WORK_H, mx, my), &mut best);
                }
            }
        }
        let Some(best) = best else {
            return Detection::nothing(frames, active);
        };
        let hypotheses = evaluated as f64 * (TILE * TILE) as f64 * f64::from(looks.max(1));
        let mark_p = crate::stats::union_bound(best.ln_tail, hypotheses);
        let soft = corr.soft_bits(&best);
        let read = payload::decode(&self.key, &soft);
        let attempts = f64::from(looks.max(1));
        let (verdict, false_id) = match read.id {
            // The keyed check alone bounds a wrong ID at attempts x 2^-32, whatever the
            // synchronisation peak says; a weak peak only means a weak copy.
            Some(id) => (Verdict::Identified(id), attempts * CHECK_FALSE_PASS),
            None if mark_p <= MARK_P_GATE => (Verdict::MarkUnreadable, 1.0),
            None => (Verdict::NoWatermark, 1.0),
        };
        let confidence = if matches!(verdict, Verdict::Identified(_)) {
            1.0 - false_id
        } else {
            0.0
        };
        Detection {
            verdict,
            sync_z: best.z,
            mark_p_value: mark_p,
            false_id_bound: false_id,
            confidence,
            raw_ber: read.raw_ber,
            soft_bits: soft,
            scale: (best.mx, best.my),
            shift: best.shift,
            frames,
            active,
        }
    }
}

/// The coarse list of uniform scales searched by blind detection.
pub(crate) fn coarse_scales() -> Vec<(f32, f32)> {
    let n = ((SCALE_MAX - SCALE_MIN) / SCALE_STEP).round() as usize;
    (0..=n)
        .map(|i| {
            let m = SCALE_MIN + i as f32 * SCALE_STEP;
            (m, m)
        })
        .collect()
}

/// Blind detector: feed it the decoded frames of a suspect clip, then ask for a verdict.
pub struct BlindDetector {
    searcher: Searcher,
    width: usize,
    height: usize,
    factor: usize,
    iw: usize,
    ih: usize,
    acc: Vec<f32>,
    bars: BarStats,
    frames: usize,
    looks: u32,
}

impl std::fmt::Debug for BlindDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlindDetector")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("frames", &self.frames)
            .finish_non_exhaustive()
    }
}

impl BlindDetector {
    /// A detector for frames of `width` x `height` luma samples.
    pub fn new(key: &WatermarkKey, width: usize, height: usize) -> Result<Self> {
        if width < 64 || height < 64 {
            return Err(DwmError::Geometry(format!(
                "{width}x{height} is too small to detect a mark in"
            )));
        }
        let factor = (height / WORK_H).max(1);
        let (iw, ih) = (width / factor, height / factor);
        Ok(BlindDetector {
            searcher: Searcher::new(key),
            width,
            height,
            factor,
            iw,
            ih,
            acc: vec![0.0; iw * ih],
            bars: BarStats::new(iw, ih),
            frames: 0,
            looks: 0,
        })
    }

    /// Frames added so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Adds one decoded frame's luma plane.
    pub fn push<T: Sample>(&mut self, luma: &Plane<'_, T>) -> Result<()> {
        if luma.width != self.width || luma.height != self.height {
            return Err(DwmError::PlaneMismatch(format!(
                "frame {}x{} in a {}x{} clip",
                luma.width, luma.height, self.width, self.height
            )));
        }
        let (pic, w, h) = box_downscale(luma, self.factor);
        debug_assert_eq!((w, h), (self.iw, self.ih));
        // Bars are static: every fourth frame is plenty for their statistics.
        if self.frames.is_multiple_of(4) {
            self.bars.add(&pic);
        }
        residual::accumulate(&pic, w, h, &mut self.acc);
        self.frames += 1;
        Ok(())
    }

    /// Searches the accumulated residual and decides. Each call counts as one more look
    /// (the false-alarm bounds account for all looks), so calling it after every few
    /// seconds of video to stop early stays safe.
    pub fn detect(&mut self) -> Detection {
        self.looks += 1;
        let active_i = self.bars.active_area();
        let active = Rect {
            x: active_i.x * self.factor,
            y: active_i.y * self.factor,
            w: active_i.w * self.factor,
            h: active_i.h * self.factor,
        };
        if self.frames == 0 || active_i.w < 16 || active_i.h < 16 {
            return Detection::nothing(self.frames, active);
        }
        let work = resample(&self.acc, self.iw, self.ih, active_i, WORK_W, WORK_H);
        self.searcher.search(
            &work,
            &coarse_scales(),
            true,
            self.looks,
            self.frames,
            active,
        )
    }
}
