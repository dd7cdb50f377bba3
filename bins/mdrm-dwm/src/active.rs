//! The active picture of an input (the area inside letterbox/pillarbox bars), estimated from
//! frames sampled across the whole input, so the embedder and the non-blind detector agree.

use dwm_core::{BarStats, Rect};

use crate::error::Result;
use crate::ffmpeg::Tools;
use crate::ffmpeg::decode::{DecodeSpec, Decoder};
use crate::ffmpeg::probe::VideoInfo;

/// Frames sampled across the input.
const SAMPLES: usize = 16;

/// Estimates the active picture of `video` in `input` from frames sampled across it.
pub fn estimate(tools: &Tools, input: &std::path::Path, video: &VideoInfo) -> Result<Rect> {
    let (w, h) = (video.width, video.height);
    let mut bars = BarStats::new(w, h);
    let mut add = |frame: &[u8]| {
        let pic: Vec<f32> = frame.iter().map(|&v| f32::from(v)).collect();
        bars.add(&pic);
    };
    let spec = |start: Option<f64>, n: u64| {
        let mut s = DecodeSpec::new(input.to_path_buf(), video.index, "gray", w * h);
        s.start = start;
        s.max_frames = Some(n);
        s
    };
    match video.duration {
        Some(d) if d >= 4.0 => {
            for i in 0..SAMPLES {
                let t = d * (0.05 + 0.9 * i as f64 / (SAMPLES - 1) as f64);
                let mut dec = Decoder::start(tools, &spec(Some(t), 1))?;
                if let Some(f) = dec.next_frame()? {
                    add(&f);
                }
                dec.stop();
            }
        }
        _ => {
            let mut dec = Decoder::start(tools, &spec(None, SAMPLES as u64))?;
            while let Some(f) = dec.next_frame()? {
                add(&f);
            }
        }
    }
    Ok(bars.active_area())
}
