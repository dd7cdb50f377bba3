//! The visible watermark: an RGBA image alpha-blended into the Y, U and V planes, placed at
//! positions that cycle every `interval`, optionally hidden `disappear` after each change.
//!
//! Rules (`cli.md`): the image's pixel area is at most 5% of the frame's (1920x1080: 300x300
//! passes, 400x300 does not); a position that would cut the image is moved inside the frame;
//! with `interval` shorter than `disappear`, or `disappear` 0, `disappear` is ignored.

use crate::error::{DwmError, Result};
use crate::plane::{PlaneMut, Sample};

/// Largest share of the frame's pixel area the image may cover, in percent.
pub const MAX_AREA_PERCENT: u32 = 5;
/// Smallest image side in pixels.
pub const MIN_SIDE: u32 = 4;

/// An RGBA image, 8 bits per channel, straight (not premultiplied) alpha, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaImage {
    width: u32,
    height: u32,
    data: Vec<u8>,
}

impl RgbaImage {
    /// An image from `width * height * 4` bytes.
    pub fn new(width: u32, height: u32, data: Vec<u8>) -> Result<Self> {
        let need = width as usize * height as usize * 4;
        if data.len() != need {
            return Err(DwmError::RgbaSize {
                need,
                got: data.len(),
            });
        }
        Ok(RgbaImage {
            width,
            height,
            data,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The RGBA bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

/// Checks the size rule for an image of `w` x `h` on a `frame_w` x `frame_h` frame.
pub fn check_size(w: u32, h: u32, frame_w: u32, frame_h: u32) -> Result<()> {
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(DwmError::OverlayTooSmall {
            img_w: w,
            img_h: h,
            min: MIN_SIDE,
        });
    }
    let area = u64::from(w) * u64::from(h);
    let frame = u64::from(frame_w) * u64::from(frame_h);
    if area * 100 > frame * u64::from(MAX_AREA_PERCENT) || w > frame_w || h > frame_h {
        return Err(DwmError::OverlayTooLarge {
            img_w: w,
            img_h: h,
            frame_w,
            frame_h,
            max_percent: MAX_AREA_PERCENT,
        });
    }
    Ok(())
}

/// The colour matrix of the video (from its `colorspace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    /// ITU-R BT.601 (SD).
    Bt601,
    /// ITU-R BT.709 (HD).
    Bt709,
    /// ITU-R BT.2020 non-constant luminance (UHD).
    Bt2020,
}

impl Matrix {
    fn kr_kb(self) -> (f32, f32) {
        match self {
            Matrix::Bt601 => (0.299, 0.114),
            Matrix::Bt709 => (0.2126, 0.0722),
            Matrix::Bt2020 => (0.2627, 0.0593),
        }
    }
}

/// The layout and colour coding of a planar YUV frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YuvLayout {
    /// log2 of the horizontal chroma subsampling (1 for 4:2:0 and 4:2:2, 0 for 4:4:4).
    pub chroma_shift_x: u8,
    /// log2 of the vertical chroma subsampling (1 for 4:2:0).
    pub chroma_shift_y: u8,
    /// Bits per sample.
    pub bit_depth: u8,
    /// Colour matrix.
    pub matrix: Matrix,
    /// True for full-range ("JPEG") samples, false for limited (studio) range.
    pub full_range: bool,
}

impl YuvLayout {
    /// Converts 8-bit R'G'B' to Y, Cb, Cr in this layout's sample units.
    pub fn rgb_to_yuv(&self, r: u8, g: u8, b: u8) -> (f32, f32, f32) {
        let (kr, kb) = self.matrix.kr_kb();
        let kg = 1.0 - kr - kb;
        let (r, g, b) = (
            f32::from(r) / 255.0,
            f32::from(g) / 255.0,
            f32::from(b) / 255.0,
        );
        let y = kr * r + kg * g + kb * b;
        let cb = (b - y) / (2.0 * (1.0 - kb));
        let cr = (r - y) / (2.0 * (1.0 - kr));
        let scale = (1u32 << (self.bit_depth - 8)) as f32;
        let (y, cb, cr) = if self.full_range {
            (y * 255.0, 128.0 + cb * 255.0, 128.0 + cr * 255.0)
        } else {
            (16.0 + y * 219.0, 128.0 + cb * 224.0, 128.0 + cr * 224.0)
        };
        (y * scale, cb * scale, cr * scale)
    }
}

/// An overlay converted to a frame's YUV layout: per luma pixel Y and alpha, per chroma
/// sample (for an image placed at even coordinates) Cb, Cr premultiplied and alpha.
#[derive(Debug, Clone)]
pub struct PreparedOverlay {
    w: usize,
    h: usize,
    luma: Vec<(f32, f32)>,
    cw: usize,
    ch: usize,
    chroma: Vec<(f32, f32, f32)>,
    layout: YuvLayout,
}

impl PreparedOverlay {
    /// Converts `img` with a global `alpha` (0.01..=1.0) for frames of `layout`.
    pub fn new(img: &RgbaImage, alpha: f32, layout: YuvLayout) -> Result<Self> {
        if !(0.01..=1.0).contains(&alpha) {
            return Err(DwmError::OverlaySettings(format!(
                "alpha {alpha} is outside 0.01..1.0"
            )));
        }
        let (w, h) = (img.width as usize, img.height as usize);
        let mut luma = Vec::with_capacity(w * h);
        let mut yuv = Vec::with_capacity(w * h);
        for px in img.data.chunks_exact(4) {
            let a = f32::from(px[3]) / 255.0 * alpha;
            let (y, u, v) = layout.rgb_to_yuv(px[0], px[1], px[2]);
            luma.push((y, a));
            yuv.push((u, v, a));
        }
        let (sx, sy) = (layout.chroma_shift_x, layout.chroma_shift_y);
        let cw = w.div_ceil(1 << sx);
        let ch = h.div_ceil(1 << sy);
        let per = ((1usize << sx) * (1usize << sy)) as f32;
        let mut chroma = vec![(0f32, 0f32, 0f32); cw * ch];
        for y in 0..h {
            for x in 0..w {
                let (u, v, a) = yuv[y * w + x];
                let c = &mut chroma[(y >> sy) * cw + (x >> sx)];
                c.0 += a * u / per;
                c.1 += a * v / per;
                c.2 += a / per;
            }
        }
        Ok(PreparedOverlay {
            w,
            h,
            luma,
            cw,
            ch,
            chroma,
            layout,
        })
    }

    /// Width in luma pixels.
    pub fn width(&self) -> usize {
        self.w
    }

    /// Height in luma pixels.
    pub fn height(&self) -> usize {
        self.h
    }

    /// Blends the overlay into the planes with its top-left corner at (`x`, `y`) (luma
    /// pixels; rounded down to the chroma grid, and moved inside the frame if needed).
    pub fn composite<T: Sample>(
        &self,
        x: usize,
        y: usize,
        yp: &mut PlaneMut<'_, T>,
        up: &mut PlaneMut<'_, T>,
        vp: &mut PlaneMut<'_, T>,
    ) -> Result<()> {
        let l = self.layout;
        if yp.bit_depth != l.bit_depth
            || up.width != yp.width.div_ceil(1 << l.chroma_shift_x)
            || up.height != yp.height.div_ceil(1 << l.chroma_shift_y)
            || vp.width != up.width
            || vp.height != up.height
        {
            return Err(DwmError::PlaneMismatch(format!(
                "overlay layout {:?} does not match planes {}x{} / {}x{}",
                l, yp.width, yp.height, up.width, up.height
            )));
        }
        if self.w > yp.width || self.h > yp.height {
            return Err(DwmError::OverlayTooLarge {
                img_w: self.w as u32,
                img_h: self.h as u32,
                frame_w: yp.width as u32,
                frame_h: yp.height as u32,
                max_percent: MAX_AREA_PERCENT,
            });
        }
        let mx = (1usize << l.chroma_shift_x) - 1;
        let my = (1usize << l.chroma_shift_y) - 1;
        let x = x.min(yp.width - self.w) & !mx;
        let y = y.min(yp.height - self.h) & !my;
        let max = yp.max_value();
        for j in 0..self.h {
            let row = &mut yp.data[(y + j) * yp.stride + x..(y + j) * yp.stride + x + self.w];
            for (p, &(val, a)) in row.iter_mut().zip(&self.luma[j * self.w..(j + 1) * self.w]) {
                if a > 0.0 {
                    *p = T::from_f32(p.to_f32() * (1.0 - a) + val * a, max);
                }
            }
        }
        let (cx, cy) = (x >> l.chroma_shift_x, y >> l.chroma_shift_y);
        let cw = self.cw.min(up.width - cx);
        let ch = self.ch.min(up.height - cy);
        for j in 0..ch {
            let src = &self.chroma[j * self.cw..j * self.cw + cw];
            let o = (cy + j) * up.stride + cx;
            for (i, &(pu, pv, a)) in src.iter().enumerate() {
                if a > 0.0 {
                    let u = &mut up.data[o + i];
                    *u = T::from_f32(u.to_f32() * (1.0 - a) + pu, max);
                    let v = &mut vp.data[(cy + j) * vp.stride + cx + i];
                    *v = T::from_f32(v.to_f32() * (1.0 - a) + pv, max);
                }
            }
        }
        Ok(())
    }
}

/// Where the overlay is at each moment: positions cycling every `interval` seconds, hidden
/// from `disappear` seconds after each change until the next one.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    positions: Vec<(i64, i64)>,
    interval: f64,
    disappear: f64,
}

impl Schedule {
    /// A schedule. `interval` 0 shows the first position all the time; `disappear` 0, or not
    /// shorter than `interval`, is ignored.
    pub fn new(positions: Vec<(i64, i64)>, interval: f64, disappear: f64) -> Result<Self> {
        if positions.is_empty() {
            return Err(DwmError::OverlaySettings(
                "the position list is empty".into(),
            ));
        }
        if !(interval.is_finite() && interval >= 0.0 && disappear.is_finite() && disappear >= 0.0) {
            return Err(DwmError::OverlaySettings(
                "interval and disappear must be non-negative times".into(),
            ));
        }
        let disappear = if interval > 0.0 && disappear > 0.0 && disappear < interval {
            disappear
        } else {
            0.0
        };
        Ok(Schedule {
            positions,
            interval,
            disappear,
        })
    }

    /// The top-left corner at time `t` (seconds from the start), moved inside a
    /// `frame_w` x `frame_h` frame for a `w` x `h` image; `None` while hidden.
    pub fn placement(
        &self,
        t: f64,
        w: usize,
        h: usize,
        frame_w: usize,
        frame_h: usize,
    ) -> Option<(usize, usize)> {
        let t = t.max(0.0);
        let (index, into) = if self.interval > 0.0 {
            let k = (t / self.interval).floor();
            (k as u64 as usize, t - k * self.interval)
        } else {
            (0, t)
        };
        if self.disappear > 0.0 && into >= self.disappear {
            return None;
        }
        let (x, y) = self.positions[index % self.positions.len()];
        let clamp = |v: i64, room: usize| v.clamp(0, room as i64) as usize;
        Some((
            clamp(x, frame_w.saturating_sub(w)),
            clamp(y, frame_h.saturating_sub(h)),
        ))
    }
}

/// 5x7 glyphs of the letters of "DEMO" (bit 4 = leftmost column).
const GLYPHS: [[u8; 7]; 4] = [
    [
        0b11110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b11110,
    ], // D
    [
        0b11111, 0b10000, 0b10000, 0b11110, 0b10000, 0b10000, 0b11111,
    ], // E
    [
        0b10001, 0b11011, 0b10101, 0b10101, 0b10001, 0b10001, 0b10001,
    ], // M
    [
        0b01110, 0b10001, 0b10001, 0b10001, 0b10001, 0b10001, 0b01110,
    ], // O
];

/// The "DEMO" text burnt into `--demo` output: white, half transparent, with a dark outline,
/// sized to the frame (about a fifth of its width) and within the size rule.
pub fn demo_text(frame_w: usize, frame_h: usize) -> RgbaImage {
    // 4 glyphs of 5 cells, 1-cell gaps, 1-cell margin: 25 x 9 cells.
    let (cols, rows) = (25usize, 9usize);
    let mut cell = (frame_w / 5 / cols).max(1);
    while cell > 1 && (cols * cell * rows * cell) * 100 > frame_w * frame_h * 4 {
        cell -= 1;
    }
    let (w, h) = (cols * cell, rows * cell);
    let mut on = vec![false; cols * rows];
    for (g, glyph) in GLYPHS.iter().enumerate() {
        for (r, bits) in glyph.iter().enumerate() {
            for c in 0..5 {
                if bits & (1 << (4 - c)) != 0 {
                    on[(r + 1) * cols + 1 + g * 6 + c] = true;
                }
            }
        }
    }
    let mut data = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let (cx, cy) = (x / cell, y / cell);
            let lit = on[cy * cols + cx];
            let near = (cy.saturating_sub(1)..=(cy + 1).min(rows - 1)).any(|yy| {
                (cx.saturating_sub(1)..=(cx + 1).min(cols - 1)).any(|xx| on[yy * cols + xx])
            });
            let px = &mut data[(y * w + x) * 4..(y * w + x) * 4 + 4];
            if lit {
                px.copy_from_slice(&[255, 255, 255, 140]);
            } else if near {
                px.copy_from_slice(&[0, 0, 0, 90]);
            }
        }
    }
    RgbaImage {
        width: w as u32,
        height: h as u32,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L420: YuvLayout = YuvLayout {
        chroma_shift_x: 1,
        chroma_shift_y: 1,
        bit_depth: 8,
        matrix: Matrix::Bt709,
        full_range: false,
    };

    #[test]
    fn size_rule_of_cli_md() {
        assert!(check_size(300, 300, 1920, 1080).is_ok());
        assert!(matches!(
            check_size(400, 300, 1920, 1080),
            Err(DwmError::OverlayTooLarge { .. })
        ));
        assert!(matches!(
            check_size(2, 50, 1920, 1080),
            Err(DwmError::OverlayTooSmall { .. })
        ));
        assert!(check_size(2000, 4, 1920, 1080).is_err());
    }

    #[test]
    fn colour_conversion_of_primaries() {
        let (y, u, v) = L420.rgb_to_yuv(255, 255, 255);
        assert!((y - 235.0).abs() < 0.01 && (u - 128.0).abs() < 0.01 && (v - 128.0).abs() < 0.01);
        let (y, _, v) = L420.rgb_to_yuv(255, 0, 0);
        assert!((y - (16.0 + 219.0 * 0.2126)).abs() < 0.01);
        assert!((v - 240.0).abs() < 0.01);
        let full = YuvLayout {
            full_range: true,
            bit_depth: 10,
            ..L420
        };
        assert!((full.rgb_to_yuv(0, 0, 0).0).abs() < 0.01);
        assert!((full.rgb_to_yuv(255, 255, 255).0 - 1020.0).abs() < 0.01);
    }

    fn planes(w: usize, h: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        (
            vec![100; w * h],
            vec![128; w.div_ceil(2) * h.div_ceil(2)],
            vec![128; w.div_ceil(2) * h.div_ceil(2)],
        )
    }

    #[test]
    fn opaque_white_replaces_and_half_alpha_blends() {
        let (w, h) = (64, 36);
        let img = RgbaImage::new(4, 4, [255u8, 255, 255, 255].repeat(16)).unwrap();
        for (alpha, want) in [(1.0f32, 235u8), (0.5, 168)] {
            let (mut y, mut u, mut v) = planes(w, h);
            let ov = PreparedOverlay::new(&img, alpha, L420).unwrap();
            ov.composite(
                10,
                6,
                &mut PlaneMut::new(&mut y, w, h, 8).unwrap(),
                &mut PlaneMut::new(&mut u, 32, 18, 8).unwrap(),
                &mut PlaneMut::new(&mut v, 32, 18, 8).unwrap(),
            )
            .unwrap();
            assert_eq!(y[6 * w + 10], want);
            assert_eq!(y[9 * w + 13], want);
            assert_eq!(y[6 * w + 14], 100);
            assert_eq!(y[5 * w + 10], 100);
            assert_eq!(u[3 * 32 + 5], 128);
        }
    }

    #[test]
    fn transparent_pixels_leave_the_frame_alone_and_positions_are_clamped() {
        let (w, h) = (64, 36);
        let mut data = [255u8, 0, 0, 0].repeat(64);
        data[..4].copy_from_slice(&[255, 0, 0, 255]); // only the top-left pixel is opaque red
        let img = RgbaImage::new(8, 8, data).unwrap();
        let (mut y, mut u, mut v) = planes(w, h);
        let ov = PreparedOverlay::new(&img, 1.0, L420).unwrap();
        // Asked for (1000, 1000): moved to (56, 28).
        ov.composite(
            1000,
            1000,
            &mut PlaneMut::new(&mut y, w, h, 8).unwrap(),
            &mut PlaneMut::new(&mut u, 32, 18, 8).unwrap(),
            &mut PlaneMut::new(&mut v, 32, 18, 8).unwrap(),
        )
        .unwrap();
        assert_eq!(y[28 * w + 56], (16.0 + 219.0 * 0.2126f32).round() as u8);
        assert_eq!(y.iter().filter(|&&p| p != 100).count(), 1);
        // Chroma: a quarter of the 2x2 block is red.
        assert!(v[14 * 32 + 28] > 128 && v[14 * 32 + 28] < 240);
    }

    #[test]
    fn schedule_cycles_and_disappears() {
        let s = Schedule::new(vec![(0, 0), (100, 50), (5000, -7)], 10.0, 4.0).unwrap();
        assert_eq!(s.placement(0.0, 10, 10, 640, 360), Some((0, 0)));
        assert_eq!(s.placement(3.9, 10, 10, 640, 360), Some((0, 0)));
        assert_eq!(s.placement(4.0, 10, 10, 640, 360), None);
        assert_eq!(s.placement(10.0, 10, 10, 640, 360), Some((100, 50)));
        assert_eq!(s.placement(21.0, 10, 10, 640, 360), Some((630, 0)));
        assert_eq!(s.placement(30.5, 10, 10, 640, 360), Some((0, 0)));
        // disappear >= interval, or 0, is ignored.
        let s = Schedule::new(vec![(1, 2)], 5.0, 6.0).unwrap();
        assert_eq!(s.placement(5.5, 10, 10, 640, 360), Some((1, 2)));
        let s = Schedule::new(vec![(1, 2), (3, 4)], 5.0, 0.0).unwrap();
        assert_eq!(s.placement(9.9, 10, 10, 640, 360), Some((3, 4)));
        // interval 0: the first position all the time.
        let s = Schedule::new(vec![(1, 2), (3, 4)], 0.0, 3.0).unwrap();
        assert_eq!(s.placement(99.0, 10, 10, 640, 360), Some((1, 2)));
        assert!(Schedule::new(vec![], 1.0, 0.0).is_err());
    }

    #[test]
    fn demo_text_respects_the_size_rule() {
        for (w, h) in [(1920usize, 1080usize), (640, 360), (3840, 2160), (128, 72)] {
            let img = demo_text(w, h);
            check_size(img.width(), img.height(), w as u32, h as u32).unwrap();
            assert!(img.data().chunks(4).any(|p| p[3] > 0));
        }
    }
}
