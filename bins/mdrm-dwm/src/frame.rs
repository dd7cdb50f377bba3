//! Raw planar YUV frames as they travel over the pipes, and the per-recipient processing of
//! one frame: luma mark plus visible overlays.

use dwm_core::overlay::{PreparedOverlay, Schedule};
use dwm_core::{Embedder, FrameGeometry, MarkPattern, Plane, PlaneMut, Sample, StrengthMap};

use crate::error::{Result, from_core};
use crate::ffmpeg::pixfmt::PixFmt;

/// A sample type that can be read from and written to the raw little-endian pipe bytes.
pub trait RawSample: Sample {
    /// Samples from raw bytes.
    fn from_bytes(bytes: &[u8]) -> Vec<Self>;
    /// Raw bytes of samples.
    fn to_bytes(samples: Vec<Self>) -> Vec<u8>;
}

impl RawSample for u8 {
    fn from_bytes(bytes: &[u8]) -> Vec<Self> {
        bytes.to_vec()
    }
    fn to_bytes(samples: Vec<Self>) -> Vec<u8> {
        samples
    }
}

impl RawSample for u16 {
    fn from_bytes(bytes: &[u8]) -> Vec<Self> {
        bytes
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
    fn to_bytes(samples: Vec<Self>) -> Vec<u8> {
        samples.iter().flat_map(|v| v.to_le_bytes()).collect()
    }
}

/// A visible overlay and when/where it shows.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// The converted image.
    pub image: PreparedOverlay,
    /// Its schedule.
    pub schedule: Schedule,
}

/// Everything needed to mark the frames of one stream.
pub struct FrameMarker<'a> {
    /// The embedder.
    pub embedder: &'a Embedder,
    /// Frame geometry (size and active picture).
    pub geometry: FrameGeometry,
    /// Pipe pixel format.
    pub fmt: PixFmt,
    /// Overlays drawn on every recipient's copy.
    pub overlays: &'a [Overlay],
}

/// The per-frame state shared by all recipients (samples and strength map).
pub struct PreparedFrame<T> {
    samples: Vec<T>,
    strength: StrengthMap,
    time: f64,
}

impl FrameMarker<'_> {
    /// Reads one raw frame and computes its strength map (once per frame).
    pub fn prepare<T: RawSample>(&self, raw: &[u8], time: f64) -> Result<PreparedFrame<T>> {
        let samples = T::from_bytes(raw);
        let (w, h) = (self.geometry.width, self.geometry.height);
        let luma = Plane::new(&samples[..w * h], w, h, self.fmt.depth)
            .map_err(|e| from_core(e, "decoded frame"))?;
        let strength = self
            .embedder
            .strength(&luma, self.geometry)
            .map_err(|e| from_core(e, "strength map"))?;
        Ok(PreparedFrame {
            samples,
            strength,
            time,
        })
    }

    /// One recipient's marked copy of a prepared frame, as raw bytes.
    pub fn mark<T: RawSample>(
        &self,
        frame: &PreparedFrame<T>,
        mark: &MarkPattern,
    ) -> Result<Vec<u8>> {
        let (w, h) = (self.geometry.width, self.geometry.height);
        let depth = self.fmt.depth;
        let mut out = frame.samples.clone();
        let (cw, ch) = self.fmt.chroma_size(w, h);
        {
            let src = Plane::new(&frame.samples[..w * h], w, h, depth)
                .map_err(|e| from_core(e, "frame"))?;
            let (y, rest) = out.split_at_mut(w * h);
            let mut yp = PlaneMut::new(y, w, h, depth).map_err(|e| from_core(e, "frame"))?;
            self.embedder
                .apply(&src, &frame.strength, mark, &mut yp)
                .map_err(|e| from_core(e, "embedding"))?;
            if !self.overlays.is_empty() {
                let (u, v) = rest.split_at_mut(cw * ch);
                let mut up = PlaneMut::new(u, cw, ch, depth).map_err(|e| from_core(e, "frame"))?;
                let mut vp = PlaneMut::new(&mut v[..cw * ch], cw, ch, depth)
                    .map_err(|e| from_core(e, "frame"))?;
                for o in self.overlays {
                    let (iw, ih) = (o.image.width(), o.image.height());
                    if let Some((x, yy)) = o.schedule.placement(frame.time, iw, ih, w, h) {
                        o.image
                            .composite(x, yy, &mut yp, &mut up, &mut vp)
                            .map_err(|e| from_core(e, "visible watermark"))?;
                    }
                }
            }
        }
        Ok(T::to_bytes(out))
    }
}
