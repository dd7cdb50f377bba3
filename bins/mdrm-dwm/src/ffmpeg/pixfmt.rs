//! Planar YUV pixel formats carried over the raw-frame pipes.

use crate::error::{ErrorCode, Result, fail};

/// A planar YUV format: name (as FFmpeg spells it), chroma subsampling, bit depth, range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixFmt {
    /// FFmpeg's name.
    pub name: &'static str,
    /// log2 horizontal chroma subsampling.
    pub shift_x: u8,
    /// log2 vertical chroma subsampling.
    pub shift_y: u8,
    /// Bits per sample (8: one byte per sample, else two bytes little-endian).
    pub depth: u8,
    /// Full-range (`yuvj*`) formats.
    pub full_range: bool,
}

const fn fmt(name: &'static str, sx: u8, sy: u8, depth: u8, full: bool) -> PixFmt {
    PixFmt {
        name,
        shift_x: sx,
        shift_y: sy,
        depth,
        full_range: full,
    }
}

/// The formats frames travel in unchanged.
pub const SUPPORTED: [PixFmt; 12] = [
    fmt("yuv420p", 1, 1, 8, false),
    fmt("yuvj420p", 1, 1, 8, true),
    fmt("yuv422p", 1, 0, 8, false),
    fmt("yuvj422p", 1, 0, 8, true),
    fmt("yuv444p", 0, 0, 8, false),
    fmt("yuvj444p", 0, 0, 8, true),
    fmt("yuv420p10le", 1, 1, 10, false),
    fmt("yuv422p10le", 1, 0, 10, false),
    fmt("yuv444p10le", 0, 0, 10, false),
    fmt("yuv420p12le", 1, 1, 12, false),
    fmt("yuv422p12le", 1, 0, 12, false),
    fmt("yuv444p12le", 0, 0, 12, false),
];

/// Formats converted on decode to a supported one (same subsampling and depth, no alpha).
const CONVERTED: [(&str, &str); 9] = [
    ("nv12", "yuv420p"),
    ("nv21", "yuv420p"),
    ("p010le", "yuv420p10le"),
    ("yuva420p", "yuv420p"),
    ("yuva422p10le", "yuv422p10le"),
    ("yuva444p10le", "yuv444p10le"),
    ("yuva444p12le", "yuv444p12le"),
    ("yuv420p10be", "yuv420p10le"),
    ("yuv422p10be", "yuv422p10le"),
];

impl PixFmt {
    /// The pipe format for an input in `name`, and whether it is a conversion (220 when
    /// neither supported nor convertible).
    pub fn for_input(name: &str) -> Result<(PixFmt, bool)> {
        if let Some(f) = SUPPORTED.iter().find(|f| f.name == name) {
            return Ok((*f, false));
        }
        if let Some((_, to)) = CONVERTED.iter().find(|(from, _)| *from == name) {
            let f = SUPPORTED
                .iter()
                .find(|f| f.name == *to)
                .expect("conversion targets are supported");
            return Ok((*f, true));
        }
        fail(
            ErrorCode::UnsupportedCodec,
            format!(
                "pixel format {name:?} is not supported (planar YUV 4:2:0/4:2:2/4:4:4 at 8, 10 or 12 bits)"
            ),
        )
    }

    /// Bytes per sample.
    pub fn sample_bytes(&self) -> usize {
        if self.depth > 8 { 2 } else { 1 }
    }

    /// Samples in the luma plane and in each chroma plane of a `w` x `h` frame.
    pub fn plane_samples(&self, w: usize, h: usize) -> (usize, usize) {
        let cw = w.div_ceil(1 << self.shift_x);
        let ch = h.div_ceil(1 << self.shift_y);
        (w * h, cw * ch)
    }

    /// Chroma plane size of a `w` x `h` frame.
    pub fn chroma_size(&self, w: usize, h: usize) -> (usize, usize) {
        (w.div_ceil(1 << self.shift_x), h.div_ceil(1 << self.shift_y))
    }

    /// Bytes of one frame.
    pub fn frame_bytes(&self, w: usize, h: usize) -> usize {
        let (l, c) = self.plane_samples(w, h);
        (l + 2 * c) * self.sample_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let (f, conv) = PixFmt::for_input("yuv420p").unwrap();
        assert!(!conv);
        assert_eq!(f.frame_bytes(1920, 1080), 1920 * 1080 * 3 / 2);
        assert_eq!(f.frame_bytes(5, 3), 15 + 2 * 3 * 2);
        let (f, _) = PixFmt::for_input("yuv422p10le").unwrap();
        assert_eq!(f.frame_bytes(4, 2), (8 + 2 * 4) * 2);
        let (f, conv) = PixFmt::for_input("nv12").unwrap();
        assert!(conv);
        assert_eq!(f.name, "yuv420p");
        assert_eq!(
            PixFmt::for_input("rgb24").unwrap_err().code,
            ErrorCode::UnsupportedCodec
        );
    }
}
